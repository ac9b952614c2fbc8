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
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <librdkafka/rdkafka.h>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/kafka_sink.hpp"
#include "spate/connectors/kafka_source.hpp"
#include "spate/connectors/redis_sink.hpp"
#include "spate/connectors/uri.hpp"
#include "spate/core/process_stats.hpp"
#include "spate/spate.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::cerr << "spate-kafka-bench: " << what << "\n";
  std::exit(1);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

void report(const std::string& mode, std::int64_t records, std::int64_t bytes, double secs,
            double cpu, const std::string& extra = "", const std::string& more = "") {
  std::printf("%-10s %lld records, %.1f MB in %.3f s: %.0f records/s, %.1f MB/s; "
              "%.2f CPU s (%.0f records/s per core)%s%s\n",
              mode.c_str(), static_cast<long long>(records), static_cast<double>(bytes) / 1e6, secs,
              static_cast<double>(records) / secs, static_cast<double>(bytes) / 1e6 / secs, cpu,
              static_cast<double>(records) / cpu, extra.empty() ? "" : "; ", extra.c_str());
  std::printf("result mode=%s records=%lld bytes=%lld seconds=%.4f cpu=%.3f%s%s\n", mode.c_str(),
              static_cast<long long>(records), static_cast<long long>(bytes), secs, cpu,
              more.empty() ? "" : " ", more.c_str());
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// librdkafka helpers

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_handle = std::unique_ptr<rd_kafka_t, rk_deleter>;

rk_handle make_client(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
                      void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      die("property " + k + ": " + err);
  if (dr)
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk)
    die(std::string("rd_kafka_new: ") + err);
  return rk_handle(rk);
}

// The properties kafka_sink_function gives its producer at at-least-once
// (connectors/src/kafka_sink.cpp): the user's (none here), bootstrap.servers,
// enable.idempotence=true.
std::map<std::string, std::string> extra_producer_props, extra_consumer_props;

std::map<std::string, std::string> producer_props(const std::string& brokers) {
  std::map<std::string, std::string> p = {{"bootstrap.servers", brokers},
                                          {"enable.idempotence", "true"}};
  for (const auto& [k, v] : extra_producer_props)
    p[k] = v;
  return p;
}

// The properties kafka_consumer sets (connectors/src/kafka_source.cpp).
std::map<std::string, std::string> consumer_props(const std::string& brokers) {
  std::map<std::string, std::string> p = {
      {"bootstrap.servers", brokers},        {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},     {"isolation.level", "read_committed"},
      {"group.id", "spate-unused-group"}};
  for (const auto& [k, v] : extra_consumer_props)
    p[k] = v;
  return p;
}

int partition_count(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, rkt, &md, 10'000);
  rd_kafka_topic_destroy(rkt);
  if (err)
    die("metadata of " + topic + ": " + rd_kafka_err2str(err));
  int n = 0;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
    n = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return n;
}

// Sum over partitions of (high - low) watermark offsets.
std::int64_t topic_offsets(rd_kafka_t* rk, const std::string& topic, int partitions) {
  std::int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t lo = 0, hi = 0;
    auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10'000);
    if (err)
      die("watermarks of " + topic + ": " + rd_kafka_err2str(err));
    total += hi - lo;
  }
  return total;
}

