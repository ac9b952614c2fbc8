// The Nexmark generator's configuration checks and its source.
#include "spate/nexmark/generator.hpp"

#include <climits>
#include <cmath>
#include <string>

#include "generator_common.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"

namespace spate::nexmark {

using namespace generator_detail;

namespace {

[[noreturn]] void invalid(const char* field, const std::string& rule, const std::string& got) {
  throw error(errc::invalid_argument,
              std::string("nexmark generator: ") + field + " " + rule + " (got " + got + ")");
}

void require_at_least(const char* field, std::int64_t value, std::int64_t minimum) {
  if (value < minimum)
    invalid(field, "must be at least " + std::to_string(minimum), std::to_string(value));
}

} // namespace

void generator_config::validate() const {
  if (!(events_per_second > 0) || !std::isfinite(events_per_second))
    invalid("events_per_second", "must be a positive number", std::to_string(events_per_second));
  require_at_least("out_of_order_group_size", out_of_order_group_size, 1);
  if (out_of_order_group_size % static_cast<std::int64_t>(shuffle_prime) == 0)
    invalid("out_of_order_group_size", "must not be a multiple of 953 (its shuffle degenerates)",
            std::to_string(out_of_order_group_size));
  require_at_least("person_proportion", person_proportion, 0);
  require_at_least("auction_proportion", auction_proportion, 0);
  require_at_least("bid_proportion", bid_proportion, 0);
  const std::int64_t total =
      static_cast<std::int64_t>(person_proportion) + auction_proportion + bid_proportion;
  if (total == 0)
    invalid("person_proportion + auction_proportion + bid_proportion", "must be positive", "0");
  if (total > INT_MAX)
    invalid("person_proportion + auction_proportion + bid_proportion", "is too large",
            std::to_string(total));
  require_at_least("num_active_people", num_active_people, 1);
  require_at_least("num_in_flight_auctions", num_in_flight_auctions, 1);
  require_at_least("hot_auction_ratio", hot_auction_ratio, 1);
  require_at_least("hot_seller_ratio", hot_seller_ratio, 1);
  require_at_least("hot_bidder_ratio", hot_bidder_ratio, 1);
  require_at_least("avg_person_byte_size", avg_person_byte_size, 0);
  require_at_least("avg_auction_byte_size", avg_auction_byte_size, 0);
  require_at_least("avg_bid_byte_size", avg_bid_byte_size, 0);
}

source_spec<event> nexmark_source(generator_config c, std::optional<std::int64_t> count,
                                  double wall_rate) {
  c.validate();
  if (count && *count < 0)
    invalid("count", "must not be negative", std::to_string(*count));
  if (!(wall_rate >= 0) || !std::isfinite(wall_rate))
    invalid("wall_rate", "must be 0 (unlimited) or a positive number", std::to_string(wall_rate));
  generator_options options;
  options.seed = c.seed;
  options.count = count;
  options.rate = wall_rate;
  event_generator gen(c);
  return generator_source_in_place<event>(
      options,
      [gen](std::uint64_t seq, record_rng& rng, event& out) { gen.fill_in(seq, rng, out); },
      "Nexmark Source");
}

} // namespace spate::nexmark
