// What a user function or connector sees of the subtask it runs in.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "spate/core/config.hpp"
#include "spate/core/types.hpp"

namespace spate {

class keyed_state_backend;

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

  //! "name (i/p)" as Flink prints subtasks, 1-based.
  std::string subtask_name() const {
    return task_name + " (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) +
           ")";
  }
};

} // namespace spate
