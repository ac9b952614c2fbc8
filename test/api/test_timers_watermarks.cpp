#define BOOST_TEST_MODULE timers_watermarks
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <random>
#include <set>
#include <tuple>

#include "spate/api/testing.hpp"
#include "support/collect.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::testing;
using namespace spate::test;
using namespace std::chrono_literals;
using kv = std::pair<std::string, std::int64_t>;

namespace {

configuration per_record() {
  configuration c;
  c.set(options::watermark_interval, "0");
  return c;
}

// Registers an event-time timer at ts + 10 and a processing-time timer at
// value; emits "key:domain:time" when they fire.
struct timer_fn : keyed_process_function<std::string, kv, std::string> {
  void process_element(const kv& v, context& ctx) override {
    ctx.timer_service().register_event_time_timer(ctx.record_timestamp() + 10);
    if (v.second > 0)
      ctx.timer_service().register_processing_time_timer(v.second);
    if (v.second < 0)
      ctx.timer_service().delete_event_time_timer(ctx.record_timestamp() + 10);
  }
  void on_timer(timestamp ts, context& ctx) override {
    bool event = ts <= ctx.timer_service().current_watermark();
    ctx.output(ctx.current_key() + (event ? ":event:" : ":proc:") + std::to_string(ts));
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(keyed_timers_fire_in_order_once_per_key_and_time) {
  operator_harness<kv, std::string> h([](stream<kv> s) {
    return s.key_by([](const kv& v) { return v.first; }).process(timer_fn{});
  });
  h.process_element({"b", 0}, 5);   // event timer 15
  h.process_element({"a", 0}, 1);   // event timer 11
  h.process_element({"a", 0}, 1);   // same timer again: deduplicated
  h.process_element({"c", 0}, 2);   // 12
  h.process_element({"c", -1}, 2);  // deletes c's timer at 12
  h.process_element({"a", 500}, 3); // event 13, processing 500
  BOOST_TEST(h.event_time_timers() == 3u);
  BOOST_TEST(h.processing_time_timers() == 1u);
  h.process_watermark(14);
  auto out = h.extract_output();
  BOOST_TEST((out == std::vector<std::pair<std::string, timestamp>>{{"a:event:11", 11},
                                                                    {"a:event:13", 13}}));
  h.set_processing_time(499);
  BOOST_TEST(h.extract_output().empty());
  h.set_processing_time(600);
  BOOST_TEST((h.extract_output() ==
              std::vector<std::pair<std::string, timestamp>>{{"a:proc:500", no_timestamp}}));
  h.process_watermark(100);
  BOOST_TEST(
      (h.extract_output() == std::vector<std::pair<std::string, timestamp>>{{"b:event:15", 15}}));
  BOOST_TEST(h.event_time_timers() == 0u);
}

BOOST_AUTO_TEST_CASE(timers_survive_a_restart_of_the_state_backend) {
  temp_dir dir;
  state_backend_options so;
  so.directory = dir.str() + "/db";
  {
    keyed_state_backend b(so);
    timer_queue q(b, "_timers_event");
    b.set_current_key(std::string("x"));
    BOOST_TEST(q.add(42));
    BOOST_TEST(!q.add(42));
    b.set_current_namespace(std::int64_t{7});
    BOOST_TEST(q.add(-5));
    b.set_current_key(std::string("y"));
    BOOST_TEST(q.add(40));
    BOOST_TEST(q.remove(40));
  }
  keyed_state_backend b(so);
  timer_queue q(b, "_timers_event");
  BOOST_REQUIRE(q.size() == 2u);
  auto first = q.pop_if_due(0);
  BOOST_REQUIRE(first != nullptr);
  BOOST_TEST(first->time == -5);
  BOOST_TEST(decode<std::string>(first->key) == "x");
  BOOST_TEST(decode<std::int64_t>(first->ns) == 7);
  BOOST_TEST(q.pop_if_due(41) == nullptr);
  BOOST_TEST(q.pop_if_due(42)->time == 42);
}

BOOST_AUTO_TEST_CASE(timers_not_persisted_never_reach_rocksdb_and_are_not_loaded) {
  // The window operator's timers without allowed lateness: kept in memory
  // only (it registers them again from its contents when restored).
  temp_dir dir;
  state_backend_options so;
  so.directory = dir.str() + "/db";
  {
    keyed_state_backend b(so);
    timer_queue stored(b, "_timers_event");
    b.set_current_key(std::string("x"));
    BOOST_TEST(stored.add(7));
    b.flush();
  }
  keyed_state_backend b(so);
  timer_queue q(b, "_timers_event", false);
  BOOST_TEST(q.size() == 0u); // the stored timer is not loaded
  b.set_current_key(std::string("y"));
  BOOST_TEST(q.add(42));
  BOOST_TEST(!q.add(42));
  BOOST_TEST(q.add(43));
  BOOST_TEST(q.remove(43));
  BOOST_TEST(q.pending_changes() == 0u);
  b.flush();
  std::size_t stored = 0;
  b.for_each_raw("_timers_event", b.key_groups(),
                 [&](int, std::string_view, std::string_view) { ++stored; });
  BOOST_TEST(stored == 1u); // only the persisted queue's timer
  BOOST_REQUIRE(q.size() == 1u);
  auto e = q.pop_if_due(100);
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->time == 42);
  BOOST_TEST(decode<std::string>(e->key) == "y");
  BOOST_TEST(q.pop_if_due(100) == nullptr);
}

BOOST_AUTO_TEST_CASE(bounded_out_of_orderness_per_record) {
  operator_harness<kv, kv> h(
      [](stream<kv> s) {
        return s.assign_timestamps_and_watermarks(
            watermark_strategy<kv>::for_bounded_out_of_orderness(10ms).with_timestamp_assigner(
                [](const kv& v) { return v.second; }));
      },
      per_record());
  h.process_element({"a", 100});
  h.process_element({"a", 95}); // behind: no new watermark
  h.process_element({"a", 120});
  h.process_watermark(50);            // upstream watermarks are ignored...
  h.process_watermark(max_watermark); // ...except the end of input
  std::vector<std::string> trace;
  for (auto& e : h.output_events())
    trace.push_back(e.is_watermark ? "wm" + std::to_string(e.time) : "r" + std::to_string(e.time));
  BOOST_TEST(trace == (std::vector<std::string>{"r100", "wm89", "r95", "r120", "wm109",
                                                "wm" + std::to_string(max_watermark)}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(watermarks_per_split_are_the_minimum_of_the_splits) {
  // A source reading two Kafka partitions: partition 0 is read far ahead of
  // partition 1, whose records must not become late (Flink's per-split
  // watermarks); a finished partition holds nothing back.
  operator_harness<kv, kv> h(
      [](stream<kv> s) {
        return s.assign_timestamps_and_watermarks(
            watermark_strategy<kv>::for_bounded_out_of_orderness(10ms).with_timestamp_assigner(
                [](const kv& v) { return v.second; }));
      },
      per_record());
  h.process_split(0);
  h.process_split(1); // announced, no records yet: holds the watermark back
  h.process_split(0);
  h.process_element({"a", 100});
  h.process_element({"a", 200});
  BOOST_TEST(h.watermarks().empty());
  h.process_split(1);
  h.process_element({"b", 50});
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{39}));
  h.process_split(0);
  h.process_element({"a", 300});
  BOOST_TEST(h.watermarks().size() == 1u);
  h.process_split(1);
  h.process_element({"b", 150});
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{39, 139}));
  h.process_split(1, /*finished=*/true);
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{39, 139, 289}));
}

