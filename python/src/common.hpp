// What the native module's parts share: Python references the runtime's threads may hold,
// Python errors as C++ exceptions, and records as Python values (values.hpp).
#pragma once

#include <nanobind/nanobind.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spate/core/config.hpp"

#include "values.hpp"

namespace spate::python {

namespace nb = nanobind;

//! Whether Python may still be entered from a thread of the runtime: not once the interpreter
//! is finalizing (a thread taking the GIL then is ended by Python, unwinding through C++
//! frames that do not expect it). Objects released after that are left to the process's end.
inline bool python_alive() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsInitialized() && !Py_IsFinalizing();
#else
  return Py_IsInitialized() && !_Py_IsFinalizing();
#endif
}

//! Gives the calling thread (one of the runtime's) a Python thread state it keeps: a later
//! PyGILState_Ensure/Release pair then only takes and drops the GIL. Without it each pair
//! makes and frees a thread state, which costs microseconds (a SQL function is called a row
//! at a time). A thread that holds the GIL already (Python's own) is left as it is.
inline void pin_python_thread() {
  thread_local bool pinned = false;
  if (pinned)
    return;
  pinned = true;
  if (PyGILState_Check())
    return;
  PyGILState_Ensure(); // a thread state whose count stays above zero from now on
  PyEval_SaveThread(); // the GIL goes; the thread state stays
}

//! Holds the GIL for a scope on any thread (cheap after the first time on a thread).
class gil_hold {
public:
  gil_hold() {
    if (!python_alive()) // Python would end this thread, unwinding through the runtime
      throw std::runtime_error("the Python interpreter is shutting down");
    pin_python_thread();
    state_ = PyGILState_Ensure();
  }
  ~gil_hold() { PyGILState_Release(state_); }
  gil_hold(const gil_hold&) = delete;
  gil_hold& operator=(const gil_hold&) = delete;

private:
  PyGILState_STATE state_;
};

//! The Python error now set, with its traceback, as a C++ exception that fails the task (and
//! the job, with this text as its cause).
[[noreturn]] inline void throw_python_error(const std::string& where) {
  nb::python_error e;
  throw std::runtime_error(where + ": " + e.what());
}

//! A new reference to the value `bytes` encodes; throws on failure. With the GIL.
inline PyObject* load(const std::string& bytes, const char* where) {
  PyObject* v = decode_value(bytes);
  if (v == nullptr)
    throw_python_error(where);
  return v;
}

//! `v` encoded; throws (naming `where`) when it cannot be. With the GIL.
inline std::string dump(PyObject* v, const char* where) {
  std::string out;
  if (!encode_value(v, out))
    throw_python_error(where);
  return out;
}

//! Owns a reference to a Python object for the runtime's threads: copies share it, and the
//! last one drops it with the GIL held.
class py_ref {
public:
  explicit py_ref(nb::handle h) : p_(h.ptr(), drop) { Py_INCREF(h.ptr()); }
  PyObject* get() const { return p_.get(); }

private:
  static void drop(PyObject* o) {
    if (!python_alive())
      return; // the interpreter is ending: nothing left to free it in
    nb::gil_scoped_acquire gil;
    Py_DECREF(o);
  }
  std::shared_ptr<PyObject> p_;
};

//! A new reference owned for a scope (null allowed).
struct owned {
  PyObject* p;
  explicit owned(PyObject* o) : p(o) {}
  ~owned() { Py_XDECREF(p); }
  owned(const owned&) = delete;
  owned& operator=(const owned&) = delete;
  PyObject* release() {
    PyObject* o = p;
    p = nullptr;
    return o;
  }
};

//! Each value of `result` (what a function returned: an iterable, or None for nothing)
//! encoded and handed to `emit`. Throws, naming `where`, for what is not iterable or cannot
//! be encoded. With the GIL.
template <class Emit>
void emit_each(PyObject* result, const std::string& where, Emit&& emit) {
  if (result == Py_None)
    return;
  owned it(PyObject_GetIter(result));
  if (it.p == nullptr)
    throw_python_error(where + " must return or yield its output (an iterable or None)");
  while (PyObject* item = PyIter_Next(it.p)) {
    owned hold(item);
    emit(dump(item, where.c_str()));
  }
  if (PyErr_Occurred())
    throw_python_error(where);
}

//! Drops `p` (held by a Python object being freed, so with the GIL); when it is the job's last
//! reference, without the GIL: the job's operators go with it and take the GIL to drop their
//! Python objects.
template <class T>
void drop_without_gil(std::shared_ptr<T>& p) {
  if (p.use_count() != 1)
    return;
  nb::gil_scoped_release nogil;
  p.reset();
}

//! A configuration of Flink's keys from (key, value) pairs.
inline configuration config_from(const std::vector<std::pair<std::string, std::string>>& kv) {
  configuration config;
  for (auto& [k, v] : kv)
    config.set(k, v);
  return config;
}

} // namespace spate::python
