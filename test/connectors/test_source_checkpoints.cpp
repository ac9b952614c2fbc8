// Source positions in checkpoints: snapshot at a random point, restore into a
// fresh instance (at the same or another parallelism), and the records before
// plus after equal an uninterrupted run, each exactly once.
#define BOOST_TEST_MODULE source_checkpoints
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/source_harness.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/json_lines_source.hpp"
#include "spate/connectors/text_file_source.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "support/seed.hpp"

using namespace spate;
using lines = std::vector<std::string>;

namespace {

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// One old subtask: runs until `n` records were emitted, snapshots (written to
// `out`), then emits up to `extra` more that the crash loses. Returns the
// records emitted before the snapshot.
template <class T>
std::vector<T> run_then_crash(const source_spec<T>& spec, int subtask, int parallelism,
                              const operator_state_reader* restore, std::size_t n,
                              std::size_t extra, operator_state_writer& out,
                              std::size_t max_records) {
  auto source = spec.factory();
  if (restore)
    source->initialize_state(*restore);
  test::checkpointing_context ctx(subtask, parallelism);
  source->open(ctx);
  std::vector<T> before, lost;
  test::poll_records(*source, n, before, max_records);
  source->snapshot_state(7, out);
  test::poll_records(*source, extra, lost, max_records);
  return before; // destroyed without close(): a crash
}

// A restored subtask, drained to the end.
template <class T>
std::vector<T> restore_and_drain(const source_spec<T>& spec, int subtask, int parallelism,
                                 const operator_state_reader& restore, std::size_t max_records) {
  auto source = spec.factory();
  source->initialize_state(restore);
  test::checkpointing_context ctx(subtask, parallelism);
  source->open(ctx);
  std::vector<T> out;
  BOOST_TEST_REQUIRE(test::poll_records(*source, SIZE_MAX, out, max_records));
  source->close();
  return out;
}

// Runs every subtask of `from` to a random point, snapshots, crashes, and
// restores at `to` subtasks; returns every record emitted before the
// snapshots and after the restore, and checks each restored subtask with
// `check_subtask`.
template <class T, class Check>
std::vector<T> interrupted_run(const source_spec<T>& spec, int from, int to, std::size_t total,
                               std::mt19937_64& rng, Check check_subtask) {
  std::vector<T> all;
  std::vector<operator_state_writer> snapshot(static_cast<std::size_t>(from));
  for (int s = 0; s < from; ++s) {
    std::size_t max_records = 1 + rng() % 16;
    std::size_t n = rng() % (total / static_cast<std::size_t>(from) + 2);
    auto before = run_then_crash(spec, s, from, nullptr, n, rng() % 50, snapshot[s], max_records);
    all.insert(all.end(), before.begin(), before.end());
  }
  for (int s = 0; s < to; ++s) {
    auto after =
        restore_and_drain(spec, s, to, test::restore_reader(snapshot, s, to), 1 + rng() % 16);
    check_subtask(s, after);
    all.insert(all.end(), after.begin(), after.end());
  }
  return all;
}

// -- generator -----------------------------------------------------------

using record = std::pair<std::uint64_t, std::uint64_t>; // (seq, first random number)

source_spec<record> numbered(std::optional<std::int64_t> count, std::uint64_t seed = 11) {
  generator_options options;
  options.seed = seed;
  options.count = count;
  return generator_source<record>(options, [](std::uint64_t seq, record_rng& rng) {
    return record{seq, rng()};
  });
}

std::vector<record> reference(std::size_t count) {
  return test::drain(numbered(static_cast<std::int64_t>(count)), 0, 1, 1000);
}

void check_increasing(int subtask, const std::vector<record>& out) {
  for (std::size_t k = 1; k < out.size(); ++k)
    if (out[k - 1].first >= out[k].first) {
      BOOST_ERROR("subtask " << subtask << " emitted " << out[k - 1].first << " before "
                             << out[k].first);
      return;
    }
}

// -- files ---------------------------------------------------------------

// A directory of files with unique lines ("f<file> l<line>"): one empty, one
// without a final newline, one with CRLF and empty lines.
lines make_input(const test::temp_dir& dir, std::mt19937_64& rng, int files) {
  lines all;
  for (int f = 0; f < files; ++f) {
    std::string content;
    int n = f == 0 ? 0 : static_cast<int>(rng() % 120);
    for (int l = 0; l < n; ++l) {
      std::string line = "f" + std::to_string(f) + " l" + std::to_string(l);
      if (f == 2 && l % 7 == 0)
        line += std::string(70000, 'x'); // longer than the read buffer
      all.push_back(line);
      content += line + (f == 3 ? "\r\n" : "\n");
    }
    if (f == 4 && !content.empty())
      content.pop_back(); // no final newline
    test::write_file(dir / ("in-" + std::to_string(f)), content);
  }
  return all;
}

} // namespace

