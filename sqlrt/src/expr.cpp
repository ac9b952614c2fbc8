#include "spate/sqlrt/expr.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <limits>
#include <map>
#include <memory>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "spate/core/error.hpp"
#include "spate/sql/functions.hpp"
#include "spate/sqlrt/collection.hpp"

namespace spate::sql {

namespace {

using i128 = __int128;

enum class opcode : std::uint8_t {
  column,
  literal,
  neg,
  add,
  sub,
  mul,
  div,
  mod,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  distinct,
  not_distinct,
  and_,
  or_,
  not_,
  is_null,
  is_not_null,
  is_true,
  is_not_true,
  is_false,
  is_not_false,
  case_,
  coalesce,
  if_,
  nullif,
  cast,
  upper,
  lower,
  char_length,
  concat,
  substring,
  trim_left,
  trim_right,
  abs,
  floor,
  ceil,
  extract,
  date_format,
  in,
  not_in,
  like,
  not_like,
  function, //!< one of `fn` below (node::fn)
  udf,      //!< a user-defined function (node::user)
  // ARRAY, MAP and MULTISET (collection.hpp): node::el is the element layout
  item,        //!< arr[i] (1-based) or map[key]: slot node::slot of the element
  cardinality, //!< CARDINALITY(arr|map|multiset)
  element,     //!< ELEMENT(arr)
  make_array,  //!< ARRAY[a, b, ...]
  make_map,    //!< MAP[k1, v1, k2, v2, ...]
  to_text,     //!< CAST(collection AS STRING): as the print connector writes it
};

//! The scalar functions beyond the operators: each one node with opcode::function.
enum class fn : std::uint8_t {
  // time
  now,          //!< PROCTIME, NOW, CURRENT_TIMESTAMP, CURRENT_ROW_TIMESTAMP, LOCALTIMESTAMP
  current_date, //!< CURRENT_DATE
  current_time, //!< CURRENT_TIME, LOCALTIME
  unix_timestamp,
  from_unixtime,
  to_timestamp,
  to_date,
  to_timestamp_ltz,
  floor_to, //!< FLOOR(x TO unit)
  ceil_to,  //!< CEIL(x TO unit)
  timestampadd,
  timestampdiff,
  // math
  power,
  atan2,
  sqrt,
  ln,
  log10,
  log2,
  log,
  exp,
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  cot,
  degrees,
  radians,
  sinh,
  cosh,
  tanh,
  pi,
  e,
  sign,
  round,
  truncate,
  greatest,
  least,
  // strings
  reverse,
  replace,
  position, //!< POSITION(needle IN haystack), LOCATE(needle, haystack[, from])
  instr,    //!< INSTR(haystack, needle)
  split_index,
  regexp_extract,
  regexp_replace,
  regexp,
  lpad,
  rpad,
  repeat,
  left,
  right,
  initcap,
  trim,
  concat_ws,
  ascii,
  chr,
  is_digit,
  is_alpha,
  is_decimal,
  hash_code,
};

//! The one-argument math functions on doubles, or null for another function.
double (*unary_math(fn f))(double) {
  switch (f) {
    case fn::sqrt:
      return [](double x) { return std::sqrt(x); };
    case fn::ln:
      return [](double x) { return std::log(x); };
    case fn::log10:
      return [](double x) { return std::log10(x); };
    case fn::log2:
      return [](double x) { return std::log2(x); };
    case fn::exp:
      return [](double x) { return std::exp(x); };
    case fn::sin:
      return [](double x) { return std::sin(x); };
    case fn::cos:
      return [](double x) { return std::cos(x); };
    case fn::tan:
      return [](double x) { return std::tan(x); };
    case fn::asin:
      return [](double x) { return std::asin(x); };
    case fn::acos:
      return [](double x) { return std::acos(x); };
    case fn::atan:
      return [](double x) { return std::atan(x); };
    case fn::cot:
      return [](double x) { return 1.0 / std::tan(x); };
    case fn::degrees:
      return [](double x) { return x * 180.0 / 3.14159265358979323846; };
    case fn::radians:
      return [](double x) { return x * 3.14159265358979323846 / 180.0; };
    case fn::sinh:
      return [](double x) { return std::sinh(x); };
    case fn::cosh:
      return [](double x) { return std::cosh(x); };
    case fn::tanh:
      return [](double x) { return std::tanh(x); };
    default:
      return nullptr;
  }
}

//! The domain operands are brought to: integer, decimal at a scale, double or string.
enum class domain : std::uint8_t { integer, decimal, floating, string };

[[noreturn]] void unsupported(const std::string& what) {
  throw error(errc::invalid_argument, "not supported yet: " + what);
}

std::int64_t pow10(int n) {
  static const std::int64_t table[] = {1,
                                       10,
                                       100,
                                       1000,
                                       10000,
                                       100000,
                                       1000000,
                                       10000000,
                                       100000000,
                                       1000000000,
                                       10000000000,
                                       100000000000,
                                       1000000000000,
                                       10000000000000,
                                       100000000000000,
                                       1000000000000000,
                                       10000000000000000,
                                       100000000000000000,
                                       1000000000000000000};
  return n >= 0 && n <= 18 ? table[n] : 0;
}

i128 pow10_128(int n) {
  i128 r = 1;
  for (int i = 0; i < n; ++i)
    r *= 10;
  return r;
}

//! Rescales an unscaled value from scale `from` to `to`, rounding half away from zero.
i128 rescale(i128 v, int from, int to) {
  if (to >= from)
    return v * pow10_128(to - from);
  const i128 div = pow10_128(from - to);
  i128 q = v / div;
  i128 r = v % div;
  if (r < 0)
    r = -r;
  if (r * 2 >= div)
    q += v < 0 ? -1 : 1;
  return q;
}

bool fits64(i128 v) {
  return v >= static_cast<i128>(std::numeric_limits<std::int64_t>::min()) &&
         v <= static_cast<i128>(std::numeric_limits<std::int64_t>::max());
}

domain domain_of(const logical_type& t) {
  switch (slot_kind_of(t)) {
    case slot_kind::floating:
      return domain::floating;
    case slot_kind::decimal:
      return domain::decimal;
    case slot_kind::string:
      return domain::string;
    default:
      return domain::integer;
  }
}

std::string upper_of(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++n;
  return n;
}

//! Byte offset of code point `cp` (0-based) in s, or s.size().
std::size_t utf8_offset(std::string_view s, std::int64_t cp) {
  std::size_t i = 0;
  std::int64_t seen = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == cp)
        return i;
      ++seen;
    }
  }
  return s.size();
}

bool parse_int(std::string_view s, std::int64_t& out) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  if (s.empty())
    return false;
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(tmp.c_str(), &end, 10);
  if (errno != 0 || end != tmp.c_str() + tmp.size())
    return false;
  out = v;
  return true;
}

bool parse_double(std::string_view s, double& out) {
  std::string tmp(s);
  char* end = nullptr;
  const char* b = tmp.c_str();
  while (*b && std::isspace(static_cast<unsigned char>(*b)))
    ++b;
  if (!*b)
    return false;
  out = std::strtod(b, &end);
  while (*end && std::isspace(static_cast<unsigned char>(*end)))
    ++end;
  return *end == '\0';
}

//! "123.456" (optionally signed) at `scale`.
bool parse_decimal(std::string_view s, int scale, std::int64_t& out) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty())
    return false;
  i128 v = 0;
  int frac = -1;
  bool digits = false;
  for (char c : s) {
    if (c == '.') {
      if (frac >= 0)
        return false;
      frac = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
      v = v * 10 + (c - '0');
      if (frac >= 0)
        ++frac;
      if (v > pow10_128(36))
        return false;
    } else if (c == 'e' || c == 'E') {
      double d;
      if (!parse_double(s, d))
        return false;
      out = static_cast<std::int64_t>(std::llround(d * static_cast<double>(pow10(scale))));
      if (neg)
        out = -out;
      return true;
    } else {
      return false;
    }
  }
  if (!digits)
    return false;
  i128 r = rescale(v, frac < 0 ? 0 : frac, scale);
  if (neg)
    r = -r;
  if (!fits64(r))
    return false;
  out = static_cast<std::int64_t>(r);
  return true;
}

