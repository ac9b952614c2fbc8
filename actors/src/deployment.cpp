// Tasks in other processes, the JobManager side: the proxies that stand in
// for remote tasks toward the job's master and coordinator, and the routing
// of what TaskManagers report (job_client::deliver).
#include "spate/actors/remote.hpp"

#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "runtime.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "wire.hpp"

namespace spate {

using transport::encode_message;
using transport::frame;
using transport::frame_type;

namespace {

bool job_scoped(frame_type t) {
  switch (t) {
    case frame_type::deploy:
    case frame_type::task_command:
    case frame_type::trigger_checkpoint:
    case frame_type::acknowledge_checkpoint:
    case frame_type::decline_checkpoint:
    case frame_type::task_finished:
    case frame_type::task_exited:
    case frame_type::metrics:
    case frame_type::release_job:
    case frame_type::data:
    case frame_type::credit:
    case frame_type::control:
      return true;
    default:
      return false;
  }
}

} // namespace

std::string frame_job_id(const frame& f) {
  if (!job_scoped(f.type))
    return {};
  try {
    std::size_t offset = 0;
    auto oh = unpack_checked(f.payload.data(), f.payload.size(), offset);
    const auto& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size == 0 ||
        o.via.array.ptr[0].type != msgpack::type::STR)
      return {};
    return o.via.array.ptr[0].as<std::string>();
  } catch (const std::exception&) {
    // Undecodable: "" as documented, and the caller refuses the frame as
    // errc::codec, naming its type and sender.
    return {};
  }
}

namespace detail {

void check_network_edges(const job_runtime& rt) {
  const auto& g = rt.graph;
  for (std::size_t e = 0; e < g.edges().size(); ++e) {
    if (rt.plan.edges[e].chained)
      continue;
    const auto& edge = g.edges()[e];
    auto where =
        "the edge from '" + g.vertex(edge.from).name + "' to '" + g.vertex(edge.to).name + "'";
    if (!edge.make_batch)
      throw error(errc::invalid_argument, where + " has no record type for the network");
    try {
      std::string probe;
      edge.make_batch()->encode_to(probe);
    } catch (const error& x) {
      throw error(errc::invalid_argument, where + " crosses processes, but " + x.what());
    }
  }
}

// ---------------------------------------------------------------------------
// JobManager side

namespace {

caf::behavior remote_task_proxy(caf::event_based_actor* self, job_runtime* rt,
                                attempt_number attempt, std::int32_t chain, subtask_index subtask,
                                std::string tm) {
  auto command = [rt, attempt, chain, subtask, tm](task_command_kind k, checkpoint_id id) {
    rt->remote->sink().send(tm,
                            encode_message(frame_type::task_command,
                                           wire_task_command{rt->job_id, attempt, chain, subtask,
                                                             static_cast<std::int32_t>(k), id}));
  };
  return {
      [command](start_atom) { command(task_command_kind::start, checkpoint_id{0}); },
      [command](cancel_atom) { command(task_command_kind::cancel, checkpoint_id{0}); },
      [command](complete_atom, checkpoint_id id) { command(task_command_kind::complete, id); },
      [command](abort_atom, checkpoint_id id) { command(task_command_kind::abort, id); },
      [rt, attempt, chain, subtask, tm](const checkpoint_trigger& m) {
        rt->remote->sink().send(
            tm, encode_message(frame_type::trigger_checkpoint,
                               wire_trigger{rt->job_id, attempt, chain, subtask, m.id, m.savepoint,
                                            m.stop, m.drain, m.savepoint_dir}));
      },
      [self](exited_atom, bool abnormal, const std::string& reason) {
        if (abnormal)
          self->quit(caf::make_error(caf::sec::runtime_error, reason));
        else
          self->quit();
      },
  };
}

} // namespace

std::vector<std::vector<caf::actor>> deploy_remote(caf::actor_system& sys, job_runtime* rt,
                                                   const task_assignment& placed) {
  attempt_number attempt;
  std::vector<std::vector<caf::actor>> proxies(rt->plan.chains.size());
  {
    // The proxies exist before any frame of the attempt can come back.
    std::lock_guard<std::mutex> lock(rt->mu);
    attempt = rt->attempt = attempt_number{rt->attempt.value() + 1};
    rt->assignment = placed;
    for (std::size_t c = 0; c < rt->plan.chains.size(); ++c)
      for (int s = 0; s < rt->plan.chains[c].parallelism; ++s)
        proxies[c].push_back(sys.spawn(remote_task_proxy, rt, attempt, static_cast<std::int32_t>(c),
                                       subtask_index{s}, placed.taskmanager.at(c).at(s)));
    rt->proxies = proxies;
  }
  auto restore = rt->restore_from();
  wire_deploy d{rt->job_id,
                attempt,
                rt->job_name,
                rt->remote->job_spec(),
                rt->config.entries(),
                restore ? restore->path : std::string(),
                placed.taskmanager,
                placed.addresses,
                {}};
  std::set<std::string> used;
  for (auto& chain : placed.taskmanager)
    used.insert(chain.begin(), chain.end());
  auto& sink = rt->remote->sink();
  for (auto& tm : used) {
    auto key = sink.public_key(tm);
    if (!key.empty())
      d.keys[tm] = std::move(key);
  }
  auto bytes = encode_message(frame_type::deploy, d);
  for (auto& tm : used) {
    sink.connect(tm, placed.addresses.at(tm));
    sink.send(tm, bytes);
  }
  spate::log().info("job {} ({}) attempt {} deployed on {} TaskManager(s)", rt->job_name,
                    rt->job_id, attempt, used.size());
  return proxies;
}

void forget_attempt(job_runtime* rt) {
  std::lock_guard<std::mutex> lock(rt->mu);
  rt->proxies.clear(); // the assignment stays: the REST API shows where tasks ran
}

} // namespace detail

