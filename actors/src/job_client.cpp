// job_client: the handle on a running job, and start_job(), which builds a
// job's runtime and spawns its coordinator and master.
#include "spate/actors/job_client.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "checkpoint_coordinator.hpp"
#include "checkpoint_messages.hpp"
#include "job_master.hpp"
#include "messages.hpp"
#include "remote_internal.hpp"
#include "runtime.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

const char* to_string(job_status s) {
  switch (s) {
    case job_status::created:
      return "CREATED";
    case job_status::running:
      return "RUNNING";
    case job_status::failing:
      return "FAILING";
    case job_status::failed:
      return "FAILED";
    case job_status::cancelling:
      return "CANCELLING";
    case job_status::canceled:
      return "CANCELED";
    case job_status::finished:
      return "FINISHED";
    case job_status::restarting:
      return "RESTARTING";
  }
  return "UNKNOWN";
}

bool is_terminal(job_status s) {
  return s == job_status::failed || s == job_status::canceled || s == job_status::finished;
}

std::string new_job_id() {
  std::random_device rd;
  std::mt19937_64 gen(
      (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::ostringstream os;
  os << std::hex;
  os.width(16);
  os.fill('0');
  os << gen();
  os.width(16);
  os << gen();
  return os.str();
}

bool is_job_id(const std::string& id) {
  if (id.size() != 32)
    return false;
  for (char c : id)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

job_client::job_client(std::shared_ptr<detail::job_runtime> rt) : rt_(std::move(rt)) {}

const std::string& job_client::job_id() const { return rt_->job_id; }

const std::string& job_client::job_name() const { return rt_->job_name; }

job_status job_client::status() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->status;
}

job_result job_client::wait() {
  std::unique_lock<std::mutex> lock(rt_->mu);
  rt_->cv.wait(lock, [this] { return is_terminal(rt_->status); });
  job_result r;
  r.job_id = rt_->job_id;
  r.status = rt_->status;
  r.failure_cause = rt_->failure_cause;
  r.net_runtime = std::chrono::milliseconds(rt_->ended_ms - rt_->started_ms);
  return r;
}

bool job_client::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(rt_->mu);
  return rt_->cv.wait_for(lock, timeout, [this] { return is_terminal(rt_->status); });
}

void job_client::cancel() { caf::anon_send(rt_->master, detail::cancel_atom::value); }

std::string job_client::failure_cause() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->failure_cause;
}

std::vector<subtask_metrics> job_client::metrics() const {
  std::vector<subtask_metrics> out;
  for (std::size_t c = 0; c < rt_->counters.size(); ++c)
    for (std::size_t s = 0; s < rt_->counters[c].size(); ++s)
      out.push_back({rt_->plan.chains[c].name, static_cast<int>(s),
                     rt_->counters[c][s]->records_in.load(),
                     rt_->counters[c][s]->records_out.load()});
  return out;
}

std::vector<subtask_io_metrics> job_client::task_metrics() const {
  std::vector<subtask_io_metrics> out;
  if (!rt_->remote) {
    const auto now_ns = rt_->clk->monotonic_ns();
    const auto wall = rt_->clk->wall_ms();
    for (std::size_t c = 0; c < rt_->counters.size(); ++c)
      for (std::size_t s = 0; s < rt_->counters[c].size(); ++s)
        out.push_back(
            detail::read_subtask(*rt_, static_cast<int>(c), static_cast<int>(s), now_ns, wall));
    return out;
  }
  std::lock_guard<std::mutex> lock(rt_->counters_mu);
  for (std::size_t c = 0; c < rt_->reported.size(); ++c)
    for (std::size_t s = 0; s < rt_->reported[c].size(); ++s) {
      out.push_back(rt_->reported[c][s]);
      auto& m = out.back();
      m.task_name = rt_->plan.chains[c].name;
      m.task = static_cast<int>(c);
      m.subtask = static_cast<int>(s);
    }
  return out;
}

std::map<std::string, std::int64_t> job_client::counters() const {
  std::map<std::string, std::int64_t> out = rt_->sum_named();
  std::lock_guard<std::mutex> lock(rt_->counters_mu);
  for (auto& [tm, values] : rt_->remote_counters)
    for (auto& [name, value] : values)
      out[name] += value;
  return out;
}

