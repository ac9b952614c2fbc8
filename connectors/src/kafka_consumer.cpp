// The Kafka source's consumer: a librdkafka handle with manual assignment,
// asynchronous offset commits, and partition discovery on a thread of its own.
#include "kafka_source_internal.hpp"

#include <cstdlib>

#include "spate/core/log.hpp"

namespace spate {

using kafka::request_timeout;

kafka_consumer::kafka_consumer(const kafka_source_config& cfg, const std::string& who)
    : cfg_(cfg), who_(who) {
  std::map<std::string, std::string> props = cfg.properties;
  props["bootstrap.servers"] = cfg.brokers;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["enable.partition.eof"] = cfg.bounded_latest ? "true" : "false";
  // An offset that retention removed starts over at the earliest one kept
  // (librdkafka's default would jump to the end and skip what is there).
  props.emplace("auto.offset.reset", "earliest");
  props.emplace("isolation.level", "read_committed");
  // The prefetch queue, bounded by records and by bytes (librdkafka counts
  // values and keys; a queued record of 35 B took about 400 B of RSS in
  // all). Once it is full librdkafka 2.0 stops fetching and looks again only
  // on its 1 s timer: restart_fetch() wakes it as soon as the reader has
  // emptied the queue, so a small one keeps the fetcher ahead. (1,000,000
  // records and 128 MiB held a benchmark's whole input instead: 450 MiB of
  // RSS at P=2, and more CPU for growing the heap.)
  props.emplace("queued.min.messages", "20000");
  props.emplace("queued.max.messages.kbytes", "16384");
  // librdkafka needs a group id for a consumer handle; without the user's
  // one no offsets are ever committed to it.
  props["group.id"] = cfg.group_id.empty() ? "spate-unused-group" : cfg.group_id;
  rk_ = kafka::create(RD_KAFKA_CONSUMER, props, who_);
  // Both are integers librdkafka has accepted by now (read as it reads them).
  max_queued_ = std::strtoll(props["queued.min.messages"].c_str(), nullptr, 0);
  max_queued_bytes_ = std::strtoll(props["queued.max.messages.kbytes"].c_str(), nullptr, 0) * 1024;
  rd_kafka_poll_set_consumer(rk_.get());
  queue_ = rd_kafka_queue_get_consumer(rk_.get());
  commits_ = rd_kafka_queue_new(rk_.get());
}

kafka_consumer::~kafka_consumer() {
  stop_discovery();
  // Offsets of the last completed checkpoint are on their way: give them a
  // moment, so the group shows where the job stopped.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (commits_in_flight_ > 0 && std::chrono::steady_clock::now() < until)
    rd_kafka_queue_poll_callback(commits_, 50);
  rd_kafka_queue_destroy(commits_);
  if (queue_)
    rd_kafka_queue_destroy(queue_);
}

void kafka_consumer::commit_async(rd_kafka_topic_partition_list_t* offsets) {
  auto err = rd_kafka_commit_queue(rk_.get(), offsets, commits_, &kafka_consumer::committed, this);
  if (err)
    log().warn("{}: committing offsets to group '{}' failed: {}", who_, cfg_.group_id,
               kafka::message(err));
  else
    ++commits_in_flight_;
}

void kafka_consumer::before_consume() {
  // A seek leaves one marker in the queue for the fetcher to count: a queue
  // of one would stay full.
  if (parked_ || max_queued_ <= 1)
    return;
  auto queued = static_cast<std::int64_t>(rd_kafka_queue_length(queue_));
  // Bytes estimated from the records read so far; 3/4 of the bound counts as
  // full (a wrong guess costs one fetch done again, or the old 1 s pause).
  std::int64_t bytes = taken_ > 0 ? queued * (taken_bytes_ / taken_) : 0;
  if (queued >= max_queued_ || bytes * 4 >= max_queued_bytes_ * 3)
    parked_ = true;
}

void kafka_consumer::consumed(rd_kafka_message_t* const* msgs, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    taken_bytes_ += static_cast<std::int64_t>(msgs[i]->len + msgs[i]->key_len);
  taken_ += static_cast<std::int64_t>(n);
  // Running means of the last million records or so, without overflow.
  if (taken_ > 1'000'000) {
    taken_ /= 2;
    taken_bytes_ /= 2;
  }
}

bool kafka_consumer::fetcher_parked() const {
  return parked_ && rd_kafka_queue_length(queue_) == 0;
}

void kafka_consumer::restart_fetch(rd_kafka_topic_partition_list_t* positions) {
  parked_ = false;
  if (positions->cnt == 0)
    return;
  // A seek to where the reader is: a new fetch at once. It drops what was
  // fetched for the old position, which is nothing (the queue is empty) or a
  // fetch that was on its way after all (fetched again).
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_.get(), positions, 0)) {
    log().debug("{}: restarting the fetcher failed (librdkafka's timer does in 1 s): {}", who_,
                rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
  }
}

void kafka_consumer::start_discovery(std::chrono::milliseconds interval) {
  discovery_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (cv_.wait_for(lock, interval, [this] { return stop_; }))
        break;
      lock.unlock();
      try {
        auto counts =
            kafka::partition_counts(rk_.get(), cfg_.topics, request_timeout, who_, cfg_.brokers);
        lock.lock();
        discovered_ = std::move(counts);
        fresh_ = true;
      } catch (const std::exception& e) {
        log().warn("{}: partition discovery failed, trying again in {} ms: {}", who_,
                   interval.count(), e.what());
        lock.lock();
      }
    }
  });
}

std::optional<std::map<std::string, int>> kafka_consumer::take_discovered() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!fresh_)
    return std::nullopt;
  fresh_ = false;
  return std::move(discovered_);
}

void kafka_consumer::stop_discovery() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (discovery_.joinable())
    discovery_.join();
}

void kafka_consumer::committed(rd_kafka_t*, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  auto* self = static_cast<kafka_consumer*>(opaque);
  --self->commits_in_flight_;
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    log().warn("{}: committing offsets to group '{}' failed: {}", self->who_, self->cfg_.group_id,
               kafka::message(err));
  if (err || !offsets || !self->on_committed)
    return;
  for (int i = 0; i < offsets->cnt; ++i) {
    const auto& p = offsets->elems[i];
    if (!p.err && p.offset >= 0)
      self->on_committed(p.topic, p.partition, p.offset);
  }
}

} // namespace spate
