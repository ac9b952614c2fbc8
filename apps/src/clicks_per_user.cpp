// clicks_per_user: clicks per user in 10 s tumbling event-time windows.
#include <cmath>
#include <charconv>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/json_writer.hpp"
#include "spate/spate.hpp"

namespace spate::apps {

namespace {

const char* const job_name = "clicks_per_user";

const std::vector<std::string> actions{"click", "click",       "click",
                                       "view",  "add_to_cart", "purchase"};

} // namespace

//! The fields read from each click, in this order.
json_record_format<user_click> user_click_format() {
  return {{"user", "timestamp"}, [](const json_record& r) -> std::optional<user_click> {
            user_click c;
            c.user = string_field(r[0], "user");
            c.ts = timestamp_field(r[1], "timestamp", /*numbers=*/true, /*text=*/true);
            return c;
          }};
}

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
  auto clicks = parse_json_records<user_click>(lines, job_name, user_click_format(), o.malformed);
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
                   std::string line;
                   line.reserve(80 + user.size());
                   json_object_writer(line)
                       .field("window_start", w.start)
                       .field("window_end", w.end)
                       .field("user", user)
                       .field("clicks", count.front())
                       .close();
                   out.collect(std::move(line));
                 })
      .name("Click Windows")
      .uid("clicks-per-user-windows");
}

std::string make_clicks_record(std::uint64_t seq, record_rng& rng, double events_per_second) {
  constexpr timestamp start = 1704067200000; // 2024-01-01T00:00:00Z
  // Skewed: user k with weight about 1/(k+1).
  auto k = static_cast<int>(std::floor(std::pow(51.0, rng.uniform()))) - 1;
  char user[32] = "user_";
  const std::string_view user_text(
      user,
      static_cast<std::size_t>(std::to_chars(user + 5, user + sizeof user, k + 1).ptr - user));
  const std::string& action = actions[static_cast<std::size_t>(rng() % actions.size())];
  timestamp ts = start + std::llround(static_cast<double>(seq) * 1000.0 / events_per_second) +
                 static_cast<timestamp>(rng.uniform() * 2'000) - 1'000;
  std::string out;
  out.reserve(96);
  json_object_writer w(out);
  w.field("user", user_text).field("action", action);
  if (seq % 2 == 0) {
    w.field("timestamp", static_cast<double>(ts) / 1000.0);
  } else {
    char text[iso8601_max];
    w.field("timestamp", std::string_view(text, format_iso8601(text, ts, 3, /*zone=*/true)));
  }
  w.close();
  return out;
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
