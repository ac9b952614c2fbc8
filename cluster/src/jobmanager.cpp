// The JobManager: registers TaskManagers and their slots, runs each job's
// master and checkpoint coordinator with its tasks on TaskManagers, watches
// heartbeats, and serves the REST API.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "jobmanager.hpp"
#include "messages.hpp"
#include "spate/actors/remote.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace cluster_detail {

namespace {

std::atomic<int> jm_signal{0};
extern "C" void on_jm_signal(int sig) { jm_signal.store(sig); }

} // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

//! The slots and frames a job's tasks use, lent by the JobManager.
class cluster_deployment final : public remote_deployment {
public:
  cluster_deployment(jobmanager* jm, std::string spec) : jm_(jm), spec_(std::move(spec)) {}
  transport::frame_sink& sink() override { return jm_->endpoint(); }
  std::optional<task_assignment>
  place(const std::string& job_id, const std::vector<int>& parallelism, std::string& why) override {
    return jm_->place(job_id, parallelism, why);
  }
  void release(const std::string& job_id) override { jm_->release(job_id); }
  std::string job_spec() const override { return spec_; }

private:
  jobmanager* jm_;
  std::string spec_;
};

jobmanager::jobmanager(configuration cfg, job_registry& registry)
    : cfg_(std::move(cfg)), registry_(registry) {
  auto heartbeat = read_heartbeat(cfg_);
  heartbeat_interval_ = heartbeat.interval;
  heartbeat_timeout_ = heartbeat.timeout;
  auto address = cfg_.get_string(options::jobmanager_address, "127.0.0.1");
  auto port = cfg_.get_int(options::jobmanager_port, 6123);
  ep_ = std::make_unique<transport::endpoint>(
      jobmanager_id, "tcp://" + address + ":" + std::to_string(port),
      [this](const std::string& from, transport::frame&& f) {
        if (ready_.load(std::memory_order_acquire))
          on_frame(from, std::move(f));
      });
  ready_.store(true, std::memory_order_release);
}

jobmanager::~jobmanager() { shutdown(); }

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
    case frame_type::register_taskmanager: {
      auto m = transport::decode_payload<wire_register>(f);
      if (m.id != from || m.slots < 1 || m.address.empty()) {
        spate::log().warn("JobManager: refused a registration from '{}' (id '{}', {} slots)", from,
                          m.id, m.slots);
        return;
      }
      bool restarted;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = taskmanagers_.find(m.id);
        restarted = it != taskmanagers_.end() &&
                    (it->second.pid != m.pid || it->second.address != m.address);
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
        tm.last_seen = std::chrono::steady_clock::now();
        tm.last_heartbeat_ms = now_ms();
        if (!again)
          tm.registered_ms = now_ms();
      }
      ep_->connect(m.id, m.address);
      ep_->send(m.id, transport::encode_message(frame_type::registered, wire_registered{true, {}}));
      spate::log().info("TaskManager {} registered from {} with {} slot(s)", m.id, m.address,
                        m.slots);
      return;
    }
    case frame_type::heartbeat: {
      bool known;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = taskmanagers_.find(from);
        known = it != taskmanagers_.end();
        if (known) {
          it->second.last_seen = std::chrono::steady_clock::now();
          it->second.last_heartbeat_ms = now_ms();
        }
      }
      if (!known) {
        // A TaskManager this JobManager declared lost (or never met): its
        // tasks count as failed; it cancels them and registers again.
        auto m = transport::decode_payload<wire_heartbeat>(f);
        if (!m.address.empty()) {
          ep_->connect(from, m.address);
          ep_->send(from, transport::encode_message(
                              frame_type::registered,
                              wire_registered{false, "unknown TaskManager: register again"}));
        }
      }
      return;
    }
    case frame_type::disconnect:
      lose(from, "TaskManager '" + from + "' shut down");
      return;
    default:
      break;
  }
  auto job_id = frame_job_id(f);
  if (job_id.empty())
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' is not for a JobManager");
  std::shared_ptr<job_client> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto tm = taskmanagers_.find(from);
    if (tm == taskmanagers_.end())
      throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                   from + "', which is not a registered TaskManager");
    tm->second.last_seen = std::chrono::steady_clock::now();
    auto it = jobs_.find(job_id);
    if (it == jobs_.end())
      return; // a job that ended and was forgotten
    if (!it->second.client) {
      // The job is being submitted: its client comes in a moment.
      if (it->second.early.size() < 10000)
        it->second.early.emplace_back(from, std::move(f));
      return;
    }
    client = it->second.client;
  }
  client->deliver(from, f);
}

