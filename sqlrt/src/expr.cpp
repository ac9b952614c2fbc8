#include "spate/sqlrt/expr.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "spate/core/error.hpp"

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
};

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

void load_value(const row& r, std::size_t slot, const logical_type& t, value& out) {
  out.null = r.is_null(slot);
  if (out.null)
    return;
  switch (slot_kind_of(t)) {
    case slot_kind::floating:
      out.d = r.get_double(slot);
      break;
    case slot_kind::string:
      out.s = r.get_string(slot);
      break;
    default:
      out.i = r.get_long(slot);
  }
}

void store_value(const value& v, const logical_type& t, row& out, std::size_t slot) {
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

struct compiler {
  std::vector<node>& nodes;
  const row_layout& input;

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
    const domain want = domain_of(t);
    if (k.dom == want && (want != domain::decimal || k.type.scale == t.scale))
      return kid;
    node n = make(opcode::cast, t);
    n.kids = {kid};
    return add(std::move(n));
  }

  int compile(const rex& e) {
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
compiled_expr::compiled_expr(const compiled_expr&) = default;
compiled_expr::compiled_expr(compiled_expr&&) noexcept = default;
compiled_expr& compiled_expr::operator=(const compiled_expr&) = default;
compiled_expr& compiled_expr::operator=(compiled_expr&&) noexcept = default;
compiled_expr::~compiled_expr() = default;

compiled_expr::compiled_expr(const rex& e, const row_layout& input) : type_(e.type) {
  compiler c{nodes_, input};
  root_ = c.compile(e);
}

namespace {

struct evaluator {
  std::vector<node>& nodes;
  const row& in;

  void eval(int id, value& out) {
    node& n = nodes[static_cast<std::size_t>(id)];
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
        n.scratch.assign(out.s.data(), out.s.size());
        for (char& c : n.scratch)
          c = static_cast<char>(n.op == opcode::upper
                                    ? std::toupper(static_cast<unsigned char>(c))
                                    : std::tolower(static_cast<unsigned char>(c)));
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
  evaluator ev{nodes_, in};
  ev.eval(root_, out);
}

bool compiled_expr::test(const row& in) {
  value v;
  eval(in, v);
  return !v.null && v.i != 0;
}

void compiled_expr::eval_into(const row& in, row& out, std::size_t slot) {
  value v;
  eval(in, v);
  store_value(v, type_, out, slot);
}

} // namespace spate::sql
