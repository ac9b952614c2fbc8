#include "spate/actors/job_client.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include <deque>

#include "checkpoint_coordinator.hpp"
#include "checkpoint_messages.hpp"
#include "messages.hpp"
#include "runtime.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "remote_internal.hpp"
#include "task_actor.hpp"

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

namespace detail {

void job_runtime::set_status(job_status s, const std::string& cause) {
  {
    std::lock_guard<std::mutex> lock(mu);
    status = s;
    if (!cause.empty() && failure_cause.empty())
      failure_cause = cause;
    if (is_terminal(s))
      ended = std::chrono::steady_clock::now();
  }
  cv.notify_all();
}

std::atomic<std::int64_t>& job_runtime::named_counter(const std::string& name) {
  std::lock_guard<std::mutex> lock(counters_mu);
  auto& slot = named_counters[name];
  if (!slot)
    slot = std::make_unique<std::atomic<std::int64_t>>(0);
  return *slot;
}

job_runtime::~job_runtime() {
  upload.stop();
  if (system) {
    bool terminal;
    {
      std::lock_guard<std::mutex> lock(mu);
      terminal = is_terminal(status);
    }
    if (!terminal) {
      caf::anon_send(master, cancel_atom::value);
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return is_terminal(status); });
    }
    system.reset(); // waits until every actor quit, joins the scheduler
    master = nullptr;
    coordinator = nullptr;
  }
  if (!state_root.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(state_root, ec);
  }
}

