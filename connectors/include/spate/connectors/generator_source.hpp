// A deterministic, optionally bounded and rate-limited data generator (Flink's
// datagen). Record number i depends only on (seed, i), never on parallelism.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "spate/api/functions.hpp"
#include "spate/core/hash.hpp"
#include "spate/core/random.hpp"
#include "spate/core/types.hpp"

namespace spate {

struct generator_options {
  //! Seed of every record's random engine.
  std::uint64_t seed = 42;
  //! Total records over all subtasks; nullopt = unbounded.
  std::optional<std::int64_t> count;
  //! Records per second over all subtasks; 0 = unlimited.
  double rate = 0;
};

//! The seed of record `seq`'s engine: a function of (seed, seq) only.
inline std::uint64_t generator_record_seed(std::uint64_t seed, std::uint64_t seq) noexcept {
  return mix64(seed ^ mix64(seq));
}

//! Which sequence numbers one subtask emits and when (the non-template part of
//! the generator). The sequence space is cut into S interleaved splits (split j
//! holds j, j+S, j+2S, ...; S = max(128, max parallelism), fixed for the life
//! of the job and kept in its checkpoints). Subtask i of p owns the splits j
//! with j % p == i and emits their numbers in increasing order, so its output
//! is ordered by sequence number (after a rescale, splits that lag behind
//! catch up first). A checkpoint records every split's next number, which is
//! what makes the generator rescalable: any subtask can take over any split.
class generator_cursor {
public:
  explicit generator_cursor(generator_options options) : options_(options) {}

  //! Binds the cursor to subtask `subtask` of `parallelism` and starts pacing.
  //! Throws errc::invalid_argument for a negative count or rate.
  void open(int subtask, int parallelism, int max_parallelism = default_max_parallelism);

  //! How many records may be emitted now (at most `max_records`). When 0,
  //! `blocked` says why: idle (ahead of the rate) or finished.
  std::size_t grant(std::size_t max_records, source_status& blocked);

  //! The next sequence number this subtask emits (the smallest over its splits).
  //! UINT64_MAX when it owns no split (or before open()).
  std::uint64_t next() const {
    if (next_.empty())
      return UINT64_MAX;
    return heap_mode_ ? heap_.front().first : next_[cursor_];
  }
  //! Moves past the record just emitted.
  void advance();
  //! Continues every split at its first number >= `seq` (so the next record is
  //! the first one >= seq this subtask owns); pacing restarts from now. May be
  //! called before or after open().
  void seek(std::uint64_t seq);
  //! True when every record of a bounded generator has been emitted (or this
  //! subtask owns no split: parallelism above S).
  bool exhausted() const;

  //! The number of splits S (known after open() or restore()).
  std::uint32_t splits() const { return splits_; }
  //! How many splits this subtask owns (after open()).
  std::size_t owned_splits() const { return owned_.size(); }

  //! The checkpoint entry: S and the next number of every owned split
  //! (msgpack). Valid after open().
  std::string snapshot() const;
  //! Takes the split positions from the entries of every old subtask (any
  //! parallelism); open() then picks the splits this subtask owns. Throws
  //! spate::error(errc::corrupt) when the entries disagree on S, repeat a split
  //! or leave one out, errc::codec when they cannot be decoded.
  void restore(const std::vector<std::string>& entries);

private:
  using entry = std::pair<std::uint64_t, std::size_t>; // (next number, index into owned_)
  // Positions the owned splits (fresh, restored or sought) and resets pacing.
  void position_splits();
  // Chooses round-robin (cheap) when it yields increasing numbers, else a heap.
  void choose_order();
  bool round_robin_is_ordered(std::size_t start) const;

  generator_options options_;
  bool opened_ = false;
  std::uint32_t splits_ = 0;
  std::vector<std::uint32_t> owned_; // split ids, increasing
  std::vector<std::uint64_t> next_;  // next number per owned split
  // Round-robin while the owned splits are within one round of each other
  // (always, unless restored after a rescale); a min-heap until they are.
  bool heap_mode_ = false;
  std::size_t cursor_ = 0;
  std::vector<entry> heap_;
  std::uint64_t heap_steps_ = 0;
  std::uint64_t remaining_ = 0;          // records left for a bounded generator
  std::vector<std::uint64_t> restored_;  // next number per split (all S) from restore()
  std::optional<std::uint64_t> seek_to_; // seek() before open()
  double rate_per_subtask_ = 0;
  std::chrono::steady_clock::time_point pace_start_{};
  std::uint64_t emitted_since_start_ = 0;
};

//! One subtask of generator_source(): calls `make` for each of its numbers.
//! `Make` is the callable's own type when generator_source() is given a
//! lambda, so the call per record is inlined (no std::function).
template <class T, class Make = std::function<T(std::uint64_t seq, record_rng& rng)>>
class generator_source_function final : public source_function<T> {
public:
  using make_function = Make;
  //! Fills a default-constructed record in place (for large records).
  using fill_function = std::function<void(std::uint64_t seq, record_rng& rng, T& out)>;