bool parse_date(std::string_view s, std::int64_t& days) {
  int y = 0, m = 0, d = 0;
  std::string tmp(s.substr(0, std::min<std::size_t>(s.size(), 10)));
  if (std::sscanf(tmp.c_str(), "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
    return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool parse_time(std::string_view s, std::int64_t& ms) {
  int h = 0, mi = 0, sec = 0;
  std::string tmp(s);
  int n = 0;
  if (std::sscanf(tmp.c_str(), "%d:%d:%d%n", &h, &mi, &sec, &n) < 2)
    return false;
  std::int64_t frac = 0;
  if (n > 0 && static_cast<std::size_t>(n) < tmp.size() &&
      tmp[static_cast<std::size_t>(n)] == '.') {
    int digits = 0;
    for (std::size_t i = static_cast<std::size_t>(n) + 1; i < tmp.size() && digits < 3;
         ++i, ++digits)
      if (std::isdigit(static_cast<unsigned char>(tmp[i])))
        frac = frac * 10 + (tmp[i] - '0');
      else
        break;
    while (digits < 3) {
      frac *= 10;
      ++digits;
    }
  }
  ms = ((static_cast<std::int64_t>(h) * 60 + mi) * 60 + sec) * 1000 + frac;
  return true;
}

bool parse_timestamp(std::string_view s, std::int64_t& ms) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  std::int64_t days;
  if (!parse_date(s, days))
    return false;
  std::int64_t t = 0;
  if (s.size() > 11 && (s[10] == ' ' || s[10] == 'T') && !parse_time(s.substr(11), t))
    return false;
  ms = days * 86'400'000 + t;
  return true;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

//! Integer results wrap at their type's width, as Java's int arithmetic in Flink's code does.
std::int64_t narrow(std::int64_t v, logical_kind k) {
  switch (k) {
    case logical_kind::tinyint:
      return static_cast<std::int8_t>(v);
    case logical_kind::smallint:
      return static_cast<std::int16_t>(v);
    case logical_kind::int_:
      return static_cast<std::int32_t>(v);
    default:
      return v;
  }
}

//! The epoch ms of a TIMESTAMP/DATE/TIME value kept as integer.
std::int64_t to_epoch_ms(std::int64_t v, logical_kind k) {
  return k == logical_kind::date ? v * 86'400'000 : v;
}

std::int64_t extract_field(const std::string& unit, std::int64_t v, logical_kind k) {
  const std::int64_t ms = to_epoch_ms(v, k);
  const std::int64_t days = floor_div(ms, 86'400'000);
  const std::int64_t in_day = ms - days * 86'400'000;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (unit == "YEAR")
    return y;
  if (unit == "QUARTER")
    return (m - 1) / 3 + 1;
  if (unit == "MONTH")
    return m;
  if (unit == "DAY" || unit == "DAYOFMONTH")
    return d;
  if (unit == "HOUR")
    return in_day / 3'600'000;
  if (unit == "MINUTE")
    return (in_day / 60'000) % 60;
  if (unit == "SECOND")
    return (in_day / 1000) % 60;
  if (unit == "MILLISECOND")
    return in_day % 1000;
  if (unit == "DOW" || unit == "DAYOFWEEK")
    return ((days % 7) + 7 + 4) % 7 + 1; // 1970-01-01 was a Thursday; Sunday = 1
  if (unit == "DOY" || unit == "DAYOFYEAR")
    return days - days_from_civil(y, 1, 1) + 1;
  if (unit == "EPOCH")
    return floor_div(ms, 1000);
  unsupported("EXTRACT(" + unit + " FROM ...)");
}

//! Parses `s` with a Java SimpleDateFormat pattern (yyyy, yy, MM, dd, HH, mm, ss, SSS and
//! quoted or other literal characters) into epoch ms; false when it does not match.
bool parse_with_pattern(std::string_view s, std::string_view pattern, std::int64_t& ms) {
  std::int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0;
  std::size_t at = 0;
  auto digits = [&](std::size_t n, std::int64_t& out) {
    if (at + n > s.size())
      return false;
    std::int64_t v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[at + k];
      if (c < '0' || c > '9')
        return false;
      v = v * 10 + (c - '0');
    }
    at += n;
    out = v;
    return true;
  };
  for (std::size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    std::size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == c)
      ++n;
    bool ok = true;
    switch (c) {
      case 'y':
        ok = digits(n == 2 ? 2 : 4, y);
        if (n == 2)
          y += 2000;
        break;
      case 'M':
        ok = digits(2, mo);
        break;
      case 'd':
        ok = digits(2, d);
        break;
      case 'H':
        ok = digits(2, h);
        break;
      case 'm':
        ok = digits(2, mi);
        break;
      case 's':
        ok = digits(2, sec);
        break;
      case 'S': {
        ok = digits(n, frac);
        for (std::size_t k = n; k < 3; ++k)
          frac *= 10;
        for (std::size_t k = 3; k < n; ++k)
          frac /= 10;
        break;
      }
      case '\'': {
        std::size_t j = i + 1;
        while (j < pattern.size() && pattern[j] != '\'') {
          if (at >= s.size() || s[at] != pattern[j])
            return false;
          ++at;
          ++j;
        }
        n = j + 1 - i;
        break;
      }
      default:
        for (std::size_t k = 0; k < n; ++k, ++at)
          if (at >= s.size() || s[at] != c)
            return false;
    }
    if (!ok)
      return false;
    i += n;
  }
  if (at != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
    return false;
  ms = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400'000 +
       h * 3'600'000 + mi * 60'000 + sec * 1000 + frac;
  return true;
}

//! FLOOR or CEIL of epoch ms to a unit (SECOND ... YEAR).
std::int64_t floor_ceil_to(std::int64_t ms, const std::string& unit, bool ceil) {
  std::int64_t step = 0;
  if (unit == "MILLISECOND")
    step = 1;
  else if (unit == "SECOND")
    step = 1000;
  else if (unit == "MINUTE")
    step = 60'000;
  else if (unit == "HOUR")
    step = 3'600'000;
  else if (unit == "DAY")
    step = 86'400'000;
  else if (unit == "WEEK")
    step = 7 * 86'400'000LL; // handled below: weeks start on Sunday, as Calcite's
  if (unit == "WEEK") {
    const std::int64_t days = floor_div(ms, 86'400'000);
    const std::int64_t dow = ((days % 7) + 7 + 4) % 7; // 0 = Sunday
    const std::int64_t start = (days - dow) * 86'400'000;
    return ceil && start != ms ? start + step : start;
  }
  if (step != 0) {
    const std::int64_t f = floor_div(ms, step) * step;
    return ceil && f != ms ? f + step : f;
  }
  const std::int64_t days = floor_div(ms, 86'400'000);
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  unsigned first_month = 1;
  if (unit == "MONTH")
    first_month = m;
  else if (unit == "QUARTER")
    first_month = (m - 1) / 3 * 3 + 1;
  else if (unit != "YEAR")
    unsupported("FLOOR/CEIL(... TO " + unit + ")");
  const std::int64_t f = days_from_civil(y, first_month, 1) * 86'400'000;
  if (!ceil || f == ms)
    return f;
  unsigned months = unit == "MONTH" ? 1 : unit == "QUARTER" ? 3 : 12;
  std::int64_t ny = y;
  unsigned nm = first_month + months;
  if (nm > 12) {
    nm -= 12;
    ++ny;
  }
  return days_from_civil(ny, nm, 1) * 86'400'000;
}

//! ms added to `ms` by `n` of `unit`, months and years on the calendar.
std::int64_t add_units(std::int64_t ms, std::int64_t n, const std::string& unit) {
  if (unit == "SECOND")
    return ms + n * 1000;
  if (unit == "MINUTE")
    return ms + n * 60'000;
  if (unit == "HOUR")
    return ms + n * 3'600'000;
  if (unit == "DAY")
    return ms + n * 86'400'000;
  if (unit == "WEEK")
    return ms + n * 7 * 86'400'000;
  std::int64_t months = unit == "MONTH"     ? n
                        : unit == "QUARTER" ? 3 * n
                        : unit == "YEAR"    ? 12 * n
                                            : 0;
  if (months == 0 && n != 0)
    unsupported("TIMESTAMPADD(" + unit + ", ...)");
  const std::int64_t days = floor_div(ms, 86'400'000);
  const std::int64_t in_day = ms - days * 86'400'000;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  std::int64_t total = y * 12 + (m - 1) + months;
  const std::int64_t ny = floor_div(total, 12);
  const auto nm = static_cast<unsigned>(total - ny * 12 + 1);
  static const unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned last = month_days[nm - 1];
  if (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0))
    last = 29;
  return days_from_civil(ny, nm, std::min(d, last)) * 86'400'000 + in_day;
}

//! Whole `unit`s from `a` to `b` (TIMESTAMPDIFF), months and years on the calendar.
std::int64_t diff_units(std::int64_t a, std::int64_t b, const std::string& unit) {
  if (unit == "SECOND")
    return (b - a) / 1000;
  if (unit == "MINUTE")
    return (b - a) / 60'000;
  if (unit == "HOUR")
    return (b - a) / 3'600'000;
  if (unit == "DAY")
    return (b - a) / 86'400'000;
  if (unit == "WEEK")
    return (b - a) / (7 * 86'400'000LL);
  const std::int64_t per = unit == "MONTH" ? 1 : unit == "QUARTER" ? 3 : unit == "YEAR" ? 12 : 0;
  if (per == 0)
    unsupported("TIMESTAMPDIFF(" + unit + ", ...)");
  auto months_of = [](std::int64_t ms, std::int64_t& rest) {
    const std::int64_t days = floor_div(ms, 86'400'000);
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    rest = ms - days_from_civil(y, m, 1) * 86'400'000;
    return y * 12 + (m - 1);
  };
  std::int64_t ra, rb;
  std::int64_t months = months_of(b, rb) - months_of(a, ra);
  if (months > 0 && rb < ra)
    --months;
  else if (months < 0 && rb > ra)
    ++months;
  return months / per;
}

//! Java's String.hashCode of UTF-16 code units (ASCII and the BMP as Java sees them).
std::int32_t java_hash(std::string_view s) {
  std::uint32_t h = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xf0 && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3fu) << 6) |
           (static_cast<unsigned char>(s[i + 3]) & 0x3fu);
      len = 4;
    } else if (c >= 0xe0 && i + 2 < s.size()) {
      cp = ((c & 0x0fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3fu);
      len = 3;
    } else if (c >= 0xc0 && i + 1 < s.size()) {
      cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
      len = 2;
    }
    if (cp >= 0x10000) { // a surrogate pair
      cp -= 0x10000;
      h = 31 * h + (0xd800 + (cp >> 10));
      h = 31 * h + (0xdc00 + (cp & 0x3ff));
    } else {
      h = 31 * h + cp;
    }
    i += len;
  }
  return static_cast<std::int32_t>(h);
}

//! Java SimpleDateFormat letters Flink's DATE_FORMAT takes: yyyy, yy, MM, dd, HH, mm, ss, SSS.
void format_date(std::string& out, std::int64_t ms, std::string_view pattern) {
  const std::int64_t days = floor_div(ms, 86'400'000);
  const std::int64_t in_day = ms - days * 86'400'000;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  auto pad = [&out](std::int64_t v, std::size_t w) {
    std::string s = std::to_string(v);
    if (s.size() < w)
      out.append(w - s.size(), '0');
    out += s;
  };
  for (std::size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    std::size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == c)
      ++n;
    switch (c) {
      case 'y':
        if (n == 2)
          pad(y % 100, 2);
        else
          pad(y, n);
        break;
      case 'M':
        pad(m, n);
        break;
      case 'd':
        pad(d, n);
        break;
      case 'H':
        pad(in_day / 3'600'000, n);
        break;
      case 'm':
        pad((in_day / 60'000) % 60, n);
        break;
      case 's':
        pad((in_day / 1000) % 60, n);
        break;
      case 'S':
        pad(in_day % 1000, n);
        break;
      case '\'': {
        std::size_t j = i + 1;
        while (j < pattern.size() && pattern[j] != '\'')
          out += pattern[j++];
        n = j + 1 - i;
        break;
      }
      default:
        out.append(n, c);
    }
    i += n;
  }
}

bool like_match(std::string_view s, std::string_view p, char escape) {
  // Iterative matcher with backtracking on the last '%'.
  std::size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && escape && p[pi] == escape && pi + 1 < p.size()) {
      if (p[pi + 1] == s[si]) {
        pi += 2;
        ++si;
        continue;
      }
    } else if (pi < p.size() && p[pi] == '%') {
      star_p = pi++;
      star_s = si;
      continue;
    } else if (pi < p.size() && (p[pi] == '_' || p[pi] == s[si])) {
      ++pi;
      ++si;
      continue;
    }
    if (star_p == std::string_view::npos)
      return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '%')
    ++pi;
  return pi == p.size();
}

} // namespace

struct compiled_expr::node {
  opcode op = opcode::literal;
  logical_type type;
  domain dom = domain::integer; //!< the node's result domain
  domain operand_dom = domain::integer;
  int operand_scale = 0; //!< comparisons, IN: the scale decimals are brought to
  std::vector<int> kids;
  std::size_t slot = 0;
  value lit;
  std::string text;    //!< a literal string, the EXTRACT unit, a fixed pattern
  std::string scratch; //!< strings this node builds
  bool try_cast = false;
  fn func = fn::now; //!< opcode::function: which
  //! Used by more than one node or root (a common subexpression): its value is kept for the
  //! row at hand (`memo_epoch`, compiled_expr::epoch_) and not evaluated again on that row.
  bool memo = false;
  std::uint64_t memo_epoch = 0;
  value memo_value;
  //! The collection opcodes: the layout of one element of the (first) collection operand.
  std::shared_ptr<const row_layout> el;
  collection_builder builder; //!< make_array, make_map
  std::vector<value> vals;    //!< make_map: the evaluated operands
  //! REGEXP_*: the pattern compiled for `text` (a literal pattern compiles once; another is
  //! recompiled when it changes).
  struct regex {
    //! A compiled pattern: immutable, so copies of the node share it.
    struct code {
      pcre2_code* p = nullptr;
      ~code() { pcre2_code_free(p); }
    };
    struct match_data_free {
      void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
    };
    std::shared_ptr<const code> compiled;
    //! Per copy of the node (a node's copy runs on another thread): never shared.
    std::unique_ptr<pcre2_match_data, match_data_free> match;
    regex() = default;
    regex(const regex& o) : compiled(o.compiled) {}
    regex& operator=(const regex& o) {
      compiled = o.compiled;
      match.reset();
      return *this;
    }
    regex(regex&&) noexcept = default;
    regex& operator=(regex&&) noexcept = default;
  } re;
  //! opcode::udf: the function's class and this copy's instance (made on first use in the
  //! thread that evaluates it: a copy of the node runs on another thread, with its own).
  struct user_function {
    std::shared_ptr<const function_definition> def;
    std::unique_ptr<scalar_function> instance;
    std::vector<value> args;
    user_function() = default;
    user_function(const user_function& o) : def(o.def), args(o.args.size()) {}
    user_function& operator=(const user_function& o) {
      def = o.def;
      args.assign(o.args.size(), value{});
      instance.reset();
      return *this;
    }
    user_function(user_function&&) noexcept = default;
    user_function& operator=(user_function&&) noexcept = default;
  } user;
};

namespace {

using node = compiled_expr::node;

std::int64_t as_scaled(const value& v, const node& n, int scale, bool& overflow) {
  switch (n.dom) {
    case domain::decimal: {
      i128 r = rescale(v.i, n.type.scale, scale);
      if (!fits64(r))
        overflow = true;
      return static_cast<std::int64_t>(r);
    }
    case domain::floating:
      return static_cast<std::int64_t>(std::llround(v.d * static_cast<double>(pow10(scale))));
    default: {
      i128 r = static_cast<i128>(v.i) * pow10_128(scale);
      if (!fits64(r))
        overflow = true;
      return static_cast<std::int64_t>(r);
    }
  }
}

double as_double(const value& v, const node& n) {
  switch (n.dom) {
    case domain::decimal:
      return static_cast<double>(v.i) / static_cast<double>(pow10(n.type.scale));
    case domain::floating:
      return v.d;
    default:
      return static_cast<double>(v.i);
  }
}

} // namespace

