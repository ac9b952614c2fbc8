// stream<T> and keyed_stream<K, T>: Flink's DataStream and KeyedStream.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "spate/api/builtin.hpp"
#include "spate/api/detail/join_operators.hpp"
#include "spate/api/detail/operators.hpp"
#include "spate/api/detail/traits.hpp"
#include "spate/api/detail/window_operator.hpp"
#include "spate/api/time.hpp"
#include "spate/api/window.hpp"
#include "spate/api/environment.hpp"
#include "spate/core/error.hpp"

namespace spate {

template <class K, class T, class KeySel = std::function<K(const T&)>>
class keyed_stream;
template <class K, class T, class KeySel>
class windowed_stream;
template <class K, class A, class B, class KA, class KB>
class connected_keyed_streams;
template <class K, class A, class B, class KA, class KB>
class interval_join_builder;
template <class A, class B>
class co_grouped_streams;

//! Settings of the operator a handle stands for (CRTP: returns Derived&).
template <class Derived>
class operator_settings {
public:
  //! Sets the name shown in status and logs.
  Derived& name(std::string n) {
    vertex("name").name = std::move(n);
    return self();
  }
  //! Sets the stable identity used to match state on restore.
  Derived& uid(std::string u) {
    if (u.empty())
      throw error(errc::invalid_argument, "an operator uid must not be empty");
    vertex("uid").uid = std::move(u);
    return self();
  }
  //! Sets this operator's parallelism (overrides the environment default).
  Derived& set_parallelism(int p) {
    if (p < 1)
      throw error(errc::invalid_argument, "parallelism of '" + vertex("parallelism").name +
                                              "' must be at least 1, got " + std::to_string(p));
    vertex("parallelism").parallelism = p;
    return self();
  }
  Derived& set_max_parallelism(int m) {
    if (m < 1 || m > upper_max_parallelism)
      throw error(errc::invalid_argument, "max parallelism of '" + vertex("max parallelism").name +
                                              "' must be within 1.." +
                                              std::to_string(upper_max_parallelism));
    vertex("max parallelism").max_parallelism = m;
    return self();
  }
  //! Keeps this operator out of its input's chain (its own task).
  Derived& disable_chaining() {
    vertex("chaining").chainable = false;
    return self();
  }
  environment& env() const { return *env_; }
  //! The vertex this handle stands for (-1 for a union).
  int vertex_index() const { return vertex_; }

protected:
  operator_settings(environment* env, int vertex) : env_(env), vertex_(vertex) {}
  job_vertex& vertex(const char* what) {
    if (vertex_ < 0)
      throw error(errc::invalid_argument,
                  std::string(what) + " applies to an operator, not to a union of streams");
    return env_->graph().vertex(vertex_id(vertex_));
  }
  Derived& self() { return static_cast<Derived&>(*this); }

  environment* env_;
  int vertex_;
};

namespace detail {

template <class Out>
stream<Out> add_one_input(environment* env, std::string name,
                          std::function<std::unique_ptr<stream_operator>()> make,
                          const std::vector<input_ref>& inputs, bool keyed) {
  job_vertex v;
  v.name = std::move(name);
  v.keyed = keyed;
  v.make_operator = std::move(make);
  return stream<Out>(env, env->add_operator(std::move(v), inputs));
}

} // namespace detail

template <class T>
class stream : public operator_settings<stream<T>> {
  using base = operator_settings<stream<T>>;

public:
  using value_type = T;

  //! The main output of vertex `v`.
  stream(environment* env, vertex_id v) : base(env, v.value()) {
    inputs_.push_back(
        {v, {}, partitioning::automatic, make_writer_factory<T>(), make_batch_factory<T>()});
  }
  //! A union or repartitioned view of several outputs.
  stream(environment* env, std::vector<detail::input_ref> inputs, int vertex = -1)
      : base(env, vertex), inputs_(std::move(inputs)) {}

  //! One output record per input record: `f(T) -> R`.
  template <class F>
  auto map(F f) {
    using Out = std::decay_t<std::invoke_result_t<F&, T&&>>;
    return detail::add_one_input<Out>(
        this->env_, "Map", [f] { return std::make_unique<detail::map_operator<T, Out, F>>(f); },
        inputs_, false);
  }

  //! Keeps the records for which `f(const T&)` is true.
  template <class F>
  stream<T> filter(F f) {
    return detail::add_one_input<T>(
        this->env_, "Filter", [f] { return std::make_unique<detail::filter_operator<T, F>>(f); },
        inputs_, false);
  }

