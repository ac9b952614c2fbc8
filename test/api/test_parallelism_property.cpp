#define BOOST_TEST_MODULE parallelism_property
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>

#include "support/collect.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::test;

// Results must not depend on parallelism: the same pipeline run with random
// parallelism 1..4 per operator gives what a plain loop computes.
BOOST_AUTO_TEST_CASE(keyed_reduce_unchanged_under_random_parallelism) {
  const auto seed = spate::test::test_seed("keyed_reduce_unchanged_under_random_parallelism");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> par(1, 4);

  std::vector<std::pair<std::string, std::int64_t>> input;
  for (int i = 0; i < 5000; ++i)
    input.emplace_back("k" + std::to_string(rng() % 97), static_cast<std::int64_t>(rng() % 1000));
  // Reference: final sum of values > 10 (after doubling) per key.
  std::map<std::string, std::int64_t> reference;
  for (auto& [k, v] : input)
    if (v * 2 > 10)
      reference[k] += v * 2;

  for (int round = 0; round < 4; ++round) {
    int p_map = par(rng), p_reduce = par(rng), p_sink = par(rng);
    BOOST_TEST_MESSAGE("round " << round << ": map " << p_map << ", reduce " << p_reduce
                                << ", sink " << p_sink);
    temp_dir dir;
    environment env(test_config(dir.str(), par(rng)));
    auto out = std::make_shared<collected<std::pair<std::string, std::int64_t>>>();
    using rec = std::pair<std::string, std::int64_t>;
    env.from_collection(input)
        .map([](rec r) {
          return rec{r.first, r.second * 2};
        })
        .set_parallelism(p_map)
        .filter([](const rec& r) { return r.second > 10; })
        .key_by([](const rec& r) { return r.first; })
        .reduce([](const rec& a, rec b) {
          return rec{a.first, a.second + b.second};
        })
        .set_parallelism(p_reduce)
        .add_sink(collect_into(out))
        .set_parallelism(p_sink);
    auto r = env.execute();
    BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
    std::map<std::string, std::int64_t> last;
    for (auto& [k, v] : out->snapshot())
      last[k] = std::max(last[k], v);
    BOOST_TEST(last == reference, "seed " << seed << " round " << round);
  }
}
