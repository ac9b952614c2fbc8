// The parts of task-scope metrics on their own, with explicit ns timestamps:
// the time meter (phases, its sequence lock under a concurrent reader), the
// rate views (Flink's MeterView), the back-pressure levels, and the metrics
// report between TaskManagers and JobManagers of different versions.
#define BOOST_TEST_MODULE task_metrics
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "spate/actors/job_client.hpp"
#include "spate/core/codec.hpp"
#include "task_metrics.hpp"
#include "wire.hpp"

using namespace spate;
using namespace spate::detail;

namespace {

constexpr std::int64_t s_ns = 1'000'000'000;
using meter = task_time_meter;

} // namespace

BOOST_AUTO_TEST_SUITE(time_meter)

BOOST_AUTO_TEST_CASE(each_interval_counts_in_the_phase_it_began_in) {
  meter m;
  m.switch_to(0, meter::busy);
  m.switch_to(200, meter::idle);
  m.switch_to(1000, meter::back_pressured);
  auto r = m.read(1500);
  BOOST_TEST(r.ns[meter::busy] == 200);
  BOOST_TEST(r.ns[meter::idle] == 800);
  BOOST_TEST(r.ns[meter::back_pressured] == 500); // the ongoing phase, up to now
  BOOST_TEST(r.current == meter::back_pressured);
  // The ongoing part is not stored: a later read sees more.
  BOOST_TEST(m.read(2000).ns[meter::back_pressured] == 1000);
}

BOOST_AUTO_TEST_CASE(stopped_counts_nothing_and_a_restart_continues) {
  meter m;
  BOOST_TEST(m.read(100).ns[meter::busy] == 0); // never started
  m.switch_to(0, meter::busy);
  m.switch_to(100, meter::stopped);
  auto r = m.read(5000);
  BOOST_TEST(r.ns[meter::busy] == 100);
  BOOST_TEST(r.ns[meter::idle] == 0);
  BOOST_TEST(r.ns[meter::back_pressured] == 0);
  BOOST_TEST(r.current == meter::stopped);
  // A restarted subtask adds to what its previous incarnation measured.
  m.switch_to(6000, meter::busy);
  m.switch_to(6050, meter::idle);
  r = m.read(6100);
  BOOST_TEST(r.ns[meter::busy] == 150);
  BOOST_TEST(r.ns[meter::idle] == 50);
}

BOOST_AUTO_TEST_CASE(switching_to_the_same_phase_keeps_counting_it) {
  // What task_actor does when three messages arrive back to back: busy
  // stays busy (it calls switch_to only on a change; calling it anyway must
  // not lose time), then the mailbox empties.
  meter m;
  m.switch_to(0, meter::busy);
  m.switch_to(10, meter::busy);
  m.switch_to(20, meter::busy);
  m.switch_to(30, meter::idle);
  auto r = m.read(30);
  BOOST_TEST(r.ns[meter::busy] == 30);
  BOOST_TEST(r.ns[meter::idle] == 0);
}

BOOST_AUTO_TEST_CASE(a_reader_never_sees_a_torn_state) {
  // One writer switches phases 10 M times with increasing timestamps while
  // this thread reads. A consistent copy has completed buckets that sum to
  // exactly since - first, and no bucket ever decreases. (TSan checks the
  // lock itself in scripts/sanitize.sh.)
  meter m;
  constexpr std::int64_t first = 1000;
  constexpr int switches = 10'000'000;
  m.switch_to(first, meter::busy);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::int64_t now = first;
    for (int i = 0; i < switches; ++i) {
      now += 1 + (i % 7);
      m.switch_to(now, static_cast<meter::phase>(i % 3));
    }
    done = true;
  });
  std::int64_t last[3] = {0, 0, 0};
  long reads = 0, torn = 0, backwards = 0;
  while (!done.load()) {
    // now = 0 is before every phase began: the completed buckets only.
    auto r = m.read(0);
    ++reads;
    if (r.ns[0] + r.ns[1] + r.ns[2] != r.since_ns - first)
      ++torn;
    for (int i = 0; i < 3; ++i) {
      if (r.ns[i] < last[i])
        ++backwards;
      last[i] = r.ns[i];
    }
  }
  writer.join();
  BOOST_TEST_MESSAGE(reads << " reads during " << switches << " switches");
  BOOST_TEST(reads > 0);
  BOOST_TEST(torn == 0);
  BOOST_TEST(backwards == 0);
  auto r = m.read(0);
  BOOST_TEST(r.ns[0] + r.ns[1] + r.ns[2] == r.since_ns - first);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rates)

