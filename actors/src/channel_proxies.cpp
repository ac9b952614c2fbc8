#include "channel_proxies.hpp"

#include <limits>

#include "runtime.hpp"
#include "spate/checkpoints/protocol.hpp"

namespace spate::detail {

namespace {

struct in_proxy_state {
  caf::actor task;
  caf::actor host;
  transport::frame_sink* sink = nullptr;
  std::string peer;
  std::shared_ptr<transport::channel_receiver> receiver;
  std::shared_ptr<task_counters> counters;
  bool failed = false;
};

struct out_proxy_state {
  caf::actor task;
  caf::actor host;
  transport::frame_sink* sink = nullptr;
  std::string peer;
  std::shared_ptr<transport::channel_sender> sender;
  std::shared_ptr<task_counters> counters;
  out_proxy_options options;
  //! Per output channel of the task: the extra credits were given for it,
  //! and the batch size asked of it (0: none yet) and to ask with its next credit.
  struct channel_sizing {
    bool widened = false;
    std::size_t asked = 0;
    std::size_t next = 0;
  };
  std::vector<channel_sizing> channels;
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

using transport::control_kind;

//! A control event as a frame carries it, and back.
transport::control_payload to_payload(const control_event& e) {
  transport::control_payload c;
  if (auto* w = std::get_if<watermark_event>(&e)) {
    c.kind = static_cast<std::int32_t>(control_kind::watermark);
    c.value = w->watermark;
  } else if (auto* i = std::get_if<idle_event>(&e)) {
    c.kind = static_cast<std::int32_t>(control_kind::idle_status);
    c.value = i->idle ? 1 : 0;
  } else if (auto* b = std::get_if<barrier_event>(&e)) {
    c.kind = static_cast<std::int32_t>(control_kind::barrier);
    c.barrier = true;
    c.id = b->checkpoint->id;
    c.savepoint = b->checkpoint->savepoint;
    c.stop = b->checkpoint->stop;
    c.drain = b->checkpoint->drain;
    c.savepoint_dir = b->checkpoint->savepoint_dir;
  } else {
    c.kind = static_cast<std::int32_t>(control_kind::end_of_stream);
  }
  return c;
}

//! `c` was checked by channel_receiver::decode_control: a known kind.
control_event to_event(const transport::control_payload& c) {
  switch (static_cast<control_kind>(c.kind)) {
    case control_kind::watermark:
      return watermark_event{c.value};
    case control_kind::idle_status:
      return idle_event{c.value != 0};
    case control_kind::barrier:
      return barrier_event{std::make_shared<const checkpoints::checkpoint_trigger>(
          checkpoints::checkpoint_trigger{c.id, c.savepoint, c.stop, c.drain, c.savepoint_dir})};
    case control_kind::end_of_stream:
      break;
  }
  return end_of_stream_event{};
}

void receive(caf::event_based_actor* self, in_proxy_state& st, channel_frame_msg& m) {
  auto& r = *st.receiver;
  if (auto why = r.accept(m.seq, m.channel); !why.empty())
    return fail_channel(self, st, r.credit_head(), why);
  st.counters->bytes_in.fetch_add(static_cast<std::int64_t>(m.payload->size()),
                                  std::memory_order_relaxed);
  const char* data = m.payload->data() + m.offset;
  std::size_t size = m.payload->size() - m.offset;
  try {
    if (!m.is_data) {
      auto c = r.decode_control(data, size);
      self->send(st.task, control_msg{m.channel, to_event(c)});
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
        auto c = static_cast<std::size_t>(m.sender_channel.value());
        if (c >= st.channels.size())
          st.channels.resize(c + 1);
        auto& sizing = st.channels[c];
        if (st.options.extra_credits > 0 && st.task && !sizing.widened) {
          sizing.widened = true;
          for (int i = 0; i < st.options.extra_credits; ++i)
            self->send(st.task, credit_msg{m.sender_channel, nullptr});
        }
        const std::size_t records = m.batch ? m.batch->size() : 0;
        std::string frame;
        try {
          frame = st.sender->data_frame(m.channel, m.sender_channel, std::move(m.batch));
        } catch (const std::exception& e) {
          return fail_channel(self, st, st.sender->head(), e.what());
        }
        if (st.options.max_batch > 0 && records > 0) {
          std::size_t want = std::min<std::size_t>(
              transport::records_per_frame(records, frame.size(), st.options.frame_bytes,
                                           st.options.min_batch, st.options.max_batch),
              std::numeric_limits<std::uint32_t>::max());
          // Ask again only when the size moves by more than an eighth.
          std::size_t was = sizing.next ? sizing.next : sizing.asked;
          if (was == 0 || want > was + was / 8 || want + was / 8 < was)
            sizing.next = want;
        }
        st.counters->bytes_out.fetch_add(static_cast<std::int64_t>(frame.size()),
                                         std::memory_order_relaxed);
        st.sink->send(st.peer, std::move(frame));
      },
      [self](const control_msg& m) {
        auto& st = self->state;
        auto frame = st.sender->control_frame(m.channel, to_payload(m.event));
        st.counters->bytes_out.fetch_add(static_cast<std::int64_t>(frame.size()),
                                         std::memory_order_relaxed);
        st.sink->send(st.peer, std::move(frame));
      },
      [self](credit_atom, channel_index channel, std::uint64_t seq) {
        auto& st = self->state;
        if (st.failed)
          return;
        if (auto why = st.sender->accept_credit(seq); !why.empty())
          return fail_channel(self, st, st.sender->head(), why);
        credit_msg m{channel, st.sender->recycled(channel)};
        auto c = static_cast<std::size_t>(channel.value());
        if (c < st.channels.size() && st.channels[c].next != 0) {
          auto& sizing = st.channels[c];
          m.batch_limit = static_cast<std::uint32_t>(sizing.next);
          sizing.asked = sizing.next;
          sizing.next = 0;
        }
        self->send(st.task, std::move(m));
      },
  };
}

} // namespace

caf::actor spawn_in_proxy(caf::actor_system& sys, caf::actor task, caf::actor host,
                          transport::frame_sink& sink, std::string peer,
                          transport::channel_receiver receiver,
                          std::shared_ptr<task_counters> counters) {
  in_proxy_state st;
  st.counters = std::move(counters);
  st.task = std::move(task);
  st.host = std::move(host);
  st.sink = &sink;
  st.peer = std::move(peer);
  st.receiver = std::make_shared<transport::channel_receiver>(std::move(receiver));
  return sys.spawn(in_proxy, std::move(st));
}

caf::actor spawn_out_proxy(caf::actor_system& sys, caf::actor host, transport::frame_sink& sink,
                           std::string peer, transport::channel_sender sender,
                           std::shared_ptr<task_counters> counters, out_proxy_options options) {
  out_proxy_state st;
  st.counters = std::move(counters);
  st.options = options;
  st.host = std::move(host);
  st.sink = &sink;
  st.peer = std::move(peer);
  st.sender = std::make_shared<transport::channel_sender>(std::move(sender));
  return sys.spawn(out_proxy, std::move(st));
}

} // namespace spate::detail
