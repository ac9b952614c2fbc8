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
#include "spate/core/config.hpp"

namespace spate::transport {

//! The protocol this build speaks; a frame of another version is refused.
//! 2: batches carry absent timestamps as nil and are decoded straight into
//! their record types (issue #20).
constexpr std::uint8_t protocol_version = 2;
//! Bytes around the payload.
constexpr std::size_t frame_overhead = 2 + 1 + 1 + 4 + 4;
//! The largest payload any configuration accepts (the length field's
//! ceiling); limits().max_frame_size is what a process accepts.
constexpr std::size_t max_payload = 64u << 20;

//! What one process accepts from the mesh, and how much it keeps for others.
//! Set once at start (set_limits()) from the mesh.* options; the defaults are
//! safe for a cluster on one host and most others.
struct mesh_limits {
  //! Largest frame payload sent or accepted (mesh.max-frame-size). Above the
  //! largest legitimate frame: a batch of 1,024 records of 16 KiB; deploy
  //! frames (job spec and configuration) are a few KiB.
  std::size_t max_frame_size = 16u << 20;
  //! msgpack of frame payloads (mesh.max-msgpack-depth, -objects).
  decode_limits decode{};
  //! Frames queued in ZeroMQ per peer before a send waits in the endpoint's
  //! own queue (mesh.send-high-water-mark), and received frames ZeroMQ
  //! buffers per peer before it stops reading that peer's connection
  //! (mesh.receive-high-water-mark: TCP pushes back, nothing is lost).
  int send_hwm = 1000;
  int receive_hwm = 32;
  //! Bytes an endpoint holds for one peer beyond the send high-water mark
  //! (a peer that does not read); beyond it frames are dropped, counted and
  //! numbered, so the peer sees a gap (mesh.max-pending-bytes).
  std::size_t max_pending_bytes = 256u << 20;
  //! TaskManagers: channel frames for a job not deployed here yet are kept
  //! until its deploy, at most this many bytes per sender and job
  //! (mesh.early-frames.max-bytes-per-sender), this many in all jobs
  //! (mesh.early-frames.max-bytes), and this long (mesh.early-frames.timeout).
  std::size_t early_bytes_per_sender = 32u << 20;
  std::size_t early_bytes = 128u << 20;
  std::int64_t early_timeout_ms = 60000;
};

//! The mesh.* options of `config` over the defaults; throws
//! errc::invalid_argument naming a value out of range.
mesh_limits limits_from(const configuration& config);

//! This process's limits (thread-safe; a copy).
mesh_limits limits();
//! Sets them (before endpoints start; sockets read them when created). Throws
//! errc::invalid_argument for a frame size over max_payload or zero values.
void set_limits(const mesh_limits& l);

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
  // SQL queries on a cluster: TaskManager -> JobManager.
  query_rows = 17,  //!< rows of a query's result, from one subtask of its sink
  query_reset = 18, //!< a query sink (re)started: its rows beyond a count are gone
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
//! payload exceeds limits().max_frame_size.
std::string encode_frame(frame_type type, std::string_view payload);

//! Builds a frame in place, without copying the payload: begin_frame()
//! writes the head into `out` (cleared), the caller appends the payload,
//! finish_frame() sets the length and appends the checksum. Throws as
//! encode_frame() for a payload over limits().max_frame_size.
void begin_frame(std::string& out, frame_type type);
void finish_frame(std::string& out);

//! Decodes one frame received from `peer` (named in errors). Throws
//! spate::error(errc::corrupt) saying what is wrong: too short, foreign
//! magic, other protocol version, unknown type, length mismatch or over
//! limits().max_frame_size, checksum.
frame decode_frame(std::string_view bytes, const std::string& peer);

//! A frame whose payload is the msgpack encoding of `message`.
template <class T>
std::string encode_message(frame_type type, const T& message) {
  std::string payload;
  encode(message, payload);
  return encode_frame(type, payload);
}

//! The payload of `f` as a T, within limits().decode (checked before
//! msgpack-c allocates anything); throws errc::codec naming the frame type
//! and, for a payload over a limit, the limit.
template <class T>
T decode_payload(const frame& f) {
  std::string what = std::string(to_string(f.type)) + " frame";
  return decode_untrusted<T>(f.payload.data(), f.payload.size(), limits().decode, what.c_str());
}

} // namespace spate::transport
