// The URI form of connector SPECs: scheme://[userinfo@]authority[/path][?k=v&k=v].
// kafka://HOST:PORT[,HOST:PORT...]/TOPIC[,TOPIC...]?scan.startup.mode=earliest-offset
// redis://[:PASSWORD@]HOST:PORT[/DB]?command=SET&key=sensor_id_{id}
// Option names are Flink's SQL connector options, so SQL's WITH (...) can
// reuse the typed configs built from them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace spate {

//! One parsed connector URI. Percent-escapes (%2F, %26, %3D, ...) in the
//! userinfo, path and option values are decoded; `+` stays a plus.
struct connector_uri {
  std::string scheme;
  //! What stood before '@' (empty when there was none).
  std::string userinfo;
  bool has_userinfo = false;
  //! Between "//" and the first '/' or '?': "host:port,host:port".
  std::string authority;
  //! After the first '/' of the authority, without it; empty when none.
  std::string path;
  //! The options in the order given; a key given twice is an error.
  std::map<std::string, std::string> options;
  //! The SPEC as given, for messages.
  std::string text;
};

//! The SPEC text with the password of its userinfo replaced by `***`, for
//! messages and logs.
std::string redact_connector_uri(const std::string& spec);

//! Parses `spec` as scheme://...; `what` ("input", "output") names the SPEC in
//! errors. Throws spate::error(errc::invalid_argument) naming the SPEC and the
//! fault: no "//", an empty authority, a bad escape, an option without '=',
//! an empty or repeated key.
connector_uri parse_connector_uri(const std::string& spec, const std::string& what);

//! A host and port of an authority list.
struct host_port {
  std::string host;
  int port = 0;
};

//! Splits "h1:p1,h2:p2" (IPv6 as [::1]:p). A missing port takes
//! `default_port` (0: the port is required). Throws errc::invalid_argument
//! naming `spec`.
std::vector<host_port> parse_host_ports(const std::string& authority, int default_port,
                                        const std::string& spec);

//! Reads typed options out of a connector_uri and remembers which were used,
//! so that unknown keys can be refused by name (a typo must not be ignored).
class uri_options {
public:
  uri_options(const connector_uri& uri, std::string what) : uri_(uri), what_(std::move(what)) {}

  //! The value of `key`, if given.
  std::optional<std::string> get(const std::string& key);
  std::string get(const std::string& key, const std::string& fallback);
  //! One of `allowed` (case-sensitive as Flink's enums in SQL options).
  std::string get_enum(const std::string& key, const std::vector<std::string>& allowed,
                       const std::string& fallback);
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  //! A duration: "500", "500 ms", "10 s", "1 min" (ms without a unit).
  std::int64_t get_millis(const std::string& key, std::int64_t fallback);
  bool get_bool(const std::string& key, bool fallback);
  //! Every option starting with `prefix`, prefix removed (e.g. "properties.").
  std::map<std::string, std::string> with_prefix(const std::string& prefix);
  //! Throws errc::invalid_argument naming the first option never read.
  void refuse_unknown() const;
  //! Throws errc::invalid_argument: "invalid <what> SPEC '<spec>': <why>".
  [[noreturn]] void fail(const std::string& why) const;

private:
  const connector_uri& uri_;
  std::string what_;
  std::set<std::string> used_;
};

} // namespace spate
