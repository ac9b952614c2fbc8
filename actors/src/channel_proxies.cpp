#include "channel_proxies.hpp"

#include "spate/checkpoints/protocol.hpp"

namespace spate::detail {

namespace {

struct in_proxy_state {
  caf::actor task;
  caf::actor host;
  transport::frame_sink* sink = nullptr;
  std::string peer;
  std::shared_ptr<transport::channel_receiver> receiver;
  bool failed = false;
};

struct out_proxy_state {
  caf::actor task;
  caf::actor host;
  transport::frame_sink* sink = nullptr;
  std::string peer;
  std::shared_ptr<transport::channel_sender> sender;
  bool failed = false;
};

//! Fails the task behind a proxy: what its channel carries can no longer be
//! trusted. Reported once; later frames are dropped.
template <class State>
void fail_channel(caf::event_based_actor* self, State& st, const transport::channel_head& local,
                  const std::string& why) {
  if (st.failed)
    return;
  st.failed = true;
  self->send(st.host, task_done_msg{local.from_chain, local.from_subtask, true, why});
}

void receive(caf::event_based_actor* self, in_proxy_state& st, channel_frame_msg& m) {
  auto& r = *st.receiver;
  if (auto why = r.accept(m.seq, m.channel); !why.empty())
    return fail_channel(self, st, r.credit_head(), why);
  const char* data = m.payload->data() + m.offset;
  std::size_t size = m.payload->size() - m.offset;
  try {
    if (!m.is_data) {
      auto c = r.decode_control(data, size);
      control_msg out{m.channel, static_cast<control_kind>(c.kind), c.value, nullptr};
      if (c.barrier)
        out.barrier = std::make_shared<const checkpoints::checkpoint_trigger>(
            checkpoints::checkpoint_trigger{c.id, c.savepoint, c.stop, c.drain, c.savepoint_dir});
      self->send(st.task, out);
      return;
    }
    self->send(st.task,
               data_msg{m.channel, m.sender_channel, r.decode_batch(m.channel, data, size)});
  } catch (const std::exception& e) {
    fail_channel(self, st, r.credit_head(), e.what());
  }
}

caf::behavior in_proxy(caf::stateful_actor<in_proxy_state>* self, in_proxy_state init) {
  self->state = std::move(init);
  return {
    [self](channel_frame_msg& m) {
      if (!self->state.failed)
        receive(self, self->state, m);
    },
    [self](credit_msg& m) {
      auto& st = self->state;
      st.sink->send(st.peer, st.receiver->credit_frame(m.channel, std::move(m.recycled)));
    },
  };
}

caf::behavior out_proxy(caf::stateful_actor<out_proxy_state>* self, out_proxy_state init) {
  self->state = std::move(init);
  return {
    [self](task_atom, caf::actor& task) { self->state.task = std::move(task); },
    [self](data_msg& m) {
      auto& st = self->state;
      std::string frame;
      try {
        frame = st.sender->data_frame(m.channel, m.sender_channel, std::move(m.batch));
      } catch (const std::exception& e) {
        return fail_channel(self, st, st.sender->head(), e.what());
      }
      st.sink->send(st.peer, std::move(frame));
    },
    [self](const control_msg& m) {
      auto& st = self->state;
      transport::control_event c;
      c.kind = static_cast<std::int32_t>(m.kind);
      c.value = m.value;
      if (m.barrier) {
        c.barrier = true;
        c.id = m.barrier->id;
        c.savepoint = m.barrier->savepoint;
        c.stop = m.barrier->stop;
        c.drain = m.barrier->drain;
        c.savepoint_dir = m.barrier->savepoint_dir;
      }
      st.sink->send(st.peer, st.sender->control_frame(m.channel, c));
    },
    [self](credit_atom, std::int32_t channel, std::uint64_t seq) {
      auto& st = self->state;
      if (st.failed)
        return;
      if (auto why = st.sender->accept_credit(seq); !why.empty())
        return fail_channel(self, st, st.sender->head(), why);
      self->send(st.task, credit_msg{channel, st.sender->recycled(channel)});
    },
  };
}

} // namespace

caf::actor spawn_in_proxy(caf::actor_system& sys, caf::actor task, caf::actor host,
                          transport::frame_sink& sink, std::string peer,
                          transport::channel_receiver receiver) {
  in_proxy_state st;
  st.task = std::move(task);
  st.host = std::move(host);
  st.sink = &sink;
  st.peer = std::move(peer);
  st.receiver = std::make_shared<transport::channel_receiver>(std::move(receiver));
  return sys.spawn(in_proxy, std::move(st));
}

caf::actor spawn_out_proxy(caf::actor_system& sys, caf::actor host, transport::frame_sink& sink,
                           std::string peer, transport::channel_sender sender) {
  out_proxy_state st;
  st.host = std::move(host);
  st.sink = &sink;
  st.peer = std::move(peer);
  st.sender = std::make_shared<transport::channel_sender>(std::move(sender));
  return sys.spawn(out_proxy, std::move(st));
}

} // namespace spate::detail
