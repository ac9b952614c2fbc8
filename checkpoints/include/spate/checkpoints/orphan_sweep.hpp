// What a crash leaves in a job's checkpoint directory, and its removal.
//
// A process killed (SIGKILL, a power cut) in the middle of a checkpoint leaves
// files no completed checkpoint names: a chk-<n> directory without
// `_metadata`, temporaries (`*.tmp` of a shared file being copied,
// `_metadata.inprogress`), SST files in shared/ that only the unfinished
// checkpoint would have referenced. While the process lives, an aborted
// checkpoint removes its own files (checkpoint_storage::discard, an upload's
// `cancelled`); after a crash nobody does. sweep_orphans() does, when a job
// (re)starts from a checkpoint, before it triggers its first new one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spate/checkpoints/metadata.hpp"

namespace spate::checkpoints {

struct orphan_sweep_options {
  //! Snapshots whose files stay whatever the directory holds, their paths
  //! relative to the job's directory: the checkpoint a job restores.
  std::vector<checkpoint_metadata> keep;
  //! A path (relative to the job's directory) stays when this says so: the
  //! shared files a checkpoint_storage's registry counts.
  std::function<bool(const std::string&)> in_use;
};

struct orphan_sweep_result {
  //! What went, relative to the job's directory, in the order removed (a
  //! directory after what it held).
  std::vector<std::string> removed;
  //! Files and symbolic links removed (directories not counted).
  std::uint64_t files = 0;
  //! Their sizes (a symbolic link counts 0: its target stays).
  std::uint64_t bytes = 0;
  //! The complete checkpoints found: a chk-<n>/_metadata that decodes and
  //! passes validate_metadata.
  std::vector<checkpoint_metadata> complete;
  //! "<file>: <why>" for each chk-<n>/_metadata that could not be read,
  //! decoded or validated. While there is one, nothing under shared/ goes,
  //! nor anything in a complete chk-<n> but temporaries; that chk-<n> stays
  //! as it is.
  std::vector<std::string> unreadable;
  //! "<path>: <why>" for what could not be listed or removed.
  std::vector<std::string> failures;
};

//! Removes from `job_dir` (<state.checkpoints.dir>/<job-id>) what no complete
//! checkpoint in it references:
//! - chk-<n> directories without `_metadata` (and chk-<n> symbolic links);
//! - `*.tmp` and `*.inprogress` files in chk-<n> directories and in shared/;
//! - files in shared/ and in complete chk-<n> directories that no complete
//!   chk-<n>/_metadata, no snapshot of `options.keep` and no
//!   `options.in_use` names (and the directories left empty below them).
//! Only chk-<n> and shared/ are looked at: savepoints and anything else stay.
//! Symbolic links are never followed: an unreferenced one is removed, its
//! target stays. Best effort and never throws: what cannot be read or
//! removed is reported in the result and logged (a warning naming the file);
//! what went is logged (count, bytes, paths) with spate::log().info. A
//! `job_dir` that does not exist holds nothing to remove.
orphan_sweep_result sweep_orphans(const std::string& job_dir,
                                  const orphan_sweep_options& options = {});

//! Deletes checkpoint `m` from `job_dir`, the directory of the job that wrote
//! it: a checkpoint a later job claimed (restore mode CLAIM) and no longer
//! needs. Its chk-<n>/_metadata goes first (the checkpoint is no longer
//! complete, so a crash halfway leaves an orphan, never a `_metadata`
//! naming missing files); then sweep_orphans(job_dir) removes chk-<n> and
//! the shared files no other complete checkpoint in `job_dir` names (none
//! while a `_metadata` there cannot be read); then shared/ and `job_dir`
//! themselves, if that left them empty. Nothing is deleted (a warning says
//! why) unless chk-<n>/_metadata is a regular file that still decodes to
//! `m`'s job id, checkpoint id and trigger time and is not a savepoint.
//! Best effort and never throws: what went and what failed is in the
//! result and logged.
orphan_sweep_result discard_claimed_checkpoint(const std::string& job_dir,
                                               const checkpoint_metadata& m);

} // namespace spate::checkpoints
