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
#include "spate/api/time.hpp"
#include "spate/api/window.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/io_spec.hpp"
#include "spate/core/error.hpp"

#include "common.hpp"
#include "process.hpp"
#include "table.hpp"

namespace nb = nanobind;

namespace spate::python {

namespace {

enum class udf_kind { map, filter, flat_map, timestamp, text, process };

const char* what_of(udf_kind k) {
  switch (k) {
    case udf_kind::map:
      return "map";
    case udf_kind::filter:
      return "filter";
    case udf_kind::flat_map:
      return "flat_map";
    case udf_kind::timestamp:
      return "timestamp assigner";
    case udf_kind::text:
      return "str() for a text sink";
    case udf_kind::process:
      return "process";
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
      gil_hold gil;
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (stop_->load(std::memory_order_relaxed))
          break; // cancelled: what is left of the batch goes nowhere
        owned v(load(in.values[i], where_.c_str()));
        owned r(call(v.p, in.timestamps[i]));
        if (r.p == nullptr)
          throw_python_error(where_);
        switch (kind_) {
          case udf_kind::timestamp: {
            // TimestampAssigner.extract_timestamp(value, record_timestamp): ms.
            long long ts = PyLong_AsLongLong(r.p);
            if (ts == -1 && PyErr_Occurred())
              throw_python_error(where_ + " must return the event time in ms (an int)");
            buf_.push(std::move(in.values[i]), ts);
            break;
          }
          case udf_kind::text: {
            Py_ssize_t n = 0;
            const char* utf8 = PyUnicode_AsUTF8AndSize(r.p, &n);
            if (utf8 == nullptr)
              throw_python_error(where_);
            buf_.push(std::string(utf8, static_cast<std::size_t>(n)), in.timestamps[i]);
            break;
          }
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
          case udf_kind::flat_map:
          case udf_kind::process: {
            timestamp ts = in.timestamps[i];
            emit_each(r.p, where_, [&](std::string out) { buf_.push(std::move(out), ts); });
            break;
          }
        }
      }
    }
    emit_buffer(); // without the GIL: the next operator of the chain takes it
  }

private:
  //! A new reference: f(value), f(value, record timestamp) for timestamps, str(value) for
  //! text.
  PyObject* call(PyObject* v, timestamp ts) {
    if (kind_ == udf_kind::text)
      return PyObject_Str(v);
    if (kind_ == udf_kind::process) {
      // f_ makes this subtask's function (value, record timestamp) on first use.
      if (!instance_) {
        owned made(PyObject_CallNoArgs(f_.get()));
        if (made.p == nullptr)
          return nullptr;
        instance_.emplace(nb::handle(made.p));
      }
      owned t(ts == no_timestamp ? Py_NewRef(Py_None) : PyLong_FromLongLong(ts));
      return PyObject_CallFunctionObjArgs(instance_->get(), v, t.p, nullptr);
    }
    if (kind_ == udf_kind::timestamp) {
      owned t(ts == no_timestamp ? Py_NewRef(Py_None) : PyLong_FromLongLong(ts));
      return PyObject_CallFunctionObjArgs(f_.get(), v, t.p, nullptr);
    }
    return PyObject_CallOneArg(f_.get(), v);
  }

  py_ref f_;
  udf_kind kind_;
  stop_flag stop_;
  std::string where_;
  std::optional<py_ref> instance_;
};

//! Lines of a C++ source as Python str values. No GIL.
stream<std::string> encoded_lines(stream<std::string> lines) {
  return lines
      .map([](const std::string& line) {
        std::string out;
        encode_str(line, out);
        return out;
      })
      .name("Lines as str");
}

