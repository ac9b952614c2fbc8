#define BOOST_TEST_MODULE wordcount
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "spate/apps/jobs.hpp"
#include "support/collect.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;

namespace {

// Independent reference: split with a stringstream, count in a map.
std::map<std::string, std::int64_t> reference_counts(const std::vector<std::string>& lines) {
  std::map<std::string, std::int64_t> counts;
  for (auto& l : lines) {
    std::istringstream in(l);
    std::string w;
    while (in >> w)
      ++counts[w];
  }
  return counts;
}

std::map<std::string, std::int64_t> final_counts(const std::vector<std::string>& json_lines,
                                                 std::size_t& occurrences) {
  std::map<std::string, std::int64_t> counts;
  occurrences = json_lines.size();
  for (auto& l : json_lines) {
    auto j = nlohmann::json::parse(l);
    auto& c = counts[j.at("word").get<std::string>()];
    c = std::max(c, j.at("count").get<std::int64_t>());
  }
  return counts;
}

} // namespace

BOOST_AUTO_TEST_CASE(counts_unchanged_under_random_parallelism) {
  const auto seed = spate::test::test_seed("counts_unchanged_under_random_parallelism");
  std::mt19937 rng(seed);
  std::vector<std::string> words{"alpha", "beta", "gamma", "delta", "épsilon", "\"q\"", "x"};
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) {
    std::string l;
    for (int w = 0, n = static_cast<int>(rng() % 9); w < n; ++w)
      l += words[rng() % words.size()] + (rng() % 3 ? " " : " \t ");
    lines.push_back(l);
  }
  auto expected = reference_counts(lines);
  std::size_t total = 0;
  for (auto& [w, c] : expected)
    total += static_cast<std::size_t>(c);

  for (int round = 0; round < 4; ++round) {
    int p = 1 + static_cast<int>(rng() % 4);
    BOOST_TEST_MESSAGE("round " << round << " parallelism " << p);
    temp_dir dir;
    environment env(test_config(dir.str(), p));
    auto out = std::make_shared<collected<std::string>>();
    apps::wordcount(env.from_collection(lines).rebalance().map([](std::string s) {
      return s;
    })).add_sink(collect_into(out));
    auto r = env.execute();
    BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
    std::size_t occurrences = 0;
    auto got = final_counts(out->snapshot(), occurrences);
    BOOST_TEST(occurrences == total, "seed " << seed);
    BOOST_TEST(got == expected, "seed " << seed << " parallelism " << p);
  }
}

BOOST_AUTO_TEST_CASE(generator_input_is_deterministic_across_parallelism) {
  std::map<std::string, std::int64_t> first;
  for (int p : {1, 3}) {
    temp_dir dir;
    environment env(test_config(dir.str(), p));
    input_spec in = parse_input_spec("generator:seed=7,count=300");
    auto out = std::make_shared<collected<std::string>>();
    apps::wordcount(read_lines(env, in, text_line_generator)).add_sink(collect_into(out));
    auto r = env.execute();
    BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
    std::size_t occurrences = 0;
    auto got = final_counts(out->snapshot(), occurrences);
    BOOST_TEST(!got.empty());
    if (p == 1)
      first = got;
    else
      BOOST_TEST(got == first);
  }
}
