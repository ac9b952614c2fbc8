// Flink's KafkaSource: the values of Kafka records as text lines, with offsets
// in checkpoints and savepoints (exactly once at any parallelism), partitions
// spread over subtasks as Flink spreads them, and partition discovery.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "spate/api/functions.hpp"
#include "spate/connectors/kafka_config.hpp"

struct rd_kafka_message_s; // librdkafka's rd_kafka_message_t

namespace spate {

//! A Kafka partition and the offset of the next record to read from it.
//! `offset` may be kafka_earliest: nothing read yet, start at the beginning.
struct kafka_partition_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  bool operator==(const kafka_partition_offset& o) const {
    return topic == o.topic && partition == o.partition && offset == o.offset;
  }
};

//! The offset meaning "the partition's first record" (librdkafka's BEGINNING).
inline constexpr std::int64_t kafka_earliest = -2;

//! Flink's KafkaSourceEnumerator owner of a partition: the topic's Java
//! hashCode spreads topics' first partitions, partitions follow round robin.
int kafka_partition_owner(const std::string& topic, std::int32_t partition, int parallelism);

//! The checkpoint entry "kafka-source" of one subtask, and its decoding.
std::string encode_kafka_source_state(const std::vector<kafka_partition_offset>& positions);
//! Throws spate::error(errc::corrupt) naming the entry when it cannot be read.
std::vector<kafka_partition_offset> decode_kafka_source_state(const std::string& bytes);

class kafka_consumer;

//! One subtask of kafka_source(). Reads the partitions kafka_partition_owner()
//! gives it, without blocking the actor: poll() takes what librdkafka has
//! fetched already. Records carry the Kafka record timestamp as event time.
class kafka_source_function final : public source_function<std::string> {
public:
  explicit kafka_source_function(kafka_source_config cfg);
  ~kafka_source_function() override;

  //! Connects, checks every topic exists (errc::not_found naming it) and the
  //! brokers answer (errc::io naming them), resolves start offsets and assigns
  //! the owned partitions.
  void open(runtime_context& ctx) override;
  source_status poll(collector<std::string>& out, std::size_t max_records) override;
  //! Offsets from every old subtask; this subtask keeps the partitions it
  //! owns at the new parallelism.
  void initialize_state(const operator_state_reader& r) override;
  //! The next offset of every owned partition.
  void snapshot_state(std::int64_t checkpoint_id, operator_state_writer& w) override;
  //! Commits the offsets of that checkpoint to properties.group.id (async; for
  //! monitoring only, never read back unless scan.startup.mode=group-offsets).
  void notify_checkpoint_complete(std::int64_t checkpoint_id) override;
  void close() override;

  //! The positions now (tests).
  std::vector<kafka_partition_offset> positions() const;
  //! Records skipped as malformed (scan.malformed=skip).
  std::int64_t malformed_count() const { return malformed_; }

private:
  struct partition_state;
  void assign(const std::vector<kafka_partition_offset>& start);
  void discover();
  partition_state* find(const char* topic, std::int32_t partition);
  bool all_done() const;
  //! Registers partition `p`'s gauges.
  void add_gauges(partition_state& p);
  //! Publishes the partitions' offsets, and (at most once a second) their lag.
  void update_gauges();
  //! Wakes librdkafka's fetcher, parked on a full queue, at the positions.
  void restart_fetch();
  //! Tells downstream about partitions it has not heard of (begin or finish).
  void announce(collector<std::string>& out);
  //! One fetched message (poll() frees it): emits its record, or marks its
  //! partition done at its end; an error that must fail poll() goes to
  //! `failure`. `run` is the split whose records `out` receives now. True if
  //! a record was emitted.
  bool take(const rd_kafka_message_s& m, collector<std::string>& out, std::int32_t& run,
            std::exception_ptr& failure);

  kafka_source_config cfg_;
  std::unique_ptr<kafka_consumer> consumer_;
  std::vector<std::unique_ptr<partition_state>> parts_;
  partition_state* last_ = nullptr;
  std::vector<kafka_partition_offset> restored_;
  bool restored_any_ = false;
  std::vector<std::pair<std::int64_t, std::vector<kafka_partition_offset>>> pending_commits_;
  int subtask_ = 0;
  int parallelism_ = 1;
  std::int64_t malformed_ = 0;
  std::atomic<std::int64_t>* malformed_counter_ = nullptr;
  bool idle_ = false;
  //! Where the gauges live (null in tests without counters).
  runtime_context* ctx_ = nullptr;
  //! Flink's KafkaSourceReader.KafkaConsumer.records-lag-max and the source's
  //! pendingRecords (FLIP-33), from librdkafka's cached high watermarks.
  std::atomic<std::int64_t>* lag_max_ = nullptr;
  std::atomic<std::int64_t>* pending_ = nullptr;
  std::chrono::steady_clock::time_point next_lag_{};
};

//! A parallel source of the values of `cfg.topics` as lines.
source_spec<std::string> kafka_source(kafka_source_config cfg);

} // namespace spate
