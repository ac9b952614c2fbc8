// The json, csv and raw formats of the SQL text connectors (text_format.hpp).
#include "text_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <simdjson.h>

#include "spate/core/error.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

namespace {

[[noreturn]] void bad(const plan_node& n, const std::string& key, const std::string& why) {
  throw error(errc::invalid_argument, "table '" + n.table + "': option '" + key + "' " + why);
}

bool is_string_kind(logical_kind k) {
  return k == logical_kind::char_ || k == logical_kind::varchar || k == logical_kind::binary ||
         k == logical_kind::varbinary;
}

bool is_bytes_kind(logical_kind k) {
  return k == logical_kind::binary || k == logical_kind::varbinary;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool parse_long(std::string_view s, std::int64_t& v) {
  s = trim(s);
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  return res.ec == std::errc() && res.ptr == s.data() + s.size() && !s.empty();
}

bool parse_double(std::string_view s, double& v) {
  s = trim(s);
  if (s == "NaN") {
    v = std::nan("");
    return true;
  }
  if (s == "Infinity" || s == "+Infinity") {
    v = HUGE_VAL;
    return true;
  }
  if (s == "-Infinity") {
    v = -HUGE_VAL;
    return true;
  }
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  return res.ec == std::errc() && res.ptr == s.data() + s.size() && !s.empty();
}

//! "-12.345", "1e3" into the unscaled value at `scale`, rounding half up; false on overflow.
bool parse_decimal(std::string_view s, int scale, std::int64_t& out) {
  s = trim(s);
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  int exp = 0;
  if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
    std::int64_t x = 0;
    if (!parse_long(s.substr(e + 1), x) || x > 400 || x < -400)
      return false;
    exp = static_cast<int>(x);
    s = s.substr(0, e);
  }
  if (s.empty())
    return false;
  __int128 v = 0;
  int frac = 0, n = 0;
  bool point = false;
  for (char c : s) {
    if (c == '.') {
      if (point)
        return false;
      point = true;
      continue;
    }
    if (c < '0' || c > '9')
      return false;
    if (++n > 36)
      return false;
    v = v * 10 + (c - '0');
    if (point)
      ++frac;
  }
  if (n == 0)
    return false;
  int power = scale + exp - frac;
  if (power > 36 || power < -36)
    return power < 0 ? (out = 0, true) : false;
  for (; power > 0; --power) {
    v *= 10;
    if (v > static_cast<__int128>(INT64_MAX))
      return false;
  }
  if (power < 0) {
    __int128 div = 1;
    for (; power < 0; ++power)
      div *= 10;
    const __int128 rem = v % div;
    v /= div;
    if (rem * 2 >= div)
      ++v; // half up (away from zero)
  }
  if (v > static_cast<__int128>(INT64_MAX))
    return false;
  out = static_cast<std::int64_t>(neg ? -v : v);
  return true;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, std::int64_t& v) {
  if (at + n > s.size())
    return false;
  v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  return true;
}

bool parse_date(std::string_view s, std::int64_t& days) {
  std::int64_t y, m, d;
  if (s.size() != 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d) || m < 1 || m > 12 || d < 1 || d > 31)
    return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

//! "HH:mm[:ss[.fff...]]" into ms of the day.
bool parse_time(std::string_view s, std::int64_t& ms) {
  std::int64_t h, m, sec = 0, frac = 0;
  if (s.size() < 5 || !digits(s, 0, 2, h) || s[2] != ':' || !digits(s, 3, 2, m) || h > 23 || m > 59)
    return false;
  std::size_t i = 5;
  if (i < s.size()) {
    if (s[i] != ':' || !digits(s, i + 1, 2, sec) || sec > 59)
      return false;
    i += 3;
    if (i < s.size()) {
      if (s[i] != '.')
        return false;
      ++i;
      int n = 0;
      for (; i < s.size(); ++i, ++n) {
        if (s[i] < '0' || s[i] > '9')
          return false;
        if (n < 3)
          frac = frac * 10 + (s[i] - '0');
      }
      if (n == 0)
        return false;
      for (; n < 3; ++n)
        frac *= 10;
    }
  }
  ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
  return true;
}

//! "yyyy-MM-dd HH:mm:ss[.fff]" or with 'T', optionally ending with 'Z'; a date alone is its
//! midnight.
bool parse_timestamp(std::string_view s, std::int64_t& ms) {
  s = trim(s);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z'))
    s.remove_suffix(1);
  std::int64_t days = 0, t = 0;
  if (s.size() < 10 || !parse_date(s.substr(0, 10), days))
    return false;
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T' && s[10] != 't')
      return false;
    if (!parse_time(s.substr(11), t))
      return false;
  }
  ms = days * 86'400'000 + t;
  return true;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

bool base64_decode(std::string_view s, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=')
      break;
    const int v = base64_value(c);
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

//! The JSON token without the whitespace simdjson's raw_json_token()/raw_json() keep after it.
std::string_view trim_json_ws(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

//! The non-finite doubles the json format writes unquoted (and Jackson's
//! ALLOW_NON_NUMERIC_NUMBERS reads): tokens that are not JSON, which simdjson leaves to us.
bool is_non_numeric_number(std::string_view s) {
  return s == "NaN" || s == "Infinity" || s == "+Infinity" || s == "-Infinity";
}

bool is_integer_kind(logical_kind k) {
  return k == logical_kind::tinyint || k == logical_kind::smallint || k == logical_kind::int_ ||
         k == logical_kind::bigint;
}

std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, 80));
  if (s.size() > 80)
    out += "...";
  return out;
}

