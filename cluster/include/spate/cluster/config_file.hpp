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
// The REST API's protection (docs/security.md).
inline constexpr const char* rest_allowed_origins = "rest.allowed-origins";
inline constexpr const char* rest_allowed_hosts = "rest.allowed-hosts";
inline constexpr const char* rest_token_file = "rest.auth.token-file";
inline constexpr const char* rest_insecure = "rest.auth.insecure";
inline constexpr const char* rest_library_dir = "rest.submit.library-dir";
inline constexpr const char* rest_allowed_paths = "rest.submit.allowed-paths";
inline constexpr const char* rest_socket_hosts = "rest.submit.allowed-socket-hosts";
inline constexpr const char* rest_max_waiting_jobs = "rest.submit.max-waiting-jobs";
inline constexpr const char* rest_max_content_length = "rest.server.max-content-length";
inline constexpr const char* rest_max_header_count = "rest.server.max-header-count";
inline constexpr const char* rest_max_header_size = "rest.server.max-header-size";
inline constexpr const char* rest_threads = "rest.server.numThreads";
inline constexpr const char* rest_request_timeout = "rest.server.request-timeout";
//! The mesh's bounds on what a peer can make a process hold (read by
//! transport::limits_from(); defaults in transport::mesh_limits).
inline constexpr const char* mesh_max_frame_size = "mesh.max-frame-size";
inline constexpr const char* mesh_max_msgpack_depth = "mesh.max-msgpack-depth";
inline constexpr const char* mesh_max_msgpack_objects = "mesh.max-msgpack-objects";
inline constexpr const char* mesh_send_hwm = "mesh.send-high-water-mark";
inline constexpr const char* mesh_receive_hwm = "mesh.receive-high-water-mark";
inline constexpr const char* mesh_max_pending_bytes = "mesh.max-pending-bytes";
inline constexpr const char* mesh_early_bytes_per_sender = "mesh.early-frames.max-bytes-per-sender";
inline constexpr const char* mesh_early_bytes = "mesh.early-frames.max-bytes";
inline constexpr const char* mesh_early_timeout = "mesh.early-frames.timeout";
} // namespace options

} // namespace spate
