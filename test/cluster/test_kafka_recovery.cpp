// The exactly-once Kafka sink across a crash at each named crash point
// (core/crash_point.hpp), as test_recovery does for the file sink: a
// `spate local` job kills itself with SIGKILL at a step of a checkpoint or of
// a commit, is resumed from its retained checkpoint, and a read_committed
// consumer (kcat) then sees exactly the output of one run without faults.
#define BOOST_TEST_MODULE kafka_recovery
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/kafka_broker.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace spate::test;
namespace fs = std::filesystem;

namespace {

// About 25000 words, so as many output records. The rate makes a run last
// 1.5 s: checkpoints every 50 ms (a Kafka checkpoint takes 50-200 ms here, as
// it opens the next transaction) reach the 3rd hit of a point well before
// the input ends.
const std::string generator = "generator:seed=11,count=3000";
const std::string input = generator + ",rate=2000";

std::multiset<std::string> lines_of(const fs::path& file) {
  std::multiset<std::string> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    lines.insert(line);
  return lines;
}

//! Every record of `topic` a read_committed consumer sees (kcat, as
//! kafka_broker::consume, but without waiting 500 ms on empty fetches).
std::multiset<std::string> committed(const kafka_broker& broker, const std::string& topic) {
  std::string out = shell("kcat -C -b " + broker.bootstrap() + " -t " + topic +
                          " -e -q -f '%s\\n' -X isolation.level=read_committed"
                          " -X fetch.wait.max.ms=10");
  std::multiset<std::string> records;
  for (std::size_t begin = 0, nl; begin < out.size(); begin = nl + 1) {
    nl = out.find('\n', begin);
    if (nl == std::string::npos)
      nl = out.size();
    records.insert(out.substr(begin, nl - begin));
  }
  return records;
}

//! Reads `topic` until it holds at least `n` committed records or 10 s pass:
//! a commit returns before the broker wrote its markers to every partition,
//! so the last records may become visible a moment after the job exits.
std::multiset<std::string> await_committed(const kafka_broker& broker, const std::string& topic,
                                           std::size_t n) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto got = committed(broker, topic);
  while (got.size() < n && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got = committed(broker, topic);
  }
  return got;
}

//! The exactly-once Kafka output into `topic`, with transactional ids
//! "<topic>-<subtask>-<sequence>".
std::string kafka_output(const kafka_broker& broker, const std::string& topic) {
  return "kafka://" + broker.bootstrap() + "/" + topic +
         "?sink.delivery-guarantee=exactly-once&sink.transactional-id-prefix=" + topic;
}

//! `spate local wordcount` at parallelism 2 into `output`, checkpointing
//! every 50 ms under `dir`, with its state there too (a killed process
//! leaves its state directory behind).
std::vector<std::string> wordcount_args(const std::string& output, const fs::path& dir) {
  return {bin_dir() + "/spate",
          "local",
          "wordcount",
          "-p",
          "2",
          "--input",
          input,
          "--output",
          output,
          "-D",
          "execution.checkpointing.interval=50 ms",
          "-D",
          "state.checkpoints.dir=" + (dir / "checkpoints").string(),
          "-D",
          "state.backend.rocksdb.localdir=" + (dir / "state").string()};
}

} // namespace

// Named crash points: the process kills itself (SIGKILL) at a step of a
// checkpoint (before-metadata, after-metadata) or of a Kafka commit
// (during-commit: a sink subtask committed its transaction of a checkpoint,
// the other may not have yet); resumed from its checkpoint directory, the
// topic holds exactly one pass.
BOOST_AUTO_TEST_CASE(a_crash_at_each_named_point_loses_and_repeats_no_kafka_record) {
  kafka_broker broker;
  temp_dir dir;
  // What one pass gives, independently of the Kafka sink: the same job into
  // a file. wordcount emits one running count per word, the same multiset in
  // any interleaving (the rate only paces the generator).
  auto expected_file = dir.path / "expected.jsonl";
  auto expected_run = run_spate({"local", "wordcount", "-p", "2", "--input", generator, "--output",
                                 "file:" + expected_file.string()});
  BOOST_REQUIRE_MESSAGE(expected_run.exit_code == 0, expected_run.err);
  auto expected = lines_of(expected_file);
  BOOST_REQUIRE(expected.size() > 20000);
  // The reference: the same job and options into Kafka, without faults. It
  // also makes the broker create its transaction log, which would otherwise
  // slow the first checkpoints of the first crash run.
  broker.create_topic("reference", 3);
  auto ref_run =
      child_process(wordcount_args(kafka_output(broker, "reference"), dir.path / "reference"))
          .finish();
  BOOST_REQUIRE_MESSAGE(ref_run.exit_code == 0, ref_run.err);
  auto reference = await_committed(broker, "reference", expected.size());
  BOOST_REQUIRE(reference.size() == expected.size());
  BOOST_REQUIRE((reference == expected));

  for (const std::string point : {"before-metadata", "after-metadata", "during-commit"}) {
    BOOST_TEST_CONTEXT("crash point " << point) {
      temp_dir run;
      const std::string topic = "out-" + point;
      broker.create_topic(topic, 3);
      const std::string output = kafka_output(broker, topic);

      auto args = wordcount_args(output, run.path);
      args.insert(args.begin(), {"/usr/bin/env", "SPATE_CRASH_POINT=" + point + ":3"});
      auto crashed = child_process(args).finish();
      BOOST_TEST(crashed.exit_code == 128 + SIGKILL, crashed.err);
      BOOST_TEST(crashed.err.find("crash point '" + point + "' reached") != std::string::npos,
                 crashed.err);

      // What the dead run committed is part of one pass, and not all of it.
      auto before = committed(broker, topic);
      BOOST_TEST_MESSAGE(point << ": " << before.size() << " of " << reference.size()
                               << " records committed before the crash");
      BOOST_TEST(before.size() < reference.size());
      BOOST_TEST(std::includes(reference.begin(), reference.end(), before.begin(), before.end()));

      // Resumed from the retained checkpoint (test_recovery's way: the job's
      // directory, whose latest complete checkpoint is restored).
      BOOST_REQUIRE(fs::is_directory(run.path / "checkpoints"));
      fs::path job_dir;
      for (auto& job : fs::directory_iterator(run.path / "checkpoints"))
        job_dir = job.path();
      BOOST_REQUIRE(!job_dir.empty());
      auto resumed = wordcount_args(output, run.path);
      resumed.insert(resumed.end(), {"--from-savepoint", job_dir.string()});
      auto r = child_process(resumed).finish();
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);

      auto got = await_committed(broker, topic, reference.size());
      BOOST_TEST(got.size() == reference.size()); // none twice, none lost
      BOOST_TEST((got == reference));
    }
  }
}