//! Refuses what the json format cannot hold: RAW, and MAP/MULTISET keys that are not
//! character strings (as Flink's json format), at any depth.
void check_json_column(const plan_node& n, const std::string& name, const logical_type& t) {
  slot_kind_of(t); // RAW refused by name
  if ((t.kind == logical_kind::map || t.kind == logical_kind::multiset) &&
      !(t.elements.at(0).kind == logical_kind::varchar ||
        t.elements.at(0).kind == logical_kind::char_))
    throw error(errc::invalid_argument,
                "table '" + n.table + "': the json format cannot hold the " + to_string(t) +
                    " column '" + name + "' (map and multiset keys must be STRING, as in Flink)");
  for (const auto& e : t.elements)
    check_json_column(n, name, e);
  for (const auto& f : t.fields)
    check_json_column(n, name, f.type);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// options

text_format parse_text_format(const plan_node& n, const std::string& format_key,
                              const std::string& prefix, const std::vector<plan_column>& columns,
                              std::vector<std::string>& known, const std::string& fallback) {
  text_format f;
  known.push_back(format_key);
  auto it = n.options.find(format_key);
  f.name = it == n.options.end() ? fallback : it->second;
  if (f.name.empty())
    bad(n, format_key, "is required (json, csv or raw)");
  auto opt = [&](const std::string& key) -> const std::string* {
    known.push_back(prefix + key);
    auto o = n.options.find(prefix + key);
    return o == n.options.end() ? nullptr : &o->second;
  };
  auto boolean = [&](const std::string& key, bool fallback_value) {
    const std::string* v = opt(key);
    if (!v)
      return fallback_value;
    if (*v == "true")
      return true;
    if (*v == "false")
      return false;
    bad(n, prefix + key, "must be true or false, not '" + *v + "'");
  };
  if (f.name == "json") {
    f.kind = text_format_kind::json;
    f.ignore_parse_errors = boolean("json.ignore-parse-errors", false);
    f.fail_on_missing_field = boolean("json.fail-on-missing-field", false);
    if (f.ignore_parse_errors && f.fail_on_missing_field)
      bad(n, prefix + "json.fail-on-missing-field",
          "and json.ignore-parse-errors cannot both be true");
    if (const std::string* v = opt("json.timestamp-format.standard"))
      if (*v != "SQL" && *v != "ISO-8601")
        bad(n, prefix + "json.timestamp-format.standard", "must be SQL or ISO-8601");
    if (const std::string* v = opt("json.encode.decimal-as-plain-number");
        v && *v != "true" && *v != "false")
      bad(n, prefix + "json.encode.decimal-as-plain-number", "must be true or false");
    for (const plan_column& c : columns)
      check_json_column(n, c.name, c.type);
  } else if (f.name == "csv") {
    f.kind = text_format_kind::csv;
    f.ignore_parse_errors = boolean("csv.ignore-parse-errors", false);
    f.allow_comments = boolean("csv.allow-comments", false);
    if (const std::string* v = opt("csv.field-delimiter")) {
      std::string d = *v == "\\t" ? "\t" : *v;
      if (d.size() != 1 || d[0] == '\n' || d[0] == '\r')
        bad(n, prefix + "csv.field-delimiter", "must be a single character, not '" + *v + "'");
      f.delimiter = d[0];
    }
    if (const std::string* v = opt("csv.quote-character")) {
      if (v->size() != 1)
        bad(n, prefix + "csv.quote-character", "must be a single character, not '" + *v + "'");
      f.quote = (*v)[0];
    }
    if (boolean("csv.disable-quote-character", false))
      f.quote = 0;
    if (const std::string* v = opt("csv.null-literal")) {
      f.null_literal = *v;
      f.has_null_literal = true;
    }
    if (opt("csv.escape-character"))
      throw error(errc::invalid_argument,
                  "table '" + n.table + "': not supported yet: csv.escape-character");
    if (const std::string* v = opt("csv.array-element-delimiter")) {
      if (v->empty())
        bad(n, prefix + "csv.array-element-delimiter", "must not be empty");
      f.array_delimiter = *v;
    }
    for (const plan_column& c : columns) {
      if (c.type.kind == logical_kind::row || slot_kind_of(c.type) == slot_kind::nested)
        throw error(errc::invalid_argument, "table '" + n.table +
                                                "': the csv format cannot hold the ROW column '" +
                                                c.name + "'");
      if (c.type.kind == logical_kind::map || c.type.kind == logical_kind::multiset ||
          (c.type.kind == logical_kind::array && (c.type.elements.at(0).kind == logical_kind::row ||
                                                  is_collection(c.type.elements.at(0)))))
        throw error(errc::invalid_argument,
                    "table '" + n.table + "': the csv format cannot hold the " + to_string(c.type) +
                        " column '" + c.name +
                        "' (ARRAY columns of scalar elements only, as in Flink)");
    }
  } else if (f.name == "raw") {
    f.kind = text_format_kind::raw;
    if (const std::string* v = opt("raw.charset"); v && *v != "UTF-8" && *v != "utf-8")
      throw error(errc::invalid_argument, "table '" + n.table + "': not supported yet: '" + prefix +
                                              "raw.charset' = '" + *v + "' (UTF-8 is)");
    if (const std::string* v = opt("raw.endianness");
        v && *v != "big-endian" && *v != "little-endian")
      bad(n, prefix + "raw.endianness", "must be big-endian or little-endian");
    if (columns.size() != 1 || !is_string_kind(columns[0].type.kind))
      throw error(errc::invalid_argument,
                  "table '" + n.table +
                      "': the raw format takes exactly one column of type STRING or BYTES "
                      "(not supported yet: raw numbers)");
  } else {
    bad(n, format_key, "names an unknown format '" + f.name + "' (json, csv or raw)");
  }
  // options of other formats are refused as unknown by the connector's check
  return f;
}

// ---------------------------------------------------------------------------------------------
// decoding

row_decoder::row_decoder(text_format f, const std::vector<plan_column>& columns)
    : f_(std::move(f)) {
  std::vector<logical_type> types;
  for (const auto& c : columns)
    types.push_back(c.type);
  row_layout layout(types);
  slots_ = layout.slots();
  objects_.emplace_back();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    field fd = make_field(columns[c].name, columns[c].type, layout.first[c], 0);
    objects_[0].fields.push_back(std::move(fd));
  }
  std::size_t most = 0;
  for (auto& o : objects_) {
    most = std::max(most, o.fields.size());
    for (auto& fd : o.fields)
      fd.plain = fd.name.find_first_of("\"\\") == std::string::npos;
  }
  seen_.resize(most * objects_.size());
}

