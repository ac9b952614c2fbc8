#define BOOST_TEST_MODULE file_sink
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "connectors/file_sink_harness.hpp"
#include "connectors/source_harness.hpp"
#include "spate/connectors/file_sink.hpp"
#include "spate/core/error.hpp"

using namespace spate;

namespace {

typed_batch<std::string> batch_of(std::vector<std::string> lines) {
  typed_batch<std::string> b;
  for (auto& l : lines)
    b.push(std::move(l), no_timestamp);
  return b;
}

runtime_context context(int subtask, int parallelism) {
  runtime_context ctx;
  ctx.subtask = subtask;
  ctx.parallelism = parallelism;
  return ctx;
}

} // namespace

BOOST_AUTO_TEST_CASE(merged_file_with_parent_directories) {
  test::temp_dir dir;
  std::string path = dir / "out/nested/result.txt";
  auto spec = file_sink(path);
  BOOST_TEST(spec.single_instance);
  auto sink = spec.factory();
  auto ctx = context(0, 1);
  sink->open(ctx);
  sink->write(batch_of({"a", "", "c"}));
  sink->write(batch_of({"d"}));
  sink->finish();
  sink->close();
  BOOST_TEST(test::read_file(path) == "a\n\nc\nd\n");
}

BOOST_AUTO_TEST_CASE(large_output_crosses_the_buffer) {
  test::temp_dir dir;
  std::string path = dir / "big.txt";
  auto sink = file_sink(path).factory();
  auto ctx = context(0, 1);
  sink->open(ctx);
  std::string expected;
  for (int b = 0; b < 50; ++b) {
    std::vector<std::string> lines;
    for (int i = 0; i < 200; ++i) {
      lines.push_back("batch " + std::to_string(b) + " record " + std::to_string(i) +
                      std::string(i % 17, '.'));
      expected += lines.back() + "\n";
    }
    sink->write(batch_of(lines));
  }
  BOOST_TEST(expected.size() > 256u * 1024);
  sink->close(); // close without finish (cancelled job) still flushes
  BOOST_TEST(test::read_file(path) == expected);
}

BOOST_AUTO_TEST_CASE(merged_refuses_an_earlier_runs_output) {
  test::temp_dir dir;
  std::string path = dir / "out.txt";
  const std::string old = "old content\nof an earlier run\n";
  test::write_file(path, old);
  auto sink = file_sink(path).factory();
  auto ctx = context(0, 1);
  BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
    return test::refuses_earlier_output(e, path);
  });
  sink->close();
  BOOST_TEST(test::read_file(path) == old);
  BOOST_TEST(
      (test::dir_contents(dir.path()) == std::map<std::string, std::string>{{"out.txt", old}}));
}

BOOST_AUTO_TEST_CASE(merged_writes_over_an_empty_file) {
  // An empty file holds no output: nothing is lost.
  test::temp_dir dir;
  std::string path = dir / "out.txt";
  test::write_file(path, "");
  auto sink = file_sink(path).factory();
  auto ctx = context(0, 1);
  sink->open(ctx);
  sink->write(batch_of({"new"}));
  sink->finish();
  sink->close();
  BOOST_TEST(test::read_file(path) == "new\n");
}

BOOST_AUTO_TEST_CASE(per_subtask_refuses_an_earlier_runs_part_files) {
  // Subtask s of p, and a part file of an earlier run it must refuse.
  struct case_t {
    int subtask, parallelism;
    const char* file;
  };
  for (auto c : {case_t{0, 1, "part-0"}, case_t{1, 2, "part-1"}, case_t{0, 2, "part-2"},
                 case_t{0, 2, "part-7"}, case_t{0, 1, "part-0-0"}, case_t{1, 2, "part-0-3"}}) {
    BOOST_TEST_CONTEXT("subtask " << c.subtask << " of " << c.parallelism << ", " << c.file) {
      test::temp_dir dir;
      std::string out = dir / "parts";
      std::filesystem::create_directories(out);
      test::write_file(out + "/" + c.file, "committed\n");
      test::write_file(out + "/.part-0-1.inprogress", "uncommitted\n");
      auto before = test::dir_contents(out);
      auto sink = file_sink(out, file_sink_mode::per_subtask).factory();
      auto ctx = context(c.subtask, c.parallelism);
      BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
        return test::refuses_earlier_output(e, out) &&
               std::string(e.what()).find(c.file) != std::string::npos;
      });
      sink->close();
      BOOST_TEST((test::dir_contents(out) == before));
    }
  }
}

