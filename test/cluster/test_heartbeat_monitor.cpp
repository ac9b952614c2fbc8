// The heartbeat monitor on a manual clock: when a peer expires, what resets
// and removes it, and that a timeout must be positive.
#define BOOST_TEST_MODULE heartbeat_monitor
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "heartbeat_monitor.hpp"
#include "spate/core/clock.hpp"
#include "spate/core/error.hpp"

using namespace spate;
using cluster::heartbeat_monitor;
using std::chrono::milliseconds;
using ids = std::vector<std::string>;

BOOST_AUTO_TEST_CASE(a_peer_expires_when_the_timeout_passes_and_not_a_millisecond_before) {
  manual_clock clk;
  clk.advance(milliseconds(12345)); // not at zero: times are relative to the last beat
  heartbeat_monitor m(milliseconds(5000), clk);
  m.heard_from("tm-1");
  BOOST_TEST(m.knows("tm-1"));
  BOOST_TEST(m.expired() == ids{}, boost::test_tools::per_element());
  clk.advance(milliseconds(4999));
  BOOST_TEST(!m.has_expired("tm-1"));
  BOOST_TEST(m.expired().empty());
  clk.advance(milliseconds(1)); // silent for exactly the timeout: not yet, as before
  BOOST_TEST(m.silent_for("tm-1").value().count() == 5000);
  BOOST_TEST(!m.has_expired("tm-1"));
  BOOST_TEST(m.expired().empty());
  clk.advance(milliseconds(1));
  BOOST_TEST(m.has_expired("tm-1"));
  BOOST_TEST(m.expired() == ids{"tm-1"}, boost::test_tools::per_element());
  BOOST_TEST(m.silent_for("tm-1").value().count() == 5001);
  // Expiring does not forget: it stays expired until heard from or forgotten.
  clk.advance(milliseconds(60000));
  BOOST_TEST(m.expired() == ids{"tm-1"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(hearing_from_a_peer_starts_its_timeout_again) {
  manual_clock clk;
  heartbeat_monitor m(milliseconds(100), clk);
  m.heard_from("a");
  clk.advance(milliseconds(90));
  m.heard_from("a");
  clk.advance(milliseconds(90)); // 180 ms since the first beat, 90 since the last
  BOOST_TEST(!m.has_expired("a"));
  BOOST_TEST(m.silent_for("a").value().count() == 90);
  clk.advance(milliseconds(11));
  BOOST_TEST(m.expired() == ids{"a"}, boost::test_tools::per_element());
  // Heard from again after expiring: alive again.
  m.heard_from("a");
  BOOST_TEST(!m.has_expired("a"));
  BOOST_TEST(m.expired().empty());
  BOOST_TEST(m.silent_for("a").value().count() == 0);
}

BOOST_AUTO_TEST_CASE(a_forgotten_peer_is_neither_watched_nor_expired) {
  manual_clock clk;
  heartbeat_monitor m(milliseconds(100), clk);
  m.heard_from("a");
  m.heard_from("b");
  clk.advance(milliseconds(200));
  BOOST_TEST(m.expired() == (ids{"a", "b"}), boost::test_tools::per_element());
  m.forget("a");
  BOOST_TEST(!m.knows("a"));
  BOOST_TEST(m.knows("b"));
  BOOST_TEST(!m.has_expired("a"));
  BOOST_TEST(!m.silent_for("a").has_value());
  BOOST_TEST(m.expired() == ids{"b"}, boost::test_tools::per_element());
  m.forget("a"); // not watched: nothing happens
  m.forget("never-seen");
  BOOST_TEST(m.expired() == ids{"b"}, boost::test_tools::per_element());
  // Heard from after being forgotten: watched from now on.
  m.heard_from("a");
  BOOST_TEST(m.knows("a"));
  BOOST_TEST(!m.has_expired("a"));
}

BOOST_AUTO_TEST_CASE(several_peers_expire_one_after_another_listed_sorted) {
  manual_clock clk;
  heartbeat_monitor m(milliseconds(1000), clk);
  // Heard from in an order unlike their ids' and at different times.
  m.heard_from("tm-c"); // t = 0
  clk.advance(milliseconds(10));
  m.heard_from("tm-a"); // t = 10
  clk.advance(milliseconds(10));
  m.heard_from("tm-b");           // t = 20
  m.heard_from("tm-d");           // t = 20
  clk.advance(milliseconds(980)); // t = 1000
  BOOST_TEST(m.expired().empty());
  clk.advance(milliseconds(1)); // t = 1001
  BOOST_TEST(m.expired() == ids{"tm-c"}, boost::test_tools::per_element());
  clk.advance(milliseconds(9)); // t = 1010
  BOOST_TEST(m.expired() == ids{"tm-c"}, boost::test_tools::per_element());
  clk.advance(milliseconds(1)); // t = 1011
  BOOST_TEST(m.expired() == (ids{"tm-a", "tm-c"}), boost::test_tools::per_element());
  clk.advance(milliseconds(10)); // t = 1021: all of them, sorted by id
  BOOST_TEST(m.expired() == (ids{"tm-a", "tm-b", "tm-c", "tm-d"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unknown_peers_are_not_expired) {
  manual_clock clk;
  heartbeat_monitor m(milliseconds(10), clk);
  clk.advance(milliseconds(1000));
  BOOST_TEST(!m.knows("x"));
  BOOST_TEST(!m.has_expired("x"));
  BOOST_TEST(!m.silent_for("x").has_value());
  BOOST_TEST(m.expired().empty());
}

BOOST_AUTO_TEST_CASE(the_timeout_must_be_positive) {
  manual_clock clk;
  for (auto t : {milliseconds(0), milliseconds(-1), milliseconds(-5000)}) {
    BOOST_TEST_CONTEXT("timeout " << t.count() << " ms") {
      bool thrown = false;
      try {
        heartbeat_monitor m(t, clk);
      } catch (const error& e) {
        thrown = true;
        BOOST_TEST(e.code() == errc::invalid_argument);
        BOOST_TEST(std::string(e.what()).find(std::to_string(t.count()) + " ms") !=
                   std::string::npos);
      }
      BOOST_TEST(thrown);
    }
  }
  heartbeat_monitor one(milliseconds(1), clk);
  BOOST_TEST(one.timeout().count() == 1);
}

BOOST_AUTO_TEST_CASE(the_system_clock_is_the_default) {
  heartbeat_monitor m(milliseconds(60000));
  m.heard_from("a");
  BOOST_TEST(!m.has_expired("a"));
  BOOST_TEST(m.silent_for("a").value().count() >= 0);
}