BOOST_AUTO_TEST_CASE(an_idle_split_stops_holding_back_the_others) {
  configuration c;
  c.set(options::watermark_interval, "100 ms");
  operator_harness<kv, kv> h(
      [](stream<kv> s) {
        return s.assign_timestamps_and_watermarks(
            watermark_strategy<kv>::for_monotonous_timestamps()
                .with_timestamp_assigner([](const kv& v) { return v.second; })
                .with_idleness(500ms));
      },
      c);
  h.process_split(1); // never has a record
  h.process_split(0);
  h.process_element({"a", 1000});
  h.set_processing_time(100);
  h.set_processing_time(200);
  BOOST_TEST(h.watermarks().empty());
  h.set_processing_time(400);
  h.process_split(0);
  h.process_element({"a", 1100});
  h.set_processing_time(600); // split 1 silent for 500 ms: idle; split 0 is not
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{1099}));
  h.set_processing_time(1000); // both idle: the highest, no new one
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{1099}));
  h.process_split(1);
  h.process_element({"b", 2000}); // split 1 active again; split 0 still idle
  h.set_processing_time(1100);
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{1099, 1999}));
  h.process_split(0);
  h.process_element({"a", 1200}); // split 0 active again: it holds back again
  h.process_split(1);
  h.process_element({"b", 2500});
  h.set_processing_time(1200);
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{1099, 1999}));
}

