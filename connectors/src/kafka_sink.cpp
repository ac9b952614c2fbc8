// The Kafka sink: producing, flushing at barriers, and the exactly-once
// transaction cycle (open at the start of a checkpoint period, flush at its
// barrier, commit when it completes).
#include "spate/connectors/kafka_sink.hpp"

#include <mutex>
#include <optional>

#include "json_template.hpp"
#include "kafka_client.hpp"
#include "kafka_txn.hpp"
#include "spate/connectors/checkpointing.hpp"
#include "spate/core/crash_point.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

constexpr std::chrono::milliseconds txn_timeout{60'000};
// Flink's KafkaSink default is 1 h; brokers refuse more than their
// transaction.max.timeout.ms (15 min by default).
constexpr const char* default_transaction_timeout_ms = "600000";
// Ids probed past a restored sequence before giving up: far more than the
// checkpoints a failed run can have started since its last completed one.
constexpr int max_probes = 10'000;

struct delivery_state {
  std::int64_t failed = 0;
  std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR || !m->_private)
    return;
  auto* d = static_cast<delivery_state*>(m->_private);
  if (d->failed++ == 0)
    d->first_error = rd_kafka_err2str(m->err);
}

std::string error_text(rd_kafka_error_t* e) {
  std::string s = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return s;
}

} // namespace

std::string kafka_transactional_id(const std::string& prefix, int subtask, std::int64_t sequence) {
  return prefix + "-" + std::to_string(subtask) + "-" + std::to_string(sequence);
}

// ---------------------------------------------------------------------------

//! One librdkafka producer, transactional or not, with its delivery failures.
class kafka_producer {
public:
  kafka_producer(const kafka_sink_config& cfg, const std::string& who,
                 std::map<std::string, std::string> props, std::string transactional_id)
      : transactional_id_(std::move(transactional_id)) {
    props["bootstrap.servers"] = cfg.brokers;
    // on_delivery() only looks at failures: without reports of successes
    // librdkafka frees delivered messages itself instead of queueing a report
    // for each to the polling thread.
    props.emplace("delivery.report.only.error", "true");
    kafka::log_hook hook;
    if (!transactional_id_.empty()) {
      props["transactional.id"] = transactional_id_;
      // The producer id and epoch are only in librdkafka's "eos" debug lines;
      // a restore needs them to commit this transaction.
      auto dbg = props.find("debug");
      props["debug"] = dbg == props.end() ? "eos" : dbg->second + ",eos";
      hook = [this](const char*, const char* text) {
        if (auto id = kafka::parse_producer_identity(text)) {
          std::lock_guard<std::mutex> lock(mutex_);
          identity_ = *id;
        }
      };
    }
    rk_ = kafka::create(RD_KAFKA_PRODUCER, props, who, std::move(hook), on_delivery);
    rkt_ = rd_kafka_topic_new(rk_.get(), cfg.topic.c_str(), nullptr);
    if (!rkt_)
      throw error(errc::invalid_argument,
                  who + ": " + kafka::message(rd_kafka_last_error()) + " for topic " + cfg.topic);
  }
  ~kafka_producer() {
    if (rkt_)
      rd_kafka_topic_destroy(rkt_);
  }

  rd_kafka_t* rk() const { return rk_.get(); }
  rd_kafka_topic_t* rkt() const { return rkt_; }
  delivery_state* delivery() { return &delivery_; }
  const std::string& transactional_id() const { return transactional_id_; }
  kafka::producer_identity identity() {
    std::lock_guard<std::mutex> lock(mutex_);
    return identity_;
  }
  //! Waits until librdkafka delivered or failed every message.
  void flush() {
    while (rd_kafka_outq_len(rk_.get()) > 0)
      rd_kafka_flush(rk_.get(), 100);
  }

  std::int64_t checkpoint_id = -1;
  bool in_transaction = false;

private:
  std::string transactional_id_;
  kafka::handle rk_;
  rd_kafka_topic_t* rkt_ = nullptr;
  delivery_state delivery_;
  std::mutex mutex_;
  kafka::producer_identity identity_;
};

struct kafka_sink_function::key_parser {
  detail::record_fields fields;
};

kafka_sink_function::kafka_sink_function(kafka_sink_config cfg) : cfg_(std::move(cfg)) {}

kafka_sink_function::~kafka_sink_function() { close(); }