namespace {

struct master_state {
  std::vector<caf::actor> tasks;
  std::size_t alive = 0;
  std::size_t finished = 0;
  bool failing = false;
  bool cancelling = false;
  bool restarting = false;
  bool stopping = false;
  std::string cause;
  // Restart strategy bookkeeping.
  std::int64_t attempts = 0;
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point last_failure{};
  std::deque<std::chrono::steady_clock::time_point> failures;
  std::chrono::milliseconds restart_delay{0};
  std::chrono::steady_clock::time_point down_since{};
  //! Remote jobs: waiting for free slots since `waiting_since`.
  bool waiting = false;
  std::chrono::steady_clock::time_point waiting_since{};
};

using master_actor = caf::stateful_actor<master_state>;

//! Spawns every task, downstream first, so each knows its targets' handles,
//! then tells the coordinator and starts them.
void deploy(master_actor* self, job_runtime* rt) {
  const auto& g = rt->graph;
  auto& plan = rt->plan;
  std::vector<std::vector<caf::actor>> actors(plan.chains.size());
  std::vector<caf::actor> order, sources;
  if (rt->remote) {
    auto& st = self->state;
    std::vector<int> parallelism;
    for (auto& c : plan.chains)
      parallelism.push_back(c.parallelism);
    std::string why;
    auto placed = rt->remote->place(rt->job_id, parallelism, why);
    auto now = std::chrono::steady_clock::now();
    if (!placed) {
      if (!st.waiting) {
        st.waiting = true;
        st.waiting_since = now;
        spate::log().info("job {} ({}) waits: {}", rt->job_name, rt->job_id, why);
      }
      if (now - st.waiting_since >= rt->slot_timeout) {
        st.waiting = false;
        auto cause = "NoResourceAvailableException: " + why + " after waiting " +
                     std::to_string(rt->slot_timeout.count()) + " ms (slot.request.timeout)";
        {
          std::lock_guard<std::mutex> lock(rt->mu);
          rt->exceptions.emplace_back(wall_clock_ms(), cause);
          rt->status_detail.clear();
        }
        self->send_exit(rt->coordinator, caf::exit_reason::user_shutdown);
        rt->set_status(job_status::failed, cause);
        self->quit();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(rt->mu);
        rt->status_detail = why;
      }
      self->delayed_send(self, std::chrono::milliseconds(200), start_atom::value);
      return;
    }
    st.waiting = false;
    {
      std::lock_guard<std::mutex> lock(rt->mu);
      rt->status_detail.clear();
    }
    actors = deploy_remote(self->system(), rt, *placed);
    for (int c = static_cast<int>(plan.chains.size()) - 1; c >= 0; --c)
      for (auto& a : actors[c]) {
        order.push_back(a);
        if (g.vertices()[plan.chains[c].head].is_source)
          sources.push_back(a);
        self->monitor(a);
      }
    rt->set_status(job_status::running);
  }
  for (int c = static_cast<int>(plan.chains.size()) - 1; !rt->remote && c >= 0; --c) {
    const auto& chain = plan.chains[c];
    for (int s = 0; s < chain.parallelism; ++s) {
      std::vector<std::vector<channel_target>> targets;
      for (int e : chain.out_edges) {
        int to_chain = plan.vertices[g.edges()[e].to.value()].chain;
        int base = plan.channel_base(g, e);
        std::vector<channel_target> ts;
        if (plan.edges[e].part == partitioning::forward) {
          ts.push_back({actors[to_chain][s], base});
        } else {
          for (auto& a : actors[to_chain])
            ts.push_back({a, base + s});
        }
        targets.push_back(std::move(ts));
      }
      auto a = self->system().spawn<task_actor>(rt, c, s, std::move(targets));
      actors[c].push_back(a);
      order.push_back(a);
      if (g.vertices()[chain.head].is_source)
        sources.push_back(a);
      self->monitor(a);
    }
  }
  auto& st = self->state;
  st.tasks = order;
  st.alive = order.size();
  st.finished = 0;
  self->send(rt->coordinator, start_atom::value, order, sources);
  for (auto& a : order)
    self->send(a, start_atom::value);
}

//! Whether the restart strategy allows another attempt, and after how long.
bool next_restart(master_state& st, const restart_config& r, std::chrono::milliseconds& delay) {
  auto now = std::chrono::steady_clock::now();
  switch (r.kind) {
    case restart_config::none:
      return false;
    case restart_config::fixed_delay:
      if (st.attempts >= r.attempts)
        return false;
      delay = r.delay;
      return true;
    case restart_config::exponential_delay:
      if (st.backoff.count() == 0 ||
          (st.last_failure != std::chrono::steady_clock::time_point{} &&
           now - st.last_failure > r.reset_threshold))
        st.backoff = r.initial_backoff;
      else
        st.backoff = std::min(r.max_backoff, std::chrono::milliseconds(static_cast<std::int64_t>(
                                                 static_cast<double>(st.backoff.count()) *
                                                 r.multiplier)));
      st.last_failure = now;
      delay = st.backoff;
      return true;
    case restart_config::failure_rate:
      st.failures.push_back(now);
      while (!st.failures.empty() && now - st.failures.front() > r.failure_interval)
        st.failures.pop_front();
      if (static_cast<std::int64_t>(st.failures.size()) > r.max_failures_per_interval)
        return false;
      delay = r.delay;
      return true;
  }
  return false;
}

void cancel_tasks(master_actor* self) {
  for (auto& t : self->state.tasks)
    self->send(t, cancel_atom::value);
}

void record_exception(job_runtime* rt, const std::string& cause);

void on_failure(master_actor* self, job_runtime* rt, const std::string& cause) {
  auto& st = self->state;
  if (st.failing || st.cancelling || st.restarting || st.stopping)
    return;
  record_exception(rt, cause);
  self->send(rt->coordinator, pause_atom::value);
  std::chrono::milliseconds delay{0};
  if (next_restart(st, rt->restart, delay)) {
    ++st.attempts;
    st.restarting = true;
    st.cause = cause;
    spate::log().warn("job {} restarts ({} strategy, attempt {}) after: {}", rt->job_name,
                      restart_config::name(rt->restart.kind), st.attempts, cause);
    rt->set_status(job_status::restarting, cause);
    st.down_since = std::chrono::steady_clock::now();
    st.restart_delay = delay; // once every task is down
    cancel_tasks(self);
    return;
  }
  st.failing = true;
  st.cause = cause;
  rt->set_status(job_status::failing, cause);
  cancel_tasks(self);
}

void record_exception(job_runtime* rt, const std::string& cause) {
  std::lock_guard<std::mutex> lock(rt->mu);
  rt->exceptions.emplace_back(wall_clock_ms(), cause);
  if (rt->exceptions.size() > 16)
    rt->exceptions.erase(rt->exceptions.begin());
}

caf::behavior job_master(master_actor* self, job_runtime* rt) {
  self->set_down_handler([self, rt](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.reason && !st.failing && !st.cancelling && !st.restarting && !st.stopping)
      on_failure(self, rt, "a task terminated unexpectedly: " + caf::to_string(dm.reason));
    if (--st.alive > 0)
      return;
    if (rt->remote) {
      forget_attempt(rt);
      rt->remote->release(rt->job_id);
    }
    if (st.restarting && !st.cancelling) {
      self->delayed_send(self, st.restart_delay, restart_atom::value);
      return;
    }
    // Stop the coordinator before the status turns terminal: a waiting
    // client may destroy the runtime (and its handles) right after.
    self->send_exit(rt->coordinator, caf::exit_reason::user_shutdown);
    if (st.failing)
      rt->set_status(job_status::failed, st.cause);
    else if (st.finished == st.tasks.size())
      rt->set_status(job_status::finished); // a cancel that came after the end
    else if (st.cancelling)
      rt->set_status(job_status::canceled);
    else if (st.restarting)
      rt->set_status(job_status::canceled);
    else if (st.stopping)
      rt->set_status(job_status::finished);
    else
      rt->set_status(job_status::failed, "tasks stopped before finishing");
    self->quit();
  });
  return {
    [self, rt](start_atom) {
      auto& st = self->state;
      if (st.cancelling || st.failing || (st.alive > 0))
        return; // a retry of a deployment that is no longer wanted
      deploy(self, rt);
    },
    [self, rt](const task_done_msg& m) {
      auto& st = self->state;
      if (!m.failed) {
        if (++st.finished == 1)
          self->send(rt->coordinator, finished_atom::value);
        if (st.finished == st.tasks.size() && !st.failing && !st.cancelling && !st.restarting)
          for (auto& t : st.tasks)
            self->send(t, complete_atom::value, final_checkpoint_id);
        return;
      }
      on_failure(self, rt, m.cause);
    },
    [self, rt](fail_atom, const std::string& cause) { on_failure(self, rt, cause); },
    [self, rt](restart_atom) {
      auto& st = self->state;
      if (!st.restarting || st.cancelling)
        return;
      st.restarting = false;
      {
        std::lock_guard<std::mutex> lock(rt->mu);
        ++rt->full_restarts;
        rt->downtime += std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - st.down_since);
      }
      rt->set_status(job_status::running);
      deploy(self, rt);
    },
    [self, rt](cancel_atom) {
      auto& st = self->state;
      if (st.failing || st.cancelling || st.stopping)
        return;
      st.cancelling = true;
      self->send(rt->coordinator, pause_atom::value);
      rt->set_status(job_status::cancelling);
      if (st.alive == 0 && (st.restarting || st.waiting)) {
        self->send_exit(rt->coordinator, caf::exit_reason::user_shutdown);
        rt->set_status(job_status::canceled);
        self->quit();
        return;
      }
      cancel_tasks(self);
    },
    [self, rt](stopped_atom) {
      auto& st = self->state;
      if (st.failing || st.cancelling || st.restarting)
        return;
      st.stopping = true;
      cancel_tasks(self);
    },
  };
}


} // namespace
} // namespace detail

