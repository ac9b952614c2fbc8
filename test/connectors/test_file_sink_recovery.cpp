// The exactly-once file sink across failures: crashes at random points,
// restores from the last completed checkpoint (also after a lost
// notification, an interrupted commit, finish()), and rescales.
#define BOOST_TEST_MODULE file_sink_recovery
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "connectors/file_sink_harness.hpp"
#include "connectors/source_harness.hpp"
#include "spate/connectors/file_sink.hpp"
#include "spate/connectors/text_file_source.hpp"
#include "spate/core/error.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;
namespace fs = std::filesystem;

// A run of checkpoints with random records, completions and lost
// notifications, then a crash (the sink is destroyed without finish()), a
// restore from the last completed checkpoint and more output. The committed
// output must be exactly the records up to that checkpoint plus what the new
// instance wrote.
static void crash_and_restore(file_sink_mode mode, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  std::string path = mode == file_sink_mode::merged ? dir / "out/result.txt" : dir / "parts";
  auto visible = [&] {
    return mode == file_sink_mode::merged ? visible_merged(path) : visible_parts(path);
  };
  auto spec = file_sink(path, mode);
  int counter = 0;
  lines written;
  std::map<std::int64_t, operator_state_writer> snapshots;
  std::map<std::int64_t, lines> written_before;
  std::int64_t last_completed = 0, last_notified = 0;
  int checkpoints = 1 + static_cast<int>(rng() % 6);
  {
    auto sink = spec.factory();
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    for (std::int64_t id = 1; id <= checkpoints; ++id) {
      auto part = write_records(*sink, "a", static_cast<int>(rng() % 30), counter, rng);
      written.insert(written.end(), part.begin(), part.end());
      sink->snapshot_state(id, snapshots[id]);
      written_before[id] = written;
      if (rng() % 4 != 0) { // completed
        last_completed = id;
        if (rng() % 3 != 0) { // and notified (the notification may be lost)
          sink->notify_checkpoint_complete(id);
          last_notified = id;
        }
      } else if (rng() % 2 == 0) {
        sink->notify_checkpoint_aborted(id);
      }
      BOOST_TEST((visible() == (last_notified ? written_before[last_notified] : lines{})),
                 "after checkpoint " << id);
    }
    write_records(*sink, "lost", static_cast<int>(rng() % 30), counter, rng);
    // Crash: the object goes away without finish().
  }
  auto sink = spec.factory();
  lines expected;
  if (last_completed > 0) {
    sink->initialize_state(test::restore_reader({snapshots[last_completed]}, 0, 1));
    expected = written_before[last_completed];
  }
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  BOOST_TEST((visible() == expected), "after restoring checkpoint " << last_completed);
  std::string hidden_dir = mode == file_sink_mode::merged ? dir / "out" : path;
  BOOST_TEST(hidden_files(hidden_dir).empty());
  // Checkpoint ids may continue after the restored one or after the last one.
  std::int64_t id = (rng() % 2 ? last_completed : checkpoints) + 1;
  auto more = write_records(*sink, "b", static_cast<int>(rng() % 30), counter, rng);
  operator_state_writer after;
  sink->snapshot_state(id, after);
  sink->notify_checkpoint_complete(id);
  expected = concat(expected, more);
  BOOST_TEST((visible() == expected));
  more = write_records(*sink, "c", static_cast<int>(rng() % 30), counter, rng);
  test::finish_and_commit(*sink);
  sink->close();
  expected = concat(expected, more);
  BOOST_TEST((visible() == expected));
  BOOST_TEST(hidden_files(hidden_dir).empty());
}

BOOST_AUTO_TEST_CASE(per_subtask_crash_and_restore) {
  std::uint64_t seed = test::test_seed("per_subtask_crash_and_restore");
  for (int round = 0; round < 40; ++round)
    BOOST_TEST_CONTEXT("round seed " << seed + round)
  crash_and_restore(file_sink_mode::per_subtask, seed + round);
}

BOOST_AUTO_TEST_CASE(merged_crash_and_restore) {
  std::uint64_t seed = test::test_seed("merged_crash_and_restore");
  for (int round = 0; round < 40; ++round)
    BOOST_TEST_CONTEXT("round seed " << seed + round)
  crash_and_restore(file_sink_mode::merged, seed + round);
}