void create_topic(const std::string& brokers, const std::string& topic, int partitions) {
  auto rk = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers}});
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  if (!nt)
    die(std::string("NewTopic: ") + err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  if (!ev)
    die("CreateTopics " + topic + ": no answer");
  if (rd_kafka_event_error(ev))
    die("CreateTopics " + topic + ": " + rd_kafka_event_error_string(ev));
  std::size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
  if (cnt == 1 && rd_kafka_topic_result_error(res[0]) &&
      rd_kafka_topic_result_error(res[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    die("CreateTopics " + topic + ": " + rd_kafka_topic_result_error_string(res[0]));
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  // Until the metadata shows every partition (clients started next check it).
  for (int i = 0; i < 200 && partition_count(rk.get(), topic) < partitions; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void delete_topic(const std::string& brokers, const std::string& topic) {
  auto rk = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers}});
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteTopics(rk.get(), &dt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  if (ev) {
    std::size_t cnt = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
    if (cnt == 1 && rd_kafka_topic_result_error(res[0]))
      std::cerr << "spate-kafka-bench: DeleteTopics " << topic << ": "
                << rd_kafka_topic_result_error_string(res[0]) << "\n";
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_DeleteTopic_destroy(dt);
}

// ---------------------------------------------------------------------------
// Records: {"id":N,"pad":"abc..."} of exactly `size` bytes (at least 24).

class record_maker {
public:
  explicit record_maker(std::size_t size) : size_(std::max<std::size_t>(size, 24)) {
    pad_.resize(size_ + 26); // make() copies from offset id % 26
    for (std::size_t i = 0; i < pad_.size(); ++i)
      pad_[i] = static_cast<char>('a' + (i * 7) % 26);
  }
  //! Writes record `id` into `out` (resized to the record size).
  void make(std::uint64_t id, std::string& out) const {
    out.resize(size_);
    char* p = out.data();
    int n = std::snprintf(p, size_, "{\"id\":%llu,\"pad\":\"", static_cast<unsigned long long>(id));
    std::size_t head = static_cast<std::size_t>(n);
    std::size_t body = size_ - head - 2;
    std::memcpy(p + head, pad_.data() + (id % 26), body);
    p[size_ - 2] = '"';
    p[size_ - 1] = '}';
  }
  std::size_t size() const { return size_; }

private:
  std::size_t size_;
  std::string pad_;
};

// ---------------------------------------------------------------------------
// raw produce

struct delivery_counts {
  std::atomic<std::int64_t> failed{0};
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err && m->_private) {
    auto* d = static_cast<delivery_counts*>(m->_private);
    if (d->failed++ == 0)
      std::cerr << "spate-kafka-bench: delivery failed: " << rd_kafka_err2str(m->err) << "\n";
  }
}

// Produces one value like kafka_sink_function::write (F_COPY, timestamp,
// opaque, poll while the queue is full).
std::atomic<std::int64_t> queue_full_waits{0};
bool debug = std::getenv("SPATE_KAFKA_BENCH_DEBUG") != nullptr;

inline void produce_one(rd_kafka_t* rk, rd_kafka_topic_t* rkt, const char* data, std::size_t len,
                        delivery_counts* d) {
  while (true) {
    auto err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(data), len),
                                 RD_KAFKA_V_KEY(nullptr, 0), RD_KAFKA_V_TIMESTAMP(0),
                                 RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
      return;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      die(std::string("produce: ") + rd_kafka_err2str(err));
    queue_full_waits.fetch_add(1, std::memory_order_relaxed);
    rd_kafka_poll(rk, 10);
  }
}

void flush_all(rd_kafka_t* rk) {
  while (rd_kafka_outq_len(rk) > 0)
    rd_kafka_flush(rk, 100);
}

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

// ---------------------------------------------------------------------------
// raw consume, raw consume -> produce

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

// ---------------------------------------------------------------------------
// spate: kafka_source -> map -> kafka_sink

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
    auto totals = client.checkpoint_totals();
    more = "checkpoints=" + std::to_string(totals.completed);
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

} // namespace

int main(int argc, char** argv) {
  std::string mode, brokers = "127.0.0.1:9092", topic, out, guarantee = "at-least-once", redis_uri,
                    sink = "redis";
  std::int64_t records = 1'000'000, checkpoint_ms = 0;
  std::size_t size = 100;
  int partitions = 2, threads = 1, parallelism = 1;
  CLI::App app{"spate-kafka-bench: the Kafka and Redis connectors against the raw clients"};
  app.add_option("mode", mode,
                 "create-topic, delete-topic, produce, consume, pipe, spate, "
                 "tweets, redis")
      ->required()
      ->check(CLI::IsMember({"create-topic", "delete-topic", "produce", "produce-txn", "consume",
                             "pipe", "spate", "tweets", "redis"}));
  app.add_option("--brokers", brokers, "bootstrap.servers");
  app.add_option("--topic", topic, "The topic to write (produce, tweets) or read");
  app.add_option("--out", out, "The topic pipe and spate write");
  app.add_option("--records", records, "Records to produce or generate")
      ->check(CLI::PositiveNumber);
  app.add_option("--size", size,
                 "Bytes per record (at least 24); spate: the input's record size, for MB/s");
  app.add_option("--partitions", partitions, "Partitions of a new topic");
  app.add_option("--threads", threads, "Raw clients in parallel (each its own thread)")
      ->check(CLI::Range(1, 64));
  app.add_option("--parallelism", parallelism, "spate's parallelism")->check(CLI::Range(1, 64));
  app.add_option("--guarantee", guarantee, "sink.delivery-guarantee")
      ->check(CLI::IsMember({"exactly-once", "at-least-once", "none"}));
  app.add_option("--checkpoint-interval", checkpoint_ms, "Checkpoints every MS ms (0: none)");
  std::int64_t txn_interval_ms = 1000;
  bool txn_fresh = false;
  app.add_option("--txn-interval", txn_interval_ms, "produce-txn: ms per transaction");
  app.add_flag("--fresh-producer", txn_fresh,
               "produce-txn: a new producer (transactional id) per transaction, as the sink");
  app.add_option("--redis", redis_uri, "The redis:// output SPEC");
  app.add_option("--sink", sink, "redis mode: redis or discard (the generator alone)")
      ->check(CLI::IsMember({"redis", "discard"}));
  std::vector<std::string> pprops, cprops, source_options, sink_options, config;
  app.add_option("-D,--config", config, "spate: a configuration key=value (Flink's keys)");
  app.add_option(
      "--source-option", source_options,
      "spate: K=V appended to the kafka:// input SPEC (e.g. properties.queued.min.messages=N)");
  app.add_option("--sink-option", sink_options, "spate: K=V appended to the kafka:// output SPEC");
  app.add_option("--producer-property", pprops,
                 "K=V on top of the raw producers' settings (to try what bounds them)");
  app.add_option("--consumer-property", cprops, "K=V on top of the raw consumers' settings");
  CLI11_PARSE(app, argc, argv);
  auto split_props = [](const std::vector<std::string>& in,
                        std::map<std::string, std::string>& props) {
    for (const auto& kv : in) {
      auto eq = kv.find('=');
      if (eq == std::string::npos)
        die("expected K=V, got " + kv);
      props[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  };
  split_props(pprops, extra_producer_props);
  split_props(cprops, extra_consumer_props);
  if (mode != "redis" && topic.empty())
    die("--topic is required");
  if ((mode == "pipe" || mode == "spate") && out.empty())
    die("--out is required");

  if (mode == "create-topic") {
    create_topic(brokers, topic, partitions);
  } else if (mode == "delete-topic") {
    delete_topic(brokers, topic);
  } else if (mode == "produce") {
    record_maker maker(size);
    run_produce("produce", brokers, topic, records, threads,
                [&](std::uint64_t id, std::string& v) { maker.make(id, v); });
  } else if (mode == "produce-txn") {
    run_produce_txn(brokers, topic, records, size, txn_interval_ms, txn_fresh);
  } else if (mode == "tweets") {
    run_produce("tweets", brokers, topic, records, threads, [](std::uint64_t seq, std::string& v) {
      spate::record_rng rng(spate::generator_record_seed(42, seq));
      v = spate::apps::make_trending_hashtags_record(seq, rng, 5);
    });
  } else if (mode == "consume") {
    run_consume(brokers, topic, threads);
  } else if (mode == "pipe") {
    run_pipe(brokers, topic, out, threads);
  } else if (mode == "spate") {
    run_spate(brokers, topic, out, parallelism, guarantee, checkpoint_ms, size, source_options,
              sink_options, config);
  } else if (mode == "redis") {
    if (redis_uri.empty() && sink == "redis")
      die("--redis is required");
    run_redis(redis_uri, records, size, parallelism, sink);
  }
  return 0;
}
