// The exactly-once machinery of file_sink() (two-phase commit, as Flink's
// FileSink): output is staged in hidden files and made visible only when the
// checkpoint that covers it completes. Private to spate_connectors; use
// file_sink() instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>

#include "spate/actors/operator_state.hpp"
#include "spate/core/codec.hpp"

namespace spate::detail {

// ---------------------------------------------------------------------------
// Files

//! Throws spate::error(code, "output file '<file>': <reason>[: <strerror(err)>]").
[[noreturn]] void throw_file_error(const std::string& file, const std::string& reason, int err,
                                   errc code = errc::io);

//! A file written through a 64 KiB buffer. Failures throw errc::io naming it.
class output_file {
public:
  output_file() = default;
  ~output_file() { abandon(); }
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;

  //! Opens `file` for writing with `flags` (O_TRUNC or O_APPEND are added by
  //! the caller; O_WRONLY | O_CREAT | O_CLOEXEC always). `size()` starts at the
  //! file's current size when appending, else 0.
  void open(const std::string& file, int flags);
  bool is_open() const { return fd_ >= 0; }
  //! The file open now (or last opened).
  const std::string& name() const { return name_; }
  //! Appends `line` and "\n".
  void write_line(const std::string& line);
  //! Writes the buffer to the file.
  void flush();
  //! Flushes and fsyncs: what was written survives a crash (a device or pipe
  //! that cannot be synced is only flushed).
  void sync();
  //! Flushes and closes; throws when either fails (close() can report a
  //! delayed write error).
  void close();
  //! Closes without flushing or throwing (a cancelled or crashed attempt).
  void abandon() noexcept;
  //! Flushes and closes, logging instead of throwing (the plain sink's close()).
  void close_logging() noexcept;
  //! Bytes written so far, buffered ones included.
  std::uint64_t size() const { return size_; }

private:
  std::string name_;
  int fd_ = -1;
  std::string buffer_;
  std::uint64_t size_ = 0;
};

//! fsync of a directory, so renames and deletions in it are durable.
void sync_directory(const std::string& dir);
//! rename(2), throwing errc::io naming both files.
void rename_file(const std::string& from, const std::string& to);
//! unlink(2) of an existing file, throwing errc::io naming it.
void remove_file(const std::string& file);
//! True when `file` exists (any type).
bool file_exists(const std::string& file);
//! True when `file` is a regular file (following symlinks).
bool is_regular_file(const std::string& file);
//! Truncates `file` to `length` bytes and fsyncs it; throws errc::io naming it.
void truncate_file(const std::string& file, std::uint64_t length);
//! The size of `file`, or -1 when it does not exist; throws errc::io otherwise.
std::int64_t file_size(const std::string& file);
//! The names of the entries of `dir` (no "." or ".."); throws errc::io.
std::vector<std::string> list_directory(const std::string& dir);
//! Creates `dir` and its parents; throws errc::io naming `file` (the output
//! file or directory being set up).
void create_directories(const std::string& dir, const std::string& file);

// ---------------------------------------------------------------------------
// Checkpoint state

//! A staged file waiting for its checkpoint to complete.
struct pending_file {
  std::int64_t checkpoint = 0; //!< the checkpoint that staged it
  std::uint64_t seq = 0;       //!< part number (per_subtask)
  std::uint64_t size = 0;      //!< bytes (checked by merged mode on restore)
  SPATE_FIELDS(checkpoint, seq, size);
};

//! The operator state entry "file-sink" of one subtask (msgpack). Without
//! checkpointing (a savepoint of a job writing directly) `pending` is empty,
//! `direct_output` names the output, and merged records the file's length as
//! `committed_length`, per_subtask the part file it writes as `direct_file`
//! and `direct_length`. The `direct_*` fields came later; a state without
//! them decodes them empty.
struct file_sink_state {
  std::uint32_t version = 1;
  std::string mode;                   //!< "per_subtask" or "merged"
  std::int32_t subtask = 0;           //!< per_subtask: whose part files these are
  std::uint64_t next_seq = 0;         //!< per_subtask: the next part number
  std::uint64_t committed_length = 0; //!< merged: length of the file before `pending`
  std::vector<pending_file> pending;  //!< staged, not known to be committed, oldest first
  //! Without checkpointing: the output written (output_identity() of its
  //! path); empty in a state of staged output (with checkpointing).
  std::string direct_output;
  //! per_subtask without checkpointing: the visible part file this subtask
  //! writes directly (`part-<i>`, or `part-<i>-<n>` with n < next_seq), a
  //! name in the directory; empty when none.
  std::string direct_file;
  std::uint64_t direct_length = 0; //!< the bytes of `direct_file` at the snapshot
  SPATE_FIELDS(version, mode, subtask, next_seq, committed_length, pending, direct_output,
               direct_file, direct_length);
};

inline constexpr const char* file_sink_state_name = "file-sink";

//! `path` made absolute and normal, symlinks of its existing part resolved:
//! the same for every spelling of one output.
std::string output_identity(const std::string& path);

//! When `in` holds file sink state written without checkpointing for another
//! output than `path` in `mode` ("per_subtask" or "merged"): that output
//! ("<mode> '<path>'"), else nothing. Such state is not this sink's to
//! restore: the job writes a new output (a staged state of another mode is
//! an error of restore() instead). Throws errc::codec for undecodable state.
std::optional<std::string> direct_state_of_another_output(const operator_state_reader& in,
                                                          const std::string& path,
                                                          const std::string& mode);

//! Every old subtask's file sink entry (decoded), with the old subtask index.
//! Throws errc::codec or errc::corrupt naming `path`.
std::vector<std::pair<int, file_sink_state>> read_file_sink_states(const operator_state_reader& in,
                                                                   const std::string& path,
                                                                   const std::string& mode);

// ---------------------------------------------------------------------------
// per_subtask: part files in a directory

//! Subtask i's part files in `dir`: `.part-i-<seq>.inprogress` while written,
//! `.part-i-<seq>.pending` from the checkpoint barrier, `part-i-<seq>` once the
//! checkpoint completed. A new part file starts with the first record after a
//! barrier, so a checkpoint without records stages nothing.
class part_file_stager {
public:
  part_file_stager(std::string dir, int subtask, int parallelism)
      : dir_(std::move(dir)), subtask_(subtask), parallelism_(parallelism) {}

