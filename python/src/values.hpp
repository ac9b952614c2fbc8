// How Python values are records: a compact encoding of Python's common types
// (None, bool, int within 64 bits, float, str, bytes, and tuples, lists and
// dicts of them), and pickle for everything else. Encoding a small value
// this way costs a few tens of nanoseconds; pickle costs hundreds.
//
// The encoding of None, bools, ints, floats, str, bytes and tuples of them is
// canonical (equal values, equal bytes, in every process), which makes it a
// key's identity; a pickled key (any other type) is only as stable as
// pickle's output for it.
#pragma once

#include <Python.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace spate::python {

//! pickle.dumps and pickle.loads for what the encoding does not cover; set
//! once when the module is imported.
struct pickle_functions {
  PyObject* dumps = nullptr;
  PyObject* loads = nullptr;
  PyObject* protocol = nullptr;
};
void set_pickle_functions(const pickle_functions& f);

//! Appends `v`'s encoding to `out`. With the GIL. False with a Python error
//! set when `v` (or a value in it) cannot be pickled.
bool encode_value(PyObject* v, std::string& out);

//! Appends the encoding of the str `utf8` (valid UTF-8) or of the int `n`: what C++ sources
//! hand Python, without the GIL.
void encode_str(std::string_view utf8, std::string& out);
void encode_int(std::int64_t n, std::string& out);

//! A new reference to the value `bytes` encodes. With the GIL. Null with a
//! Python error set (ValueError naming what is wrong) when `bytes` is not an
//! encoding of one value.
PyObject* decode_value(const std::string& bytes);

} // namespace spate::python