void jobmanager::tick() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::string> lost;
  std::vector<std::string> peers;
  std::vector<std::string> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, tm] : taskmanagers_) {
      if (now - tm.last_seen > heartbeat_timeout_)
        lost.push_back(id);
      else
        peers.push_back(id);
    }
    for (auto& [id, job] : jobs_)
      if (job.client && !job.released && is_terminal(job.client->status())) {
        job.released = true;
        released.push_back(id);
      }
  }
  auto beat = transport::encode_message(transport::frame_type::heartbeat,
                                        wire_heartbeat{jobmanager_id, now_ms(), {}});
  for (auto& p : peers) {
    ep_->send(p, beat);
    for (auto& j : released)
      ep_->send(p, transport::encode_message(transport::frame_type::release_job, wire_release{j}));
  }
  for (auto& id : lost)
    lose(id, "TaskManager '" + id + "' is lost: no heartbeat for " +
                 std::to_string(heartbeat_timeout_.count()) + " ms (heartbeat.timeout)");
}

std::string jobmanager::submit(const job_request& request, const configuration& overrides,
                               const std::string& restore_path, bool allow_non_restored) {
  configuration cfg = cfg_;
  cfg.merge(overrides);
  environment env(cfg);
  std::string name;
  {
    // One job build at a time: loading a job library changes the registry.
    std::lock_guard<std::mutex> lock(registry_mu_);
    name = build_job(registry_, request, env);
  }
  start_options so;
  so.job_id = new_job_id();
  so.restore_path = restore_path;
  so.allow_non_restored_state = allow_non_restored;
  so.remote = std::make_shared<cluster_deployment>(this, request.to_json());
  {
    // Frames for the job may come back before start_job returns.
    std::lock_guard<std::mutex> lock(mu_);
    jobs_[so.job_id] = job_entry{nullptr, request, false, {}};
  }
  std::shared_ptr<job_client> client;
  try {
    client =
        std::make_shared<job_client>(start_job(std::move(env.graph()), env.config(), name, so));
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.erase(so.job_id);
    throw;
  }
  std::vector<std::pair<std::string, transport::frame>> early;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& entry = jobs_[so.job_id];
    entry.client = client;
    early.swap(entry.early);
    order_.push_back(so.job_id);
  }
  for (auto& [from, f] : early) {
    try {
      client->deliver(from, f);
    } catch (const std::exception& e) {
      spate::log().warn("JobManager: {}", e.what());
    }
  }
  spate::log().info("job {} ({}) submitted", name, so.job_id);
  prune();
  return so.job_id;
}

void jobmanager::prune() {
  // Like Flink's jobstore.max-capacity: the oldest ended jobs are forgotten.
  auto capacity = static_cast<std::size_t>(cfg_.get_int("jobstore.max-capacity", 100));
  std::vector<std::shared_ptr<job_client>> forgotten;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t ended = 0;
    for (auto& id : order_)
      if (is_terminal(jobs_[id].client->status()) && jobs_[id].released)
        ++ended;
    for (auto it = order_.begin(); it != order_.end() && ended > capacity;) {
      auto& entry = jobs_[*it];
      if (is_terminal(entry.client->status()) && entry.released) {
        forgotten.push_back(entry.client);
        jobs_.erase(*it);
        it = order_.erase(it);
        --ended;
      } else {
        ++it;
      }
    }
    for (auto op = operations_.begin(); op != operations_.end();) {
      if (!jobs_.count(op->second->job_id) &&
          op->second->result.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
        op = operations_.erase(op);
      else
        ++op;
    }
  }
  forgotten.clear(); // stops their actor systems, outside the lock
}

