// The barrier aligner on its own: scripted barrier arrivals on N channels,
// and a randomized run checked against the definition of a consistent cut.
#define BOOST_TEST_MODULE barrier_aligner
#include <boost/test/unit_test.hpp>

#include <deque>
#include <random>
#include <vector>

#include "spate/checkpoints/barrier_aligner.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::checkpoints;
using mode = barrier_aligner::mode;

namespace {
checkpoint_id cp(std::int64_t id) { return checkpoint_id{id}; }
channel_index ch(int c) { return channel_index{c}; }
} // namespace

BOOST_AUTO_TEST_CASE(exactly_once_blocks_each_channel_until_the_last_barrier) {
  barrier_aligner a(3, mode::exactly_once);
  auto s = a.on_barrier(ch(1), cp(1));
  BOOST_TEST(s.started);
  BOOST_TEST(!s.complete);
  BOOST_TEST(!s.released);
  BOOST_TEST(a.blocked(ch(1)));
  BOOST_TEST(!a.blocked(ch(0)));
  BOOST_TEST(a.awaited() == 2);
  s = a.on_barrier(ch(0), cp(1));
  BOOST_TEST(!s.started);
  BOOST_TEST(!s.complete);
  BOOST_TEST((a.blocked(ch(0)) && a.blocked(ch(1)) && !a.blocked(ch(2))));
  s = a.on_barrier(ch(2), cp(1));
  BOOST_TEST(s.complete);
  BOOST_TEST(s.released);
  BOOST_TEST(s.id == cp(1));
  BOOST_TEST((!a.blocked(ch(0)) && !a.blocked(ch(1)) && !a.blocked(ch(2))));
  BOOST_TEST(!a.aligning());
  BOOST_TEST(a.last() == cp(1));
}

BOOST_AUTO_TEST_CASE(at_least_once_blocks_nothing_and_completes_on_the_last_barrier) {
  barrier_aligner a(2, mode::at_least_once);
  auto s = a.on_barrier(ch(0), cp(4));
  BOOST_TEST(s.started);
  BOOST_TEST(!a.blocked(ch(0)));
  BOOST_TEST(!a.on_barrier(ch(0), cp(4)).complete); // a repeat on the same channel counts once
  s = a.on_barrier(ch(1), cp(4));
  BOOST_TEST(s.complete);
  BOOST_TEST(a.last() == cp(4));
}

BOOST_AUTO_TEST_CASE(a_single_channel_completes_at_once) {
  barrier_aligner a(1, mode::exactly_once);
  auto s = a.on_barrier(ch(0), cp(1));
  BOOST_TEST((s.started && s.complete && s.released));
  BOOST_TEST(!a.blocked(ch(0)));
}

BOOST_AUTO_TEST_CASE(an_ended_channel_is_not_awaited) {
  barrier_aligner a(3, mode::exactly_once);
  a.on_end_of_channel(ch(2));
  a.on_barrier(ch(0), cp(1));
  BOOST_TEST(a.awaited() == 1);
  // The last awaited channel ends instead of delivering its barrier.
  auto s = a.on_end_of_channel(ch(1));
  BOOST_TEST(s.complete);
  BOOST_TEST(s.id == cp(1));
  BOOST_TEST(!a.blocked(ch(0)));
  // An end with no alignment under way does nothing.
  s = a.on_end_of_channel(ch(0));
  BOOST_TEST((!s.complete && !s.released && !s.started));
}

