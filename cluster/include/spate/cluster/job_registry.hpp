// Jobs registered by name: what `spate jobs` lists and `spate local JOB` runs.
// A job is a function that builds a graph on an environment; every process
// that runs it builds the same graph.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spate/api/environment.hpp"
#include "spate/connectors/io_spec.hpp"

namespace spate {

//! What a job's build function gets: the environment and the job options of
//! the command line.
struct job_setup {
  environment& env;
  input_spec input;
  output_spec output;
  //! Arguments after `--`, for the job to interpret.
  std::vector<std::string> args;
  //! The --output SPECs after the first: write_output() writes to them too.
  std::vector<output_spec> extra_outputs = {};

  //! Lines from --input; `generator` makes the job's own records when the
  //! input is a generator.
  stream<std::string> input_lines(const line_generator& generator) const {
    return read_lines(env, input, generator);
  }
  //! Sends lines to --output (each of them, when given several times).
  void write_output(stream<std::string> lines) const {
    for (const auto& extra : extra_outputs)
      write_lines(lines, extra);
    write_lines(std::move(lines), output);
  }
};

struct job_definition {
  std::string name;
  //! One line for `spate jobs`.
  std::string description;
  //! --input when none is given.
  std::string default_input = "generator";
  //! --output when none is given.
  std::string default_output = "print";
  //! Builds the graph. Throws spate::error(errc::invalid_argument) for bad
  //! job arguments (the CLI exits with code 2).
  std::function<void(job_setup&)> build;
  //! Optional: called by `spate local` once the job ended, with its client,
  //! its result and the job arguments (a benchmark prints its figures here).
  std::function<void(job_client&, const job_result&, const std::vector<std::string>& args)>
      after_local_run;
};

class job_registry {
public:
  //! Adds a job; a second job of the same name replaces the first.
  void add(job_definition job) { jobs_[job.name] = std::move(job); }
  //! The job named `name`, or nullptr.
  const job_definition* find(const std::string& name) const {
    auto it = jobs_.find(name);
    return it == jobs_.end() ? nullptr : &it->second;
  }
  //! Every job, by name.
  const std::map<std::string, job_definition>& all() const { return jobs_; }

private:
  std::map<std::string, job_definition> jobs_;
};

//! The `spate` command line: `spate jobs`, `spate local JOB [options] [-- args]`,
//! the cluster processes (`spate jobmanager`, `spate taskmanager`) and the
//! commands that drive a cluster (`spate run`, `list`, `info`, `cancel`,
//! `savepoint`, `stop`, `overview`).
//! Returns the process exit code: 0 success, 1 the job failed, 2 bad usage
//! (unknown option or job, bad SPEC, missing input file).
int run_cli(int argc, char** argv, job_registry& jobs);

} // namespace spate
