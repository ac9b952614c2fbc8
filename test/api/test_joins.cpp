#define BOOST_TEST_MODULE joins
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <tuple>

#include "support/collect.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace std::chrono_literals;

namespace {

//! A record of either side: key, event time, a unique id.
struct rec {
  std::int64_t key = 0;
  timestamp ts = 0;
  std::int64_t id = 0;
  SPATE_FIELDS(key, ts, id);
};
using pair_out = std::tuple<std::int64_t, std::int64_t, timestamp>; // (left id, right id, ts)

//! Records with increasing timestamps (gaps 0..3 ms), random keys in [0, keys).
std::vector<rec> make_side(std::mt19937& rng, int n, int keys, std::int64_t first_id) {
  std::vector<rec> out;
  timestamp ts = 0;
  for (int i = 0; i < n; ++i) {
    ts += static_cast<timestamp>(rng() % 4);
    out.push_back({static_cast<std::int64_t>(rng() % keys), ts, first_id + i});
  }
  return out;
}

stream<rec> timed(environment& env, std::vector<rec> items) {
  return env.from_collection(std::move(items))
      .assign_timestamps_and_watermarks(
          watermark_strategy<rec>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const rec& r) { return r.ts; }))
      .rebalance()
      .map([](rec r) { return r; });
}

auto key_of = [](const rec& r) { return r.key; };

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

