// A cluster of real processes on loopback: jobs across TaskManagers give
// what `spate local` gives; a TaskManager killed mid-run loses nothing;
// savepoints through the CLI restore at another parallelism.
#define BOOST_TEST_MODULE cluster
#include <boost/test/unit_test.hpp>

#include "support/cluster.hpp"

using namespace spate::test;

namespace {

//! The committed output of `spate local JOB -p P --input IN --output files:DIR`.
std::vector<std::string> local_output(const std::string& job, int p, const std::string& input,
                                      const std::string& dir) {
  auto r = run_spate(
      {"local", job, "-p", std::to_string(p), "--input", input, "--output", "files:" + dir});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return committed_lines(dir);
}

void expect_same(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST(!want.empty());
  BOOST_TEST((got == want), "the cluster's output differs from spate local's");
}

} // namespace

BOOST_AUTO_TEST_CASE(wordcount_across_two_taskmanagers_equals_local) {
  test_cluster c;
  c.start(2);
  auto out = c.dir() + "/out";
  auto input = "generator:seed=7,count=60000";
  auto r = c.spate({"run", "wordcount", "-p", "4", "--input", input, "--output", "files:" + out});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err + c.jobmanager().log());
  BOOST_TEST(r.out.find("FINISHED") != std::string::npos);
  expect_same(committed_lines(out), local_output("wordcount", 1, input, c.dir() + "/local"));

  // Both TaskManagers ran subtasks of every task: records crossed processes.
  auto id = r.out.substr(r.out.find("JobID ") + 6, 32);
  auto job = c.get("/jobs/" + id);
  BOOST_REQUIRE(job.status == 200);
  for (auto& v : job.body["vertices"]) {
    auto vertex = c.get("/jobs/" + id + "/vertices/" + v["id"].get<std::string>());
    BOOST_REQUIRE(vertex.status == 200);
    std::set<std::string> hosts;
    for (auto& s : vertex.body["subtasks"])
      hosts.insert(s["taskmanager-id"].get<std::string>());
    BOOST_TEST(hosts.size() == 2u);
  }
}

BOOST_AUTO_TEST_CASE(trending_hashtags_across_two_taskmanagers_equals_local) {
  test_cluster c;
  c.start(2);
  auto out = c.dir() + "/out";
  auto input = "generator:seed=11,count=20000";
  auto r = c.spate(
      {"run", "trending_hashtags", "-p", "4", "--input", input, "--output", "files:" + out});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  expect_same(committed_lines(out),
              local_output("trending_hashtags", 2, input, c.dir() + "/local"));
}

BOOST_AUTO_TEST_CASE(a_killed_taskmanager_is_replaced_and_nothing_is_lost) {
  test_cluster c({"execution.checkpointing.interval=200ms"});
  c.start(2);
  auto out = c.dir() + "/out";
  auto id = c.submit({"wordcount", "-p", "4", "--input",
                      "generator:seed=5,count=400000,rate=100000", "--output", "files:" + out});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 2; }));

  c.taskmanager(1).signal(SIGKILL);
  // Declared lost after heartbeat.timeout; the job waits for slots.
  BOOST_REQUIRE(await([&] {
    auto r = c.get("/jobs/" + id + "/exceptions");
    return r.status == 200 && r.body["root-exception"].is_string() &&
           names_a_lost_taskmanager(r.body["root-exception"].get<std::string>());
  }));
  c.start_taskmanager();
  BOOST_REQUIRE(c.await_taskmanagers(2));
  bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(finished,
                        c.job_state(id) + "\n" + c.taskmanager(0).log() + c.jobmanager().log());
  expect_same(committed_lines(out),
              local_output("wordcount", 2, "generator:seed=5,count=400000", c.dir() + "/local"));
}

BOOST_AUTO_TEST_CASE(savepoint_cancel_and_restore_at_another_parallelism) {
  test_cluster c({"execution.checkpointing.interval=1h"});
  c.start(2);
  auto out = c.dir() + "/out";
  auto input = "generator:seed=9,count=300000,rate=100000";
  auto id = c.submit({"wordcount", "-p", "4", "--input", input, "--output", "files:" + out});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] {
    auto j = c.get("/jobs/" + id);
    return j.body["vertices"][0]["metrics"]["write-records"].get<std::int64_t>() > 0;
  }));

  auto sp = c.spate({"savepoint", id, c.dir() + "/sp"});
  BOOST_REQUIRE_MESSAGE(sp.exit_code == 0, sp.out + sp.err);
  auto at = sp.out.find("Path: ");
  BOOST_REQUIRE(at != std::string::npos);
  auto path = sp.out.substr(at + 6);
  path = path.substr(0, path.find('\n'));
  BOOST_TEST(std::filesystem::exists(path + "/_metadata"));

  auto cancel = c.spate({"cancel", id});
  BOOST_REQUIRE_MESSAGE(cancel.exit_code == 0, cancel.err);
  BOOST_TEST(c.job_state(id) == "CANCELED");

  // Same input from the start; the savepoint holds the sources' positions.
  auto r = c.spate({"run", "wordcount", "-p", "3", "-s", path, "--input",
                    "generator:seed=9,count=300000", "--output", "files:" + out});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  expect_same(committed_lines(out),
              local_output("wordcount", 2, "generator:seed=9,count=300000", c.dir() + "/local"));
}

