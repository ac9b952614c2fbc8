// The event-time jobs: the pipelines people run today, as spate jobs. Each
// reads JSON lines, assigns event time with a bounded out-of-orderness
// watermark, counts or aggregates in event-time windows and writes JSON lines.
// The pipeline functions take any stream of lines (tests pass a file source),
// the register_* functions add the jobs to the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spate/api/stream.hpp"
#include "spate/apps/json_input.hpp"
#include "spate/cluster/job_registry.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/codec.hpp"

namespace spate::apps {

//! An aggregate function counting the records of a window.
template <class T>
struct count_records {
  using accumulator_type = std::int64_t;
  using result_type = std::int64_t;
  std::int64_t create_accumulator() const { return 0; }
  std::int64_t add(const T&, std::int64_t acc) const { return acc + 1; }
  std::int64_t get_result(const std::int64_t& acc) const { return acc; }
  std::int64_t merge(std::int64_t a, std::int64_t b) const { return a + b; }
};

// ---------------------------------------------------------------------------
// trending_hashtags: the Kafka + Spark "trending topics" project

//! A post that has a hashtag: the part of an input record the job uses.
struct hashtag_post {
  std::string hashtag;
  timestamp ts = 0; //!< event time, ms
  SPATE_FIELDS(hashtag, ts);
};

//! Posts per hashtag in one window.
struct hashtag_count {
  timestamp window_start = 0;
  timestamp window_end = 0;
  std::string hashtag;
  std::int64_t count = 0;
  SPATE_FIELDS(window_start, window_end, hashtag, count);
};

struct trending_hashtags_options {
  //! Watermark bound (`--out-of-orderness SECONDS`).
  std::chrono::milliseconds out_of_orderness{60'000};
  //! Tumbling window size.
  std::chrono::milliseconds window_size{60'000};
  //! Hashtags listed per window by hashtag_rankings().
  std::size_t ranking_size = 10;
  //! Event time the generator advances per record (`--events-per-second N`).
  double events_per_second = 5;
  //! Counts the malformed input records.
  std::shared_ptr<malformed_counter> malformed = std::make_shared<malformed_counter>();
};

//! Job arguments: `--out-of-orderness SECONDS`, `--events-per-second N`.
//! Throws spate::error(errc::invalid_argument) naming a bad one.
trending_hashtags_options parse_trending_hashtags_args(const std::vector<std::string>& args);

//! Input lines {"usuario", "texto", "hashtag_principal", "timestamp": epoch
//! seconds} to posts per hashtag in tumbling event-time windows. A record
//! without hashtag_principal (absent, null or "") is dropped; one that is not
//! JSON or lacks a valid timestamp is malformed. The window operator is named
//! "Hashtag Windows".
stream<hashtag_count> trending_hashtag_counts(stream<std::string> lines,
                                              const trending_hashtags_options& o);
//! How trending_hashtag_counts() reads a post: the fields timestamp (epoch
//! seconds) and hashtag_principal; nullopt for a post without hashtag.
json_record_format<hashtag_post> hashtag_post_format();
//! Window counts as JSON lines {"window_start", "window_end", "hashtag", "count"}.
stream<std::string> hashtag_counts_to_json(stream<hashtag_count> counts);
//! One text block per window, emitted once the watermark passes the window:
//! "window [START, END) top hashtags:" and then lines "  1. TAG (N)", the
//! `top` most counted, ties by name. START and END are ISO-8601 UTC.
stream<std::string> hashtag_rankings(stream<hashtag_count> counts, std::size_t top);
//! trending_hashtag_counts() as JSON lines: the job's output.
stream<std::string> trending_hashtags(stream<std::string> lines,
                                      const trending_hashtags_options& o = {});

//! Input record `seq` of the generator (deterministic in seq and rng): a user,
//! a Spanish phrase with the hashtag, a Zipf-distributed hashtag (about 5% of
//! records have none) and a timestamp advancing `events_per_second` per
//! second of event time from 2024-01-01T00:00:00Z, jittered by up to ±2 s (1%
//! of records up to 90 s late).
std::string make_trending_hashtags_record(std::uint64_t seq, record_rng& rng,
                                          double events_per_second);
source_spec<std::string> trending_hashtags_generator(generator_options g, double events_per_second);

// ---------------------------------------------------------------------------
// clicks_per_user

struct user_click {
  std::string user;
  timestamp ts = 0;
  SPATE_FIELDS(user, ts);
};

struct clicks_per_user_options {
  std::chrono::milliseconds out_of_orderness{5'000};
  std::chrono::milliseconds window_size{10'000};
  double events_per_second = 20;
  std::shared_ptr<malformed_counter> malformed = std::make_shared<malformed_counter>();
};

//! Job arguments: `--out-of-orderness SECONDS`, `--events-per-second N`.
clicks_per_user_options parse_clicks_per_user_args(const std::vector<std::string>& args);

//! Input lines {"user", "action", "timestamp": epoch seconds or ISO-8601} to
//! JSON lines {"window_start", "window_end", "user", "clicks"}, one per user
//! and tumbling window (operator "Click Windows"). `user` and `timestamp` are
//! required; `action` is not used.
stream<std::string> clicks_per_user(stream<std::string> lines,
                                    const clicks_per_user_options& o = {});

//! How clicks_per_user() reads a click: the fields user and timestamp.
json_record_format<user_click> user_click_format();

//! Input record `seq` of the generator: one of 50 users (skewed), an action,
//! and a timestamp alternating epoch seconds and ISO-8601 text.
std::string make_clicks_record(std::uint64_t seq, record_rng& rng, double events_per_second);
source_spec<std::string> clicks_generator(generator_options g, double events_per_second);

// ---------------------------------------------------------------------------
// stock_prices: the stock ticker examples of the managed Flink guide

struct stock_tick {
  std::string ticker;
  double price = 0;
  timestamp ts = 0;
  SPATE_FIELDS(ticker, price, ts);
};

//! Count, lowest and highest price: the incremental aggregate of a window.
struct price_stats {
  std::int64_t count = 0;
  double min_price = 0;
  double max_price = 0;
  SPATE_FIELDS(count, min_price, max_price);
};

enum class stock_window { tumbling, sliding, session };

struct stock_prices_options {
  stock_window window = stock_window::tumbling;
  std::chrono::milliseconds size{10'000}; //!< tumbling and sliding
  std::chrono::milliseconds slide{5'000}; //!< sliding
  std::chrono::milliseconds gap{10'000};  //!< session
  std::chrono::milliseconds out_of_orderness{5'000};
  double events_per_second = 10;
  std::shared_ptr<malformed_counter> malformed = std::make_shared<malformed_counter>();
};

//! Job arguments: `--window tumbling|sliding|session`, `--size SECONDS`,
//! `--slide SECONDS` (sliding only), `--gap SECONDS` (session only),
//! `--out-of-orderness SECONDS`, `--events-per-second N`.
stock_prices_options parse_stock_prices_args(const std::vector<std::string>& args);

//! Input lines {"event_time": ISO-8601, "ticker", "price"} to JSON lines
//! {"window_start", "window_end", "ticker", "count", "min_price",
//! "max_price"}, one per ticker and window (operator "Price Windows").
stream<std::string> stock_prices(stream<std::string> lines, const stock_prices_options& o = {});

//! How stock_prices() reads a tick: the fields event_time, ticker and price.
json_record_format<stock_tick> stock_tick_format();

//! Input record `seq` of the generator: ticker AAPL, AMZN, MSFT, INTC or TBV,
//! a price uniform in [0, 100) with cents, and an event_time without zone
//! (as Python's isoformat()) advancing `events_per_second`.
std::string make_stock_record(std::uint64_t seq, record_rng& rng, double events_per_second);
source_spec<std::string> stock_generator(generator_options g, double events_per_second);

// ---------------------------------------------------------------------------

void register_trending_hashtags(job_registry& registry);
void register_clicks_per_user(job_registry& registry);
void register_stock_prices(job_registry& registry);

} // namespace spate::apps
