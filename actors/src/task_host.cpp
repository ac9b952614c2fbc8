// Tasks in other processes, the TaskManager side: task_host deploys the
// tasks a JobManager assigns here, stands in for their master and
// coordinator (the host actor), and connects their channels to other
// TaskManagers through the channel proxies.
#include "spate/actors/remote.hpp"

#include <array>
#include <filesystem>
#include <set>

#include "channel_proxies.hpp"
#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "runtime.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "task_actor.hpp"
#include "wire.hpp"

namespace spate::detail {

using watch_atom = caf::atom_constant<caf::atom("watch")>;
using attempt_atom = caf::atom_constant<caf::atom("attempt")>;
using release_atom = caf::atom_constant<caf::atom("release")>;

} // namespace spate::detail

namespace spate {

using transport::encode_message;
using transport::frame;
using transport::frame_type;

namespace detail {

namespace {

//! Stands in for the job's master and coordinator on a TaskManager: what
//! the tasks report goes to the JobManager.
struct host_state {
  std::shared_ptr<job_runtime> rt;
  transport::frame_sink* sink = nullptr;
  std::string jm;
  std::int32_t attempt = 0;
  struct watched_task {
    std::int32_t chain = 0;
    std::int32_t subtask = 0;
    std::int32_t attempt = 0;
  };
  std::map<caf::actor_addr, watched_task> watched;
  //! Set when this TaskManager cancelled the tasks on its own (the
  //! JobManager is unreachable): their exits are failures.
  std::string cancel_reason;
  std::shared_ptr<std::atomic<int>> live;
  bool released = false;
};

caf::behavior host_actor(caf::stateful_actor<host_state>* self, host_state init) {
  self->state = std::move(init);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.watched.find(dm.source);
    if (it == st.watched.end())
      return;
    auto w = it->second;
    st.watched.erase(it);
    st.live->fetch_sub(1);
    bool abnormal = static_cast<bool>(dm.reason) || !st.cancel_reason.empty();
    std::string reason = dm.reason ? caf::to_string(dm.reason) : st.cancel_reason;
    st.sink->send(st.jm, encode_message(frame_type::task_exited,
                                        wire_task_exited{st.rt->job_id, w.attempt, w.chain,
                                                         w.subtask, abnormal, reason}));
    if (st.released && st.watched.empty())
      self->quit();
  });
  return {
      [self](attempt_atom, std::int32_t attempt) {
        self->state.attempt = attempt;
        self->state.cancel_reason.clear();
      },
      [self](watch_atom, caf::actor& task, std::int32_t chain, std::int32_t subtask,
             std::int32_t attempt) {
        self->state.watched[task.address()] = {chain, subtask, attempt};
        self->monitor(task);
      },
      [self](fail_atom, const std::string& reason) { self->state.cancel_reason = reason; },
      [self](const task_done_msg& m) {
        auto& st = self->state;
        // Stamped with the attempt of the task that sent it (a proxy of this
        // attempt when a channel failed).
        std::int32_t attempt = st.attempt;
        auto it = st.watched.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (it != st.watched.end())
          attempt = it->second.attempt;
        st.sink->send(st.jm, encode_message(frame_type::task_finished,
                                            wire_task_finished{st.rt->job_id, attempt, m.chain,
                                                               m.subtask, m.failed, m.cause}));
      },
      [self](const ack_msg& m) {
        auto& st = self->state;
        auto& s = *m.snapshot;
        st.sink->send(st.jm, encode_message(frame_type::acknowledge_checkpoint,
                                            wire_ack{st.rt->job_id, st.attempt, s.chain, s.subtask,
                                                     s.id, s.operators, s.sync_ms, s.async_ms,
                                                     s.alignment_ms, s.bytes}));
      },
      [self](const decline_msg& m) {
        auto& st = self->state;
        st.sink->send(st.jm, encode_message(frame_type::decline_checkpoint,
                                            wire_decline{st.rt->job_id, st.attempt, m.id, m.reason,
                                                         m.counts}));
      },
      [self](release_atom) {
        auto& st = self->state;
        st.released = true;
        if (st.watched.empty())
          self->quit();
      },
  };
}

using key4 = std::array<std::int32_t, 4>;

} // namespace

