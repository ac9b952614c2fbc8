// Deduplication and Top-N: q18, q19.
#include "spate/nexmark/queries.hpp"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "queries_common.hpp"
#include "spate/api/builtin.hpp"

namespace spate::nexmark {

using namespace queries_detail;

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

} // namespace spate::nexmark
