// How a task's input channels' watermarks and idleness become the task's
// own (Flink's StatusWatermarkValve). A plain class the task drives.
#pragma once

#include <optional>
#include <vector>

#include "spate/core/types.hpp"

namespace spate::detail {

//! What the task forwards to its operators after an event, in this order:
//! "active" (when it became so), the new watermark, "idle" (when it became so).
struct valve_output {
  bool became_active = false;
  std::optional<timestamp> watermark;
  bool became_idle = false;
};

//! The watermark is the minimum over channels that are open and active; an
//! idle channel does not hold it back. When every open channel is idle the
//! task is idle too, after advancing to the largest watermark of its
//! channels: none of them holds the others back now. (Otherwise a channel
//! going idle while another, idle-to-be, still held the minimum would leave
//! its watermark unused.) When every channel ended, event time is complete:
//! the maximum watermark. Watermarks never go back, per channel or out.
class watermark_valve {
public:
  explicit watermark_valve(int channels);

  valve_output on_watermark(channel_index channel, timestamp watermark);
  valve_output on_idle(channel_index channel, bool idle);
  valve_output on_end(channel_index channel);

  timestamp watermark() const { return watermark_; }
  bool idle() const { return idle_; }
  bool all_ended() const { return open_ == 0; }

private:
  struct channel {
    timestamp watermark = min_watermark;
    bool idle = false;
    bool ended = false;
  };
  valve_output update();

  std::vector<channel> channels_;
  int open_;
  timestamp watermark_ = min_watermark;
  bool idle_ = false;
};

} // namespace spate::detail
