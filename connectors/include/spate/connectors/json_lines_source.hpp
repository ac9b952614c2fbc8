// JSON lines (one JSON document per line) from a file or a directory's files:
// as records of the job's own type, read with simdjson On-Demand (only the
// fields the record needs), or as whole nlohmann::json documents.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "spate/api/functions.hpp"
#include "spate/connectors/json_record.hpp"
#include "spate/connectors/line_file_reader.hpp"

namespace spate {

//! Malformed lines skipped by every JSON lines source of this process so far.
//! Thread-safe.
std::int64_t json_malformed_records();

namespace detail {

//! What every JSON lines source subtask does around decoding a line: reading
//! this subtask's files, skipping blank lines, counting and logging malformed
//! lines (at most one log line per second, with file:line), checkpointing.
class json_lines_input {
public:
  explicit json_lines_input(std::string path) : reader_(std::move(path)) {}

  void open(runtime_context& ctx);
  //! Calls `take(line)` for up to `max_records` non-blank lines; `take`
  //! returns true when it emitted a record. has_more() while lines may
  //! follow, then end().
  template <class Take>
  source_status poll(std::size_t max_records, Take&& take) {
    if (done_)
      return source_status::end();
    std::size_t emitted = 0;
    // Bounds the lines read per poll too, so a file of blanks or garbage still
    // yields control to the runtime.
    for (std::size_t n = 0; n < max_records; ++n) {
      if (!reader_.next(line_)) {
        done_ = true;
        report_skipped();
        // Records only ever travel with has_more(); end() comes on the next poll.
        return emitted == 0 ? source_status::end() : source_status::has_more();
      }
      if (line_.find_first_not_of(" \t\r\n") == std::string::npos)
        continue;
      if (take(line_))
        ++emitted;
    }
    return source_status::has_more();
  }
  //! Counts the current line as malformed, `reason` saying why; may log.
  void malformed(const std::string& reason);
  //! Logs malformed lines not reported yet and closes the file. Never throws.
  void close();

  std::int64_t malformed_count() const { return malformed_; }
  void initialize_state(const operator_state_reader& state) {
    restore_file_reader(reader_, state);
    done_ = false;
  }
  void snapshot_state(operator_state_writer& out) {
    out.put(file_source_state_name, reader_.snapshot());
  }
  file_position position() const { return reader_.position(); }
  void seek(const file_position& pos) {
    reader_.seek(pos);
    done_ = false;
  }

private:
  void report_skipped();

  line_file_reader reader_;
  std::string line_;
  bool done_ = false;
  std::int64_t malformed_ = 0;
  std::int64_t unreported_ = 0; // skipped since the last log line
  std::string last_malformed_;  // "file:line: reason" of the latest one
  std::chrono::steady_clock::time_point last_report_{};
  bool reported_once_ = false;
};

} // namespace detail

//! One subtask of json_lines_file_source(path, format): each non-blank line
//! that is a JSON object becomes an R through `format` (simdjson On-Demand:
//! only format.fields are decoded, nothing is kept between lines). A line that
//! is not a JSON object, or that format.decode rejects with bad_record, is
//! skipped, counted and logged with the reason; nullopt from decode drops the
//! line silently.
template <class R>
class json_records_source_function final : public source_function<R> {
public:
  json_records_source_function(std::string path, json_record_format<R> format)
      : in_(std::move(path)), reader_(std::move(format.fields)), decode_(std::move(format.decode)) {
  }

  void open(runtime_context& ctx) override { in_.open(ctx); }
  source_status poll(collector<R>& out, std::size_t max_records) override {
    return in_.poll(max_records, [&](const std::string& line) {
      if (!reader_.read(line)) {
        in_.malformed(reader_.why());
        return false;
      }
      try {
        if (auto r = decode_(reader_.record())) {
          out.collect(std::move(*r));
          return true;
        }
      } catch (const bad_record& e) {
        in_.malformed(e.what());
      }
      return false;
    });
  }
  void close() override { in_.close(); }

  //! Malformed lines this source skipped.
  std::int64_t malformed_count() const { return in_.malformed_count(); }
  void initialize_state(const operator_state_reader& state) override {
    in_.initialize_state(state);
  }
  void snapshot_state(std::int64_t, operator_state_writer& out) override {
    in_.snapshot_state(out);
  }
  file_position position() const { return in_.position(); }
  void seek(const file_position& pos) { in_.seek(pos); }

private:
  detail::json_lines_input in_;
  json_record_reader reader_;
  std::function<std::optional<R>(const json_record&)> decode_;
};

//! A source of records of type R from the JSON objects of `path`, one per
//! non-blank line, decoded by `format` (see json_records_source_function).
//! Files are shared among subtasks as by text_file_source(); checkpointed as
//! the text source. A missing or unreadable path makes open() throw
//! spate::error naming it.
template <class R>
source_spec<R> json_lines_file_source(std::string path, json_record_format<R> format) {
  source_spec<R> spec;
  spec.name = "json-lines-file";
  spec.factory = [path = std::move(path),
                  format = std::move(format)]() -> std::unique_ptr<source_function<R>> {
    return std::make_unique<json_records_source_function<R>>(path, format);
  };
  return spec;
}

//! One subtask of json_lines_file_source(path): every non-blank line as a
//! whole document (any JSON value). Malformed lines are skipped, counted and
//! logged (at most one log line per second per source). A DOM per line: for
//! records of a known shape, the typed source above is several times faster.
class json_lines_source_function final : public source_function<nlohmann::json> {
public:
  explicit json_lines_source_function(std::string path) : in_(std::move(path)) {}

  //! Selects this subtask's files; throws as text_file_source_function::open.
  void open(runtime_context& ctx) override { in_.open(ctx); }
  //! Emits up to `max_records` parsed documents (blank and malformed lines
  //! emit nothing); has_more() while lines may follow, then end().
  source_status poll(collector<nlohmann::json>& out, std::size_t max_records) override;
  //! Logs malformed lines not reported yet and closes the file. Never throws.
  void close() override { in_.close(); }

  //! Malformed lines this source skipped.
  std::int64_t malformed_count() const { return in_.malformed_count(); }
  //! Resumes every file at the position recorded for its path by any old
  //! subtask (so it works after a change of parallelism too); files marked
  //! done are skipped.
  void initialize_state(const operator_state_reader& state) override {
    in_.initialize_state(state);
  }
  //! Records how far each of this subtask's files was read.
  void snapshot_state(std::int64_t, operator_state_writer& out) override {
    in_.snapshot_state(out);
  }

  //! Where the next line starts: what a checkpoint records.
  file_position position() const { return in_.position(); }
  //! Continues reading at `pos` (a value of position()).
  void seek(const file_position& pos) { in_.seek(pos); }

private:
  detail::json_lines_input in_;
};

//! A source of the JSON documents of `path`, one per non-blank line. Files are
//! shared among subtasks as by text_file_source(). A malformed line is skipped,
//! counted (malformed_count(), json_malformed_records()) and logged with its
//! file name and line number. A missing or unreadable path makes open() throw
//! spate::error naming it.
source_spec<nlohmann::json> json_lines_file_source(std::string path);

} // namespace spate
