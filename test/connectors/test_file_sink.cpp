#define BOOST_TEST_MODULE file_sink
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <unistd.h>

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

BOOST_AUTO_TEST_CASE(existing_file_is_truncated) {
  test::temp_dir dir;
  std::string path = dir / "out.txt";
  test::write_file(path, "old content that is longer\n");
  auto sink = file_sink(path).factory();
  auto ctx = context(0, 1);
  sink->open(ctx);
  sink->write(batch_of({"new"}));
  sink->finish();
  sink->close();
  BOOST_TEST(test::read_file(path) == "new\n");
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
