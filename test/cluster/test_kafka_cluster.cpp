// Exactly-once from Kafka to Kafka on a cluster (a JobManager and two
// TaskManagers, real processes) with a TaskManager killed mid-run: a
// read_committed consumer sees every input record exactly once.
#define BOOST_TEST_MODULE kafka_cluster
#include <boost/test/unit_test.hpp>

#include <set>

#include "support/cluster.hpp"
#include "support/kafka_broker.hpp"

using namespace spate::test;

BOOST_AUTO_TEST_CASE(a_killed_taskmanager_loses_and_repeats_no_kafka_record) {
  kafka_broker broker;
  broker.create_topic("in", 4);
  broker.create_topic("out", 2);
  std::vector<std::string> lines;
  for (int i = 0; i < 300000; ++i)
    lines.push_back("record-" + std::to_string(i));
  broker.produce("in", lines);

  test_cluster c({"execution.checkpointing.interval=200ms"});
  c.start(2);
  // Unbounded: a finished subtask commits its output at the end of its input,
  // and a restart after that would replay it (checkpoints after tasks finish
  // are issue #16); the job is cancelled once the output is complete.
  auto id = c.submit({"kafka_replicate", "-p", "4", "--input",
                      "kafka://" + broker.bootstrap() + "/in", "--output",
                      "kafka://" + broker.bootstrap() +
                          "/out?sink.delivery-guarantee=exactly-once&"
                          "sink.transactional-id-prefix=cluster"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 1; }));
  c.taskmanager(1).signal(SIGKILL);
  c.start_taskmanager();
  // Every record committed (or more, which fails below), then a few more
  // checkpoints to show nothing else is committed.
  bool all_out =
      await([&] { return broker.consume("out").size() >= lines.size(); }, std::chrono::seconds(90));
  BOOST_REQUIRE_MESSAGE(all_out, c.job_state(id) + "\n" + c.jobmanager().log());
  auto done = c.completed_checkpoints(id);
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= done + 3; }));
  BOOST_TEST(c.spate({"cancel", id}).exit_code == 0);
  auto got = broker.consume("out");
  BOOST_TEST(got.size() == lines.size());
  BOOST_TEST((std::multiset<std::string>(got.begin(), got.end()) ==
              std::multiset<std::string>(lines.begin(), lines.end())));
  auto r = c.get("/jobs/" + id + "/exceptions");
  BOOST_TEST(names_a_lost_taskmanager(r.body.dump()), r.body.dump());
}
