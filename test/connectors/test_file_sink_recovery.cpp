// The exactly-once file sink across failures: crashes at random points,
// restores from the last completed checkpoint (also after a lost
// notification, an interrupted commit, finish()), rescales, and resumes
// savepoints of jobs without checkpointing.
#define BOOST_TEST_MODULE file_sink_recovery
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

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

// ---------------------------------------------------------------------------
// Savepoints of jobs without checkpointing: the sinks write visible files
// directly (`part-<i>`, or `part-<i>-<n>` after a restore; merged: `path`)
// and a savepoint records them. A job restored from one keeps the output up
// to the savepoint, drops what was written after it (the sources replay it)
// and goes on, at any parallelism, so the output equals one uninterrupted
// run. A new job (not restored) still refuses the output.

namespace {

std::string job_id(int run) {
  std::string id = std::to_string(run);
  return std::string(32 - id.size(), 'a') + id;
}

// Opens `p` sinks of a run (restored from `savepoint` unless it is empty).
std::vector<std::unique_ptr<sink_function<std::string>>>
open_run(const sink_spec<std::string>& spec, int p, bool checkpointing, const std::string& id,
         const std::vector<operator_state_writer>* savepoint,
         std::vector<std::unique_ptr<test::checkpointing_context>>& contexts) {
  std::vector<std::unique_ptr<sink_function<std::string>>> sinks;
  contexts.clear();
  for (int s = 0; s < p; ++s) {
    sinks.push_back(spec.factory());
    contexts.push_back(std::make_unique<test::checkpointing_context>(s, p, checkpointing));
    contexts.back()->get().job_id = id;
    if (savepoint)
      BOOST_TEST(restore_as_the_runtime(*sinks.back(), *savepoint, s, p),
                 "the savepoint holds no state of the sink: it opens as a new job");
  }
  for (int s = 0; s < p; ++s)
    sinks[s]->open(*contexts[s]);
  return sinks;
}

// A new job on the output, not restored: refused, nothing changed.
void check_a_new_job_is_refused(const sink_spec<std::string>& spec, const std::string& path,
                                const std::string& files_dir, bool checkpointing,
                                const std::string& id) {
  auto before = dir_contents(files_dir);
  auto sink = spec.factory();
  test::checkpointing_context ctx(0, 1, checkpointing);
  ctx.get().job_id = id;
  BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error,
                        [&](const spate::error& e) { return refuses_earlier_output(e, path); });
  sink->close();
  BOOST_TEST((dir_contents(files_dir) == before));
}

// Runs of random parallelism, the first without checkpointing, later ones
// with or without: each restored from the savepoint of the one before, then
// writes, takes a savepoint (a stop with savepoint commits it), writes on
// and ends (a crash, a cancel or the end of its input). A final run writes
// to its end.
void resume_savepoints(file_sink_mode mode, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  bool merged = mode == file_sink_mode::merged;
  std::string path = merged ? dir / "out/result.txt" : dir / "parts";
  std::string files_dir = merged ? dir / "out" : path;
  auto visible = [&] { return merged ? visible_merged(path) : sorted(all_parts(path)); };
  auto spec = file_sink(path, mode);
  int counter = 0;
  lines kept; // the output up to the last savepoint
  std::vector<operator_state_writer> savepoint;
  int runs = 2 + static_cast<int>(rng() % 3);
  for (int run = 0; run <= runs; ++run) {
    int p = merged ? 1 : 1 + static_cast<int>(rng() % 4);
    bool checkpointing = run > 0 && rng() % 3 == 0;
    BOOST_TEST_CONTEXT("run " << run << " at parallelism " << p
                              << (checkpointing ? " with" : " without") << " checkpointing") {
      std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
      auto sinks =
          open_run(spec, p, checkpointing, job_id(run), run > 0 ? &savepoint : nullptr, contexts);
      BOOST_TEST((visible() == (merged ? kept : sorted(kept))));
      for (int s = 0; s < p; ++s) {
        auto part = write_records(*sinks[s], "r" + std::to_string(run) + "s" + std::to_string(s),
                                  static_cast<int>(rng() % 25), counter, rng);
        kept.insert(kept.end(), part.begin(), part.end());
      }
      if (run == runs) { // to the end of the input
        for (auto& sink : sinks) {
          test::finish_and_commit(*sink);
          sink->close();
        }
        break;
      }
      std::int64_t id = 10 * (run + 1);
      savepoint.assign(static_cast<std::size_t>(p), operator_state_writer{});
      for (int s = 0; s < p; ++s)
        sinks[s]->snapshot_state(id, savepoint[s]);
      for (auto& sink : sinks)
        sink->notify_checkpoint_complete(id);
      for (auto& sink : sinks)
        write_records(*sink, "after", static_cast<int>(rng() % 25), counter, rng);
      switch (rng() % 3) {
        case 0: // the input ended: all of it committed
          for (auto& sink : sinks) {
            test::finish_and_commit(*sink, id + 1);
            sink->close();
          }
          break;
        case 1: // cancelled
          for (auto& sink : sinks)
            sink->close();
          break;
        default: // crashed
          break;
      }
      sinks.clear();
      if (!visible().empty())
        check_a_new_job_is_refused(spec, path, files_dir, rng() % 2 == 0, job_id(100 + run));
    }
  }
  BOOST_TEST((visible() == (merged ? kept : sorted(kept))));
  BOOST_TEST(hidden_files(files_dir).empty());
}

} // namespace

