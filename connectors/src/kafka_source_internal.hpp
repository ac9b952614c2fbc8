// Private parts of the Kafka source shared by its files (not installed, not
// part of the API): the consumer handle (kafka_consumer.cpp), a partition's
// reading state, and what assignment and start offsets
// (kafka_source_assign.cpp) and the polling loop (kafka_source.cpp) both use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kafka_client.hpp"
#include "spate/connectors/kafka_source.hpp"

namespace spate {

namespace kafka {

//! How long a metadata or offsets request to the brokers may take.
inline constexpr std::chrono::milliseconds request_timeout{10'000};

//! "kafka source BROKERS/TOPIC,TOPIC" for messages.
inline std::string where(const kafka_source_config& c) {
  std::string topics;
  for (const auto& t : c.topics)
    topics += (topics.empty() ? "" : ",") + t;
  return "kafka source " + c.brokers + "/" + topics;
}

} // namespace kafka

// ---------------------------------------------------------------------------
// The consumer: a librdkafka handle with manual assignment, and partition
// discovery on a thread of its own (metadata requests block).

class kafka_consumer {
public:
  kafka_consumer(const kafka_source_config& cfg, const std::string& who);
  ~kafka_consumer();

  rd_kafka_t* rk() const { return rk_.get(); }
  rd_kafka_queue_t* queue() const { return queue_; }

  //! Commits `offsets` to the group without waiting; a failure is logged.
  void commit_async(rd_kafka_topic_partition_list_t* offsets);
  //! Serves the results of earlier commits (their callbacks), without waiting.
  void serve_commits() {
    if (commits_in_flight_ > 0)
      rd_kafka_queue_poll_callback(commits_, 0);
  }

  //! Called before each batch is taken from the queue: notes whether the
  //! queue is full, which parks librdkafka's fetcher (up to 1 s in 2.0).
  void before_consume();
  //! The `n` messages of a batch taken from the queue (their sizes).
  void consumed(rd_kafka_message_t* const* msgs, std::size_t n);
  //! The queue was full since the last restart_fetch() and is empty now: the
  //! fetcher waits on its timer.
  bool fetcher_parked() const;
  //! Fetches again from `positions` (the next offset of each partition read
  //! so far) at once.
  void restart_fetch(rd_kafka_topic_partition_list_t* positions);

  //! Called with each partition's offset a commit stored (from
  //! serve_commits(), on the polling thread).
  std::function<void(const char* topic, std::int32_t partition, std::int64_t offset)> on_committed;

  //! Starts fetching metadata every `interval` on a thread.
  void start_discovery(std::chrono::milliseconds interval);
  //! Partition counts found since the last call, if any.
  std::optional<std::map<std::string, int>> take_discovered();
  void stop_discovery();

private:
  static void committed(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                        void* opaque);

  const kafka_source_config& cfg_;
  std::string who_;
  kafka::handle rk_;
  rd_kafka_queue_t* queue_ = nullptr;
  rd_kafka_queue_t* commits_ = nullptr;
  int commits_in_flight_ = 0;
  //! The queue's bounds (queued.min.messages, queued.max.messages.kbytes).
  std::int64_t max_queued_ = 0;
  std::int64_t max_queued_bytes_ = 0;
  //! Records taken and their bytes (recent ones), for the bytes queued.
  std::int64_t taken_ = 0;
  std::int64_t taken_bytes_ = 0;
  bool parked_ = false;
  std::thread discovery_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool fresh_ = false;
  std::map<std::string, int> discovered_;
};

struct kafka_source_function::partition_state {
  std::string topic;
  std::int32_t partition = 0;
  //! The next offset to emit (kafka_earliest until a record was read).
  std::int64_t next = kafka_earliest;
  //! Bounded mode: the end offset at start; done once next reaches it.
  std::int64_t stop = -1;
  bool done = false;
  //! Its split number downstream (its place in parts_), and whether the
  //! watermark operator has been told about it.
  std::int32_t split = 0;
  bool announced = false;
  //! Flink's KafkaSourceReader gauges of this partition (null without a
  //! counter registry): the next offset to read, and the last offset
  //! committed to the group.
  std::atomic<std::int64_t>* current_offset = nullptr;
  std::atomic<std::int64_t>* committed_offset = nullptr;
};

} // namespace spate
