#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"
#include "support/process.hpp"

using namespace spate::test;

namespace {

void expect_usage_error(std::vector<std::string> args, const std::string& names) {
  auto r = run_spate(args);
  std::string joined;
  for (auto& a : args)
    joined += a + " ";
  BOOST_TEST(r.exit_code == 2, "spate " << joined << "exited " << r.exit_code);
  BOOST_TEST(r.err.find(names) != std::string::npos,
             "spate " << joined << ": stderr '" << r.err << "' does not name '" << names << "'");
  BOOST_TEST(r.out.empty(), "no output expected for spate " << joined);
}

} // namespace

BOOST_AUTO_TEST_CASE(jobs_lists_one_line_per_job) {
  auto r = run_spate({"jobs"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST((r.out.find("\nwordcount ") != std::string::npos || r.out.find("wordcount ") == 0u),
             r.out);
  for (std::size_t pos = 0; pos < r.out.size();) {
    auto nl = r.out.find('\n', pos);
    BOOST_REQUIRE(nl != std::string::npos);
    BOOST_TEST(r.out.find("  ", pos) < nl,
               "line without a description: " << r.out.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_2_with_a_message_naming_it) {
  expect_usage_error({"local", "wordcount", "--frobnicate"}, "--frobnicate");
  expect_usage_error({"local", "no-such-job"}, "no-such-job");
  expect_usage_error({"local"}, "job");
  expect_usage_error({}, "subcommand");
  expect_usage_error({"launch"}, "launch");
  expect_usage_error({"local", "wordcount", "--parallelism", "0"}, "parallelism");
  expect_usage_error({"local", "wordcount", "--parallelism", "two"}, "two");
  expect_usage_error({"local", "wordcount", "--max-parallelism", "99999"}, "max-parallelism");
  expect_usage_error({"local", "wordcount", "-p", "8", "--max-parallelism", "4"},
                     "max parallelism");
  expect_usage_error({"local", "wordcount", "--input", "kafka:topic"}, "kafka:topic");
  expect_usage_error({"local", "wordcount", "--input", "generator:count=-1"}, "count");
  expect_usage_error({"local", "wordcount", "--input", "generator:rate=fast"}, "fast");
  expect_usage_error({"local", "wordcount", "--input", "generator:colour=red"}, "colour");
  expect_usage_error({"local", "wordcount", "--input", "generator:seed"}, "seed");
  expect_usage_error({"local", "wordcount", "--input", "file:"}, "file");
  expect_usage_error({"local", "wordcount", "--input", "socket:localhost"}, "HOST:PORT");
  expect_usage_error({"local", "wordcount", "--input", "socket:localhost:70000"}, "port");
  expect_usage_error({"local", "wordcount", "--input", "file:/no/such/input.txt"},
                     "/no/such/input.txt");
  expect_usage_error({"local", "wordcount", "--output", "stdout"}, "stdout");
  expect_usage_error({"local", "wordcount", "--output", "file:"}, "file");
  expect_usage_error({"local", "wordcount", "-D", "novalue"}, "novalue");
  expect_usage_error({"local", "wordcount", "-D", "execution.buffer-timeout=soon"},
                     "execution.buffer-timeout");
  expect_usage_error({"local", "wordcount", "-D", "taskmanager.memory.segment-size=100b"},
                     "taskmanager.memory.segment-size");
  expect_usage_error({"local", "wordcount", "-D", "taskmanager.memory.segment-size=lots"},
                     "taskmanager.memory.segment-size");
  expect_usage_error({"local", "wordcount", "-D", "execution.remote-batch-size=0"},
                     "execution.remote-batch-size");
  expect_usage_error({"local", "wordcount", "-D", "log.format=xml"}, "log.format");
  expect_usage_error({"local", "wordcount", "-D", "log.level=loud"}, "log.level");
  expect_usage_error({"local", "wordcount", "--", "unexpected"}, "unexpected");
}

BOOST_AUTO_TEST_CASE(unreachable_socket_fails_the_job_naming_it) {
  // Find a closed port: bind one, then release it.
  auto r =
      run_spate({"local", "wordcount", "--input", "socket:127.0.0.1:1", "--output", "discard"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("127.0.0.1:1") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("FAILED") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(json_logs_are_one_object_per_line_naming_the_job_and_task) {
  auto r = run_spate({"local", "wordcount", "--input", "socket:127.0.0.1:1", "--output", "discard",
                      "-D", "log.format=json"});
  BOOST_TEST(r.exit_code == 1);
  std::istringstream lines(r.err);
  std::string line;
  int logged = 0;
  bool named = false;
  while (std::getline(lines, line)) {
    if (line.rfind("spate: ", 0) == 0) // the CLI's own verdict, for people
      continue;
    auto j = nlohmann::json::parse(line); // every log line is one JSON object
    ++logged;
    if (j["level"] == "error" && j.contains("task")) {
      named = true;
      BOOST_TEST(j["task"].get<std::string>() == "Source: socket-text -> Split", line);
      BOOST_TEST(j["subtask"].get<int>() == 0, line);
      BOOST_TEST(j["job_name"].get<std::string>() == "wordcount", line);
      BOOST_TEST(j["job"].get<std::string>().size() == 32u, line);
      BOOST_TEST(j["message"].get<std::string>().find("127.0.0.1:1") != std::string::npos, line);
    }
  }
  BOOST_TEST(logged >= 1, r.err);
  BOOST_TEST(named, r.err);
}

BOOST_AUTO_TEST_CASE(file_in_file_out_matches_a_reference) {
  temp_dir dir;
  auto in = dir.path / "in.txt";
  {
    std::ofstream f(in);
    f << "the quick brown fox\n  jumps over\tthe lazy dog \n\nthe end\n\"quoted\" word";
  }
  auto out = dir.path / "out" / "counts.jsonl";
  auto r = run_spate({"local", "wordcount", "-p", "3", "--input", "file:" + in.string(), "--output",
                      "file:" + out.string()});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.empty());
  // Reference: final count per word, and one output line per occurrence.
  std::map<std::string, std::int64_t> expected{
      {"the", 3},  {"quick", 1}, {"brown", 1}, {"fox", 1},        {"jumps", 1}, {"over", 1},
      {"lazy", 1}, {"dog", 1},   {"end", 1},   {"\"quoted\"", 1}, {"word", 1}};
  std::map<std::string, std::int64_t> final_counts;
  std::ifstream f(out);
  std::string line;
  int lines = 0;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line);
    BOOST_TEST(line.find("{\"word\":") == 0u, line);
    final_counts[j["word"]] = std::max(final_counts[j["word"]], j["count"].get<std::int64_t>());
    ++lines;
  }
  BOOST_TEST(lines == 13);
  BOOST_TEST(final_counts == expected);
}

BOOST_AUTO_TEST_CASE(sigint_stops_an_unbounded_job_cleanly) {
  child_process p(
      {bin_dir() + "/spate", "local", "wordcount", "--input", "generator:rate=1000", "-p", "2"});
  auto seen = p.read_until("\"count\"");
  BOOST_REQUIRE(seen.find("\"count\"") != std::string::npos);
  p.signal(SIGINT);
  auto r = p.finish();
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("CANCELED") != std::string::npos, r.err);
}