namespace {

//! Slot `slot` of a row or of a collection element into `out`, as a value of type `t`.
template <class In>
void load_from(const In& in, std::size_t slot, const logical_type& t, value& out) {
  out.null = in.is_null(slot);
  if (out.null)
    return;
  switch (slot_kind_of(t)) {
    case slot_kind::floating:
      out.d = in.get_double(slot);
      break;
    case slot_kind::string:
      out.s = in.get_string(slot);
      break;
    default:
      out.i = in.get_long(slot);
  }
}

} // namespace

void load_value(const row& r, std::size_t slot, const logical_type& t, value& out) {
  load_from(r, slot, t, out);
}

namespace {

//! Writes `v` of type `t` into slot `slot` of a row or of a collection being built.
template <class Out>
void store_into(const value& v, const logical_type& t, Out& out, std::size_t slot) {
  if (v.null) {
    out.set_null(slot);
    return;
  }
  switch (slot_kind_of(t)) {
    case slot_kind::floating:
      out.set_double(slot, v.d);
      break;
    case slot_kind::string:
      out.set_string(slot, v.s);
      break;
    default:
      out.set_long(slot, v.i);
  }
}

} // namespace

void store_value(const value& v, const logical_type& t, row& out, std::size_t slot) {
  store_into(v, t, out, slot);
}

value literal_value(const rex& e, std::string& storage) {
  value v;
  if (e.lit == literal_kind::null || e.type.kind == logical_kind::null)
    return v;
  v.null = false;
  const std::string& t = e.name;
  auto quoted = [&t](std::size_t skip) {
    // "DATE '2020-01-01'" -> 2020-01-01
    std::string body = t.substr(skip);
    if (body.size() >= 2 && body.front() == '\'' && body.back() == '\'')
      body = body.substr(1, body.size() - 2);
    return body;
  };
  switch (e.lit) {
    case literal_kind::boolean:
      v.i = t == "true" ? 1 : 0;
      break;
    case literal_kind::integer:
    case literal_kind::decimal:
    case literal_kind::approx:
      if (e.type.kind == logical_kind::decimal) {
        if (!parse_decimal(t, e.type.scale, v.i))
          unsupported("DECIMAL literal " + t + " beyond 18 digits");
      } else if (e.type.kind == logical_kind::double_ || e.type.kind == logical_kind::float_) {
        parse_double(t, v.d);
      } else {
        parse_int(t, v.i);
      }
      break;
    case literal_kind::string: {
      storage.clear();
      std::string body = quoted(0);
      for (std::size_t i = 0; i < body.size(); ++i) {
        storage += body[i];
        if (body[i] == '\'' && i + 1 < body.size() && body[i + 1] == '\'')
          ++i;
      }
      v.s = storage;
      break;
    }
    case literal_kind::binary: {
      std::string hex = quoted(1);
      storage.clear();
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        storage += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
      v.s = storage;
      break;
    }
    case literal_kind::date:
      parse_date(quoted(5), v.i);
      break;
    case literal_kind::time:
      parse_time(quoted(5), v.i);
      break;
    case literal_kind::timestamp:
      parse_timestamp(quoted(10), v.i);
      break;
    case literal_kind::interval:
      parse_int(e.unit, v.i);
      break;
    default:
      v.null = true;
  }
  return v;
}

namespace {

//! Whether a value of `from` is kept exactly as a value of `to` would be (a CAST between them
//! is the same bytes): same kinds, integers and floats only widening, decimals at the same
//! scale, strings to strings; collections and rows element by element.
bool same_representation(const logical_type& from, const logical_type& to) {
  const logical_kind f = from.kind, t = to.kind;
  auto is_int = [](logical_kind k) {
    return k == logical_kind::tinyint || k == logical_kind::smallint || k == logical_kind::int_ ||
           k == logical_kind::bigint;
  };
  auto width = [](logical_kind k) {
    return k == logical_kind::tinyint    ? 1
           : k == logical_kind::smallint ? 2
           : k == logical_kind::int_     ? 4
                                         : 8;
  };
  auto is_text = [](logical_kind k) {
    return k == logical_kind::char_ || k == logical_kind::varchar;
  };
  auto is_bytes = [](logical_kind k) {
    return k == logical_kind::binary || k == logical_kind::varbinary;
  };
  if (f == logical_kind::null)
    return true;
  if (is_int(f) && is_int(t))
    return width(t) >= width(f);
  if ((is_text(f) && is_text(t)) || (is_bytes(f) && is_bytes(t)))
    return true;
  if (f != t)
    return f == logical_kind::float_ && t == logical_kind::double_;
  switch (f) {
    case logical_kind::decimal:
      return from.scale == to.scale && to.precision >= from.precision;
    case logical_kind::array:
    case logical_kind::multiset:
    case logical_kind::map:
      if (from.elements.size() != to.elements.size())
        return false;
      for (std::size_t i = 0; i < from.elements.size(); ++i)
        if (!same_representation(from.elements[i], to.elements[i]))
          return false;
      return true;
    case logical_kind::row:
      if (from.fields.size() != to.fields.size())
        return false;
      for (std::size_t i = 0; i < from.fields.size(); ++i)
        if (!same_representation(from.fields[i].type, to.fields[i].type))
          return false;
      return true;
    default:
      return true;
  }
}

//! A rex's structure as text, for finding common subexpressions: everything operator== compares
//! and the type.
void append_structure(std::string& out, const rex& e) {
  out += std::to_string(static_cast<int>(e.kind));
  out += ':';
  out += to_string(e.type);
  out += ':';
  out += std::to_string(e.index);
  out += ':';
  out += std::to_string(e.name.size());
  out += ':';
  out += e.name;
  out += ':';
  out += std::to_string(static_cast<int>(e.lit));
  out += ':';
  out += std::to_string(e.unit.size());
  out += ':';
  out += e.unit;
  out += ':';
  out += std::to_string(e.udf.size());
  out += ':';
  out += e.udf;
  out += '(';
  for (const rex& o : e.operands) {
    append_structure(out, o);
    out += ',';
  }
  out += ')';
}

//! Whether `e` may be compiled once for all its occurrences: not when it calls a user-defined
//! function anywhere (which may not be deterministic).
bool shareable(const rex& e) {
  if (e.kind == rex_kind::call && !e.udf.empty())
    return false;
  for (const rex& o : e.operands)
    if (!shareable(o))
      return false;
  return true;
}

struct compiler {
  std::vector<node>& nodes;
  const row_layout& input;
  //! The node of each subexpression compiled so far, by its structure (append_structure).
  std::map<std::string, int> compiled = {};

  int add(node n) {
    nodes.push_back(std::move(n));
    return static_cast<int>(nodes.size()) - 1;
  }

  node make(opcode op, const logical_type& t) {
    node n;
    n.op = op;
    n.type = t;
    n.dom = t.kind == logical_kind::null ? domain::integer : domain_of(t);
    return n;
  }

  //! The slot a column reference or a chain of field accesses reads, or -1.
  long slot_of(const rex& e) {
    if (e.kind == rex_kind::input_ref) {
      if (e.index < 0 || static_cast<std::size_t>(e.index) >= input.first.size())
        throw error(errc::invalid_argument,
                    "SQL: column " + std::to_string(e.index) + " out of range");
      return static_cast<long>(input.first[static_cast<std::size_t>(e.index)]);
    }
    if (e.kind == rex_kind::field_access && !e.operands.empty()) {
      long base = slot_of(e.operands[0]);
      if (base < 0)
        return -1;
      const logical_type& rt = input.types[static_cast<std::size_t>(base)];
      std::size_t s = static_cast<std::size_t>(base) + 1;
      for (int f = 0; f < e.index && static_cast<std::size_t>(f) < rt.fields.size(); ++f)
        s += slot_width(rt.fields[static_cast<std::size_t>(f)].type);
      return static_cast<long>(s);
    }
    return -1;
  }

  //! A node converting `kid` to `t` when its domain or scale differs.
  int coerce(int kid, const logical_type& t) {
    const node& k = nodes[static_cast<std::size_t>(kid)];
    if (k.type.kind == logical_kind::null || t.kind == logical_kind::null)
      return kid;
    if (is_collection(t) || is_collection(k.type)) {
      if (!same_representation(k.type, t))
        unsupported("converting " + to_string(k.type) + " to " + to_string(t));
      return kid;
    }
    const domain want = domain_of(t);
    if (k.dom == want && (want != domain::decimal || k.type.scale == t.scale))
      return kid;
    node n = make(opcode::cast, t);
    n.kids = {kid};
    return add(std::move(n));
  }

  //! `e`'s node: the one compiled for an equal subexpression before, or a new one.
  int compile(const rex& e) {
    if (!shareable(e))
      return compile_new(e);
    std::string key;
    append_structure(key, e);
    auto it = compiled.find(key);
    if (it != compiled.end())
      return it->second;
    const int id = compile_new(e);
    compiled.emplace(std::move(key), id);
    return id;
  }

  int compile_new(const rex& e) {
    switch (e.kind) {
      case rex_kind::literal: {
        node n = make(opcode::literal, e.type);
        n.lit = literal_value(e, n.text);
        int id = add(std::move(n));
        node& added = nodes[static_cast<std::size_t>(id)];
        if (added.dom == domain::string && !added.lit.null)
          added.lit.s = added.text; // after the move, the view must point at the node's own copy
        return id;
      }
      case rex_kind::input_ref:
      case rex_kind::field_access: {
        long s = slot_of(e);
        if (s < 0 && e.kind == rex_kind::field_access) {
          // a field of an element: arr[i].f, map[k].f.g
          const rex* item = nullptr;
          const long sub = sub_slot(e, item);
          if (sub >= 0 && item) {
            if (e.type.kind == logical_kind::row)
              unsupported("ROW values in expressions");
            return compile_item(*item, static_cast<std::size_t>(sub), e.type);
          }
        }
        if (s < 0)
          unsupported("field access on an expression");
        if (e.type.kind == logical_kind::row)
          unsupported("ROW values in expressions");
        node n = make(opcode::column, e.type);
        n.slot = static_cast<std::size_t>(s);
        return add(std::move(n));
      }
      case rex_kind::call:
        return compile_call(e);
    }
    unsupported("expression");
  }

  //! The slot within an element that a chain of field accesses over an ITEM reads (`item` set
  //! to that ITEM), or -1.
  long sub_slot(const rex& e, const rex*& item) {
    if (e.kind == rex_kind::call && e.name == "ITEM" && e.operands.size() == 2) {
      item = &e;
      const logical_type& c = e.operands[0].type;
      return c.kind == logical_kind::map && c.elements.size() == 2
                 ? static_cast<long>(slot_width(c.elements[0]))
                 : 0;
    }
    if (e.kind != rex_kind::field_access || e.operands.empty())
      return -1;
    const long base = sub_slot(e.operands[0], item);
    const logical_type& rt = e.operands[0].type;
    if (base < 0 || rt.kind != logical_kind::row)
      return -1;
    long s = base + 1;
    for (int f = 0; f < e.index && static_cast<std::size_t>(f) < rt.fields.size(); ++f)
      s += static_cast<long>(slot_width(rt.fields[static_cast<std::size_t>(f)].type));
    return s;
  }

  //! ITEM(collection, index or key), reading slot `sub` of the element found, of type `t`.
  int compile_item(const rex& e, std::size_t sub, const logical_type& t) {
    const logical_type& c = e.operands[0].type;
    if (!is_collection(c) || c.kind == logical_kind::multiset)
      unsupported("ITEM on " + to_string(c));
    int coll = compile(e.operands[0]);
    int key = compile(e.operands[1]);
    if (c.kind == logical_kind::map) {
      const logical_type& kt = c.elements[0];
      if (kt.kind == logical_kind::row)
        unsupported("MAP keys of type ROW");
      const node& k = nodes[static_cast<std::size_t>(key)];
      if (k.type.kind != logical_kind::null &&
          (domain_of(kt) == domain::string) != (k.dom == domain::string))
        unsupported("looking up " + to_string(kt) + " keys with " + to_string(k.type));
      key = coerce(key, kt);
    } else {
      key = coerce(key, make_type(logical_kind::bigint));
    }
    node n = make(opcode::item, t);
    n.el = element_layout(c);
    n.slot = sub;
    n.kids = {coll, key};
    return add(std::move(n));
  }

