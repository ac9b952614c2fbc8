// The SQL formats of the text connectors (filesystem, kafka, upsert-kafka, redis): json, csv
// and raw, decoding a record's text into a row and encoding a row as text, with Flink's option
// names ('json.ignore-parse-errors', 'csv.field-delimiter', ...). Decoding and encoding reuse
// their buffers: no allocation per field once warm.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/plan.hpp"
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
};

//! Reads the format named by option `format_key` ("format", "value.format", "key.format") and
//! its options (Flink's: with `prefix` "" they are "json.*", with "value." "value.json.*").
//! Adds the option keys it read to `known`. Throws invalid_argument naming the table and the
//! option; `columns` are checked against what the format can carry (raw: one STRING/BYTES
//! column; csv: no ROW columns).
text_format parse_text_format(const plan_node& n, const std::string& format_key,
                              const std::string& prefix, const std::vector<plan_column>& columns,
                              std::vector<std::string>& known, const std::string& fallback = "");

//! Decodes records of one format into rows of `columns` (a ROW column's fields nested).
class row_decoder {
public:
  row_decoder(text_format f, const std::vector<plan_column>& columns);
  //! Decodes `text` into `r` (reset to the columns' slots); false with `why` set when the
  //! record is malformed. Reuses its buffers.
  bool decode(std::string_view text, row& r, std::string& why);
  const text_format& format() const { return f_; }

private:
  struct field {
    std::string name;
    logical_type type;
    std::size_t slot = 0;
    int nested = -1; //!< index into objects_ for a ROW
  };
  struct object {
    std::vector<field> fields;
  };
  bool json_object(std::string_view s, std::size_t& i, row& r, int which, std::string& why);
  bool json_value(std::string_view s, std::size_t& i, row& r, const field& f, std::string& why);
  bool csv(std::string_view s, row& r, std::string& why);
  bool from_text(std::string_view text, row& r, const field& f, std::string& why);

  text_format f_;
  std::size_t slots_ = 0;
  std::vector<object> objects_; //!< objects_[0]: the top-level columns
  std::vector<std::uint8_t> seen_;
  std::string scratch_;
  std::string scratch2_;
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

//! The text of a value as the json format writes it (strings and temporals quoted).
void append_json_value(std::string& out, const row& r, std::size_t slot, const row_layout& layout);

} // namespace spate::sql::detail
