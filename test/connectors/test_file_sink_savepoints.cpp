// The file sink in whole jobs (in this process) stopped with a savepoint, or
// savepointed while running, and resumed from it at the same or another
// parallelism: the output equals one uninterrupted run, each record exactly
// once. Jobs without checkpointing (the sink writes its files directly)
// resume as those with it do; a new job (not resumed) still refuses the
// output, and a job resumed into another output starts that one new.
#define BOOST_TEST_MODULE file_sink_savepoints
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/file_sink_harness.hpp"
#include "connectors/source_harness.hpp"
#include "spate/connectors/file_sink.hpp"
#include "spate/core/codec.hpp"
#include "spate/spate.hpp"

using namespace spate;
using namespace spate::test;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t total = 3000;  // records of the input
constexpr std::int64_t paused = 1200; // where the first run's source waits

// Where the first run's source waits for the test: at `pause_at`, until open.
struct gate {
  std::mutex mu;
  std::condition_variable cv;
  std::int64_t pause_at = paused;
  bool reached = false;
  bool open = false;

  bool await_reached() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 20s, [&] { return reached; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
  }
};

// Emits "n-<k>" for k in [0, total) (one instance); its position is its
// operator state. With a gate it waits at the gate's position until opened.
struct numbered_source final : source_function<std::string> {
  std::shared_ptr<gate> g;
  std::int64_t next = 0;

  explicit numbered_source(std::shared_ptr<gate> gt) : g(std::move(gt)) {}
  source_status poll(collector<std::string>& out, std::size_t max_records) override {
    if (next == total)
      return source_status::end();
    std::int64_t end = std::min(total, next + static_cast<std::int64_t>(max_records));
    if (g) {
      std::lock_guard<std::mutex> lock(g->mu);
      if (!g->open && next == g->pause_at) {
        g->reached = true;
        g->cv.notify_all();
        return source_status::wait_for(1ms);
      }
      if (!g->open && next < g->pause_at)
        end = std::min(end, g->pause_at);
    }
    for (; next < end; ++next)
      out.collect("n-" + std::to_string(next));
    return source_status::has_more();
  }
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string bytes;
    encode(next, bytes);
    w.put("next", bytes);
  }
  void initialize_state(const operator_state_reader& r) override {
    if (auto p = r.own("next"))
      next = decode<std::int64_t>(*p);
  }
};

lines every_record() {
  lines out;
  for (std::int64_t k = 0; k < total; ++k)
    out.push_back("n-" + std::to_string(k));
  return sorted(out);
}

struct job_setup {
  job_setup(std::string d, std::string o, file_sink_mode m, int p, bool c)
      : dir(std::move(d)), out(std::move(o)), mode(m), parallelism(p), checkpointing(c) {}
  std::string dir;
  std::string out;
  file_sink_mode mode;
  int parallelism;
  bool checkpointing;
  std::shared_ptr<gate> g;    // the first run's
  std::string restore;        // a savepoint to resume
  std::string id = "resumed"; // names the state directory
};

// numbers (one instance) -> rebalance -> file sink at `parallelism`.
job_client start(const job_setup& s) {
  configuration cfg;
  cfg.set(options::state_dir, s.dir + "/state-" + s.id);
  cfg.set(options::parallelism, std::to_string(s.parallelism));
  cfg.set(options::buffer_timeout, "0");
  cfg.set(options::checkpoints_dir, s.dir + "/checkpoints");
  cfg.set(options::savepoints_dir, s.dir + "/savepoints");
  cfg.set(options::restart_strategy, "none");
  if (s.checkpointing)
    cfg.set(options::checkpoint_interval, "20 ms");
  environment env(cfg);
  auto g = s.g;
  env.add_source<std::string>(
         {"numbers", [g] { return std::make_unique<numbered_source>(g); }, false})
      .uid("numbers")
      .rebalance()
      .add_sink(file_sink(s.out, s.mode))
      .uid("sink");
  start_options opts;
  opts.restore_path = s.restore;
  return env.execute_async("file sink savepoints", opts);
}

lines output_of(const job_setup& s) {
  return sorted(s.mode == file_sink_mode::merged ? visible_merged(s.out) : all_parts(s.out));
}

// Runs the first job until its source reached the gate, takes a savepoint
// (stopping the job, or letting it run to its end), and returns it.
std::string first_run(job_setup s, bool stop) {
  s.g = std::make_shared<gate>();
  s.id = "first";
  auto client = start(s);
  BOOST_REQUIRE_MESSAGE(s.g->await_reached(), "the source never reached the gate");
  std::string savepoint;
  if (stop) {
    savepoint = client.stop(s.dir + "/savepoints", false);
  } else {
    savepoint = client.trigger_savepoint(s.dir + "/savepoints");
    s.g->release(); // the rest is written after the savepoint
  }
  auto result = client.wait();
  BOOST_TEST(result.status == job_status::finished, result.failure_cause);
  return savepoint;
}

