#include "spate/transport/channel.hpp"

#include <algorithm>

#include "spate/core/error.hpp"

namespace spate::transport {

namespace {
// Emptied batches kept per channel for reuse: enough for the credits in
// flight, bounded so a burst does not pin memory.
constexpr std::size_t max_pooled = 16;
} // namespace

channel_head decode_channel_head(const frame& f, std::size_t& offset) {
  try {
    offset = 0;
    // The head is read before anything says who sent it: a few integers and
    // the job's id, so anything bigger or deeper is refused unbuilt.
    (void)check_untrusted(f.payload.data(), f.payload.size(), 0, decode_limits{4, 64},
                          "the channel head");
    auto oh = unpack_checked(f.payload.data(), f.payload.size(), offset);
    return oh.get().as<channel_head>();
  } catch (const std::exception& e) {
    throw error(errc::codec, std::string("cannot decode the channel of a ") + to_string(f.type) +
                                 " frame: " + e.what());
  }
}

channel_sender::channel_sender(channel_head head, std::string peer)
    : head_(std::move(head)), peer_(std::move(peer)) {}

std::string channel_sender::data_frame(channel_index channel, channel_index sender_channel,
                                       std::shared_ptr<any_batch> batch) {
  head_.channel = channel;
  head_.sender_channel = sender_channel;
  // The frame is built in place and moved to the endpoint: no copies.
  std::string frame;
  frame.reserve(frame_capacity_);
  begin_frame(frame, frame_type::data);
  encode(head_, frame);
  batch->encode_to(frame);
  finish_frame(frame);
  frame_capacity_ = std::max(frame_capacity_, frame.size());
  ++head_.seq;
  batch->clear();
  auto& pool = free_[sender_channel];
  if (pool.size() < max_pooled)
    pool.push_back(std::move(batch));
  return frame;
}

std::string channel_sender::control_frame(channel_index channel, const control_payload& event) {
  head_.channel = channel;
  std::string frame;
  begin_frame(frame, frame_type::control);
  encode(head_, frame);
  encode(event, frame);
  finish_frame(frame);
  ++head_.seq;
  return frame;
}

std::string channel_sender::accept_credit(std::uint64_t seq) {
  if (broken_)
    return "the channel to TaskManager '" + peer_ + "' is broken";
  if (seq != expected_credit_) {
    broken_ = true;
    return "credits from TaskManager '" + peer_ + "' were lost (expected #" +
           std::to_string(expected_credit_) + ", got #" + std::to_string(seq) + ")";
  }
  ++expected_credit_;
  return {};
}

std::shared_ptr<any_batch> channel_sender::recycled(channel_index channel) {
  auto it = free_.find(channel);
  if (it == free_.end() || it->second.empty())
    return nullptr;
  auto b = std::move(it->second.back());
  it->second.pop_back();
  return b;
}

channel_receiver::channel_receiver(channel_head credit_head, std::vector<batch_factory> factories,
                                   std::string peer)
    : credit_head_(std::move(credit_head)), factories_(std::move(factories)),
      peer_(std::move(peer)) {
  for (auto& f : factories_)
    types_.push_back(f ? &f()->record_type() : nullptr);
}

std::string channel_receiver::accept(std::uint64_t seq, channel_index channel) {
  if (broken_)
    return "the channel from TaskManager '" + peer_ + "' is broken";
  if (seq != expected_) {
    broken_ = true;
    return "frames from TaskManager '" + peer_ + "' were lost (expected #" +
           std::to_string(expected_) + ", got #" + std::to_string(seq) + ")";
  }
  ++expected_;
  auto c = channel.value();
  if (c < 0 || c >= static_cast<std::int32_t>(factories_.size()) || !factories_[c]) {
    broken_ = true;
    return "TaskManager '" + peer_ + "' sent a frame for channel " + std::to_string(c) +
           " that the task does not have";
  }
  return {};
}

std::shared_ptr<any_batch> channel_receiver::decode_batch(channel_index channel, const char* data,
                                                          std::size_t size) {
  auto c = static_cast<std::size_t>(channel.value());
  std::shared_ptr<any_batch> batch;
  for (auto it = free_.rbegin(); it != free_.rend(); ++it)
    if ((*it)->record_type() == *types_[c]) {
      batch = std::move(*it);
      free_.erase(std::next(it).base());
      break;
    }
  if (!batch)
    batch = factories_[c]();
  try {
    batch->decode_from(data, size);
  } catch (const std::exception& e) {
    throw error(errc::codec, "bad batch from TaskManager '" + peer_ + "': " + e.what());
  }
  return batch;
}

control_payload channel_receiver::decode_control(const char* data, std::size_t size) {
  control_payload c;
  try {
    c = decode<control_payload>(data, size, "control frame");
  } catch (const std::exception& e) {
    throw error(errc::codec, "bad control frame from TaskManager '" + peer_ + "': " + e.what());
  }
  if (c.kind < static_cast<std::int32_t>(control_kind::watermark) ||
      c.kind > static_cast<std::int32_t>(control_kind::barrier) ||
      (c.kind == static_cast<std::int32_t>(control_kind::barrier)) != c.barrier) {
    broken_ = true;
    throw error(errc::codec, "TaskManager '" + peer_ + "' sent a control event of unknown kind " +
                                 std::to_string(c.kind));
  }
  return c;
}

std::string channel_receiver::credit_frame(channel_index channel,
                                           std::shared_ptr<any_batch> recycled) {
  if (recycled && free_.size() < max_pooled)
    free_.push_back(std::move(recycled));
  credit_head_.channel = channel;
  std::string frame;
  begin_frame(frame, frame_type::credit);
  encode(credit_head_, frame);
  finish_frame(frame);
  ++credit_head_.seq;
  return frame;
}

std::size_t records_per_frame(std::size_t records, std::size_t bytes, std::size_t frame_bytes,
                              std::size_t min_records, std::size_t max_records) {
  const std::size_t per_record =
      std::max<std::size_t>(1, bytes / std::max<std::size_t>(1, records));
  return std::max(min_records, std::min(frame_bytes / per_record, max_records));
}

} // namespace spate::transport
