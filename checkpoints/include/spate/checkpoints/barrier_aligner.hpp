// Barrier alignment of one task (Flink's CheckpointBarrierHandler): which
// input channels are blocked while a checkpoint's barriers arrive, and when
// the task snapshots. A plain class the task drives; it holds no records (the
// task keeps what a blocked channel delivers) and knows nothing of actors.
#pragma once

#include <cstdint>
#include <vector>

#include "spate/core/types.hpp"

namespace spate::checkpoints {

//! What one event did to the alignment. Several flags can be set at once;
//! the task acts on them in the order they are declared.
struct alignment_step {
  //! Every channel blocked for an older checkpoint is open again (a newer
  //! barrier superseded it, or it was aborted): what those channels held
  //! goes on first, each channel in its order. Set with `complete` too,
  //! after the snapshot.
  bool released = false;
  //! A new alignment began with this barrier: keep the checkpoint's details.
  bool started = false;
  //! Every open channel delivered the barrier of `id` (ended channels have
  //! none to deliver): snapshot now and forward the barrier, then release.
  bool complete = false;
  //! The checkpoint the step is about (0 when the event was ignored).
  checkpoint_id id{0};
};

//! Alignment over a task's input channels, numbered 0..channels-1.
//!
//! Exactly once: a channel that delivered the barrier of the checkpoint
//! being aligned is blocked (nothing behind the barrier may reach the
//! snapshot) until every open channel has delivered it. At least once: no
//! channel is blocked; the snapshot is taken when the last barrier arrives.
//! Barriers of a checkpoint already taken, aborted, or older than the one
//! being aligned are ignored; a newer one supersedes the alignment under way
//! (Flink's behaviour when a checkpoint is subsumed).
class barrier_aligner {
public:
  enum class mode { exactly_once, at_least_once };

  barrier_aligner(int channels, mode m);

  //! The barrier of checkpoint `id` arrived on `channel`.
  alignment_step on_barrier(channel_index channel, checkpoint_id id);
  //! `channel` ended: it has no barrier to deliver; may complete an alignment.
  alignment_step on_end_of_channel(channel_index channel);
  //! Checkpoint `id` was aborted: an alignment for it ends (released), and
  //! its barriers still on the way must not count for a later checkpoint.
  alignment_step on_abort(checkpoint_id id);
  //! A task without inputs (a source) took checkpoint `id` itself.
  void on_triggered(checkpoint_id id);

  bool blocked(channel_index channel) const { return blocked_[index(channel)] != 0; }
  bool aligning() const { return aligning_ != checkpoint_id{0}; }
  //! The checkpoint being aligned (0 when none).
  checkpoint_id aligning_id() const { return aligning_; }
  //! The newest checkpoint taken, aborted or superseded here.
  checkpoint_id last() const { return last_; }
  int channels() const { return static_cast<int>(seen_.size()); }
  //! Open channels that have not delivered the barrier being aligned.
  int awaited() const;

private:
  //! The slot of `channel`; throws spate::error for a channel this task does not have.
  std::size_t index(channel_index channel) const;
  //! Unblocks every channel and forgets the barriers seen.
  void end_alignment();
  //! Completes the alignment when no open channel is still awaited.
  void check_complete(alignment_step& step);

  mode mode_;
  std::vector<char> seen_;    // delivered the barrier being aligned
  std::vector<char> blocked_; // held back until the alignment ends
  std::vector<char> ended_;
  checkpoint_id aligning_{0};
  checkpoint_id last_{0};
};

} // namespace spate::checkpoints
