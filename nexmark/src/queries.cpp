// The Nexmark queries' shared parts: the source, the split into people,
// auctions and bids, the helpers queries.hpp declares, and the suite. The
// queries themselves are in queries_stateless.cpp, queries_joins.cpp,
// queries_windows.cpp, queries_daily.cpp and queries_dedup.cpp.
#include "spate/nexmark/queries.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "queries_common.hpp"
#include "spate/api/builtin.hpp"
#include "spate/core/error.hpp"

namespace spate::nexmark {

using namespace std::chrono_literals;
using namespace queries_detail;

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

void append_2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
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

stream<bid_brief> project_bids(stream<bid> bids) {
  return bids.map([](const bid& b) {
               return bid_brief{b.auction, b.bidder, b.price, b.date_time};
             })
      .name("Project Bids");
}

// ---- The suite -------------------------------------------------------------

const std::vector<std::string>& query_names() {
  static const std::vector<std::string> names = {"q0",  "q1",  "q2",  "q3",  "q4",  "q5",  "q7",
                                                 "q8",  "q9",  "q11", "q12", "q13", "q14", "q15",
                                                 "q16", "q17", "q18", "q19", "q20", "q21", "q22"};
  return names;
}

namespace {

template <class T>
void discard(stream<T> s) {
  s.add_sink(discard_sink<T>()).name("Sink: discard");
}

} // namespace

void build_query(environment& env, const std::string& query, const generator_config& config,
                 std::optional<std::int64_t> count, double wall_rate,
                 const std::string& side_input_path) {
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
  else if (query == "q13")
    discard(q13(in.bids, side_input_path.empty() ? default_side_input() : side_input_path));
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
