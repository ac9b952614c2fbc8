// The operator harness's checkpoints (issue #15): snapshot an operator, restore
// the snapshot into a new instance (also at another parallelism), and pass a
// completed checkpoint on, as Flink's AbstractStreamOperatorTestHarness does.
#define BOOST_TEST_MODULE harness_snapshot
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "spate/api/testing.hpp"

using namespace spate;
using namespace spate::testing;
using namespace std::chrono_literals;
using kv = std::pair<std::string, std::int64_t>;
using results = std::vector<std::pair<kv, timestamp>>;
using lines = std::vector<std::pair<std::string, timestamp>>;

namespace {

const std::vector<snapshot_kind> both_kinds = {snapshot_kind::checkpoint, snapshot_kind::savepoint};

const char* kind_name(snapshot_kind k) {
  return k == snapshot_kind::checkpoint ? "checkpoint" : "savepoint";
}

auto key_of = [](const kv& r) { return r.first; };
auto sum_values = [](const kv& a, kv b) { return kv{a.first, a.second + b.second}; };

auto tumbling_sum = [](stream<kv> s) {
  return s.key_by(key_of).window(tumbling_event_time_windows::of(10ms)).reduce(sum_values);
};
// With allowed lateness the window timers are state of their own (persisted),
// not derived from the contents on restore.
auto tumbling_sum_late = [](stream<kv> s) {
  return s.key_by(key_of)
      .window(tumbling_event_time_windows::of(10ms))
      .allowed_lateness(5ms)
      .reduce(sum_values);
};

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The same results, step by step.
template <class T>
void check_steps(const std::vector<T>& got, const std::vector<T>& want) {
  BOOST_REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(got[i] == want[i], "step " << i);
}

template <class H>
void feed(H& h, const results& records) {
  for (const auto& [v, ts] : records)
    h.process_element(v, ts);
}

// Sums each key's values in value state. Every record sets an event-time
// timer at its timestamp + 10 and a processing-time timer at 1000; a timer
// emits "key@time=sum" (event time) or "key~time=sum" (processing time).
struct summing_fn : keyed_process_function<std::string, kv, std::string> {
  value_state<std::int64_t>* sum = nullptr;
  void open(runtime_context& rc) override {
    sum = &rc.state->get_value_state(value_state_descriptor<std::int64_t>{"sum"});
  }
  void process_element(const kv& v, context& ctx) override {
    sum->update(sum->value().value_or(0) + v.second);
    ctx.timer_service().register_event_time_timer(ctx.record_timestamp() + 10);
    ctx.timer_service().register_processing_time_timer(1000);
  }
  void on_timer(timestamp ts, context& ctx) override {
    const bool event = ts <= ctx.timer_service().current_watermark();
    ctx.output(ctx.current_key() + (event ? "@" : "~") + std::to_string(ts) + "=" +
               std::to_string(sum->value().value_or(0)));
  }
};

auto summing = [](stream<kv> s) { return s.key_by(key_of).process(summing_fn{}); };

// A two-phase-commit sink: records are staged per checkpoint in operator
// state and committed when their checkpoint completes.
struct sink_log {
  std::vector<std::string> committed;
  std::vector<std::int64_t> aborted;
};

class staging_sink final : public sink_function<std::string> {
public:
  explicit staging_sink(std::shared_ptr<sink_log> log) : log_(std::move(log)) {}
  void write(const typed_batch<std::string>& b) override {
    pending_.insert(pending_.end(), b.values.begin(), b.values.end());
  }
  void snapshot_state(std::int64_t id, operator_state_writer& out) override {
    if (!pending_.empty())
      staged_[id] = std::move(pending_);
    pending_.clear();
    std::string bytes;
    encode(staged_, bytes);
    out.put("staged", std::move(bytes));
  }
  void notify_checkpoint_complete(std::int64_t id) override {
    for (auto it = staged_.begin(); it != staged_.end() && it->first <= id; it = staged_.erase(it))
      log_->committed.insert(log_->committed.end(), it->second.begin(), it->second.end());
  }
  void notify_checkpoint_aborted(std::int64_t id) override { log_->aborted.push_back(id); }
  void initialize_state(const operator_state_reader& r) override {
    // Each old subtask's transactions go to one new subtask.
    for (std::size_t i = 0; i < r.all().size(); ++i) {
      if (static_cast<int>(i) % r.parallelism() != r.subtask())
        continue;
      auto it = r.all()[i].find("staged");
      if (it == r.all()[i].end())
        continue;
      for (auto& [id, v] :
           decode<std::map<std::int64_t, std::vector<std::string>>>(it->second, "staged")) {
        auto& slot = staged_[id];
        slot.insert(slot.end(), v.begin(), v.end());
      }
    }
  }

private:
  std::shared_ptr<sink_log> log_;
  std::vector<std::string> pending_;
  std::map<std::int64_t, std::vector<std::string>> staged_;
};

const results window_before = {
    {{"a", 1}, 1}, {{"b", 2}, 3}, {{"a", 4}, 7}, {{"a", 8}, 12}, {{"c", 16}, 5}};
const results window_after = {{{"a", 32}, 8}, {{"b", 64}, 9}, {{"c", 128}, 15}};

} // namespace

