// The REST API's query results: GET /jobs/:jobid/results?from=N&version=V, the rows a SQL
// query's job sent to the JobManager (query_results.hpp), as `spate sql -m` reads them.
#include <algorithm>
#include <cctype>
#include <optional>

#include "query_results.hpp"
#include "rest_routes.hpp"
#include "spate/core/error.hpp"

namespace spate::cluster_detail::rest_api {

namespace {

//! Rows in one reply at most (a reader asks again from `next`).
constexpr std::size_t max_rows_per_reply = 10000;

//! Query parameter `name` as a count: digits only, at most 18 of them. nullopt when absent;
//! throws refused(400) naming it when malformed.
std::optional<std::uint64_t> count_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name))
    return std::nullopt;
  auto text = req.get_param_value(name);
  bool digits =
      !text.empty() && text.size() <= 18 &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!digits)
    throw refused(400, std::string("Bad parameter '") + name + "': '" + text +
                           "' is not a count (0, 1, 2, ...)");
  return std::stoull(text);
}

} // namespace

void job_results(jobmanager& jm, const httplib::Request& req, httplib::Response& res) {
  auto job = job_of(jm, req, res);
  if (!job)
    return;
  auto results = jm.find_results(job->job_id());
  if (!results) {
    fail(res, 404, "Job " + job->job_id() + " not found");
    return;
  }
  if (!*results) {
    fail(res, 400,
         "Job " + job->job_id() + " ('" + job->job_name() +
             "') runs no query: only the job of a SQL query (SELECT, from `spate sql -m` or "
             "POST /jobs {\"sql\"}) has results");
    return;
  }
  std::uint64_t from = 0;
  std::optional<std::uint64_t> version;
  try {
    from = count_param(req, "from").value_or(0);
    version = count_param(req, "version");
  } catch (const refused& e) {
    fail(res, e.status, e.what());
    return;
  }
  // The state first: a job that ended has sent every row before it did.
  bool ended = is_terminal(job->status());
  query_results::page page;
  try {
    page = (*results)->read(version, from, max_rows_per_reply);
  } catch (const error& e) {
    fail(res, 400, std::string("Bad parameters: ") + e.what());
    return;
  }
  json columns = json::array();
  for (const auto& c : (*results)->columns())
    columns.push_back({{"name", c.name}, {"type", c.type}});
  json rows = json::array();
  for (const auto& r : page.rows) {
    json values = json::array();
    for (const auto& v : r.values)
      values.push_back(v ? json(*v) : json(nullptr));
    rows.push_back({{"kind", row_kind_name(r.kind)}, {"values", std::move(values)}});
  }
  std::uint64_t next = page.from + page.rows.size();
  json body = {
      {"version", page.version}, {"from", page.from}, {"columns", std::move(columns)},
      {"rows", std::move(rows)}, {"next", next},      {"end", ended && next == page.available},
      {"dropped", page.dropped}};
  res.status = 200;
  // Values are the job's bytes: what is not UTF-8 shows as U+FFFD instead of failing the reply.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json; charset=UTF-8");
}

} // namespace spate::cluster_detail::rest_api
