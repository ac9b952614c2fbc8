// Flink's KafkaSink: lines as the values of Kafka records, with the delivery
// guarantees exactly-once (one Kafka transaction per subtask and checkpoint,
// committed when the checkpoint completes), at-least-once (everything in
// flight flushed before a checkpoint completes) and none.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spate/api/functions.hpp"
#include "spate/connectors/kafka_config.hpp"

namespace spate {

//! A transaction a checkpoint covers: written and flushed, to be committed
//! when that checkpoint completes (or on restore, if it completed but the
//! commit did not happen).
struct kafka_pending_transaction {
  std::int64_t checkpoint_id = 0;
  std::string transactional_id;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  bool operator==(const kafka_pending_transaction& o) const {
    return checkpoint_id == o.checkpoint_id && transactional_id == o.transactional_id &&
           producer_id == o.producer_id && producer_epoch == o.producer_epoch;
  }
};

//! The checkpoint entry "kafka-sink" of one subtask.
struct kafka_sink_state {
  int subtask = 0;
  //! The sequence number of the transactional id opened after the barrier:
  //! ids from it upward may hold lingering transactions of a failed run.
  std::int64_t next_sequence = 0;
  std::vector<kafka_pending_transaction> pending;
};
std::string encode_kafka_sink_state(const kafka_sink_state& s);
//! Throws spate::error(errc::corrupt) naming the entry.
kafka_sink_state decode_kafka_sink_state(const std::string& bytes);

//! "<prefix>-<subtask>-<sequence>": every transaction has an id of its own,
//! so a restore commits exactly the transaction its checkpoint recorded.
std::string kafka_transactional_id(const std::string& prefix, int subtask, std::int64_t sequence);

class kafka_producer;

//! One subtask of kafka_sink().
class kafka_sink_function final : public sink_function<std::string> {
public:
  explicit kafka_sink_function(kafka_sink_config cfg);
  ~kafka_sink_function() override;

  //! Exactly-once: commits the transactions the restored checkpoint recorded
  //! (of this subtask and of old subtasks k with k % p == i), aborts the
  //! transactions a failed run left open, and refuses a transaction.timeout.ms
  //! shorter than the checkpoint interval. Checks the topic exists.
  void open(runtime_context& ctx) override;
  //! Produces every record (blocks while librdkafka's queue is full:
  //! backpressure). Throws spate::error(errc::io) when a delivery failed.
  void write(const typed_batch<std::string>& batch) override;
  //! Flushes; exactly-once leaves the open transaction to the checkpoint that
  //! follows (the job's final checkpoint at the latest), which commits it.
  void finish() override;
  void initialize_state(const operator_state_reader& r) override;
  //! At-least-once: flushes and checks every delivery. Exactly-once: flushes,
  //! records the transaction as pending and opens the next one.
  void snapshot_state(std::int64_t checkpoint_id, operator_state_writer& w) override;
  //! Commits the pending transactions of checkpoints up to `checkpoint_id`.
  void notify_checkpoint_complete(std::int64_t checkpoint_id) override;
  //! Aborts the open transaction (records after the last barrier); pending
  //! ones are left for the restore to commit.
  void close() override;

  //! Transactions flushed and not yet committed (tests).
  std::size_t pending_transactions() const { return pending_.size(); }

private:
  void open_transaction();
  void check_delivery();
  //! Spreads records without a key over the topic's `partitions` a batch at
  //! a time (see write()), unless librdkafka must place them.
  void choose_partitions(int partitions);

  kafka_sink_config cfg_;
  std::string who_;
  int subtask_ = 0;
  std::unique_ptr<kafka_producer> active_;
  std::deque<std::unique_ptr<kafka_producer>> pending_;
  std::int64_t next_sequence_ = 0;
  std::int64_t active_sequence_ = 0;
  std::map<std::string, std::string> props_;
  std::int32_t txn_timeout_ms_ = 0;
  //! The topic's partitions when this sink places records itself (0: it
  //! leaves that to librdkafka), and the partition of the next batch.
  std::int32_t sticky_partitions_ = 0;
  std::int32_t next_partition_ = 0;
  //! Restored: transactions to commit, and (old subtask, next sequence) to
  //! abort from.
  std::vector<kafka_pending_transaction> to_commit_;
  std::vector<std::pair<int, std::int64_t>> to_abort_;
  bool restored_ = false;
  struct key_parser;
  std::unique_ptr<key_parser> keys_;
};

//! A sink writing each line as the value of a record of `cfg.topic`.
sink_spec<std::string> kafka_sink(kafka_sink_config cfg);

} // namespace spate
