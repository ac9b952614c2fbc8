// Working directories that outlive a crash only until the next start: a
// process holds an exclusive lock on `<dir>/.lock` for as long as it uses
// `<dir>`, so another process can tell a live directory from one a SIGKILL
// left behind, and remove the latter. A `.lock` is locked before it gets
// its name (made under a name of its own, then linked), so a process
// sweeping the directories never finds a starting process's lock free.
#pragma once

#include <string>
#include <vector>

namespace spate {

class working_dir {
public:
  //! Creates `path` (and its parents) only for this user (0700) and locks
  //! it. Throws spate::error (errc::io) when it cannot, and
  //! (errc::failed_precondition) when another live process holds it or the
  //! path is a symbolic link or another user's directory.
  explicit working_dir(std::string path);
  ~working_dir();
  working_dir(const working_dir&) = delete;
  working_dir& operator=(const working_dir&) = delete;

  const std::string& path() const { return path_; }
  //! Unlocks and deletes the directory (what a clean shutdown does). Never
  //! throws; a failure is logged.
  void remove() noexcept;

  //! Removes every directory `<base>/<prefix>*` of this user (not a link)
  //! that has a `.lock` no live process holds: what crashed processes left. Directories without a
  //! `.lock` are not working directories of this kind and stay. Returns the
  //! paths removed; logs (and skips) what it cannot remove. Never throws.
  static std::vector<std::string> remove_stale(const std::string& base, const std::string& prefix);

private:
  std::string path_;
  int fd_ = -1;
};

} // namespace spate
