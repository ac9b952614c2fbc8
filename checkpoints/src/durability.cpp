#include "spate/checkpoints/durability.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "spate/core/error.hpp"

namespace spate::checkpoints {

namespace {

void fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    throw error(errc::io, "cannot open '" + path + "' to sync it: " + std::strerror(errno));
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    throw error(errc::io, "cannot sync '" + path + "': " + std::strerror(err));
  }
  ::close(fd);
}

} // namespace

void file_syncer::sync_file(const std::string& path) const { fsync_path(path, false); }

void file_syncer::sync_directory(const std::string& path) const { fsync_path(path, true); }

const file_syncer& file_syncer::system() {
  static const file_syncer s;
  return s;
}

} // namespace spate::checkpoints
