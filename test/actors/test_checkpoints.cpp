#define BOOST_TEST_MODULE checkpoints
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "spate/checkpoints/storage.hpp"
#include "support/checkpointing.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;
using namespace std::chrono_literals;
using rec = std::pair<std::int64_t, std::int64_t>;

namespace {

configuration checkpointed(const std::string& dir, int parallelism,
                           const char* interval = "20 ms") {
  auto c = test_config(dir + "/state", parallelism);
  c.set(options::checkpoint_interval, interval);
  c.set(options::checkpoints_dir, dir + "/checkpoints");
  c.set("restart-strategy.fixed-delay.delay", "10 ms");
  c.set(options::buffer_timeout, "5 ms");
  return c;
}

//! Per key: the running sums a sink committed must be exactly those of one
//! pass over the input (no duplicate, none missing), whatever the order.
void check_exactly_once(const std::vector<rec>& committed, std::int64_t n, int keys) {
  std::map<std::int64_t, std::vector<std::int64_t>> sums;
  for (auto& [k, s] : committed)
    sums[k].push_back(s);
  std::map<std::int64_t, std::int64_t> total, count;
  for (std::int64_t seq = 0; seq < n; ++seq) {
    total[seq % keys] += seq + 1;
    ++count[seq % keys];
  }
  BOOST_TEST(committed.size() == static_cast<std::size_t>(n));
  for (auto& [k, v] : sums) {
    std::sort(v.begin(), v.end());
    BOOST_TEST((std::adjacent_find(v.begin(), v.end()) == v.end()), "duplicate sum for key " << k);
    BOOST_TEST(static_cast<std::int64_t>(v.size()) == count[k], "key " << k);
    BOOST_TEST(v.back() == total[k], "key " << k);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(failures_at_random_records_keep_committed_output_exactly_once) {
  const auto seed =
      spate::test::test_seed("failures_at_random_records_keep_committed_output_exactly_once");
  std::mt19937_64 rng(seed);
  for (int parallelism : {1, 3}) {
    temp_dir dir;
    const std::int64_t n = 12000;
    const int keys = 7;
    auto failed = std::make_shared<std::pair<std::mutex, std::set<std::int64_t>>>();
    std::set<std::int64_t> fail_at;
    while (fail_at.size() < 3)
      fail_at.insert(static_cast<std::int64_t>(rng() % n));
    BOOST_TEST_MESSAGE("parallelism " << parallelism << ", failures at " << *fail_at.begin() << ", "
                                      << *std::next(fail_at.begin()) << ", " << *fail_at.rbegin());
    environment env(checkpointed(dir.str(), parallelism));
    auto store = std::make_shared<committed_store<rec>>();
    env.add_source(paced(0, n, 40, 1ms))
        .uid("source")
        .map([failed, fail_at](rec r) {
          if (fail_at.count(r.second)) {
            std::lock_guard<std::mutex> lock(failed->first);
            if (failed->second.insert(r.second).second)
              throw std::runtime_error("injected failure at record " + std::to_string(r.second));
          }
          return rec{r.second % keys, r.second + 1};
        })
        .key_by([](const rec& r) { return r.first; })
        .reduce([](const rec& a, rec b) {
          return rec{a.first, a.second + b.second};
        })
        .uid("sums")
        .add_sink(two_phase(store))
        .uid("sink")
        .set_parallelism(1);
    auto client = env.execute_async("exactly once");
    auto r = client.wait();
    BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
    // Every injected failure happened; two at nearly the same time share a restart.
    BOOST_TEST(failed->second.size() == 3u);
    BOOST_TEST(client.full_restarts() >= 1);
    BOOST_TEST(client.full_restarts() <= 3);
    BOOST_TEST(client.downtime().count() >= 10 * client.full_restarts()); // 10 ms delay each
    // Flink's job metrics of the ended job: uptime and downtime -1, the last
    // restart's time (at least its 10 ms delay), counts as above.
    auto m = client.job_metrics();
    BOOST_TEST(m.at("numRestarts") == client.full_restarts());
    BOOST_TEST(m.at("fullRestarts") == client.full_restarts());
    BOOST_TEST(m.at("uptime") == -1);
    BOOST_TEST(m.at("downtime") == -1);
    BOOST_TEST(m.at("restartingTime") >= 10);
    BOOST_TEST(m.at("numberOfCompletedCheckpoints") == client.checkpoint_totals().completed);
    BOOST_TEST(m.at("numberOfInProgressCheckpoints") == 0);
    BOOST_TEST(m.at("lastCheckpointDuration") >= 0);
    BOOST_TEST(m.at("lastCheckpointSize") >= 0);
    BOOST_TEST(client.checkpoint_totals().completed >= 1);
    for (auto& c : client.checkpoint_history())
      if (c.status == "COMPLETED") {
        BOOST_TEST(c.num_acknowledged_subtasks == c.num_subtasks);
        BOOST_TEST(c.subtasks.size() == static_cast<std::size_t>(c.num_subtasks));
      }
    check_exactly_once(store->snapshot(), n, keys);
  }
}

namespace {

//! Records how many records of each origin arrived before each checkpoint.
struct counting_sink final : sink_function<rec> {
  std::map<std::int64_t, std::int64_t> counts;
  void write(const typed_batch<rec>& b) override {
    for (auto& r : b.values)
      ++counts[r.first];
  }
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string bytes;
    encode(counts, bytes);
    w.put("counts", bytes);
  }
};

} // namespace

// Exactly-once alignment: in every completed checkpoint the sink has seen
// exactly the records each source emitted before its barrier, even though one
// input is much slower than the other.
BOOST_AUTO_TEST_CASE(aligned_barriers_give_consistent_snapshots_under_a_slow_channel) {
  temp_dir dir;
  auto cfg = checkpointed(dir.str(), 2, "15 ms");
  cfg.set(options::checkpoints_retained, "1000");
  environment env(cfg);
  auto fast = env.add_source(paced(1, 20000, 200, 1ms)).uid("fast").set_parallelism(1);
  auto slow = env.add_source(paced(2, 400, 2, 3ms)).uid("slow").set_parallelism(1);
  fast.union_with(slow)
      .rebalance()
      .map([](rec r) { return r; })
      .add_sink({"counting", [] { return std::make_unique<counting_sink>(); }, false})
      .uid("counter")
      .set_parallelism(1);
  auto client = env.execute_async("alignment");
  auto r = client.wait();
  BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
  int checked = 0;
  for (auto& st : client.checkpoint_history()) {
    if (st.status != "COMPLETED")
      continue;
    auto meta = checkpoints::load_metadata(st.external_path);
    std::map<std::string, std::int64_t> position;
    std::map<std::int64_t, std::int64_t> counts;
    for (auto& op : meta.operators)
      for (auto& e : op.operator_state) {
        if (e.name == "k")
          position[op.uid] = decode<std::int64_t>(e.bytes);
        if (e.name == "counts")
          counts = decode<std::map<std::int64_t, std::int64_t>>(e.bytes);
      }
    BOOST_TEST(counts[1] == position["fast"], "checkpoint " << st.id);
    BOOST_TEST(counts[2] == position["slow"], "checkpoint " << st.id);
    ++checked;
  }
  BOOST_TEST_MESSAGE("checked " << checked << " checkpoints");
  BOOST_TEST(checked >= 2);
}

namespace {

struct slow_snapshot_sink final : sink_function<rec> {
  std::shared_ptr<std::atomic<int>> snapshots;
  explicit slow_snapshot_sink(std::shared_ptr<std::atomic<int>> s) : snapshots(std::move(s)) {}
  void write(const typed_batch<rec>&) override {}
  void snapshot_state(std::int64_t, operator_state_writer&) override {
    if (snapshots->fetch_add(1) == 0)
      std::this_thread::sleep_for(300ms); // the first snapshot outlives the timeout
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_checkpoint_that_times_out_is_aborted_and_the_next_completes) {
  temp_dir dir;
  auto cfg = checkpointed(dir.str(), 1, "30 ms");
  cfg.set(options::checkpoint_timeout, "100 ms");
  cfg.set(options::tolerable_failed_checkpoints, "5");
  environment env(cfg);
  auto snapshots = std::make_shared<std::atomic<int>>(0);
  env.add_source(paced(0, 3000, 10, 1ms))
      .uid("src")
      .add_sink(
          {"slow", [snapshots] { return std::make_unique<slow_snapshot_sink>(snapshots); }, false});
  auto client = env.execute_async("timeout");
  auto r = client.wait();
  BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
  auto history = client.checkpoint_history();
  BOOST_REQUIRE(!history.empty());
  BOOST_TEST(history.front().status == "FAILED");
  BOOST_TEST(history.front().failure_message.find("expired") != std::string::npos,
             history.front().failure_message);
  bool later_completed = false;
  for (auto& h : history)
    later_completed |= h.status == "COMPLETED" && h.id > history.front().id;
  BOOST_TEST(later_completed);
  BOOST_TEST(client.checkpoint_totals().failed >= 1);
  BOOST_TEST(client.full_restarts() == 0);
}

BOOST_AUTO_TEST_CASE(too_many_failed_checkpoints_fail_the_job_without_restarts) {
  temp_dir dir;
  auto cfg = checkpointed(dir.str(), 1, "30 ms");
  cfg.set(options::checkpoint_timeout, "50 ms");
  cfg.set(options::tolerable_failed_checkpoints, "0");
  cfg.set(options::restart_strategy, "none");
  environment env(cfg);
  auto snapshots = std::make_shared<std::atomic<int>>(0);
  env.add_source(paced(0, 100000, 10, 1ms))
      .uid("src")
      .add_sink(
          {"slow", [snapshots] { return std::make_unique<slow_snapshot_sink>(snapshots); }, false});
  auto r = env.execute("intolerant");
  BOOST_TEST(r.status == job_status::failed);
  BOOST_TEST(r.failure_cause.find("tolerable failure threshold") != std::string::npos,
             r.failure_cause);
}

BOOST_AUTO_TEST_CASE(restart_strategy_none_fails_at_the_first_error) {
  temp_dir dir;
  auto cfg = checkpointed(dir.str(), 1);
  cfg.set(options::restart_strategy, "none");
  environment env(cfg);
  env.add_source(paced(0, 1000, 10, 1ms))
      .map([](rec r) {
        if (r.second == 500)
          throw std::runtime_error("no second chance");
        return r;
      })
      .add_sink(discard_sink<rec>());
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::failed);
  BOOST_TEST(r.failure_cause.find("no second chance") != std::string::npos);
  auto bad = checkpointed(dir.str(), 1);
  bad.set(options::restart_strategy, "sometimes");
  bad.set(options::checkpoint_interval, "1 fortnight");
  environment e2(bad);
  e2.from_collection(std::vector<int>{1}).add_sink(discard_sink<int>());
  BOOST_CHECK_THROW(e2.execute(), error);
}

BOOST_AUTO_TEST_CASE(at_least_once_mode_loses_nothing) {
  temp_dir dir;
  auto cfg = checkpointed(dir.str(), 2);
  cfg.set(options::checkpoint_mode, "AT_LEAST_ONCE");
  environment env(cfg);
  auto store = std::make_shared<committed_store<rec>>();
  auto failed = std::make_shared<std::atomic<bool>>(false);
  env.add_source(paced(0, 6000, 40, 1ms))
      .uid("a")
      .set_parallelism(1)
      .union_with(env.add_source(paced(1, 6000, 40, 1ms)).uid("b").set_parallelism(1))
      .map([failed](rec r) {
        if (r.second == 3000 && r.first == 0 && !failed->exchange(true))
          throw std::runtime_error("injected");
        return r;
      })
      .add_sink(two_phase(store))
      .uid("sink")
      .set_parallelism(1);
  auto client = env.execute_async("at least once");
  auto r = client.wait();
  BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
  std::set<rec> distinct;
  for (auto& x : store->snapshot())
    distinct.insert(x);
  BOOST_TEST(distinct.size() == 12000u); // every record at least once
  BOOST_TEST(client.full_restarts() == 1);
}

namespace {

//! Subtask 0 emits {0, seq} for seq < count, `per_poll` at a time with a
//! pause between polls, then ends; every other subtask has nothing to read
//! and ends at once (a file source with one file and parallelism 3).
struct one_reader_source final : positioned_source<rec> {
  std::int64_t count;
  std::size_t per_poll;
  int subtask = 0;
  one_reader_source(std::int64_t n, std::size_t per) : count(n), per_poll(per) {}
  void open(runtime_context& rc) override { subtask = rc.subtask; }
  source_status poll(collector<rec>& out, std::size_t) override {
    if (subtask != 0 || next >= count)
      return source_status::end();
    for (std::size_t i = 0; i < per_poll && next < count; ++i)
      out.collect({0, next++});
    return source_status::wait_for(1ms);
  }
};

} // namespace

// Flink 1.15's checkpoints after tasks finish: two of three source subtasks
// end at once, checkpoints still complete while the third reads, and the job
// ends only after a final checkpoint, whose completion commits the sink.
BOOST_AUTO_TEST_CASE(checkpoints_go_on_after_tasks_finish_and_a_final_one_commits) {
  temp_dir dir;
  const std::int64_t n = 3000;
  const int keys = 5;
  auto failed = std::make_shared<std::atomic<bool>>(false);
  environment env(checkpointed(dir.str(), 3));
  auto store = std::make_shared<committed_store<rec>>();
  env.add_source(source_spec<rec>{"one reader",
                                  [n] { return std::make_unique<one_reader_source>(n, 20); }, true})
      .uid("source")
      .map([failed, n](rec r) {
        // One failure half way: the restart restores the finished subtasks too.
        if (r.second == n / 2 && !failed->exchange(true))
          throw std::runtime_error("injected failure half way");
        return rec{r.second % keys, r.second + 1};
      })
      .key_by([](const rec& r) { return r.first; })
      .reduce([](const rec& a, rec b) {
        return rec{a.first, a.second + b.second};
      })
      .uid("sums")
      .add_sink(two_phase(store))
      .uid("sink");
  auto client = env.execute_async("finished tasks");
  auto r = client.wait();
  BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
  BOOST_TEST(client.full_restarts() == 1);
  // At 20 records per 1 ms poll the reader needs ~150 ms: checkpoints every
  // 20 ms complete all along, though two source subtasks finished at once.
  BOOST_TEST(client.checkpoint_totals().completed >= 4);
  std::int64_t after_restart = 0;
  for (auto& c : client.checkpoint_history())
    if (c.status == "COMPLETED") {
      BOOST_TEST(c.num_acknowledged_subtasks == c.num_subtasks);
      ++after_restart;
    }
  BOOST_TEST(after_restart >= 2);
  // Only real checkpoints committed: no commit under the end-of-job id.
  for (auto& [subtask, id] : store->transactions)
    BOOST_TEST(id < INT64_MAX, "subtask " << subtask << " committed at the end-of-job id");
  check_exactly_once(store->snapshot(), n, keys);
  // The last checkpoint is the final one: every operator finished in it.
  std::int64_t latest = 0;
  auto job_dir = std::filesystem::path(dir.str()) / "checkpoints" / client.job_id();
  for (auto& e : std::filesystem::directory_iterator(job_dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("chk-", 0) == 0 && std::filesystem::exists(e.path() / "_metadata"))
      latest = std::max<std::int64_t>(latest, std::stoll(name.substr(4)));
  }
  BOOST_REQUIRE(latest > 0);
  auto meta = checkpoints::load_metadata(
      (job_dir / ("chk-" + std::to_string(latest)) / "_metadata").string());
  BOOST_TEST(!meta.operators.empty());
  for (auto& op : meta.operators)
    BOOST_TEST(op.finished, op.uid);
}

// Without checkpointing the end of the job commits what the sinks wrote.
BOOST_AUTO_TEST_CASE(without_checkpointing_sinks_commit_when_every_task_finished) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  auto store = std::make_shared<committed_store<rec>>();
  env.add_source(paced(0, 500, 50, 0ms)).add_sink(two_phase(store));
  auto r = env.execute_async("no checkpoints").wait();
  BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
  BOOST_TEST(store->snapshot().size() == 500u);
  for (auto& [subtask, id] : store->transactions)
    BOOST_TEST(id == INT64_MAX);
}

// A failure a restart cannot cure (errc::failed_precondition: the output
// holds an earlier run's data) fails the job at once, restarts left or not.
BOOST_AUTO_TEST_CASE(a_failure_no_restart_can_cure_fails_the_job_without_restarting) {
  temp_dir dir;
  environment env(checkpointed(dir.str(), 2));
  struct refusing_sink final : sink_function<rec> {
    void open(runtime_context&) override {
      throw error(errc::failed_precondition, "the output holds an earlier run's data");
    }
    void write(const typed_batch<rec>&) override {}
  };
  env.add_source(paced(0, 100, 10, 1ms))
      .add_sink(
          sink_spec<rec>{"refusing", [] { return std::make_unique<refusing_sink>(); }, false});
  auto client = env.execute_async("cannot be cured");
  auto r = client.wait();
  BOOST_TEST(r.status == job_status::failed);
  BOOST_TEST(r.failure_cause.find("earlier run's data") != std::string::npos, r.failure_cause);
  BOOST_TEST(client.full_restarts() == 0);
}
