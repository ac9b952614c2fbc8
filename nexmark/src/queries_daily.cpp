// The daily statistics: q15, q16, q17 (1-day tumbling windows).
#include "spate/nexmark/queries.hpp"

#include <algorithm>
#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "queries_common.hpp"
#include "spate/api/builtin.hpp"
#include "spate/core/hash.hpp"

namespace spate::nexmark {

using namespace std::chrono_literals;
using namespace queries_detail;

namespace {

// A projection like project_bids(): the columns q16 reads of a bid.
// Strings allocated by the splitting thread and freed by another cost more
// than the rest of this query's record path.
struct channel_bid {
  std::string channel;
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  timestamp date_time = 0;
  SPATE_FIELDS(channel, auction, bidder, price, date_time);
};

//! A set of ids for COUNT(DISTINCT ...): open addressing over one array, so
//! an insert allocates nothing until the set grows, and a move is three
//! words. Encoded as a msgpack array of the ids.
class distinct_ids {
public:
  //! Adds `id` (any value but INT64_MIN); false if it was there.
  bool insert(std::int64_t id) {
    if ((size_ + 1) * 2 > slots_.size())
      grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix64(static_cast<std::uint64_t>(id)) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == id)
        return false;
      if (slots_[i] == empty) {
        slots_[i] = id;
        ++size_;
        return true;
      }
    }
  }
  void insert_all(const distinct_ids& other) {
    for (std::int64_t id : other.slots_)
      if (id != empty)
        insert(id);
  }
  std::size_t size() const { return size_; }

  template <class Packer>
  void msgpack_pack(Packer& pk) const {
    pk.pack_array(static_cast<std::uint32_t>(size_));
    for (std::int64_t id : slots_)
      if (id != empty)
        pk.pack(id);
  }
  void msgpack_unpack(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY)
      throw msgpack::type_error();
    slots_.clear();
    size_ = 0;
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      auto id = o.via.array.ptr[i].as<std::int64_t>();
      if (id == empty)
        throw msgpack::type_error();
      insert(id);
    }
  }
  void msgpack_object(msgpack::object* o, msgpack::zone& z) const {
    o->type = msgpack::type::ARRAY;
    o->via.array.size = static_cast<std::uint32_t>(size_);
    o->via.array.ptr =
        size_ == 0 ? nullptr
                   : static_cast<msgpack::object*>(z.allocate_align(
                         sizeof(msgpack::object) * size_, MSGPACK_ZONE_ALIGNOF(msgpack::object)));
    std::size_t n = 0;
    for (std::int64_t id : slots_)
      if (id != empty)
        o->via.array.ptr[n++] = msgpack::object(id);
  }

private:
  static constexpr std::int64_t empty = INT64_MIN;
  void grow() {
    std::vector<std::int64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, empty);
    size_ = 0;
    for (std::int64_t id : old)
      if (id != empty)
        insert(id);
  }
  std::vector<std::int64_t> slots_;
  std::size_t size_ = 0;
};

//! Daily statistics: counts and distinct bidders and auctions, overall and per
//! price rank (index 0: all, 1..3: the ranks).
struct daily_accumulator {
  std::int64_t bids[4] = {0, 0, 0, 0};
  distinct_ids bidders[4];
  distinct_ids auctions[4];
  timestamp latest = 0;
  MSGPACK_DEFINE(bids, bidders, auctions, latest);
};

struct daily_aggregate {
  using accumulator_type = daily_accumulator;
  using result_type = daily_accumulator;
  daily_accumulator create_accumulator() const { return {}; }
  template <class B>
  daily_accumulator add(const B& b, daily_accumulator acc) const {
    int rank = price_rank(b.price);
    for (int i : {0, rank}) {
      ++acc.bids[i];
      acc.bidders[i].insert(b.bidder);
      acc.auctions[i].insert(b.auction);
    }
    acc.latest = std::max(acc.latest, b.date_time);
    return acc;
  }
  daily_accumulator get_result(const daily_accumulator& acc) const { return acc; }
  daily_accumulator merge(daily_accumulator a, const daily_accumulator& b) const {
    for (int i = 0; i < 4; ++i) {
      a.bids[i] += b.bids[i];
      a.bidders[i].insert_all(b.bidders[i]);
      a.auctions[i].insert_all(b.auctions[i]);
    }
    a.latest = std::max(a.latest, b.latest);
    return a;
  }
};