//! Keeps, per key, the last left record and joins every right record with it.
struct latest_left_join final : keyed_co_process_function<std::int64_t, rec, rec, pair_out> {
  value_state<rec>* last_ = nullptr;
  list_state<rec>* waiting_ = nullptr;
  void open(runtime_context& rc) override {
    last_ = &rc.state->get_value_state(value_state_descriptor<rec>{"last-left"});
    waiting_ = &rc.state->get_list_state(list_state_descriptor<rec>{"waiting-right"});
  }
  void process_element1(const rec& l, context& ctx) override {
    last_->update(l);
    for (const auto& r : waiting_->get())
      ctx.output({l.id, r.id, ctx.record_timestamp()});
    waiting_->clear();
  }
  void process_element2(const rec& r, context& ctx) override {
    if (const rec* l = last_->get())
      ctx.output({l->id, r.id, ctx.record_timestamp()});
    else
      waiting_->add(r);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(window_join_equals_the_pairs_of_each_key_and_window) {
  const auto seed = spate::test::test_seed("window_join_equals_the_pairs_of_each_key_and_window");
  std::mt19937 rng(seed);
  for (int parallelism : {1, 3}) {
    auto left = make_side(rng, 400, 7, 0);
    auto right = make_side(rng, 300, 7, 100000);
    test::temp_dir dir;
    environment env(test::test_config(dir.path.string(), parallelism));
    auto out = std::make_shared<test::collected<pair_out>>();
    timed(env, left)
        .join(timed(env, right))
        .where(key_of)
        .equal_to(key_of)
        .window(tumbling_event_time_windows::of(25ms))
        .apply([](const rec& l, const rec& r) {
          return pair_out{l.id, r.id, 0};
        })
        .map([](pair_out p) { return p; })
        .add_sink(test::collect_into(out));
    BOOST_REQUIRE(env.execute("window join").status == job_status::finished);

    std::vector<pair_out> expected;
    for (const auto& l : left)
      for (const auto& r : right)
        if (l.key == r.key && l.ts / 25 == r.ts / 25)
          expected.emplace_back(l.id, r.id, 0);
    BOOST_TEST(!expected.empty());
    BOOST_TEST(sorted(out->snapshot()) == sorted(expected),
               "seed " << seed << " parallelism " << parallelism);
  }
}

BOOST_AUTO_TEST_CASE(co_group_sees_every_key_and_window_once_with_both_sides) {
  const auto seed =
      spate::test::test_seed("co_group_sees_every_key_and_window_once_with_both_sides");
  std::mt19937 rng(seed);
  auto left = make_side(rng, 300, 5, 0);
  auto right = make_side(rng, 200, 5, 100000);
  test::temp_dir dir;
  environment env(test::test_config(dir.path.string(), 2));
  using group = std::tuple<std::int64_t, timestamp, std::size_t, std::size_t, timestamp>;
  auto out = std::make_shared<test::collected<group>>();
  auto cb = [](const std::int64_t& k, const time_window& w, const std::vector<rec>& ls,
               const std::vector<rec>& rs, collector<group>& c) {
    c.collect({k, w.start, ls.size(), rs.size(), 0});
  };
  timed(env, left)
      .co_group(timed(env, right))
      .where(key_of)
      .equal_to(key_of)
      .window(sliding_event_time_windows::of(20ms, 10ms))
      .apply(cb)
      .process([](const group& g, process_context<group>& ctx) {
        auto copy = g;
        std::get<4>(copy) = ctx.record_timestamp();
        ctx.output(copy);
      })
      .add_sink(test::collect_into(out));
  BOOST_REQUIRE(env.execute("co-group").status == job_status::finished);

  std::map<std::pair<std::int64_t, timestamp>, std::pair<std::size_t, std::size_t>> ref;
  auto add = [&](const std::vector<rec>& side, bool is_left) {
    for (const auto& r : side)
      for (timestamp start : {r.ts / 10 * 10, r.ts / 10 * 10 - 10}) {
        auto& counts = ref[{r.key, start}];
        (is_left ? counts.first : counts.second)++;
      }
  };
  add(left, true);
  add(right, false);
  std::vector<group> expected;
  for (const auto& [k, counts] : ref)
    expected.emplace_back(k.first, k.second, counts.first, counts.second, k.second + 19);
  BOOST_TEST(sorted(out->snapshot()) == sorted(expected), "seed " << seed);
}

BOOST_AUTO_TEST_CASE(interval_join_equals_a_nested_loop_over_the_bounds) {
  const auto seed = spate::test::test_seed("interval_join_equals_a_nested_loop_over_the_bounds");
  std::mt19937 rng(seed);
  struct bounds {
    std::int64_t lower, upper;
    bool lower_open, upper_open;
  };
  for (auto b : {bounds{-5, 3, false, false}, bounds{2, 9, true, false},
                 bounds{-8, -1, false, true}, bounds{0, 0, false, false}}) {
    auto left = make_side(rng, 300, 6, 0);
    auto right = make_side(rng, 300, 6, 100000);
    test::temp_dir dir;
    environment env(test::test_config(dir.path.string(), 2));
    auto out = std::make_shared<test::collected<pair_out>>();
    auto join = timed(env, left).key_by(key_of).interval_join(timed(env, right).key_by(key_of));
    join.between(std::chrono::milliseconds(b.lower), std::chrono::milliseconds(b.upper));
    if (b.lower_open)
      join.lower_bound_exclusive();
    if (b.upper_open)
      join.upper_bound_exclusive();
    join.process([](const rec& l, const rec& r, collector<pair_out>& c) {
          c.collect({l.id, r.id, 0});
        })
        .process([](const pair_out& p, process_context<pair_out>& ctx) {
          auto copy = p;
          std::get<2>(copy) = ctx.record_timestamp();
          ctx.output(copy);
        })
        .add_sink(test::collect_into(out));
    BOOST_REQUIRE(env.execute("interval join").status == job_status::finished);

    std::vector<pair_out> expected;
    for (const auto& l : left)
      for (const auto& r : right) {
        std::int64_t lo = l.ts + b.lower + (b.lower_open ? 1 : 0);
        std::int64_t hi = l.ts + b.upper - (b.upper_open ? 1 : 0);
        if (l.key == r.key && r.ts >= lo && r.ts <= hi)
          expected.emplace_back(l.id, r.id, std::max(l.ts, r.ts));
      }
    BOOST_TEST(!expected.empty());
    BOOST_TEST(sorted(out->snapshot()) == sorted(expected),
               "seed " << seed << " bounds " << b.lower << ".." << b.upper);
  }
}

BOOST_AUTO_TEST_CASE(keyed_co_process_shares_state_between_the_inputs) {
  // Left records come first in event time; every right record of a key with a
  // left record pairs with the latest left record of its key before it, in
  // processing order. With one left record per key the answer is unique.
  const auto seed = spate::test::test_seed("keyed_co_process_shares_state_between_the_inputs");
  std::mt19937 rng(seed);
  std::vector<rec> left;
  for (int k = 0; k < 20; ++k)
    left.push_back({k, k, k});
  auto right = make_side(rng, 500, 25, 1000); // keys 20..24 have no left record
  test::temp_dir dir;
  environment env(test::test_config(dir.path.string(), 3));
  auto out = std::make_shared<test::collected<pair_out>>();
  timed(env, left)
      .key_by(key_of)
      .connect(timed(env, right).key_by(key_of))
      .process(latest_left_join{})
      .map([](pair_out p) {
        std::get<2>(p) = 0;
        return p;
      })
      .add_sink(test::collect_into(out));
  BOOST_REQUIRE(env.execute("co-process").status == job_status::finished);
  std::vector<pair_out> expected;
  for (const auto& r : right)
    if (r.key < 20)
      expected.emplace_back(r.key, r.id, 0);
  BOOST_TEST(sorted(out->snapshot()) == sorted(expected), "seed " << seed);
}

BOOST_AUTO_TEST_CASE(co_process_timers_fire_per_key_with_event_time) {
  // Each left record sets a timer 10 ms later; the timer emits how many right
  // records of its key came until then.
  struct counting final : keyed_co_process_function<std::int64_t, rec, rec, pair_out> {
    value_state<std::int64_t>* count_ = nullptr;
    void open(runtime_context& rc) override {
      count_ = &rc.state->get_value_state(value_state_descriptor<std::int64_t>{"count"});
    }
    void process_element1(const rec& l, context& ctx) override {
      ctx.timer_service().register_event_time_timer(l.ts + 10);
    }
    void process_element2(const rec&, context&) override {
      count_->update(count_->value().value_or(0) + 1);
    }
    void on_timer(timestamp ts, context& ctx) override {
      ctx.output({ctx.current_key(), count_->value().value_or(0), ts});
    }
  };
  std::vector<rec> left{{1, 0, 0}, {2, 20, 1}};
  std::vector<rec> right{{1, 1, 10}, {1, 5, 11}, {2, 9, 12}, {1, 12, 13}, {2, 25, 14}, {2, 31, 15}};
  test::temp_dir dir;
  environment env(test::test_config(dir.path.string(), 1));
  auto out = std::make_shared<test::collected<pair_out>>();
  timed(env, left)
      .key_by(key_of)
      .connect(timed(env, right).key_by(key_of))
      .process(counting{})
      .add_sink(test::collect_into(out));
  BOOST_REQUIRE(env.execute("co-process timers").status == job_status::finished);
  // Key 1 at 10: right records at 1 and 5 (12 came later in event time, but
  // the watermark of 10 needs the right input past 10, which is the record at
  // 12: it was counted before the timer fired). Key 2 at 30: 9 and 25 (and 31).
  auto got = sorted(out->snapshot());
  BOOST_REQUIRE_EQUAL(got.size(), 2u);
  BOOST_TEST(std::get<0>(got[0]) == 1);
  BOOST_TEST(std::get<2>(got[0]) == 10);
  BOOST_TEST(std::get<1>(got[0]) >= 2);
  BOOST_TEST(std::get<0>(got[1]) == 2);
  BOOST_TEST(std::get<2>(got[1]) == 30);
  BOOST_TEST(std::get<1>(got[1]) >= 2);
}

BOOST_AUTO_TEST_CASE(join_settings_are_checked) {
  environment env;
  auto a = env.from_collection(std::vector<rec>{{1, 1, 1}});
  auto b = env.from_collection(std::vector<rec>{{1, 1, 2}});
  auto where = a.join(b).where(key_of).equal_to(key_of);
  BOOST_CHECK_THROW(where.window(event_time_session_windows::with_gap(10ms)), error);
  BOOST_CHECK_THROW(where.apply([](const rec&, const rec&) { return 1; }), error);
  auto interval = a.key_by(key_of).interval_join(b.key_by(key_of));
  BOOST_CHECK_THROW(interval.between(5ms, 1ms), error);
  BOOST_CHECK_THROW(interval.process([](const rec&, const rec&, collector<int>&) {}), error);
  interval.between(1ms, 1ms).lower_bound_exclusive();
  BOOST_CHECK_THROW(interval.process([](const rec&, const rec&, collector<int>&) {}), error);
}
