// The Nexmark generator: see generator.hpp for what it follows. Every helper
// writes into the record it fills, so an event costs only the strings it
// carries.
#include "spate/nexmark/generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "generator_common.hpp"
#include "url_table.hpp"

namespace spate::nexmark {

using namespace generator_detail;

namespace {

// Ids handed out ahead of the last one generated (so some bids and auctions
// name people and auctions that appear a little later).
constexpr std::int64_t person_id_lead = 10;
constexpr std::int64_t auction_id_lead = 10;
// Hot auctions, sellers and bidders are the first of each block of this many ids.
constexpr std::int64_t hot_block = 100;
// Half of the bids come through one of the hot channels.
constexpr std::int64_t hot_channel_ratio = 2;
// Random words are at least this long (before trimming spaces).
constexpr std::int64_t min_word_length = 3;

// Field sizes the spec counts as 8 bytes each (ids, prices, times).
constexpr int long_size = 8;

constexpr std::string_view us_states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::string_view us_cities[] = {"Phoenix",  "Los Angeles", "San Francisco", "Boise",
                                          "Portland", "Bend",        "Redmond",       "Seattle",
                                          "Kent",     "Cheyenne"};
constexpr std::string_view first_names[] = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                            "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::string_view last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                           "Walton", "Smith",  "Jones",   "Noris"};
constexpr std::string_view channel_prefix = "channel-";

template <std::size_t N>
std::string_view pick(record_rng& rng, const std::string_view (&from)[N]) {
  return from[below(rng, static_cast<std::int64_t>(N))];
}

} // namespace

void generator_detail::append_word(record_rng& engine, std::int64_t max_length, char special,
                                   std::string& out) {
  const std::size_t start = out.size();
  const auto len =
      static_cast<std::size_t>(min_word_length + below(engine, max_length - min_word_length));
  out.resize(start + len);
  char* p = out.data() + start;
  // A local copy: stores through char* could alias the engine's state.
  record_rng rng = engine;
  std::uint64_t r = 0;
  for (std::size_t i = 0; i < len; ++i) {
    // 32 random bits per character, two characters per draw: 16 bits decide
    // special or letter, 16 pick the letter (biases below 1e-3).
    if (i % 2 == 0)
      r = rng();
    else
      r >>= 32;
    const std::uint64_t choose = (r >> 16) & 0xffff, letter = r & 0xffff;
    p[i] = ((choose * 13) >> 16) == 0 ? special : static_cast<char>('a' + ((letter * 26) >> 16));
  }
  engine = rng;
  if (special != ' ')
    return;
  while (out.size() > start && out.back() == ' ')
    out.pop_back();
  std::size_t first = start;
  while (first < out.size() && out[first] == ' ')
    ++first;
  if (first > start)
    out.erase(start, first - start);
}

namespace {

// Overwrites `out` with exactly `length` random lowercase letters. Each
// letter is (w * 26) >> 16 for a random 16-bit w, four to a 64-bit draw (a
// bias below 26 / 65536 between letters). The draws go to a buffer first and
// the letters come from it in a loop the compiler vectorises (a high-half
// 16-bit multiply, eight or sixteen letters an instruction).
void fill_letters(record_rng& engine, std::size_t length, std::string& out) {
  out.resize(length);
  char* p = out.data();
  // A local copy: stores through char* could alias the engine's state.
  record_rng rng = engine;
  constexpr std::size_t chunk = 256; // letters per pass
  std::uint16_t words[chunk];
  for (std::size_t done = 0; done < length; done += chunk) {
    const std::size_t n = std::min(chunk, length - done);
    for (std::size_t k = 0; k < n; k += 4) {
      const std::uint64_t r = rng();
      std::memcpy(words + k, &r, sizeof(r));
    }
    char* dst = p + done;
    for (std::size_t k = 0; k < n; ++k)
      dst[k] = static_cast<char>('a' + ((static_cast<std::uint32_t>(words[k]) * 26u) >> 16));
  }
  engine = rng;
}

// Pads a record of `current_size` bytes towards `average_size` on average:
// the padding is uniform within ±20% of the gap (StringsGenerator.nextExtra).
void fill_extra(record_rng& rng, int current_size, int average_size, std::string& out) {
  if (current_size > average_size)
    return;
  const std::int64_t gap = average_size - current_size;
  const auto delta = static_cast<std::int64_t>(std::floor(static_cast<double>(gap) * 0.2 + 0.5));
  const std::int64_t length = gap - delta + (delta == 0 ? 0 : below(rng, 2 * delta));
  fill_letters(rng, static_cast<std::size_t>(length), out);
}

// A price in cents, log-uniform between 1.00 and 1,000,000.00.
std::int64_t next_price(record_rng& rng) {
  // 10^(6u) as 2^(6u log2 10): exp2 is several times cheaper than pow.
  constexpr double log2_of_10 = 3.321928094887362;
  return static_cast<std::int64_t>(
      std::floor(std::exp2(rng.uniform() * (6.0 * log2_of_10)) * 100.0 + 0.5));
}

std::int64_t total_of(const generator_config& c) { return c.total_proportion(); }

// The last person id (base 0) generated at or before event id `id`: the
// current one when `id` is a person event.
std::int64_t last_base0_person_id(const generator_config& c, std::int64_t id) {
  const std::int64_t total = total_of(c);
  const std::int64_t epoch = id / total;
  std::int64_t offset = id % total;
  if (offset >= c.person_proportion)
    offset = c.person_proportion - 1;
  return epoch * c.person_proportion + offset;
}

// The last auction id (base 0) generated at or before event id `id`.
std::int64_t last_base0_auction_id(const generator_config& c, std::int64_t id) {
  const std::int64_t total = total_of(c);
  std::int64_t epoch = id / total;
  std::int64_t offset = id % total;
  if (offset < c.person_proportion) {
    // A person event: the last auction is the previous epoch's last.
    --epoch;
    offset = c.auction_proportion - 1;
  } else if (offset >= c.person_proportion + c.auction_proportion) {
    // A bid event: the last auction is this epoch's last.
    offset = c.auction_proportion - 1;
  } else {
    offset -= c.person_proportion;
  }
  return epoch * c.auction_proportion + offset;
}

// A random one of the active people (base 0), or one up to person_id_lead
// ids ahead of the last.
std::int64_t next_base0_person_id(const generator_config& c, std::int64_t id, record_rng& rng) {
  const std::int64_t people = last_base0_person_id(c, id) + 1;
  const std::int64_t active = std::min<std::int64_t>(people, c.num_active_people);
  return people - active + below(rng, active + person_id_lead);
}

// A random one of the auctions likely in flight (base 0), or one up to
// auction_id_lead ids ahead of the last.
std::int64_t next_base0_auction_id(const generator_config& c, std::int64_t id, record_rng& rng) {
  const std::int64_t last = last_base0_auction_id(c, id);
  const std::int64_t first = std::max<std::int64_t>(last - c.num_in_flight_auctions, 0);
  return first + below(rng, last - first + 1 + auction_id_lead);
}

// Event time of Beam event number `number`.
timestamp time_of(const generator_config& c, std::int64_t number) {
  const double delay_us = 1e6 / c.events_per_second;
  return c.base_time + static_cast<std::int64_t>(static_cast<double>(number) * delay_us) / 1000;
}

// Random auction length (ms) averaging the time until num_in_flight_auctions
// more auctions have been generated.
std::int64_t auction_length_ms(const generator_config& c, std::int64_t id, timestamp now,
                               record_rng& rng) {
  const std::int64_t events_ahead =
      static_cast<std::int64_t>(c.num_in_flight_auctions) * total_of(c) / c.auction_proportion;
  const std::int64_t horizon = time_of(c, id + events_ahead) - now;
  return 1 + below(rng, std::max<std::int64_t>(horizon * 2, 1));
}

void fill_person(const generator_config& c, std::int64_t id, timestamp now, record_rng& rng,
                 person& p) {
  p.id = first_person_id + last_base0_person_id(c, id);

  const std::string_view first = pick(rng, first_names), last = pick(rng, last_names);
  p.name.reserve(first.size() + 1 + last.size());
  append(p.name, first);
  p.name.push_back(' ');
  append(p.name, last);

  p.email_address.reserve(6 + 1 + 4 + 4);
  append_word(rng, 7, ' ', p.email_address);
  p.email_address.push_back('@');
  append_word(rng, 5, ' ', p.email_address);
  append(p.email_address, ".com");

  // Four groups of four digits separated by spaces.
  p.credit_card.assign(19, ' ');
  for (int g = 0; g < 4; ++g) {
    auto v = below(rng, 10000);
    char* digits = p.credit_card.data() + g * 5;
    for (int k = 3; k >= 0; --k, v /= 10)
      digits[k] = static_cast<char>('0' + v % 10);
  }

  const std::string_view city = pick(rng, us_cities), state = pick(rng, us_states);
  p.city.assign(city.data(), city.size());
  p.state.assign(state.data(), state.size());
  p.date_time = now;

  const auto size = static_cast<int>(long_size + p.name.size() + p.email_address.size() +
                                     p.credit_card.size() + p.city.size() + p.state.size());
  fill_extra(rng, size, c.avg_person_byte_size, p.extra);
}

void fill_auction(const generator_config& c, std::int64_t id, timestamp now, record_rng& rng,
                  auction& a) {
  a.id = first_auction_id + last_base0_auction_id(c, id);
  // P(hot seller) = 1 - 1/hot_seller_ratio.
  if (below(rng, c.hot_seller_ratio) > 0)
    a.seller = (last_base0_person_id(c, id) / hot_block) * hot_block;
  else
    a.seller = next_base0_person_id(c, id, rng);
  a.seller += first_person_id;
  a.category = first_category_id + below(rng, num_categories);
  a.initial_bid = next_price(rng);
  a.date_time = now;
  a.expires = now + auction_length_ms(c, id, now, rng);
  a.item_name.reserve(19);
  append_word(rng, 20, ' ', a.item_name);
  a.description.reserve(99);
  append_word(rng, 100, ' ', a.description);
  a.reserve = a.initial_bid + next_price(rng);
  const auto size =
      static_cast<int>(long_size + a.item_name.size() + a.description.size() + 5 * long_size);
  fill_extra(rng, size, c.avg_auction_byte_size, a.extra);
}

void fill_bid(const generator_config& c, std::int64_t id, timestamp now, record_rng& rng,
              const url_table* urls, bid& b) {
  // The channel is drawn first, so that its url's entry in the table is on
  // its way into the cache while the rest of the bid is drawn. Half of the
  // bids come through a hot channel.
  const bool hot_channel = below(rng, hot_channel_ratio) > 0;
  const std::int64_t channel = below(rng, hot_channel ? size_of(hot_channels) : num_channels);
  if (urls && !hot_channel)
    urls->prefetch(channel);

  // P(hot auction) = 1 - 1/hot_auction_ratio.
  if (below(rng, c.hot_auction_ratio) > 0)
    b.auction = (last_base0_auction_id(c, id) / hot_block) * hot_block;
  else
    b.auction = next_base0_auction_id(c, id, rng);
  b.auction += first_auction_id;
  // P(hot bidder) = 1 - 1/hot_bidder_ratio; hot bidders are the second person
  // of a block so that they differ from the hot sellers.
  if (below(rng, c.hot_bidder_ratio) > 0)
    b.bidder = (last_base0_person_id(c, id) / hot_block) * hot_block + 1;
  else
    b.bidder = next_base0_person_id(c, id, rng);
  b.bidder += first_person_id;
  b.price = next_price(rng);
  b.date_time = now;

  if (hot_channel) {
    b.channel.assign(hot_channels[channel].data(), hot_channels[channel].size());
    if (urls)
      b.url = urls->hot(channel);
    else
      fill_hot_url(c.seed, channel, b.url);
  } else {
    append(b.channel, channel_prefix);
    append_number(b.channel, channel);
    if (urls)
      urls->channel(channel, b.url);
    else
      fill_channel_url(c.seed, channel, b.url);
  }
  fill_extra(rng, 4 * long_size, c.avg_bid_byte_size, b.extra);
}

} // namespace

std::uint64_t adjusted_event_number(const generator_config& c, std::uint64_t n) {
  const auto group = static_cast<std::uint64_t>(c.out_of_order_group_size);
  if (group <= 1)
    return n;
  const std::uint64_t base = n / group * group;
  const auto offset = static_cast<std::uint64_t>(static_cast<unsigned __int128>(n % group) *
                                                 (shuffle_prime % group) % group);
  return base + offset;
}

timestamp event_timestamp(const generator_config& c, std::uint64_t n) {
  return time_of(c, static_cast<std::int64_t>(adjusted_event_number(c, n)));
}

namespace {

void fill(const generator_config& c, std::uint64_t n, record_rng& rng, const url_table* urls,
          event& e) {
  const auto id = static_cast<std::int64_t>(adjusted_event_number(c, n));
  const timestamp now = time_of(c, id);
  const std::int64_t offset = id % total_of(c);
  if (offset < c.person_proportion) {
    e.type = event_type::person;
    fill_person(c, id, now, rng, e.new_person);
  } else if (offset < c.person_proportion + c.auction_proportion) {
    e.type = event_type::auction;
    fill_auction(c, id, now, rng, e.new_auction);
  } else {
    e.type = event_type::bid;
    fill_bid(c, id, now, rng, urls, e.new_bid);
  }
}

} // namespace

event make_event(const generator_config& c, std::uint64_t n, record_rng& rng) {
  event e;
  fill(c, n, rng, nullptr, e);
  return e;
}

event_generator::event_generator(generator_config c)
    : config_(c), urls_(std::make_shared<const url_table>(c.seed)) {}

void event_generator::fill_in(std::uint64_t n, record_rng& rng, event& out) const {
  fill(config_, n, rng, urls_.get(), out);
}

} // namespace spate::nexmark