void job_client::deliver(const std::string& taskmanager, const frame& f) {
  using namespace detail;
  auto& rt = *rt_;
  auto current = [&](attempt_number attempt) {
    std::lock_guard<std::mutex> lock(rt.mu);
    return attempt == rt.attempt;
  };
  auto check_task = [&](std::int32_t chain, subtask_index index) {
    auto subtask = index.value();
    if (chain < 0 || chain >= static_cast<std::int32_t>(rt.plan.chains.size()) || subtask < 0 ||
        subtask >= rt.plan.chains[chain].parallelism)
      throw error(errc::codec, "TaskManager '" + taskmanager + "' named task " +
                                   std::to_string(chain) + "/" + std::to_string(subtask) +
                                   " that job " + rt.job_id + " does not have");
  };
  // Only the TaskManager a task was placed on speaks for it (in the current
  // attempt; older attempts' frames are dropped anyway).
  auto check_sender = [&](const char* what, std::int32_t chain, subtask_index subtask) {
    std::lock_guard<std::mutex> lock(rt.mu);
    const auto& placed = rt.assignment.taskmanager;
    const auto& runs_on = placed.at(chain).at(subtask.value());
    if (runs_on != taskmanager)
      throw error(errc::codec, "TaskManager '" + taskmanager + "' sent " + what + " for task " +
                                   std::to_string(chain) + "/" + std::to_string(subtask.value()) +
                                   " of job " + rt.job_id + ", which runs on '" + runs_on +
                                   "': refused");
  };
  switch (f.type) {
    case frame_type::task_finished: {
      auto m = transport::decode_payload<wire_task_finished>(f);
      check_task(m.chain, m.subtask);
      if (current(m.attempt))
        check_sender("the end of a task", m.chain, m.subtask);
      if (current(m.attempt))
        caf::anon_send(rt.master, task_done_msg{m.chain, m.subtask, m.failed, m.cause, m.fatal});
      return;
    }
    case frame_type::task_exited: {
      auto m = transport::decode_payload<wire_task_exited>(f);
      check_task(m.chain, m.subtask);
      if (current(m.attempt))
        check_sender("the exit of a task", m.chain, m.subtask);
      caf::actor proxy;
      {
        std::lock_guard<std::mutex> lock(rt.mu);
        if (m.attempt != rt.attempt || rt.proxies.size() <= static_cast<std::size_t>(m.chain))
          return;
        proxy = rt.proxies[m.chain][m.subtask.value()];
      }
      caf::anon_send(proxy, exited_atom::value, m.abnormal, m.reason);
      return;
    }
    case frame_type::acknowledge_checkpoint: {
      auto m = transport::decode_payload<wire_ack>(f);
      check_task(m.chain, m.subtask);
      if (current(m.attempt))
        check_sender("a checkpoint acknowledgement", m.chain, m.subtask);
      auto snap = std::make_shared<subtask_snapshot>();
      snap->chain = m.chain;
      snap->subtask = m.subtask;
      snap->id = m.id;
      snap->operators = std::move(m.operators);
      snap->sync_ms = m.sync_ms;
      snap->async_ms = m.async_ms;
      snap->alignment_ms = m.alignment_ms;
      snap->bytes = m.bytes;
      snap->finished = m.finished;
      if (current(m.attempt))
        caf::anon_send(rt.coordinator, ack_msg{std::move(snap)});
      return;
    }
    case frame_type::decline_checkpoint: {
      auto m = transport::decode_payload<wire_decline>(f);
      if (current(m.attempt))
        caf::anon_send(rt.coordinator, decline_msg{m.id, m.reason, m.counts});
      return;
    }
    case frame_type::metrics: {
      auto m = transport::decode_payload<wire_metrics>(f);
      if (!current(m.attempt))
        return; // a previous attempt's tasks
      for (auto& [chain, subtask, in, out] : m.tasks) {
        check_task(chain, subtask_index{subtask});
        rt.counters[chain][subtask]->records_in.store(in, std::memory_order_relaxed);
        rt.counters[chain][subtask]->records_out.store(out, std::memory_order_relaxed);
      }
      for (auto& w : m.subtasks)
        check_task(w.chain, subtask_index{w.subtask});
      const auto now_wall = rt.clk->wall_ms();
      std::lock_guard<std::mutex> lock(rt.counters_mu);
      rt.remote_counters[taskmanager] = std::move(m.counters);
      for (auto& w : m.subtasks)
        rt.reported[w.chain][w.subtask] = from_wire(w, rt.plan.chains[w.chain].name, now_wall);
      return;
    }
    default:
      throw error(errc::codec, std::string("a ") + transport::to_string(f.type) +
                                   " frame is not for a job's JobManager");
  }
}

void job_client::taskmanager_lost(const std::string& taskmanager, const std::string& reason) {
  using namespace detail;
  std::vector<caf::actor> lost;
  {
    std::lock_guard<std::mutex> lock(rt_->mu);
    for (std::size_t c = 0; c < rt_->assignment.taskmanager.size() && c < rt_->proxies.size(); ++c)
      for (std::size_t s = 0; s < rt_->assignment.taskmanager[c].size(); ++s)
        if (rt_->assignment.taskmanager[c][s] == taskmanager)
          lost.push_back(rt_->proxies[c][s]);
  }
  if (lost.empty())
    return;
  caf::anon_send(rt_->master, fail_atom::value, reason);
  for (auto& p : lost)
    caf::anon_send(p, exited_atom::value, true, reason);
}

} // namespace spate
