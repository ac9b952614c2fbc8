// Drives a source or sink directly, without the runtime: open, poll until
// finished (or a limit), close. Also temporary directories for tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "spate/api/functions.hpp"

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