std::string new_job_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<std::uint64_t>(
                          std::chrono::steady_clock::now().time_since_epoch().count()));
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

const std::string& job_client::job_id() const {
  return rt_->job_id;
}

const std::string& job_client::job_name() const {
  return rt_->job_name;
}

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
  r.net_runtime =
      std::chrono::duration_cast<std::chrono::milliseconds>(rt_->ended - rt_->started);
  return r;
}

bool job_client::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(rt_->mu);
  return rt_->cv.wait_for(lock, timeout, [this] { return is_terminal(rt_->status); });
}

void job_client::cancel() {
  caf::anon_send(rt_->master, detail::cancel_atom::value);
}

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

std::map<std::string, std::int64_t> job_client::counters() const {
  std::map<std::string, std::int64_t> out;
  std::lock_guard<std::mutex> lock(rt_->counters_mu);
  for (auto& [name, value] : rt_->named_counters)
    out[name] = value->load();
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

namespace detail {

void init_runtime(job_runtime& rt, job_graph graph, const configuration& config,
                  const std::string& job_name, const std::string& state_root) {
  rt.job_name = job_name;
  rt.config = config;
  rt.graph = std::move(graph);
  rt.plan = make_plan(rt.graph, rt.config);
  // Read as signed and checked before any cast: "-1" must not become 2^64 - 1.
  auto in_range = [&config](const char* key, std::int64_t fallback, std::int64_t minimum,
                            std::int64_t maximum) {
    const std::int64_t v = config.get_int(key, fallback);
    if (v < minimum || v > maximum)
      throw error(errc::invalid_argument,
                  std::string("configuration '") + key + "' must be between " +
                      std::to_string(minimum) + " and " + std::to_string(maximum) + " (got " +
                      std::to_string(v) + ")");
    return v;
  };
  constexpr std::int64_t unbounded = std::numeric_limits<std::int64_t>::max();
  rt.batch_size = static_cast<std::size_t>(in_range(options::batch_size, 1024, 1, unbounded));
  // Credits are batches each channel may buffer: beyond this, memory, not flow control.
  rt.credits_per_channel =
      static_cast<int>(in_range(options::buffers_per_channel, 4, 1, std::int64_t{1} << 20));
  // Read by every keyed task when it starts; refused here, before any starts.
  in_range(options::state_cache_entries, static_cast<std::int64_t>(default_state_cache_entries),
           0, unbounded);
  in_range(options::state_ingest_min_entries,
           static_cast<std::int64_t>(default_ingest_min_entries), 1, unbounded);
  rt.buffer_timeout = config.get_duration(options::buffer_timeout, std::chrono::milliseconds(100));
  rt.state_root = state_root;
  for (auto& c : rt.plan.chains) {
    std::vector<std::unique_ptr<task_counters>> v;
    for (int s = 0; s < c.parallelism; ++s)
      v.push_back(std::make_unique<task_counters>());
    rt.counters.push_back(std::move(v));
  }
  rt.checkpointing = checkpoint_config::from(config);
  rt.restart = restart_config::from(config, rt.checkpointing.enabled);
}

std::shared_ptr<restore_point> make_restore_point(const std::string& path) {
  auto rp = std::make_shared<restore_point>();
  rp->path = checkpoints::resolve_metadata_path(path);
  rp->meta = checkpoints::load_metadata(rp->path);
  std::filesystem::path dir = std::filesystem::path(rp->path).parent_path();
  rp->base_dir = (rp->meta.savepoint ? dir : dir.parent_path()).string();
  return rp;
}

namespace {

//! Loads the snapshot to start from and checks it fits the job: every
//! stateful operator in it has a uid in the job (unless allowed), and keyed
//! operators keep their max parallelism.
std::shared_ptr<const restore_point> load_restore_point(job_runtime& rt, const std::string& path) {
  auto rp = make_restore_point(path);
  std::map<std::string, const planned_vertex*> by_uid;
  std::map<std::string, const job_vertex*> vertex_of;
  for (std::size_t v = 0; v < rt.plan.vertices.size(); ++v) {
    by_uid[rt.plan.vertices[v].uid] = &rt.plan.vertices[v];
    vertex_of[rt.plan.vertices[v].uid] = &rt.graph.vertices()[v];
  }
  for (auto& op : rp->meta.operators) {
    // Every file the snapshot names must be there, whole: a restore that
    // fails inside the tasks would only restart again and again.
    for (auto& h : op.keyed)
      for (auto* files : {&h.shared_files, &h.private_files})
        for (auto& f : *files) {
          auto file = std::filesystem::path(rp->base_dir) / f.path;
          std::error_code ec;
          auto size = std::filesystem::file_size(file, ec);
          if (ec)
            throw error(errc::not_found, "state file '" + file.string() + "' of operator '" +
                                             op.name + "' in '" + rp->path + "' is missing");
          if (size != f.size)
            throw error(errc::corrupt, "state file '" + file.string() + "' has " +
                                           std::to_string(size) + " bytes, '" + rp->path +
                                           "' recorded " + std::to_string(f.size));
        }
    auto it = by_uid.find(op.uid);
    if (it == by_uid.end()) {
      if (rt.allow_non_restored_state)
        continue;
      throw error(errc::invalid_argument,
                  "the snapshot '" + rp->path + "' has state of operator '" + op.name +
                      "' (uid '" + op.uid +
                      "') that matches no operator of the job; give the operator that uid, or "
                      "allow non-restored state to skip it");
    }
    if (!op.keyed.empty() && vertex_of[op.uid]->keyed &&
        it->second->max_parallelism != op.max_parallelism)
      throw error(errc::invalid_argument,
                  "operator '" + op.name + "' (uid '" + op.uid + "') was snapshotted with max "
                  "parallelism " + std::to_string(op.max_parallelism) + " but the job runs it with " +
                      std::to_string(it->second->max_parallelism) +
                      "; the max parallelism of a stateful operator cannot change");
    if (it->second->parallelism > op.max_parallelism)
      throw error(errc::invalid_argument,
                  "operator '" + op.name + "' cannot run with parallelism " +
                      std::to_string(it->second->parallelism) + ": its state has max parallelism " +
                      std::to_string(op.max_parallelism));
  }
  {
    std::lock_guard<std::mutex> lock(rt.mu);
    rt.checkpoints_restored = 1;
  }
  spate::log().info("job {} starts from {} {} ('{}')", rt.job_name,
                    rp->meta.savepoint ? "savepoint" : "checkpoint", rp->meta.checkpoint_id,
                    rp->path);
  return rp;
}

} // namespace
} // namespace detail

namespace {

std::string request_savepoint(detail::job_runtime& rt, const std::string& dir, bool stop,
                              bool drain, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto future = promise->get_future();
  caf::anon_send(rt.coordinator, detail::savepoint_request{dir, stop, drain, promise});
  if (future.wait_for(timeout) != std::future_status::ready)
    throw error(errc::internal, std::string(stop ? "stop-with-savepoint" : "savepoint") +
                                    " did not complete within " +
                                    std::to_string(timeout.count()) + " ms");
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

std::int64_t job_client::full_restarts() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  return rt_->full_restarts;
}

job_client start_job(job_graph graph, const configuration& config, const std::string& job_name,
                     const start_options& opts) {
  using namespace detail;
  auto rt = std::make_shared<job_runtime>();
  rt->job_id = opts.job_id.empty() ? new_job_id() : opts.job_id;
  auto state_dir = config.get_string(options::state_dir,
                                     std::filesystem::temp_directory_path().string());
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
  rt->master = rt->system->spawn(job_master, rt.get());
  rt->started = std::chrono::steady_clock::now();
  rt->start_wall_ms = wall_clock_ms();
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

std::int64_t job_client::start_time() const {
  return rt_->start_wall_ms;
}

std::int64_t job_client::end_time() const {
  std::lock_guard<std::mutex> lock(rt_->mu);
  if (!is_terminal(rt_->status))
    return 0;
  return rt_->start_wall_ms +
         std::chrono::duration_cast<std::chrono::milliseconds>(rt_->ended - rt_->started).count();
}

const configuration& job_client::config() const {
  return rt_->config;
}

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

const checkpoint_config& job_client::checkpointing() const {
  return rt_->checkpointing;
}

} // namespace spate
