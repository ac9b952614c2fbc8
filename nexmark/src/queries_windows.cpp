// The windowed queries: q5, q7, q11, q12 (the daily statistics are in
// queries_daily.cpp).
#include "spate/nexmark/queries.hpp"

#include <string>
#include <vector>

#include "queries_common.hpp"
#include "spate/api/builtin.hpp"

namespace spate::nexmark {

using namespace std::chrono_literals;
using namespace queries_detail;

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

} // namespace spate::nexmark
