// The checkpoint coordinator on its own: a recording port stands in for the
// tasks and the master, and a manual clock for time, so intervals, pauses and
// timeouts are driven by hand.
#define BOOST_TEST_MODULE checkpoint_coordinator
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <future>

#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/checkpoints/coordinator.hpp"
#include "spate/core/error.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::checkpoints;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct recording_port final : coordinator_port {
  std::vector<checkpoint_trigger> triggers;
  //! The subtasks each trigger went to.
  std::vector<std::vector<task_ref>> targets;
  std::vector<bool> ends; // all_finished(committed)
  std::vector<std::int64_t> completed, aborted;
  std::vector<std::pair<std::chrono::milliseconds, std::uint64_t>> ticks;
  std::vector<std::pair<std::chrono::milliseconds, std::int64_t>> timeouts;
  std::vector<std::string> failures;
  int stops = 0;
  std::vector<std::string> restart_points;
  std::vector<checkpoint_stats> stats;

  void trigger(const checkpoint_trigger& t, const std::vector<task_ref>& to) override {
    triggers.push_back(t);
    targets.push_back(to);
  }
  void all_finished(bool committed) override { ends.push_back(committed); }
  void notify_complete(checkpoint_id id) override { completed.push_back(id.value()); }
  void notify_aborted(checkpoint_id id) override { aborted.push_back(id.value()); }
  void schedule_tick(std::chrono::milliseconds d, std::uint64_t g) override {
    ticks.emplace_back(d, g);
  }
  void schedule_timeout(std::chrono::milliseconds d, checkpoint_id id) override {
    timeouts.emplace_back(d, id.value());
  }
  void fail_job(const std::string& reason) override { failures.push_back(reason); }
  void stopped() override { ++stops; }
  void restart_point(const checkpoint_metadata& meta, const std::string&,
                     const std::string& path) override {
    BOOST_TEST(fs::exists(path));
    BOOST_TEST(load_metadata(path).checkpoint_id == meta.checkpoint_id);
    restart_points.push_back(path);
  }
  void record(checkpoint_stats s) override { stats.push_back(std::move(s)); }
};

struct fixture {
  test::temp_dir dir;
  manual_clock clock;
  recording_port port;
  std::unique_ptr<checkpoint_coordinator> c;