struct hosted_job {
  std::shared_ptr<job_runtime> rt; //!< null until the first deploy arrives
  std::int32_t attempt = 0;
  caf::actor host;
  std::vector<std::vector<std::string>> placement;
  std::map<std::pair<std::int32_t, std::int32_t>, caf::actor> tasks;
  std::map<key4, caf::actor> out_proxies; //!< (chain, subtask, target chain, target subtask)
  std::map<key4, caf::actor> in_proxies;  //!< (sender chain, sender subtask, chain, subtask)
  //! Per chain: the edge behind each input channel (for its record type).
  std::vector<std::vector<int>> channel_edge;
  //! Frames of an attempt not deployed here yet, and their bytes.
  std::vector<std::pair<std::string, frame>> early;
  std::size_t early_bytes = 0;
  std::shared_ptr<std::atomic<int>> live = std::make_shared<std::atomic<int>>(0);
};

struct task_host_impl {
  caf::actor_system& sys;
  transport::frame_sink& sink;
  std::string self_id;
  std::string jm;
  std::string state_dir;
  task_host::graph_builder build;
  mutable std::mutex mu;
  std::map<std::string, hosted_job> jobs;
  //! Jobs that ended here: late frames for them are dropped.
  std::set<std::string> released;
  static constexpr std::size_t max_jobs = 256;

  static constexpr std::size_t max_early = 100000;
  static constexpr std::size_t max_early_bytes = 256u << 20;

  void deploy(const frame& f);
  //! Under `mu`; false when nothing was deployed. `early` gets the frames to replay.
  bool deploy_locked(const wire_deploy& d, std::vector<std::pair<std::string, frame>>& early);
  void command(const frame& f);
  void trigger(const frame& f);
  void channel(const std::string& from, frame& f);
  void release(const frame& f);
  void stop_proxies(hosted_job& job);
  void fail_deploy(const wire_deploy& d, const std::string& why);
};

void task_host_impl::stop_proxies(hosted_job& job) {
  for (auto& [k, a] : job.out_proxies)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& [k, a] : job.in_proxies)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  job.out_proxies.clear();
  job.in_proxies.clear();
  job.tasks.clear();
}

void task_host_impl::fail_deploy(const wire_deploy& d, const std::string& why) {
  spate::log().error("TaskManager {}: cannot deploy job {}: {}", self_id, d.job_id, why);
  for (std::size_t c = 0; c < d.placement.size(); ++c)
    for (std::size_t s = 0; s < d.placement[c].size(); ++s)
      if (d.placement[c][s] == self_id) {
        auto chain = static_cast<std::int32_t>(c);
        auto subtask = static_cast<std::int32_t>(s);
        sink.send(jm, encode_message(frame_type::task_finished,
                                     wire_task_finished{d.job_id, d.attempt, chain, subtask, true,
                                                        "TaskManager '" + self_id +
                                                            "' cannot deploy the task: " + why}));
        sink.send(jm,
                  encode_message(frame_type::task_exited,
                                 wire_task_exited{d.job_id, d.attempt, chain, subtask, false, {}}));
      }
}

void task_host_impl::deploy(const frame& f) {
  auto d = transport::decode_payload<wire_deploy>(f);
  if (!is_job_id(d.job_id))
    throw error(errc::codec,
                "a deploy frame names job '" + d.job_id + "', not 32 hexadecimal digits");
  std::vector<std::pair<std::string, frame>> early;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!deploy_locked(d, early))
      return;
  }
  // Frames that came before the deployment (channel() takes the lock).
  for (auto& [from, fr] : early) {
    try {
      channel(from, fr);
    } catch (const std::exception& e) {
      spate::log().warn("TaskManager {}: {}", self_id, e.what());
    }
  }
}