  //! Zero or more records per input: `f(const T&, collector<R>&)`.
  template <class F>
  auto flat_map(F f) {
    using Out = typename detail::inner_type<detail::arg_t<F, 1>>::type;
    return detail::add_one_input<Out>(
        this->env_, "Flat Map",
        [f] { return std::make_unique<detail::flat_map_operator<T, Out, F>>(f); }, inputs_, false);
  }

  //! A process_function<T, R> subclass, or a lambda
  //! `(const T&, process_context<R>&)`; may emit to side outputs.
  template <class F>
  auto process(F f) {
    using Out = typename out_of_process<F>::type;
    return detail::add_one_input<Out>(
        this->env_, "Process",
        [f] { return std::make_unique<detail::process_operator<T, Out, F>>(f); }, inputs_, false);
  }

  //! Sets event timestamps and emits watermarks (Flink's
  //! assignTimestampsAndWatermarks); chained to its input.
  stream<T> assign_timestamps_and_watermarks(watermark_strategy<T> strategy) {
    return detail::add_one_input<T>(
        this->env_, "Timestamps/Watermarks",
        [strategy] {
          return std::make_unique<detail::timestamps_watermarks_operator<T>>(strategy);
        },
        inputs_, false);
  }

  //! Partitions by key: records with equal keys reach the same subtask.
  template <class F>
  auto key_by(F f) {
    using K = std::decay_t<std::invoke_result_t<F&, const T&>>;
    std::vector<detail::input_ref> ins = inputs_;
    for (auto& in : ins) {
      in.part = partitioning::hash;
      in.writer = make_hash_writer_factory<T>(f);
    }
    return keyed_stream<K, T, F>(this->env_, std::move(ins), f);
  }

  //! The records of this stream and of `others` (same type) in one stream.
  template <class... Others>
  stream<T> union_with(const Others&... others) {
    std::vector<detail::input_ref> ins = inputs_;
    (ins.insert(ins.end(), others.inputs().begin(), others.inputs().end()), ...);
    return stream<T>(this->env_, std::move(ins));
  }

  //! A window join with `other` (Flink's DataStream.join):
  //! `a.join(b).where(ka).equal_to(kb).window(assigner).apply(f)`.
  template <class B>
  co_grouped_streams<T, B> join(const stream<B>& other) const {
    return co_grouped_streams<T, B>(this->env_, inputs_, other.inputs(), true);
  }
  //! A window co-group with `other` (Flink's DataStream.coGroup): every key
  //! and window once, with the records of both sides.
  template <class B>
  co_grouped_streams<T, B> co_group(const stream<B>& other) const {
    return co_grouped_streams<T, B>(this->env_, inputs_, other.inputs(), false);
  }

  //! Round-robin to the next operator's subtasks.
  stream<T> rebalance() const { return repartition(partitioning::rebalance); }
  //! Every record to every subtask of the next operator.
  stream<T> broadcast() const { return repartition(partitioning::broadcast); }
  //! Subtask i to subtask i (needs equal parallelism).
  stream<T> forward() const { return repartition(partitioning::forward); }

  //! The records this operator emitted to side output `tag`.
  template <class X>
  stream<X> side_output(const output_tag<X>& tag) {
    auto& v = this->vertex("side_output");
    return stream<X>(this->env_, {{v.id, tag.id, partitioning::automatic, make_writer_factory<X>(),
                                   make_batch_factory<X>()}});
  }

  //! Adds a sink; returns a handle to name it or set its parallelism.
  class sink_handle : public operator_settings<sink_handle> {
  public:
    sink_handle(environment* env, int v) : operator_settings<sink_handle>(env, v) {}
  };
  sink_handle add_sink(sink_spec<T> spec) {
    job_vertex v;
    v.name = "Sink: " + spec.name;
    v.single_instance = spec.single_instance;
    auto factory = spec.factory;
    v.make_operator = [factory] { return std::make_unique<detail::sink_operator<T>>(factory()); };
    auto id = this->env_->add_operator(std::move(v), inputs_);
    return sink_handle(this->env_, id.value());
  }

  const std::vector<detail::input_ref>& inputs() const { return inputs_; }

private:
  template <class F, class = void>
  struct out_of_process {
    using type = typename detail::inner_type<detail::arg_t<F, 1>>::type;
  };
  template <class F>
  struct out_of_process<F, std::enable_if_t<detail::has_process_element<F>::value>> {
    using type = typename F::output_type;
  };

