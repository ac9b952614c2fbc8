#include "spate/connectors/uri.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "spate/core/config.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

[[noreturn]] void bad(const std::string& what, const std::string& spec, const std::string& why) {
  throw error(errc::invalid_argument,
              "invalid " + what + " SPEC '" + redact_connector_uri(spec) + "': " + why);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string decode(const std::string& s, const std::string& what, const std::string& spec) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      bad(what, spec, "bad percent-escape at '" + s.substr(i, 3) + "'");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

} // namespace

std::string redact_connector_uri(const std::string& spec) {
  auto sep = spec.find("://");
  if (sep == std::string::npos)
    return spec;
  std::size_t start = sep + 3;
  std::size_t end = std::min(spec.find('?', start), spec.size());
  auto at = spec.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start)
    return spec;
  auto colon = spec.find(':', start);
  std::string user =
      colon != std::string::npos && colon < at ? spec.substr(start, colon - start) : std::string();
  return spec.substr(0, start) + user + ":***" + spec.substr(at);
}

connector_uri parse_connector_uri(const std::string& spec, const std::string& what) {
  connector_uri u;
  u.text = spec;
  auto sep = spec.find("://");
  if (sep == std::string::npos || sep == 0)
    bad(what, spec, "expected scheme://...");
  u.scheme = spec.substr(0, sep);
  std::string rest = spec.substr(sep + 3);
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    u.userinfo = decode(rest.substr(0, at), what, spec);
    u.has_userinfo = true;
    rest = rest.substr(at + 1);
  }
  auto slash = rest.find('/');
  u.authority = rest.substr(0, slash);
  if (slash != std::string::npos)
    u.path = decode(rest.substr(slash + 1), what, spec);
  if (u.authority.empty())
    bad(what, spec, "no host after " + u.scheme + "://");
  std::size_t pos = 0;
  while (!query.empty() && pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string item = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    pos = amp == std::string::npos ? query.size() + 1 : amp + 1;
    if (item.empty())
      bad(what, spec, "empty option (expected key=value)");
    auto eq = item.find('=');
    if (eq == std::string::npos)
      bad(what, spec, "option '" + item + "' is not key=value");
    std::string key = decode(item.substr(0, eq), what, spec);
    if (key.empty())
      bad(what, spec, "option '" + item + "' has an empty key");
    if (!u.options.emplace(key, decode(item.substr(eq + 1), what, spec)).second)
      bad(what, spec, "option '" + key + "' given twice");
  }
  return u;
}

std::vector<host_port> parse_host_ports(const std::string& authority, int default_port,
                                        const std::string& spec) {
  std::vector<host_port> out;
  std::size_t pos = 0;
  while (pos <= authority.size()) {
    auto comma = authority.find(',', pos);
    std::string item =
        authority.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? authority.size() + 1 : comma + 1;
    if (item.empty())
      bad("connector", spec, "empty host in '" + authority + "'");
    host_port hp;
    std::string port;
    if (item[0] == '[') {
      auto close = item.find(']');
      if (close == std::string::npos)
        bad("connector", spec, "unclosed '[' in host '" + item + "'");
      hp.host = item.substr(1, close - 1);
      if (close + 1 < item.size()) {
        if (item[close + 1] != ':')
          bad("connector", spec, "expected ':' after ']' in '" + item + "'");
        port = item.substr(close + 2);
      }
    } else if (auto colon = item.rfind(':'); colon != std::string::npos) {
      hp.host = item.substr(0, colon);
      port = item.substr(colon + 1);
    } else {
      hp.host = item;
    }
    if (hp.host.empty())
      bad("connector", spec, "empty host in '" + item + "'");
    if (port.empty()) {
      if (default_port == 0)
        bad("connector", spec, "host '" + item + "' needs a port (HOST:PORT)");
      hp.port = default_port;
    } else {
      char* end = nullptr;
      errno = 0;
      long n = std::strtol(port.c_str(), &end, 10);
      if (*end != '\0' || errno != 0 || n < 1 || n > 65535)
        bad("connector", spec, "port '" + port + "' of '" + item + "' is not within 1..65535");
      hp.port = static_cast<int>(n);
    }
    out.push_back(std::move(hp));
  }
  return out;
}

std::optional<std::string> uri_options::get(const std::string& key) {
  used_.insert(key);
  auto it = uri_.options.find(key);
  if (it == uri_.options.end())
    return std::nullopt;
  return it->second;
}

std::string uri_options::get(const std::string& key, const std::string& fallback) {
  return get(key).value_or(fallback);
}

std::string uri_options::get_enum(const std::string& key, const std::vector<std::string>& allowed,
                                  const std::string& fallback) {
  auto v = get(key);
  if (!v)
    return fallback;
  std::string list;
  for (const auto& a : allowed) {
    if (a == *v)
      return a;
    list += (list.empty() ? "" : ", ") + a;
  }
  fail("option '" + key + "' is '" + *v + "', expected one of " + list);
}

std::int64_t uri_options::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                                  std::int64_t max) {
  auto v = get(key);
  if (!v)
    return fallback;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || n < min || n > max)
    fail("option '" + key + "' must be an integer within " + std::to_string(min) + ".." +
         std::to_string(max) + ", got '" + *v + "'");
  return n;
}

std::int64_t uri_options::get_millis(const std::string& key, std::int64_t fallback) {
  auto v = get(key);
  if (!v)
    return fallback;
  try {
    auto d = parse_duration(*v, "option '" + key + "'");
    if (d.count() < 0)
      fail("option '" + key + "' must not be negative");
    return d.count();
  } catch (const error& e) {
    fail(e.what());
  }
}

bool uri_options::get_bool(const std::string& key, bool fallback) {
  auto v = get(key);
  if (!v)
    return fallback;
  if (*v == "true")
    return true;
  if (*v == "false")
    return false;
  fail("option '" + key + "' must be true or false, got '" + *v + "'");
}

std::map<std::string, std::string> uri_options::with_prefix(const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : uri_.options)
    if (k.size() > prefix.size() && k.compare(0, prefix.size(), prefix) == 0) {
      used_.insert(k);
      out.emplace(k.substr(prefix.size()), v);
    }
  return out;
}

void uri_options::refuse_unknown() const {
  for (const auto& [k, v] : uri_.options)
    if (!used_.count(k))
      fail("unknown option '" + k + "'");
}

void uri_options::fail(const std::string& why) const { bad(what_, uri_.text, why); }

} // namespace spate