std::shared_ptr<job_client> jobmanager::find_job(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it != jobs_.end() && !it->second.client)
    return nullptr;
  return it == jobs_.end() ? nullptr : it->second.client;
}

std::string jobmanager::start_savepoint(const std::shared_ptr<job_client>& job,
                                        const std::string& dir, bool stop, bool drain,
                                        bool cancel_after) {
  auto op = std::make_shared<savepoint_operation>();
  op->job_id = job->job_id();
  std::string trigger = new_job_id(); // 32 random hex digits, as Flink's trigger ids
  op->result = std::async(std::launch::async, [job, dir, stop, drain, cancel_after] {
                 std::string path = stop ? job->stop(dir, drain) : job->trigger_savepoint(dir);
                 if (cancel_after)
                   job->cancel();
                 return path;
               }).share();
  std::lock_guard<std::mutex> lock(mu_);
  operations_[trigger] = op;
  return trigger;
}

std::shared_ptr<savepoint_operation> jobmanager::find_operation(const std::string& trigger) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = operations_.find(trigger);
  return it == operations_.end() ? nullptr : it->second;
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

void jobmanager::shutdown() {
  if (stopped_)
    return;
  stopped_ = true;
  std::vector<std::shared_ptr<job_client>> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, job] : jobs_)
      if (job.client && !is_terminal(job.client->status()))
        running.push_back(job.client);
  }
  for (auto& c : running)
    c->cancel();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto& c : running) {
    while (!c->wait_for(std::chrono::milliseconds(100)) &&
           std::chrono::steady_clock::now() < deadline)
      tick();
    if (!is_terminal(c->status())) {
      // TaskManagers do not answer: their tasks count as gone.
      std::vector<std::string> tms;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [id, tm] : taskmanagers_)
          tms.push_back(id);
      }
      for (auto& tm : tms)
        c->taskmanager_lost(tm, "the JobManager shuts down");
      c->wait_for(std::chrono::seconds(2));
    }
  }
  tick(); // releases the ended jobs on the TaskManagers
  {
    std::lock_guard<std::mutex> lock(mu_);
    operations_.clear();
  }
  std::map<std::string, job_entry> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.swap(jobs_);
  }
  jobs.clear();
  if (ep_)
    ep_->stop();
}

int jobmanager::run() {
  std::signal(SIGINT, on_jm_signal);
  std::signal(SIGTERM, on_jm_signal);
  std::signal(SIGPIPE, SIG_IGN);
  rest_server rest(*this, cfg_);
  spate::log().info("JobManager listening on {} (rpc), http://{}:{} (REST)", ep_->address(),
                    rest.host(), rest.port());
  std::printf("JobManager started: rpc %s, REST http://%s:%d\n", ep_->address().c_str(),
              rest.host().c_str(), rest.port());
  std::fflush(stdout);
  auto next = std::chrono::steady_clock::now();
  while (jm_signal.load() == 0) {
    next += heartbeat_interval_;
    tick();
    prune();
    auto wake = std::min(next, std::chrono::steady_clock::now() + heartbeat_interval_);
    while (jm_signal.load() == 0 && std::chrono::steady_clock::now() < wake)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  spate::log().info("JobManager stops (signal {})", jm_signal.load());
  rest.stop();
  shutdown();
  return 0;
}

} // namespace cluster_detail

int run_jobmanager(const configuration& config, job_registry& jobs) {
  try {
    cluster_detail::jobmanager jm(config, jobs);
    return jm.run();
  } catch (const error& e) {
    std::fprintf(stderr, "spate: jobmanager: %s\n", e.what());
    return e.code() == errc::invalid_argument ? 2 : 1;
  }
}

} // namespace spate
