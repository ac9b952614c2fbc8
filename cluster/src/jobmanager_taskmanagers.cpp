// The JobManager's side of its TaskManagers: registrations, heartbeats both
// ways (a TaskManager silent past heartbeat.timeout is lost and its jobs
// restart), and the slot pool the jobs' deployments take slots from.
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "jobmanager.hpp"
#include "messages.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/core/process_stats.hpp"

namespace spate::cluster_detail {

std::optional<task_assignment> jobmanager::place(const std::string& job_id,
                                                 const std::vector<int>& parallelism,
                                                 std::string& why) {
  int need = 0;
  for (int p : parallelism)
    need = std::max(need, p);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, int>> free;
  int total = 0;
  for (auto& [id, tm] : taskmanagers_) {
    int used = 0;
    for (auto& [job, n] : tm.used)
      used += n;
    if (tm.slots - used > 0) {
      free.emplace_back(id, tm.slots - used);
      total += tm.slots - used;
    }
  }
  if (total < need) {
    why = "waiting for " + std::to_string(need) + " task slot(s), " + std::to_string(total) +
          " free on " + std::to_string(taskmanagers_.size()) + " TaskManager(s)";
    return std::nullopt;
  }
  // Spread subtasks over TaskManagers, one slot each, round robin.
  std::vector<std::string> slot_of(need);
  std::size_t next = 0;
  for (int s = 0; s < need; ++s) {
    while (free[next % free.size()].second == 0)
      ++next;
    auto& f = free[next % free.size()];
    slot_of[s] = f.first;
    --f.second;
    ++taskmanagers_[f.first].used[job_id];
    ++next;
  }
  task_assignment a;
  for (int p : parallelism) {
    std::vector<std::string> row;
    for (int s = 0; s < p; ++s) {
      row.push_back(slot_of[s]);
      a.addresses[slot_of[s]] = taskmanagers_[slot_of[s]].address;
    }
    a.taskmanager.push_back(std::move(row));
  }
  return a;
}

void jobmanager::release(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, tm] : taskmanagers_)
    tm.used.erase(job_id);
}

void jobmanager::lose(const std::string& tm, const std::string& reason) {
  std::vector<std::shared_ptr<job_client>> affected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!taskmanagers_.erase(tm))
      return;
    heartbeats_.forget(tm);
    for (auto& [id, job] : jobs_)
      if (job.client)
        affected.push_back(job.client);
  }
  spate::log().warn("{}", reason);
  ep_->disconnect(tm);
  for (auto& c : affected)
    c->taskmanager_lost(tm, reason);
}

void jobmanager::on_frame(const std::string& from, transport::frame&& f) {
  using transport::frame_type;
  switch (f.type) {
    case frame_type::register_taskmanager:
      on_register(from, f);
      return;
    case frame_type::heartbeat:
      on_heartbeat(from, f);
      return;
    case frame_type::disconnect: {
      auto m = transport::decode_payload<wire_disconnect>(f);
      lose(from, "TaskManager '" + from + "' " + (m.reason.empty() ? "shut down" : m.reason));
      return;
    }
    default: {
      // Job frames come from registered TaskManagers only: anyone else's are
      // dropped before a byte of them is decoded, and what is decoded (the
      // job's id, first) is checked against the mesh limits unbuilt.
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!taskmanagers_.count(from))
          throw error(errc::codec, std::string("a ") + transport::to_string(f.type) +
                                       " frame from '" + from +
                                       "', which is not a registered TaskManager");
      }
      const std::string what = std::string(transport::to_string(f.type)) + " frame";
      (void)check_untrusted(f.payload.data(), f.payload.size(), 0, transport::limits().decode,
                            what.c_str());
      if (f.type == frame_type::query_rows || f.type == frame_type::query_reset)
        on_query_frame(from, std::move(f));
      else
        on_job_frame(from, std::move(f));
      return;
    }
  }
}

void jobmanager::on_gap(const std::string& from, const std::string& what) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!taskmanagers_.count(from))
      return;
  }
  // A lost acknowledgement, task end or exit would leave a job waiting for
  // ever: what this JobManager believes of the TaskManager's tasks cannot be
  // trusted. Its next heartbeat finds it unknown: it cancels its tasks and
  // registers again.
  lose(from, "TaskManager '" + from + "' is treated as lost: " + what);
}

