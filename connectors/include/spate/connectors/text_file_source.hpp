// Flink's readTextFile: one record per line of a file or of a directory's files.
#pragma once

#include <string>

#include "spate/api/functions.hpp"
#include "spate/connectors/line_file_reader.hpp"

namespace spate {

//! One subtask of text_file_source(). A checkpoint records how far each of its
//! files was read, by path (see line_file_reader::snapshot), so a restore at
//! another parallelism resumes every file where it stopped.
class text_file_source_function final : public source_function<std::string> {
public:
  explicit text_file_source_function(std::string path) : reader_(std::move(path)) {}

  //! Selects this subtask's files. Throws spate::error(errc::not_found or
  //! errc::io) naming the path when it is missing or unreadable.
  void open(runtime_context& ctx) override;
  //! Emits up to `max_records` lines; has_more() while lines may follow,
  //! end() (with no records) once every file is read.
  source_status poll(collector<std::string>& out, std::size_t max_records) override;
  void close() override { reader_.close(); }

  //! Resumes every file at the position recorded for its path by any old
  //! subtask (so it works after a change of parallelism too); files marked
  //! done are skipped.
  void initialize_state(const operator_state_reader& state) override {
    restore_file_reader(reader_, state);
    done_ = false;
  }
  //! Records how far each of this subtask's files was read.
  void snapshot_state(std::int64_t, operator_state_writer& out) override {
    out.put(file_source_state_name, reader_.snapshot());
  }

  //! Where the next line starts: what a checkpoint records.
  file_position position() const { return reader_.position(); }
  //! Continues reading at `pos` (a value of position()).
  void seek(const file_position& pos) {
    reader_.seek(pos);
    done_ = false;
  }

private:
  line_file_reader reader_;
  bool done_ = false;
};

//! A source of the lines of `path`, one record per line, without "\n" and
//! without one "\r" before it. A last line without newline is a record, and
//! so is every empty line. A single file is read by subtask 0 (the others end
//! at once); a directory's regular files (sorted by name, hidden ones skipped)
//! go to subtask k % parallelism. A missing or unreadable path makes open()
//! throw spate::error naming the path (see check_readable_input()).
source_spec<std::string> text_file_source(std::string path);

} // namespace spate
