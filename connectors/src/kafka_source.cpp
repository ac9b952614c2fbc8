// The Kafka source: assignment, start offsets, polling, discovery, commits.
#include "spate/connectors/kafka_source.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kafka_client.hpp"
#include "spate/connectors/checkpointing.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

constexpr std::chrono::milliseconds request_timeout{10'000};
// How long poll() asks to wait when librdkafka has nothing fetched yet.
constexpr std::chrono::milliseconds fetch_wait{2};
constexpr std::chrono::milliseconds no_partition_wait{100};
constexpr std::size_t max_batch = 4096;

std::string where(const kafka_source_config& c) {
  std::string topics;
  for (const auto& t : c.topics)
    topics += (topics.empty() ? "" : ",") + t;
  return "kafka source " + c.brokers + "/" + topics;
}

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

// ---------------------------------------------------------------------------
// The consumer: a librdkafka handle with manual assignment, and partition
// discovery on a thread of its own (metadata requests block).

class kafka_consumer {
public:
  kafka_consumer(const kafka_source_config& cfg, const std::string& who) : cfg_(cfg), who_(who) {
    std::map<std::string, std::string> props = cfg.properties;
    props["bootstrap.servers"] = cfg.brokers;
    props["enable.auto.commit"] = "false";
    props["enable.auto.offset.store"] = "false";
    props["enable.partition.eof"] = cfg.bounded_latest ? "true" : "false";
    // An offset that retention removed starts over at the earliest one kept
    // (librdkafka's default would jump to the end and skip what is there).
    props.emplace("auto.offset.reset", "earliest");
    props.emplace("isolation.level", "read_committed");
    // librdkafka 2.0 stops fetching once 100,000 records are queued and looks
    // again only on its 1 s timer, so a reader slower than the fetcher
    // waits in bursts (229 k records/s of 100 B instead of 1.09 M here).
    // Deeper queues keep it fetching; up to 128 MiB prefetched per subtask.
    props.emplace("queued.min.messages", "1000000");
    props.emplace("queued.max.messages.kbytes", "131072");
    // librdkafka needs a group id for a consumer handle; without the user's
    // one no offsets are ever committed to it.
    props["group.id"] = cfg.group_id.empty() ? "spate-unused-group" : cfg.group_id;
    rk_ = kafka::create(RD_KAFKA_CONSUMER, props, who_);
    rd_kafka_poll_set_consumer(rk_.get());
    queue_ = rd_kafka_queue_get_consumer(rk_.get());
    commits_ = rd_kafka_queue_new(rk_.get());
  }
  ~kafka_consumer() {
    stop_discovery();
    // Offsets of the last completed checkpoint are on their way: give them a
    // moment, so the group shows where the job stopped.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (commits_in_flight_ > 0 && std::chrono::steady_clock::now() < until)
      rd_kafka_queue_poll_callback(commits_, 50);
    rd_kafka_queue_destroy(commits_);
    if (queue_)
      rd_kafka_queue_destroy(queue_);
  }

  rd_kafka_t* rk() const { return rk_.get(); }
  rd_kafka_queue_t* queue() const { return queue_; }

  //! Commits `offsets` to the group without waiting; a failure is logged.
  void commit_async(rd_kafka_topic_partition_list_t* offsets) {
    auto err =
        rd_kafka_commit_queue(rk_.get(), offsets, commits_, &kafka_consumer::committed, this);
    if (err)
      log().warn("{}: committing offsets to group '{}' failed: {}", who_, cfg_.group_id,
                 kafka::message(err));
    else
      ++commits_in_flight_;
  }
  //! Serves the results of earlier commits (their callbacks), without waiting.
  void serve_commits() {
    if (commits_in_flight_ > 0)
      rd_kafka_queue_poll_callback(commits_, 0);
  }

  //! Starts fetching metadata every `interval` on a thread.
  void start_discovery(std::chrono::milliseconds interval) {
    discovery_ = std::thread([this, interval] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stop_) {
        if (cv_.wait_for(lock, interval, [this] { return stop_; }))
          break;
        lock.unlock();
        try {
          auto counts =
              kafka::partition_counts(rk_.get(), cfg_.topics, request_timeout, who_, cfg_.brokers);
          lock.lock();
          discovered_ = std::move(counts);
          fresh_ = true;
        } catch (const std::exception& e) {
          log().warn("{}: partition discovery failed, trying again in {} ms: {}", who_,
                     interval.count(), e.what());
          lock.lock();
        }
      }
    });
  }
  //! Partition counts found since the last call, if any.
  std::optional<std::map<std::string, int>> take_discovered() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!fresh_)
      return std::nullopt;
    fresh_ = false;
    return std::move(discovered_);
  }
  void stop_discovery() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (discovery_.joinable())
      discovery_.join();
  }

