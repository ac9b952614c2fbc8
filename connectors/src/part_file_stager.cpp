// per_subtask mode of the exactly-once file sink: in-progress, pending and
// committed part files in one directory.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <vector>

#include "spate/core/crash_point.hpp"
#include "spate/connectors/file_sink_staging.hpp"
#include "spate/core/error.hpp"

namespace spate::detail {

namespace {

struct part_name {
  enum kind_t { visible, pending, in_progress };
  kind_t kind;
  int subtask;
  std::uint64_t seq;
};

template <class Int>
bool take_number(std::string_view& s, Int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end == s.data())
    return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

// Parses "part-<k>-<seq>", ".part-<k>-<seq>.pending" and ".part-<k>-<seq>.inprogress".
std::optional<part_name> parse_part_name(std::string_view s) {
  bool hidden = !s.empty() && s.front() == '.';
  if (hidden)
    s.remove_prefix(1);
  if (s.substr(0, 5) != "part-")
    return std::nullopt;
  s.remove_prefix(5);
  part_name p{part_name::visible, 0, 0};
  if (!take_number(s, p.subtask) || s.empty() || s.front() != '-')
    return std::nullopt;
  s.remove_prefix(1);
  if (!take_number(s, p.seq))
    return std::nullopt;
  if (!hidden && s.empty())
    return p;
  if (hidden && s == ".pending")
    return p.kind = part_name::pending, p;
  if (hidden && s == ".inprogress")
    return p.kind = part_name::in_progress, p;
  return std::nullopt;
}

// Parses "part-<k>", the name a sink without checkpoints writes.
std::optional<int> parse_direct_part_name(std::string_view s) {
  if (s.substr(0, 5) != "part-")
    return std::nullopt;
  s.remove_prefix(5);
  int subtask = 0;
  if (!take_number(s, subtask) || !s.empty())
    return std::nullopt;
  return subtask;
}

} // namespace

std::string part_file_stager::visible_name(int subtask, std::uint64_t seq) const {
  return dir_ + "/part-" + std::to_string(subtask) + "-" + std::to_string(seq);
}

std::string part_file_stager::pending_name(int subtask, std::uint64_t seq) const {
  return dir_ + "/.part-" + std::to_string(subtask) + "-" + std::to_string(seq) + ".pending";
}

std::string part_file_stager::in_progress_name(int subtask, std::uint64_t seq) const {
  return dir_ + "/.part-" + std::to_string(subtask) + "-" + std::to_string(seq) + ".inprogress";
}

void part_file_stager::refuse_earlier_output(bool direct, bool rewrite_own) const {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec))
    return; // nothing there yet (or not a directory: creating it says why)
  std::vector<std::string> found;
  for (const std::string& name : list_directory(dir_)) {
    if (auto p = parse_part_name(name)) {
      // Committed by an earlier run: this job commits nothing before every
      // subtask has opened (a checkpoint completes only when all took it).
      if (p->kind == part_name::visible)
        found.push_back(name);
    } else if (auto k = parse_direct_part_name(name)) {
      bool this_jobs = direct && (*k == subtask_ ? rewrite_own : *k < parallelism_);
      if (!this_jobs)
        found.push_back(name);
    }
  }
  if (found.empty())
    return;
  std::sort(found.begin(), found.end());
  std::string which = "'" + found.front() + "'";
  if (found.size() > 1)
    which += " and " + std::to_string(found.size() - 1) + " more";
  throw_file_error(dir_,
                   "holds part files of an earlier run (" + which +
                       "); a new job does not overwrite committed output: remove them, choose "
                       "another output directory, or resume the earlier run from its checkpoint "
                       "or savepoint with -s",
                   0, errc::failed_precondition);
}

void part_file_stager::start_fresh() {
  refuse_earlier_output(/*direct=*/false, /*rewrite_own=*/false);
  create_directories(dir_, dir_);
  // Only hidden files of this subtask are left: uncommitted, or committed
  // only in a checkpoint this job does not restore.
  for (const std::string& name : list_directory(dir_)) {
    auto p = parse_part_name(name);
    if (p && p->subtask == subtask_ && p->kind != part_name::visible)
      remove_file(dir_ + "/" + name);
  }
  sync_directory(dir_);
  next_seq_ = 0;
}

void part_file_stager::restore(const operator_state_reader& in) {
  auto states = read_file_sink_states(in, dir_, "per_subtask");
  create_directories(dir_, dir_);
  // The old subtasks whose files this one takes over: itself, and after a
  // rescale to fewer subtasks those with k % p == i. Each old subtask is taken
  // over by exactly one new subtask, so no two of them touch the same files.
  std::set<int> taken{subtask_};
  for (int k = 0; k < static_cast<int>(in.all().size()); ++k)
    if (k % parallelism_ == subtask_)
      taken.insert(k);
  // Numbers continue after the highest any subtask recorded, so a name never
  // comes back even when subtasks are renumbered by a rescale.
  std::uint64_t next = 0;
  std::map<int, std::uint64_t> recorded_next; // of the old subtasks taken over
  for (const auto& [k, state] : states) {
    next = std::max(next, state.next_seq);
    if (state.subtask != k)
      throw_file_error(dir_,
                       "checkpointed state of subtask " + std::to_string(k) + " names subtask " +
                           std::to_string(state.subtask),
                       0, errc::corrupt);
    if (!taken.count(k))
      continue;
    recorded_next[k] = state.next_seq;
    for (const pending_file& p : state.pending)
      commit_recorded(k, p);
    if (!state.direct_file.empty())
      restore_direct(state);
  }
  for (const std::string& name : list_directory(dir_)) {
    auto p = parse_part_name(name);
    if (!p || !taken.count(p->subtask))
      continue;
    // Whatever else is hidden was written after the checkpoint: never committed.
    bool after_checkpoint = p->kind != part_name::visible;
    // A visible file numbered after the checkpoint was committed after it (by
    // finish(), or for a later checkpoint when an older one is restored): the
    // sources replay its records, so it goes too.
    auto it = recorded_next.find(p->subtask);
    if (p->kind == part_name::visible && it != recorded_next.end() && p->seq >= it->second)
      after_checkpoint = true;
    if (after_checkpoint) {
      remove_file(dir_ + "/" + name);
      continue;
    }
    if (p->subtask == subtask_ && p->seq != std::numeric_limits<std::uint64_t>::max())
      next = std::max(next, p->seq + 1);
  }
  sync_directory(dir_);
  next_seq_ = next;
  pending_.clear();
}

