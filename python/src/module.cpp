// spate._spate: the native half of the Python package. Python values travel
// through the runtime encoded as bytes (std::string records, values.hpp), so batches,
// the ZeroMQ mesh and RocksDB state need nothing new; every Python operator
// takes the GIL once per batch and calls the user's function for each of its
// records in one loop.
#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdio>
#include <memory>
#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spate/api/builtin.hpp"
#include "spate/api/environment.hpp"
#include "spate/api/stream.hpp"
#include "spate/core/error.hpp"

#include "table.hpp"
#include "values.hpp"

namespace nb = nanobind;

namespace spate::python {

namespace {

//! The Python error now set, with its traceback, as a C++ exception that
//! fails the task (and the job, with this text as its cause).
[[noreturn]] void throw_python_error(const std::string& where) {
  nb::python_error e;
  throw std::runtime_error(where + ": " + e.what());
}

//! A new reference to the value `bytes` encodes (values.hpp); throws on
//! failure.
PyObject* load(const std::string& bytes, const char* where) {
  PyObject* v = decode_value(bytes);
  if (v == nullptr)
    throw_python_error(where);
  return v;
}

//! `v` encoded; throws (naming `where`) when it cannot be.
std::string dump(PyObject* v, const char* where) {
  std::string out;
  if (!encode_value(v, out))
    throw_python_error(where);
  return out;
}

//! Owns a reference to a Python object for the runtime's threads: copies
//! share it, and the last one drops it with the GIL held.
class py_ref {
public:
  explicit py_ref(nb::handle h) : p_(h.ptr(), drop) { Py_INCREF(h.ptr()); }
  PyObject* get() const { return p_.get(); }

private:
  static void drop(PyObject* o) {
    if (!Py_IsInitialized())
      return; // the interpreter is gone: nothing left to free it in
    nb::gil_scoped_acquire gil;
    Py_DECREF(o);
  }
  std::shared_ptr<PyObject> p_;
};

//! A Python reference that stays valid while `o` is borrowed.
struct owned {
  PyObject* p;
  explicit owned(PyObject* o) : p(o) {}
  ~owned() { Py_XDECREF(p); }
  owned(const owned&) = delete;
  owned& operator=(const owned&) = delete;
};

enum class udf_kind { map, filter, flat_map };

const char* what_of(udf_kind k) {
  switch (k) {
    case udf_kind::map:
      return "map";
    case udf_kind::filter:
      return "filter";
    case udf_kind::flat_map:
      return "flat_map";
  }
  return "?";
}

//! Set while the job that an environment runs is being cancelled: a Python
//! operator stops in the middle of its batch (a slow function would
//! otherwise hold the cancellation for the whole batch).
using stop_flag = std::shared_ptr<std::atomic<bool>>;

//! map, filter and flat_map with a Python callable: one GIL hold per batch.
class udf_operator final : public detail::typed_operator<std::string> {
public:
  udf_operator(py_ref f, udf_kind kind, std::string name, stop_flag stop)
      : f_(std::move(f)), kind_(kind), stop_(std::move(stop)),
        where_("Python " + std::string(what_of(kind)) + (name.empty() ? "" : " '" + name + "'")) {}

  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<std::string>(b);
    {
      nb::gil_scoped_acquire gil;
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (stop_->load(std::memory_order_relaxed))
          break; // cancelled: what is left of the batch goes nowhere
        owned v(load(in.values[i], where_.c_str()));
        owned r(PyObject_CallOneArg(f_.get(), v.p));
        if (r.p == nullptr)
          throw_python_error(where_);
        switch (kind_) {
          case udf_kind::map:
            buf_.push(dump(r.p, where_.c_str()), in.timestamps[i]);
            break;
          case udf_kind::filter: {
            int keep = PyObject_IsTrue(r.p);
            if (keep < 0)
              throw_python_error(where_);
            if (keep)
              buf_.push(std::move(in.values[i]), in.timestamps[i]);
            break;
          }
          case udf_kind::flat_map: {
            if (r.p == Py_None)
              break; // a generator function that yields nothing may return None
            owned it(PyObject_GetIter(r.p));
            if (it.p == nullptr)
              throw_python_error(where_ + " must return an iterable");
            while (PyObject* item = PyIter_Next(it.p)) {
              owned hold(item);
              buf_.push(dump(item, where_.c_str()), in.timestamps[i]);
            }
            if (PyErr_Occurred())
              throw_python_error(where_);
            break;
          }
        }
      }
    }
    emit_buffer(); // without the GIL: the next operator of the chain takes it
  }

private:
  py_ref f_;
  udf_kind kind_;
  stop_flag stop_;
  std::string where_;
};

using keyed_record = std::pair<std::string, std::string>;