row_decoder::field row_decoder::make_field(const std::string& name, const logical_type& type,
                                           std::size_t slot, std::size_t depth) {
  field fd;
  fd.name = name;
  fd.type = type;
  fd.slot = slot;
  if (type.kind == logical_kind::row) {
    // a ROW's fields are an object of their own
    fd.nested = static_cast<int>(objects_.size());
    objects_.emplace_back();
    std::size_t s = slot + 1;
    for (const logical_field& lf : type.fields) {
      field sub = make_field(lf.name, lf.type, s, depth);
      objects_[static_cast<std::size_t>(fd.nested)].fields.push_back(std::move(sub));
      s += slot_width(lf.type);
    }
  } else if (is_collection(type)) {
    collection c;
    c.type = type;
    c.depth = depth;
    const auto el = element_layout(type);
    c.width = el->slots();
    for (std::size_t i = 0; i < el->columns.size(); ++i)
      c.parts.push_back(make_field(name, el->columns[i], el->first[i], depth + 1));
    fd.coll = static_cast<int>(collections_.size());
    collections_.push_back(std::move(c));
    if (builders_.size() <= depth) {
      builders_.resize(depth + 1);
      encoded_.resize(depth + 1);
    }
  }
  return fd;
}

bool row_decoder::decode(std::string_view text, row& r, std::string& why) {
  r.reset(slots_);
  switch (f_.kind) {
    case text_format_kind::raw:
      r.set_string(0, text);
      return true;
    case text_format_kind::csv:
      return csv(text, r, why);
    case text_format_kind::json:
      return json(text, r, why);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// json: simdjson's On-Demand API

struct json_parser {
  simdjson::ondemand::parser parser;
  //! The record then SIMDJSON_PADDING zero bytes (simdjson reads past the end); reused.
  std::string padded;
};

void json_parser_deleter::operator()(json_parser* p) const { delete p; }

namespace {

namespace od = simdjson::ondemand;

std::int64_t integer_limit(logical_kind k) {
  return k == logical_kind::tinyint    ? 127
         : k == logical_kind::smallint ? 32767
         : k == logical_kind::int_     ? 2147483647
                                       : INT64_MAX;
}

} // namespace

//! Reads one record's JSON object into a row: each declared field straight into its slot, the
//! others skipped by simdjson without being decoded.
struct json_reader {
  using field = row_decoder::field;
  row_decoder& d;
  std::string& why;
  od::document& doc;
  const char* begin; //!< the record's first byte in the padded buffer
  std::size_t size;

  //! " at byte N": where simdjson stopped, for messages.
  std::string at() {
    const char* p = nullptr;
    if (doc.current_location().get(p) || p < begin || p > begin + size)
      return "";
    return " at byte " + std::to_string(p - begin);
  }
  bool malformed(simdjson::error_code e) {
    why = "malformed JSON" + at() + ": " + simdjson::error_message(e);
    return false;
  }
  bool malformed(simdjson::error_code e, const field& f) {
    why = "malformed JSON in field '" + f.name + "'" + at() + ": " + simdjson::error_message(e);
    return false;
  }
  bool cannot_read(std::string_view raw, const field& f) {
    why = "field '" + f.name + "': cannot read '" + excerpt(raw) + "' as " + to_string(f.type);
    return false;
  }

  bool object(od::object& o, int which, slot_sink out) {
    const auto& fields = d.objects_[static_cast<std::size_t>(which)].fields;
    std::uint8_t* seen =
        d.seen_.data() + static_cast<std::size_t>(which) * (d.seen_.size() / d.objects_.size());
    std::fill(seen, seen + fields.size(), 0);
    for (auto item : o) {
      od::field kv;
      if (auto e = std::move(item).get(kv))
        return malformed(e);
      // A key is compared in place (simdjson's raw string, up to its closing quote) and only
      // unescaped when it has an escape: no copy for the usual keys.
      const od::raw_json_string raw = kv.key();
      std::size_t k = 0;
      while (k < fields.size() && !(fields[k].plain && raw.unsafe_is_equal(fields[k].name)))
        ++k;
      if (k == fields.size()) {
        const char* c = raw.raw();
        while (*c != '"' && *c != '\\') // stage 1 checked that the key's string is closed
          ++c;
        if (*c == '"')
          continue; // not declared: simdjson skips its value
        std::string_view key;
        if (auto e = kv.unescaped_key().get(key))
          return malformed(e);
        k = 0;
        while (k < fields.size() && fields[k].name != key)
          ++k;
        if (k == fields.size())
          continue;
      }
      seen[k] = 1; // a duplicate key: the last value wins, as with Jackson's tree
      if (!value(kv.value(), fields[k], out))
        return false;
    }
    if (d.f_.fail_on_missing_field)
      for (std::size_t k = 0; k < fields.size(); ++k)
        if (!seen[k]) {
          why = "field '" + fields[k].name + "' is missing";
          return false;
        }
    return true;
  }

  bool value(od::value& v, const field& f, slot_sink out) {
    od::json_type t;
    if (v.type().get(t)) {
      // Not a JSON value: the non-finite numbers the json format writes (NaN, Infinity) read
      // as Jackson's ALLOW_NON_NUMERIC_NUMBERS does; anything else is malformed.
      const std::string_view raw = trim_json_ws(v.raw_json_token());
      if (f.nested >= 0 || f.coll >= 0 || !is_non_numeric_number(raw))
        return malformed(simdjson::TAPE_ERROR, f);
      return scalar(v, raw, false, f, out);
    }
    if (t == od::json_type::null) {
      bool null = false;
      if (auto e = v.is_null().get(null))
        return malformed(e, f);
      if (!null)
        return malformed(simdjson::INCORRECT_TYPE, f);
      out.set_null(f.slot);
      return true;
    }
    if (f.coll >= 0)
      return collection(v, t, f, out);
    if (f.nested >= 0) {
      od::object o;
      if (t != od::json_type::object) {
        why = "field '" + f.name + "' is not a JSON object";
        return false;
      }
      if (auto e = v.get_object().get(o))
        return malformed(e, f);
      out.set_long(f.slot, 0); // the ROW is not null
      return object(o, f.nested, out);
    }
    switch (t) {
      case od::json_type::string: {
        // without an escape, the text between the quotes as it is; else simdjson's unescaping
        std::string_view s = trim_json_ws(v.raw_json_token());
        s = s.substr(1, s.size() - 2);
        if (std::memchr(s.data(), '\\', s.size()))
          if (auto e = v.get_string().get(s))
            return malformed(e, f);
        if (is_bytes_kind(f.type.kind)) {
          if (!base64_decode(s, d.scratch2_)) {
            why = "field '" + f.name + "' is not base64 text";
            return false;
          }
          out.set_string(f.slot, d.scratch2_);
          return true;
        }
        return d.from_text(s, out, f, why);
      }
      case od::json_type::number:
        return scalar(v, trim_json_ws(v.raw_json_token()), true, f, out);
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = v.get_bool().get(b))
          return malformed(e, f);
        if (f.type.kind == logical_kind::boolean) {
          out.set_bool(f.slot, b);
          return true;
        }
        return scalar(v, b ? "true" : "false", false, f, out);
      }
      case od::json_type::object: {
        od::object o;
        std::string_view raw;
        if (auto e = v.get_object().get(o))
          return malformed(e, f);
        if (auto e = o.raw_json().get(raw))
          return malformed(e, f);
        return scalar(v, trim_json_ws(raw), false, f, out);
      }
      case od::json_type::array: {
        od::array a;
        std::string_view raw;
        if (auto e = v.get_array().get(a))
          return malformed(e, f);
        if (auto e = a.raw_json().get(raw))
          return malformed(e, f);
        return scalar(v, trim_json_ws(raw), false, f, out);
      }
      case od::json_type::null:
        break;
    }
    return malformed(simdjson::INCORRECT_TYPE, f);
  }

  //! A value given unquoted, as its JSON text `raw`: a STRING column takes the text (Flink's
  //! json format takes a number's or nested JSON's text); a JSON number (`number`) in an integer
  //! or floating column is read by simdjson; the rest as the text of a string would be (a
  //! DECIMAL from the number's text, so no digit is lost).
  bool scalar(od::value& v, std::string_view raw, bool number, const field& f, slot_sink out) {
    const logical_kind k = f.type.kind;
    if (is_bytes_kind(k)) {
      why = "field '" + f.name + "' is not base64 text";
      return false;
    }
    if (is_string_kind(k)) {
      out.set_string(f.slot, raw);
      return true;
    }
    if (number && is_integer_kind(k)) {
      std::int64_t x = 0;
      const std::int64_t lim = integer_limit(k);
      if (v.get_int64().get(x) || x > lim || x < -lim - 1)
        return cannot_read(raw, f);
      out.set_long(f.slot, x);
      return true;
    }
    if (number && (k == logical_kind::float_ || k == logical_kind::double_)) {
      double x = 0;
      if (v.get_double().get(x)) // -Infinity: a number to simdjson, but not JSON's
        return is_non_numeric_number(raw) ? d.from_text(raw, out, f, why) : cannot_read(raw, f);
      out.set_double(f.slot,
                     k == logical_kind::float_ ? static_cast<double>(static_cast<float>(x)) : x);
      return true;
    }
    return d.from_text(raw, out, f, why);
  }

  //! An ARRAY (a JSON array), MAP (a JSON object: keys read as the key type reads text) or
  //! MULTISET (a JSON object of element: count) into the builder of its depth, then its slot.
  bool collection(od::value& v, od::json_type t, const field& f, slot_sink out) {
    const auto& c = d.collections_[static_cast<std::size_t>(f.coll)];
    collection_builder& b = d.builders_[c.depth];
    b.clear();
    if (c.type.kind == logical_kind::array) {
      if (t != od::json_type::array) {
        why = "field '" + f.name + "' is not a JSON array";
        return false;
      }
      od::array a;
      if (auto e = v.get_array().get(a))
        return malformed(e, f);
      for (auto item : a) {
        od::value ev;
        if (auto e = std::move(item).get(ev))
          return malformed(e, f);
        const std::size_t at = b.add(c.width);
        if (!value(ev, c.parts[0], slot_sink{nullptr, &b, at}))
          return false;
      }
    } else {
      if (t != od::json_type::object) {
        why = "field '" + f.name + "' is not a JSON object";
        return false;
      }
      od::object o;
      if (auto e = v.get_object().get(o))
        return malformed(e, f);
      for (auto item : o) {
        od::field kv;
        if (auto e = std::move(item).get(kv))
          return malformed(e, f);
        std::string_view key;
        if (auto e = kv.unescaped_key().get(key))
          return malformed(e, f);
        if (c.type.kind == logical_kind::map) {
          const std::size_t at = b.add(c.width);
          if (!d.from_text(key, slot_sink{nullptr, &b, at}, c.parts[0], why))
            return false;
          if (!value(kv.value(), c.parts[1], slot_sink{nullptr, &b, at}))
            return false;
          continue;
        }
        // MULTISET: the element `count` times
        std::int64_t count = 0;
        if (kv.value().get_int64().get(count) || count < 0 || count > (1 << 24)) {
          why = "field '" + f.name + "': the count of a MULTISET element must be an integer";
          return false;
        }
        for (std::int64_t k = 0; k < count; ++k)
          if (!d.from_text(key, slot_sink{nullptr, &b, b.add(c.width)}, c.parts[0], why))
            return false;
      }
    }
    b.finish(d.encoded_[c.depth]);
    out.set_string(f.slot, d.encoded_[c.depth]);
    return true;
  }
};

