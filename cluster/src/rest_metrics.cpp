// The REST API's metric resources, in Flink's shape: /jobs/:jobid/metrics,
// /jobmanager/metrics and /taskmanagers/:tmid/metrics. Without `get` they
// list the names ([{"id": ...}]); with `get=a,b` they give those values as
// strings ([{"id": ..., "value": "..."}]); unknown names are left out.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "spate/metrics/job_metrics.hpp"
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

namespace {

//! The metrics of the subtasks of vertex `req.matches[2]`, or a reply (404) and false.
bool vertex_subtasks(jobmanager& jm, const httplib::Request& req, httplib::Response& res,
                     std::shared_ptr<job_client>& job, std::vector<subtask_io_metrics>& out) {
  job = job_of(jm, req, res);
  if (!job)
    return false;
  int c = vertex_of(*job, req, res);
  if (c < 0)
    return false;
  for (auto& m : job->task_metrics())
    if (m.task == c)
      out.push_back(std::move(m));
  return true;
}

//! The names of `?get=a,b` (trimmed, empty ones dropped, each once).
std::vector<std::string> wanted_names(const httplib::Request& req, const char* param) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  auto wanted = req.get_param_value(param);
  std::size_t pos = 0;
  while (pos <= wanted.size()) {
    auto comma = wanted.find(',', pos);
    auto name = wanted.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? wanted.size() + 1 : comma + 1;
    auto b = name.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    name = name.substr(b, name.find_last_not_of(' ') - b + 1);
    if (seen.insert(name).second)
      names.push_back(name);
  }
  return names;
}

} // namespace

void vertex_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<job_client> job;
  std::vector<subtask_io_metrics> subtasks;
  if (!vertex_subtasks(jm, req, res, job, subtasks))
    return;
  std::map<std::string, double> values;
  for (auto& m : subtasks)
    for (auto& [name, value] : prometheus::task_metric_values(m))
      values[std::to_string(m.subtask) + "." + name] = value;
  metrics_reply(req, res, values);
}

void vertex_subtask_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<job_client> job;
  std::vector<subtask_io_metrics> subtasks;
  if (!vertex_subtasks(jm, req, res, job, subtasks))
    return;
  const std::string index = req.matches[3];
  for (auto& m : subtasks)
    if (std::to_string(m.subtask) == index) {
      metrics_reply(req, res, prometheus::task_metric_values(m));
      return;
    }
  fail(res, 404, "Subtask " + index + " not found in vertex " + std::string(req.matches[2]));
}

void vertex_subtasks_metrics(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<job_client> job;
  std::vector<subtask_io_metrics> subtasks;
  if (!vertex_subtasks(jm, req, res, job, subtasks))
    return;
  // name -> the value of every subtask that has one (NaN: none).
  std::map<std::string, std::vector<double>> values;
  for (auto& m : subtasks)
    for (auto& [name, value] : prometheus::task_metric_values(m))
      if (!std::isnan(value))
        values[name].push_back(value);
  json out = json::array();
  if (!req.has_param("get")) {
    for (auto& [name, v] : values)
      out.push_back({{"id", name}});
    reply(res, 200, out);
    return;
  }
  static const std::vector<std::string> all = {"min", "max", "avg", "sum"};
  auto aggs = req.has_param("agg") ? wanted_names(req, "agg") : all;
  for (auto& a : aggs)
    if (std::find(all.begin(), all.end(), a) == all.end()) {
      fail(res, 400, "Unknown aggregation '" + a + "': use min, max, avg or sum");
      return;
    }
  for (auto& name : wanted_names(req, "get")) {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty())
      continue;
    auto& v = it->second;
    double sum = 0;
    for (double x : v)
      sum += x;
    json entry = {{"id", name}};
    for (auto& a : aggs) {
      if (a == "min")
        entry["min"] = *std::min_element(v.begin(), v.end());
      else if (a == "max")
        entry["max"] = *std::max_element(v.begin(), v.end());
      else if (a == "avg")
        entry["avg"] = sum / static_cast<double>(v.size());
      else
        entry["sum"] = sum;
    }
    out.push_back(entry);
  }
  reply(res, 200, out);
}

void vertex_backpressure(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<job_client> job;
  std::vector<subtask_io_metrics> subtasks;
  if (!vertex_subtasks(jm, req, res, job, subtasks))
    return;
  // As Flink's JobVertexBackPressureInfo.deprecated(): no statistics.
  const json deprecated = {{"status", "deprecated"}};
  if (is_terminal(job->status())) {
    reply(res, 200, deprecated);
    return;
  }
  json list = json::array();
  double max_ratio = -1;
  std::int64_t end = 0;
  for (auto& m : subtasks) {
    if (!m.reported || std::isnan(m.back_pressured_ms))
      continue;
    const double ratio = m.back_pressured_ms / 1000.0;
    const char* level = backpressure_level(ratio);
    list.push_back({{"subtask", m.subtask},
                    {"backpressureLevel", level},
                    {"backpressure-level", level},
                    {"ratio", ratio},
                    {"idleRatio", m.idle_ms / 1000.0},
                    {"busyRatio", m.busy_ms / 1000.0}});
    max_ratio = std::max(max_ratio, ratio);
    end = std::max(end, m.measured_at_ms);
  }
  if (list.empty()) {
    reply(res, 200, deprecated);
    return;
  }
  const char* level = backpressure_level(max_ratio);
  reply(res, 200,
        {{"status", "ok"},
         {"backpressureLevel", level},
         {"backpressure-level", level},
         {"end-timestamp", end},
         {"subtasks", list}});
}

void vertex_watermarks(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<job_client> job;
  std::vector<subtask_io_metrics> subtasks;
  if (!vertex_subtasks(jm, req, res, job, subtasks))
    return;
  json out = json::array();
  for (auto& m : subtasks)
    if (m.reported)
      out.push_back({{"id", std::to_string(m.subtask) + ".currentInputWatermark"},
                     {"value", std::to_string(m.input_watermark)}});
  reply(res, 200, out);
}

} // namespace spate::cluster_detail::rest_api
