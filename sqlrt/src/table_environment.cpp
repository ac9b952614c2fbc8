#include "spate/sqlrt/table_environment.hpp"

#include <cctype>
#include <set>

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

table_result table_environment::execute(const statement& s, std::string_view sql) {
  return finish(session_.execute(s, sql));
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

namespace {

void collect_tables(const plan_node& n, std::set<const plan_node*>& seen, planned_job& out) {
  if (!seen.insert(&n).second)
    return;
  if (n.kind == node_kind::scan || n.kind == node_kind::sink || n.kind == node_kind::lookup_join)
    out.tables.emplace_back(n.table, n.options);
  for (const auto& in : n.inputs)
    if (in)
      collect_tables(*in, seen, out);
}

} // namespace

planned_job table_environment::analyze_script(std::string_view sql, logical_plan& all,
                                              bool allow_query) {
  planned_job out;
  bool has_query = false;
  for (const statement& s : parse_script(sql)) {
    sql_result r = session_.execute(s, sql);
    if (r.type != sql_result::kind::plan)
      continue;
    bool query = false;
    for (const auto& root : r.plan.roots)
      if (!root || root->kind != node_kind::sink)
        query = true;
    if (query && !allow_query)
      throw_validation_error(sql, s.pos,
                             "a query's rows are shown by the SQL client: run it in `spate sql` "
                             "(embedded, or with -m against a cluster), or INSERT INTO a table "
                             "(print, filesystem, kafka, ...) to run it as a job");
    if (query && (r.plan.roots.size() != 1 || !r.plan.roots[0]))
      throw_validation_error(sql, s.pos, "a query has one result");
    if ((query && !all.roots.empty()) || has_query)
      throw_validation_error(sql, s.pos,
                             "a script sent to a cluster runs its INSERTs or one query, not "
                             "both (nor two queries): submit them one by one");
    if (query) {
      has_query = true;
      out.query = query_output{names_of(*r.plan.roots[0]), layout_of(*r.plan.roots[0])};
    } else {
      out.inserts += static_cast<int>(r.plan.roots.size());
    }
    all.roots.insert(all.roots.end(), r.plan.roots.begin(), r.plan.roots.end());
  }
  if (all.roots.empty())
    throw error(errc::invalid_argument,
                allow_query ? "the SQL has no INSERT INTO (or statement set) or query to run as "
                              "a job"
                            : "the SQL has no INSERT INTO (or statement set) to run as a job");
  for (const auto& [key, value] : session_.get_catalog().config()) {
    if (key == "execution.savepoint.path")
      out.restore_path = value;
    else if (key == "execution.savepoint.ignore-unclaimed-state")
      out.allow_non_restored_state = value == "true";
    else if (key == "pipeline.name")
      out.name = value;
    else
      out.config[key] = value;
  }
  if (out.name.empty())
    out.name = out.query ? "collect" : "insert-into_" + all.roots[0]->table;
  std::set<const plan_node*> seen;
  for (const auto& root : all.roots)
    collect_tables(*root, seen, out);
  return out;
}

planned_job table_environment::analyze_script(std::string_view sql, bool allow_query) {
  logical_plan all;
  return analyze_script(sql, all, allow_query);
}

planned_job table_environment::plan_script(std::string_view sql, environment& env) {
  return plan_script(sql, env, {});
}

planned_job table_environment::plan_script(std::string_view sql, environment& env,
                                           const query_sink_factory& query_sink) {
  logical_plan all;
  planned_job out = analyze_script(sql, all, static_cast<bool>(query_sink));
  for (const auto& [key, value] : out.config)
    env.config().set(key, value);
  translate(env, all, query_sink);
  return out;
}

namespace {

//! The DataStream operators a plan runs as (EXPLAIN's second part): each with its parallelism
//! and its inputs with how records are shipped to it.
std::string physical_plan(const logical_plan& plan, const configuration& cfg) {
  environment env(cfg);
  translate(env, plan, [](const query_output&) {
    sink_spec<row> spec = callback_sink<row>([](const row&) {});
    spec.single_instance = true;
    spec.name = "collect";
    return spec;
  });
  const job_graph& g = env.graph();
  auto parallelism_of = [&](const job_vertex& v) {
    return v.single_instance ? 1 : v.parallelism > 0 ? v.parallelism : env.parallelism();
  };
  std::string out = "== Physical Execution Plan ==\n";
  for (const job_vertex& v : g.vertices()) {
    out += "[" + std::to_string(v.id.value() + 1) + "]:" + (v.is_source ? "Source: " : "") +
           v.name + "\n";
    out += "   parallelism: " + std::to_string(parallelism_of(v)) + "\n";
    for (const job_edge& e : g.edges()) {
      if (e.to != v.id)
        continue;
      std::string ship = to_string(e.part);
      if (e.part == partitioning::automatic)
        ship = parallelism_of(g.vertex(e.from)) == parallelism_of(v) ? "forward" : "rebalance";
      for (char& c : ship)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out += "   input: [" + std::to_string(e.from.value() + 1) + "] " + ship + "\n";
    }
  }
  return out;
}

} // namespace

table_result table_environment::finish(sql_result r) {
  table_result out;
  switch (r.type) {
    case sql_result::kind::ok:
      return out;
    case sql_result::kind::table:
      out.type = table_result::kind::table;
      out.columns = std::move(r.columns);
      out.rows = std::move(r.rows);
      // EXPLAIN (a table with its plan): the logical plan, then the operators it runs as.
      if (!r.plan.roots.empty() && out.rows.size() == 1 && out.rows[0].size() == 1)
        out.rows[0][0] += "\n" + physical_plan(r.plan, job_config());
      return out;
    case sql_result::kind::plan: {
      bool query = !r.plan.roots.empty() && r.plan.roots[0]->kind != node_kind::sink;
      return run_plan(r.plan, query);
    }
  }
  return out;
}

configuration table_environment::job_config() const {
  configuration cfg = config_;
  for (const auto& [key, value] : session_.get_catalog().config())
    if (key != "execution.savepoint.path" && key != "execution.savepoint.ignore-unclaimed-state" &&
        key != "pipeline.name")
      cfg.set(key, value);
  return cfg;
}

table_result table_environment::run_plan(const logical_plan& plan, bool query) {
  configuration cfg = job_config();
  start_options opts = start_;
  std::string name = "insert-into";
  for (const auto& [key, value] : session_.get_catalog().config()) {
    if (key == "execution.savepoint.path")
      opts.restore_path = value;
    else if (key == "execution.savepoint.ignore-unclaimed-state")
      opts.allow_non_restored_state = value == "true";
    else if (key == "pipeline.name")
      name = value;
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
