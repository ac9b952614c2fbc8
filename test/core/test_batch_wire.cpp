#define BOOST_TEST_MODULE batch_wire
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <random>

#include "spate/core/batch.hpp"
#include "spate/core/codec.hpp"
#include "support/seed.hpp"

using namespace spate;

namespace {

struct trade {
  std::string symbol;
  std::int64_t qty = 0;
  double price = 0;
  SPATE_FIELDS(symbol, qty, price);
  bool operator==(const trade& o) const {
    return symbol == o.symbol && qty == o.qty && price == o.price;
  }
};

struct opaque {
  int x = 0;
};

static_assert(wire_serializable_v<int>);
static_assert(wire_serializable_v<std::string>);
static_assert(wire_serializable_v<std::pair<std::string, std::int64_t>>);
static_assert(wire_serializable_v<std::tuple<std::string, std::int64_t, double>>);
static_assert(wire_serializable_v<trade>);
static_assert(wire_serializable_v<std::vector<trade>>);
static_assert(wire_serializable_v<std::map<std::string, std::vector<trade>>>);
static_assert(!wire_serializable_v<opaque>);
static_assert(!wire_serializable_v<std::pair<std::string, opaque>>);
static_assert(!wire_serializable_v<std::vector<opaque>>);

template <class T>
typed_batch<T> round_trip(const typed_batch<T>& in) {
  std::string bytes;
  in.encode_to(bytes);
  typed_batch<T> out;
  out.decode_from(bytes.data(), bytes.size());
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(records_and_timestamps_survive_the_wire) {
  typed_batch<trade> b;
  b.push({"ACME", 10, 12.5}, 1000);
  b.push({"", -3, 0.0}, no_timestamp);
  b.push({std::string(5000, 'x'), 1LL << 40, -1e300}, max_watermark);
  auto out = round_trip(b);
  BOOST_TEST(out.values == b.values);
  BOOST_TEST(out.timestamps == b.timestamps);

  typed_batch<std::pair<std::string, std::int64_t>> words;
  for (int i = 0; i < 1024; ++i)
    words.push({"w" + std::to_string(i), i}, i * 7);
  auto w = round_trip(words);
  BOOST_TEST(w.values == words.values);
  BOOST_TEST(w.timestamps == words.timestamps);

  typed_batch<std::string> empty;
  BOOST_TEST(round_trip(empty).size() == 0u);
}

BOOST_AUTO_TEST_CASE(decoding_appends_to_what_is_there) {
  typed_batch<std::int64_t> a, b;
  a.push(1, 10);
  b.push(2, 20);
  std::string bytes;
  b.encode_to(bytes);
  a.decode_from(bytes.data(), bytes.size());
  BOOST_TEST(a.values == (std::vector<std::int64_t>{1, 2}));
  BOOST_TEST(a.timestamps == (std::vector<timestamp>{10, 20}));
}

BOOST_AUTO_TEST_CASE(a_type_without_fields_fails_naming_it) {
  typed_batch<opaque> b;
  b.push({1}, 0);
  std::string bytes;
  try {
    b.encode_to(bytes);
    BOOST_FAIL("encoding a type without SPATE_FIELDS succeeded");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::codec);
    BOOST_TEST(std::string(e.what()).find("opaque") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("SPATE_FIELDS") != std::string::npos);
  }
  BOOST_CHECK_THROW(b.decode_from("\x92\x90\x90", 3), error);
}

BOOST_AUTO_TEST_CASE(bad_bytes_are_rejected_and_leave_the_batch_as_it_was) {
  typed_batch<trade> b;
  for (int i = 0; i < 50; ++i)
    b.push({"S" + std::to_string(i), i, i * 0.5}, i);
  std::string bytes;
  b.encode_to(bytes);

  const auto seed = spate::test::test_seed("bad_bytes_are_rejected_and_leave_the_batch_as_it_was");
  std::mt19937_64 rng(seed);
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bad = bytes;
    if (round % 2 == 0) {
      bad.resize(rng() % bytes.size()); // truncated
    } else {
      for (int k = 0; k < 3; ++k)
        bad[rng() % bad.size()] = static_cast<char>(rng());
    }
    typed_batch<trade> out;
    out.push({"kept", 1, 1.0}, 5);
    try {
      out.decode_from(bad.data(), bad.size());
      // A flipped byte inside a string or number can still decode: then the
      // batch holds exactly what was decoded.
      BOOST_TEST(out.values.size() == out.timestamps.size());
      BOOST_TEST(out.values.size() == 51u);
    } catch (const error& e) {
      ++rejected;
      BOOST_TEST(e.code() == errc::codec);
      BOOST_TEST(out.values.size() == 1u);
      BOOST_TEST(out.timestamps.size() == 1u);
      BOOST_TEST(out.values[0].symbol == "kept");
    }
  }
  BOOST_TEST(rejected >= 1000); // every truncation is rejected
  // Another record type's batch does not decode as this one.
  typed_batch<std::string> strings;
  strings.push("abc", 1);
  std::string other;
  strings.encode_to(other);
  typed_batch<trade> out;
  BOOST_CHECK_THROW(out.decode_from(other.data(), other.size()), error);
  BOOST_TEST(out.size() == 0u);
}

BOOST_AUTO_TEST_CASE(forged_lengths_are_refused_without_allocating_them) {
  // An array32 header claiming 4 billion elements, a map32 claiming as many
  // pairs, a str32 claiming 4 GiB: each in a few bytes.
  for (std::string bytes :
       {std::string("\x92\xdd\xff\xff\xff\xff", 6), std::string("\x92\xdf\xff\xff\xff\xff", 6),
        std::string("\x92\x91\xdb\xff\xff\xff\xff", 7)}) {
    typed_batch<std::string> b;
    BOOST_CHECK_THROW(b.decode_from(bytes.data(), bytes.size()), error);
    BOOST_TEST(b.size() == 0u);
    BOOST_CHECK_THROW(decode<std::vector<std::int64_t>>(bytes.substr(1)), error);
  }
}

BOOST_AUTO_TEST_CASE(a_batch_without_timestamps_sends_none_and_decodes_either_form) {
  typed_batch<trade> b;
  for (int i = 0; i < 100; ++i)
    b.push({"S" + std::to_string(i), i, i * 0.25}, no_timestamp);
  std::string bytes;
  b.encode_to(bytes);
  BOOST_TEST(static_cast<unsigned char>(bytes.back()) == 0xc0u); // nil, not 100 timestamps
  auto out = round_trip(b);
  BOOST_TEST(out.values == b.values);
  BOOST_TEST(out.timestamps == b.timestamps);
  // The same records with their timestamps spelled out decode alike.
  std::string spelled;
  {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_array(2);
    pk.pack(b.values);
    pk.pack(b.timestamps);
    spelled.assign(buf.data(), buf.size());
  }
  typed_batch<trade> again;
  again.decode_from(spelled.data(), spelled.size());
  BOOST_TEST(again.values == b.values);
  BOOST_TEST(again.timestamps == b.timestamps);
  // Integers are read straight from the bytes: one out of range is refused.
  typed_batch<std::int32_t> small;
  typed_batch<std::int64_t> big;
  big.push(std::int64_t{1} << 40, 1);
  std::string wide;
  big.encode_to(wide);
  BOOST_CHECK_THROW(small.decode_from(wide.data(), wide.size()), error);
  BOOST_TEST(small.size() == 0u);
}
