// Reading the fields a job uses out of JSON records (one object per line),
// with simdjson's On-Demand parser: no DOM, one pass over the record, only the
// declared fields decoded. Shared by the jobs' "Parse JSON" operators and the
// typed JSON-lines source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spate {

//! Thrown by a record decoder for a record it cannot use; what() names the
//! field and what is wrong with it ("missing field 'timestamp'").
class bad_record : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

//! One declared field of the record last read by a json_record_reader.
struct json_field {
  enum kind_t : std::uint8_t { absent, null, string, number, boolean, object, array };
  kind_t kind = absent;
  //! string: the unescaped text; every other kind: the value's JSON text.
  //! Valid until the reader reads the next record.
  std::string_view text;
  //! number: its value as a double (integers included).
  double number_value = 0;
  //! boolean: its value.
  bool bool_value = false;

  //! Absent or null: what the jobs treat as missing.
  bool missing() const { return kind == absent || kind == null; }
  //! "string", "number", "boolean", "object", "array" or "null" (as
  //! nlohmann_json names them, so messages stay as they were).
  const char* type_name() const;
};

//! The declared fields of one record, by slot (the order of the names given to
//! the reader). Valid until the reader reads the next record.
class json_record {
public:
  json_record(const json_field* fields, std::size_t n, std::string_view line)
      : fields_(fields), n_(n), line_(line) {}
  const json_field& operator[](std::size_t slot) const { return fields_[slot]; }
  std::size_t size() const { return n_; }
  //! The whole record's text.
  std::string_view line() const { return line_; }

private:
  const json_field* fields_;
  std::size_t n_;
  std::string_view line_;
};

//! Reads records that must be JSON objects and captures the declared
//! top-level fields; every other field is skipped by simdjson without being
//! decoded. A key given twice: the last value wins. Keeps one simdjson parser
//! and one padded copy of the record, reused: no allocation per record once
//! they are large enough. Not thread-safe: one per subtask. Copying gives a
//! reader of the same fields with a parser of its own.
class json_record_reader {
public:
  //! Reads the top-level `fields` (plain names: no quote or backslash in
  //! them), each at the slot of its position in the list.
  explicit json_record_reader(std::vector<std::string> fields);
  json_record_reader(const json_record_reader& other);
  json_record_reader& operator=(const json_record_reader& other);
  json_record_reader(json_record_reader&&) noexcept;
  json_record_reader& operator=(json_record_reader&&) noexcept;
  ~json_record_reader();

  //! Parses `line`. True when it is one JSON object (nothing after it but
  //! whitespace) whose declared fields are well-formed values; record() then
  //! holds them. False otherwise, and why() says what is wrong: "not JSON:
  //! ..." (with simdjson's reason and the byte offset where known) or "not a
  //! JSON object but array". Values of fields not declared are skipped, not
  //! validated (On-Demand parsing reads only what is used); the structure of
  //! the whole record (brackets, strings, UTF-8) is checked.
  bool read(std::string_view line);
  //! The fields of the last record read() accepted.
  json_record record() const;
  const std::string& why() const { return why_; }

private:
  struct impl;
  std::vector<std::string> names_;
  std::vector<json_field> fields_;
  std::string why_;
  std::string_view line_;
  std::unique_ptr<impl> impl_;
};

//! How to turn one JSON object into a record: the top-level fields it reads
//! and a function of those fields returning the record, nullopt to drop the
//! record silently (a filter, not an error), or throwing bad_record.
template <class R>
struct json_record_format {
  std::vector<std::string> fields;
  std::function<std::optional<R>(const json_record&)> decode;
};

} // namespace spate
