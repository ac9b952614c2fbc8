#include "spate/connectors/file_sink.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {
constexpr std::size_t buffer_capacity = 64 * 1024;
} // namespace

void file_sink_function::fail(const std::string& reason, int err) const {
  std::string message = "output file '" + file_ + "': " + reason;
  if (err != 0)
    message += std::string(reason.empty() ? "" : ": ") + std::strerror(err);
  throw error(errc::io, message);
}

void file_sink_function::open(runtime_context& ctx) {
  namespace fs = std::filesystem;
  fs::path dir;
  if (mode_ == file_sink_mode::per_subtask) {
    dir = path_;
    file_ = (dir / ("part-" + std::to_string(ctx.subtask))).string();
  } else {
    file_ = path_;
    dir = fs::path(path_).parent_path();
  }
  std::error_code ec;
  if (!dir.empty())
    fs::create_directories(dir, ec);
  if (ec)
    fail("cannot create directory '" + dir.string() + "'", ec.value());
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    fail("", errno);
  buffer_.reserve(buffer_capacity);
}

void file_sink_function::write(const typed_batch<std::string>& batch) {
  for (const std::string& line : batch.values) {
    buffer_ += line;
    buffer_ += '\n';
    if (buffer_.size() >= buffer_capacity)
      flush();
  }
}

void file_sink_function::flush() {
  if (fd_ < 0)
    fail("write after close", 0);
  std::size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      buffer_.clear(); // the data is lost either way; close() must not retry
      fail("", err);
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void file_sink_function::finish() {
  if (fd_ < 0)
    return;
  flush();
  int fd = fd_;
  fd_ = -1;
  // close() can report a delayed write error (NFS, quota).
  if (::close(fd) != 0)
    fail("", errno);
}

void file_sink_function::close() {
  if (fd_ < 0)
    return;
  try {
    flush();
  } catch (const std::exception& e) {
    log().error("{}", e.what());
  }
  ::close(fd_);
  fd_ = -1;
}

sink_spec<std::string> file_sink(std::string path, file_sink_mode mode) {
  sink_spec<std::string> spec;
  spec.name = "file";
  spec.factory = [path, mode]() -> std::unique_ptr<sink_function<std::string>> {
    return std::make_unique<file_sink_function>(path, mode);
  };
  spec.single_instance = mode == file_sink_mode::merged;
  return spec;
}

} // namespace spate
