// The progress line of `spate local`: its text, exactly, and the binary
// showing it on a pseudo-terminal but never on a pipe.
#define BOOST_TEST_MODULE progress
#include <boost/test/unit_test.hpp>

#include <pty.h>
#include <termios.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <limits>

#include "progress.hpp"
#include "support/process.hpp"

using namespace spate;
using namespace spate::cluster_detail;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(counts_have_three_significant_digits_and_a_unit) {
  BOOST_TEST(format_count(0) == "0");
  BOOST_TEST(format_count(7) == "7");
  BOOST_TEST(format_count(999) == "999");
  BOOST_TEST(format_count(1000) == "1.00 k");
  BOOST_TEST(format_count(1234) == "1.23 k");
  BOOST_TEST(format_count(12345) == "12.3 k");
  BOOST_TEST(format_count(123456) == "123 k");
  BOOST_TEST(format_count(999499) == "999 k");
  BOOST_TEST(format_count(999999) == "1.00 M"); // rounded up into the next unit
  BOOST_TEST(format_count(1230000) == "1.23 M");
  BOOST_TEST(format_count(1500000) == "1.50 M");
  BOOST_TEST(format_count(2300000000) == "2.30 G");
  BOOST_TEST(format_count(4000000000000) == "4.00 T");
  BOOST_TEST(format_count(-1500) == "-1.50 k");
}

BOOST_AUTO_TEST_CASE(rates_are_per_second) {
  BOOST_TEST(format_rate(0) == "0/s");
  BOOST_TEST(format_rate(12.4) == "12/s");
  BOOST_TEST(format_rate(999.4) == "999/s");
  BOOST_TEST(format_rate(999.6) == "1.00 k/s");
  BOOST_TEST(format_rate(98100) == "98.1 k/s");
  BOOST_TEST(format_rate(1.5e6) == "1.50 M/s");
  BOOST_TEST(format_rate(std::nan("")) == "0/s");
  BOOST_TEST(format_rate(-3) == "0/s");
}

BOOST_AUTO_TEST_CASE(elapsed_time_is_minutes_and_seconds_then_hours) {
  BOOST_TEST(format_elapsed(0ms) == "00:00");
  BOOST_TEST(format_elapsed(12999ms) == "00:12"); // whole seconds, not rounded
  BOOST_TEST(format_elapsed(59min + 59s) == "59:59");
  BOOST_TEST(format_elapsed(1h) == "1:00:00");
  BOOST_TEST(format_elapsed(1h + 2min + 3s) == "1:02:03");
  BOOST_TEST(format_elapsed(27h) == "27:00:00");
}

BOOST_AUTO_TEST_CASE(the_line_leaves_out_what_is_not_known) {
  progress_snapshot s;
  s.elapsed = 12s;
  s.records_in = 1230000;
  s.in_rate = 98100;
  s.records_out = 1200000;
  s.out_rate = 97900;
  s.backpressure = "ok";
  s.checkpoints = 1;
  BOOST_TEST(format_progress(s) ==
             "00:12  in 1.23 M (98.1 k/s)  out 1.20 M (97.9 k/s)  backpressure ok  checkpoints 1");
  s.in_rate.reset();
  s.out_rate.reset();
  s.checkpoints.reset();
  s.backpressure = "high";
  s.elapsed = 1h + 1s;
  BOOST_TEST(format_progress(s) == "1:00:01  in 1.23 M  out 1.20 M  backpressure high");
  progress_snapshot empty;
  BOOST_TEST(format_progress(empty) == "00:00");
  // A bounded input says of how many.
  s.records_total = 10000000;
  s.in_rate = 98100;
  BOOST_TEST(format_progress(s) ==
             "1:00:01  in 1.23 M of 10.0 M (98.1 k/s)  out 1.20 M  backpressure high");
}

namespace {

subtask_io_metrics task(const std::string& name, std::int64_t in, std::int64_t out,
                        double back_pressured_ms) {
  subtask_io_metrics m;
  m.task_name = name;
  m.records_in = in;
  m.records_out = out;
  m.back_pressured_ms = back_pressured_ms;
  return m;
}

} // namespace

