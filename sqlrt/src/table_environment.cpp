#include "spate/sqlrt/table_environment.hpp"

#include "spate/api/builtin.hpp"
#include "spate/api/environment.hpp"
#include "spate/api/stream.hpp"
#include "spate/core/error.hpp"
#include "spate/sql/parser.hpp"
#include "spate/sqlrt/planner.hpp"

namespace spate::sql {

job_result table_result::wait() {
  if (!job)
    return {};
  job_result r = job->wait();
  if (r.status == job_status::failed)
    throw error(errc::failed_precondition, "SQL job failed: " + r.failure_cause);
  return r;
}

std::vector<std::string> table_result::collect() {
  wait();
  std::vector<std::string> out;
  if (!query)
    return out;
  std::lock_guard<std::mutex> lock(query->mu);
  for (const row& r : query->rows)
    out.push_back(to_print_string(r, query->layout));
  return out;
}

std::vector<row> table_result::rows_so_far() const {
  if (!query)
    return {};
  std::lock_guard<std::mutex> lock(query->mu);
  return query->rows;
}

table_environment::table_environment() = default;

table_environment::table_environment(configuration config) : config_(std::move(config)) {}

table_result table_environment::execute_sql(std::string_view sql) {
  return finish(session_.execute_sql(sql));
}

void table_environment::execute_script(std::string_view sql,
                                       const std::function<void(const table_result&)>& each) {
  for (const statement& s : parse_script(sql)) {
    table_result r = finish(session_.execute(s, sql));
    if (r.job)
      r.wait();
    if (each)
      each(r);
  }
}

table_result table_environment::finish(sql_result r) {
  table_result out;
  switch (r.type) {
    case sql_result::kind::ok:
      return out;
    case sql_result::kind::table:
      out.type = table_result::kind::table;
      out.columns = std::move(r.columns);
      out.rows = std::move(r.rows);
      return out;
    case sql_result::kind::plan: {
      bool query = !r.plan.roots.empty() && r.plan.roots[0]->kind != node_kind::sink;
      return run_plan(r.plan, query);
    }
  }
  return out;
}

table_result table_environment::run_plan(const logical_plan& plan, bool query) {
  configuration cfg = config_;
  start_options opts = start_;
  std::string name = "insert-into";
  for (const auto& [key, value] : session_.get_catalog().config()) {
    if (key == "execution.savepoint.path")
      opts.restore_path = value;
    else if (key == "execution.savepoint.ignore-unclaimed-state")
      opts.allow_non_restored_state = value == "true";
    else if (key == "pipeline.name")
      name = value;
    else
      cfg.set(key, value);
  }
  if (name == "insert-into") {
    if (query)
      name = "collect";
    else if (!plan.roots.empty())
      name = "insert-into_" + plan.roots[0]->table;
  }
  environment env(cfg);
  table_result out;
  out.type = table_result::kind::job;
  if (query) {
    auto rows = std::make_shared<query_rows>();
    out.query = rows;
    auto on_row = on_row_;
    translate(env, plan, [rows, on_row](const query_output& q) {
      rows->layout = q.layout;
      rows->names = q.names;
      const row_layout layout = q.layout;
      sink_spec<row> spec = callback_sink<row>([rows, on_row, layout](const row& r) {
        if (on_row)
          on_row(to_print_string(r, layout));
        std::lock_guard<std::mutex> lock(rows->mu);
        rows->rows.push_back(r);
      });
      spec.single_instance = true;
      return spec;
    });
  } else {
    translate(env, plan);
  }
  out.job.emplace(env.execute_async(name, opts));
  ++jobs_;
  return out;
}

} // namespace spate::sql
