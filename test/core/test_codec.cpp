#define BOOST_TEST_MODULE codec
#include <boost/test/unit_test.hpp>

#include <limits>
#include <map>
#include <optional>
#include <random>

#include "spate/core/codec.hpp"
#include "support/seed.hpp"

using namespace spate;

namespace {

struct inner {
  std::string label;
  std::vector<std::int64_t> values;
  SPATE_FIELDS(label, values);
  bool operator==(const inner& o) const { return label == o.label && values == o.values; }
};

struct record {
  std::int64_t id = 0;
  double price = 0;
  std::string name;
  bool flag = false;
  std::map<std::string, std::int32_t> counts;
  std::vector<inner> items;
  std::pair<std::string, std::uint64_t> tag;
  SPATE_FIELDS(id, price, name, flag, counts, items, tag);
  bool operator==(const record& o) const {
    return id == o.id && price == o.price && name == o.name && flag == o.flag &&
           counts == o.counts && items == o.items && tag == o.tag;
  }
};

std::string random_string(std::mt19937_64& rng) {
  std::string s(rng() % 40, ' ');
  for (auto& c : s)
    c = static_cast<char>(rng() % 256); // any byte, including NUL
  return s;
}

record random_record(std::mt19937_64& rng) {
  record r;
  r.id = static_cast<std::int64_t>(rng());
  r.price = std::uniform_real_distribution<double>(-1e9, 1e9)(rng);
  r.name = random_string(rng);
  r.flag = rng() % 2;
  for (int i = 0, n = rng() % 5; i < n; ++i)
    r.counts[random_string(rng)] = static_cast<std::int32_t>(rng());
  for (int i = 0, n = rng() % 4; i < n; ++i) {
    inner in{random_string(rng), {}};
    for (int j = 0, m = rng() % 6; j < m; ++j)
      in.values.push_back(static_cast<std::int64_t>(rng()));
    r.items.push_back(in);
  }
  r.tag = {random_string(rng), rng()};
  return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(round_trip_property) {
  const auto seed = spate::test::test_seed("round_trip_property");
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 5000; ++i) {
    auto r = random_record(rng);
    std::string bytes;
    encode(r, bytes);
    auto back = decode<record>(bytes);
    BOOST_REQUIRE_MESSAGE(back == r, "round trip differs, seed " << seed << " case " << i);
    msgpack::sbuffer sb;
    encode(r, sb);
    BOOST_REQUIRE(std::string(sb.data(), sb.size()) == bytes);
  }
}

BOOST_AUTO_TEST_CASE(truncated_and_wrong_bytes_are_codec_errors) {
  std::mt19937_64 rng(1);
  auto r = random_record(rng);
  std::string bytes;
  encode(r, bytes);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    try {
      decode<record>(bytes.data(), cut, "test record");
      BOOST_FAIL("truncation at " << cut << " decoded");
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::codec);
      BOOST_TEST(std::string(e.what()).find("test record") != std::string::npos);
    }
  }
  std::string s;
  encode(std::string("text"), s);
  BOOST_CHECK_THROW(decode<std::int64_t>(s), error);
  std::string trailing = bytes + "x";
  BOOST_CHECK_THROW(decode<record>(trailing), error);
}

namespace {

//! msgpack-c's own bytes for `v`, the reference for encode()'s integer path.
template <class T>
std::string packed_by_msgpack(T v) {
  msgpack::sbuffer sb;
  msgpack::pack(sb, v);
  return std::string(sb.data(), sb.size());
}

template <class T>
void check_integer_encoding(T v) {
  std::string ours = "prefix";
  encode(v, ours);
  BOOST_REQUIRE_MESSAGE(ours == "prefix" + packed_by_msgpack(v),
                        "encode of " << +v << " differs from msgpack-c");
  BOOST_REQUIRE(decode<T>(std::string_view(ours).substr(6), "integer") == v);
}

} // namespace

BOOST_AUTO_TEST_CASE(integers_encode_byte_for_byte_as_msgpack_packs_them) {
  // Every format boundary, both sides, for every integer width; then random
  // values of every magnitude. State keys are these bytes: they must not
  // change with the fast path.
  std::vector<std::int64_t> edges{0, 1, -1};
  for (int bits = 1; bits < 64; ++bits) {
    // Wrapping arithmetic on uint64 (2^63 is INT64_MIN as int64): no signed overflow.
    std::uint64_t p = std::uint64_t{1} << bits;
    for (std::uint64_t d : {p - 1, p, p + 1, -p - 1, -p, -p + 1})
      edges.push_back(static_cast<std::int64_t>(d));
  }
  edges.push_back(std::numeric_limits<std::int64_t>::min());
  edges.push_back(std::numeric_limits<std::int64_t>::max());
  const auto seed = spate::test::test_seed("integers_encode_byte_for_byte_as_msgpack_packs_them");
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i)
    edges.push_back(static_cast<std::int64_t>(rng() >> (rng() % 64)) * (rng() % 2 ? 1 : -1));
  for (std::int64_t d : edges) {
    check_integer_encoding(static_cast<std::int64_t>(d));
    check_integer_encoding(static_cast<long long>(d));
    check_integer_encoding(static_cast<std::uint64_t>(d));
    check_integer_encoding(static_cast<std::int32_t>(d));
    check_integer_encoding(static_cast<std::uint32_t>(d));
    check_integer_encoding(static_cast<std::int16_t>(d));
    check_integer_encoding(static_cast<std::uint16_t>(d));
  }
}

namespace {
struct with_ids {
  checkpoint_id checkpoint{0};
  subtask_index subtask{0};
  std::string note;
  SPATE_FIELDS(checkpoint, subtask, note);
};
} // namespace

BOOST_AUTO_TEST_CASE(ids_encode_as_the_integers_they_replace) {
  // A typed id and the plain integer it replaced have the same bytes, so
  // stored and sent data stay readable either way.
  std::string typed, plain;
  encode(checkpoint_id{1234567890123}, typed);
  encode(std::int64_t{1234567890123}, plain);
  BOOST_TEST(typed == plain);
  BOOST_TEST(decode<checkpoint_id>(plain) == checkpoint_id{1234567890123});
  std::string bytes;
  encode(with_ids{checkpoint_id{7}, subtask_index{3}, "x"}, bytes);
  auto back = decode<with_ids>(bytes);
  BOOST_TEST(back.checkpoint.value() == 7);
  BOOST_TEST(back.subtask.value() == 3);
  BOOST_TEST(back.note == "x");
  std::string as_tuple;
  encode(std::tuple<std::int64_t, std::int32_t, std::string>{7, 3, "x"}, as_tuple);
  BOOST_TEST(bytes == as_tuple);
}
