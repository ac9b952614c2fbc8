#include "spate/apps/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace spate::apps {

namespace {

// Whether any of the 8 bytes in `w` is below 0x20, '"' or '\\' (the classic
// zero-byte bit tricks; bytes of 0x80 and above never count).
bool needs_escape(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  auto zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  return ((w - ones * 0x20) & ~w & highs) | zero_byte(w ^ (ones * '"')) |
         zero_byte(w ^ (ones * '\\'));
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Writes `s` escaped through put(pointer, length): plain runs in one piece.
template <class Put>
void escape(std::string_view s, Put&& put) {
  static const char hex[] = "0123456789abcdef";
  const char* p = s.data();
  const char* end = p + s.size();
  const char* plain = p; // start of the run not yet written
  while (p < end) {
    // Eight bytes at a time while none of them needs an escape.
    if (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (!needs_escape(w)) {
        p += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(*p);
    if (!needs_escape(c)) {
      ++p;
      continue;
    }
    put(plain, static_cast<std::size_t>(p - plain));
    plain = ++p;
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    std::size_t n = 2;
    switch (c) {
      case '"':
        e[1] = '"';
        break;
      case '\\':
        e[1] = '\\';
        break;
      case '\b':
        e[1] = 'b';
        break;
      case '\f':
        e[1] = 'f';
        break;
      case '\n':
        e[1] = 'n';
        break;
      case '\r':
        e[1] = 'r';
        break;
      case '\t':
        e[1] = 't';
        break;
      default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 0xf];
        n = 6;
    }
    put(e, n);
  }
  put(plain, static_cast<std::size_t>(end - plain));
}

} // namespace

void append_json_string_content(std::string& out, std::string_view s) {
  escape(s, [&](const char* p, std::size_t n) { out.append(p, n); });
}

void json_object_writer::put_escaped(std::string_view s) {
  escape(s, [this](const char* p, std::size_t n) { put(p, n); });
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_string_content(out, s);
  out += '"';
}

std::size_t format_json_number(char* buf, std::int64_t v) {
  return static_cast<std::size_t>(std::to_chars(buf, buf + json_number_max, v).ptr - buf);
}

void append_json_number(std::string& out, std::int64_t v) {
  char buf[json_number_max];
  out.append(buf, format_json_number(buf, v));
}

void append_json_number(std::string& out, double v) {
  char buf[json_number_max];
  out.append(buf, format_json_number(buf, v));
}

std::size_t format_json_number(char* buf, double v) {
  char* o = buf;
  if (!std::isfinite(v)) {
    std::memcpy(o, "null", 4);
    return 4;
  }
  // The common case (times in epoch seconds, prices, readings): at most three
  // decimals. Below 1e12 two such decimals are more than a double's spacing
  // apart, so the decimal itself is the shortest text that reads back as v.
  if (std::fabs(v) < 1e12) {
    const long long m = std::llround(v * 1000);
    if (static_cast<double>(m) / 1000.0 == v) {
      if (std::signbit(v))
        *o++ = '-';
      const unsigned long long a = static_cast<unsigned long long>(m < 0 ? -m : m);
      o = std::to_chars(o, buf + json_number_max, a / 1000).ptr;
      *o++ = '.';
      unsigned frac = static_cast<unsigned>(a % 1000);
      *o++ = static_cast<char>('0' + frac / 100);
      if (frac % 100 != 0) {
        *o++ = static_cast<char>('0' + frac / 10 % 10);
        if (frac % 10 != 0)
          *o++ = static_cast<char>('0' + frac % 10);
      }
      return static_cast<std::size_t>(o - buf);
    }
  }
  // Otherwise std::to_chars gives the shortest digits that read back as v;
  // they are laid out here as nlohmann_json lays out its own (Grisu2) digits.
  char sci[40];
  auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  if (*p == '-') {
    *o++ = '-';
    ++p;
  }
  char digits[24];
  int k = 0;
  for (; p < r.ptr && *p != 'e'; ++p)
    if (*p != '.')
      digits[k++] = *p;
  int exponent = 0; // v = d.igits * 10^exponent
  std::from_chars(p + (p[1] == '+' ? 2 : 1), r.ptr, exponent);
  const int n = exponent + 1; // where the decimal point goes in digits
  auto copy = [&o](const char* from, int count) {
    std::memcpy(o, from, static_cast<std::size_t>(count));
    o += count;
  };
  auto zeros = [&o](int count) {
    std::memset(o, '0', static_cast<std::size_t>(count));
    o += count;
  };
  if (k <= n && n <= 15) {
    copy(digits, k);
    zeros(n - k);
    copy(".0", 2);
  } else if (0 < n && n <= 15) {
    copy(digits, n);
    *o++ = '.';
    copy(digits + n, k - n);
  } else if (-4 < n && n <= 0) {
    copy("0.", 2);
    zeros(-n);
    copy(digits, k);
  } else {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      copy(digits + 1, k - 1);
    }
    *o++ = 'e';
    *o++ = exponent < 0 ? '-' : '+';
    int e = std::abs(exponent);
    if (e < 10)
      *o++ = '0';
    o = std::to_chars(o, buf + json_number_max, e).ptr;
  }
  return static_cast<std::size_t>(o - buf);
}

} // namespace spate::apps
