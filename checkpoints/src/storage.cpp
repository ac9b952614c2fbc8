#include "spate/checkpoints/storage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/core/private_dir.hpp"

namespace fs = std::filesystem;

namespace spate::checkpoints {

namespace {

[[noreturn]] void io_error(const std::string& what, const std::string& path, int err) {
  throw error(errc::io, what + " '" + path + "': " + std::strerror(err));
}

void copy_one(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    throw error(errc::io,
                "cannot copy '" + from.string() + "' to '" + to.string() + "': " + ec.message());
}

std::int64_t checkpoint_number(const std::string& name) {
  if (name.rfind("chk-", 0) != 0 || name.size() == 4 || name.size() > 4 + 18)
    return -1;
  for (std::size_t i = 4; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9')
      return -1;
  return std::stoll(name.substr(4));
}

//! An SST file into the checkpoint: a hard link when both are on one file
//! system (RocksDB never changes an SST file once written, and only unlinks
//! it, so the link keeps the checkpoint's bytes as a copy would, as RocksDB's
//! own checkpoints do), else a copy.
void link_or_copy_sst(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::remove(to, ec); // what an interrupted upload left
  fs::create_hard_link(from, to, ec);
  if (ec)
    copy_one(from, to);
}

} // namespace

checkpoint_storage::checkpoint_storage(std::string base_dir, std::string job_id,
                                       const file_syncer& syncer)
    : base_(std::move(base_dir)), job_dir_(base_ + "/" + job_id), syncer_(&syncer) {}

std::string checkpoint_storage::checkpoint_dir(checkpoint_id id) const {
  return job_dir_ + "/chk-" + std::to_string(id.value());
}

std::string checkpoint_storage::shared_dir() const { return job_dir_ + "/shared"; }

keyed_state_handle checkpoint_storage::upload_rocksdb_checkpoint(
    const std::string& local_dir, checkpoint_id id, const std::string& prefix,
    const std::map<std::string, std::string>& known, const std::function<bool()>& cancelled) {
  auto stop_if_cancelled = [&] {
    if (cancelled && cancelled())
      throw error(errc::unavailable,
                  "checkpoint " + std::to_string(id.value()) + " was aborted: upload stopped");
  };
  stop_if_cancelled();
  // Only this user may change what a restore will trust (docs/security.md).
  make_private_directories(shared_dir(), "checkpoint directory");
  fs::path private_dir = fs::path(checkpoint_dir(id)) / prefix;
  make_private_directories(private_dir.string(), "checkpoint directory");
  std::vector<fs::path> added; // shared files this call created
  try {
    auto h = copy_files(local_dir, id, prefix, known, stop_if_cancelled, added);
    // The names: the files in their directories, and those directories in
    // theirs, up to the base (created on the first checkpoint).
    syncer_->sync_directory(private_dir.string());
    if (!added.empty())
      syncer_->sync_directory(shared_dir());
    syncer_->sync_directory(checkpoint_dir(id));
    syncer_->sync_directory(job_dir_);
    syncer_->sync_directory(base_);
    return h;
  } catch (...) {
    // Nothing else refers to what this call added (one upload per database
    // incarnation at a time): it goes, so an aborted checkpoint leaves nothing.
    std::error_code ec;
    for (auto& f : added)
      fs::remove(f, ec);
    fs::remove_all(private_dir, ec);
    throw;
  }
}

keyed_state_handle checkpoint_storage::copy_files(const std::string& local_dir, checkpoint_id id,
                                                  const std::string& prefix,
                                                  const std::map<std::string, std::string>& known,
                                                  const std::function<void()>& stop_if_cancelled,
                                                  std::vector<fs::path>& added) {
  keyed_state_handle h;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(local_dir)) {
    if (!entry.is_regular_file())
      continue;
    stop_if_cancelled();
    std::string name = entry.path().filename().string();
    auto size = static_cast<std::uint64_t>(entry.file_size());
    if (entry.path().extension() == ".sst") {
      if (auto k = known.find(name); k != known.end()) {
        h.shared_files.push_back({k->second, size});
        continue;
      }
      // SST files never change once written: within one incarnation of the
      // database, a name seen before is the same file.
      std::string rel = "shared/" + prefix + "-" + name;
      fs::path target = fs::path(job_dir_) / rel;
      if (!fs::exists(target)) {
        try {
          link_or_copy_sst(entry.path(), target.string() + ".tmp");
          syncer_->sync_file(target.string() + ".tmp"); // the content, before its name
        } catch (...) {
          fs::remove(target.string() + ".tmp", ec);
          throw;
        }
        fs::rename(target.string() + ".tmp", target, ec);
        if (ec) {
          fs::remove(target.string() + ".tmp", ec);
          throw error(errc::io, "cannot rename '" + target.string() + "': " + ec.message());
        }
        added.push_back(target);
      }
      h.shared_files.push_back({rel, size});
    } else {
      std::string rel = "chk-" + std::to_string(id.value()) + "/" + prefix + "/" + name;
      copy_one(entry.path(), fs::path(job_dir_) / rel);
      syncer_->sync_file((fs::path(job_dir_) / rel).string());
      h.private_files.push_back({rel, size});
    }
  }
  return h;
}

void checkpoint_storage::write_metadata(const checkpoint_metadata& m) {
  std::string dir = checkpoint_dir(checkpoint_id{m.checkpoint_id});
  make_private_directories(dir, "checkpoint directory");
  write_file_atomically(dir + "/_metadata", encode_metadata(m), *syncer_);
  syncer_->sync_directory(job_dir_); // names chk-<id>: without it a power cut can lose it
  retain(m);
}

void checkpoint_storage::retain(const checkpoint_metadata& m) {
  std::vector<std::string> paths;
  for (auto& op : m.operators)
    for (auto& k : op.keyed)
      for (auto& f : k.shared_files)
        paths.push_back(f.path);
  shared_.retain(checkpoint_id{m.checkpoint_id}, paths);
}

void checkpoint_storage::discard(checkpoint_id id) {
  // A directory or file left behind only takes space: warn, and go on.
  std::error_code ec;
  fs::remove_all(checkpoint_dir(id), ec);
  if (ec)
    log().warn("cannot remove checkpoint directory '{}': {}", checkpoint_dir(id), ec.message());
  for (const auto& path : shared_.release(id)) {
    // A shared path can come from a restored _metadata: never delete outside.
    if (auto why = unsafe_snapshot_path(path); !why.empty()) {
      log().warn("not removing shared checkpoint file '{}' of '{}': the path {}", path, job_dir_,
                 why);
      continue;
    }
    fs::remove(fs::path(job_dir_) / path, ec);
    if (ec)
      log().warn("cannot remove shared checkpoint file '{}': {}",
                 (fs::path(job_dir_) / path).string(), ec.message());
  }
}

orphan_sweep_result checkpoint_storage::sweep_orphans(const checkpoint_metadata* restoring) {
  orphan_sweep_options o;
  if (restoring)
    o.keep.push_back(*restoring);
  o.in_use = [this](const std::string& path) { return shared_.references(path) > 0; };
  auto r = checkpoints::sweep_orphans(job_dir_, o);
  for (const auto& m : r.complete)
    retain(m);
  if (restoring && !restoring->savepoint)
    retain(*restoring);
  return r;
}

std::size_t checkpoint_storage::shared_references(const std::string& path) const {
  return shared_.references(path);
}

void write_file_atomically(const std::string& path, const std::string& bytes,
                           const file_syncer& syncer) {
  std::string tmp = path + ".inprogress";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    io_error("cannot create", tmp, errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      io_error("cannot write", tmp, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    io_error("cannot write", tmp, errno);
  syncer.sync_file(tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    io_error("cannot rename to", path, errno);
  syncer.sync_directory(fs::path(path).parent_path().string());
}

std::string resolve_metadata_path(const std::string& path) {
  fs::path p(path);
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw error(errc::io, "checkpoint or savepoint '" + path + "' cannot be read: " + ec.message());
  if (fs::is_regular_file(st))
    return p.string();
  if (!fs::is_directory(st))
    throw error(errc::not_found, "checkpoint or savepoint '" + path + "' does not exist");
  // Below, an entry whose status cannot be read counts as absent: no _metadata
  // there means no complete checkpoint, which the not_found error says.
  if (fs::is_regular_file(p / "_metadata", ec))
    return (p / "_metadata").string();
  // A job's checkpoint directory: the newest chk-<n> with a _metadata.
  std::int64_t best = -1;
  fs::directory_iterator it(p, ec);
  if (ec)
    throw error(errc::io, "cannot list checkpoint directory '" + path + "': " + ec.message());
  for (const auto& e : it) {
    auto n = checkpoint_number(e.path().filename().string());
    if (n > best && fs::is_regular_file(e.path() / "_metadata", ec))
      best = n;
  }
  if (best < 0)
    throw error(errc::not_found, "no complete checkpoint (a _metadata file) in '" + path + "'");
  return (p / ("chk-" + std::to_string(best)) / "_metadata").string();
}

checkpoint_metadata load_metadata(const std::string& path) {
  std::string file = resolve_metadata_path(path);
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw error(errc::not_found, "cannot read checkpoint metadata '" + file + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return decode_metadata(ss.str(), file);
}

} // namespace spate::checkpoints
