#define BOOST_TEST_MODULE print_sink
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "connectors/source_harness.hpp"
#include "spate/connectors/print_sink.hpp"

using namespace spate;

namespace {

// Runs `body` with stdout (fd 1) redirected to a temporary file and returns
// what was written. No Boost.Test assertion may run inside: its log goes to
// stdout too.
std::string capture_stdout(const std::function<void()>& body) {
  test::temp_dir dir;
  std::string file = dir / "stdout.txt";
  std::fflush(stdout);
  int saved = ::dup(1);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (saved < 0 || fd < 0)
    throw std::runtime_error("cannot redirect stdout");
  ::dup2(fd, 1);
  ::close(fd);
  std::exception_ptr failure;
  try {
    body();
  } catch (...) {
    failure = std::current_exception();
  }
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  if (failure)
    std::rethrow_exception(failure);
  return test::read_file(file);
}

template <class T>
void run_sink(const sink_spec<T>& spec, int subtask, int parallelism, std::vector<T> values) {
  auto sink = spec.factory();
  runtime_context ctx;
  ctx.subtask = subtask;
  ctx.parallelism = parallelism;
  sink->open(ctx);
  typed_batch<T> batch;
  for (auto& v : values)
    batch.push(std::move(v), no_timestamp);
  sink->write(batch);
  sink->write(typed_batch<T>{}); // an empty batch prints nothing
  sink->finish();
  sink->close();
}

} // namespace

BOOST_AUTO_TEST_CASE(strings_print_as_they_are_at_parallelism_one) {
  auto out = capture_stdout([] {
    run_sink(print_sink<std::string>(), 0, 1, {"hello world", "", "x y"});
  });
  BOOST_TEST(out == "hello world\n\nx y\n");
}

BOOST_AUTO_TEST_CASE(subtask_prefix_at_parallelism_above_one) {
  auto spec = print_sink<std::string>();
  auto out = capture_stdout([&] {
    run_sink(spec, 0, 3, {"a", "b"});
    run_sink(spec, 2, 3, {"c"});
  });
  BOOST_TEST(out == "1> a\n1> b\n3> c\n");
}

BOOST_AUTO_TEST_CASE(default_format_uses_stream_operator) {
  auto out = capture_stdout([] { run_sink(print_sink<int>(), 1, 2, {7, -3}); });
  BOOST_TEST(out == "2> 7\n2> -3\n");
}

BOOST_AUTO_TEST_CASE(custom_format_and_identifier) {
  auto spec = print_sink<std::pair<std::string, int>>(
      [](const std::pair<std::string, int>& p) {
        return "(" + p.first + "," + std::to_string(p.second) + ")";
      },
      "counts");
  auto out = capture_stdout([&] {
    run_sink(spec, 0, 1, {{"the", 3}});
    run_sink(spec, 1, 4, {{"a", 1}});
  });
  BOOST_TEST(out == "counts> (the,3)\ncounts:2> (a,1)\n");
}

BOOST_AUTO_TEST_CASE(line_prefix_follows_flink) {
  BOOST_TEST(print_line_prefix("", 0, 1) == "");
  BOOST_TEST(print_line_prefix("", 4, 8) == "5> ");
  BOOST_TEST(print_line_prefix("out", 0, 1) == "out> ");
  BOOST_TEST(print_line_prefix("out", 1, 2) == "out:2> ");
}
