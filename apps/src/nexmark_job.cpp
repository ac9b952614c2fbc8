#include <iostream>

#include "spate/apps/jobs.hpp"
#include "spate/nexmark/benchmark.hpp"
#include "spate/nexmark/queries.hpp"

namespace spate::apps {

void register_nexmark(job_registry& registry) {
  job_definition job;
  job.name = "nexmark";
  job.description = "a Nexmark query on its generator into a discard sink, then the figures; "
                    "job args: --query qN --events N [--parallelism P] [--checkpoint-interval MS] "
                    "[--state-dir DIR] [--seed S] [--rate EVENTS_PER_S]";
  job.default_input = "generator";
  job.default_output = "discard";
  job.build = [](job_setup& setup) {
    if (setup.input.kind != input_spec::kind_t::generator)
      throw error(errc::invalid_argument,
                  "nexmark generates its events: --input must be generator");
    auto o = nexmark::parse_benchmark_args(setup.args);
    nexmark::apply_benchmark_config(o, setup.env.config());
    nexmark::build_query(setup.env, o.query, o.generator, o.events);
  };
  job.after_local_run = [](job_client& client, const job_result& r,
                           const std::vector<std::string>& args) {
    if (r.status != job_status::finished)
      return;
    auto o = nexmark::parse_benchmark_args(args);
    nexmark::benchmark_report report;
    report.query = o.query;
    report.events = o.events;
    report.parallelism = o.parallelism;
    report.checkpoint_interval_ms = o.checkpoint_interval_ms;
    report.seconds = static_cast<double>(r.net_runtime.count()) / 1000.0;
    report.cpu_seconds = nexmark::process_cpu_seconds();
    report.peak_rss_mib = nexmark::process_peak_rss_mib();
    report.checkpoints_completed = client.checkpoint_totals().completed;
    std::cout << nexmark::format_report(report) << std::flush;
  };
  registry.add(std::move(job));
}

} // namespace spate::apps
