#include "spate/connectors/print_sink.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "spate/core/error.hpp"

namespace spate {

namespace {
std::mutex stdout_mutex;
} // namespace

void write_stdout(const std::string& text) {
  std::lock_guard<std::mutex> lock(stdout_mutex);
  std::size_t written = std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0 || written != text.size())
    throw error(errc::io, std::string("print sink: cannot write to standard output: ") +
                              std::strerror(errno));
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
