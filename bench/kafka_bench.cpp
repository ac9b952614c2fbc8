// Throughput of the Kafka and Redis connectors against the raw clients they
// wrap, on the same machine (issue #14). A benchmark, never a test: run it by
// hand or with scripts/run-kafka-bench.sh, which starts a broker and a
// redis-server and keeps the figures in docs/benchmarks.md.
//
//   spate-kafka-bench create-topic --brokers B --topic T --partitions N
//   spate-kafka-bench delete-topic --brokers B --topic T
//   spate-kafka-bench produce  --brokers B --topic T --records N --size S [--threads K]
//       raw librdkafka producer, the at-least-once sink's settings (idempotence on,
//       linger and batching at librdkafka's defaults, every value copied)
//   spate-kafka-bench produce-txn --brokers B --topic T --records N --size S
//                              [--txn-interval MS] [--fresh-producer]
//       raw transactional producer, a transaction per interval (and a new producer per
//       transaction, as the exactly-once sink does per checkpoint)
//   spate-kafka-bench consume  --brokers B --topic T [--threads K]
//       raw librdkafka consumer, the source's settings (manual assignment from the
//       beginning, read_committed, partition EOF), rd_kafka_consume_batch_queue
//       of 4096, up to the end offsets at start
//   spate-kafka-bench pipe     --brokers B --topic T --out O [--threads K]
//       raw librdkafka consume -> produce (one consumer and one producer per thread,
//       the settings above): what Kafka -> map -> Kafka costs without spate
//   spate-kafka-bench spate    --brokers B --topic T --out O [--parallelism P]
//                              [--guarantee exactly-once|at-least-once|none]
//                              [--checkpoint-interval MS] [--source-option K=V]...
//                              [--sink-option K=V]... [-D key=value]...
//       kafka_source (bounded, latest-offset) -> map -> kafka_sink
//   spate-kafka-bench tweets   --brokers B --topic T --records N
//       fills T with trending_hashtags' generated records (raw producer)
//   spate-kafka-bench redis    --redis 'redis://:pw@127.0.0.1:P?...' --records N --size S
//                              [--parallelism P] [--sink redis|discard]
//       generator (JSON records {"id":N,"pad":"..."} of S bytes) -> redis_sink
//
// Every measuring mode prints one line
//   result mode=... records=N bytes=B seconds=S cpu=C
// (bytes: the values' bytes; cpu: user + system seconds of this process) and a
// human-readable summary before it.
//
// Files: kafka_bench.hpp (shared), kafka_bench_clients.cpp (reporting, raw
// clients, topics), kafka_bench_produce.cpp, kafka_bench_consume.cpp,
// kafka_bench_spate.cpp (the modes) and this one (the command line).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kafka_bench.hpp"

namespace {

using namespace kafka_bench;

struct options {
  std::string mode, brokers = "127.0.0.1:9092", topic, out, guarantee = "at-least-once", redis_uri,
                    sink = "redis";
  std::int64_t records = 1'000'000, checkpoint_ms = 0;
  std::size_t size = 100;
  int partitions = 2, threads = 1, parallelism = 1;
  std::int64_t txn_interval_ms = 1000;
  bool txn_fresh = false;
  std::vector<std::string> pprops, cprops, source_options, sink_options, config;
};

void add_options(CLI::App& app, options& o) {
  app.add_option("mode", o.mode,
                 "create-topic, delete-topic, produce, consume, pipe, spate, "
                 "tweets, redis")
      ->required()
      ->check(CLI::IsMember({"create-topic", "delete-topic", "produce", "produce-txn", "consume",
                             "pipe", "spate", "tweets", "redis"}));
  app.add_option("--brokers", o.brokers, "bootstrap.servers");
  app.add_option("--topic", o.topic, "The topic to write (produce, tweets) or read");
  app.add_option("--out", o.out, "The topic pipe and spate write");
  app.add_option("--records", o.records, "Records to produce or generate")
      ->check(CLI::PositiveNumber);
  app.add_option("--size", o.size,
                 "Bytes per record (at least 24); spate: the input's record size, for MB/s");
  app.add_option("--partitions", o.partitions, "Partitions of a new topic");
  app.add_option("--threads", o.threads, "Raw clients in parallel (each its own thread)")
      ->check(CLI::Range(1, 64));
  app.add_option("--parallelism", o.parallelism, "spate's parallelism")->check(CLI::Range(1, 64));
  app.add_option("--guarantee", o.guarantee, "sink.delivery-guarantee")
      ->check(CLI::IsMember({"exactly-once", "at-least-once", "none"}));
  app.add_option("--checkpoint-interval", o.checkpoint_ms, "Checkpoints every MS ms (0: none)");
  app.add_option("--txn-interval", o.txn_interval_ms, "produce-txn: ms per transaction");
  app.add_flag("--fresh-producer", o.txn_fresh,
               "produce-txn: a new producer (transactional id) per transaction, as the sink");
  app.add_option("--redis", o.redis_uri, "The redis:// output SPEC");
  app.add_option("--sink", o.sink, "redis mode: redis or discard (the generator alone)")
      ->check(CLI::IsMember({"redis", "discard"}));
  app.add_option("-D,--config", o.config, "spate: a configuration key=value (Flink's keys)");
  app.add_option(
      "--source-option", o.source_options,
      "spate: K=V appended to the kafka:// input SPEC (e.g. properties.queued.min.messages=N)");
  app.add_option("--sink-option", o.sink_options,
                 "spate: K=V appended to the kafka:// output SPEC");
  app.add_option("--producer-property", o.pprops,
                 "K=V on top of the raw producers' settings (to try what bounds them)");
  app.add_option("--consumer-property", o.cprops, "K=V on top of the raw consumers' settings");
}

void split_props(const std::vector<std::string>& in, std::map<std::string, std::string>& props) {
  for (const auto& kv : in) {
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      die("expected K=V, got " + kv);
    props[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
}

void run(const options& o) {
  if (o.mode == "create-topic") {
    create_topic(o.brokers, o.topic, o.partitions);
  } else if (o.mode == "delete-topic") {
    delete_topic(o.brokers, o.topic);
  } else if (o.mode == "produce") {
    run_produce_records(o.brokers, o.topic, o.records, o.size, o.threads);
  } else if (o.mode == "produce-txn") {
    run_produce_txn(o.brokers, o.topic, o.records, o.size, o.txn_interval_ms, o.txn_fresh);
  } else if (o.mode == "tweets") {
    run_produce_tweets(o.brokers, o.topic, o.records, o.threads);
  } else if (o.mode == "consume") {
    run_consume(o.brokers, o.topic, o.threads);
  } else if (o.mode == "pipe") {
    run_pipe(o.brokers, o.topic, o.out, o.threads);
  } else if (o.mode == "spate") {
    run_spate(o.brokers, o.topic, o.out, o.parallelism, o.guarantee, o.checkpoint_ms, o.size,
              o.source_options, o.sink_options, o.config);
  } else if (o.mode == "redis") {
    if (o.redis_uri.empty() && o.sink == "redis")
      die("--redis is required");
    run_redis(o.redis_uri, o.records, o.size, o.parallelism, o.sink);
  }
}

} // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"spate-kafka-bench: the Kafka and Redis connectors against the raw clients"};
  add_options(app, o);
  CLI11_PARSE(app, argc, argv);
  split_props(o.pprops, extra_producer_props);
  split_props(o.cprops, extra_consumer_props);
  if (o.mode != "redis" && o.topic.empty())
    die("--topic is required");
  if ((o.mode == "pipe" || o.mode == "spate") && o.out.empty())
    die("--out is required");
  run(o);
  return 0;
}
