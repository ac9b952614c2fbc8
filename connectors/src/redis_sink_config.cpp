// parse_redis_sink_config(): a redis:// URI into a typed redis_sink_config.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "json_template.hpp"
#include "spate/connectors/redis_sink.hpp"
#include "spate/core/config.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

struct command_info {
  redis_command command;
  const char* name;
  bool idempotent;
};

constexpr command_info commands[] = {
    {redis_command::set, "SET", true},      {redis_command::hset, "HSET", true},
    {redis_command::zadd, "ZADD", true},    {redis_command::sadd, "SADD", true},
    {redis_command::xadd, "XADD", false},   {redis_command::publish, "PUBLISH", false},
    {redis_command::lpush, "LPUSH", false}, {redis_command::rpush, "RPUSH", false},
};

std::string upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A ttl: a bare integer is seconds (as Redis's EX), else a duration ("500 ms").
std::int64_t parse_ttl(const std::string& text, uri_options& opts) {
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  std::int64_t ms = 0;
  if (digits) {
    errno = 0;
    long long s = std::strtoll(text.c_str(), nullptr, 10);
    if (errno != 0 || s > 1000LL * 1000 * 1000 * 1000)
      opts.fail("option 'ttl' is too large: '" + text + "'");
    ms = s * 1000;
  } else {
    try {
      ms = parse_duration(text, "option 'ttl'").count();
    } catch (const error& e) {
      opts.fail(std::string(e.what()) + " (ttl is seconds, or a duration such as '500 ms')");
    }
  }
  if (ms <= 0)
    opts.fail("option 'ttl' must be positive, got '" + text + "'");
  return ms;
}

// Checks a template option by compiling it; the sink compiles it again at open.
std::string checked_template(uri_options& opts, const std::string& option,
                             const std::string& text) {
  try {
    detail::compile_template(text);
  } catch (const error& e) {
    opts.fail("option '" + option + "': " + e.what());
  }
  return text;
}

std::vector<std::string> split_fields(const std::string& list, uri_options& opts) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto comma = list.find(',', pos);
    std::string item =
        list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (item.empty())
      opts.fail("option 'fields' has an empty field name in '" + list + "'");
    out.push_back(item);
  }
  return out;
}

} // namespace

const char* to_string(redis_command command) {
  for (const auto& c : commands)
    if (c.command == command)
      return c.name;
  return "?";
}

bool redis_command_idempotent(redis_command command) {
  for (const auto& c : commands)
    if (c.command == command)
      return c.idempotent;
  return false;
}

redis_sink_config parse_redis_sink_config(const connector_uri& uri) {
  connector_uri masked = uri;
  masked.text = redact_connector_uri(uri.text);
  uri_options opts(masked, "output");
  redis_sink_config cfg;
  cfg.spec = masked.text;
  if (uri.scheme != "redis")
    opts.fail("expected redis://, got " + uri.scheme + "://");

  auto hosts = parse_host_ports(uri.authority, 6379, masked.text);
  if (hosts.size() != 1)
    opts.fail("expected one HOST:PORT, got '" + uri.authority + "'");
  cfg.host = hosts[0].host;
  cfg.port = hosts[0].port;

  if (uri.has_userinfo) {
    auto colon = uri.userinfo.find(':');
    if (colon == std::string::npos)
      opts.fail("the part before '@' must be :PASSWORD or USER:PASSWORD");
    cfg.user = uri.userinfo.substr(0, colon);
    cfg.password = uri.userinfo.substr(colon + 1);
    if (cfg.password->empty())
      opts.fail("the password before '@' is empty");
  }

  if (!uri.path.empty()) {
    bool digits = uri.path.find_first_not_of("0123456789") == std::string::npos;
    errno = 0;
    long db = std::strtol(uri.path.c_str(), nullptr, 10);
    if (!digits || errno != 0 || db > 1000000)
      opts.fail("database '/" + uri.path + "' must be a number (redis://HOST:PORT/DB)");
    cfg.database = static_cast<int>(db);
  }

  std::string command = upper(opts.get("command", "SET"));
  bool known = false;
  for (const auto& c : commands)
    if (command == c.name) {
      cfg.command = c.command;
      known = true;
    }
  if (!known)
    opts.fail("option 'command' is '" + command +
              "', expected SET, HSET, ZADD, SADD, XADD, PUBLISH, LPUSH or RPUSH");
  const auto cmd = cfg.command;

  // Options that only some commands take: refused by name elsewhere.
  auto only_for = [&](const char* option, bool applies, const char* which) {
    if (!applies && uri.options.count(option))
      opts.fail("option '" + std::string(option) + "' applies to " + which + " only, not " +
                command);
  };
  only_for("field", cmd == redis_command::hset, "command=HSET");
  only_for("member", cmd == redis_command::zadd, "command=ZADD");
  only_for("score", cmd == redis_command::zadd, "command=ZADD");
  only_for("fields", cmd == redis_command::xadd, "command=XADD");
  only_for("value", cmd != redis_command::zadd, "commands other than ZADD (ZADD takes member)");
  only_for("ttl", cmd != redis_command::publish, "commands with a key (PUBLISH has a channel)");

  auto key = opts.get("key");
  if (!key || key->empty())
    opts.fail(std::string("option 'key' is required (the ") +
              (cmd == redis_command::publish ? "channel" : "key") +
              " template, e.g. key=user:{id})");
  cfg.key = checked_template(opts, "key", *key);
  cfg.value = checked_template(opts, "value", opts.get("value", "{}"));
  if (cmd == redis_command::hset) {
    auto field = opts.get("field");
    if (!field || field->empty())
      opts.fail("command=HSET needs option 'field' (the hash field template, e.g. field={name})");
    cfg.field = checked_template(opts, "field", *field);
  }
  if (cmd == redis_command::zadd) {
    auto member = opts.get("member");
    auto score = opts.get("score");
    if (!member || member->empty() || !score || score->empty())
      opts.fail(
          "command=ZADD needs options 'member' and 'score' (e.g. member={word}&score={count})");
    cfg.member = checked_template(opts, "member", *member);
    cfg.score = checked_template(opts, "score", *score);
  }
  if (cmd == redis_command::xadd) {
    if (auto fields = opts.get("fields")) {
      if (uri.options.count("value"))
        opts.fail("options 'fields' and 'value' exclude each other for XADD");
      cfg.stream_fields = split_fields(*fields, opts);
    }
  }
  if (auto ttl = opts.get("ttl"))
    cfg.ttl_ms = parse_ttl(*ttl, opts);

  cfg.max_rows =
      static_cast<std::size_t>(opts.get_int("sink.buffer-flush.max-rows", 1000, 1, 1000000));
  cfg.max_retry_ms = opts.get_millis("sink.max-retry-time", 60000);
  cfg.connect_timeout_ms = opts.get_millis("connect.timeout", 5000);
  cfg.socket_timeout_ms = opts.get_millis("socket.timeout", 10000);
  if (cfg.connect_timeout_ms <= 0 || cfg.socket_timeout_ms <= 0)
    opts.fail("options 'connect.timeout' and 'socket.timeout' must be positive");
  cfg.malformed = opts.get_enum("sink.malformed", {"fail", "skip"}, "fail") == "skip"
                      ? redis_malformed_policy::skip
                      : redis_malformed_policy::fail;
  opts.refuse_unknown();
  return cfg;
}

} // namespace spate
