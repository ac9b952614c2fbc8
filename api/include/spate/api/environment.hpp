// The entry point of the API (Flink's StreamExecutionEnvironment): sources,
// settings, execution in this process.
#pragma once

#include <string>
#include <vector>

#include "spate/actors/restart_config.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/actors/job_client.hpp"
#include "spate/actors/job_graph.hpp"
#include "spate/actors/record_writer.hpp"
#include "spate/api/functions.hpp"
#include "spate/core/config.hpp"

namespace spate {

template <class T>
class stream;

namespace detail {

//! One input of an operator about to be added: which vertex output, and how
//! its records are distributed.
struct input_ref {
  vertex_id vertex;
  std::string tag;
  partitioning part = partitioning::automatic;
  writer_factory writer;
  //! Empty batches of the edge's record type (for records from other processes).
  batch_factory make_batch;
};

} // namespace detail

class environment {
public:
  //! An environment with default configuration (parallelism 1).
  environment();
  //! An environment reading Flink's keys from `config` (`parallelism.default`,
  //! `pipeline.max-parallelism`, `execution.buffer-timeout`, ...).
  explicit environment(configuration config);

  //! Default parallelism of every operator that sets none. Throws for p < 1.
  environment& set_parallelism(int p);
  int parallelism() const;
  //! Number of key groups (default 128): the upper bound for rescaling.
  environment& set_max_parallelism(int m);
  int max_parallelism() const;
  configuration& config() { return config_; }
  const configuration& config() const { return config_; }

  //! Adds a source; see connectors/ for files, sockets and the generator.
  template <class T>
  stream<T> add_source(source_spec<T> spec);
  //! A bounded, non-parallel source of the given items.
  template <class T>
  stream<T> from_collection(std::vector<T> items);

  //! Runs the job built so far in this process and blocks until it ends.
  //! Returns FINISHED, FAILED (with the exception text) or CANCELED; throws
  //! spate::error only when the job cannot start (invalid graph or config).
  //! The environment is empty afterwards and can build another job.
  job_result execute(const std::string& job_name = "spate job");
  //! Starts the job and returns at once with a client to watch or cancel it.
  //! With metrics.reporter.prom.port set, the job is served on this
  //! process's Prometheus endpoint (prometheus_endpoint_url), which the
  //! first such job starts; throws spate::error(errc::unavailable) when no
  //! port of the option is free (the job does not start then).
  job_client execute_async(const std::string& job_name = "spate job");
  //! Starts the job from a savepoint or retained checkpoint (start_options).
  job_client execute_async(const std::string& job_name, const start_options& options);

  //! The graph built so far (for the runtime and tests).
  job_graph& graph() { return graph_; }
  //! Adds an operator fed by `inputs` on input `input_index` (API internals).
  vertex_id add_operator(job_vertex v, const std::vector<detail::input_ref>& inputs,
                         int input_index = 0);
  //! Adds a two-input operator: `first` feeds input 0, `second` input 1.
  vertex_id add_two_input_operator(job_vertex v, const std::vector<detail::input_ref>& first,
                                   const std::vector<detail::input_ref>& second);

private:
  configuration config_;
  job_graph graph_;
};

//! Where this process's Prometheus endpoint listens
//! ("http://127.0.0.1:9250/metrics"), empty when no job asked for one. It
//! serves Flink's process, job and task metrics of every job started here
//! that has not ended, until the process exits (docs/metrics.md).
std::string prometheus_endpoint_url();

} // namespace spate