BOOST_AUTO_TEST_CASE(a_constant_rate_reads_as_itself_early_and_late) {
  rate_view v;
  // 1000 per second, read once a second as reporters do.
  for (int t = 0; t <= 90; ++t) {
    double r = v.update(t * s_ns, 1000 * t);
    if (t == 5 || t == 30 || t == 90)
      BOOST_TEST(r == 1000.0, boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(a_burst_leaves_the_window_after_65_seconds) {
  rate_view v;
  v.update(0, 0);
  v.update(5 * s_ns, 6000); // 6000 in the first 5 s, then nothing
  double during = v.update(10 * s_ns, 6000);
  BOOST_TEST(during == 600.0, boost::test_tools::tolerance(1e-9));
  double r = 0;
  for (int t = 11; t <= 75; ++t)
    r = v.update(t * s_ns, 6000);
  BOOST_TEST(r == 0.0);
}

BOOST_AUTO_TEST_CASE(less_than_a_second_of_history_keeps_the_previous_rate) {
  rate_view v;
  BOOST_TEST(v.update(0, 0) == 0.0); // the first call only sets the base
  BOOST_TEST(v.update(s_ns / 2, 500) == 0.0);
  BOOST_TEST(v.update(2 * s_ns, 2000) == 1000.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(time_gauges_clamp_to_a_second_per_second) {
  // ns of a phase over ns of time: 1000 ms/s when it ran the whole window,
  // never more (a reading a little ahead), never below 0.
  rate_view whole, over, back;
  ms_per_second(whole, 0, 0);
  BOOST_TEST(ms_per_second(whole, 10 * s_ns, 10 * s_ns) == 1000.0,
             boost::test_tools::tolerance(1e-9));
  ms_per_second(over, 0, 0);
  BOOST_TEST(ms_per_second(over, 10 * s_ns, 12 * s_ns) == 1000.0);
  ms_per_second(back, 0, 5 * s_ns);
  BOOST_TEST(ms_per_second(back, 10 * s_ns, 0) == 0.0);
  rate_view half;
  ms_per_second(half, 0, 0);
  BOOST_TEST(ms_per_second(half, 10 * s_ns, 5 * s_ns) == 500.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(levels)

BOOST_AUTO_TEST_CASE(flink_levels_at_their_boundaries) {
  BOOST_TEST(std::string(backpressure_level(0.0)) == "ok");
  BOOST_TEST(std::string(backpressure_level(0.10)) == "ok");
  BOOST_TEST(std::string(backpressure_level(0.1001)) == "low");
  BOOST_TEST(std::string(backpressure_level(0.5)) == "low");
  BOOST_TEST(std::string(backpressure_level(0.5001)) == "high");
  BOOST_TEST(std::string(backpressure_level(1.0)) == "high");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wire)

namespace {

//! wire_metrics as TaskManagers and JobManagers before task metrics sent it.
struct old_wire_metrics {
  std::string job_id;
  attempt_number attempt{0};
  std::vector<std::tuple<std::int32_t, std::int32_t, std::int64_t, std::int64_t>> tasks;
  std::map<std::string, std::int64_t> counters;
  SPATE_FIELDS(job_id, attempt, tasks, counters);
};

} // namespace

BOOST_AUTO_TEST_CASE(old_and_new_reports_decode_on_either_side) {
  old_wire_metrics old;
  old.job_id = "j";
  old.attempt = attempt_number{3};
  old.tasks.emplace_back(1, 0, 10, 20);
  old.counters["w.numLateRecordsDropped"] = 4;
  std::string bytes;
  encode(old, bytes);
  // An old TaskManager's report on a new JobManager: no subtasks.
  auto now = decode<wire_metrics>(bytes);
  BOOST_TEST(now.job_id == "j");
  BOOST_TEST(now.attempt.value() == 3);
  BOOST_TEST(now.tasks.size() == 1u);
  BOOST_TEST(now.counters.at("w.numLateRecordsDropped") == 4);
  BOOST_TEST(now.subtasks.empty());

  // A new TaskManager's report on an old JobManager: the rest is ignored.
  wire_metrics m;
  m.job_id = "k";
  m.attempt = attempt_number{2};
  m.tasks.emplace_back(0, 1, 5, 6);
  wire_task_metrics w;
  w.chain = 0;
  w.subtask = 1;
  w.busy_ms = 250.5;
  w.back_pressured = true;
  w.input_watermark = 1234;
  w.has_lag = true;
  w.watermark_lag_ms = 77;
  w.records_in_errors = 9;
  m.subtasks.push_back(w);
  bytes.clear();
  encode(m, bytes);
  auto before = decode<old_wire_metrics>(bytes);
  BOOST_TEST(before.job_id == "k");
  BOOST_TEST(before.tasks.size() == 1u);
  // And on a new one, every field.
  auto back = decode<wire_metrics>(bytes);
  BOOST_TEST_REQUIRE(back.subtasks.size() == 1u);
  auto io = from_wire(back.subtasks[0], "Map", 99);
  BOOST_TEST(io.task_name == "Map");
  BOOST_TEST(io.subtask == 1);
  BOOST_TEST(io.busy_ms == 250.5);
  BOOST_TEST(io.back_pressured);
  BOOST_TEST(io.input_watermark == 1234);
  BOOST_TEST(io.output_watermark == INT64_MIN);
  BOOST_TEST_REQUIRE(io.watermark_lag_ms.has_value());
  BOOST_TEST(*io.watermark_lag_ms == 77);
  BOOST_TEST(io.records_in_errors == 9);
  BOOST_TEST(io.measured_at_ms == 99);
  BOOST_TEST(io.reported);
  BOOST_TEST(to_wire(io).busy_ms == 250.5);
}

BOOST_AUTO_TEST_SUITE_END()
