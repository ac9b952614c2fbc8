// spate-kafka-bench's raw producers: produce, tweets and produce-txn.
#include <thread>

#include <unistd.h>

#include "kafka_bench.hpp"
#include "spate/apps/event_time_jobs.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/process_stats.hpp"

namespace kafka_bench {

namespace {

template <class Make>
void run_produce(const std::string& mode, const std::string& brokers, const std::string& topic,
                 std::int64_t records, int threads, Make make_value) {
  double cpu0 = spate::process_cpu_seconds();
  auto t0 = clock_type::now();
  std::atomic<std::int64_t> bytes{0};
  delivery_counts d;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      auto rk = make_client(RD_KAFKA_PRODUCER, producer_props(brokers), on_delivery);
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
      std::string value;
      std::int64_t own = 0;
      // Thread t produces ids t, t + threads, ...; polls once per 1024 as the
      // sink polls once per batch.
      std::int64_t n = 0;
      for (std::int64_t id = t; id < records; id += threads) {
        make_value(static_cast<std::uint64_t>(id), value);
        produce_one(rk.get(), rkt, value.data(), value.size(), &d);
        own += static_cast<std::int64_t>(value.size());
        if (++n % 1024 == 0)
          rd_kafka_poll(rk.get(), 0);
      }
      flush_all(rk.get());
      rd_kafka_topic_destroy(rkt);
      bytes += own;
    });
  for (auto& t : ts)
    t.join();
  double secs = seconds_since(t0);
  double cpu = spate::process_cpu_seconds() - cpu0;
  if (d.failed > 0)
    die(std::to_string(d.failed.load()) + " deliveries failed");
  report(mode, records, bytes, secs, cpu, "threads " + std::to_string(threads));
}

} // namespace

void run_produce_records(const std::string& brokers, const std::string& topic, std::int64_t records,
                         std::size_t size, int threads) {
  record_maker maker(size);
  run_produce("produce", brokers, topic, records, threads,
              [&](std::uint64_t id, std::string& v) { maker.make(id, v); });
}

void run_produce_tweets(const std::string& brokers, const std::string& topic, std::int64_t records,
                        int threads) {
  run_produce("tweets", brokers, topic, records, threads, [](std::uint64_t seq, std::string& v) {
    spate::record_rng rng(spate::generator_record_seed(42, seq));
    v = spate::apps::make_trending_hashtags_record(seq, rng, 5);
  });
}

// Transactions as the exactly-once sink runs them: one per interval, and
// (fresh) a new producer with a transactional id of its own for each, as
// kafka_sink_function::open_transaction() creates one per checkpoint.
void run_produce_txn(const std::string& brokers, const std::string& topic, std::int64_t records,
                     std::size_t size, std::int64_t interval_ms, bool fresh) {
  record_maker maker(size);
  double cpu0 = spate::process_cpu_seconds();
  auto t0 = clock_type::now();
  delivery_counts d;
  std::string value;
  rk_handle rk;
  rd_kafka_topic_t* rkt = nullptr;
  int txns = 0;
  double init_s = 0, commit_s = 0;
  std::string prefix = "spate-kafka-bench-txn-" + std::to_string(::getpid());
  auto check = [](rd_kafka_error_t* e, const char* what) {
    if (e)
      die(std::string(what) + ": " + rd_kafka_error_string(e));
  };
  auto open = [&] {
    auto p = producer_props(brokers);
    p["transactional.id"] = prefix + "-" + std::to_string(fresh ? txns : 0);
    p["transaction.timeout.ms"] = "600000";
    auto i0 = clock_type::now();
    if (rkt)
      rd_kafka_topic_destroy(rkt);
    rk = make_client(RD_KAFKA_PRODUCER, p, on_delivery);
    rkt = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
    check(rd_kafka_init_transactions(rk.get(), 60'000), "init_transactions");
    init_s += seconds_since(i0);
  };
  open();
  std::int64_t id = 0;
  while (id < records) {
    check(rd_kafka_begin_transaction(rk.get()), "begin_transaction");
    auto start = clock_type::now();
    std::int64_t n = 0;
    while (id < records) {
      maker.make(static_cast<std::uint64_t>(id++), value);
      produce_one(rk.get(), rkt, value.data(), value.size(), &d);
      if (++n % 1024 == 0) {
        rd_kafka_poll(rk.get(), 0);
        if (clock_type::now() - start >= std::chrono::milliseconds(interval_ms))
          break;
      }
    }
    auto c0 = clock_type::now();
    check(rd_kafka_commit_transaction(rk.get(), 60'000), "commit_transaction");
    commit_s += seconds_since(c0);
    ++txns;
    if (fresh && id < records)
      open();
  }
  rd_kafka_topic_destroy(rkt);
  rk.reset();
  double secs = seconds_since(t0);
  double cpu = spate::process_cpu_seconds() - cpu0;
  char extra[256];
  std::snprintf(
      extra, sizeof extra,
      "%d transactions, %s producer; init_transactions %.1f ms, commit %.1f ms on average", txns,
      fresh ? "a new" : "one", 1000 * init_s / (fresh ? txns : 1), 1000 * commit_s / txns);
  report(fresh ? "produce-txn-fresh" : "produce-txn", records,
         records * static_cast<std::int64_t>(maker.size()), secs, cpu, extra,
         "checkpoints=" + std::to_string(txns));
}

} // namespace kafka_bench
