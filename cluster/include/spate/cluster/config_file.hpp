// conf/spate.yaml: the cluster's configuration, with Flink's key names.
//
// The file is YAML restricted to what a configuration needs: `key: value`
// lines, nested maps by indentation (flattened with dots, so
// `jobmanager:\n  rpc:\n    port: 6123` is `jobmanager.rpc.port`), comments
// after `#`, and values in single or double quotes.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "spate/core/config.hpp"

namespace spate {

//! Parses configuration text; `source` names it in errors. Throws
//! spate::error(errc::invalid_argument) naming the line for a malformed one.
configuration parse_config_text(const std::string& text, const std::string& source);

//! Reads `path`. Throws errc::not_found when it is missing.
configuration load_config_file(const std::string& path);

//! The configuration of a command: `<dir>/spate.yaml` when `dir` is given
//! (it must exist), else $SPATE_CONF_DIR/spate.yaml or ./conf/spate.yaml when
//! present, then the `key=value` overrides (-D) on top.
configuration load_cluster_config(const std::string& dir,
                                  const std::vector<std::string>& overrides);

struct heartbeat_settings {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{5000};
};
//! heartbeat.interval and heartbeat.timeout; throws
//! spate::error(errc::invalid_argument) unless 0 < interval < timeout.
heartbeat_settings read_heartbeat(const configuration& config);

namespace options {
inline constexpr const char* jobmanager_address = "jobmanager.rpc.address";
inline constexpr const char* jobmanager_port = "jobmanager.rpc.port";
inline constexpr const char* rest_address = "rest.address";
inline constexpr const char* rest_port = "rest.port";
inline constexpr const char* task_slots = "taskmanager.numberOfTaskSlots";
inline constexpr const char* taskmanager_host = "taskmanager.host";
inline constexpr const char* taskmanager_data_port = "taskmanager.data.port";
inline constexpr const char* taskmanager_resource_id = "taskmanager.resource-id";
inline constexpr const char* heartbeat_interval = "heartbeat.interval";
inline constexpr const char* heartbeat_timeout = "heartbeat.timeout";
inline constexpr const char* slot_request_timeout = "slot.request.timeout";
} // namespace options

} // namespace spate
