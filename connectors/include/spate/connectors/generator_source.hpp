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
#include <utility>
#include <vector>

#include "spate/api/functions.hpp"
#include "spate/core/hash.hpp"
#include "spate/core/random.hpp"

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
//! the generator). Subtask s of p emits s, s+p, s+2p, ... below count.
class generator_cursor {
public:
  explicit generator_cursor(generator_options options) : options_(options) {}

  //! Binds the cursor to subtask `subtask` of `parallelism` and starts pacing.
  //! Throws errc::invalid_argument for a negative count or rate.
  void open(int subtask, int parallelism);

  //! How many records may be emitted now (at most `max_records`). When 0,
  //! `blocked` says why: idle (ahead of the rate) or finished.
  std::size_t grant(std::size_t max_records, source_status& blocked);

  //! The next sequence number this subtask emits (its checkpoint position).
  std::uint64_t next() const { return next_; }
  //! Moves past the record just emitted.
  void advance() {
    next_ += stride_;
    ++emitted_since_start_;
  }
  //! Continues at `seq` (rounded up to a number this subtask owns); pacing
  //! restarts from now. May be called before or after open().
  void seek(std::uint64_t seq);
  //! True when every record of a bounded generator has been emitted.
  bool exhausted() const;

private:
  void align_to_subtask();

  generator_options options_;
  std::uint64_t subtask_ = 0;
  std::uint64_t stride_ = 1;
  std::uint64_t next_ = 0;
  bool positioned_ = false; // seek() came before open()
  double rate_per_subtask_ = 0;
  std::chrono::steady_clock::time_point pace_start_{};
  std::uint64_t emitted_since_start_ = 0;
};

//! One subtask of generator_source(): calls `make` for each of its numbers.
template <class T>
class generator_source_function final : public source_function<T> {
public:
  using make_function = std::function<T(std::uint64_t seq, record_rng& rng)>;

  generator_source_function(generator_options options, make_function make)
      : seed_(options.seed), cursor_(options), make_(std::move(make)) {}

  void open(runtime_context& ctx) override { cursor_.open(ctx.subtask, ctx.parallelism); }

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
      out.collect(make_(seq, rng_));
      cursor_.advance();
    }
    return source_status::has_more();
  }

  //! The next sequence number to emit: what a checkpoint records.
  std::uint64_t position() const { return cursor_.next(); }
  //! Rewinds (or forwards) to sequence number `seq`.
  void seek(std::uint64_t seq) { cursor_.seek(seq); }

private:
  std::uint64_t seed_;
  generator_cursor cursor_;
  make_function make_;
  record_rng rng_;
};

//! A source emitting record i = make(i, rng), rng seeded from (seed, i) only,
//! so the multiset of records is the same at every parallelism. Bounded when
//! `options.count` is set; paced to `options.rate` records/s (over all
//! subtasks) without ever sleeping. Errors in options are thrown by open().
template <class T>
source_spec<T> generator_source(generator_options options,
                                std::function<T(std::uint64_t seq, record_rng& rng)> make,
                                std::string name = "generator") {
  source_spec<T> spec;
  spec.name = std::move(name);
  spec.factory = [options, make = std::move(make)]() -> std::unique_ptr<source_function<T>> {
    return std::make_unique<generator_source_function<T>>(options, make);
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
