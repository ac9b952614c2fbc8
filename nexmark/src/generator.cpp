// The Nexmark generator: see generator.hpp for what it follows. Every helper
// writes into the record it fills, so an event costs only the strings it
// carries.
#include "spate/nexmark/generator.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"
#include "spate/core/hash.hpp"

namespace spate::nexmark {

namespace {

// Ids handed out ahead of the last one generated (so some bids and auctions
// name people and auctions that appear a little later).
constexpr std::int64_t person_id_lead = 10;
constexpr std::int64_t auction_id_lead = 10;
// Hot auctions, sellers and bidders are the first of each block of this many ids.
constexpr std::int64_t hot_block = 100;
// Half of the bids come through one of the hot channels.
constexpr std::int64_t hot_channel_ratio = 2;
constexpr std::int64_t num_channels = 10000;
// One channel url in this many has no channel_id parameter.
constexpr std::int64_t channel_without_id_ratio = 10;
// Random words are at least this long (before trimming spaces).
constexpr std::int64_t min_word_length = 3;
// Beam's out-of-order shuffle multiplies by this prime.
constexpr std::uint64_t shuffle_prime = 953;

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
constexpr std::string_view hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};
constexpr std::string_view url_prefix = "https://www.nexmark.com/";
constexpr std::string_view url_suffix = "item.htm?query=1";
constexpr std::string_view channel_id_parameter = "&channel_id=";
constexpr std::string_view channel_prefix = "channel-";

template <class T, std::size_t N>
constexpr std::int64_t size_of(const T (&)[N]) {
  return static_cast<std::int64_t>(N);
}

// Salts that keep the engines of hot urls and channel urls apart from the
// per-event engines.
constexpr std::uint64_t hot_url_salt = 0x6e65786d61726b31ull;
constexpr std::uint64_t channel_url_salt = 0x6e65786d61726b32ull;

// A uniform integer in [0, n), n > 0 (Lemire's multiply-and-reject).
std::int64_t below(record_rng& rng, std::int64_t n) {
  const auto range = static_cast<std::uint64_t>(n);
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * range;
  auto low = static_cast<std::uint64_t>(m);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * range;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::int64_t>(m >> 64);
}

template <std::size_t N>
std::string_view pick(record_rng& rng, const std::string_view (&from)[N]) {
  return from[below(rng, static_cast<std::int64_t>(N))];
}

void append(std::string& out, std::string_view s) { out.append(s.data(), s.size()); }

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

// Appends a word of min_word_length to max_length - 1 characters: lowercase
// letters with one in 13 replaced by `special`; a space special is trimmed
// from both ends of the word (StringsGenerator.nextString).
void append_word(record_rng& engine, std::int64_t max_length, char special, std::string& out) {
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

// Java's Math.abs(Integer.reverse(v)) (Integer.MIN_VALUE stays negative).
std::int64_t reversed_channel_id(std::int64_t channel) {
  auto v = static_cast<std::uint32_t>(channel);
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
  v = ((v >> 8) & 0x00ff00ffu) | ((v & 0x00ff00ffu) << 8);
  v = (v >> 16) | (v << 16);
  const auto s = static_cast<std::int32_t>(v);
  if (s == INT32_MIN)
    return s;
  return s < 0 ? -static_cast<std::int64_t>(s) : s;
}

// "https://www.nexmark.com/<w>/<w>/<w>/item.htm?query=1" with words drawn from `rng`.
void fill_base_url(record_rng& rng, std::string& out) {
  out.reserve(url_prefix.size() + 3 * 5 + url_suffix.size() + channel_id_parameter.size() + 11);
  append(out, url_prefix);
  for (int k = 0; k < 3; ++k) {
    append_word(rng, 5, '_', out);
    out.push_back('/');
  }
  append(out, url_suffix);
}

// The url of hot channel `index`: fixed for a seed.
void fill_hot_url(std::uint64_t seed, std::int64_t index, std::string& out) {
  record_rng rng(mix64(seed ^ hot_url_salt ^ mix64(static_cast<std::uint64_t>(index))));
  fill_base_url(rng, out);
}

// The url of "channel-<channel>": fixed for a seed; nine in ten carry the
// channel id as a parameter.
void fill_channel_url(std::uint64_t seed, std::int64_t channel, std::string& out) {
  record_rng rng(mix64(seed ^ channel_url_salt ^ mix64(static_cast<std::uint64_t>(channel))));
  fill_base_url(rng, out);
  if (below(rng, channel_without_id_ratio) > 0) {
    append(out, channel_id_parameter);
    append_number(out, reversed_channel_id(channel));
  }
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

} // namespace

//! The url of every hot channel and of every "channel-N", built once per seed
//! (each is a function of the seed and the channel only). A channel url keeps
//! only what varies, its three words, in 16 bytes (160 KiB for all of them,
//! which stays in a core's L2 cache; whole strings missed it on most bids),
//! and is put back together in a buffer on the stack.
class url_table {
public:
  explicit url_table(std::uint64_t seed) {
    hot_.resize(static_cast<std::size_t>(size_of(hot_channels)));
    for (std::size_t i = 0; i < hot_.size(); ++i)
      fill_hot_url(seed, static_cast<std::int64_t>(i), hot_[i]);
    channels_.resize(static_cast<std::size_t>(num_channels));
    std::string url;
    for (std::size_t i = 0; i < channels_.size(); ++i) {
      url.clear();
      fill_channel_url(seed, static_cast<std::int64_t>(i), url);
      channels_[i] = pack(url);
    }
  }
  const std::string& hot(std::int64_t i) const { return hot_[static_cast<std::size_t>(i)]; }
  //! Starts loading the entry of "channel-<channel>" into the cache.
  void prefetch(std::int64_t channel) const {
    __builtin_prefetch(&channels_[static_cast<std::size_t>(channel)]);
  }
  //! Overwrites `out` with the url of "channel-<channel>".
  void channel(std::int64_t channel, std::string& out) const {
    const packed& c = channels_[static_cast<std::size_t>(channel)];
    char buf[max_url];
    char* p = buf;
    auto put = [&p](const char* s, std::size_t n) {
      std::memcpy(p, s, n);
      p += n;
    };
    put(url_prefix.data(), url_prefix.size());
    for (int w = 0; w < words; ++w) {
      put(c.letters + w * max_word, c.lengths[w]);
      *p++ = '/';
    }
    put(url_suffix.data(), url_suffix.size());
    if (c.with_id) {
      put(channel_id_parameter.data(), channel_id_parameter.size());
      p = std::to_chars(p, buf + max_url, reversed_channel_id(channel)).ptr;
    }
    out.assign(buf, static_cast<std::size_t>(p - buf));
  }

private:
  static constexpr int words = 3;
  static constexpr std::size_t max_word = 4; // append_word(rng, 5, ...) is 3-4 letters
  struct packed {
    char letters[words * max_word];
    std::uint8_t lengths[words];
    bool with_id;
  };
  static_assert(sizeof(packed) == 16);
  static constexpr std::size_t max_url = url_prefix.size() + words * (max_word + 1) +
                                         url_suffix.size() + channel_id_parameter.size() + 12;

  // Takes the words out of a url that fill_channel_url built.
  static packed pack(const std::string& url) {
    packed c{};
    std::size_t pos = url_prefix.size();
    for (int w = 0; w < words; ++w) {
      const std::size_t slash = url.find('/', pos);
      const std::size_t n = slash - pos;
      if (slash == std::string::npos || n > max_word)
        throw error(errc::internal, "nexmark generator: unexpected channel url " + url);
      std::memcpy(c.letters + w * max_word, url.data() + pos, n);
      c.lengths[w] = static_cast<std::uint8_t>(n);
      pos = slash + 1;
    }
    c.with_id = url.size() > pos + url_suffix.size();
    return c;
  }

  std::vector<std::string> hot_;
  std::vector<packed> channels_;
};

namespace {

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
