#include "spate/apps/pipelines.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/json_writer.hpp"
#include "spate/core/error.hpp"
#include "spate/spate.hpp"

namespace spate::apps {

namespace {

//! A producer job: the generator of a seed job, written as it is to --output.
void register_producer(job_registry& registry, const std::string& name, const std::string& of,
                       double default_eps,
                       source_spec<std::string> (*make)(generator_options, double)) {
  job_definition job;
  job.name = name;
  job.description = "writes " + of + " events (the input of " + of +
                    ") to --output, e.g. a Kafka topic; --input generator:rate=R,count=N";
  job.default_input = "generator:rate=1000";
  job.build = [name, default_eps, make](job_setup& setup) {
    auto a = parse_job_args(name, setup.args, {"--events-per-second"});
    double eps = default_eps;
    if (auto it = a.find("--events-per-second"); it != a.end())
      eps = positive_number_arg(name, it->first, it->second);
    if (setup.input.kind != input_spec::generator)
      throw error(errc::invalid_argument,
                  name + " produces generated events: --input must be generator[:...], got '" +
                      setup.input.text + "'");
    setup.write_output(
        setup.input_lines([eps, make](const generator_options& g) { return make(g, eps); }));
  };
  registry.add(std::move(job));
}

source_spec<std::string> sensors_default(generator_options g, double eps) {
  return sensor_generator(g, eps, 1000);
}

} // namespace

std::string make_sensor_record(std::uint64_t seq, record_rng& rng, double events_per_second,
                               int sensors) {
  constexpr timestamp start = 1704067200000; // 2024-01-01T00:00:00Z
  std::string out;
  out.reserve(96);
  json_object_writer w(out);
  w.field("sensor_id", static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(sensors)) + 1);
  w.field("temperature", std::round((15.0 + rng.uniform() * 20.0) * 10.0) / 10.0);
  w.field("humidity", std::round((30.0 + rng.uniform() * 50.0) * 10.0) / 10.0);
  timestamp ts = start + std::llround(static_cast<double>(seq) * 1000.0 / events_per_second);
  w.field("timestamp", static_cast<double>(ts) / 1000.0);
  w.close();
  return out;
}

source_spec<std::string> sensor_generator(generator_options g, double events_per_second,
                                          int sensors) {
  return generator_source<std::string>(
      g,
      [events_per_second, sensors](std::uint64_t seq, record_rng& rng) {
        return make_sensor_record(seq, rng, events_per_second, sensors);
      },
      "sensor-generator");
}

namespace {

struct sensor_reading {
  std::int64_t sensor_id = 0;
  double temperature = 0;
  timestamp ts = 0;
  SPATE_FIELDS(sensor_id, temperature, ts);
};

//! The fields read from each reading, in this order.
json_record_format<sensor_reading> reading_format() {
  return {{"sensor_id", "temperature", "timestamp"},
          [](const json_record& r) -> std::optional<sensor_reading> {
            const json_field& id = r[0];
            if (id.missing())
              throw bad_record("missing field 'sensor_id'");
            sensor_reading out;
            // A JSON integer (no fraction, no exponent), or a string read by strtoll.
            if (id.kind == json_field::number &&
                id.text.find_first_of(".eE") == std::string_view::npos) {
              auto res =
                  std::from_chars(id.text.data(), id.text.data() + id.text.size(), out.sensor_id);
              if (res.ec != std::errc())
                out.sensor_id = 0; // beyond int64: not a usable id
            } else if (id.kind == json_field::string && !id.text.empty()) {
              out.sensor_id = std::strtoll(std::string(id.text).c_str(), nullptr, 10);
            } else {
              throw bad_record(std::string("field 'sensor_id' is ") + id.type_name() +
                               ", expected an integer");
            }
            if (out.sensor_id <= 0)
              throw bad_record("field 'sensor_id' must be a positive integer");
            out.temperature = number_field(r[1], "temperature");
            out.ts = timestamp_field(r[2], "timestamp", /*numbers=*/true, /*text=*/true);
            return out;
          }};
}

} // namespace

stream<std::string> sensor_status(stream<std::string> readings,
                                  std::shared_ptr<malformed_counter> malformed) {
  auto parsed =
      parse_json_records<sensor_reading>(readings, "sensor_to_redis", reading_format(), malformed);
  return parsed
      .map([](const sensor_reading& r) {
        std::string out;
        out.reserve(96);
        json_object_writer(out)
            .field("sensor_id", r.sensor_id)
            .field("status", "CLUSTER_ACTIVE")
            .field("temperature", r.temperature)
            .field("timestamp", r.ts)
            .close();
        return out;
      })
      .name("Sensor Status");
}

void register_pipelines(job_registry& registry) {
  register_producer(registry, "produce_tweets", "trending_hashtags", 5,
                    &trending_hashtags_generator);
  register_producer(registry, "produce_clicks", "clicks_per_user", 20, &clicks_generator);
  register_producer(registry, "produce_stock_prices", "stock_prices", 10, &stock_generator);
  register_producer(registry, "produce_sensors", "sensor_to_redis", 100, &sensors_default);

  job_definition replicate;
  replicate.name = "kafka_replicate";
  replicate.description = "copies every record of --input to --output as it is (topic to "
                          "topic; exactly once with sink.delivery-guarantee=exactly-once and "
                          "checkpoints)";
  replicate.build = [](job_setup& setup) {
    if (!setup.args.empty())
      throw error(errc::invalid_argument,
                  "kafka_replicate takes no job arguments, got '" + setup.args.front() + "'");
    setup.write_output(setup.input_lines(text_line_generator));
  };
  registry.add(std::move(replicate));

  job_definition sensors;
  sensors.name = "sensor_to_redis";
  sensors.description = "sensor readings to Redis: SET sensor_id_<id> CLUSTER_ACTIVE per reading "
                        "(the PyFlink job), pipelined; JSON lines {\"sensor_id\", \"status\", "
                        "\"temperature\", \"timestamp\"} to any other --output";
  sensors.default_input = "generator:rate=100";
  sensors.default_output = "redis://127.0.0.1:6379?key=sensor_id_{sensor_id}&value={status}";
  sensors.build = [](job_setup& setup) {
    if (!setup.args.empty())
      throw error(errc::invalid_argument,
                  "sensor_to_redis takes no job arguments, got '" + setup.args.front() + "'");
    setup.write_output(sensor_status(setup.input_lines(
        [](const generator_options& g) { return sensor_generator(g, 100, 1000); })));
  };
  registry.add(std::move(sensors));
}

} // namespace spate::apps
