#define BOOST_TEST_MODULE generator_source
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "connectors/source_harness.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"

using namespace spate;
using record = std::pair<std::uint64_t, std::uint64_t>; // (seq, first random number)

namespace {

source_spec<record> numbered(generator_options options) {
  return generator_source<record>(options, [](std::uint64_t seq, record_rng& rng) {
    return record{seq, rng()};
  });
}

// The generator's sequence space has 128 interleaved splits (at the default
// max parallelism); subtask s of p owns the splits j with j % p == s.
constexpr std::uint64_t splits = 128;

bool owns(int subtask, int parallelism, std::uint64_t seq) {
  return static_cast<int>(seq % splits % static_cast<std::uint64_t>(parallelism)) == subtask;
}

std::vector<record> all_subtasks(const source_spec<record>& spec, int parallelism) {
  std::vector<record> out;
  for (int s = 0; s < parallelism; ++s) {
    auto part = test::drain(spec, s, parallelism);
    for (std::size_t k = 0; k < part.size(); ++k) {
      BOOST_TEST(owns(s, parallelism, part[k].first));
      if (k > 0) // each subtask emits in increasing order
        BOOST_TEST(part[k - 1].first < part[k].first);
    }
    out.insert(out.end(), part.begin(), part.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(same_records_at_every_parallelism) {
  generator_options options;
  options.seed = 7;
  options.count = 1000;
  auto spec = numbered(options);
  auto reference = all_subtasks(spec, 1);
  BOOST_TEST_REQUIRE(reference.size() == 1000u);
  for (std::uint64_t i = 0; i < 1000; ++i)
    BOOST_TEST(reference[i].first == i);
  // Records differ from one another: the engine really is reseeded per record.
  std::set<std::uint64_t> randoms;
  for (const record& r : reference)
    randoms.insert(r.second);
  BOOST_TEST(randoms.size() == 1000u);
  for (int p = 2; p <= 4; ++p)
    BOOST_TEST((all_subtasks(spec, p) == reference), "parallelism " << p);
}

BOOST_AUTO_TEST_CASE(seed_changes_records) {
  generator_options a, b;
  a.count = b.count = 10;
  b.seed = a.seed + 1;
  BOOST_TEST((all_subtasks(numbered(a), 1) != all_subtasks(numbered(b), 1)));
}

BOOST_AUTO_TEST_CASE(count_is_respected) {
  generator_options options;
  options.count = 10;
  auto spec = numbered(options);
  BOOST_TEST(test::drain(spec, 0, 3).size() == 4u); // 0 3 6 9
  BOOST_TEST(test::drain(spec, 1, 3).size() == 3u); // 1 4 7
  BOOST_TEST(test::drain(spec, 2, 3).size() == 3u); // 2 5 8
  options.count = 2;
  BOOST_TEST(test::drain(numbered(options), 3, 4).empty());
  options.count = 0;
  test::drain_stats stats;
  auto source = numbered(options).factory();
  BOOST_TEST(test::drain(*source, 0, 1, 7, SIZE_MAX, &stats).empty());
  BOOST_TEST(stats.finished);
}

BOOST_AUTO_TEST_CASE(unbounded_keeps_producing) {
  auto spec = numbered(generator_options{});
  test::drain_stats stats;
  auto source = spec.factory();
  auto out = test::drain(*source, 0, 1, 1000, 50000, &stats);
  BOOST_TEST(out.size() == 50000u);
  BOOST_TEST(!stats.finished);
  BOOST_TEST(stats.idle_polls == 0u);
  BOOST_TEST(out.back().first == 49999u);
}

BOOST_AUTO_TEST_CASE(negative_count_is_rejected) {
  generator_options options;
  options.count = -1;
  auto source = numbered(options).factory();
  runtime_context ctx;
  BOOST_CHECK_EXCEPTION(source->open(ctx), spate::error, [](const spate::error& e) {
    return e.code() == errc::invalid_argument &&
           std::string(e.what()).find("-1") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(position_and_seek) {
  generator_options options;
  options.count = 100;
  generator_source_function<record> source(options, [](std::uint64_t seq, record_rng& rng) {
    return record{seq, rng()};
  });
  runtime_context ctx;
  ctx.subtask = 1;
  ctx.parallelism = 3;
  source.open(ctx);
  typed_batch<record> batch;
  collector<record> out(&batch);
  BOOST_TEST(source.position() == 1u);
  source.poll(out, 2); // 1, 4
  BOOST_TEST(source.position() == 7u);
  source.seek(5); // not ours: the next one we own is 7
  BOOST_TEST(source.position() == 7u);
  source.seek(4);
  source.poll(out, 1);
  BOOST_TEST_REQUIRE(batch.size() == 3u);
  BOOST_TEST(batch.values[2].first == 4u);
  BOOST_TEST((batch.values[2] == batch.values[1])); // replayed record is identical
}

// Pacing: poll as the runtime would (waiting what idle asks) for ~300 ms.
static void check_rate(int parallelism, double rate) {
  generator_options options;
  options.rate = rate;
  auto source = numbered(options).factory();
  runtime_context ctx;
  ctx.subtask = parallelism - 1;
  ctx.parallelism = parallelism;
  typed_batch<record> batch;
  collector<record> out(&batch);
  auto start = std::chrono::steady_clock::now();
  source->open(ctx);
  std::size_t idle = 0;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  while (elapsed() < 0.3) {
    source_status s = source->poll(out, 1000);
    BOOST_TEST_REQUIRE(s.kind != source_status::finished);
    if (s.kind == source_status::idle) {
      ++idle;
      BOOST_TEST(s.wait.count() >= 1);
      BOOST_TEST(s.wait.count() <= 100);
      std::this_thread::sleep_for(s.wait);
    }
  }
  double seconds = elapsed();
  double per_subtask = rate / parallelism;
  BOOST_TEST(idle > 0u);
  // Never ahead of the rate (one record is allowed at once) ...
  BOOST_TEST(static_cast<double>(batch.size()) <= per_subtask * seconds + 1);
  // ... and not far behind it either (generous slack for a loaded machine).
  BOOST_TEST(static_cast<double>(batch.size()) >= per_subtask * seconds * 0.5);
}

BOOST_AUTO_TEST_CASE(rate_is_not_exceeded) { check_rate(1, 2000); }

BOOST_AUTO_TEST_CASE(rate_is_shared_by_subtasks) { check_rate(4, 2000); }

BOOST_AUTO_TEST_CASE(text_lines_are_deterministic) {
  generator_options options;
  options.count = 300;
  auto spec = text_line_generator(options);
  auto reference = test::drain(spec, 0, 1);
  BOOST_TEST_REQUIRE(reference.size() == 300u);
  BOOST_TEST((test::drain(spec, 0, 1) == reference));
  // At parallelism 3, subtask s emits the lines of the numbers it owns
  // ((n % 128) % 3 == s), in increasing order.
  std::size_t total = 0;
  for (int s = 0; s < 3; ++s) {
    auto part = test::drain(spec, s, 3);
    std::vector<std::string> expected;
    for (std::uint64_t n = 0; n < 300; ++n)
      if (owns(s, 3, n))
        expected.push_back(reference[n]);
    BOOST_TEST((part == expected), "subtask " << s);
    total += part.size();
  }
  BOOST_TEST(total == 300u);
}

BOOST_AUTO_TEST_CASE(text_lines_look_like_text) {
  const auto& vocabulary = text_line_vocabulary();
  BOOST_TEST(vocabulary.size() >= 150u);
  BOOST_TEST(std::set<std::string>(vocabulary.begin(), vocabulary.end()).size() ==
             vocabulary.size());
  generator_options options;
  options.count = 2000;
  std::map<std::string, int> counts;
  std::set<std::size_t> lengths;
  for (const std::string& line : test::drain(text_line_generator(options), 0, 1, 500)) {
    std::istringstream words(line);
    std::string w;
    std::size_t n = 0;
    while (words >> w) {
      ++counts[w];
      ++n;
    }
    BOOST_TEST((n >= 5 && n <= 12), line);
    lengths.insert(n);
  }
  BOOST_TEST(lengths.size() == 8u); // every length 5..12 occurs
  for (const auto& [word, count] : counts)
    BOOST_TEST((std::find(vocabulary.begin(), vocabulary.end(), word) != vocabulary.end()), word);
  // Zipf-like: the top word is far more common than a mid-ranked one.
  BOOST_TEST(counts[vocabulary[0]] > 5 * std::max(1, counts[vocabulary[100]]));
  BOOST_TEST(counts[vocabulary[0]] > counts[vocabulary[1]]);
}
