#include "watermark_valve.hpp"

#include <algorithm>

namespace spate::detail {

watermark_valve::watermark_valve(int channels)
    : channels_(static_cast<std::size_t>(std::max(channels, 0))), open_(std::max(channels, 0)) {}

valve_output watermark_valve::on_watermark(channel_index c, timestamp wm) {
  auto& ch = channels_.at(static_cast<std::size_t>(c.value()));
  ch.watermark = std::max(ch.watermark, wm);
  return update();
}

valve_output watermark_valve::on_idle(channel_index c, bool idle) {
  channels_.at(static_cast<std::size_t>(c.value())).idle = idle;
  return update();
}

valve_output watermark_valve::on_end(channel_index c) {
  auto& ch = channels_.at(static_cast<std::size_t>(c.value()));
  if (!ch.ended) {
    ch.ended = true;
    --open_;
  }
  return update();
}

valve_output watermark_valve::update() {
  valve_output out;
  if (open_ == 0) {
    // Every input ended: event time is complete even if an input was idle.
    if (watermark_ < max_watermark)
      out.watermark = watermark_ = max_watermark;
    return out;
  }
  timestamp wm = max_watermark;
  timestamp highest = min_watermark;
  bool any_active = false;
  for (auto& c : channels_) {
    if (c.ended)
      continue;
    highest = std::max(highest, c.watermark);
    if (c.idle)
      continue;
    any_active = true;
    wm = std::min(wm, c.watermark);
  }
  if (!any_active) {
    if (highest > watermark_)
      out.watermark = watermark_ = highest;
    if (!idle_)
      out.became_idle = idle_ = true;
    return out;
  }
  if (idle_) {
    idle_ = false;
    out.became_active = true;
  }
  if (wm > watermark_)
    out.watermark = watermark_ = wm;
  return out;
}

} // namespace spate::detail
