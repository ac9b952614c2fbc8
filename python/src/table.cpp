// SQL from Python: the session and jobs of sql::table_environment, query rows as Python values,
// and Python functions registered as SQL scalar functions (sql/functions.hpp). A Python
// function is called once per row with the GIL taken for that call; its arguments and result
// are converted by their SQL types (Flink's Python type mapping: BIGINT -> int, DOUBLE ->
// float, STRING -> str, BYTES -> bytes, DECIMAL -> decimal.Decimal, DATE -> datetime.date,
// TIME -> datetime.time, TIMESTAMP -> datetime.datetime).
#include "table.hpp"

#include "common.hpp"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

// clang-format off
#include <Python.h>
#include <datetime.h>
// clang-format on

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spate/core/error.hpp"
#include "spate/sql/functions.hpp"
#include "spate/sql/parser.hpp"
#include "spate/sql/types.hpp"
#include "spate/sqlrt/row.hpp"
#include "spate/sqlrt/table_environment.hpp"

namespace nb = nanobind;

namespace spate::python {

namespace {

using sql::logical_kind;
using sql::logical_type;

//! decimal.Decimal, taken at import.
PyObject* decimal_type = nullptr;

//! Whether values of `t` cross between SQL and Python (what the conversions below cover).
bool convertible(const logical_type& t) {
  switch (t.kind) {
    case logical_kind::boolean:
    case logical_kind::tinyint:
    case logical_kind::smallint:
    case logical_kind::int_:
    case logical_kind::bigint:
    case logical_kind::float_:
    case logical_kind::double_:
    case logical_kind::decimal:
    case logical_kind::char_:
    case logical_kind::varchar:
    case logical_kind::binary:
    case logical_kind::varbinary:
    case logical_kind::date:
    case logical_kind::time:
    case logical_kind::timestamp:
    case logical_kind::timestamp_ltz:
    case logical_kind::null:
      return true;
    default:
      return false;
  }
}

void require_convertible(const logical_type& t, const char* what) {
  if (!convertible(t))
    throw error(errc::invalid_argument,
                "not supported yet: Python functions with " + sql::to_string(t) + " " + what);
}

constexpr std::int64_t ms_per_day = 86400000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

//! A new reference to the SQL value `v` of type `t` as Python sees it.
PyObject* to_python(const sql::value& v, const logical_type& t) {
  if (v.null)
    Py_RETURN_NONE;
  switch (t.kind) {
    case logical_kind::boolean:
      return PyBool_FromLong(v.i != 0);
    case logical_kind::tinyint:
    case logical_kind::smallint:
    case logical_kind::int_:
    case logical_kind::bigint:
      return PyLong_FromLongLong(v.i);
    case logical_kind::float_:
    case logical_kind::double_:
      return PyFloat_FromDouble(v.d);
    case logical_kind::decimal: {
      owned unscaled(PyLong_FromLongLong(v.i));
      owned d(unscaled.p ? PyObject_CallOneArg(decimal_type, unscaled.p) : nullptr);
      if (!d.p)
        return nullptr;
      return PyObject_CallMethod(d.p, "scaleb", "i", -t.scale);
    }
    case logical_kind::char_:
    case logical_kind::varchar:
      return PyUnicode_DecodeUTF8(v.s.data(), static_cast<Py_ssize_t>(v.s.size()), "replace");
    case logical_kind::binary:
    case logical_kind::varbinary:
      return PyBytes_FromStringAndSize(v.s.data(), static_cast<Py_ssize_t>(v.s.size()));
    case logical_kind::date: {
      std::int64_t y;
      unsigned m, d;
      sql::civil_from_days(v.i, y, m, d);
      return PyDate_FromDate(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
    }
    case logical_kind::time: {
      std::int64_t ms = v.i;
      return PyTime_FromTime(static_cast<int>(ms / 3600000), static_cast<int>(ms / 60000 % 60),
                             static_cast<int>(ms / 1000 % 60), static_cast<int>(ms % 1000 * 1000));
    }
    case logical_kind::timestamp:
    case logical_kind::timestamp_ltz: {
      std::int64_t days = floor_div(v.i, ms_per_day);
      std::int64_t ms = v.i - days * ms_per_day;
      std::int64_t y;
      unsigned m, d;
      sql::civil_from_days(days, y, m, d);
      return PyDateTime_FromDateAndTime(
          static_cast<int>(y), static_cast<int>(m), static_cast<int>(d),
          static_cast<int>(ms / 3600000), static_cast<int>(ms / 60000 % 60),
          static_cast<int>(ms / 1000 % 60), static_cast<int>(ms % 1000 * 1000));
    }
    default:
      PyErr_Format(PyExc_TypeError, "not supported yet: %s values in Python",
                   sql::to_string(t).c_str());
      return nullptr;
  }
}

//! Sets a Python TypeError saying `o` is not a `t`.
bool wrong_type(PyObject* o, const logical_type& t) {
  PyErr_Format(PyExc_TypeError, "a %s result cannot be %.200s", sql::to_string(t).c_str(),
               Py_TYPE(o)->tp_name);
  return false;
}

//! `o` as a SQL value of `t` in `out` (strings kept in `scratch`); false with a Python
//! error set when it is not one.
bool from_python(PyObject* o, const logical_type& t, sql::value& out, std::string& scratch) {
  out = sql::value{};
  if (o == Py_None) {
    if (!t.nullable) {
      PyErr_Format(PyExc_TypeError, "None for a %s result", sql::to_string(t).c_str());
      return false;
    }
    return true; // NULL
  }
  out.null = false;
  switch (t.kind) {
    case logical_kind::boolean:
      if (!PyBool_Check(o))
        return wrong_type(o, t);
      out.i = o == Py_True ? 1 : 0;
      return true;
    case logical_kind::tinyint:
    case logical_kind::smallint:
    case logical_kind::int_:
    case logical_kind::bigint: {
      if (!PyLong_Check(o) || PyBool_Check(o))
        return wrong_type(o, t);
      int overflow = 0;
      long long n = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (n == -1 && PyErr_Occurred())
        return false;
      long long lo = t.kind == logical_kind::tinyint    ? -128
                     : t.kind == logical_kind::smallint ? -32768
                     : t.kind == logical_kind::int_     ? std::numeric_limits<std::int32_t>::min()
                                                        : std::numeric_limits<long long>::min();
      long long hi = -(lo + 1);
      if (overflow != 0 || n < lo || n > hi) {
        PyErr_Format(PyExc_OverflowError, "%R is out of range for a %s result", o,
                     sql::to_string(t).c_str());
        return false;
      }
      out.i = n;
      return true;
    }
    case logical_kind::float_:
    case logical_kind::double_: {
      if (!PyFloat_Check(o) && !(PyLong_Check(o) && !PyBool_Check(o)))
        return wrong_type(o, t);
      out.d = PyFloat_AsDouble(o);
      return !(out.d == -1.0 && PyErr_Occurred());
    }
    case logical_kind::decimal: {
      // Decimal(o) (a float through its repr, as Flink's Python does), scaled and rounded half
      // up to the type's scale.
      if (!PyObject_IsInstance(o, decimal_type) && !PyLong_Check(o) && !PyFloat_Check(o))
        return wrong_type(o, t);
      owned text(PyFloat_Check(o) ? PyObject_Repr(o) : nullptr);
      owned d(PyObject_CallOneArg(decimal_type, text.p ? text.p : o));
      if (!d.p)
        return false;
      owned scaled(PyObject_CallMethod(d.p, "scaleb", "i", t.scale));
      owned rounded(scaled.p
                        ? PyObject_CallMethod(scaled.p, "to_integral_value", "s", "ROUND_HALF_UP")
                        : nullptr);
      owned n(rounded.p ? PyNumber_Long(rounded.p) : nullptr);
      if (!n.p)
        return false;
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(n.p, &overflow);
      double limit = std::pow(10.0, t.precision);
      if (overflow != 0 || std::fabs(static_cast<double>(v)) >= limit) {
        PyErr_Format(PyExc_OverflowError, "%R does not fit a %s result", o,
                     sql::to_string(t).c_str());
        return false;
      }
      out.i = v;
      return true;
    }
    case logical_kind::char_:
    case logical_kind::varchar: {
      if (!PyUnicode_Check(o))
        return wrong_type(o, t);
      Py_ssize_t n = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(o, &n);
      if (!utf8)
        return false;
      scratch.assign(utf8, static_cast<std::size_t>(n));
      out.s = scratch;
      return true;
    }
    case logical_kind::binary:
    case logical_kind::varbinary: {
      if (PyBytes_Check(o))
        scratch.assign(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
      else if (PyByteArray_Check(o))
        scratch.assign(PyByteArray_AS_STRING(o), static_cast<std::size_t>(PyByteArray_GET_SIZE(o)));
      else
        return wrong_type(o, t);
      out.s = scratch;
      return true;
    }
    case logical_kind::date:
      if (!PyDate_Check(o) || PyDateTime_Check(o))
        return wrong_type(o, t);
      out.i = sql::days_from_civil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o),
                                   PyDateTime_GET_DAY(o));
      return true;
    case logical_kind::time:
      if (!PyTime_Check(o))
        return wrong_type(o, t);
      out.i = PyDateTime_TIME_GET_HOUR(o) * 3600000LL + PyDateTime_TIME_GET_MINUTE(o) * 60000LL +
              PyDateTime_TIME_GET_SECOND(o) * 1000LL + PyDateTime_TIME_GET_MICROSECOND(o) / 1000;
      return true;
    case logical_kind::timestamp:
    case logical_kind::timestamp_ltz: {
      if (!PyDateTime_Check(o))
        return wrong_type(o, t);
      std::int64_t ms =
          sql::days_from_civil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o),
                               PyDateTime_GET_DAY(o)) *
              ms_per_day +
          PyDateTime_DATE_GET_HOUR(o) * 3600000LL + PyDateTime_DATE_GET_MINUTE(o) * 60000LL +
          PyDateTime_DATE_GET_SECOND(o) * 1000LL + PyDateTime_DATE_GET_MICROSECOND(o) / 1000;
      // An aware datetime: its UTC instant.
      owned offset(PyObject_CallMethod(o, "utcoffset", nullptr));
      if (!offset.p)
        return false;
      if (offset.p != Py_None && PyDelta_Check(offset.p))
        ms -= PyDateTime_DELTA_GET_DAYS(offset.p) * ms_per_day +
              PyDateTime_DELTA_GET_SECONDS(offset.p) * 1000LL +
              PyDateTime_DELTA_GET_MICROSECONDS(offset.p) / 1000;
      out.i = ms;
      return true;
    }
    default:
      PyErr_Format(PyExc_TypeError, "not supported yet: %s results of Python functions",
                   sql::to_string(t).c_str());
      return false;
  }
}