BOOST_AUTO_TEST_CASE(old_and_repeated_barriers_are_ignored) {
  barrier_aligner a(2, mode::exactly_once);
  a.on_barrier(ch(0), cp(2));
  a.on_barrier(ch(1), cp(2));
  BOOST_TEST(a.last() == cp(2));
  for (auto id : {1, 2}) {
    auto s = a.on_barrier(ch(0), cp(id)); // late barriers of checkpoints taken
    BOOST_TEST((!s.started && !s.complete && !s.released));
    BOOST_TEST(s.id == cp(0));
    BOOST_TEST(!a.blocked(ch(0)));
  }
  // While aligning 5, a barrier of 4 (older) changes nothing.
  a.on_barrier(ch(1), cp(5));
  auto s = a.on_barrier(ch(0), cp(4));
  BOOST_TEST((!s.started && !s.complete && !s.released));
  BOOST_TEST(a.aligning_id() == cp(5));
  BOOST_TEST(!a.blocked(ch(0)));
  BOOST_TEST(a.blocked(ch(1)));
}

BOOST_AUTO_TEST_CASE(a_newer_barrier_supersedes_the_alignment_under_way) {
  barrier_aligner a(3, mode::exactly_once);
  a.on_barrier(ch(0), cp(1));
  a.on_barrier(ch(1), cp(1));
  auto s = a.on_barrier(ch(2), cp(2)); // checkpoint 1 was given up upstream
  BOOST_TEST(s.released);              // what 0 and 1 held goes on
  BOOST_TEST(s.started);
  BOOST_TEST(!s.complete);
  BOOST_TEST(s.id == cp(2));
  BOOST_TEST((!a.blocked(ch(0)) && !a.blocked(ch(1)) && a.blocked(ch(2))));
  // Barriers of 1 still on the way no longer count.
  s = a.on_barrier(ch(1), cp(1));
  BOOST_TEST((!s.started && !s.complete && !s.released));
  a.on_barrier(ch(0), cp(2));
  BOOST_TEST(a.on_barrier(ch(1), cp(2)).complete);
}

BOOST_AUTO_TEST_CASE(abort_releases_and_ignores_the_aborted_checkpoints_barriers) {
  barrier_aligner a(2, mode::exactly_once);
  a.on_barrier(ch(0), cp(3));
  auto s = a.on_abort(cp(3));
  BOOST_TEST(s.released);
  BOOST_TEST(!a.blocked(ch(0)));
  BOOST_TEST(!a.aligning());
  s = a.on_barrier(ch(1), cp(3)); // the other channel's barrier arrives late
  BOOST_TEST((!s.started && !s.complete));
  BOOST_TEST(!a.blocked(ch(1)));
  // Aborting a checkpoint not being aligned only raises the floor.
  s = a.on_abort(cp(7));
  BOOST_TEST(!s.released);
  BOOST_TEST(a.last() == cp(7));
  BOOST_TEST(!a.on_barrier(ch(0), cp(6)).started);
  BOOST_TEST(a.on_barrier(ch(0), cp(8)).started);
}

BOOST_AUTO_TEST_CASE(a_source_trigger_raises_the_floor) {
  barrier_aligner a(0, mode::exactly_once);
  a.on_triggered(cp(4));
  BOOST_TEST(a.last() == cp(4));
  a.on_triggered(cp(2)); // never lowers it
  BOOST_TEST(a.last() == cp(4));
  BOOST_TEST(a.awaited() == 0);
}

