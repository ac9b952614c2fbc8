// The file sink with checkpointing on: staging, commits, fresh starts and
// errors. Crashes and restores are in test_file_sink_recovery.cpp.
#define BOOST_TEST_MODULE file_sink_exactly_once
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

using namespace spate;
using namespace spate::test;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_CASE(per_subtask_commits_on_checkpoint_completion) {
  test::temp_dir dir;
  std::string out = dir / "parts";
  auto sink = file_sink(out, file_sink_mode::per_subtask).factory();
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  BOOST_TEST(static_cast<file_sink_function&>(*sink).exactly_once());
  sink->write(batch_of({"a", "b"}));
  BOOST_TEST(visible_parts(out).empty());
  BOOST_TEST((hidden_files(out) == std::set<std::string>{".part-0-0.inprogress"}));

  operator_state_writer s1, s2, s3, s4, s5;
  sink->snapshot_state(1, s1);
  BOOST_TEST((hidden_files(out) == std::set<std::string>{".part-0-0.pending"}));
  BOOST_TEST(s1.entries().count("file-sink") == 1u);
  sink->write(batch_of({"c"}));
  sink->snapshot_state(2, s2);
  BOOST_TEST(visible_parts(out).empty());
  // A directory reader sees nothing yet: hidden files are not input.
  BOOST_TEST(test::drain(text_file_source(out), 0, 1).empty());

  sink->notify_checkpoint_complete(1);
  BOOST_TEST((visible_parts(out) == lines{"a", "b"}));
  BOOST_TEST((test::drain(text_file_source(out), 0, 1) == lines{"a", "b"}));
  BOOST_TEST((hidden_files(out) == std::set<std::string>{".part-0-1.pending"}));

  // A checkpoint without records stages nothing.
  sink->snapshot_state(3, s3);
  BOOST_TEST((hidden_files(out) == std::set<std::string>{".part-0-1.pending"}));
  // Skipped notifications: 3 completing means 2 did too.
  sink->notify_checkpoint_complete(3);
  BOOST_TEST((visible_parts(out) == lines{"a", "b", "c"}));
  BOOST_TEST(hidden_files(out).empty());

  // An aborted checkpoint's output waits for the next completed one.
  sink->write(batch_of({"d"}));
  sink->snapshot_state(4, s4);
  sink->notify_checkpoint_aborted(4);
  BOOST_TEST((visible_parts(out) == lines{"a", "b", "c"}));
  sink->write(batch_of({"e"}));
  sink->snapshot_state(5, s5);
  sink->notify_checkpoint_complete(5);
  BOOST_TEST((visible_parts(out) == lines{"a", "b", "c", "d", "e"}));

  // The end of the input commits nothing; the final checkpoint after it does.
  sink->write(batch_of({"f"}));
  sink->finish();
  BOOST_TEST(visible_parts(out).size() == 5u);
  operator_state_writer s6;
  sink->snapshot_state(6, s6);
  BOOST_TEST(visible_parts(out).size() == 5u);
  sink->notify_checkpoint_complete(6);
  sink->close();
  BOOST_TEST((visible_parts(out) == lines{"a", "b", "c", "d", "e", "f"}));
  BOOST_TEST(hidden_files(out).empty());
}

