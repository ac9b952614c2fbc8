// The processes of a spate cluster: one JobManager (REST API, job masters
// and checkpoint coordinators, slot pool) and TaskManagers (tasks), meshed
// over ZeroMQ. `spate jobmanager` and `spate taskmanager` run them.
#pragma once

#include <string>
#include <vector>

#include "spate/cluster/job_registry.hpp"
#include "spate/core/config.hpp"

namespace spate {

//! What a job submission names: a registered job (or one from a job library)
//! and the job options `spate local` takes. Every process builds the same
//! graph from it.
struct job_request {
  std::string job;
  //! A shared object that registers jobs (spate_register_jobs); empty: built in.
  std::string library;
  std::string input;  //!< --input; the job's default when empty
  std::string output; //!< --output; the job's default when empty
  //! Further --output SPECs: the job's output goes to each as well.
  std::vector<std::string> extra_outputs;
  std::vector<std::string> args;
  //! A SQL script instead of a registered job: its INSERTs and statement sets become one job,
  //! which every process plans from this text (table_environment::plan_script). When set,
  //! the fields above are empty.
  std::string sql;

  std::string to_json() const;
  //! Throws spate::error(errc::invalid_argument) for malformed JSON.
  static job_request from_json(const std::string& text);
};

//! A job reference of the command line: "NAME", or a job library
//! "PATH.so[:NAME]" (PATH made absolute; NAME empty when not given).
job_request parse_job_reference(const std::string& reference);

//! Builds the graph of `request` on `env` (loading its library first; a
//! library that registers one job needs no job name). Throws spate::error:
//! errc::not_found for an unknown job or library, errc::invalid_argument for
//! bad job options.
//! Returns the name of the job it built.
std::string build_job(job_registry& jobs, const job_request& request, environment& env);

//! Loads a job library: a shared object exporting
//! `extern "C" void spate_register_jobs(spate::job_registry&)`; returns the
//! names of the jobs it registered. Loading the same path again returns the
//! same names. Throws errc::not_found naming the path.
std::vector<std::string> load_job_library(const std::string& path, job_registry& jobs);

//! Runs a JobManager until SIGINT/SIGTERM; returns the exit code.
int run_jobmanager(const configuration& config, job_registry& jobs);
//! Runs a TaskManager until SIGINT/SIGTERM; returns the exit code.
int run_taskmanager(const configuration& config, job_registry& jobs);

} // namespace spate
