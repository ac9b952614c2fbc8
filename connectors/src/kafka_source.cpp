// The Kafka source: the polling loop, checkpoints and offset commits. The
// consumer is in kafka_consumer.cpp, assignment and start offsets in
// kafka_source_assign.cpp.
#include "spate/connectors/kafka_source.hpp"

#include <algorithm>
#include <exception>

#include "kafka_source_internal.hpp"
#include "spate/connectors/checkpointing.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

using kafka::where;

namespace {

// How long poll() asks to wait when librdkafka has nothing fetched yet.
constexpr std::chrono::milliseconds fetch_wait{2};
constexpr std::chrono::milliseconds no_partition_wait{100};
constexpr std::size_t max_batch = 4096;

bool transient(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
      return true;
    default:
      return false;
  }
}

} // namespace

kafka_source_function::kafka_source_function(kafka_source_config cfg) : cfg_(std::move(cfg)) {}

kafka_source_function::~kafka_source_function() { close(); }

kafka_source_function::partition_state* kafka_source_function::find(const char* topic,
                                                                    std::int32_t partition) {
  if (last_ && last_->partition == partition && last_->topic == topic)
    return last_;
  for (auto& p : parts_)
    if (p->partition == partition && p->topic == topic)
      return last_ = p.get();
  return nullptr;
}

void kafka_source_function::add_gauges(partition_state& p) {
  if (!ctx_)
    return;
  // Flink's names; -1 until there is an offset, as Flink's initial value.
  std::string scope =
      "KafkaSourceReader.topic." + p.topic + ".partition." + std::to_string(p.partition) + ".";
  p.current_offset = &ctx_->counter(scope + "currentOffset");
  p.committed_offset = &ctx_->counter(scope + "committedOffset");
  p.current_offset->store(p.next >= 0 ? p.next : -1, std::memory_order_relaxed);
  p.committed_offset->store(-1, std::memory_order_relaxed);
}

void kafka_source_function::update_gauges() {
  if (!ctx_)
    return;
  for (auto& p : parts_)
    if (p->next >= 0)
      p->current_offset->store(p->next, std::memory_order_relaxed);
  // The lag: librdkafka's high watermark of each partition as its last fetch
  // response gave it (cached: no request), minus the position.
  auto now = std::chrono::steady_clock::now();
  if (now < next_lag_)
    return;
  next_lag_ = now + std::chrono::seconds(1);
  std::int64_t max_lag = 0;
  std::int64_t pending = 0;
  for (auto& p : parts_) {
    if (p->done)
      continue;
    std::int64_t lo = -1;
    std::int64_t hi = -1;
    if (rd_kafka_get_watermark_offsets(consumer_->rk(), p->topic.c_str(), p->partition, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0)
      continue;
    std::int64_t position = p->next >= 0 ? p->next : std::max<std::int64_t>(lo, 0);
    std::int64_t lag = std::max<std::int64_t>(hi - position, 0);
    max_lag = std::max(max_lag, lag);
    pending += lag;
  }
  lag_max_->store(max_lag, std::memory_order_relaxed);
  pending_->store(pending, std::memory_order_relaxed);
}

bool kafka_source_function::all_done() const {
  return std::all_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->done; });
}

void kafka_source_function::announce(collector<std::string>& out) {
  // Per-partition watermarks downstream: every partition is announced once
  // (it holds back the watermark until it has records or idles), and each
  // run of records is preceded by its partition's marker.
  for (auto& p : parts_)
    if (!p->announced) {
      p->announced = true;
      if (p->done)
        out.finish_split(p->split);
      else
        out.begin_split(p->split);
    }
}

bool kafka_source_function::take(const rd_kafka_message_s& m, collector<std::string>& out,
                                 std::int32_t& run, std::exception_ptr& failure) {
  partition_state* p = m.rkt ? find(rd_kafka_topic_name(m.rkt), m.partition) : nullptr;
  auto mark_done = [&] {
    p->done = true;
    out.finish_split(p->split);
    run = -1;
  };
  if (m.err) {
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF && p) {
      if (p->next == kafka_earliest || m.offset > p->next)
        p->next = m.offset;
      if (p->stop >= 0 && p->next >= p->stop && !p->done)
        mark_done();
    } else if (transient(m.err)) {
      log().warn("{}: {} (librdkafka retries)", where(cfg_), rd_kafka_message_errstr(&m));
    } else {
      std::string at = p ? " at " + p->topic + "-" + std::to_string(p->partition) : "";
      failure = std::make_exception_ptr(
          error(errc::io, where(cfg_) + at + ": " + rd_kafka_message_errstr(&m)));
    }
    return false;
  }
  if (!p || p->done) // unassigned meanwhile, or past a bounded end
    return false;
  if (m.offset < p->next) // fetched again after restart_fetch(): emitted before
    return false;
  if (p->stop >= 0 && m.offset >= p->stop) {
    mark_done();
    return false;
  }
  if (run != p->split) {
    out.begin_split(p->split);
    run = p->split;
  }
  bool emitted = false;
  if (!m.payload) {
    if (cfg_.malformed == kafka_malformed_policy::fail) {
      failure = std::make_exception_ptr(error(
          errc::codec, where(cfg_) + ": the record at " + p->topic + "-" +
                           std::to_string(p->partition) + " offset " + std::to_string(m.offset) +
                           " has no value (scan.malformed=skip would skip and count it)"));
      return false;
    }
    ++malformed_;
    if (malformed_counter_)
      malformed_counter_->fetch_add(1, std::memory_order_relaxed);
  } else {
    rd_kafka_timestamp_type_t type;
    std::int64_t ts = rd_kafka_message_timestamp(&m, &type);
    out.collect_with_timestamp(std::string(static_cast<const char*>(m.payload), m.len),
                               type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? no_timestamp : ts);
    emitted = true;
  }
  p->next = m.offset + 1;
  if (p->stop >= 0 && p->next >= p->stop)
    mark_done();
  return emitted;
}

