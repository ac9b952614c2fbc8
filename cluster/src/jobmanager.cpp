// The JobManager: runs each job's master and checkpoint coordinator with its
// tasks on TaskManagers, routes the jobs' frames, and serves the REST API.
// Its TaskManagers (registrations, heartbeats, slots) are in
// jobmanager_taskmanagers.cpp.
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

#include "job_request.hpp"
#include "jobmanager.hpp"
#include "query_results.hpp"
#include "spate/metrics/prometheus.hpp"
#include "messages.hpp"
#include "spate/actors/remote.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/checkpoints/storage.hpp"
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

jobmanager::jobmanager(configuration cfg, job_registry& registry, const spate::clock& clk)
    : cfg_(std::move(cfg)), registry_(registry), clock_(clk),
      heartbeat_interval_(read_heartbeat(cfg_).interval),
      heartbeats_(read_heartbeat(cfg_).timeout, clk) {
  auto address = cfg_.get_string(options::jobmanager_address, "127.0.0.1");
  auto port = cfg_.get_int(options::jobmanager_port, 6123);
  // Bounds on what peers can make this process hold (before any socket).
  transport::set_limits(transport::limits_from(cfg_));
  auto security =
      transport::security_from(cfg_, transport::mesh_role::jobmanager, address, address);
  spate::log().info("JobManager: mesh authentication: {}", security.description);
  ep_ = std::make_unique<transport::endpoint>(
      jobmanager_id, "tcp://" + address + ":" + std::to_string(port),
      [this](const std::string& from, transport::frame&& f) {
        if (ready_.load(std::memory_order_acquire))
          on_frame(from, std::move(f));
      },
      [this](const std::string& from, const std::string& what) {
        if (ready_.load(std::memory_order_acquire))
          on_gap(from, what);
      },
      std::move(security));
  ready_.store(true, std::memory_order_release);
}

jobmanager::~jobmanager() { shutdown(); }

void jobmanager::on_job_frame(const std::string& from, transport::frame&& f) {
  auto job_id = frame_job_id(f);
  if (job_id.empty())
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' is not for a JobManager");
  std::shared_ptr<job_client> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!taskmanagers_.count(from))
      throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                   from + "', which is not a registered TaskManager");
    heartbeats_.heard_from(from);
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

std::string jobmanager::submit(const job_request& request, const configuration& overrides,
                               const std::string& restore_path, bool allow_non_restored) {
  configuration cfg = cfg_;
  cfg.merge(overrides);
  if (!restore_path.empty())
    refuse_claim_of_running_job(cfg, restore_path);
  environment env(cfg);
  std::string name;
  std::shared_ptr<query_results> results;
  if (is_sql_request(request)) {
    // A query's rows come here from its sink on a TaskManager (query_results.hpp); this
    // process only learns its columns.
    std::optional<sql::query_output> query;
    auto sink = query_result_sink([](std::string) {});
    name = build_sql_job(request, env, [&](const sql::query_output& q) {
             query = q;
             return sink(q);
           }).name;
    if (query) {
      auto max_rows = env.config().get_int(max_table_result_rows_key, default_max_table_result_rows,
                                           1, std::int64_t{1} << 40);
      results = std::make_shared<query_results>(result_columns(*query),
                                                static_cast<std::size_t>(max_rows));
    }
  } else {
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
    jobs_[so.job_id] = job_entry{nullptr, request, false, {}, results};
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

void jobmanager::refuse_claim_of_running_job(const configuration& cfg,
                                             const std::string& restore_path) {
  auto mode = cfg.get(options::savepoint_restore_mode);
  if (!mode ||
      parse_restore_mode(*mode, std::string("configuration '") + options::savepoint_restore_mode +
                                    "'") != restore_mode::claim)
    return;
  std::string owner;
  try {
    auto m = checkpoints::load_metadata(restore_path);
    if (!m.savepoint) // a savepoint is never claimed
      owner = m.job_id;
  } catch (const error&) {
    return; // start_job names what is wrong with the path
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(owner);
  if (owner.empty() || it == jobs_.end())
    return;
  auto status = it->second.client ? it->second.client->status() : job_status::created;
  if (!is_terminal(status))
    throw error(errc::invalid_argument,
                "restore mode CLAIM of '" + restore_path + "': job " + owner +
                    ", whose checkpoint it is, is still " + to_string(status) +
                    " here and writes to its directory; cancel it first, or restore in "
                    "NO_CLAIM mode");
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

std::optional<std::shared_ptr<query_results>> jobmanager::find_results(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || !it->second.client)
    return std::nullopt;
  return it->second.results;
}

void jobmanager::on_query_frame(const std::string& from, transport::frame&& f) {
  using transport::frame_type;
  std::string job_id;
  wire_query_reset reset;
  wire_query_rows rows;
  if (f.type == frame_type::query_reset) {
    reset = transport::decode_payload<wire_query_reset>(f);
    job_id = reset.job_id;
  } else {
    rows = transport::decode_payload<wire_query_rows>(f);
    job_id = rows.job_id;
  }
  std::shared_ptr<query_results> results;
  {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeats_.heard_from(from);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end())
      return; // a job that ended and was forgotten
    results = it->second.results;
  }
  if (!results)
    throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                 from + "' for job " + job_id + ", which runs no query");
  if (f.type == frame_type::query_reset)
    results->reset(reset);
  else
    results->append(std::move(rows));
}

std::string jobmanager::start_savepoint(const std::shared_ptr<job_client>& job,
                                        const std::string& dir, bool stop, bool drain,
                                        bool cancel_after) {
  auto op = std::make_shared<savepoint_operation>();
  op->job_id = job->job_id();
  std::string trigger = new_job_id(); // 32 random hex digits, as Flink's trigger ids
  {
    // One savepoint per job at a time (each runs on a thread of its own);
    // finished operations beyond the last 16 of the job are forgotten.
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::map<std::string, std::shared_ptr<savepoint_operation>>::iterator> done;
    for (auto it = operations_.begin(); it != operations_.end(); ++it) {
      if (it->second->job_id != op->job_id)
        continue;
      if (it->second->result.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return std::string();
      done.push_back(it);
    }
    for (std::size_t i = 0; i + 16 < done.size(); ++i)
      operations_.erase(done[i]);
    op->result = std::async(std::launch::async, [job, dir, stop, drain, cancel_after] {
                   std::string path = stop ? job->stop(dir, drain) : job->trigger_savepoint(dir);
                   if (cancel_after)
                     job->cancel();
                   return path;
                 }).share();
    operations_[trigger] = op;
  }
  return trigger;
}

std::shared_ptr<savepoint_operation> jobmanager::find_operation(const std::string& trigger) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = operations_.find(trigger);
  return it == operations_.end() ? nullptr : it->second;
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
  spate::log().info("JobManager listening on {} (rpc), {}://{}:{} (REST)", ep_->address(),
                    rest.scheme(), rest.host(), rest.port());
  std::printf("JobManager started: rpc %s, REST %s://%s:%d\n", ep_->address().c_str(),
              rest.scheme(), rest.host().c_str(), rest.port());
  std::fflush(stdout);
  auto prom = prometheus::start_endpoint(
      cfg_, rest.host(), [this] { return prometheus_text(); }, "JobManager");
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
  if (prom)
    prom->stop();
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
