// What a source tells the runtime after one poll.
#pragma once

#include <chrono>

namespace spate {

struct source_status {
  enum kind_t { more, idle, finished };
  kind_t kind = more;
  //! For idle: how long to wait before polling again.
  std::chrono::milliseconds wait{0};
  //! For idle: the source has nothing to read at all (a Kafka subtask without
  //! partitions), so its output is marked idle and stops holding back
  //! watermarks downstream until it emits again (Flink's markIdle()).
  bool no_input = false;

  static source_status has_more() { return {more, {}, false}; }
  static source_status wait_for(std::chrono::milliseconds d) { return {idle, d, false}; }
  static source_status end() { return {finished, {}, false}; }
  static source_status no_input_for(std::chrono::milliseconds d) { return {idle, d, true}; }
};

} // namespace spate
