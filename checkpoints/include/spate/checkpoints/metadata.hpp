// The `_metadata` of a checkpoint or savepoint: what was snapshotted, where
// its files are, and the source positions. Versioned and checksummed: a
// truncated, corrupt or future-format file is refused with a clear error,
// never read as an empty state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/core/crc32c.hpp"

namespace spate::checkpoints {

//! The format this build writes, and the newest it reads.
constexpr std::uint32_t metadata_format_version = 1;

//! A file of a snapshot, relative to the job's checkpoint directory.
struct file_handle {
  std::string path;
  std::uint64_t size = 0;
  SPATE_FIELDS(path, size);
  friend bool operator==(const file_handle& a, const file_handle& b) {
    return a.path == b.path && a.size == b.size;
  }
};

//! The keyed state of one subtask: its key groups and the files of its
//! RocksDB snapshot (SST files shared between checkpoints, the rest private).
struct keyed_state_handle {
  int subtask = 0;
  int key_group_start = 0;
  int key_group_end = -1;
  //! "rocksdb": the files of a RocksDB checkpoint (native, incremental);
  //! "canonical": one file of (state, key group, key, value) entries (savepoints).
  std::string format = "rocksdb";
  std::vector<file_handle> shared_files;
  std::vector<file_handle> private_files;
  SPATE_FIELDS(subtask, key_group_start, key_group_end, format, shared_files, private_files);
};

//! Operator state of one subtask under a name (a source position, the
//! pending files of a sink, ...), as opaque bytes.
struct operator_state_entry {
  int subtask = 0;
  std::string name;
  std::string bytes;
  SPATE_FIELDS(subtask, name, bytes);
};

struct operator_snapshot {
  std::string uid;
  std::string name;
  int parallelism = 1;
  int max_parallelism = 128;
  std::vector<keyed_state_handle> keyed;
  std::vector<operator_state_entry> operator_state;
  //! Every subtask of the operator had finished when the checkpoint was
  //! taken: a job restored from it does not run the operator again (Flink's
  //! fully finished operators). Read as false from files without it.
  bool finished = false;
  SPATE_FIELDS(uid, name, parallelism, max_parallelism, keyed, operator_state, finished);
};

struct checkpoint_metadata {
  std::string job_id;
  std::int64_t checkpoint_id = 0;
  //! Milliseconds since the epoch when the checkpoint was triggered.
  std::int64_t trigger_time = 0;
  //! A savepoint (self-contained, relocatable) rather than a checkpoint.
  bool savepoint = false;
  std::vector<operator_snapshot> operators;
  SPATE_FIELDS(job_id, checkpoint_id, trigger_time, savepoint, operators);
};

//! The bytes of a `_metadata` file: magic "SPATEMD\0", format version (u32),
//! payload length (u64), CRC-32C of the payload (u32), msgpack payload.
std::string encode_metadata(const checkpoint_metadata& m);

//! Decodes a `_metadata` file read from `where` (named in errors). Throws
//! spate::error(errc::corrupt) for a foreign file, a truncated or corrupt one,
//! or an unknown format version.
checkpoint_metadata decode_metadata(std::string_view bytes, const std::string& where);

//! Why `path`, a file name recorded in a `_metadata` and relative to the
//! snapshot's base directory, could name a file outside that directory or no
//! file at all: it is empty, absolute, has a ".." component or a NUL byte, or
//! ends in "/" or "/.". Empty when none of these holds. Lexical: a symbolic
//! link inside the snapshot is followed like any file.
std::string unsafe_snapshot_path(std::string_view path);

//! `base_dir`/`path` once unsafe_snapshot_path(path) found nothing; otherwise
//! throws spate::error(errc::corrupt) naming `where` (the `_metadata`),
//! operator `uid` and `path`. Every path read from a `_metadata` is joined
//! here, before a file is opened, copied or deleted.
std::string snapshot_file_path(const std::string& base_dir, const std::string& path,
                               const std::string& where, const std::string& uid);

//! Checks what a restore relies on, before any file of the snapshot is opened:
//! - every file path stays inside its base directory (unsafe_snapshot_path);
//! - each operator uid appears once, with 1 <= parallelism <= max parallelism
//!   <= upper_max_parallelism;
//! - each keyed operator's handles are of a known format ("rocksdb",
//!   "canonical") and their key-group ranges cover 0..max_parallelism-1
//!   exactly once (a checkpoint has one handle per subtask, over the subtask's
//!   own range: gaps and overlaps mean a damaged or forged file);
//! - the checkpoint id is not negative and leaves room for the next one.
//! Throws spate::error(errc::corrupt) naming `where`, the operator and what is
//! wrong (the missing key-group ranges, the offending path, ...).
void validate_metadata(const checkpoint_metadata& m, const std::string& where);

using spate::crc32c;

} // namespace spate::checkpoints
