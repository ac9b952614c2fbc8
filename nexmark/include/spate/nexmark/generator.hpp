// The Nexmark event generator. It follows the generator of Apache Beam's
// Nexmark suite as the nexmark project (nexmark-flink) extends it: the same
// person/auction/bid mix per epoch of total_proportion events, the same id
// arithmetic (lastBase0*/nextBase0* with 10 ids of lead, 1000 active people,
// 100 in-flight auctions), hot auctions/sellers/bidders, prices
// round(10^(6u) * 100), auction lengths from the in-flight horizon, strings
// (names, cities, states, e-mails, credit cards, items, descriptions), bid
// channels and urls (four hot channels, else "channel-N" whose url mostly
// carries "&channel_id=") and records padded to their average byte size.
// Event time advances by 1e6 / events_per_second µs per event, shuffled
// within out-of-order groups as Beam's nextAdjustedEventNumber does.
// Differences: random draws come from spate::record_rng seeded per event
// (so values differ from Java's), there is one timeline over all subtasks
// (event numbers are global), hot urls and channel urls are derived from the
// seed rather than drawn once per JVM, and a bid's bidder gets the person id
// offset once (nexmark-flink adds it twice, pointing bids at missing people).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "spate/api/functions.hpp"
#include "spate/core/random.hpp"
#include "spate/core/types.hpp"
#include "spate/nexmark/model.hpp"

namespace spate::nexmark {

struct generator_config {
  std::uint64_t seed = 42;
  //! Event time of event 0, ms since the epoch (fixed default so runs repeat:
  //! 2015-07-15 00:00:00 UTC).
  timestamp base_time = 1436918400000;
  //! Events per second of event time (the spec's first event rate), over all
  //! generator subtasks.
  double events_per_second = 10000;
  //! Out-of-order: events are emitted in groups of this size with shuffled
  //! event times (1 = in order), as Beam's outOfOrderGroupSize.
  std::int64_t out_of_order_group_size = 1;
  int person_proportion = 1, auction_proportion = 3, bid_proportion = 46;
  int num_active_people = 1000, num_in_flight_auctions = 100;
  int hot_auction_ratio = 2, hot_seller_ratio = 4, hot_bidder_ratio = 4;
  int avg_person_byte_size = 200, avg_auction_byte_size = 500, avg_bid_byte_size = 100;

  //! person + auction + bid proportions (events per epoch).
  int total_proportion() const { return person_proportion + auction_proportion + bid_proportion; }
  //! Throws spate::error(errc::invalid_argument, naming the field) for
  //! nonsense values: a rate that is not a positive finite number, a group
  //! size below 1 (or a multiple of 953, which would give a whole group one
  //! time and repeat ids), negative proportions or all of them 0, fewer than
  //! one active person or in-flight auction, hot ratios below 1, negative
  //! average sizes.
  void validate() const;
};

constexpr std::int64_t first_person_id = 1000, first_auction_id = 1000, first_category_id = 10,
                       num_categories = 5;

//! Event number n (from 0); deterministic in (config, n, rng state). rng is
//! seeded by the caller from (seed, n). With out-of-order groups, event n is
//! the event Beam numbers adjusted(n) (kind, ids and time), so a group holds
//! the same events as in order, shuffled. The config must be valid.
event make_event(const generator_config& c, std::uint64_t n, record_rng& rng);

class url_table;

//! make_event() with the channel urls built once (what the source uses; the
//! same events, faster). Cheap to copy: the url table is shared.
class event_generator {
public:
  explicit event_generator(generator_config c);
  //! Event n (as make_event), written into a default-constructed `out`.
  void fill_in(std::uint64_t n, record_rng& rng, event& out) const;

private:
  generator_config config_;
  std::shared_ptr<const url_table> urls_;
};

//! Event time of event n (ms), with the out-of-order adjustment.
timestamp event_timestamp(const generator_config& c, std::uint64_t n);

//! The event number whose content and time event n carries: n itself for a
//! group size of 1, else a permutation of n's group (Beam's
//! nextAdjustedEventNumber).
std::uint64_t adjusted_event_number(const generator_config& c, std::uint64_t n);

//! A source of `count` events (nullopt: unbounded), paced to `wall_rate`
//! events/s of wall time (0: as fast as possible), built on
//! generator_source<event> so it is replayable from a checkpoint position and
//! deterministic at any parallelism. Named "Nexmark Source". Throws
//! spate::error(errc::invalid_argument) for an invalid config, a negative
//! count or a negative wall_rate.
source_spec<event> nexmark_source(generator_config c, std::optional<std::int64_t> count,
                                  double wall_rate = 0);

} // namespace spate::nexmark
