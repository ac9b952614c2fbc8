// The Kafka source's partitions: which subtask reads which, the offsets a
// subtask starts at (restored, or resolved from the startup mode), their
// assignment, and partitions discovered later.
#include <algorithm>

#include "kafka_source_internal.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

using kafka::request_timeout;
using kafka::where;

namespace {

//! The end offset (high watermark) of a partition; its first offset goes to
//! `low` if given.
std::int64_t end_offset(rd_kafka_t* rk, const std::string& topic, std::int32_t partition,
                        const std::string& who, std::int64_t* low = nullptr) {
  std::int64_t lo = 0, hi = 0;
  auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &lo, &hi,
                                              static_cast<int>(request_timeout.count()));
  if (err)
    throw error(errc::io, who + ": cannot read the end offset of " + topic + "-" +
                              std::to_string(partition) + ": " + kafka::message(err));
  if (low)
    *low = lo;
  return hi;
}

//! Resolves the start offsets of `start` (all kafka_earliest) that the
//! startup mode puts elsewhere (latest-offset, timestamp, group-offsets) to
//! numbers, so that a checkpoint never records "latest".
void resolve_start_offsets(rd_kafka_t* rk, const kafka_source_config& cfg, const std::string& who,
                           std::vector<kafka_partition_offset>& start) {
  auto high = [&](const kafka_partition_offset& o) {
    return end_offset(rk, o.topic, o.partition, who);
  };
  if (cfg.startup == kafka_startup_mode::latest_offset) {
    for (auto& o : start)
      o.offset = high(o);
  } else if (cfg.startup == kafka_startup_mode::from_timestamp ||
             cfg.startup == kafka_startup_mode::group_offsets) {
    auto list = kafka::new_list(static_cast<int>(start.size()));
    for (auto& o : start)
      rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset =
          cfg.startup_timestamp_ms;
    auto err =
        cfg.startup == kafka_startup_mode::from_timestamp
            ? rd_kafka_offsets_for_times(rk, list.get(), static_cast<int>(request_timeout.count()))
            : rd_kafka_committed(rk, list.get(), static_cast<int>(request_timeout.count()));
    if (err)
      throw error(errc::io, who + ": cannot read the start offsets (" + to_string(cfg.startup) +
                                "): " + kafka::message(err));
    std::string reset = "earliest";
    if (auto r = cfg.properties.find("auto.offset.reset"); r != cfg.properties.end())
      reset = r->second;
    for (auto& o : start) {
      auto* e = rd_kafka_topic_partition_list_find(list.get(), o.topic.c_str(), o.partition);
      if (e && e->err == RD_KAFKA_RESP_ERR_NO_ERROR && e->offset >= 0)
        o.offset = e->offset;
      else if (cfg.startup == kafka_startup_mode::from_timestamp)
        o.offset = high(o); // no record at or after the timestamp yet
      else if (reset == "latest" || reset == "largest" || reset == "end")
        o.offset = high(o);
      else if (reset == "error")
        throw error(errc::not_found, who + ": no committed offset for " + o.topic + "-" +
                                         std::to_string(o.partition) + " in group '" +
                                         cfg.group_id + "' (auto.offset.reset=error)");
      else
        o.offset = kafka_earliest;
    }
  }
}

} // namespace

int kafka_partition_owner(const std::string& topic, std::int32_t partition, int parallelism) {
  // Java's String.hashCode over UTF-16 code units; topic names are ASCII.
  std::uint32_t h = 0;
  for (unsigned char c : topic)
    h = 31 * h + c;
  auto start = static_cast<std::int32_t>((h * 31u) & 0x7FFFFFFFu) % parallelism;
  return static_cast<int>((start + partition) % parallelism);
}

void kafka_source_function::initialize_state(const operator_state_reader& r) {
  restored_.clear();
  restored_any_ = false;
  for (const auto& old : r.all()) {
    auto it = old.find("kafka-source");
    if (it == old.end())
      continue;
    restored_any_ = true;
    for (auto& p : decode_kafka_source_state(it->second))
      if (kafka_partition_owner(p.topic, p.partition, r.parallelism()) == r.subtask())
        restored_.push_back(std::move(p));
  }
}

