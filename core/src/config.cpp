#include "spate/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

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

// Splits "10 s" / "10s" into number and unit.
bool split_number_unit(const std::string& text, std::int64_t& number, std::string& unit) {
  auto t = trim(text);
  std::size_t i = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
    ++i;
  if (i == 0 || i > 18)
    return false;
  number = std::stoll(t.substr(0, i));
  unit = lower(trim(t.substr(i)));
  return true;
}

} // namespace

duration parse_duration(const std::string& text, const std::string& what) {
  std::int64_t n = 0;
  std::string unit;
  if (!split_number_unit(text, n, unit))
    throw error(errc::invalid_argument, "invalid " + what + " '" + text +
                                            "': expected a number with an optional unit "
                                            "(ms, s, min, h, d)");
  if (unit.empty() || unit == "ms" || unit == "milli" || unit == "millis" ||
      unit == "millisecond" || unit == "milliseconds")
    return duration(n);
  if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds")
    return duration(n * 1000);
  if (unit == "m" || unit == "min" || unit == "minute" || unit == "minutes")
    return duration(n * 60'000);
  if (unit == "h" || unit == "hour" || unit == "hours")
    return duration(n * 3'600'000);
  if (unit == "d" || unit == "day" || unit == "days")
    return duration(n * 86'400'000);
  throw error(errc::invalid_argument,
              "invalid " + what + " '" + text + "': unknown unit '" + unit + "'");
}

std::int64_t parse_memory_size(const std::string& text, const std::string& what) {
  std::int64_t n = 0;
  std::string unit;
  if (!split_number_unit(text, n, unit))
    throw error(errc::invalid_argument, "invalid " + what + " '" + text + "'");
  if (unit.empty() || unit == "b" || unit == "bytes")
    return n;
  if (unit == "k" || unit == "kb" || unit == "kib")
    return n << 10;
  if (unit == "m" || unit == "mb" || unit == "mib")
    return n << 20;
  if (unit == "g" || unit == "gb" || unit == "gib")
    return n << 30;
  throw error(errc::invalid_argument,
              "invalid " + what + " '" + text + "': unknown unit '" + unit + "'");
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
  if (t.empty() || errno != 0 || *end != '\0')
    throw error(errc::invalid_argument,
                "configuration '" + key + "': '" + *v + "' is not an integer");
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
