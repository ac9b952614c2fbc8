// The payloads of the frames between JobManager and TaskManagers (msgpack).
// Every job-scoped message starts with the job id, so a router can find the
// job before decoding the rest (frame_job_id).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "spate/checkpoints/metadata.hpp"
#include "spate/core/codec.hpp"

namespace spate::detail {

struct wire_deploy {
  std::string job_id;
  attempt_number attempt{0};
  std::string job_name;
  std::string job_spec;
  std::map<std::string, std::string> config;
  //! The _metadata of the checkpoint or savepoint the tasks start from.
  std::string restore_path;
  //! [chain][subtask] -> TaskManager id, and their addresses.
  std::vector<std::vector<std::string>> placement;
  std::map<std::string, std::string> addresses;
  //! TaskManager id -> the public key it proved to the JobManager (CURVE;
  //! empty without): the only peers the TaskManagers accept.
  std::map<std::string, std::string> keys;
  SPATE_FIELDS(job_id, attempt, job_name, job_spec, config, restore_path, placement, addresses,
               keys);
};

enum class task_command_kind : std::int32_t { start = 0, cancel = 1, complete = 2, abort = 3 };

struct wire_task_command {
  std::string job_id;
  attempt_number attempt{0};
  std::int32_t chain = 0;
  subtask_index subtask{0};
  std::int32_t kind = 0;
  checkpoint_id checkpoint{0};
  SPATE_FIELDS(job_id, attempt, chain, subtask, kind, checkpoint);
};

struct wire_trigger {
  std::string job_id;
  attempt_number attempt{0};
  std::int32_t chain = 0;
  subtask_index subtask{0};
  checkpoint_id id{0};
  bool savepoint = false;
  bool stop = false;
  bool drain = false;
  std::string savepoint_dir;
  SPATE_FIELDS(job_id, attempt, chain, subtask, id, savepoint, stop, drain, savepoint_dir);
};

struct wire_task_finished {
  std::string job_id;
  attempt_number attempt{0};
  std::int32_t chain = 0;
  subtask_index subtask{0};
  bool failed = false;
  std::string cause;
  bool fatal = false;
  SPATE_FIELDS(job_id, attempt, chain, subtask, failed, cause, fatal);
};

struct wire_task_exited {
  std::string job_id;
  attempt_number attempt{0};
  std::int32_t chain = 0;
  subtask_index subtask{0};
  bool abnormal = false;
  std::string reason;
  SPATE_FIELDS(job_id, attempt, chain, subtask, abnormal, reason);
};

struct wire_ack {
  std::string job_id;
  attempt_number attempt{0};
  std::int32_t chain = 0;
  subtask_index subtask{0};
  checkpoint_id id{0};
  std::vector<checkpoints::operator_snapshot> operators;
  std::int64_t sync_ms = 0;
  std::int64_t async_ms = 0;
  std::int64_t alignment_ms = 0;
  std::uint64_t bytes = 0;
  bool finished = false;
  SPATE_FIELDS(job_id, attempt, chain, subtask, id, operators, sync_ms, async_ms, alignment_ms,
               bytes, finished);
};

struct wire_decline {
  std::string job_id;
  attempt_number attempt{0};
  checkpoint_id id{0};
  std::string reason;
  bool counts = true;
  SPATE_FIELDS(job_id, attempt, id, reason, counts);
};

//! The task-scope metrics of one subtask (subtask_io_metrics), as measured
//! on its TaskManager.
struct wire_task_metrics {
  std::int32_t chain = 0;
  std::int32_t subtask = 0;
  std::int64_t records_in = 0;
  std::int64_t records_out = 0;
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  double records_in_rate = 0;
  double records_out_rate = 0;
  double bytes_in_rate = 0;
  double bytes_out_rate = 0;
  //! Per second.
  double busy_ms = 0;
  double idle_ms = 0;
  double back_pressured_ms = 0;
  std::int64_t acc_busy_ms = 0;
  std::int64_t acc_idle_ms = 0;
  std::int64_t acc_back_pressured_ms = 0;
  bool back_pressured = false;
  std::int64_t input_watermark = INT64_MIN;
  std::int64_t output_watermark = INT64_MIN;
  bool has_lag = false;
  std::int64_t watermark_lag_ms = 0;
  std::int64_t late_records_dropped = 0;
  std::int64_t records_in_errors = 0;
  //! The operators' own metrics, "<operator>.<name>" (appended last).
  std::map<std::string, std::int64_t> operator_metrics;
  SPATE_FIELDS(chain, subtask, records_in, records_out, bytes_in, bytes_out, records_in_rate,
               records_out_rate, bytes_in_rate, bytes_out_rate, busy_ms, idle_ms, back_pressured_ms,
               acc_busy_ms, acc_idle_ms, acc_back_pressured_ms, back_pressured, input_watermark,
               output_watermark, has_lag, watermark_lag_ms, late_records_dropped, records_in_errors,
               operator_metrics);
};

struct wire_metrics {
  std::string job_id;
  attempt_number attempt{0};
  //! (chain, subtask, records in, records out)
  std::vector<std::tuple<std::int32_t, std::int32_t, std::int64_t, std::int64_t>> tasks;
  std::map<std::string, std::int64_t> counters;
  //! Appended last: an older sender's frames decode with none, and an
  //! older receiver ignores them (msgpack arrays convert what both know).
  std::vector<wire_task_metrics> subtasks;
  SPATE_FIELDS(job_id, attempt, tasks, counters, subtasks);
};

struct wire_release {
  std::string job_id;
  SPATE_FIELDS(job_id);
};

} // namespace spate::detail
