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
  // Control plane: TaskManager <-> JobManager.
  register_taskmanager = 1, //!< TaskManager -> JobManager: id, data address, slots
  registered = 2,           //!< JobManager -> TaskManager: accepted (or refused, with why)
  heartbeat = 3,            //!< both ways
  deploy = 4,               //!< JobManager -> TaskManager: the tasks of one attempt of a job
  task_command = 5, //!< JobManager -> TaskManager: start/cancel a task, complete/abort a checkpoint
  trigger_checkpoint = 6,     //!< JobManager -> TaskManager: a source task emits a barrier
  acknowledge_checkpoint = 7, //!< TaskManager -> JobManager: a task's snapshot is stored
  decline_checkpoint = 8,     //!< TaskManager -> JobManager: a task cannot take the snapshot
  task_finished = 9,          //!< TaskManager -> JobManager: a task finished or failed (cause)
  task_exited = 10,           //!< TaskManager -> JobManager: a task's actor is gone
  metrics = 11,               //!< TaskManager -> JobManager: records in/out per task
  release_job = 12,           //!< JobManager -> TaskManager: the job ended; drop its runtime
  // Data plane: TaskManager <-> TaskManager.
  data = 13,       //!< a batch on a channel
  credit = 14,     //!< the receiver returns credit for a channel
  control = 15,    //!< watermark, idleness, barrier, end of stream on a channel
  disconnect = 16, //!< TaskManager -> JobManager: shutting down
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

//! Builds a frame in place, without copying the payload: begin_frame()
//! writes the head into `out` (cleared), the caller appends the payload,
//! finish_frame() sets the length and appends the checksum. Throws as
//! encode_frame() for a payload over max_payload.
void begin_frame(std::string& out, frame_type type);
void finish_frame(std::string& out);

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
