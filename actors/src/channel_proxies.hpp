// The actors at the ends of channels that cross processes, on a TaskManager:
// an out proxy per (local task, remote task) hands what the task sends to a
// transport::channel_sender, an in proxy per (remote task, local task) hands
// frames to a transport::channel_receiver and what it decodes to the task.
// The channel logic (numbering, credits, reuse, checks) is in transport/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "messages.hpp"
#include "spate/transport/channel.hpp"
#include "spate/transport/endpoint.hpp"

namespace spate::detail {

struct task_counters;

//! A data or control frame handed from the I/O thread to an in proxy.
struct channel_frame_msg {
  bool is_data = true;
  std::shared_ptr<const std::string> payload;
  std::size_t offset = 0; //!< where the batch (or control body) starts
  channel_index channel{0};
  channel_index sender_channel{0};
  std::uint64_t seq = 0;
};

//! A credit frame for an out proxy: (credit_atom, sender's channel, seq).
using credit_atom = caf::atom_constant<caf::atom("credit")>;
//! Tells an out proxy which task it serves: (task_atom, task).
using task_atom = caf::atom_constant<caf::atom("task")>;

//! Spawns the in proxy of `task`: frames from TaskManager `peer` through
//! `receiver`; credits go back through `sink`. A channel that can no longer
//! be trusted fails the task: task_done_msg{chain, subtask, true, why} to `host`.
//! The bytes of the frames it accepts count into `counters->bytes_in`.
caf::actor spawn_in_proxy(caf::actor_system& sys, caf::actor task, caf::actor host,
                          transport::frame_sink& sink, std::string peer,
                          transport::channel_receiver receiver,
                          std::shared_ptr<task_counters> counters);

//! How an out proxy widens and sizes the task's batches to another process.
struct out_proxy_options {
  //! Credits the proxy gives the task for each of its output channels on
  //! top of the task's own (with the first batch of the channel): a credit
  //! crosses two processes and four threads to come back, so a remote
  //! channel needs a wider window than a local one to stay busy.
  int extra_credits = 0;
  //! Batches grow from `min_batch` records (the task's own batch size) up
  //! to `max_batch` while their frames stay below `frame_bytes`: a frame
  //! costs wake-ups of both processes' I/O threads, whatever it carries.
  //! 0 for max_batch: batches keep the task's size.
  std::size_t min_batch = 1024;
  std::size_t max_batch = 0;
  std::size_t frame_bytes = 32 << 10;
};

//! Spawns an out proxy to TaskManager `peer`; (task_atom, task) names the
//! local task whose credits it returns. Failures go to `host` as above.
//! The bytes of the frames it sends count into `counters->bytes_out`.
caf::actor spawn_out_proxy(caf::actor_system& sys, caf::actor host, transport::frame_sink& sink,
                           std::string peer, transport::channel_sender sender,
                           std::shared_ptr<task_counters> counters, out_proxy_options options = {});

} // namespace spate::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(spate::detail::channel_frame_msg)
