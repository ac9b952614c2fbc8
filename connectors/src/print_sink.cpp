#include "spate/connectors/print_sink.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <utility>

#include "spate/core/error.hpp"

namespace spate {

namespace {
std::mutex stdout_mutex;
std::function<void()> before_stdout_write;
} // namespace

void write_stdout(const std::string& text) {
  std::lock_guard<std::mutex> lock(stdout_mutex);
  if (before_stdout_write)
    before_stdout_write();
  std::size_t written = std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0 || written != text.size())
    throw error(errc::io, std::string("print sink: cannot write to standard output: ") +
                              std::strerror(errno));
}

void set_stdout_write_hook(std::function<void()> before) {
  std::lock_guard<std::mutex> lock(stdout_mutex);
  before_stdout_write = std::move(before);
}

std::string print_line_prefix(const std::string& prefix, int subtask, int parallelism) {
  std::string out = prefix;
  if (parallelism > 1) {
    if (!out.empty())
      out += ':';
    out += std::to_string(subtask + 1);
  }
  if (!out.empty())
    out += "> ";
  return out;
}

} // namespace spate
