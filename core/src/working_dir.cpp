#include "spate/core/working_dir.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace fs = std::filesystem;

namespace {

//! Opens `dir/.lock` (creating it) and tries to lock it exclusively without
//! waiting. The descriptor when locked, -1 when another holder has it;
//! throws errc::io for other failures.
int try_lock(const std::string& dir) {
  auto file = dir + "/.lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw error(errc::io, "cannot open '" + file + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
    return fd;
  int e = errno;
  ::close(fd);
  if (e == EWOULDBLOCK)
    return -1;
  throw error(errc::io, "cannot lock '" + file + "': " + std::strerror(e));
}

} // namespace

working_dir::working_dir(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec)
    throw error(errc::io, "cannot create the working directory '" + path_ + "': " + ec.message());
  fd_ = try_lock(path_);
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
    try {
      int fd = try_lock(dir);
      if (fd < 0)
        continue; // a live process works there
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
