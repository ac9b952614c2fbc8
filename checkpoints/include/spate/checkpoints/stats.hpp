// What is known of each checkpoint, in the shape Flink's REST API shows it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spate {

//! One subtask's acknowledgement of a checkpoint.
struct subtask_checkpoint_stats {
  std::string task_name;
  int subtask = 0;
  std::int64_t sync_duration = 0;
  std::int64_t async_duration = 0;
  std::int64_t alignment_duration = 0;
  std::uint64_t state_size = 0;
};

//! One checkpoint as Flink's REST API shows it.
struct checkpoint_stats {
  std::int64_t id = 0;
  //! "IN_PROGRESS", "COMPLETED" or "FAILED".
  std::string status;
  bool savepoint = false;
  std::int64_t trigger_timestamp = 0; //!< ms since the epoch
  std::int64_t end_to_end_duration = 0;
  std::int64_t sync_duration = 0;      //!< slowest subtask, ms
  std::int64_t async_duration = 0;     //!< slowest subtask, ms
  std::int64_t alignment_duration = 0; //!< slowest subtask, ms
  std::uint64_t state_size = 0;        //!< bytes written by this checkpoint
  int num_acknowledged_subtasks = 0;
  int num_subtasks = 0;
  std::string external_path;
  std::string failure_message;
  std::vector<subtask_checkpoint_stats> subtasks;
};

} // namespace spate
