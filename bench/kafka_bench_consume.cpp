// spate-kafka-bench's raw consumers: consume, and pipe (consume -> produce).
#include <iostream>
#include <thread>

#include "kafka_bench.hpp"
#include "spate/core/process_stats.hpp"

namespace kafka_bench {

namespace {

struct consumed {
  std::int64_t records = 0;
  std::int64_t bytes = 0;
};

// Reads partitions p with p % threads == t of `topic` from the beginning up to
// their end offsets at start; `each` sees every record.
template <class Each>
consumed consume_partitions(const std::string& brokers, const std::string& topic, int t,
                            int threads, Each each) {
  auto rk = make_client(RD_KAFKA_CONSUMER, consumer_props(brokers));
  rd_kafka_poll_set_consumer(rk.get());
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk.get());
  int parts = partition_count(rk.get(), topic);
  if (parts == 0)
    die("topic " + topic + " does not exist");
  std::map<int, std::int64_t> stop; // partition -> end offset at start
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p) {
    if (p % threads != t)
      continue;
    std::int64_t lo = 0, hi = 0;
    if (auto err = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &lo, &hi, 10'000))
      die(std::string("watermarks: ") + rd_kafka_err2str(err));
    if (hi > lo)
      stop[p] = hi;
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk.get(), list))
    die(std::string("assign: ") + rd_kafka_error_string(e));
  rd_kafka_topic_partition_list_destroy(list);
  consumed c;
  constexpr std::size_t max_batch = 4096;
  std::vector<rd_kafka_message_t*> msgs(max_batch);
  double waited = 0;
  std::int64_t batches = 0;
  while (!stop.empty()) {
    auto w0 = clock_type::now();
    auto n = rd_kafka_consume_batch_queue(q, 100, msgs.data(), max_batch);
    waited += seconds_since(w0);
    ++batches;
    if (n < 0)
      die(std::string("consume: ") + rd_kafka_err2str(rd_kafka_last_error()));
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[i];
      auto it = stop.find(m->partition);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (it != stop.end() && m->offset >= it->second)
          stop.erase(it);
      } else if (m->err) {
        std::cerr << "spate-kafka-bench: " << rd_kafka_message_errstr(m) << "\n";
      } else if (it != stop.end() && m->offset < it->second) {
        ++c.records;
        c.bytes += static_cast<std::int64_t>(m->len);
        each(m);
        if (m->offset + 1 >= it->second)
          stop.erase(it);
      }
      rd_kafka_message_destroy(m);
    }
  }
  if (debug)
    std::fprintf(stderr,
                 "consumer %d: %lld batches (%.0f records each), %.3f s in "
                 "rd_kafka_consume_batch_queue, %lld queue-full waits so far\n",
                 t, static_cast<long long>(batches), static_cast<double>(c.records) / batches,
                 waited, static_cast<long long>(queue_full_waits.load()));
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(rk.get());
  return c;
}

} // namespace

void run_consume(const std::string& brokers, const std::string& topic, int threads) {
  double cpu0 = spate::process_cpu_seconds();
  auto t0 = clock_type::now();
  std::vector<consumed> results(static_cast<std::size_t>(threads));
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      results[static_cast<std::size_t>(t)] =
          consume_partitions(brokers, topic, t, threads, [](rd_kafka_message_t*) {});
    });
  for (auto& t : ts)
    t.join();
  double secs = seconds_since(t0);
  double cpu = spate::process_cpu_seconds() - cpu0;
  consumed total;
  for (auto& r : results) {
    total.records += r.records;
    total.bytes += r.bytes;
  }
  report("consume", total.records, total.bytes, secs, cpu, "threads " + std::to_string(threads));
}

void run_pipe(const std::string& brokers, const std::string& topic, const std::string& out,
              int threads) {
  double cpu0 = spate::process_cpu_seconds();
  auto t0 = clock_type::now();
  std::vector<consumed> results(static_cast<std::size_t>(threads));
  delivery_counts d;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      auto prk = make_client(RD_KAFKA_PRODUCER, producer_props(brokers), on_delivery);
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(prk.get(), out.c_str(), nullptr);
      std::int64_t n = 0;
      results[static_cast<std::size_t>(t)] =
          consume_partitions(brokers, topic, t, threads, [&](rd_kafka_message_t* m) {
            produce_one(prk.get(), rkt, static_cast<const char*>(m->payload), m->len, &d);
            if (++n % 1024 == 0)
              rd_kafka_poll(prk.get(), 0);
          });
      flush_all(prk.get());
      rd_kafka_topic_destroy(rkt);
    });
  for (auto& t : ts)
    t.join();
  double secs = seconds_since(t0);
  double cpu = spate::process_cpu_seconds() - cpu0;
  if (d.failed > 0)
    die(std::to_string(d.failed.load()) + " deliveries failed");
  consumed total;
  for (auto& r : results) {
    total.records += r.records;
    total.bytes += r.bytes;
  }
  report("pipe", total.records, total.bytes, secs, cpu, "threads " + std::to_string(threads));
}

} // namespace kafka_bench
