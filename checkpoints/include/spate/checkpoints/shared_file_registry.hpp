// Which retained checkpoints use each shared file (Flink's SharedStateRegistry):
// a file is deleted only when the last checkpoint that references it is
// discarded. Pure bookkeeping; checkpoint_storage does the file work.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spate/core/types.hpp"

namespace spate::checkpoints {

class shared_file_registry {
public:
  //! Checkpoint `id` uses `paths` (relative to the job's directory). Adding
  //! the same checkpoint again adds to what it uses.
  void retain(checkpoint_id id, const std::vector<std::string>& paths);
  //! Checkpoint `id` is discarded: returns the files no retained checkpoint
  //! uses any more (to delete), each once. Unknown ids return nothing.
  std::vector<std::string> release(checkpoint_id id);
  //! How many retained checkpoints use `path`.
  std::size_t references(const std::string& path) const;
  //! Checkpoints retained (that released nothing yet).
  std::size_t checkpoints() const { return files_.size(); }

private:
  std::map<std::string, std::set<checkpoint_id>> users_; //!< path -> checkpoints
  std::map<checkpoint_id, std::vector<std::string>> files_;
};

} // namespace spate::checkpoints
