// The jobs around Kafka and Redis: producers that write the seed jobs'
// realistic events into a topic at a chosen rate (the role of the Kafka +
// Spark project's producer), topic-to-topic replication, and sensor readings
// into Redis keys (the PyFlink job's `SET sensor_id_<id> CLUSTER_ACTIVE`).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "spate/api/stream.hpp"
#include "spate/apps/json_input.hpp"
#include "spate/cluster/job_registry.hpp"
#include "spate/connectors/generator_source.hpp"

namespace spate::apps {

//! Input record `seq` of the sensor generator: {"sensor_id": 1..sensors,
//! "temperature", "humidity", "timestamp": epoch seconds}, `events_per_second`
//! of event time from 2024-01-01T00:00:00Z.
std::string make_sensor_record(std::uint64_t seq, record_rng& rng, double events_per_second,
                               int sensors);
source_spec<std::string> sensor_generator(generator_options g, double events_per_second,
                                          int sensors);

//! Sensor readings (JSON lines) to {"sensor_id", "status": "CLUSTER_ACTIVE",
//! "temperature", "timestamp"}: what sensor_to_redis writes. Malformed lines
//! are skipped and counted (numMalformedRecords).
stream<std::string>
sensor_status(stream<std::string> readings,
              std::shared_ptr<malformed_counter> malformed = std::make_shared<malformed_counter>());

//! produce_tweets, produce_clicks, produce_stock_prices, produce_sensors,
//! kafka_replicate and sensor_to_redis.
void register_pipelines(job_registry& registry);

} // namespace spate::apps