//! key_by's selector: each record with its key, both encoded. Equal keys
//! of the same type encode to the same bytes, which pick the key group.
class key_operator final : public detail::typed_operator<keyed_record> {
public:
  explicit key_operator(py_ref f) : f_(std::move(f)) {}

  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<std::string>(b);
    {
      nb::gil_scoped_acquire gil;
      for (std::size_t i = 0; i < in.size(); ++i) {
        owned v(load(in.values[i], "Python key_by"));
        owned k(PyObject_CallOneArg(f_.get(), v.p));
        if (k.p == nullptr)
          throw_python_error("Python key_by");
        buf_.push(keyed_record(dump(k.p, "Python key_by"), std::move(in.values[i])),
                  in.timestamps[i]);
      }
    }
    emit_buffer();
  }

private:
  py_ref f_;
};

class env_handle;

//! A DataStream of Python values.
class stream_handle {
public:
  stream_handle(std::shared_ptr<environment> env, stop_flag stop, stream<std::string> s)
      : env_(std::move(env)), stop_(std::move(stop)), s_(std::move(s)) {}

  stream_handle udf(nb::object f, udf_kind kind, const std::string& name) {
    py_ref ref(f);
    const char* title = kind == udf_kind::map      ? "Map"
                        : kind == udf_kind::filter ? "Filter"
                                                   : "Flat Map";
    auto out = detail::add_one_input<std::string>(
        env_.get(), name.empty() ? title : name,
        [ref, kind, name, stop = stop_] {
          return std::make_unique<udf_operator>(ref, kind, name, stop);
        },
        s_.inputs(), false);
    return {env_, stop_, out};
  }

  //! key_by(f).reduce(g): a running reduce per key, emitting every update.
  stream_handle key_by_reduce(nb::object key, nb::object f, const std::string& name) {
    py_ref key_ref(key);
    py_ref fn(f);
    auto keyed = detail::add_one_input<keyed_record>(
        env_.get(), "Key Selector", [key_ref] { return std::make_unique<key_operator>(key_ref); },
        s_.inputs(), false);
    auto reduced = keyed.key_by([](const keyed_record& r) { return r.first; })
                       .reduce(
                           [fn](const keyed_record& acc, keyed_record v) {
                             nb::gil_scoped_acquire gil;
                             owned a(load(acc.second, "Python reduce"));
                             owned x(load(v.second, "Python reduce"));
                             owned r(PyObject_CallFunctionObjArgs(fn.get(), a.p, x.p, nullptr));
                             if (r.p == nullptr)
                               throw_python_error("Python reduce");
                             v.second = dump(r.p, "Python reduce");
                             return v;
                           },
                           name.empty() ? "Keyed Reduce" : name);
    auto values = reduced.map([](keyed_record r) { return std::move(r.second); });
    return {env_, stop_, values};
  }

  void set_parallelism(int p) { s_.set_parallelism(p); }
  void set_name(const std::string& n) { s_.name(n); }
  void set_uid(const std::string& u) { s_.uid(u); }

  //! Flink's print(): str() of each value, one line each, "n> " first
  //! (the subtask, from 1) when the sink runs in parallel.
  void print(const std::string& prefix) {
    bool parallel = env_->parallelism() > 1;
    auto spec = batch_callback_sink<std::string>(
        [parallel, prefix](const typed_batch<std::string>& batch, int subtask) {
          std::string text;
          {
            nb::gil_scoped_acquire gil;
            for (auto& bytes : batch.values) {
              owned v(load(bytes, "print"));
              owned s(PyObject_Str(v.p));
              if (s.p == nullptr)
                throw_python_error("print");
              Py_ssize_t n = 0;
              const char* utf8 = PyUnicode_AsUTF8AndSize(s.p, &n);
              if (utf8 == nullptr)
                throw_python_error("print");
              text += prefix;
              if (parallel)
                text += std::to_string(subtask + 1) + "> ";
              text.append(utf8, static_cast<std::size_t>(n));
              text += '\n';
            }
          }
          std::fwrite(text.data(), 1, text.size(), stdout);
          std::fflush(stdout);
        });
    spec.name = "Print to Std. Out";
    s_.add_sink(std::move(spec));
  }

  //! A sink that keeps every value for execute_and_collect.
  std::shared_ptr<std::pair<std::mutex, std::vector<std::string>>> collect() {
    auto kept = std::make_shared<std::pair<std::mutex, std::vector<std::string>>>();
    s_.add_sink(
        batch_callback_sink<std::string>([kept](const typed_batch<std::string>& batch, int) {
          std::lock_guard<std::mutex> lock(kept->first);
          kept->second.insert(kept->second.end(), batch.values.begin(), batch.values.end());
        }));
    return kept;
  }

private:
  std::shared_ptr<environment> env_;
  stop_flag stop_;
  stream<std::string> s_;
};

using collected = std::pair<std::mutex, std::vector<std::string>>;

//! What execute_and_collect fills: the values, unpickled after the job.
class collector_handle {
public:
  explicit collector_handle(std::shared_ptr<collected> c) : c_(std::move(c)) {}
  nb::list values() const {
    nb::list out;
    std::lock_guard<std::mutex> lock(c_->first);
    for (auto& bytes : c_->second)
      out.append(nb::steal(load(bytes, "execute_and_collect")));
    return out;
  }

private:
  std::shared_ptr<collected> c_;
};