bool task_host_impl::deploy_locked(const wire_deploy& d,
                                   std::vector<std::pair<std::string, frame>>& early) {
  if (released.count(d.job_id))
    return false;
  auto& job = jobs[d.job_id];
  if (d.attempt <= job.attempt) {
    spate::log().warn("TaskManager {}: ignored a stale deploy of job {} (attempt {} <= {})",
                      self_id, d.job_id, d.attempt, job.attempt);
    return false;
  }
  try {
    if (!job.rt) {
      configuration cfg;
      for (auto& [k, v] : d.config)
        cfg.set(k, v);
      auto graph = build(d.job_spec, cfg);
      auto rt = std::make_shared<job_runtime>();
      rt->job_id = d.job_id;
      init_runtime(*rt, std::move(graph), cfg, d.job_name, state_dir + "/job-" + d.job_id);
      job.rt = std::move(rt);
      auto& plan = job.rt->plan;
      const auto& g = job.rt->graph;
      job.channel_edge.assign(plan.chains.size(), {});
      for (std::size_t c = 0; c < plan.chains.size(); ++c)
        for (int e : plan.chains[c].in_edges) {
          int base = plan.channel_base(g, e);
          int n = plan.channels_per_target(g, e);
          auto& v = job.channel_edge[c];
          if (static_cast<int>(v.size()) < base + n)
            v.resize(base + n, -1);
          for (int i = 0; i < n; ++i)
            v[base + i] = e;
        }
      host_state hs;
      hs.rt = job.rt;
      hs.sink = &sink;
      hs.jm = jm;
      hs.live = job.live;
      auto host = sys.spawn(host_actor, std::move(hs));
      job.host = host;
      job.rt->master = host;
      job.rt->coordinator = host;
    }
    auto& rt = *job.rt;
    if (d.placement.size() != rt.plan.chains.size())
      throw error(errc::invalid_argument,
                  "the JobManager planned " + std::to_string(d.placement.size()) +
                      " tasks, this TaskManager " + std::to_string(rt.plan.chains.size()) +
                      " (do both run the same build of the job?)");
    for (std::size_t c = 0; c < d.placement.size(); ++c)
      if (static_cast<int>(d.placement[c].size()) != rt.plan.chains[c].parallelism)
        throw error(errc::invalid_argument,
                    "task '" + rt.plan.chains[c].name + "' has another parallelism here");
    // The previous attempt's tasks are gone (the JobManager waited for them).
    stop_proxies(job);
    job.attempt = d.attempt;
    job.placement = d.placement;
    {
      std::lock_guard<std::mutex> rl(rt.mu);
      rt.restore = d.restore_path.empty() ? nullptr : make_restore_point(d.restore_path);
    }
    caf::anon_send(job.host, attempt_atom::value, d.attempt);
    for (auto& [tm, address] : d.addresses)
      if (tm != self_id)
        sink.connect(tm, address);

    const auto& g = rt.graph;
    const auto& plan = rt.plan;
    auto out_proxy_for = [&](std::int32_t c, std::int32_t s, std::int32_t tc, std::int32_t ts) {
      key4 k{c, s, tc, ts};
      auto it = job.out_proxies.find(k);
      if (it != job.out_proxies.end())
        return it->second;
      const auto& peer = d.placement[tc][ts];
      auto a = spawn_out_proxy(
          sys, job.host, sink, peer,
          transport::channel_sender(
              transport::channel_head{d.job_id, d.attempt, c, s, tc, ts, 0, 0}, peer));
      job.out_proxies[k] = a;
      return a;
    };
    for (int c = static_cast<int>(plan.chains.size()) - 1; c >= 0; --c) {
      const auto& chain = plan.chains[c];
      for (int s = 0; s < chain.parallelism; ++s) {
        if (d.placement[c][s] != self_id)
          continue;
        std::vector<std::vector<channel_target>> targets;
        std::vector<caf::actor> proxies_here;
        for (int e : chain.out_edges) {
          int to_chain = plan.vertices[g.edges()[e].to.value()].chain;
          int base = plan.channel_base(g, e);
          std::vector<channel_target> ts;
          auto target = [&](int t) -> caf::actor {
            if (d.placement[to_chain][t] == self_id)
              return job.tasks.at({to_chain, t});
            auto a = out_proxy_for(c, s, to_chain, t);
            proxies_here.push_back(a);
            return a;
          };
          if (plan.edges[e].part == partitioning::forward) {
            ts.push_back({target(s), base});
          } else {
            for (int t = 0; t < plan.chains[to_chain].parallelism; ++t)
              ts.push_back({target(t), base + s});
          }
          targets.push_back(std::move(ts));
        }
        auto a = sys.spawn<task_actor>(&rt, c, s, std::move(targets));
        for (auto& p : proxies_here)
          caf::anon_send(p, task_atom::value, a);
        job.tasks[{c, s}] = a;
        job.live->fetch_add(1);
        caf::anon_send(job.host, watch_atom::value, a, static_cast<std::int32_t>(c),
                       static_cast<std::int32_t>(s), d.attempt);
      }
    }
  } catch (const std::exception& e) {
    // The attempt failed here: its channel frames are dropped (no placement),
    // and what was spawned of it goes.
    for (auto& [k, t] : job.tasks)
      caf::anon_send(t, cancel_atom::value);
    stop_proxies(job);
    job.attempt = d.attempt;
    job.placement.clear();
    job.early.clear();
    fail_deploy(d, e.what());
    return false;
  }
  spate::log().info("TaskManager {}: job {} attempt {}: {} task(s) deployed", self_id, d.job_id,
                    d.attempt, job.tasks.size());
  early = std::move(job.early);
  job.early.clear();
  job.early_bytes = 0;
  return true;
}

