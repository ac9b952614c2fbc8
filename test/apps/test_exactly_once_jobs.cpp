#define BOOST_TEST_MODULE exactly_once_jobs
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/jobs.hpp"
#include "spate/connectors/file_sink.hpp"
#include "spate/connectors/generator_source.hpp"
#include "support/collect.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;
namespace fs = std::filesystem;

namespace {

//! The committed lines of a part-file directory (hidden files are uncommitted).
std::multiset<std::string> committed_lines(const fs::path& dir) {
  std::multiset<std::string> lines;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string()[0] == '.')
      continue;
    std::ifstream in(e.path());
    for (std::string l; std::getline(in, l);)
      lines.insert(l);
  }
  return lines;
}

enum class job { wordcount, trending_hashtags };

//! Runs `which` over generated input into `out`; with failures, a map on the
//! input throws when the records seen (over all attempts) reach each of
//! `fail_after`, so every failure happens once.
job_result run(job which, int parallelism, const fs::path& out, const std::string& state,
               std::set<std::int64_t> fail_after) {
  auto cfg = test_config(state + "/state", parallelism);
  cfg.set(options::checkpoint_interval, "50 ms");
  cfg.set(options::checkpoints_dir, state + "/checkpoints");
  cfg.set(options::watermark_interval, "0");
  cfg.set(options::buffer_timeout, "5 ms");
  cfg.set("restart-strategy.fixed-delay.delay", "10 ms");
  environment env(cfg);
  generator_options g;
  g.seed = 17;
  g.count = which == job::wordcount ? 3000 : 6000;
  g.rate = 6000;
  auto lines = which == job::wordcount
                   ? env.add_source(text_line_generator(g))
                   : env.add_source(apps::trending_hashtags_generator(g, 100)).set_parallelism(1);
  auto seen = std::make_shared<std::atomic<std::int64_t>>(0);
  auto failing = lines.map([seen, fail_after](std::string l) {
    auto n = seen->fetch_add(1);
    if (fail_after.count(n))
      throw std::runtime_error("injected failure after " + std::to_string(n) + " records");
    return l;
  });
  auto results =
      which == job::wordcount ? apps::wordcount(failing) : apps::trending_hashtags(failing);
  results.add_sink(file_sink(out.string(), file_sink_mode::per_subtask));
  auto client = env.execute_async("exactly-once");
  auto r = client.wait();
  // Failures that come while a restart is already under way share it.
  BOOST_TEST(client.full_restarts() >= (fail_after.empty() ? 0 : 1));
  BOOST_TEST(client.full_restarts() <= static_cast<std::int64_t>(fail_after.size()));
  return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(committed_output_equals_a_failure_free_run) {
  const auto seed = spate::test::test_seed("committed_output_equals_a_failure_free_run");
  std::mt19937_64 rng(seed);
  for (auto which : {job::wordcount, job::trending_hashtags}) {
    for (int p : {1, 3}) {
      const char* name = which == job::wordcount ? "wordcount" : "trending_hashtags";
      temp_dir dir;
      auto clean = run(which, p, dir.path / "clean", dir.str() + "/a", {});
      BOOST_REQUIRE_MESSAGE(clean.status == job_status::finished, clean.failure_cause);
      std::set<std::int64_t> fail_after;
      while (fail_after.size() < 3)
        fail_after.insert(static_cast<std::int64_t>(rng() % 2500));
      BOOST_TEST_MESSAGE(name << " p=" << p << " fails after " << *fail_after.begin() << ", "
                              << *std::next(fail_after.begin()) << ", " << *fail_after.rbegin()
                              << " records");
      auto failed = run(which, p, dir.path / "failed", dir.str() + "/b", fail_after);
      BOOST_REQUIRE_MESSAGE(failed.status == job_status::finished, failed.failure_cause);
      auto expected = committed_lines(dir.path / "clean");
      auto got = committed_lines(dir.path / "failed");
      BOOST_TEST(!expected.empty());
      BOOST_TEST(got.size() == expected.size(), name << " p=" << p << " seed " << seed);
      BOOST_TEST((got == expected), name << " p=" << p << " seed " << seed);
    }
  }
}
