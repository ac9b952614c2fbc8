#include "spate/cluster/config_file.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

//! The value part of a line: unquoted, without a trailing comment.
std::string parse_value(const std::string& raw, const std::string& where) {
  std::string v = trim(raw);
  if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
    char q = v[0];
    std::string out;
    std::size_t i = 1;
    for (; i < v.size() && v[i] != q; ++i) {
      if (q == '"' && v[i] == '\\' && i + 1 < v.size()) {
        ++i;
        out.push_back(v[i] == 'n' ? '\n' : v[i] == 't' ? '\t' : v[i]);
      } else {
        out.push_back(v[i]);
      }
    }
    if (i == v.size())
      throw error(errc::invalid_argument, where + ": unterminated quoted value");
    auto rest = trim(v.substr(i + 1));
    if (!rest.empty() && rest[0] != '#')
      throw error(errc::invalid_argument, where + ": unexpected text after the quoted value");
    return out;
  }
  // A comment starts at " #" (a '#' inside a value, as in a URL fragment, stays).
  auto hash = v.find(" #");
  if (hash != std::string::npos)
    v = trim(v.substr(0, hash));
  return v;
}

} // namespace

configuration parse_config_text(const std::string& text, const std::string& source) {
  configuration cfg;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  // (indentation, key prefix) of the open maps.
  std::vector<std::pair<std::size_t, std::string>> open;
  while (std::getline(in, line)) {
    ++number;
    std::string where = source + ":" + std::to_string(number);
    auto body = trim(line);
    if (body.empty() || body[0] == '#' || body == "---")
      continue;
    if (line.find('\t') < line.find_first_not_of(" \t"))
      throw error(errc::invalid_argument, where + ": indent with spaces, not tabs");
    std::size_t indent = line.find_first_not_of(' ');
    if (body[0] == '-')
      throw error(errc::invalid_argument,
                  where + ": lists are not supported; write the value on one line");
    auto colon = body.find(':');
    while (colon != std::string::npos && colon + 1 < body.size() && body[colon + 1] != ' ' &&
           body[colon + 1] != '\t')
      colon = body.find(':', colon + 1); // "host:port" inside a key is not the separator
    if (colon == std::string::npos || colon == 0)
      throw error(errc::invalid_argument, where + ": expected 'key: value', got '" + body + "'");
    std::string key = trim(body.substr(0, colon));
    std::string rest = body.substr(colon + 1);
    while (!open.empty() && open.back().first >= indent)
      open.pop_back();
    std::string full = open.empty() ? key : open.back().second + "." + key;
    auto value = parse_value(rest, where);
    if (value.empty() && trim(rest).empty()) {
      open.emplace_back(indent, full); // a map follows
      continue;
    }
    cfg.set(full, value);
  }
  return cfg;
}

heartbeat_settings read_heartbeat(const configuration& config) {
  heartbeat_settings h;
  h.interval = config.get_duration(options::heartbeat_interval, std::chrono::seconds(1));
  h.timeout = config.get_duration(options::heartbeat_timeout, std::chrono::seconds(5));
  if (h.interval.count() <= 0 || h.timeout <= h.interval)
    throw error(errc::invalid_argument, std::string("'") + options::heartbeat_timeout +
                                            "' must exceed '" + options::heartbeat_interval +
                                            "', and both be positive");
  return h;
}

configuration load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw error(errc::not_found, "configuration file '" + path + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), path);
}

configuration load_cluster_config(const std::string& dir,
                                  const std::vector<std::string>& overrides) {
  configuration cfg;
  if (!dir.empty()) {
    auto path = (std::filesystem::path(dir) / "spate.yaml").string();
    if (!std::filesystem::exists(path))
      throw error(errc::not_found, "configuration file '" + path + "' does not exist");
    cfg = load_config_file(path);
  } else {
    const char* env = std::getenv("SPATE_CONF_DIR");
    std::string path =
        env ? (std::filesystem::path(env) / "spate.yaml").string() : std::string("conf/spate.yaml");
    if (std::filesystem::exists(path))
      cfg = load_config_file(path);
  }
  for (auto& kv : overrides)
    cfg.set_from_assignment(kv);
  configure_log(cfg); // log.format / log.level, before the process logs its start
  return cfg;
}

} // namespace spate
