// The Nexmark benchmark runner behind `spate-nexmark` and `spate local
// nexmark`: options, the job, and the report (events, seconds, events/s, CPU
// seconds, events/s per core, peak RSS).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spate/api/environment.hpp"
#include "spate/core/process_stats.hpp"
#include "spate/nexmark/generator.hpp"

namespace spate::nexmark {

struct benchmark_options {
  std::string query = "q0";
  std::int64_t events = 10'000'000;
  int parallelism = 2;
  //! Exactly-once checkpoints every this many ms; 0: none.
  std::int64_t checkpoint_interval_ms = 0;
  //! RocksDB working files; checkpoints go to a directory below it.
  std::string state_dir;
  generator_config generator;
  //! Configuration key=value pairs (-D), Flink's key names.
  std::vector<std::string> config;
};

//! Parses `--query qN --events N [--parallelism P] [--checkpoint-interval MS]
//! [--state-dir DIR] [--seed S] [--rate EVENTS_PER_S] [-D key=value]` (the job arguments of
//! `spate local nexmark -- ...`). `defaults` fills what is not given. Throws
//! spate::error(errc::invalid_argument) naming a bad or unknown argument.
benchmark_options parse_benchmark_args(const std::vector<std::string>& args,
                                       benchmark_options defaults = {});

//! Sets parallelism, state directory and checkpointing in `config`.
void apply_benchmark_config(const benchmark_options& o, configuration& config);

//! What one run measured.
struct benchmark_report {
  std::string query;
  std::int64_t events = 0;
  int parallelism = 0;
  std::int64_t checkpoint_interval_ms = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
  std::int64_t checkpoints_completed = 0;
  double events_per_second() const { return seconds > 0 ? events / seconds : 0; }
  double events_per_core_second() const { return cpu_seconds > 0 ? events / cpu_seconds : 0; }
};

using spate::process_cpu_seconds;
using spate::process_peak_rss_mib;

//! The report as `name value` lines (what both commands print).
std::string format_report(const benchmark_report& r);

} // namespace spate::nexmark
