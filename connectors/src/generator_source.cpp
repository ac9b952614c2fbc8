// Sequence assignment and pacing of the generator source.
#include "spate/connectors/generator_source.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "spate/core/error.hpp"

namespace spate {

void generator_cursor::open(int subtask, int parallelism) {
  if (options_.count && *options_.count < 0)
    throw error(errc::invalid_argument,
                "generator count must not be negative, got " + std::to_string(*options_.count));
  if (!std::isfinite(options_.rate) || options_.rate < 0)
    throw error(errc::invalid_argument, "generator rate must be a finite number >= 0, got " +
                                            std::to_string(options_.rate));
  if (parallelism < 1 || subtask < 0 || subtask >= parallelism)
    throw error(errc::internal, "generator opened as subtask " + std::to_string(subtask) + " of " +
                                    std::to_string(parallelism));
  subtask_ = static_cast<std::uint64_t>(subtask);
  stride_ = static_cast<std::uint64_t>(parallelism);
  rate_per_subtask_ = options_.rate / parallelism;
  if (positioned_)
    align_to_subtask();
  else
    next_ = subtask_;
  pace_start_ = std::chrono::steady_clock::now();
  emitted_since_start_ = 0;
}

void generator_cursor::seek(std::uint64_t seq) {
  next_ = seq;
  positioned_ = true;
  align_to_subtask();
  // Pacing restarts: a rewind must not let the source burst to "catch up".
  pace_start_ = std::chrono::steady_clock::now();
  emitted_since_start_ = 0;
}

void generator_cursor::align_to_subtask() {
  std::uint64_t r = next_ % stride_;
  if (r != subtask_)
    next_ += (subtask_ + stride_ - r) % stride_;
}

bool generator_cursor::exhausted() const {
  return options_.count && next_ >= static_cast<std::uint64_t>(*options_.count);
}

std::size_t generator_cursor::grant(std::size_t max_records, source_status& blocked) {
  blocked = source_status::has_more();
  if (exhausted()) {
    blocked = source_status::end();
    return 0;
  }
  std::uint64_t n = max_records;
  if (options_.count) {
    auto count = static_cast<std::uint64_t>(*options_.count);
    n = std::min(n, (count - next_ + stride_ - 1) / stride_);
  }
  if (rate_per_subtask_ > 0) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - pace_start_).count();
    // One record is due at once, then one every 1/rate seconds.
    double due = std::floor(elapsed * rate_per_subtask_) + 1;
    std::uint64_t allowed =
        due >= 9e18 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(due);
    if (emitted_since_start_ >= allowed) {
      double wait_s = static_cast<double>(emitted_since_start_) / rate_per_subtask_ - elapsed;
      // At least 1 ms (the unit of wait_for), at most 100 ms so a very slow
      // rate still polls now and then.
      double ms = std::clamp(std::ceil(wait_s * 1000.0), 1.0, 100.0);
      blocked = source_status::wait_for(std::chrono::milliseconds(static_cast<long>(ms)));
      return 0;
    }
    n = std::min(n, allowed - emitted_since_start_);
  }
  return static_cast<std::size_t>(n);
}

} // namespace spate
