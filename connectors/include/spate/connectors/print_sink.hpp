// Flink's print(): records as text lines on standard output.
#pragma once

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "spate/api/functions.hpp"

namespace spate {

//! The default text of a record for print_sink(): what `operator<<` writes.
template <class T>
struct record_formatter {
  std::string operator()(const T& value) const {
    std::ostringstream os;
    os << value;
    return os.str();
  }
};

//! Strings print as they are.
template <>
struct record_formatter<std::string> {
  std::string operator()(const std::string& value) const { return value; }
};

//! Writes `text` to stdout in one fwrite and flushes, under a process-wide
//! mutex so lines of subtasks sharing stdout never interleave. Throws
//! spate::error(errc::io) when stdout cannot be written.
void write_stdout(const std::string& text);

//! Has write_stdout() call `before` ahead of every write, under its mutex
//! (`spate local` erases its progress line there); an empty function removes it.
void set_stdout_write_hook(std::function<void()> before);

//! The line prefix Flink's print() uses: "<prefix>:<subtask+1>> " when
//! parallelism > 1, "<subtask+1>> " with an empty prefix, "<prefix>> " at
//! parallelism 1, nothing at all with an empty prefix and parallelism 1.
std::string print_line_prefix(const std::string& prefix, int subtask, int parallelism);

//! One subtask of print_sink().
template <class T>
class print_sink_function final : public sink_function<T> {
public:
  print_sink_function(std::function<std::string(const T&)> format, std::string prefix)
      : format_(std::move(format)), prefix_(std::move(prefix)) {}

  void open(runtime_context& ctx) override {
    line_prefix_ = print_line_prefix(prefix_, ctx.subtask, ctx.parallelism);
  }

  //! Prints every record of the batch as one line, the batch in one write.
  void write(const typed_batch<T>& batch) override {
    if (batch.empty())
      return;
    std::string text;
    for (const T& value : batch.values) {
      text += line_prefix_;
      text += format_(value);
      text += '\n';
    }
    write_stdout(text);
  }

private:
  std::function<std::string(const T&)> format_;
  std::string prefix_;
  std::string line_prefix_;
};

//! A sink printing each record on its own line of stdout, as `format` renders
//! it (default: operator<<; strings as they are). Lines carry the prefix of
//! print_line_prefix(), so with parallelism > 1 they start with "<subtask+1>> ".
template <class T>
sink_spec<T> print_sink(std::function<std::string(const T&)> format = record_formatter<T>{},
                        std::string prefix = "") {
  sink_spec<T> spec;
  spec.name = "print";
  spec.factory = [format = std::move(format),
                  prefix = std::move(prefix)]() -> std::unique_ptr<sink_function<T>> {
    return std::make_unique<print_sink_function<T>>(format, prefix);
  };
  return spec;
}

} // namespace spate
