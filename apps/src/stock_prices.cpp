// stock_prices: count, lowest and highest price per ticker in tumbling,
// sliding or session event-time windows (the managed Flink guide's stock
// ticker examples).
#include <cmath>
#include <limits>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/json_writer.hpp"
#include "spate/core/error.hpp"
#include "spate/spate.hpp"

namespace spate::apps {

namespace {

const char* const job_name = "stock_prices";

//! Count, min and max price, incrementally (mergeable, so sessions work).
struct price_aggregate {
  using accumulator_type = price_stats;
  using result_type = price_stats;
  price_stats create_accumulator() const {
    return {0, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  }
  price_stats add(const stock_tick& t, price_stats acc) const {
    ++acc.count;
    acc.min_price = std::min(acc.min_price, t.price);
    acc.max_price = std::max(acc.max_price, t.price);
    return acc;
  }
  price_stats get_result(const price_stats& acc) const { return acc; }
  price_stats merge(price_stats a, const price_stats& b) const {
    a.count += b.count;
    a.min_price = std::min(a.min_price, b.min_price);
    a.max_price = std::max(a.max_price, b.max_price);
    return a;
  }
};

const std::vector<std::string> tickers{"AAPL", "AMZN", "MSFT", "INTC", "TBV"};

} // namespace

//! The fields read from each tick, in this order.
json_record_format<stock_tick> stock_tick_format() {
  return {{"event_time", "ticker", "price"}, [](const json_record& r) -> std::optional<stock_tick> {
            stock_tick t;
            t.ts = timestamp_field(r[0], "event_time", /*numbers=*/false, /*text=*/true);
            t.ticker = string_field(r[1], "ticker");
            t.price = number_field(r[2], "price");
            return t;
          }};
}

stock_prices_options parse_stock_prices_args(const std::vector<std::string>& args) {
  stock_prices_options o;
  auto a = parse_job_args(
      job_name, args,
      {"--window", "--size", "--slide", "--gap", "--out-of-orderness", "--events-per-second"});
  if (auto it = a.find("--window"); it != a.end()) {
    if (it->second == "tumbling")
      o.window = stock_window::tumbling;
    else if (it->second == "sliding")
      o.window = stock_window::sliding;
    else if (it->second == "session")
      o.window = stock_window::session;
    else
      throw error(errc::invalid_argument, std::string(job_name) +
                                              ": job argument --window must be tumbling, "
                                              "sliding or session, got '" +
                                              it->second + "'");
  }
  auto only_for = [&](const char* arg, stock_window kind, const char* kind_name) {
    if (a.count(arg) && o.window != kind)
      throw error(errc::invalid_argument, std::string(job_name) + ": job argument " + arg +
                                              " applies to --window " + kind_name + " only");
  };
  only_for("--slide", stock_window::sliding, "sliding");
  only_for("--gap", stock_window::session, "session");
  if (a.count("--size") && o.window == stock_window::session)
    throw error(errc::invalid_argument,
                std::string(job_name) +
                    ": job argument --size applies to --window tumbling or sliding, not session "
                    "(use --gap)");
  if (auto it = a.find("--size"); it != a.end())
    o.size = seconds_arg(job_name, it->first, it->second, /*allow_zero=*/false);
  if (auto it = a.find("--slide"); it != a.end())
    o.slide = seconds_arg(job_name, it->first, it->second, /*allow_zero=*/false);
  if (auto it = a.find("--gap"); it != a.end())
    o.gap = seconds_arg(job_name, it->first, it->second, /*allow_zero=*/false);
  if (auto it = a.find("--out-of-orderness"); it != a.end())
    o.out_of_orderness = seconds_arg(job_name, it->first, it->second, /*allow_zero=*/true);
  if (auto it = a.find("--events-per-second"); it != a.end())
    o.events_per_second = positive_number_arg(job_name, it->first, it->second);
  return o;
}

stream<std::string> stock_prices(stream<std::string> lines, const stock_prices_options& o) {
  window_assigner windows;
  switch (o.window) {
    case stock_window::tumbling:
      windows = tumbling_event_time_windows::of(o.size);
      break;
    case stock_window::sliding:
      windows = sliding_event_time_windows::of(o.size, o.slide);
      break;
    case stock_window::session:
      windows = event_time_session_windows::with_gap(o.gap);
      break;
  }
  auto ticks = parse_json_records<stock_tick>(lines, job_name, stock_tick_format(), o.malformed);
  int p = explicit_parallelism(ticks);
  auto timed = ticks.assign_timestamps_and_watermarks(
      watermark_strategy<stock_tick>::for_bounded_out_of_orderness(o.out_of_orderness)
          .with_timestamp_assigner([](const stock_tick& t) { return t.ts; }));
  if (p > 0)
    timed.set_parallelism(p);
  return timed.key_by([](const stock_tick& t) -> const std::string& { return t.ticker; })
      .window(windows)
      .aggregate(price_aggregate{},
                 [](const std::string& ticker, const time_window& w,
                    const std::vector<price_stats>& stats, collector<std::string>& out) {
                   const price_stats& s = stats.front();
                   std::string line;
                   line.reserve(128 + ticker.size());
                   json_object_writer(line)
                       .field("window_start", w.start)
                       .field("window_end", w.end)
                       .field("ticker", ticker)
                       .field("count", s.count)
                       .field("min_price", s.min_price)
                       .field("max_price", s.max_price)
                       .close();
                   out.collect(std::move(line));
                 })
      .name("Price Windows")
      .uid("stock-prices-windows");
}

std::string make_stock_record(std::uint64_t seq, record_rng& rng, double events_per_second) {
  constexpr timestamp start = 1704067200000; // 2024-01-01T00:00:00Z
  timestamp ts = start + std::llround(static_cast<double>(seq) * 1000.0 / events_per_second) +
                 static_cast<timestamp>(rng.uniform() * 400) - 200;
  std::string out;
  out.reserve(96);
  json_object_writer w(out);
  // As the guide's Python producer writes datetime.now().isoformat().
  char event_time[iso8601_max];
  w.field("event_time",
          std::string_view(event_time, format_iso8601(event_time, ts, 6, /*zone=*/false)));
  w.field("ticker", tickers[static_cast<std::size_t>(rng() % tickers.size())]);
  w.field("price", static_cast<double>(static_cast<std::int64_t>(rng.uniform() * 10000)) / 100.0);
  w.close();
  return out;
}

source_spec<std::string> stock_generator(generator_options g, double events_per_second) {
  return generator_source<std::string>(
      g,
      [events_per_second](std::uint64_t seq, record_rng& rng) {
        return make_stock_record(seq, rng, events_per_second);
      },
      "stock-generator");
}

void register_stock_prices(job_registry& registry) {
  job_definition job;
  job.name = job_name;
  job.description = "count, min and max price per ticker in tumbling, sliding or session "
                    "event-time windows (-- --window KIND), JSON lines";
  // Event time runs 5x faster than the clock: a tumbling window closes every 2 s.
  job.default_input = "generator:rate=50";
  job.build = [](job_setup& setup) {
    auto o = parse_stock_prices_args(setup.args);
    double eps = o.events_per_second;
    setup.write_output(stock_prices(
        setup.input_lines([eps](const generator_options& g) { return stock_generator(g, eps); }),
        o));
  };
  registry.add(std::move(job));
}

} // namespace spate::apps
