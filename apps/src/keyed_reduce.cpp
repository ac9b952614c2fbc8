#include "spate/apps/keyed_reduce.hpp"

#include "spate/apps/json_input.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"

namespace spate::apps {

namespace {

//! Event i: a key uniform over `keys`, value i.
stream<keyed_event> keyed_events(environment& env, const generator_options& gen,
                                 std::int64_t keys) {
  const auto k = static_cast<std::uint64_t>(keys);
  return env.add_source(generator_source<keyed_event>(gen, [k](std::uint64_t seq, record_rng& rng) {
    return keyed_event{static_cast<std::int64_t>(rng() % k), static_cast<std::int64_t>(seq)};
  }));
}

} // namespace

stream<keyed_event> keyed_reduce(environment& env, const generator_options& gen,
                                 std::int64_t keys) {
  return keyed_events(env, gen, keys)
      .map([](keyed_event e) {
        e.value = e.value * 2 + 1;
        return e;
      })
      .key_by([](const keyed_event& e) { return e.key; })
      .reduce([](const keyed_event& acc, keyed_event e) {
        e.value += acc.value;
        return e;
      })
      .uid("keyed-reduce-sums");
}

namespace {

struct count_and_sum {
  using accumulator_type = std::pair<std::int64_t, std::int64_t>;
  using result_type = accumulator_type;
  accumulator_type create_accumulator() const { return {0, 0}; }
  accumulator_type add(const keyed_event& e, accumulator_type acc) const {
    return {acc.first + 1, acc.second + e.value};
  }
  result_type get_result(const accumulator_type& acc) const { return acc; }
  accumulator_type merge(accumulator_type a, accumulator_type b) const {
    return {a.first + b.first, a.second + b.second};
  }
};

} // namespace

stream<window_count> keyed_window(environment& env, const generator_options& gen,
                                  std::int64_t keys) {
  return keyed_events(env, gen, keys)
      .assign_timestamps_and_watermarks(
          watermark_strategy<keyed_event>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const keyed_event& e) { return e.value / 1000; }))
      .key_by([](const keyed_event& e) { return e.key; })
      .window(tumbling_event_time_windows::of(std::chrono::seconds(1)))
      .aggregate(count_and_sum{},
                 [](const std::int64_t& key, const time_window& w,
                    const std::vector<std::pair<std::int64_t, std::int64_t>>& r,
                    collector<window_count>& out) {
                   out.collect({key, r.front().first, r.front().second, w.end});
                 })
      .uid("keyed-window-counts");
}

void register_keyed_reduce(job_registry& registry) {
  job_definition job;
  job.name = "keyed_reduce";
  job.description = "the foundation benchmark: generated (key, value) -> map -> key_by -> "
                    "reduce; job args: --keys N (default 10000); generator input only";
  job.default_input = "generator:count=20000000";
  job.default_output = "discard";
  job.build = [](job_setup& setup) {
    std::int64_t keys = 10000;
    for (std::size_t i = 0; i < setup.args.size(); ++i) {
      if (setup.args[i] == "--keys" && i + 1 < setup.args.size()) {
        try {
          keys = std::stoll(setup.args[++i]);
        } catch (const std::exception&) {
          keys = 0;
        }
        if (keys < 1)
          throw error(errc::invalid_argument,
                      "keyed_reduce: --keys needs a positive number, got '" + setup.args[i] + "'");
      } else {
        throw error(errc::invalid_argument,
                    "keyed_reduce: unknown job argument '" + setup.args[i] + "' (takes --keys N)");
      }
    }
    if (setup.input.kind != input_spec::generator)
      throw error(errc::invalid_argument,
                  "keyed_reduce generates its events: --input must be generator[:...]");
    auto sums = keyed_reduce(setup.env, setup.input.gen, keys);
    if (setup.output.kind == output_spec::discard)
      sums.add_sink(discard_sink<keyed_event>());
    else
      setup.write_output(sums.map([](const keyed_event& e) {
        return std::to_string(e.key) + "," + std::to_string(e.value);
      }));
  };
  registry.add(std::move(job));

  // The keyed-window micro-benchmark as a job, so its results can be written and compared
  // (scripts/compare-flink.sh runs it beside Flink).
  job_definition window;
  window.name = "keyed_window";
  window.description = "the keyed-window benchmark: generated (key, value), 1 s tumbling "
                       "event-time windows, count and sum per key, lines \"key,count,sum,"
                       "window_end\"; job args: --keys N (default 10000); generator input only";
  window.default_input = "generator:count=20000000";
  window.default_output = "discard";
  window.build = [](job_setup& setup) {
    std::int64_t keys = 10000;
    auto a = parse_job_args("keyed_window", setup.args, {"--keys"});
    if (auto it = a.find("--keys"); it != a.end())
      keys = static_cast<std::int64_t>(positive_number_arg("keyed_window", it->first, it->second));
    if (setup.input.kind != input_spec::generator)
      throw error(errc::invalid_argument,
                  "keyed_window generates its events: --input must be generator[:...]");
    auto counts = keyed_window(setup.env, setup.input.gen, keys);
    if (setup.output.kind == output_spec::discard)
      counts.add_sink(discard_sink<window_count>());
    else
      setup.write_output(counts.map([](const window_count& c) {
        return std::to_string(c.key) + "," + std::to_string(c.count) + "," + std::to_string(c.sum) +
               "," + std::to_string(c.window_end);
      }));
  };
  registry.add(std::move(window));
}

} // namespace spate::apps
