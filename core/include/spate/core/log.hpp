// Logging through spdlog. One logger, "spate", writing to stderr, as text
// lines (the default) or as JSON lines (`log.format: json`, or the
// environment variable SPATE_LOG_FORMAT=json) for log collectors.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "spate/core/types.hpp"

namespace spate {

class configuration;

//! The process-wide logger (created on first use, thread-safe).
spdlog::logger& log();

namespace options {
//! `text` or `json` (spate's key; Flink configures its format in log4j files).
inline constexpr const char* log_format = "log.format";
//! trace, debug, info, warn, error, critical or off (default info; the
//! environment variable SPATE_LOG_LEVEL sets it too).
inline constexpr const char* log_level = "log.level";
} // namespace options

enum class log_format { text, json };

//! Switches the logger's line format.
void set_log_format(log_format format);
//! Applies options::log_format and options::log_level when `config` has them;
//! throws errc::invalid_argument naming the key for an unknown value.
void configure_log(const configuration& config);

//! What a JSON log line says about the work the logging thread is doing.
//! The owner (a task actor) keeps it alive while a log_scope points at it.
struct log_context {
  std::string job_id;
  std::string job_name;
  std::string task;
  int subtask = -1;
};

//! Makes `context` the calling thread's for its lifetime (nestable; null
//! clears it). Two thread-local stores: cheap enough to wrap every message a
//! task handles.
class log_scope {
public:
  explicit log_scope(const log_context* context) noexcept;
  ~log_scope();
  log_scope(const log_scope&) = delete;
  log_scope& operator=(const log_scope&) = delete;

private:
  const log_context* previous_;
};

//! The calling thread's context (null outside a log_scope).
const log_context* current_log_context() noexcept;

//! One JSON log line (without the line end) as the json format writes it:
//! exposed for tests.
std::string json_log_line(const spdlog::details::log_msg& msg, const log_context* context);

} // namespace spate

//! IDs (checkpoint_id, subtask_index, ...) log as their numbers.
template <class Tag, class Rep>
struct fmt::formatter<spate::strong_id<Tag, Rep>> : fmt::formatter<Rep> {
  template <class Context>
  auto format(spate::strong_id<Tag, Rep> id, Context& ctx) const {
    return fmt::formatter<Rep>::format(id.value(), ctx);
  }
};