  stream<T> repartition(partitioning p) const {
    std::vector<detail::input_ref> ins = inputs_;
    for (auto& in : ins) {
      in.part = p;
      in.writer = make_writer_factory<T>();
    }
    return stream<T>(this->env_, std::move(ins));
  }

  std::vector<detail::input_ref> inputs_;
};

template <class K, class T, class KeySel>
class keyed_stream {
public:
  using key_type = K;
  using value_type = T;

  keyed_stream(environment* env, std::vector<detail::input_ref> inputs, KeySel key)
      : env_(env), inputs_(std::move(inputs)), key_(std::move(key)) {}

  //! Running reduce per key: `f(const T& acc, T value) -> T`; emits every
  //! updated value (Flink's KeyedStream.reduce).
  template <class F>
  stream<T> reduce(F f, std::string name = "Keyed Reduce") {
    auto key = key_;
    return detail::add_one_input<T>(
        env_, std::move(name),
        [key, f] { return std::make_unique<detail::reduce_operator<K, T, KeySel, F>>(key, f); },
        inputs_, true);
  }

  //! Running sum of a field: a member pointer (`&T::count`) or a projection
  //! returning a reference. Other fields keep the first record's values.
  template <class P>
  stream<T> sum(P field) {
    return reduce(
        [field](const T& acc, T v) {
          T out = acc;
          std::invoke(field, out) += std::invoke(field, v);
          return out;
        },
        "Keyed Aggregation");
  }
  //! Running sum of the records themselves (T arithmetic).
  stream<T> sum() {
    return reduce([](const T& acc, T v) { return static_cast<T>(acc + v); }, "Keyed Aggregation");
  }
  //! Running minimum of a field; other fields keep the first record's values.
  template <class P>
  stream<T> min(P field) {
    return extreme(field, [](const auto& a, const auto& b) { return b < a; });
  }
  //! Running maximum of a field; other fields keep the first record's values.
  template <class P>
  stream<T> max(P field) {
    return extreme(field, [](const auto& a, const auto& b) { return a < b; });
  }
  //! The whole record with the smallest field (the first one on ties).
  template <class P>
  stream<T> min_by(P field) {
    return reduce(
        [field](const T& acc, T v) {
          return std::invoke(field, v) < std::invoke(field, acc) ? std::move(v) : acc;
        },
        "Keyed Aggregation");
  }
  //! The whole record with the largest field (the first one on ties).
  template <class P>
  stream<T> max_by(P field) {
    return reduce(
        [field](const T& acc, T v) {
          return std::invoke(field, acc) < std::invoke(field, v) ? std::move(v) : acc;
        },
        "Keyed Aggregation");
  }

  //! Groups records per key into windows (tumbling_event_time_windows::of(...),
  //! sliding_..., ..._session_windows::with_gap(...)).
  windowed_stream<K, T, KeySel> window(window_assigner assigner) {
    return windowed_stream<K, T, KeySel>(env_, inputs_, key_, assigner);
  }

  //! A keyed_process_function<K, T, R> subclass, or a lambda
  //! `(const T&, keyed_process_context<K, R>&)`, with keyed state.
  template <class F>
  auto process(F f) {
    using Out = typename out_of_process<F>::type;
    auto key = key_;
    return detail::add_one_input<Out>(
        env_, "Keyed Process",
        [key, f] {
          return std::make_unique<detail::keyed_process_operator<K, T, Out, KeySel, F>>(key, f);
        },
        inputs_, true);
  }

  //! Both streams, keyed alike, into one keyed_co_process_function (Flink's
  //! KeyedStream.connect(...).process(...)).
  template <class B, class KB>
  connected_keyed_streams<K, T, B, KeySel, KB> connect(const keyed_stream<K, B, KB>& other) const {
    return connected_keyed_streams<K, T, B, KeySel, KB>(env_, inputs_, other.inputs(), key_,
                                                        other.key_selector());
  }
  //! Joins each record of this stream with the records of `other` whose
  //! timestamps lie within bounds of its own (Flink's intervalJoin).
  template <class B, class KB>
  interval_join_builder<K, T, B, KeySel, KB>
  interval_join(const keyed_stream<K, B, KB>& other) const {
    return interval_join_builder<K, T, B, KeySel, KB>(env_, inputs_, other.inputs(), key_,
                                                      other.key_selector());
  }

