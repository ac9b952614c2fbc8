// Checkpoint storage on a file system, Flink's layout:
//   <state.checkpoints.dir>/<job-id>/chk-<n>/_metadata   (and private files)
//   <state.checkpoints.dir>/<job-id>/shared/             (SST files shared between checkpoints)
// `_metadata` is written to a temporary name, synced and renamed: a partial
// checkpoint is never visible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spate/checkpoints/durability.hpp"
#include "spate/checkpoints/metadata.hpp"
#include "spate/checkpoints/orphan_sweep.hpp"
#include "spate/checkpoints/shared_file_registry.hpp"

namespace spate::checkpoints {

class checkpoint_storage {
public:
  //! Storage for job `job_id` under `base_dir` (created on first write).
  //! Files and directories are made durable through `syncer`.
  checkpoint_storage(std::string base_dir, std::string job_id,
                     const file_syncer& syncer = file_syncer::system());

  //! <base>/<job-id>
  const std::string& job_dir() const { return job_dir_; }
  //! <base>/<job-id>/chk-<id>
  std::string checkpoint_dir(checkpoint_id id) const;
  //! <base>/<job-id>/shared
  std::string shared_dir() const;

  //! Copies the files of a local RocksDB checkpoint into storage for
  //! checkpoint `id`: SST files go to shared/ as `<prefix>-<name>` unless
  //! already there (incremental), the rest to chk-<id>/<prefix>/. `known`
  //! maps SST names the database got from a restored snapshot to their
  //! stored paths, so they are referenced, not copied again. `prefix` must
  //! be unique per database incarnation: RocksDB reuses file numbers after a
  //! restore. Every file it copies, and the directories that hold them up to
  //! the base directory, are synced before it returns. Returns the handles.
  //! `cancelled` is asked before each file: when it says yes (the checkpoint
  //! was aborted) the upload stops with errc::unavailable. On any failure,
  //! what this call created (its private directory, shared files it added)
  //! is removed again. Throws errc::io naming the failed file.
  keyed_state_handle upload_rocksdb_checkpoint(const std::string& local_dir, checkpoint_id id,
                                               const std::string& prefix,
                                               const std::map<std::string, std::string>& known = {},
                                               const std::function<bool()>& cancelled = {});

  //! Writes chk-<id>/_metadata atomically and syncs the job directory (which
  //! names chk-<id>); the checkpoint is complete, and durable, after.
  void write_metadata(const checkpoint_metadata& m);

  //! Deletes chk-<id> and every shared file no retained checkpoint uses.
  //! Best effort: a file that cannot be removed stays (never throws).
  void discard(checkpoint_id id);

  //! Shared files in use by a retained checkpoint (reference counts).
  std::size_t shared_references(const std::string& path) const;

  //! Marks the shared files of `m` as used (a restored checkpoint).
  void retain(const checkpoint_metadata& m);

  //! Removes what a crash left in job_dir() (sweep_orphans(), orphan_sweep.hpp):
  //! every shared file the registry counts stays, and so do the files of
  //! `restoring` (the checkpoint the job starts from, when its paths are
  //! relative to job_dir(); null otherwise). Then retains (retain()) every
  //! complete checkpoint the sweep found, and `restoring`: discarding a newer
  //! checkpoint that shares their files never removes a file a `_metadata`
  //! still on disk names, so what the registry frees and what the sweep keeps
  //! agree. Call it before the first checkpoint of a (re)start: an upload
  //! under way is not a complete checkpoint. Never throws.
  orphan_sweep_result sweep_orphans(const checkpoint_metadata* restoring = nullptr);

private:
  //! The copying part of upload_rocksdb_checkpoint(); `added` collects the
  //! shared files it created.
  keyed_state_handle copy_files(const std::string& local_dir, checkpoint_id id,
                                const std::string& prefix,
                                const std::map<std::string, std::string>& known,
                                const std::function<void()>& stop_if_cancelled,
                                std::vector<std::filesystem::path>& added);

  std::string base_;
  std::string job_dir_;
  const file_syncer* syncer_;
  //! Which retained checkpoints use each shared file.
  shared_file_registry shared_;
};

//! Finds the `_metadata` a user means: a `_metadata` file, a `chk-<n>` or
//! savepoint directory, or a job's checkpoint directory (its newest complete
//! `chk-<n>`). Throws errc::not_found naming `path`.
std::string resolve_metadata_path(const std::string& path);

//! Reads and decodes the `_metadata` at (or under) `path`; throws
//! errc::not_found or errc::corrupt naming it.
checkpoint_metadata load_metadata(const std::string& path);

//! Writes `bytes` to `path` atomically (temporary name, fsync, rename, fsync
//! of the directory). Throws errc::io naming the path.
void write_file_atomically(const std::string& path, const std::string& bytes,
                           const file_syncer& syncer = file_syncer::system());

} // namespace spate::checkpoints