  //! The collection functions and constructors, or -1 when `e` is not one of them.
  int compile_collection(const rex& e) {
    const std::string& f = e.name;
    if (f == "ITEM" && e.operands.size() == 2) {
      if (e.type.kind == logical_kind::row)
        unsupported("ROW values in expressions");
      const rex* item = nullptr;
      return compile_item(e, static_cast<std::size_t>(sub_slot(e, item)), e.type);
    }
    if ((f == "CARDINALITY" || f == "ELEMENT") && e.operands.size() == 1) {
      const logical_type& c = e.operands[0].type;
      if (!is_collection(c) || (f == "ELEMENT" && c.kind == logical_kind::map))
        unsupported("function " + f + " on " + to_string(c));
      if (f == "ELEMENT" && e.type.kind == logical_kind::row)
        unsupported("ROW values in expressions");
      node n = make(f == "CARDINALITY" ? opcode::cardinality : opcode::element, e.type);
      n.el = element_layout(c);
      n.kids = {compile(e.operands[0])};
      return add(std::move(n));
    }
    if (f == "ARRAY" || f == "MAP") {
      if (!is_collection(e.type))
        return -1;
      std::vector<int> kids = compile_all(e);
      node n = make(f == "ARRAY" ? opcode::make_array : opcode::make_map, e.type);
      n.el = element_layout(e.type);
      for (std::size_t i = 0; i < n.el->columns.size(); ++i)
        if (n.el->columns[i].kind == logical_kind::row)
          unsupported(f + "[...] of ROW values");
      for (std::size_t i = 0; i < kids.size(); ++i)
        kids[i] = coerce(kids[i], n.el->columns[f == "ARRAY" ? 0 : i % 2]);
      n.vals.resize(kids.size());
      n.kids = std::move(kids);
      return add(std::move(n));
    }
    if ((f == "CAST" || f == "TRY_CAST") && e.operands.size() == 1 &&
        (is_collection(e.type) || is_collection(e.operands[0].type))) {
      const logical_type& from = e.operands[0].type;
      int kid = compile(e.operands[0]);
      if (is_collection(from) &&
          (e.type.kind == logical_kind::varchar || e.type.kind == logical_kind::char_)) {
        node n = make(opcode::to_text, e.type);
        n.el = element_layout(from);
        n.kids = {kid};
        return add(std::move(n));
      }
      if (!same_representation(from, e.type))
        unsupported("CAST from " + to_string(from) + " to " + to_string(e.type));
      return kid;
    }
    return -1;
  }

  std::vector<int> compile_all(const rex& e) {
    std::vector<int> out;
    for (const rex& o : e.operands)
      out.push_back(compile(o));
    return out;
  }

  //! The domain and scale two operands are compared in.
  void comparison_domain(node& n, const std::vector<int>& kids) {
    bool str = false, flt = false, dec = false;
    int scale = 0;
    for (int k : kids) {
      const node& c = nodes[static_cast<std::size_t>(k)];
      if (c.type.kind == logical_kind::null)
        continue;
      str |= c.dom == domain::string;
      flt |= c.dom == domain::floating;
      if (c.dom == domain::decimal) {
        dec = true;
        scale = std::max(scale, c.type.scale);
      }
    }
    n.operand_dom = str   ? domain::string
                    : flt ? domain::floating
                    : dec ? domain::decimal
                          : domain::integer;
    n.operand_scale = scale;
  }

  //! The functions of `fn`, or -1 when `e` is not one of them.
  int compile_function(const rex& e) {
    static const std::vector<std::pair<std::string, fn>> table = {
        {"PROCTIME", fn::now},
        {"NOW", fn::now},
        {"CURRENT_TIMESTAMP", fn::now},
        {"CURRENT_ROW_TIMESTAMP", fn::now},
        {"LOCALTIMESTAMP", fn::now},
        {"CURRENT_DATE", fn::current_date},
        {"CURRENT_TIME", fn::current_time},
        {"LOCALTIME", fn::current_time},
        {"UNIX_TIMESTAMP", fn::unix_timestamp},
        {"FROM_UNIXTIME", fn::from_unixtime},
        {"TO_TIMESTAMP", fn::to_timestamp},
        {"TO_DATE", fn::to_date},
        {"TO_TIMESTAMP_LTZ", fn::to_timestamp_ltz},
        {"TIMESTAMPADD", fn::timestampadd},
        {"TIMESTAMPDIFF", fn::timestampdiff},
        {"POWER", fn::power},
        {"ATAN2", fn::atan2},
        {"SQRT", fn::sqrt},
        {"LN", fn::ln},
        {"LOG10", fn::log10},
        {"LOG2", fn::log2},
        {"LOG", fn::log},
        {"EXP", fn::exp},
        {"SIN", fn::sin},
        {"COS", fn::cos},
        {"TAN", fn::tan},
        {"ASIN", fn::asin},
        {"ACOS", fn::acos},
        {"ATAN", fn::atan},
        {"COT", fn::cot},
        {"DEGREES", fn::degrees},
        {"RADIANS", fn::radians},
        {"SINH", fn::sinh},
        {"COSH", fn::cosh},
        {"TANH", fn::tanh},
        {"PI", fn::pi},
        {"E", fn::e},
        {"SIGN", fn::sign},
        {"ROUND", fn::round},
        {"TRUNCATE", fn::truncate},
        {"GREATEST", fn::greatest},
        {"LEAST", fn::least},
        {"REVERSE", fn::reverse},
        {"REPLACE", fn::replace},
        {"POSITION", fn::position},
        {"LOCATE", fn::position},
        {"INSTR", fn::instr},
        {"SPLIT_INDEX", fn::split_index},
        {"REGEXP_EXTRACT", fn::regexp_extract},
        {"REGEXP_REPLACE", fn::regexp_replace},
        {"REGEXP", fn::regexp},
        {"LPAD", fn::lpad},
        {"RPAD", fn::rpad},
        {"REPEAT", fn::repeat},
        {"LEFT", fn::left},
        {"RIGHT", fn::right},
        {"INITCAP", fn::initcap},
        {"TRIM", fn::trim},
        {"BTRIM", fn::trim},
        {"CONCAT_WS", fn::concat_ws},
        {"ASCII", fn::ascii},
        {"CHR", fn::chr},
        {"IS_DIGIT", fn::is_digit},
        {"IS_ALPHA", fn::is_alpha},
        {"IS_DECIMAL", fn::is_decimal},
        {"HASH_CODE", fn::hash_code},
    };
    const std::string& f = e.name;
    fn which;
    if ((f == "FLOOR" || f == "CEIL" || f == "CEILING") && !e.unit.empty()) {
      which = f == "FLOOR" ? fn::floor_to : fn::ceil_to;
    } else {
      auto it =
          std::find_if(table.begin(), table.end(), [&f](const auto& p) { return p.first == f; });
      if (it == table.end())
        return -1;
      which = it->second;
    }
    std::vector<int> kids = compile_all(e);
    node n = make(opcode::function, e.type);
    n.func = which;
    n.text = upper_of(e.unit);
    const logical_type dbl = make_type(logical_kind::double_);
    const logical_type big = make_type(logical_kind::bigint);
    if (unary_math(which) != nullptr)
      for (int& k : kids)
        k = coerce(k, dbl);
    switch (which) {
      case fn::power:
      case fn::atan2:
      case fn::log:
        for (int& k : kids)
          k = coerce(k, dbl);
        break;
      case fn::sign:
      case fn::greatest:
      case fn::least:
        for (int& k : kids)
          k = coerce(k, e.type);
        break;
      case fn::round:
      case fn::truncate:
        if (kids.size() == 2 && e.operands[1].kind != rex_kind::literal)
          unsupported(f + " to a number of digits that is not a constant");
        if (kids.size() == 2) {
          n.lit = value{};
          n.lit.null = false;
          n.lit.i = literal_value(e.operands[1], n.scratch).i;
          kids.pop_back();
        }
        break;
      case fn::unix_timestamp:
      case fn::to_timestamp_ltz:
      case fn::from_unixtime:
      case fn::repeat:
      case fn::left:
      case fn::right:
      case fn::lpad:
      case fn::rpad:
      case fn::split_index:
      case fn::chr:
        for (std::size_t i = 0; i < kids.size(); ++i)
          if (nodes[static_cast<std::size_t>(kids[i])].dom != domain::string)
            kids[i] = coerce(kids[i], big);
        break;
      case fn::regexp_extract:
        if (kids.size() == 3)
          kids[2] = coerce(kids[2], big);
        break;
      case fn::timestampadd:
        kids[0] = coerce(kids[0], big);
        break;
      case fn::floor_to:
      case fn::ceil_to:
        floor_ceil_to(0, n.text, false); // refuses an unknown unit now
        break;
      default:
        break;
    }
    n.kids = std::move(kids);
    return add(std::move(n));
  }

