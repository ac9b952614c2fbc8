// Sequence assignment (interleaved splits), checkpoint positions and pacing of
// the generator source.
#include "spate/connectors/generator_source.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

//! S for a new job: enough splits for every parallelism the job can rescale to.
constexpr std::uint32_t min_splits = 128;

//! The checkpoint entry of one subtask (msgpack).
struct generator_state {
  std::uint32_t version = 1;
  std::uint32_t splits = 0;
  //! (split, next sequence number) for every split the subtask owned.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> positions;
  SPATE_FIELDS(version, splits, positions);
};

//! The first number >= seq of split j (numbers j, j+S, j+2S, ...).
std::uint64_t first_at_or_after(std::uint64_t j, std::uint64_t seq, std::uint64_t splits) {
  if (seq <= j)
    return j;
  return j + (seq - j + splits - 1) / splits * splits;
}

[[noreturn]] void corrupt(const std::string& what) {
  throw error(errc::corrupt, "generator source state: " + what);
}

} // namespace

void generator_cursor::open(int subtask, int parallelism, int max_parallelism) {
  if (options_.count && *options_.count < 0)
    throw error(errc::invalid_argument,
                "generator count must not be negative, got " + std::to_string(*options_.count));
  if (!std::isfinite(options_.rate) || options_.rate < 0)
    throw error(errc::invalid_argument, "generator rate must be a finite number >= 0, got " +
                                            std::to_string(options_.rate));
  if (parallelism < 1 || subtask < 0 || subtask >= parallelism)
    throw error(errc::internal, "generator opened as subtask " + std::to_string(subtask) + " of " +
                                    std::to_string(parallelism));
  if (splits_ == 0) // not restored: a new job
    splits_ = std::max(min_splits, static_cast<std::uint32_t>(std::max(max_parallelism, 1)));
  owned_.clear();
  for (auto j = static_cast<std::uint32_t>(subtask); j < splits_;
       j += static_cast<std::uint32_t>(parallelism))
    owned_.push_back(j);
  next_.resize(owned_.size());
  for (std::size_t k = 0; k < owned_.size(); ++k)
    next_[k] = restored_.empty() ? owned_[k] : restored_[owned_[k]];
  if (seek_to_)
    for (std::size_t k = 0; k < owned_.size(); ++k)
      next_[k] = first_at_or_after(owned_[k], *seek_to_, splits_);
  // The rate is shared by splits, so subtasks owning more splits go faster and
  // all of them advance through the sequence space at the same pace.
  rate_per_subtask_ = options_.rate * static_cast<double>(owned_.size()) / splits_;
  opened_ = true;
  position_splits();
}

void generator_cursor::seek(std::uint64_t seq) {
  if (!opened_) {
    seek_to_ = seq;
    return;
  }
  for (std::size_t k = 0; k < owned_.size(); ++k)
    next_[k] = first_at_or_after(owned_[k], seq, splits_);
  position_splits();
}

void generator_cursor::position_splits() {
  remaining_ = 0;
  if (options_.count) {
    auto count = static_cast<std::uint64_t>(*options_.count);
    for (std::uint64_t n : next_)
      if (n < count)
        remaining_ += (count - n + splits_ - 1) / splits_;
  }
  choose_order();
  // Pacing restarts: a rewind must not let the source burst to "catch up".
  pace_start_ = std::chrono::steady_clock::now();
  emitted_since_start_ = 0;
}

bool generator_cursor::round_robin_is_ordered(std::size_t start) const {
  std::size_t m = next_.size();
  for (std::size_t t = 0; t + 1 < m; ++t)
    if (next_[(start + t) % m] >= next_[(start + t + 1) % m])
      return false;
  // Then the number that replaces the first one (+S) exceeds the last one,
  // and the order holds for ever.
  return next_[(start + m - 1) % m] < next_[start] + splits_;
}

void generator_cursor::choose_order() {
  heap_mode_ = false;
  cursor_ = 0;
  heap_.clear();
  heap_steps_ = 0;
  if (next_.empty())
    return;
  auto first =
      static_cast<std::size_t>(std::min_element(next_.begin(), next_.end()) - next_.begin());
  if (round_robin_is_ordered(first)) {
    cursor_ = first;
    return;
  }
  heap_mode_ = true;
  for (std::size_t k = 0; k < next_.size(); ++k)
    heap_.emplace_back(next_[k], k);
  std::make_heap(heap_.begin(), heap_.end(), std::greater<entry>());
}

void generator_cursor::advance() {
  if (!heap_mode_) {
    next_[cursor_] += splits_;
    if (++cursor_ == next_.size())
      cursor_ = 0;
  } else {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<entry>());
    std::size_t k = heap_.back().second;
    next_[k] += splits_;
    heap_.back().first = next_[k];
    std::push_heap(heap_.begin(), heap_.end(), std::greater<entry>());
    // Once the lagging splits have caught up, round-robin again (checked once
    // per round, so the check costs O(1) per record).
    if (++heap_steps_ >= next_.size()) {
      heap_steps_ = 0;
      choose_order();
    }
  }
  if (remaining_ > 0)
    --remaining_;
  ++emitted_since_start_;
}

bool generator_cursor::exhausted() const {
  return opened_ && (owned_.empty() || (options_.count && remaining_ == 0));
}

std::size_t generator_cursor::grant(std::size_t max_records, source_status& blocked) {
  blocked = source_status::has_more();
  if (exhausted()) {
    blocked = source_status::end();
    return 0;
  }
  std::uint64_t n = max_records;
  if (options_.count)
    n = std::min(n, remaining_);
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

std::string generator_cursor::snapshot() const {
  if (!opened_)
    throw error(errc::internal, "generator source: snapshot before open()");
  generator_state state;
  state.splits = splits_;
  for (std::size_t k = 0; k < owned_.size(); ++k)
    state.positions.emplace_back(owned_[k], next_[k]);
  std::string bytes;
  encode(state, bytes);
  return bytes;
}

void generator_cursor::restore(const std::vector<std::string>& entries) {
  constexpr std::uint64_t unset = std::numeric_limits<std::uint64_t>::max();
  std::uint32_t splits = 0;
  std::vector<std::uint64_t> next;
  for (const std::string& bytes : entries) {
    auto state = decode<generator_state>(bytes, "generator source state");
    if (state.version != 1)
      corrupt("unknown format version " + std::to_string(state.version));
    if (state.splits == 0 || (splits != 0 && state.splits != splits))
      corrupt("subtasks disagree on the number of splits (" + std::to_string(splits) + " and " +
              std::to_string(state.splits) + ")");
    splits = state.splits;
    next.resize(splits, unset);
    for (const auto& [split, seq] : state.positions) {
      if (split >= splits || seq % splits != split)
        corrupt("position " + std::to_string(seq) + " is not in split " + std::to_string(split) +
                " of " + std::to_string(splits));
      if (next[split] != unset)
        corrupt("split " + std::to_string(split) + " appears twice");
      next[split] = seq;
    }
  }
  for (std::uint32_t j = 0; j < splits; ++j)
    if (next[j] == unset)
      corrupt("no position for split " + std::to_string(j) + " of " + std::to_string(splits));
  splits_ = splits;
  restored_ = std::move(next);
}

} // namespace spate
