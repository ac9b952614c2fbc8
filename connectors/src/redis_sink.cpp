// redis_sink(): records into Redis commands, sent pipelined per batch.
#include "spate/connectors/redis_sink.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <memory>

#include "redis_connection.hpp"
#include "json_template.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

// Redis takes a score as strtod does, plus "inf" with a sign; not NaN.
bool is_score(std::string_view s) {
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() && !std::isnan(d);
}

// One subtask of redis_sink(). Not thread-safe (the runtime calls it from the
// subtask's actor only).
class redis_sink_function final : public sink_function<std::string> {
public:
  explicit redis_sink_function(redis_sink_config cfg) : cfg_(std::move(cfg)) {}
  ~redis_sink_function() override { close(); }

  void open(runtime_context& ctx) override;
  void write(const typed_batch<std::string>& batch) override;
  //! A checkpoint covers only what Redis has acknowledged: everything in
  //! flight is awaited first.
  void snapshot_state(std::int64_t, operator_state_writer&) override { flush(); }
  void finish() override { flush(); }
  void close() override;

private:
  void compile();
  //! Adds the commands of `record` to the buffer; false when it is malformed.
  bool append(const std::string& record);
  void render(const detail::record_template& t, const std::string& record);
  void on_malformed(const std::string& record);
  void report_skipped();
  //! Sends the batch being filled; Redis works on it while the next one is
  //! built. The oldest batches are awaited here while more than
  //! 2 x max_rows commands are unacknowledged.
  void submit();
  void await_oldest();
  //! submit(), then await everything in flight.
  void flush();

  redis_sink_config cfg_;
  detail::record_fields fields_;
  detail::record_template key_, value_, field_, member_, score_;
  std::vector<std::size_t> stream_slots_;
  bool parse_ = false;
  std::string ttl_text_;
  std::string body_; // a delete's record without its prefix (reused)
  std::size_t commands_per_record_ = 1;
  // Buffers are reused: after warm-up a batch allocates nothing.
  std::vector<std::unique_ptr<detail::command_buffer>> pool_;
  std::vector<detail::command_buffer*> free_;
  detail::command_buffer* filling_ = nullptr;
  std::vector<detail::command_buffer*> sent_; // in flight, oldest first
  std::size_t unacked_ = 0;                   // commands in sent_
  std::unique_ptr<detail::redis_connection> conn_;
  std::string why_;

  std::atomic<std::int64_t> own_errors_{0}, own_reconnects_{0};
  std::atomic<std::int64_t>* errors_ = &own_errors_;
  std::atomic<std::int64_t>* reconnects_ = &own_reconnects_;
  std::int64_t unreported_ = 0;
  std::string last_malformed_;
  bool reported_once_ = false;
  std::chrono::steady_clock::time_point last_report_;
};

void redis_sink_function::compile() {
  auto bind = [&](detail::record_template& t, const std::string& text, const char* option) {
    t = detail::compile_template(text);
    fields_.bind(t, option);
  };
  bind(key_, cfg_.key, "key");
  switch (cfg_.command) {
    case redis_command::hset:
      bind(field_, cfg_.field, "field");
      bind(value_, cfg_.value, "value");
      break;
    case redis_command::zadd:
      bind(score_, cfg_.score, "score");
      bind(member_, cfg_.member, "member");
      break;
    case redis_command::xadd:
      for (const auto& name : cfg_.stream_fields)
        stream_slots_.push_back(fields_.add(name, "fields"));
      if (cfg_.stream_fields.empty())
        bind(value_, cfg_.value, "value");
      break;
    default:
      bind(value_, cfg_.value, "value");
  }
  parse_ = !fields_.empty();
  if (cfg_.ttl_ms > 0) {
    ttl_text_ = std::to_string(cfg_.ttl_ms);
    if (cfg_.command != redis_command::set)
      commands_per_record_ = 2; // the command, then PEXPIRE
  }
}

void redis_sink_function::open(runtime_context& ctx) {
  compile();
  if (ctx.counters) {
    errors_ = &ctx.counter("numRecordsOutErrors");
    reconnects_ = &ctx.counter("numReconnectAttempts");
  }
  pool_.push_back(std::make_unique<detail::command_buffer>());
  filling_ = pool_.back().get();
  conn_ = std::make_unique<detail::redis_connection>(cfg_, reconnects_);
  conn_->open();
}

void redis_sink_function::render(const detail::record_template& t, const std::string& record) {
  filling_->arg();
  detail::render_template(t, record, fields_, filling_->arena());
}

