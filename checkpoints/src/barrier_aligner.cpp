#include "spate/checkpoints/barrier_aligner.hpp"

#include <algorithm>

#include "spate/core/error.hpp"

namespace spate::checkpoints {

barrier_aligner::barrier_aligner(int channels, mode m)
    : mode_(m), seen_(static_cast<std::size_t>(std::max(channels, 0)), 0),
      blocked_(seen_.size(), 0), ended_(seen_.size(), 0) {
  if (channels < 0)
    throw error(errc::internal, "barrier_aligner: negative channel count");
}

std::size_t barrier_aligner::index(channel_index channel) const {
  auto c = channel.value();
  if (c < 0 || static_cast<std::size_t>(c) >= seen_.size())
    throw error(errc::internal, "barrier_aligner: no channel " + std::to_string(c) + " of " +
                                    std::to_string(seen_.size()));
  return static_cast<std::size_t>(c);
}

alignment_step barrier_aligner::on_barrier(channel_index ch, checkpoint_id id) {
  auto channel = index(ch);
  alignment_step step;
  if (id <= last_ || (aligning() && id < aligning_))
    return step; // of a checkpoint already taken, given up, or superseded here
  step.id = id;
  if (aligning() && id > aligning_) {
    last_ = aligning_; // superseded: its late barriers are ignored from now on
    end_alignment();
    step.released = true;
  }
  if (!aligning()) {
    aligning_ = id;
    step.started = true;
  }
  if (!seen_[channel]) {
    seen_[channel] = 1;
    if (mode_ == mode::exactly_once)
      blocked_[channel] = 1;
  }
  check_complete(step);
  return step;
}

alignment_step barrier_aligner::on_end_of_channel(channel_index channel) {
  alignment_step step;
  ended_[index(channel)] = 1;
  if (!aligning())
    return step;
  step.id = aligning_;
  check_complete(step);
  return step;
}

alignment_step barrier_aligner::on_abort(checkpoint_id id) {
  alignment_step step;
  last_ = std::max(last_, id);
  if (aligning_ == id) {
    step.id = id;
    end_alignment();
    step.released = true;
  }
  return step;
}

void barrier_aligner::on_triggered(checkpoint_id id) { last_ = std::max(last_, id); }

int barrier_aligner::awaited() const {
  if (!aligning())
    return 0;
  int n = 0;
  for (std::size_t c = 0; c < seen_.size(); ++c)
    if (!seen_[c] && !ended_[c])
      ++n;
  return n;
}

void barrier_aligner::check_complete(alignment_step& step) {
  if (awaited() > 0)
    return;
  last_ = aligning_;
  end_alignment();
  step.complete = true;
  step.released = true;
}

void barrier_aligner::end_alignment() {
  aligning_ = checkpoint_id{0};
  std::fill(seen_.begin(), seen_.end(), 0);
  std::fill(blocked_.begin(), blocked_.end(), 0);
}

} // namespace spate::checkpoints
