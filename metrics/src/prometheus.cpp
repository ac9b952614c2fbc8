// The Prometheus text exposition format and endpoint (prometheus.hpp).
#include "spate/metrics/prometheus.hpp"

#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <httplib.h>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/core/process_stats.hpp"

namespace spate::prometheus {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string metric_name(const std::string& name) {
  std::string out = name.empty() ? std::string("_") : name;
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':')
      c = '_';
  if (std::isdigit(static_cast<unsigned char>(out[0])))
    out.insert(out.begin(), '_');
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", value);
  else
    std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

void exposition::add(const std::string& name, const char* type, const labels& l, double value) {
  auto n = metric_name(name);
  auto it = families_.find(n);
  if (it == families_.end()) {
    it = families_.emplace(n, family{type, {}}).first;
    order_.push_back(n);
  }
  std::string line = n;
  if (!l.empty()) {
    line += '{';
    bool first = true;
    for (auto& [k, v] : l) {
      if (!first)
        line += ',';
      first = false;
      line += metric_name(k) + "=\"" + escape_label_value(v) + '"';
    }
    line += '}';
  }
  line += ' ';
  line += format_value(value);
  it->second.samples.push_back(std::move(line));
}

std::string exposition::text() const {
  std::string out;
  for (auto& n : order_) {
    auto& f = families_.at(n);
    out += "# TYPE " + n + " " + f.type + "\n";
    for (auto& s : f.samples)
      out += s + "\n";
  }
  return out;
}

std::pair<int, int> parse_port_range(const std::string& text, const char* option) {
  auto bad = [&](const std::string& why) {
    return error(errc::invalid_argument, std::string(option) + ": '" + text + "' " + why +
                                             " (a port, or a range like 9250-9260)");
  };
  auto number = [&](std::string s) {
    auto b = s.find_first_not_of(" \t");
    auto e = s.find_last_not_of(" \t");
    if (b == std::string::npos)
      throw bad("is not a port");
    s = s.substr(b, e - b + 1);
    if (s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
      throw bad("is not a port");
    int p = std::stoi(s);
    if (p < 1 || p > 65535)
      throw bad("has a port outside 1-65535");
    return p;
  };
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    int p = number(text);
    return {p, p};
  }
  int first = number(text.substr(0, dash));
  int last = number(text.substr(dash + 1));
  if (last < first)
    throw bad("ends before it starts");
  return {first, last};
}

struct endpoint::impl {
  httplib::Server http;
  std::thread thread;
};

endpoint::endpoint(const std::string& host, const std::string& ports, scrape_fn scrape,
                   const char* option)
    : impl_(std::make_unique<impl>()), host_(host) {
  auto [first, last] = parse_port_range(ports, option);
  auto& http = impl_->http;
  // SO_REUSEADDR only: cpp-httplib's default SO_REUSEPORT would let two
  // processes share a port of the range instead of taking the next one.
  http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Bounded: two workers, short timeouts, no bodies, few requests per
  // connection.
  http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_idle_interval(0, 0);
  http.set_keep_alive_max_count(10);
  http.set_keep_alive_timeout(5);
  http.set_payload_max_length(1024);
  http.Get("/metrics",
           [scrape = std::move(scrape)](const httplib::Request&, httplib::Response& res) {
             res.set_content(scrape(), content_type);
           });
  for (int p = first; p <= last; ++p)
    if (http.bind_to_port(host, p)) {
      port_ = p;
      break;
    }
  if (port_ == 0)
    throw error(errc::unavailable,
                std::string(option) + ": no free port in '" + ports + "' on " + host);
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
}

endpoint::~endpoint() { stop(); }

void endpoint::stop() {
  if (!impl_ || !impl_->thread.joinable())
    return;
  // cpp-httplib's stop() does nothing before the server runs: wait (briefly)
  // for the thread to get there.
  for (int i = 0; i < 1000 && !impl_->http.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
  impl_->thread.join();
}

std::unique_ptr<endpoint> start_endpoint(const configuration& cfg, const std::string& default_host,
                                         endpoint::scrape_fn scrape, const std::string& who) {
  auto ports = cfg.get_string(metrics_prom_port, "");
  if (ports.empty())
    return nullptr;
  auto host = cfg.get_string(metrics_prom_host, default_host);
  auto ep = std::make_unique<endpoint>(host, ports, std::move(scrape));
  spate::log().info("{}: Prometheus endpoint at http://{}:{}/metrics ({} '{}')", who, ep->host(),
                    ep->port(), metrics_prom_port, ports);
  std::printf("%s metrics: http://%s:%d/metrics\n", who.c_str(), ep->host().c_str(), ep->port());
  std::fflush(stdout);
  return ep;
}

void add_process_metrics(exposition& out, const std::string& prefix, const labels& l) {
  for (auto& [name, value] : process_metrics())
    out.add(prefix + name, "gauge", l, value);
}

} // namespace spate::prometheus
