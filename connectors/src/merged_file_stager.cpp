// merged mode of the exactly-once file sink: staged files appended to one
// output file when their checkpoint completes.
#include <cerrno>
#include <filesystem>
#include <limits>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "spate/core/crash_point.hpp"
#include "spate/connectors/file_sink_staging.hpp"
#include "spate/core/error.hpp"

namespace spate::detail {

namespace {

// Closes a descriptor on scope exit.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

merged_file_stager::merged_file_stager(std::string path) : path_(std::move(path)) {
  std::filesystem::path p(path_);
  name_ = p.filename().string();
  dir_ = p.parent_path().string();
  if (dir_.empty())
    dir_ = ".";
}

std::string merged_file_stager::in_progress_name() const {
  return dir_ + "/." + name_ + ".inprogress";
}

std::string merged_file_stager::pending_name(std::int64_t checkpoint) const {
  return dir_ + "/." + name_ + ".pending-" + std::to_string(checkpoint);
}

void merged_file_stager::remove_hidden_files() {
  std::string in_progress = "." + name_ + ".inprogress";
  std::string pending = "." + name_ + ".pending-";
  for (const std::string& name : list_directory(dir_))
    if (name == in_progress || name.compare(0, pending.size(), pending) == 0)
      remove_file(dir_ + "/" + name);
}

void merged_file_stager::refuse_earlier_output(bool rewrite_own) const {
  if (rewrite_own)
    return;
  struct stat st;
  // Missing, or not a regular file (a directory fails when opened, a device
  // holds nothing to lose): nothing to protect.
  if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
    return;
  throw_file_error(path_,
                   "holds output of an earlier run (" + std::to_string(st.st_size) +
                       " bytes); a new job does not overwrite committed output: remove it, "
                       "choose another output file, or resume the earlier run from its "
                       "checkpoint or savepoint with -s",
                   0, errc::failed_precondition);
}

void merged_file_stager::start_fresh() {
  refuse_earlier_output(/*rewrite_own=*/false);
  create_directories(std::filesystem::path(path_).parent_path().string(), path_);
  output_file out;
  out.open(path_, O_TRUNC);
  out.sync();
  out.close();
  remove_hidden_files();
  sync_directory(dir_);
  committed_length_ = 0;
  pending_.clear();
}

void merged_file_stager::restore(const operator_state_reader& in) {
  auto states = read_file_sink_states(in, path_, "merged");
  if (states.size() > 1)
    throw_file_error(path_,
                     "the checkpoint holds " + std::to_string(states.size()) +
                         " states of a single-instance file sink",
                     0, errc::corrupt);
  create_directories(std::filesystem::path(path_).parent_path().string(), path_);
  std::int64_t size = file_size(path_);
  if (size < 0) {
    output_file create;
    create.open(path_, O_APPEND);
    create.close();
    size = 0;
  }
  pending_.clear();
  if (states.empty()) {
    // A snapshot without sink state (a savepoint taken without checkpointing
    // before the sink recorded its length there): keep the output as it is
    // and append to it.
    committed_length_ = static_cast<std::uint64_t>(size);
    remove_hidden_files();
    sync_directory(dir_);
    return;
  }
  const file_sink_state& state = states.front().second;
  if (state.pending.empty() && !is_regular_file(path_)) {
    // A device (/dev/stdout, /dev/null) keeps no output to cut back or check.
    committed_length_ = static_cast<std::uint64_t>(size);
    remove_hidden_files();
    sync_directory(dir_);
    return;
  }
  if (static_cast<std::uint64_t>(size) < state.committed_length)
    throw_file_error(path_,
                     "has " + std::to_string(size) + " bytes, fewer than the " +
                         std::to_string(state.committed_length) + " committed by the checkpoint",
                     0, errc::corrupt);
  committed_length_ = state.committed_length;
  for (const pending_file& p : state.pending) {
    std::string file = pending_name(p.checkpoint);
    std::int64_t pending_size = file_size(file);
    if (pending_size >= 0) {
      if (static_cast<std::uint64_t>(pending_size) != p.size)
        throw_file_error(file,
                         "has " + std::to_string(pending_size) +
                             " bytes, the checkpoint "
                             "recorded " +
                             std::to_string(p.size),
                         0, errc::corrupt);
      // Drops what a commit interrupted half way had appended.
      truncate_output(committed_length_);
      append_to_output(file, p.size);
      remove_file(file);
      continue;
    }
    // Gone: its commit finished (a pending file is deleted only after it was
    // appended and synced), so its bytes follow the committed length.
    std::int64_t now = file_size(path_);
    if (now < 0 || static_cast<std::uint64_t>(now) < committed_length_ + p.size)
      throw_file_error(file,
                       "pending file of checkpoint " + std::to_string(p.checkpoint) +
                           " is missing and '" + path_ + "' does not hold its bytes",
                       0, errc::corrupt);
    committed_length_ += p.size;
  }
  // Anything after the restored checkpoint's output goes.
  truncate_output(committed_length_);
  remove_hidden_files();
  sync_directory(dir_);
}

void merged_file_stager::truncate_output(std::uint64_t length) { truncate_file(path_, length); }

void merged_file_stager::append_to_output(const std::string& file, std::uint64_t size) {
  fd_guard in{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0)
    throw_file_error(file, "cannot open pending file", errno);
  fd_guard out{::open(path_.c_str(), O_WRONLY | O_CLOEXEC)};
  if (out.fd < 0)
    throw_file_error(path_, "", errno);
  std::vector<char> buffer(1 << 20);
  std::uint64_t copied = 0;
  while (true) {
    ssize_t n = ::read(in.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_file_error(file, "cannot read pending file", errno);
    if (n == 0)
      break;
    std::size_t done = 0;
    while (done < static_cast<std::size_t>(n)) {
      ssize_t w = ::pwrite(out.fd, buffer.data() + done, static_cast<std::size_t>(n) - done,
                           static_cast<off_t>(committed_length_ + copied + done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        throw_file_error(path_, "cannot append '" + file + "'", errno);
      done += static_cast<std::size_t>(w);
    }
    copied += static_cast<std::uint64_t>(n);
  }
  if (copied != size)
    throw_file_error(file,
                     "has " + std::to_string(copied) + " bytes, expected " + std::to_string(size),
                     0, errc::corrupt);
  if (::fsync(out.fd) != 0)
    throw_file_error(path_, "fsync failed", errno);
  committed_length_ += size;
}

void merged_file_stager::write_line(const std::string& line) {
  if (!current_.is_open())
    current_.open(in_progress_name(), O_TRUNC);
  current_.write_line(line);
}

void merged_file_stager::snapshot(std::int64_t checkpoint, operator_state_writer& out) {
  if (!pending_.empty() && checkpoint <= pending_.back().checkpoint)
    throw error(errc::internal, "file sink '" + path_ + "': checkpoint " +
                                    std::to_string(checkpoint) + " after checkpoint " +
                                    std::to_string(pending_.back().checkpoint));
  if (current_.is_open()) {
    current_.sync();
    current_.close();
    rename_file(current_.name(), pending_name(checkpoint));
    pending_.push_back({checkpoint, 0, current_.size()});
    sync_directory(dir_);
  }
  file_sink_state state;
  state.mode = "merged";
  state.committed_length = committed_length_;
  state.pending = pending_;
  std::string bytes;
  encode(state, bytes);
  out.put(file_sink_state_name, std::move(bytes));
}

void merged_file_stager::snapshot_direct(std::uint64_t length, operator_state_writer& out) const {
  // Written directly, so all of it is committed; nothing is staged.
  file_sink_state state;
  state.mode = "merged";
  state.committed_length = length;
  state.direct_output = output_identity(path_);
  std::string bytes;
  encode(state, bytes);
  out.put(file_sink_state_name, std::move(bytes));
}

void merged_file_stager::commit_up_to(std::int64_t checkpoint) {
  bool committed = false;
  while (!pending_.empty() && pending_.front().checkpoint <= checkpoint) {
    const pending_file& p = pending_.front();
    std::string file = pending_name(p.checkpoint);
    append_to_output(file, p.size);
    crash_point("during-commit"); // appended, the pending file not yet removed
    remove_file(file);
    pending_.erase(pending_.begin());
    committed = true;
  }
  if (committed)
    sync_directory(dir_);
}

void merged_file_stager::finish() {
  // Durable now; staged by the checkpoint that follows and appended when it
  // completes (the job's final checkpoint at the latest).
  if (current_.is_open())
    current_.sync();
}

} // namespace spate::detail
