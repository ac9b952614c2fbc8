// Text of SQL values: the print connector's rows, CAST to STRING, the json format.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "spate/sqlrt/collection.hpp"
#include "spate/sqlrt/row.hpp"
#include "text_format.hpp"

namespace spate::sql {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {

void append_padded(std::string& out, std::int64_t v, int width) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

} // namespace

void append_date(std::string& out, std::int64_t days) {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  append_padded(out, y, 4);
  out += '-';
  append_padded(out, m, 2);
  out += '-';
  append_padded(out, d, 2);
}

void append_time(std::string& out, std::int64_t ms, int precision) {
  std::int64_t s = floor_div(ms, 1000);
  const std::int64_t frac = ms - s * 1000;
  append_padded(out, (s / 3600) % 24, 2);
  out += ':';
  append_padded(out, (s / 60) % 60, 2);
  out += ':';
  append_padded(out, s % 60, 2);
  if (precision > 0) {
    out += '.';
    std::string f;
    append_padded(f, frac, 3);
    out.append(f, 0, static_cast<std::size_t>(std::min(precision, 3)));
    for (int i = 3; i < precision; ++i)
      out += '0';
  }
}

void append_timestamp(std::string& out, std::int64_t ms, int precision) {
  const std::int64_t days = floor_div(ms, 86'400'000);
  append_date(out, days);
  out += ' ';
  append_time(out, ms - days * 86'400'000, precision);
}

namespace {

//! Java's LocalTime.toString: HH:mm, then :ss when seconds or millis, then .SSS when millis.
void append_java_time(std::string& out, std::int64_t ms_of_day, bool always_seconds) {
  const std::int64_t s = ms_of_day / 1000, frac = ms_of_day % 1000;
  append_padded(out, s / 3600, 2);
  out += ':';
  append_padded(out, (s / 60) % 60, 2);
  if (always_seconds || s % 60 != 0 || frac != 0) {
    out += ':';
    append_padded(out, s % 60, 2);
  }
  if (frac != 0) {
    out += '.';
    append_padded(out, frac, 3);
  }
}

//! How a timestamp prints: the print connector (Java's LocalDateTime/Instant), or the json
//! format (SQL style, fraction without trailing zeros).
void append_text_timestamp(std::string& out, std::int64_t ms, bool ltz, bool json) {
  const std::int64_t days = floor_div(ms, 86'400'000);
  const std::int64_t in_day = ms - days * 86'400'000;
  append_date(out, days);
  if (json) {
    out += ' ';
    append_time(out, in_day - in_day % 1000, 0);
    if (in_day % 1000 != 0) {
      std::string f;
      append_padded(f, in_day % 1000, 3);
      while (!f.empty() && f.back() == '0')
        f.pop_back();
      out += '.' + f;
    }
  } else {
    out += 'T';
    append_java_time(out, in_day, ltz);
  }
  if (ltz)
    out += 'Z';
}

} // namespace

void append_decimal(std::string& out, std::int64_t unscaled, int scale) {
  if (scale <= 0) {
    out += std::to_string(unscaled);
    return;
  }
  const bool neg = unscaled < 0;
  std::string digits = std::to_string(neg ? -static_cast<unsigned long long>(unscaled)
                                          : static_cast<unsigned long long>(unscaled));
  if (digits.size() <= static_cast<std::size_t>(scale))
    digits.insert(0, static_cast<std::size_t>(scale) + 1 - digits.size(), '0');
  if (neg)
    out += '-';
  out.append(digits, 0, digits.size() - static_cast<std::size_t>(scale));
  out += '.';
  out.append(digits, digits.size() - static_cast<std::size_t>(scale), std::string::npos);
}

namespace {

template <class F>
void append_java_floating(std::string& out, F d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-Infinity" : "Infinity";
    return;
  }
  if (d == 0) {
    out += std::signbit(d) ? "-0.0" : "0.0";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  bool neg = false;
  if (sci[0] == '-') {
    neg = true;
    sci.remove_prefix(1);
  }
  const auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.')
      digits += c;
  const int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
  if (neg)
    out += '-';
  const double mag = std::fabs(static_cast<double>(d));
  if (mag >= 1e-3 && mag < 1e7) {
    if (exp >= 0) {
      std::string ip = digits.substr(0, std::min(digits.size(), static_cast<std::size_t>(exp) + 1));
      while (ip.size() < static_cast<std::size_t>(exp) + 1)
        ip += '0';
      std::string fp = digits.size() > static_cast<std::size_t>(exp) + 1
                           ? digits.substr(static_cast<std::size_t>(exp) + 1)
                           : "0";
      out += ip + "." + fp;
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
    }
  } else {
    out += digits[0];
    out += '.';
    out += digits.size() > 1 ? digits.substr(1) : "0";
    out += 'E';
    out += std::to_string(exp);
  }
}

template <class Src>
std::size_t append_at(std::string& out, const Src& r, std::size_t slot, const row_layout& layout,
                      bool json);

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

//! An ARRAY, MAP or MULTISET: JSON arrays and objects (a map's key as a JSON string, a
//! multiset's elements with their counts), or as Flink prints them: [1, 2], {a=1, b=2}.
void append_collection(std::string& out, std::string_view bytes, const logical_type& t,
                       const row_layout& el, bool json) {
  const collection_view v(bytes);
  const std::size_t w = el.slots();
  const std::size_t n = w == 0 ? 0 : v.slots() / w;
  auto key = [&](std::size_t i) {
    const element_ref e{&v, i * w};
    if (!json) {
      append_at(out, e, 0, el, false);
      return;
    }
    if (e.is_null(0)) {
      out += "null";
    } else if (el.kinds[0] == slot_kind::string && el.types[0].kind != logical_kind::array &&
               el.types[0].kind != logical_kind::map &&
               el.types[0].kind != logical_kind::multiset) {
      append_at(out, e, 0, el, true);
    } else { // a key that is not a string: its text, quoted
      std::string k;
      append_at(k, e, 0, el, false);
      append_json_string(out, k);
    }
  };
  if (t.kind == logical_kind::array) {
    out += '[';
    for (std::size_t i = 0; i < n; ++i) {
      if (i)
        out += json ? "," : ", ";
      append_at(out, element_ref{&v, i * w}, 0, el, json);
    }
    out += ']';
    return;
  }
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t count = 1;
    if (t.kind == logical_kind::multiset) {
      // each distinct element once, with its count, where it first occurs
      auto same = [&](std::size_t a, std::size_t b) {
        for (std::size_t j = 0; j < w; ++j) {
          if (v.is_null(a * w + j) != v.is_null(b * w + j))
            return false;
          if (v.is_null(a * w + j))
            continue;
          if (el.is_string[j] ? v.get_string(a * w + j) != v.get_string(b * w + j)
                              : v.raw(a * w + j) != v.raw(b * w + j))
            return false;
        }
        return true;
      };
      bool seen = false;
      for (std::size_t p = 0; p < i && !seen; ++p)
        seen = same(p, i);
      if (seen)
        continue;
      for (std::size_t q = i + 1; q < n; ++q)
        count += same(q, i) ? 1 : 0;
    }
    if (!first)
      out += json ? "," : ", ";
    first = false;
    key(i);
    out += json ? ":" : "=";
    if (t.kind == logical_kind::multiset)
      out += std::to_string(count);
    else
      append_at(out, element_ref{&v, i * w}, el.first[1], el, json);
  }
  out += '}';
}

template <class Src>
std::size_t append_at(std::string& out, const Src& r, std::size_t slot, const row_layout& layout,
                      bool json) {
  const logical_type& t = layout.types[slot];
  const std::size_t width = slot_width(t);
  if (r.is_null(slot)) {
    out += json ? "null" : "NULL";
    return slot + width;
  }
  switch (t.kind) {
    case logical_kind::boolean:
      out += r.get_bool(slot) ? "true" : "false";
      break;
    case logical_kind::float_:
      append_java_floating(out, static_cast<float>(r.get_double(slot)));
      break;
    case logical_kind::double_:
      append_java_floating(out, r.get_double(slot));
      break;
    case logical_kind::decimal:
      append_decimal(out, r.get_long(slot), t.scale);
      break;
    case logical_kind::char_:
    case logical_kind::varchar:
      if (json)
        append_json_string(out, r.get_string(slot));
      else
        out += r.get_string(slot);
      break;
    case logical_kind::binary:
    case logical_kind::varbinary: {
      std::string_view b = r.get_string(slot);
      if (json) { // Flink's json writes bytes as base64
        static const char* alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        out += '"';
        std::size_t i = 0;
        for (; i + 2 < b.size(); i += 3) {
          const unsigned v = (static_cast<unsigned char>(b[i]) << 16) |
                             (static_cast<unsigned char>(b[i + 1]) << 8) |
                             static_cast<unsigned char>(b[i + 2]);
          out += alphabet[(v >> 18) & 63];
          out += alphabet[(v >> 12) & 63];
          out += alphabet[(v >> 6) & 63];
          out += alphabet[v & 63];
        }
        if (i < b.size()) {
          unsigned v = static_cast<unsigned char>(b[i]) << 16;
          if (i + 1 < b.size())
            v |= static_cast<unsigned char>(b[i + 1]) << 8;
          out += alphabet[(v >> 18) & 63];
          out += alphabet[(v >> 12) & 63];
          out += i + 1 < b.size() ? alphabet[(v >> 6) & 63] : '=';
          out += '=';
        }
        out += '"';
        break;
      }
      out += '[';
      for (std::size_t i = 0; i < b.size(); ++i) {
        if (i)
          out += json ? "," : ", ";
        out += std::to_string(static_cast<int>(static_cast<signed char>(b[i])));
      }
      out += ']';
      break;
    }
    case logical_kind::date:
      if (json)
        out += '"';
      append_date(out, r.get_long(slot));
      if (json)
        out += '"';
      break;
    case logical_kind::time:
      if (json) {
        out += '"';
        append_time(out, r.get_long(slot), 0);
        out += '"';
      } else {
        append_java_time(out, r.get_long(slot), false);
      }
      break;
    case logical_kind::timestamp:
    case logical_kind::timestamp_ltz:
      if (json)
        out += '"';
      append_text_timestamp(out, r.get_long(slot), t.kind == logical_kind::timestamp_ltz, json);
      if (json)
        out += '"';
      break;
    case logical_kind::row: {
      std::size_t s = slot + 1;
      out += json ? "{" : "+I[";
      for (std::size_t f = 0; f < t.fields.size(); ++f) {
        if (f)
          out += json ? "," : ", ";
        if (json) {
          append_json_string(out, t.fields[f].name);
          out += ':';
        }
        s = append_at(out, r, s, layout, json);
      }
      out += json ? "}" : "]";
      break;
    }
    case logical_kind::array:
    case logical_kind::map:
    case logical_kind::multiset:
      append_collection(out, r.get_string(slot), t, *layout.elements[slot], json);
      break;
    default:
      out += std::to_string(r.get_long(slot));
      break;
  }
  return slot + width;
}

} // namespace