void part_file_stager::restore_direct(const file_sink_state& state) {
  // Only a visible part file of that subtask: the name comes from the state
  // and must not reach outside the directory or another subtask's files.
  const std::string& name = state.direct_file;
  auto p = parse_part_name(name);
  bool ok =
      p ? p->kind == part_name::visible && p->subtask == state.subtask && p->seq < state.next_seq
        : parse_direct_part_name(name) == std::optional<int>(state.subtask);
  if (!ok)
    throw_file_error(dir_,
                     "the snapshot of subtask " + std::to_string(state.subtask) + " names '" +
                         name + "', not a part file it writes",
                     0, errc::corrupt);
  std::string file = dir_ + "/" + name;
  std::int64_t size = file_size(file);
  if (size < 0 && state.direct_length == 0)
    return; // created empty, then removed: nothing of it is kept
  if (size < 0 || static_cast<std::uint64_t>(size) < state.direct_length)
    throw_file_error(
        file,
        (size < 0 ? std::string("is missing") : "has " + std::to_string(size) + " bytes") +
            ", the snapshot recorded " + std::to_string(state.direct_length),
        0, errc::corrupt);
  // Written after the snapshot: the sources replay those records.
  if (static_cast<std::uint64_t>(size) > state.direct_length)
    truncate_file(file, state.direct_length);
}

void part_file_stager::commit_recorded(int subtask, const pending_file& p) {
  std::string pending = pending_name(subtask, p.seq);
  if (file_exists(pending)) {
    rename_file(pending, visible_name(subtask, p.seq));
    return;
  }
  // Committed before the failure: the notification arrived, the state did not
  // record it yet.
  if (file_exists(visible_name(subtask, p.seq)))
    return;
  throw_file_error(pending,
                   "pending file of checkpoint " + std::to_string(p.checkpoint) +
                       " is missing (neither it nor its committed name exists)",
                   0, errc::corrupt);
}

void part_file_stager::write_line(const std::string& line) {
  if (!current_.is_open()) {
    current_seq_ = next_seq_++;
    current_.open(in_progress_name(subtask_, current_seq_), O_TRUNC);
  }
  current_.write_line(line);
}

void part_file_stager::snapshot(std::int64_t checkpoint, operator_state_writer& out) {
  if (!pending_.empty() && checkpoint <= pending_.back().checkpoint)
    throw error(errc::internal, "file sink '" + dir_ + "': checkpoint " +
                                    std::to_string(checkpoint) + " after checkpoint " +
                                    std::to_string(pending_.back().checkpoint));
  if (current_.is_open()) {
    current_.sync();
    current_.close();
    rename_file(current_.name(), pending_name(subtask_, current_seq_));
    pending_.push_back({checkpoint, current_seq_, current_.size()});
    sync_directory(dir_);
  }
  file_sink_state state;
  state.mode = "per_subtask";
  state.subtask = subtask_;
  state.next_seq = next_seq_;
  state.pending = pending_;
  std::string bytes;
  encode(state, bytes);
  out.put(file_sink_state_name, std::move(bytes));
}

void part_file_stager::snapshot_direct(const std::string& file, std::uint64_t length,
                                       operator_state_writer& out) const {
  file_sink_state state;
  state.mode = "per_subtask";
  state.subtask = subtask_;
  state.next_seq = next_seq_;
  state.pending = pending_; // empty: nothing is staged without checkpointing
  state.direct_output = output_identity(dir_);
  if (!file.empty()) {
    state.direct_file = std::filesystem::path(file).filename().string();
    state.direct_length = length;
  }
  std::string bytes;
  encode(state, bytes);
  out.put(file_sink_state_name, std::move(bytes));
}

void part_file_stager::commit_up_to(std::int64_t checkpoint) {
  // pending_ is in checkpoint order. Each entry goes right after its rename,
  // so a failure half way leaves the list describing what is still pending.
  bool renamed = false;
  while (!pending_.empty() && pending_.front().checkpoint <= checkpoint) {
    const pending_file& p = pending_.front();
    rename_file(pending_name(subtask_, p.seq), visible_name(subtask_, p.seq));
    pending_.erase(pending_.begin());
    renamed = true;
    crash_point("during-commit"); // a file visible, the directory not synced, more may wait
  }
  if (renamed)
    sync_directory(dir_);
}

void part_file_stager::finish() {
  // Durable now; staged by the checkpoint that follows and made visible when
  // it completes (the job's final checkpoint at the latest).
  if (current_.is_open())
    current_.sync();
}

} // namespace spate::detail
