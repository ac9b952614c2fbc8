#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

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