BOOST_AUTO_TEST_CASE(generator_resumes_after_the_snapshot) {
  std::uint64_t seed = test::test_seed("generator_resumes_after_the_snapshot");
  std::mt19937_64 rng(seed);
  const std::size_t count = 3000;
  auto expected = reference(count);
  for (int p : {1, 2, 3}) {
    for (int round = 0; round < 5; ++round) {
      auto all = interrupted_run(numbered(count), p, p, count, rng, check_increasing);
      BOOST_TEST((sorted(all) == expected), "parallelism " << p << ", round " << round);
    }
  }
}

BOOST_AUTO_TEST_CASE(generator_rescales) {
  std::uint64_t seed = test::test_seed("generator_rescales");
  std::mt19937_64 rng(seed);
  const std::size_t count = 5000;
  auto expected = reference(count);
  for (auto [from, to] : {std::pair{1, 3}, {4, 2}, {3, 5}, {2, 1}, {5, 4}}) {
    for (int round = 0; round < 4; ++round) {
      auto all = interrupted_run(numbered(count), from, to, count, rng, check_increasing);
      BOOST_TEST((sorted(all) == expected), from << " -> " << to << ", round " << round);
    }
  }
}

BOOST_AUTO_TEST_CASE(unbounded_generator_rescales_without_gaps) {
  // Each subtask emits its numbers in increasing order, so after the restore
  // every number below the smallest last one emitted must have come exactly once.
  std::uint64_t seed = test::test_seed("unbounded_generator_rescales_without_gaps");
  std::mt19937_64 rng(seed);
  auto spec = numbered(std::nullopt);
  for (auto [from, to] : {std::pair{1, 3}, {4, 2}}) {
    std::vector<record> all;
    std::vector<operator_state_writer> snapshot(static_cast<std::size_t>(from));
    for (int s = 0; s < from; ++s) {
      auto before = run_then_crash(spec, s, from, nullptr, rng() % 3000, 100, snapshot[s], 50);
      all.insert(all.end(), before.begin(), before.end());
    }
    std::uint64_t reached = UINT64_MAX;
    for (int s = 0; s < to; ++s) {
      auto source = spec.factory();
      source->initialize_state(test::restore_reader(snapshot, s, to));
      test::checkpointing_context ctx(s, to);
      source->open(ctx);
      std::vector<record> after;
      BOOST_TEST(!test::poll_records(*source, 6000, after, 100));
      check_increasing(s, after);
      reached = std::min(reached, after.back().first);
      all.insert(all.end(), after.begin(), after.end());
    }
    all = sorted(all);
    BOOST_TEST((std::adjacent_find(all.begin(), all.end()) == all.end()), "a record came twice");
    auto expected = reference(reached);
    BOOST_TEST_REQUIRE(all.size() >= expected.size());
    BOOST_TEST((std::vector<record>(all.begin(), all.begin() + expected.size()) == expected),
               from << " -> " << to);
  }
}

