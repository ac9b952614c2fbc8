// Configuration with Flink's key names (`parallelism.default`,
// `execution.buffer-timeout`, ...). Values are strings; typed getters parse
// them and throw spate::error(errc::invalid_argument) naming the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace spate {

using duration = std::chrono::milliseconds;

//! `s` without leading and trailing spaces, tabs and line ends.
std::string trim(const std::string& s);

//! The longest duration parse_duration accepts: 100 years. Timers convert a
//! duration to nanoseconds in 64 bits (at most 292 years) and add it to a
//! clock reading: below this bound neither the conversion nor the sum (with
//! the system clock, whose epoch is 1970) overflows.
inline constexpr duration max_duration = std::chrono::hours(24 * 36'500);

//! Parses Flink's duration forms: "300" (ms), "300 ms", "10 s", "1 min", "2 h",
//! "1 d". Throws errc::invalid_argument naming `what` and `text` for anything
//! else, a negative duration, or one longer than max_duration.
duration parse_duration(const std::string& text, const std::string& what = "duration");

//! Parses memory sizes: "64", "64 kb", "32 mb", "1 gb" (bytes when no unit).
//! Throws errc::invalid_argument naming `what` and `text` for anything else,
//! a negative size, or one beyond 2^63 - 1 bytes.
std::int64_t parse_memory_size(const std::string& text, const std::string& what = "size");

class configuration {
public:
  configuration() = default;

  //! Sets `key` to `value`, replacing any earlier value.
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  //! Parses "key=value" (the argument of -D); throws naming the argument.
  void set_from_assignment(const std::string& assignment);
  bool contains(const std::string& key) const { return values_.count(key) != 0; }
  std::optional<std::string> get(const std::string& key) const;

  std::string get_string(const std::string& key, const std::string& fallback) const;
  //! A decimal integer; one beyond int64 is refused (out of range), never
  //! wrapped or clamped.
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  //! get_int() within [minimum, maximum] (the fallback is not checked): read
  //! it so before narrowing, e.g. to int, or casting to an unsigned type.
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t minimum,
                       std::int64_t maximum) const;
  //! A finite number: infinity and NaN are refused.
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  duration get_duration(const std::string& key, duration fallback) const;
  std::int64_t get_memory_size(const std::string& key, std::int64_t fallback) const;

  //! Adds every entry of `other`, replacing existing keys.
  void merge(const configuration& other);
  const std::map<std::string, std::string>& entries() const { return values_; }

private:
  std::map<std::string, std::string> values_;
};

//! Well-known keys and their defaults.
namespace options {
inline constexpr const char* parallelism = "parallelism.default";
inline constexpr const char* max_parallelism = "pipeline.max-parallelism";
inline constexpr const char* buffer_timeout = "execution.buffer-timeout";
//! Records per batch between tasks (spate's own key).
inline constexpr const char* batch_size = "execution.batch-size";
//! The most records per batch to a task in another process (spate's own key;
//! default four times execution.batch-size). Each such batch is a frame
//! through both processes' I/O threads, so fewer, larger ones cost less per
//! record: a channel's batches grow until their frames reach segment_size.
inline constexpr const char* remote_batch_size = "execution.remote-batch-size";
//! The bytes a frame of records to another process aims at (Flink's key for
//! the size of its network buffers; default 32 kb).
inline constexpr const char* segment_size = "taskmanager.memory.segment-size";
//! Batches in flight per channel: the credit (Flink's key; spate default 4).
inline constexpr const char* buffers_per_channel = "taskmanager.network.memory.buffers-per-channel";
inline constexpr const char* state_dir = "state.backend.rocksdb.localdir";
//! Entries per state kept in the write-back cache in front of RocksDB.
inline constexpr const char* state_cache_entries = "state.backend.cache.max-entries";
//! Writes of one state per checkpoint from which they go to RocksDB as an
//! ingested SST file instead of through the memtable.
inline constexpr const char* state_ingest_min_entries = "state.backend.rocksdb.ingest.min-entries";
inline constexpr const char* scheduler_threads = "spate.scheduler.threads";
//! Messages an actor handles before its scheduler thread serves others
//! (CAF's scheduler.max-throughput). Bounded, so busy source tasks, which
//! send themselves the next poll, cannot keep the checkpoint coordinator
//! from running.
inline constexpr const char* scheduler_max_throughput = "spate.scheduler.max-throughput";
inline constexpr std::int64_t default_scheduler_max_throughput = 100;
//! Tasks track where their time goes (busy, idle, back-pressured), as
//! Flink's setEnableBusyTime; off, those metrics are NaN. Default true.
inline constexpr const char* task_time_enabled = "spate.metrics.task-time.enabled";
} // namespace options

//! options::scheduler_max_throughput of `config` (default 100); throws
//! spate::error(errc::invalid_argument) naming the key when it is below 1.
std::size_t scheduler_max_throughput(const configuration& config);

} // namespace spate
