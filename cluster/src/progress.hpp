// The progress line of `spate local` on a terminal: what it says (pure
// functions, checked by test_progress) and a line on stderr that is redrawn
// in place and erased before anything else is written there.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spate/actors/job_client.hpp"

namespace spate::cluster_detail {

//! What one progress line shows; a field that is not known is left out.
struct progress_snapshot {
  std::chrono::milliseconds elapsed{0};
  //! Records out of the source tasks (sum over their subtasks); none when
  //! every source task is its job's sink too (nothing crosses a channel).
  std::optional<std::int64_t> records_in;
  //! How many records the sources will read in all, when known (a bounded
  //! generator): "in 1.23 M of 10.0 M".
  std::optional<std::int64_t> records_total;
  //! Records into the sink tasks; none when every sink task is a source.
  std::optional<std::int64_t> records_out;
  //! Records per second lately; none before two readings.
  std::optional<double> in_rate;
  std::optional<double> out_rate;
  //! The highest back-pressure level of any task: "ok", "low" or "high";
  //! empty when not measured (spate.metrics.task-time.enabled false).
  std::string backpressure;
  //! Completed checkpoints; none when checkpointing is off.
  std::optional<std::int64_t> checkpoints;
};

//! A count with three significant digits: "0", "999", "1.00 k", "12.3 k",
//! "123 k", "1.50 M", "2.30 G", "4.00 T" (rounded, not truncated).
std::string format_count(std::int64_t n);
//! A rate the same way: "0/s", "12/s", "98.1 k/s".
std::string format_rate(double per_second);
//! Elapsed time: "00:12", "59:59" under an hour, then "1:02:03", "27:00:00".
std::string format_elapsed(std::chrono::milliseconds elapsed);
//! The line without its end, e.g.
//! "00:12  in 1.23 M (98.1 k/s)  out 1.20 M (97.9 k/s)  backpressure ok  checkpoints 1".
std::string format_progress(const progress_snapshot& s);

//! Reads a snapshot from the job's task metrics: what the source operators
//! read (their numRecordsOut; else the records out of the chains named
//! "Source: ..."), and what the sink tasks took in (the chains with a
//! "Sink: ..." operator, records into their heads). Rates come from the counters of the
//! previous readings (up to about three seconds back), not from the 60 s
//! meters, so they follow the job within a second or two.
class progress_meter {
public:
  //! `total`: the records the sources read in all, when known.
  explicit progress_meter(std::optional<std::int64_t> total = std::nullopt) : total_(total) {}
  progress_snapshot read(const job_client& job, std::chrono::milliseconds elapsed);

private:
  struct reading {
    std::chrono::milliseconds at;
    std::int64_t in;
    std::int64_t out;
  };
  std::vector<reading> history_;
  std::optional<std::int64_t> total_;
};

//! Counts of source tasks and sink tasks from task metrics (pure: tested).
void sum_sources_and_sinks(const std::vector<subtask_io_metrics>& tasks, progress_snapshot& s);

//! One line on a terminal, redrawn with '\r' and erase-to-end-of-line (ESC
//! [K). Writers of other output call erase() first, so their text starts on
//! a clean line; the next show() draws it again. Thread-safe.
class progress_line {
public:
  explicit progress_line(std::FILE* out);
  //! Draws `text` (cut to the terminal's width) over the previous line;
  //! does nothing once stopped.
  void show(const std::string& text);
  //! Erases the line if it is shown.
  void erase();
  //! Erases it for good.
  void stop();
  //! Runs `f` with the line erased and no draw meanwhile.
  template <class F>
  void around(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    erase_locked();
    f();
  }

private:
  void erase_locked();
  std::FILE* out_;
  std::mutex mutex_;
  bool shown_ = false;
  bool stopped_ = false;
};

//! Erases `line` before every log line of spate's logger (it replaces the
//! logger's sinks by one that wraps them). Call before other threads log.
void erase_before_log_lines(const std::shared_ptr<progress_line>& line);

} // namespace spate::cluster_detail