void kafka_source_function::open(runtime_context& ctx) {
  subtask_ = ctx.subtask;
  parallelism_ = ctx.parallelism;
  std::string who =
      where(cfg_) + " (" + std::to_string(subtask_ + 1) + "/" + std::to_string(parallelism_) + ")";
  consumer_ = std::make_unique<kafka_consumer>(cfg_, who);
  if (ctx.counters) {
    ctx_ = &ctx;
    malformed_counter_ = &ctx.counter("numRecordsInErrors");
    lag_max_ = &ctx.counter("KafkaSourceReader.KafkaConsumer.records-lag-max");
    pending_ = &ctx.counter("pendingRecords");
    consumer_->on_committed = [this](const char* topic, std::int32_t partition,
                                     std::int64_t offset) {
      if (auto* p = find(topic, partition); p && p->committed_offset)
        p->committed_offset->store(offset, std::memory_order_relaxed);
    };
  }
  rd_kafka_t* rk = consumer_->rk();
  auto counts = kafka::partition_counts(rk, cfg_.topics, request_timeout, who, cfg_.brokers);

  std::vector<kafka_partition_offset> start;
  if (restored_any_) {
    start = restored_;
    // Partitions created after the checkpoint: from their first record.
    for (const auto& entry : counts) {
      // A named variable, not a structured binding: lambdas capture it in C++17.
      const std::string& topic = entry.first;
      for (std::int32_t p = 0; p < entry.second; ++p)
        if (kafka_partition_owner(topic, p, parallelism_) == subtask_ &&
            std::none_of(start.begin(), start.end(), [&](const kafka_partition_offset& o) {
              return o.topic == topic && o.partition == p;
            }))
          start.push_back({topic, p, kafka_earliest});
    }
  } else {
    for (const auto& [topic, n] : counts)
      for (std::int32_t p = 0; p < n; ++p)
        if (kafka_partition_owner(topic, p, parallelism_) == subtask_)
          start.push_back({topic, p, kafka_earliest});
    resolve_start_offsets(rk, cfg_, who, start);
  }
  assign(start);
  if (cfg_.bounded_latest) {
    for (auto& p : parts_) {
      std::int64_t lo = 0;
      std::int64_t hi = end_offset(rk, p->topic, p->partition, who, &lo);
      p->stop = hi;
      p->done = p->next >= hi || (p->next == kafka_earliest && lo >= hi);
    }
  } else if (cfg_.discovery_interval_ms > 0) {
    consumer_->start_discovery(std::chrono::milliseconds(cfg_.discovery_interval_ms));
  }
  log().info("{}: reading {} partition(s){}", who, parts_.size(),
             cfg_.bounded_latest ? " up to their end offsets at start" : "");
}

void kafka_source_function::assign(const std::vector<kafka_partition_offset>& start) {
  if (start.empty())
    return;
  auto list = kafka::new_list(static_cast<int>(start.size()));
  for (const auto& o : start) {
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset =
        o.offset == kafka_earliest ? RD_KAFKA_OFFSET_BEGINNING : o.offset;
    auto p = std::make_unique<partition_state>();
    p->topic = o.topic;
    p->partition = o.partition;
    p->next = o.offset;
    p->split = static_cast<std::int32_t>(parts_.size());
    add_gauges(*p);
    parts_.push_back(std::move(p));
  }
  if (rd_kafka_error_t* e = rd_kafka_incremental_assign(consumer_->rk(), list.get())) {
    std::string msg = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    throw error(errc::io, where(cfg_) + ": cannot assign partitions: " + msg);
  }
}

void kafka_source_function::discover() {
  auto counts = consumer_->take_discovered();
  if (!counts)
    return;
  std::vector<kafka_partition_offset> added;
  for (const auto& [topic, n] : *counts)
    for (std::int32_t p = 0; p < n; ++p)
      if (kafka_partition_owner(topic, p, parallelism_) == subtask_ && !find(topic.c_str(), p))
        added.push_back({topic, p, kafka_earliest});
  if (added.empty())
    return;
  log().info("{} ({}/{}): discovered {} new partition(s), reading them from the beginning",
             where(cfg_), subtask_ + 1, parallelism_, added.size());
  assign(added);
}

} // namespace spate
