// What a source tells the runtime after one poll.
#pragma once

#include <chrono>

namespace spate {

struct source_status {
  enum kind_t { more, idle, finished };
  kind_t kind = more;
  //! For idle: how long to wait before polling again.
  std::chrono::milliseconds wait{0};

  static source_status has_more() { return {more, {}}; }
  static source_status wait_for(std::chrono::milliseconds d) { return {idle, d}; }
  static source_status end() { return {finished, {}}; }
};

} // namespace spate