BOOST_AUTO_TEST_CASE(a_window_restored_mid_window_fires_as_if_uninterrupted) {
  for (auto kind : both_kinds) {
    BOOST_TEST_CONTEXT(kind_name(kind)) {
      operator_harness<kv, kv> reference(tumbling_sum);
      feed(reference, window_before);
      reference.process_watermark(5);
      feed(reference, window_after);
      reference.process_watermark(9);
      const auto first = sorted(reference.extract_output());
      reference.process_watermark(19);
      const auto second = sorted(reference.extract_output());
      BOOST_TEST(first == (results{{{"a", 37}, 9}, {{"b", 66}, 9}, {{"c", 16}, 9}}));
      BOOST_TEST(second == (results{{{"a", 8}, 19}, {{"c", 128}, 19}}));

      operator_harness<kv, kv> h(tumbling_sum);
      feed(h, window_before);
      h.process_watermark(5); // no window ends before 9
      BOOST_TEST(h.extract_output().empty());
      BOOST_TEST(h.event_time_timers() == 4u); // a[0,10) a[10,20) b[0,10) c[0,10)
      auto snap = h.snapshot(1, kind);
      BOOST_TEST(snap.checkpoint_id() == 1);
      BOOST_TEST(snap.subtasks() == (std::vector<int>{0}));
      BOOST_REQUIRE(snap.metadata().keyed.size() == 1u);
      BOOST_TEST(snap.metadata().keyed[0].format ==
                 (kind == snapshot_kind::checkpoint ? "rocksdb" : "canonical"));

      operator_harness<kv, kv> restored(tumbling_sum, harness_options().restored_from(snap));
      // The window operator registers its timers again from the contents.
      BOOST_TEST(restored.event_time_timers() == 4u);
      feed(restored, window_after);
      restored.process_watermark(9);
      BOOST_TEST(sorted(restored.extract_output()) == first);
      restored.process_watermark(19);
      BOOST_TEST(sorted(restored.extract_output()) == second);
      BOOST_TEST(restored.event_time_timers() == 0u);

      // The snapshot left the original running as before.
      feed(h, window_after);
      h.process_watermark(9);
      BOOST_TEST(sorted(h.extract_output()) == first);
      h.process_watermark(19);
      BOOST_TEST(sorted(h.extract_output()) == second);
    }
  }
}

