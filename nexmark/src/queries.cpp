#include "spate/nexmark/queries.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <climits>
#include <vector>

#include "spate/api/builtin.hpp"
#include "spate/core/error.hpp"
#include "spate/core/hash.hpp"

namespace spate::nexmark {

using namespace std::chrono_literals;

// ---- Sources ---------------------------------------------------------------

stream<event> events(environment& env, const generator_config& config,
                     std::optional<std::int64_t> count, double wall_rate) {
  return env.add_source(nexmark_source(config, count, wall_rate))
      .assign_timestamps_and_watermarks(
          watermark_strategy<event>::for_bounded_out_of_orderness(4s).with_timestamp_assigner(
              [](const event& e) { return e.date_time(); }));
}

namespace {

const output_tag<person> persons_tag("persons");
const output_tag<auction> auctions_tag("auctions");

//! Moves each event's record into the batch of its kind: bids to the main
//! output, people and auctions to side outputs.
class split_operator final : public spate::detail::typed_operator<bid> {
public:
  void process_batch(int, any_batch& b) override {
    auto& in = batch_cast<event>(b);
    buf_.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      auto& e = in.values[i];
      switch (e.type) {
        case event_type::bid:
          buf_.push(std::move(e.new_bid), in.timestamps[i]);
          break;
        case event_type::person:
          persons_.push(std::move(e.new_person), in.timestamps[i]);
          break;
        case event_type::auction:
          auctions_.push(std::move(e.new_auction), in.timestamps[i]);
          break;
      }
    }
    // People and auctions first: a join then mostly sees a bid after the
    // auction it names, even when both came in one batch.
    hand_on(persons_, persons_tag.id);
    hand_on(auctions_, auctions_tag.id);
    emit_buffer();
  }

private:
  template <class T>
  void hand_on(typed_batch<T>& batch, const std::string& tag) {
    if (batch.empty())
      return;
    if (auto* o = side_output(tag))
      o->push(batch);
    batch.clear();
  }
  typed_batch<person> persons_;
  typed_batch<auction> auctions_;
};

} // namespace

event_streams split(stream<event> in) {
  auto bids = spate::detail::add_one_input<bid>(
      &in.env(), "Split Events", [] { return std::make_unique<split_operator>(); }, in.inputs(),
      false);
  return {bids.side_output(persons_tag), bids.side_output(auctions_tag), bids};
}

// ---- Helpers ---------------------------------------------------------------

namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void append_2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

bool equals_ignore_case(const std::string& a, const char* b) {
  std::size_t n = std::char_traits<char>::length(b);
  if (a.size() != n)
    return false;
  for (std::size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i])
      return false;
  return true;
}

} // namespace

std::string format_day(timestamp t) {
  // Days since 1970-01-01 to a civil date (proleptic Gregorian).
  std::int64_t z = floor_div(t, ms_per_day) + 719468;
  std::int64_t era = floor_div(z, 146097);
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  if (m <= 2)
    ++y;
  std::string out = std::to_string(y);
  out.push_back('-');
  append_2(out, m);
  out.push_back('-');
  append_2(out, d);
  return out;
}

