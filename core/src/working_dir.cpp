#include "spate/core/working_dir.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spate/core/error.hpp"
#include "spate/core/private_dir.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace fs = std::filesystem;

namespace {

//! Opens the existing `file` and tries to lock it exclusively without
//! waiting. The descriptor when locked; -1 when another holder has it;
//! -2 when there is no such file. Throws errc::io for other failures.
int try_lock_file(const std::string& file) {
  // Not through a link someone planted there.
  int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT)
      return -2;
    throw error(errc::io, "cannot open '" + file + "': " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
    return fd;
  int e = errno;
  ::close(fd);
  if (e == EWOULDBLOCK)
    return -1;
  throw error(errc::io, "cannot lock '" + file + "': " + std::strerror(e));
}

//! Whether `fd` is still the file at `file` (a cleaner may have removed the
//! directory between the open and the lock).
bool still_there(int fd, const std::string& file) {
  struct stat held {
  }, named{};
  return ::fstat(fd, &held) == 0 && ::lstat(file.c_str(), &named) == 0 &&
         held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

//! Locks `dir/.lock` for this process: the descriptor, or -1 when another
//! live process holds it. A new lock file is made and locked under a name
//! of its own and only then linked as `.lock`, so a cleaner (remove_stale)
//! never finds a `.lock` that is not yet held and takes it for a dead
//! process's. Throws errc::io when it cannot.
int take_lock(const std::string& dir) {
  auto file = dir + "/.lock";
  for (int attempt = 0; attempt < 8; ++attempt) {
    int fd = try_lock_file(file);
    if (fd == -1)
      return -1;
    if (fd >= 0) {
      if (still_there(fd, file))
        return fd;
      ::close(fd); // removed meanwhile as a dead process's: make it again
      continue;
    }
    auto own = dir + "/.lock-" + std::to_string(::getpid());
    ::unlink(own.c_str()); // this pid's, left by a process that ended
    fd = ::open(own.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == ENOENT && ::mkdir(dir.c_str(), 0700) == 0)
      continue; // a cleaner took the directory for a dead process's: made again
    if (fd < 0)
      throw error(errc::io, "cannot create '" + own + "': " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      ::close(fd);
      ::unlink(own.c_str());
      throw error(errc::io, "cannot lock '" + own + "': " + std::strerror(e));
    }
    // link() does not replace: a `.lock` another process made meanwhile wins.
    int linked = ::link(own.c_str(), file.c_str());
    int e = errno;
    ::unlink(own.c_str());
    if (linked == 0)
      return fd;
    ::close(fd);
    if (e != EEXIST)
      throw error(errc::io, "cannot create '" + file + "': " + std::strerror(e));
  }
  throw error(errc::io, "cannot lock '" + file + "': it keeps being replaced");
}

//! Why `dir` is not a directory of this process's user that only it can
//! enter (a link, another user's, open to others), or empty.
std::string not_ours(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    return std::strerror(errno);
  if (S_ISLNK(st.st_mode))
    return "it is a symbolic link";
  if (!S_ISDIR(st.st_mode))
    return "it is not a directory";
  if (st.st_uid != ::geteuid())
    return "it belongs to user " + std::to_string(st.st_uid) + ", not to this process's " +
           std::to_string(::geteuid());
  return {};
}

} // namespace

working_dir::working_dir(std::string path) : path_(std::move(path)) {
  // The parents as usual; the directory itself only this user's (0700): it
  // often sits in a temp directory every user can write to.
  auto parent = fs::path(path_).parent_path();
  if (!parent.empty())
    make_private_directories(parent.string(), "state directory");
  if (::mkdir(path_.c_str(), 0700) != 0 && errno != EEXIST)
    throw error(errc::io,
                "cannot create the working directory '" + path_ + "': " + std::strerror(errno));
  if (auto why = not_ours(path_); !why.empty())
    throw error(errc::failed_precondition,
                "the working directory '" + path_ + "' cannot be used: " + why);
  if (::chmod(path_.c_str(), 0700) != 0)
    throw error(errc::io, "cannot restrict the working directory '" + path_ +
                              "' to its user: " + std::strerror(errno));
  fd_ = take_lock(path_);
  if (fd_ < 0)
    throw error(errc::failed_precondition,
                "the working directory '" + path_ + "' is in use by another process");
}

working_dir::~working_dir() {
  if (fd_ >= 0)
    ::close(fd_);
}

void working_dir::remove() noexcept {
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec)
    log().warn("cannot remove the working directory '{}': {}", path_, ec.message());
  if (fd_ >= 0) {
    ::close(fd_); // after the removal: no other process takes it over half-deleted
    fd_ = -1;
  }
}

std::vector<std::string> working_dir::remove_stale(const std::string& base,
                                                   const std::string& prefix) {
  std::vector<std::string> removed;
  std::error_code ec;
  fs::directory_iterator it(base, ec);
  if (ec)
    return removed; // no base directory yet: nothing left behind
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec)
      break;
    const auto& entry = *it;
    auto name = entry.path().filename().string();
    std::error_code e2;
    if (name.compare(0, prefix.size(), prefix) != 0 || !entry.is_directory(e2) ||
        !fs::exists(entry.path() / ".lock", e2))
      continue;
    auto dir = entry.path().string();
    if (!not_ours(dir).empty())
      continue; // a link, or another user's: not for this process to remove
    try {
      int fd = try_lock_file(dir + "/.lock");
      if (fd < 0)
        continue; // a live process works there (or another cleaner took it)
      fs::remove_all(entry.path(), e2);
      ::close(fd);
      if (e2) {
        log().warn("cannot remove '{}', left by a process that ended: {}", dir, e2.message());
        continue;
      }
      removed.push_back(dir);
    } catch (const error& x) {
      log().warn("cannot check '{}': {}", dir, x.what());
    }
  }
  if (ec)
    log().warn("cannot list '{}': {}", base, ec.message());
  return removed;
}

} // namespace spate
