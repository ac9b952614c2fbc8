// What the files of spate-kafka-bench share (kafka_bench.cpp has the modes and
// main()): reporting, raw librdkafka clients with the connectors' settings,
// topics, the benchmark records, and one entry point per mode.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace kafka_bench {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what);

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

//! The human-readable summary and the `result mode=...` line.
void report(const std::string& mode, std::int64_t records, std::int64_t bytes, double secs,
            double cpu, const std::string& extra = "", const std::string& more = "");

//! SPATE_KAFKA_BENCH_DEBUG is set: time waiting in rd_kafka_consume_batch_queue, checkpoints.
extern bool debug;

// ---------------------------------------------------------------------------
// librdkafka helpers (kafka_bench_clients.cpp)

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_handle = std::unique_ptr<rd_kafka_t, rk_deleter>;

rk_handle make_client(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
                      void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr);

//! --producer-property and --consumer-property, on top of the settings below.
extern std::map<std::string, std::string> extra_producer_props, extra_consumer_props;

// The properties kafka_sink_function gives its producer at at-least-once
// (connectors/src/kafka_sink.cpp): the user's (none here), bootstrap.servers,
// enable.idempotence=true.
std::map<std::string, std::string> producer_props(const std::string& brokers);

// The properties kafka_consumer sets (connectors/src/kafka_consumer.cpp).
std::map<std::string, std::string> consumer_props(const std::string& brokers);

//! Partitions of `topic`; 0 if it does not exist.
int partition_count(rd_kafka_t* rk, const std::string& topic);

// Sum over partitions of (high - low) watermark offsets.
std::int64_t topic_offsets(rd_kafka_t* rk, const std::string& topic, int partitions);

void create_topic(const std::string& brokers, const std::string& topic, int partitions);
void delete_topic(const std::string& brokers, const std::string& topic);

struct delivery_counts {
  std::atomic<std::int64_t> failed{0};
};

//! The delivery report callback: counts failures in the message's delivery_counts.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*);

// Produces one value like kafka_sink_function::write (F_COPY, timestamp,
// opaque, poll while the queue is full).
extern std::atomic<std::int64_t> queue_full_waits;

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

inline void flush_all(rd_kafka_t* rk) {
  while (rd_kafka_outq_len(rk) > 0)
    rd_kafka_flush(rk, 100);
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
// The modes.

// kafka_bench_produce.cpp: raw producers.
void run_produce_records(const std::string& brokers, const std::string& topic, std::int64_t records,
                         std::size_t size, int threads);
void run_produce_tweets(const std::string& brokers, const std::string& topic, std::int64_t records,
                        int threads);
void run_produce_txn(const std::string& brokers, const std::string& topic, std::int64_t records,
                     std::size_t size, std::int64_t interval_ms, bool fresh);

// kafka_bench_consume.cpp: raw consume, raw consume -> produce.
void run_consume(const std::string& brokers, const std::string& topic, int threads);
void run_pipe(const std::string& brokers, const std::string& topic, const std::string& out,
              int threads);

// kafka_bench_spate.cpp: the connectors in spate jobs.
void run_spate(const std::string& brokers, const std::string& topic, const std::string& out,
               int parallelism, const std::string& guarantee, std::int64_t checkpoint_ms,
               std::size_t size, const std::vector<std::string>& source_options,
               const std::vector<std::string>& sink_options,
               const std::vector<std::string>& config);
void run_redis(const std::string& uri, std::int64_t records, std::size_t size, int parallelism,
               const std::string& sink);

} // namespace kafka_bench
