#include "spate/core/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "spate/core/error.hpp"

namespace spate {

void unique_fd::reset(int fd) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

int unique_fd::close() {
  int fd = release();
  return fd >= 0 ? ::close(fd) : 0;
}

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, const std::string& why) {
  throw error(errc::invalid_argument, what + " '" + path + "': " + why);
}

std::string mode_text(mode_t mode) {
  char m[8];
  std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(mode & 07777));
  return m;
}

enum class exposure { secret, readable, any };

unique_fd open_checked(const std::string& path, const std::string& what, exposure allowed) {
  // O_NONBLOCK: opening a FIFO without a writer (or a device) returns at
  // once instead of waiting; fstat() then refuses it.
  int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  if (allowed != exposure::any)
    flags |= O_NOFOLLOW;
  unique_fd fd(::open(path.c_str(), flags));
  if (!fd)
    fail(what, path,
         errno == ELOOP && allowed != exposure::any ? "is a symbolic link (refused)"
                                                    : std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    fail(what, path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail(what, path,
         S_ISFIFO(st.st_mode)  ? "is a FIFO, not a regular file (refused)"
         : S_ISDIR(st.st_mode) ? "is a directory, not a regular file"
                               : "is not a regular file (refused)");
  if (allowed == exposure::any)
    return fd;
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    fail(what, path,
         "belongs to another user (uid " + std::to_string(st.st_uid) + "), who could change it");
  if (allowed == exposure::secret && (st.st_mode & 077) != 0)
    fail(what, path,
         std::string((st.st_mode & 044) != 0 ? "is readable by others" : "is open to other users") +
             " (mode " + mode_text(st.st_mode) + "): chmod 600 it");
  if (allowed == exposure::readable && (st.st_mode & 022) != 0)
    fail(what, path,
         "may be written by other users (mode " + mode_text(st.st_mode) + "): chmod go-w it");
  return fd;
}

} // namespace

unique_fd open_private_file(const std::string& path, const std::string& what) {
  return open_checked(path, what, exposure::secret);
}

unique_fd open_protected_file(const std::string& path, const std::string& what) {
  return open_checked(path, what, exposure::readable);
}

unique_fd open_regular_file(const std::string& path, const std::string& what) {
  return open_checked(path, what, exposure::any);
}

std::string read_file_fd(int fd, const std::string& path, const std::string& what,
                         std::size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    fail(what, path, std::strerror(errno));
  if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) > max_bytes)
    fail(what, path,
         "is too large (" + std::to_string(st.st_size) + " bytes, at most " +
             std::to_string(max_bytes) + ")");
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < content.size()) {
    auto n = ::pread(fd, content.data() + got, content.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = errno;
      std::fill(content.begin(), content.end(), '\0');
      fail(what, path, n == 0 ? "ended early (changed while read?)" : std::strerror(e));
    }
    got += static_cast<std::size_t>(n);
  }
  return content;
}

std::string read_private_file(const std::string& path, const std::string& what,
                              std::size_t max_bytes) {
  auto fd = open_private_file(path, what);
  return read_file_fd(fd.get(), path, what, max_bytes);
}

std::string read_protected_file(const std::string& path, const std::string& what,
                                std::size_t max_bytes) {
  auto fd = open_protected_file(path, what);
  return read_file_fd(fd.get(), path, what, max_bytes);
}

std::string read_regular_file(const std::string& path, const std::string& what,
                              std::size_t max_bytes) {
  auto fd = open_regular_file(path, what);
  return read_file_fd(fd.get(), path, what, max_bytes);
}

} // namespace spate