BOOST_AUTO_TEST_CASE(merged_commits_on_checkpoint_completion) {
  test::temp_dir dir;
  std::string path = dir / "out/result.txt";
  auto sink = file_sink(path).factory();
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  BOOST_TEST(test::read_file(path).empty());
  sink->write(batch_of({"a", "b"}));
  BOOST_TEST(visible_merged(path).empty());
  BOOST_TEST((hidden_files(dir / "out") == std::set<std::string>{".result.txt.inprogress"}));
  operator_state_writer s1, s2, s3;
  sink->snapshot_state(1, s1);
  sink->write(batch_of({"c"}));
  sink->snapshot_state(2, s2);
  BOOST_TEST((hidden_files(dir / "out") ==
              std::set<std::string>{".result.txt.pending-1", ".result.txt.pending-2"}));
  BOOST_TEST(visible_merged(path).empty());
  sink->notify_checkpoint_complete(1);
  BOOST_TEST((visible_merged(path) == lines{"a", "b"}));
  sink->write(batch_of({"d"}));
  sink->snapshot_state(3, s3);
  sink->notify_checkpoint_aborted(3);
  BOOST_TEST((visible_merged(path) == lines{"a", "b"}));
  sink->notify_checkpoint_complete(4); // 4 was never snapshot here: commits 2 and 3
  BOOST_TEST((visible_merged(path) == lines{"a", "b", "c", "d"}));
  BOOST_TEST(hidden_files(dir / "out").empty());
  sink->write(batch_of({"e"}));
  test::finish_and_commit(*sink);
  sink->close();
  BOOST_TEST((visible_merged(path) == lines{"a", "b", "c", "d", "e"}));
  BOOST_TEST(hidden_files(dir / "out").empty());
}

BOOST_AUTO_TEST_CASE(fresh_start_removes_this_subtasks_hidden_leftovers) {
  // Hidden files of an earlier run are not committed output: they do not
  // keep a new job from starting, and subtask 0 deletes its own.
  test::temp_dir dir;
  std::string out = dir / "parts";
  fs::create_directories(out);
  for (const char* name :
       {".part-0-7.inprogress", ".part-0-2.pending", ".part-1-0.pending", "other.txt"})
    test::write_file(out + "/" + name, "old\n");
  auto sink = file_sink(out, file_sink_mode::per_subtask).factory();
  test::checkpointing_context ctx(0, 2);
  sink->open(ctx);
  BOOST_TEST((hidden_files(out) == std::set<std::string>{".part-1-0.pending"}));
  BOOST_TEST(test::read_file(out + "/other.txt") == "old\n");
  sink->write(batch_of({"new"}));
  test::finish_and_commit(*sink);
  BOOST_TEST(test::read_file(out + "/part-0-0") == "new\n");
}

BOOST_AUTO_TEST_CASE(fresh_start_refuses_committed_part_files_of_any_subtask) {
  // A committed part file of any subtask (a rescaled earlier run had others;
  // `part-<k>` is what a run without checkpoints wrote): every subtask of the
  // new job refuses, and nothing changes, hidden files included.
  for (const char* committed : {"part-0-3", "part-1-0", "part-5-2", "part-0", "part-1", "part-4"}) {
    BOOST_TEST_CONTEXT(committed) {
      test::temp_dir dir;
      std::string out = dir / "parts";
      fs::create_directories(out);
      for (const char* name : {".part-0-7.inprogress", ".part-0-2.pending", ".part-1-0.pending"})
        test::write_file(out + "/" + name, "old hidden\n");
      test::write_file(out + "/" + committed, "committed\n");
      auto before = dir_contents(out);
      for (int s = 0; s < 2; ++s) {
        auto sink = file_sink(out, file_sink_mode::per_subtask).factory();
        test::checkpointing_context ctx(s, 2);
        BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
          return refuses_earlier_output(e, out) &&
                 std::string(e.what()).find(committed) != std::string::npos;
        });
        sink->close();
      }
      BOOST_TEST((dir_contents(out) == before));
    }
  }
}

BOOST_AUTO_TEST_CASE(merged_fresh_start_refuses_committed_output) {
  test::temp_dir dir;
  std::string path = dir / "result.txt";
  test::write_file(path, "committed\n");
  test::write_file(dir / ".result.txt.pending-3", "staged\n");
  test::write_file(dir / ".result.txt.inprogress", "partial\n");
  auto before = dir_contents(dir.path());
  auto sink = file_sink(path).factory();
  test::checkpointing_context ctx(0, 1);
  BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error,
                        [&](const spate::error& e) { return refuses_earlier_output(e, path); });
  sink->close();
  BOOST_TEST((dir_contents(dir.path()) == before));
}

