// The TaskManager: registers its slots with the JobManager, heartbeats both
// ways, and hosts the tasks the JobManager deploys.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <caf/all.hpp>

#include "heartbeat_monitor.hpp"
#include "job_request.hpp"
#include "jobmanager.hpp"
#include "messages.hpp"
#include "query_results.hpp"
#include "spate/metrics/job_metrics.hpp"
#include "spate/actors/remote.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/clock.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/core/process_stats.hpp"
#include "spate/core/working_dir.hpp"

namespace spate {

namespace {

using namespace cluster_detail;
using transport::frame_type;

std::atomic<int> tm_signal{0};
extern "C" void on_tm_signal(int sig) { tm_signal.store(sig); }

std::string random_id() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return std::string("tm-") + buf;
}

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

//! The job whose deployment this thread is taking now (the endpoint's I/O
//! thread, in on_frame): the keys the deployment hands out are that job's.
thread_local const std::string* deploying_job = nullptr;

struct deploying_scope {
  explicit deploying_scope(const std::string* job) : previous(deploying_job) {
    deploying_job = job;
  }
  ~deploying_scope() { deploying_job = previous; }
  deploying_scope(const deploying_scope&) = delete;
  deploying_scope& operator=(const deploying_scope&) = delete;
  const std::string* previous;
};

//! How long the peers' keys of a job that ended here stay trusted: the
//! JobManager tells its TaskManagers one by one, and a peer that already
//! runs the next job with this one may send before this one hears of it.
constexpr auto key_release_delay = std::chrono::seconds(5);

//! This TaskManager's id: taskmanager.resource-id; with a key file and no
//! id, the key file's name (tm1.key: tm1), which is what the JobManager
//! knows its key as (tm1.pub in security.mesh.trusted-keys-dir).
std::string taskmanager_id(const configuration& cfg) {
  auto id = cfg.get_string(options::taskmanager_resource_id, "");
  auto key_file = cfg.get_string(transport::options::mesh_key_file, "");
  auto key_name = std::filesystem::path(key_file).stem().string();
  if (key_file.empty() || key_name.empty())
    return id.empty() ? random_id() : id;
  if (id.empty())
    return key_name;
  if (id != key_name)
    spate::log().warn("TaskManager {}: its key file is '{}': a JobManager with key files admits "
                      "the key only under the name of its .pub file ('{}.pub': '{}'), so "
                      "taskmanager.resource-id should be '{}'",
                      id, key_file, key_name, key_name, key_name);
  return id;
}

int task_slots(const configuration& cfg) {
  return static_cast<int>(cfg.get_int(options::task_slots, 1, 1, 1 << 20));
}

class taskmanager {
public:
  //! The JobManager's heartbeats expire on `clk`'s time (the run loop still
  //! waits in real time).
  taskmanager(const configuration& cfg, job_registry& registry,
              const spate::clock& clk = system_clock::instance())
      : cfg_(cfg), registry_(registry), slots_(task_slots(cfg)), clock_(clk),
        interval_(read_heartbeat(cfg).interval), jm_heartbeats_(read_heartbeat(cfg).timeout, clk),
        peer_heartbeats_(read_heartbeat(cfg).timeout, clk) {
    id_ = taskmanager_id(cfg);
    jm_address_ = "tcp://" + cfg.get_string(options::jobmanager_address, "127.0.0.1") + ":" +
                  std::to_string(cfg.get_int(options::jobmanager_port, 6123));
    // Options that can be wrong are read before anything is made on disk.
    // Bounds on what peers can make this process hold (before any socket).
    transport::set_limits(transport::limits_from(cfg));
    auto bind_host = cfg.get_string(options::taskmanager_host, "127.0.0.1");
    auto bind =
        "tcp://" + bind_host + ":" + std::to_string(cfg.get_int(options::taskmanager_data_port, 0));
    auto security =
        transport::security_from(cfg, transport::mesh_role::taskmanager, bind_host,
                                 cfg.get_string(options::jobmanager_address, "127.0.0.1"));
    mesh_auth_ = security.description;
    auto state_base =
        cfg.get_string(options::state_dir, std::filesystem::temp_directory_path().string());
    // What TaskManagers killed on this host left behind (their RocksDB
    // instances, local snapshots) goes; live ones hold their directory's lock.
    for (auto& stale : working_dir::remove_stale(state_base, "spate-tm-"))
      spate::log().info("TaskManager {}: removed '{}', left by a TaskManager that ended", id_,
                        stale);
    work_dir_ = std::make_unique<working_dir>(state_base + "/spate-tm-" + id_);
    state_dir_ = work_dir_->path();

    unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    system_config_.set("scheduler.max-threads",
                       static_cast<std::size_t>(cfg.get_int(options::scheduler_threads, hw)));
    system_config_.set("scheduler.max-throughput", scheduler_max_throughput(cfg));
    system_ = std::make_unique<caf::actor_system>(system_config_);

    ep_ = std::make_unique<transport::endpoint>(
        id_, bind,
        [this](const std::string& from, transport::frame&& f) {
          if (ready_.load(std::memory_order_acquire))
            on_frame(from, std::move(f));
        },
        [this](const std::string& from, const std::string& what) {
          if (ready_.load(std::memory_order_acquire))
            on_gap(from, what);
        },
        std::move(security));
    host_ = std::make_unique<task_host>(
        *system_, sink_, id_, jobmanager_id, state_dir_,
        [this](const std::string& spec, const configuration& config) {
          auto request = job_request::from_json(spec);
          environment env(config);
          if (is_sql_request(request)) {
            // A query's rows go to the JobManager.
            build_sql_job(request, env, query_result_sink([this](std::string frame) {
                            ep_->send(jobmanager_id, std::move(frame));
                          }));
            return std::move(env.graph());
          }
          std::lock_guard<std::mutex> lock(registry_mu_);
          build_job(registry_, request, env);
          return std::move(env.graph());
        });
    host_->set_cancellation_timeout(
        cfg.get_duration("task.cancellation.timeout", std::chrono::milliseconds(180000)));
    ready_.store(true, std::memory_order_release);
    ep_->connect(jobmanager_id, jm_address_);
  }