  const std::vector<detail::input_ref>& inputs() const { return inputs_; }
  const KeySel& key_selector() const { return key_; }

private:
  //! Replaces the field when `better(current, candidate)`.
  template <class P, class Better>
  stream<T> extreme(P field, Better better) {
    return reduce(
        [field, better](const T& acc, T v) {
          T out = acc;
          auto& f = std::invoke(field, out);
          if (better(f, std::invoke(field, v)))
            f = std::invoke(field, v);
          return out;
        },
        "Keyed Aggregation");
  }

  template <class F, class = void>
  struct out_of_process {
    using type = typename detail::inner_type<detail::arg_t<F, 1>>::type;
  };
  template <class F>
  struct out_of_process<F, std::enable_if_t<detail::has_process_element<F>::value>> {
    using type = typename F::output_type;
  };

  environment* env_;
  std::vector<detail::input_ref> inputs_;
  KeySel key_;
};

template <class K, class T, class KeySel>
class windowed_stream {
public:
  windowed_stream(environment* env, std::vector<detail::input_ref> inputs, KeySel key,
                  window_assigner assigner)
      : env_(env), inputs_(std::move(inputs)), key_(std::move(key)), assigner_(assigner) {}

  //! Keeps window state until end - 1 + `lateness`; late records within it
  //! fire the window again with the updated result (event time only).
  windowed_stream& allowed_lateness(std::chrono::milliseconds lateness) {
    if (lateness.count() < 0)
      throw error(errc::invalid_argument, "allowed lateness must not be negative");
    if (!assigner_.event_time && lateness.count() > 0)
      throw error(errc::invalid_argument, "allowed lateness applies to event-time windows only");
    lateness_ = lateness.count();
    return *this;
  }
  //! Sends records too late for any window to side output `tag` instead of
  //! dropping them (and counting numLateRecordsDropped).
  windowed_stream& side_output_late_data(const output_tag<T>& tag) {
    late_tag_ = tag.id;
    return *this;
  }

  //! One value per key and window, reduced as records arrive: `f(acc, value)`.
  template <class F>
  stream<T> reduce(F f) {
    return build<T>("reduce", detail::reduce_contents<T, F>{f, nullptr},
                    detail::pass_through_window_fn{});
  }
  //! Reduce, then `fn(key, window, {reduced}, collector<Out>&)` when it fires.
  template <class F, class W>
  auto reduce(F f, W fn) {
    using Out = typename detail::inner_type<detail::arg_t<W, 3>>::type;
    return build<Out>("reduce", detail::reduce_contents<T, F>{f, nullptr}, fn);
  }
  //! An aggregate function (create_accumulator, add, get_result, merge) per
  //! key and window; emits get_result when the window fires.
  template <class A>
  auto aggregate(A agg) {
    using Out = typename A::result_type;
    return build<Out>("aggregate", detail::aggregate_contents<T, A>{agg, nullptr},
                      detail::pass_through_window_fn{});
  }
  //! Aggregate, then `fn(key, window, {result}, collector<Out>&)`.
  template <class A, class W>
  auto aggregate(A agg, W fn) {
    using Out = typename detail::inner_type<detail::arg_t<W, 3>>::type;
    return build<Out>("aggregate", detail::aggregate_contents<T, A>{agg, nullptr}, fn);
  }
  //! Every element of the window: `fn(key, window, elements, collector<Out>&)`.
  template <class W>
  auto process(W fn) {
    using Out = typename detail::inner_type<detail::arg_t<W, 3>>::type;
    return build<Out>("process", detail::list_contents<T>{}, fn);
  }

private:
  template <class Out, class C, class W>
  stream<Out> build(const char* fn_name, C contents, W fn) {
    auto key = key_;
    auto assigner = assigner_;
    auto lateness = lateness_;
    auto late_tag = late_tag_;
    return detail::add_one_input<Out>(
        env_, "Window(" + assigner_.name() + ", " + fn_name + ")",
        [=] {
          return std::make_unique<detail::window_operator<K, T, Out, KeySel, C, W>>(
              key, assigner, lateness, late_tag, contents, fn);
        },
        inputs_, true);
  }

