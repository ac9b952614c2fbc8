// libFuzzer: every frame a process of the mesh decodes. The first byte
// chooses how the rest is used:
//  - odd: the rest is a whole frame as it comes off the wire (decode_frame:
//    magic, version, type, length, checksum);
//  - even: byte 1 is a frame type and the rest its payload, wrapped in a
//    frame with a valid checksum, so the fuzzer reaches the payload decoders
//    (msgpack within the mesh limits, channel heads, batches, control events).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/src/messages.hpp"
#include "spate/actors/remote.hpp"
#include "spate/core/batch.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/transport/channel.hpp"
#include "spate/transport/frame.hpp"
#include "wire.hpp"

using namespace spate;
using namespace spate::transport;

namespace {

struct record {
  std::string key;
  std::int64_t count = 0;
  double value = 0;
  SPATE_FIELDS(key, count, value);
};

void decode_channel_frame(const frame& f) {
  std::size_t offset = 0;
  auto head = decode_channel_head(f, offset);
  // As a TaskManager's channel bridge does: the head is checked (number,
  // channel) before the rest is decoded. Channel 3 has no records here.
  channel_receiver rx(channel_head{},
                      {make_batch_factory<std::string>(), make_batch_factory<record>(),
                       make_batch_factory<std::int64_t>(), nullptr},
                      "fuzz");
  if (f.type == frame_type::credit || !rx.accept(head.seq, head.channel).empty())
    return;
  const char* rest = f.payload.data() + offset;
  std::size_t size = f.payload.size() - offset;
  if (f.type == frame_type::data)
    (void)rx.decode_batch(head.channel, rest, size);
  else
    (void)rx.decode_control(rest, size);
}

void decode_payload_of(const frame& f) {
  using namespace spate::detail;
  using cluster_detail::wire_disconnect;
  using cluster_detail::wire_heartbeat;
  using cluster_detail::wire_query_reset;
  using cluster_detail::wire_query_rows;
  using cluster_detail::wire_register;
  using cluster_detail::wire_registered;
  (void)frame_job_id(f);
  switch (f.type) {
    case frame_type::register_taskmanager:
      (void)decode_payload<wire_register>(f);
      break;
    case frame_type::registered:
      (void)decode_payload<wire_registered>(f);
      break;
    case frame_type::heartbeat:
      (void)decode_payload<wire_heartbeat>(f);
      break;
    case frame_type::deploy:
      (void)decode_payload<wire_deploy>(f);
      break;
    case frame_type::task_command:
      (void)decode_payload<wire_task_command>(f);
      break;
    case frame_type::trigger_checkpoint:
      (void)decode_payload<wire_trigger>(f);
      break;
    case frame_type::acknowledge_checkpoint:
      (void)decode_payload<wire_ack>(f);
      break;
    case frame_type::decline_checkpoint:
      (void)decode_payload<wire_decline>(f);
      break;
    case frame_type::task_finished:
      (void)decode_payload<wire_task_finished>(f);
      break;
    case frame_type::task_exited:
      (void)decode_payload<wire_task_exited>(f);
      break;
    case frame_type::metrics:
      (void)decode_payload<wire_metrics>(f);
      break;
    case frame_type::release_job:
      (void)decode_payload<wire_release>(f);
      break;
    case frame_type::disconnect:
      (void)decode_payload<wire_disconnect>(f);
      break;
    case frame_type::query_rows:
      (void)decode_payload<wire_query_rows>(f);
      break;
    case frame_type::query_reset:
      (void)decode_payload<wire_query_reset>(f);
      break;
    case frame_type::data:
    case frame_type::credit:
    case frame_type::control:
      decode_channel_frame(f);
      break;
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spate::log().set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    frame f;
    if (data[0] & 1) {
      f = decode_frame(rest, "fuzz");
    } else {
      auto type = static_cast<frame_type>(static_cast<std::uint8_t>(rest[0]));
      if (!is_known(type))
        return 0;
      f = decode_frame(encode_frame(type, rest.substr(1)), "fuzz");
    }
    decode_payload_of(f);
  } catch (const spate::error&) {
    // Refused with a reason: what a bad frame should get.
  }
  return 0;
}
