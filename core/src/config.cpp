#include "spate/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "spate/core/error.hpp"

namespace spate {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Splits "10 s" / "10s" into a number and a unit, the number read without
// overflow: a value beyond int64 is `too_large`, a leading '-' `negative`.
enum class split_result { ok, malformed, negative, too_large };

split_result split_number_unit(const std::string& text, std::int64_t& number, std::string& unit) {
  auto t = trim(text);
  if (t.size() > 1 && t[0] == '-' && std::isdigit(static_cast<unsigned char>(t[1])))
    return split_result::negative;
  std::size_t i = 0;
  std::int64_t n = 0;
  bool overflow = false;
  for (; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) {
    const int digit = t[i] - '0';
    if (n > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
      overflow = true;
    else
      n = n * 10 + digit;
  }
  if (i == 0)
    return split_result::malformed;
  unit = lower(trim(t.substr(i)));
  if (overflow)
    return split_result::too_large;
  number = n;
  return split_result::ok;
}

// `n` (not negative) times `factor` (positive), or false when the product
// would pass `limit`.
bool scale(std::int64_t n, std::int64_t factor, std::int64_t limit, std::int64_t& out) {
  if (n > limit / factor)
    return false;
  out = n * factor;
  return true;
}

} // namespace

duration parse_duration(const std::string& text, const std::string& what) {
  std::int64_t n = 0;
  std::string unit;
  const auto split = split_number_unit(text, n, unit);
  if (split == split_result::malformed)
    throw error(errc::invalid_argument, "invalid " + what + " '" + text +
                                            "': expected a number with an optional unit "
                                            "(ms, s, min, h, d)");
  if (split == split_result::negative)
    throw error(errc::invalid_argument,
                "invalid " + what + " '" + text + "': a duration must not be negative");
  std::int64_t factor = 0;
  if (unit.empty() || unit == "ms" || unit == "milli" || unit == "millis" ||
      unit == "millisecond" || unit == "milliseconds")
    factor = 1;
  else if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds")
    factor = 1000;
  else if (unit == "m" || unit == "min" || unit == "minute" || unit == "minutes")
    factor = 60'000;
  else if (unit == "h" || unit == "hour" || unit == "hours")
    factor = 3'600'000;
  else if (unit == "d" || unit == "day" || unit == "days")
    factor = 86'400'000;
  else
    throw error(errc::invalid_argument,
                "invalid " + what + " '" + text + "': unknown unit '" + unit + "'");
  std::int64_t ms = 0;
  if (split == split_result::too_large || !scale(n, factor, max_duration.count(), ms))
    throw error(errc::invalid_argument, "invalid " + what + " '" + text + "': too long (at most " +
                                            std::to_string(max_duration.count() / 86'400'000) +
                                            " days)");
  return duration(ms);
}

std::int64_t parse_memory_size(const std::string& text, const std::string& what) {
  std::int64_t n = 0;
  std::string unit;
  const auto split = split_number_unit(text, n, unit);
  if (split == split_result::malformed)
    throw error(errc::invalid_argument, "invalid " + what + " '" + text + "'");
  if (split == split_result::negative)
    throw error(errc::invalid_argument,
                "invalid " + what + " '" + text + "': a size must not be negative");
  std::int64_t factor = 0;
  if (unit.empty() || unit == "b" || unit == "bytes")
    factor = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    factor = std::int64_t{1} << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    factor = std::int64_t{1} << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    factor = std::int64_t{1} << 30;
  else
    throw error(errc::invalid_argument,
                "invalid " + what + " '" + text + "': unknown unit '" + unit + "'");
  std::int64_t bytes = 0;
  if (split == split_result::too_large ||
      !scale(n, factor, std::numeric_limits<std::int64_t>::max(), bytes))
    throw error(errc::invalid_argument,
                "invalid " + what + " '" + text + "': too large (at most " +
                    std::to_string(std::numeric_limits<std::int64_t>::max()) + " bytes)");
  return bytes;
}

void configuration::set_from_assignment(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw error(errc::invalid_argument,
                "invalid configuration '" + assignment + "': expected key=value");
  set(trim(assignment.substr(0, eq)), trim(assignment.substr(eq + 1)));
}

std::optional<std::string> configuration::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end())
    return std::nullopt;
  return it->second;
}

std::string configuration::get_string(const std::string& key, const std::string& fallback) const {
  auto v = get(key);
  return v ? *v : fallback;
}

std::int64_t configuration::get_int(const std::string& key, std::int64_t fallback) const {
  auto v = get(key);
  if (!v)
    return fallback;
  auto t = trim(*v);
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || *end != '\0' || (errno != 0 && errno != ERANGE))
    throw error(errc::invalid_argument,
                "configuration '" + key + "': '" + *v + "' is not an integer");
  if (errno == ERANGE)
    throw error(errc::invalid_argument,
                "configuration '" + key + "': '" + *v + "' is out of range (integers are from " +
                    std::to_string(std::numeric_limits<std::int64_t>::min()) + " to " +
                    std::to_string(std::numeric_limits<std::int64_t>::max()) + ")");
  return n;
}

std::int64_t configuration::get_int(const std::string& key, std::int64_t fallback,
                                    std::int64_t minimum, std::int64_t maximum) const {
  auto v = get(key);
  if (!v)
    return fallback;
  const std::int64_t n = get_int(key, fallback);
  if (n < minimum || n > maximum)
    throw error(errc::invalid_argument, "configuration '" + key + "' must be between " +
                                            std::to_string(minimum) + " and " +
                                            std::to_string(maximum) + " (got '" + *v + "')");
  return n;
}

double configuration::get_double(const std::string& key, double fallback) const {
  auto v = get(key);
  if (!v)
    return fallback;
  auto t = trim(*v);
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0')
    throw error(errc::invalid_argument,
                "configuration '" + key + "': '" + *v + "' is not a number");
  // Infinity, NaN and what overflows to infinity: no setting means them, and
  // converting them to an integer is undefined.
  if (!std::isfinite(d))
    throw error(errc::invalid_argument,
                "configuration '" + key + "': '" + *v + "' is not a finite number");
  return d;
}

bool configuration::get_bool(const std::string& key, bool fallback) const {
  auto v = get(key);
  if (!v)
    return fallback;
  auto t = lower(trim(*v));
  if (t == "true" || t == "1" || t == "yes" || t == "on")
    return true;
  if (t == "false" || t == "0" || t == "no" || t == "off")
    return false;
  throw error(errc::invalid_argument,
              "configuration '" + key + "': '" + *v + "' is not a boolean (true or false)");
}

duration configuration::get_duration(const std::string& key, duration fallback) const {
  auto v = get(key);
  if (!v)
    return fallback;
  return parse_duration(*v, "configuration '" + key + "'");
}

std::int64_t configuration::get_memory_size(const std::string& key, std::int64_t fallback) const {
  auto v = get(key);
  if (!v)
    return fallback;
  return parse_memory_size(*v, "configuration '" + key + "'");
}

std::size_t scheduler_max_throughput(const configuration& config) {
  auto n =
      config.get_int(options::scheduler_max_throughput, options::default_scheduler_max_throughput);
  if (n < 1)
    throw error(errc::invalid_argument, std::string("configuration '") +
                                            options::scheduler_max_throughput +
                                            "' must be at least 1, got " + std::to_string(n));
  return static_cast<std::size_t>(n);
}

void configuration::merge(const configuration& other) {
  for (auto& [k, v] : other.values_)
    values_[k] = v;
}

} // namespace spate
