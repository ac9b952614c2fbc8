// spate-kafka-bench's spate jobs: kafka_source -> map -> kafka_sink (spate),
// generator -> redis_sink (redis).
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "kafka_bench.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/kafka_sink.hpp"
#include "spate/connectors/kafka_source.hpp"
#include "spate/connectors/redis_sink.hpp"
#include "spate/connectors/uri.hpp"
#include "spate/core/process_stats.hpp"
#include "spate/spate.hpp"

namespace kafka_bench {

namespace {

// The job of mode spate: kafka_source (bounded, latest-offset) -> map -> kafka_sink.
void add_pipeline(spate::environment& env, const std::string& brokers, const std::string& topic,
                  const std::string& out, const std::string& guarantee,
                  const std::vector<std::string>& source_options,
                  const std::vector<std::string>& sink_options) {
  std::string source_uri = "kafka://" + brokers + "/" + topic +
                           "?scan.startup.mode=earliest-offset&scan.bounded.mode=latest-offset";
  for (const auto& o : source_options)
    source_uri += "&" + o;
  auto in_cfg = spate::parse_kafka_source_config(spate::parse_connector_uri(source_uri, "input"));
  std::string sink_uri = "kafka://" + brokers + "/" + out + "?sink.delivery-guarantee=" + guarantee;
  if (guarantee == "exactly-once")
    sink_uri += "&sink.transactional-id-prefix=spate-kafka-bench-" + std::to_string(::getpid());
  for (const auto& o : sink_options)
    sink_uri += "&" + o;
  auto out_cfg = spate::parse_kafka_sink_config(spate::parse_connector_uri(sink_uri, "output"));
  // The map: toggles the case of one letter of the padding, in place.
  env.add_source(spate::kafka_source(in_cfg))
      .map([](std::string&& s) {
        if (s.size() > 4)
          s[s.size() - 3] ^= 0x20;
        return std::move(s);
      })
      .add_sink(spate::kafka_sink(out_cfg));
}

// The checkpoints of a finished job: completed and failed ones appended to
// `extra`, their durations on stderr (SPATE_KAFKA_BENCH_DEBUG); returns the
// result line's "checkpoints=N".
std::string describe_checkpoints(const spate::job_client& client, std::int64_t checkpoint_ms,
                                 std::string& extra) {
  auto totals = client.checkpoint_totals();
  std::string more = "checkpoints=" + std::to_string(totals.completed);
  extra += ", checkpoints every " + std::to_string(checkpoint_ms) +
           " ms: " + std::to_string(totals.completed) + " completed, " +
           std::to_string(totals.failed) + " failed";
  std::string durations;
  for (const auto& c : client.checkpoint_history()) {
    if (c.status == "COMPLETED")
      durations += " " + std::to_string(c.end_to_end_duration) + " ms (sync " +
                   std::to_string(c.sync_duration) + ")";
    else if (c.status == "FAILED" && !c.failure_message.empty())
      durations += " failed: " + c.failure_message;
  }
  if (debug && !durations.empty())
    std::fprintf(stderr, "checkpoints:%s\n", durations.c_str());
  return more;
}

} // namespace

void run_spate(const std::string& brokers, const std::string& topic, const std::string& out,
               int parallelism, const std::string& guarantee, std::int64_t checkpoint_ms,
               std::size_t size, const std::vector<std::string>& source_options,
               const std::vector<std::string>& sink_options,
               const std::vector<std::string>& config) {
  // Offsets of every record, committed or not (a transaction's markers reach
  // the partitions shortly after its commit returned, and read_committed
  // offsets wait for them).
  auto rk = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers},
                                            {"group.id", "spate-kafka-bench"},
                                            {"isolation.level", "read_uncommitted"}});
  int in_parts = partition_count(rk.get(), topic);
  int out_parts = partition_count(rk.get(), out);
  if (in_parts == 0 || out_parts == 0)
    die("topic " + (in_parts == 0 ? topic : out) + " does not exist");
  std::int64_t in_records = topic_offsets(rk.get(), topic, in_parts);
  std::int64_t out_before = topic_offsets(rk.get(), out, out_parts);

  spate::configuration cfg;
  cfg.set(spate::options::parallelism, std::to_string(parallelism));
  for (const auto& kv : config)
    cfg.set_from_assignment(kv);
  auto ck_dir = std::filesystem::temp_directory_path() /
                ("spate-kafka-bench-ck-" + std::to_string(::getpid()));
  if (checkpoint_ms > 0) {
    cfg.set("execution.checkpointing.interval", std::to_string(checkpoint_ms));
    cfg.set("state.checkpoints.dir", ck_dir.string());
  }
  spate::environment env(cfg);
  add_pipeline(env, brokers, topic, out, guarantee, source_options, sink_options);

  double cpu0 = spate::process_cpu_seconds();
  auto t0 = clock_type::now();
  auto client = env.execute_async("spate-kafka-bench");
  auto result = client.wait();
  double secs = seconds_since(t0);
  double cpu = spate::process_cpu_seconds() - cpu0;
  if (result.status != spate::job_status::finished)
    die(std::string("job ") + spate::to_string(result.status) + ": " + result.failure_cause);
  std::int64_t written = 0;
  for (int i = 0; i < 100; ++i) {
    written = topic_offsets(rk.get(), out, out_parts) - out_before;
    if (written >= in_records)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Exactly-once: every transaction adds a commit marker per partition it wrote.
  if (written < in_records)
    die("the output topic gained " + std::to_string(written) + " offsets for " +
        std::to_string(in_records) + " input records");
  std::string extra = "P " + std::to_string(parallelism) + ", " + guarantee, more;
  if (checkpoint_ms > 0) {
    more = describe_checkpoints(client, checkpoint_ms, extra);
    // The benchmark's scratch checkpoints: a leftover is harmless.
    std::error_code ec;
    std::filesystem::remove_all(ck_dir, ec);
  }
  extra += ", output offsets +" + std::to_string(written);
  // Every record of a bench topic has `size` bytes (the script says so).
  report("spate", in_records, in_records * static_cast<std::int64_t>(size), secs, cpu, extra, more);
}

// ---------------------------------------------------------------------------
// redis: generator -> redis_sink

void run_redis(const std::string& uri, std::int64_t records, std::size_t size, int parallelism,
               const std::string& sink) {
  spate::configuration cfg;
  cfg.set(spate::options::parallelism, std::to_string(parallelism));
  spate::environment env(cfg);
  spate::generator_options g;
  g.count = records;
  record_maker maker(size);
  auto lines = env.add_source(spate::generator_source<std::string>(
      g,
      [maker](std::uint64_t seq, spate::record_rng&) {
        std::string s;
        maker.make(seq, s);
        return s;
      },
      "records"));
  if (sink == "discard")
    lines.add_sink(spate::discard_sink<std::string>());
  else
    lines.add_sink(spate::redis_sink(
        spate::parse_redis_sink_config(spate::parse_connector_uri(uri, "output"))));
  double cpu0 = spate::process_cpu_seconds();
  auto t0 = clock_type::now();
  auto result = env.execute("spate-kafka-bench redis");
  double secs = seconds_since(t0);
  double cpu = spate::process_cpu_seconds() - cpu0;
  if (result.status != spate::job_status::finished)
    die(std::string("job ") + spate::to_string(result.status) + ": " + result.failure_cause);
  report(sink == "discard" ? "gen-discard" : "redis", records,
         records * static_cast<std::int64_t>(maker.size()), secs, cpu,
         "P " + std::to_string(parallelism));
}

} // namespace kafka_bench
