#include "spate/api/environment.hpp"

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/metrics/job_metrics.hpp"

namespace spate {

environment::environment() = default;

environment::environment(configuration config) : config_(std::move(config)) {
  // Validate early so a bad value names its key before anything runs.
  set_parallelism(parallelism());
  set_max_parallelism(max_parallelism());
  configure_log(config_); // log.format / log.level, when given
}

environment& environment::set_parallelism(int p) {
  if (p < 1)
    throw error(errc::invalid_argument, "parallelism must be at least 1, got " + std::to_string(p));
  config_.set(options::parallelism, std::to_string(p));
  return *this;
}

int environment::parallelism() const {
  return static_cast<int>(config_.get_int(options::parallelism, 1, 1, upper_max_parallelism));
}

environment& environment::set_max_parallelism(int m) {
  if (m < 1 || m > upper_max_parallelism)
    throw error(errc::invalid_argument, "max parallelism must be within 1.." +
                                            std::to_string(upper_max_parallelism) + ", got " +
                                            std::to_string(m));
  config_.set(options::max_parallelism, std::to_string(m));
  return *this;
}

int environment::max_parallelism() const {
  return static_cast<int>(
      config_.get_int(options::max_parallelism, default_max_parallelism, 1, upper_max_parallelism));
}

vertex_id environment::add_operator(job_vertex v, const std::vector<detail::input_ref>& inputs,
                                    int input_index) {
  auto id = graph_.add_vertex(std::move(v)).id;
  for (const auto& in : inputs)
    graph_.add_edge({in.vertex, in.tag, id, input_index, in.part, in.writer, in.make_batch});
  return id;
}

vertex_id environment::add_two_input_operator(job_vertex v,
                                              const std::vector<detail::input_ref>& first,
                                              const std::vector<detail::input_ref>& second) {
  auto id = add_operator(std::move(v), first, 0);
  for (const auto& in : second)
    graph_.add_edge({in.vertex, in.tag, id, 1, in.part, in.writer, in.make_batch});
  return id;
}

job_client environment::execute_async(const std::string& job_name) {
  return execute_async(job_name, start_options{});
}

job_client environment::execute_async(const std::string& job_name, const start_options& options) {
  if (graph_.vertices().empty())
    throw error(errc::invalid_argument, "the job '" + job_name + "' has no operators");
  prometheus::embedded_reporter::prepare(config_); // before the job: a taken port fails it
  job_graph g = std::move(graph_);
  graph_ = job_graph();
  auto client = start_job(std::move(g), config_, job_name, options);
  prometheus::embedded_reporter::add(client);
  return client;
}

job_result environment::execute(const std::string& job_name) {
  auto client = execute_async(job_name);
  return client.wait();
}

std::string prometheus_endpoint_url() { return prometheus::embedded_reporter::url(); }

} // namespace spate
