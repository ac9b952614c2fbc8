#include "spate/core/log.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "spate/core/config.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

constexpr const char* text_pattern = "%Y-%m-%d %H:%M:%S.%e %^%l%$ %v";

thread_local const log_context* current_context = nullptr;

//! "2026-12-07T07:41:45.123Z": UTC, milliseconds, as log collectors parse.
std::string utc_timestamp(spdlog::log_clock::time_point tp) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

//! JSON lines: one object per record, the thread's log_context as fields.
class json_formatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto line = json_log_line(msg, current_context);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

spdlog::level::level_enum parse_level(const std::string& text, const char* what) {
  static const char* const names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  for (int i = 0; i < 7; ++i)
    if (text == names[i])
      return static_cast<spdlog::level::level_enum>(i);
  if (text == "warning")
    return spdlog::level::warn;
  throw error(errc::invalid_argument,
              std::string("'") + what + "' is '" + text +
                  "': expected trace, debug, info, warn, error, critical or off");
}

log_format parse_format(const std::string& text, const char* what) {
  if (text == "text")
    return log_format::text;
  if (text == "json")
    return log_format::json;
  throw error(errc::invalid_argument,
              std::string("'") + what + "' is '" + text + "': expected text or json");
}

} // namespace

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("spate");
    l->set_pattern(text_pattern);
    l->set_level(spdlog::level::info);
    // An environment variable with a bad value must not stop a process
    // before it can say so: it is ignored, with a line naming it.
    if (const char* lvl = std::getenv("SPATE_LOG_LEVEL")) {
      try {
        l->set_level(parse_level(lvl, "SPATE_LOG_LEVEL"));
      } catch (const error& e) {
        l->warn("{} (ignored)", e.what());
      }
    }
    if (const char* fmt = std::getenv("SPATE_LOG_FORMAT")) {
      try {
        if (parse_format(fmt, "SPATE_LOG_FORMAT") == log_format::json)
          l->set_formatter(std::make_unique<json_formatter>());
      } catch (const error& e) {
        l->warn("{} (ignored)", e.what());
      }
    }
    return l;
  }();
  return *logger;
}

void set_log_format(log_format format) {
  if (format == log_format::json)
    log().set_formatter(std::make_unique<json_formatter>());
  else
    log().set_formatter(std::make_unique<spdlog::pattern_formatter>(text_pattern));
}

void configure_log(const configuration& config) {
  if (auto f = config.get(options::log_format))
    set_log_format(parse_format(trim(*f), options::log_format));
  if (auto l = config.get(options::log_level))
    log().set_level(parse_level(trim(*l), options::log_level));
}

log_scope::log_scope(const log_context* context) noexcept : previous_(current_context) {
  current_context = context;
}

log_scope::~log_scope() { current_context = previous_; }

const log_context* current_log_context() noexcept { return current_context; }

std::string json_log_line(const spdlog::details::log_msg& msg, const log_context* context) {
  nlohmann::ordered_json j;
  j["time"] = utc_timestamp(msg.time);
  auto level = spdlog::level::to_string_view(msg.level);
  j["level"] = std::string(level.data(), level.size());
  j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
  j["thread"] = msg.thread_id;
  if (context) {
    if (!context->job_id.empty())
      j["job"] = context->job_id;
    if (!context->job_name.empty())
      j["job_name"] = context->job_name;
    if (!context->task.empty())
      j["task"] = context->task;
    if (context->subtask >= 0)
      j["subtask"] = context->subtask;
  }
  j["message"] = std::string(msg.payload.data(), msg.payload.size());
  // Invalid UTF-8 in a message (a record's bytes, a path) becomes U+FFFD
  // instead of an exception in the logging thread.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace spate