BOOST_AUTO_TEST_CASE(sources_count_what_they_send_and_sinks_what_they_receive) {
  progress_snapshot s;
  sum_sources_and_sinks({task("Source: generator -> Flat Map", 0, 700, 50),
                         task("Source: generator -> Flat Map", 0, 300, 600),
                         task("Keyed Aggregation", 1000, 900, 0),
                         task("Map -> Sink: print", 900, 0, 0)},
                        s);
  BOOST_TEST(s.records_in.value_or(-1) == 1000);
  BOOST_TEST(s.records_out.value_or(-1) == 900);
  BOOST_TEST(s.backpressure == "high"); // the highest subtask: 0.6

  // One chain from source to sink sends nothing over a channel: no counts.
  progress_snapshot chained;
  double nan = std::numeric_limits<double>::quiet_NaN(); // task time off
  sum_sources_and_sinks({task("Source: generator -> Sink: kafka", 0, 0, nan)}, chained);
  BOOST_TEST(!chained.records_in.has_value());
  BOOST_TEST(!chained.records_out.has_value());
  BOOST_TEST(chained.backpressure.empty());

  // Source operators that report what they read count that instead (a
  // source chained with its sink too), and operators of other chains do not.
  progress_snapshot read;
  auto a = task("Source: generator -> Sink: kafka", 0, 0, 0);
  a.operator_metrics = {{"generator.numRecordsOut", 400}, {"Sink: kafka.numRecordsOut", 7}};
  auto b = a;
  b.operator_metrics["generator.numRecordsOut"] = 600;
  auto c = task("Map", 1000, 1000, 0);
  c.operator_metrics = {{"Map.numRecordsOut", 5}};
  sum_sources_and_sinks({a, b, c}, read);
  BOOST_TEST(read.records_in.value_or(-1) == 1000);
}

namespace {

//! `spate ARGS` with stdin, stdout and stderr on a pseudo-terminal (no
//! output processing, so '\r' is only what spate writes); all it wrote.
test::process_result run_on_terminal(std::vector<std::string> args) {
  args.insert(args.begin(), test::bin_dir() + "/spate");
  termios tio{};
  cfmakeraw(&tio);
  winsize ws{};
  ws.ws_col = 120;
  ws.ws_row = 40;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, &tio, &ws);
  if (pid < 0)
    throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    setenv("TERM", "xterm", 1);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  test::process_result r;
  char buf[4096];
  for (;;) {
    auto n = read(master, buf, sizeof buf);
    if (n > 0)
      r.out.append(buf, static_cast<std::size_t>(n));
    else if (n < 0 && errno == EINTR)
      continue;
    else
      break; // EIO once the child closed the terminal
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// About 2.5 s of a throttled generator: long enough for progress lines.
const std::vector<std::string> slow_job = {"local",    "wordcount",
                                           "--input",  "generator:seed=7,count=2500,rate=1000",
                                           "--output", "discard"};

} // namespace

BOOST_AUTO_TEST_CASE(no_progress_line_on_a_pipe) {
  auto r = test::run_spate(slow_job);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find('\r') == std::string::npos, r.err);
  BOOST_TEST(r.err.find("\033[K") == std::string::npos, r.err);
  BOOST_TEST(r.err.find("FINISHED") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(progress_lines_on_a_terminal_are_erased_at_the_end) {
  // The job prints to the same terminal: its lines must start clean too.
  auto printing = slow_job;
  printing.back() = "print";
  auto r = run_on_terminal(printing);
  BOOST_TEST(r.exit_code == 0, r.out);
  // Lines drawn over each other: "\r00:01  in ... (.../s)  out ...  backpressure ..."
  auto first = r.out.find("\r00:01  in ");
  BOOST_TEST(first != std::string::npos, r.out);
  BOOST_TEST(r.out.find("\r00:02  in ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("/s)  out ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("  backpressure ") != std::string::npos, r.out);
  // The line is erased before the job's end message, which starts on a clean
  // line, and nothing of it is left after.
  auto erased = r.out.rfind("\r\033[K");
  auto finished = r.out.find("FINISHED");
  BOOST_TEST(finished != std::string::npos, r.out);
  BOOST_TEST(erased != std::string::npos);
  BOOST_TEST(erased < finished);
  auto tail = r.out.substr(erased + 4);
  BOOST_TEST(tail.find('\r') == std::string::npos, tail);
  BOOST_TEST(tail.find("backpressure") == std::string::npos, tail);
  BOOST_TEST(tail.back() == '\n', tail);
  // Every line (printed records, log lines) ends with nothing of the
  // progress line left on it: what follows its last erase is clean.
  std::size_t lines = 0;
  for (std::size_t b = 0, e; (e = r.out.find('\n', b)) != std::string::npos; b = e + 1) {
    auto line = r.out.substr(b, e - b);
    auto cut = line.rfind("\r\033[K");
    auto rest = cut == std::string::npos ? line : line.substr(cut + 4);
    BOOST_TEST(rest.find('\r') == std::string::npos, line);
    BOOST_TEST(rest.find("backpressure") == std::string::npos, line);
    ++lines;
  }
  BOOST_TEST(lines > 100u); // the word counts

  // --no-progress: none.
  auto args = slow_job;
  args.push_back("--no-progress");
  auto quiet = run_on_terminal(args);
  BOOST_TEST(quiet.exit_code == 0, quiet.out);
  BOOST_TEST(quiet.out.find("\033[K") == std::string::npos, quiet.out);
  BOOST_TEST(quiet.out.find("FINISHED") != std::string::npos, quiet.out);
}
