// The json, csv and raw formats of the SQL text connectors (text_format.hpp).
#include "text_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

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

void skip_ws(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
    ++i;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

//! A JSON string at s[i] == '"': its text (a view into `s` when it has no escape, else the
//! unescaped bytes in `scratch`); i moves past the closing quote.
bool json_string(std::string_view s, std::size_t& i, std::string_view& text, std::string& scratch) {
  ++i;
  const std::size_t begin = i;
  while (i < s.size() && s[i] != '"' && s[i] != '\\')
    ++i;
  if (i >= s.size())
    return false;
  if (s[i] == '"') {
    text = s.substr(begin, i - begin);
    ++i;
    return true;
  }
  scratch.assign(s.data() + begin, i - begin);
  while (i < s.size()) {
    const char c = s[i++];
    if (c == '"') {
      text = scratch;
      return true;
    }
    if (c != '\\') {
      scratch += c;
      continue;
    }
    if (i >= s.size())
      return false;
    const char e = s[i++];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        scratch += e;
        break;
      case 'n':
        scratch += '\n';
        break;
      case 't':
        scratch += '\t';
        break;
      case 'r':
        scratch += '\r';
        break;
      case 'b':
        scratch += '\b';
        break;
      case 'f':
        scratch += '\f';
        break;
      case 'u': {
        auto hex4 = [&](std::uint32_t& v) {
          if (i + 4 > s.size())
            return false;
          v = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s[i++];
            v <<= 4;
            if (h >= '0' && h <= '9')
              v |= static_cast<std::uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
              v |= static_cast<std::uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              v |= static_cast<std::uint32_t>(h - 'A' + 10);
            else
              return false;
          }
          return true;
        };
        std::uint32_t cp = 0;
        if (!hex4(cp))
          return false;
        if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
          i += 2;
          std::uint32_t lo = 0;
          if (!hex4(lo))
            return false;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        append_utf8(scratch, cp);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

//! Skips any JSON value at s[i]; `raw` is its text.
bool skip_json_value(std::string_view s, std::size_t& i, std::string_view& raw,
                     std::string& scratch) {
  skip_ws(s, i);
  const std::size_t begin = i;
  if (i >= s.size())
    return false;
  const char c = s[i];
  if (c == '"') {
    std::string_view t;
    if (!json_string(s, i, t, scratch))
      return false;
  } else if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char d = s[i];
      if (d == '"') {
        std::string_view t;
        if (!json_string(s, i, t, scratch))
          return false;
        continue;
      }
      if (d == '{' || d == '[')
        ++depth;
      else if (d == '}' || d == ']') {
        if (--depth == 0) {
          ++i;
          break;
        }
      }
      ++i;
    }
    if (depth != 0)
      return false;
  } else {
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
      ++i;
    if (i == begin)
      return false;
  }
  raw = s.substr(begin, i - begin);
  return true;
}

std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, 80));
  if (s.size() > 80)
    out += "...";
  return out;
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
      slot_kind_of(c.type); // ARRAY/MAP refused by name
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
    if (opt("csv.escape-character") || opt("csv.array-element-delimiter"))
      throw error(errc::invalid_argument,
                  "table '" + n.table +
                      "': not supported yet: csv.escape-character and csv.array-element-delimiter");
    for (const plan_column& c : columns)
      if (c.type.kind == logical_kind::row || slot_kind_of(c.type) == slot_kind::nested)
        throw error(errc::invalid_argument, "table '" + n.table +
                                                "': the csv format cannot hold the ROW column '" +
                                                c.name + "'");
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
  // objects are built breadth first; a ROW's fields are an object of their own
  struct pending {
    int object;
    const std::vector<logical_field>* fields;
    std::size_t first_slot;
  };
  std::vector<pending> todo;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    field fd;
    fd.name = columns[c].name;
    fd.type = columns[c].type;
    fd.slot = layout.first[c];
    if (fd.type.kind == logical_kind::row) {
      fd.nested = static_cast<int>(objects_.size());
      objects_.emplace_back();
      todo.push_back({fd.nested, &columns[c].type.fields, fd.slot + 1});
    }
    objects_[0].fields.push_back(std::move(fd));
  }
  while (!todo.empty()) {
    pending p = todo.back();
    todo.pop_back();
    std::size_t s = p.first_slot;
    for (const logical_field& lf : *p.fields) {
      field fd;
      fd.name = lf.name;
      fd.type = lf.type;
      fd.slot = s;
      if (lf.type.kind == logical_kind::row) {
        fd.nested = static_cast<int>(objects_.size());
        objects_.emplace_back();
        todo.push_back({fd.nested, &lf.type.fields, s + 1});
      }
      s += slot_width(lf.type);
      objects_[static_cast<std::size_t>(p.object)].fields.push_back(std::move(fd));
    }
  }
  std::size_t most = 0;
  for (const auto& o : objects_)
    most = std::max(most, o.fields.size());
  seen_.resize(most * objects_.size());
}