  int compile_call(const rex& e) {
    const std::string& f = e.name;
    static const std::vector<std::pair<std::string, opcode>> simple = {
        {"=", opcode::eq},
        {"<>", opcode::ne},
        {"<", opcode::lt},
        {"<=", opcode::le},
        {">", opcode::gt},
        {">=", opcode::ge},
        {"IS DISTINCT FROM", opcode::distinct},
        {"IS NOT DISTINCT FROM", opcode::not_distinct},
        {"AND", opcode::and_},
        {"OR", opcode::or_},
        {"NOT", opcode::not_},
        {"IS NULL", opcode::is_null},
        {"IS NOT NULL", opcode::is_not_null},
        {"IS TRUE", opcode::is_true},
        {"IS NOT TRUE", opcode::is_not_true},
        {"IS FALSE", opcode::is_false},
        {"IS NOT FALSE", opcode::is_not_false},
        {"IS UNKNOWN", opcode::is_null},
        {"IS NOT UNKNOWN", opcode::is_not_null},
        {"UPPER", opcode::upper},
        {"LOWER", opcode::lower},
        {"CHAR_LENGTH", opcode::char_length},
        {"CHARACTER_LENGTH", opcode::char_length},
        {"||", opcode::concat},
        {"CONCAT", opcode::concat},
        {"SUBSTRING", opcode::substring},
        {"SUBSTR", opcode::substring},
        {"LTRIM", opcode::trim_left},
        {"RTRIM", opcode::trim_right},
        {"ABS", opcode::abs},
        {"FLOOR", opcode::floor},
        {"CEIL", opcode::ceil},
        {"CEILING", opcode::ceil},
        {"DATE_FORMAT", opcode::date_format},
        {"IN", opcode::in},
        {"NOT IN", opcode::not_in},
        {"LIKE", opcode::like},
        {"NOT LIKE", opcode::not_like},
        {"COALESCE", opcode::coalesce},
        {"IFNULL", opcode::coalesce},
        {"IF", opcode::if_},
        {"NULLIF", opcode::nullif},
        {"CASE", opcode::case_},
        {"CAST", opcode::cast},
        {"TRY_CAST", opcode::cast},
        {"MOD", opcode::mod},
        {"*", opcode::mul},
        {"/", opcode::div},
        {"EXTRACT", opcode::extract},
        {"YEAR", opcode::extract},
        {"QUARTER", opcode::extract},
        {"MONTH", opcode::extract},
        {"DAYOFMONTH", opcode::extract},
        {"DAYOFYEAR", opcode::extract},
        {"DAYOFWEEK", opcode::extract},
        {"HOUR", opcode::extract},
        {"MINUTE", opcode::extract},
        {"SECOND", opcode::extract},
    };
    if (!e.udf.empty()) {
      auto def = find_function_class(e.udf);
      if (!def)
        throw error(errc::invalid_argument, "function class '" + e.udf + "' of function '" +
                                                e.name + "' is not registered in this process");
      if (def->parameters.size() != e.operands.size())
        throw error(errc::invalid_argument,
                    "function '" + e.name + "' takes " + std::to_string(def->parameters.size()) +
                        " arguments, not " + std::to_string(e.operands.size()));
      std::vector<int> kids;
      for (std::size_t i = 0; i < e.operands.size(); ++i)
        kids.push_back(coerce(compile(e.operands[i]), def->parameters[i]));
      node n = make(opcode::udf, e.type);
      n.kids = std::move(kids);
      n.text = e.name;
      n.user.def = std::move(def);
      n.user.args.resize(n.kids.size());
      return add(std::move(n));
    }
    if (int id = compile_function(e); id >= 0)
      return id;
    if (int id = compile_collection(e); id >= 0)
      return id;
    opcode op;
    if (f == "+")
      op = opcode::add;
    else if (f == "-")
      op = e.operands.size() == 1 ? opcode::neg : opcode::sub;
    else {
      auto it =
          std::find_if(simple.begin(), simple.end(), [&f](const auto& p) { return p.first == f; });
      if (it == simple.end())
        unsupported("function " + f);
      op = it->second;
    }
    if ((op == opcode::floor || op == opcode::ceil) && !e.unit.empty())
      unsupported("function " + f + " ... TO " + e.unit);
    if ((op == opcode::trim_left || op == opcode::trim_right) && e.operands.size() != 1)
      unsupported("function " + f + " with characters to trim");
    std::vector<int> kids = compile_all(e);
    node n = make(op, e.type);
    n.try_cast = f == "TRY_CAST";
    switch (op) {
      case opcode::add:
      case opcode::sub:
      case opcode::mul:
      case opcode::div:
      case opcode::mod:
      case opcode::neg:
        for (int k : kids) {
          const node& c = nodes[static_cast<std::size_t>(k)];
          if (c.dom == domain::string)
            unsupported("arithmetic on strings");
          if (c.type.kind == logical_kind::interval_year_month &&
              e.type.kind != logical_kind::interval_year_month)
            unsupported("INTERVAL YEAR TO MONTH arithmetic on timestamps");
        }
        if (op == opcode::mul || op == opcode::div) {
          for (int k : kids)
            if (is_interval(nodes[static_cast<std::size_t>(k)].type))
              unsupported("multiplying or dividing intervals");
        }
        break;
      case opcode::eq:
      case opcode::ne:
      case opcode::lt:
      case opcode::le:
      case opcode::gt:
      case opcode::ge:
      case opcode::distinct:
      case opcode::not_distinct:
      case opcode::in:
      case opcode::not_in:
        comparison_domain(n, kids);
        for (std::size_t i = 0; i < kids.size(); ++i) {
          const node& c = nodes[static_cast<std::size_t>(kids[i])];
          if (!is_collection(c.type))
            continue;
          if (op != opcode::eq && op != opcode::ne && op != opcode::distinct &&
              op != opcode::not_distinct)
            unsupported("ordering " + to_string(c.type) + " values");
          // equal values have equal encodings when they are kept alike (collection.hpp)
          for (int o : kids) {
            const node& d = nodes[static_cast<std::size_t>(o)];
            if (!same_representation(d.type, c.type) && !same_representation(c.type, d.type))
              unsupported("comparing " + to_string(c.type) + " with " + to_string(d.type));
          }
        }
        if (n.operand_dom == domain::string)
          for (int k : kids) {
            const node& c = nodes[static_cast<std::size_t>(k)];
            if (c.type.kind != logical_kind::null && c.dom != domain::string)
              unsupported("comparing strings with " + to_string(c.type));
          }
        break;
      case opcode::case_: {
        // when, then, ..., else: thens and else to the result type
        for (std::size_t i = 0; i < kids.size(); ++i) {
          const bool is_then = (i % 2 == 1) || (i + 1 == kids.size() && kids.size() % 2 == 1);
          if (is_then)
            kids[i] = coerce(kids[i], e.type);
        }
        break;
      }
      case opcode::coalesce:
      case opcode::nullif:
        for (int& k : kids)
          k = coerce(k, e.type);
        break;
      case opcode::if_:
        for (std::size_t i = 1; i < kids.size(); ++i)
          kids[i] = coerce(kids[i], e.type);
        break;
      case opcode::cast: {
        const node& c = nodes[static_cast<std::size_t>(kids[0])];
        if (is_interval(e.type) || is_interval(c.type))
          unsupported("CAST between intervals and other types");
        break;
      }
      case opcode::extract:
        n.text = f == "EXTRACT" ? upper_of(e.unit) : f;
        if (n.text == "DAYOFMONTH")
          n.text = "DAY";
        extract_field(n.text, 0, logical_kind::timestamp); // refuses unknown units now
        break;
      case opcode::abs:
      case opcode::floor:
      case opcode::ceil:
        kids[0] = coerce(kids[0], e.type);
        break;
      default:
        break;
    }
    n.kids = std::move(kids);
    return add(std::move(n));
  }
};

} // namespace

compiled_expr::compiled_expr() = default;
// A copy (another subtask's) keeps no values of shared subexpressions: its first row is new.
compiled_expr::compiled_expr(const compiled_expr& o)
    : types_(o.types_), nodes_(o.nodes_), roots_(o.roots_), epoch_(o.epoch_ + 1) {}
compiled_expr::compiled_expr(compiled_expr&&) noexcept = default;
compiled_expr& compiled_expr::operator=(const compiled_expr& o) {
  if (this != &o) {
    types_ = o.types_;
    nodes_ = o.nodes_;
    roots_ = o.roots_;
    epoch_ = o.epoch_ + 1;
  }
  return *this;
}
compiled_expr& compiled_expr::operator=(compiled_expr&&) noexcept = default;
compiled_expr::~compiled_expr() = default;

compiled_expr::compiled_expr(const rex& e, const row_layout& input)
    : compiled_expr(std::vector<const rex*>{&e}, input) {}

compiled_expr::compiled_expr(const std::vector<const rex*>& roots, const row_layout& input) {
  compiler c{nodes_, input};
  for (const rex* e : roots) {
    types_.push_back(e->type);
    roots_.push_back(c.compile(*e));
  }
  // A node used twice (by two nodes, two roots or a node and a root) keeps its value per row;
  // columns and literals cost less to read again than to keep.
  std::vector<int> uses(nodes_.size(), 0);
  for (const node& n : nodes_)
    for (int k : n.kids)
      ++uses[static_cast<std::size_t>(k)];
  for (int r : roots_)
    ++uses[static_cast<std::size_t>(r)];
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    nodes_[i].memo =
        uses[i] > 1 && nodes_[i].op != opcode::column && nodes_[i].op != opcode::literal;
}

const logical_type& compiled_expr::type() const {
  static const logical_type none;
  return types_.empty() ? none : types_[0];
}

namespace {

struct evaluator {
  std::vector<node>& nodes;
  const row& in;
  std::uint64_t row_epoch; //!< the row's (compiled_expr::epoch_)

  //! A shared node is evaluated once per row: later uses take the value it kept (its strings
  //! are views into the row or into node scratch that nothing rewrites before the next row).
  void eval(int id, value& out) {
    node& n = nodes[static_cast<std::size_t>(id)];
    if (!n.memo)
      return compute(n, out);
    if (n.memo_epoch == row_epoch) {
      out = n.memo_value;
      return;
    }
    compute(n, out);
    n.memo_value = out;
    n.memo_epoch = row_epoch;
  }

  void compute(node& n, value& out) {
    switch (n.op) {
      case opcode::column:
        load_value(in, n.slot, n.type, out);
        return;
      case opcode::literal:
        out = n.lit;
        if (n.dom == domain::string && !out.null)
          out.s = n.text; // the node's own copy (nodes are copied with their expression)
        return;
      case opcode::neg: {
        eval(n.kids[0], out);
        if (out.null)
          return;
        if (n.dom == domain::floating)
          out.d = -as_double(out, nodes[static_cast<std::size_t>(n.kids[0])]);
        else
          out.i = narrow(static_cast<std::int64_t>(0ull - static_cast<std::uint64_t>(out.i)),
                         n.type.kind);
        return;
      }
      case opcode::add:
      case opcode::sub:
      case opcode::mul:
      case opcode::div:
      case opcode::mod:
        return arithmetic(n, out);
      case opcode::eq:
      case opcode::ne:
      case opcode::lt:
      case opcode::le:
      case opcode::gt:
      case opcode::ge: {
        value a, b;
        eval(n.kids[0], a);
        eval(n.kids[1], b);
        out.null = a.null || b.null;
        if (out.null)
          return;
        const int c = compare(n, a, b, 0, 1);
        bool r = false;
        switch (n.op) {
          case opcode::eq:
            r = c == 0;
            break;
          case opcode::ne:
            r = c != 0;
            break;
          case opcode::lt:
            r = c < 0;
            break;
          case opcode::le:
            r = c <= 0;
            break;
          case opcode::gt:
            r = c > 0;
            break;
          default:
            r = c >= 0;
        }
        out.i = r;
        return;
      }
      case opcode::distinct:
      case opcode::not_distinct: {
        value a, b;
        eval(n.kids[0], a);
        eval(n.kids[1], b);
        bool same = (a.null && b.null) || (!a.null && !b.null && compare(n, a, b, 0, 1) == 0);
        out.null = false;
        out.i = (n.op == opcode::distinct) ? !same : same;
        return;
      }
      case opcode::and_:
      case opcode::or_: {
        // Three-valued: AND is false if any is false, else null if any is null.
        const bool is_and = n.op == opcode::and_;
        bool any_null = false;
        for (int k : n.kids) {
          value v;
          eval(k, v);
          if (v.null) {
            any_null = true;
            continue;
          }
          if ((v.i != 0) != is_and) {
            out.null = false;
            out.i = !is_and;
            return;
          }
        }
        out.null = any_null;
        out.i = is_and;
        return;
      }
      case opcode::not_:
        eval(n.kids[0], out);
        if (!out.null)
          out.i = !out.i;
        return;
      case opcode::is_null:
      case opcode::is_not_null: {
        eval(n.kids[0], out);
        const bool isnull = out.null;
        out.null = false;
        out.i = n.op == opcode::is_null ? isnull : !isnull;
        return;
      }
      case opcode::is_true:
      case opcode::is_not_true:
      case opcode::is_false:
      case opcode::is_not_false: {
        eval(n.kids[0], out);
        const bool t = !out.null && out.i != 0;
        const bool fl = !out.null && out.i == 0;
        out.null = false;
        out.i = n.op == opcode::is_true       ? t
                : n.op == opcode::is_not_true ? !t
                : n.op == opcode::is_false    ? fl
                                              : !fl;
        return;
      }
      case opcode::case_: {
        const std::size_t k = n.kids.size();
        for (std::size_t i = 0; i + 1 < k; i += 2) {
          value w;
          eval(n.kids[i], w);
          if (!w.null && w.i != 0) {
            eval(n.kids[i + 1], out);
            return;
          }
        }
        if (k % 2 == 1)
          eval(n.kids[k - 1], out);
        else
          out = value{};
        return;
      }
      case opcode::coalesce:
        for (int k : n.kids) {
          eval(k, out);
          if (!out.null)
            return;
        }
        return;
      case opcode::if_: {
        value c;
        eval(n.kids[0], c);
        eval(!c.null && c.i != 0 ? n.kids[1] : n.kids[2], out);
        return;
      }
      case opcode::nullif: {
        value b;
        eval(n.kids[0], out);
        eval(n.kids[1], b);
        if (!out.null && !b.null) {
          if (raw_equal(n, out, b))
            out = value{};
        }
        return;
      }
      case opcode::cast:
        return cast(n, out);
      case opcode::upper:
      case opcode::lower: {
        eval(n.kids[0], out);
        if (out.null)
          return;
        // ASCII letters only, as std::toupper/tolower in the C locale (the process never
        // changes it), without a library call per byte.
        n.scratch.assign(out.s.data(), out.s.size());
        if (n.op == opcode::upper) {
          for (char& c : n.scratch)
            if (c >= 'a' && c <= 'z')
              c = static_cast<char>(c - 'a' + 'A');
        } else {
          for (char& c : n.scratch)
            if (c >= 'A' && c <= 'Z')
              c = static_cast<char>(c - 'A' + 'a');
        }
        out.s = n.scratch;
        return;
      }
      case opcode::char_length:
        eval(n.kids[0], out);
        if (!out.null)
          out.i = static_cast<std::int64_t>(utf8_length(out.s));
        return;
      case opcode::concat: {
        n.scratch.clear();
        for (int k : n.kids) {
          value v;
          eval(k, v);
          if (v.null) {
            out = value{};
            return;
          }
          n.scratch.append(v.s.data(), v.s.size());
        }
        out.null = false;
        out.s = n.scratch;
        return;
      }
      case opcode::substring: {
        value s, from, len;
        eval(n.kids[0], s);
        eval(n.kids[1], from);
        if (n.kids.size() > 2)
          eval(n.kids[2], len);
        if (s.null || from.null || (n.kids.size() > 2 && len.null)) {
          out = value{};
          return;
        }
        const std::int64_t count = static_cast<std::int64_t>(utf8_length(s.s));
        std::int64_t start = from.i > 0 ? from.i - 1 : from.i < 0 ? count + from.i : 0;
        if (start < 0)
          start = 0;
        std::int64_t end = n.kids.size() > 2 ? start + std::max<std::int64_t>(len.i, 0) : count;
        end = std::min(end, count);
        out.null = false;
        if (start >= end) {
          out.s = {};
          return;
        }
        const std::size_t b = utf8_offset(s.s, start);
        const std::size_t e = utf8_offset(s.s, end);
        n.scratch.assign(s.s.data() + b, e - b);
        out.s = n.scratch;
        return;
      }
      case opcode::trim_left:
      case opcode::trim_right: {
        eval(n.kids[0], out);
        if (out.null)
          return;
        if (n.op == opcode::trim_left)
          while (!out.s.empty() && out.s.front() == ' ')
            out.s.remove_prefix(1);
        else
          while (!out.s.empty() && out.s.back() == ' ')
            out.s.remove_suffix(1);
        return;
      }
      case opcode::abs:
        eval(n.kids[0], out);
        if (out.null)
          return;
        if (n.dom == domain::floating)
          out.d = std::fabs(out.d);
        else if (out.i < 0)
          out.i = -out.i;
        return;
      case opcode::floor:
      case opcode::ceil: {
        eval(n.kids[0], out);
        if (out.null)
          return;
        if (n.dom == domain::floating) {
          out.d = n.op == opcode::floor ? std::floor(out.d) : std::ceil(out.d);
        } else if (n.dom == domain::decimal && n.type.scale > 0) {
          const std::int64_t p = pow10(n.type.scale);
          std::int64_t q = floor_div(out.i, p);
          if (n.op == opcode::ceil && q * p != out.i)
            ++q;
          out.i = q * p;
        }
        return;
      }
      case opcode::extract: {
        eval(n.kids.back(), out);
        if (out.null)
          return;
        out.i =
            extract_field(n.text, out.i, nodes[static_cast<std::size_t>(n.kids.back())].type.kind);
        return;
      }
      case opcode::date_format: {
        value ts, fmt;
        eval(n.kids[0], ts);
        eval(n.kids[1], fmt);
        if (ts.null || fmt.null) {
          out = value{};
          return;
        }
        const node& tk = nodes[static_cast<std::size_t>(n.kids[0])];
        std::int64_t ms = ts.i;
        if (tk.dom == domain::string && !parse_timestamp(ts.s, ms)) {
          out = value{};
          return;
        }
        n.scratch.clear();
        format_date(n.scratch, to_epoch_ms(ms, tk.type.kind), fmt.s);
        out.null = false;
        out.s = n.scratch;
        return;
      }
      case opcode::in:
      case opcode::not_in: {
        value x;
        eval(n.kids[0], x);
        if (x.null) {
          out = value{};
          return;
        }
        bool any_null = false;
        for (std::size_t i = 1; i < n.kids.size(); ++i) {
          value v;
          eval(n.kids[i], v);
          if (v.null) {
            any_null = true;
            continue;
          }
          if (compare(n, x, v, 0, i) == 0) {
            out.null = false;
            out.i = n.op == opcode::in;
            return;
          }
        }
        out.null = any_null;
        out.i = n.op != opcode::in;
        return;
      }
      case opcode::like:
      case opcode::not_like: {
        value s, p, esc;
        eval(n.kids[0], s);
        eval(n.kids[1], p);
        if (n.kids.size() > 2)
          eval(n.kids[2], esc);
        if (s.null || p.null || (n.kids.size() > 2 && esc.null)) {
          out = value{};
          return;
        }
        const bool m = like_match(s.s, p.s, n.kids.size() > 2 && !esc.s.empty() ? esc.s[0] : '\0');
        out.null = false;
        out.i = n.op == opcode::like ? m : !m;
        return;
      }
      case opcode::function:
        return function(n, out);
      case opcode::udf:
        return user_function(n, out);
      case opcode::item:
      case opcode::cardinality:
      case opcode::element:
      case opcode::make_array:
      case opcode::make_map:
      case opcode::to_text:
        return collection(n, out);
    }
  }

