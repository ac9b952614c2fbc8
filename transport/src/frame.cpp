#include "spate/transport/frame.hpp"

#include <atomic>
#include <mutex>

#include "spate/core/crc32c.hpp"
#include "spate/core/error.hpp"

namespace spate::transport {

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

} // namespace

const char* to_string(frame_type t) {
  switch (t) {
    case frame_type::register_taskmanager:
      return "register";
    case frame_type::registered:
      return "registered";
    case frame_type::heartbeat:
      return "heartbeat";
    case frame_type::deploy:
      return "deploy";
    case frame_type::task_command:
      return "task-command";
    case frame_type::trigger_checkpoint:
      return "trigger-checkpoint";
    case frame_type::acknowledge_checkpoint:
      return "acknowledge-checkpoint";
    case frame_type::decline_checkpoint:
      return "decline-checkpoint";
    case frame_type::task_finished:
      return "task-finished";
    case frame_type::task_exited:
      return "task-exited";
    case frame_type::metrics:
      return "metrics";
    case frame_type::release_job:
      return "release-job";
    case frame_type::data:
      return "data";
    case frame_type::credit:
      return "credit";
    case frame_type::control:
      return "control";
    case frame_type::disconnect:
      return "disconnect";
    case frame_type::query_rows:
      return "query-rows";
    case frame_type::query_reset:
      return "query-reset";
  }
  return "unknown";
}

bool is_known(frame_type t) {
  auto v = static_cast<std::uint8_t>(t);
  return v >= 1 && v <= 18;
}

namespace {

struct shared_limits {
  std::mutex mu;
  mesh_limits l;
  std::atomic<std::size_t> max_frame_size{mesh_limits{}.max_frame_size};
};

shared_limits& current() {
  static shared_limits s;
  return s;
}

} // namespace

mesh_limits limits() {
  auto& s = current();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.l;
}

mesh_limits limits_from(const configuration& config) {
  mesh_limits l;
  auto bytes = [&](const char* key, std::size_t fallback, std::int64_t max) {
    auto v = config.get_memory_size(key, static_cast<std::int64_t>(fallback));
    if (v < 1 || v > max)
      throw error(errc::invalid_argument,
                  std::string(key) + " must be within 1 and " + std::to_string(max) + " bytes");
    return static_cast<std::size_t>(v);
  };
  constexpr std::int64_t big = std::int64_t{1} << 40;
  l.max_frame_size =
      bytes("mesh.max-frame-size", l.max_frame_size, static_cast<std::int64_t>(max_payload));
  l.decode.max_depth = static_cast<std::size_t>(config.get_int(
      "mesh.max-msgpack-depth", static_cast<std::int64_t>(l.decode.max_depth), 1, 128));
  l.decode.max_objects = static_cast<std::size_t>(config.get_int(
      "mesh.max-msgpack-objects", static_cast<std::int64_t>(l.decode.max_objects), 1, big));
  l.send_hwm =
      static_cast<int>(config.get_int("mesh.send-high-water-mark", l.send_hwm, 1, 1 << 24));
  l.receive_hwm =
      static_cast<int>(config.get_int("mesh.receive-high-water-mark", l.receive_hwm, 1, 1 << 24));
  l.max_pending_bytes = bytes("mesh.max-pending-bytes", l.max_pending_bytes, big);
  l.early_bytes_per_sender =
      bytes("mesh.early-frames.max-bytes-per-sender", l.early_bytes_per_sender, big);
  l.early_bytes = bytes("mesh.early-frames.max-bytes", l.early_bytes, big);
  l.early_timeout_ms =
      config
          .get_duration("mesh.early-frames.timeout", std::chrono::milliseconds(l.early_timeout_ms))
          .count();
  if (l.early_timeout_ms <= 0)
    throw error(errc::invalid_argument, "mesh.early-frames.timeout must be positive");
  return l;
}

