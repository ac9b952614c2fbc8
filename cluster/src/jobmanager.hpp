// The JobManager process (internal to the cluster library).
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "heartbeat_monitor.hpp"
#include "spate/actors/job_client.hpp"
#include "spate/actors/remote.hpp"
#include "spate/cluster/cluster.hpp"
#include "spate/core/clock.hpp"
#include "spate/transport/endpoint.hpp"

namespace spate::cluster_detail {

class query_results;

std::int64_t now_ms();
//! The REST API's vertex id of task (chain) `index` (job_vertex_id).
inline std::string vertex_id(const std::string& job_id, std::size_t index) {
  return job_vertex_id(job_id, index);
}

struct savepoint_operation {
  std::string job_id;
  std::shared_future<std::string> result;
};

struct taskmanager_view {
  std::string id;
  std::string address;
  std::string host;
  int slots = 0;
  int free_slots = 0;
  std::int64_t last_heartbeat_ms = 0;
  std::int64_t registered_ms = 0;
  std::int64_t pid = 0;
};

struct cluster_overview {
  std::vector<taskmanager_view> taskmanagers;
  //! In submission order.
  std::vector<std::shared_ptr<job_client>> jobs;
};

class jobmanager {
public:
  //! Heartbeats expire on `clk`'s time (the run loop still waits in real time).
  jobmanager(configuration cfg, job_registry& registry,
             const spate::clock& clk = system_clock::instance());
  ~jobmanager();

  //! Serves until SIGINT/SIGTERM; returns the exit code.
  int run();

  // For the jobs' deployments.
  transport::endpoint& endpoint() { return *ep_; }
  std::optional<task_assignment> place(const std::string& job_id,
                                       const std::vector<int>& parallelism, std::string& why);
  void release(const std::string& job_id);

  // For the REST API.
  const configuration& config() const { return cfg_; }
  //! Builds and starts a job; returns its id. Throws spate::error.
  std::string submit(const job_request& request, const configuration& overrides,
                     const std::string& restore_path, bool allow_non_restored);
  std::shared_ptr<job_client> find_job(const std::string& id);
  //! The rows of job `id` when it runs a SQL query (null when it runs no query); nullopt for
  //! a job this JobManager does not know (any more). The rows go with the job.
  std::optional<std::shared_ptr<query_results>> find_results(const std::string& id);
  //! Starts a savepoint (or stop with savepoint) in the background; returns
  //! the trigger id to ask for its result; empty when a savepoint of the
  //! job is still in progress (one at a time per job).
  std::string start_savepoint(const std::shared_ptr<job_client>& job, const std::string& dir,
                              bool stop, bool drain, bool cancel_after);
  std::shared_ptr<savepoint_operation> find_operation(const std::string& trigger);
  cluster_overview overview();
  //! The process metrics a TaskManager sent with its last heartbeat;
  //! nullopt for an unknown TaskManager.
  std::optional<std::map<std::string, double>> taskmanager_metrics(const std::string& id);
  //! This process's Status.Process.* gauges and the cluster's:
  //! numRegisteredTaskManagers, taskSlotsTotal, taskSlotsAvailable,
  //! numRunningJobs.
  std::map<std::string, double> jobmanager_metrics();
  //! Everything for the Prometheus endpoint: these, and each job's metrics.
  std::string prometheus_text();

private:
  struct tm_record {
    std::string id;
    std::string address;
    std::string host;
    std::int64_t pid = 0;
    int slots = 0;
    //! Wall time, for the REST API (expiry is heartbeats_' business).
    std::int64_t last_heartbeat_ms = 0;
    std::int64_t registered_ms = 0;
    //! Slots in use per job.
    std::map<std::string, int> used;
    //! Its process metrics, from its last heartbeat.
    std::map<std::string, double> metrics;
  };
  struct job_entry {
    //! Null while the job is being submitted.
    std::shared_ptr<job_client> client;
    job_request request;
    bool released = false;
    //! Frames that came while the job was being submitted.
    std::vector<std::pair<std::string, transport::frame>> early;
    //! A SQL query's rows, from its sink on a TaskManager (null for other jobs).
    std::shared_ptr<query_results> results;
  };

  //! Restore mode CLAIM (in `cfg`) of a checkpoint of a job this JobManager
  //! still runs: throws errc::invalid_argument (the running job would keep
  //! writing to the directory the claim sweeps and deletes from).
  void refuse_claim_of_running_job(const configuration& cfg, const std::string& restore_path);

  // jobmanager_taskmanagers.cpp: registrations, heartbeats, the slot pool.
  void on_frame(const std::string& from, transport::frame&& f);
  void on_register(const std::string& from, const transport::frame& f);
  void on_heartbeat(const std::string& from, const transport::frame& f);
  //! Frames from `from` were lost (the endpoint saw their numbers jump).
  void on_gap(const std::string& from, const std::string& what);
  //! Sends heartbeats and releases of ended jobs; declares silent TaskManagers lost.
  void tick();
  void lose(const std::string& tm, const std::string& reason);
  // jobmanager.cpp: jobs.
  //! A frame from a registered TaskManager for one of the jobs.
  void on_job_frame(const std::string& from, transport::frame&& f);
  //! A query_rows or query_reset frame from a registered TaskManager.
  void on_query_frame(const std::string& from, transport::frame&& f);
  void shutdown();
  //! Forgets the oldest ended jobs beyond jobstore.max-capacity.
  void prune();

  configuration cfg_;
  job_registry& registry_;
  std::mutex registry_mu_;
  std::atomic<bool> ready_{false};
  const spate::clock& clock_;
  std::chrono::milliseconds heartbeat_interval_;
  std::mutex mu_;
  //! The registered TaskManagers; heartbeats_ watches exactly these (under mu_).
  std::map<std::string, tm_record> taskmanagers_;
  spate::cluster::heartbeat_monitor heartbeats_;
  std::map<std::string, job_entry> jobs_;
  std::vector<std::string> order_;
  std::map<std::string, std::shared_ptr<savepoint_operation>> operations_;
  bool stopped_ = false;
  std::unique_ptr<transport::endpoint> ep_;
};

//! The REST API (Flink's v1 paths and field names) on its own threads.
class rest_server {
public:
  rest_server(jobmanager& jm, const configuration& cfg);
  ~rest_server();
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  //! "https" with security.ssl.rest.enabled, else "http".
  const char* scheme() const { return tls_ ? "https" : "http"; }
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string host_;
  int port_ = 0;
  bool tls_ = false;
};

} // namespace spate::cluster_detail