BOOST_AUTO_TEST_CASE(window_timers_kept_as_state_survive_with_allowed_lateness) {
  for (auto kind : both_kinds) {
    BOOST_TEST_CONTEXT(kind_name(kind)) {
      auto run_rest = [](operator_harness<kv, kv>& h) {
        std::vector<results> out;
        h.process_watermark(9); // [0, 10) fires; its contents stay until 14
        out.push_back(sorted(h.extract_output()));
        h.process_element({"a", 100}, 2); // late but within the lateness: fires again
        out.push_back(sorted(h.extract_output()));
        h.process_watermark(30);
        out.push_back(sorted(h.extract_output()));
        return out;
      };
      operator_harness<kv, kv> reference(tumbling_sum_late);
      feed(reference, window_before);
      const auto expected = run_rest(reference);
      BOOST_TEST(expected[0] == (results{{{"a", 5}, 9}, {{"b", 2}, 9}, {{"c", 16}, 9}}));
      BOOST_TEST(expected[1] == (results{{{"a", 105}, 9}}));
      BOOST_TEST(expected[2] == (results{{{"a", 8}, 19}}));

      operator_harness<kv, kv> h(tumbling_sum_late);
      feed(h, window_before);
      const auto timers = h.event_time_timers();
      BOOST_TEST(timers == 8u); // end and cleanup of 4 windows
      auto snap = h.snapshot(3, kind);
      operator_harness<kv, kv> restored(tumbling_sum_late, harness_options().restored_from(snap));
      BOOST_TEST(restored.event_time_timers() == timers);
      check_steps(run_rest(restored), expected);
      BOOST_TEST(restored.event_time_timers() == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_window_watermark_is_operator_state) {
  for (auto kind : both_kinds) {
    BOOST_TEST_CONTEXT(kind_name(kind)) {
      operator_harness<kv, kv> h(tumbling_sum);
      h.process_element({"a", 1}, 3);
      h.process_watermark(20);
      BOOST_TEST(h.extract_output() == (results{{{"a", 1}, 9}}));
      auto snap = h.snapshot(1, kind);
      BOOST_TEST(snap.operator_state(0).count("watermark") == 1u);
      BOOST_TEST(snap.operator_state(1).empty());

      // A fresh instance takes a record at 5 ...
      operator_harness<kv, kv> fresh(tumbling_sum);
      fresh.process_element({"a", 1}, 5);
      BOOST_TEST(fresh.counter("numLateRecordsDropped") == 0);
      // ... which the restored one knows to be late.
      operator_harness<kv, kv> restored(tumbling_sum, harness_options().restored_from(snap));
      restored.process_element({"a", 1}, 5);
      BOOST_TEST(restored.counter("numLateRecordsDropped") == 1);
      BOOST_TEST(restored.event_time_timers() == 0u);
      restored.process_watermark(100);
      BOOST_TEST(restored.extract_output().empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(keyed_value_state_and_timers_survive_a_restore) {
  for (auto kind : both_kinds) {
    BOOST_TEST_CONTEXT(kind_name(kind)) {
      const results before = {{{"a", 1}, 1}, {{"b", 2}, 2}, {{"a", 4}, 5}};
      auto run_rest = [](operator_harness<kv, std::string>& h) {
        std::vector<lines> out;
        h.process_element({"a", 8}, 20); // the sum goes on from the restored one
        h.process_watermark(14);
        out.push_back(h.extract_output());
        h.process_watermark(40);
        out.push_back(h.extract_output());
        h.set_processing_time(1000);
        out.push_back(sorted(h.extract_output()));
        return out;
      };
      operator_harness<kv, std::string> reference(summing);
      feed(reference, before);
      reference.process_watermark(3);
      const auto expected = run_rest(reference);
      BOOST_TEST(expected[0] == (lines{{"a@11=13", 11}, {"b@12=2", 12}}));
      BOOST_TEST(expected[1] == (lines{{"a@15=13", 15}, {"a@30=13", 30}}));
      BOOST_TEST(expected[2] == (lines{{"a~1000=13", no_timestamp}, {"b~1000=2", no_timestamp}}));

      // The snapshot outlives the harness it was taken from.
      std::optional<harness_snapshot> snap;
      {
        operator_harness<kv, std::string> h(summing);
        feed(h, before);
        h.process_watermark(3);
        BOOST_TEST(h.event_time_timers() == 3u);
        BOOST_TEST(h.processing_time_timers() == 2u);
        snap = h.snapshot(7, kind);
      }
      operator_harness<kv, std::string> restored(summing, harness_options().restored_from(*snap));
      BOOST_TEST(restored.event_time_timers() == 3u);
      BOOST_TEST(restored.processing_time_timers() == 2u);
      check_steps(run_rest(restored), expected);
      BOOST_TEST(restored.event_time_timers() == 0u);
      BOOST_TEST(restored.processing_time_timers() == 0u);

      // A snapshot restores as often as asked.
      operator_harness<kv, std::string> again(summing, harness_options().restored_from(*snap));
      check_steps(run_rest(again), expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(operator_state_round_trips_and_a_completed_checkpoint_commits) {
  auto log = std::make_shared<sink_log>();
  sink_spec<std::string> spec{"staging", [log] { return std::make_unique<staging_sink>(log); }};
  auto build = [spec](stream<std::string> s) { return s.add_sink(spec); };
  using sink_harness = operator_harness<std::string, std::string>;

  std::optional<harness_snapshot> snap;
  {
    sink_harness h(build);
    h.process_element("a");
    h.process_element("b");
    auto first = h.snapshot(1);
    BOOST_TEST(first.metadata().keyed.empty()); // not keyed
    BOOST_TEST(log->committed.empty());         // staged only
    h.notify_checkpoint_complete(1);
    BOOST_TEST(log->committed == (std::vector<std::string>{"a", "b"}));
    h.process_element("c");
    snap = h.snapshot(2);
    h.process_element("d"); // after the last checkpoint: lost with the failure below
    h.notify_checkpoint_aborted(5);
    BOOST_TEST(log->aborted == (std::vector<std::int64_t>{5}));
  } // fails before checkpoint 2 completes
  BOOST_TEST(snap->operator_state(0).count("staged") == 1u);
  BOOST_TEST(log->committed == (std::vector<std::string>{"a", "b"}));

  sink_harness restored(build, harness_options().restored_from(*snap));
  BOOST_TEST(log->committed == (std::vector<std::string>{"a", "b"}));
  restored.notify_checkpoint_complete(2); // what checkpoint 2 staged commits now
  BOOST_TEST(log->committed == (std::vector<std::string>{"a", "b", "c"}));
  restored.process_element("e");
  restored.snapshot(3);
  restored.notify_checkpoint_complete(3);
  BOOST_TEST(log->committed == (std::vector<std::string>{"a", "b", "c", "e"}));
}

namespace {

constexpr int key_count = 20;

std::string key_name(int i) { return "k" + std::to_string(i); }

// Two records per key, the second for even keys only: sums i+1 or 2(i+1).
std::vector<std::pair<kv, timestamp>> keyed_input() {
  results r;
  for (int i = 0; i < key_count; ++i)
    r.push_back({{key_name(i), i + 1}, 0});
  for (int i = 0; i < key_count; i += 2)
    r.push_back({{key_name(i), i + 1}, 0});
  return r;
}

// What the timers at 10 emit once every key is restored exactly once.
lines expected_sums() {
  lines l;
  for (int i = 0; i < key_count; ++i)
    l.push_back({key_name(i) + "@10=" + std::to_string((i % 2 == 0 ? 2 : 1) * (i + 1)), 10});
  return sorted(l);
}

std::string key_of_line(const std::string& line) { return line.substr(0, line.find('@')); }

} // namespace

BOOST_AUTO_TEST_CASE(two_subtasks_restore_into_one) {
  for (auto kind : both_kinds) {
    BOOST_TEST_CONTEXT(kind_name(kind)) {
      using harness = operator_harness<kv, std::string>;
      harness h0(summing, harness_options().as_subtask(0, 2));
      harness h1(summing, harness_options().as_subtask(1, 2));
      BOOST_TEST(h0.key_groups() == (key_group_range{0, 63}));
      BOOST_TEST(h1.key_groups() == (key_group_range{64, 127}));
      int on0 = 0;
      for (const auto& [v, ts] : keyed_input()) {
        BOOST_REQUIRE(h0.owns_key(v.first) != h1.owns_key(v.first));
        (h0.owns_key(v.first) ? h0 : h1).process_element(v, ts);
      }
      for (int i = 0; i < key_count; ++i)
        on0 += h0.owns_key(key_name(i)) ? 1 : 0;
      // Both subtasks hold some keys, or this would test nothing.
      BOOST_REQUIRE(on0 > 0);
      BOOST_REQUIRE(on0 < key_count);
      BOOST_TEST(h0.event_time_timers() == static_cast<std::size_t>(on0));
      // A key of the other subtask is refused, as in a job.
      for (int i = 0; i < key_count; ++i)
        if (!h0.owns_key(key_name(i))) {
          BOOST_CHECK_THROW(h0.process_element({key_name(i), 1}, 0), error);
          break;
        }

      auto snap = harness_snapshot::combine({h0.snapshot(4, kind), h1.snapshot(4, kind)});
      BOOST_TEST(snap.subtasks() == (std::vector<int>{0, 1}));
      BOOST_TEST(snap.metadata().parallelism == 2);
      BOOST_TEST(snap.metadata().keyed.size() == 2u);

      harness restored(summing, harness_options().restored_from(snap));
      BOOST_TEST(restored.event_time_timers() == static_cast<std::size_t>(key_count));
      BOOST_TEST(restored.processing_time_timers() == static_cast<std::size_t>(key_count));
      restored.process_watermark(10);
      BOOST_TEST(sorted(restored.extract_output()) == expected_sums());

      // Subtask 0's snapshot alone holds subtask 0's keys only.
      harness part(summing, harness_options().restored_from(h0.snapshot(5, kind)));
      BOOST_TEST(part.event_time_timers() == static_cast<std::size_t>(on0));
    }
  }
}

BOOST_AUTO_TEST_CASE(one_subtask_restores_into_two) {
  for (auto kind : both_kinds) {
    BOOST_TEST_CONTEXT(kind_name(kind)) {
      using harness = operator_harness<kv, std::string>;
      harness h(summing);
      feed(h, keyed_input());
      auto snap = h.snapshot(9, kind);

      harness r0(summing, harness_options().restored_from(snap).as_subtask(0, 2));
      harness r1(summing, harness_options().restored_from(snap).as_subtask(1, 2));
      BOOST_TEST(r0.event_time_timers() + r1.event_time_timers() ==
                 static_cast<std::size_t>(key_count));
      BOOST_TEST(r0.event_time_timers() > 0u);
      BOOST_TEST(r1.event_time_timers() > 0u);
      r0.process_watermark(10);
      r1.process_watermark(10);
      auto out0 = r0.extract_output();
      auto out1 = r1.extract_output();
      for (const auto& [line, ts] : out0)
        BOOST_TEST(r0.owns_key(key_of_line(line)), line);
      for (const auto& [line, ts] : out1)
        BOOST_TEST(r1.owns_key(key_of_line(line)), line);
      auto all = out0;
      all.insert(all.end(), out1.begin(), out1.end());
      BOOST_TEST(sorted(all) == expected_sums());
    }
  }
}

BOOST_AUTO_TEST_CASE(snapshots_that_do_not_fit_are_refused) {
  operator_harness<kv, std::string> h(summing);
  h.process_element({"a", 1}, 0);
  auto snap = h.snapshot(1);

  // Another operator (uid).
  auto named = [](stream<kv> s) { return s.key_by(key_of).process(summing_fn{}).uid("other"); };
  BOOST_CHECK_EXCEPTION(
      (operator_harness<kv, std::string>(named, harness_options().restored_from(snap))), error,
      [](const error& e) { return e.code() == errc::invalid_argument; });
  // Another max parallelism: key groups cannot be remapped.
  auto narrow = [](stream<kv> s) {
    return s.key_by(key_of).process(summing_fn{}).set_max_parallelism(64);
  };
  BOOST_CHECK_EXCEPTION(
      (operator_harness<kv, std::string>(narrow, harness_options().restored_from(snap))), error,
      [](const error& e) { return e.code() == errc::invalid_argument; });
  // A subtask twice.
  BOOST_CHECK_EXCEPTION(harness_snapshot::combine({snap, snap}), error,
                        [](const error& e) { return e.code() == errc::invalid_argument; });
  // A subtask the parallelism does not have.
  BOOST_CHECK_EXCEPTION(
      (operator_harness<kv, std::string>(summing, harness_options().as_subtask(2, 2))), error,
      [](const error& e) { return e.code() == errc::invalid_argument; });
}
