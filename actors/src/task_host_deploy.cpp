// Deploying a job's tasks on this TaskManager: its runtime and graph on the
// first deploy frame, then per attempt the local tasks (downstream first), the
// out proxies toward tasks elsewhere, and the frames that arrived early.
#include <algorithm>
#include <filesystem>

#include "channel_proxies.hpp"
#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "task_actor.hpp"
#include "task_host_impl.hpp"

namespace spate::detail {

namespace {
//! Batches in flight per channel between tasks in different processes
//! (default: 16, or buffers-per-channel when that is more).
constexpr const char* remote_buffers_per_channel =
    "taskmanager.network.memory.remote-buffers-per-channel";
} // namespace

using transport::encode_message;
using transport::frame;
using transport::frame_type;

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
        auto subtask = subtask_index{static_cast<std::int32_t>(s)};
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
      auto host = spawn_host_actor(sys, job.rt, sink, jm, job.live, cancellation_timeout);
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
    // The JobManager vouches for the keys of the job's TaskManagers (CURVE):
    // they may send here under those names, and connections to them expect
    // them. Only the JobManager's own key is not the deployment's to change.
    for (auto& [tm, key] : d.keys)
      if (tm != self_id && tm != jm)
        sink.trust(tm, key);
    for (auto& [tm, address] : d.addresses)
      if (tm != self_id && tm != jm) // the JobManager's link is not the deployment's to move
        sink.connect(tm, address);

    const auto& g = rt.graph;
    const auto& plan = rt.plan;
    // Batches in flight per channel to another process: its credits come
    // back through both processes' I/O threads, so the window of a local
    // channel (buffers-per-channel) would leave the sender waiting.
    const int remote_credits = static_cast<int>(rt.config.get_int(
        remote_buffers_per_channel, std::max(16, rt.credits_per_channel), 1, 1 << 20));
    out_proxy_options proxy_options;
    proxy_options.extra_credits = std::max(0, remote_credits - rt.credits_per_channel);
    proxy_options.min_batch = rt.batch_size;
    proxy_options.max_batch = rt.remote_batch_size;
    proxy_options.frame_bytes = rt.segment_size;
    auto out_proxy_for = [&](std::int32_t c, std::int32_t s, std::int32_t tc, std::int32_t ts) {
      key4 k{c, s, tc, ts};
      auto it = job.out_proxies.find(k);
      if (it != job.out_proxies.end())
        return it->second;
      const auto& peer = d.placement[tc][ts];
      auto a = spawn_out_proxy(
          sys, job.host, sink, peer,
          transport::channel_sender(transport::channel_head{d.job_id, d.attempt, c,
                                                            subtask_index{s}, tc, subtask_index{ts},
                                                            channel_index{0}, channel_index{0}},
                                    peer),
          std::shared_ptr<task_counters>(job.rt, rt.counters[c][s].get()), proxy_options);
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
            ts.push_back({target(s), channel_index{base}});
          } else {
            for (int t = 0; t < plan.chains[to_chain].parallelism; ++t)
              ts.push_back({target(t), channel_index{base + s}});
          }
          targets.push_back(std::move(ts));
        }
        auto a = sys.spawn<task_actor>(&rt, c, subtask_index{s}, std::move(targets));
        for (auto& p : proxies_here)
          caf::anon_send(p, task_atom::value, a);
        job.tasks[{c, s}] = a;
        job.live->fetch_add(1);
        caf::anon_send(job.host, watch_atom::value, a, static_cast<std::int32_t>(c),
                       subtask_index{s}, d.attempt);
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
    clear_early(job);
    fail_deploy(d, e.what());
    return false;
  }
  spate::log().info("TaskManager {}: job {} attempt {}: {} task(s) deployed", self_id, d.job_id,
                    d.attempt, job.tasks.size());
  early = std::move(job.early);
  clear_early(job);
  return true;
}

} // namespace spate::detail
