#include "spate/nexmark/benchmark.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "spate/actors/restart_config.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/core/config.hpp"
#include "spate/core/error.hpp"
#include "spate/nexmark/queries.hpp"

namespace spate::nexmark {

namespace {

std::int64_t parse_int(const std::string& flag, const std::string& value, std::int64_t min) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || v < min)
    throw error(errc::invalid_argument, "nexmark: " + flag + " needs a whole number of at least " +
                                            std::to_string(min) + ", got '" + value + "'");
  return v;
}

double parse_positive(const std::string& flag, const std::string& value) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || !(v > 0))
    throw error(errc::invalid_argument,
                "nexmark: " + flag + " needs a positive number, got '" + value + "'");
  return v;
}

} // namespace

benchmark_options parse_benchmark_args(const std::vector<std::string>& args, benchmark_options o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size())
        throw error(errc::invalid_argument, "nexmark: " + flag + " needs a value");
      return args[++i];
    };
    if (flag == "--query") {
      o.query = value();
      const auto& names = query_names();
      if (std::find(names.begin(), names.end(), o.query) == names.end()) {
        std::string list;
        for (const auto& n : names)
          list += (list.empty() ? "" : " ") + n;
        throw error(errc::invalid_argument,
                    "nexmark: unknown query '" + o.query + "' (queries: " + list + ")");
      }
    } else if (flag == "--events") {
      o.events = parse_int(flag, value(), 1);
    } else if (flag == "--parallelism") {
      o.parallelism = static_cast<int>(parse_int(flag, value(), 1));
    } else if (flag == "--checkpoint-interval") {
      o.checkpoint_interval_ms = parse_int(flag, value(), 0);
    } else if (flag == "--state-dir") {
      o.state_dir = value();
    } else if (flag == "--seed") {
      o.generator.seed = static_cast<std::uint64_t>(parse_int(flag, value(), 0));
    } else if (flag == "-D") {
      const std::string& kv = value();
      if (kv.find('=') == std::string::npos || kv.front() == '=')
        throw error(errc::invalid_argument, "nexmark: -D needs key=value, got '" + kv + "'");
      o.config.push_back(kv);
    } else if (flag == "--rate") {
      o.generator.events_per_second = parse_positive(flag, value());
    } else {
      throw error(errc::invalid_argument,
                  "nexmark: unknown argument '" + flag +
                      "' (takes --query qN --events N [--parallelism P] [--checkpoint-interval MS] "
                      "[--state-dir DIR] [--seed S] [--rate EVENTS_PER_S] [-D key=value])");
    }
  }
  return o;
}

void apply_benchmark_config(const benchmark_options& o, configuration& config) {
  for (const auto& kv : o.config)
    config.set_from_assignment(kv);
  config.set(options::parallelism, std::to_string(o.parallelism));
  std::string dir =
      o.state_dir.empty() ? std::filesystem::temp_directory_path().string() : o.state_dir;
  config.set(options::state_dir, dir);
  if (o.checkpoint_interval_ms > 0) {
    config.set(options::checkpoint_interval, std::to_string(o.checkpoint_interval_ms));
    if (config.get_string(options::checkpoints_dir, "").empty())
      config.set(options::checkpoints_dir, dir + "/nexmark-checkpoints");
  }
}

std::string format_report(const benchmark_report& r) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "query           %s\n"
                "events          %lld\n"
                "parallelism     %d\n"
                "checkpoints     %s\n"
                "seconds         %.3f\n"
                "events/s        %.0f\n"
                "cpu seconds     %.3f\n"
                "events/s/core   %.0f\n"
                "peak rss        %.1f MiB\n",
                r.query.c_str(), static_cast<long long>(r.events), r.parallelism,
                r.checkpoint_interval_ms > 0
                    ? ("every " + std::to_string(r.checkpoint_interval_ms) + " ms, " +
                       std::to_string(r.checkpoints_completed) + " completed")
                          .c_str()
                    : "none",
                r.seconds, r.events_per_second(), r.cpu_seconds, r.events_per_core_second(),
                r.peak_rss_mib);
  return buf;
}

} // namespace spate::nexmark
