// The REST API's cluster resources: /overview, /config, /jobmanager/config
// and /taskmanagers.
#include <thread>

#include "rest_routes.hpp"
#include "spate/cluster/config_file.hpp"

namespace spate::cluster_detail::rest_api {

namespace {

constexpr const char* version = "spate-0.1";

} // namespace

void cluster_status(jobmanager& jm, const httplib::Request&, httplib::Response& res) {
  auto o = jm.overview();
  int total = 0, free = 0, running = 0, finished = 0, cancelled = 0, failed = 0;
  for (auto& tm : o.taskmanagers) {
    total += tm.slots;
    free += tm.free_slots;
  }
  for (auto& j : o.jobs) {
    switch (j->status()) {
      case job_status::finished:
        ++finished;
        break;
      case job_status::canceled:
        ++cancelled;
        break;
      case job_status::failed:
        ++failed;
        break;
      default:
        ++running;
    }
  }
  reply(res, 200,
        {{"taskmanagers", o.taskmanagers.size()},
         {"slots-total", total},
         {"slots-available", free},
         {"jobs-running", running},
         {"jobs-finished", finished},
         {"jobs-cancelled", cancelled},
         {"jobs-failed", failed},
         {"flink-version", version},
         {"flink-commit", ""}});
}

void web_config(jobmanager&, const httplib::Request&, httplib::Response& res) {
  reply(res, 200,
        {{"refresh-interval", 3000},
         {"timezone-name", "Coordinated Universal Time"},
         {"timezone-offset", 0},
         {"flink-version", version},
         {"flink-revision", ""},
         {"features", {{"web-submit", false}, {"web-cancel", true}, {"web-history", false}}}});
}

void jobmanager_config(jobmanager& jm, const httplib::Request&, httplib::Response& res) {
  json out = json::array();
  for (auto& [k, v] : jm.config().entries())
    out.push_back({{"key", k}, {"value", v}});
  reply(res, 200, out);
}

void list_taskmanagers(jobmanager& jm, const httplib::Request&, httplib::Response& res) {
  json out = json::array();
  unsigned cores = std::thread::hardware_concurrency();
  for (auto& tm : jm.overview().taskmanagers) {
    auto colon = tm.address.rfind(':');
    int port = colon == std::string::npos ? 0 : std::atoi(tm.address.c_str() + colon + 1);
    out.push_back(
        {{"id", tm.id},
         {"path", tm.address},
         {"dataPort", port},
         {"jmxPort", -1},
         {"timeSinceLastHeartbeat", tm.last_heartbeat_ms},
         {"slotsNumber", tm.slots},
         {"freeSlots", tm.free_slots},
         {"totalResource", json::object()},
         {"freeResource", json::object()},
         {"hardware",
          {{"cpuCores", cores}, {"physicalMemory", -1}, {"freeMemory", -1}, {"managedMemory", -1}}},
         {"memoryConfiguration", json::object()},
         {"host", tm.host},
         {"pid", tm.pid}});
  }
  reply(res, 200, {{"taskmanagers", out}});
}

} // namespace spate::cluster_detail::rest_api
