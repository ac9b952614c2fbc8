// Private parts of the TaskManager side of remote tasks (task_host): the
// state of each job hosted here, and the host actor that stands in for a
// job's master and coordinator.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "runtime.hpp"
#include "spate/actors/remote.hpp"
#include "wire.hpp"

namespace spate::detail {

using watch_atom = caf::atom_constant<caf::atom("watch")>;
using attempt_atom = caf::atom_constant<caf::atom("attempt")>;
using release_atom = caf::atom_constant<caf::atom("release")>;

//! Spawns the host actor of a job on this TaskManager: it stands in for the
//! job's master and coordinator and sends what the tasks report to the
//! JobManager `jm` through `sink`. (attempt_atom, n) sets the attempt its
//! reports carry; (watch_atom, task, chain, subtask, attempt) watches a task;
//! (release_atom) ends it once no task is left. `live` counts running tasks.
//! A task that does not stop within `cancellation_timeout` of its cancel
//! (the job's task.cancellation.timeout overrides it; 0: never) makes the
//! process exit.
caf::actor spawn_host_actor(caf::actor_system& sys, std::shared_ptr<job_runtime> rt,
                            transport::frame_sink& sink, std::string jm,
                            std::shared_ptr<std::atomic<int>> live,
                            std::chrono::milliseconds cancellation_timeout);

using key4 = std::array<std::int32_t, 4>;

struct hosted_job {
  std::shared_ptr<job_runtime> rt; //!< null until the first deploy arrives
  attempt_number attempt{0};
  caf::actor host;
  std::vector<std::vector<std::string>> placement;
  std::map<std::pair<std::int32_t, std::int32_t>, caf::actor> tasks;
  std::map<key4, caf::actor> out_proxies; //!< (chain, subtask, target chain, target subtask)
  std::map<key4, caf::actor> in_proxies;  //!< (sender chain, sender subtask, chain, subtask)
  //! Per chain: the edge behind each input channel (for its record type).
  std::vector<std::vector<int>> channel_edge;
  //! Frames of an attempt not deployed here yet, and their bytes.
  std::vector<std::pair<std::string, transport::frame>> early;
  std::size_t early_bytes = 0;
  //! What each sender has waiting in `early` (bytes, with early_overhead).
  std::map<std::string, std::size_t> early_by_sender;
  //! When the first frame still in `early` came.
  std::chrono::steady_clock::time_point early_since{};
  std::shared_ptr<std::atomic<int>> live = std::make_shared<std::atomic<int>>(0);
};

struct task_host_impl {
  caf::actor_system& sys;
  transport::frame_sink& sink;
  std::string self_id;
  std::string jm;
  std::string state_dir;
  task_host::graph_builder build;
  //! This TaskManager's task.cancellation.timeout (a job's own overrides it).
  std::chrono::milliseconds cancellation_timeout{180000};
  mutable std::mutex mu;
  std::map<std::string, hosted_job> jobs;
  //! Jobs that ended here: late frames for them are dropped.
  std::set<std::string> released;
  static constexpr std::size_t max_jobs = 256;

  //! Frames for jobs not deployed here yet (of any sender: before its deploy
  //! a TaskManager cannot know which peers the job uses) are bounded per
  //! sender and job, in all, and in time by transport::limits(); what is
  //! beyond is dropped, counted, and logged once per sender. Each frame
  //! counts its payload and this much for its keeping.
  static constexpr std::size_t early_overhead = 128;
  std::size_t early_total = 0;
  std::uint64_t early_dropped = 0;
  std::set<std::string> early_warned;
  //! Forgets `job`'s early frames (their bytes leave early_total).
  void clear_early(hosted_job& job);
  //! Drops the early frames of jobs no deploy came for within the timeout
  //! (and the entries of jobs that only had those). Under `mu`.
  void expire_early(std::chrono::steady_clock::time_point now, std::int64_t timeout_ms);

  void deploy(const transport::frame& f);
  //! Under `mu`; false when nothing was deployed. `early` gets the frames to replay.
  bool deploy_locked(const wire_deploy& d,
                     std::vector<std::pair<std::string, transport::frame>>& early);
  void command(const transport::frame& f);
  void trigger(const transport::frame& f);
  void channel(const std::string& from, transport::frame& f);
  void release(const transport::frame& f);
  void stop_proxies(hosted_job& job);
  void fail_deploy(const wire_deploy& d, const std::string& why);
};

} // namespace spate::detail