BOOST_AUTO_TEST_CASE(stop_with_savepoint_finishes_the_job) {
  test_cluster c;
  c.start(2);
  auto id = c.submit(
      {"wordcount", "-p", "2", "--input", "generator:seed=1,rate=20000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto r = c.spate({"stop", id, "--savepoint-path", c.dir() + "/stopped", "--drain"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  BOOST_TEST(r.out.find("Savepoint completed. Path: " + c.dir() + "/stopped") != std::string::npos);
  BOOST_TEST(c.job_state(id) == "FINISHED");
}

BOOST_AUTO_TEST_CASE(a_job_waits_for_slots_then_fails_after_the_timeout) {
  test_cluster c({"slot.request.timeout=1500ms"});
  c.start(1); // 2 slots
  auto id =
      c.submit({"wordcount", "-p", "3", "--input", "generator:count=10", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  auto j = c.get("/jobs/" + id);
  BOOST_TEST(j.body["state"] == "CREATED");
  BOOST_REQUIRE(await([&] { return c.get("/jobs/" + id).body.contains("status-detail"); }));
  BOOST_TEST(c.get("/jobs/" + id)
                 .body["status-detail"]
                 .get<std::string>()
                 .find("waiting for 3 task slot(s), 2 free") != std::string::npos);
  BOOST_REQUIRE(c.await_state(id, "FAILED"));
  auto ex = c.get("/jobs/" + id + "/exceptions");
  BOOST_TEST(ex.body["root-exception"].get<std::string>().find("NoResourceAvailable") !=
             std::string::npos);

  // With a second TaskManager it runs.
  c.start_taskmanager();
  BOOST_REQUIRE(c.await_taskmanagers(2));
  auto r = c.spate(
      {"run", "wordcount", "-p", "3", "--input", "generator:count=1000", "--output", "discard"});
  BOOST_TEST(r.exit_code == 0, r.out + r.err);
}

BOOST_AUTO_TEST_CASE(a_failing_job_reports_its_cause_and_the_cli_exits_1) {
  test_cluster c({"restart-strategy.type=none"});
  c.start(2);
  auto r = c.spate({"run", "wordcount", "-p", "2", "--input", "file:" + c.dir() + "/missing.txt",
                    "--output", "discard"});
  // A missing input file is refused at submission: bad usage.
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("missing.txt") != std::string::npos);

  auto unknown = c.spate({"run", "no_such_job"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.err.find("unknown job 'no_such_job'") != std::string::npos);

  auto bad_id = c.spate({"cancel", "not-a-job-id"});
  BOOST_TEST(bad_id.exit_code == 2);
  BOOST_TEST(bad_id.err.find("Invalid JobID") != std::string::npos);

  auto missing = c.spate({"info", "0123456789abcdef0123456789abcdef"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("not found") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_cli_says_when_the_jobmanager_is_unreachable) {
  auto port = free_port();
  auto r = run_spate({"list", "--jobmanager", "127.0.0.1:" + std::to_string(port)});
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err.find("cannot reach the JobManager") != std::string::npos);
  BOOST_TEST(r.err.find(std::to_string(port)) != std::string::npos);
  auto bad = run_spate({"list", "--jobmanager", "nohostport"});
  BOOST_TEST(bad.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(a_job_library_runs_on_the_cluster_and_locally) {
  test_cluster c;
  c.start(2);
  auto lib = bin_dir() + "/../lib/libspate_example_jobs.so";
  BOOST_REQUIRE(std::filesystem::exists(lib));
  auto input = "generator:seed=4,count=20000";
  auto out = c.dir() + "/out";
  auto r = c.spate(
      {"run", lib + ":word_lengths", "-p", "4", "--input", input, "--output", "files:" + out});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err + c.jobmanager().log());
  // The library registers one job: its name may be left out.
  auto l = run_spate({"local", lib, "--input", input, "--output", "files:" + c.dir() + "/local"});
  BOOST_REQUIRE_MESSAGE(l.exit_code == 0, l.err);
  auto got = committed_lines(out);
  expect_same(got, committed_lines(c.dir() + "/local"));
  BOOST_TEST(got.front().rfind("length=", 0) == 0u);

  auto missing = c.spate({"run", c.dir() + "/libnothing.so"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("libnothing.so' does not exist") != std::string::npos);
  auto wrong = c.spate({"run", lib + ":nope"});
  BOOST_TEST(wrong.exit_code == 2);
  BOOST_TEST(wrong.err.find("unknown job 'nope'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(taskmanagers_cancel_their_tasks_when_the_jobmanager_dies_and_join_a_new_one) {
  test_cluster c({"execution.checkpointing.interval=200ms"});
  c.start(2);
  auto id =
      c.submit({"wordcount", "-p", "4", "--input", "generator:rate=20000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 1; }));
  c.jobmanager().signal(SIGKILL);
  // After heartbeat.timeout each TaskManager gives up on the JobManager.
  for (std::size_t t = 0; t < 2; ++t) {
    bool gave_up = await([&] {
      auto log = c.taskmanager(t).log();
      return log.find("is unreachable") != std::string::npos &&
             log.find("cancelled 4 task(s)") != std::string::npos;
    });
    BOOST_REQUIRE_MESSAGE(gave_up, c.taskmanager(t).log());
  }
  BOOST_TEST(c.taskmanager(0).alive());
  BOOST_TEST(c.taskmanager(1).alive());
  // The retained checkpoint outlives the JobManager.
  BOOST_TEST(std::filesystem::exists(c.dir() + "/checkpoints/" + id));

  // A new JobManager on the same address: the TaskManagers register again.
  c.start_jobmanager();
  BOOST_REQUIRE(c.await_taskmanagers(2));
  BOOST_TEST(c.get("/jobs").body["jobs"].empty());
  auto r = c.spate(
      {"run", "wordcount", "-p", "4", "--input", "generator:count=5000", "--output", "discard"});
  BOOST_TEST(r.exit_code == 0, r.out + r.err);
}

BOOST_AUTO_TEST_CASE(a_killed_taskmanagers_tasks_restart_on_the_slots_that_remain) {
  test_cluster c({"execution.checkpointing.interval=200ms"});
  c.start(2); // 2 slots each; the job uses one on each
  auto out = c.dir() + "/out";
  auto id = c.submit({"wordcount", "-p", "2", "--input", "generator:seed=6,count=200000,rate=60000",
                      "--output", "files:" + out});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 2; }));
  c.taskmanager(0).signal(SIGKILL);
  bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(finished,
                        c.job_state(id) + "\n" + c.taskmanager(0).log() + c.jobmanager().log());
  auto job = c.get("/jobs/" + id).body;
  // Every subtask ran on the TaskManager that is left.
  for (auto& v : job["vertices"]) {
    auto vertex = c.get("/jobs/" + id + "/vertices/" + v["id"].get<std::string>()).body;
    for (auto& s : vertex["subtasks"])
      BOOST_TEST(s["taskmanager-id"] == vertex["subtasks"][0]["taskmanager-id"]);
  }
  BOOST_TEST(names_a_lost_taskmanager(
      c.get("/jobs/" + id + "/exceptions").body["root-exception"].get<std::string>()));
  expect_same(committed_lines(out),
              local_output("wordcount", 1, "generator:seed=6,count=200000", c.dir() + "/local"));
}

// Flink's task.cancellation.timeout: a task stuck in user code never sees its
// cancel; the TaskManager exits once the timeout passed, the JobManager sees
// it lost, and the job ends instead of hanging in CANCELLING.
BOOST_AUTO_TEST_CASE(a_task_that_does_not_stop_when_cancelled_ends_its_taskmanager) {
  test_cluster c({"task.cancellation.timeout=1 s", "restart-strategy.type=none"});
  c.start(1);
  auto lib = bin_dir() + "/../lib/libspate_test_stuck_jobs.so";
  BOOST_REQUIRE(std::filesystem::exists(lib));
  auto marker = c.dir() + "/stuck";
  std::ofstream(marker) << "blocks the map while it exists";
  auto id = c.submit({lib + ":stuck", "-p", "1", "--output", "discard", "--", marker});
  BOOST_REQUIRE(!id.empty());
  // The map holds a record and blocks in user code.
  BOOST_REQUIRE(await([&] { return std::filesystem::exists(marker + ".entered"); }));
  BOOST_TEST(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);
  bool ended = await([&] { return !c.taskmanager(0).alive(); }, std::chrono::seconds(15));
  BOOST_REQUIRE_MESSAGE(ended, c.job_state(id) + "\n" + c.taskmanager(0).log());
  BOOST_TEST(c.taskmanager(0).stop() == 70);
  BOOST_TEST(c.taskmanager(0).log().find(
                 "did not stop within task.cancellation.timeout (1000 ms)") != std::string::npos);
  bool canceled = c.await_state(id, "CANCELED");
  BOOST_TEST(canceled, c.job_state(id) + "\n" + c.jobmanager().log());
  BOOST_TEST(c.jobmanager().alive());
  std::filesystem::remove(marker);
}
