// Files spate reads what it must be able to trust from (keys, secrets,
// certificates): opened without following a link and without blocking (a
// FIFO or device planted at the path is refused, not waited on), then
// checked on the descriptor that is read, so what was checked is what is
// used. Each check names the file and what is wrong with it.
#pragma once

#include <cstddef>
#include <string>

namespace spate {

//! An owned file descriptor, closed at destruction.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o)
      reset(o.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  //! Gives the descriptor up without closing it.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  //! Closes the descriptor held (if any) and holds `fd`.
  void reset(int fd = -1);
  //! Closes the descriptor; returns close()'s result (0 or -1 and errno).
  int close();

private:
  int fd_ = -1;
};

//! A file only this user may read: opened read-only with O_NOFOLLOW,
//! O_NONBLOCK and O_CLOEXEC, then checked with fstat() to be a regular
//! file, owned by this user (or root), with no permissions for group or
//! others. Throws spate::error (errc::invalid_argument) "`what` '`path`':
//! why" when it is missing, a link, not a regular file (a FIFO, a device, a
//! directory), someone else's, or open to others.
unique_fd open_private_file(const std::string& path, const std::string& what);

//! A file others may read but not change (a public key): like
//! open_private_file, but group and others may read it; they may not write
//! to it.
unique_fd open_protected_file(const std::string& path, const std::string& what);

//! A regular file anyone may own (a certificate): opened read-only with
//! O_NONBLOCK and O_CLOEXEC (links followed), refused unless it is a
//! regular file.
unique_fd open_regular_file(const std::string& path, const std::string& what);

//! The whole of the regular file open at `fd` (from its start), at most
//! `max_bytes`. Throws spate::error naming `what` and `path` when it is
//! larger, cannot be read, or ends before the size fstat() gave.
std::string read_file_fd(int fd, const std::string& path, const std::string& what,
                         std::size_t max_bytes);

//! open_private_file() then read_file_fd(): the contents of a private file.
std::string read_private_file(const std::string& path, const std::string& what,
                              std::size_t max_bytes = 64 * 1024);

//! open_protected_file() then read_file_fd().
std::string read_protected_file(const std::string& path, const std::string& what,
                                std::size_t max_bytes = 64 * 1024);

//! open_regular_file() then read_file_fd().
std::string read_regular_file(const std::string& path, const std::string& what,
                              std::size_t max_bytes = 1024 * 1024);

} // namespace spate
