// Windows on keyed streams, with Flink's semantics: assigners (tumbling,
// sliding, session; event or processing time), allowed lateness, late data
// side output, incremental (reduce, aggregate) and full (process) functions.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "spate/core/types.hpp"

namespace spate {

//! The window [start, end).
struct time_window {
  timestamp start = 0;
  timestamp end = 0;
  //! The last timestamp inside the window; results carry it.
  timestamp max_timestamp() const { return end - 1; }
  //! True when the windows overlap or touch (sessions merge then).
  bool intersects(const time_window& o) const { return start <= o.end && end >= o.start; }
  time_window cover(const time_window& o) const {
    return {std::min(start, o.start), std::max(end, o.end)};
  }
  friend bool operator==(const time_window& a, const time_window& b) {
    return a.start == b.start && a.end == b.end;
  }
  friend bool operator<(const time_window& a, const time_window& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  }
  SPATE_FIELDS(start, end);
};

//! Flink's TimeWindow.getWindowStartWithOffset.
inline timestamp window_start_with_offset(timestamp ts, std::int64_t offset, std::int64_t size) {
  std::int64_t remainder = (ts - offset) % size;
  return remainder < 0 ? ts - (remainder + size) : ts - remainder;
}

//! Which windows a record belongs to. Made by the factories below.
struct window_assigner {
  enum kind_t { tumbling, sliding, session };
  kind_t kind = tumbling;
  bool event_time = true;
  std::int64_t size = 0;
  std::int64_t slide = 0;
  std::int64_t offset = 0;
  std::int64_t gap = 0;

  bool is_merging() const { return kind == session; }

  //! Appends the windows of a record with timestamp `ts` to `out`.
  void assign(timestamp ts, std::vector<time_window>& out) const {
    switch (kind) {
      case tumbling: {
        timestamp start = window_start_with_offset(ts, offset, size);
        out.push_back({start, start + size});
        return;
      }
      case sliding: {
        timestamp last = window_start_with_offset(ts, offset, slide);
        for (timestamp start = last; start > ts - size; start -= slide)
          out.push_back({start, start + size});
        return;
      }
      case session:
        out.push_back({ts, ts + gap});
        return;
    }
  }

  //! Flink's class name and parameters, for operator names.
  std::string name() const {
    std::string domain = event_time ? "EventTime" : "ProcessingTime";
    switch (kind) {
      case tumbling:
        return "Tumbling" + domain + "Windows(" + std::to_string(size) + ")";
      case sliding:
        return "Sliding" + domain + "Windows(" + std::to_string(size) + ", " +
               std::to_string(slide) + ")";
      case session:
        return domain + "SessionWindows(" + std::to_string(gap) + ")";
    }
    return "Windows";
  }
};

namespace detail {

inline void check_positive(std::chrono::milliseconds d, const char* what) {
  if (d.count() <= 0)
    throw error(errc::invalid_argument,
                std::string(what) + " must be positive, got " + std::to_string(d.count()) + " ms");
}

inline window_assigner make_tumbling(bool event_time, std::chrono::milliseconds size,
                                     std::chrono::milliseconds offset) {
  check_positive(size, "window size");
  if (std::abs(offset.count()) >= size.count())
    throw error(errc::invalid_argument, "window offset must be smaller than the window size");
  window_assigner a;
  a.kind = window_assigner::tumbling;
  a.event_time = event_time;
  a.size = size.count();
  a.offset = offset.count();
  return a;
}

inline window_assigner make_sliding(bool event_time, std::chrono::milliseconds size,
                                    std::chrono::milliseconds slide,
                                    std::chrono::milliseconds offset) {
  check_positive(size, "window size");
  check_positive(slide, "window slide");
  if (std::abs(offset.count()) >= slide.count())
    throw error(errc::invalid_argument, "window offset must be smaller than the slide");
  window_assigner a;
  a.kind = window_assigner::sliding;
  a.event_time = event_time;
  a.size = size.count();
  a.slide = slide.count();
  a.offset = offset.count();
  return a;
}

inline window_assigner make_session(bool event_time, std::chrono::milliseconds gap) {
  check_positive(gap, "session gap");
  window_assigner a;
  a.kind = window_assigner::session;
  a.event_time = event_time;
  a.gap = gap.count();
  return a;
}

} // namespace detail

struct tumbling_event_time_windows {
  static window_assigner of(std::chrono::milliseconds size, std::chrono::milliseconds offset = {}) {
    return detail::make_tumbling(true, size, offset);
  }
};
struct sliding_event_time_windows {
  static window_assigner of(std::chrono::milliseconds size, std::chrono::milliseconds slide,
                            std::chrono::milliseconds offset = {}) {
    return detail::make_sliding(true, size, slide, offset);
  }
};
struct event_time_session_windows {
  static window_assigner with_gap(std::chrono::milliseconds gap) {
    return detail::make_session(true, gap);
  }
};
struct tumbling_processing_time_windows {
  static window_assigner of(std::chrono::milliseconds size, std::chrono::milliseconds offset = {}) {
    return detail::make_tumbling(false, size, offset);
  }
};
struct sliding_processing_time_windows {
  static window_assigner of(std::chrono::milliseconds size, std::chrono::milliseconds slide,
                            std::chrono::milliseconds offset = {}) {
    return detail::make_sliding(false, size, slide, offset);
  }
};
struct processing_time_session_windows {
  static window_assigner with_gap(std::chrono::milliseconds gap) {
    return detail::make_session(false, gap);
  }
};

} // namespace spate