std::vector<std::string> job_client::task_names() const {
  std::vector<std::string> names;
  for (auto& c : rt_->plan.chains)
    names.push_back(c.name);
  return names;
}

namespace {

std::string request_savepoint(detail::job_runtime& rt, const std::string& dir, bool stop,
                              bool drain, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto future = promise->get_future();
  caf::anon_send(rt.coordinator, detail::savepoint_request{dir, stop, drain, promise});
  if (future.wait_for(timeout) != std::future_status::ready)
    throw error(errc::timeout, std::string(stop ? "stop-with-savepoint" : "savepoint") +
                                   " did not complete within " + std::to_string(timeout.count()) +
                                   " ms");
  return future.get();
}

} // namespace

std::string job_client::trigger_savepoint(const std::string& dir,
                                          std::chrono::milliseconds timeout) {
  return request_savepoint(*rt_, dir, false, false, timeout);
}

std::string job_client::stop(const std::string& dir, bool drain,
                             std::chrono::milliseconds timeout) {
  return request_savepoint(*rt_, dir, true, drain, timeout);
}

std::vector<checkpoint_stats> job_client::checkpoint_history() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->checkpoint_history;
}

checkpoint_counts job_client::checkpoint_totals() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  checkpoint_counts c;
  c.completed = rt_->checkpoints_completed;
  c.failed = rt_->checkpoints_failed;
  c.restored = rt_->checkpoints_restored;
  return c;
}

std::chrono::milliseconds job_client::downtime() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->downtime;
}

std::map<std::string, std::int64_t> job_client::job_metrics() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  const auto now = rt_->clk->monotonic_ms();
  const auto status = rt_->status;
  auto since = [&](job_status s) { return rt_->status_since_ms[static_cast<int>(s)]; };
  const bool terminal = is_terminal(status);
  std::int64_t uptime = 0, downtime = 0, restarting = 0;
  if (status == job_status::running)
    uptime = now - since(job_status::running);
  else if (terminal)
    uptime = -1;
  if (status == job_status::failing || status == job_status::restarting) {
    // The outage began when the job left RUNNING: at FAILING, or at
    // RESTARTING when it went there directly.
    auto began = since(status);
    if (status == job_status::restarting && since(job_status::failing) > since(job_status::running))
      began = since(job_status::failing);
    downtime = now - began;
  } else if (terminal) {
    downtime = -1;
  }
  // Flink's RestartTimeGauge: the last restart's duration, or how long the
  // current one has been going.
  if (auto r = since(job_status::restarting); r > 0) {
    if (since(job_status::running) >= r)
      restarting = since(job_status::running) - r;
    else if (terminal)
      restarting = since(status) - r;
    else
      restarting = now - r;
  }
  std::int64_t in_progress = 0, last_duration = -1, last_size = -1;
  for (auto& s : rt_->checkpoint_history) {
    if (s.status == "IN_PROGRESS")
      ++in_progress;
    if (s.status == "COMPLETED") {
      last_duration = s.end_to_end_duration;
      last_size = static_cast<std::int64_t>(s.state_size);
    }
  }
  return {{"uptime", uptime},
          {"downtime", downtime},
          {"restartingTime", restarting},
          {"numRestarts", rt_->full_restarts},
          {"fullRestarts", rt_->full_restarts},
          {"lastCheckpointDuration", last_duration},
          {"lastCheckpointSize", last_size},
          {"lastCheckpointRestoreTimestamp", rt_->last_restore_wall_ms},
          {"numberOfCompletedCheckpoints", rt_->checkpoints_completed},
          {"numberOfFailedCheckpoints", rt_->checkpoints_failed},
          {"numberOfInProgressCheckpoints", in_progress},
          {"totalNumberOfCheckpoints",
           rt_->checkpoints_completed + rt_->checkpoints_failed + in_progress}};
}

std::int64_t job_client::full_restarts() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->full_restarts;
}

job_client::weak_handle job_client::weak() const {
  weak_handle w;
  w.rt_ = rt_;
  return w;
}

std::optional<job_client> job_client::weak_handle::lock() const {
  if (auto rt = rt_.lock())
    return job_client(std::move(rt));
  return std::nullopt;
}

