// User-defined scalar functions: C++ callables registered under a class name, which
// `CREATE FUNCTION name AS 'class'` makes callable from SQL, as Flink's ScalarFunction classes
// are. The parameter and result types come from the callable's signature:
//
//   spate::sql::register_scalar_function(
//       "com.example.CountChar",
//       [](std::optional<std::string_view> s, std::string_view c) -> std::int64_t { ... });
//   t.execute_sql("CREATE FUNCTION count_char AS 'com.example.CountChar'");
//   t.execute_sql("SELECT count_char(extra, 'c') FROM bid");
//
//   C++ parameter                SQL type       C++ result     SQL type
//   std::int32_t                 INT            std::int32_t   INT NOT NULL
//   std::int64_t                 BIGINT         std::int64_t   BIGINT NOT NULL
//   double / float               DOUBLE / FLOAT double/float   DOUBLE / FLOAT NOT NULL
//   bool                         BOOLEAN        bool           BOOLEAN NOT NULL
//   std::string_view             STRING         std::string    STRING NOT NULL
//   std::optional<T>             nullable T     std::optional  nullable
//
// A NULL argument for a parameter that is not std::optional gives NULL without calling the
// function (so the result is nullable when such an argument can be NULL); a std::optional
// parameter receives std::nullopt. Arguments are widened to the parameter types as for
// INSERT INTO (INT to BIGINT, integers to DOUBLE, CHAR to STRING). Each operator subtask calls
// its own copy of the callable, from one thread: the callable may keep state (a connection, a
// buffer). An exception thrown by it fails the job with its message.
//
// Functions must be registered in every process that plans the SQL (the cluster's processes
// each plan the statements): register them before the statements run, e.g. from a static
// initializer in the binary. spate registers the Nexmark project's UDF
// (com.github.nexmark.flink.udf.CountChar) itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "spate/sql/types.hpp"
#include "spate/sql/value.hpp"

