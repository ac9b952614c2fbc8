// The SQL formats of the text connectors (filesystem, kafka, upsert-kafka, redis): json, csv
// and raw, decoding a record's text into a row and encoding a row as text, with Flink's option
// names ('json.ignore-parse-errors', 'csv.field-delimiter', ...). Decoding and encoding reuse
// their buffers: no allocation per field once warm.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/plan.hpp"
#include "spate/sqlrt/collection.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql::detail {

enum class text_format_kind : std::uint8_t { json, csv, raw };

struct text_format {
  text_format_kind kind = text_format_kind::json;
  std::string name = "json";
  //! json.ignore-parse-errors / csv.ignore-parse-errors: skip (and count) malformed records.
  bool ignore_parse_errors = false;
  //! json.fail-on-missing-field.
  bool fail_on_missing_field = false;
  //! csv.field-delimiter, csv.quote-character (0: csv.disable-quote-character).
  char delimiter = ',';
  char quote = '"';
  //! csv.null-literal: the text of a null (default: an empty field is null for non-strings).
  std::string null_literal;
  bool has_null_literal = false;
  //! csv.allow-comments: lines starting with '#' are skipped.
  bool allow_comments = false;
  //! csv.array-element-delimiter: between the elements of an ARRAY column.
  std::string array_delimiter = ";";
};

//! Where a decoded value goes: a row's slot, or slot `base + slot` of a collection being built.
struct slot_sink {
  row* r = nullptr;
  collection_builder* b = nullptr;
  std::size_t base = 0;
  void set_null(std::size_t s) { r ? r->set_null(s) : b->set_null(base + s); }
  void set_long(std::size_t s, std::int64_t v) { r ? r->set_long(s, v) : b->set_long(base + s, v); }
  void set_bool(std::size_t s, bool v) { set_long(s, v ? 1 : 0); }
  void set_double(std::size_t s, double v) { r ? r->set_double(s, v) : b->set_double(base + s, v); }
  void set_string(std::size_t s, std::string_view v) {
    r ? r->set_string(s, v) : b->set_string(base + s, v);
  }
};

//! Reads the format named by option `format_key` ("format", "value.format", "key.format") and
//! its options (Flink's: with `prefix` "" they are "json.*", with "value." "value.json.*").
//! Adds the option keys it read to `known`. Throws invalid_argument naming the table and the
//! option; `columns` are checked against what the format can carry (raw: one STRING/BYTES
//! column; csv: no ROW, MAP or MULTISET columns, arrays of scalars only; json: MAP and MULTISET
//! keys of a character type).
text_format parse_text_format(const plan_node& n, const std::string& format_key,
                              const std::string& prefix, const std::vector<plan_column>& columns,
                              std::vector<std::string>& known, const std::string& fallback = "");

struct json_parser; //!< simdjson's On-Demand parser and its padded input (text_format.cpp)
struct json_reader; //!< reads simdjson's values into a row (text_format.cpp)
struct json_parser_deleter {
  void operator()(json_parser* p) const;
};

//! Decodes records of one format into rows of `columns` (a ROW column's fields nested).
//! json is read with simdjson's On-Demand API: one parser and one padded input buffer per
//! decoder, made on first use; a copy of a decoder (one per subtask) makes its own.
class row_decoder {
public:
  row_decoder(text_format f, const std::vector<plan_column>& columns);
  //! Decodes `text` into `r` (reset to the columns' slots); false with `why` set when the
  //! record is malformed. Reuses its buffers.
  bool decode(std::string_view text, row& r, std::string& why);
  const text_format& format() const { return f_; }

private:
  friend struct json_reader;
  struct field {
    std::string name;
    logical_type type;
    std::size_t slot = 0;
    int nested = -1;    //!< index into objects_ for a ROW
    int coll = -1;      //!< index into collections_ for an ARRAY, MAP or MULTISET
    bool plain = false; //!< no '"' nor '\\' in the name: compared with a JSON key in place
  };
  struct object {
    std::vector<field> fields;
  };
  //! An ARRAY, MAP or MULTISET field: its element's parts (ARRAY, MULTISET: the element; MAP:
  //! the key and the value), their slots relative to the element's first slot.
  struct collection {
    logical_type type;
    std::size_t width = 0; //!< slots of one element
    std::size_t depth = 0; //!< collections around it: its builder
    std::vector<field> parts;
  };
  //! The parser of this decoder: not copied (simdjson's parser is not thread-safe).
  struct parser_slot {
    parser_slot() = default;
    parser_slot(const parser_slot&) {}
    parser_slot& operator=(const parser_slot&) { return *this; }
    parser_slot(parser_slot&&) noexcept = default;
    parser_slot& operator=(parser_slot&&) noexcept = default;
    std::unique_ptr<json_parser, json_parser_deleter> p;
  };
  bool json(std::string_view s, row& r, std::string& why);
  bool csv(std::string_view s, row& r, std::string& why);
  bool from_text(std::string_view text, slot_sink out, const field& f, std::string& why);
  //! The field of `name` and `type` at `slot`, its nested objects and collections made.
  field make_field(const std::string& name, const logical_type& type, std::size_t slot,
                   std::size_t depth);

  text_format f_;
  std::size_t slots_ = 0;
  std::vector<object> objects_; //!< objects_[0]: the top-level columns
  std::vector<collection> collections_;
  std::vector<collection_builder> builders_; //!< one per depth of collections
  std::vector<std::string> encoded_;         //!< one per depth: a finished collection
  std::vector<std::uint8_t> seen_;
  std::string scratch_;
  std::string scratch2_;
  parser_slot json_;
};

//! Encodes rows of `columns` as records of one format (json: Flink's json with SQL
//! timestamps; csv: Flink's csv, strings quoted when they need it; raw: the one column's bytes).
class row_encoder {
public:
  row_encoder(text_format f, const std::vector<plan_column>& columns);
  //! Appends the record text of `r` to `out`.
  void encode(std::string& out, const row& r) const;

private:
  text_format f_;
  row_layout layout_;
  std::vector<std::string> names_;
};

//! An encoded ARRAY as the csv format writes it: the elements' text between `delimiter` (a
//! null element empty), before any quoting of the whole field.
void append_csv_array(std::string& out, std::string_view bytes, const row_layout& el,
                      const std::string& delimiter);

//! The text of a value as the json format writes it (strings and temporals quoted).
void append_json_value(std::string& out, const row& r, std::size_t slot, const row_layout& layout);

} // namespace spate::sql::detail