BOOST_AUTO_TEST_CASE(periodic_watermarks_and_idleness) {
  configuration c;
  c.set(options::watermark_interval, "200 ms");
  operator_harness<kv, kv> h(
      [](stream<kv> s) {
        return s.assign_timestamps_and_watermarks(
            watermark_strategy<kv>::for_monotonous_timestamps()
                .with_timestamp_assigner([](const kv& v) { return v.second; })
                .with_idleness(1000ms));
      },
      c);
  h.process_element({"a", 10});
  h.process_element({"a", 20});
  BOOST_TEST(h.watermarks().empty());
  h.set_processing_time(200);
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{19}));
  h.set_processing_time(400); // nothing new: no new watermark
  BOOST_TEST(h.watermarks().size() == 1u);
  BOOST_TEST(h.idle_changes().empty());
  h.set_processing_time(1000); // 1000 ms since the last record
  BOOST_TEST(h.idle_changes() == (std::vector<bool>{true}));
  h.process_element({"a", 30});
  BOOST_TEST(h.idle_changes() == (std::vector<bool>{true, false}));
  h.set_processing_time(1200);
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{19, 29}));
}

namespace {

//! Emits `n` records with timestamps 0, 10, 20, ... then idles forever.
struct then_idle final : source_function<kv> {
  int n;
  int next = 0;
  explicit then_idle(int count) : n(count) {}
  source_status poll(collector<kv>& out, std::size_t) override {
    if (next < n) {
      out.collect_with_timestamp({"k", 1}, next * 10);
      ++next;
      return source_status::has_more();
    }
    return source_status::wait_for(5ms);
  }
};

} // namespace