daily_stats to_daily_stats(const daily_accumulator& acc, std::string channel, timestamp day_start,
                           bool with_minute) {
  daily_stats s;
  s.channel = std::move(channel);
  s.day = format_day(day_start);
  if (with_minute)
    s.minute = format_minute(acc.latest);
  s.total_bids = acc.bids[0];
  s.rank1_bids = acc.bids[1];
  s.rank2_bids = acc.bids[2];
  s.rank3_bids = acc.bids[3];
  s.total_bidders = static_cast<std::int64_t>(acc.bidders[0].size());
  s.rank1_bidders = static_cast<std::int64_t>(acc.bidders[1].size());
  s.rank2_bidders = static_cast<std::int64_t>(acc.bidders[2].size());
  s.rank3_bidders = static_cast<std::int64_t>(acc.bidders[3].size());
  s.total_auctions = static_cast<std::int64_t>(acc.auctions[0].size());
  s.rank1_auctions = static_cast<std::int64_t>(acc.auctions[1].size());
  s.rank2_auctions = static_cast<std::int64_t>(acc.auctions[2].size());
  s.rank3_auctions = static_cast<std::int64_t>(acc.auctions[3].size());
  return s;
}

struct auction_day_accumulator {
  std::int64_t bids[4] = {0, 0, 0, 0};
  std::int64_t min_price = INT64_MAX;
  std::int64_t max_price = INT64_MIN;
  std::int64_t sum_price = 0;
  MSGPACK_DEFINE(bids, min_price, max_price, sum_price);
};

struct auction_day_aggregate {
  using accumulator_type = auction_day_accumulator;
  using result_type = auction_day_accumulator;
  auction_day_accumulator create_accumulator() const { return {}; }
  auction_day_accumulator add(const bid_brief& b, auction_day_accumulator acc) const {
    ++acc.bids[0];
    ++acc.bids[price_rank(b.price)];
    acc.min_price = std::min(acc.min_price, b.price);
    acc.max_price = std::max(acc.max_price, b.price);
    acc.sum_price += b.price;
    return acc;
  }
  auction_day_accumulator get_result(const auction_day_accumulator& acc) const { return acc; }
  auction_day_accumulator merge(auction_day_accumulator a, const auction_day_accumulator& b) const {
    for (int i = 0; i < 4; ++i)
      a.bids[i] += b.bids[i];
    a.min_price = std::min(a.min_price, b.min_price);
    a.max_price = std::max(a.max_price, b.max_price);
    a.sum_price += b.sum_price;
    return a;
  }
};

} // namespace

stream<daily_stats> q15(stream<bid> bids) {
  return project_bids(std::move(bids))
      .key_by([](const bid_brief& b) { return floor_div(b.date_time, ms_per_day); })
      .window(tumbling_event_time_windows::of(24h))
      .aggregate(daily_aggregate{},
                 [](const std::int64_t&, const time_window& w,
                    const std::vector<daily_accumulator>& acc, collector<daily_stats>& out) {
                   out.collect(to_daily_stats(acc.front(), {}, w.start, false));
                 })
      .name("q15: Bidding Statistics Report");
}

stream<daily_stats> q16(stream<bid> bids) {
  return bids
      .map([](const bid& b) {
        return channel_bid{b.channel, b.auction, b.bidder, b.price, b.date_time};
      })
      .name("Project Bids")
      .key_by([](const channel_bid& b) {
        return std::make_pair(b.channel, floor_div(b.date_time, ms_per_day));
      })
      .window(tumbling_event_time_windows::of(24h))
      .aggregate(daily_aggregate{},
                 [](const std::pair<std::string, std::int64_t>& key, const time_window& w,
                    const std::vector<daily_accumulator>& acc, collector<daily_stats>& out) {
                   out.collect(to_daily_stats(acc.front(), key.first, w.start, true));
                 })
      .name("q16: Channel Statistics Report");
}

stream<q17_result> q17(stream<bid> bids) {
  return project_bids(std::move(bids))
      .key_by([](const bid_brief& b) {
        return std::make_pair(b.auction, floor_div(b.date_time, ms_per_day));
      })
      .window(tumbling_event_time_windows::of(24h))
      .aggregate(auction_day_aggregate{},
                 [](const std::pair<std::int64_t, std::int64_t>& key, const time_window& w,
                    const std::vector<auction_day_accumulator>& accs, collector<q17_result>& out) {
                   const auto& a = accs.front();
                   q17_result r;
                   r.auction = key.first;
                   r.day = format_day(w.start);
                   r.total_bids = a.bids[0];
                   r.rank1_bids = a.bids[1];
                   r.rank2_bids = a.bids[2];
                   r.rank3_bids = a.bids[3];
                   r.min_price = a.min_price;
                   r.max_price = a.max_price;
                   r.sum_price = a.sum_price;
                   r.avg_price = static_cast<double>(a.sum_price) / static_cast<double>(a.bids[0]);
                   out.collect(std::move(r));
                 })
      .name("q17: Auction Statistics Report");
}

} // namespace spate::nexmark
