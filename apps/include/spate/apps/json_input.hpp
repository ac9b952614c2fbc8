// What the jobs reading JSON lines share: turning lines into records (a
// malformed or incomplete record is counted, skipped and reported, never
// fatal), timestamps as epoch seconds or ISO-8601 text, and job arguments.
// Records are read with simdjson's On-Demand parser (json_record_reader):
// only the fields a job declares are decoded, straight into its record type.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/api/process.hpp"
#include "spate/api/stream.hpp"
#include "spate/connectors/json_record.hpp"

namespace spate::apps {

// ---------------------------------------------------------------------------
// Malformed records

using spate::bad_record;
using spate::json_field;
using spate::json_record;
using spate::json_record_format;
using spate::json_record_reader;

//! Malformed records of one pipeline, summed over its subtasks in this
//! process. Thread-safe.
class malformed_counter {
public:
  void add() noexcept { n_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t count() const noexcept { return n_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::int64_t> n_{0};
};

//! Counts the malformed records of one subtask and logs them: the first at
//! once, then at most one warning per second saying how many were skipped
//! since the last one and what was wrong with the latest. Single-threaded.
class malformed_reporter {
public:
  //! `who` names the subtask in log lines ("trending_hashtags Parse JSON (1/2)");
  //! every skipped record is added to `counter` and to `job_counter` (both
  //! optional).
  malformed_reporter(std::string who, std::shared_ptr<malformed_counter> counter,
                     std::atomic<std::int64_t>* job_counter = nullptr)
      : who_(std::move(who)), counter_(std::move(counter)), job_counter_(job_counter) {}

  //! Counts one skipped `line`, `reason` saying why; may log.
  void skipped(const std::string& line, const std::string& reason);
  //! Logs the skipped records not reported yet (at close). Never throws.
  void flush() noexcept;
  //! Records this subtask skipped.
  std::int64_t count() const { return total_; }

private:
  void report();

  std::string who_;
  std::shared_ptr<malformed_counter> counter_;
  std::atomic<std::int64_t>* job_counter_;
  std::int64_t total_ = 0;
  std::int64_t unreported_ = 0;
  std::string latest_;
  std::chrono::steady_clock::time_point last_report_{};
  bool reported_once_ = false;
};

//! The job counter of malformed records ("<operator>.numMalformedRecords" in
//! job_client::counters()).
inline constexpr const char* malformed_records_counter = "numMalformedRecords";

//! A process function from text lines to records. Blank lines are ignored;
//! a line that is not a JSON object, or that `format.decode` rejects, is
//! counted in `counter` and in the job counter malformed_records_counter, and
//! reported by a malformed_reporter.
template <class R>
class json_record_parser final : public process_function<std::string, R> {
public:
  json_record_parser(std::string job, json_record_format<R> format,
                     std::shared_ptr<malformed_counter> counter)
      : job_(std::move(job)), reader_(std::move(format.fields)), decode_(std::move(format.decode)),
        counter_(std::move(counter)) {}

  void open(runtime_context& rc) override {
    reporter_ = std::make_shared<malformed_reporter>(
        job_ + " " + rc.subtask_name(), counter_,
        rc.counters ? &rc.counter(malformed_records_counter) : nullptr);
  }

  void process_element(const std::string& line,
                       typename process_function<std::string, R>::context& ctx) override {
    if (line.find_first_not_of(" \t\r\n") == std::string::npos)
      return;
    if (!reader_.read(line)) {
      reporter_->skipped(line, reader_.why());
      return;
    }
    try {
      if (auto r = decode_(reader_.record()))
        ctx.output(std::move(*r));
    } catch (const bad_record& e) {
      reporter_->skipped(line, e.what());
    }
  }

  void close() override {
    if (reporter_)
      reporter_->flush();
  }

private:
  std::string job_;
  json_record_reader reader_; // copied per subtask with a parser of its own
  std::function<std::optional<R>(const json_record&)> decode_;
  std::shared_ptr<malformed_counter> counter_;
  // Created per subtask in open(); the factory copies this object per subtask.
  std::shared_ptr<malformed_reporter> reporter_;
};

//! The parallelism explicitly given to the operator feeding `s` (1 for a
//! non-parallel source), or 0 when it has none or `s` is a union.
template <class T>
int explicit_parallelism(const stream<T>& s) {
  if (s.inputs().size() != 1)
    return 0;
  const job_vertex& v = s.env().graph().vertex(s.inputs().front().vertex);
  if (v.single_instance)
    return 1;
  return v.parallelism > 0 ? v.parallelism : 0;
}

//! Records parsed from JSON lines by json_record_parser, in an operator named
//! "Parse JSON" that runs at the parallelism of the lines' operator, so that
//! it chains with the source and timestamps can be assigned where the lines
//! are read (as Flink assigns watermarks at the source).
template <class R>
stream<R> parse_json_records(stream<std::string> lines, std::string job,
                             json_record_format<R> format,
                             std::shared_ptr<malformed_counter> counter) {
  int p = explicit_parallelism(lines);
  stream<R> out =
      lines.process(json_record_parser<R>(std::move(job), std::move(format), std::move(counter)));
  out.name("Parse JSON");
  if (p > 0)
    out.set_parallelism(p);
  return out;
}

// ---------------------------------------------------------------------------
// Fields

// Each takes a field read by json_record_reader and its name, for messages.

//! The text of string field `f`; throws bad_record when it is missing, null or
//! not a string. Valid until the reader reads the next record.
std::string_view string_field(const json_field& f, const char* name);
//! The finite number field `f`; throws bad_record as string_field().
double number_field(const json_field& f, const char* name);

//! Epoch seconds (fractions to the microsecond) to epoch milliseconds,
//! rounding down to the millisecond. nullopt when not finite or beyond
//! ±1e11 s (about the year 5000: epoch milliseconds given as seconds land
//! here).
std::optional<timestamp> epoch_seconds_to_ms(double seconds);

//! The timestamp field `name` as epoch milliseconds: a number of epoch
//! seconds when `numbers` is true, an ISO-8601 string when `text` is true.
//! Throws bad_record naming the field and the value.
timestamp timestamp_field(const json_field& f, const char* name, bool numbers, bool text);

//! Parses ISO-8601 date and time to epoch milliseconds:
//! `YYYY-MM-DD` then `T`, `t` or a space, then `hh:mm[:ss[.f...]]` (fraction
//! after `.` or `,`, any number of digits, truncated to the millisecond), then
//! an optional zone: `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`; none means UTC.
//! Years 0000-9999; seconds 0-60 (60, a leap second, counts as the next
//! minute). nullopt when the text is anything else; `why` then says what.
std::optional<timestamp> parse_iso8601(std::string_view text, std::string* why = nullptr);

//! Formats epoch milliseconds as ISO-8601 UTC: "2024-01-01T00:00:00Z" with
//! `fraction_digits` (0, 3 or 6) after the seconds, and "Z" when `zone`.
std::string format_iso8601(timestamp ms, int fraction_digits = 0, bool zone = true);
//! The same written into `out` (at least iso8601_max bytes); returns the length.
inline constexpr std::size_t iso8601_max = 48;
std::size_t format_iso8601(char* out, timestamp ms, int fraction_digits, bool zone);

// ---------------------------------------------------------------------------
// Job arguments

//! The arguments after `--`, as `--name VALUE` or `--name=VALUE` pairs.
//! Throws spate::error(errc::invalid_argument) naming the job and the
//! argument for one not in `known`, a missing value or a repeated name.
std::map<std::string, std::string> parse_job_args(const std::string& job,
                                                  const std::vector<std::string>& args,
                                                  const std::vector<std::string>& known);

//! A duration in seconds (decimals allowed) as milliseconds; `name` names
//! the argument in the error. Zero is allowed only when `allow_zero`.
std::chrono::milliseconds seconds_arg(const std::string& job, const std::string& name,
                                      const std::string& value, bool allow_zero);
//! A positive finite number; throws as seconds_arg().
double positive_number_arg(const std::string& job, const std::string& name,
                           const std::string& value);

} // namespace spate::apps