  explicit fixture(int tolerable = 0, int retained = 1, std::chrono::milliseconds min_pause = 0ms,
                   bool enabled = true) {
    coordinator_setup s;
    s.config.enabled = enabled;
    s.config.interval = 1000ms;
    s.config.min_pause = min_pause;
    s.config.timeout = 5000ms;
    s.config.tolerable_failures = tolerable;
    s.config.retained = retained;
    s.config.dir = dir.str() + "/ck";
    s.job_id = "0123456789abcdef0123456789abcdef";
    s.job_name = "test job";
    s.savepoints_dir = dir.str() + "/sp";
    c = std::make_unique<checkpoint_coordinator>(s, port, clock);
  }
  //! A job of one task (chain 0): `subtasks` source subtasks.
  void start(int subtasks) {
    std::vector<task_ref> all;
    for (int i = 0; i < subtasks; ++i)
      all.push_back(ref(0, i));
    c->start(all, all);
  }
  //! A job of two tasks, two subtasks each: sources (chain 0) feeding a
  //! sink (chain 1).
  void start_two_tasks() {
    c->start({ref(0, 0), ref(0, 1), ref(1, 0), ref(1, 1)}, {ref(0, 0), ref(0, 1)});
  }
  static task_ref ref(int chain, int subtask) { return {chain, subtask_index{subtask}}; }
  //! Fires the latest scheduled tick.
  void tick() { c->on_tick(port.ticks.back().second); }
  std::shared_ptr<subtask_snapshot> ack(std::int64_t id, int subtask, std::uint64_t bytes = 10,
                                        int chain = 0, bool finished = false) {
    auto s = std::make_shared<subtask_snapshot>();
    s->chain = chain;
    s->finished = finished;
    s->id = checkpoint_id{id};
    s->subtask = subtask_index{subtask};
    s->task_name = "Source -> Map";
    s->bytes = bytes;
    s->sync_ms = 1 + subtask;
    operator_snapshot op;
    op.uid = chain == 0 ? "map" : "sink";
    op.parallelism = 2;
    op.max_parallelism = 128;
    if (chain == 0)
      op.operator_state.push_back({subtask, "pos", "x" + std::to_string(subtask)});
    s->operators.push_back(op);
    return s;
  }
  void ack_all(std::int64_t id, int subtasks = 2) {
    for (int i = 0; i < subtasks; ++i)
      c->acknowledge(ack(id, i));
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(an_interval_tick_triggers_and_all_acks_complete) {
  fixture f;
  f.start(2);
  BOOST_TEST_REQUIRE(f.port.ticks.size() == 1u);
  BOOST_TEST(f.port.ticks.back().first.count() == 1000);
  f.tick();
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 1u);
  BOOST_TEST(f.port.triggers[0].id.value() == 1);
  BOOST_TEST(!f.port.triggers[0].savepoint);
  BOOST_TEST(f.port.timeouts.back().second == 1);
  BOOST_TEST(f.port.ticks.size() == 2u); // the next interval is scheduled
  f.clock.advance(250ms);
  f.c->acknowledge(f.ack(1, 0, 100));
  BOOST_TEST(f.port.completed.empty()); // one of two
  f.c->acknowledge(f.ack(1, 1, 50));
  BOOST_TEST(f.port.completed == std::vector<std::int64_t>{1});
  BOOST_TEST_REQUIRE(f.port.restart_points.size() == 1u);
  BOOST_TEST_REQUIRE(f.port.stats.size() == 1u);
  const auto& st = f.port.stats[0];
  BOOST_TEST(st.status == "COMPLETED");
  BOOST_TEST(st.end_to_end_duration == 250);
  BOOST_TEST(st.state_size == 150u);
  BOOST_TEST(st.sync_duration == 2);
  BOOST_TEST(st.num_acknowledged_subtasks == 2);
  BOOST_TEST(st.trigger_timestamp == f.clock.wall_ms() - 250);
  // Both subtasks' operator state is merged under the one uid.
  auto meta = load_metadata(f.port.restart_points[0]);
  BOOST_TEST_REQUIRE(meta.operators.size() == 1u);
  BOOST_TEST(meta.operators[0].operator_state.size() == 2u);
  BOOST_TEST(!f.c->pending_id());
}

BOOST_AUTO_TEST_CASE(one_checkpoint_at_a_time_and_min_pause_between) {
  fixture f(0, 1, 500ms);
  f.start(1);
  f.tick();
  f.tick(); // still pending: no second trigger
  BOOST_TEST(f.port.triggers.size() == 1u);
  f.ack_all(1, 1);
  f.clock.advance(100ms);
  f.tick(); // 100 ms after completing, min pause 500 ms
  BOOST_TEST(f.port.triggers.size() == 1u);
  f.clock.advance(400ms);
  f.tick();
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 2u);
  BOOST_TEST(f.port.triggers[1].id.value() == 2);
}