// Several subtasks checkpoint together, crash, and the job is restored at
// another parallelism: the old subtasks' pending files are committed once,
// by exactly one new subtask, and no part file name is reused.
static void rescale(int from, int to, std::uint64_t seed) {
  BOOST_TEST_CONTEXT(from << " -> " << to << " subtasks") {
    std::mt19937_64 rng(seed);
    test::temp_dir dir;
    std::string path = dir / "parts";
    auto spec = file_sink(path, file_sink_mode::per_subtask);
    std::vector<std::unique_ptr<sink_function<std::string>>> sinks;
    std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
    for (int s = 0; s < from; ++s) {
      sinks.push_back(spec.factory());
      contexts.push_back(std::make_unique<test::checkpointing_context>(s, from));
      sinks.back()->open(*contexts.back());
    }
    int counter = 0;
    lines written;
    std::map<std::int64_t, std::vector<operator_state_writer>> snapshots;
    std::map<std::int64_t, lines> written_before;
    int checkpoints = 2 + static_cast<int>(rng() % 4);
    for (std::int64_t id = 1; id <= checkpoints; ++id) {
      snapshots[id].resize(static_cast<std::size_t>(from));
      for (int s = 0; s < from; ++s) {
        auto part = write_records(*sinks[s], "s" + std::to_string(s), static_cast<int>(rng() % 20),
                                  counter, rng);
        written.insert(written.end(), part.begin(), part.end());
        sinks[s]->snapshot_state(id, snapshots[id][s]);
      }
      written_before[id] = written;
      // Checkpoint `id` completed; some subtasks hear of it before the crash.
      for (int s = 0; s < from; ++s)
        if (id < checkpoints || rng() % 2 == 0)
          sinks[s]->notify_checkpoint_complete(id);
    }
    for (int s = 0; s < from; ++s)
      write_records(*sinks[s], "lost", static_cast<int>(rng() % 20), counter, rng);
    sinks.clear(); // crash
    contexts.clear();

    lines expected = written_before[checkpoints];
    for (int s = 0; s < to; ++s) {
      sinks.push_back(spec.factory());
      contexts.push_back(std::make_unique<test::checkpointing_context>(s, to));
      sinks.back()->initialize_state(test::restore_reader(snapshots[checkpoints], s, to));
      sinks.back()->open(*contexts.back());
    }
    BOOST_TEST((sorted(visible_parts(path)) == sorted(expected)));
    BOOST_TEST(hidden_files(path).empty());
    std::map<std::string, std::string> before; // file name -> content, must not change
    for (const auto& e : fs::directory_iterator(path))
      before[e.path().filename().string()] = test::read_file(e.path().string());
    for (int s = 0; s < to; ++s) {
      auto part = write_records(*sinks[s], "new" + std::to_string(s),
                                1 + static_cast<int>(rng() % 20), counter, rng);
      expected.insert(expected.end(), part.begin(), part.end());
      operator_state_writer w;
      sinks[s]->snapshot_state(checkpoints + 1, w);
      sinks[s]->notify_checkpoint_complete(checkpoints + 1);
      test::finish_and_commit(*sinks[s]);
      sinks[s]->close();
    }
    BOOST_TEST((sorted(visible_parts(path)) == sorted(expected)));
    for (const auto& [name, content] : before)
      BOOST_TEST(test::read_file(path + "/" + name) == content, name << " was overwritten");
    BOOST_TEST(hidden_files(path).empty());
  }
}

BOOST_AUTO_TEST_CASE(per_subtask_restore_at_another_parallelism) {
  std::uint64_t seed = test::test_seed("per_subtask_restore_at_another_parallelism");
  for (int round = 0; round < 5; ++round)
    BOOST_TEST_CONTEXT("round seed " << seed + round) {
      rescale(2, 3, seed + round);
      rescale(3, 2, seed + round);
      rescale(4, 1, seed + round);
      rescale(1, 4, seed + round);
    }
}

BOOST_AUTO_TEST_CASE(restore_when_the_notification_was_lost) {
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    test::temp_dir dir;
    std::string path = mode == file_sink_mode::merged ? dir / "result.txt" : dir / "parts";
    auto visible = [&] {
      return mode == file_sink_mode::merged ? visible_merged(path) : visible_parts(path);
    };
    auto spec = file_sink(path, mode);
    operator_state_writer s1, s2;
    {
      auto sink = spec.factory();
      test::checkpointing_context ctx(0, 1);
      sink->open(ctx);
      sink->write(batch_of({"a", "b"}));
      sink->snapshot_state(1, s1);
      sink->notify_checkpoint_complete(1);
      sink->write(batch_of({"c"}));
      sink->snapshot_state(2, s2); // completes, but the sink never hears of it
      sink->write(batch_of({"lost"}));
      BOOST_TEST((visible() == lines{"a", "b"}));
    }
    auto sink = spec.factory();
    sink->initialize_state(test::restore_reader({s2}, 0, 1));
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    BOOST_TEST((visible() == lines{"a", "b", "c"}));
    // The late notification of the restored checkpoint changes nothing.
    sink->notify_checkpoint_complete(2);
    sink->write(batch_of({"d"}));
    test::finish_and_commit(*sink);
    BOOST_TEST((visible() == lines{"a", "b", "c", "d"}));
  }
}

