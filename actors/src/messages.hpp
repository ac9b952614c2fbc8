// Messages between the actors of one process. Batches move by pointer: no
// serialization inside a process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include <caf/all.hpp>

#include "spate/core/batch.hpp"
#include "spate/transport/channel.hpp"

namespace spate::checkpoints {
struct checkpoint_trigger;
}

namespace spate::detail {

//! A batch on input channel `channel` of the receiver; `sender_channel` is the
//! sender's output channel, named in the credit that returns.
struct data_msg {
  channel_index channel{0};
  channel_index sender_channel{0};
  std::shared_ptr<any_batch> batch;
};

//! The in-band events of a channel; they never overtake records.
struct watermark_event {
  timestamp watermark = min_watermark;
};
//! The sender's output became idle (no records for now) or active again.
struct idle_event {
  bool idle = false;
};
//! The checkpoint barrier: what the checkpoint is (savepoint, where its files go).
struct barrier_event {
  std::shared_ptr<const checkpoints::checkpoint_trigger> checkpoint;
};
//! The sender finished: nothing more comes on this channel.
struct end_of_stream_event {};
using control_event = std::variant<watermark_event, idle_event, barrier_event, end_of_stream_event>;

//! A control event on input channel `channel` of the receiver.
struct control_msg {
  channel_index channel{0};
  control_event event;
};

//! One credit for the sender's output `channel`, with the emptied batch for reuse.
struct credit_msg {
  channel_index channel{0};
  std::shared_ptr<any_batch> recycled;
  //! When not 0: from now on, batches on `channel` hold this many records
  //! (an out proxy sizes the batches it turns into frames).
  std::uint32_t batch_limit = 0;
};

//! A task tells the master it ended: finished normally or failed with `cause`.
struct task_done_msg {
  std::int32_t chain = 0;
  subtask_index subtask{0};
  bool failed = false;
  std::string cause;
  //! A failure a restart cannot cure (spate::error with errc::failed_precondition:
  //! the output holds an earlier run's data, ...): the job fails without
  //! restarting, as Flink's SuppressRestartsException.
  bool fatal = false;
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using proc_time_atom = caf::atom_constant<caf::atom("proctime")>;

} // namespace spate::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::data_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::control_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::credit_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::task_done_msg)
// IDs in messages inside one process (frames carry them through msgpack).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::subtask_index)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::attempt_number)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::channel_index)