bool row_decoder::json(std::string_view text, row& r, std::string& why) {
  if (!json_.p)
    json_.p.reset(new json_parser());
  json_parser& jp = *json_.p;
  if (jp.padded.size() < text.size() + simdjson::SIMDJSON_PADDING)
    jp.padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(jp.padded.data(), text.data(), text.size());
  std::memset(jp.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  const simdjson::padded_string_view input(jp.padded.data(), text.size(), jp.padded.size());
  od::document doc;
  if (auto e = jp.parser.iterate(input).get(doc)) {
    why = e == simdjson::EMPTY ? std::string("not a JSON object")
                               : std::string("malformed JSON: ") + simdjson::error_message(e);
    return false;
  }
  od::object top;
  if (auto e = doc.get_object().get(top)) {
    // simdjson checks here that the record ends with the object's '}'
    why = e == simdjson::INCORRECT_TYPE
              ? std::string("not a JSON object")
              : std::string("malformed JSON: ") + simdjson::error_message(e);
    return false;
  }
  json_reader reader{*this, why, doc, jp.padded.data(), text.size()};
  if (!reader.object(top, 0, slot_sink{&r, nullptr, 0}))
    return false;
  const char* rest = nullptr;
  if (!doc.current_location().get(rest)) {
    why = "text after the JSON object at byte " + std::to_string(rest - jp.padded.data());
    return false;
  }
  return true;
}

bool row_decoder::from_text(std::string_view text, slot_sink r, const field& f, std::string& why) {
  bool ok = true;
  switch (f.type.kind) {
    case logical_kind::char_:
    case logical_kind::varchar:
    case logical_kind::binary:
    case logical_kind::varbinary:
      r.set_string(f.slot, text);
      return true;
    case logical_kind::boolean: {
      const std::string_view t = trim(text);
      if (t == "true" || t == "TRUE" || t == "True")
        r.set_bool(f.slot, true);
      else if (t == "false" || t == "FALSE" || t == "False")
        r.set_bool(f.slot, false);
      else
        ok = false;
      break;
    }
    case logical_kind::tinyint:
    case logical_kind::smallint:
    case logical_kind::int_:
    case logical_kind::bigint: {
      std::int64_t v = 0;
      ok = parse_long(text, v);
      const std::int64_t lim = integer_limit(f.type.kind);
      ok = ok && v <= lim && v >= -lim - 1;
      if (ok)
        r.set_long(f.slot, v);
      break;
    }
    case logical_kind::float_:
    case logical_kind::double_: {
      double v = 0;
      ok = parse_double(text, v);
      if (ok)
        r.set_double(f.slot, f.type.kind == logical_kind::float_
                                 ? static_cast<double>(static_cast<float>(v))
                                 : v);
      break;
    }
    case logical_kind::decimal: {
      std::int64_t v = 0;
      ok = parse_decimal(text, f.type.scale, v);
      if (ok)
        r.set_long(f.slot, v);
      break;
    }
    case logical_kind::date: {
      std::int64_t v = 0;
      ok = parse_date(trim(text), v);
      if (ok)
        r.set_long(f.slot, v);
      break;
    }
    case logical_kind::time: {
      std::int64_t v = 0;
      ok = parse_time(trim(text), v);
      if (ok)
        r.set_long(f.slot, v);
      break;
    }
    case logical_kind::timestamp:
    case logical_kind::timestamp_ltz: {
      std::int64_t v = 0;
      ok = parse_timestamp(text, v);
      if (ok)
        r.set_long(f.slot, v);
      break;
    }
    default:
      why = "field '" + f.name + "': not supported yet: " + to_string(f.type) + " values";
      return false;
  }
  if (!ok)
    why = "field '" + f.name + "': cannot read '" + excerpt(text) + "' as " + to_string(f.type);
  return ok;
}

bool row_decoder::csv(std::string_view s, row& r, std::string& why) {
  const auto& fields = objects_[0].fields;
  std::size_t i = 0, col = 0;
  const char d = f_.delimiter, q = f_.quote;
  while (true) {
    std::string_view text;
    bool quoted = false;
    if (q != 0 && i < s.size() && s[i] == q) {
      quoted = true;
      ++i;
      const std::size_t begin = i;
      bool escaped = false;
      scratch_.clear();
      while (true) {
        if (i >= s.size()) {
          why = "unterminated quoted field " + std::to_string(col + 1);
          return false;
        }
        if (s[i] == q) {
          if (i + 1 < s.size() && s[i + 1] == q) {
            if (!escaped) {
              scratch_.assign(s.data() + begin, i - begin);
              escaped = true;
            }
            scratch_ += q;
            i += 2;
            continue;
          }
          break;
        }
        if (escaped)
          scratch_ += s[i];
        ++i;
      }
      text = escaped ? std::string_view(scratch_) : s.substr(begin, i - begin);
      ++i; // closing quote
      if (i < s.size() && s[i] != d) {
        why = "text after the closing quote of field " + std::to_string(col + 1);
        return false;
      }
    } else {
      const std::size_t begin = i;
      while (i < s.size() && s[i] != d)
        ++i;
      text = s.substr(begin, i - begin);
    }
    if (col < fields.size()) {
      const field& fd = fields[col];
      const bool null =
          (f_.has_null_literal && text == f_.null_literal && !quoted) ||
          (!f_.has_null_literal && text.empty() && !quoted && !is_string_kind(fd.type.kind));
      if (null) {
        r.set_null(fd.slot);
      } else if (fd.coll >= 0) {
        // an ARRAY: its elements between csv.array-element-delimiter
        const auto& c = collections_[static_cast<std::size_t>(fd.coll)];
        collection_builder& b = builders_[0];
        b.clear();
        const std::string& ad = f_.array_delimiter;
        std::size_t at = 0;
        while (true) {
          const std::size_t end = ad.empty() ? std::string_view::npos : text.find(ad, at);
          const std::string_view el =
              text.substr(at, end == std::string_view::npos ? end : end - at);
          const field& part = c.parts[0];
          const std::size_t s0 = b.add(c.width);
          if (el.empty() && !is_string_kind(part.type.kind)) {
            b.set_null(s0);
          } else if (is_bytes_kind(part.type.kind)) {
            if (!base64_decode(el, scratch2_)) {
              why = "field '" + fd.name + "' is not base64 text";
              return false;
            }
            b.set_string(s0, scratch2_);
          } else if (!from_text(el, slot_sink{nullptr, &b, s0}, part, why)) {
            return false;
          }
          if (end == std::string_view::npos)
            break;
          at = end + ad.size();
        }
        b.finish(encoded_[0]);
        r.set_string(fd.slot, encoded_[0]);
      } else if (is_bytes_kind(fd.type.kind)) {
        if (!base64_decode(text, scratch2_)) {
          why = "field '" + fd.name + "' is not base64 text";
          return false;
        }
        r.set_string(fd.slot, scratch2_);
      } else if (!from_text(text, slot_sink{&r, nullptr, 0}, fd, why)) {
        return false;
      }
    }
    ++col;
    if (i >= s.size())
      break;
    ++i; // delimiter
  }
  if (col != fields.size()) {
    why = "has " + std::to_string(col) + " fields, the table " + std::to_string(fields.size());
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// encoding

row_encoder::row_encoder(text_format f, const std::vector<plan_column>& columns)
    : f_(std::move(f)) {
  std::vector<logical_type> types;
  for (const auto& c : columns) {
    types.push_back(c.type);
    names_.push_back(c.name);
  }
  layout_ = row_layout(types);
}

void row_encoder::encode(std::string& out, const row& r) const {
  switch (f_.kind) {
    case text_format_kind::raw:
      if (!r.is_null(0))
        out += r.get_string(0);
      return;
    case text_format_kind::json:
      append_json(out, r, layout_, names_);
      return;
    case text_format_kind::csv:
      break;
  }
  const char d = f_.delimiter, q = f_.quote;
  for (std::size_t c = 0; c < layout_.columns.size(); ++c) {
    if (c)
      out += d;
    const std::size_t slot = layout_.first[c];
    if (r.is_null(slot)) {
      out += f_.null_literal;
      continue;
    }
    const logical_kind k = layout_.types[slot].kind;
    std::string joined;
    if (k == logical_kind::array)
      append_csv_array(joined, r.get_string(slot), *layout_.elements[slot], f_.array_delimiter);
    if (k == logical_kind::char_ || k == logical_kind::varchar || k == logical_kind::array) {
      const std::string_view s =
          k == logical_kind::array ? std::string_view(joined) : r.get_string(slot);
      bool needs =
          q != 0 && (s.find(d) != std::string_view::npos || s.find(q) != std::string_view::npos ||
                     s.find_first_of("\r\n") != std::string_view::npos ||
                     (f_.has_null_literal && s == f_.null_literal) ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' ')));
      if (!needs) {
        out += s;
        continue;
      }
      out += q;
      for (char ch : s) {
        if (ch == q)
          out += q;
        out += ch;
      }
      out += q;
      continue;
    }
    if (k == logical_kind::binary || k == logical_kind::varbinary) {
      static const char* alphabet =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const std::string_view b = r.get_string(slot);
      std::size_t j = 0;
      for (; j + 2 < b.size(); j += 3) {
        const std::uint32_t v = (static_cast<std::uint8_t>(b[j]) << 16) |
                                (static_cast<std::uint8_t>(b[j + 1]) << 8) |
                                static_cast<std::uint8_t>(b[j + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
      }
      if (j < b.size()) {
        std::uint32_t v = static_cast<std::uint8_t>(b[j]) << 16;
        if (j + 1 < b.size())
          v |= static_cast<std::uint8_t>(b[j + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += j + 1 < b.size() ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
      }
      continue;
    }
    const std::size_t at = out.size();
    append_json_value(out, r, slot, layout_);
    if (out.size() >= at + 2 && out[at] == '"' && out.back() == '"') {
      out.pop_back();
      out.erase(at, 1);
    }
  }
}

} // namespace spate::sql::detail
