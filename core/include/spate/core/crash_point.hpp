// Named crash points, as RocksDB's kill points: a process run with
// SPATE_CRASH_POINT=<name>[:<n>] kills itself with SIGKILL the n-th time (1st
// by default) it passes crash_point("<name>"), as a power cut or a kill -9
// would stop it there. Tests use them to prove that a crash at each step of
// a checkpoint and of a commit loses and repeats nothing. Without the
// variable a crash point costs one relaxed load.
//
// The points (grep crash_point for where they are):
//   before-metadata   every subtask acknowledged; _metadata not written yet
//   after-metadata    _metadata written; the tasks not told yet (no commit)
//   during-commit     a sink committed part of what a checkpoint covers
#pragma once

namespace spate {

//! Kills the process with SIGKILL if SPATE_CRASH_POINT names `name` and this
//! is the hit it asks for; otherwise returns at once.
void crash_point(const char* name) noexcept;

} // namespace spate
