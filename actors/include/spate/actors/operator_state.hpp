// Operator state in checkpoints: named byte strings per subtask (a source's
// position, a sink's pending files). Keyed state is snapshotted separately,
// by the task, from RocksDB.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spate {

//! Collects the operator state of one subtask during a checkpoint.
class operator_state_writer {
public:
  //! Stores `bytes` under `name` (replacing an earlier value).
  void put(const std::string& name, std::string bytes) { entries_[name] = std::move(bytes); }
  const std::map<std::string, std::string>& entries() const { return entries_; }

private:
  std::map<std::string, std::string> entries_;
};

//! The operator state a restored subtask receives. With the same parallelism
//! as the snapshot, own() is what this subtask wrote; after rescaling, an
//! operator decides from all() how to split the old subtasks' state.
class operator_state_reader {
public:
  operator_state_reader() = default;
  operator_state_reader(int subtask, int parallelism, int old_parallelism,
                        std::vector<std::map<std::string, std::string>> old)
      : subtask_(subtask), parallelism_(parallelism), old_parallelism_(old_parallelism),
        old_(std::move(old)) {}

  //! True when the job was restored from a snapshot that had this operator.
  bool restored() const { return !old_.empty(); }
  //! True when the snapshot ran at the same parallelism.
  bool same_parallelism() const { return old_parallelism_ == parallelism_; }
  //! The entry `name` this subtask wrote, when the parallelism is unchanged.
  std::optional<std::string> own(const std::string& name) const {
    if (!same_parallelism() || subtask_ >= static_cast<int>(old_.size()))
      return std::nullopt;
    auto it = old_[subtask_].find(name);
    if (it == old_[subtask_].end())
      return std::nullopt;
    return it->second;
  }
  //! Every old subtask's entries, by old subtask index.
  const std::vector<std::map<std::string, std::string>>& all() const { return old_; }
  int subtask() const { return subtask_; }
  int parallelism() const { return parallelism_; }
  int old_parallelism() const { return old_parallelism_; }

private:
  int subtask_ = 0;
  int parallelism_ = 1;
  int old_parallelism_ = 0;
  std::vector<std::map<std::string, std::string>> old_;
};

} // namespace spate