//! One SQL scalar function instance (one per compiled expression: per operator subtask)
//! calling Python. `factory()` gives this instance its own function object (a copy of a
//! ScalarFunction, opened) with `eval` and, maybe, `close`.
class python_scalar_function final : public sql::scalar_function {
public:
  python_scalar_function(std::shared_ptr<PyObject> factory, std::string name,
                         std::vector<logical_type> parameters, logical_type result)
      : factory_(std::move(factory)), name_(std::move(name)), parameters_(std::move(parameters)),
        result_(std::move(result)) {}

  ~python_scalar_function() override {
    if (!eval_ || !python_alive())
      return;
    gil_hold gil;
    if (close_ && close_ != Py_None) {
      owned r(PyObject_CallNoArgs(close_));
      if (!r.p)
        PyErr_Clear(); // nothing left to report it to
    }
    Py_XDECREF(close_);
    Py_XDECREF(eval_);
  }

  void eval(const sql::value* args, sql::value& out) override {
    gil_hold gil;
    if (!eval_)
      open();
    owned call_args(PyTuple_New(static_cast<Py_ssize_t>(parameters_.size())));
    if (!call_args.p)
      throw_python_error(where());
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      PyObject* a = to_python(args[i], parameters_[i]);
      if (!a)
        throw_python_error(where());
      PyTuple_SET_ITEM(call_args.p, static_cast<Py_ssize_t>(i), a);
    }
    owned r(PyObject_Call(eval_, call_args.p, nullptr));
    if (!r.p || !from_python(r.p, result_, out, scratch_))
      throw_python_error(where());
  }

