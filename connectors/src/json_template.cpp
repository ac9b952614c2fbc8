#include "json_template.hpp"

#include <algorithm>

#include "spate/core/error.hpp"

namespace spate::detail {

namespace {

[[noreturn]] void bad_template(const std::string& text, const std::string& why) {
  throw error(errc::invalid_argument, why + " in template '" + text + "'");
}

// The JSON token without the whitespace raw_json_token() keeps after it.
std::string_view trim_right(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

} // namespace

bool record_template::uses_fields() const {
  for (const auto& p : parts)
    if (p.kind == template_part::field)
      return true;
  return false;
}

record_template compile_template(const std::string& text) {
  record_template t;
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty())
      return;
    t.parts.push_back({template_part::literal, literal, 0});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      bad_template(text, "unmatched '}' at offset " + std::to_string(i) + " (write '}}')");
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    auto close = text.find('}', i + 1);
    if (close == std::string::npos)
      bad_template(text, "unmatched '{' at offset " + std::to_string(i) + " (write '{{')");
    std::string name = text.substr(i + 1, close - i - 1);
    if (name.find('{') != std::string::npos)
      bad_template(text, "'{' inside the field name '" + name + "'");
    flush_literal();
    if (name.empty())
      t.parts.push_back({template_part::whole, {}, 0});
    else
      t.parts.push_back({template_part::field, name, 0});
    i = close;
  }
  flush_literal();
  return t;
}

std::size_t record_fields::add(const std::string& name, const std::string& option) {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name)
      return i;
  names_.push_back(name);
  options_.push_back(option);
  values_.emplace_back();
  found_.push_back(false);
  return names_.size() - 1;
}

void record_fields::bind(record_template& t, const std::string& option) {
  for (auto& p : t.parts)
    if (p.kind == template_part::field)
      p.slot = add(p.text, option);
}

bool record_fields::fail(const std::string& why) {
  why_ = why;
  return false;
}

bool record_fields::extract(const std::string& record) {
  using namespace simdjson;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: a padded copy
  // in a buffer reused across records (no allocation once it is large enough).
  if (padded_.size() < record.size() + SIMDJSON_PADDING)
    padded_.resize(record.size() + SIMDJSON_PADDING);
  padded_.replace(0, record.size(), record);
  padded_string_view input(padded_.data(), record.size(), padded_.size());
  std::fill(found_.begin(), found_.end(), false);
  std::size_t missing = names_.size();

  ondemand::document doc;
  ondemand::object object;
  if (parser_.iterate(input).get(doc) || doc.get_object().get(object))
    return fail("the record is not a JSON object");
  for (auto item : object) {
    std::string_view key;
    if (item.unescaped_key().get(key))
      return fail("the record is not valid JSON");
    std::size_t slot = 0;
    while (slot < names_.size() && (found_[slot] || names_[slot] != key))
      ++slot;
    if (slot == names_.size())
      continue; // not used: On-Demand skips its value
    ondemand::value v;
    ondemand::json_type type;
    if (item.value().get(v) || v.type().get(type))
      return fail("the record is not valid JSON");
    std::string_view text;
    error_code err = SUCCESS;
    switch (type) {
      case ondemand::json_type::string:
        err = v.get_string().get(text);
        break;
      case ondemand::json_type::number:
      case ondemand::json_type::boolean:
        text = trim_right(v.raw_json_token());
        break;
      case ondemand::json_type::object: {
        ondemand::object o;
        err = v.get_object().get(o);
        if (!err)
          err = o.raw_json().get(text);
        break;
      }
      case ondemand::json_type::array: {
        ondemand::array a;
        err = v.get_array().get(a);
        if (!err)
          err = a.raw_json().get(text);
        break;
      }
      case ondemand::json_type::null:
        return fail("field '" + names_[slot] + "' (used by '" + options_[slot] + "') is null");
    }
    if (err)
      return fail("the record is not valid JSON");
    values_[slot] = text;
    found_[slot] = true;
    if (--missing == 0)
      return true;
  }
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (!found_[i])
      return fail("the record has no field '" + names_[i] + "' (used by '" + options_[i] + "')");
  return true;
}

void render_template(const record_template& t, const std::string& record,
                     const record_fields& fields, std::string& out) {
  for (const auto& p : t.parts) {
    switch (p.kind) {
      case template_part::literal:
        out += p.text;
        break;
      case template_part::field:
        out += fields.value(p.slot);
        break;
      case template_part::whole:
        out += record;
        break;
    }
  }
}

std::string excerpt(std::string_view record, std::size_t max) {
  if (record.size() <= max)
    return std::string(record);
  return std::string(record.substr(0, max)) + "...";
}

} // namespace spate::detail