private:
  static void committed(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                        void* opaque) {
    auto* self = static_cast<kafka_consumer*>(opaque);
    --self->commits_in_flight_;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
      log().warn("{}: committing offsets to group '{}' failed: {}", self->who_, self->cfg_.group_id,
                 kafka::message(err));
  }

  const kafka_source_config& cfg_;
  std::string who_;
  kafka::handle rk_;
  rd_kafka_queue_t* queue_ = nullptr;
  rd_kafka_queue_t* commits_ = nullptr;
  int commits_in_flight_ = 0;
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
};

// ---------------------------------------------------------------------------

int kafka_partition_owner(const std::string& topic, std::int32_t partition, int parallelism) {
  // Java's String.hashCode over UTF-16 code units; topic names are ASCII.
  std::uint32_t h = 0;
  for (unsigned char c : topic)
    h = 31 * h + c;
  auto start = static_cast<std::int32_t>((h * 31u) & 0x7FFFFFFFu) % parallelism;
  return static_cast<int>((start + partition) % parallelism);
}

kafka_source_function::kafka_source_function(kafka_source_config cfg) : cfg_(std::move(cfg)) {}

kafka_source_function::~kafka_source_function() { close(); }

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
  if (ctx.counters)
    malformed_counter_ = &ctx.counter("numRecordsInErrors");
  consumer_ = std::make_unique<kafka_consumer>(cfg_, who);
  rd_kafka_t* rk = consumer_->rk();
  auto counts = kafka::partition_counts(rk, cfg_.topics, request_timeout, who, cfg_.brokers);

  std::vector<kafka_partition_offset> start;
  if (restored_any_) {
    start = restored_;
    // Partitions created after the checkpoint: from their first record.
    for (const auto& [topic, n] : counts)
      for (std::int32_t p = 0; p < n; ++p)
        if (kafka_partition_owner(topic, p, parallelism_) == subtask_ &&
            std::none_of(start.begin(), start.end(), [&](const kafka_partition_offset& o) {
              return o.topic == topic && o.partition == p;
            }))
          start.push_back({topic, p, kafka_earliest});
  } else {
    for (const auto& [topic, n] : counts)
      for (std::int32_t p = 0; p < n; ++p)
        if (kafka_partition_owner(topic, p, parallelism_) == subtask_)
          start.push_back({topic, p, kafka_earliest});
    auto high = [&](const kafka_partition_offset& o) {
      std::int64_t lo = 0, hi = 0;
      auto err = rd_kafka_query_watermark_offsets(rk, o.topic.c_str(), o.partition, &lo, &hi,
                                                  static_cast<int>(request_timeout.count()));
      if (err)
        throw error(errc::io, who + ": cannot read the end offset of " + o.topic + "-" +
                                  std::to_string(o.partition) + ": " + kafka::message(err));
      return hi;
    };
    if (cfg_.startup == kafka_startup_mode::latest_offset) {
      for (auto& o : start)
        o.offset = high(o);
    } else if (cfg_.startup == kafka_startup_mode::from_timestamp ||
               cfg_.startup == kafka_startup_mode::group_offsets) {
      auto list = kafka::new_list(static_cast<int>(start.size()));
      for (auto& o : start)
        rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset =
            cfg_.startup_timestamp_ms;
      auto err =
          cfg_.startup == kafka_startup_mode::from_timestamp
              ? rd_kafka_offsets_for_times(rk, list.get(),
                                           static_cast<int>(request_timeout.count()))
              : rd_kafka_committed(rk, list.get(), static_cast<int>(request_timeout.count()));
      if (err)
        throw error(errc::io, who + ": cannot read the start offsets (" + to_string(cfg_.startup) +
                                  "): " + kafka::message(err));
      std::string reset = "earliest";
      if (auto r = cfg_.properties.find("auto.offset.reset"); r != cfg_.properties.end())
        reset = r->second;
      for (auto& o : start) {
        auto* e = rd_kafka_topic_partition_list_find(list.get(), o.topic.c_str(), o.partition);
        if (e && e->err == RD_KAFKA_RESP_ERR_NO_ERROR && e->offset >= 0)
          o.offset = e->offset;
        else if (cfg_.startup == kafka_startup_mode::from_timestamp)
          o.offset = high(o); // no record at or after the timestamp yet
        else if (reset == "latest" || reset == "largest" || reset == "end")
          o.offset = high(o);
        else if (reset == "error")
          throw error(errc::not_found, who + ": no committed offset for " + o.topic + "-" +
                                           std::to_string(o.partition) + " in group '" +
                                           cfg_.group_id + "' (auto.offset.reset=error)");
        else
          o.offset = kafka_earliest;
      }
    }
  }
  assign(start);
  if (cfg_.bounded_latest) {
    for (auto& p : parts_) {
      std::int64_t lo = 0, hi = 0;
      auto err = rd_kafka_query_watermark_offsets(rk, p->topic.c_str(), p->partition, &lo, &hi,
                                                  static_cast<int>(request_timeout.count()));
      if (err)
        throw error(errc::io, who + ": cannot read the end offset of " + p->topic + "-" +
                                  std::to_string(p->partition) + ": " + kafka::message(err));
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

kafka_source_function::partition_state* kafka_source_function::find(const char* topic,
                                                                    std::int32_t partition) {
  if (last_ && last_->partition == partition && last_->topic == topic)
    return last_;
  for (auto& p : parts_)
    if (p->partition == partition && p->topic == topic)
      return last_ = p.get();
  return nullptr;
}

bool kafka_source_function::all_done() const {
  return std::all_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->done; });
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
  std::int32_t run = -1;
  auto mark_done = [&](partition_state* p) {
    p->done = true;
    out.finish_split(p->split);
    run = -1;
  };
  rd_kafka_message_t* msgs[max_batch];
  auto n =
      rd_kafka_consume_batch_queue(consumer_->queue(), 0, msgs, std::min(max_records, max_batch));
  if (n < 0)
    throw error(errc::io, where(cfg_) + ": " + kafka::message(rd_kafka_last_error()));
  std::size_t emitted = 0;
  std::exception_ptr failure;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = msgs[i];
    if (failure) {
      rd_kafka_message_destroy(m);
      continue;
    }
    partition_state* p = m->rkt ? find(rd_kafka_topic_name(m->rkt), m->partition) : nullptr;
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && p) {
        if (p->next == kafka_earliest || m->offset > p->next)
          p->next = m->offset;
        if (p->stop >= 0 && p->next >= p->stop && !p->done)
          mark_done(p);
      } else if (transient(m->err)) {
        log().warn("{}: {} (librdkafka retries)", where(cfg_), rd_kafka_message_errstr(m));
      } else {
        std::string at = p ? " at " + p->topic + "-" + std::to_string(p->partition) : "";
        failure = std::make_exception_ptr(
            error(errc::io, where(cfg_) + at + ": " + rd_kafka_message_errstr(m)));
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if (!p || p->done) { // unassigned meanwhile, or past a bounded end
      rd_kafka_message_destroy(m);
      continue;
    }
    if (p->stop >= 0 && m->offset >= p->stop) {
      mark_done(p);
      rd_kafka_message_destroy(m);
      continue;
    }
    if (run != p->split) {
      out.begin_split(p->split);
      run = p->split;
    }
    if (!m->payload) {
      if (cfg_.malformed == kafka_malformed_policy::fail) {
        failure = std::make_exception_ptr(error(
            errc::codec, where(cfg_) + ": the record at " + p->topic + "-" +
                             std::to_string(p->partition) + " offset " + std::to_string(m->offset) +
                             " has no value (scan.malformed=skip would skip and count it)"));
        rd_kafka_message_destroy(m);
        continue;
      }
      ++malformed_;
      if (malformed_counter_)
        malformed_counter_->fetch_add(1, std::memory_order_relaxed);
    } else {
      rd_kafka_timestamp_type_t type;
      std::int64_t ts = rd_kafka_message_timestamp(m, &type);
      out.collect_with_timestamp(std::string(static_cast<const char*>(m->payload), m->len),
                                 type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? no_timestamp : ts);
      ++emitted;
    }
    p->next = m->offset + 1;
    if (p->stop >= 0 && p->next >= p->stop)
      mark_done(p);
    rd_kafka_message_destroy(m);
  }
  if (failure)
    std::rethrow_exception(failure);
  if (emitted > 0)
    return source_status::has_more();
  if (cfg_.bounded_latest && all_done())
    return source_status::end();
  return n > 0 ? source_status::has_more() : source_status::wait_for(fetch_wait);
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
