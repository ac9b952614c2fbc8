#include "spate/apps/json_input.hpp"

#include <cmath>
#include <cstdlib>

#include "spate/apps/json_writer.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::apps {

// ---------------------------------------------------------------------------
// Malformed records

namespace {

// Enough of a skipped line to recognise it in a log without flooding it.
std::string excerpt(const std::string& line) {
  constexpr std::size_t max = 120;
  return line.size() <= max ? line : line.substr(0, max) + "...";
}

} // namespace

void malformed_reporter::skipped(const std::string& line, const std::string& reason) {
  ++total_;
  ++unreported_;
  if (counter_)
    counter_->add();
  if (job_counter_)
    job_counter_->fetch_add(1, std::memory_order_relaxed);
  latest_ = reason + " in: " + excerpt(line);
  auto now = std::chrono::steady_clock::now();
  if (!reported_once_ || now - last_report_ >= std::chrono::seconds(1))
    report();
}

void malformed_reporter::flush() noexcept {
  try {
    report();
  } catch (...) {
    // Called from close(), which must not throw; a lost log line is acceptable.
  }
}

void malformed_reporter::report() {
  if (unreported_ == 0)
    return;
  log().warn("{}: skipped {} malformed record(s) since the last report ({} in total); latest: {}",
             who_, unreported_, total_, latest_);
  unreported_ = 0;
  reported_once_ = true;
  last_report_ = std::chrono::steady_clock::now();
}

// ---------------------------------------------------------------------------
// Fields

namespace {

[[noreturn]] void missing(const char* name) {
  throw bad_record(std::string("missing field '") + name + "'");
}

// The value as nlohmann_json's dump() showed it in messages: a string quoted
// and escaped, anything else its JSON text.
std::string shown(const json_field& f) {
  if (f.kind != json_field::string)
    return std::string(f.text);
  std::string out;
  append_json_string(out, f.text);
  return out;
}

} // namespace

std::string_view string_field(const json_field& f, const char* name) {
  if (f.missing())
    missing(name);
  if (f.kind != json_field::string)
    throw bad_record(std::string("field '") + name + "' is not a string but " + f.type_name());
  return f.text;
}

double number_field(const json_field& f, const char* name) {
  if (f.missing())
    missing(name);
  if (f.kind != json_field::number)
    throw bad_record(std::string("field '") + name + "' is not a number but " + f.type_name());
  if (!std::isfinite(f.number_value))
    throw bad_record(std::string("field '") + name + "' is not a finite number");
  return f.number_value;
}

std::optional<timestamp> epoch_seconds_to_ms(double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) >= 1e11)
    return std::nullopt;
  // Via whole microseconds: 1700000000.123 is stored as 1700000000.12299999...,
  // which must still be 123 ms, not 122.
  auto micros = static_cast<std::int64_t>(std::llround(seconds * 1e6));
  std::int64_t ms = micros / 1000;
  if (micros % 1000 < 0)
    --ms; // down, also before 1970
  return ms;
}

timestamp timestamp_field(const json_field& f, const char* name, bool numbers, bool text) {
  if (f.missing())
    missing(name);
  if (numbers && f.kind == json_field::number) {
    if (auto ms = epoch_seconds_to_ms(f.number_value))
      return *ms;
    throw bad_record(std::string("field '") + name + "' = " + shown(f) +
                     " is not a time in epoch seconds");
  }
  if (text && f.kind == json_field::string) {
    std::string why;
    if (auto ms = parse_iso8601(f.text, &why))
      return *ms;
    throw bad_record(std::string("field '") + name + "' = " + shown(f) +
                     " is not an ISO-8601 date and time: " + why);
  }
  std::string expected = numbers && text ? "epoch seconds or an ISO-8601 string"
                         : numbers       ? "a number of epoch seconds"
                                         : "an ISO-8601 string";
  throw bad_record(std::string("field '") + name + "' is " + f.type_name() + ", expected " +
                   expected);
}

// ---------------------------------------------------------------------------
// ISO-8601

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The inverse: year, month, day of a day number.
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

bool leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

// A cursor over the text; digits(n) reads exactly n decimal digits.
struct scanner {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i == s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool digit() const { return !done() && s[i] >= '0' && s[i] <= '9'; }
  bool digits(int n, unsigned& out) {
    out = 0;
    for (int k = 0; k < n; ++k) {
      if (!digit())
        return false;
      out = out * 10 + static_cast<unsigned>(s[i++] - '0');
    }
    return true;
  }
  bool accept(char c) {
    if (peek() != c || done())
      return false;
    ++i;
    return true;
  }
};

std::optional<timestamp> fail(std::string* why, std::string what) {
  if (why)
    *why = std::move(what);
  return std::nullopt;
}

} // namespace

