#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "spate/core/config.hpp"
#include "spate/core/error.hpp"

using namespace spate;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_CASE(durations_in_flink_forms) {
  BOOST_TEST(parse_duration("300").count() == 300);
  BOOST_TEST(parse_duration("300 ms").count() == 300);
  BOOST_TEST(parse_duration("10 s").count() == 10000);
  BOOST_TEST(parse_duration("10s").count() == 10000);
  BOOST_TEST(parse_duration("1 min").count() == 60000);
  BOOST_TEST(parse_duration("2 h").count() == 7200000);
  BOOST_TEST(parse_duration(" 3 seconds ").count() == 3000);
}

BOOST_AUTO_TEST_CASE(bad_durations_name_the_input) {
  for (const char* bad : {"", "ten s", "10 parsecs", "-5 s", "1.5 s"}) {
    try {
      parse_duration(bad, "configuration 'x.y'");
      BOOST_FAIL("no error for '" << bad << "'");
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::invalid_argument);
      BOOST_TEST(std::string(e.what()).find("x.y") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(typed_getters) {
  configuration c;
  c.set_from_assignment("parallelism.default=4");
  c.set_from_assignment(" execution.buffer-timeout = 5 ms ");
  c.set("flag", "true");
  c.set("mem", "64 mb");
  BOOST_TEST(c.get_int("parallelism.default", 1) == 4);
  BOOST_TEST(c.get_int("missing", 9) == 9);
  BOOST_TEST(c.get_duration("execution.buffer-timeout", milliseconds(1)).count() == 5);
  BOOST_TEST(c.get_bool("flag", false));
  BOOST_TEST(c.get_memory_size("mem", 0) == 64 << 20);
  c.set("parallelism.default", "four");
  BOOST_CHECK_THROW(c.get_int("parallelism.default", 1), error);
  BOOST_CHECK_THROW(c.set_from_assignment("novalue"), error);
  BOOST_CHECK_THROW(c.set_from_assignment("=3"), error);
  c.set("flag", "maybe");
  BOOST_CHECK_THROW(c.get_bool("flag", false), error);
}

namespace {

//! `fn` throws errc::invalid_argument with a message naming the key and
//! value and saying `why`.
template <class F>
void expect_invalid(F fn, const std::string& key, const std::string& value,
                    const std::string& why) {
  try {
    fn();
    BOOST_ERROR("no error for " << key << "='" << value << "'");
  } catch (const error& e) {
    std::string what = e.what();
    BOOST_TEST_MESSAGE(what);
    BOOST_TEST(e.code() == errc::invalid_argument, what);
    BOOST_TEST(what.find("'" + key + "'") != std::string::npos, what);
    BOOST_TEST(what.find(value) != std::string::npos, what);
    BOOST_TEST(what.find(why) != std::string::npos, "'" << why << "' not in: " << what);
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(durations_that_overflow_or_are_negative_are_refused) {
  configuration c;
  const std::string key = "execution.checkpointing.interval";
  for (const char* v : {
           "9223372036854775807 s",  // the number fits, milliseconds do not
           "999999999999999999 s",   // 18 digits: was multiplied (signed overflow)
           "106751991168 d",         // just past int64 milliseconds
           "153722867280913 min",    // ditto
           "99999999999999999999",   // beyond int64 before any unit
           "99999999999999999999 h", // ditto, with a unit
           "36501 d",                // past max_duration
           "3153600000001",          // max_duration + 1 ms
       }) {
    c.set(key, v);
    expect_invalid([&] { c.get_duration(key, milliseconds(0)); }, key, v, "too long");
  }
  for (const char* v : {"-1 ms", "-1", " -5 s", "-9223372036854775808 ms"}) {
    c.set(key, v);
    expect_invalid([&] { c.get_duration(key, milliseconds(0)); }, key, trim(v),
                   "must not be negative");
  }
  // The bound itself, and long ways of writing small numbers, are fine.
  c.set(key, "36500 d");
  BOOST_TEST(c.get_duration(key, milliseconds(0)).count() == max_duration.count());
  BOOST_TEST(max_duration.count() == 3'153'600'000'000);
  c.set(key, "3153600000000 ms");
  BOOST_TEST(c.get_duration(key, milliseconds(0)).count() == max_duration.count());
  c.set(key, "000000000000000000000010 s");
  BOOST_TEST(c.get_duration(key, milliseconds(0)).count() == 10'000);
  // Nanoseconds (what timers count) of the longest duration still fit.
  BOOST_TEST(std::chrono::duration_cast<std::chrono::nanoseconds>(max_duration).count() <
             std::numeric_limits<std::int64_t>::max() / 2);
}

BOOST_AUTO_TEST_CASE(memory_sizes_that_overflow_or_are_negative_are_refused) {
  configuration c;
  const std::string key = "taskmanager.memory.managed.size";
  for (const char* v : {"8589934592 gb", "9007199254740992 mb", "9223372036854775807 kb",
                        "9223372036854775808", "99999999999999999999 b"}) {
    c.set(key, v);
    expect_invalid([&] { c.get_memory_size(key, 0); }, key, v, "too large");
  }
  c.set(key, "-1 mb");
  expect_invalid([&] { c.get_memory_size(key, 0); }, key, "-1 mb", "must not be negative");
  c.set(key, "8589934591 gb");
  BOOST_TEST(c.get_memory_size(key, 0) == (std::int64_t{8589934591} << 30));
  c.set(key, "9223372036854775807");
  BOOST_TEST(c.get_memory_size(key, 0) == std::numeric_limits<std::int64_t>::max());
  c.set(key, "1 kb");
  BOOST_TEST(c.get_memory_size(key, 0) == 1024);
}

BOOST_AUTO_TEST_CASE(integers_and_numbers_out_of_range_are_refused) {
  configuration c;
  const std::string key = "state.checkpoints.num-retained";
  for (const char* v : {"99999999999999999999", "-99999999999999999999", "9223372036854775808"}) {
    c.set(key, v);
    expect_invalid([&] { c.get_int(key, 1); }, key, v, "out of range");
  }
  c.set(key, "9223372036854775807");
  BOOST_TEST(c.get_int(key, 1) == std::numeric_limits<std::int64_t>::max());
  c.set(key, "-9223372036854775808");
  BOOST_TEST(c.get_int(key, 1) == std::numeric_limits<std::int64_t>::min());
  // Ranged: read before narrowing, so 2^32 + 1 is not taken as 1.
  const std::int64_t int_max = std::numeric_limits<int>::max();
  for (const char* v : {"4294967297", "0", "-1", "2147483648"}) {
    c.set(key, v);
    expect_invalid([&] { c.get_int(key, 1, 1, int_max); }, key, std::string("'") + v + "'",
                   "must be between 1 and 2147483647");
  }
  c.set(key, "2147483647");
  BOOST_TEST(c.get_int(key, 1, 1, int_max) == int_max);
  BOOST_TEST(c.get_int("missing", -7, 1, int_max) == -7); // the fallback is the caller's
  c.set(key, "x");
  expect_invalid([&] { c.get_int(key, 1, 1, int_max); }, key, "'x'", "is not an integer");

  const std::string dkey = "restart-strategy.exponential-delay.backoff-multiplier";
  for (const char* v : {"inf", "-inf", "nan", "1e999"}) {
    c.set(dkey, v);
    expect_invalid([&] { c.get_double(dkey, 2.0); }, dkey, v, "not a finite number");
  }
  c.set(dkey, "1.5");
  BOOST_TEST(c.get_double(dkey, 2.0) == 1.5);
}