  //! A new job: refuses committed output of an earlier run (see
  //! refuse_earlier_output()), creates the directory and deletes this
  //! subtask's hidden files of earlier runs (`.part-i-<n>.inprogress`,
  //! `.part-i-<n>.pending`: never committed, or committed only in a
  //! checkpoint the new job does not restore).
  void start_fresh();
  //! A new job never destroys committed output: throws
  //! spate::error(errc::failed_precondition, "output file '<dir>': ...")
  //! naming the directory, a part file and what to do, when the directory
  //! holds a visible part file of an earlier run: `part-<k>-<n>` or
  //! `part-<k>` of any subtask k (a rescaled run had other subtasks). With
  //! `direct` (no checkpointing: subtask k of this job writes `part-<k>`
  //! itself, maybe already), `part-<k>` of the other subtasks k < p are left
  //! to them to check, and `rewrite_own` lets this subtask rewrite its own
  //! `part-<i>` (a restart of the same job). Hidden files and other names
  //! do not count. Nothing is changed.
  void refuse_earlier_output(bool direct, bool rewrite_own) const;
  //! A restored job: commits the pending files recorded in `in` (their
  //! checkpoint completed), deletes every other hidden file of the subtasks
  //! this one takes over (itself, and old subtasks k with k % p == i after a
  //! rescale) and their visible files numbered after the checkpoint (committed
  //! by a later checkpoint when an older one is restored: the
  //! sources replay those records), and continues numbering after every
  //! number used so far. Throws errc::corrupt naming a recorded pending file
  //! that is gone.
  //!
  //! A state recorded without checkpointing (see snapshot_direct()) names the
  //! part file the old subtask wrote directly: it is cut back to the recorded
  //! length (what was written after the snapshot goes: the sources replay
  //! it). Throws errc::corrupt naming it when it is shorter than recorded or
  //! gone, or when the name is not a part file of that subtask.
  void restore(const operator_state_reader& in);

