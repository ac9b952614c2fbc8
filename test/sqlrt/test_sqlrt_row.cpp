#define BOOST_TEST_MODULE sqlrt_row
#include <boost/test/unit_test.hpp>

// SQL rows (spate/sqlrt/row.hpp): slots, nulls, strings, nested rows, the codec round trip
// (randomized, seed logged) and the print and json text.

#include <random>
#include <string>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/sqlrt/row.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

logical_type random_type(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 0 ? 8 : 9)) {
    case 0:
      return make_type(logical_kind::boolean);
    case 1:
      return make_type(logical_kind::int_);
    case 2:
      return make_type(logical_kind::bigint);
    case 3:
      return make_type(logical_kind::double_);
    case 4:
      return make_varchar();
    case 5:
      return make_timestamp(3);
    case 6:
      return make_decimal(10, 2);
    case 7:
      return make_type(logical_kind::varbinary);
    default: {
      logical_type t = make_type(logical_kind::row);
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i)
        t.fields.push_back({"f" + std::to_string(i), random_type(rng, depth + 1)});
      return t;
    }
  }
}

row random_row(std::mt19937_64& rng, const row_layout& layout) {
  row r(layout.slots(), static_cast<row_kind>(rng() % 4));
  for (std::size_t s = 0; s < layout.slots(); ++s) {
    if (rng() % 5 == 0)
      continue; // null
    switch (layout.kinds[s]) {
      case slot_kind::floating:
        r.set_double(s, std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
        break;
      case slot_kind::string: {
        std::string v(rng() % 40, 'x');
        for (char& c : v)
          c = static_cast<char>(rng() % 256);
        r.set_string(s, v);
        if (rng() % 4 == 0)
          r.set_string(s, "replaced"); // leaves garbage behind
        break;
      }
      case slot_kind::nested:
        r.set_long(s, 0);
        break;
      default:
        r.set_long(s, static_cast<std::int64_t>(rng()));
    }
  }
  return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(slots_nulls_and_strings) {
  row r(4);
  for (std::size_t i = 0; i < 4; ++i)
    BOOST_TEST(r.is_null(i));
  r.set_long(0, -42);
  r.set_double(1, 2.5);
  r.set_string(2, "hello");
  r.set_bool(3, true);
  BOOST_TEST(r.get_long(0) == -42);
  BOOST_TEST(r.get_double(1) == 2.5);
  BOOST_TEST(r.get_string(2) == "hello");
  BOOST_TEST(r.get_bool(3));
  r.set_null(0);
  BOOST_TEST(r.is_null(0));
  BOOST_TEST(!r.is_null(1));
  // A row of more than 64 slots has a two-word bitmap.
  row wide(100);
  wide.set_long(70, 7);
  BOOST_TEST(!wide.is_null(70));
  BOOST_TEST(wide.is_null(69));
  BOOST_TEST(wide.get_long(70) == 7);
}

BOOST_AUTO_TEST_CASE(codec_round_trip_randomized) {
  const std::uint64_t seed = test::test_seed("sqlrt row codec");
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<logical_type> types;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i)
      types.push_back(random_type(rng, 0));
    row_layout layout(types);
    row r = random_row(rng, layout);
    std::string bytes;
    encode(r, bytes);
    row back = decode<row>(bytes, "row");
    BOOST_TEST_REQUIRE((back == r), "seed " << seed << " iteration " << iter);
    BOOST_TEST(equal_values(back, r, layout));
    BOOST_TEST(to_print_string(back, layout) == to_print_string(r, layout));
    // Compacting drops garbage, keeps values.
    row c = r;
    c.compact(layout.is_string);
    BOOST_TEST(c.string_bytes() <= r.string_bytes());
    BOOST_TEST(equal_values(c, r, layout));
    // Through msgpack::object (with a zone) as well.
    msgpack::zone z;
    msgpack::object o(r, z);
    BOOST_TEST((o.as<row>() == r));
  }
}

BOOST_AUTO_TEST_CASE(corrupt_bytes_are_refused) {
  row r(3);
  r.set_string(0, "abc");
  std::string bytes;
  encode(r, bytes);
  // A buffer shorter than its slots.
  msgpack::sbuffer sb;
  msgpack::packer<msgpack::sbuffer> pk(sb);
  pk.pack_array(3);
  pk.pack(0);
  pk.pack(10);
  pk.pack_bin(4);
  pk.pack_bin_body("abcd", 4);
  BOOST_CHECK_THROW(decode<row>(sb.data(), sb.size(), "row"), spate::error);
  BOOST_CHECK_THROW(decode<row>(bytes.substr(0, bytes.size() - 2), "row"), spate::error);
}

BOOST_AUTO_TEST_CASE(print_and_json_text) {
  logical_type nested = make_type(logical_kind::row);
  nested.fields = {{"x", make_type(logical_kind::bigint)}, {"y", make_varchar()}};
  row_layout layout({make_type(logical_kind::bigint), make_varchar(), make_decimal(23, 3),
                     make_timestamp(3), make_type(logical_kind::double_),
                     make_type(logical_kind::boolean), nested, make_type(logical_kind::int_)});
  row r(layout.slots());
  r.set_long(0, 1001);
  r.set_string(1, "a\"b");
  r.set_long(2, 111684);
  r.set_long(3, 1436918400123);
  r.set_double(4, 1e7);
  r.set_bool(5, false);
  r.set_long(6, 0);
  r.set_long(7, 5);
  r.set_string(8, "in");
  BOOST_TEST(to_print_string(r, layout) ==
             "+I[1001, a\"b, 111.684, 2015-07-15T00:00:00.123, 1.0E7, false, +I[5, in], NULL]");
  std::string json;
  append_json(json, r, layout, {"a", "s", "p", "t", "d", "b", "n", "z"});
  BOOST_TEST(json ==
             "{\"a\":1001,\"s\":\"a\\\"b\",\"p\":111.684,\"t\":\"2015-07-15 "
             "00:00:00.123\",\"d\":1.0E7,\"b\":false,\"n\":{\"x\":5,\"y\":\"in\"},\"z\":null}");
  // Whole minutes print as LocalDateTime does; json drops trailing zeros of the fraction.
  row_layout ts_layout({make_timestamp(3), make_timestamp_ltz(3)});
  row ts(2);
  ts.set_long(0, 1436918400000);
  ts.set_long(1, 1436918401500);
  BOOST_TEST(to_print_string(ts, ts_layout) == "+I[2015-07-15T00:00, 2015-07-15T00:00:01.500Z]");
  std::string ts_json;
  append_json(ts_json, ts, ts_layout, {"a", "b"});
  BOOST_TEST(ts_json == "{\"a\":\"2015-07-15 00:00:00\",\"b\":\"2015-07-15 00:00:01.5Z\"}");
  std::string d;
  append_double(d, 0.5);
  d += ' ';
  append_double(d, 123.25);
  d += ' ';
  append_double(d, 1.0E-4);
  d += ' ';
  append_decimal(d, -5, 2);
  BOOST_TEST(d == "0.5 123.25 1.0E-4 -0.05");
}
