// The shared state of one job: status, counters, the restore point, and how
// it is built from a graph and configuration.
#include <algorithm>
#include <filesystem>
#include <limits>

#include "messages.hpp"
#include "runtime.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::detail {

void job_runtime::set_status(job_status s, const std::string& cause) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (status != s || status_since_ms[static_cast<int>(s)] == 0)
      status_since_ms[static_cast<int>(s)] = clk->monotonic_ms();
    status = s;
    if (!cause.empty() && failure_cause.empty())
      failure_cause = cause;
    if (is_terminal(s))
      ended_ms = clk->monotonic_ms();
  }
  cv.notify_all();
}

std::map<std::string, std::int64_t> job_runtime::sum_named() const {
  std::map<std::string, std::int64_t> out;
  for (auto& chain : counters)
    for (auto& c : chain)
      c->named.add_to(out);
  return out;
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
    // The job is over; a directory left behind only takes space.
    std::error_code ec;
    std::filesystem::remove_all(state_root, ec);
    if (ec)
      spate::log().warn("job '{}': cannot remove its local state directory '{}': {}", job_name,
                        state_root, ec.message());
  }
}

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
      throw error(errc::invalid_argument, std::string("configuration '") + key +
                                              "' must be between " + std::to_string(minimum) +
                                              " and " + std::to_string(maximum) + " (got " +
                                              std::to_string(v) + ")");
    return v;
  };
  constexpr std::int64_t unbounded = std::numeric_limits<std::int64_t>::max();
  rt.batch_size = static_cast<std::size_t>(in_range(options::batch_size, 1024, 1, unbounded));
  rt.remote_batch_size = static_cast<std::size_t>(in_range(
      options::remote_batch_size,
      static_cast<std::int64_t>(std::min<std::size_t>(rt.batch_size, 1 << 20)) * 4, 1, unbounded));
  {
    const std::int64_t seg = config.get_memory_size(options::segment_size, 32 << 10);
    if (seg < 1024 || seg > (std::int64_t{64} << 20))
      throw error(errc::invalid_argument, std::string("configuration '") + options::segment_size +
                                              "' must be between 1kb and 64mb (got " +
                                              std::to_string(seg) + " bytes)");
    rt.segment_size = static_cast<std::size_t>(seg);
  }
  // Credits are batches each channel may buffer: beyond this, memory, not flow control.
  rt.credits_per_channel =
      static_cast<int>(in_range(options::buffers_per_channel, 4, 1, std::int64_t{1} << 20));
  // Read by every keyed task when it starts; refused here, before any starts.
  in_range(options::state_cache_entries, static_cast<std::int64_t>(default_state_cache_entries), 0,
           unbounded);
  in_range(options::state_ingest_min_entries, static_cast<std::int64_t>(default_ingest_min_entries),
           1, unbounded);
  rt.buffer_timeout = config.get_duration(options::buffer_timeout, std::chrono::milliseconds(100));
  rt.state_root = state_root;
  for (auto& c : rt.plan.chains) {
    std::vector<std::unique_ptr<task_counters>> v;
    for (int s = 0; s < c.parallelism; ++s)
      v.push_back(std::make_unique<task_counters>());
    rt.counters.push_back(std::move(v));
    rt.views.emplace_back(static_cast<std::size_t>(c.parallelism));
    rt.reported.emplace_back(static_cast<std::size_t>(c.parallelism));
  }
  rt.task_time_enabled = config.get_bool(options::task_time_enabled, true);
  rt.checkpointing = checkpoint_config::from(config);
  rt.restart = restart_config::from(config, rt.checkpointing.enabled);
}

std::shared_ptr<restore_point> make_restore_point(const std::string& path) {
  auto rp = std::make_shared<restore_point>();
  rp->path = checkpoints::resolve_metadata_path(path);
  rp->meta = checkpoints::load_metadata(rp->path);
  // Before any file is opened: paths inside the snapshot, every key group there.
  checkpoints::validate_metadata(rp->meta, rp->path);
  std::filesystem::path dir = std::filesystem::path(rp->path).parent_path();
  rp->base_dir = (rp->meta.savepoint ? dir : dir.parent_path()).string();
  // Never empty: restore_keyed_backend reads an empty base as "paths are absolute".
  if (rp->base_dir.empty())
    rp->base_dir = ".";
  return rp;
}

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
          auto file = checkpoints::snapshot_file_path(rp->base_dir, f.path, rp->path, op.uid);
          std::error_code ec;
          auto size = std::filesystem::file_size(file, ec);
          if (ec)
            throw error(errc::not_found, "state file '" + file + "' of operator '" + op.name +
                                             "' in '" + rp->path + "' is missing");
          if (size != f.size)
            throw error(errc::corrupt, "state file '" + file + "' has " + std::to_string(size) +
                                           " bytes, '" + rp->path + "' recorded " +
                                           std::to_string(f.size));
        }
    auto it = by_uid.find(op.uid);
    if (it == by_uid.end()) {
      // A finished operator without state says only that it finished.
      if (rt.allow_non_restored_state || (op.keyed.empty() && op.operator_state.empty()))
        continue;
      throw error(errc::invalid_argument,
                  "the snapshot '" + rp->path + "' has state of operator '" + op.name + "' (uid '" +
                      op.uid +
                      "') that matches no operator of the job; give the operator that uid, or "
                      "allow non-restored state to skip it");
    }
    if (!op.keyed.empty() && vertex_of[op.uid]->keyed &&
        it->second->max_parallelism != op.max_parallelism)
      throw error(errc::invalid_argument,
                  "operator '" + op.name + "' (uid '" + op.uid +
                      "') was snapshotted with max "
                      "parallelism " +
                      std::to_string(op.max_parallelism) + " but the job runs it with " +
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
    rt.last_restore_wall_ms = rt.clk->wall_ms();
    rt.last_restore = restore_info{rp->meta.checkpoint_id, rt.last_restore_wall_ms,
                                   rp->meta.savepoint, restore_directory(rp->path)};
  }
  spate::log().info("job {} starts from {} {} ('{}')", rt.job_name,
                    rp->meta.savepoint ? "savepoint" : "checkpoint", rp->meta.checkpoint_id,
                    rp->path);
  return rp;
}

} // namespace spate::detail
