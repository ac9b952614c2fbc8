// The queries that join or co-group: q3, q4 and q9 (winning bids), q8, q20.
#include "spate/nexmark/queries.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "queries_common.hpp"
#include "spate/api/builtin.hpp"

namespace spate::nexmark {

using namespace std::chrono_literals;
using namespace queries_detail;

namespace {

// A projection like project_bids(): the columns q4 reads of an auction.
// Strings allocated by the splitting thread and freed by another cost more
// than the rest of this query's record path.
struct auction_brief {
  std::int64_t id = 0;
  std::int64_t category = 0;
  timestamp date_time = 0;
  timestamp expires = 0;
  SPATE_FIELDS(id, category, date_time, expires);
};

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

} // namespace spate::nexmark
