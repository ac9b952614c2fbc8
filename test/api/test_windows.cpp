#define BOOST_TEST_MODULE windows
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "spate/api/testing.hpp"
#include "support/collect.hpp"

using namespace spate;
using namespace spate::testing;
using namespace std::chrono_literals;
using kv = std::pair<std::string, std::int64_t>;
using results = std::vector<std::pair<kv, timestamp>>;

namespace {

auto key_of = [](const kv& r) { return r.first; };
auto sum_values = [](const kv& a, kv b) { return kv{a.first, a.second + b.second}; };

struct count_min_max {
  struct acc {
    std::int64_t count = 0, min = INT64_MAX, max = INT64_MIN;
    SPATE_FIELDS(count, min, max);
  };
  using accumulator_type = acc;
  using result_type = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
  acc create_accumulator() const { return {}; }
  acc add(const kv& v, acc a) const {
    ++a.count;
    a.min = std::min(a.min, v.second);
    a.max = std::max(a.max, v.second);
    return a;
  }
  result_type get_result(const acc& a) const { return {a.count, a.min, a.max}; }
  acc merge(acc a, acc b) const {
    return {a.count + b.count, std::min(a.min, b.min), std::max(a.max, b.max)};
  }
};

results sorted(results r) {
  std::sort(r.begin(), r.end());
  return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(tumbling_fires_at_end_minus_one_with_out_of_order_input) {
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of).window(tumbling_event_time_windows::of(10ms)).reduce(sum_values);
  });
  h.process_element({"a", 1}, 3);
  h.process_element({"a", 2}, 12); // next window
  h.process_element({"a", 4}, 7);  // out of order, window [0, 10) still open
  h.process_element({"b", 8}, 9);
  BOOST_TEST(h.event_time_timers() == 3u); // one per (key, window): a[0,10) a[10,20) b[0,10)
  h.process_watermark(8);
  BOOST_TEST(h.extract_output().empty());
  h.process_watermark(9); // end - 1 of [0, 10)
  BOOST_TEST(sorted(h.extract_output()) == (results{{{"a", 5}, 9}, {{"b", 8}, 9}}));
  BOOST_TEST(h.event_time_timers() == 1u);
  h.process_watermark(100);
  BOOST_TEST(h.extract_output() == (results{{{"a", 2}, 19}}));
  BOOST_TEST(h.event_time_timers() == 0u);
  // The watermark passes downstream after the results it fired.
  BOOST_TEST(h.watermarks() == (std::vector<timestamp>{8, 9, 100}));
}

BOOST_AUTO_TEST_CASE(tumbling_offset_and_negative_timestamps) {
  BOOST_TEST(window_start_with_offset(7, 0, 10) == 0);
  BOOST_TEST(window_start_with_offset(-3, 0, 10) == -10);
  BOOST_TEST(window_start_with_offset(7, 5, 10) == 5);
  BOOST_TEST(window_start_with_offset(4, 5, 10) == -5);
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of).window(tumbling_event_time_windows::of(10ms, 5ms)).reduce(sum_values);
  });
  h.process_element({"a", 1}, 4); // [-5, 5)
  h.process_element({"a", 2}, 5); // [5, 15)
  h.process_watermark(14);
  BOOST_TEST(h.extract_output() == (results{{{"a", 1}, 4}, {{"a", 2}, 14}}));
}

BOOST_AUTO_TEST_CASE(sliding_puts_each_record_in_size_over_slide_windows) {
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of).window(sliding_event_time_windows::of(10ms, 5ms)).reduce(sum_values);
  });
  h.process_element({"a", 1}, 7);   // [0,10) [5,15)
  h.process_element({"a", 10}, 12); // [5,15) [10,20)
  h.process_watermark(30);
  BOOST_TEST(h.extract_output() == (results{{{"a", 1}, 9}, {{"a", 11}, 14}, {{"a", 10}, 19}}));
}

BOOST_AUTO_TEST_CASE(sessions_merge_when_they_touch_or_overlap) {
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of).window(event_time_session_windows::with_gap(10ms)).reduce(sum_values);
  });
  h.process_element({"a", 1}, 0);  // [0, 10)
  h.process_element({"a", 2}, 30); // [30, 40)
  h.process_element({"a", 4}, 20); // [20, 30) touches [30, 40): one session [20, 40)
  h.process_element({"b", 8}, 5);  // another key
  h.process_watermark(9);
  BOOST_TEST(sorted(h.extract_output()) == (results{{{"a", 1}, 9}}));
  h.process_element(
      {"a", 16}, 12); // [12, 22) bridges nothing before (session [0,10) fired) but merges [20, 40)
  h.process_watermark(14);
  BOOST_TEST(sorted(h.extract_output()) == (results{{{"b", 8}, 14}}));
  h.process_watermark(50);
  BOOST_TEST(h.extract_output() == (results{{{"a", 22}, 39}}));
  BOOST_TEST(h.event_time_timers() == 0u);
}

