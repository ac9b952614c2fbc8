#include "values.hpp"

#include <cstdint>
#include <cstring>

namespace spate::python {

namespace {

pickle_functions pickle;

// One byte of type, then the value.
enum tag : char {
  tag_none = 'N',
  tag_true = 'T',
  tag_false = 'F',
  tag_int = 'i',     // 8 bytes, little-endian two's complement
  tag_float = 'd',   // 8 bytes, IEEE 754 binary64, little-endian
  tag_str = 's',     // length (varint), UTF-8
  tag_bytes = 'b',   // length (varint), bytes
  tag_tuple = '(',   // count (varint), values
  tag_list = '[',    // count (varint), values
  tag_dict = '{',    // count (varint), key and value each
  tag_pickled = 'P', // length (varint), pickle's bytes
};

//! Past this depth of nested containers pickle takes the value (it has its
//! own recursion guard).
constexpr int max_depth = 64;

void put_varint(std::uint64_t n, std::string& out) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

void put_u64(std::uint64_t n, std::string& out) {
  char b[8];
  for (int i = 0; i < 8; ++i)
    b[i] = static_cast<char>(n >> (8 * i));
  out.append(b, 8);
}

bool put_pickled(PyObject* v, std::string& out) {
  PyObject* raw = PyObject_CallFunctionObjArgs(pickle.dumps, v, pickle.protocol, nullptr);
  if (raw == nullptr)
    return false;
  char* data = nullptr;
  Py_ssize_t size = 0;
  PyBytes_AsStringAndSize(raw, &data, &size);
  out.push_back(tag_pickled);
  put_varint(static_cast<std::uint64_t>(size), out);
  out.append(data, static_cast<std::size_t>(size));
  Py_DECREF(raw);
  return true;
}

bool encode(PyObject* v, std::string& out, int depth) {
  // Exact types only: a subclass (a namedtuple, an IntEnum) keeps its class
  // through pickle.
  if (v == Py_None) {
    out.push_back(tag_none);
    return true;
  }
  if (v == Py_True || v == Py_False) {
    out.push_back(v == Py_True ? tag_true : tag_false);
    return true;
  }
  if (PyLong_CheckExact(v)) {
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow == 0) {
      out.push_back(tag_int);
      put_u64(static_cast<std::uint64_t>(n), out);
      return true;
    }
    return put_pickled(v, out); // beyond 64 bits
  }
  if (PyFloat_CheckExact(v)) {
    double d = PyFloat_AS_DOUBLE(v);
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    out.push_back(tag_float);
    put_u64(bits, out);
    return true;
  }
  if (PyUnicode_CheckExact(v)) {
    Py_ssize_t n = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(v, &n);
    if (utf8 == nullptr) {
      PyErr_Clear(); // lone surrogates: pickle keeps them
      return put_pickled(v, out);
    }
    out.push_back(tag_str);
    put_varint(static_cast<std::uint64_t>(n), out);
    out.append(utf8, static_cast<std::size_t>(n));
    return true;
  }
  if (PyBytes_CheckExact(v)) {
    out.push_back(tag_bytes);
    put_varint(static_cast<std::uint64_t>(PyBytes_GET_SIZE(v)), out);
    out.append(PyBytes_AS_STRING(v), static_cast<std::size_t>(PyBytes_GET_SIZE(v)));
    return true;
  }
  if (depth < max_depth) {
    if (PyTuple_CheckExact(v) || PyList_CheckExact(v)) {
      bool tuple = PyTuple_CheckExact(v);
      Py_ssize_t n = tuple ? PyTuple_GET_SIZE(v) : PyList_GET_SIZE(v);
      out.push_back(tuple ? tag_tuple : tag_list);
      put_varint(static_cast<std::uint64_t>(n), out);
      for (Py_ssize_t i = 0; i < n; ++i) {
        // A list may change under a callback (pickle of an item): re-read.
        if (!tuple && i >= PyList_GET_SIZE(v)) {
          PyErr_SetString(PyExc_RuntimeError, "a list changed size while it was encoded");
          return false;
        }
        PyObject* item = tuple ? PyTuple_GET_ITEM(v, i) : PyList_GET_ITEM(v, i);
        Py_INCREF(item);
        bool ok = encode(item, out, depth + 1);
        Py_DECREF(item);
        if (!ok)
          return false;
      }
      return true;
    }
    if (PyDict_CheckExact(v)) {
      out.push_back(tag_dict);
      put_varint(static_cast<std::uint64_t>(PyDict_GET_SIZE(v)), out);
      Py_ssize_t pos = 0, seen = 0;
      PyObject* key = nullptr;
      PyObject* value = nullptr;
      while (PyDict_Next(v, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_INCREF(value);
        bool ok = encode(key, out, depth + 1) && encode(value, out, depth + 1);
        Py_DECREF(key);
        Py_DECREF(value);
        if (!ok)
          return false;
        ++seen;
      }
      if (seen != PyDict_GET_SIZE(v)) {
        PyErr_SetString(PyExc_RuntimeError, "a dict changed size while it was encoded");
        return false;
      }
      return true;
    }
  }
  return put_pickled(v, out);
}

//! Reads from [p, end); every read checks its bounds.
class reader {
public:
  reader(const char* p, const char* end) : p_(p), end_(end) {}