  void write_line(const std::string& line);
  //! Closes the in-progress file (fsync) and renames it to pending; records
  //! the pending files in `out`.
  void snapshot(std::int64_t checkpoint, operator_state_writer& out);
  //! Without checkpointing (a savepoint): records that this subtask wrote
  //! `length` bytes of `file` (a visible part file in the directory, written
  //! directly and synced by the caller; empty when none), so that a job
  //! restored from the savepoint keeps them (see restore()).
  void snapshot_direct(const std::string& file, std::uint64_t length,
                       operator_state_writer& out) const;
  //! Renames every pending file of `checkpoint` and earlier to its visible
  //! name (fsync of the directory).
  void commit_up_to(std::int64_t checkpoint);
  //! End of the input: the in-progress file is synced; the next checkpoint
  //! (the final one at the latest) stages it and its completion commits it.
  void finish();
  //! Leaves the in-progress file behind (a restore deletes it). Never throws.
  void close() noexcept { current_.abandon(); }

  //! Takes the next part number (for writing a visible file directly).
  std::uint64_t take_seq() { return next_seq_++; }
  std::string visible_name(int subtask, std::uint64_t seq) const;
  std::string pending_name(int subtask, std::uint64_t seq) const;
  std::string in_progress_name(int subtask, std::uint64_t seq) const;

private:
  void commit_recorded(int subtask, const pending_file& p);
  // Cuts the part file `state` names as written directly back to its length.
  void restore_direct(const file_sink_state& state);

  std::string dir_;
  int subtask_;
  int parallelism_;
  std::uint64_t next_seq_ = 0;
  output_file current_;
  std::uint64_t current_seq_ = 0;
  std::vector<pending_file> pending_;
};

// ---------------------------------------------------------------------------
// merged: one file

//! The single instance writing one file `path`: records since the last
//! barrier go to `.<name>.inprogress`, renamed `.<name>.pending-<checkpoint>`
//! at the barrier; committing appends a pending file to `path` (fsync) and
//! deletes it.
class merged_file_stager {
public:
  explicit merged_file_stager(std::string path);

  //! A new job: refuses committed output of an earlier run (see
  //! refuse_earlier_output()), creates the directories and `path` (empty),
  //! deletes its hidden files of earlier runs.
  void start_fresh();
  //! A new job never destroys committed output: throws
  //! spate::error(errc::failed_precondition, "output file '<path>': ...")
  //! naming the file and what to do when `path` is a non-empty regular file,
  //! unless `rewrite_own` (a restart of the same job, without checkpoints).
  //! An empty file, a device or a missing file is fine. Nothing is changed.
  void refuse_earlier_output(bool rewrite_own) const;
  //! A restored job: truncates `path` to the committed length recorded in
  //! `in`, appends the recorded pending files in order (skipping those whose
  //! commit had finished), deletes other hidden files. Then `path` holds
  //! exactly the output up to the restored checkpoint. Throws errc::corrupt
  //! naming the file when `path` is shorter than recorded or a pending file
  //! is gone before it was appended. A state recorded without checkpointing
  //! (snapshot_direct()) has no pending files: `path` is cut back to the
  //! recorded length. A `path` that is not a regular file (a device) keeps
  //! nothing to cut back: with no pending files it is left as it is.
  void restore(const operator_state_reader& in);

  void write_line(const std::string& line);
  void snapshot(std::int64_t checkpoint, operator_state_writer& out);
  //! Without checkpointing (a savepoint): records that `path`, written
  //! directly and synced by the caller, holds `length` bytes of output, so
  //! that a job restored from the savepoint keeps them (see restore()).
  void snapshot_direct(std::uint64_t length, operator_state_writer& out) const;
  void commit_up_to(std::int64_t checkpoint);
  void finish();
  void close() noexcept { current_.abandon(); }

  //! The length of `path` that is committed.
  std::uint64_t committed_length() const { return committed_length_; }
  std::string in_progress_name() const;
  std::string pending_name(std::int64_t checkpoint) const;

private:
  // Appends `file` (of `size` bytes) to `path` at the committed length, fsyncs.
  void append_to_output(const std::string& file, std::uint64_t size);
  void truncate_output(std::uint64_t length);
  void remove_hidden_files();

  std::string path_;
  std::string dir_;  // where the hidden files go ("." when path_ has no directory)
  std::string name_; // file name of path_
  std::uint64_t committed_length_ = 0;
  output_file current_;
  std::vector<pending_file> pending_;
};

} // namespace spate::detail