BOOST_AUTO_TEST_CASE(per_subtask_leaves_other_subtasks_files_to_them) {
  // Subtasks open one after another: subtask 1 finds part-0 that subtask 0 of
  // the same job wrote already, and part-1 is its own to check.
  test::temp_dir dir;
  std::string out = dir / "parts";
  std::filesystem::create_directories(out);
  test::write_file(out + "/part-0", "subtask 0\n");
  test::write_file(out + "/.part-1-0.pending", "hidden\n"); // not committed output
  test::write_file(out + "/other.txt", "not a part file\n");
  auto sink = file_sink(out, file_sink_mode::per_subtask).factory();
  auto ctx = context(1, 2);
  sink->open(ctx);
  sink->write(batch_of({"subtask 1"}));
  sink->finish();
  sink->close();
  BOOST_TEST(test::read_file(out + "/part-0") == "subtask 0\n");
  BOOST_TEST(test::read_file(out + "/part-1") == "subtask 1\n");
  BOOST_TEST(test::read_file(out + "/other.txt") == "not a part file\n");
}

BOOST_AUTO_TEST_CASE(a_restart_of_the_same_job_rewrites_its_own_files) {
  // Without checkpoints a restarted job starts over: it may rewrite what its
  // earlier attempt wrote (same job id), but another job may not.
  test::temp_dir dir;
  for (auto mode : {file_sink_mode::merged, file_sink_mode::per_subtask}) {
    std::string path = mode == file_sink_mode::merged ? dir / "out.txt" : dir / "parts";
    std::string file = mode == file_sink_mode::merged ? path : path + "/part-0";
    auto spec = file_sink(path, mode);
    auto ctx = context(0, 1);
    ctx.job_id = "0123456789abcdef0123456789abcdef";
    {
      auto sink = spec.factory();
      sink->open(ctx);
      sink->write(batch_of({"first attempt"}));
      sink->close(); // the attempt fails
    }
    {
      auto sink = spec.factory();
      sink->open(ctx);
      sink->write(batch_of({"second attempt"}));
      sink->finish();
      sink->close();
    }
    BOOST_TEST(test::read_file(file) == "second attempt\n");
    auto other = context(0, 1);
    other.job_id = "fedcba9876543210fedcba9876543210";
    auto sink = spec.factory();
    BOOST_CHECK_EXCEPTION(sink->open(other), spate::error, [&](const spate::error& e) {
      return test::refuses_earlier_output(e, path);
    });
    BOOST_TEST(test::read_file(file) == "second attempt\n");
  }
}

BOOST_AUTO_TEST_CASE(per_subtask_part_files) {
  test::temp_dir dir;
  std::string out = dir / "parts";
  auto spec = file_sink(out, file_sink_mode::per_subtask);
  BOOST_TEST(!spec.single_instance);
  for (int s = 0; s < 3; ++s) {
    auto sink = spec.factory();
    auto ctx = context(s, 3);
    sink->open(ctx);
    sink->write(batch_of({"subtask " + std::to_string(s), "x"}));
    sink->finish();
    sink->close();
  }
  for (int s = 0; s < 3; ++s)
    BOOST_TEST(test::read_file(out + "/part-" + std::to_string(s)) ==
               "subtask " + std::to_string(s) + "\nx\n");
}

BOOST_AUTO_TEST_CASE(unwritable_path_names_the_file) {
  test::temp_dir dir;
  test::write_file(dir / "regular", "I am a file\n");
  for (auto mode : {file_sink_mode::merged, file_sink_mode::per_subtask}) {
    std::string path = dir / "regular/sub/out.txt";
    auto sink = file_sink(path, mode).factory();
    auto ctx = context(0, 1);
    BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
      BOOST_TEST_MESSAGE(e.what());
      std::string what = e.what();
      return e.code() == errc::io && what.rfind("output file '" + path, 0) == 0 &&
             what.find("Not a directory") != std::string::npos;
    });
    sink->close(); // safe after a failed open
  }
  // A directory where the file should be.
  auto sink = file_sink(dir.path()).factory();
  auto ctx = context(0, 1);
  BOOST_CHECK_EXCEPTION(sink->open(ctx), spate::error, [&](const spate::error& e) {
    return std::string(e.what()) == "output file '" + dir.path() + "': Is a directory";
  });
}

BOOST_AUTO_TEST_CASE(write_failure_is_reported) {
  // /dev/full accepts open() and fails every write with ENOSPC: a full disk.
  if (::access("/dev/full", W_OK) != 0)
    return;
  auto sink = file_sink("/dev/full").factory();
  auto ctx = context(0, 1);
  sink->open(ctx);
  sink->write(batch_of({"lost"}));
  BOOST_CHECK_EXCEPTION(sink->finish(), spate::error, [](const spate::error& e) {
    return std::string(e.what()) == "output file '/dev/full': No space left on device";
  });
  sink->close();
}
