// The REST API's metric resources, in Flink's shape: /jobs/:jobid/metrics,
// /jobmanager/metrics and /taskmanagers/:tmid/metrics. Without `get` they
// list the names ([{"id": ...}]); with `get=a,b` they give those values as
// strings ([{"id": ..., "value": "..."}]); unknown names are left out.
#include <map>
#include <set>

#include "prometheus.hpp"
#include "rest_routes.hpp"

namespace spate::cluster_detail::rest_api {

namespace {

template <class Map>
void metrics_reply(const httplib::Request& req, httplib::Response& res, const Map& values) {
  json out = json::array();
  if (!req.has_param("get")) {
    for (auto& [name, value] : values)
      out.push_back({{"id", name}});
    reply(res, 200, out);
    return;
  }
  std::set<std::string> seen;
  auto wanted = req.get_param_value("get");
  std::size_t pos = 0;
  while (pos <= wanted.size()) {
    auto comma = wanted.find(',', pos);
    auto name = wanted.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? wanted.size() + 1 : comma + 1;
    auto b = name.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    name = name.substr(b, name.find_last_not_of(' ') - b + 1);
    auto it = values.find(name);
    if (it != values.end() && seen.insert(name).second)
      out.push_back(
          {{"id", name}, {"value", prometheus::format_value(static_cast<double>(it->second))}});
  }
  reply(res, 200, out);
}

} // namespace

void job_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  metrics_reply(req, res, job->job_metrics());
}

void jobmanager_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  metrics_reply(req, res, jm.jobmanager_metrics());
}

void taskmanager_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  std::string id = req.matches[1];
  auto values = jm.taskmanager_metrics(id);
  if (!values) {
    fail(res, 404, "TaskManager " + id + " not found");
    return;
  }
  metrics_reply(req, res, *values);
}

} // namespace spate::cluster_detail::rest_api