void append_double(std::string& out, double d) { append_java_floating(out, d); }

void append_collection_text(std::string& out, std::string_view bytes, const logical_type& t,
                            const row_layout& el) {
  append_collection(out, bytes, t, el, false);
}

void append_value(std::string& out, const row& r, std::size_t slot, const row_layout& layout) {
  append_at(out, r, slot, layout, false);
}

std::string to_print_string(const row& r, const row_layout& layout) {
  std::string out = short_string(r.kind());
  out += '[';
  for (std::size_t c = 0; c < layout.columns.size(); ++c) {
    if (c)
      out += ", ";
    append_at(out, r, layout.first[c], layout, false);
  }
  out += ']';
  return out;
}

void append_json(std::string& out, const row& r, const row_layout& layout,
                 const std::vector<std::string>& names) {
  out += '{';
  for (std::size_t c = 0; c < layout.columns.size(); ++c) {
    if (c)
      out += ',';
    append_json_string(out, c < names.size() ? names[c] : "f" + std::to_string(c));
    out += ':';
    append_at(out, r, layout.first[c], layout, true);
  }
  out += '}';
}

namespace detail {

void append_json_value(std::string& out, const row& r, std::size_t slot, const row_layout& layout) {
  append_at(out, r, slot, layout, true);
}

void append_csv_array(std::string& out, std::string_view bytes, const row_layout& el,
                      const std::string& delimiter) {
  const collection_view v(bytes);
  const std::size_t w = el.slots();
  const std::size_t n = w == 0 ? 0 : v.slots() / w;
  for (std::size_t i = 0; i < n; ++i) {
    if (i)
      out += delimiter;
    const element_ref e{&v, i * w};
    if (e.is_null(0))
      continue;
    const logical_kind k = el.types[0].kind;
    if (k == logical_kind::char_ || k == logical_kind::varchar) {
      out += e.get_string(0);
      continue;
    }
    const std::size_t at = out.size();
    append_at(out, e, 0, el, true);
    if (out.size() >= at + 2 && out[at] == '"' && out.back() == '"') {
      out.pop_back();
      out.erase(at, 1);
    }
  }
}

} // namespace detail

} // namespace spate::sql
