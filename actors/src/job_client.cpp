#include "spate/actors/job_client.hpp"

#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "messages.hpp"
#include "runtime.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
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
    master = nullptr;
    system.reset(); // joins the scheduler; every actor has quit
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
  std::string cause;
};

caf::behavior job_master(caf::stateful_actor<master_state>* self, job_runtime* rt) {
  auto cancel_all = [self] {
    for (auto& t : self->state.tasks)
      self->send(t, cancel_atom::value);
  };
  self->set_down_handler([self, rt](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.reason && !st.failing && !st.cancelling) {
      st.failing = true;
      st.cause = "a task terminated unexpectedly: " + caf::to_string(dm.reason);
      for (auto& t : st.tasks)
        self->send(t, cancel_atom::value);
    }
    if (--st.alive > 0)
      return;
    if (st.failing)
      rt->set_status(job_status::failed, st.cause);
    else if (st.cancelling)
      rt->set_status(job_status::canceled);
    else if (st.finished == st.tasks.size())
      rt->set_status(job_status::finished);
    else
      rt->set_status(job_status::failed, "tasks stopped before finishing");
    self->quit();
  });
  return {
    [self](start_atom, std::vector<caf::actor>& tasks) {
      auto& st = self->state;
      st.tasks = std::move(tasks);
      st.alive = st.tasks.size();
      for (auto& t : st.tasks)
        self->monitor(t);
    },
    [self, rt, cancel_all](const task_done_msg& m) {
      auto& st = self->state;
      if (!m.failed) {
        ++st.finished;
        return;
      }
      if (st.failing || st.cancelling)
        return;
      st.failing = true;
      st.cause = m.cause;
      rt->set_status(job_status::failing, m.cause);
      cancel_all();
    },
    [self, rt, cancel_all](cancel_atom) {
      auto& st = self->state;
      if (st.failing || st.cancelling)
        return;
      st.cancelling = true;
      rt->set_status(job_status::cancelling);
      cancel_all();
    },
  };
}

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

} // namespace
} // namespace detail

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
  return out;
}

std::vector<std::string> job_client::task_names() const {
  std::vector<std::string> names;
  for (auto& c : rt_->plan.chains)
    names.push_back(c.name);
  return names;
}

job_client start_job(job_graph graph, const configuration& config, const std::string& job_name) {
  using namespace detail;
  auto rt = std::make_shared<job_runtime>();
  rt->job_id = new_job_id();
  rt->job_name = job_name;
  rt->config = config;
  rt->graph = std::move(graph);
  rt->plan = make_plan(rt->graph, rt->config);
  rt->batch_size = static_cast<std::size_t>(config.get_int(options::batch_size, 1024));
  if (rt->batch_size < 1)
    throw error(errc::invalid_argument, std::string("configuration '") + options::batch_size +
                                            "' must be at least 1");
  rt->credits_per_channel = static_cast<int>(config.get_int(options::buffers_per_channel, 4));
  if (rt->credits_per_channel < 1)
    throw error(errc::invalid_argument, std::string("configuration '") +
                                            options::buffers_per_channel +
                                            "' must be at least 1");
  rt->buffer_timeout = config.get_duration(options::buffer_timeout, std::chrono::milliseconds(100));
  auto state_dir = config.get_string(options::state_dir,
                                     std::filesystem::temp_directory_path().string());
  rt->state_root = state_dir + "/spate-" + rt->job_id;

  for (auto& c : rt->plan.chains) {
    std::vector<std::unique_ptr<task_counters>> v;
    for (int s = 0; s < c.parallelism; ++s)
      v.push_back(std::make_unique<task_counters>());
    rt->counters.push_back(std::move(v));
  }

  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  auto threads = static_cast<std::size_t>(config.get_int(options::scheduler_threads, hw));
  rt->system_config = std::make_unique<caf::actor_system_config>();
  rt->system_config->set("scheduler.max-threads", threads);
  rt->system = std::make_unique<caf::actor_system>(*rt->system_config);
  rt->master = rt->system->spawn(job_master, rt.get());

  // Spawn downstream chains first, so every task knows its targets' handles.
  const auto& g = rt->graph;
  auto& plan = rt->plan;
  std::vector<std::vector<caf::actor>> actors(plan.chains.size());
  for (int c = static_cast<int>(plan.chains.size()) - 1; c >= 0; --c) {
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
      actors[c].push_back(rt->system->spawn<task_actor>(rt.get(), c, s, std::move(targets)));
    }
  }
  std::vector<caf::actor> all;
  for (auto& v : actors)
    for (auto& a : v)
      all.push_back(a);
  rt->started = std::chrono::steady_clock::now();
  rt->set_status(job_status::running);
  caf::anon_send(rt->master, start_atom::value, all);
  for (int c = static_cast<int>(plan.chains.size()) - 1; c >= 0; --c)
    for (auto& a : actors[c])
      caf::anon_send(a, start_atom::value);
  spate::log().debug("job {} ({}) started with {} tasks", rt->job_name, rt->job_id, all.size());
  return job_client(std::move(rt));
}

} // namespace spate