BOOST_AUTO_TEST_CASE(late_records_are_counted_or_sent_to_a_side_output) {
  operator_harness<kv, kv> dropped([](stream<kv> s) {
    return s.key_by(key_of).window(tumbling_event_time_windows::of(10ms)).reduce(sum_values);
  });
  dropped.process_element({"a", 1}, 5);
  dropped.process_watermark(20);
  dropped.process_element({"a", 2}, 3); // window [0, 10) is gone
  BOOST_TEST(dropped.counter("numLateRecordsDropped") == 1);
  BOOST_TEST(dropped.extract_output() == (results{{{"a", 1}, 9}}));

  output_tag<kv> late("late");
  operator_harness<kv, kv> side(
      [late](stream<kv> s) {
        return s.key_by(key_of)
            .window(tumbling_event_time_windows::of(10ms))
            .side_output_late_data(late)
            .reduce(sum_values);
      },
      {}, {late.id});
  side.process_watermark(20);
  side.process_element({"a", 7}, 3);
  BOOST_TEST(side.counter("numLateRecordsDropped") == 0);
  BOOST_TEST((side.side_output(late) == std::vector<std::pair<kv, timestamp>>{{{"a", 7}, 3}}));
  BOOST_TEST(side.extract_output().empty());
}

BOOST_AUTO_TEST_CASE(allowed_lateness_refires_then_drops) {
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of)
        .window(tumbling_event_time_windows::of(10ms))
        .allowed_lateness(5ms)
        .reduce(sum_values);
  });
  h.process_element({"a", 1}, 2);
  h.process_watermark(9);
  BOOST_TEST(h.extract_output() == (results{{{"a", 1}, 9}}));
  h.process_element({"a", 2}, 4); // late but within lateness: fires again, updated
  BOOST_TEST(h.extract_output() == (results{{{"a", 3}, 9}}));
  h.process_watermark(14); // end - 1 + lateness: state is dropped
  BOOST_TEST(h.event_time_timers() == 0u);
  h.process_element({"a", 4}, 5);
  BOOST_TEST(h.extract_output().empty());
  BOOST_TEST(h.counter("numLateRecordsDropped") == 1);
}

BOOST_AUTO_TEST_CASE(aggregate_process_and_aggregate_with_window_function) {
  using agg_out = count_min_max::result_type;
  operator_harness<kv, agg_out> a([](stream<kv> s) {
    return s.key_by(key_of)
        .window(tumbling_event_time_windows::of(10ms))
        .aggregate(count_min_max{});
  });
  for (std::int64_t v : {5, -3, 9})
    a.process_element({"k", v}, 1);
  a.process_watermark(9);
  auto out = a.extract_output();
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST((out[0].first == agg_out{3, -3, 9}));

  operator_harness<kv, std::string> p([](stream<kv> s) {
    return s.key_by(key_of)
        .window(tumbling_event_time_windows::of(10ms))
        .process([](const std::string& key, const time_window& w, const std::vector<kv>& all,
                    collector<std::string>& c) {
          std::string text = key + "@" + std::to_string(w.start) + ":";
          for (auto& e : all)
            text += std::to_string(e.second) + ",";
          c.collect(text);
        });
  });
  p.process_element({"k", 1}, 1);
  p.process_element({"k", 2}, 2);
  p.process_element({"k", 3}, 11);
  p.process_watermark(20);
  BOOST_TEST((p.extract_output() ==
              std::vector<std::pair<std::string, timestamp>>{{"k@0:1,2,", 9}, {"k@10:3,", 19}}));

  operator_harness<kv, std::string> aw([](stream<kv> s) {
    return s.key_by(key_of)
        .window(event_time_session_windows::with_gap(5ms))
        .aggregate(count_min_max{}, [](const std::string& key, const time_window& w,
                                       const std::vector<agg_out>& r, collector<std::string>& c) {
          c.collect(key + " [" + std::to_string(w.start) + "," + std::to_string(w.end) +
                    ") n=" + std::to_string(std::get<0>(r.at(0))));
        });
  });
  aw.process_element({"k", 1}, 0);
  aw.process_element({"k", 1}, 10); // separate session
  aw.process_element({"k", 1}, 5);  // touches both: one session [0, 15)
  aw.process_watermark(100);
  BOOST_TEST((aw.extract_output() ==
              std::vector<std::pair<std::string, timestamp>>{{"k [0,15) n=3", 14}}));
}

BOOST_AUTO_TEST_CASE(processing_time_windows_fire_on_the_clock) {
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of).window(tumbling_processing_time_windows::of(100ms)).reduce(sum_values);
  });
  h.set_processing_time(1050);
  h.process_element({"a", 1});
  h.process_element({"a", 2});
  h.set_processing_time(1098);
  BOOST_TEST(h.extract_output().empty());
  BOOST_TEST(h.processing_time_timers() == 1u);
  h.set_processing_time(1099);
  BOOST_TEST(h.extract_output() == (results{{{"a", 3}, 1099}}));
  h.process_element({"a", 5}); // now in [1000, 1100) still
  h.set_processing_time(1250);
  BOOST_TEST(h.extract_output() == (results{{{"a", 5}, 1099}}));
  BOOST_TEST(h.processing_time_timers() == 0u);
  // Watermarks do not fire processing-time windows.
  h.process_element({"b", 1});
  h.process_watermark(max_watermark - 1);
  BOOST_TEST(h.extract_output().empty());
}

BOOST_AUTO_TEST_CASE(records_without_timestamps_are_an_error_naming_the_operator) {
  operator_harness<kv, kv> h([](stream<kv> s) {
    return s.key_by(key_of).window(tumbling_event_time_windows::of(10ms)).reduce(sum_values);
  });
  try {
    h.process_element({"a", 1});
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("Window(TumblingEventTimeWindows(10)") !=
                   std::string::npos,
               e.what());
  }
  BOOST_CHECK_THROW(tumbling_event_time_windows::of(0ms), error);
  BOOST_CHECK_THROW(sliding_event_time_windows::of(10ms, 0ms), error);
}