//! key_by's selector: each record with its key, both encoded. Equal keys
//! of the same type encode to the same bytes, which pick the key group.
class key_operator final : public detail::typed_operator<keyed_record> {
public:
  explicit key_operator(py_ref f) : f_(std::move(f)) {}

  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<std::string>(b);
    {
      gil_hold gil;
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

//! A Python reduce function f(a, b) over the values of keyed records (the key stays).
struct python_reducer {
  py_ref f;
  const char* where;
  keyed_record operator()(const keyed_record& acc, keyed_record v) const {
    gil_hold gil;
    owned a(load(acc.second, where));
    owned x(load(v.second, where));
    owned r(PyObject_CallFunctionObjArgs(f.get(), a.p, x.p, nullptr));
    if (r.p == nullptr)
      throw_python_error(where);
    v.second = dump(r.p, where);
    return v;
  }
};

//! A Python AggregateFunction per key and window, accumulators kept encoded.
struct python_aggregate {
  using accumulator_type = std::string;
  using result_type = std::string;
  py_ref f; // create_accumulator, add(value, acc), get_result(acc), merge(a, b)

  std::string call(const char* method, std::initializer_list<PyObject*> args) const {
    gil_hold gil;
    std::string where = std::string("Python AggregateFunction.") + method;
    owned name(PyUnicode_FromString(method));
    std::vector<PyObject*> all{f.get()};
    all.insert(all.end(), args.begin(), args.end());
    owned r(PyObject_VectorcallMethod(name.p, all.data(), all.size(), nullptr));
    if (r.p == nullptr)
      throw_python_error(where);
    return dump(r.p, where.c_str());
  }
  std::string create_accumulator() const { return call("create_accumulator", {}); }
  std::string add(const keyed_record& v, const std::string& acc) const {
    gil_hold gil;
    owned x(load(v.second, "Python AggregateFunction.add"));
    owned a(load(acc, "Python AggregateFunction.add"));
    return call("add", {x.p, a.p});
  }
  std::string get_result(const std::string& acc) const {
    gil_hold gil;
    owned a(load(acc, "Python AggregateFunction.get_result"));
    return call("get_result", {a.p});
  }
  std::string merge(const std::string& a, const std::string& b) const {
    gil_hold gil;
    owned x(load(a, "Python AggregateFunction.merge"));
    owned y(load(b, "Python AggregateFunction.merge"));
    return call("merge", {x.p, y.p});
  }
};

class env_handle;

//! A DataStream of Python values.
class stream_handle {
public:
  stream_handle(std::shared_ptr<environment> env, stop_flag stop, stream<std::string> s)
      : env_(std::move(env)), stop_(std::move(stop)), s_(std::move(s)) {}

private:
  //! This stream keyed by the Python key selector: each record with its encoded key.
  auto keyed_by(const py_ref& key) {
    auto keyed = detail::add_one_input<keyed_record>(
        env_.get(), "Key Selector", [key] { return std::make_unique<key_operator>(key); },
        s_.inputs(), false);
    return keyed.key_by([](const keyed_record& r) { return r.first; });
  }

public:
  stream_handle udf(nb::object f, udf_kind kind, const std::string& name) {
    py_ref ref(f);
    const char* title = kind == udf_kind::map       ? "Map"
                        : kind == udf_kind::filter  ? "Filter"
                        : kind == udf_kind::process ? "Process"
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
    auto reduced = keyed_by(key_ref).reduce(python_reducer{fn, "Python reduce"},
                                            name.empty() ? "Keyed Reduce" : name);
    auto values = reduced.map([](keyed_record r) { return std::move(r.second); });
    return {env_, stop_, values};
  }

  //! key_by(key).process(fn): a KeyedProcessFunction with keyed state and timers.
  stream_handle key_by_process(nb::object key, nb::object fn, const std::string& name) {
    py_ref key_ref(key);
    py_ref fn_ref(fn);
    auto out = keyed_by(key_ref).process(python_keyed_process(fn_ref, name));
    if (!name.empty())
      out.name(name);
    return {env_, stop_, out};
  }

  //! key_by(key).window(...) with `op` "reduce" (fn(a, b)), "aggregate" (fn: an object with
  //! create_accumulator, add, get_result, merge) or "process" (fn(key, start, end, elements):
  //! an iterable of outputs, once per window firing). `kind`: tumbling, sliding, session.
  stream_handle key_by_window(nb::object key, const std::string& kind, bool event_time,
                              std::int64_t size, std::int64_t slide, std::int64_t offset,
                              const std::string& op, nb::object fn, const std::string& name) {
    using std::chrono::milliseconds;
    window_assigner assigner =
        kind == "tumbling"
            ? detail::make_tumbling(event_time, milliseconds(size), milliseconds(offset))
        : kind == "sliding" ? detail::make_sliding(event_time, milliseconds(size),
                                                   milliseconds(slide), milliseconds(offset))
                            : detail::make_session(event_time, milliseconds(size));
    py_ref key_ref(key);
    py_ref f(fn);
    auto windowed = keyed_by(key_ref).window(assigner);
    std::optional<stream<std::string>> out;
    if (op == "reduce") {
      out = windowed.reduce(python_reducer{f, "Python window reduce"}).map([](keyed_record r) {
        return std::move(r.second);
      });
    } else if (op == "aggregate") {
      out = windowed.aggregate(python_aggregate{f});
    } else {
      out = windowed.process([f](const std::string& k, const time_window& w,
                                 const std::vector<keyed_record>& elements,
                                 collector<std::string>& collected) {
        gil_hold gil;
        const char* where = "Python ProcessWindowFunction";
        owned key_value(load(k, where));
        owned list(PyList_New(static_cast<Py_ssize_t>(elements.size())));
        for (std::size_t i = 0; i < elements.size(); ++i)
          PyList_SET_ITEM(list.p, static_cast<Py_ssize_t>(i), load(elements[i].second, where));
        owned start(PyLong_FromLongLong(w.start));
        owned end(PyLong_FromLongLong(w.end));
        owned r(
            PyObject_CallFunctionObjArgs(f.get(), key_value.p, start.p, end.p, list.p, nullptr));
        if (r.p == nullptr)
          throw_python_error(where);
        emit_each(r.p, where, [&](std::string v) { collected.collect(std::move(v)); });
      });
    }
    if (!name.empty())
      out->name(name);
    return {env_, stop_, *out};
  }

  //! Event time: `assigner(value, record_timestamp)` (None: keep the records' timestamps),
  //! watermarks `bound_ms` behind the largest timestamp, idleness after `idle_ms` (< 0: none).
  stream_handle assign_timestamps(nb::object assigner, std::int64_t bound_ms,
                                  std::int64_t idle_ms) {
    stream<std::string> in = s_;
    if (!assigner.is_none()) {
      py_ref ref(assigner);
      in = detail::add_one_input<std::string>(
          env_.get(), "Timestamps",
          [ref, stop = stop_] {
            return std::make_unique<udf_operator>(ref, udf_kind::timestamp, "", stop);
          },
          s_.inputs(), false);
    }
    auto strategy = watermark_strategy<std::string>::for_bounded_out_of_orderness(
        std::chrono::milliseconds(bound_ms));
    if (idle_ms >= 0)
      strategy = strategy.with_idleness(std::chrono::milliseconds(idle_ms));
    return {env_, stop_, in.assign_timestamps_and_watermarks(strategy)};
  }

  //! Writes str() of each value as a line to an output SPEC (README: files:DIR,
  //! kafka://..., redis://...).
  void sink_to_spec(const std::string& spec) {
    auto out = parse_output_spec(spec);
    {
      nb::gil_scoped_release nogil; // asks Kafka brokers
      check_output(out);
    }
    py_ref none(Py_None);
    auto lines = detail::add_one_input<std::string>(
        env_.get(), "To Text",
        [none, stop = stop_] {
          return std::make_unique<udf_operator>(none, udf_kind::text, "", stop);
        },
        s_.inputs(), false);
    write_lines(lines, out);
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
            gil_hold gil;
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

//! A running job (PyFlink's JobClient): status, savepoints, cancel, its result.
class job_handle {
public:
  job_handle(job_client c, stop_flag stop)
      : c_(std::make_shared<job_client>(std::move(c))), stop_(std::move(stop)) {}
  ~job_handle() { drop_without_gil(c_); }
  job_handle(const job_handle&) = default;
  job_handle& operator=(const job_handle&) = default;
  std::string job_id() const { return c_->job_id(); }
  std::string status() const { return to_string(c_->status()); }
  std::string trigger_savepoint(const std::string& dir) {
    nb::gil_scoped_release nogil;
    return c_->trigger_savepoint(dir);
  }
  std::string stop_with_savepoint(const std::string& dir, bool drain) {
    nb::gil_scoped_release nogil;
    return c_->stop(dir, drain);
  }
  void cancel() {
    nb::gil_scoped_release nogil;
    stop_->store(true);
    c_->cancel();
  }
  bool wait_for(int ms) {
    nb::gil_scoped_release nogil;
    return c_->wait_for(std::chrono::milliseconds(ms));
  }
  //! (status, failure cause, net runtime ms) once the job has ended.
  std::vector<std::string> result() {
    nb::gil_scoped_release nogil;
    job_result r = c_->wait();
    return {to_string(r.status), r.failure_cause, std::to_string(r.net_runtime.count())};
  }

private:
  std::shared_ptr<job_client> c_;
  stop_flag stop_;
};

//! A StreamExecutionEnvironment: one job at a time, run in this process.
class env_handle {
public:
  explicit env_handle(const std::vector<std::pair<std::string, std::string>>& options) {
    env_ = std::make_shared<environment>(config_from(options));
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

  //! A stream from an input SPEC (README: file:PATH, kafka://..., socket://...): each line a
  //! str. `numbers`: a number sequence `first`, first + 1, ... from a generator SPEC
  //! (generator:count=N,rate=R) instead.
  stream_handle from_spec(const std::string& spec, bool numbers, std::int64_t first) {
    auto in = parse_input_spec(spec);
    if (numbers != (in.kind == input_spec::generator))
      throw error(errc::invalid_argument,
                  numbers ? "a number sequence needs a generator SPEC, got '" + spec + "'"
                          : "a generator SPEC makes numbers (NumberSequenceSource), not lines: '" +
                                spec + "'");
    {
      nb::gil_scoped_release nogil; // asks Kafka brokers, opens files
      check_input(in);
    }
    if (numbers) // the generator makes each number encoded, as an int
      return {env_, stop_,
              env_->add_source(generator_source<std::string>(
                  in.gen,
                  [first](std::uint64_t seq, record_rng&) {
                    std::string out;
                    encode_int(first + static_cast<std::int64_t>(seq), out);
                    return out;
                  },
                  "number-sequence"))};
    return {env_, stop_, encoded_lines(read_lines(*env_, in, {}))};
  }

  //! Runs the job; returns (status, failure cause, job id, net runtime ms).
  //! Without the GIL while it runs (the operators take it per batch); a
  //! signal's Python exception (Ctrl-C: KeyboardInterrupt) cancels the job
  //! and is raised once the job has ended.
  std::vector<std::string> execute(const std::string& name) {
    std::optional<job_client> client;
    client.emplace(start(name));
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
      // The job's last references go here too: its operators may take the GIL to drop
      // their Python objects.
      nb::gil_scoped_release nogil;
      r = client->wait();
      client.reset();
    }
    return {to_string(r.status), r.failure_cause, r.job_id, std::to_string(r.net_runtime.count())};
  }

  //! Starts the job and returns its client at once (Flink's execute_async).
  job_handle execute_async(const std::string& name) { return job_handle(start(name), stop_); }

private:
  job_client start(const std::string& name) {
    stop_->store(false);
    nb::gil_scoped_release nogil;
    // Flink's execution.savepoint.path: start from a savepoint or retained checkpoint.
    start_options options;
    options.restore_path = env_->config().get_string("execution.savepoint.path", "");
    options.allow_non_restored_state =
        env_->config().get_bool("execution.savepoint.ignore-unclaimed-state", false);
    return env_->execute_async(name, options);
  }

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
  add_process_api(m);

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
      .def("process",
           [](stream_handle& s, nb::object factory, const std::string& name) {
             return s.udf(std::move(factory), udf_kind::process, name);
           })
      .def("key_by_reduce", &stream_handle::key_by_reduce)
      .def("key_by_process", &stream_handle::key_by_process)
      .def("key_by_window", &stream_handle::key_by_window)
      .def("assign_timestamps", &stream_handle::assign_timestamps, nb::arg("assigner").none(),
           nb::arg("bound_ms"), nb::arg("idle_ms"))
      .def("sink_to_spec", &stream_handle::sink_to_spec)
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
      .def("from_spec", &env_handle::from_spec)
      .def("execute", &env_handle::execute)
      .def("execute_async", &env_handle::execute_async);

  nb::class_<job_handle>(m, "_JobClient", nb::is_weak_referenceable())
      .def("job_id", &job_handle::job_id)
      .def("status", &job_handle::status)
      .def("trigger_savepoint", &job_handle::trigger_savepoint)
      .def("stop_with_savepoint", &job_handle::stop_with_savepoint)
      .def("cancel", &job_handle::cancel)
      .def("wait_for", &job_handle::wait_for)
      .def("result", &job_handle::result);
}