  environment* env_;
  std::vector<detail::input_ref> inputs_;
  KeySel key_;
  window_assigner assigner_;
  std::int64_t lateness_ = 0;
  std::optional<std::string> late_tag_;
};

//! Two keyed streams with one key type (keyed_stream::connect).
template <class K, class A, class B, class KA, class KB>
class connected_keyed_streams {
public:
  connected_keyed_streams(environment* env, std::vector<detail::input_ref> a,
                          std::vector<detail::input_ref> b, KA ka, KB kb)
      : env_(env), a_(std::move(a)), b_(std::move(b)), ka_(std::move(ka)), kb_(std::move(kb)) {}

  //! A keyed_co_process_function<K, A, B, Out> subclass: process_element1 for
  //! the first stream, process_element2 for the second, on_timer, keyed state.
  template <class F>
  stream<typename F::output_type> process(F f) {
    using Out = typename F::output_type;
    static_assert(std::is_base_of_v<keyed_co_process_function<K, A, B, Out>, F>,
                  "process() takes a keyed_co_process_function<K, A, B, Out> subclass");
    auto ka = ka_;
    auto kb = kb_;
    job_vertex v;
    v.name = "Keyed Co-Process";
    v.keyed = true;
    v.make_operator = [ka, kb, f] {
      return std::make_unique<detail::keyed_co_process_operator<K, A, B, Out, KA, KB, F>>(ka, kb,
                                                                                          f);
    };
    return stream<Out>(env_, env_->add_two_input_operator(std::move(v), a_, b_));
  }

private:
  environment* env_;
  std::vector<detail::input_ref> a_, b_;
  KA ka_;
  KB kb_;
};

//! keyed_stream::interval_join: set the bounds, then process.
template <class K, class A, class B, class KA, class KB>
class interval_join_builder {
public:
  interval_join_builder(environment* env, std::vector<detail::input_ref> a,
                        std::vector<detail::input_ref> b, KA ka, KB kb)
      : env_(env), a_(std::move(a)), b_(std::move(b)), ka_(std::move(ka)), kb_(std::move(kb)) {}

  //! A left record at t meets right records at r with t + lower <= r <= t + upper.
  interval_join_builder& between(std::chrono::milliseconds lower, std::chrono::milliseconds upper) {
    if (lower > upper)
      throw error(errc::invalid_argument,
                  "interval join: the lower bound (" + std::to_string(lower.count()) +
                      " ms) is above the upper bound (" + std::to_string(upper.count()) + " ms)");
    lower_ = lower.count();
    upper_ = upper.count();
    bounds_set_ = true;
    return *this;
  }
  //! Excludes r == t + lower.
  interval_join_builder& lower_bound_exclusive() {
    lower_exclusive_ = true;
    return *this;
  }
  //! Excludes r == t + upper.
  interval_join_builder& upper_bound_exclusive() {
    upper_exclusive_ = true;
    return *this;
  }

  //! `f(const A&, const B&, collector<Out>&)` per matching pair; the result
  //! carries the larger of the two timestamps.
  template <class F>
  auto process(F f) {
    using Out = typename detail::inner_type<detail::arg_t<F, 2>>::type;
    if (!bounds_set_)
      throw error(errc::invalid_argument, "interval join: call between(lower, upper) first");
    std::int64_t lower = lower_ + (lower_exclusive_ ? 1 : 0);
    std::int64_t upper = upper_ - (upper_exclusive_ ? 1 : 0);
    if (lower > upper)
      throw error(errc::invalid_argument, "interval join: the exclusive bounds leave no interval");
    auto ka = ka_;
    auto kb = kb_;
    job_vertex v;
    v.name = "Interval Join";
    v.keyed = true;
    v.make_operator = [ka, kb, lower, upper, f] {
      return std::make_unique<detail::interval_join_operator<K, A, B, Out, KA, KB, F>>(
          ka, kb, lower, upper, f);
    };
    return stream<Out>(env_, env_->add_two_input_operator(std::move(v), a_, b_));
  }

private:
  environment* env_;
  std::vector<detail::input_ref> a_, b_;
  KA ka_;
  KB kb_;
  std::int64_t lower_ = 0;
  std::int64_t upper_ = 0;
  bool bounds_set_ = false;
  bool lower_exclusive_ = false;
  bool upper_exclusive_ = false;
};

//! stream::join / stream::co_group: where(ka).equal_to(kb).window(w).apply(f).
template <class A, class B>
class co_grouped_streams {
public:
  co_grouped_streams(environment* env, std::vector<detail::input_ref> a,
                     std::vector<detail::input_ref> b, bool join)
      : env_(env), a_(std::move(a)), b_(std::move(b)), join_(join) {}