BOOST_AUTO_TEST_CASE(generator_keeps_its_splits_across_restores) {
  auto spec = numbered(1000);
  operator_state_writer w;
  run_then_crash(spec, 0, 1, nullptr, 10, 0, w, 7);
  generator_source_function<record> source(generator_options{}, [](std::uint64_t s, record_rng&) {
    return record{s, 0};
  });
  source.initialize_state(test::restore_reader({w}, 0, 1));
  test::checkpointing_context ctx(0, 1);
  ctx.get().max_parallelism = 1024; // a new job would take 1024 splits
  source.open(ctx);
  BOOST_TEST(source.cursor().splits() == 128u);
  BOOST_TEST(source.position() == 10u);
}

BOOST_AUTO_TEST_CASE(corrupt_generator_state_is_rejected) {
  auto spec = numbered(1000);
  std::vector<operator_state_writer> two(2);
  run_then_crash(spec, 0, 2, nullptr, 10, 0, two[0], 7);
  run_then_crash(spec, 1, 2, nullptr, 10, 0, two[1], 7);
  auto restore = [&](std::vector<operator_state_writer> old) {
    auto source = spec.factory();
    source->initialize_state(test::restore_reader(old, 0, 1));
  };
  BOOST_CHECK_NO_THROW(restore(two));
  // Half the splits are missing.
  BOOST_CHECK_EXCEPTION(restore({two[0]}), spate::error, [](const spate::error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return e.code() == errc::corrupt &&
           std::string(e.what()).find("no position for split 1 of 128") != std::string::npos;
  });
  // The same splits twice.
  BOOST_CHECK_EXCEPTION(restore({two[0], two[0]}), spate::error,
                        [](const spate::error& e) { return e.code() == errc::corrupt; });
  operator_state_writer garbage;
  garbage.put("generator", "not msgpack \xc1");
  BOOST_CHECK_EXCEPTION(restore({garbage}), spate::error,
                        [](const spate::error& e) { return e.code() == errc::codec; });
}

BOOST_AUTO_TEST_CASE(text_file_source_resumes_after_the_snapshot) {
  std::uint64_t seed = test::test_seed("text_file_source_resumes_after_the_snapshot");
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  lines all_lines = make_input(dir, rng, 7);
  auto spec = text_file_source(dir.path());
  for (int p : {1, 2, 3}) {
    std::vector<lines> uninterrupted;
    for (int s = 0; s < p; ++s)
      uninterrupted.push_back(test::drain(spec, s, p));
    for (int round = 0; round < 6; ++round) {
      // Same parallelism: each subtask's records in the same order as without
      // the interruption.
      std::vector<operator_state_writer> snapshot(static_cast<std::size_t>(p));
      std::vector<lines> before(static_cast<std::size_t>(p));
      for (int s = 0; s < p; ++s) {
        std::size_t n = rng() % (uninterrupted[s].size() + 2);
        before[s] = run_then_crash(spec, s, p, nullptr, n, rng() % 30, snapshot[s], 1 + rng() % 9);
      }
      lines everything;
      for (int s = 0; s < p; ++s) {
        auto after = restore_and_drain(spec, s, p, test::restore_reader(snapshot, s, p), 5);
        lines joined = before[s];
        joined.insert(joined.end(), after.begin(), after.end());
        BOOST_TEST((joined == uninterrupted[s]), "subtask " << s << " of " << p);
        everything.insert(everything.end(), joined.begin(), joined.end());
      }
      BOOST_TEST((sorted(everything) == sorted(all_lines)));
    }
  }
}

BOOST_AUTO_TEST_CASE(text_file_source_rescales) {
  std::uint64_t seed = test::test_seed("text_file_source_rescales");
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  lines expected = sorted(make_input(dir, rng, 9));
  auto spec = text_file_source(dir.path());
  for (auto [from, to] : {std::pair{2, 3}, {3, 1}, {1, 4}, {4, 2}}) {
    for (int round = 0; round < 4; ++round) {
      auto all = interrupted_run(spec, from, to, expected.size(), rng, [](int, const lines&) {});
      BOOST_TEST((sorted(all) == expected), from << " -> " << to << ", round " << round);
    }
  }
}

