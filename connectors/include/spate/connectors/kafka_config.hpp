// Typed configs of the Kafka source and sink, built from a kafka:// SPEC with
// the option names of Flink's Kafka SQL connector, so SQL's WITH (...) can
// build the same structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spate/connectors/uri.hpp"

namespace spate {

//! Where a Kafka source starts when no checkpoint says otherwise.
enum class kafka_startup_mode { earliest_offset, latest_offset, group_offsets, from_timestamp };

//! What a source does with a record it cannot turn into a line (a null value).
enum class kafka_malformed_policy { fail, skip };

struct kafka_source_config {
  //! "host:port,host:port" (bootstrap.servers).
  std::string brokers;
  std::vector<std::string> topics;
  //! properties.group.id: offsets are committed to it when checkpoints
  //! complete (for monitoring), and group-offsets starts from it.
  std::string group_id;
  kafka_startup_mode startup = kafka_startup_mode::group_offsets;
  //! scan.startup.timestamp-millis, for startup = timestamp.
  std::int64_t startup_timestamp_ms = 0;
  //! scan.bounded.mode = latest-offset: stop at the end offsets seen at start.
  bool bounded_latest = false;
  //! scan.topic-partition-discovery.interval; 0 disables discovery.
  std::int64_t discovery_interval_ms = 300'000;
  //! scan.malformed (null values): fail naming topic, partition and offset, or skip and count.
  kafka_malformed_policy malformed = kafka_malformed_policy::fail;
  //! properties.*: handed to librdkafka as they are.
  std::map<std::string, std::string> properties;
  //! The SPEC, for messages.
  std::string text;
};

enum class kafka_delivery_guarantee { exactly_once, at_least_once, none };

struct kafka_sink_config {
  std::string brokers;
  std::string topic;
  kafka_delivery_guarantee guarantee = kafka_delivery_guarantee::at_least_once;
  //! sink.transactional-id-prefix (required for exactly-once, as Flink's KafkaSink).
  std::string transactional_id_prefix;
  //! key.field: a top-level JSON field of the record used as the message key
  //! (Kafka's default partitioner hashes it); none: no key.
  std::string key_field;
  //! Records framed as [u32 key length, big endian][key bytes][u8 flag][value bytes]: the
  //! message's key and value given apart. Flag 1: the value follows; flag 0: nothing follows
  //! and the message has a null value (a tombstone, as upsert-kafka writes deletes). The key
  //! is written as given (an empty key stays empty, not null). A batch holding a malformed
  //! frame (too short, a key overrunning the record, a flag other than 0 or 1, bytes after a
  //! flag 0) throws errc::invalid_argument before any record of it is produced. Set by SQL's
  //! kafka and upsert-kafka sinks when the message has a key (not a kafka:// option);
  //! key_field is then unused.
  bool framed_records = false;
  //! properties.*: handed to librdkafka (transaction.timeout.ms among them).
  std::map<std::string, std::string> properties;
  std::string text;
};

//! Builds the source config of a kafka:// input SPEC. Throws
//! spate::error(errc::invalid_argument) naming the SPEC and the option at fault.
kafka_source_config parse_kafka_source_config(const connector_uri& uri);
//! Builds the sink config of a kafka:// output SPEC (one topic). Throws as above.
kafka_sink_config parse_kafka_sink_config(const connector_uri& uri);

//! Asks the brokers for metadata (10 s at most): throws spate::error(errc::io)
//! naming the brokers when none answers, errc::not_found naming a missing
//! topic, errc::invalid_argument naming a property librdkafka refuses.
//! `consumer` chooses which kind of client checks (its properties differ).
void check_kafka_topics(const std::string& brokers, const std::vector<std::string>& topics,
                        const std::map<std::string, std::string>& properties, bool consumer,
                        const std::string& who);

const char* to_string(kafka_startup_mode m);
const char* to_string(kafka_delivery_guarantee g);

} // namespace spate
