// Drives a source or sink directly, without the runtime: open, poll until
// finished (or a limit), close. Also temporary directories for tests.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "spate/actors/operator_state.hpp"
#include "spate/api/functions.hpp"
#include "spate/core/config.hpp"

namespace spate::test {

//! Statuses seen while draining a source.
struct drain_stats {
  std::size_t polls = 0;
  std::size_t idle_polls = 0;
  bool finished = false;
};

//! Opens the source as subtask `subtask` of `parallelism`, polls it until it
//! finishes or `limit` records arrived (after an idle answer it waits what the
//! source asked, as the runtime does), closes it, and returns the records.
//! `max_records` is passed to every poll; emitting more throws.
template <class T>
std::vector<T> drain(source_function<T>& source, int subtask, int parallelism,
                     std::size_t max_records = 7, std::size_t limit = SIZE_MAX,
                     drain_stats* stats = nullptr) {
  runtime_context ctx;
  ctx.task_name = "test-source";
  ctx.subtask = subtask;
  ctx.parallelism = parallelism;
  source.open(ctx);
  typed_batch<T> batch;
  collector<T> out(&batch);
  drain_stats local;
  while (batch.size() < limit) {
    std::size_t before = batch.size();
    source_status s = source.poll(out, max_records);
    ++local.polls;
    if (batch.size() - before > max_records)
      throw std::logic_error("source emitted more than max_records in one poll");
    if (s.kind == source_status::finished) {
      local.finished = true;
      break;
    }
    if (s.kind == source_status::idle) {
      ++local.idle_polls;
      std::this_thread::sleep_for(s.wait);
    }
  }
  source.close();
  if (stats)
    *stats = local;
  return std::move(batch.values);
}

//! Builds the source from its spec and drains it (see above).
template <class T>
std::vector<T> drain(const source_spec<T>& spec, int subtask, int parallelism,
                     std::size_t max_records = 7, std::size_t limit = SIZE_MAX) {
  auto source = spec.factory();
  return drain(*source, subtask, parallelism, max_records, limit);
}

//! A runtime_context for subtask `subtask` of `parallelism` whose job takes a
//! checkpoint every second (`execution.checkpointing.interval=1 s`).
class checkpointing_context {
public:
  checkpointing_context(int subtask, int parallelism, bool checkpointing = true) {
    if (checkpointing)
      config_.set("execution.checkpointing.interval", "1 s");
    ctx_.task_name = "test";
    ctx_.subtask = subtask;
    ctx_.parallelism = parallelism;
    ctx_.config = &config_;
  }
  checkpointing_context(const checkpointing_context&) = delete;
  checkpointing_context& operator=(const checkpointing_context&) = delete;
  runtime_context& get() { return ctx_; }
  operator runtime_context&() { return ctx_; }

private:
  configuration config_;
  runtime_context ctx_;
};

//! The end of a sink's input as the runtime ends it: finish(), then the
//! job's final checkpoint `id` stages what is left and its completion
//! commits it (finish() alone commits nothing).
template <class Sink>
void finish_and_commit(Sink& sink, std::int64_t id = INT64_MAX) {
  sink.finish();
  operator_state_writer final_state;
  sink.snapshot_state(id, final_state);
  sink.notify_checkpoint_complete(id);
}

//! What subtask `subtask` of `parallelism` receives when restored from the
//! snapshots `old` (one writer per old subtask, in subtask order).
inline operator_state_reader restore_reader(const std::vector<operator_state_writer>& old,
                                            int subtask, int parallelism) {
  std::vector<std::map<std::string, std::string>> entries;
  for (const auto& w : old)
    entries.push_back(w.entries());
  return operator_state_reader(subtask, parallelism, static_cast<int>(old.size()),
                               std::move(entries));
}

//! Polls `source` (opened) until `n` records arrived or it finished, passing
//! at most `max_records` per poll; appends them to `out`. True when finished.
template <class T>
bool poll_records(source_function<T>& source, std::size_t n, std::vector<T>& out,
                  std::size_t max_records = 7) {
  typed_batch<T> batch;
  collector<T> c(&batch);
  while (batch.size() < n) {
    source_status s = source.poll(c, std::min(max_records, n - batch.size()));
    if (s.kind == source_status::finished) {
      out.insert(out.end(), batch.values.begin(), batch.values.end());
      return true;
    }
    if (s.kind == source_status::idle)
      std::this_thread::sleep_for(s.wait);
  }
  out.insert(out.end(), batch.values.begin(), batch.values.end());
  return false;
}

//! A fresh directory under $TMPDIR, removed with everything in it on scope exit.
class temp_dir {
public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "spate-conn-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  //! The path of `name` inside the directory.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

//! Writes `content` to `path` byte for byte.
inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  if (!f)
    throw std::runtime_error("cannot write " + path);
}

//! The whole content of `path`.
inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw std::runtime_error("cannot read " + path);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

} // namespace spate::test
