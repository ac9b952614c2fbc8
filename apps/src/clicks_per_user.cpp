// clicks_per_user: clicks per user in 10 s tumbling event-time windows.
#include <cmath>

#include <nlohmann/json.hpp>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/spate.hpp"

namespace spate::apps {

namespace {

const char* const job_name = "clicks_per_user";

std::optional<user_click> parse_click(const nlohmann::json& j) {
  user_click c;
  c.user = string_field(j, "user");
  c.ts = timestamp_field(j, "timestamp", /*numbers=*/true, /*text=*/true);
  return c;
}

const std::vector<std::string> actions{"click", "click",       "click",
                                       "view",  "add_to_cart", "purchase"};

} // namespace

clicks_per_user_options parse_clicks_per_user_args(const std::vector<std::string>& args) {
  clicks_per_user_options o;
  auto a = parse_job_args(job_name, args, {"--out-of-orderness", "--events-per-second"});
  if (auto it = a.find("--out-of-orderness"); it != a.end())
    o.out_of_orderness = seconds_arg(job_name, it->first, it->second, /*allow_zero=*/true);
  if (auto it = a.find("--events-per-second"); it != a.end())
    o.events_per_second = positive_number_arg(job_name, it->first, it->second);
  return o;
}

stream<std::string> clicks_per_user(stream<std::string> lines, const clicks_per_user_options& o) {
  auto clicks = parse_json_records<user_click>(lines, job_name, parse_click, o.malformed);
  int p = explicit_parallelism(clicks);
  auto timed = clicks.assign_timestamps_and_watermarks(
      watermark_strategy<user_click>::for_bounded_out_of_orderness(o.out_of_orderness)
          .with_timestamp_assigner([](const user_click& c) { return c.ts; }));
  if (p > 0)
    timed.set_parallelism(p);
  return timed.key_by([](const user_click& c) -> const std::string& { return c.user; })
      .window(tumbling_event_time_windows::of(o.window_size))
      .aggregate(count_records<user_click>{},
                 [](const std::string& user, const time_window& w,
                    const std::vector<std::int64_t>& count, collector<std::string>& out) {
                   nlohmann::ordered_json j;
                   j["window_start"] = w.start;
                   j["window_end"] = w.end;
                   j["user"] = user;
                   j["clicks"] = count.front();
                   out.collect(j.dump());
                 })
      .name("Click Windows")
      .uid("clicks-per-user-windows");
}

std::string make_clicks_record(std::uint64_t seq, record_rng& rng, double events_per_second) {
  constexpr timestamp start = 1704067200000; // 2024-01-01T00:00:00Z
  nlohmann::ordered_json j;
  // Skewed: user k with weight about 1/(k+1).
  auto k = static_cast<int>(std::floor(std::pow(51.0, rng.uniform()))) - 1;
  j["user"] = "user_" + std::to_string(k + 1);
  j["action"] = actions[static_cast<std::size_t>(rng() % actions.size())];
  timestamp ts = start + std::llround(static_cast<double>(seq) * 1000.0 / events_per_second) +
                 static_cast<timestamp>(rng.uniform() * 2'000) - 1'000;
  if (seq % 2 == 0)
    j["timestamp"] = static_cast<double>(ts) / 1000.0;
  else
    j["timestamp"] = format_iso8601(ts, 3);
  return j.dump();
}

source_spec<std::string> clicks_generator(generator_options g, double events_per_second) {
  return generator_source<std::string>(
      g,
      [events_per_second](std::uint64_t seq, record_rng& rng) {
        return make_clicks_record(seq, rng, events_per_second);
      },
      "clicks-generator");
}

void register_clicks_per_user(job_registry& registry) {
  job_definition job;
  job.name = job_name;
  job.description = "clicks per user in 10 s event-time windows, JSON lines {\"window_start\", "
                    "\"window_end\", \"user\", \"clicks\"}";
  // Event time runs 5x faster than the clock: a window closes every 2 s.
  job.default_input = "generator:rate=100";
  job.build = [](job_setup& setup) {
    auto o = parse_clicks_per_user_args(setup.args);
    double eps = o.events_per_second;
    setup.write_output(clicks_per_user(
        setup.input_lines([eps](const generator_options& g) { return clicks_generator(g, eps); }),
        o));
  };
  registry.add(std::move(job));
}

} // namespace spate::apps