  ~taskmanager() {
    ep_->stop();   // no frame reaches the host any more
    host_.reset(); // cancels what still runs; its actors quit
    system_.reset();
    // Shutting down: a state directory left behind only takes space.
    work_dir_->remove();
  }

  int run() {
    std::signal(SIGINT, on_tm_signal);
    std::signal(SIGTERM, on_tm_signal);
    auto prom = prometheus::start_endpoint(
        cfg_, cfg_.get_string(options::taskmanager_host, "127.0.0.1"),
        [this] {
          prometheus::exposition out;
          prometheus::add_process_metrics(out, "spate_taskmanager_", {{"tm_id", id_}});
          prometheus::add_task_counters(out, host_->task_counters(), id_);
          return out.text();
        },
        "TaskManager " + id_);
    std::printf("TaskManager %s started: data %s, %d slot(s), JobManager %s\n", id_.c_str(),
                ep_->address().c_str(), slots_, jm_address_.c_str());
    std::fflush(stdout);
    spate::log().info("TaskManager {} at {} with {} slot(s); JobManager at {}; mesh "
                      "authentication: {}",
                      id_, ep_->address(), slots_, jm_address_, mesh_auth_);
    while (tm_signal.load() == 0) {
      tick();
      auto wake = std::chrono::steady_clock::now() + interval_;
      while (tm_signal.load() == 0 && std::chrono::steady_clock::now() < wake) {
        release_due_keys();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    spate::log().info("TaskManager {} stops (signal {})", id_, tm_signal.load());
    if (prom)
      prom->stop();
    ep_->send(jobmanager_id,
              transport::encode_message(frame_type::disconnect, wire_disconnect{id_, {}}));
    host_->cancel_all("the TaskManager stops");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (host_->running_tasks() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // Let the disconnect and the last task reports leave.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return 0;
  }

private:
  //! What the task host sends through: the endpoint, except that the keys a
  //! deployment hands out (CURVE) are trusted for its job only, and released
  //! when the job ends here.
  class job_keys_sink final : public transport::frame_sink {
  public:
    explicit job_keys_sink(taskmanager& tm) : tm_(tm) {}
    void send(const std::string& peer, std::string frame) override {
      tm_.ep_->send(peer, std::move(frame));
    }
    void connect(const std::string& peer, const std::string& address) override {
      tm_.ep_->connect(peer, address);
    }
    void disconnect(const std::string& peer) override { tm_.ep_->disconnect(peer); }
    void trust(const std::string& peer, const std::string& public_key) override {
      tm_.learn_key(peer, public_key);
    }
    std::string public_key(const std::string& peer) const override {
      return tm_.ep_->public_key(peer);
    }

  private:
    taskmanager& tm_;
  };

  //! `peer` is `key` while the job being deployed runs here (or another job
  //! that names it). Outside a deployment (never, today): for good.
  void learn_key(const std::string& peer, const std::string& key) {
    if (deploying_job == nullptr || deploying_job->empty()) {
      ep_->trust(peer, key);
      return;
    }
    std::lock_guard<std::mutex> lock(keys_mu_);
    key_jobs_.insert(*deploying_job);
    key_releases_.erase(*deploying_job); // deployed again: still needed
    ep_->trust(peer, key, *deploying_job);
  }

  //! Job `job` ended here: the keys its deployments handed out go after
  //! key_release_delay, unless another job still needs them.
  void release_keys_of(const std::string& job) {
    std::lock_guard<std::mutex> lock(keys_mu_);
    if (key_jobs_.count(job) && !key_releases_.count(job))
      key_releases_[job] = std::chrono::steady_clock::now() + key_release_delay;
  }

  void release_due_keys() {
    std::lock_guard<std::mutex> lock(keys_mu_);
    if (key_releases_.empty())
      return;
    auto now = std::chrono::steady_clock::now();
    for (auto it = key_releases_.begin(); it != key_releases_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      auto gone = ep_->release_trust(it->first);
      std::string names;
      for (auto& p : gone)
        names += (names.empty() ? "'" : ", '") + p + "'";
      if (!gone.empty())
        spate::log().info("TaskManager {}: job {} ended here: the keys of {} are no longer "
                          "trusted (no job here needs them)",
                          id_, it->first, names);
      key_jobs_.erase(it->first);
      it = key_releases_.erase(it);
    }
  }

  void tick() {
    bool registered;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (registered_ && jm_heartbeats_.has_expired(jobmanager_id)) {
        registered_ = false;
        spate::log().warn("TaskManager {}: the JobManager at {} is unreachable (no heartbeat for "
                          "{} ms); cancelling tasks and registering again",
                          id_, jm_address_, jm_heartbeats_.timeout().count());
        host_->cancel_all("the JobManager is unreachable");
      }
      registered = registered_;
    }
    if (!registered) {
      ep_->send(jobmanager_id,
                transport::encode_message(frame_type::register_taskmanager,
                                          wire_register{id_, ep_->address(), slots_,
                                                        static_cast<std::int64_t>(getpid()),
                                                        host_name()}));
      return;
    }
    auto beat = transport::encode_message(
        frame_type::heartbeat,
        wire_heartbeat{id_, clock_.wall_ms(), ep_->address(), process_metrics()});
    ep_->send(jobmanager_id, beat);
    host_->report_metrics();
    watch_data_links(beat);
  }

  //! Heartbeats on the data links too: a TaskManager this one exchanges data
  //! with that stays silent past heartbeat.timeout (dead, stopped, or cut off
  //! while the JobManager still hears it) fails the jobs that use the link,
  //! instead of leaving them waiting for the checkpoint timeout.
  void watch_data_links(const std::string& beat) {
    auto peers = host_->data_peers();
    std::vector<std::string> silent;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& p : peers)
        if (!peer_heartbeats_.knows(p))
          peer_heartbeats_.heard_from(p); // watched from now on
      for (auto& p : peer_heartbeats_.expired())
        silent.push_back(p);
      std::vector<std::string> gone;
      for (auto& p : peer_heartbeats_.watched())
        if (!peers.count(p))
          gone.push_back(p);
      for (auto& p : silent)
        peer_heartbeats_.forget(p);
      for (auto& p : gone)
        peer_heartbeats_.forget(p);
    }
    for (auto& p : peers)
      ep_->send(p, beat);
    for (auto& p : silent)
      host_->fail_jobs_with(p, "no frame from TaskManager '" + p + "' on the data link for " +
                                   std::to_string(peer_heartbeats_.timeout().count()) +
                                   " ms (heartbeat.timeout)");
  }

