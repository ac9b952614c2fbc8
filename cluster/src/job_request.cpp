#include <dlfcn.h>

#include <filesystem>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "job_request.hpp"
#include "spate/cluster/cluster.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace cluster_detail {

job_request sql_request(std::string text) {
  job_request r;
  r.sql = std::move(text);
  return r;
}

bool is_sql_request(const job_request& r) { return !r.sql.empty(); }

const std::string& sql_text(const job_request& r) {
  if (!is_sql_request(r))
    throw error(errc::invalid_argument, "not a SQL job request");
  return r.sql;
}

sql::planned_job analyze_sql_request(const job_request& r, const configuration& config) {
  sql::table_environment t(config);
  return t.analyze_script(sql_text(r), /*allow_query=*/true);
}

sql::planned_job build_sql_job(const job_request& r, environment& env,
                               const sql::query_sink_factory& query_sink) {
  sql::table_environment t(env.config());
  auto planned = t.plan_script(sql_text(r), env, query_sink);
  // The snapshot a job starts from is the submission's (savepointPath, --from-savepoint): it is
  // checked there, and the JobManager alone restores it.
  if (!planned.restore_path.empty())
    throw error(errc::invalid_argument,
                "SET 'execution.savepoint.path' does not start a job on a cluster: give the "
                "savepoint with --from-savepoint (spate run --sql) or \"savepointPath\" "
                "(POST /jobs)");
  return planned;
}

} // namespace cluster_detail

std::string job_request::to_json() const {
  nlohmann::json j;
  if (cluster_detail::is_sql_request(*this)) {
    j["sql"] = sql;
    return j.dump();
  }
  j["job"] = job;
  j["library"] = library;
  j["input"] = input;
  j["output"] = output;
  j["extraOutputs"] = extra_outputs;
  j["args"] = args;
  return j.dump();
}

job_request job_request::from_json(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    if (j.contains("sql"))
      return cluster_detail::sql_request(j.at("sql").get<std::string>());
    job_request r;
    r.job = j.at("job").get<std::string>();
    r.library = j.value("library", "");
    r.input = j.value("input", "");
    r.output = j.value("output", "");
    r.extra_outputs = j.value("extraOutputs", std::vector<std::string>{});
    r.args = j.value("args", std::vector<std::string>{});
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw error(errc::invalid_argument, std::string("malformed job request: ") + e.what());
  }
}

job_request parse_job_reference(const std::string& reference) {
  job_request r;
  auto so = reference.find(".so");
  bool library = reference.find('/') != std::string::npos || so != std::string::npos;
  if (!library) {
    r.job = reference;
    return r;
  }
  std::string path = reference;
  if (so != std::string::npos && so + 3 < reference.size() && reference[so + 3] == ':') {
    path = reference.substr(0, so + 3);
    r.job = reference.substr(so + 4);
  }
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec)
    throw error(errc::io,
                "job library path '" + path + "' cannot be made absolute: " + ec.message());
  r.library = absolute.lexically_normal().string();
  return r;
}

std::vector<std::string> load_job_library(const std::string& path, job_registry& jobs) {
  static std::mutex mu;
  static std::map<std::string, std::vector<std::string>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(path);
  if (it != loaded.end())
    return it->second;
  if (!std::filesystem::exists(path))
    throw error(errc::not_found, "job library '" + path + "' does not exist");
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw error(errc::not_found, "cannot load job library '" + path + "': " + dlerror());
  using register_fn = void (*)(job_registry&);
  auto fn = reinterpret_cast<register_fn>(dlsym(handle, "spate_register_jobs"));
  if (!fn)
    throw error(errc::not_found, "job library '" + path +
                                     "' does not export spate_register_jobs(spate::job_registry&)");
  job_registry own;
  fn(own);
  std::vector<std::string> names;
  for (auto& [name, job] : own.all()) {
    names.push_back(name);
    jobs.add(job);
  }
  loaded[path] = names;
  return names;
}

std::string build_job(job_registry& jobs, const job_request& request, environment& env) {
  if (cluster_detail::is_sql_request(request))
    return cluster_detail::build_sql_job(request, env).name;
  std::string name = request.job;
  if (!request.library.empty()) {
    auto names = load_job_library(request.library, jobs);
    if (name.empty()) {
      if (names.size() != 1) {
        std::string list;
        for (auto& n : names)
          list += (list.empty() ? "" : ", ") + n;
        throw error(errc::invalid_argument, "job library '" + request.library + "' registers " +
                                                std::to_string(names.size()) + " jobs (" + list +
                                                "): name one as PATH.so:JOB");
      }
      name = names.front();
    }
  }
  const auto* job = jobs.find(name);
  if (!job)
    throw error(errc::not_found, "unknown job '" + name + "' (spate jobs lists them)");
  job_setup setup{env, parse_input_spec(request.input.empty() ? job->default_input : request.input),
                  parse_output_spec(request.output.empty() ? job->default_output : request.output),
                  request.args};
  for (const auto& extra : request.extra_outputs)
    setup.extra_outputs.push_back(parse_output_spec(extra));
  check_input(setup.input);
  check_output(setup.output);
  for (const auto& extra : setup.extra_outputs)
    check_output(extra);
  job->build(setup);
  return name;
}

} // namespace spate
