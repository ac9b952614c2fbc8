// A Prometheus endpoint for every spate process (Flink's PrometheusReporter):
// the text exposition format 0.0.4 and a small read-only HTTP server on its
// own thread, on the first free port of metrics.reporter.prom.port.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spate/core/config.hpp"

namespace spate::prometheus {

//! The Prometheus endpoint of a process: a port or a range "9250-9260"
//! (the first free one is taken); none without the option.
inline constexpr const char* metrics_prom_port = "metrics.reporter.prom.port";
//! Where it listens (default: rest.address on the JobManager,
//! taskmanager.host on a TaskManager, 127.0.0.1 in an embedded job or
//! `spate local`).
inline constexpr const char* metrics_prom_host = "metrics.reporter.prom.host";

//! The Content-Type of the text format.
inline constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

using labels = std::vector<std::pair<std::string, std::string>>;

//! A label value as the text format needs it: `\` `"` and newline escaped.
std::string escape_label_value(const std::string& value);
//! A metric or label name: characters outside [a-zA-Z0-9_:] become `_` (a
//! leading digit too), as Flink's reporter does with its scope names.
std::string metric_name(const std::string& name);
//! A sample value: integers without a fraction, NaN and infinities spelled
//! as the format wants them.
std::string format_value(double value);

//! The samples of one scrape, grouped by metric name (each name's `# TYPE`
//! line once, before its samples).
class exposition {
public:
  //! One sample; `type` is "gauge" or "counter" (Flink's reporter exposes
  //! its counters as gauges too, since they restart from 0). Names and label names are
  //! made valid with metric_name().
  void add(const std::string& name, const char* type, const labels& l, double value);
  std::string text() const;

private:
  struct family {
    std::string type;
    std::vector<std::string> samples;
  };
  std::map<std::string, family> families_;
  std::vector<std::string> order_;
};

//! A port or a range "9250-9260". Throws spate::error(errc::invalid_argument)
//! naming `option`.
std::pair<int, int> parse_port_range(const std::string& text, const char* option);

//! GET /metrics on its own thread: the body is what `scrape` returns, built
//! per request. Nothing else is served (404; other methods 405).
class endpoint {
public:
  using scrape_fn = std::function<std::string()>;
  //! Binds `host` on the first free port of `ports` (parse_port_range).
  //! Throws spate::error(errc::unavailable) naming `option` when every port
  //! of the range is taken.
  endpoint(const std::string& host, const std::string& ports, scrape_fn scrape,
           const char* option = "metrics.reporter.prom.port");
  ~endpoint();
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string host_;
  int port_ = 0;
};

//! The endpoint metrics.reporter.prom.port asks for (null without the
//! option), on metrics.reporter.prom.host or else `default_host`; logs and
//! prints (for `who`, "JobManager", ...) where it listens.
std::unique_ptr<endpoint> start_endpoint(const configuration& cfg, const std::string& default_host,
                                         endpoint::scrape_fn scrape, const std::string& who);

//! Adds this process's Status.Process.* gauges as `<prefix>Status_Process_*`.
void add_process_metrics(exposition& out, const std::string& prefix, const labels& l);

} // namespace spate::prometheus