  //! Slot `s` of element `e` of `v` into `out`, as a value of type `t`.
  static void load_element(const collection_view& v, std::size_t s, const logical_type& t,
                           value& out) {
    load_from(v, s, t, out);
  }

  static void store_element(collection_builder& b, std::size_t s, const logical_type& t,
                            const value& v) {
    store_into(v, t, b, s);
  }

  static bool same_key(const value& a, const value& b, domain d) {
    if (a.null || b.null)
      return a.null && b.null;
    switch (d) {
      case domain::string:
        return a.s == b.s;
      case domain::floating:
        return a.d == b.d;
      default:
        return a.i == b.i;
    }
  }

  void collection(node& n, value& out) {
    const row_layout& el = *n.el;
    const std::size_t w = el.slots();
    switch (n.op) {
      case opcode::make_array:
      case opcode::make_map: {
        const bool is_map = n.op == opcode::make_map;
        for (std::size_t i = 0; i < n.kids.size(); ++i)
          eval(n.kids[i], n.vals[i]);
        n.builder.clear();
        const domain kd = domain_of(el.columns[0]);
        for (std::size_t i = 0; i < n.kids.size(); i += is_map ? 2 : 1) {
          std::size_t last = i; // a key given again: where it came first, its last value
          if (is_map) {
            bool earlier = false;
            for (std::size_t j = 0; j < i && !earlier; j += 2)
              earlier = same_key(n.vals[i], n.vals[j], kd);
            if (earlier)
              continue;
            for (std::size_t j = i + 2; j < n.kids.size(); j += 2)
              if (same_key(n.vals[i], n.vals[j], kd))
                last = j;
          }
          const std::size_t at = n.builder.add(w);
          store_element(n.builder, at, el.columns[0], n.vals[i]);
          if (is_map)
            store_element(n.builder, at + el.first[1], el.columns[1], n.vals[last + 1]);
        }
        n.builder.finish(n.scratch);
        out.null = false;
        out.s = n.scratch;
        return;
      }
      default:
        break;
    }
    value c;
    eval(n.kids[0], c);
    if (c.null) {
      out.null = true;
      return;
    }
    const collection_view v(c.s);
    const std::size_t count = w == 0 ? 0 : v.slots() / w;
    switch (n.op) {
      case opcode::cardinality:
        out.null = false;
        out.i = static_cast<std::int64_t>(count);
        return;
      case opcode::element:
        if (count > 1)
          throw error(errc::invalid_argument, "SQL: ELEMENT of an array of " +
                                                  std::to_string(count) +
                                                  " elements (it takes an array of at most one)");
        if (count == 0) {
          out.null = true;
          return;
        }
        load_element(v, 0, n.type, out);
        return;
      case opcode::to_text:
        n.scratch.clear();
        append_collection_text(n.scratch, c.s, nodes[static_cast<std::size_t>(n.kids[0])].type, el);
        out.null = false;
        out.s = n.scratch;
        return;
      default:
        break;
    }
    // opcode::item
    value k;
    eval(n.kids[1], k);
    out.null = true;
    if (k.null)
      return;
    if (nodes[static_cast<std::size_t>(n.kids[0])].type.kind == logical_kind::array) {
      if (k.i < 1 || static_cast<std::uint64_t>(k.i) > count)
        return; // out of range: NULL, as in Flink
      load_element(v, (static_cast<std::size_t>(k.i) - 1) * w + n.slot, n.type, out);
      return;
    }
    const domain kd = domain_of(el.columns[0]);
    for (std::size_t i = count; i-- > 0;) { // the last of equal keys
      value e;
      load_element(v, i * w, el.columns[0], e);
      if (!e.null && same_key(e, k, kd)) {
        load_element(v, i * w + n.slot, n.type, out);
        return;
      }
    }
  }

  //! A user-defined function: its arguments evaluated into the node's array (a NULL for a
  //! parameter that does not take NULL gives NULL without a call), then one call.
  void user_function(node& n, value& out) {
    auto& u = n.user;
    const function_definition& def = *u.def;
    for (std::size_t i = 0; i < n.kids.size(); ++i) {
      value& a = u.args[i];
      eval(n.kids[i], a);
      if (a.null && !def.accepts_null[i]) {
        out = value{};
        return;
      }
    }
    if (!u.instance) {
      u.instance = def.make();
      if (!u.instance)
        throw error(errc::invalid_argument,
                    "function class '" + def.class_name + "' made no instance");
    }
    out = value{};
    try {
      u.instance->eval(u.args.data(), out);
    } catch (const std::exception& e) {
      throw error(errc::invalid_argument,
                  "function '" + n.text + "' (" + def.class_name + ") failed: " + e.what());
    }
  }

  //! The node's pattern, compiled (and JIT-compiled) by PCRE2, Perl's syntax as Java's
  //! regular expressions mostly share it; compiled again only when the pattern changes. An
  //! invalid pattern gives none (the function's result is NULL, as Flink's). The node's match
  //! data is made on first use, in the thread that evaluates it.
  static pcre2_code* regex_of(node& n, std::string_view pattern) {
    if (!n.re.compiled || n.text != pattern) {
      n.text.assign(pattern.data(), pattern.size());
      n.re.match.reset();
      n.re.compiled = nullptr;
      int error = 0;
      PCRE2_SIZE offset = 0;
      pcre2_code* code =
          pcre2_compile(reinterpret_cast<PCRE2_SPTR>(n.text.data()), n.text.size(),
                        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
      if (code == nullptr)
        return nullptr;
      pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); // interpreted when JIT is not there
      auto c = std::make_shared<node::regex::code>();
      c->p = code;
      n.re.compiled = std::move(c);
    }
    if (!n.re.match)
      n.re.match.reset(pcre2_match_data_create_from_pattern(n.re.compiled->p, nullptr));
    return n.re.compiled->p;
  }

