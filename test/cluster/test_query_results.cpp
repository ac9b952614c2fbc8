// The JobManager's store of a query's rows (query_results.hpp), fed frames as TaskManagers
// send them: resets after a failover drop the rows after the restored count and readers see
// where their rows changed; stale attempts, gaps and hostile frames are refused.
#define BOOST_TEST_MODULE query_results
#include <boost/test/unit_test.hpp>

#include "query_results.hpp"
#include "spate/core/error.hpp"
#include "spate/transport/frame.hpp"

using namespace spate;
using namespace spate::cluster_detail;

namespace {

std::vector<result_column> two_columns() { return {{"a", "BIGINT"}, {"b", "STRING"}}; }

wire_query_rows rows_of(std::int32_t subtask, std::uint64_t incarnation, std::int64_t first,
                        int n) {
  wire_query_rows m{"job", subtask, incarnation, first, {}};
  for (int i = 0; i < n; ++i) {
    auto index = std::to_string(first + i);
    m.rows.push_back({0, {std::to_string(subtask) + ":" + index, std::nullopt}});
  }
  return m;
}

std::vector<std::string> firsts(const query_results::page& p) {
  std::vector<std::string> out;
  for (auto& r : p.rows)
    out.push_back(*r.values[0]);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(rows_are_served_in_arrival_order_across_subtasks) {
  query_results q(two_columns(), 100);
  q.reset({"job", 0, 1, 0});
  q.reset({"job", 1, 2, 0});
  BOOST_TEST(q.append(rows_of(0, 1, 0, 2)));
  BOOST_TEST(q.append(rows_of(1, 2, 0, 1)));
  BOOST_TEST(q.append(rows_of(0, 1, 2, 1)));
  auto p = q.read(std::nullopt, 0, 100);
  BOOST_TEST(p.version == 0u);
  BOOST_TEST((firsts(p) == std::vector<std::string>{"0:0", "0:1", "1:0", "0:2"}));
  BOOST_TEST(!p.rows[0].values[1].has_value());
  p = q.read(0, 3, 100);
  BOOST_TEST(p.from == 3u);
  BOOST_TEST((firsts(p) == std::vector<std::string>{"0:2"}));
  BOOST_TEST(q.read(0, 1, 2).rows.size() == 2u); // at most max_rows
  BOOST_CHECK_THROW(q.read(0, 5, 100), error);   // past the rows
  BOOST_CHECK_THROW(q.read(1, 0, 100), error);   // a version from the future
}

BOOST_AUTO_TEST_CASE(a_reset_drops_rows_after_the_restored_count_and_readers_see_where) {
  query_results q(two_columns(), 100);
  q.reset({"job", 0, 1, 0});
  q.reset({"job", 1, 2, 0});
  q.append(rows_of(0, 1, 0, 2)); // positions 0, 1
  q.append(rows_of(1, 2, 0, 2)); // 2, 3
  q.append(rows_of(0, 1, 2, 2)); // 4, 5
  // Subtask 0 restarts from a checkpoint after its 3rd row: 0:3 (position 5) goes.
  q.reset({"job", 0, 3, 3});
  BOOST_TEST(q.version() == 1u);
  // Rows of the replaced attempt still on the way are dropped.
  BOOST_TEST(!q.append(rows_of(0, 1, 4, 1)));
  BOOST_TEST(q.append(rows_of(0, 3, 3, 1)));
  // A reader that had 5 rows of version 0 keeps them; one that had 6 starts again at 5.
  auto p = q.read(0, 5, 100);
  BOOST_TEST(p.version == 1u);
  BOOST_TEST(p.from == 5u);
  BOOST_TEST((firsts(p) == std::vector<std::string>{"0:3"}));
  p = q.read(0, 6, 100);
  BOOST_TEST(p.from == 5u);
  // A restart without a checkpoint: everything of subtask 1 goes, from position 2.
  q.reset({"job", 1, 4, 0});
  p = q.read(1, 6, 100);
  BOOST_TEST(p.version == 2u);
  BOOST_TEST(p.from == 2u);
  BOOST_TEST((firsts(q.read(std::nullopt, 0, 100)) ==
              std::vector<std::string>{"0:0", "0:1", "0:2", "0:3"}));
  // A reset that drops no kept row changes no version.
  q.reset({"job", 0, 5, 4});
  BOOST_TEST(q.version() == 2u);
}

BOOST_AUTO_TEST_CASE(rows_beyond_the_limit_or_after_a_gap_are_counted_as_dropped) {
  query_results q(two_columns(), 3);
  q.reset({"job", 0, 1, 0});
  q.append(rows_of(0, 1, 0, 5));
  auto p = q.read(std::nullopt, 0, 100);
  BOOST_TEST(p.rows.size() == 3u);
  BOOST_TEST(p.dropped == 2u);
  // A failover back to 2 rows frees room; the rows sent again are kept as far as it goes.
  q.reset({"job", 0, 2, 2});
  BOOST_TEST(q.read(std::nullopt, 0, 100).dropped == 0u);
  q.append(rows_of(0, 2, 2, 2));
  p = q.read(std::nullopt, 0, 100);
  BOOST_TEST(p.rows.size() == 3u);
  BOOST_TEST(p.dropped == 1u);
  // Rows that do not follow the last (frames lost) are not kept.
  query_results g(two_columns(), 100);
  g.reset({"job", 0, 1, 0});
  BOOST_TEST(!g.append(rows_of(0, 1, 3, 1)));
  BOOST_TEST(!g.append(rows_of(0, 9, 0, 1))); // no reset of this incarnation
  BOOST_TEST(!g.append(rows_of(1, 1, 0, 1))); // a subtask that did not start
  BOOST_TEST(g.read(std::nullopt, 0, 100).rows.empty());
}

BOOST_AUTO_TEST_CASE(a_job_restored_from_a_savepoint_keeps_the_rows_after_its_count) {
  query_results q(two_columns(), 100);
  q.reset({"job", 0, 1, 40}); // the savepoint's job had sent 40 rows
  BOOST_TEST(q.append(rows_of(0, 1, 40, 3)));
  auto p = q.read(std::nullopt, 0, 100);
  BOOST_TEST((firsts(p) == std::vector<std::string>{"0:40", "0:41", "0:42"}));
  BOOST_TEST(p.dropped == 0u);
  // A failover back to the savepoint: the rows of this job go.
  q.reset({"job", 0, 2, 40});
  BOOST_TEST(q.version() == 1u);
  BOOST_TEST(q.read(std::nullopt, 0, 100).rows.empty());
  BOOST_TEST(q.append(rows_of(0, 2, 40, 1)));
  BOOST_TEST((firsts(q.read(std::nullopt, 0, 100)) == std::vector<std::string>{"0:40"}));
}

BOOST_AUTO_TEST_CASE(hostile_frames_are_refused_with_a_reason) {
  query_results q(two_columns(), 100);
  auto refused = [](const std::function<void()>& f, const std::string& says) {
    try {
      f();
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::codec);
      BOOST_TEST(std::string(e.what()).find(says) != std::string::npos, e.what());
      return;
    }
    BOOST_FAIL("not refused: " + says);
  };
  refused([&] { q.reset({"job", -1, 1, 0}); }, "subtask -1");
  refused([&] { q.reset({"job", 1 << 20, 1, 0}); }, "subtask");
  refused([&] { q.reset({"job", 0, 1, -5}); }, "-5");
  q.reset({"job", 0, 1, 0});
  auto wrong_width = rows_of(0, 1, 0, 1);
  wrong_width.rows[0].values.pop_back();
  refused([&] { q.append(std::move(wrong_width)); }, "1 values; the query has 2 columns");
  auto wrong_kind = rows_of(0, 1, 0, 1);
  wrong_kind.rows[0].kind = 7;
  refused([&] { q.append(std::move(wrong_kind)); }, "unknown kind 7");
  BOOST_TEST(q.read(std::nullopt, 0, 100).rows.empty());

  // Frames cut short decode to errc::codec, never a crash.
  auto frame = transport::encode_message(transport::frame_type::query_rows, rows_of(0, 1, 0, 3));
  auto f = transport::decode_frame(frame, "tm");
  auto ok = transport::decode_payload<wire_query_rows>(f);
  BOOST_TEST(ok.rows.size() == 3u);
  for (std::size_t cut = 0; cut < f.payload.size(); cut += 3) {
    transport::frame shorter = f;
    shorter.payload.resize(cut);
    try {
      (void)transport::decode_payload<wire_query_rows>(shorter);
      BOOST_FAIL("a payload cut at " << cut << " decoded");
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::codec);
    }
  }
}