private:
  std::string where() const { return "Python function '" + name_ + "'"; }
  void open() {
    owned made(PyObject_CallNoArgs(factory_.get()));
    if (!made.p)
      throw_python_error(where() + " could not be opened");
    eval_ = PyObject_GetAttrString(made.p, "eval");
    if (!eval_)
      throw_python_error(where());
    close_ = PyObject_GetAttrString(made.p, "close");
    if (!close_)
      PyErr_Clear();
  }

  std::shared_ptr<PyObject> factory_;
  std::string name_;
  std::vector<logical_type> parameters_;
  logical_type result_;
  PyObject* eval_ = nullptr;
  PyObject* close_ = nullptr;
  std::string scratch_;
};

std::shared_ptr<PyObject> share(nb::handle h) {
  Py_INCREF(h.ptr());
  return std::shared_ptr<PyObject>(h.ptr(), [](PyObject* o) {
    if (!python_alive())
      return;
    gil_hold gil;
    Py_DECREF(o);
  });
}

logical_type parse_type(const std::string& text, const char* what) {
  try {
    return sql::from_ast(sql::parse_data_type(text));
  } catch (const sql::sql_error& e) {
    throw error(errc::invalid_argument, std::string(what) + " '" + text + "': " + e.what());
  }
}

sql::function_definition typed_definition(const std::string& class_name, const std::string& name,
                                          std::shared_ptr<PyObject> factory,
                                          std::vector<logical_type> parameters, logical_type result,
                                          bool deterministic) {
  for (auto& p : parameters)
    require_convertible(p, "arguments");
  require_convertible(result, "results");
  sql::function_definition d;
  d.class_name = class_name;
  d.parameters = parameters;
  d.accepts_null.assign(parameters.size(), true); // a Python function sees None
  d.result = result;
  d.deterministic = deterministic;
  d.make = [factory, name, parameters, result]() -> std::unique_ptr<sql::scalar_function> {
    return std::make_unique<python_scalar_function>(factory, name, parameters, result);
  };
  return d;
}

