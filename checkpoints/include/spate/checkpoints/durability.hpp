// How checkpoint and savepoint files become durable: fsync(2) of every file a
// snapshot references and of every directory that holds one, before the
// `_metadata` that makes the snapshot complete is renamed into place. A
// checkpoint that completed (and let sinks commit) survives a power cut, not
// only a SIGKILL.
//
// The storage code calls a file_syncer rather than fsync directly, so a test
// can record the calls and check the order (test_checkpoint_durability).
#pragma once

#include <string>

namespace spate::checkpoints {

class file_syncer {
public:
  virtual ~file_syncer() = default;
  //! fsync(2) of a file's content. Throws spate::error(errc::io) naming it.
  virtual void sync_file(const std::string& path) const;
  //! fsync(2) of a directory: the names created, renamed or removed in it.
  //! Throws spate::error(errc::io) naming it.
  virtual void sync_directory(const std::string& path) const;
  //! The one that calls fsync(2); what everything uses unless given another.
  static const file_syncer& system();
};

} // namespace spate::checkpoints
