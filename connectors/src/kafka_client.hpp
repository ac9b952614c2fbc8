// librdkafka adapters shared by the Kafka source and sink: configuration with
// errors that name the property, handles freed by RAII, metadata with errors
// that name the brokers and topics.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace spate::kafka {

struct handle_deleter {
  void operator()(rd_kafka_t* rk) const;
};
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, list_deleter>;

inline partition_list new_list(int size) {
  return partition_list(rd_kafka_topic_partition_list_new(size > 0 ? size : 1));
}

//! Sees every librdkafka log line of a client (facility, text), on
//! librdkafka's threads, before it is logged.
using log_hook = std::function<void(const char* facility, const char* text)>;

//! Creates a client of `type` with `props` (bootstrap.servers among them);
//! librdkafka's log lines go to spate's log under `who` (debug lines at debug
//! level). Throws spate::error(errc::invalid_argument) naming a property
//! librdkafka refuses.
using delivery_callback = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void*);
handle create(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
              const std::string& who, log_hook hook = {}, delivery_callback dr = nullptr);

//! The `who` a client was created with.
const std::string& who(const rd_kafka_t* rk);

//! Partition counts of `topics`. Throws spate::error: errc::io when the
//! brokers do not answer within `timeout` (naming `brokers`), errc::not_found
//! naming a topic that does not exist.
std::map<std::string, int> partition_counts(rd_kafka_t* rk, const std::vector<std::string>& topics,
                                            std::chrono::milliseconds timeout,
                                            const std::string& who, const std::string& brokers);

//! "Broker: Unknown topic or partition" and the like, for messages.
inline std::string message(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

} // namespace spate::kafka
