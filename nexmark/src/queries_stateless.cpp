// The stateless queries: q0, q1, q2, q14, q21, q22.
#include "spate/nexmark/queries.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "queries_common.hpp"
#include "spate/api/builtin.hpp"

namespace spate::nexmark {

using namespace queries_detail;

namespace {

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

} // namespace spate::nexmark
