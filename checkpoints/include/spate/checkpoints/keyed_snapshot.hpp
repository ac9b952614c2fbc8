// Keyed state in and out of snapshots: a canonical entry file for savepoints,
// and restore into a new backend with any key-group range (rescaling moves
// whole key groups). A checkpoint's native part, the RocksDB checkpoint, is
// taken by state/ (keyed_state_backend::prepared_flush::apply_and_checkpoint)
// and stored by checkpoint_storage; nothing here calls RocksDB.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "spate/checkpoints/durability.hpp"
#include "spate/checkpoints/metadata.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate::checkpoints {

//! Writes every entry of every state of `b` to `file` in the canonical,
//! relocatable format (savepoints), then syncs it and its directory (before
//! the savepoint's _metadata names it). Returns the file size.
std::uint64_t export_canonical(keyed_state_backend& b, const std::string& file,
                               const file_syncer& syncer = file_syncer::system());

//! A backend with options `so`, holding the entries of `snap` whose key
//! groups `so` owns. Handle paths are relative to `base_dir` and must stay
//! inside it (snapshot_file_path, checked before any file is copied); an empty
//! `base_dir` takes them as they are (a snapshot made in memory, never one
//! read from a _metadata). `scratch` is a directory for temporary copies.
//! Throws errc::corrupt / errc::not_found naming a missing or damaged file or
//! a path that leaves the snapshot.
//! `known` receives, for a restore that reused the snapshot's files, each SST
//! name mapped to its stored path (the next checkpoint references them).
std::unique_ptr<keyed_state_backend>
restore_keyed_backend(const state_backend_options& so, const operator_snapshot& snap,
                      const std::string& base_dir, const std::string& scratch,
                      std::map<std::string, std::string>& known);

} // namespace spate::checkpoints