void task_host_impl::command(const frame& f) {
  auto m = transport::decode_payload<wire_task_command>(f);
  caf::actor task;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = jobs.find(m.job_id);
    if (it != jobs.end() && it->second.attempt == m.attempt) {
      auto t = it->second.tasks.find({m.chain, m.subtask});
      if (t != it->second.tasks.end())
        task = t->second;
    }
  }
  auto kind = static_cast<task_command_kind>(m.kind);
  if (!task) {
    // A task this TaskManager does not run (its deployment failed): it is gone.
    if (kind == task_command_kind::cancel)
      sink.send(
          jm, encode_message(frame_type::task_exited,
                             wire_task_exited{m.job_id, m.attempt, m.chain, m.subtask, false, {}}));
    return;
  }
  switch (kind) {
    case task_command_kind::start:
      caf::anon_send(task, start_atom::value);
      break;
    case task_command_kind::cancel:
      caf::anon_send(task, cancel_atom::value);
      break;
    case task_command_kind::complete:
      caf::anon_send(task, complete_atom::value, m.checkpoint_id);
      break;
    case task_command_kind::abort:
      caf::anon_send(task, abort_atom::value, m.checkpoint_id);
      break;
    default:
      throw error(errc::codec, "unknown task command " + std::to_string(m.kind));
  }
}

void task_host_impl::trigger(const frame& f) {
  auto m = transport::decode_payload<wire_trigger>(f);
  caf::actor task;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = jobs.find(m.job_id);
    if (it == jobs.end() || it->second.attempt != m.attempt)
      return;
    auto t = it->second.tasks.find({m.chain, m.subtask});
    if (t == it->second.tasks.end())
      return;
    task = t->second;
  }
  caf::anon_send(task, checkpoint_trigger{m.id, m.savepoint, m.stop, m.drain, m.savepoint_dir});
}

void task_host_impl::channel(const std::string& from, frame& f) {
  std::size_t offset = 0;
  auto head = transport::decode_channel_head(f, offset);
  if (!is_job_id(head.job_id))
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' names job '" + head.job_id +
                                 "', not 32 hexadecimal digits");
  std::lock_guard<std::mutex> lock(mu);
  if (released.count(head.job_id))
    return;
  if (!jobs.count(head.job_id) && jobs.size() >= max_jobs)
    throw error(errc::io, "a " + std::string(transport::to_string(f.type)) + " frame from '" +
                              from + "' names unknown job " + head.job_id);
  auto& job = jobs[head.job_id];
  if (head.attempt < job.attempt)
    return; // a previous attempt's: its tasks are gone
  if (head.attempt > job.attempt || !job.rt) {
    if (job.early.size() >= max_early || job.early_bytes + f.payload.size() > max_early_bytes)
      throw error(errc::io, "too many frames for job " + head.job_id + " before its deployment");
    job.early_bytes += f.payload.size();
    job.early.emplace_back(from, std::move(f));
    return;
  }
  if (job.placement.size() != job.rt->plan.chains.size())
    return; // this attempt's deployment failed here
  const auto& plan = job.rt->plan;
  auto valid = [&](std::int32_t c, std::int32_t s) {
    return c >= 0 && c < static_cast<std::int32_t>(plan.chains.size()) && s >= 0 &&
           s < plan.chains[c].parallelism;
  };
  if (!valid(head.from_chain, head.from_subtask) || !valid(head.to_chain, head.to_subtask))
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' names a task job " + head.job_id + " does not have");
  // Only the TaskManager that runs the sending task may speak for it.
  const auto& sender_tm = job.placement[head.from_chain][head.from_subtask];
  if (from != sender_tm)
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' claims to come from a task that runs on '" + sender_tm +
                                 "'");
  if (f.type == frame_type::credit) {
    // from = the receiving task over there, to = our sender.
    auto it = job.out_proxies.find(
        key4{head.to_chain, head.to_subtask, head.from_chain, head.from_subtask});
    if (it != job.out_proxies.end())
      caf::anon_send(it->second, credit_atom::value, head.channel, head.seq);
    return;
  }
  if (job.placement[head.to_chain][head.to_subtask] != self_id)
    throw error(errc::codec, "TaskManager '" + from + "' sent a frame for a task that runs on '" +
                                 job.placement[head.to_chain][head.to_subtask] + "'");
  key4 k{head.from_chain, head.from_subtask, head.to_chain, head.to_subtask};
  auto it = job.in_proxies.find(k);
  if (it == job.in_proxies.end()) {
    auto task = job.tasks.find({head.to_chain, head.to_subtask});
    if (task == job.tasks.end())
      return;
    const auto& peer = job.placement[head.from_chain][head.from_subtask];
    std::vector<batch_factory> factories;
    const auto& edges = job.rt->graph.edges();
    for (int e : job.channel_edge[head.to_chain])
      factories.push_back(e >= 0 ? edges[e].make_batch : batch_factory());
    auto a = spawn_in_proxy(
        sys, task->second, job.host, sink, peer,
        transport::channel_receiver(
            transport::channel_head{head.job_id, head.attempt, head.to_chain, head.to_subtask,
                                    head.from_chain, head.from_subtask, 0, 0},
            std::move(factories), peer));
    it = job.in_proxies.emplace(k, a).first;
  }
  channel_frame_msg m;
  m.is_data = f.type == frame_type::data;
  m.payload = std::make_shared<const std::string>(std::move(f.payload));
  m.offset = offset;
  m.channel = head.channel;
  m.sender_channel = head.sender_channel;
  m.seq = head.seq;
  caf::anon_send(it->second, std::move(m));
}