//! A StreamExecutionEnvironment: one job at a time, run in this process.
class env_handle {
public:
  explicit env_handle(const std::vector<std::pair<std::string, std::string>>& options) {
    configuration config;
    for (auto& [k, v] : options)
      config.set(k, v);
    env_ = std::make_shared<environment>(std::move(config));
  }
  void set_parallelism(int p) { env_->set_parallelism(p); }
  int parallelism() const { return env_->parallelism(); }
  void set_option(const std::string& k, const std::string& v) { env_->config().set(k, v); }

  stream_handle from_collection(nb::iterable items) {
    std::vector<std::string> pickled;
    for (nb::handle item : items)
      pickled.push_back(dump(item.ptr(), "from_collection"));
    return {env_, stop_, env_->from_collection(std::move(pickled))};
  }

  //! Runs the job; returns (status, failure cause, job id, net runtime ms).
  //! Without the GIL while it runs (the operators take it per batch); a
  //! signal's Python exception (Ctrl-C: KeyboardInterrupt) cancels the job
  //! and is raised once the job has ended.
  std::vector<std::string> execute(const std::string& name) {
    std::optional<job_client> client;
    stop_->store(false);
    {
      nb::gil_scoped_release nogil;
      client.emplace(env_->execute_async(name));
    }
    for (;;) {
      bool ended;
      {
        nb::gil_scoped_release nogil;
        ended = client->wait_for(std::chrono::milliseconds(100));
      }
      if (ended)
        break;
      if (PyErr_CheckSignals() != 0) {
        nb::python_error interrupted; // takes the pending exception
        {
          nb::gil_scoped_release nogil;
          stop_->store(true);
          client->cancel();
          client->wait();
        }
        throw interrupted;
      }
    }
    job_result r;
    {
      nb::gil_scoped_release nogil;
      r = client->wait();
    }
    return {to_string(r.status), r.failure_cause, r.job_id, std::to_string(r.net_runtime.count())};
  }

private:
  std::shared_ptr<environment> env_;
  stop_flag stop_ = std::make_shared<std::atomic<bool>>(false);
};

} // namespace

} // namespace spate::python

NB_MODULE(_spate, m) {
  using namespace spate::python;
  // A script's module-level environments may outlive this module's teardown at interpreter
  // exit (the order is Python's): not leaks, and no message for them.
  nb::set_leak_warnings(false);
  nb::module_ pickle_module = nb::module_::import_("pickle");
  set_pickle_functions({nb::object(pickle_module.attr("dumps")).release().ptr(),
                        nb::object(pickle_module.attr("loads")).release().ptr(),
                        nb::object(pickle_module.attr("HIGHEST_PROTOCOL")).release().ptr()});

  // The record encoding, for tests.
  m.def(
      "_encode_value",
      [](nb::handle v) {
        std::string bytes;
        if (!encode_value(v.ptr(), bytes))
          throw nb::python_error();
        return nb::bytes(bytes.data(), bytes.size());
      },
      nb::arg("value").none());
  m.def("_decode_value", [](nb::bytes b) {
    PyObject* v = decode_value(std::string(b.c_str(), b.size()));
    if (v == nullptr)
      throw nb::python_error();
    return nb::steal(v);
  });

  // spate's errors (bad settings, bad SQL) are ValueErrors, with their message.
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const spate::error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  add_table_api(m);

  nb::class_<collector_handle>(m, "_Collector").def("values", &collector_handle::values);

  nb::class_<stream_handle>(m, "_Stream")
      .def("map", [](stream_handle& s, nb::object f,
                     const std::string& name) { return s.udf(std::move(f), udf_kind::map, name); })
      .def("filter",
           [](stream_handle& s, nb::object f, const std::string& name) {
             return s.udf(std::move(f), udf_kind::filter, name);
           })
      .def("flat_map",
           [](stream_handle& s, nb::object f, const std::string& name) {
             return s.udf(std::move(f), udf_kind::flat_map, name);
           })
      .def("key_by_reduce", &stream_handle::key_by_reduce)
      .def("set_parallelism", &stream_handle::set_parallelism)
      .def("set_name", &stream_handle::set_name)
      .def("set_uid", &stream_handle::set_uid)
      .def("print", &stream_handle::print)
      .def("collect", [](stream_handle& s) { return collector_handle(s.collect()); });

  nb::class_<env_handle>(m, "_Environment")
      .def(nb::init<const std::vector<std::pair<std::string, std::string>>&>())
      .def("set_parallelism", &env_handle::set_parallelism)
      .def("parallelism", &env_handle::parallelism)
      .def("set_option", &env_handle::set_option)
      .def("from_collection", &env_handle::from_collection)
      .def("execute", &env_handle::execute);
}
