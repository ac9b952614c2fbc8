#define BOOST_TEST_MODULE frames
#include <boost/test/unit_test.hpp>

#include <fstream>
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

namespace {

//! msgpack head of an array (0xdd) or map (0xdf) claiming `n` elements.
std::string container32(unsigned char tag, std::uint32_t n) {
  std::string s(1, static_cast<char>(tag));
  for (int i = 3; i >= 0; --i)
    s.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return s;
}

//! The VmHWM of this process in KiB (its peak resident memory).
long peak_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

void expect_codec_error(const frame& f, const std::string& why) {
  try {
    (void)decode_payload<heartbeat_msg>(f);
    BOOST_FAIL("decoded a payload that should fail with '" << why << "'");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::codec);
    BOOST_TEST(std::string(e.what()).find("deploy frame") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find(why) != std::string::npos, e.what());
  }
}

void expect_codec_error(std::string payload, const std::string& why) {
  expect_codec_error(frame{frame_type::deploy, std::move(payload)}, why);
}

} // namespace

// msgpack bombs: a payload whose few bytes claim or build far more than they
// hold is refused before msgpack-c allocates for it, naming the limit.
BOOST_AUTO_TEST_CASE(msgpack_bombs_are_refused_within_bounded_memory) {
  // 64 MiB of nils in one array: 1.5 GiB of msgpack objects without limits.
  const std::size_t n = (64u << 20) - 5;
  std::string nils = container32(0xdd, static_cast<std::uint32_t>(n));
  nils.append(n, static_cast<char>(0xc0));
  const frame bomb{frame_type::deploy, std::move(nils)};
  const long before = peak_rss_kib();
  expect_codec_error(bomb, "the limit on objects");
  const long grown = peak_rss_kib() - before;
  std::cout << "a 64 MiB nil bomb grew the peak RSS by " << grown << " KiB\n";
  BOOST_TEST(grown < 16 * 1024, "peak RSS grew by " << grown << " KiB");
  // Maps and arrays claiming 2^32 - 1 elements, strings claiming 4 GiB.
  expect_codec_error(container32(0xdf, 0xffffffffu) + std::string(100, '\0'), "claims");
  expect_codec_error(container32(0xdd, 0xffffffffu), "claims");
  expect_codec_error(std::string("\xdb\xff\xff\xff\xff", 5) + "abc", "claims");
  // 100,000 nested arrays: the stack stays small.
  expect_codec_error(std::string(100000, static_cast<char>(0x91)) + std::string(1, '\xc0'),
                     "the limit on depth");
  // Deep but within the limit, and an unused byte, are refused by the types.
  expect_codec_error(std::string(60, static_cast<char>(0x91)) + std::string(1, '\xc0'),
                     "cannot decode");
  expect_codec_error(std::string("\xc1", 1), "0xc1");
  // Legitimate payloads still decode, and the limits are configurable.
  auto good = encode_message(frame_type::heartbeat, heartbeat_msg{"tm", 7, {1, 2, 3}});
  BOOST_TEST(decode_payload<heartbeat_msg>(decode_frame(good, "p")).slots.size() == 3u);
  auto saved = limits();
  auto tight = saved;
  tight.decode.max_objects = 4;
  set_limits(tight);
  BOOST_CHECK_THROW(decode_payload<heartbeat_msg>(decode_frame(good, "p")), error);
  set_limits(saved);
}

// Frames over mesh.max-frame-size are neither built nor accepted.
BOOST_AUTO_TEST_CASE(frame_size_is_bounded_by_configuration) {
  auto saved = limits();
  BOOST_TEST(saved.max_frame_size == 16u << 20); // the default
  configuration cfg;
  cfg.set("mesh.max-frame-size", "1 kb");
  cfg.set("mesh.max-msgpack-depth", "8");
  auto l = limits_from(cfg);
  BOOST_TEST(l.max_frame_size == 1024u);
  BOOST_TEST(l.decode.max_depth == 8u);
  set_limits(l);
  BOOST_CHECK_NO_THROW(encode_frame(frame_type::data, std::string(1024, 'x')));
  try {
    (void)encode_frame(frame_type::data, std::string(1025, 'x'));
    BOOST_FAIL("built a frame over the limit");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("mesh.max-frame-size") != std::string::npos);
  }
  set_limits(saved);
  auto big = encode_frame(frame_type::data, std::string(1025, 'x'));
  set_limits(l);
  expect_rejected(big, "exceeds the limit of 1024 (mesh.max-frame-size)");
  set_limits(saved);
  cfg.set("mesh.max-frame-size", "65 mb");
  BOOST_CHECK_THROW(limits_from(cfg), error);
}