std::string job_vertex_id(const std::string& job_id, std::size_t index) {
  std::uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull * 31;
  auto feed = [&](char c) {
    h1 = (h1 ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h2 = (h2 ^ static_cast<unsigned char>(c)) * 1469598103934665603ull + 7;
  };
  for (char c : job_id)
    feed(c);
  for (char c : std::to_string(index))
    feed(c);
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h1),
                static_cast<unsigned long long>(h2));
  return buf;
}

job_client start_job(job_graph graph, const configuration& config, const std::string& job_name,
                     const start_options& opts) {
  using namespace detail;
  auto rt = std::make_shared<job_runtime>();
  rt->job_id = opts.job_id.empty() ? new_job_id() : opts.job_id;
  if (opts.job_clock)
    rt->clk = opts.job_clock;
  auto state_dir =
      config.get_string(options::state_dir, std::filesystem::temp_directory_path().string());
  init_runtime(*rt, std::move(graph), config, job_name, state_dir + "/spate-" + rt->job_id);
  rt->allow_non_restored_state = opts.allow_non_restored_state;
  rt->remote = opts.remote;
  if (rt->remote)
    check_network_edges(*rt);
  rt->slot_timeout = config.get_duration("slot.request.timeout", std::chrono::minutes(5));
  if (!opts.restore_path.empty())
    rt->restore = load_restore_point(*rt, opts.restore_path);

  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  // A remote job runs only its master, coordinator and proxies here.
  auto threads = static_cast<std::size_t>(
      config.get_int(options::scheduler_threads, opts.remote ? std::min(2u, hw) : hw));
  rt->system_config = std::make_unique<caf::actor_system_config>();
  rt->system_config->set("scheduler.max-threads", threads);
  rt->system_config->set("scheduler.max-throughput", scheduler_max_throughput(config));
  rt->system = std::make_unique<caf::actor_system>(*rt->system_config);
  rt->coordinator = spawn_coordinator(*rt->system, rt.get());
  rt->master = spawn_job_master(*rt->system, rt.get());
  rt->started_ms = rt->clk->monotonic_ms();
  rt->start_wall_ms = rt->clk->wall_ms();
  // A remote job runs once its tasks are deployed.
  rt->set_status(rt->remote ? job_status::created : job_status::running);
  caf::anon_send(rt->master, start_atom::value);
  spate::log().debug("job {} ({}) started with {} tasks", rt->job_name, rt->job_id,
                     rt->plan.chains.size());
  return job_client(std::move(rt));
}

} // namespace spate

namespace spate {

std::string job_client::status_detail() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->status_detail;
}

std::vector<std::pair<std::int64_t, std::string>> job_client::exceptions() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->exceptions;
}

std::int64_t job_client::start_time() const { return rt_->start_wall_ms; }

std::int64_t job_client::end_time() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  if (!is_terminal(rt_->status))
    return 0;
  return rt_->start_wall_ms + (rt_->ended_ms - rt_->started_ms);
}

const configuration& job_client::config() const { return rt_->config; }

std::vector<std::vector<std::string>> job_client::placement() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->assignment.taskmanager;
}

std::vector<std::pair<int, int>> job_client::task_parallelism() const {
  std::vector<std::pair<int, int>> out;
  for (auto& c : rt_->plan.chains)
    out.emplace_back(c.parallelism, rt_->plan.vertices[c.head].max_parallelism);
  return out;
}

std::optional<restore_info> job_client::last_restore() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->last_restore;
}

std::vector<std::vector<job_client::task_input>> job_client::task_inputs() const {
  std::vector<std::vector<task_input>> out(rt_->plan.chains.size());
  const auto& edges = rt_->graph.edges();
  for (std::size_t c = 0; c < rt_->plan.chains.size(); ++c)
    for (int e : rt_->plan.chains[c].in_edges) {
      int from = static_cast<int>(edges[static_cast<std::size_t>(e)].from.value());
      out[c].push_back({rt_->plan.vertices[static_cast<std::size_t>(from)].chain,
                        to_string(rt_->plan.edges[static_cast<std::size_t>(e)].part)});
    }
  return out;
}

const checkpoint_config& job_client::checkpointing() const { return rt_->checkpointing; }

} // namespace spate
