// Templates over JSON records ("sensor_{id}") and the top-level fields they
// read, shared by the Redis sink (keys, values) and the Kafka sink (key.field).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace spate::detail {

//! One piece of a compiled template.
struct template_part {
  enum kind_t { literal, field, whole };
  kind_t kind = literal;
  //! literal: the text (braces unescaped); field: the field's name.
  std::string text;
  //! field: its slot in the record_fields the template was bound to.
  std::size_t slot = 0;
};

//! A template split once into literal text, `{field}` and `{}` parts.
struct record_template {
  std::vector<template_part> parts;
  //! True when the template reads a field of the record.
  bool uses_fields() const;
};

//! Splits `text`: `{name}` a field, `{}` the whole record, `{{` and `}}`
//! literal braces. Throws spate::error(errc::invalid_argument) saying what
//! is wrong (an unmatched brace, a brace inside a field name); the caller
//! names the option.
record_template compile_template(const std::string& text);

//! The top-level JSON fields some templates use, read out of one record at a
//! time with a reused simdjson On-Demand parser. Not thread-safe: one per
//! subtask.
class record_fields {
public:
  //! The slot of field `name` (added if new); `option` names the first
  //! option using it, for messages.
  std::size_t add(const std::string& name, const std::string& option);
  //! Binds every field part of `t` to its slot (adding the fields).
  void bind(record_template& t, const std::string& option);
  bool empty() const { return names_.empty(); }

  //! Parses `record` and captures each field's text: a string unescaped, a
  //! number or boolean as its JSON text, an object or array as its JSON. Reads
  //! only as far as needed. False when the record is not a JSON object or a
  //! field is missing or null; why() then says so. The captured values stay
  //! valid until the next extract().
  bool extract(const std::string& record);
  std::string_view value(std::size_t slot) const { return values_[slot]; }
  const std::string& why() const { return why_; }

private:
  bool fail(const std::string& why);

  std::vector<std::string> names_;
  std::vector<std::string> options_;
  std::vector<std::string_view> values_;
  std::vector<bool> found_;
  std::string padded_;
  std::string why_;
  simdjson::ondemand::parser parser_;
};

//! Appends the text of `t` for `record` to `out` (fields from `fields`,
//! which must have extracted `record` when t.uses_fields()).
void render_template(const record_template& t, const std::string& record,
                     const record_fields& fields, std::string& out);

//! At most `max` bytes of `record`, with "..." when cut, for messages.
std::string excerpt(std::string_view record, std::size_t max = 120);

} // namespace spate::detail
