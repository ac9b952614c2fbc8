// The Nexmark queries on the DataStream API. Each follows the query of the
// nexmark project's Flink SQL suite (and Beam's Nexmark where SQL has no say);
// where SQL emits a changelog (a running aggregate, a regular join, a
// Top-N), the stream emits the updates or final rows named in each comment.
// Event time is the events' date_time with watermark date_time - 4 s.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spate/api/stream.hpp"
#include "spate/nexmark/generator.hpp"
#include "spate/nexmark/model.hpp"

namespace spate::nexmark {

//! The generator with event time and watermarks (date_time - 4 s).
stream<event> events(environment& env, const generator_config& config,
                     std::optional<std::int64_t> count, double wall_rate = 0);

//! The events split by kind in one pass (records are moved, not copied).
struct event_streams {
  stream<person> persons;
  stream<auction> auctions;
  stream<bid> bids;
};
event_streams split(stream<event> events);

//! The bid columns the aggregating queries read. They take them from each bid
//! in the task that split the events, before their shuffle, as Flink's
//! planner pushes a query's projection down to its source: the bids' url and
//! extra strings then never cross threads.
struct bid_brief {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  timestamp date_time = 0;
  SPATE_FIELDS(auction, bidder, price, date_time);
};
stream<bid_brief> project_bids(stream<bid> bids);

// ---- Results -------------------------------------------------------------

struct q1_result {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  double price = 0; //!< euros: dollars * 0.908
  timestamp date_time = 0;
  std::string extra;
  SPATE_FIELDS(auction, bidder, price, date_time, extra);
};

struct q2_result {
  std::int64_t auction = 0;
  std::int64_t price = 0;
  SPATE_FIELDS(auction, price);
  friend bool operator<(const q2_result& a, const q2_result& b) {
    return std::tie(a.auction, a.price) < std::tie(b.auction, b.price);
  }
  friend bool operator==(const q2_result& a, const q2_result& b) {
    return a.auction == b.auction && a.price == b.price;
  }
};

struct q3_result {
  std::string name;
  std::string city;
  std::string state;
  std::int64_t id = 0; //!< the auction
  SPATE_FIELDS(name, city, state, id);
};

struct q4_result {
  std::int64_t category = 0;
  double average_price = 0; //!< over the closed auctions of the category so far
  SPATE_FIELDS(category, average_price);
};

//! An auction with its winning bid: the highest bid (earliest on equal
//! prices) placed between the auction's date_time and its expiry.
struct winning_bid {
  auction item;
  bid winner;
  SPATE_FIELDS(item, winner);
};

struct q5_result {
  std::int64_t auction = 0;
  std::int64_t num = 0;       //!< bids in the window
  timestamp window_start = 0; //!< the sliding window [start, start + 10 s)
  SPATE_FIELDS(auction, num, window_start);
};

struct q8_result {
  std::int64_t id = 0;
  std::string name;
  timestamp start_time = 0; //!< the 10 s window
  SPATE_FIELDS(id, name, start_time);
};

//! q11 and q12: bids of one bidder in one window.
struct bidder_count {
  std::int64_t bidder = 0;
  std::int64_t bid_count = 0;
  timestamp start_time = 0;
  timestamp end_time = 0;
  SPATE_FIELDS(bidder, bid_count, start_time, end_time);
};

//! q13: a bid with the side input's value for its auction.
struct q13_result {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  timestamp date_time = 0;
  std::string value;
  SPATE_FIELDS(auction, bidder, price, date_time, value);
};

struct q14_result {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  double price = 0;
  std::string bid_time_type; //!< dayTime, nightTime or otherTime
  timestamp date_time = 0;
  std::string extra;
  std::int64_t c_counts = 0; //!< 'c' characters in extra
  SPATE_FIELDS(auction, bidder, price, bid_time_type, date_time, extra, c_counts);
};

//! Daily bid statistics (q15, and per channel q16).
struct daily_stats {
  std::string channel; //!< q16 only
  std::string day;     //!< yyyy-MM-dd (UTC)
  std::string minute;  //!< q16 only: the latest HH:mm of the day's bids
  std::int64_t total_bids = 0, rank1_bids = 0, rank2_bids = 0, rank3_bids = 0;
  std::int64_t total_bidders = 0, rank1_bidders = 0, rank2_bidders = 0, rank3_bidders = 0;
  std::int64_t total_auctions = 0, rank1_auctions = 0, rank2_auctions = 0, rank3_auctions = 0;
  SPATE_FIELDS(channel, day, minute, total_bids, rank1_bids, rank2_bids, rank3_bids, total_bidders,
               rank1_bidders, rank2_bidders, rank3_bidders, total_auctions, rank1_auctions,
               rank2_auctions, rank3_auctions);
};

struct q17_result {
  std::int64_t auction = 0;
  std::string day;
  std::int64_t total_bids = 0, rank1_bids = 0, rank2_bids = 0, rank3_bids = 0;
  std::int64_t min_price = 0, max_price = 0, sum_price = 0;
  double avg_price = 0;
  SPATE_FIELDS(auction, day, total_bids, rank1_bids, rank2_bids, rank3_bids, min_price, max_price,
               sum_price, avg_price);
};

struct q19_result {
  bid entry;
  std::int64_t rank_number = 0; //!< 1..10 when the bid entered its auction's top 10
  SPATE_FIELDS(entry, rank_number);
};

struct q20_result {
  bid b;
  auction a;
  SPATE_FIELDS(b, a);
};

struct q21_result {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::string channel;
  std::string channel_id;
  SPATE_FIELDS(auction, bidder, price, channel, channel_id);
};

struct q22_result {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::string channel;
  std::string dir1, dir2, dir3; //!< empty when the url has fewer parts
  SPATE_FIELDS(auction, bidder, price, channel, dir1, dir2, dir3);
};

// ---- Helpers the queries share (also used by the tests' references) -----

//! Day of `t` (ms since the epoch, UTC) as yyyy-MM-dd.
std::string format_day(timestamp t);
//! Time of day of `t` as HH:mm (UTC).
std::string format_minute(timestamp t);
//! q21: the value of the first `channel_id=` parameter at the start of `url`
//! or right after a '&' (SQL's REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2)).
std::optional<std::string> extract_channel_id(const std::string& url);
//! q22: part `index` of `url` split at '/' (SQL's SPLIT_INDEX), empty if none.
std::string split_index(const std::string& url, int index);
//! 1, 2 or 3 for prices below 10 000, below 1 000 000, and above.
int price_rank(std::int64_t price);

// ---- Queries -------------------------------------------------------------

//! q0, pass-through: every bid.
stream<bid> q0(stream<bid> bids);
//! q1, currency conversion: prices in euros (x 0.908).
stream<q1_result> q1(stream<bid> bids);
//! q2, selection: bids on auctions whose id % 123 == 0.
stream<q2_result> q2(stream<bid> bids);
//! q3, local item suggestion: auctions of category 10 by sellers from OR, ID
//! or CA, joined incrementally as either side arrives (SQL's regular join).
stream<q3_result> q3(stream<auction> auctions, stream<person> persons);
//! The winning bid of each auction, emitted when the auction expires (q4, q9).
stream<winning_bid> winning_bids(stream<auction> auctions, stream<bid> bids);
//! q4, average winning price per category: the updated average each time an
//! auction of the category closes (SQL's running aggregate over q9's join).
stream<q4_result> q4(stream<auction> auctions, stream<bid> bids);
//! q5, hot items: per sliding window (10 s every 2 s), the auctions with
//! the most bids (all of them on a tie).
stream<q5_result> q5(stream<bid> bids);
//! q7, highest bid: per 10 s tumbling window, the bids with the highest price.
stream<bid> q7(stream<bid> bids);
//! q8, new users: people who created an account and an auction in the same
//! 10 s tumbling window (one row per person and window).
stream<q8_result> q8(stream<person> persons, stream<auction> auctions);
//! q9, winning bids: every auction with its winning bid.
stream<winning_bid> q9(stream<auction> auctions, stream<bid> bids);
//! q11, user sessions: bids per bidder per session (10 s gap).
stream<bidder_count> q11(stream<bid> bids);
//! q12, bids per bidder in processing-time tumbling windows (10 s by default).
stream<bidder_count> q12(stream<bid> bids,
                         std::chrono::milliseconds window = std::chrono::seconds(10));
//! q12 after project_bids(): the window operator alone (for the operator harness).
stream<bidder_count> q12(stream<bid_brief> bids, std::chrono::milliseconds window);
//! q13, bounded side input join: bids whose auction % 10000 is a key of the side input
//! file (lines "key,value", read by each subtask when it opens), with that key's value (one
//! output per matching line).
stream<q13_result> q13(stream<bid> bids, std::string side_input_path);
//! Writes nexmark's side input to `path`: `count` lines "i,i" for i in [0, count), as the
//! nexmark project's SideInputGenerator does (a number and its string). Throws spate::error
//! (errc::io) naming the path when it cannot be written.
void write_side_input(const std::string& path, int count = 10'000);
//! A side input file written once per process into the system's temporary directory (what
//! q13 reads when no file is given); its path.
const std::string& default_side_input();
//! q14, a calculation: prices in euros between 1 M and 50 M, the part of the
//! day, and the number of 'c' in extra.
stream<q14_result> q14(stream<bid> bids);
//! q15, bid statistics per day, emitted when the day ends in event time.
stream<daily_stats> q15(stream<bid> bids);
//! q16, bid statistics per channel and day.
stream<daily_stats> q16(stream<bid> bids);
//! q17, auction statistics per auction and day.
stream<q17_result> q17(stream<bid> bids);
//! q18, last bid per bidder and auction: every bid that is (so far) the
//! latest of its pair (SQL's deduplication keeping the last row).
stream<bid> q18(stream<bid> bids);
//! q19, top 10 bids per auction: every bid as it enters its auction's top 10
//! by price, with its rank then (SQL's Top-N insertions).
stream<q19_result> q19(stream<bid> bids);
//! q20, expanded bids: bids joined with their auction, category 10 only (an
//! incremental join on either side's arrival).
stream<q20_result> q20(stream<auction> auctions, stream<bid> bids);
//! q21, channel id: a known channel's number or the url's channel_id.
stream<q21_result> q21(stream<bid> bids);
//! q22, the first three directories of each bid's url.
stream<q22_result> q22(stream<bid> bids);

//! The queries this suite runs, in order ("q0", "q1", ...).
const std::vector<std::string>& query_names();

//! Builds `query` on the generator's events into a discard sink; q13 reads
//! `side_input_path` (default_side_input() when empty). Throws
//! spate::error(errc::invalid_argument) for an unknown query.
void build_query(environment& env, const std::string& query, const generator_config& config,
                 std::optional<std::int64_t> count, double wall_rate = 0,
                 const std::string& side_input_path = "");

} // namespace spate::nexmark