BOOST_AUTO_TEST_CASE(merged_fresh_start_removes_hidden_leftovers) {
  // An empty output (a new job creates it at once) and hidden files: nothing
  // was committed, so a new job starts.
  test::temp_dir dir;
  std::string path = dir / "result.txt";
  test::write_file(path, "");
  test::write_file(dir / ".result.txt.pending-3", "staged\n");
  test::write_file(dir / ".result.txt.inprogress", "partial\n");
  auto sink = file_sink(path).factory();
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  BOOST_TEST(hidden_files(dir.path()).empty());
  sink->write(batch_of({"new"}));
  test::finish_and_commit(*sink);
  sink->close();
  BOOST_TEST((visible_merged(path) == lines{"new"}));
}

BOOST_AUTO_TEST_CASE(a_second_run_refuses_and_a_restore_continues) {
  // Run 1 commits a checkpoint and stages more; run 2, a new job on the same
  // output, refuses and changes nothing; run 3, restored from run 1's
  // checkpoint, repairs and continues the output.
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    test::temp_dir dir;
    std::string path = mode == file_sink_mode::merged ? dir / "out/result.txt" : dir / "parts";
    std::string files_dir = mode == file_sink_mode::merged ? dir / "out" : path;
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
      sink->snapshot_state(2, s2); // completes; the notification is lost
      sink->write(batch_of({"lost"}));
    }
    BOOST_TEST((visible() == lines{"a", "b"}));
    auto before = dir_contents(files_dir);
    {
      auto sink = spec.factory();
      test::checkpointing_context ctx(0, 1);
      BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error,
                            [&](const spate::error& e) { return refuses_earlier_output(e, path); });
      sink->close();
    }
    BOOST_TEST((dir_contents(files_dir) == before));
    auto sink = spec.factory();
    sink->initialize_state(test::restore_reader({s2}, 0, 1));
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    BOOST_TEST((visible() == lines{"a", "b", "c"}));
    sink->write(batch_of({"d"}));
    test::finish_and_commit(*sink);
    sink->close();
    BOOST_TEST((visible() == lines{"a", "b", "c", "d"}));
    BOOST_TEST(hidden_files(files_dir).empty());
  }
}

BOOST_AUTO_TEST_CASE(without_checkpointing_output_is_written_directly) {
  test::temp_dir dir;
  for (auto mode : {file_sink_mode::per_subtask, file_sink_mode::merged}) {
    std::string path = mode == file_sink_mode::merged ? dir / "result.txt" : dir / "parts";
    std::string file = mode == file_sink_mode::merged ? path : path + "/part-0";
    auto sink = file_sink(path, mode).factory();
    test::checkpointing_context ctx(0, 1, /*checkpointing=*/false);
    sink->open(ctx);
    BOOST_TEST(!static_cast<file_sink_function&>(*sink).exactly_once());
    sink->write(batch_of({"a"}));
    operator_state_writer w;
    sink->snapshot_state(1, w); // a savepoint: flushed, nothing staged, the file recorded
    BOOST_TEST(w.entries().size() == 1u);
    BOOST_TEST(w.entries().count("file-sink") == 1u);
    BOOST_TEST(test::read_file(file) == "a\n");
    sink->close();
  }
}

BOOST_AUTO_TEST_CASE(missing_pending_file_on_restore_names_it) {
  test::temp_dir dir;
  std::string out = dir / "parts";
  auto spec = file_sink(out, file_sink_mode::per_subtask);
  operator_state_writer s1;
  {
    auto sink = spec.factory();
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    sink->write(batch_of({"a"}));
    sink->snapshot_state(1, s1);
  }
  std::string pending = out + "/.part-0-0.pending";
  BOOST_TEST_REQUIRE(fs::exists(pending));
  fs::remove(pending);
  auto sink = spec.factory();
  sink->initialize_state(test::restore_reader({s1}, 0, 1));
  test::checkpointing_context ctx(0, 1);
  BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
    return e.code() == errc::corrupt && names_file(e, pending);
  });
}

