// Frames: the unit every control and data message between spate processes
// travels in (one ZeroMQ message each). A frame names its protocol version
// and type and carries a checksum, so a truncated, corrupted or foreign
// message is rejected with a reason instead of being trusted.
//
//   magic "SP" | version (u8) | type (u8) | payload length (u32 LE) | payload | CRC-32C (u32 LE)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spate/core/codec.hpp"

namespace spate::transport {

//! The protocol this build speaks; a frame of another version is refused.
constexpr std::uint8_t protocol_version = 1;
//! Bytes around the payload.
constexpr std::size_t frame_overhead = 2 + 1 + 1 + 4 + 4;
//! The largest payload accepted (a data batch is far smaller).
constexpr std::size_t max_payload = 64u << 20;

enum class frame_type : std::uint8_t {
  register_taskmanager = 1, //!< TaskManager -> JobManager: address, slots
  registered = 2,           //!< JobManager -> TaskManager: accepted, its id
  heartbeat = 3,            //!< both ways
  deploy = 4,               //!< JobManager -> TaskManager: tasks to run
  cancel = 5,
  trigger_checkpoint = 6,
  acknowledge_checkpoint = 7,
  complete_checkpoint = 8,
  task_failure = 9,
  data = 10,    //!< TaskManager -> TaskManager: a batch on a channel
  credit = 11,  //!< the receiver returns credit for a channel
  control = 12, //!< watermark, barrier, end of stream on a channel
};

//! The name of a frame type for logs ("data", "heartbeat", ...); "unknown" else.
const char* to_string(frame_type t);
//! True for the types this build knows.
bool is_known(frame_type t);

struct frame {
  frame_type type = frame_type::heartbeat;
  std::string payload;
};

//! Encodes a frame around `payload`. Throws errc::invalid_argument when the
//! payload exceeds max_payload.
std::string encode_frame(frame_type type, std::string_view payload);

//! Decodes one frame received from `peer` (named in errors). Throws
//! spate::error(errc::corrupt) saying what is wrong: too short, foreign
//! magic, other protocol version, unknown type, length mismatch, checksum.
frame decode_frame(std::string_view bytes, const std::string& peer);

//! A frame whose payload is the msgpack encoding of `message`.
template <class T>
std::string encode_message(frame_type type, const T& message) {
  std::string payload;
  encode(message, payload);
  return encode_frame(type, payload);
}

//! The payload of `f` as a T; throws errc::codec naming the frame type.
template <class T>
T decode_payload(const frame& f) {
  std::string what = std::string(to_string(f.type)) + " frame";
  return decode<T>(f.payload, what.c_str());
}

} // namespace spate::transport