  void function(node& n, value& out) {
    value a, b, c;
    const std::size_t nk = n.kids.size();
    auto arg = [&](std::size_t i, value& v) {
      eval(n.kids[i], v);
      return !v.null;
    };
    auto kid = [&](std::size_t i) -> const node& {
      return nodes[static_cast<std::size_t>(n.kids[i])];
    };
    auto null = [&out] { out = value{}; };
    auto str = [&out, &n] {
      out.null = false;
      out.s = n.scratch;
    };
    auto num = [&out](double d) {
      out.null = std::isnan(d);
      out.d = d;
    };
    // Epoch ms of a temporal value (a DATE in days).
    auto epoch = [&](std::size_t i, const value& v) { return to_epoch_ms(v.i, kid(i).type.kind); };
    const auto wall = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
    if (const auto math = unary_math(n.func)) {
      if (!arg(0, a))
        return null();
      return num(math(a.d));
    }
    switch (n.func) {
      case fn::now:
        out.null = false;
        out.i = wall();
        return;
      case fn::current_date:
        out.null = false;
        out.i = floor_div(wall(), 86'400'000);
        return;
      case fn::current_time: {
        const std::int64_t ms = wall();
        out.null = false;
        out.i = ms - floor_div(ms, 86'400'000) * 86'400'000;
        return;
      }
      case fn::unix_timestamp: {
        if (nk == 0) {
          out.null = false;
          out.i = floor_div(wall(), 1000);
          return;
        }
        if (!arg(0, a) || (nk > 1 && !arg(1, b)))
          return null();
        std::int64_t ms;
        if (!(nk > 1 ? parse_with_pattern(a.s, b.s, ms)
                     : parse_with_pattern(a.s, "yyyy-MM-dd HH:mm:ss", ms)))
          return null();
        out.null = false;
        out.i = floor_div(ms, 1000);
        return;
      }
      case fn::from_unixtime:
        if (!arg(0, a) || (nk > 1 && !arg(1, b)))
          return null();
        n.scratch.clear();
        format_date(n.scratch, a.i * 1000, nk > 1 ? b.s : std::string_view("yyyy-MM-dd HH:mm:ss"));
        return str();
      case fn::to_timestamp:
      case fn::to_date: {
        if (!arg(0, a) || (nk > 1 && !arg(1, b)))
          return null();
        std::int64_t ms;
        bool ok = nk > 1                  ? parse_with_pattern(a.s, b.s, ms)
                  : n.func == fn::to_date ? parse_date(a.s, ms) && ((ms *= 86'400'000), true)
                                          : parse_timestamp(a.s, ms);
        if (!ok)
          return null();
        out.null = false;
        out.i = n.func == fn::to_date ? floor_div(ms, 86'400'000) : ms;
        return;
      }
      case fn::to_timestamp_ltz:
        if (!arg(0, a) || (nk > 1 && !arg(1, b)))
          return null();
        out.null = false;
        out.i = nk > 1 && b.i == 0 ? a.i * 1000 : a.i;
        return;
      case fn::floor_to:
      case fn::ceil_to: {
        if (!arg(0, a))
          return null();
        const std::int64_t ms = floor_ceil_to(epoch(0, a), n.text, n.func == fn::ceil_to);
        out.null = false;
        out.i = n.type.kind == logical_kind::date ? floor_div(ms, 86'400'000) : ms;
        return;
      }
      case fn::timestampadd: {
        if (!arg(0, a) || !arg(1, b))
          return null();
        const bool date = kid(1).type.kind == logical_kind::date;
        const std::int64_t ms = add_units(epoch(1, b), a.i, n.text);
        out.null = false;
        out.i = date ? floor_div(ms, 86'400'000) : ms;
        return;
      }
      case fn::timestampdiff:
        if (!arg(0, a) || !arg(1, b))
          return null();
        out.null = false;
        out.i = diff_units(epoch(0, a), epoch(1, b), n.text);
        return;
      case fn::pi:
        return num(3.14159265358979323846);
      case fn::e:
        return num(2.71828182845904523536);
      case fn::power:
      case fn::atan2:
      case fn::log:
        if (!arg(0, a) || (nk > 1 && !arg(1, b)))
          return null();
        if (n.func == fn::power)
          return num(std::pow(a.d, b.d));
        if (n.func == fn::atan2)
          return num(std::atan2(a.d, b.d));
        return num(nk > 1 ? std::log(b.d) / std::log(a.d) : std::log(a.d));
      case fn::sign:
        if (!arg(0, a))
          return null();
        out = a;
        if (n.dom == domain::floating)
          out.d = a.d > 0 ? 1.0 : a.d < 0 ? -1.0 : 0.0;
        else
          out.i = (a.i > 0   ? 1
                   : a.i < 0 ? -1
                             : 0) *
                  (n.dom == domain::decimal ? pow10(n.type.scale) : 1);
        return;
      case fn::round:
      case fn::truncate: {
        if (!arg(0, a))
          return null();
        const std::int64_t digits = n.lit.null ? 0 : n.lit.i;
        const bool round = n.func == fn::round;
        const node& x = kid(0);
        out.null = false;
        if (x.dom == domain::floating) {
          const double f = std::pow(10.0, static_cast<double>(digits));
          const double v = a.d * f;
          const double r =
              round ? (v < 0 ? -std::floor(-v + 0.5) : std::floor(v + 0.5)) : std::trunc(v);
          const double res = r / f;
          if (n.dom == domain::floating)
            out.d = res;
          else
            out.i = static_cast<std::int64_t>(res);
          return;
        }
        // Integers and decimals: unscaled at the input's scale, to `digits` places, then to
        // the result's scale.
        const int in_scale = x.dom == domain::decimal ? x.type.scale : 0;
        std::int64_t v = a.i;
        const std::int64_t drop = in_scale - digits;
        if (drop > 0) {
          const std::int64_t p = drop > 18 ? 0 : pow10(static_cast<int>(drop));
          if (p == 0) {
            v = 0;
          } else {
            std::int64_t q = v / p, rem = v % p;
            if (round && 2 * (rem < 0 ? -rem : rem) >= p)
              q += v < 0 ? -1 : 1;
            v = q * p;
          }
        }
        const int out_scale = n.dom == domain::decimal ? n.type.scale : 0;
        if (out_scale < in_scale)
          v /= pow10(in_scale - out_scale);
        else if (out_scale > in_scale)
          v *= pow10(out_scale - in_scale);
        if (n.dom == domain::floating)
          out.d = static_cast<double>(v) / static_cast<double>(pow10(out_scale));
        else
          out.i = v;
        return;
      }
      case fn::greatest:
      case fn::least: {
        if (!arg(0, out))
          return null();
        for (std::size_t i = 1; i < nk; ++i) {
          if (!arg(i, b))
            return null();
          int cmp;
          if (n.dom == domain::string)
            cmp = b.s < out.s ? -1 : b.s == out.s ? 0 : 1;
          else if (n.dom == domain::floating)
            cmp = b.d < out.d ? -1 : b.d == out.d ? 0 : 1;
          else
            cmp = b.i < out.i ? -1 : b.i == out.i ? 0 : 1;
          if ((n.func == fn::greatest && cmp > 0) || (n.func == fn::least && cmp < 0))
            out = b;
        }
        if (n.dom == domain::string) {
          n.scratch.assign(out.s.data(), out.s.size());
          out.s = n.scratch;
        }
        return;
      }
      case fn::reverse: {
        if (!arg(0, a))
          return null();
        n.scratch.clear();
        for (std::size_t i = a.s.size(); i > 0;) {
          std::size_t start = i - 1;
          while (start > 0 && (static_cast<unsigned char>(a.s[start]) & 0xc0) == 0x80)
            --start;
          n.scratch.append(a.s.data() + start, i - start);
          i = start;
        }
        return str();
      }
      case fn::replace: {
        if (!arg(0, a) || !arg(1, b) || !arg(2, c))
          return null();
        n.scratch.clear();
        if (b.s.empty()) {
          n.scratch.assign(a.s.data(), a.s.size());
          return str();
        }
        std::size_t at = 0;
        for (std::size_t f; (f = a.s.find(b.s, at)) != std::string_view::npos;
             at = f + b.s.size()) {
          n.scratch.append(a.s.data() + at, f - at);
          n.scratch.append(c.s.data(), c.s.size());
        }
        n.scratch.append(a.s.data() + at, a.s.size() - at);
        return str();
      }
      case fn::position:
      case fn::instr: {
        // POSITION(needle IN haystack) / LOCATE(needle, haystack[, from]); INSTR(haystack, needle).
        const std::size_t hay = n.func == fn::instr ? 0 : 1;
        if (!arg(hay, a) || !arg(1 - hay, b) || (nk > 2 && !arg(2, c)))
          return null();
        const std::int64_t from = nk > 2 ? c.i : 1;
        out.null = false;
        if (from < 1) {
          out.i = 0;
          return;
        }
        const std::size_t start = utf8_offset(a.s, from - 1);
        const std::size_t f = start > a.s.size() ? std::string_view::npos : a.s.find(b.s, start);
        out.i = f == std::string_view::npos
                    ? 0
                    : static_cast<std::int64_t>(utf8_length(a.s.substr(0, f))) + 1;
        return;
      }
      case fn::split_index: {
        if (!arg(0, a) || !arg(1, b) || !arg(2, c) || c.i < 0 || b.s.empty())
          return null();
        // A one-byte separator (the common '/' or ','): memchr rather than a substring search.
        auto find = [&a, &b](std::size_t from) {
          return b.s.size() == 1 ? a.s.find(b.s[0], from) : a.s.find(b.s, from);
        };
        std::size_t at = 0;
        for (std::int64_t i = 0; i < c.i; ++i) {
          const std::size_t f = find(at);
          if (f == std::string_view::npos)
            return null();
          at = f + b.s.size();
        }
        const std::size_t end = find(at);
        n.scratch.assign(
            a.s.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
        return str();
      }
      case fn::regexp_extract:
      case fn::regexp_replace:
      case fn::regexp: {
        if (!arg(0, a) || !arg(1, b) || (nk > 2 && !arg(2, c)))
          return null();
        pcre2_code* re = regex_of(n, b.s);
        if (re == nullptr)
          return null();
        const auto subject = reinterpret_cast<PCRE2_SPTR>(a.s.data());
        if (n.func == fn::regexp_replace) {
          // Every match replaced (Java's replaceAll); $1 and ${1} name groups.
          PCRE2_SIZE length = n.scratch.capacity() > 0 ? n.scratch.capacity() : 64;
          for (int attempt = 0; attempt < 2; ++attempt) {
            n.scratch.resize(length);
            length = n.scratch.size();
            const int rc = pcre2_substitute(
                re, subject, a.s.size(), 0,
                PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, n.re.match.get(),
                nullptr, reinterpret_cast<PCRE2_SPTR>(c.s.data()), c.s.size(),
                reinterpret_cast<PCRE2_UCHAR*>(n.scratch.data()), &length);
            if (rc >= 0) {
              n.scratch.resize(length);
              return str();
            }
            if (rc != PCRE2_ERROR_NOMEMORY)
              return null(); // a bad replacement ($9 of a pattern with fewer groups)
            // `length` is now what the result needs: once more, with room for it.
          }
          return null();
        }
        const int rc = pcre2_match(re, subject, a.s.size(), 0, 0, n.re.match.get(), nullptr);
        if (n.func == fn::regexp) {
          out.null = false;
          out.i = rc >= 0;
          return;
        }
        const std::int64_t group = nk > 2 ? c.i : 1;
        if (rc < 0 || group < 0 || group >= rc)
          return null();
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(n.re.match.get());
        const auto g = static_cast<std::size_t>(group);
        if (ov[2 * g] == PCRE2_UNSET)
          return null();
        n.scratch.assign(a.s.data() + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        return str();
      }
      case fn::lpad:
      case fn::rpad: {
        if (!arg(0, a) || !arg(1, b) || !arg(2, c) || b.i < 0)
          return null();
        const auto len = static_cast<std::size_t>(b.i);
        const std::size_t have = utf8_length(a.s);
        n.scratch.clear();
        if (have >= len) {
          n.scratch.assign(a.s.substr(0, utf8_offset(a.s, b.i)));
          return str();
        }
        if (c.s.empty())
          return null();
        std::string pad;
        for (std::size_t i = 0; i < len - have; ++i) {
          const std::size_t k = i % utf8_length(c.s);
          const std::size_t from = utf8_offset(c.s, static_cast<std::int64_t>(k));
          const std::size_t to = utf8_offset(c.s, static_cast<std::int64_t>(k + 1));
          pad.append(c.s.data() + from, to - from);
        }
        if (n.func == fn::lpad)
          n.scratch = pad + std::string(a.s);
        else
          n.scratch = std::string(a.s) + pad;
        return str();
      }
      case fn::repeat:
        if (!arg(0, a) || !arg(1, b))
          return null();
        n.scratch.clear();
        for (std::int64_t i = 0; i < b.i; ++i)
          n.scratch.append(a.s.data(), a.s.size());
        return str();
      case fn::left:
      case fn::right: {
        if (!arg(0, a) || !arg(1, b))
          return null();
        const auto len = static_cast<std::int64_t>(utf8_length(a.s));
        const std::int64_t k = std::max<std::int64_t>(0, std::min(b.i, len));
        if (n.func == fn::left)
          n.scratch.assign(a.s.substr(0, utf8_offset(a.s, k)));
        else
          n.scratch.assign(a.s.substr(utf8_offset(a.s, len - k)));
        return str();
      }
      case fn::initcap: {
        if (!arg(0, a))
          return null();
        n.scratch.assign(a.s.data(), a.s.size());
        bool start = true;
        for (char& ch : n.scratch) {
          const auto u = static_cast<unsigned char>(ch);
          if (std::isalnum(u)) {
            ch = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
            start = false;
          } else {
            start = true;
          }
        }
        return str();
      }
      case fn::trim:
        if (!arg(0, out))
          return null();
        while (!out.s.empty() && out.s.front() == ' ')
          out.s.remove_prefix(1);
        while (!out.s.empty() && out.s.back() == ' ')
          out.s.remove_suffix(1);
        return;
      case fn::concat_ws: {
        if (!arg(0, a))
          return null();
        std::string sep(a.s);
        n.scratch.clear();
        bool first = true;
        for (std::size_t i = 1; i < nk; ++i) {
          if (!arg(i, b))
            continue; // CONCAT_WS skips NULL arguments
          if (!first)
            n.scratch += sep;
          n.scratch.append(b.s.data(), b.s.size());
          first = false;
        }
        return str();
      }
      case fn::ascii:
        if (!arg(0, a))
          return null();
        out.null = false;
        out.i = a.s.empty() ? 0 : static_cast<unsigned char>(a.s[0]);
        return;
      case fn::chr:
        if (!arg(0, a) || a.i < 0 || a.i > 255)
          return null();
        n.scratch.assign(1, static_cast<char>(a.i));
        return str();
      case fn::is_digit:
      case fn::is_alpha:
      case fn::is_decimal: {
        if (!arg(0, a)) {
          out.null = false;
          out.i = 0;
          return;
        }
        bool ok = !a.s.empty();
        if (n.func == fn::is_decimal) {
          double d;
          ok = ok && parse_double(a.s, d);
        } else {
          for (char ch : a.s)
            ok = ok && (n.func == fn::is_digit ? std::isdigit(static_cast<unsigned char>(ch)) != 0
                                               : std::isalpha(static_cast<unsigned char>(ch)) != 0);
        }
        out.null = false;
        out.i = ok;
        return;
      }
      case fn::hash_code: {
        if (!arg(0, a))
          return null();
        out.null = false;
        if (kid(0).dom == domain::string) {
          out.i = java_hash(a.s);
        } else if (kid(0).dom == domain::floating) {
          std::uint64_t bits;
          std::memcpy(&bits, &a.d, 8);
          out.i = static_cast<std::int32_t>(bits ^ (bits >> 32));
        } else {
          const auto bits = static_cast<std::uint64_t>(a.i);
          out.i = static_cast<std::int32_t>(bits ^ (bits >> 32)); // Long.hashCode
        }
        return;
      }
      default: // the one-argument math functions, evaluated above
        return;
    }
  }

  bool raw_equal(const node& n, const value& a, const value& b) {
    switch (n.dom) {
      case domain::string:
        return a.s == b.s;
      case domain::floating:
        return a.d == b.d;
      default:
        return a.i == b.i;
    }
  }

  //! Compares a (of kid ka) with b (of kid kb) in the node's operand domain.
  int compare(const node& n, const value& a, const value& b, std::size_t ka, std::size_t kb) {
    const node& na = nodes[static_cast<std::size_t>(n.kids[ka])];
    const node& nb = nodes[static_cast<std::size_t>(n.kids[kb])];
    switch (n.operand_dom) {
      case domain::string:
        return a.s < b.s ? -1 : a.s == b.s ? 0 : 1;
      case domain::floating: {
        const double x = as_double(a, na), y = as_double(b, nb);
        return x < y ? -1 : x == y ? 0 : 1;
      }
      case domain::decimal: {
        const i128 x = na.dom == domain::decimal
                           ? rescale(a.i, na.type.scale, n.operand_scale)
                           : static_cast<i128>(a.i) * pow10_128(n.operand_scale);
        const i128 y = nb.dom == domain::decimal
                           ? rescale(b.i, nb.type.scale, n.operand_scale)
                           : static_cast<i128>(b.i) * pow10_128(n.operand_scale);
        return x < y ? -1 : x == y ? 0 : 1;
      }
      default:
        return a.i < b.i ? -1 : a.i == b.i ? 0 : 1;
    }
  }

  void arithmetic(node& n, value& out) {
    value a, b;
    eval(n.kids[0], a);
    eval(n.kids[1], b);
    if (a.null || b.null) {
      out = value{};
      return;
    }
    const node& na = nodes[static_cast<std::size_t>(n.kids[0])];
    const node& nb = nodes[static_cast<std::size_t>(n.kids[1])];
    out.null = false;
    switch (n.dom) {
      case domain::floating: {
        const double x = as_double(a, na), y = as_double(b, nb);
        switch (n.op) {
          case opcode::add:
            out.d = x + y;
            break;
          case opcode::sub:
            out.d = x - y;
            break;
          case opcode::mul:
            out.d = x * y;
            break;
          case opcode::div:
            out.d = x / y;
            break;
          default:
            out.d = std::fmod(x, y);
        }
        return;
      }
      case domain::decimal: {
        const int s = n.type.scale;
        i128 r = 0;
        auto unscaled = [](const value& v, const node& k, int& scale) -> i128 {
          if (k.dom == domain::decimal) {
            scale = k.type.scale;
            return v.i;
          }
          if (k.dom == domain::floating) {
            scale = 9;
            return static_cast<i128>(std::llround(v.d * 1e9));
          }
          scale = 0;
          return v.i;
        };
        int sa = 0, sb = 0;
        const i128 x = unscaled(a, na, sa), y = unscaled(b, nb, sb);
        switch (n.op) {
          case opcode::add:
            r = rescale(x, sa, s) + rescale(y, sb, s);
            break;
          case opcode::sub:
            r = rescale(x, sa, s) - rescale(y, sb, s);
            break;
          case opcode::mul:
            r = rescale(x * y, sa + sb, s);
            break;
          case opcode::div: {
            if (y == 0)
              throw error(errc::invalid_argument, "SQL: division by zero");
            // x/10^sa / (y/10^sb) at scale s = x * 10^(s + sb - sa) / y, rounded
            const int shift = s + sb - sa;
            i128 num = shift >= 0 ? x * pow10_128(shift + 1) : x / pow10_128(-shift - 1);
            i128 q = num / y;
            r = (q + (q < 0 ? -5 : 5)) / 10;
            break;
          }
          default: {
            if (y == 0)
              throw error(errc::invalid_argument, "SQL: division by zero");
            r = rescale(x, sa, s) % rescale(y, sb, s);
          }
        }
        if (!fits64(r) || (n.type.precision <= 18 && (r >= pow10_128(n.type.precision) ||
                                                      r <= -pow10_128(n.type.precision)))) {
          out = value{};
          return;
        }
        out.i = static_cast<std::int64_t>(r);
        return;
      }
      default: {
        if (n.type.kind == logical_kind::date) {
          // DATE +/- INTERVAL: the interval's ms as days
          if (na.type.kind == logical_kind::interval_day_time)
            a.i = floor_div(a.i, 86'400'000);
          if (nb.type.kind == logical_kind::interval_day_time)
            b.i = floor_div(b.i, 86'400'000);
        }
        const auto x = static_cast<std::uint64_t>(a.i), y = static_cast<std::uint64_t>(b.i);
        switch (n.op) {
          case opcode::add:
            out.i = static_cast<std::int64_t>(x + y);
            break;
          case opcode::sub:
            out.i = static_cast<std::int64_t>(x - y);
            break;
          case opcode::mul:
            out.i = static_cast<std::int64_t>(x * y);
            break;
          case opcode::div:
            if (b.i == 0)
              throw error(errc::invalid_argument, "SQL: division by zero");
            out.i = b.i == -1 ? static_cast<std::int64_t>(0 - x) : a.i / b.i;
            break;
          default:
            if (b.i == 0)
              throw error(errc::invalid_argument, "SQL: division by zero");
            out.i = b.i == -1 ? 0 : a.i % b.i;
        }
        out.i = narrow(out.i, n.type.kind);
        if (n.type.kind == logical_kind::time) // TIME +/- INTERVAL wraps around the day
          out.i = ((out.i % 86'400'000) + 86'400'000) % 86'400'000;
        return;
      }
    }
  }

  void cast(node& n, value& out) {
    eval(n.kids[0], out);
    if (out.null)
      return;
    const node& from = nodes[static_cast<std::size_t>(n.kids[0])];
    const logical_kind fk = from.type.kind;
    const logical_kind tk = n.type.kind;
    auto fail = [&n, &out](const std::string& what) {
      if (n.try_cast) {
        out = value{};
        return;
      }
      throw error(errc::invalid_argument, "SQL: cannot cast " + what + " to " + to_string(n.type));
    };
    if (tk == logical_kind::null)
      return;
    switch (n.dom) {
      case domain::string: {
        if (from.dom == domain::string)
          return;
        n.scratch.clear();
        switch (fk) {
          case logical_kind::boolean:
            n.scratch = out.i ? "TRUE" : "FALSE";
            break;
          case logical_kind::float_:
          case logical_kind::double_:
            append_double(n.scratch, out.d);
            break;
          case logical_kind::decimal:
            append_decimal(n.scratch, out.i, from.type.scale);
            break;
          case logical_kind::date:
            append_date(n.scratch, out.i);
            break;
          case logical_kind::time:
            append_time(n.scratch, out.i, from.type.precision);
            break;
          case logical_kind::timestamp:
          case logical_kind::timestamp_ltz:
            append_timestamp(n.scratch, out.i, from.type.precision);
            break;
          default:
            n.scratch = std::to_string(out.i);
        }
        out.s = n.scratch;
        return;
      }
      case domain::floating:
        if (from.dom == domain::string) {
          if (!parse_double(out.s, out.d))
            return fail("'" + std::string(out.s) + "'");
        } else {
          out.d = as_double(out, from);
        }
        if (tk == logical_kind::float_)
          out.d = static_cast<float>(out.d);
        return;
      case domain::decimal: {
        if (from.dom == domain::string) {
          if (!parse_decimal(out.s, n.type.scale, out.i))
            return fail("'" + std::string(out.s) + "'");
          return;
        }
        bool overflow = false;
        out.i = as_scaled(out, from, n.type.scale, overflow);
        if (overflow || (n.type.precision <= 18 &&
                         (out.i >= pow10(n.type.precision) || out.i <= -pow10(n.type.precision))))
          out = value{};
        return;
      }
      default:
        break;
    }
    // Integer-kept targets.
    if (from.dom == domain::string) {
      bool ok = true;
      switch (tk) {
        case logical_kind::boolean: {
          std::string u = upper_of(std::string(out.s));
          ok = u == "TRUE" || u == "FALSE" || u == "1" || u == "0";
          out.i = u == "TRUE" || u == "1";
          break;
        }
        case logical_kind::date:
          ok = parse_date(out.s, out.i);
          break;
        case logical_kind::time:
          ok = parse_time(out.s, out.i);
          break;
        case logical_kind::timestamp:
        case logical_kind::timestamp_ltz:
          ok = parse_timestamp(out.s, out.i);
          break;
        default:
          ok = parse_int(out.s, out.i);
      }
      if (!ok)
        fail("'" + std::string(out.s) + "'");
      return;
    }
    if (from.dom == domain::floating) {
      out.i = tk == logical_kind::boolean ? out.d != 0 : static_cast<std::int64_t>(out.d);
      return;
    }
    if (from.dom == domain::decimal) {
      out.i = tk == logical_kind::boolean ? out.i != 0 : out.i / pow10(from.type.scale);
      return;
    }
    // integer-kept to integer-kept: temporal conversions
    const bool from_ts = fk == logical_kind::timestamp || fk == logical_kind::timestamp_ltz;
    if (tk == logical_kind::date && from_ts)
      out.i = floor_div(out.i, 86'400'000);
    else if (tk == logical_kind::time && from_ts)
      out.i = out.i - floor_div(out.i, 86'400'000) * 86'400'000;
    else if ((tk == logical_kind::timestamp || tk == logical_kind::timestamp_ltz) &&
             fk == logical_kind::date)
      out.i = out.i * 86'400'000;
    else if (tk == logical_kind::boolean)
      out.i = out.i != 0;
    else if (tk == logical_kind::tinyint)
      out.i = static_cast<std::int8_t>(out.i);
    else if (tk == logical_kind::smallint)
      out.i = static_cast<std::int16_t>(out.i);
    else if (tk == logical_kind::int_)
      out.i = static_cast<std::int32_t>(out.i);
  }
};

} // namespace

void compiled_expr::eval(const row& in, value& out) {
  next_row();
  eval_root(0, in, out);
}

bool compiled_expr::test(const row& in) {
  next_row();
  return test_root(0, in);
}

void compiled_expr::eval_into(const row& in, row& out, std::size_t slot) {
  next_row();
  into_root(0, in, out, slot);
}

void compiled_expr::eval_root(std::size_t root, const row& in, value& out) {
  evaluator ev{nodes_, in, epoch_};
  ev.eval(roots_[root], out);
}

bool compiled_expr::test_root(std::size_t root, const row& in) {
  value v;
  eval_root(root, in, v);
  return !v.null && v.i != 0;
}

void compiled_expr::into_root(std::size_t root, const row& in, row& out, std::size_t slot) {
  value v;
  eval_root(root, in, v);
  store_value(v, types_[root], out, slot);
}

} // namespace spate::sql