bool row_decoder::decode(std::string_view text, row& r, std::string& why) {
  r.reset(slots_);
  switch (f_.kind) {
    case text_format_kind::raw:
      r.set_string(0, text);
      return true;
    case text_format_kind::csv:
      return csv(text, r, why);
    case text_format_kind::json: {
      std::size_t i = 0;
      skip_ws(text, i);
      if (i >= text.size() || text[i] != '{') {
        why = "not a JSON object";
        return false;
      }
      if (!json_object(text, i, r, 0, why))
        return false;
      skip_ws(text, i);
      if (i != text.size()) {
        why = "text after the JSON object at byte " + std::to_string(i);
        return false;
      }
      return true;
    }
  }
  return false;
}

bool row_decoder::json_object(std::string_view s, std::size_t& i, row& r, int which,
                              std::string& why) {
  const object& o = objects_[static_cast<std::size_t>(which)];
  std::uint8_t* seen =
      seen_.data() + static_cast<std::size_t>(which) * (seen_.size() / objects_.size());
  std::fill(seen, seen + o.fields.size(), 0);
  ++i; // '{'
  skip_ws(s, i);
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    while (true) {
      skip_ws(s, i);
      if (i >= s.size() || s[i] != '"') {
        why = "expected a field name at byte " + std::to_string(i);
        return false;
      }
      std::string_view key;
      if (!json_string(s, i, key, scratch2_)) {
        why = "unterminated string at byte " + std::to_string(i);
        return false;
      }
      skip_ws(s, i);
      if (i >= s.size() || s[i] != ':') {
        why = "expected ':' at byte " + std::to_string(i);
        return false;
      }
      ++i;
      skip_ws(s, i);
      const field* fd = nullptr;
      for (std::size_t k = 0; k < o.fields.size(); ++k)
        if (o.fields[k].name == key) {
          fd = &o.fields[k];
          seen[k] = 1;
          break;
        }
      if (fd) {
        if (!json_value(s, i, r, *fd, why))
          return false;
      } else {
        std::string_view raw;
        if (!skip_json_value(s, i, raw, scratch_)) {
          why = "malformed value at byte " + std::to_string(i);
          return false;
        }
      }
      skip_ws(s, i);
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      why = "expected ',' or '}' at byte " + std::to_string(i);
      return false;
    }
  }
  if (f_.fail_on_missing_field)
    for (std::size_t k = 0; k < o.fields.size(); ++k)
      if (!seen[k]) {
        why = "field '" + o.fields[k].name + "' is missing";
        return false;
      }
  return true;
}

bool row_decoder::json_value(std::string_view s, std::size_t& i, row& r, const field& f,
                             std::string& why) {
  if (s.compare(i, 4, "null") == 0 &&
      (i + 4 == s.size() || !std::isalnum(static_cast<unsigned char>(s[i + 4])))) {
    i += 4;
    r.set_null(f.slot);
    return true;
  }
  if (f.nested >= 0) {
    if (i >= s.size() || s[i] != '{') {
      why = "field '" + f.name + "' is not a JSON object";
      return false;
    }
    r.set_long(f.slot, 0); // the ROW is not null
    return json_object(s, i, r, f.nested, why);
  }
  std::string_view text;
  bool quoted = false;
  if (i < s.size() && s[i] == '"') {
    quoted = true;
    if (!json_string(s, i, text, scratch_)) {
      why = "unterminated string in field '" + f.name + "'";
      return false;
    }
  } else {
    if (!skip_json_value(s, i, text, scratch_)) {
      why = "malformed value of field '" + f.name + "'";
      return false;
    }
    if (is_string_kind(f.type.kind) && !is_bytes_kind(f.type.kind)) {
      r.set_string(f.slot, text); // a number or nested JSON as its text, as Flink's asText
      return true;
    }
  }
  if (is_bytes_kind(f.type.kind)) {
    if (!quoted || !base64_decode(text, scratch2_)) {
      why = "field '" + f.name + "' is not base64 text";
      return false;
    }
    r.set_string(f.slot, scratch2_);
    return true;
  }
  return from_text(text, r, f, why);
}

bool row_decoder::from_text(std::string_view text, row& r, const field& f, std::string& why) {
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
      const std::int64_t lim = f.type.kind == logical_kind::tinyint    ? 127
                               : f.type.kind == logical_kind::smallint ? 32767
                               : f.type.kind == logical_kind::int_     ? 2147483647
                                                                       : INT64_MAX;
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
      } else if (is_bytes_kind(fd.type.kind)) {
        if (!base64_decode(text, scratch2_)) {
          why = "field '" + fd.name + "' is not base64 text";
          return false;
        }
        r.set_string(fd.slot, scratch2_);
      } else if (!from_text(text, r, fd, why)) {
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
    if (k == logical_kind::char_ || k == logical_kind::varchar) {
      const std::string_view s = r.get_string(slot);
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
