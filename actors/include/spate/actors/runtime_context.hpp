// What a user function or connector sees of the subtask it runs in.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "spate/core/config.hpp"
#include "spate/core/types.hpp"

namespace spate {

class keyed_state_backend;
class stream_operator;

//! The clock and processing-time callbacks of a subtask. The task implements
//! it with the wall clock and actor messages; the test harness with a clock
//! advanced by hand.
class processing_time_service {
public:
  virtual ~processing_time_service() = default;
  //! Milliseconds since the epoch.
  virtual timestamp now() const = 0;
  //! Asks for `op->on_processing_time(now)` once the clock reaches `t`, on the
  //! operator's task. Asking again for a later time is cheap.
  virtual void request(stream_operator* op, timestamp t) = 0;
};

//! Named counters of a subtask (numLateRecordsDropped, ...), readable while
//! the job runs. Thread-safe.
class counter_registry {
public:
  virtual ~counter_registry() = default;
  //! The counter `name` of this subtask; the reference stays valid.
  virtual std::atomic<std::int64_t>& counter(const std::string& name) = 0;
};

//! Per-subtask facts, valid from open() to close(). Not thread-safe.
class runtime_context {
public:
  //! Name of the operator ("map", or what `name()` set).
  std::string task_name;
  //! Stable identity of the operator (its uid, or a hash of its place).
  std::string operator_uid;
  //! Id of the running job (hex), used to name files and directories.
  std::string job_id;
  int subtask = 0;
  int parallelism = 1;
  int max_parallelism = default_max_parallelism;
  //! The job's configuration (Flink key names).
  const configuration* config = nullptr;
  //! Keyed state of this subtask, or nullptr when the operator is not keyed.
  keyed_state_backend* state = nullptr;
  //! Processing time and its callbacks.
  processing_time_service* time = nullptr;
  //! Where the operator's counters live (qualified with the operator's name).
  counter_registry* counters = nullptr;

  //! The counter "<operator name>.<name>".
  std::atomic<std::int64_t>& counter(const std::string& name) const {
    return counters->counter(task_name + "." + name);
  }

  //! "name (i/p)" as Flink prints subtasks, 1-based.
  std::string subtask_name() const {
    return task_name + " (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  }
};

} // namespace spate
