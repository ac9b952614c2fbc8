// Restart strategies failure after failure, with a manual clock: Flink's
// fixed-delay, exponential-delay (with its reset threshold) and failure-rate.
#define BOOST_TEST_MODULE restart_strategy
#include <boost/test/unit_test.hpp>

#include "spate/actors/restart_config.hpp"
#include "spate/core/error.hpp"

using namespace spate;
using namespace std::chrono_literals;

namespace {
restart_config from(std::initializer_list<std::pair<const char*, const char*>> keys,
                    bool checkpointing = true) {
  configuration c;
  for (auto& [k, v] : keys)
    c.set(k, v);
  return restart_config::from(c, checkpointing);
}
std::int64_t ms(std::optional<std::chrono::milliseconds> d) { return d ? d->count() : -1; }
} // namespace

BOOST_AUTO_TEST_CASE(defaults_follow_flink) {
  BOOST_TEST(from({}, true).kind == restart_config::fixed_delay);
  BOOST_TEST(from({}, false).kind == restart_config::none);
  manual_clock clock;
  restart_tracker none(from({}, false), clock);
  BOOST_TEST(!none.on_failure());
  BOOST_TEST(none.attempts() == 0);
}

BOOST_AUTO_TEST_CASE(fixed_delay_counts_attempts) {
  manual_clock clock;
  restart_tracker t(from({{"restart-strategy.type", "fixed-delay"},
                          {"restart-strategy.fixed-delay.attempts", "2"},
                          {"restart-strategy.fixed-delay.delay", "3 s"}}),
                    clock);
  BOOST_TEST(ms(t.on_failure()) == 3000);
  BOOST_TEST(ms(t.on_failure()) == 3000);
  BOOST_TEST(!t.on_failure());
  BOOST_TEST(t.attempts() == 2);
}

BOOST_AUTO_TEST_CASE(exponential_delay_grows_caps_and_resets_after_a_quiet_spell) {
  manual_clock clock;
  restart_tracker t(from({{"restart-strategy.type", "exponential-delay"},
                          {"restart-strategy.exponential-delay.initial-backoff", "100 ms"},
                          {"restart-strategy.exponential-delay.max-backoff", "1 s"},
                          {"restart-strategy.exponential-delay.backoff-multiplier", "3"},
                          {"restart-strategy.exponential-delay.reset-backoff-threshold", "10 s"}}),
                    clock);
  BOOST_TEST(ms(t.on_failure()) == 100);
  clock.advance(1s);
  BOOST_TEST(ms(t.on_failure()) == 300);
  clock.advance(1s);
  BOOST_TEST(ms(t.on_failure()) == 900);
  clock.advance(1s);
  BOOST_TEST(ms(t.on_failure()) == 1000); // capped
  clock.advance(10s);                     // exactly the threshold: not yet quiet long enough
  BOOST_TEST(ms(t.on_failure()) == 1000);
  clock.advance(10s + 1ms);
  BOOST_TEST(ms(t.on_failure()) == 100); // reset
  BOOST_TEST(t.attempts() == 6);
}

BOOST_AUTO_TEST_CASE(failure_rate_gives_up_past_the_rate_in_its_window) {
  manual_clock clock;
  restart_tracker t(from({{"restart-strategy.type", "failure-rate"},
                          {"restart-strategy.failure-rate.max-failures-per-interval", "2"},
                          {"restart-strategy.failure-rate.failure-rate-interval", "60 s"},
                          {"restart-strategy.failure-rate.delay", "500 ms"}}),
                    clock);
  BOOST_TEST(ms(t.on_failure()) == 500);
  clock.advance(30s);
  BOOST_TEST(ms(t.on_failure()) == 500);
  clock.advance(29s);
  BOOST_TEST(!t.on_failure()); // three within 60 s
  // Once the first two are older than the interval, restarts are allowed again.
  clock.advance(61s);
  BOOST_TEST(ms(t.on_failure()) == 500);
}

BOOST_AUTO_TEST_CASE(bad_keys_are_refused_by_name) {
  try {
    from({{"restart-strategy.type", "fixed-delay"},
          {"restart-strategy.fixed-delay.attempts", "-1"}});
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("restart-strategy.fixed-delay.attempts") !=
               std::string::npos);
  }
}