BOOST_AUTO_TEST_CASE(a_timeout_aborts_and_fails_the_job_past_the_tolerable_failures) {
  fixture f(1);
  f.start(2);
  f.tick();
  f.c->acknowledge(f.ack(1, 0));
  f.c->on_timeout(checkpoint_id{1});
  BOOST_TEST(f.port.aborted == std::vector<std::int64_t>{1});
  BOOST_TEST_REQUIRE(f.port.stats.size() == 1u);
  BOOST_TEST(f.port.stats[0].status == "FAILED");
  BOOST_TEST(f.port.stats[0].failure_message.find("expired") != std::string::npos);
  BOOST_TEST(f.port.failures.empty()); // one failure tolerated
  f.c->acknowledge(f.ack(1, 1));       // late: ignored
  BOOST_TEST(f.port.completed.empty());
  f.tick();
  f.c->decline(checkpoint_id{2}, "disk full", true);
  BOOST_TEST_REQUIRE(f.port.failures.size() == 1u);
  BOOST_TEST(f.port.failures[0].find("tolerable failure threshold (1): disk full") !=
             std::string::npos);
  // A timeout of a checkpoint no longer pending does nothing.
  f.c->on_timeout(checkpoint_id{1});
  BOOST_TEST(f.port.aborted.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_decline_that_does_not_count_never_fails_the_job) {
  fixture f;
  f.start(1);
  for (int i = 1; i <= 3; ++i) {
    f.tick();
    f.c->decline(checkpoint_id{i}, "task 'x' is not running", false);
  }
  BOOST_TEST(f.port.aborted.size() == 3u);
  BOOST_TEST(f.port.failures.empty());
  // A completed checkpoint resets the count of consecutive failures.
  fixture g(1);
  g.start(1);
  g.tick();
  g.c->decline(checkpoint_id{1}, "a", true);
  g.tick();
  g.ack_all(2, 1);
  g.tick();
  g.c->decline(checkpoint_id{3}, "b", true);
  BOOST_TEST(g.port.failures.empty());
}

BOOST_AUTO_TEST_CASE(savepoints_queue_behind_a_checkpoint_and_do_not_commit) {
  fixture f;
  f.start(1);
  f.tick();
  savepoint_request req;
  req.result = std::make_shared<std::promise<std::string>>();
  auto path = req.result->get_future();
  f.c->request_savepoint(req);
  BOOST_TEST(f.port.triggers.size() == 1u); // queued
  f.ack_all(1, 1);
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 2u);
  const auto& t = f.port.triggers[1];
  BOOST_TEST(t.savepoint);
  BOOST_TEST(t.savepoint_dir.rfind(f.dir.str() + "/sp/savepoint-012345-", 0) == 0);
  BOOST_TEST(fs::is_directory(t.savepoint_dir));
  f.ack_all(2, 1);
  BOOST_TEST(path.get() == t.savepoint_dir);
  BOOST_TEST(fs::exists(t.savepoint_dir + "/_metadata"));
  // Only the checkpoint committed sinks, and only it is a restart point.
  BOOST_TEST(f.port.completed == std::vector<std::int64_t>{1});
  BOOST_TEST(f.port.restart_points.size() == 1u);
  BOOST_TEST(f.c->active());
}

BOOST_AUTO_TEST_CASE(stop_with_savepoint_commits_and_stops) {
  fixture f;
  f.start(1);
  savepoint_request req;
  req.stop = true;
  req.dir = f.dir.str() + "/mine";
  f.c->request_savepoint(req);
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 1u);
  BOOST_TEST(f.port.triggers[0].stop);
  f.ack_all(1, 1);
  BOOST_TEST(f.port.completed == std::vector<std::int64_t>{1});
  BOOST_TEST(f.port.stops == 1);
  BOOST_TEST(!f.c->active());
  f.tick();
  BOOST_TEST(f.port.triggers.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_draining_stop_fails_the_job) {
  fixture f(5);
  f.start(1);
  savepoint_request req;
  req.stop = true;
  req.drain = true;
  f.c->request_savepoint(req);
  f.c->decline(checkpoint_id{1}, "sink refused", true);
  BOOST_TEST_REQUIRE(f.port.failures.size() == 1u);
  BOOST_TEST(f.port.failures[0] == "stop-with-savepoint (drain) failed: sink refused");
}

BOOST_AUTO_TEST_CASE(pause_aborts_without_counting_and_fails_queued_savepoints) {
  fixture f;
  f.start(1);
  f.tick();
  savepoint_request req;
  req.result = std::make_shared<std::promise<std::string>>();
  auto result = req.result->get_future();
  f.c->request_savepoint(req);
  auto generation = f.port.ticks.back().second;
  f.c->pause();
  BOOST_TEST(f.port.aborted == std::vector<std::int64_t>{1});
  BOOST_TEST(f.port.failures.empty());
  BOOST_CHECK_THROW(result.get(), error);
  f.c->on_tick(generation); // a tick of before the pause
  BOOST_TEST(f.port.triggers.size() == 1u);
  // Inactive: a savepoint request fails at once.
  savepoint_request late;
  late.result = std::make_shared<std::promise<std::string>>();
  auto refused = late.result->get_future();
  f.c->request_savepoint(late);
  try {
    refused.get();
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("not running") != std::string::npos);
  }
  // start() again resumes with the next id.
  f.start(1);
  f.tick();
  BOOST_TEST(f.port.triggers.back().id.value() == 2);
}