BOOST_AUTO_TEST_CASE(merged_restore_repairs_an_interrupted_commit) {
  test::temp_dir dir;
  std::string path = dir / "result.txt";
  auto spec = file_sink(path);
  operator_state_writer s1, s2;
  {
    auto sink = spec.factory();
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    sink->write(batch_of({"a", "b"}));
    sink->snapshot_state(1, s1);
    sink->write(batch_of({"c", "d"}));
    sink->snapshot_state(2, s2);
  }
  // The commit of checkpoint 1 crashed half way through its append.
  std::string staged = test::read_file(dir / ".result.txt.pending-1");
  test::write_file(path, staged.substr(0, 3));
  auto sink = spec.factory();
  sink->initialize_state(test::restore_reader({s2}, 0, 1));
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  BOOST_TEST(test::read_file(path) == "a\nb\nc\nd\n");
  BOOST_TEST(hidden_files(dir.path()).empty());
}

BOOST_AUTO_TEST_CASE(restore_into_a_job_without_checkpointing_keeps_the_output) {
  test::temp_dir dir;
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    std::string path = mode == file_sink_mode::merged ? dir / "result.txt" : dir / "parts";
    auto visible = [&] {
      return mode == file_sink_mode::merged ? visible_merged(path) : visible_parts(path);
    };
    auto spec = file_sink(path, mode);
    operator_state_writer s1;
    {
      auto sink = spec.factory();
      test::checkpointing_context ctx(0, 1);
      sink->open(ctx);
      sink->write(batch_of({"a"}));
      sink->snapshot_state(1, s1);
      sink->write(batch_of({"lost"}));
    }
    auto sink = spec.factory();
    sink->initialize_state(test::restore_reader({s1}, 0, 1));
    test::checkpointing_context ctx(0, 1, /*checkpointing=*/false);
    sink->open(ctx);
    sink->write(batch_of({"b"}));
    sink->close(); // cancelled: without checkpointing, written output stays
    BOOST_TEST((visible() == lines{"a", "b"}));
  }
}

BOOST_AUTO_TEST_CASE(merged_restore_from_an_older_checkpoint_drops_later_output) {
  // Restoring a retained checkpoint older than the last committed one: the
  // file holds exactly the output up to the restored checkpoint, as the
  // sources replay from there.
  test::temp_dir dir;
  std::string path = dir / "result.txt";
  auto spec = file_sink(path);
  operator_state_writer s1, s2;
  {
    auto sink = spec.factory();
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    sink->write(batch_of({"a"}));
    sink->snapshot_state(1, s1);
    sink->write(batch_of({"b"}));
    sink->snapshot_state(2, s2);
    sink->notify_checkpoint_complete(2);
    BOOST_TEST((visible_merged(path) == lines{"a", "b"}));
  }
  auto sink = spec.factory();
  sink->initialize_state(test::restore_reader({s1}, 0, 1));
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  BOOST_TEST((visible_merged(path) == lines{"a"}));
}

BOOST_AUTO_TEST_CASE(restart_after_finish_does_not_duplicate) {
  // finish() commits nothing; the final checkpoint (2) commits what came
  // after checkpoint 1. If the job then restarts from 1 (another subtask
  // failed), the sources replay those records, so the restore takes them out
  // of the output again.
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    test::temp_dir dir;
    std::string path = mode == file_sink_mode::merged ? dir / "result.txt" : dir / "parts";
    auto visible = [&] {
      return mode == file_sink_mode::merged ? visible_merged(path) : visible_parts(path);
    };
    auto spec = file_sink(path, mode);
    operator_state_writer s1;
    {
      auto sink = spec.factory();
      test::checkpointing_context ctx(0, 1);
      sink->open(ctx);
      sink->write(batch_of({"a"}));
      sink->snapshot_state(1, s1);
      sink->notify_checkpoint_complete(1);
      sink->write(batch_of({"b", "c"}));
      sink->finish();
      BOOST_TEST((visible() == lines{"a"}));
      test::finish_and_commit(*sink, 2);
      sink->close();
      BOOST_TEST((visible() == lines{"a", "b", "c"}));
    }
    auto sink = spec.factory();
    sink->initialize_state(test::restore_reader({s1}, 0, 1));
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    BOOST_TEST((visible() == lines{"a"}));
    sink->write(batch_of({"b", "c"})); // the replay
    test::finish_and_commit(*sink);
    BOOST_TEST((visible() == lines{"a", "b", "c"}));
  }
}
