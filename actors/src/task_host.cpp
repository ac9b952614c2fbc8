// Tasks in other processes, the TaskManager side: task_host routes the frames
// of the jobs hosted here (commands, checkpoint triggers, channel frames,
// releases) to their tasks and proxies. Deployment is in task_host_deploy.cpp,
// the host actor that reports to the JobManager in host_actor.cpp.
#include "spate/actors/remote.hpp"

#include "channel_proxies.hpp"
#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "task_host_impl.hpp"
#include "wire.hpp"

namespace spate {

using transport::encode_message;
using transport::frame;
using transport::frame_type;

namespace detail {

void task_host_impl::command(const frame& f) {
  auto m = transport::decode_payload<wire_task_command>(f);
  caf::actor task, host;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = jobs.find(m.job_id);
    if (it != jobs.end() && it->second.attempt == m.attempt) {
      auto t = it->second.tasks.find({m.chain, m.subtask.value()});
      if (t != it->second.tasks.end())
        task = t->second;
      host = it->second.host;
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
      // Through the host actor: it watches that the task really stops.
      caf::anon_send(host, cancel_atom::value, task);
      break;
    case task_command_kind::complete:
      caf::anon_send(task, complete_atom::value, m.checkpoint);
      break;
    case task_command_kind::abort:
      caf::anon_send(task, abort_atom::value, m.checkpoint);
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
    auto t = it->second.tasks.find({m.chain, m.subtask.value()});
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
    const auto l = transport::limits();
    const auto now = std::chrono::steady_clock::now();
    const std::size_t cost = f.payload.size() + early_overhead;
    auto mine = job.early_by_sender.find(from);
    const std::size_t held = mine == job.early_by_sender.end() ? 0 : mine->second;
    if (held + cost > l.early_bytes_per_sender || early_total + cost > l.early_bytes) {
      ++early_dropped;
      if (early_warned.insert(from).second)
        spate::log().warn(
            "TaskManager {}: dropped frames from '{}' for job {}, not deployed here: {} bytes "
            "from it wait (mesh.early-frames.max-bytes-per-sender {}), {} from all "
            "(mesh.early-frames.max-bytes {}); logged once per sender",
            self_id, from, head.job_id, held, l.early_bytes_per_sender, early_total, l.early_bytes);
      if (!job.rt && job.early.empty() && !job.host)
        jobs.erase(head.job_id); // nothing kept for it
      return;
    }
    if (job.early.empty())
      job.early_since = now;
    job.early_bytes += cost;
    job.early_by_sender[from] = held + cost;
    early_total += cost;
    job.early.emplace_back(from, std::move(f));
    expire_early(now, l.early_timeout_ms);
    return;
  }
  if (job.placement.size() != job.rt->plan.chains.size())
    return; // this attempt's deployment failed here
  const auto& plan = job.rt->plan;
  const std::int32_t from_subtask = head.from_subtask.value();
  const std::int32_t to_subtask = head.to_subtask.value();
  auto valid = [&](std::int32_t c, std::int32_t s) {
    return c >= 0 && c < static_cast<std::int32_t>(plan.chains.size()) && s >= 0 &&
           s < plan.chains[c].parallelism;
  };
  if (!valid(head.from_chain, from_subtask) || !valid(head.to_chain, to_subtask))
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' names a task job " + head.job_id + " does not have");
  // Only the TaskManager that runs the sending task may speak for it.
  const auto& sender_tm = job.placement[head.from_chain][from_subtask];
  if (from != sender_tm)
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' claims to come from a task that runs on '" + sender_tm +
                                 "'");
  if (f.type == frame_type::credit) {
    // from = the receiving task over there, to = our sender.
    auto it = job.out_proxies.find(key4{head.to_chain, to_subtask, head.from_chain, from_subtask});
    if (it != job.out_proxies.end())
      caf::anon_send(it->second, credit_atom::value, head.channel, head.seq);
    return;
  }
  if (job.placement[head.to_chain][to_subtask] != self_id)
    throw error(errc::codec, "TaskManager '" + from + "' sent a frame for a task that runs on '" +
                                 job.placement[head.to_chain][to_subtask] + "'");
  key4 k{head.from_chain, from_subtask, head.to_chain, to_subtask};
  auto it = job.in_proxies.find(k);
  if (it == job.in_proxies.end()) {
    auto task = job.tasks.find({head.to_chain, to_subtask});
    if (task == job.tasks.end())
      return;
    const auto& peer = job.placement[head.from_chain][from_subtask];
    std::vector<batch_factory> factories;
    const auto& edges = job.rt->graph.edges();
    for (int e : job.channel_edge[head.to_chain])
      factories.push_back(e >= 0 ? edges[e].make_batch : batch_factory());
    auto a = spawn_in_proxy(
        sys, task->second, job.host, sink, peer,
        transport::channel_receiver(transport::channel_head{head.job_id, head.attempt,
                                                            head.to_chain, head.to_subtask,
                                                            head.from_chain, head.from_subtask,
                                                            channel_index{0}, channel_index{0}},
                                    std::move(factories), peer),
        std::shared_ptr<task_counters>(job.rt, job.rt->counters[head.to_chain][to_subtask].get()));
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

void task_host_impl::clear_early(hosted_job& job) {
  early_total -= std::min(early_total, job.early_bytes);
  job.early.clear();
  job.early_by_sender.clear();
  job.early_bytes = 0;
}

void task_host_impl::expire_early(std::chrono::steady_clock::time_point now,
                                  std::int64_t timeout_ms) {
  for (auto it = jobs.begin(); it != jobs.end();) {
    auto& job = it->second;
    if (job.early.empty() || now - job.early_since < std::chrono::milliseconds(timeout_ms)) {
      ++it;
      continue;
    }
    early_dropped += job.early.size();
    spate::log().warn("TaskManager {}: dropped {} frame(s) for job {}: no deploy came within {} "
                      "ms (mesh.early-frames.timeout)",
                      self_id, job.early.size(), it->first, timeout_ms);
    clear_early(job);
    if (!job.rt && !job.host && job.tasks.empty())
      it = jobs.erase(it);
    else
      ++it;
  }
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
  clear_early(job);
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
                                       std::chrono::milliseconds(180000),
                                       {},
                                       {},
                                       {},
                                       0,
                                       0,
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

namespace {

//! Cancels a job's tasks here; the host reports their ends as failures.
int fail_job(detail::hosted_job& job, const std::string& self_id, const std::string& reason) {
  if (job.host && !job.tasks.empty())
    caf::anon_send(job.host, detail::fail_atom::value,
                   "TaskManager '" + self_id + "' cancelled the task: " + reason);
  for (auto& [k, t] : job.tasks)
    caf::anon_send(job.host, detail::cancel_atom::value, t);
  return static_cast<int>(job.tasks.size());
}

bool uses(const detail::hosted_job& job, const std::string& peer) {
  for (auto& chain : job.placement)
    for (auto& tm : chain)
      if (tm == peer)
        return true;
  return false;
}

} // namespace

void task_host::cancel_all(const std::string& reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (auto& [id, job] : impl_->jobs)
    n += fail_job(job, impl_->self_id, reason);
  if (n > 0)
    spate::log().warn("TaskManager {}: cancelled {} task(s): {}", impl_->self_id, n, reason);
}

std::set<std::string> task_host::data_peers() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::set<std::string> peers;
  for (auto& [id, job] : impl_->jobs) {
    if (job.tasks.empty())
      continue;
    for (auto& chain : job.placement)
      for (auto& tm : chain)
        if (tm != impl_->self_id)
          peers.insert(tm);
  }
  return peers;
}

int task_host::fail_jobs_with(const std::string& peer, const std::string& reason) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (auto& [id, job] : impl_->jobs)
    if (!job.tasks.empty() && uses(job, peer))
      n += fail_job(job, impl_->self_id, reason);
  if (n > 0)
    spate::log().warn("TaskManager {}: cancelled {} task(s): {}", impl_->self_id, n, reason);
  return n;
}

void task_host::report_metrics() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Once a heartbeat interval: frames for jobs whose deploy never came go.
  impl_->expire_early(std::chrono::steady_clock::now(), transport::limits().early_timeout_ms);
  for (auto& [id, job] : impl_->jobs) {
    if (!job.rt || job.tasks.empty())
      continue;
    detail::wire_metrics m;
    m.job_id = id;
    m.attempt = job.attempt;
    const auto now_ns = job.rt->clk->monotonic_ns();
    const auto wall = job.rt->clk->wall_ms();
    for (auto& [k, t] : job.tasks) {
      auto& c = *job.rt->counters[k.first][k.second];
      m.tasks.emplace_back(k.first, k.second, c.records_in.load(), c.records_out.load());
      m.subtasks.push_back(
          detail::to_wire(detail::read_subtask(*job.rt, k.first, k.second, now_ns, wall)));
    }
    m.counters = job.rt->sum_named();
    impl_->sink.send(impl_->jm, encode_message(frame_type::metrics, m));
  }
}

std::vector<task_host::subtask_counters> task_host::task_counters() const {
  std::vector<subtask_counters> out;
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, job] : impl_->jobs) {
    if (!job.rt)
      continue;
    const auto now_ns = job.rt->clk->monotonic_ns();
    const auto wall = job.rt->clk->wall_ms();
    for (auto& [k, t] : job.tasks) {
      auto& c = *job.rt->counters[k.first][k.second];
      out.push_back({id, job.rt->job_name, k.first, job.rt->plan.chains[k.first].name, k.second,
                     c.records_in.load(), c.records_out.load(),
                     detail::read_subtask(*job.rt, k.first, k.second, now_ns, wall)});
    }
  }
  return out;
}

void task_host::forget_idle_jobs() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto it = impl_->jobs.begin(); it != impl_->jobs.end();) {
    auto& job = it->second;
    if (job.live->load() == 0) {
      impl_->clear_early(job);
      impl_->stop_proxies(job);
      if (job.host)
        caf::anon_send(job.host, detail::release_atom::value);
      it = impl_->jobs.erase(it);
    } else {
      ++it;
    }
  }
}

void task_host::set_cancellation_timeout(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->cancellation_timeout = timeout;
}

int task_host::running_tasks() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (auto& [id, job] : impl_->jobs)
    n += job.live->load();
  return n;
}

} // namespace spate