namespace spate::sql {

//! One instance of a function, per compiled expression (per operator subtask).
class scalar_function {
public:
  virtual ~scalar_function() = default;
  //! Computes `out` from `args` (one per parameter, kept as value.hpp describes for the
  //! parameter's type). A string result views memory the instance owns, valid until the next
  //! call.
  virtual void eval(const value* args, value& out) = 0;
};

struct function_definition {
  std::string class_name;
  std::vector<logical_type> parameters;
  //! Per parameter: whether a NULL argument reaches eval (otherwise the result is NULL).
  std::vector<bool> accepts_null;
  logical_type result;
  //! A deterministic function gives the same result for the same arguments: the planner may
  //! move it (filter push-down) or evaluate it once for constants.
  bool deterministic = true;
  std::function<std::unique_ptr<scalar_function>()> make;
  //! A function whose parameter types are those of its arguments (a Python function without
  //! input types): set instead of `parameters`. The analyzer calls it with the arguments'
  //! types at each call site and uses the definition it returns (concrete parameters, its
  //! own class name, registered there), or reports the spate::error it throws.
  std::function<function_definition(const std::vector<logical_type>& arguments)> specialize;
};

//! Registers (or replaces) the function class `def.class_name`. Thread-safe.
void register_function(function_definition def);

//! The function class registered as `class_name`, or null.
std::shared_ptr<const function_definition> find_function_class(const std::string& class_name);

//! The registered class names, sorted.
std::vector<std::string> function_classes();

namespace udf_detail {

template <class T>
struct arg;

template <class T, logical_kind K>
struct integer_arg {
  static constexpr bool optional = false;
  static logical_type type() { return make_type(K, true); }
  static T get(const value& v) { return static_cast<T>(v.i); }
};
template <>
struct arg<std::int32_t> : integer_arg<std::int32_t, logical_kind::int_> {};
template <>
struct arg<std::int64_t> : integer_arg<std::int64_t, logical_kind::bigint> {};
template <>
struct arg<bool> {
  static constexpr bool optional = false;
  static logical_type type() { return make_type(logical_kind::boolean, true); }
  static bool get(const value& v) { return v.i != 0; }
};
template <>
struct arg<double> {
  static constexpr bool optional = false;
  static logical_type type() { return make_type(logical_kind::double_, true); }
  static double get(const value& v) { return v.d; }
};
template <>
struct arg<float> {
  static constexpr bool optional = false;
  static logical_type type() { return make_type(logical_kind::float_, true); }
  static float get(const value& v) { return static_cast<float>(v.d); }
};
template <>
struct arg<std::string_view> {
  static constexpr bool optional = false;
  static logical_type type() { return make_varchar(max_length, true); }
  static std::string_view get(const value& v) { return v.s; }
};
template <class T>
struct arg<std::optional<T>> {
  static constexpr bool optional = true;
  static logical_type type() { return arg<T>::type().with_nullable(true); }
  static std::optional<T> get(const value& v) {
    return v.null ? std::nullopt : std::optional<T>(arg<T>::get(v));
  }
};

template <class T>
struct result;

template <class T, logical_kind K>
struct integer_result {
  static logical_type type() { return make_type(K, true); }
  static void put(T r, value& out, std::string&) {
    out.i = static_cast<std::int64_t>(r);
    out.null = false;
  }
};
template <>
struct result<std::int32_t> : integer_result<std::int32_t, logical_kind::int_> {};
template <>
struct result<std::int64_t> : integer_result<std::int64_t, logical_kind::bigint> {};
template <>
struct result<bool> : integer_result<bool, logical_kind::boolean> {};
template <>
struct result<double> {
  static logical_type type() { return make_type(logical_kind::double_, true); }
  static void put(double r, value& out, std::string&) {
    out.d = r;
    out.null = false;
  }
};
template <>
struct result<float> {
  static logical_type type() { return make_type(logical_kind::float_, true); }
  static void put(float r, value& out, std::string&) {
    out.d = r;
    out.null = false;
  }
};
template <>
struct result<std::string> {
  static logical_type type() { return make_varchar(max_length, true); }
  static void put(std::string r, value& out, std::string& scratch) {
    scratch = std::move(r);
    out.s = scratch;
    out.null = false;
  }
};
template <class T>
struct result<std::optional<T>> {
  static logical_type type() { return result<T>::type().with_nullable(true); }
  static void put(std::optional<T> r, value& out, std::string& scratch) {
    if (r)
      result<T>::put(std::move(*r), out, scratch);
    else
      out.null = true;
  }
};

template <class F>
struct signature : signature<decltype(&F::operator())> {};
template <class R, class... A>
struct signature<R (*)(A...)> {
  using result_type = R;
  using args = std::tuple<std::decay_t<A>...>;
};
template <class C, class R, class... A>
struct signature<R (C::*)(A...)> : signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct signature<R (C::*)(A...) const> : signature<R (*)(A...)> {};

template <class F, class R, class Args>
class callable;

template <class F, class R, class... A>
class callable<F, R, std::tuple<A...>> final : public scalar_function {
public:
  explicit callable(F f) : f_(std::move(f)) {}
  void eval(const value* args, value& out) override {
    call(args, out, std::index_sequence_for<A...>{});
  }

private:
  template <std::size_t... I>
  void call(const value* args, value& out, std::index_sequence<I...>) {
    result<R>::put(f_(arg<A>::get(args[I])...), out, scratch_);
  }
  F f_;
  std::string scratch_;
};

template <class... A>
void describe_args(function_definition& d, std::tuple<A...>*) {
  (d.parameters.push_back(arg<A>::type()), ...);
  (d.accepts_null.push_back(arg<A>::optional), ...);
}

} // namespace udf_detail

//! Registers the callable `f` (a lambda, a function pointer or an object with one
//! operator()) as the function class `class_name`; its signature gives the SQL types (see
//! the table above). Each subtask calls its own copy of `f`.
template <class F>
void register_scalar_function(const std::string& class_name, F f, bool deterministic = true) {
  using sig = udf_detail::signature<std::decay_t<F>>;
  using R = std::decay_t<typename sig::result_type>;
  using args = typename sig::args;
  function_definition d;
  d.class_name = class_name;
  udf_detail::describe_args(d, static_cast<args*>(nullptr));
  d.result = udf_detail::result<R>::type();
  d.deterministic = deterministic;
  d.make = [f]() -> std::unique_ptr<scalar_function> {
    return std::make_unique<udf_detail::callable<std::decay_t<F>, R, args>>(f);
  };
  register_function(std::move(d));
}

} // namespace spate::sql
