#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <spdlog/sinks/sink.h>

#include "spate/core/log.hpp"

namespace spate::cluster_detail {

namespace {

//! `v` (>= 0) with three significant digits and a unit: "999", "1.00 k".
std::string three_digits(double v) {
  static const char* const units[] = {"", " k", " M", " G", " T", " P", " E"};
  std::size_t unit = 0;
  char buf[32];
  // Below 1000: a whole number, as counts are.
  if (std::llround(v) < 1000) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(v)));
    return buf;
  }
  for (;;) {
    v /= 1000;
    ++unit;
    // Rounded to its decimals, a value must stay below 1000 (999.7 k is 1.00 M).
    if (v < 999.5 || unit + 1 == std::size(units))
      break;
  }
  int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, v, units[unit]);
  return buf;
}

} // namespace

std::string format_count(std::int64_t n) {
  if (n < 0)
    return "-" + three_digits(-static_cast<double>(n));
  return three_digits(static_cast<double>(n));
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second < 0)
    per_second = 0;
  return three_digits(per_second) + "/s";
}

std::string format_elapsed(std::chrono::milliseconds elapsed) {
  long long s = std::max<long long>(0, elapsed.count() / 1000);
  char buf[32];
  if (s < 3600)
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

std::string format_progress(const progress_snapshot& s) {
  std::string line = format_elapsed(s.elapsed);
  auto counted = [&](const char* what, const std::optional<std::int64_t>& n,
                     const std::optional<double>& rate) {
    if (!n)
      return;
    line += std::string("  ") + what + " " + format_count(*n);
    if (what == std::string("in") && s.records_total)
      line += " of " + format_count(*s.records_total);
    if (rate)
      line += " (" + format_rate(*rate) + ")";
  };
  counted("in", s.records_in, s.in_rate);
  counted("out", s.records_out, s.out_rate);
  if (!s.backpressure.empty())
    line += "  backpressure " + s.backpressure;
  if (s.checkpoints)
    line += "  checkpoints " + std::to_string(*s.checkpoints);
  return line;
}

void sum_sources_and_sinks(const std::vector<subtask_io_metrics>& tasks, progress_snapshot& s) {
  double max_ratio = -1;
  bool measured = false;
  // What the source operators read (their own numRecordsOut), when they
  // report it, so a source chained with its sink counts too. A source chain
  // is named "Source: <source> -> ...", its source operator "<source>".
  std::optional<std::int64_t> read;
  for (auto& t : tasks) {
    if (t.task_name.rfind("Source: ", 0) != 0)
      continue;
    auto end = t.task_name.find(" -> ");
    auto head = t.task_name.substr(8, end == std::string::npos ? end : end - 8);
    auto it = t.operator_metrics.find(head + ".numRecordsOut");
    if (it != t.operator_metrics.end())
      read = read.value_or(0) + it->second;
  }
  for (auto& t : tasks) {
    bool source = t.task_name.rfind("Source: ", 0) == 0;
    bool sink = t.task_name.find("Sink: ") != std::string::npos;
    // A source chained with its sink sends nothing over a channel: its
    // counters stay 0, so it counts for neither.
    if (source && !sink)
      s.records_in = s.records_in.value_or(0) + t.records_out;
    if (sink && !source)
      s.records_out = s.records_out.value_or(0) + t.records_in;
    if (!std::isnan(t.back_pressured_ms)) {
      measured = true;
      max_ratio = std::max(max_ratio, t.back_pressured_ms / 1000.0);
    }
  }
  if (measured)
    s.backpressure = backpressure_level(std::max(0.0, max_ratio));
  if (read)
    s.records_in = read;
}

progress_snapshot progress_meter::read(const job_client& job, std::chrono::milliseconds elapsed) {
  progress_snapshot s;
  s.elapsed = elapsed;
  sum_sources_and_sinks(job.task_metrics(), s);
  s.records_total = total_;
  if (job.checkpointing().enabled) {
    auto m = job.job_metrics();
    auto it = m.find("numberOfCompletedCheckpoints");
    s.checkpoints = it == m.end() ? 0 : it->second;
  }
  reading now{elapsed, s.records_in.value_or(0), s.records_out.value_or(0)};
  // The oldest reading at most 3 s back (but not this one) gives the rate.
  while (history_.size() > 1 && elapsed - history_[1].at >= std::chrono::seconds(3))
    history_.erase(history_.begin());
  if (!history_.empty() && elapsed > history_.front().at) {
    const auto& then = history_.front();
    double seconds = std::chrono::duration<double>(elapsed - then.at).count();
    // A restart starts the counters again: no negative rates.
    if (s.records_in)
      s.in_rate = std::max<double>(0, static_cast<double>(now.in - then.in) / seconds);
    if (s.records_out)
      s.out_rate = std::max<double>(0, static_cast<double>(now.out - then.out) / seconds);
  }
  history_.push_back(now);
  return s;
}

progress_line::progress_line(std::FILE* out) : out_(out) {}

void progress_line::show(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_)
    return;
  std::string line = text;
  // A line longer than the terminal would wrap, and '\r' would return to
  // its last row only.
  winsize ws{};
  if (ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && line.size() >= ws.ws_col)
    line.resize(ws.ws_col - 1u);
  line = "\r" + line + "\033[K";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  shown_ = true;
}

void progress_line::erase() {
  std::lock_guard<std::mutex> lock(mutex_);
  erase_locked();
}

void progress_line::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  erase_locked();
  stopped_ = true;
}

void progress_line::erase_locked() {
  if (!shown_)
    return;
  static const char clear[] = "\r\033[K";
  std::fwrite(clear, 1, sizeof clear - 1, out_);
  std::fflush(out_);
  shown_ = false;
}

namespace {

//! Spate's logger's sinks, behind one that erases the progress line first.
class erasing_sink final : public spdlog::sinks::sink {
public:
  erasing_sink(std::shared_ptr<progress_line> line, std::vector<spdlog::sink_ptr> inner)
      : line_(std::move(line)), inner_(std::move(inner)) {}
  void log(const spdlog::details::log_msg& msg) override {
    line_->around([&] {
      for (auto& s : inner_)
        if (s->should_log(msg.level))
          s->log(msg);
    });
  }
  void flush() override {
    for (auto& s : inner_)
      s->flush();
  }
  void set_pattern(const std::string& pattern) override {
    for (auto& s : inner_)
      s->set_pattern(pattern);
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    for (auto& s : inner_)
      s->set_formatter(f->clone());
  }

private:
  std::shared_ptr<progress_line> line_;
  std::vector<spdlog::sink_ptr> inner_;
};

} // namespace

void erase_before_log_lines(const std::shared_ptr<progress_line>& line) {
  auto& sinks = spate::log().sinks();
  auto wrapped = std::make_shared<erasing_sink>(line, sinks);
  sinks.assign(1, wrapped);
}

} // namespace spate::cluster_detail