BOOST_AUTO_TEST_CASE(failed_commit_names_the_file) {
  test::temp_dir dir;
  std::string out = dir / "parts";
  auto sink = file_sink(out, file_sink_mode::per_subtask).factory();
  test::checkpointing_context ctx(0, 1);
  sink->open(ctx);
  sink->write(batch_of({"a"}));
  operator_state_writer s1;
  sink->snapshot_state(1, s1);
  // Something occupies the committed name: a non-empty directory.
  fs::create_directories(out + "/part-0-0/x");
  BOOST_CHECK_EXCEPTION(
      sink->notify_checkpoint_complete(1), spate::error, [&](const spate::error& e) {
        return e.code() == errc::io && names_file(e, out + "/.part-0-0.pending") &&
               names_file(e, out + "/part-0-0");
      });
}

BOOST_AUTO_TEST_CASE(merged_restore_checks_the_files) {
  // Each case runs into a directory of its own (a new job refuses output of
  // an earlier run).
  auto run = [](const std::string& path, operator_state_writer& s1, operator_state_writer& s2) {
    auto sink = file_sink(path).factory();
    test::checkpointing_context ctx(0, 1);
    sink->open(ctx);
    sink->write(batch_of({"a", "b"}));
    sink->snapshot_state(1, s1);
    sink->notify_checkpoint_complete(1);
    sink->write(batch_of({"c"}));
    sink->snapshot_state(2, s2);
  };
  auto restore = [](const std::string& path, const operator_state_writer& s, errc code,
                    const std::string& file) {
    auto sink = file_sink(path).factory();
    sink->initialize_state(test::restore_reader({s}, 0, 1));
    test::checkpointing_context ctx(0, 1);
    BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
      return e.code() == code && names_file(e, file);
    });
  };
  {
    // The output lost committed bytes.
    test::temp_dir dir;
    std::string path = dir / "result.txt";
    operator_state_writer s1, s2;
    run(path, s1, s2);
    fs::resize_file(path, 3);
    restore(path, s2, errc::corrupt, path);
  }
  {
    // A pending file vanished before it was appended.
    test::temp_dir dir;
    std::string path = dir / "result.txt";
    operator_state_writer s1, s2;
    run(path, s1, s2);
    fs::remove(dir / ".result.txt.pending-2");
    restore(path, s2, errc::corrupt, dir / ".result.txt.pending-2");
  }
  {
    // A pending file does not have the size recorded.
    test::temp_dir dir;
    std::string path = dir / "result.txt";
    operator_state_writer s1, s2;
    run(path, s1, s2);
    test::write_file(dir / ".result.txt.pending-2", "c\nextra\n");
    restore(path, s2, errc::corrupt, dir / ".result.txt.pending-2");
  }
  {
    // State of the other mode.
    test::temp_dir dir;
    operator_state_writer s1, s2;
    run(dir / "result.txt", s1, s2);
    auto sink = file_sink(dir / "parts", file_sink_mode::per_subtask).factory();
    sink->initialize_state(test::restore_reader({s2}, 0, 1));
    test::checkpointing_context ctx(0, 1);
    BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
      return e.code() == errc::invalid_argument && names_file(e, dir / "parts");
    });
  }
}

BOOST_AUTO_TEST_CASE(unwritable_directory_names_the_file) {
  test::temp_dir dir;
  test::write_file(dir / "regular", "I am a file\n");
  for (auto mode : {file_sink_mode::merged, file_sink_mode::per_subtask}) {
    std::string path = dir / "regular/sub/out";
    auto sink = file_sink(path, mode).factory();
    test::checkpointing_context ctx(0, 1);
    BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
      return e.code() == errc::io && names_file(e, path) &&
             std::string(e.what()).find("Not a directory") != std::string::npos;
    });
    sink->close();
  }
}