  PyObject* value(int depth) {
    if (p_ == end_)
      return fail("it ends before a value");
    char t = *p_++;
    switch (t) {
      case tag_none:
        Py_RETURN_NONE;
      case tag_true:
        Py_RETURN_TRUE;
      case tag_false:
        Py_RETURN_FALSE;
      case tag_int: {
        std::uint64_t n;
        if (!u64(n))
          return nullptr;
        return PyLong_FromLongLong(static_cast<long long>(n));
      }
      case tag_float: {
        std::uint64_t bits;
        if (!u64(bits))
          return nullptr;
        double d;
        std::memcpy(&d, &bits, 8);
        return PyFloat_FromDouble(d);
      }
      case tag_str:
      case tag_bytes:
      case tag_pickled: {
        std::uint64_t n;
        if (!length(n))
          return nullptr;
        const char* at = p_;
        p_ += n;
        if (t == tag_str)
          return PyUnicode_DecodeUTF8(at, static_cast<Py_ssize_t>(n), "replace");
        if (t == tag_bytes)
          return PyBytes_FromStringAndSize(at, static_cast<Py_ssize_t>(n));
        PyObject* raw = PyBytes_FromStringAndSize(at, static_cast<Py_ssize_t>(n));
        if (raw == nullptr)
          return nullptr;
        PyObject* v = PyObject_CallOneArg(pickle.loads, raw);
        Py_DECREF(raw);
        return v;
      }
      case tag_tuple:
      case tag_list:
      case tag_dict: {
        if (depth >= max_depth)
          return fail("its containers nest deeper than the encoder writes");
        std::uint64_t n;
        if (!count(n, t == tag_dict ? 2 : 1))
          return nullptr;
        if (t == tag_dict)
          return dict(n, depth);
        PyObject* seq = t == tag_tuple ? PyTuple_New(static_cast<Py_ssize_t>(n))
                                       : PyList_New(static_cast<Py_ssize_t>(n));
        if (seq == nullptr)
          return nullptr;
        for (std::uint64_t i = 0; i < n; ++i) {
          PyObject* item = value(depth + 1);
          if (item == nullptr) {
            Py_DECREF(seq);
            return nullptr;
          }
          if (t == tag_tuple)
            PyTuple_SET_ITEM(seq, static_cast<Py_ssize_t>(i), item);
          else
            PyList_SET_ITEM(seq, static_cast<Py_ssize_t>(i), item);
        }
        return seq;
      }
      default:
        return fail("it has an unknown type byte");
    }
  }

  bool at_end() const { return p_ == end_; }
  PyObject* fail(const char* why) {
    PyErr_Format(PyExc_ValueError, "a record is not an encoded Python value: %s", why);
    return nullptr;
  }

private:
  PyObject* dict(std::uint64_t n, int depth) {
    PyObject* d = PyDict_New();
    if (d == nullptr)
      return nullptr;
    for (std::uint64_t i = 0; i < n; ++i) {
      PyObject* k = value(depth + 1);
      PyObject* v = k ? value(depth + 1) : nullptr;
      int set = v ? PyDict_SetItem(d, k, v) : -1;
      Py_XDECREF(k);
      Py_XDECREF(v);
      if (set != 0) {
        Py_DECREF(d);
        return nullptr;
      }
    }
    return d;
  }
  bool u64(std::uint64_t& n) {
    if (end_ - p_ < 8) {
      fail("it ends inside a number");
      return false;
    }
    n = 0;
    for (int i = 0; i < 8; ++i)
      n |= static_cast<std::uint64_t>(static_cast<unsigned char>(p_[i])) << (8 * i);
    p_ += 8;
    return true;
  }
  bool varint(std::uint64_t& n) {
    n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) {
        fail("it ends inside a length");
        return false;
      }
      auto b = static_cast<unsigned char>(*p_++);
      n |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return true;
    }
    fail("a length is too long");
    return false;
  }
  //! A byte length that fits in what is left.
  bool length(std::uint64_t& n) {
    if (!varint(n))
      return false;
    if (n > static_cast<std::uint64_t>(end_ - p_)) {
      fail("a length runs past its end");
      return false;
    }
    return true;
  }
  //! A count of values of at least one byte each (`per` per entry).
  bool count(std::uint64_t& n, std::uint64_t per) {
    if (!varint(n))
      return false;
    if (n > static_cast<std::uint64_t>(end_ - p_) / per) {
      fail("a count runs past its end");
      return false;
    }
    return true;
  }

  const char* p_;
  const char* end_;
};

} // namespace

void set_pickle_functions(const pickle_functions& f) { pickle = f; }

bool encode_value(PyObject* v, std::string& out) { return encode(v, out, 0); }

void encode_str(std::string_view utf8, std::string& out) {
  out.push_back(tag_str);
  put_varint(utf8.size(), out);
  out.append(utf8.data(), utf8.size());
}

void encode_int(std::int64_t n, std::string& out) {
  out.push_back(tag_int);
  put_u64(static_cast<std::uint64_t>(n), out);
}

PyObject* decode_value(const std::string& bytes) {
  reader r(bytes.data(), bytes.data() + bytes.size());
  PyObject* v = r.value(0);
  if (v != nullptr && !r.at_end()) {
    Py_DECREF(v);
    return r.fail("bytes follow the value");
  }
  return v;
}

} // namespace spate::python