BOOST_AUTO_TEST_CASE(only_the_retained_checkpoints_stay_on_disk) {
  fixture f(0, 2);
  f.start(1);
  for (int id = 1; id <= 4; ++id) {
    f.tick();
    f.ack_all(id, 1);
  }
  auto job = f.dir.path / "ck" / "0123456789abcdef0123456789abcdef";
  BOOST_TEST(!fs::exists(job / "chk-1"));
  BOOST_TEST(!fs::exists(job / "chk-2"));
  BOOST_TEST(fs::exists(job / "chk-3" / "_metadata"));
  BOOST_TEST(fs::exists(job / "chk-4" / "_metadata"));
}

BOOST_AUTO_TEST_CASE(checkpoints_go_on_after_tasks_finish_and_a_final_one_ends_the_job) {
  fixture f;
  f.start_two_tasks();
  f.c->task_finished(f.ref(0, 0));
  f.tick();
  // The running source starts the barrier; the finished one is asked itself.
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 1u);
  BOOST_TEST((f.port.targets[0] == std::vector<task_ref>{f.ref(0, 1), f.ref(0, 0)}));
  f.c->acknowledge(f.ack(1, 0, 10, 0, true));
  f.c->acknowledge(f.ack(1, 1, 10, 0, false));
  f.c->acknowledge(f.ack(1, 0, 10, 1, false));
  BOOST_TEST(f.port.completed.empty());
  f.c->acknowledge(f.ack(1, 1, 10, 1, false));
  BOOST_TEST(f.port.completed == std::vector<std::int64_t>{1});
  BOOST_TEST(f.port.ends.empty());
  // Half of the sources finished: no operator is marked finished.
  for (auto& op : load_metadata(f.port.restart_points.back()).operators)
    BOOST_TEST(!op.finished);
  f.c->task_finished(f.ref(0, 1));
  f.c->task_finished(f.ref(1, 0));
  BOOST_TEST(f.port.triggers.size() == 1u); // still running: (1, 1)
  f.c->task_finished(f.ref(1, 1));
  // The last one finished: the final checkpoint goes out at once, to all.
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 2u);
  BOOST_TEST(f.port.targets[1].size() == 4u);
  for (int chain : {0, 1})
    for (int s : {0, 1})
      f.c->acknowledge(f.ack(2, s, 10, chain, true));
  BOOST_TEST((f.port.completed == std::vector<std::int64_t>{1, 2}));
  BOOST_TEST(f.port.ends == std::vector<bool>{true});
  BOOST_TEST(!f.c->active());
  auto meta = load_metadata(f.port.restart_points.back());
  BOOST_TEST_REQUIRE(meta.operators.size() == 2u); // the stateless sink too: it finished
  for (auto& op : meta.operators)
    BOOST_TEST(op.finished);
  f.tick();
  BOOST_TEST(f.port.triggers.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_subtask_finishing_during_a_checkpoint_is_asked_once) {
  fixture f;
  f.start_two_tasks();
  f.tick();
  BOOST_TEST_REQUIRE(f.port.targets.size() == 1u);
  BOOST_TEST((f.port.targets[0] == std::vector<task_ref>{f.ref(0, 0), f.ref(0, 1)}));
  // A sink subtask finishes before a barrier reached it.
  f.c->task_finished(f.ref(1, 0));
  BOOST_TEST_REQUIRE(f.port.targets.size() == 2u);
  BOOST_TEST((f.port.targets[1] == std::vector<task_ref>{f.ref(1, 0)}));
  BOOST_TEST(f.port.triggers[1].id.value() == 1);
  // A source that got the trigger is not asked again when it finishes.
  f.c->task_finished(f.ref(0, 0));
  f.c->task_finished(f.ref(1, 0)); // a repeat changes nothing
  BOOST_TEST(f.port.targets.size() == 2u);
}

BOOST_AUTO_TEST_CASE(acks_from_unknown_or_repeated_subtasks_do_not_count) {
  fixture f;
  f.start(2);
  f.tick();
  f.c->acknowledge(f.ack(1, 0));
  f.c->acknowledge(f.ack(1, 0)); // again
  f.c->acknowledge(f.ack(1, 7)); // a subtask the job does not have
  f.c->acknowledge(f.ack(1, 0, 10, 3));
  BOOST_TEST(f.port.completed.empty());
  f.c->acknowledge(f.ack(1, 1));
  BOOST_TEST(f.port.completed == std::vector<std::int64_t>{1});
  BOOST_TEST_REQUIRE(f.port.stats.size() == 1u);
  BOOST_TEST(f.port.stats[0].num_acknowledged_subtasks == 2);
}