  generator_source_function(generator_options options, make_function make)
      : seed_(options.seed), cursor_(options), make_(std::move(make)) {}
  generator_source_function(generator_options options, fill_function fill)
      : seed_(options.seed), cursor_(options), fill_(std::move(fill)) {}

  void open(runtime_context& ctx) override {
    cursor_.open(ctx.subtask, ctx.parallelism, ctx.max_parallelism);
  }

  //! Emits up to `max_records` records. Records are only emitted together
  //! with has_more(); an idle or finished answer carries no records.
  source_status poll(collector<T>& out, std::size_t max_records) override {
    source_status blocked;
    std::size_t n = cursor_.grant(max_records, blocked);
    if (n == 0)
      return blocked;
    for (std::size_t k = 0; k < n; ++k) {
      std::uint64_t seq = cursor_.next();
      rng_.seed(generator_record_seed(seed_, seq));
      if (fill_)
        fill_(seq, rng_, out.emplace());
      else
        out.collect((*make_)(seq, rng_));
      cursor_.advance();
    }
    return source_status::has_more();
  }

  //! Takes the split positions of the old subtasks (any parallelism); see
  //! generator_cursor::restore. A snapshot without generator state starts
  //! from the beginning.
  void initialize_state(const operator_state_reader& state) override {
    std::vector<std::string> entries;
    for (const auto& old : state.all()) {
      auto it = old.find(state_name);
      if (it != old.end())
        entries.push_back(it->second);
    }
    if (!entries.empty())
      cursor_.restore(entries);
  }
  //! Records the next number of every split this subtask owns.
  void snapshot_state(std::int64_t, operator_state_writer& out) override {
    out.put(state_name, cursor_.snapshot());
  }

  //! The next sequence number this subtask emits.
  std::uint64_t position() const { return cursor_.next(); }
  //! Continues at the first number >= `seq` this subtask owns.
  void seek(std::uint64_t seq) { cursor_.seek(seq); }
  const generator_cursor& cursor() const { return cursor_; }

  //! The name of the operator state entry.
  static constexpr const char* state_name = "generator";

private:
  std::uint64_t seed_;
  generator_cursor cursor_;
  std::optional<make_function> make_; //!< a lambda need not be default-constructible
  fill_function fill_;
  record_rng rng_;
};

//! A source emitting record i = make(i, rng), rng seeded from (seed, i) only,
//! so the multiset of records is the same at every parallelism, and a restore
//! from a checkpoint (at any parallelism) emits exactly the records not
//! emitted before it. Bounded when
//! `options.count` is set; paced to `options.rate` records/s (over all
//! subtasks) without ever sleeping. Errors in options are thrown by open().
template <class T, class Make>
source_spec<T> generator_source(generator_options options, Make make,
                                std::string name = "generator") {
  static_assert(std::is_convertible_v<std::invoke_result_t<Make&, std::uint64_t, record_rng&>, T>,
                "generator_source: make(seq, rng) must return the record type");
  using function = generator_source_function<T, std::decay_t<Make>>;
  source_spec<T> spec;
  spec.name = std::move(name);
  spec.factory = [options, make = std::move(make)]() -> std::unique_ptr<source_function<T>> {
    return std::make_unique<function>(options, make);
  };
  return spec;
}

//! generator_source() for large records: `fill(i, rng, out)` fills record i in
//! place (a default-constructed T), with the same guarantees.
template <class T>
source_spec<T>
generator_source_in_place(generator_options options,
                          std::function<void(std::uint64_t seq, record_rng& rng, T& out)> fill,
                          std::string name = "generator") {
  source_spec<T> spec;
  spec.name = std::move(name);
  spec.factory = [options, fill = std::move(fill)]() -> std::unique_ptr<source_function<T>> {
    return std::make_unique<generator_source_function<T>>(
        options, typename generator_source_function<T>::fill_function(fill));
  };
  return spec;
}

//! The words text_line_generator draws from, most popular first (~200 words).
const std::vector<std::string>& text_line_vocabulary();

//! Builds one line of 5-12 lowercase words separated by single spaces, word k
//! of the vocabulary drawn with Zipf-like weight 1/(k+1). Deterministic in rng.
std::string make_text_line(record_rng& rng);

//! A generator of English-like lines (see make_text_line), for word count.
source_spec<std::string> text_line_generator(generator_options options);

} // namespace spate
