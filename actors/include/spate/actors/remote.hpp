// Running a job's tasks in other processes. The JobManager side keeps the
// job's master and checkpoint coordinator and talks to its tasks through
// proxies; a TaskManager hosts the tasks (task_host) and bridges channels
// that cross processes. Both ends speak the frames of spate/transport.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spate/actors/job_client.hpp"
#include "spate/actors/job_graph.hpp"
#include "spate/core/config.hpp"
#include "spate/transport/endpoint.hpp"

namespace caf {
class actor_system;
}

namespace spate {

//! Where the subtasks of one attempt run.
struct task_assignment {
  //! [chain][subtask] -> TaskManager id.
  std::vector<std::vector<std::string>> taskmanager;
  //! TaskManager id -> the address of its endpoint.
  std::map<std::string, std::string> addresses;
};

//! What the JobManager gives a job whose tasks run on TaskManagers.
class remote_deployment {
public:
  virtual ~remote_deployment() = default;
  //! Where frames to TaskManagers go.
  virtual transport::frame_sink& sink() = 0;
  //! Slots for an attempt with these parallelisms per chain (slot sharing:
  //! subtask i of every chain shares a slot). nullopt and `why` when the free
  //! slots do not suffice now.
  virtual std::optional<task_assignment>
  place(const std::string& job_id, const std::vector<int>& parallelism, std::string& why) = 0;
  //! Every task of the attempt is gone: its slots are free again.
  virtual void release(const std::string& job_id) = 0;
  //! What a TaskManager needs to build the same graph (opaque here).
  virtual std::string job_spec() const = 0;
};

//! The JobManager of the job this frame belongs to ("" when not a job frame).
std::string frame_job_id(const transport::frame& f);

namespace detail {
struct task_host_impl;
}

//! Hosts the tasks a JobManager deploys to this TaskManager and the channels
//! between them and other TaskManagers. Thread-safe.
class task_host {
public:
  //! Builds the graph of a deployed job from its spec and configuration.
  using graph_builder =
      std::function<job_graph(const std::string& job_spec, const configuration& config)>;

  task_host(caf::actor_system& system, transport::frame_sink& sink, std::string self_id,
            std::string jobmanager_id, std::string state_dir, graph_builder build);
  ~task_host();
  task_host(const task_host&) = delete;
  task_host& operator=(const task_host&) = delete;

  //! Handles a frame from the JobManager or another TaskManager. False when
  //! the frame is not a task frame (registration, heartbeat: the caller's).
  //! Throws spate::error for a malformed payload.
  bool on_frame(const std::string& from, transport::frame& f);
  //! Cancels every task (the JobManager is unreachable); their ends are
  //! reported as failures naming `reason`.
  void cancel_all(const std::string& reason);
  //! The other TaskManagers that jobs running here exchange data with.
  std::set<std::string> data_peers() const;
  //! Cancels, as failures naming `reason`, the tasks of every job here that
  //! exchanges data with TaskManager `peer` (its link is dead or lost
  //! frames); returns how many.
  int fail_jobs_with(const std::string& peer, const std::string& reason);
  //! Drops the runtime of every job without running tasks (a new JobManager
  //! knows nothing of them).
  void forget_idle_jobs();
  //! Sends the counters of every job's tasks to the JobManager.
  void report_metrics();
  //! Records in and out of one subtask running here.
  struct subtask_counters {
    std::string job_id;
    std::string job_name;
    //! The task (chain): its index in the job and its name.
    int task = 0;
    std::string task_name;
    int subtask = 0;
    std::int64_t records_in = 0;
    std::int64_t records_out = 0;
    //! Its task-scope metrics, measured when listed.
    subtask_io_metrics io;
  };
  //! The counters of every subtask running here now (for metrics reporters).
  std::vector<subtask_counters> task_counters() const;
  //! Subtasks running here now.
  int running_tasks() const;
  //! Flink's task.cancellation.timeout for jobs that do not set their own: a
  //! cancelled task still running after it makes this process exit, since
  //! only that frees a thread stuck in user code (0: wait for ever).
  void set_cancellation_timeout(std::chrono::milliseconds timeout);

private:
  std::unique_ptr<detail::task_host_impl> impl_;
};

} // namespace spate
