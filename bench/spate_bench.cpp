// Throughput of the foundation pipeline: generator -> map -> key_by -> reduce
// -> discard, with state on RocksDB. Prints events/s, CPU seconds and peak
// RSS. A benchmark, never a test: run it by hand or with scripts/run-benchmarks.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/keyed_reduce.hpp"

#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/io_spec.hpp"
#include "spate/core/process_stats.hpp"
#include "spate/spate.hpp"

int main(int argc, char** argv) {
  std::int64_t events = 20'000'000;
  std::int64_t keys = 10'000;
  int parallelism = 2;
  std::size_t cache = spate::default_state_cache_entries;
  std::string state_dir = std::filesystem::temp_directory_path().string();
  std::int64_t checkpoint_ms = 0;
  std::string pipeline = "reduce";
  CLI::App app{"spate-bench: generator -> map -> key_by -> reduce -> discard"};
  app.add_option("--events", events, "Events to generate")->check(CLI::PositiveNumber);
  app.add_option("--keys", keys, "Distinct keys")->check(CLI::PositiveNumber);
  app.add_option("--parallelism", parallelism, "Parallelism of every operator")
      ->check(CLI::Range(1, 128));
  app.add_option("--state-cache", cache, "Write-back cache entries per state (0: off)");
  app.add_option("--state-dir", state_dir, "Where RocksDB keeps its working files");
  app.add_option("--checkpoint-interval", checkpoint_ms,
                 "Exactly-once checkpoints every MS milliseconds (0: none)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--pipeline", pipeline,
                 "reduce (the foundation pipeline), window (keyed 1 s tumbling windows, count "
                 "and sum per key), or a JSON job on its generator: trending_hashtags, "
                 "clicks_per_user, stock_prices")
      ->check(CLI::IsMember(
          {"reduce", "window", "trending_hashtags", "clicks_per_user", "stock_prices"}));
  std::string input;
  app.add_option("--input", input,
                 "The JSON jobs' input lines from SPEC (file:PATH, written e.g. by `spate local "
                 "produce_tweets --output file:PATH`) instead of their generator; give --events "
                 "as the number of lines");
  std::vector<std::string> overrides;
  app.add_option("-D", overrides,
                 "KEY=VALUE: a configuration entry (repeatable), e.g. "
                 "-D spate.metrics.task-time.enabled=false")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  std::int64_t poll_metrics_ms = 0;
  app.add_option("--poll-metrics-ms", poll_metrics_ms,
                 "Read every subtask's task metrics every MS milliseconds while the job runs, "
                 "as a reporter does (0: never)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  spate::configuration cfg;
  cfg.set(spate::options::parallelism, std::to_string(parallelism));
  cfg.set(spate::options::state_dir, state_dir);
  cfg.set(spate::options::state_cache_entries, std::to_string(cache));
  std::string checkpoint_dir = state_dir + "/spate-bench-checkpoints";
  if (checkpoint_ms > 0) {
    cfg.set(spate::options::checkpoint_interval, std::to_string(checkpoint_ms));
    cfg.set(spate::options::checkpoints_dir, checkpoint_dir);
  }
  for (auto& kv : overrides) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "-D takes KEY=VALUE, got '" << kv << "'\n";
      return 2;
    }
    cfg.set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  spate::environment env(cfg);
  spate::generator_options gen;
  gen.count = events;
  const std::int64_t k = keys;
  auto lines = [&](const spate::line_generator& generator) {
    if (input.empty())
      return env.add_source(generator(gen));
    return spate::read_lines(env, spate::parse_input_spec(input), generator);
  };
  if (pipeline == "trending_hashtags") {
    spate::apps::trending_hashtags(lines([](const spate::generator_options& g) {
      return spate::apps::trending_hashtags_generator(g, 1000);
    })).add_sink(spate::discard_sink<std::string>());
  } else if (pipeline == "clicks_per_user") {
    spate::apps::clicks_per_user(lines([](const spate::generator_options& g) {
      return spate::apps::clicks_generator(g, 1000);
    })).add_sink(spate::discard_sink<std::string>());
  } else if (pipeline == "stock_prices") {
    spate::apps::stock_prices(lines([](const spate::generator_options& g) {
      return spate::apps::stock_generator(g, 1000);
    })).add_sink(spate::discard_sink<std::string>());
  } else if (pipeline == "window") {
    spate::apps::keyed_window(env, gen, k)
        .add_sink(spate::discard_sink<spate::apps::window_count>());
  } else {
    spate::apps::keyed_reduce(env, gen, k)
        .add_sink(spate::discard_sink<spate::apps::keyed_event>());
  }

  double cpu0 = spate::process_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  auto client = env.execute_async("spate-bench");
  std::thread poller;
  std::int64_t polls = 0;
  if (poll_metrics_ms > 0)
    poller = std::thread([&] {
      while (!client.wait_for(std::chrono::milliseconds(poll_metrics_ms))) {
        (void)client.task_metrics();
        ++polls;
      }
    });
  auto result = client.wait();
  if (poller.joinable())
    poller.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = spate::process_cpu_seconds() - cpu0;
  if (result.status != spate::job_status::finished) {
    std::cerr << "spate-bench: job " << spate::to_string(result.status) << ": "
              << result.failure_cause << "\n";
    return 1;
  }
  if (pipeline == "trending_hashtags")
    std::printf("pipeline        trending_hashtags (JSON parse, 60 s event-time windows)\n");
  else if (pipeline == "clicks_per_user")
    std::printf("pipeline        clicks_per_user (JSON parse, 10 s event-time windows)\n");
  else if (pipeline == "stock_prices")
    std::printf("pipeline        stock_prices (JSON parse, 10 s windows, min/max price)\n");
  else if (pipeline == "window")
    std::printf(
        "pipeline        generator -> key_by -> 1 s tumbling window (count, sum) -> discard\n");
  else
    std::printf("pipeline        generator -> map -> key_by -> reduce -> discard\n");
  std::printf("events          %lld\n", static_cast<long long>(events));
  std::printf("keys            %lld\n", static_cast<long long>(keys));
  std::printf("parallelism     %d\n", parallelism);
  std::printf("state cache     %zu entries per state\n", cache);
  std::printf("seconds         %.3f\n", secs);
  std::printf("events/s        %.0f\n", static_cast<double>(events) / secs);
  std::printf("cpu seconds     %.3f\n", cpu);
  std::printf("events/s/core   %.0f\n", static_cast<double>(events) / cpu);
  std::printf("peak rss        %.1f MiB\n", spate::process_peak_rss_mib());
  if (poll_metrics_ms > 0)
    std::printf("metric polls    %lld (every %lld ms)\n", static_cast<long long>(polls),
                static_cast<long long>(poll_metrics_ms));
  if (checkpoint_ms > 0) {
    std::vector<std::int64_t> durations;
    std::uint64_t size = 0;
    for (auto& c : client.checkpoint_history())
      if (c.status == "COMPLETED") {
        durations.push_back(c.end_to_end_duration);
        size = c.state_size;
      }
    std::sort(durations.begin(), durations.end());
    auto pct = [&](double q) {
      return durations.empty() ? 0
                               : durations[static_cast<std::size_t>(q * (durations.size() - 1))];
    };
    auto totals = client.checkpoint_totals();
    std::printf("checkpoints     every %lld ms: %lld completed, %lld failed\n",
                static_cast<long long>(checkpoint_ms), static_cast<long long>(totals.completed),
                static_cast<long long>(totals.failed));
    std::printf("checkpoint ms   p50 %lld, p99 %lld\n", static_cast<long long>(pct(0.5)),
                static_cast<long long>(pct(0.99)));
    std::int64_t sync = 0, async = 0, align = 0, n = 0;
    for (auto& c : client.checkpoint_history())
      if (c.status == "COMPLETED") {
        sync += c.sync_duration;
        async += c.async_duration;
        align += c.alignment_duration;
        ++n;
      }
    if (n > 0)
      std::printf(
          "checkpoint mean sync %lld ms, async %lld ms, alignment %lld ms (slowest subtask)\n",
          static_cast<long long>(sync / n), static_cast<long long>(async / n),
          static_cast<long long>(align / n));
    std::printf("checkpoint size %.1f KiB (last)\n", static_cast<double>(size) / 1024.0);
    // The benchmark's scratch checkpoints: a leftover is harmless.
    std::error_code ec;
    std::filesystem::remove_all(checkpoint_dir, ec);
  }
  return 0;
}