//! Registers the Python function `name` as SQL function class `class_name`: with
//! `parameter_types` (SQL type strings) when given, else typed by each call's arguments.
void register_python_function(const std::string& class_name, const std::string& name,
                              nb::object factory, std::optional<std::vector<std::string>> types,
                              const std::string& result_type, bool deterministic) {
  auto result = parse_type(result_type, "result type");
  auto made = share(factory);
  if (types) {
    std::vector<logical_type> parameters;
    for (auto& t : *types)
      parameters.push_back(parse_type(t, "input type"));
    sql::register_function(
        typed_definition(class_name, name, made, std::move(parameters), result, deterministic));
    return;
  }
  sql::function_definition generic;
  generic.class_name = class_name;
  generic.result = result;
  generic.deterministic = deterministic;
  generic.make = []() -> std::unique_ptr<sql::scalar_function> {
    throw error(errc::invalid_argument, "a Python function without input types is typed at "
                                        "each call");
  };
  generic.specialize = [class_name, name, made, result,
                        deterministic](const std::vector<logical_type>& args) {
    std::string typed = class_name + "(";
    std::vector<logical_type> parameters;
    for (std::size_t i = 0; i < args.size(); ++i) {
      // An untyped NULL literal reaches Python as None: any nullable type carries it.
      logical_type p =
          args[i].kind == logical_kind::null ? sql::make_varchar() : args[i].with_nullable(true);
      typed += (i ? ", " : "") + sql::to_string(p);
      parameters.push_back(std::move(p));
    }
    typed += ")";
    return typed_definition(typed, name, made, std::move(parameters), result, deterministic);
  };
  sql::register_function(std::move(generic));
}

//! The value of type `t` at `slot` of a query row as a Python value (a nested ROW as a tuple,
//! collections and intervals as their printed text).
PyObject* slot_to_python(const sql::row& r, const sql::row_layout& layout, std::size_t slot,
                         const logical_type& t) {
  if (r.is_null(slot))
    Py_RETURN_NONE;
  if (t.kind == logical_kind::row) {
    // The fields' slots follow the row's own.
    owned tuple(PyTuple_New(static_cast<Py_ssize_t>(t.fields.size())));
    if (!tuple.p)
      return nullptr;
    std::size_t at = slot + 1;
    for (std::size_t f = 0; f < t.fields.size(); ++f) {
      PyObject* v = slot_to_python(r, layout, at, t.fields[f].type);
      if (!v)
        return nullptr;
      PyTuple_SET_ITEM(tuple.p, static_cast<Py_ssize_t>(f), v);
      at += sql::slot_width(t.fields[f].type);
    }
    return tuple.release();
  }
  if (!convertible(t)) {
    std::string text;
    sql::append_value(text, r, slot, layout);
    return PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
  }
  sql::value v;
  v.null = false;
  switch (layout.kinds[slot]) {
    case sql::slot_kind::floating:
      v.d = r.get_double(slot);
      break;
    case sql::slot_kind::string:
      v.s = r.get_string(slot);
      break;
    default:
      v.i = r.get_long(slot);
  }
  return to_python(v, t);
}

//! What execute_sql returned, for Python's TableResult.
class result_handle {
public:
  explicit result_handle(sql::table_result r)
      : r_(std::make_shared<sql::table_result>(std::move(r))) {}
  ~result_handle() { drop_without_gil(r_); }
  result_handle(const result_handle&) = default;
  result_handle& operator=(const result_handle&) = default;