source_status kafka_source_function::poll(collector<std::string>& out, std::size_t max_records) {
  if (!consumer_)
    throw error(errc::internal, "kafka source polled before open()");
  consumer_->serve_commits();
  if (!cfg_.bounded_latest)
    discover();
  if (cfg_.bounded_latest && all_done())
    return source_status::end();
  if (parts_.empty())
    return source_status::no_input_for(no_partition_wait);
  announce(out);
  rd_kafka_message_t* msgs[max_batch];
  consumer_->before_consume();
  auto n =
      rd_kafka_consume_batch_queue(consumer_->queue(), 0, msgs, std::min(max_records, max_batch));
  if (n < 0)
    throw error(errc::io, where(cfg_) + ": " + kafka::message(rd_kafka_last_error()));
  consumer_->consumed(msgs, static_cast<std::size_t>(n));
  std::size_t emitted = 0;
  std::int32_t run = -1;
  std::exception_ptr failure;
  for (ssize_t i = 0; i < n; ++i) {
    // After a failure, the rest of the batch is only freed.
    if (!failure && take(*msgs[i], out, run, failure))
      ++emitted;
    rd_kafka_message_destroy(msgs[i]);
  }
  if (failure)
    std::rethrow_exception(failure);
  if (consumer_->fetcher_parked())
    restart_fetch();
  update_gauges(); // per batch, never per record
  if (emitted > 0)
    return source_status::has_more();
  if (cfg_.bounded_latest && all_done())
    return source_status::end();
  return n > 0 ? source_status::has_more() : source_status::wait_for(fetch_wait);
}

void kafka_source_function::restart_fetch() {
  auto list = kafka::new_list(static_cast<int>(parts_.size()));
  for (const auto& p : parts_)
    if (!p->done && p->next >= 0)
      rd_kafka_topic_partition_list_add(list.get(), p->topic.c_str(), p->partition)->offset =
          p->next;
  consumer_->restart_fetch(list.get());
}

std::vector<kafka_partition_offset> kafka_source_function::positions() const {
  std::vector<kafka_partition_offset> out;
  for (const auto& p : parts_)
    out.push_back({p->topic, p->partition, p->next});
  return out;
}

void kafka_source_function::snapshot_state(std::int64_t checkpoint, operator_state_writer& w) {
  auto pos = positions();
  w.put("kafka-source", encode_kafka_source_state(pos));
  if (!cfg_.group_id.empty())
    pending_commits_.emplace_back(checkpoint, std::move(pos));
}

void kafka_source_function::notify_checkpoint_complete(std::int64_t checkpoint) {
  const std::vector<kafka_partition_offset>* latest = nullptr;
  for (const auto& [id, pos] : pending_commits_)
    if (id <= checkpoint)
      latest = &pos;
  if (latest && consumer_) {
    auto list = kafka::new_list(static_cast<int>(latest->size()));
    for (const auto& o : *latest)
      if (o.offset >= 0)
        rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset =
            o.offset;
    // Asynchronous, for monitoring: a failed commit is only logged.
    if (list->cnt > 0)
      consumer_->commit_async(list.get());
  }
  pending_commits_.erase(std::remove_if(pending_commits_.begin(), pending_commits_.end(),
                                        [&](const auto& e) { return e.first <= checkpoint; }),
                         pending_commits_.end());
}

void kafka_source_function::close() {
  if (!consumer_)
    return;
  consumer_->stop_discovery();
  consumer_->on_committed = nullptr; // the gauges may go before the last commits
  consumer_.reset();
  last_ = nullptr;
}

source_spec<std::string> kafka_source(kafka_source_config cfg) {
  source_spec<std::string> spec;
  spec.name = "kafka-source";
  spec.factory = [cfg]() -> std::unique_ptr<source_function<std::string>> {
    return std::make_unique<kafka_source_function>(cfg);
  };
  return spec;
}

} // namespace spate