  template <class KA>
  class where_clause {
  public:
    where_clause(co_grouped_streams parent, KA ka) : p_(std::move(parent)), ka_(std::move(ka)) {}
    template <class KB>
    class equal_to_clause {
      using K = std::decay_t<std::invoke_result_t<KA&, const A&>>;
      static_assert(std::is_same_v<K, std::decay_t<std::invoke_result_t<KB&, const B&>>>,
                    "where() and equal_to() must select keys of one type");

    public:
      equal_to_clause(co_grouped_streams parent, KA ka, KB kb)
          : p_(std::move(parent)), ka_(std::move(ka)), kb_(std::move(kb)) {}
      //! Non-merging windows (tumbling or sliding, event or processing time).
      equal_to_clause& window(window_assigner w) {
        if (w.is_merging())
          throw error(errc::invalid_argument,
                      "window joins take tumbling or sliding windows, not session windows");
        assigner_ = w;
        return *this;
      }
      //! A join: `f(const A&, const B&) -> Out` per pair of one key and
      //! window. A co-group: `f(key, window, const vector<A>&, const
      //! vector<B>&, collector<Out>&)` per key and window.
      template <class F>
      auto apply(F f) {
        if (!assigner_)
          throw error(errc::invalid_argument, "call window(...) before apply(...)");
        if constexpr (std::is_invocable_v<F&, const A&, const B&>) {
          using Out = std::decay_t<std::invoke_result_t<F&, const A&, const B&>>;
          if (!p_.join_)
            throw error(errc::invalid_argument,
                        "co_group(...).apply takes (key, window, lefts, rights, collector)");
          auto pairs = [f](const K&, const time_window&, const std::vector<A>& as,
                           const std::vector<B>& bs, collector<Out>& out) mutable {
            for (const auto& a : as)
              for (const auto& b : bs)
                out.collect(f(a, b));
          };
          return build<Out>("Window Join", pairs);
        } else {
          using Out = typename detail::inner_type<detail::arg_t<F, 4>>::type;
          if (p_.join_)
            throw error(errc::invalid_argument, "join(...).apply takes (const A&, const B&)");
          return build<Out>("Window CoGroup", f);
        }
      }

    private:
      template <class Out, class F>
      stream<Out> build(const char* what, F f) {
        auto ka = ka_;
        auto kb = kb_;
        auto assigner = *assigner_;
        job_vertex v;
        v.name = std::string(what) + "(" + assigner.name() + ")";
        v.keyed = true;
        v.make_operator = [ka, kb, assigner, f] {
          return std::make_unique<detail::window_co_group_operator<K, A, B, Out, KA, KB, F>>(
              ka, kb, assigner, f);
        };
        std::vector<detail::input_ref> a = p_.a_, b = p_.b_;
        for (auto& in : a) {
          in.part = partitioning::hash;
          in.writer = make_hash_writer_factory<A>(ka_);
        }
        for (auto& in : b) {
          in.part = partitioning::hash;
          in.writer = make_hash_writer_factory<B>(kb_);
        }
        return stream<Out>(p_.env_, p_.env_->add_two_input_operator(std::move(v), a, b));
      }

      co_grouped_streams p_;
      KA ka_;
      KB kb_;
      std::optional<window_assigner> assigner_;
    };
    template <class KB>
    equal_to_clause<KB> equal_to(KB kb) {
      return equal_to_clause<KB>(p_, ka_, std::move(kb));
    }

  private:
    co_grouped_streams p_;
    KA ka_;
  };

  //! The key of the first stream's records.
  template <class KA>
  where_clause<KA> where(KA ka) {
    return where_clause<KA>(*this, std::move(ka));
  }

private:
  environment* env_;
  std::vector<detail::input_ref> a_, b_;
  bool join_;
};

template <class T>
stream<T> environment::add_source(source_spec<T> spec) {
  job_vertex v;
  v.name = spec.name;
  v.is_source = true;
  v.single_instance = !spec.parallel;
  auto factory = spec.factory;
  v.make_operator = [factory] { return std::make_unique<detail::source_operator<T>>(factory()); };
  return stream<T>(this, add_operator(std::move(v), {}));
}

template <class T>
stream<T> environment::from_collection(std::vector<T> items) {
  return add_source(collection_source(std::move(items)));
}

} // namespace spate
