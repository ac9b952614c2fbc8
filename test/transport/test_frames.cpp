#define BOOST_TEST_MODULE frames
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <random>

#include <zmq.hpp>

#include "spate/core/crc32c.hpp"
#include "spate/core/error.hpp"
#include "spate/transport/frame.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::transport;

namespace {

struct heartbeat_msg {
  std::string sender;
  std::int64_t sequence = 0;
  std::vector<std::int32_t> slots;
  SPATE_FIELDS(sender, sequence, slots);
};

void expect_rejected(const std::string& bytes, const std::string& why) {
  try {
    decode_frame(bytes, "tcp://peer:1");
    BOOST_FAIL("accepted a frame that should fail with '" << why << "'");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::corrupt);
    BOOST_TEST(std::string(e.what()).find("tcp://peer:1") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find(why) != std::string::npos, e.what());
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(round_trip_of_every_type) {
  heartbeat_msg hb{"taskmanager-1", 42, {0, 1, 2}};
  for (int t = 1; t <= 12; ++t) {
    auto type = static_cast<frame_type>(t);
    auto bytes = encode_message(type, hb);
    auto f = decode_frame(bytes, "peer");
    BOOST_TEST(static_cast<int>(f.type) == t);
    auto back = decode_payload<heartbeat_msg>(f);
    BOOST_TEST(back.sender == hb.sender);
    BOOST_TEST(back.sequence == 42);
    BOOST_TEST(back.slots == hb.slots);
  }
  BOOST_TEST(decode_frame(encode_frame(frame_type::credit, ""), "p").payload.empty());
}

BOOST_AUTO_TEST_CASE(malformed_frames_are_rejected_with_a_reason) {
  auto good = encode_message(frame_type::heartbeat, heartbeat_msg{"tm", 1, {}});
  expect_rejected("", "truncated");
  expect_rejected(good.substr(0, 5), "truncated");
  expect_rejected(good.substr(0, good.size() - 1), "length");
  expect_rejected(good + "x", "length");
  auto magic = good;
  magic[0] = 'X';
  expect_rejected(magic, "bad magic");
  auto version = good;
  version[2] = 9;
  expect_rejected(version, "protocol version 9");
  auto type = good;
  type[3] = 99;
  expect_rejected(type, "unknown frame type 99");
  auto flipped = good;
  flipped[10] ^= 0x01;
  expect_rejected(flipped, "checksum");
  // A well-formed frame with a payload of the wrong shape: a codec error.
  auto wrong = encode_message(frame_type::heartbeat, std::string("not a heartbeat"));
  BOOST_CHECK_THROW(decode_payload<heartbeat_msg>(decode_frame(wrong, "p")), error);
}

// Fuzz: random bytes, random truncations and bit flips of valid frames never
// crash the decoder; whatever is accepted decodes to a valid frame.
BOOST_AUTO_TEST_CASE(fuzzed_frames_never_crash_the_decoder) {
  const auto seed = spate::test::test_seed("fuzzed_frames_never_crash_the_decoder");
  std::mt19937_64 rng(seed);
  auto good = encode_message(frame_type::data, heartbeat_msg{"tm-7", 9, {1, 2, 3, 4}});
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string bytes;
    switch (rng() % 3) {
      case 0:
        bytes.resize(rng() % 64);
        for (auto& c : bytes)
          c = static_cast<char>(rng());
        if (rng() % 2 && bytes.size() >= 2) { // sometimes with the right magic
          bytes[0] = 'S';
          bytes[1] = 'P';
        }
        break;
      case 1:
        bytes = good.substr(0, rng() % (good.size() + 1));
        break;
      default:
        bytes = good;
        bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
    }
    try {
      auto f = decode_frame(bytes, "fuzz");
      ++accepted;
      BOOST_REQUIRE(is_known(f.type));
      try {
        decode_payload<heartbeat_msg>(f);
      } catch (const error& e) {
        BOOST_REQUIRE(e.code() == errc::codec);
      }
    } catch (const error& e) {
      BOOST_REQUIRE(e.code() == errc::corrupt);
      ++rejected;
    }
  }
  BOOST_TEST_MESSAGE(accepted << " accepted, " << rejected << " rejected");
  BOOST_TEST(rejected > 190000); // a flipped bit or a cut never passes the checksum
  BOOST_TEST(accepted == 200000 - rejected);
}

// Over real ZeroMQ sockets on loopback: valid frames arrive intact, garbage
// sent by a foreign peer is rejected and the receiver keeps going.
BOOST_AUTO_TEST_CASE(frames_over_zeromq_and_foreign_peers) {
  zmq::context_t ctx;
  zmq::socket_t receiver(ctx, zmq::socket_type::pull);
  receiver.set(zmq::sockopt::linger, 0);
  receiver.bind("tcp://127.0.0.1:*");
  std::string endpoint = receiver.get(zmq::sockopt::last_endpoint);
  zmq::socket_t sender(ctx, zmq::socket_type::push);
  sender.set(zmq::sockopt::linger, 1000);
  sender.connect(endpoint);
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    if (i % 10 == 3)
      sent.push_back("GET / HTTP/1.1\r\n\r\n"); // a foreign peer
    else
      sent.push_back(encode_message(frame_type::heartbeat, heartbeat_msg{"tm", i, {}}));
  }
  for (auto& s : sent)
    sender.send(zmq::buffer(s), zmq::send_flags::none);
  int good = 0, bad = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    zmq::message_t msg;
    receiver.set(zmq::sockopt::rcvtimeo, 5000);
    auto got = receiver.recv(msg, zmq::recv_flags::none);
    BOOST_REQUIRE(got.has_value());
    try {
      auto f = decode_frame(std::string_view(static_cast<const char*>(msg.data()), msg.size()),
                            endpoint);
      auto hb = decode_payload<heartbeat_msg>(f);
      BOOST_TEST(hb.sequence == static_cast<std::int64_t>(i));
      ++good;
    } catch (const error& e) {
      BOOST_TEST(std::string(e.what()).find("bad magic") != std::string::npos);
      ++bad;
    }
  }
  BOOST_TEST(good == 90);
  BOOST_TEST(bad == 10);
}

BOOST_AUTO_TEST_CASE(crc32c_hardware_and_table_paths_agree) {
  BOOST_TEST(spate::crc32c("123456789", 9) == 0xe3069283u);
  BOOST_TEST(spate::detail::crc32c_portable("123456789", 9) == 0xe3069283u);
  const auto seed = spate::test::test_seed("crc32c_hardware_and_table_paths_agree");
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 500; ++round) {
    std::string s(rng() % 3000, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng());
    std::size_t off = s.empty() ? 0 : rng() % (s.size() + 1); // unaligned starts too
    auto whole = spate::crc32c(s.data() + off, s.size() - off);
    BOOST_TEST(whole == spate::detail::crc32c_portable(s.data() + off, s.size() - off));
    // Chained: the CRC of a prefix continues into the rest.
    std::size_t cut = off + (s.size() - off) / 3;
    auto chained =
        spate::crc32c(s.data() + cut, s.size() - cut, spate::crc32c(s.data() + off, cut - off));
    BOOST_TEST(chained == whole);
  }
}
