#include "spate/connectors/json_lines_source.hpp"

#include <atomic>
#include <memory>

#include "spate/core/log.hpp"

namespace spate {

namespace {

std::atomic<std::int64_t> malformed_total{0};

} // namespace

std::int64_t json_malformed_records() { return malformed_total.load(std::memory_order_relaxed); }

namespace detail {

void json_lines_input::open(runtime_context& ctx) { reader_.open(ctx.subtask, ctx.parallelism); }

void json_lines_input::close() {
  try {
    report_skipped();
  } catch (...) {
    // close() must not throw; losing a log line is acceptable.
  }
  reader_.close();
}

void json_lines_input::malformed(const std::string& reason) {
  ++malformed_;
  ++unreported_;
  malformed_total.fetch_add(1, std::memory_order_relaxed);
  last_malformed_ =
      reader_.current_file() + ":" + std::to_string(reader_.position().line) + ": " + reason;
  // At most one log line per second: a file of garbage must not flood the log.
  auto now = std::chrono::steady_clock::now();
  if (!reported_once_ || now - last_report_ >= std::chrono::seconds(1))
    report_skipped();
}

void json_lines_input::report_skipped() {
  if (unreported_ == 0)
    return;
  log().warn("json lines source: skipped {} malformed line(s) since the last report ({} in "
             "total); latest at {}",
             unreported_, malformed_, last_malformed_);
  unreported_ = 0;
  reported_once_ = true;
  last_report_ = std::chrono::steady_clock::now();
}

} // namespace detail

source_status json_lines_source_function::poll(collector<nlohmann::json>& out,
                                               std::size_t max_records) {
  return in_.poll(max_records, [&](const std::string& line) {
    try {
      out.collect(nlohmann::json::parse(line));
      return true;
    } catch (const nlohmann::json::exception& e) {
      in_.malformed(e.what());
      return false;
    }
  });
}

source_spec<nlohmann::json> json_lines_file_source(std::string path) {
  source_spec<nlohmann::json> spec;
  spec.name = "json-lines-file";
  spec.factory = [path]() -> std::unique_ptr<source_function<nlohmann::json>> {
    return std::make_unique<json_lines_source_function>(path);
  };
  return spec;
}

} // namespace spate