void task_host_impl::release(const frame& f) {
  auto m = transport::decode_payload<wire_release>(f);
  std::lock_guard<std::mutex> lock(mu);
  if (released.size() > 10000)
    released.clear();
  released.insert(m.job_id);
  auto it = jobs.find(m.job_id);
  if (it == jobs.end())
    return;
  auto& job = it->second;
  for (auto& [k, t] : job.tasks)
    caf::anon_send(t, cancel_atom::value); // none should be left
  stop_proxies(job);
  if (job.host)
    caf::anon_send(job.host, release_atom::value);
  jobs.erase(it);
}

} // namespace detail

task_host::task_host(caf::actor_system& system, transport::frame_sink& sink, std::string self_id,
                     std::string jobmanager_id, std::string state_dir, graph_builder build)
    : impl_(new detail::task_host_impl{system,
                                       sink,
                                       std::move(self_id),
                                       std::move(jobmanager_id),
                                       std::move(state_dir),
                                       std::move(build),
                                       {},
                                       {},
                                       {}}) {}

task_host::~task_host() {
  // Every job is over for this process: its actors quit once their tasks did.
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, job] : impl_->jobs) {
    for (auto& [k, t] : job.tasks)
      caf::anon_send(t, detail::cancel_atom::value);
    impl_->stop_proxies(job);
    if (job.host)
      caf::anon_send(job.host, detail::release_atom::value);
  }
  impl_->jobs.clear();
}

bool task_host::on_frame(const std::string& from, frame& f) {
  switch (f.type) {
    case frame_type::deploy:
      impl_->deploy(f);
      return true;
    case frame_type::task_command:
      impl_->command(f);
      return true;
    case frame_type::trigger_checkpoint:
      impl_->trigger(f);
      return true;
    case frame_type::data:
    case frame_type::control:
    case frame_type::credit:
      impl_->channel(from, f);
      return true;
    case frame_type::release_job:
      impl_->release(f);
      return true;
    default:
      return false;
  }
}

void task_host::cancel_all(const std::string& reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (auto& [id, job] : impl_->jobs) {
    if (job.host && !job.tasks.empty())
      caf::anon_send(job.host, detail::fail_atom::value,
                     "TaskManager '" + impl_->self_id + "' cancelled the task: " + reason);
    for (auto& [k, t] : job.tasks) {
      caf::anon_send(t, detail::cancel_atom::value);
      ++n;
    }
  }
  if (n > 0)
    spate::log().warn("TaskManager {}: cancelled {} task(s): {}", impl_->self_id, n, reason);
}

void task_host::report_metrics() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, job] : impl_->jobs) {
    if (!job.rt || job.tasks.empty())
      continue;
    detail::wire_metrics m;
    m.job_id = id;
    m.attempt = job.attempt;
    for (auto& [k, t] : job.tasks) {
      auto& c = *job.rt->counters[k.first][k.second];
      m.tasks.emplace_back(k.first, k.second, c.records_in.load(), c.records_out.load());
    }
    {
      std::lock_guard<std::mutex> cl(job.rt->counters_mu);
      for (auto& [name, value] : job.rt->named_counters)
        m.counters[name] = value->load();
    }
    impl_->sink.send(impl_->jm, encode_message(frame_type::metrics, m));
  }
}

void task_host::forget_idle_jobs() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto it = impl_->jobs.begin(); it != impl_->jobs.end();) {
    auto& job = it->second;
    if (job.live->load() == 0) {
      impl_->stop_proxies(job);
      if (job.host)
        caf::anon_send(job.host, detail::release_atom::value);
      it = impl_->jobs.erase(it);
    } else {
      ++it;
    }
  }
}

int task_host::running_tasks() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (auto& [id, job] : impl_->jobs)
    n += job.live->load();
  return n;
}

} // namespace spate
