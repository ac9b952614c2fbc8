// Reads lines from a file, or from the share of a directory's files that one
// subtask owns, remembering the byte offset so a checkpoint can rewind it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "spate/actors/operator_state.hpp"

namespace spate {

//! Where a line reader stands: the index into its subtask's file list, the
//! byte offset of the next unread line in that file, and how many lines of
//! that file were read (for messages).
struct file_position {
  std::uint64_t file_index = 0;
  std::uint64_t offset = 0;
  std::uint64_t line = 0;
};

//! How far one input file was read, as a checkpoint records it.
struct file_progress {
  std::uint64_t offset = 0; //!< byte offset of the next unread line
  std::uint64_t line = 0;   //!< lines read so far (for messages)
  bool done = false;        //!< every line was read
};

//! Throws spate::error(errc::not_found or errc::io, "input file '<path>' ...:
//! <strerror>") unless `path` is a readable file or a listable directory.
//! Called by the CLI before a job runs, so a typo exits early with a message.
void check_readable_input(const std::string& path);

//! The files subtask `subtask` of `parallelism` reads from `path`: a single
//! file goes to subtask 0 only; a directory's regular files, sorted by name,
//! are dealt out as file k to subtask k % parallelism. Hidden files (".name")
//! are skipped. Throws as check_readable_input().
std::vector<std::string> input_files_for_subtask(const std::string& path, int subtask,
                                                 int parallelism);

//! A buffered reader of lines over a list of files (one after the other).
//! Lines are returned without "\n" and without one "\r" before it; a last line
//! without newline counts, and empty lines are lines too. Not thread-safe.
class line_file_reader {
public:
  explicit line_file_reader(std::string path) : path_(std::move(path)) {}
  ~line_file_reader();
  line_file_reader(const line_file_reader&) = delete;
  line_file_reader& operator=(const line_file_reader&) = delete;

  //! Selects this subtask's files and opens the first one at the current
  //! position (see seek). Throws as check_readable_input().
  void open(int subtask, int parallelism);

  //! Reads the next line into `line`; false when every file is exhausted.
  //! Throws spate::error(errc::io) naming the file when a read fails.
  bool next(std::string& line);

  //! The position after the last line returned: what a checkpoint records.
  file_position position() const { return pos_; }

  //! Continues at `pos` (from position()); before open() or after it. Files
  //! before pos.file_index count as read, later ones start at their beginning
  //! (this replaces what restore() set).
  void seek(const file_position& pos);

  //! The checkpoint entry (msgpack): the progress of every file of this
  //! subtask that was started, keyed by file path; files not started are left
  //! out. Independent of the file index, so any subtask can resume a file.
  std::string snapshot() const;
  //! Takes the progress of every file from the entries of all old subtasks
  //! (before open(); any parallelism): open() then skips the files marked
  //! done and starts each other file of this subtask at its recorded offset.
  //! Throws spate::error(errc::codec or errc::corrupt) for bad entries.
  void restore(const std::vector<std::string>& entries);

  //! The file the last line came from ("" before the first line).
  const std::string& current_file() const;

  //! The path given to the constructor.
  const std::string& path() const { return path_; }

  //! Closes the open file, if any. Never throws.
  void close() noexcept;

private:
  // Moves to the first file at or after `index` not read to the end yet, at
  // its restored offset.
  void start_file(std::uint64_t index);
  // Opens files_[pos_.file_index] at pos_.offset; false when none is left.
  bool open_current();
  // Reads more bytes into the buffer; false at end of file.
  bool fill();

  std::string path_;
  std::vector<std::string> files_;
  bool opened_ = false;
  file_position pos_;
  std::map<std::string, file_progress> resume_; // by path, from restore()
  int fd_ = -1;
  std::vector<char> buf_;
  std::size_t begin_ = 0;   // first unread byte in buf_
  std::size_t end_ = 0;     // one past the last valid byte in buf_
  std::size_t scanned_ = 0; // bytes after begin_ known to hold no newline
  bool eof_ = false;
};

//! The operator state entry of the file sources.
inline constexpr const char* file_source_state_name = "file-source";

//! Restores `reader` from the `file_source_state_name` entries of every old
//! subtask of `state` (nothing when there are none).
void restore_file_reader(line_file_reader& reader, const operator_state_reader& state);

} // namespace spate