// Channels carry records and the barriers of checkpoints 1..K in order,
// interleaved at random; a task driven by the aligner processes what is not
// blocked and holds the rest. At each snapshot the records processed from
// every channel must be exactly those before that checkpoint's barrier on it
// (the consistent cut Chandy-Lamport promises); at least once, every record
// before the barrier must be in (later ones may be too). The coordinator
// runs one checkpoint at a time, but a task may still see a newer barrier
// first after an abort, which this covers too.
BOOST_AUTO_TEST_CASE(randomized_arrivals_give_consistent_cuts) {
  std::mt19937_64 rng(spate::test::test_seed("randomized_arrivals_give_consistent_cuts"));
  for (int round = 0; round < 300; ++round) {
    const int channels = 1 + static_cast<int>(rng() % 5);
    const int checkpoints_n = 1 + static_cast<int>(rng() % 6);
    const auto m = rng() % 2 ? mode::exactly_once : mode::at_least_once;
    // Per channel: a sequence of events, -k for the barrier of checkpoint k,
    // otherwise a record number; before_[c][k] = records before barrier k.
    std::vector<std::deque<int>> lanes(channels);
    std::vector<std::vector<int>> before(channels, std::vector<int>(checkpoints_n + 1, 0));
    std::vector<int> total(channels, 0);
    for (int c = 0; c < channels; ++c) {
      int records = 0;
      for (int k = 1; k <= checkpoints_n; ++k) {
        int n = static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i)
          lanes[c].push_back(++records);
        before[c][k] = records;
        lanes[c].push_back(-k);
      }
      for (int i = static_cast<int>(rng() % 3); i > 0; --i)
        lanes[c].push_back(++records);
      total[c] = records;
    }
    barrier_aligner a(channels, m);
    std::vector<std::deque<int>> held(channels);
    std::vector<int> processed(channels, 0);
    std::vector<std::int64_t> snapshots;
    auto process = [&](int c, int ev) -> alignment_step {
      if (ev > 0) {
        BOOST_TEST_REQUIRE(ev == processed[c] + 1); // in order, none lost
        processed[c] = ev;
        return {};
      }
      auto s = a.on_barrier(ch(c), cp(-ev));
      if (s.complete) {
        auto k = s.id.value();
        snapshots.push_back(k);
        for (int d = 0; d < channels; ++d) {
          if (m == mode::exactly_once)
            BOOST_TEST_REQUIRE(processed[d] == before[d][k], "round " << round << " channel " << d);
          else
            BOOST_TEST_REQUIRE(processed[d] >= before[d][k], "round " << round << " channel " << d);
        }
      }
      return s;
    };
    std::deque<std::pair<int, int>> released; // (channel, event) to run first
    auto release = [&] {
      for (int c = 0; c < channels; ++c)
        for (int ev : held[c])
          released.emplace_back(c, ev);
      for (auto& h : held)
        h.clear();
    };
    auto deliver = [&](int c, int ev) {
      if (a.blocked(ch(c))) {
        held[c].push_back(ev);
        return;
      }
      if (process(c, ev).released)
        release();
    };
    for (;;) {
      if (!released.empty()) {
        auto [c, ev] = released.front();
        released.pop_front();
        deliver(c, ev);
        continue;
      }
      std::vector<int> open;
      for (int c = 0; c < channels; ++c)
        if (!lanes[c].empty())
          open.push_back(c);
      if (open.empty())
        break;
      int c = open[rng() % open.size()];
      int ev = lanes[c].front();
      lanes[c].pop_front();
      deliver(c, ev);
    }
    // Exactly once, every checkpoint completes, in order: a blocked channel
    // cannot deliver the next barrier early. At least once, a channel may
    // bring barrier k+1 before another brought k, which supersedes k; the
    // snapshots taken still rise, and the last checkpoint always completes.
    if (m == mode::exactly_once) {
      BOOST_TEST_REQUIRE(static_cast<int>(snapshots.size()) == checkpoints_n, "round " << round);
      for (int k = 1; k <= checkpoints_n; ++k)
        BOOST_TEST_REQUIRE(snapshots[k - 1] == k);
    } else {
      BOOST_TEST_REQUIRE(!snapshots.empty(), "round " << round);
      BOOST_TEST_REQUIRE(snapshots.back() == checkpoints_n, "round " << round);
      for (std::size_t i = 1; i < snapshots.size(); ++i)
        BOOST_TEST_REQUIRE(snapshots[i - 1] < snapshots[i]);
    }
    for (int c = 0; c < channels; ++c)
      BOOST_TEST_REQUIRE(processed[c] == total[c], "round " << round << " channel " << c);
    for (auto& h : held)
      BOOST_TEST_REQUIRE(h.empty());
  }
}
