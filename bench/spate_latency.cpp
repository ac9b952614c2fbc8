// End-to-end latency and recovery (issue #20). A benchmark, never a test.
//
// `spate-latency` is the `spate` command line with one more job, `latency`:
// a rate-limited generator whose records carry the time they were made
// (CLOCK_MONOTONIC, comparable across processes of one machine) -> map ->
// key_by -> reduce (a running sum per key, state on RocksDB) -> a sink that
// measures now - stamp for every record into a log-bucketed histogram
// (HdrHistogram-like: 128 sub-buckets per power of two, < 0.8 % error).
// Every sink subtask writes its histogram into --hist-dir when it ends;
// `spate-latency report DIR` merges them and prints p50/p99/p99.9/max (in
// `spate local` the job prints its report itself). Because the binary is the
// whole command line, a cluster runs it too: start the cluster with
// SPATE_BIN=build/bin/spate-latency and `spate-latency run latency ...`.
//
// Job arguments (after --): --keys N (10000), --hist-dir DIR (where the sinks
// write their histograms), --warmup-ms MS (records a sink receives within MS
// of its first one are not counted; 2000), --first-output-dir DIR (every
// sink subtask, on its first record, writes a file named
// first-<open wall ms>-<first record wall ms>-<pid>-<subtask>: the recovery
// benchmark, scripts/bench-recovery.sh, finds the first output of a restarted
// attempt by it).
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "spate/apps/jobs.hpp"
#include "spate/apps/json_input.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"
#include "spate/spate.hpp"

namespace {

struct stamped_event {
  std::int64_t key = 0;
  std::int64_t value = 0;
  //! CLOCK_MONOTONIC nanoseconds when the source made the record.
  std::int64_t stamp_ns = 0;
  SPATE_FIELDS(key, value, stamp_ns);
};

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Log-linear buckets over nanoseconds: values below 256 exactly, above that
// the top 8 bits (128 sub-buckets per power of two) up to 2^48 ns.
class histogram {
public:
  static constexpr int sub_bits = 7;
  static constexpr std::size_t sub = std::size_t{1} << sub_bits; // 128
  static constexpr std::size_t size = 2 * sub + (48 - sub_bits - 1) * sub;

  static std::size_t index(std::uint64_t v) {
    if (v < 2 * sub)
      return static_cast<std::size_t>(v);
    int e = 63 - __builtin_clzll(v); // >= 8
    if (e >= 48)
      return size - 1;
    std::uint64_t m = v >> (e - sub_bits); // in [128, 256)
    return 2 * sub + static_cast<std::size_t>(e - sub_bits - 1) * sub +
           static_cast<std::size_t>(m - sub);
  }
  //! The highest value that falls into bucket `i`.
  static std::uint64_t upper(std::size_t i) {
    if (i < 2 * sub)
      return i;
    std::size_t j = i - 2 * sub;
    int e = static_cast<int>(j / sub) + sub_bits + 1;
    std::uint64_t m = sub + j % sub;
    return ((m + 1) << (e - sub_bits)) - 1;
  }

  void record(std::int64_t ns) {
    ++counts_[index(static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0)))];
    ++total_;
    max_ = std::max(max_, ns);
  }
  std::uint64_t total() const { return total_; }
  std::int64_t max() const { return max_; }
  //! The value at quantile q (the upper edge of its bucket, capped at max).
  std::int64_t quantile(double q) const {
    if (total_ == 0)
      return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < size; ++i) {
      seen += counts_[i];
      if (seen >= rank)
        return std::min<std::int64_t>(static_cast<std::int64_t>(upper(i)), max_);
    }
    return max_;
  }
  void write(const std::string& path) const {
    std::ofstream out(path);
    out << "total " << total_ << "\nmax " << max_ << "\n";
    for (std::size_t i = 0; i < size; ++i)
      if (counts_[i] != 0)
        out << i << " " << counts_[i] << "\n";
  }
  void merge_file(const std::string& path) {
    std::ifstream in(path);
    std::string word;
    std::uint64_t n = 0;
    std::int64_t m = 0;
    in >> word >> n >> word >> m;
    total_ += n;
    max_ = std::max(max_, m);
    std::size_t i = 0;
    std::uint64_t c = 0;
    while (in >> i >> c)
      if (i < size)
        counts_[i] += c;
  }

private:
  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(size);
  std::uint64_t total_ = 0;
  std::int64_t max_ = 0;
};

struct sink_options {
  std::string hist_dir;
  std::string first_output_dir;
  std::int64_t warmup_ms = 2000;
};

