// spate-nexmark: one Nexmark query over its generator into a discard sink,
// then the figures (events, seconds, events/s, CPU seconds, events/s per
// core, peak RSS). A benchmark, never a test: scripts/run-nexmark.sh runs the
// suite and writes the table in docs/benchmarks.md.
#include <chrono>
#include <iostream>

#include "spate/nexmark/benchmark.hpp"
#include "spate/nexmark/queries.hpp"
#include "spate/spate.hpp"

int main(int argc, char** argv) {
  using namespace spate;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout
          << "usage: spate-nexmark --query qN --events N [--parallelism P] "
             "[--checkpoint-interval MS] [--state-dir DIR] [--seed S] [--rate EVENTS_PER_S]\n";
      return 0;
    }
  nexmark::benchmark_options o;
  try {
    o = nexmark::parse_benchmark_args(args);
  } catch (const error& e) {
    std::cerr << "spate-nexmark: " << e.what() << "\n";
    return 2;
  }
  configuration cfg;
  nexmark::apply_benchmark_config(o, cfg);
  environment env(cfg);
  nexmark::build_query(env, o.query, o.generator, o.events);

  double cpu0 = nexmark::process_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  auto client = env.execute_async("nexmark " + o.query);
  auto result = client.wait();
  nexmark::benchmark_report r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = nexmark::process_cpu_seconds() - cpu0;
  if (result.status != job_status::finished) {
    std::cerr << "spate-nexmark: job " << to_string(result.status) << ": " << result.failure_cause
              << "\n";
    return 1;
  }
  r.query = o.query;
  r.events = o.events;
  r.parallelism = o.parallelism;
  r.checkpoint_interval_ms = o.checkpoint_interval_ms;
  r.checkpoints_completed = client.checkpoint_totals().completed;
  r.peak_rss_mib = nexmark::process_peak_rss_mib();
  std::cout << nexmark::format_report(r) << std::flush;
  return 0;
}
