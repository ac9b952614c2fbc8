// The credit-based channels between tasks in different processes, both ends
// (Flink's network stack: RecordWriter's remote side and the input gates).
//
// A channel carries batches and in-band control events (watermarks, idleness,
// end of stream, checkpoint barriers) from one sending task to one receiving
// task; credits flow back, one per batch consumed. Frames of one direction
// between two tasks are numbered from 0, so a frame lost with a broken
// connection is noticed and fails the receiving task instead of corrupting
// its input. Batches are reused: an encoded batch is kept by the sender until
// its credit returns, and a decoded batch by the receiver until the task
// hands it back.
//
// Plain classes that build and check frames; the actors that own them (the
// channel proxies in actors/) deliver what they produce.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spate/core/batch.hpp"
#include "spate/core/codec.hpp"
#include "spate/transport/frame.hpp"

namespace spate::transport {

//! The head of data, control and credit frames: which channel of which
//! attempt. For credit, `from` is the receiving task and `to` the sender.
struct channel_head {
  std::string job_id;
  attempt_number attempt{0};
  std::int32_t from_chain = 0;
  subtask_index from_subtask{0};
  std::int32_t to_chain = 0;
  subtask_index to_subtask{0};
  channel_index channel{0};
  channel_index sender_channel{0};
  //! Frames of one direction between two tasks are numbered from 0.
  std::uint64_t seq = 0;
  SPATE_FIELDS(job_id, attempt, from_chain, from_subtask, to_chain, to_subtask, channel,
               sender_channel, seq);
};

//! The in-band events of a channel; they never overtake records.
enum class control_kind : std::int32_t { watermark, end_of_stream, idle_status, barrier };

//! What follows the head of a control frame.
struct control_payload {
  std::int32_t kind = 0;
  //! The watermark, or 1/0 for idle/active.
  std::int64_t value = 0;
  //! Barriers: the checkpoint they belong to.
  bool barrier = false;
  checkpoint_id id{0};
  bool savepoint = false;
  bool stop = false;
  bool drain = false;
  std::string savepoint_dir;
  SPATE_FIELDS(kind, value, barrier, id, savepoint, stop, drain, savepoint_dir);
};

//! Decodes the head of a data, control or credit frame; `offset` is where
//! the rest starts. Throws spate::error(errc::codec) naming the frame type.
channel_head decode_channel_head(const frame& f, std::size_t& offset);

//! The records per batch that make frames of about `frame_bytes`, given that
//! a frame of `records` records took `bytes`: within [min_records,
//! max_records] (min_records when max_records is smaller).
std::size_t records_per_frame(std::size_t records, std::size_t bytes, std::size_t frame_bytes,
                              std::size_t min_records, std::size_t max_records);

//! The sending end: one local task's channels to one task in another process.
class channel_sender {
public:
  //! `head`: from = the local task, to = the remote receiver; `peer` names
  //! the receiver's process in messages.
  channel_sender(channel_head head, std::string peer);

  //! A data frame carrying `batch` from the sender's output `sender_channel`
  //! to the receiver's input `channel`. The batch is cleared and kept until
  //! its credit returns. Throws spate::error when it cannot be encoded.
  std::string data_frame(channel_index channel, channel_index sender_channel,
                         std::shared_ptr<any_batch> batch);
  //! A control frame on input `channel` of the receiver.
  std::string control_frame(channel_index channel, const control_payload& event);
  //! A credit with sequence number `seq` came back for the sender's output
  //! `channel`. Empty when it is the next one expected, else why the channel
  //! can no longer be trusted (it stays broken).
  std::string accept_credit(std::uint64_t seq);
  //! An emptied batch of output `channel` to reuse (null when none is kept).
  std::shared_ptr<any_batch> recycled(channel_index channel);
  bool broken() const { return broken_; }
  const channel_head& head() const { return head_; }

private:
  channel_head head_;
  std::string peer_;
  //! Encoded batches to return with credits, per output channel of the task
  //! (channels of different edges may carry different record types).
  std::map<channel_index, std::vector<std::shared_ptr<any_batch>>> free_;
  //! The largest frame so far: what the next one reserves.
  std::size_t frame_capacity_ = 256;
  std::uint64_t expected_credit_ = 0;
  bool broken_ = false;
};

//! The receiving end: one remote task's channels into one local task.
class channel_receiver {
public:
  //! `credit_head`: from = the local task, to = the remote sender.
  //! `factories[c]` makes batches of input channel c (null: the task has no
  //! such channel from this sender). `peer` names the sender's process.
  channel_receiver(channel_head credit_head, std::vector<batch_factory> factories,
                   std::string peer);

  //! Checks the sequence number and channel of the next data or control
  //! frame. Empty when it fits, else why the channel can no longer be
  //! trusted (it stays broken; later frames are refused too).
  std::string accept(std::uint64_t seq, channel_index channel);
  //! Decodes the batch of a data frame on `channel` (accepted), reusing a
  //! batch the task returned. Throws spate::error(errc::codec).
  std::shared_ptr<any_batch> decode_batch(channel_index channel, const char* data,
                                          std::size_t size);
  //! Decodes and checks the body of a control frame. Throws
  //! spate::error(errc::codec) naming an unknown kind or a malformed body.
  control_payload decode_control(const char* data, std::size_t size);
  //! A credit frame for the sender's output `channel`; the task returned
  //! `recycled` (may be null), kept for reuse.
  std::string credit_frame(channel_index channel, std::shared_ptr<any_batch> recycled);
  bool broken() const { return broken_; }
  //! from = the local task, to = the remote sender.
  const channel_head& credit_head() const { return credit_head_; }

private:
  channel_head credit_head_;
  std::vector<batch_factory> factories_;
  std::vector<const std::type_info*> types_; //!< by input channel
  std::vector<std::shared_ptr<any_batch>> free_;
  std::string peer_;
  std::uint64_t expected_ = 0;
  bool broken_ = false;
};

} // namespace spate::transport
