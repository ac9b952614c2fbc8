#include <dlfcn.h>

#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "spate/cluster/cluster.hpp"
#include "spate/core/error.hpp"

namespace spate {

std::string job_request::to_json() const {
  nlohmann::json j;
  j["job"] = job;
  j["library"] = library;
  j["input"] = input;
  j["output"] = output;
  j["args"] = args;
  return j.dump();
}

job_request job_request::from_json(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    job_request r;
    r.job = j.at("job").get<std::string>();
    r.library = j.value("library", "");
    r.input = j.value("input", "");
    r.output = j.value("output", "");
    r.args = j.value("args", std::vector<std::string>{});
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw error(errc::invalid_argument, std::string("malformed job request: ") + e.what());
  }
}

void load_job_library(const std::string& path, job_registry& jobs) {
  static std::mutex mu;
  static std::set<std::string> loaded;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded.count(path))
    return;
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle)
    throw error(errc::not_found, "cannot load job library '" + path + "': " + dlerror());
  using register_fn = void (*)(job_registry&);
  auto fn = reinterpret_cast<register_fn>(dlsym(handle, "spate_register_jobs"));
  if (!fn)
    throw error(errc::not_found, "job library '" + path +
                                     "' does not export spate_register_jobs(spate::job_registry&)");
  fn(jobs);
  loaded.insert(path);
}

void build_job(const job_registry& jobs, const job_request& request, environment& env) {
  const auto* job = jobs.find(request.job);
  if (!job)
    throw error(errc::not_found, "unknown job '" + request.job + "' (spate jobs lists them)");
  job_setup setup{env,
                  parse_input_spec(request.input.empty() ? job->default_input : request.input),
                  parse_output_spec(request.output.empty() ? job->default_output : request.output),
                  request.args};
  check_input(setup.input);
  job->build(setup);
}

} // namespace spate