BOOST_AUTO_TEST_CASE(text_file_source_restores_twice_across_rescales) {
  // 2 -> 3 -> 1: the second snapshot must carry the progress of files the
  // 3 subtasks had not reached yet.
  std::uint64_t seed = test::test_seed("text_file_source_restores_twice_across_rescales");
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  lines expected = sorted(make_input(dir, rng, 8));
  auto spec = text_file_source(dir.path());
  for (int round = 0; round < 8; ++round) {
    lines all;
    std::vector<operator_state_writer> first(2), second(3);
    for (int s = 0; s < 2; ++s) {
      auto before = run_then_crash(spec, s, 2, nullptr, rng() % 200, 10, first[s], 4);
      all.insert(all.end(), before.begin(), before.end());
    }
    for (int s = 0; s < 3; ++s) {
      auto reader = test::restore_reader(first, s, 3);
      auto middle = run_then_crash(spec, s, 3, &reader, rng() % 40, 10, second[s], 3);
      all.insert(all.end(), middle.begin(), middle.end());
    }
    auto after = restore_and_drain(spec, 0, 1, test::restore_reader(second, 0, 1), 7);
    all.insert(all.end(), after.begin(), after.end());
    BOOST_TEST((sorted(all) == expected), "round " << round);
  }
}

BOOST_AUTO_TEST_CASE(single_file_moves_to_subtask_zero) {
  test::temp_dir dir;
  std::string content;
  lines expected;
  for (int l = 0; l < 100; ++l) {
    expected.push_back("line " + std::to_string(l));
    content += expected.back() + "\n";
  }
  test::write_file(dir / "in.txt", content);
  auto spec = text_file_source(dir / "in.txt");
  std::vector<operator_state_writer> old(2);
  lines all = run_then_crash(spec, 0, 2, nullptr, 37, 5, old[0], 7);
  BOOST_TEST(run_then_crash(spec, 1, 2, nullptr, 10, 0, old[1], 7).empty());
  for (int s = 0; s < 3; ++s) {
    auto after = restore_and_drain(spec, s, 3, test::restore_reader(old, s, 3), 7);
    BOOST_TEST((s == 0 || after.empty()));
    all.insert(all.end(), after.begin(), after.end());
  }
  BOOST_TEST((all == expected));
}

BOOST_AUTO_TEST_CASE(json_lines_source_resumes_after_the_snapshot) {
  std::uint64_t seed = test::test_seed("json_lines_source_resumes_after_the_snapshot");
  std::mt19937_64 rng(seed);
  test::temp_dir dir;
  for (int f = 0; f < 3; ++f) {
    std::string content;
    for (int l = 0; l < 80; ++l) {
      if (l % 11 == 3)
        content += "{not json\n";
      else if (l % 13 == 5)
        content += "   \n";
      else
        content += "{\"f\":" + std::to_string(f) + ",\"l\":" + std::to_string(l) + "}\n";
    }
    test::write_file(dir / ("part-" + std::to_string(f) + ".json"), content);
  }
  auto spec = json_lines_file_source(dir.path());
  for (int p : {1, 2}) {
    for (int round = 0; round < 6; ++round) {
      auto docs = interrupted_run(spec, p, p, 200, rng, [](int, const auto&) {});
      std::vector<std::string> got, expected;
      for (const auto& d : docs)
        got.push_back(d.dump());
      for (int s = 0; s < p; ++s)
        for (const auto& d : test::drain(spec, s, p))
          expected.push_back(d.dump());
      BOOST_TEST((sorted(got) == sorted(expected)), "parallelism " << p);
      BOOST_TEST(expected.size() == 3u * (80 - 7 - 6));
    }
  }
}

BOOST_AUTO_TEST_CASE(file_source_without_state_starts_from_the_beginning) {
  test::temp_dir dir;
  test::write_file(dir / "a", "1\n2\n");
  auto spec = text_file_source(dir.path());
  // Restored from a snapshot that had no state for this operator.
  std::vector<operator_state_writer> empty(1);
  BOOST_TEST(
      (restore_and_drain(spec, 0, 1, test::restore_reader(empty, 0, 1), 7) == lines{"1", "2"}));
}