// A first run at `from` subtasks, a savepoint, and a resumed run at `to`.
void stop_and_resume(file_sink_mode mode, int from, int to, bool stop, bool checkpointing) {
  bool merged = mode == file_sink_mode::merged;
  BOOST_TEST_CONTEXT((merged ? "file:" : "files:")
                     << " " << from << " -> " << to << " subtasks, "
                     << (stop ? "stopped with" : "running at") << " a savepoint, "
                     << (checkpointing ? "with" : "without") << " checkpointing") {
    test::temp_dir dir;
    job_setup s(dir.path(), dir / (merged ? "out.txt" : "out"), mode, from, checkpointing);
    std::string savepoint = first_run(s, stop);
    BOOST_TEST_MESSAGE("savepoint " << savepoint);
    lines before = output_of(s);
    BOOST_TEST(before.size() == static_cast<std::size_t>(stop ? paused : total));
    s.parallelism = to;
    s.restore = savepoint;
    auto result = start(s).wait();
    BOOST_TEST(result.status == job_status::finished, result.failure_cause);
    BOOST_TEST((output_of(s) == every_record()));
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(per_subtask_without_checkpointing_resumes_a_stop_with_savepoint) {
  stop_and_resume(file_sink_mode::per_subtask, 2, 2, true, false);
  stop_and_resume(file_sink_mode::per_subtask, 2, 3, true, false);
  stop_and_resume(file_sink_mode::per_subtask, 3, 1, true, false);
}

BOOST_AUTO_TEST_CASE(per_subtask_without_checkpointing_drops_output_after_the_savepoint) {
  stop_and_resume(file_sink_mode::per_subtask, 2, 2, false, false);
  stop_and_resume(file_sink_mode::per_subtask, 3, 2, false, false);
}

BOOST_AUTO_TEST_CASE(merged_without_checkpointing_resumes_a_savepoint) {
  stop_and_resume(file_sink_mode::merged, 2, 2, true, false);
  stop_and_resume(file_sink_mode::merged, 2, 3, true, false);
  stop_and_resume(file_sink_mode::merged, 2, 2, false, false);
}

BOOST_AUTO_TEST_CASE(with_checkpointing_a_savepoint_resumes_as_before) {
  stop_and_resume(file_sink_mode::per_subtask, 2, 3, true, true);
  stop_and_resume(file_sink_mode::per_subtask, 2, 2, false, true);
  stop_and_resume(file_sink_mode::merged, 2, 3, true, true);
}

BOOST_AUTO_TEST_CASE(a_new_job_without_the_savepoint_is_still_refused) {
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    bool merged = mode == file_sink_mode::merged;
    BOOST_TEST_CONTEXT((merged ? "file:" : "files:")) {
      test::temp_dir dir;
      job_setup s(dir.path(), dir / (merged ? "out.txt" : "out"), mode, 2, false);
      first_run(s, true);
      lines before = output_of(s);
      auto files = dir_contents(merged ? dir.path() : s.out);
      s.id = "new";
      auto result = start(s).wait();
      BOOST_TEST(result.status == job_status::failed);
      BOOST_TEST_MESSAGE(result.failure_cause);
      BOOST_TEST(result.failure_cause.find("'" + s.out + "': holds") != std::string::npos);
      BOOST_TEST(result.failure_cause.find("earlier run") != std::string::npos);
      BOOST_TEST(result.failure_cause.find("with -s") != std::string::npos);
      BOOST_TEST((output_of(s) == before));
      if (!merged)
        BOOST_TEST((dir_contents(s.out) == files));
    }
  }
}

BOOST_AUTO_TEST_CASE(resumed_into_another_output_it_holds_what_the_resumed_job_wrote) {
  // The old output stays as it was; the new one gets the records after the
  // savepoint only.
  lines after;
  for (std::int64_t k = paused; k < total; ++k)
    after.push_back("n-" + std::to_string(k));
  after = sorted(after);
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    bool merged = mode == file_sink_mode::merged;
    BOOST_TEST_CONTEXT((merged ? "file:" : "files:")) {
      test::temp_dir dir;
      job_setup s(dir.path(), dir / (merged ? "out.txt" : "out"), mode, 2, false);
      std::string savepoint = first_run(s, true);
      lines before = output_of(s);
      job_setup resumed(dir.path(), dir / (merged ? "second.txt" : "second"), mode, 3, false);
      resumed.restore = savepoint;
      auto result = start(resumed).wait();
      BOOST_TEST(result.status == job_status::finished, result.failure_cause);
      BOOST_TEST((output_of(resumed) == after));
      BOOST_TEST((output_of(s) == before));
    }
  }
}
