#define BOOST_TEST_MODULE nexmark_generator
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"
#include "spate/nexmark/generator.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::nexmark;

namespace {

// Event n as the source makes it: its engine seeded from (seed, n).
event at(const generator_config& c, std::uint64_t n) {
  record_rng rng(generator_record_seed(c.seed, n));
  return make_event(c, n, rng);
}

bool same(const event& a, const event& b) {
  return a.type == b.type && a.new_person == b.new_person && a.new_auction == b.new_auction &&
         a.new_bid == b.new_bid;
}

// The record's size as the spec counts it (8 bytes per number), extra included.
std::size_t record_size(const event& e) {
  switch (e.type) {
    case event_type::person: {
      const person& p = e.new_person;
      return 8 + p.name.size() + p.email_address.size() + p.credit_card.size() + p.city.size() +
             p.state.size() + p.extra.size();
    }
    case event_type::auction: {
      const auction& a = e.new_auction;
      return 8 + a.item_name.size() + a.description.size() + 5 * 8 + a.extra.size();
    }
    default:
      return 4 * 8 + e.new_bid.extra.size();
  }
}

const std::string& extra_of(const event& e) {
  switch (e.type) {
    case event_type::person:
      return e.new_person.extra;
    case event_type::auction:
      return e.new_auction.extra;
    default:
      return e.new_bid.extra;
  }
}

bool lowercase(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; });
}

bool one_of(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options)
    if (s == o)
      return true;
  return false;
}

// Runs every poll of one subtask of the source to the end.
std::vector<event> drain(const source_spec<event>& spec, int subtask, int parallelism) {
  auto source = spec.factory();
  runtime_context ctx;
  ctx.task_name = spec.name;
  ctx.subtask = subtask;
  ctx.parallelism = parallelism;
  source->open(ctx);
  typed_batch<event> batch;
  collector<event> out(&batch);
  for (;;) {
    source_status s = source->poll(out, 64);
    if (s.kind == source_status::finished)
      break;
    if (s.kind == source_status::idle)
      std::this_thread::sleep_for(s.wait);
  }
  source->close();
  return std::move(batch.values);
}

// BOOST_CHECK_EXCEPTION predicate: an invalid_argument error naming `field`.
std::function<bool(const error&)> names(std::string field) {
  return [field](const error& e) {
    std::string what = e.what();
    bool ok = e.code() == errc::invalid_argument && what.find(field) != std::string::npos;
    if (!ok)
      BOOST_TEST_MESSAGE("unexpected error for " << field << ": " << what);
    return ok;
  };
}

} // namespace

BOOST_AUTO_TEST_CASE(mix_is_1_3_46_per_50_events) {
  generator_config c;
  BOOST_TEST(c.total_proportion() == 50);
  for (std::uint64_t epoch = 0; epoch < 200; ++epoch) {
    int counts[3] = {0, 0, 0};
    for (std::uint64_t k = 0; k < 50; ++k) {
      std::uint64_t n = epoch * 50 + k;
      event e = at(c, n);
      ++counts[static_cast<int>(e.type)];
      event_type expected = k < 1   ? event_type::person
                            : k < 4 ? event_type::auction
                                    : event_type::bid;
      BOOST_TEST((e.type == expected), "event " << n);
    }
    BOOST_TEST(counts[0] == 1);
    BOOST_TEST(counts[1] == 3);
    BOOST_TEST(counts[2] == 46);
  }
}

