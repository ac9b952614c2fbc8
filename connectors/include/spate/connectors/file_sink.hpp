// Text lines into files: one merged file, or one part file per subtask.
#pragma once

#include <string>

#include "spate/api/functions.hpp"

namespace spate {

enum class file_sink_mode {
  merged,      //!< one file `path`, written by a single instance
  per_subtask, //!< directory `path` with `part-<subtask>` per subtask
};

//! One subtask of file_sink(): a file written through a 64 KiB buffer.
class file_sink_function final : public sink_function<std::string> {
public:
  file_sink_function(std::string path, file_sink_mode mode) : path_(std::move(path)), mode_(mode) {}
  ~file_sink_function() override { close(); }

  //! Creates the directories and the file (truncating an existing one).
  //! Throws spate::error(errc::io, "output file '<path>': <reason>").
  void open(runtime_context& ctx) override;
  //! Appends each record and "\n"; throws as open() when a write fails.
  void write(const typed_batch<std::string>& batch) override;
  //! Flushes and closes the file; throws as open() on failure.
  void finish() override;
  //! Flushes what is buffered (errors logged, not thrown) and closes.
  void close() override;

  //! The file this subtask writes (known after open()).
  const std::string& file() const { return file_; }

private:
  void flush();
  [[noreturn]] void fail(const std::string& reason, int err) const;

  std::string path_;
  file_sink_mode mode_;
  std::string file_;
  int fd_ = -1;
  std::string buffer_;
};

//! A sink writing each record as a line ("\n"-terminated) of text.
//! merged: a single instance writes `path` (parent directories created).
//! per_subtask: `path` is a directory (created); subtask i writes `path/part-i`
//! (part files of an earlier run with more subtasks are left alone).
//! Files are truncated when opened. Any failure (creating a directory or file,
//! a write, e.g. disk full) throws spate::error(errc::io,
//! "output file '<file>': <reason>"), so the job fails naming the file.
sink_spec<std::string> file_sink(std::string path, file_sink_mode mode = file_sink_mode::merged);

} // namespace spate
