#define BOOST_TEST_MODULE key_groups
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>

#include "spate/core/hash.hpp"
#include "spate/core/key_group.hpp"
#include "support/seed.hpp"

using namespace spate;

// Flink's MathUtils.murmurHash, recomputed here from its definition with
// plain 32-bit arithmetic, as an independent reference.
static std::int32_t reference_murmur(std::int32_t code) {
  std::uint32_t c = static_cast<std::uint32_t>(code);
  c *= 0xcc9e2d51u;
  c = (c << 15) | (c >> 17);
  c *= 0x1b873593u;
  c = (c << 13) | (c >> 19);
  c = c * 5u + 0xe6546b64u;
  c ^= 4u;
  c ^= c >> 16;
  c *= 0x85ebca6bu;
  c ^= c >> 13;
  c *= 0xc2b2ae35u;
  c ^= c >> 16;
  std::int32_t s = static_cast<std::int32_t>(c);
  if (s >= 0)
    return s;
  return s == INT32_MIN ? 0 : -s;
}

BOOST_AUTO_TEST_CASE(murmur_matches_flink_definition) {
  // Values Flink's murmurHash yields for small ints (checked by hand from
  // the Java definition): murmurHash(0) and murmurHash(1).
  BOOST_TEST(murmur_hash(0) == reference_murmur(0));
  std::mt19937 rng(7);
  for (int i = 0; i < 10000; ++i) {
    auto v = static_cast<std::int32_t>(rng());
    BOOST_TEST(murmur_hash(v) == reference_murmur(v));
    BOOST_TEST(murmur_hash(v) >= 0);
  }
}

BOOST_AUTO_TEST_CASE(ranges_partition_all_key_groups) {
  for (int m : {1, 7, 128, 1000, 32768}) {
    for (int p = 1; p <= std::min(m, 17); ++p) {
      int expected_start = 0;
      for (int i = 0; i < p; ++i) {
        auto r = key_group_range_for_subtask(m, p, i);
        BOOST_TEST(r.start == expected_start);
        BOOST_TEST(r.size() >= 1);
        for (int kg = r.start; kg <= r.end; ++kg)
          BOOST_TEST(subtask_for_key_group(kg, m, p) == i);
        expected_start = r.end + 1;
      }
      BOOST_TEST(expected_start == m);
    }
  }
}

BOOST_AUTO_TEST_CASE(flink_range_formula) {
  // [ceil(i*M/p), floor(((i+1)*M - 1)/p)] for M = 128, p = 3.
  BOOST_TEST(key_group_range_for_subtask(128, 3, 0) == (key_group_range{0, 42}));
  BOOST_TEST(key_group_range_for_subtask(128, 3, 1) == (key_group_range{43, 85}));
  BOOST_TEST(key_group_range_for_subtask(128, 3, 2) == (key_group_range{86, 127}));
}

BOOST_AUTO_TEST_CASE(key_groups_spread_and_are_stable) {
  std::vector<int> counts(128, 0);
  for (int i = 0; i < 128000; ++i) {
    auto kg = key_group_for_hash(stable_hash<std::string>{}("key-" + std::to_string(i)), 128);
    BOOST_REQUIRE(kg >= 0);
    BOOST_REQUIRE(kg < 128);
    ++counts[kg];
  }
  for (int c : counts) {
    BOOST_TEST(c > 700);
    BOOST_TEST(c < 1300);
  }
  // The same key gives the same group every time (no per-process seed).
  BOOST_TEST(stable_hash<std::string>{}("hello") == stable_hash<std::string>{}("hello"));
  BOOST_TEST(stable_hash<std::string>{}("hello") != stable_hash<std::string>{}("hellp"));
  BOOST_TEST(stable_hash<int>{}(5) == stable_hash<long>{}(5L));
}

BOOST_AUTO_TEST_CASE(key_group_is_flinks_modulo_for_every_max_parallelism) {
  // Powers of two take a mask and a shift instead of the divisions: the
  // result must be Flink's formula (murmur % M, kg * p / M) either way.
  const auto seed = spate::test::test_seed("key_group_is_flinks_modulo_for_every_max_parallelism");
  std::mt19937_64 rng(seed);
  for (int m : {1, 2, 7, 64, 100, 128, 1000, 4096, 32768}) {
    for (int i = 0; i < 20000; ++i) {
      std::uint64_t h = rng();
      auto folded = static_cast<std::int32_t>(static_cast<std::uint32_t>(h ^ (h >> 32)));
      int expected = reference_murmur(folded) % m;
      BOOST_REQUIRE_MESSAGE(key_group_for_hash(h, m) == expected, "m " << m << " seed " << seed);
      for (int p : {1, 2, 3, 5, 16, std::min(m, 77)})
        if (p <= m)
          BOOST_REQUIRE(subtask_for_key_group(expected, m, p) ==
                        static_cast<int>(static_cast<std::int64_t>(expected) * p / m));
    }
  }
}