BOOST_AUTO_TEST_CASE(ids_follow_the_epochs_and_bids_reference_the_window) {
  generator_config c;
  std::int64_t last_person = -1, last_auction = -1; // absolute ids of the newest ones
  std::size_t bids = 0, bids_for_existing_auctions = 0;
  std::set<std::int64_t> categories;
  for (std::uint64_t n = 0; n < 120000; ++n) {
    event e = at(c, n);
    const auto epoch = static_cast<std::int64_t>(n / 50);
    if (e.type == event_type::person) {
      const std::int64_t id = e.new_person.id;
      BOOST_TEST((id >= first_person_id && id < first_person_id + epoch + 1), "event " << n);
      BOOST_TEST(id == (last_person < 0 ? first_person_id : last_person + 1), "event " << n);
      last_person = id;
    } else if (e.type == event_type::auction) {
      const auction& a = e.new_auction;
      BOOST_TEST((a.id >= first_auction_id && a.id < first_auction_id + 3 * epoch + 3),
                 "event " << n);
      BOOST_TEST(a.id == (last_auction < 0 ? first_auction_id : last_auction + 1), "event " << n);
      last_auction = a.id;
      BOOST_TEST(a.seller >= std::max(first_person_id, last_person + 1 - c.num_active_people),
                 "event " << n);
      BOOST_TEST(a.seller <= last_person + 10, "event " << n);
      BOOST_TEST(
          (a.category >= first_category_id && a.category < first_category_id + num_categories));
      categories.insert(a.category);
      BOOST_TEST(a.initial_bid >= 100);
      BOOST_TEST(a.initial_bid <= 100000000);
      BOOST_TEST(a.reserve >= a.initial_bid);
    } else {
      const bid& b = e.new_bid;
      ++bids;
      BOOST_TEST(b.auction >= std::max(first_auction_id, last_auction - c.num_in_flight_auctions),
                 "event " << n);
      BOOST_TEST(b.auction <= last_auction + 10, "event " << n);
      if (b.auction <= last_auction)
        ++bids_for_existing_auctions;
      BOOST_TEST(b.bidder >= std::max(first_person_id, last_person + 1 - c.num_active_people),
                 "event " << n);
      BOOST_TEST(b.bidder <= last_person + 10, "event " << n);
      BOOST_TEST(b.price >= 100);
      BOOST_TEST(b.price <= 100000000);
    }
  }
  BOOST_TEST(categories.size() == static_cast<std::size_t>(num_categories));
  // Leads are rare: nearly every bid names an auction that already exists.
  BOOST_TEST(bids_for_existing_auctions > bids * 9 / 10);
}

BOOST_AUTO_TEST_CASE(event_time_is_monotone_at_the_configured_rate) {
  generator_config c;
  BOOST_TEST(event_timestamp(c, 0) == c.base_time);
  BOOST_TEST(event_timestamp(c, 10000) - event_timestamp(c, 0) == 1000);
  BOOST_TEST(event_timestamp(c, 10) - event_timestamp(c, 0) == 1);
  timestamp previous = event_timestamp(c, 0);
  for (std::uint64_t n = 0; n < 20000; ++n) {
    event e = at(c, n);
    BOOST_TEST(e.date_time() == event_timestamp(c, n));
    BOOST_TEST(e.date_time() >= previous);
    previous = e.date_time();
    if (e.type == event_type::auction) {
      // Lengths average the time until 100 more auctions: 1666 events, 166 ms.
      BOOST_TEST(e.new_auction.expires > e.new_auction.date_time);
      BOOST_TEST(e.new_auction.expires <= e.new_auction.date_time + 2 * 166 + 1);
    }
  }
  generator_config slow;
  slow.events_per_second = 1000;
  BOOST_TEST(event_timestamp(slow, 1000) - event_timestamp(slow, 0) == 1000);
  BOOST_TEST(event_timestamp(slow, 1) - event_timestamp(slow, 0) == 1);
}

BOOST_AUTO_TEST_CASE(hot_auctions_bidders_sellers_and_channels) {
  generator_config c;
  c.seed = spate::test::test_seed("hot_auctions_bidders_sellers_and_channels");
  std::size_t bids = 0, hot_auction = 0, hot_bidder = 0, hot_channel = 0, with_channel_id = 0;
  std::size_t auctions = 0, hot_seller = 0;
  std::map<std::string, std::string> url_of_channel;
  for (std::uint64_t n = 1000000; n < 1100000; ++n) {
    event e = at(c, n);
    if (e.type == event_type::auction) {
      ++auctions;
      if ((e.new_auction.seller - first_person_id) % 100 == 0)
        ++hot_seller;
    }
    if (e.type != event_type::bid)
      continue;
    const bid& b = e.new_bid;
    ++bids;
    if ((b.auction - first_auction_id) % 100 == 0)
      ++hot_auction;
    if ((b.bidder - first_person_id) % 100 == 1)
      ++hot_bidder;
    BOOST_TEST(b.url.rfind("https://www.nexmark.com/", 0) == 0, b.url);
    auto known = url_of_channel.emplace(b.channel, b.url);
    BOOST_TEST(known.first->second == b.url, "channel " << b.channel);
    if (one_of(b.channel, {"Google", "Facebook", "Baidu", "Apple"})) {
      ++hot_channel;
      BOOST_TEST(b.url.find("channel_id") == std::string::npos, b.url);
    } else {
      BOOST_TEST_REQUIRE(b.channel.rfind("channel-", 0) == 0, b.channel);
      int number = std::stoi(b.channel.substr(8));
      BOOST_TEST((number >= 0 && number < 10000));
      auto at_param = b.url.find("&channel_id=");
      if (at_param != std::string::npos) {
        ++with_channel_id;
        std::string value = b.url.substr(at_param + 12);
        BOOST_TEST(!value.empty());
        BOOST_TEST(value.find_first_not_of("-0123456789") == std::string::npos, b.url);
      } else {
        BOOST_TEST(b.url.size() >= 16);
        BOOST_TEST(b.url.compare(b.url.size() - 16, 16, "item.htm?query=1") == 0, b.url);
      }
    }
  }
  const double auction_share = double(hot_auction) / double(bids);
  const double bidder_share = double(hot_bidder) / double(bids);
  const double seller_share = double(hot_seller) / double(auctions);
  const double channel_share = double(hot_channel) / double(bids);
  const double channel_id_share = double(with_channel_id) / double(bids - hot_channel);
  BOOST_TEST_MESSAGE("hot auctions " << auction_share << ", hot bidders " << bidder_share
                                     << ", hot sellers " << seller_share << ", hot channels "
                                     << channel_share << ", channel ids " << channel_id_share);
  // 1 - 1/2 of the bids go to the hot auction (plus the random ones that land
  // on a multiple of 100), 1 - 1/4 to the hot bidder, 1 - 1/4 of the auctions
  // to the hot seller, half the bids to a hot channel, nine in ten other
  // channel urls carry the channel id. Bounds are many standard deviations wide.
  BOOST_TEST((auction_share > 0.48 && auction_share < 0.54), "seed " << c.seed);
  BOOST_TEST((bidder_share > 0.73 && bidder_share < 0.78), "seed " << c.seed);
  BOOST_TEST((seller_share > 0.70 && seller_share < 0.80), "seed " << c.seed);
  BOOST_TEST((channel_share > 0.48 && channel_share < 0.52), "seed " << c.seed);
  BOOST_TEST((channel_id_share > 0.85 && channel_id_share < 0.95), "seed " << c.seed);
}

