// The Kafka protocol requests librdkafka does not offer: committing a
// transaction that another (crashed) producer left prepared, as Flink's
// KafkaSink resumes transactions on restore, and probing a transactional id.
// Plain blocking TCP, non-flexible request versions (header v1, response
// header v0), one request per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace spate::kafka {

//! What the transaction coordinator knows a producer by.
struct producer_identity {
  std::int64_t id = -1;
  std::int16_t epoch = -1;
};

//! The producer id and epoch in a librdkafka debug line that announces one
//! ("... PID{Id:1000,Epoch:0} ..."), if it has one.
std::optional<producer_identity> parse_producer_identity(const std::string& text);

//! Outcome of end_transaction().
enum class end_txn_outcome {
  done,           //!< committed (or aborted) now, or it had been already with this epoch
  fenced,         //!< the coordinator knows a newer epoch of the id: the transaction
                  //!< was completed before (or expired and was aborted)
  no_transaction, //!< nothing was open under the id (completed before)
};

//! Commits (or aborts) the open transaction of `transactional_id` held by
//! `who_holds` (EndTxn to the id's coordinator, found through `brokers`),
//! retrying while the coordinator is loading or busy, up to `timeout`.
//! Throws spate::error(errc::io) naming the brokers or the error otherwise.
end_txn_outcome end_transaction(const std::string& brokers, const std::string& transactional_id,
                                producer_identity who_holds, bool commit,
                                std::chrono::milliseconds timeout);

//! InitProducerId for `transactional_id`: aborts whatever it left open and
//! returns its new identity; epoch 0 means the id was never used before.
producer_identity init_producer_id(const std::string& brokers, const std::string& transactional_id,
                                   std::int32_t transaction_timeout_ms,
                                   std::chrono::milliseconds timeout);

} // namespace spate::kafka
