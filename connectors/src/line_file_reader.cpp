// Buffered line reading over a subtask's share of the input files.
#include "spate/connectors/line_file_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spate/core/error.hpp"

namespace spate {

namespace {

constexpr std::size_t initial_buffer_size = 64 * 1024;

error input_error(const std::string& path, const std::string& what, int err) {
  errc code = (err == ENOENT || err == ENOTDIR) ? errc::not_found : errc::io;
  return error(code, "input file '" + path + "' " + what + ": " + std::strerror(err));
}

// Flink's default filter: files starting with '.' or '_' are not input.
bool hidden(const std::string& name) { return !name.empty() && (name[0] == '.' || name[0] == '_'); }

} // namespace

void check_readable_input(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw input_error(path, "cannot be read", errno);
  if (S_ISDIR(st.st_mode)) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr)
      throw input_error(path, "cannot be listed", errno);
    ::closedir(dir);
    return;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw input_error(path, "cannot be opened", errno);
  ::close(fd);
}

std::vector<std::string> input_files_for_subtask(const std::string& path, int subtask,
                                                 int parallelism) {
  check_readable_input(path);
  namespace fs = std::filesystem;
  // check_readable_input just succeeded; should the status fail now, the path
  // is read as a file, and opening it reports the cause.
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return subtask == 0 ? std::vector<std::string>{path} : std::vector<std::string>{};
  std::vector<std::string> all;
  fs::directory_iterator it(path, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (hidden(name))
      continue;
    std::error_code type_ec;
    if (it->is_regular_file(type_ec))
      all.push_back(it->path().string());
    else if (type_ec && type_ec != std::errc::no_such_file_or_directory)
      // Not a dangling link or a file removed meanwhile: an input file that
      // cannot be read must not be skipped silently.
      throw input_error(it->path().string(), "cannot be read", type_ec.value());
  }
  if (ec)
    throw input_error(path, "cannot be listed", ec.value());
  std::sort(all.begin(), all.end());
  std::vector<std::string> mine;
  for (std::size_t k = 0; k < all.size(); ++k)
    if (static_cast<int>(k % static_cast<std::size_t>(parallelism)) == subtask)
      mine.push_back(all[k]);
  return mine;
}

line_file_reader::~line_file_reader() { close(); }

void line_file_reader::open(int subtask, int parallelism) {
  files_ = input_files_for_subtask(path_, subtask, parallelism);
  buf_.resize(initial_buffer_size);
  opened_ = true;
  if (!resume_.empty())
    start_file(0);
}

void line_file_reader::seek(const file_position& pos) {
  close();
  resume_.clear();
  pos_ = pos;
}

void line_file_reader::start_file(std::uint64_t index) {
  for (; index < files_.size(); ++index) {
    auto it = resume_.find(files_[index]);
    if (it == resume_.end()) {
      pos_ = file_position{index, 0, 0};
      return;
    }
    if (!it->second.done) {
      pos_ = file_position{index, it->second.offset, it->second.line};
      return;
    }
  }
  pos_ = file_position{index, 0, 0};
}

const std::string& line_file_reader::current_file() const {
  static const std::string none;
  return pos_.file_index < files_.size() ? files_[pos_.file_index] : none;
}

void line_file_reader::close() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool line_file_reader::open_current() {
  if (!opened_ || pos_.file_index >= files_.size())
    return false;
  const std::string& file = files_[pos_.file_index];
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw input_error(file, "cannot be opened", errno);
  if (pos_.offset > 0 && ::lseek(fd_, static_cast<off_t>(pos_.offset), SEEK_SET) < 0) {
    int err = errno;
    close();
    throw input_error(file, "cannot seek to offset " + std::to_string(pos_.offset), err);
  }
  begin_ = end_ = scanned_ = 0;
  eof_ = false;
  return true;
}

bool line_file_reader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size())
    buf_.resize(buf_.size() * 2); // a line longer than the buffer
  while (true) {
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno != EINTR)
      throw input_error(files_[pos_.file_index], "cannot be read", errno);
  }
}

bool line_file_reader::next(std::string& line) {
  while (true) {
    if (fd_ < 0 && !open_current())
      return false;
    const char* start = buf_.data() + begin_;
    std::size_t available = end_ - begin_;
    auto* nl = static_cast<const char*>(std::memchr(start + scanned_, '\n', available - scanned_));
    std::size_t length = 0, consumed = 0;
    if (nl != nullptr) {
      length = static_cast<std::size_t>(nl - start);
      consumed = length + 1;
    } else if (eof_ && available > 0) {
      length = consumed = available; // last line without newline
    } else if (eof_) {
      close(); // this file is done; on to the next one
      start_file(pos_.file_index + 1);
      continue;
    } else {
      scanned_ = available;
      fill();
      continue;
    }
    if (length > 0 && start[length - 1] == '\r')
      --length;
    line.assign(start, length);
    begin_ += consumed;
    scanned_ = 0;
    pos_.offset += consumed;
    ++pos_.line;
    return true;
  }
}

} // namespace spate