void set_limits(const mesh_limits& l) {
  if (l.max_frame_size == 0 || l.max_frame_size > max_payload)
    throw error(errc::invalid_argument, "mesh.max-frame-size must be within 1 and " +
                                            std::to_string(max_payload) + " bytes");
  if (l.decode.max_depth == 0 || l.decode.max_depth > 128 || l.decode.max_objects == 0)
    throw error(errc::invalid_argument,
                "mesh.max-msgpack-depth must be within 1 and 128, mesh.max-msgpack-objects "
                "at least 1");
  if (l.send_hwm <= 0 || l.receive_hwm <= 0)
    throw error(errc::invalid_argument, "the mesh high-water marks must be positive");
  auto& s = current();
  std::lock_guard<std::mutex> lock(s.mu);
  s.l = l;
  s.max_frame_size.store(l.max_frame_size);
}

namespace {

void check_size(frame_type type, std::size_t size) {
  const std::size_t limit = current().max_frame_size.load(std::memory_order_relaxed);
  if (size > limit)
    throw error(errc::invalid_argument, std::string(to_string(type)) + " frame payload of " +
                                            std::to_string(size) + " bytes exceeds the limit of " +
                                            std::to_string(limit) + " (mesh.max-frame-size)");
}

} // namespace

void begin_frame(std::string& out, frame_type type) {
  out.clear();
  out.push_back('S');
  out.push_back('P');
  out.push_back(static_cast<char>(protocol_version));
  out.push_back(static_cast<char>(type));
  put_u32(out, 0); // the length, once known
}

void finish_frame(std::string& out) {
  std::size_t payload = out.size() - 8;
  check_size(static_cast<frame_type>(out[3]), payload);
  for (int i = 0; i < 4; ++i)
    out[4 + i] = static_cast<char>((payload >> (8 * i)) & 0xff);
  put_u32(out, crc32c(out.data(), out.size()));
}

std::string encode_frame(frame_type type, std::string_view payload) {
  check_size(type, payload.size());
  std::string out;
  out.reserve(payload.size() + frame_overhead);
  begin_frame(out, type);
  out.append(payload);
  finish_frame(out);
  return out;
}

frame decode_frame(std::string_view bytes, const std::string& peer) {
  auto reject = [&](const std::string& why) {
    return error(errc::corrupt, "frame from " + peer + " rejected: " + why);
  };
  if (bytes.size() < frame_overhead)
    throw reject("truncated (" + std::to_string(bytes.size()) + " bytes, at least " +
                 std::to_string(frame_overhead) + " needed)");
  if (bytes[0] != 'S' || bytes[1] != 'P')
    throw reject("not a spate frame (bad magic)");
  auto version = static_cast<std::uint8_t>(bytes[2]);
  if (version != protocol_version)
    throw reject("protocol version " + std::to_string(version) + ", this process speaks " +
                 std::to_string(protocol_version));
  auto type = static_cast<frame_type>(static_cast<std::uint8_t>(bytes[3]));
  if (!is_known(type))
    throw reject("unknown frame type " + std::to_string(static_cast<int>(bytes[3])));
  std::uint32_t length = get_u32(bytes.data() + 4);
  const std::size_t limit = current().max_frame_size.load(std::memory_order_relaxed);
  if (length > limit)
    throw reject(std::string(to_string(type)) + " frame of " + std::to_string(length) +
                 " bytes exceeds the limit of " + std::to_string(limit) + " (mesh.max-frame-size)");
  if (bytes.size() != frame_overhead + length)
    throw reject(std::string(to_string(type)) + " frame length " + std::to_string(length) +
                 " does not match its " + std::to_string(bytes.size()) + " bytes");
  std::uint32_t crc = get_u32(bytes.data() + bytes.size() - 4);
  if (crc32c(bytes.data(), bytes.size() - 4) != crc)
    throw reject(std::string(to_string(type)) + " frame fails its checksum");
  return {type, std::string(bytes.substr(8, length))};
}

} // namespace spate::transport
