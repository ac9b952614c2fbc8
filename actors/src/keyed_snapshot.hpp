// Keyed state in and out of snapshots: RocksDB checkpoints (hard links) for
// checkpoints, a canonical entry file for savepoints, and restore into a new
// backend with any key-group range (rescaling moves whole key groups).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "spate/checkpoints/metadata.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::detail {

//! Flushes the cache and hard-links a RocksDB checkpoint of `b` into `dir`
//! (which must not exist). The synchronous part of a checkpoint.
void create_local_checkpoint(rocksdb::DB* db, const std::string& backend_dir,
                             const std::string& dir);

//! Writes every entry of every state of `b` to `file` in the canonical,
//! relocatable format (savepoints). Returns the file size.
std::uint64_t export_canonical(keyed_state_backend& b, const std::string& file);

//! A backend with options `so`, holding the entries of `snap` whose key
//! groups `so` owns. Handle paths are relative to `base_dir`; `scratch` is a
//! directory for temporary copies. Throws errc::corrupt / errc::not_found
//! naming a missing or damaged file.
//! `known` receives, for a restore that reused the snapshot's files, each SST
//! name mapped to its stored path (the next checkpoint references them).
std::unique_ptr<keyed_state_backend> restore_keyed_backend(
    const state_backend_options& so, const checkpoints::operator_snapshot& snap,
    const std::string& base_dir, const std::string& scratch,
    std::map<std::string, std::string>& known);

} // namespace spate::detail
