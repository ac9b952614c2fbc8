// The non-template part of the operator test harness: snapshots of an
// operator's state and their restore (spate/api/testing.hpp).
#include "spate/api/testing.hpp"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "spate/checkpoints/keyed_snapshot.hpp"
#include "spate/core/error.hpp"

namespace fs = std::filesystem;

namespace spate::detail {

harness_scratch_dir::harness_scratch_dir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw error(errc::io, "cannot create a temporary directory for the operator harness");
  path_ = tmpl;
}

harness_scratch_dir::~harness_scratch_dir() {
  // A test's scratch directory under the temp dir: a leftover is harmless,
  // and a destructor must not throw.
  std::error_code ec;
  fs::remove_all(path_, ec);
}

} // namespace spate::detail

namespace spate::testing {

std::map<std::string, std::string> harness_snapshot::operator_state(int subtask) const {
  std::map<std::string, std::string> r;
  for (const auto& e : meta_.operator_state)
    if (e.subtask == subtask)
      r[e.name] = e.bytes;
  return r;
}

harness_snapshot harness_snapshot::combine(const std::vector<harness_snapshot>& parts) {
  if (parts.empty())
    throw error(errc::invalid_argument, "harness_snapshot::combine: no snapshots to combine");
  const auto& first = parts.front().meta_;
  harness_snapshot r;
  r.id_ = parts.front().id_;
  r.meta_.uid = first.uid;
  r.meta_.name = first.name;
  r.meta_.parallelism = first.parallelism;
  r.meta_.max_parallelism = first.max_parallelism;
  std::set<int> seen;
  for (const auto& p : parts) {
    const auto& m = p.meta_;
    if (m.uid != first.uid || m.parallelism != first.parallelism ||
        m.max_parallelism != first.max_parallelism)
      throw error(errc::invalid_argument,
                  "harness_snapshot::combine: operator '" + m.uid + "' at parallelism " +
                      std::to_string(m.parallelism) + " (max " + std::to_string(m.max_parallelism) +
                      ") does not go with operator '" + first.uid + "' at parallelism " +
                      std::to_string(first.parallelism) + " (max " +
                      std::to_string(first.max_parallelism) + ")");
    for (int s : p.subtasks_)
      if (!seen.insert(s).second)
        throw error(errc::invalid_argument,
                    "harness_snapshot::combine: subtask " + std::to_string(s) + " is given twice");
    r.meta_.keyed.insert(r.meta_.keyed.end(), m.keyed.begin(), m.keyed.end());
    r.meta_.operator_state.insert(r.meta_.operator_state.end(), m.operator_state.begin(),
                                  m.operator_state.end());
    r.dirs_.insert(r.dirs_.end(), p.dirs_.begin(), p.dirs_.end());
  }
  r.subtasks_.assign(seen.begin(), seen.end());
  return r;
}

harness_snapshot harness_snapshot::take(std::int64_t id, snapshot_kind kind,
                                        const runtime_context& ctx,
                                        const std::map<std::string, std::string>& entries,
                                        keyed_state_backend* backend) {
  harness_snapshot s;
  s.id_ = id;
  s.subtasks_ = {ctx.subtask};
  s.meta_.uid = ctx.operator_uid;
  s.meta_.name = ctx.task_name;
  s.meta_.parallelism = ctx.parallelism;
  s.meta_.max_parallelism = ctx.max_parallelism;
  for (const auto& [name, bytes] : entries)
    s.meta_.operator_state.push_back({ctx.subtask, name, bytes});
  if (!backend)
    return s;
  auto dir = std::make_shared<const detail::harness_scratch_dir>("spate-harness-snapshot-");
  checkpoints::keyed_state_handle h;
  h.subtask = ctx.subtask;
  h.key_group_start = backend->key_groups().start;
  h.key_group_end = backend->key_groups().end;
  const std::string name = "subtask-" + std::to_string(ctx.subtask);
  // Handles name their files by absolute path: the snapshot's files stay in
  // its own directory, also after combine() (restored with base dir "").
  if (kind == snapshot_kind::savepoint) {
    h.format = "canonical";
    std::string file = dir->path() + "/" + name + ".state";
    auto size = checkpoints::export_canonical(*backend, file);
    h.private_files.push_back({file, size});
  } else {
    h.format = "rocksdb";
    // What a task does, the uploader's part included, on this thread.
    std::string local = dir->path() + "/" + name + "/chk-" + std::to_string(id);
    backend->prepare_flush()->apply_and_checkpoint(local);
    for (const auto& entry : fs::directory_iterator(local))
      if (entry.is_regular_file())
        h.private_files.push_back(
            {entry.path().string(), static_cast<std::uint64_t>(entry.file_size())});
    std::sort(h.private_files.begin(), h.private_files.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
  }
  s.meta_.keyed.push_back(std::move(h));
  s.dirs_.push_back(std::move(dir));
  return s;
}

std::unique_ptr<keyed_state_backend>
harness_snapshot::restore_keyed(const state_backend_options& so, const std::string& scratch) const {
  std::map<std::string, std::string> known; // for incremental checkpoints: not used here
  return checkpoints::restore_keyed_backend(so, meta_, "", scratch, known);
}

operator_state_reader harness_snapshot::reader_for(int subtask, int parallelism) const {
  std::vector<std::map<std::string, std::string>> old(static_cast<std::size_t>(meta_.parallelism));
  for (const auto& e : meta_.operator_state)
    if (e.subtask >= 0 && e.subtask < meta_.parallelism)
      old[static_cast<std::size_t>(e.subtask)][e.name] = e.bytes;
  return operator_state_reader(subtask, parallelism, meta_.parallelism, std::move(old));
}

} // namespace spate::testing