void kafka_sink_function::initialize_state(const operator_state_reader& r) {
  to_commit_.clear();
  to_abort_.clear();
  restored_ = false;
  for (std::size_t k = 0; k < r.all().size(); ++k) {
    auto it = r.all()[k].find("kafka-sink");
    if (it == r.all()[k].end())
      continue;
    restored_ = true;
    if (static_cast<int>(k) % r.parallelism() != r.subtask())
      continue;
    auto s = decode_kafka_sink_state(it->second);
    to_commit_.insert(to_commit_.end(), s.pending.begin(), s.pending.end());
    to_abort_.emplace_back(s.subtask, s.next_sequence);
  }
}

void kafka_sink_function::open(runtime_context& ctx) {
  subtask_ = ctx.subtask;
  who_ = "kafka sink " + cfg_.brokers + "/" + cfg_.topic + " (" + std::to_string(subtask_ + 1) +
         "/" + std::to_string(ctx.parallelism) + ")";
  if (!cfg_.key_field.empty()) {
    keys_ = std::make_unique<key_parser>();
    keys_->fields.add(cfg_.key_field, "key.field");
  }
  auto props = cfg_.properties;
  if (cfg_.guarantee != kafka_delivery_guarantee::exactly_once) {
    if (cfg_.guarantee == kafka_delivery_guarantee::at_least_once)
      props.emplace("enable.idempotence", "true");
    active_ = std::make_unique<kafka_producer>(cfg_, who_, props, "");
    // Fail now, naming the topic, rather than on the first delivery.
    choose_partitions(kafka::partition_counts(active_->rk(), {cfg_.topic},
                                              std::chrono::milliseconds(10'000), who_,
                                              cfg_.brokers)[cfg_.topic]);
    return;
  }
  props.emplace("transaction.timeout.ms", default_transaction_timeout_ms);
  std::int64_t txn_timeout_ms = 0;
  try {
    txn_timeout_ms = std::stoll(props["transaction.timeout.ms"]);
  } catch (const std::exception&) {
    throw error(errc::invalid_argument, who_ +
                                            ": properties.transaction.timeout.ms must be a "
                                            "number of milliseconds, got '" +
                                            props["transaction.timeout.ms"] + "'");
  }
  if (checkpointing_enabled(ctx)) {
    auto interval =
        ctx.config->get_duration("execution.checkpointing.interval", duration{0}).count();
    if (txn_timeout_ms < interval)
      throw error(errc::invalid_argument,
                  who_ + ": properties.transaction.timeout.ms (" + std::to_string(txn_timeout_ms) +
                      " ms) is shorter than execution.checkpointing.interval (" +
                      std::to_string(interval) +
                      " ms): the broker would abort every transaction before its checkpoint "
                      "completes");
  } else {
    log().warn("{}: sink.delivery-guarantee=exactly-once without checkpointing: output is "
               "committed only when the input ends",
               who_);
  }
  props_ = props;
  txn_timeout_ms_ = static_cast<std::int32_t>(txn_timeout_ms);
  {
    // The same check for exactly-once, before any transaction is touched
    // (after the timeout check: librdkafka refuses some timeouts itself).
    kafka_producer probe(cfg_, who_, props, "");
    choose_partitions(kafka::partition_counts(probe.rk(), {cfg_.topic},
                                              std::chrono::milliseconds(10'000), who_,
                                              cfg_.brokers)[cfg_.topic]);
  }

  // 1. Transactions the restored checkpoint covers: commit what is not yet.
  for (const auto& t : to_commit_) {
    auto outcome = kafka::end_transaction(cfg_.brokers, t.transactional_id,
                                          {t.producer_id, t.producer_epoch}, true, txn_timeout);
    if (outcome == kafka::end_txn_outcome::done)
      log().info("{}: committed transaction {} of checkpoint {} on restore (or found it "
                 "committed: the coordinator answers a repeated commit alike)",
                 who_, t.transactional_id, t.checkpoint_id);
    else
      log().info("{}: transaction {} of checkpoint {} was completed before ({})", who_,
                 t.transactional_id, t.checkpoint_id,
                 outcome == kafka::end_txn_outcome::fenced ? "fenced by a newer epoch"
                                                           : "none open");
  }
  // 2. Transactions a failed run opened after that checkpoint: abort them,
  // id by id, until one was never used (Flink's KafkaSink probes the same way).
  std::int64_t own_start = 0;
  bool own_found = false;
  for (const auto& [old_subtask, from] : to_abort_) {
    std::int64_t seq = from;
    for (int n = 0; n < max_probes; ++n, ++seq) {
      auto id = kafka::init_producer_id(
          cfg_.brokers, kafka_transactional_id(cfg_.transactional_id_prefix, old_subtask, seq),
          txn_timeout_ms_, txn_timeout);
      if (id.epoch == 0)
        break;
    }
    if (old_subtask == subtask_) {
      own_start = seq;
      own_found = true;
    }
  }
  if (!own_found) {
    // A new job, or a subtask that did not exist in the snapshot: start past
    // every sequence the snapshot knew, and past ids still in use.
    for (const auto& [old_subtask, from] : to_abort_)
      own_start = std::max(own_start, from);
    for (int n = 0; n < max_probes; ++n, ++own_start) {
      auto id = kafka::init_producer_id(
          cfg_.brokers, kafka_transactional_id(cfg_.transactional_id_prefix, subtask_, own_start),
          txn_timeout_ms_, txn_timeout);
      if (id.epoch == 0)
        break;
    }
  }
  to_commit_.clear();
  to_abort_.clear();
  next_sequence_ = own_start;
  open_transaction();
}

void kafka_sink_function::open_transaction() {
  auto p = std::make_unique<kafka_producer>(
      cfg_, who_, props_,
      kafka_transactional_id(cfg_.transactional_id_prefix, subtask_, next_sequence_));
  if (rd_kafka_error_t* e =
          rd_kafka_init_transactions(p->rk(), static_cast<int>(txn_timeout.count())))
    throw error(errc::io, who_ + ": cannot initialise transactions for " + p->transactional_id() +
                              ": " + error_text(e));
  if (p->identity().id < 0)
    throw error(errc::internal,
                who_ + ": librdkafka did not log the producer id of " + p->transactional_id());
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(p->rk()))
    throw error(errc::io, who_ + ": cannot begin a transaction on " + p->transactional_id() + ": " +
                              error_text(e));
  p->in_transaction = true;
  active_sequence_ = next_sequence_++;
  active_ = std::move(p);
}

void kafka_sink_function::choose_partitions(int partitions) {
  // Records without a key go to one partition a batch, the next batch to the
  // next partition (Kafka's sticky partitioning, as Flink's KafkaSink does by
  // default): librdkafka then runs no partitioner per record. Keys, framed
  // records and a partitioner of the user's are librdkafka's to place.
  sticky_partitions_ =
      cfg_.key_field.empty() && !cfg_.framed_records && cfg_.properties.count("partitioner") == 0
          ? partitions
          : 0;
  next_partition_ = sticky_partitions_ > 0 ? subtask_ % sticky_partitions_ : 0;
}

void kafka_sink_function::check_delivery() {
  auto* d = active_->delivery();
  if (d->failed > 0)
    throw error(errc::io, who_ + ": " + std::to_string(d->failed) +
                              " record(s) could not be delivered: " + d->first_error);
}

namespace {

//! A framed record ([u32 key length, big endian][key][u8 1 + value | u8 0]) taken apart;
//! empty `why` when it is well formed.
struct framed_record {
  std::string_view key, value;
  bool null_value = false;
  std::string why;
};

framed_record unframe(std::string_view v) {
  framed_record f;
  if (v.size() < 5) {
    f.why = "a framed record of " + std::to_string(v.size()) + " bytes (at least 5 are needed)";
    return f;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  const std::size_t klen = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                           (std::size_t{p[2]} << 8) | std::size_t{p[3]};
  if (klen > v.size() - 5) {
    f.why = "a framed record's key of " + std::to_string(klen) + " bytes overruns its " +
            std::to_string(v.size()) + " bytes";
    return f;
  }
  const unsigned char flag = p[4 + klen];
  if (flag > 1) {
    f.why = "a framed record's value flag is " + std::to_string(flag) + " (0: none, 1: a value)";
    return f;
  }
  if (flag == 0 && v.size() != 4 + klen + 1) {
    f.why = "a framed record without value has " + std::to_string(v.size() - 4 - klen - 1) +
            " bytes after its key";
    return f;
  }
  f.key = v.substr(4, klen);
  f.null_value = flag == 0;
  f.value = v.substr(4 + klen + 1);
  return f;
}

} // namespace

void kafka_sink_function::write(const typed_batch<std::string>& batch) {
  rd_kafka_t* rk = active_->rk();
  // Framed records are all checked before any is produced: a malformed one writes nothing.
  if (cfg_.framed_records)
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (auto f = unframe(batch.values[i]); !f.why.empty())
        throw error(errc::invalid_argument, who_ + ": record " + std::to_string(i + 1) +
                                                " of a batch of " + std::to_string(batch.size()) +
                                                ": " + f.why + "; nothing of the batch is written");
  std::int32_t partition = RD_KAFKA_PARTITION_UA;
  if (sticky_partitions_ > 0 && batch.size() > 0) {
    partition = next_partition_;
    next_partition_ = (next_partition_ + 1) % sticky_partitions_;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::string& v = batch.values[i];
    // A record that is not JSON or lacks the field has no key.
    std::string_view key;
    std::string_view value = v;
    bool null_value = false;
    bool has_key = false;
    if (cfg_.framed_records) {
      const framed_record f = unframe(v);
      key = f.key;
      value = f.value;
      null_value = f.null_value;
      has_key = true; // an empty key stays an empty key, not a null one
    } else if (keys_ && keys_->fields.extract(v)) {
      key = keys_->fields.value(0);
      has_key = !key.empty();
    }
    timestamp ts = batch.timestamps[i];
    while (true) {
      auto err =
          rd_kafka_producev(rk, RD_KAFKA_V_RKT(active_->rkt()), RD_KAFKA_V_PARTITION(partition),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_VALUE(null_value ? nullptr : const_cast<char*>(value.data()),
                                             null_value ? 0 : value.size()),
                            RD_KAFKA_V_KEY(has_key ? key.data() : nullptr, key.size()),
                            RD_KAFKA_V_TIMESTAMP(ts == no_timestamp || ts < 0 ? 0 : ts),
                            RD_KAFKA_V_OPAQUE(active_->delivery()), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw error(errc::io, who_ + ": cannot produce: " + kafka::message(err));
      rd_kafka_poll(rk, 10); // backpressure: wait for deliveries to make room
      check_delivery();
    }
  }
  rd_kafka_poll(rk, 0);
  check_delivery();
}

void kafka_sink_function::snapshot_state(std::int64_t checkpoint, operator_state_writer& w) {
  if (!active_ || cfg_.guarantee == kafka_delivery_guarantee::none)
    return;
  active_->flush();
  check_delivery();
  if (cfg_.guarantee == kafka_delivery_guarantee::at_least_once)
    return;
  active_->checkpoint_id = checkpoint;
  pending_.push_back(std::move(active_));
  open_transaction();
  kafka_sink_state s;
  s.subtask = subtask_;
  s.next_sequence = active_sequence_;
  for (auto& p : pending_) {
    auto id = p->identity();
    s.pending.push_back({p->checkpoint_id, p->transactional_id(), id.id, id.epoch});
  }
  w.put("kafka-sink", encode_kafka_sink_state(s));
}

void kafka_sink_function::notify_checkpoint_complete(std::int64_t checkpoint) {
  while (!pending_.empty() && pending_.front()->checkpoint_id <= checkpoint) {
    auto& p = pending_.front();
    if (rd_kafka_error_t* e =
            rd_kafka_commit_transaction(p->rk(), static_cast<int>(txn_timeout.count())))
      throw error(errc::io, who_ + ": cannot commit transaction " + p->transactional_id() +
                                " of checkpoint " + std::to_string(p->checkpoint_id) + ": " +
                                error_text(e));
    pending_.pop_front();
    crash_point("during-commit"); // one transaction committed, later ones may wait
  }
}

void kafka_sink_function::finish() {
  if (!active_)
    return;
  active_->flush();
  check_delivery();
  // Exactly once: the open transaction is committed by the checkpoint that
  // follows the end of the input (the job's final checkpoint at the latest),
  // never before it completes.
}

void kafka_sink_function::close() {
  if (active_ && active_->in_transaction) {
    // Records after the last barrier: a restore replays them.
    if (rd_kafka_error_t* e = rd_kafka_abort_transaction(active_->rk(), 2000))
      log().warn("{}: aborting transaction {} failed (the broker aborts it after "
                 "transaction.timeout.ms, or the next run does): {}",
                 who_, active_->transactional_id(), error_text(e));
  } else if (active_ && cfg_.guarantee != kafka_delivery_guarantee::exactly_once) {
    rd_kafka_flush(active_->rk(), 5000);
  }
  active_.reset();
  // Pending transactions stay open on the broker: their checkpoint may have
  // completed, and a restore commits them.
  pending_.clear();
}

sink_spec<std::string> kafka_sink(kafka_sink_config cfg) {
  sink_spec<std::string> spec;
  spec.name = "kafka-sink";
  spec.factory = [cfg]() -> std::unique_ptr<sink_function<std::string>> {
    return std::make_unique<kafka_sink_function>(cfg);
  };
  return spec;
}

} // namespace spate