  //! Frames from `from` were lost on the way (a connection dropped and
  //! ZeroMQ reconnected): what they said cannot be known, so nothing that
  //! depends on them is trusted.
  void on_gap(const std::string& from, const std::string& what) {
    if (from != jobmanager_id) {
      host_->fail_jobs_with(from,
                            "the data link from TaskManager '" + from + "' lost frames: " + what);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!registered_)
      return;
    // A lost deploy, cancel or checkpoint command: give up every task, tell
    // the JobManager (it treats them as lost), and register again.
    registered_ = false;
    auto reason = "lost frames from the JobManager (" + what + ")";
    spate::log().warn("TaskManager {}: {}; cancelling tasks and registering again", id_, reason);
    host_->cancel_all(reason);
    ep_->send(jobmanager_id,
              transport::encode_message(frame_type::disconnect,
                                        wire_disconnect{id_, "gave up its tasks: " + reason}));
  }

  void on_frame(const std::string& from, transport::frame&& f) {
    if (from == jobmanager_id) {
      switch (f.type) {
        case frame_type::registered: {
          auto m = transport::decode_payload<wire_registered>(f);
          std::lock_guard<std::mutex> lock(mu_);
          if (m.accepted) {
            if (!registered_) {
              spate::log().info("TaskManager {} registered with the JobManager", id_);
              host_->forget_idle_jobs(); // of a JobManager this one may not know
              // ... and the keys those jobs' deployments handed out.
              std::set<std::string> running;
              for (auto& c : host_->task_counters())
                running.insert(c.job_id);
              std::vector<std::string> idle;
              {
                std::lock_guard<std::mutex> keys_lock(keys_mu_);
                for (auto& job : key_jobs_)
                  if (!running.count(job))
                    idle.push_back(job);
              }
              for (auto& job : idle)
                release_keys_of(job);
            }
            registered_ = true;
            jm_heartbeats_.heard_from(jobmanager_id);
          } else {
            spate::log().warn("TaskManager {}: the JobManager says: {}", id_, m.reason);
            if (registered_)
              host_->cancel_all(m.reason);
            registered_ = false;
          }
          return;
        }
        case frame_type::heartbeat: {
          std::lock_guard<std::mutex> lock(mu_);
          jm_heartbeats_.heard_from(jobmanager_id);
          return;
        }
        default: {
          {
            std::lock_guard<std::mutex> lock(mu_);
            jm_heartbeats_.heard_from(jobmanager_id);
            // Given up (the JobManager is unreachable, or frames from it
            // were lost): nothing it sent before this TaskManager registers
            // again is acted on.
            if (!registered_) {
              spate::log().debug("TaskManager {}: dropped a {} frame (not registered)", id_,
                                 transport::to_string(f.type));
              return;
            }
          }
          // A deployment's keys are its job's; the job's end releases them.
          std::string job;
          if (f.type == frame_type::deploy || f.type == frame_type::release_job)
            job = frame_job_id(f);
          bool handled;
          {
            deploying_scope scope(f.type == frame_type::deploy ? &job : nullptr);
            handled = host_->on_frame(from, f);
          }
          if (!handled)
            throw error(errc::codec, std::string("unexpected ") + transport::to_string(f.type) +
                                         " frame from the JobManager");
          if (f.type == frame_type::release_job && !job.empty())
            release_keys_of(job);
          return;
        }
      }
    }
    // Other TaskManagers only send channel frames and heartbeats.
    if (f.type != frame_type::data && f.type != frame_type::control &&
        f.type != frame_type::credit && f.type != frame_type::heartbeat)
      throw error(errc::codec, std::string("a ") + transport::to_string(f.type) + " frame from '" +
                                   from + "' is not for a TaskManager");
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (peer_heartbeats_.knows(from))
        peer_heartbeats_.heard_from(from);
    }
    if (f.type != frame_type::heartbeat)
      host_->on_frame(from, f);
  }

