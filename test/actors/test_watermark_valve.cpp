// The watermark valve on its own: how input channels' watermarks and
// idleness become the task's, against a simple reference in a randomized run.
#define BOOST_TEST_MODULE watermark_valve
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

#include "support/seed.hpp"
#include "watermark_valve.hpp"

using namespace spate;
using namespace spate::detail;

BOOST_AUTO_TEST_CASE(the_minimum_of_active_channels_and_never_back) {
  watermark_valve v(3);
  BOOST_TEST(!v.on_watermark(channel_index{0}, 10).watermark); // 1 and 2 still at the start
  BOOST_TEST(!v.on_watermark(channel_index{1}, 5).watermark);
  auto out = v.on_watermark(channel_index{2}, 7);
  BOOST_TEST_REQUIRE(out.watermark.has_value());
  BOOST_TEST(*out.watermark == 5);
  BOOST_TEST(
      !v.on_watermark(channel_index{1}, 3).watermark); // a channel going back changes nothing
  out = v.on_watermark(channel_index{1}, 8);
  BOOST_TEST(*out.watermark == 7);
  BOOST_TEST(!out.became_active);
  BOOST_TEST(!out.became_idle);
}

BOOST_AUTO_TEST_CASE(an_idle_channel_does_not_hold_the_watermark_back) {
  watermark_valve v(2);
  v.on_watermark(channel_index{0}, 100);
  auto out = v.on_idle(channel_index{1}, true);
  BOOST_TEST(*out.watermark == 100);
  BOOST_TEST(!out.became_idle);
  // Back to active with an older watermark: the task's does not go back.
  out = v.on_idle(channel_index{1}, false);
  BOOST_TEST(!out.watermark);
  BOOST_TEST(v.watermark() == 100);
}

BOOST_AUTO_TEST_CASE(all_idle_advances_to_the_highest_then_says_idle) {
  watermark_valve v(2);
  v.on_watermark(channel_index{0}, 40);
  v.on_watermark(channel_index{1}, 20);
  BOOST_TEST(v.watermark() == 20);
  v.on_idle(channel_index{1}, true); // 0 (at 40) now holds it alone
  BOOST_TEST(v.watermark() == 40);
  v.on_watermark(channel_index{1}, 60); // an idle channel's watermark is kept for later
  auto out = v.on_idle(channel_index{0}, true);
  BOOST_TEST(*out.watermark == 60); // the highest, before idle
  BOOST_TEST(out.became_idle);
  BOOST_TEST(v.idle());
  out = v.on_watermark(channel_index{0}, 70); // an idle channel sends a watermark: still idle
  BOOST_TEST(*out.watermark == 70);
  BOOST_TEST(!out.became_active);
  out = v.on_idle(channel_index{0}, false);
  BOOST_TEST(out.became_active);
  BOOST_TEST(!out.watermark);
  BOOST_TEST(!v.idle());
}

BOOST_AUTO_TEST_CASE(ended_channels_drop_out_and_the_last_end_completes_event_time) {
  watermark_valve v(2);
  v.on_watermark(channel_index{0}, 50);
  v.on_watermark(channel_index{1}, 10);
  auto out = v.on_end(channel_index{1});
  BOOST_TEST(*out.watermark == 50);
  BOOST_TEST(!v.all_ended());
  out = v.on_end(channel_index{1}); // twice: nothing
  BOOST_TEST(!out.watermark);
  out = v.on_end(channel_index{0});
  BOOST_TEST(v.all_ended());
  BOOST_TEST(*out.watermark == max_watermark);
  BOOST_TEST(!v.on_end(channel_index{0}).watermark);
}

BOOST_AUTO_TEST_CASE(randomized_events_match_a_reference) {
  std::mt19937_64 rng(spate::test::test_seed("watermark_valve randomized"));
  for (int round = 0; round < 500; ++round) {
    int n = 1 + static_cast<int>(rng() % 4);
    watermark_valve v(n);
    std::vector<timestamp> wm(n, min_watermark);
    std::vector<bool> idle(n, false), ended(n, false);
    timestamp out = min_watermark;
    bool out_idle = false;
    for (int step = 0; step < 30; ++step) {
      int c = static_cast<int>(rng() % n);
      int what = static_cast<int>(rng() % 10);
      valve_output o;
      if (what < 6) {
        timestamp t = static_cast<timestamp>(rng() % 100);
        wm[c] = std::max(wm[c], t);
        o = v.on_watermark(channel_index{c}, t);
      } else if (what < 9) {
        idle[c] = !idle[c];
        o = v.on_idle(channel_index{c}, idle[c]);
      } else {
        ended[c] = true;
        o = v.on_end(channel_index{c});
      }
      // Reference: the minimum over open active channels, or, when every open
      // channel is idle, the maximum over open ones; max when all ended.
      bool any_open = false, any_active = false;
      timestamp lo = max_watermark, hi = min_watermark;
      for (int d = 0; d < n; ++d) {
        if (ended[d])
          continue;
        any_open = true;
        hi = std::max(hi, wm[d]);
        if (!idle[d]) {
          any_active = true;
          lo = std::min(lo, wm[d]);
        }
      }
      timestamp expect = !any_open ? max_watermark : any_active ? lo : hi;
      timestamp before = out;
      out = std::max(out, expect);
      if (any_open)
        out_idle = !any_active;
      BOOST_TEST_REQUIRE(v.watermark() == out, "round " << round << " step " << step);
      BOOST_TEST_REQUIRE(o.watermark.has_value() == (out > before), "round " << round);
      if (any_open)
        BOOST_TEST_REQUIRE(v.idle() == out_idle, "round " << round << " step " << step);
    }
  }
}