std::optional<timestamp> parse_iso8601(std::string_view text, std::string* why) {
  scanner sc{text};
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!sc.digits(4, year) || !sc.accept('-') || !sc.digits(2, month) || !sc.accept('-') ||
      !sc.digits(2, day))
    return fail(why, "expected a date YYYY-MM-DD");
  if (month < 1 || month > 12)
    return fail(why, "month " + std::to_string(month) + " is not within 1-12");
  if (day < 1 || day > days_in_month(year, month))
    return fail(why, "day " + std::to_string(day) + " is not in month " + std::to_string(month));
  if (!sc.accept('T') && !sc.accept('t') && !sc.accept(' '))
    return fail(why, "expected 'T' or a space after the date");
  if (!sc.digits(2, hour) || !sc.accept(':') || !sc.digits(2, minute))
    return fail(why, "expected a time hh:mm[:ss]");
  if (sc.accept(':') && !sc.digits(2, second))
    return fail(why, "expected two digits of seconds");
  if (hour > 23 || minute > 59 || second > 60)
    return fail(why, "time out of range");
  unsigned millis = 0;
  if (sc.accept('.') || sc.accept(',')) {
    if (!sc.digit())
      return fail(why, "expected digits after the decimal mark");
    // The first three digits are the milliseconds; the rest is truncated.
    int n = 0;
    for (; sc.digit(); ++n) {
      unsigned d = static_cast<unsigned>(text[sc.i++] - '0');
      if (n < 3)
        millis = millis * 10 + d;
    }
    for (; n < 3; ++n) // ".5" is 500 ms
      millis *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (sc.accept('Z') || sc.accept('z')) {
    // UTC
  } else if (sc.peek() == '+' || sc.peek() == '-') {
    int sign = sc.peek() == '-' ? -1 : 1;
    ++sc.i;
    unsigned oh = 0, om = 0;
    if (!sc.digits(2, oh))
      return fail(why, "expected a zone offset ±hh[:mm]");
    if (sc.accept(':')) {
      if (!sc.digits(2, om))
        return fail(why, "expected zone offset minutes after ':'");
    } else if (sc.digit() && !sc.digits(2, om)) {
      return fail(why, "expected zone offset minutes ±hhmm");
    }
    if (oh > 23 || om > 59)
      return fail(why, "zone offset out of range");
    offset_minutes = sign * static_cast<std::int64_t>(oh * 60 + om);
  }
  if (!sc.done())
    return fail(why, "unexpected '" + std::string(text.substr(sc.i, 10)) + "' at position " +
                         std::to_string(sc.i));
  std::int64_t days = days_from_civil(year, month, day);
  std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000 + millis;
}

std::size_t format_iso8601(char* out, timestamp ms, int fraction_digits, bool zone) {
  std::int64_t days = ms / 86400000;
  std::int64_t rest = ms % 86400000;
  if (rest < 0) {
    rest += 86400000;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  auto secs = static_cast<unsigned>(rest / 1000);
  auto millis = static_cast<unsigned>(rest % 1000);
  // Digits written by hand: snprintf cost more than the rest of a generated record.
  char* p = out;
  auto digits = [&p](unsigned v, int n) {
    for (int i = n - 1; i >= 0; --i, v /= 10)
      p[i] = static_cast<char>('0' + v % 10);
    p += n;
  };
  if (y >= 0 && y <= 9999)
    digits(static_cast<unsigned>(y), 4);
  else
    p += std::snprintf(p, 24, "%04lld", static_cast<long long>(y));
  *p++ = '-';
  digits(m, 2);
  *p++ = '-';
  digits(d, 2);
  *p++ = 'T';
  digits(secs / 3600, 2);
  *p++ = ':';
  digits(secs / 60 % 60, 2);
  *p++ = ':';
  digits(secs % 60, 2);
  if (fraction_digits == 3 || fraction_digits == 6) {
    *p++ = '.';
    digits(millis, 3);
    if (fraction_digits == 6)
      digits(0, 3);
  }
  if (zone)
    *p++ = 'Z';
  return static_cast<std::size_t>(p - out);
}

std::string format_iso8601(timestamp ms, int fraction_digits, bool zone) {
  char buf[iso8601_max];
  return std::string(buf, format_iso8601(buf, ms, fraction_digits, zone));
}

// ---------------------------------------------------------------------------
// Job arguments

std::map<std::string, std::string> parse_job_args(const std::string& job,
                                                  const std::vector<std::string>& args,
                                                  const std::vector<std::string>& known) {
  auto expected = [&] {
    std::string list;
    for (auto& k : known)
      list += (list.empty() ? "" : ", ") + k;
    return list.empty() ? std::string("none") : list;
  };
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    bool has_value = false;
    if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    bool is_known = false;
    for (auto& k : known)
      is_known = is_known || k == name;
    if (!is_known)
      throw error(errc::invalid_argument,
                  job + ": unknown job argument '" + args[i] + "' (expected " + expected() + ")");
    if (!has_value) {
      if (i + 1 >= args.size())
        throw error(errc::invalid_argument, job + ": job argument " + name + " needs a value");
      value = args[++i];
    }
    if (!out.emplace(name, value).second)
      throw error(errc::invalid_argument, job + ": job argument " + name + " given twice");
  }
  return out;
}

std::chrono::milliseconds seconds_arg(const std::string& job, const std::string& name,
                                      const std::string& value, bool allow_zero) {
  char* end = nullptr;
  double s = std::strtod(value.c_str(), &end);
  bool ok = !value.empty() && *end == '\0' && std::isfinite(s) && s < 1e9 &&
            (allow_zero ? s >= 0 : s > 0);
  auto ms = ok ? std::llround(s * 1000) : 0;
  if (!ok || (!allow_zero && ms == 0))
    throw error(errc::invalid_argument, job + ": job argument " + name + " must be a " +
                                            (allow_zero ? "non-negative" : "positive") +
                                            " number of seconds, got '" + value + "'");
  return std::chrono::milliseconds(ms);
}

double positive_number_arg(const std::string& job, const std::string& name,
                           const std::string& value) {
  char* end = nullptr;
  double d = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !std::isfinite(d) || !(d > 0))
    throw error(errc::invalid_argument,
                job + ": job argument " + name + " must be a positive number, got '" + value + "'");
  return d;
}

} // namespace spate::apps
