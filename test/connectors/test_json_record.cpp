#define BOOST_TEST_MODULE json_record
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "spate/connectors/json_record.hpp"

using namespace spate;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(reads_the_declared_fields_and_skips_the_rest) {
  json_record_reader r({"user", "n", "flag", "nested", "list", "none"});
  BOOST_TEST_REQUIRE(r.read(R"({"extra":{"deep":[1,{"x":"}"}]},"user":"ana","n":-12.5e1,)"
                            R"("flag":true,"nested":{"a":1} ,"list":[1, 2],"none":null,"z":"\""})"),
                     r.why());
  auto rec = r.record();
  BOOST_TEST(rec.size() == 6u);
  BOOST_TEST(rec[0].kind == json_field::string);
  BOOST_TEST(rec[0].text == "ana");
  BOOST_TEST(rec[1].kind == json_field::number);
  BOOST_TEST(rec[1].number_value == -125.0);
  BOOST_TEST(rec[1].text == "-12.5e1");
  BOOST_TEST(rec[2].kind == json_field::boolean);
  BOOST_TEST(rec[2].bool_value);
  BOOST_TEST(rec[3].kind == json_field::object);
  BOOST_TEST(rec[3].text == R"({"a":1})");
  BOOST_TEST(rec[4].kind == json_field::array);
  BOOST_TEST(rec[4].text == "[1, 2]");
  BOOST_TEST(rec[5].kind == json_field::null);
  BOOST_TEST(rec[5].missing());
  BOOST_TEST(std::string(rec[5].type_name()) == "null");
}

BOOST_AUTO_TEST_CASE(absent_fields_are_absent_and_reset_between_records) {
  json_record_reader r({"a", "b"});
  BOOST_TEST_REQUIRE(r.read(R"({"a":"x","b":"y"})"));
  BOOST_TEST_REQUIRE(r.read(R"({"a":"z"})"));
  BOOST_TEST(r.record()[0].text == "z");
  BOOST_TEST(r.record()[1].kind == json_field::absent);
  BOOST_TEST(r.record()[1].missing());
  BOOST_TEST_REQUIRE(r.read("{}"));
  BOOST_TEST(r.record()[0].missing());
}

BOOST_AUTO_TEST_CASE(escapes_and_unicode_are_unescaped) {
  json_record_reader r({"s", "key"});
  // \u00e9 is é, \ud83d\ude00 a surrogate pair (U+1F600), raw UTF-8 passes as it is.
  BOOST_TEST_REQUIRE(
      r.read(R"({"s":"a\"b\\c\/d\n\t\u00e9 \ud83d\ude00 ñ","k\u0065y":"escaped key"})"), r.why());
  BOOST_TEST(r.record()[0].text == "a\"b\\c/d\n\té \xF0\x9F\x98\x80 ñ");
  BOOST_TEST(r.record()[1].text == "escaped key");
}

BOOST_AUTO_TEST_CASE(a_key_given_twice_keeps_the_last_value) {
  json_record_reader r({"a"});
  BOOST_TEST_REQUIRE(r.read(R"({"a":"first","a":"second"})"));
  BOOST_TEST(r.record()[0].text == "second");
}

BOOST_AUTO_TEST_CASE(numbers_as_strings_stay_strings) {
  json_record_reader r({"n"});
  BOOST_TEST_REQUIRE(r.read(R"({"n":"12"})"));
  BOOST_TEST(r.record()[0].kind == json_field::string);
  BOOST_TEST(r.record()[0].text == "12");
  BOOST_TEST_REQUIRE(r.read(R"({"n":12})"));
  BOOST_TEST(r.record()[0].kind == json_field::number);
  BOOST_TEST(r.record()[0].number_value == 12.0);
}

BOOST_AUTO_TEST_CASE(records_that_are_not_objects_say_what_they_are) {
  json_record_reader r({"a"});
  BOOST_TEST(!r.read("[1,2,3]"));
  BOOST_TEST(r.why() == "not a JSON object but array");
  BOOST_TEST(!r.read("42"));
  BOOST_TEST(r.why() == "not a JSON object but number");
  BOOST_TEST(!r.read(R"("text")"));
  BOOST_TEST(r.why() == "not a JSON object but string");
  BOOST_TEST(!r.read("null"));
  BOOST_TEST(r.why() == "not a JSON object but null");
  BOOST_TEST(!r.read("plain text"));
  BOOST_TEST(contains(r.why(), "not JSON"), r.why());
}

BOOST_AUTO_TEST_CASE(malformed_records_are_not_json) {
  json_record_reader r({"a", "b"});
  const std::vector<std::string> bad{
      R"({"a":"x","b":"y")",   // truncated: no closing brace
      R"({"a":"unterminated)", // truncated inside a string
      R"({"a":)",              // truncated after the colon
      R"({"a":"x"} trailing)", // text after the object
      R"({"a":"x"}{"b":1})",   // two objects on one line
      R"({"a":tru})",          // a bad literal in a declared field
      R"({"a":1.2.3})",        // a bad number in a declared field
      R"({"a" "x"})",          // no colon
      "{\"a\":\"\xC3\x28\"}",  // invalid UTF-8
      R"({"a":"x",})",         // trailing comma
      "",                      // empty
  };
  for (const auto& line : bad) {
    BOOST_TEST_CONTEXT("line " << line) {
      BOOST_TEST(!r.read(line));
      BOOST_TEST(contains(r.why(), "not JSON"), r.why());
    }
  }
  // A declared field says where the problem is.
  BOOST_TEST(!r.read(R"({"a":tru})"));
  BOOST_TEST(contains(r.why(), "in field 'a'"), r.why());
  // The reader is still usable after a bad record.
  BOOST_TEST_REQUIRE(r.read(R"({"b":"ok"})"), r.why());
  BOOST_TEST(r.record()[1].text == "ok");
}

BOOST_AUTO_TEST_CASE(whitespace_around_the_object_is_fine) {
  json_record_reader r({"a"});
  BOOST_TEST_REQUIRE(r.read(" \t{ \"a\" : \"x\" } \r"), r.why());
  BOOST_TEST(r.record()[0].text == "x");
}

BOOST_AUTO_TEST_CASE(copies_have_a_parser_of_their_own) {
  json_record_reader a({"x"});
  BOOST_TEST_REQUIRE(a.read(R"({"x":"from a"})"));
  json_record_reader b = a;
  BOOST_TEST_REQUIRE(b.read(R"({"x":"from b"})"));
  BOOST_TEST(a.record()[0].text == "from a");
  BOOST_TEST(b.record()[0].text == "from b");
}

BOOST_AUTO_TEST_CASE(long_records_grow_the_buffers) {
  json_record_reader r({"s"});
  std::string big(100000, 'x');
  BOOST_TEST_REQUIRE(r.read("{\"s\":\"" + big + "\"}"));
  BOOST_TEST(r.record()[0].text == big);
  BOOST_TEST_REQUIRE(r.read(R"({"s":"small"})"));
  BOOST_TEST(r.record()[0].text == "small");
}