BOOST_AUTO_TEST_CASE(records_average_their_byte_sizes) {
  generator_config c;
  double total[3] = {0, 0, 0};
  std::size_t count[3] = {0, 0, 0};
  for (std::uint64_t n = 0; n < 10000; ++n) {
    event e = at(c, n);
    const int k = static_cast<int>(e.type);
    total[k] += static_cast<double>(record_size(e));
    ++count[k];
    BOOST_TEST(lowercase(extra_of(e)), "event " << n);
  }
  const double averages[3] = {200, 500, 100};
  for (int k = 0; k < 3; ++k) {
    BOOST_TEST_REQUIRE(count[k] > 0u);
    const double mean = total[k] / double(count[k]);
    BOOST_TEST_MESSAGE("kind " << k << ": mean size " << mean << " over " << count[k]);
    BOOST_TEST(std::abs(mean - averages[k]) < 0.03 * averages[k], "kind " << k << " mean " << mean);
  }
}

BOOST_AUTO_TEST_CASE(padding_letters_are_uniform_and_independent) {
  generator_config c;
  c.seed = spate::test::test_seed("padding_letters_are_uniform_and_independent");
  std::vector<double> letters(26, 0), pairs(26 * 26, 0);
  double total = 0, total_pairs = 0;
  for (std::uint64_t n = 0; n < 20000; ++n) {
    const event e = at(c, n);
    const std::string& extra = extra_of(e);
    for (std::size_t i = 0; i < extra.size(); ++i) {
      letters[static_cast<std::size_t>(extra[i] - 'a')] += 1;
      total += 1;
      if (i > 0) {
        pairs[static_cast<std::size_t>((extra[i - 1] - 'a') * 26 + (extra[i] - 'a'))] += 1;
        total_pairs += 1;
      }
    }
  }
  BOOST_TEST_REQUIRE(total > 1e6);
  // About 67,000 of each letter (a standard deviation of 0.4 %) and 2,600 of
  // each pair (2 %): the bounds are five or more deviations wide.
  for (std::size_t k = 0; k < 26; ++k) {
    const double share = letters[k] / total * 26;
    BOOST_TEST((share > 0.98 && share < 1.02), "letter " << char('a' + k) << " share " << share);
  }
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const double share = pairs[k] / total_pairs * 26 * 26;
    BOOST_TEST((share > 0.88 && share < 1.12),
               "pair " << char('a' + k / 26) << char('a' + k % 26) << " share " << share);
  }
}