bool redis_sink_function::append(const std::string& input) {
  const bool del = !cfg_.delete_prefix.empty() &&
                   input.compare(0, cfg_.delete_prefix.size(), cfg_.delete_prefix) == 0;
  if (del) {
    if (cfg_.command != redis_command::set && cfg_.command != redis_command::hset) {
      why_ = std::string("a delete for ") + to_string(cfg_.command) +
             " (deletes are DEL for SET and HDEL for HSET)";
      return false;
    }
    body_.assign(input, cfg_.delete_prefix.size(), std::string::npos);
  }
  const std::string& record = del ? body_ : input;
  if (parse_ && !fields_.extract(record)) {
    why_ = fields_.why();
    return false;
  }
  auto mark = filling_->position();
  if (del) {
    filling_->arg(cfg_.command == redis_command::hset ? "HDEL" : "DEL");
    render(key_, record);
    if (cfg_.command == redis_command::hset)
      render(field_, record);
    filling_->end_command();
    return true;
  }
  filling_->arg(to_string(cfg_.command));
  render(key_, record);
  switch (cfg_.command) {
    case redis_command::set:
      render(value_, record);
      if (!ttl_text_.empty()) {
        filling_->arg("PX");
        filling_->arg(ttl_text_);
      }
      break;
    case redis_command::hset:
      render(field_, record);
      render(value_, record);
      break;
    case redis_command::zadd: {
      std::size_t start = filling_->arena().size();
      render(score_, record);
      std::string_view score(filling_->arena().data() + start, filling_->arena().size() - start);
      if (!is_score(score)) {
        why_ = "score '" + detail::excerpt(score, 40) + "' is not a number";
        filling_->rollback(mark);
        return false;
      }
      render(member_, record);
      break;
    }
    case redis_command::xadd:
      filling_->arg("*");
      if (stream_slots_.empty()) {
        filling_->arg("value");
        render(value_, record);
      }
      for (std::size_t i = 0; i < stream_slots_.size(); ++i) {
        filling_->arg(cfg_.stream_fields[i]);
        filling_->arg(fields_.value(stream_slots_[i]));
      }
      break;
    default: // SADD, LPUSH, RPUSH, PUBLISH: key (or channel) and value
      render(value_, record);
  }
  filling_->end_command();
  if (!ttl_text_.empty() && cfg_.command != redis_command::set) {
    filling_->arg("PEXPIRE");
    render(key_, record);
    filling_->arg(ttl_text_);
    filling_->end_command();
  }
  return true;
}

void redis_sink_function::write(const typed_batch<std::string>& batch) {
  for (const std::string& record : batch.values) {
    if (!filling_->empty() && filling_->size() + commands_per_record_ > cfg_.max_rows)
      submit();
    if (!append(record))
      on_malformed(record);
  }
  submit();
}

void redis_sink_function::submit() {
  if (!conn_ || filling_->empty())
    return;
  conn_->send(*filling_);
  sent_.push_back(filling_);
  unacked_ += filling_->size();
  // A batch cut short (the end of write()'s input, or a malformed record's
  // rollback) must not make the full batch before it wait: the bound is on
  // commands, so Redis always has up to 2 x max_rows queued.
  while (unacked_ > 2 * cfg_.max_rows)
    await_oldest();
  if (free_.empty()) {
    pool_.push_back(std::make_unique<detail::command_buffer>());
    free_.push_back(pool_.back().get());
  }
  filling_ = free_.back();
  free_.pop_back();
}

void redis_sink_function::await_oldest() {
  conn_->await_oldest();
  detail::command_buffer* done = sent_.front();
  sent_.erase(sent_.begin());
  unacked_ -= done->size();
  done->clear();
  free_.push_back(done);
}

void redis_sink_function::flush() {
  submit();
  while (!sent_.empty())
    await_oldest();
}

void redis_sink_function::on_malformed(const std::string& record) {
  if (cfg_.malformed == redis_malformed_policy::fail)
    throw error(errc::invalid_argument, "redis sink " + conn_->endpoint() + ": malformed record (" +
                                            why_ +
                                            "; sink.malformed=fail): " + detail::excerpt(record));
  errors_->fetch_add(1, std::memory_order_relaxed);
  ++unreported_;
  last_malformed_ = why_ + ": " + detail::excerpt(record);
  // At most one log line per second: a stream of garbage must not flood it.
  auto now = std::chrono::steady_clock::now();
  if (!reported_once_ || now - last_report_ >= std::chrono::seconds(1))
    report_skipped();
}

void redis_sink_function::report_skipped() {
  if (unreported_ == 0)
    return;
  log().warn("redis sink {}: skipped {} malformed record(s) since the last report ({} in total); "
             "latest: {}",
             conn_ ? conn_->endpoint() : cfg_.host, unreported_, errors_->load(), last_malformed_);
  unreported_ = 0;
  reported_once_ = true;
  last_report_ = std::chrono::steady_clock::now();
}

void redis_sink_function::close() {
  try {
    report_skipped();
  } catch (...) {
    // close() must not throw; losing a log line is acceptable.
  }
  if (conn_)
    conn_->close();
}

} // namespace

sink_spec<std::string> redis_sink(redis_sink_config cfg) {
  sink_spec<std::string> spec;
  spec.name = "redis";
  spec.factory = [cfg = std::move(cfg)]() -> std::unique_ptr<sink_function<std::string>> {
    return std::make_unique<redis_sink_function>(cfg);
  };
  return spec;
}

} // namespace spate
