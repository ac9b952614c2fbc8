// Buffered output files and the file system calls of the file sink, each
// failure converted into spate::error naming the file.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spate/connectors/file_sink_staging.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::detail {

namespace {
constexpr std::size_t buffer_capacity = 64 * 1024;
} // namespace

void throw_file_error(const std::string& file, const std::string& reason, int err, errc code) {
  std::string message = "output file '" + file + "': " + reason;
  if (err != 0)
    message += std::string(reason.empty() ? "" : ": ") + std::strerror(err);
  throw error(code, message);
}

void output_file::open(const std::string& file, int flags) {
  abandon();
  name_ = file;
  buffer_.clear();
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  if (fd_ < 0)
    throw_file_error(file, "", errno);
  size_ = 0;
  if (flags & O_APPEND) {
    struct stat st;
    if (::fstat(fd_, &st) != 0)
      throw_file_error(file, "", errno);
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  buffer_.reserve(buffer_capacity);
}

void output_file::write_line(const std::string& line) {
  buffer_ += line;
  buffer_ += '\n';
  size_ += line.size() + 1;
  if (buffer_.size() >= buffer_capacity)
    flush();
}

void output_file::flush() {
  if (fd_ < 0) {
    if (buffer_.empty())
      return;
    throw_file_error(name_, "write after close", 0);
  }
  std::size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      buffer_.clear(); // the data is lost either way; close() must not retry
      throw_file_error(name_, "", err);
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void output_file::sync() {
  flush();
  // EINVAL: a device or pipe (/dev/stdout, /dev/null) that cannot be synced.
  if (::fsync(fd_) != 0 && errno != EINVAL)
    throw_file_error(name_, "fsync failed", errno);
}

void output_file::close() {
  if (fd_ < 0)
    return;
  flush();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    throw_file_error(name_, "", errno);
}

void output_file::abandon() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void output_file::close_logging() noexcept {
  try {
    flush();
  } catch (const std::exception& e) {
    log().error("{}", e.what());
  }
  abandon();
}

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw_file_error(dir, "cannot open directory to sync it", errno);
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    throw_file_error(dir, "cannot sync directory", err);
  }
  ::close(fd);
}

void rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw_file_error(from, "cannot rename to '" + to + "'", errno);
}

void remove_file(const std::string& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT)
    throw_file_error(file, "cannot delete", errno);
}

bool file_exists(const std::string& file) {
  struct stat st;
  return ::lstat(file.c_str(), &st) == 0;
}

bool is_regular_file(const std::string& file) {
  struct stat st;
  return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void truncate_file(const std::string& file, std::uint64_t length) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    throw_file_error(file, "", errno);
  if (::ftruncate(fd, static_cast<off_t>(length)) != 0) {
    int err = errno;
    ::close(fd);
    throw_file_error(file, "cannot truncate to " + std::to_string(length) + " bytes", err);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    throw_file_error(file, "fsync failed", err);
  }
  ::close(fd);
}

std::int64_t file_size(const std::string& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return -1;
    throw_file_error(file, "", errno);
  }
  return static_cast<std::int64_t>(st.st_size);
}

std::vector<std::string> list_directory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    throw_file_error(dir, "cannot list directory", errno);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err != 0)
    throw_file_error(dir, "cannot list directory", err);
  return names;
}

void create_directories(const std::string& dir, const std::string& file) {
  if (dir.empty())
    return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw_file_error(file, "cannot create directory '" + dir + "'", ec.value());
}

std::string output_identity(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec)
    return std::filesystem::path(path).lexically_normal().string();
  auto canonical = std::filesystem::weakly_canonical(absolute, ec);
  return (ec ? absolute.lexically_normal() : canonical).string();
}

std::optional<std::string> direct_state_of_another_output(const operator_state_reader& in,
                                                          const std::string& path,
                                                          const std::string& mode) {
  std::string self;
  for (const auto& entries : in.all()) {
    auto it = entries.find(file_sink_state_name);
    if (it == entries.end())
      continue;
    auto state = decode<file_sink_state>(it->second, "file sink state");
    if (state.direct_output.empty())
      continue; // staged output: restore() checks it
    if (self.empty())
      self = output_identity(path);
    if (state.mode != mode || state.direct_output != self)
      return state.mode + " '" + state.direct_output + "'";
  }
  return std::nullopt;
}

std::vector<std::pair<int, file_sink_state>> read_file_sink_states(const operator_state_reader& in,
                                                                   const std::string& path,
                                                                   const std::string& mode) {
  std::vector<std::pair<int, file_sink_state>> out;
  const auto& all = in.all();
  for (std::size_t k = 0; k < all.size(); ++k) {
    auto it = all[k].find(file_sink_state_name);
    if (it == all[k].end())
      continue;
    auto state = decode<file_sink_state>(it->second, "file sink state");
    if (state.version != 1)
      throw_file_error(path,
                       "checkpointed file sink state has unknown format version " +
                           std::to_string(state.version),
                       0, errc::corrupt);
    if (state.mode != mode)
      throw error(errc::invalid_argument,
                  "output file '" + path + "': the checkpoint was written by a file sink in " +
                      state.mode + " mode, this one is in " + mode + " mode");
    out.emplace_back(static_cast<int>(k), std::move(state));
  }
  return out;
}

} // namespace spate::detail
