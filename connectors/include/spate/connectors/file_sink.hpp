// Text lines into files: one merged file, or part files per subtask; exactly
// once (two-phase commit) when the job takes checkpoints.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "spate/api/functions.hpp"

namespace spate {

namespace detail {
class output_file;
class part_file_stager;
class merged_file_stager;
} // namespace detail

enum class file_sink_mode {
  merged,      //!< one file `path`, written by a single instance
  per_subtask, //!< directory `path` with part files per subtask
};

//! One subtask of file_sink(). Not thread-safe (the runtime calls it from the
//! subtask's actor only).
class file_sink_function final : public sink_function<std::string> {
public:
  file_sink_function(std::string path, file_sink_mode mode);
  ~file_sink_function() override;

  //! Remembers the restored state; open() acts on it.
  void initialize_state(const operator_state_reader& state) override;
  //! Creates the directories and the output (see file_sink() for what is
  //! created or restored). Throws spate::error(errc::io,
  //! "output file '<path>': <reason>"), errc::corrupt when the restored state
  //! does not match the files, errc::failed_precondition when a new job (not
  //! restored) finds committed output of an earlier run.
  void open(runtime_context& ctx) override;
  //! Appends each record and "\n"; throws as open() when a write fails.
  void write(const typed_batch<std::string>& batch) override;
  //! With checkpoints: stages what was written since the last barrier (fsync,
  //! rename to a hidden pending name) and records the pending files in `out`.
  //! Without (a savepoint): flushes and fsyncs, records the file written and
  //! its length, stages nothing.
  void snapshot_state(std::int64_t checkpoint_id, operator_state_writer& out) override;
  //! Commits the staged output of `checkpoint_id` and of every earlier one.
  void notify_checkpoint_complete(std::int64_t checkpoint_id) override;
  //! Nothing: the staged output waits for a later checkpoint to complete.
  void notify_checkpoint_aborted(std::int64_t checkpoint_id) override;
  //! End of a bounded input: commits everything written (staged or not) and
  //! closes; throws as open() on failure.
  void finish() override;
  //! With checkpoints: abandons the uncommitted output (a restore deletes it).
  //! Without: flushes (errors logged, not thrown) and closes. Never throws.
  void close() override;

  //! True when the sink stages output for checkpoints (known after open()).
  bool exactly_once() const { return two_phase_; }

private:
  void snapshot_direct(operator_state_writer& out);

  std::string path_;
  file_sink_mode mode_;
  std::optional<operator_state_reader> restored_;
  bool two_phase_ = false;
  std::unique_ptr<detail::output_file> plain_;
  std::unique_ptr<detail::part_file_stager> parts_;
  std::unique_ptr<detail::merged_file_stager> merged_;
};

//! A sink writing each record as a line ("\n"-terminated) of text.
//!
//! A new job (not restored from a checkpoint or savepoint) never destroys
//! output an earlier run committed, as Flink's FileSink: open() throws
//! spate::error(errc::failed_precondition, "output file '<path>': holds ...")
//! naming the output and what to do (remove it, choose another output, or
//! resume the earlier run with -s) when merged mode finds `path` a non-empty
//! file, or per_subtask mode finds a visible part file (`part-<k>-<n>` or
//! `part-<k>`, of any subtask k) in `path`. Hidden files of an earlier run
//! (`.part-*`, `.<name>.*`) are not committed output: a new job deletes them.
//! A job without checkpoints that restarts (the same job id, in the same
//! process) rewrites its own files, as it starts over from the beginning.
//! Without checkpointing a savepoint records the file each subtask writes and
//! its length: a job restored from it (at any parallelism, with or without
//! checkpointing) keeps that output, cuts off what was written after the
//! savepoint (the sources replay it) and goes on, so the output equals one
//! uninterrupted run. A job restored from it that writes another output
//! (another path or mode) has nothing there to keep: it opens that output as
//! a new job does.
//!
//! Without checkpointing (`execution.checkpointing.interval` unset or 0):
//! merged mode writes `path` (parent directories created), per_subtask mode
//! writes `path/part-<i>` (the directory created); written through a 64 KiB
//! buffer; a failure leaves what was written.
//!
//! With checkpointing, exactly once (Flink's FileSink): output is visible only
//! once the checkpoint covering it completed, and a restart never shows a
//! record twice nor loses a committed one.
//!  - per_subtask: subtask i writes `.part-i-<n>.inprogress`; at a checkpoint
//!    barrier it becomes `.part-i-<n>.pending`, and when the checkpoint
//!    completes `part-i-<n>`. Readers skip hidden (dot) files, so they see
//!    committed data only. A restore commits the pending files of the restored checkpoint,
//!    deletes the other hidden files and the part files committed after that
//!    checkpoint (their records are replayed), and numbers on after every
//!    number used.
//!  - merged: records since the last barrier go to `.<name>.inprogress` next
//!    to `path`, renamed `.<name>.pending-<checkpoint>` at the barrier; a
//!    completed checkpoint appends its pending file to `path` (fsync). A new
//!    job creates `path` empty; a restore truncates it to the committed length
//!    recorded in the checkpoint and appends the pending files recorded there.
//!  - finish() (end of a bounded input) commits everything, as Flink's batch
//!    mode does; a restart from an earlier checkpoint takes that output back
//!    out (see above), so it is not duplicated either.
//!  - A restore into a job without checkpointing does the same restore, then
//!    appends (merged) or writes `part-i-<n>` directly (per_subtask).
//!  - A restore from a savepoint of a job without checkpointing truncates
//!    each recorded file (`path`, or `part-k` / `part-k-<n>` of the old
//!    subtasks k taken over) to its recorded length, then goes on as above;
//!    errc::corrupt names a recorded file that is shorter or gone.
//!
//! Failures (creating a directory or file, a write, e.g. disk full, a rename,
//! an append) throw spate::error(errc::io, "output file '<file>': <reason>");
//! a restore that finds files not matching the checkpoint throws errc::corrupt
//! naming the file. Either way the job fails naming the file.
sink_spec<std::string> file_sink(std::string path, file_sink_mode mode = file_sink_mode::merged);

} // namespace spate