class latency_sink final : public spate::sink_function<stamped_event> {
public:
  explicit latency_sink(sink_options o) : o_(std::move(o)) {}
  void open(spate::runtime_context& ctx) override {
    subtask_ = ctx.subtask;
    opened_wall_ms_ = wall_ms();
  }
  void write(const spate::typed_batch<stamped_event>& batch) override {
    if (batch.values.empty())
      return;
    std::int64_t now = monotonic_ns();
    if (first_ns_ == 0) {
      first_ns_ = now;
      if (!o_.first_output_dir.empty()) {
        // Written to a temporary name and renamed: the watcher never sees half a file.
        std::string name = "first-" + std::to_string(opened_wall_ms_) + "-" +
                           std::to_string(wall_ms()) + "-" + std::to_string(::getpid()) + "-" +
                           std::to_string(subtask_);
        auto dir = std::filesystem::path(o_.first_output_dir);
        { std::ofstream(dir / ("." + name)) << "\n"; }
        std::error_code ec;
        std::filesystem::rename(dir / ("." + name), dir / name, ec);
      }
    }
    if (now - first_ns_ < o_.warmup_ms * 1'000'000) {
      skipped_ += batch.values.size();
      return;
    }
    for (const auto& e : batch.values)
      hist_.record(now - e.stamp_ns);
  }
  void close() override {
    if (o_.hist_dir.empty() || hist_.total() == 0)
      return;
    try {
      std::string name = "hist-" + std::to_string(::getpid()) + "-" + std::to_string(subtask_) +
                         "-" + std::to_string(monotonic_ns());
      hist_.write((std::filesystem::path(o_.hist_dir) / name).string());
    } catch (...) {
    }
  }

private:
  sink_options o_;
  int subtask_ = 0;
  std::int64_t opened_wall_ms_ = 0;
  std::int64_t first_ns_ = 0;
  std::uint64_t skipped_ = 0;
  histogram hist_;
};

//! Merges every hist-* file of `dir` and prints the percentiles; 1 when none.
int report(const std::string& dir) {
  histogram h;
  int files = 0;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind("hist-", 0) == 0) {
      h.merge_file(entry.path().string());
      ++files;
    }
  if (files == 0 || h.total() == 0) {
    std::fprintf(stderr, "spate-latency report: no histogram in %s\n", dir.c_str());
    return 1;
  }
  auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
  std::printf("latency records=%llu sinks=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
              static_cast<unsigned long long>(h.total()), files, ms(h.quantile(0.5)),
              ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.max()));
  return 0;
}

void register_latency(spate::job_registry& registry) {
  spate::job_definition job;
  job.name = "latency";
  job.description = "end-to-end latency: stamped generator -> map -> key_by -> reduce -> latency "
                    "sink; job args: --keys N, --hist-dir DIR, --warmup-ms MS, "
                    "--first-output-dir DIR; generator input only (give it a rate)";
  job.default_input = "generator:count=20000000";
  job.default_output = "discard";
  job.build = [](spate::job_setup& setup) {
    std::int64_t keys = 10000;
    sink_options so;
    auto a = spate::apps::parse_job_args(
        "latency", setup.args, {"--keys", "--hist-dir", "--warmup-ms", "--first-output-dir"});
    if (auto it = a.find("--keys"); it != a.end())
      keys = static_cast<std::int64_t>(
          spate::apps::positive_number_arg("latency", it->first, it->second));
    if (auto it = a.find("--warmup-ms"); it != a.end())
      so.warmup_ms = std::stoll(it->second);
    if (auto it = a.find("--hist-dir"); it != a.end())
      so.hist_dir = it->second;
    if (auto it = a.find("--first-output-dir"); it != a.end())
      so.first_output_dir = it->second;
    if (setup.input.kind != spate::input_spec::generator)
      throw spate::error(spate::errc::invalid_argument,
                         "latency generates its events: --input must be generator[:...]");
    const auto k = static_cast<std::uint64_t>(keys);
    setup.env
        .add_source(spate::generator_source<stamped_event>(
            setup.input.gen,
            [k](std::uint64_t seq, spate::record_rng& rng) {
              return stamped_event{static_cast<std::int64_t>(rng() % k),
                                   static_cast<std::int64_t>(seq), monotonic_ns()};
            }))
        .map([](stamped_event e) {
          e.value = e.value * 2 + 1;
          return e;
        })
        .key_by([](const stamped_event& e) { return e.key; })
        .reduce([](const stamped_event& acc, stamped_event e) {
          e.value += acc.value;
          return e;
        })
        .uid("latency-sums")
        .add_sink(spate::sink_spec<stamped_event>{
            "latency", [so] { return std::make_unique<latency_sink>(so); }, false});
  };
  job.after_local_run = [](spate::job_client&, const spate::job_result&,
                           const std::vector<std::string>& args) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--hist-dir")
        report(args[i + 1]);
  };
  registry.add(std::move(job));
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "report")
    return report(argv[2]);
  spate::job_registry registry;
  spate::apps::register_jobs(registry);
  register_latency(registry);
  return spate::run_cli(argc, argv, registry);
}