namespace {

struct idle_run {
  bool fired = false;      //!< nine windows fired within the wait
  std::vector<kv> windows; //!< what fired, in order
};

//! An "active" input (100 records at 0, 10, ..., 990 ms, then idle forever)
//! and a "silent" one (nothing at all) in 100 ms windows, watermarks every
//! `interval`: waits up to `wait` for nine windows to fire.
idle_run run_active_and_silent(const watermark_strategy<kv>& active_strategy,
                               const watermark_strategy<kv>& silent_strategy,
                               const std::string& interval, std::chrono::milliseconds wait) {
  temp_dir dir;
  auto cfg = test_config(dir.str(), 2);
  cfg.set(options::watermark_interval, interval);
  environment env(cfg);
  auto active =
      env.add_source<kv>({"active", [] { return std::make_unique<then_idle>(100); }, false})
          .assign_timestamps_and_watermarks(active_strategy);
  auto silent = env.add_source<kv>({"silent", [] { return std::make_unique<then_idle>(0); }, false})
                    .assign_timestamps_and_watermarks(silent_strategy);
  auto out = std::make_shared<collected<kv>>();
  std::condition_variable cv;
  active.union_with(silent)
      .key_by([](const kv& v) { return v.first; })
      .window(tumbling_event_time_windows::of(100ms))
      .reduce([](const kv& a, kv b) {
        return kv{a.first, a.second + b.second};
      })
      .add_sink(callback_sink<kv>([out, &cv](const kv& v) {
        {
          std::lock_guard<std::mutex> lock(out->mu);
          out->values.push_back(v);
        }
        cv.notify_all();
      }));
  auto client = env.execute_async();
  idle_run r;
  {
    std::unique_lock<std::mutex> lock(out->mu);
    r.fired = cv.wait_for(lock, wait, [&] { return out->values.size() >= 9; });
  }
  client.cancel();
  client.wait();
  r.windows = out->snapshot();
  return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_idle_input_stops_holding_back_the_watermark) {
  const auto monotonous = watermark_strategy<kv>::for_monotonous_timestamps();
  // With idleness the windows up to the active input's watermark fire.
  auto with = run_active_and_silent(monotonous.with_idleness(50ms), monotonous.with_idleness(50ms),
                                    "10 ms", 10s);
  BOOST_TEST(with.fired);
  BOOST_REQUIRE(!with.windows.empty());
  BOOST_TEST(with.windows.front().second == 10); // [0, 100): 10 records
  // Without it the silent input holds everything back.
  auto without = run_active_and_silent(monotonous, monotonous, "10 ms", 500ms);
  BOOST_TEST(!without.fired);
  BOOST_TEST(without.windows.empty());
}

BOOST_AUTO_TEST_CASE(when_every_input_goes_idle_the_highest_watermark_is_used) {
  // The active input goes idle first (20 ms), while the silent one still
  // holds the minimum; when the silent one goes idle too (300 ms), nothing
  // holds the active input's watermark back any more: its windows fire.
  const auto monotonous = watermark_strategy<kv>::for_monotonous_timestamps();
  auto r = run_active_and_silent(monotonous.with_idleness(20ms), monotonous.with_idleness(300ms),
                                 "5 ms", 10s);
  BOOST_TEST(r.fired);
  BOOST_REQUIRE(r.windows.size() >= 9u);
  for (std::size_t i = 0; i < 9; ++i)
    BOOST_TEST(r.windows[i].second == 10);
}

BOOST_AUTO_TEST_CASE(timers_held_back_until_flush_equal_a_reference_after_every_reopen) {
  // Random adds, removes, pops and flushes, with the backend closed and
  // reopened now and then: the reopened queue must hold exactly the timers of
  // a plain reference set (changes held back in memory reach RocksDB with a
  // flush or when the queue or backend closes).
  const auto seed =
      spate::test::test_seed("timers_held_back_until_flush_equal_a_reference_after_every_reopen");
  std::mt19937 rng(seed);
  temp_dir dir;
  state_backend_options so;
  so.directory = dir.str() + "/db";
  std::set<std::tuple<timestamp, std::string, std::int64_t>> reference;
  for (int round = 0; round < 8; ++round) {
    keyed_state_backend b(so);
    timer_queue q(b, "_timers_event");
    BOOST_REQUIRE_MESSAGE(q.size() == reference.size(), "seed " << seed << " round " << round);
    for (const auto& e : q.entries())
      BOOST_REQUIRE_MESSAGE(
          reference.count({e.time, decode<std::string>(e.key), decode<std::int64_t>(e.ns)}) == 1,
          "seed " << seed << " round " << round);
    for (int op = 0; op < 400; ++op) {
      std::string key = "k" + std::to_string(rng() % 5);
      std::int64_t ns = static_cast<std::int64_t>(rng() % 3);
      timestamp t = static_cast<timestamp>(rng() % 20);
      b.set_current_key(key);
      b.set_current_namespace(ns);
      switch (rng() % 6) {
        case 0:
        case 1:
          BOOST_REQUIRE(q.add(t) == reference.insert({t, key, ns}).second);
          break;
        case 2:
          BOOST_REQUIRE(q.remove(t) == (reference.erase({t, key, ns}) == 1));
          break;
        case 3:
          if (auto e = q.pop_if_due(t)) {
            BOOST_REQUIRE(!reference.empty());
            auto first = *reference.begin();
            BOOST_REQUIRE(std::get<0>(first) == e->time);
            reference.erase({e->time, decode<std::string>(e->key), decode<std::int64_t>(e->ns)});
          } else {
            BOOST_REQUIRE(reference.empty() || std::get<0>(*reference.begin()) > t);
          }
          break;
        case 4:
          b.flush();
          BOOST_REQUIRE(q.pending_changes() == 0u);
          break;
        default:
          break;
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_harness_refuses_more_than_one_operator) {
  // Records pushed into a harness go straight into its operator: a map in
  // front would hand the next operator records of the wrong type.
  auto two = [](stream<kv> s) {
    return s.map([](const kv& v) { return v; })
        .key_by([](const kv& v) { return v.first; })
        .process(timer_fn{});
  };
  try {
    operator_harness<kv, std::string> h(two);
    BOOST_FAIL("a two-operator harness was accepted");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::invalid_argument);
    BOOST_TEST(std::string(e.what()).find("exactly one operator, it added 2") != std::string::npos,
               e.what());
  }
}
