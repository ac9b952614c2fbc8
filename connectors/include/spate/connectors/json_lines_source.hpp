// JSON lines (one JSON document per line) from a file or a directory's files.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "spate/api/functions.hpp"
#include "spate/connectors/line_file_reader.hpp"

namespace spate {

//! Malformed lines skipped by every JSON lines source of this process so far.
//! Thread-safe.
std::int64_t json_malformed_records();

//! One subtask of json_lines_file_source(). Malformed lines are skipped,
//! counted and logged (at most one log line per second per source).
class json_lines_source_function final : public source_function<nlohmann::json> {
public:
  explicit json_lines_source_function(std::string path) : reader_(std::move(path)) {}

  //! Selects this subtask's files; throws as text_file_source_function::open.
  void open(runtime_context& ctx) override;
  //! Emits up to `max_records` parsed documents (blank and malformed lines
  //! emit nothing); has_more() while lines may follow, then end().
  source_status poll(collector<nlohmann::json>& out, std::size_t max_records) override;
  //! Logs malformed lines not reported yet and closes the file. Never throws.
  void close() override;

  //! Malformed lines this source skipped.
  std::int64_t malformed_count() const { return malformed_; }
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
  void on_malformed(const std::string& reason);
  void report_skipped();

  line_file_reader reader_;
  bool done_ = false;
  std::int64_t malformed_ = 0;
  std::int64_t unreported_ = 0; // skipped since the last log line
  std::string last_malformed_;  // "file:line: reason" of the latest one
  std::chrono::steady_clock::time_point last_report_{};
  bool reported_once_ = false;
};

//! A source of the JSON documents of `path`, one per non-blank line. Files are
//! shared among subtasks as by text_file_source(). A malformed line is skipped,
//! counted (malformed_count(), json_malformed_records()) and logged with its
//! file name and line number. A missing or unreadable path makes open() throw
//! spate::error naming it.
source_spec<nlohmann::json> json_lines_file_source(std::string path);

} // namespace spate