BOOST_AUTO_TEST_CASE(a_final_checkpoint_follows_one_that_held_running_state) {
  fixture f;
  f.start(2);
  f.tick();
  f.c->acknowledge(f.ack(1, 0)); // taken while running
  f.c->task_finished(f.ref(0, 0));
  f.c->task_finished(f.ref(0, 1)); // got the trigger as a source: not asked again
  BOOST_TEST(f.port.triggers.size() == 1u);
  f.c->acknowledge(f.ack(1, 1, 10, 0, true));
  // Checkpoint 1 does not hold subtask 0's final state: checkpoint 2 does.
  BOOST_TEST(f.port.completed == std::vector<std::int64_t>{1});
  BOOST_TEST(f.port.ends.empty());
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 2u);
  f.c->acknowledge(f.ack(2, 0, 10, 0, true));
  f.c->acknowledge(f.ack(2, 1, 10, 0, true));
  BOOST_TEST(f.port.ends == std::vector<bool>{true});
}

BOOST_AUTO_TEST_CASE(a_failed_final_checkpoint_is_retried_at_the_interval) {
  fixture f(5);
  f.start(1);
  f.c->task_finished(f.ref(0, 0));
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 1u);
  f.c->decline(checkpoint_id{1}, "disk full", true);
  BOOST_TEST(f.port.aborted == std::vector<std::int64_t>{1});
  BOOST_TEST(f.port.ends.empty());
  f.tick();
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 2u);
  BOOST_TEST((f.port.targets[1] == std::vector<task_ref>{f.ref(0, 0)}));
  f.c->acknowledge(f.ack(2, 0, 10, 0, true));
  BOOST_TEST(f.port.ends == std::vector<bool>{true});
}

BOOST_AUTO_TEST_CASE(without_checkpointing_the_job_ends_when_every_task_finished) {
  fixture f(0, 1, 0ms, false);
  f.start(2);
  f.c->task_finished(f.ref(0, 1));
  BOOST_TEST(f.port.ends.empty());
  f.c->task_finished(f.ref(0, 0));
  BOOST_TEST(f.port.ends == std::vector<bool>{false});
  BOOST_TEST(f.port.triggers.empty());
}

BOOST_AUTO_TEST_CASE(stop_with_savepoint_works_with_finished_tasks) {
  fixture f;
  f.start_two_tasks();
  f.c->task_finished(f.ref(0, 0));
  f.c->task_finished(f.ref(1, 0));
  savepoint_request req;
  req.stop = true;
  req.result = std::make_shared<std::promise<std::string>>();
  auto path = req.result->get_future();
  f.c->request_savepoint(req);
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 1u);
  BOOST_TEST(f.port.triggers[0].stop);
  BOOST_TEST((f.port.targets[0] == std::vector<task_ref>{f.ref(0, 1), f.ref(0, 0), f.ref(1, 0)}));
  f.c->acknowledge(f.ack(1, 0, 10, 0, true));
  f.c->acknowledge(f.ack(1, 0, 10, 1, true));
  f.c->acknowledge(f.ack(1, 1, 10, 0, false));
  f.c->acknowledge(f.ack(1, 1, 10, 1, false));
  BOOST_TEST(f.port.stops == 1);
  BOOST_TEST(fs::exists(path.get() + "/_metadata"));
}