BOOST_AUTO_TEST_CASE(the_source_generator_makes_the_events_make_event_makes) {
  // event_generator keeps the channel urls in a table and builds them again
  // from it; make_event draws them every time.
  for (std::int64_t group : {1, 7}) {
    generator_config c;
    c.seed = spate::test::test_seed(
        "the_source_generator_makes_the_events_make_event_makes group " + std::to_string(group));
    c.out_of_order_group_size = group;
    event_generator gen(c);
    for (std::uint64_t n = 0; n < 50000; ++n) {
      record_rng rng(generator_record_seed(c.seed, n));
      event e;
      gen.fill_in(n, rng, e);
      BOOST_TEST_REQUIRE(same(e, at(c, n)), "event " << n << " group " << group);
    }
  }
}

BOOST_AUTO_TEST_CASE(person_and_auction_strings_follow_the_spec) {
  generator_config c;
  for (std::uint64_t n = 0; n < 5000; ++n) {
    event e = at(c, n);
    if (e.type == event_type::person) {
      const person& p = e.new_person;
      BOOST_TEST(one_of(p.state, {"AZ", "CA", "ID", "OR", "WA", "WY"}), p.state);
      BOOST_TEST(one_of(p.city, {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
                                 "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}),
                 p.city);
      auto space = p.name.find(' ');
      BOOST_TEST_REQUIRE(space != std::string::npos);
      BOOST_TEST(one_of(p.name.substr(0, space), {"Peter", "Paul", "Luke", "John", "Saul", "Vicky",
                                                  "Kate", "Julie", "Sarah", "Deiter", "Walter"}),
                 p.name);
      BOOST_TEST(one_of(p.name.substr(space + 1), {"Shultz", "Abrams", "Spencer", "White",
                                                   "Bartels", "Walton", "Smith", "Jones", "Noris"}),
                 p.name);
      auto at_sign = p.email_address.find('@');
      BOOST_TEST_REQUIRE(at_sign != std::string::npos, p.email_address);
      BOOST_TEST(p.email_address.size() >= 4);
      BOOST_TEST(p.email_address.compare(p.email_address.size() - 4, 4, ".com") == 0);
      BOOST_TEST(p.email_address.front() != ' ');
      BOOST_TEST(p.email_address[at_sign - (at_sign > 0 ? 1 : 0)] != ' ');
      BOOST_TEST_REQUIRE(p.credit_card.size() == 19u, p.credit_card);
      for (std::size_t i = 0; i < 19; ++i)
        BOOST_TEST((i % 5 == 4 ? p.credit_card[i] == ' '
                               : (p.credit_card[i] >= '0' && p.credit_card[i] <= '9')),
                   p.credit_card);
    } else if (e.type == event_type::auction) {
      const auction& a = e.new_auction;
      BOOST_TEST(a.item_name.size() <= 19u);
      BOOST_TEST(a.description.size() <= 99u);
      for (const std::string* s : {&a.item_name, &a.description})
        if (!s->empty()) {
          BOOST_TEST(s->front() != ' ');
          BOOST_TEST(s->back() != ' ');
        }
    }
  }
}

BOOST_AUTO_TEST_CASE(same_number_same_event) {
  generator_config c;
  for (std::uint64_t n : {0ull, 1ull, 2ull, 4ull, 49ull, 50ull, 12345ull, 999999937ull}) {
    event a = at(c, n), b = at(c, n);
    BOOST_TEST(same(a, b), "event " << n);
  }
  // The seed matters.
  generator_config other = c;
  other.seed = c.seed + 1;
  std::size_t differing = 0;
  for (std::uint64_t n = 0; n < 100; ++n)
    differing += same(at(c, n), at(other, n)) ? 0 : 1;
  BOOST_TEST(differing == 100u);
}

BOOST_AUTO_TEST_CASE(source_emits_the_same_events_at_any_parallelism) {
  generator_config c;
  c.seed = 9;
  auto spec = nexmark_source(c, 700);
  BOOST_TEST(spec.name == "Nexmark Source");
  for (int parallelism : {1, 3}) {
    std::vector<event> all;
    for (int s = 0; s < parallelism; ++s) {
      auto part = drain(spec, s, parallelism);
      all.insert(all.end(), std::make_move_iterator(part.begin()),
                 std::make_move_iterator(part.end()));
    }
    BOOST_TEST_REQUIRE(all.size() == 700u, "parallelism " << parallelism);
    // Events carry distinct (time, kind, id-ish) content; match each to its number.
    std::vector<bool> seen(700, false);
    for (const event& e : all) {
      bool matched = false;
      const auto near = static_cast<std::uint64_t>(e.date_time() - c.base_time) * 10;
      for (std::uint64_t n = near; n < std::min<std::uint64_t>(near + 10, 700); ++n)
        if (!seen[n] && same(e, at(c, n))) {
          seen[n] = matched = true;
          break;
        }
      BOOST_TEST(matched, "parallelism " << parallelism);
    }
  }
}

BOOST_AUTO_TEST_CASE(out_of_order_groups_permute_times_within_groups) {
  generator_config in_order;
  generator_config shuffled;
  shuffled.out_of_order_group_size = 10;
  shuffled.events_per_second = 1000; // one ms per event: every time is distinct
  in_order.events_per_second = 1000;
  std::size_t unsorted_groups = 0;
  std::set<std::int64_t> person_ids;
  for (std::uint64_t group = 0; group < 500; ++group) {
    std::vector<timestamp> expected, got;
    for (std::uint64_t k = 0; k < 10; ++k) {
      const std::uint64_t n = group * 10 + k;
      expected.push_back(event_timestamp(in_order, n));
      event e = at(shuffled, n);
      BOOST_TEST(e.date_time() == event_timestamp(shuffled, n));
      got.push_back(e.date_time());
      if (e.type == event_type::person)
        BOOST_TEST(person_ids.insert(e.new_person.id).second, "person " << e.new_person.id);
    }
    if (!std::is_sorted(got.begin(), got.end()))
      ++unsorted_groups;
    std::vector<timestamp> sorted = got;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST(sorted == expected, "group " << group);
  }
  BOOST_TEST(unsorted_groups == 500u);
  // The same people appear, in shuffled order: one per 50 events.
  BOOST_TEST(person_ids.size() == 100u);
  BOOST_TEST(*person_ids.begin() == first_person_id);
  BOOST_TEST(*person_ids.rbegin() == first_person_id + 99);
}

BOOST_AUTO_TEST_CASE(validate_rejects_nonsense_naming_the_field) {
  BOOST_CHECK_NO_THROW(generator_config{}.validate());
  struct bad_case {
    std::string field;
    std::function<void(generator_config&)> change;
  };
  const std::vector<bad_case> cases = {
      {"events_per_second", [](generator_config& c) { c.events_per_second = 0; }},
      {"events_per_second", [](generator_config& c) { c.events_per_second = -5; }},
      {"events_per_second",
       [](generator_config& c) { c.events_per_second = std::numeric_limits<double>::quiet_NaN(); }},
      {"events_per_second",
       [](generator_config& c) { c.events_per_second = std::numeric_limits<double>::infinity(); }},
      {"out_of_order_group_size", [](generator_config& c) { c.out_of_order_group_size = 0; }},
      {"out_of_order_group_size", [](generator_config& c) { c.out_of_order_group_size = -3; }},
      {"out_of_order_group_size", [](generator_config& c) { c.out_of_order_group_size = 953; }},
      {"person_proportion", [](generator_config& c) { c.person_proportion = -1; }},
      {"auction_proportion", [](generator_config& c) { c.auction_proportion = -1; }},
      {"bid_proportion", [](generator_config& c) { c.bid_proportion = -1; }},
      {"proportion",
       [](generator_config& c) {
         c.person_proportion = c.auction_proportion = c.bid_proportion = 0;
       }},
      {"num_active_people", [](generator_config& c) { c.num_active_people = 0; }},
      {"num_in_flight_auctions", [](generator_config& c) { c.num_in_flight_auctions = 0; }},
      {"hot_auction_ratio", [](generator_config& c) { c.hot_auction_ratio = 0; }},
      {"hot_seller_ratio", [](generator_config& c) { c.hot_seller_ratio = 0; }},
      {"hot_bidder_ratio", [](generator_config& c) { c.hot_bidder_ratio = -1; }},
      {"avg_person_byte_size", [](generator_config& c) { c.avg_person_byte_size = -1; }},
      {"avg_auction_byte_size", [](generator_config& c) { c.avg_auction_byte_size = -1; }},
      {"avg_bid_byte_size", [](generator_config& c) { c.avg_bid_byte_size = -1; }},
  };
  for (const auto& bad : cases) {
    generator_config c;
    bad.change(c);
    BOOST_CHECK_EXCEPTION(c.validate(), error, names(bad.field));
    BOOST_CHECK_EXCEPTION(nexmark_source(c, 10), error, names(bad.field));
  }
  BOOST_CHECK_EXCEPTION(nexmark_source(generator_config{}, -1), error, names("count"));
  BOOST_CHECK_EXCEPTION(nexmark_source(generator_config{}, 10, -1), error, names("wall_rate"));
  // Zero proportions for one kind are fine: only bids.
  generator_config bids_only;
  bids_only.person_proportion = bids_only.auction_proportion = 0;
  BOOST_CHECK_NO_THROW(bids_only.validate());
  for (std::uint64_t n = 0; n < 100; ++n)
    BOOST_TEST((at(bids_only, n).type == event_type::bid));
}