void jobmanager::on_register(const std::string& from, const transport::frame& f) {
  using transport::frame_type;
  auto m = transport::decode_payload<wire_register>(f);
  // The JobManager's own name is not a TaskManager's: deployments would
  // point every TaskManager's link to the JobManager at the registrant.
  if (m.id != from || m.id == jobmanager_id || m.slots < 1 || m.address.empty()) {
    spate::log().warn("JobManager: refused a registration from '{}' (id '{}', {} slots)", from,
                      m.id, m.slots);
    return;
  }
  bool restarted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = taskmanagers_.find(m.id);
    restarted =
        it != taskmanagers_.end() && (it->second.pid != m.pid || it->second.address != m.address);
  }
  if (restarted) // the same id, another process: the old one's tasks are gone
    lose(m.id, "TaskManager '" + m.id + "' registered again from another process");
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& tm = taskmanagers_[m.id];
    bool again = !tm.id.empty();
    tm.id = m.id;
    tm.address = m.address;
    tm.host = m.host;
    tm.pid = m.pid;
    tm.slots = m.slots;
    heartbeats_.heard_from(m.id);
    tm.last_heartbeat_ms = clock_.wall_ms();
    if (!again)
      tm.registered_ms = clock_.wall_ms();
  }
  ep_->connect(m.id, m.address);
  ep_->send(m.id, transport::encode_message(frame_type::registered, wire_registered{true, {}}));
  spate::log().info("TaskManager {} registered from {} with {} slot(s)", m.id, m.address, m.slots);
}

void jobmanager::on_heartbeat(const std::string& from, const transport::frame& f) {
  auto m = transport::decode_payload<wire_heartbeat>(f);
  bool known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = taskmanagers_.find(from);
    known = it != taskmanagers_.end();
    if (known) {
      heartbeats_.heard_from(from);
      it->second.last_heartbeat_ms = clock_.wall_ms();
      // Bounded: a few named gauges, not whatever a peer sends.
      if (m.metrics.size() <= 64)
        it->second.metrics = std::move(m.metrics);
    }
  }
  if (known)
    return;
  // A TaskManager this JobManager declared lost (or never met): its tasks
  // count as failed; it cancels them and registers again.
  if (!m.address.empty()) {
    ep_->connect(from, m.address);
    ep_->send(from, transport::encode_message(
                        transport::frame_type::registered,
                        wire_registered{false, "unknown TaskManager: register again"}));
  }
}

void jobmanager::tick() {
  std::vector<std::string> lost;
  std::vector<std::string> peers;
  std::vector<std::string> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lost = heartbeats_.expired(); // sorted
    for (auto& [id, tm] : taskmanagers_)
      if (!std::binary_search(lost.begin(), lost.end(), id))
        peers.push_back(id);
    for (auto& [id, job] : jobs_)
      if (job.client && !job.released && is_terminal(job.client->status())) {
        job.released = true;
        released.push_back(id);
      }
  }
  auto beat = transport::encode_message(transport::frame_type::heartbeat,
                                        wire_heartbeat{jobmanager_id, clock_.wall_ms(), {}, {}});
  for (auto& p : peers) {
    ep_->send(p, beat);
    for (auto& j : released)
      ep_->send(p, transport::encode_message(transport::frame_type::release_job, wire_release{j}));
  }
  for (auto& id : lost)
    lose(id, "TaskManager '" + id + "' is lost: no heartbeat for " +
                 std::to_string(heartbeats_.timeout().count()) + " ms (heartbeat.timeout)");
}

std::optional<std::map<std::string, double>>
jobmanager::taskmanager_metrics(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = taskmanagers_.find(id);
  if (it == taskmanagers_.end())
    return std::nullopt;
  return it->second.metrics;
}

std::map<std::string, double> jobmanager::jobmanager_metrics() {
  auto out = process_metrics();
  int slots = 0, free = 0;
  std::vector<std::shared_ptr<job_client>> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, tm] : taskmanagers_) {
      int used = 0;
      for (auto& [job, n] : tm.used)
        used += n;
      slots += tm.slots;
      free += tm.slots - used;
    }
    out["numRegisteredTaskManagers"] = static_cast<double>(taskmanagers_.size());
    for (auto& [id, job] : jobs_)
      if (job.client)
        jobs.push_back(job.client);
  }
  int running = 0;
  for (auto& j : jobs) // outside mu_: status() takes the job's lock
    if (j->status() == job_status::running)
      ++running;
  out["taskSlotsTotal"] = slots;
  out["taskSlotsAvailable"] = free;
  out["numRunningJobs"] = running;
  return out;
}

cluster_overview jobmanager::overview() {
  cluster_overview o;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, tm] : taskmanagers_) {
    int used = 0;
    for (auto& [job, n] : tm.used)
      used += n;
    o.taskmanagers.push_back({tm.id, tm.address, tm.host, tm.slots, tm.slots - used,
                              tm.last_heartbeat_ms, tm.registered_ms, tm.pid});
  }
  for (auto& id : order_)
    if (jobs_[id].client)
      o.jobs.push_back(jobs_[id].client);
  return o;
}

} // namespace spate::cluster_detail