BOOST_AUTO_TEST_CASE(no_savepoint_once_every_task_finished) {
  fixture f(0, 1, 0ms, false);
  f.start(1);
  f.c->task_finished(f.ref(0, 0));
  savepoint_request req;
  req.result = std::make_shared<std::promise<std::string>>();
  auto r = req.result->get_future();
  f.c->request_savepoint(req);
  try {
    r.get();
    BOOST_FAIL("a savepoint after the end");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("every task of the job finished") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(start_refuses_an_empty_or_repeated_task_list) {
  fixture f;
  BOOST_CHECK_THROW(f.c->start({}, {}), error);
  BOOST_CHECK_THROW(f.c->start({f.ref(0, 0), f.ref(0, 0)}, {}), error);
  BOOST_CHECK_THROW(f.c->start({f.ref(0, 0)}, {f.ref(1, 0)}), error);
}

BOOST_AUTO_TEST_CASE(checkpoint_counts_are_range_checked_before_narrowing) {
  // 2^32 + 1 narrowed to int would be 1, a valid count: refused instead.
  for (const char* key : {options::checkpoints_retained, options::tolerable_failed_checkpoints})
    for (const char* v : {"4294967297", "-1", "99999999999999999999"}) {
      configuration c;
      c.set(key, v);
      try {
        checkpoint_config::from(c);
        BOOST_ERROR("accepted " << key << "=" << v);
      } catch (const error& e) {
        BOOST_TEST(e.code() == errc::invalid_argument);
        BOOST_TEST(std::string(e.what()).find(key) != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find(v) != std::string::npos, e.what());
      }
    }
  configuration c;
  c.set(options::checkpoints_retained, "3");
  c.set(options::tolerable_failed_checkpoints, "0");
  c.set(options::checkpoint_timeout, "36500 d");
  auto cc = checkpoint_config::from(c);
  BOOST_TEST(cc.retained == 3);
  BOOST_TEST(cc.tolerable_failures == 0);
  c.set(options::checkpoint_timeout, "36501 d");
  BOOST_CHECK_THROW(checkpoint_config::from(c), error);
}

// An upload that finished after its checkpoint was given up: the late
// acknowledgement's files (written after the abort cleaned up) go too.
BOOST_AUTO_TEST_CASE(a_late_ack_of_an_aborted_checkpoint_removes_its_files) {
  fixture f;
  f.start(1);
  f.tick();
  f.c->on_timeout(checkpoint_id{1});
  BOOST_TEST(f.port.aborted == std::vector<std::int64_t>{1});
  auto chk1 = f.dir.path / "ck" / "0123456789abcdef0123456789abcdef" / "chk-1";
  fs::create_directories(chk1 / "uid_0_late");
  std::ofstream(chk1 / "uid_0_late" / "MANIFEST-000001") << "late";
  f.c->acknowledge(f.ack(1, 0));
  BOOST_TEST(!fs::exists(chk1));
  BOOST_TEST(f.port.completed.empty());
  // A completed, retained checkpoint is never touched by a stray ack.
  f.tick();
  f.c->acknowledge(f.ack(2, 0));
  BOOST_REQUIRE(f.port.completed == std::vector<std::int64_t>{2});
  f.c->acknowledge(f.ack(2, 0));
  BOOST_TEST(
      fs::exists(f.dir.path / "ck" / "0123456789abcdef0123456789abcdef" / "chk-2" / "_metadata"));
}

BOOST_AUTO_TEST_CASE(a_savepoint_directory_std_filesystem_cannot_resolve_fails_the_request_only) {
  fixture f;
  f.start(1);
  // A relative target while the working directory is gone: std::filesystem
  // cannot make it absolute and throws its own error.
  auto cwd = fs::current_path();
  struct back_to {
    fs::path dir;
    ~back_to() { fs::current_path(dir); }
  } restore{cwd};
  auto gone = f.dir.path / "gone";
  fs::create_directory(gone);
  fs::current_path(gone);
  fs::remove(gone);
  savepoint_request req;
  req.dir = "relative";
  req.result = std::make_shared<std::promise<std::string>>();
  auto result = req.result->get_future();
  BOOST_CHECK_NO_THROW(f.c->request_savepoint(req));
  fs::current_path(cwd);
  BOOST_REQUIRE(result.wait_for(0s) == std::future_status::ready);
  try {
    result.get();
    BOOST_FAIL("a savepoint under a directory that cannot be resolved");
  } catch (const error& e) {
    BOOST_TEST((e.code() == errc::io));
    BOOST_TEST(std::string(e.what()).find("savepoint directory 'relative/savepoint-") !=
                   std::string::npos,
               e.what());
  }
  BOOST_TEST(f.port.triggers.empty());
  BOOST_TEST(f.port.failures.empty());
  // The coordinator goes on: the next checkpoint is taken.
  f.tick();
  BOOST_TEST_REQUIRE(f.port.triggers.size() == 1u);
  BOOST_TEST(!f.port.triggers[0].savepoint);
}