std::string format_minute(timestamp t) {
  std::int64_t in_day = t - floor_div(t, ms_per_day) * ms_per_day;
  std::string out;
  append_2(out, static_cast<int>(in_day / 3'600'000));
  out.push_back(':');
  append_2(out, static_cast<int>(in_day / 60'000 % 60));
  return out;
}

std::optional<std::string> extract_channel_id(const std::string& url) {
  static const std::string needle = "channel_id=";
  for (std::size_t pos = url.find(needle); pos != std::string::npos;
       pos = url.find(needle, pos + 1)) {
    if (pos == 0 || url[pos - 1] == '&') {
      std::size_t start = pos + needle.size();
      std::size_t end = url.find('&', start);
      return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
  }
  return std::nullopt;
}

std::string split_index(const std::string& url, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) {
    std::size_t slash = url.find('/', start);
    if (slash == std::string::npos)
      return {};
    start = slash + 1;
  }
  std::size_t end = url.find('/', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

int price_rank(std::int64_t price) { return price < 10'000 ? 1 : price < 1'000'000 ? 2 : 3; }

namespace {

// More projections like project_bids(): the columns q16 reads of a bid, and
// those q4 reads of an auction. Strings allocated by the splitting thread and
// freed by another cost more than the rest of these queries' record path.

struct channel_bid {
  std::string channel;
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  timestamp date_time = 0;
  SPATE_FIELDS(channel, auction, bidder, price, date_time);
};

struct auction_brief {
  std::int64_t id = 0;
  std::int64_t category = 0;
  timestamp date_time = 0;
  timestamp expires = 0;
  SPATE_FIELDS(id, category, date_time, expires);
};

} // namespace

stream<bid_brief> project_bids(stream<bid> bids) {
  return bids.map([](const bid& b) {
               return bid_brief{b.auction, b.bidder, b.price, b.date_time};
             })
      .name("Project Bids");
}

// ---- Stateless queries -----------------------------------------------------

stream<bid> q0(stream<bid> bids) { return bids; }

stream<q1_result> q1(stream<bid> bids) {
  return bids
      .map([](bid b) {
        return q1_result{b.auction, b.bidder, 0.908 * static_cast<double>(b.price), b.date_time,
                         std::move(b.extra)};
      })
      .name("q1: Currency Conversion");
}

stream<q2_result> q2(stream<bid> bids) {
  return bids.filter([](const bid& b) { return b.auction % 123 == 0; })
      .name("q2: Selection")
      .map([](bid b) {
        return q2_result{b.auction, b.price};
      });
}

stream<q14_result> q14(stream<bid> bids) {
  return bids
      .filter([](const bid& b) {
        double p = 0.908 * static_cast<double>(b.price);
        return p > 1'000'000 && p < 50'000'000;
      })
      .name("q14: Price Range")
      .map([](bid b) {
        q14_result r;
        r.auction = b.auction;
        r.bidder = b.bidder;
        r.price = 0.908 * static_cast<double>(b.price);
        std::int64_t hour =
            (b.date_time - floor_div(b.date_time, ms_per_day) * ms_per_day) / 3'600'000;
        r.bid_time_type = hour >= 8 && hour <= 18   ? "dayTime"
                          : hour <= 6 || hour >= 20 ? "nightTime"
                                                    : "otherTime";
        r.date_time = b.date_time;
        r.c_counts = std::count(b.extra.begin(), b.extra.end(), 'c');
        r.extra = std::move(b.extra);
        return r;
      });
}

stream<q21_result> q21(stream<bid> bids) {
  return bids
      .process([](const bid& b, process_context<q21_result>& ctx) {
        const char* known = equals_ignore_case(b.channel, "apple")      ? "0"
                            : equals_ignore_case(b.channel, "google")   ? "1"
                            : equals_ignore_case(b.channel, "facebook") ? "2"
                            : equals_ignore_case(b.channel, "baidu")    ? "3"
                                                                        : nullptr;
        if (known) {
          ctx.output({b.auction, b.bidder, b.price, b.channel, known});
        } else if (auto id = extract_channel_id(b.url)) {
          ctx.output({b.auction, b.bidder, b.price, b.channel, std::move(*id)});
        }
      })
      .name("q21: Channel Id");
}

stream<q22_result> q22(stream<bid> bids) {
  return bids
      .map([](bid b) {
        return q22_result{b.auction,
                          b.bidder,
                          b.price,
                          std::move(b.channel),
                          split_index(b.url, 3),
                          split_index(b.url, 4),
                          split_index(b.url, 5)};
      })
      .name("q22: Url Directories");
}

// ---- Joins -----------------------------------------------------------------

namespace {

//! q3: auctions (first input) by seller, people (second) by id.
struct local_item_join final : keyed_co_process_function<std::int64_t, auction, person, q3_result> {
  value_state<q3_result>* seller_ = nullptr;
  list_state<std::int64_t>* waiting_ = nullptr;
  void open(runtime_context& rc) override {
    seller_ = &rc.state->get_value_state(value_state_descriptor<q3_result>{"seller"});
    waiting_ = &rc.state->get_list_state(list_state_descriptor<std::int64_t>{"waiting-auctions"});
  }
  void process_element1(const auction& a, context& ctx) override {
    if (const q3_result* s = seller_->get()) {
      q3_result r = *s;
      r.id = a.id;
      ctx.output(std::move(r));
    } else {
      waiting_->add(a.id);
    }
  }
  void process_element2(const person& p, context& ctx) override {
    for (std::int64_t id : waiting_->get())
      ctx.output({p.name, p.city, p.state, id});
    waiting_->clear();
    seller_->update({p.name, p.city, p.state, 0});
  }
};

//! q4, q9: auctions (first input) and bids (second) by auction id. One value
//! per auction holds everything but the early bids, so a bid costs one state
//! lookup.
template <class A, class B>
struct auction_slot {
  A item;
  B best;
  bool open = false;      //!< the auction arrived and has not expired
  bool has_best = false;  //!< a valid bid was seen
  bool has_early = false; //!< bids are waiting in the early list
  //! Expiry of a closed auction (remembered a while so that its late bids
  //! are dropped at once); 0 otherwise.
  timestamp closed_at = 0;
  SPATE_FIELDS(item, best, open, has_best, has_early, closed_at);
};

//! A and B are auctions and bids, whole (q9) or their columns q4 reads; W
//! holds an A as `item` and a B as `winner`.
template <class A, class B, class W>
struct winning_bid_function final : keyed_co_process_function<std::int64_t, A, B, W> {
  using context = typename keyed_co_process_function<std::int64_t, A, B, W>::context;
  using slot = auction_slot<A, B>;
  //! How long (event time) after its expiry an auction is remembered as closed.
  static constexpr std::int64_t closed_retention = 10'000;

  value_state<slot>* slot_ = nullptr;
  list_state<B>* early_ = nullptr;

  void open(runtime_context& rc) override {
    slot_ = &rc.state->get_value_state(value_state_descriptor<slot>{"auction"});
    early_ = &rc.state->get_list_state(list_state_descriptor<B>{"early-bids"});
  }
  static bool valid(const A& a, const B& b) {
    return b.date_time >= a.date_time && b.date_time <= a.expires;
  }
  static bool better(const B& b, const B& than) {
    return b.price > than.price || (b.price == than.price && b.date_time < than.date_time);
  }
  static void offer(slot& s, const B& b) {
    if (valid(s.item, b) && (!s.has_best || better(b, s.best))) {
      s.best = b;
      s.has_best = true;
    }
  }
  void process_element1(const A& a, context& ctx) override {
    slot* s = slot_->mutate();
    if (!s) {
      slot fresh;
      fresh.item = a;
      fresh.open = true;
      slot_->update(std::move(fresh));
    } else {
      if (s->open || s->closed_at != 0)
        return; // an auction id seen before
      s->item = a;
      s->open = true;
      if (s->has_early) {
        for (const auto& b : early_->get())
          offer(*s, b);
        early_->clear();
        s->has_early = false;
      }
    }
    ctx.timer_service().register_event_time_timer(a.expires);
  }
  void process_element2(const B& b, context& ctx) override {
    slot* s = slot_->mutate();
    if (s && s->open) {
      offer(*s, b);
      return;
    }
    if (s && s->closed_at != 0)
      return; // after the auction closed: never valid
    // The auction may still come (its date_time is at most the bid's). One
    // timer per key prunes the early bids, due at the earliest of them.
    timestamp earliest = b.date_time;
    if (s && s->has_early)
      for (const auto& e : early_->get())
        earliest = std::min(earliest, e.date_time);
    early_->add(b);
    if (s) {
      s->has_early = true;
    } else {
      slot waiting;
      waiting.has_early = true;
      slot_->update(std::move(waiting));
    }
    ctx.timer_service().register_event_time_timer(earliest);
  }
  void on_timer(timestamp t, context& ctx) override {
    slot* s = slot_->mutate();
    if (!s)
      return;
    if (s->open && t >= s->item.expires) {
      if (s->has_best)
        ctx.output({std::move(s->item), std::move(s->best)});
      timestamp expires = s->item.expires;
      slot closed;
      closed.closed_at = expires;
      slot_->update(std::move(closed));
      ctx.timer_service().register_event_time_timer(expires + closed_retention);
      return;
    }
    if (s->closed_at != 0 && t >= s->closed_at + closed_retention) {
      slot_->clear();
      return;
    }
    if (!s->open && s->has_early) {
      // Bids whose auction can no longer come in time.
      const auto& early = early_->get();
      std::vector<B> kept;
      timestamp earliest = max_watermark;
      for (const auto& b : early)
        if (b.date_time > t) {
          kept.push_back(b);
          earliest = std::min(earliest, b.date_time);
        }
      if (kept.size() == early.size())
        return;
      if (kept.empty()) {
        early_->clear();
        slot_->clear();
        return;
      }
      early_->update(std::move(kept));
      ctx.timer_service().register_event_time_timer(earliest);
    }
  }
};

//! q4's winning bid: the columns it reads of the auction and the bid.
struct brief_winning_bid {
  auction_brief item;
  bid_brief winner;
  SPATE_FIELDS(item, winner);
};

struct running_average final : keyed_process_function<std::int64_t, brief_winning_bid, q4_result> {
  value_state<std::pair<std::int64_t, std::int64_t>>* sum_count_ = nullptr;
  void open(runtime_context& rc) override {
    sum_count_ = &rc.state->get_value_state(
        value_state_descriptor<std::pair<std::int64_t, std::int64_t>>{"sum-count"});
  }
  void process_element(const brief_winning_bid& w, context& ctx) override {
    auto* sc = sum_count_->mutate();
    if (!sc) {
      sum_count_->update({w.winner.price, 1});
      sc = sum_count_->mutate();
    } else {
      sc->first += w.winner.price;
      sc->second += 1;
    }
    ctx.output(
        {ctx.current_key(), static_cast<double>(sc->first) / static_cast<double>(sc->second)});
  }
};

//! q20: auctions (first input) and bids (second) by auction id. Auctions of
//! other categories are kept as id and category only.
struct expanded_bid_join final : keyed_co_process_function<std::int64_t, auction, bid, q20_result> {
  value_state<auction>* auction_ = nullptr;
  list_state<bid>* waiting_ = nullptr;
  void open(runtime_context& rc) override {
    auction_ = &rc.state->get_value_state(value_state_descriptor<auction>{"auction"});
    waiting_ = &rc.state->get_list_state(list_state_descriptor<bid>{"waiting-bids"});
  }
  void process_element1(const auction& a, context& ctx) override {
    if (a.category != 10) {
      auction stub;
      stub.id = a.id;
      stub.category = a.category;
      auction_->update(std::move(stub));
      if (!waiting_->get().empty())
        waiting_->clear();
      return;
    }
    auction_->update(a);
    const auto& waiting = waiting_->get();
    if (waiting.empty())
      return;
    for (const auto& b : waiting)
      ctx.output({b, a});
    waiting_->clear();
  }
  void process_element2(const bid& b, context& ctx) override {
    if (const auction* a = auction_->get()) {
      if (a->category == 10)
        ctx.output({b, *a});
    } else {
      waiting_->add(b);
    }
  }
};

auto auction_id = [](const auction& a) { return a.id; };
auto bid_auction = [](const bid& b) { return b.auction; };

} // namespace

stream<q3_result> q3(stream<auction> auctions, stream<person> persons) {
  auto sellers = persons.filter(
      [](const person& p) { return p.state == "OR" || p.state == "ID" || p.state == "CA"; });
  return auctions.filter([](const auction& a) { return a.category == 10; })
      .key_by([](const auction& a) { return a.seller; })
      .connect(sellers.key_by([](const person& p) { return p.id; }))
      .process(local_item_join{})
      .name("q3: Local Item Suggestion");
}

stream<winning_bid> winning_bids(stream<auction> auctions, stream<bid> bids) {
  return auctions.key_by(auction_id)
      .connect(bids.key_by(bid_auction))
      .process(winning_bid_function<auction, bid, winning_bid>{})
      .name("Winning Bids");
}

stream<q4_result> q4(stream<auction> auctions, stream<bid> bids) {
  auto briefs = auctions
                    .map([](const auction& a) {
                      return auction_brief{a.id, a.category, a.date_time, a.expires};
                    })
                    .name("Project Auctions");
  return briefs.key_by([](const auction_brief& a) { return a.id; })
      .connect(project_bids(std::move(bids)).key_by([](const bid_brief& b) { return b.auction; }))
      .process(winning_bid_function<auction_brief, bid_brief, brief_winning_bid>{})
      .name("Winning Bids")
      .key_by([](const brief_winning_bid& w) { return w.item.category; })
      .process(running_average{})
      .name("q4: Average Price per Category");
}

stream<winning_bid> q9(stream<auction> auctions, stream<bid> bids) {
  return winning_bids(std::move(auctions), std::move(bids));
}

stream<q20_result> q20(stream<auction> auctions, stream<bid> bids) {
  return auctions.key_by(auction_id)
      .connect(bids.key_by(bid_auction))
      .process(expanded_bid_join{})
      .name("q20: Expanded Bids");
}

namespace {

struct q8_person {
  std::int64_t id = 0;
  std::string name;
  SPATE_FIELDS(id, name);
};

} // namespace

stream<q8_result> q8(stream<person> persons, stream<auction> auctions) {
  auto people = persons.map([](person p) { return q8_person{p.id, std::move(p.name)}; });
  auto sellers = auctions.map([](auction a) { return a.seller; });
  return people.co_group(sellers)
      .where([](const q8_person& p) { return p.id; })
      .equal_to([](const std::int64_t& seller) { return seller; })
      .window(tumbling_event_time_windows::of(10s))
      .apply([](const std::int64_t& id, const time_window& w, const std::vector<q8_person>& ps,
                const std::vector<std::int64_t>& ss, collector<q8_result>& out) {
        if (!ps.empty() && !ss.empty())
          out.collect({id, ps.front().name, w.start});
      })
      .name("q8: New Users");
}

// ---- Windows ---------------------------------------------------------------

namespace {

//! Counts the records of a window.
template <class T>
struct count_aggregate {
  using accumulator_type = std::int64_t;
  using result_type = std::int64_t;
  std::int64_t create_accumulator() const { return 0; }
  std::int64_t add(const T&, std::int64_t acc) const { return acc + 1; }
  std::int64_t get_result(std::int64_t acc) const { return acc; }
  std::int64_t merge(std::int64_t a, std::int64_t b) const { return a + b; }
};

//! q5's second step: per window, the auctions with the most bids.
struct hot_items final : keyed_process_function<timestamp, q5_result, q5_result> {
  value_state<std::vector<q5_result>>* top_ = nullptr;
  void open(runtime_context& rc) override {
    top_ = &rc.state->get_value_state(value_state_descriptor<std::vector<q5_result>>{"top"});
  }
  void process_element(const q5_result& r, context& ctx) override {
    auto* top = top_->mutate();
    if (!top) {
      top_->update({r});
      ctx.timer_service().register_event_time_timer(ctx.record_timestamp());
    } else if (r.num > top->front().num) {
      top->assign(1, r);
    } else if (r.num == top->front().num) {
      top->push_back(r);
    }
  }
  void on_timer(timestamp, context& ctx) override {
    if (const auto* top = top_->get())
      for (const auto& r : *top)
        ctx.output(r);
    top_->clear();
  }
};

//! q7: the bids with the highest price (several on a tie).
struct max_bids {
  using accumulator_type = std::vector<bid>;
  using result_type = std::vector<bid>;
  std::vector<bid> create_accumulator() const { return {}; }
  std::vector<bid> add(const bid& b, std::vector<bid> acc) const {
    if (acc.empty() || b.price > acc.front().price) {
      acc.assign(1, b);
    } else if (b.price == acc.front().price) {
      acc.push_back(b);
    }
    return acc;
  }
  std::vector<bid> get_result(const std::vector<bid>& acc) const { return acc; }
  std::vector<bid> merge(std::vector<bid> a, std::vector<bid> b) const {
    if (a.empty() || (!b.empty() && b.front().price > a.front().price))
      return b;
    if (!b.empty() && b.front().price == a.front().price)
      a.insert(a.end(), b.begin(), b.end());
    return a;
  }
};

struct merge_max_bids {
  using accumulator_type = std::vector<bid>;
  using result_type = std::vector<bid>;
  std::vector<bid> create_accumulator() const { return {}; }
  std::vector<bid> add(const std::vector<bid>& in, std::vector<bid> acc) const {
    return max_bids{}.merge(std::move(acc), in);
  }
  std::vector<bid> get_result(const std::vector<bid>& acc) const { return acc; }
  std::vector<bid> merge(std::vector<bid> a, std::vector<bid> b) const {
    return max_bids{}.merge(std::move(a), std::move(b));
  }
};

auto emit_bidder_count = [](const std::int64_t& bidder, const time_window& w,
                            const std::vector<std::int64_t>& counts, collector<bidder_count>& out) {
  out.collect({bidder, counts.front(), w.start, w.end});
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

stream<q5_result> q5(stream<bid> bids) {
  return project_bids(std::move(bids))
      .key_by([](const bid_brief& b) { return b.auction; })
      .window(sliding_event_time_windows::of(10s, 2s))
      .aggregate(count_aggregate<bid_brief>{},
                 [](const std::int64_t& auction, const time_window& w,
                    const std::vector<std::int64_t>& counts, collector<q5_result>& out) {
                   out.collect({auction, counts.front(), w.start});
                 })
      .key_by([](const q5_result& r) { return r.window_start; })
      .process(hot_items{})
      .name("q5: Hot Items");
}

stream<bid> q7(stream<bid> bids) {
  return bids.key_by(bid_auction)
      .window(tumbling_event_time_windows::of(10s))
      .aggregate(max_bids{})
      .key_by([](const std::vector<bid>& v) { return floor_div(v.front().date_time, 10'000); })
      .window(tumbling_event_time_windows::of(10s))
      .aggregate(merge_max_bids{},
                 [](const std::int64_t&, const time_window&,
                    const std::vector<std::vector<bid>>& results, collector<bid>& out) {
                   for (const auto& b : results.front())
                     out.collect(b);
                 })
      .name("q7: Highest Bid");
}

stream<bidder_count> q11(stream<bid> bids) {
  return project_bids(std::move(bids))
      .key_by([](const bid_brief& b) { return b.bidder; })
      .window(event_time_session_windows::with_gap(10s))
      .aggregate(count_aggregate<bid_brief>{}, emit_bidder_count)
      .name("q11: User Sessions");
}

stream<bidder_count> q12(stream<bid> bids, std::chrono::milliseconds window) {
  return q12(project_bids(std::move(bids)), window);
}

stream<bidder_count> q12(stream<bid_brief> bids, std::chrono::milliseconds window) {
  return bids.key_by([](const bid_brief& b) { return b.bidder; })
      .window(tumbling_processing_time_windows::of(window))
      .aggregate(count_aggregate<bid_brief>{}, emit_bidder_count)
      .name("q12: Processing Time Windows");
}

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

// ---- Deduplication and Top-N -------------------------------------------------

namespace {

struct latest_bid final : keyed_process_function<std::pair<std::int64_t, std::int64_t>, bid, bid> {
  value_state<timestamp>* latest_ = nullptr;
  void open(runtime_context& rc) override {
    latest_ = &rc.state->get_value_state(value_state_descriptor<timestamp>{"latest"});
  }
  void process_element(const bid& b, context& ctx) override { process_element(bid(b), ctx); }
  void process_element(bid&& b, context& ctx) override {
    timestamp* t = latest_->mutate();
    if (!t) {
      latest_->update(b.date_time);
    } else if (b.date_time >= *t) {
      *t = b.date_time;
    } else {
      return;
    }
    ctx.output(std::move(b));
  }
};

struct top_bids final : keyed_process_function<std::int64_t, bid, q19_result> {
  static constexpr std::size_t n = 10;
  value_state<std::vector<std::int64_t>>* prices_ = nullptr; // descending
  void open(runtime_context& rc) override {
    prices_ =
        &rc.state->get_value_state(value_state_descriptor<std::vector<std::int64_t>>{"top-prices"});
  }
  void process_element(const bid& b, context& ctx) override {
    auto* prices = prices_->mutate();
    if (!prices) {
      prices_->update({b.price});
      ctx.output({b, 1});
      return;
    }
    if (prices->size() >= n && b.price <= prices->back())
      return;
    auto pos = std::upper_bound(prices->begin(), prices->end(), b.price, std::greater<>());
    auto rank = static_cast<std::int64_t>(pos - prices->begin()) + 1;
    prices->insert(pos, b.price);
    if (prices->size() > n)
      prices->pop_back();
    ctx.output({b, rank});
  }
};

} // namespace

stream<bid> q18(stream<bid> bids) {
  return bids.key_by([](const bid& b) { return std::make_pair(b.bidder, b.auction); })
      .process(latest_bid{})
      .name("q18: Find Last Bid");
}

stream<q19_result> q19(stream<bid> bids) {
  return bids.key_by(bid_auction).process(top_bids{}).name("q19: Auction Top-10 Price");
}

// ---- The suite -------------------------------------------------------------

const std::vector<std::string>& query_names() {
  static const std::vector<std::string> names = {"q0",  "q1",  "q2",  "q3",  "q4",  "q5",  "q7",
                                                 "q8",  "q9",  "q11", "q12", "q14", "q15", "q16",
                                                 "q17", "q18", "q19", "q20", "q21", "q22"};
  return names;
}

namespace {

template <class T>
void discard(stream<T> s) {
  s.add_sink(discard_sink<T>()).name("Sink: discard");
}

} // namespace

void build_query(environment& env, const std::string& query, const generator_config& config,
                 std::optional<std::int64_t> count, double wall_rate) {
  const auto& names = query_names();
  if (std::find(names.begin(), names.end(), query) == names.end()) {
    std::string list;
    for (const auto& n : names)
      list += (list.empty() ? "" : ", ") + n;
    throw error(errc::invalid_argument,
                "unknown Nexmark query '" + query + "' (queries: " + list + ")");
  }
  auto in = split(events(env, config, count, wall_rate));
  if (query == "q0")
    discard(q0(in.bids));
  else if (query == "q1")
    discard(q1(in.bids));
  else if (query == "q2")
    discard(q2(in.bids));
  else if (query == "q3")
    discard(q3(in.auctions, in.persons));
  else if (query == "q4")
    discard(q4(in.auctions, in.bids));
  else if (query == "q5")
    discard(q5(in.bids));
  else if (query == "q7")
    discard(q7(in.bids));
  else if (query == "q8")
    discard(q8(in.persons, in.auctions));
  else if (query == "q9")
    discard(q9(in.auctions, in.bids));
  else if (query == "q11")
    discard(q11(in.bids));
  else if (query == "q12")
    discard(q12(in.bids));
  else if (query == "q14")
    discard(q14(in.bids));
  else if (query == "q15")
    discard(q15(in.bids));
  else if (query == "q16")
    discard(q16(in.bids));
  else if (query == "q17")
    discard(q17(in.bids));
  else if (query == "q18")
    discard(q18(in.bids));
  else if (query == "q19")
    discard(q19(in.bids));
  else if (query == "q20")
    discard(q20(in.auctions, in.bids));
  else if (query == "q21")
    discard(q21(in.bids));
  else
    discard(q22(in.bids));
}

} // namespace spate::nexmark