  std::string kind() const {
    switch (r_->type) {
      case sql::table_result::kind::ok:
        return "ok";
      case sql::table_result::kind::table:
        return "table";
      default:
        return "job";
    }
  }
  std::string job_id() const { return r_->job ? r_->job->job_id() : std::string(); }

  //! The column names: a SHOW's, or a query's.
  std::vector<std::string> columns() const {
    if (r_->query) {
      std::lock_guard<std::mutex> lock(r_->query->mu);
      return r_->query->names;
    }
    return r_->columns;
  }
  std::vector<std::vector<std::string>> table_rows() const { return r_->rows; }

  //! Waits up to `ms` for the job; true when it has ended (or there is none).
  bool wait_for(int ms) {
    if (!r_->job)
      return true;
    nb::gil_scoped_release nogil;
    return r_->job->wait_for(std::chrono::milliseconds(ms));
  }
  void cancel() {
    if (!r_->job)
      return;
    nb::gil_scoped_release nogil;
    r_->job->cancel();
    r_->job->wait();
  }
  //! (status, failure cause) once ended.
  std::pair<std::string, std::string> status() const {
    if (!r_->job)
      return {"FINISHED", ""};
    return {to_string(r_->job->status()), r_->job->failure_cause()};
  }

  //! The query's rows from `from` on: (kind "+I"/"-U"/"+U"/"-D", values) each; `as_text`
  //! gives each value as Flink's print connector writes it.
  nb::list rows(std::size_t from, bool as_text) {
    nb::list out;
    if (!r_->query)
      return out;
    std::vector<sql::row> taken;
    std::shared_ptr<const sql::row_layout> layout;
    {
      std::lock_guard<std::mutex> lock(r_->query->mu);
      auto& all = r_->query->rows;
      if (from < all.size())
        taken.assign(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
      layout = std::make_shared<const sql::row_layout>(r_->query->layout);
    }
    for (const sql::row& r : taken) {
      owned values(PyTuple_New(static_cast<Py_ssize_t>(layout->columns.size())));
      for (std::size_t c = 0; c < layout->columns.size(); ++c) {
        PyObject* v;
        if (as_text) {
          std::string text;
          sql::append_value(text, r, layout->first[c], *layout);
          v = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
        } else {
          v = slot_to_python(r, *layout, layout->first[c], layout->columns[c]);
        }
        if (!v)
          throw nb::python_error();
        PyTuple_SET_ITEM(values.p, static_cast<Py_ssize_t>(c), v);
      }
      out.append(nb::make_tuple(sql::short_string(r.kind()), nb::steal(values.release())));
    }
    return out;
  }

private:
  std::shared_ptr<sql::table_result> r_;
};

class table_env_handle {
public:
  explicit table_env_handle(const std::vector<std::pair<std::string, std::string>>& options) {
    t_ = std::make_unique<sql::table_environment>(config_from(options));
  }
  result_handle execute_sql(const std::string& sql) {
    nb::gil_scoped_release nogil; // planning opens connectors; jobs call Python functions
    return result_handle(t_->execute_sql(sql));
  }
  void set(const std::string& k, const std::string& v) { t_->config().set(k, v); }
  std::string get(const std::string& k, const std::string& fallback) const {
    return t_->config().get_string(k, fallback);
  }

private:
  std::unique_ptr<sql::table_environment> t_;
};

} // namespace

void add_table_api(nb::module_& m) {
  PyDateTime_IMPORT;
  if (PyDateTimeAPI == nullptr)
    throw nb::python_error();
  decimal_type = nb::object(nb::module_::import_("decimal").attr("Decimal")).release().ptr();

  m.def("_register_function", &register_python_function, nb::arg("class_name"), nb::arg("name"),
        nb::arg("factory"), nb::arg("input_types").none(), nb::arg("result_type"),
        nb::arg("deterministic"));

  nb::class_<result_handle>(m, "_TableResult")
      .def("kind", &result_handle::kind)
      .def("job_id", &result_handle::job_id)
      .def("columns", &result_handle::columns)
      .def("table_rows", &result_handle::table_rows)
      .def("wait_for", &result_handle::wait_for)
      .def("cancel", &result_handle::cancel)
      .def("status", &result_handle::status)
      .def("rows", &result_handle::rows);

  nb::class_<table_env_handle>(m, "_TableEnvironment")
      .def(nb::init<const std::vector<std::pair<std::string, std::string>>&>())
      .def("execute_sql", &table_env_handle::execute_sql)
      .def("set", &table_env_handle::set)
      .def("get", &table_env_handle::get);
}

} // namespace spate::python