BOOST_AUTO_TEST_CASE(per_subtask_resumes_savepoints_without_checkpointing) {
  std::uint64_t seed = test::test_seed("per_subtask_resumes_savepoints_without_checkpointing");
  for (int round = 0; round < 30; ++round)
    BOOST_TEST_CONTEXT("round seed " << seed + round)
  resume_savepoints(file_sink_mode::per_subtask, seed + round);
}

BOOST_AUTO_TEST_CASE(merged_resumes_savepoints_without_checkpointing) {
  std::uint64_t seed = test::test_seed("merged_resumes_savepoints_without_checkpointing");
  for (int round = 0; round < 30; ++round)
    BOOST_TEST_CONTEXT("round seed " << seed + round)
  resume_savepoints(file_sink_mode::merged, seed + round);
}

BOOST_AUTO_TEST_CASE(per_subtask_direct_savepoint_at_the_same_and_another_parallelism) {
  // Two subtasks write part-0 and part-1 directly; the savepoint covers a, b
  // and c, "late" came after it. Restored at 2 and at 3 (and 1) subtasks.
  for (int to : {2, 3, 1}) {
    BOOST_TEST_CONTEXT("restored at " << to << " subtasks") {
      test::temp_dir dir;
      std::string path = dir / "parts";
      auto spec = file_sink(path, file_sink_mode::per_subtask);
      std::vector<operator_state_writer> savepoint(2);
      {
        std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
        auto sinks = open_run(spec, 2, false, job_id(1), nullptr, contexts);
        sinks[0]->write(batch_of({"a", "b"}));
        sinks[1]->write(batch_of({"c"}));
        for (int s = 0; s < 2; ++s)
          sinks[s]->snapshot_state(1, savepoint[s]);
        sinks[0]->write(batch_of({"late"}));
        for (auto& sink : sinks) {
          test::finish_and_commit(*sink);
          sink->close();
        }
      }
      BOOST_TEST((sorted(all_parts(path)) == lines{"a", "b", "c", "late"}));
      check_a_new_job_is_refused(spec, path, path, false, job_id(2));
      std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
      auto sinks = open_run(spec, to, false, job_id(3), &savepoint, contexts);
      BOOST_TEST(test::read_file(path + "/part-0") == "a\nb\n");
      BOOST_TEST(test::read_file(path + "/part-1") == "c\n");
      lines expected{"a", "b", "c"};
      for (int s = 0; s < to; ++s) {
        std::string record = "new" + std::to_string(s);
        sinks[s]->write(batch_of({record}));
        expected.push_back(record);
        test::finish_and_commit(*sinks[s]);
        sinks[s]->close();
      }
      BOOST_TEST((sorted(all_parts(path)) == sorted(expected)));
      BOOST_TEST(hidden_files(path).empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(merged_direct_savepoint_keeps_the_output_up_to_it) {
  for (bool checkpointing_after : {false, true}) {
    BOOST_TEST_CONTEXT("restored " << (checkpointing_after ? "with" : "without")
                                   << " checkpointing") {
      test::temp_dir dir;
      std::string path = dir / "result.txt";
      auto spec = file_sink(path);
      std::vector<operator_state_writer> savepoint(1);
      {
        std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
        auto sinks = open_run(spec, 1, false, job_id(1), nullptr, contexts);
        sinks[0]->write(batch_of({"a", "b"}));
        sinks[0]->snapshot_state(1, savepoint[0]);
        sinks[0]->write(batch_of({"late"}));
        sinks[0]->close();
      }
      BOOST_TEST((visible_merged(path) == lines{"a", "b", "late"}));
      check_a_new_job_is_refused(spec, path, dir.path(), checkpointing_after, job_id(2));
      std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
      auto sinks = open_run(spec, 1, checkpointing_after, job_id(3), &savepoint, contexts);
      BOOST_TEST((visible_merged(path) == lines{"a", "b"}));
      sinks[0]->write(batch_of({"c"}));
      test::finish_and_commit(*sinks[0]);
      sinks[0]->close();
      BOOST_TEST((visible_merged(path) == lines{"a", "b", "c"}));
      BOOST_TEST(hidden_files(dir.path()).empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(direct_savepoint_restore_checks_the_files) {
  // The recorded part file shorter than recorded, or gone: errc::corrupt
  // naming it, nothing changed.
  for (bool remove : {false, true}) {
    test::temp_dir dir;
    std::string path = dir / "parts";
    auto spec = file_sink(path, file_sink_mode::per_subtask);
    std::vector<operator_state_writer> savepoint(1);
    {
      std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
      auto sinks = open_run(spec, 1, false, job_id(1), nullptr, contexts);
      sinks[0]->write(batch_of({"a", "b"}));
      sinks[0]->snapshot_state(1, savepoint[0]);
      sinks[0]->close();
    }
    std::string file = path + "/part-0";
    if (remove)
      fs::remove(file);
    else
      test::write_file(file, "a\n");
    auto before = dir_contents(path);
    auto sink = spec.factory();
    BOOST_TEST(restore_as_the_runtime(*sink, savepoint, 0, 1));
    test::checkpointing_context ctx(0, 1, false);
    BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
      return e.code() == errc::corrupt && names_file(e, file);
    });
    BOOST_TEST((dir_contents(path) == before));
  }
}

BOOST_AUTO_TEST_CASE(merged_direct_savepoint_of_a_device) {
  // A device holds nothing to cut back: the restored job writes on.
  if (::access("/dev/null", W_OK) != 0)
    return;
  std::vector<operator_state_writer> savepoint(1);
  auto spec = file_sink("/dev/null");
  {
    auto sink = spec.factory();
    test::checkpointing_context ctx(0, 1, false);
    sink->open(ctx);
    sink->write(batch_of({"a"}));
    sink->snapshot_state(1, savepoint[0]);
    sink->close();
  }
  auto sink = spec.factory();
  BOOST_TEST(restore_as_the_runtime(*sink, savepoint, 0, 1));
  test::checkpointing_context ctx(0, 1, false);
  sink->open(ctx);
  sink->write(batch_of({"b"}));
  sink->finish();
  sink->close();
}

BOOST_AUTO_TEST_CASE(a_direct_savepoint_resumed_into_another_output_starts_it_new) {
  // The savepoint's output stays as it is; the other output (another path,
  // or another mode) gets only what the resumed job writes, and is refused
  // as a new job's would be when it holds an earlier run's output.
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    bool merged = mode == file_sink_mode::merged;
    BOOST_TEST_CONTEXT((merged ? "merged" : "per_subtask")) {
      test::temp_dir dir;
      std::string path = merged ? dir / "result.txt" : dir / "parts";
      auto visible = [&](const std::string& p) {
        return merged ? visible_merged(p) : sorted(all_parts(p));
      };
      std::vector<operator_state_writer> savepoint(1);
      {
        std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
        auto sinks = open_run(file_sink(path, mode), 1, false, job_id(1), nullptr, contexts);
        sinks[0]->write(batch_of({"a", "b"}));
        sinks[0]->snapshot_state(1, savepoint[0]);
        sinks[0]->write(batch_of({"late"}));
        sinks[0]->close();
      }
      auto before = merged ? test::read_file(path) : "";
      auto before_parts = merged ? std::map<std::string, std::string>{} : dir_contents(path);
      // Another path, the same mode; then the other mode.
      std::string other = merged ? dir / "other/result.txt" : dir / "other";
      std::string other_mode = merged ? dir / "as-parts" : dir / "as-merged.txt";
      for (int run = 0; run < 2; ++run) {
        auto other_mode_kind = merged ? file_sink_mode::per_subtask : file_sink_mode::merged;
        std::string out = run == 0 ? other : other_mode;
        auto spec = file_sink(out, run == 0 ? mode : other_mode_kind);
        for (bool checkpointing : {false, true}) {
          std::vector<std::unique_ptr<test::checkpointing_context>> contexts;
          if (checkpointing) { // the output holds the first resumed run's output now
            check_a_new_job_is_refused(spec, out, fs::path(out).parent_path().string(), true,
                                       job_id(5));
            auto sink = spec.factory();
            BOOST_TEST(restore_as_the_runtime(*sink, savepoint, 0, 1));
            test::checkpointing_context ctx(0, 1, true);
            BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
              return refuses_earlier_output(e, out);
            });
            continue;
          }
          auto sinks = open_run(spec, 1, false, job_id(2 + run), &savepoint, contexts);
          sinks[0]->write(batch_of({"c"}));
          test::finish_and_commit(*sinks[0]);
          sinks[0]->close();
          bool out_merged = (run == 0) == merged;
          BOOST_TEST((out_merged ? visible_merged(out) : all_parts(out)) == lines{"c"});
        }
      }
      if (merged)
        BOOST_TEST(test::read_file(path) == before);
      else
        BOOST_TEST((dir_contents(path) == before_parts));
      BOOST_TEST((visible(path) == sorted(lines{"a", "b", "late"})));
    }
  }
}