  configuration cfg_;
  job_registry& registry_;
  std::mutex registry_mu_;
  std::string id_;
  int slots_;
  const spate::clock& clock_;
  std::chrono::milliseconds interval_;
  std::string jm_address_;
  std::string mesh_auth_;
  std::unique_ptr<working_dir> work_dir_;
  std::string state_dir_;
  caf::actor_system_config system_config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<transport::endpoint> ep_;
  job_keys_sink sink_{*this};
  //! Jobs whose deployments handed out keys, and when those of the jobs
  //! that ended here go (under keys_mu_).
  std::mutex keys_mu_;
  std::set<std::string> key_jobs_;
  std::map<std::string, std::chrono::steady_clock::time_point> key_releases_;
  std::unique_ptr<task_host> host_;
  std::atomic<bool> ready_{false};
  std::mutex mu_;
  bool registered_ = false;
  //! When the JobManager was last heard from (under mu_).
  spate::cluster::heartbeat_monitor jm_heartbeats_;
  //! When each TaskManager on a data link was last heard from (under mu_).
  spate::cluster::heartbeat_monitor peer_heartbeats_;
};

} // namespace

int run_taskmanager(const configuration& config, job_registry& jobs) {
  try {
    taskmanager tm(config, jobs);
    return tm.run();
  } catch (const error& e) {
    std::fprintf(stderr, "spate: taskmanager: %s\n", e.what());
    return e.code() == errc::invalid_argument ? 2 : 1;
  }
}

} // namespace spate
