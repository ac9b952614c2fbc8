#define BOOST_TEST_MODULE sqlrt_window_state
#include <boost/test/unit_test.hpp>

// The keyed state of a window aggregate over rows that carry their window (window_start and
// window_end columns, below it a window table function and a filter): a key's open windows are
// one value, 'open-windows'. Savepoints taken before kept them in a map state 'column-windows'
// (window end -> start and accumulator). A savepoint rewritten into that older layout, as the
// older code wrote it, restores at the same or another parallelism: its open windows move to
// 'open-windows' and fire with the counts, sums and maxima of a reference computed from the
// bids themselves. An entry of the older state that cannot be read, or a window both layouts
// hold, refuses the restore, naming the state.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <msgpack.hpp>

#include "spate/checkpoints/metadata.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/crc32c.hpp"
#include "spate/nexmark/queries.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "support/collect.hpp"
#include "support/expect_refused.hpp"
#include "support/sql_nexmark.hpp"

using namespace spate;
using namespace spate::sql;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t events_num = test::sql_nexmark_events;
constexpr std::int64_t hop_size = 3000, hop_slide = 1000, min_price = 100;

// HOP over a filter: the filter keeps the window aggregate off the window operator (it runs
// on the rows' window columns), and a row goes to three windows per auction.
const std::string window_query =
    "SELECT auction, COUNT(*) AS num, SUM(price) AS total, MAX(price) AS top, window_start, "
    "window_end FROM (SELECT auction, price, window_start, window_end FROM TABLE(HOP(TABLE bid, "
    "DESCRIPTOR(dateTime), INTERVAL '1' SECOND, INTERVAL '3' SECOND)) WHERE price > 100) "
    "GROUP BY auction, window_start, window_end";

//! (auction, window_start, window_end, count, sum, max).
using window_row =
    std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

std::vector<window_row> window_rows(const std::vector<row>& rows) {
  std::vector<window_row> out;
  for (const row& r : rows)
    out.emplace_back(r.get_long(0), r.get_long(4), r.get_long(5), r.get_long(1), r.get_long(2),
                     r.get_long(3));
  std::sort(out.begin(), out.end());
  return out;
}

//! The query's rows computed from the bids of the same generated events (a DataStream job
//! collects them), windows assigned and aggregated here.
std::vector<window_row> reference() {
  test::temp_dir dir;
  environment env(test::test_config(dir.str(), 1));
  nexmark::generator_config c;
  c.events_per_second = test::sql_nexmark_rate;
  auto out = std::make_shared<test::collected<nexmark::bid>>();
  nexmark::split(nexmark::events(env, c, events_num)).bids.add_sink(test::collect_into(out));
  BOOST_REQUIRE(env.execute("bids").status == job_status::finished);
  std::map<std::tuple<std::int64_t, std::int64_t>,
           std::tuple<std::int64_t, std::int64_t, std::int64_t>>
      windows;
  for (const nexmark::bid& b : out->snapshot()) {
    if (b.price <= min_price)
      continue;
    for (std::int64_t start = b.date_time - b.date_time % hop_slide; start > b.date_time - hop_size;
         start -= hop_slide) {
      auto [it, fresh] = windows.try_emplace({b.auction, start}, 0, 0, b.price);
      auto& [count, sum, max] = it->second;
      ++count;
      sum += b.price;
      max = std::max(max, b.price);
    }
  }
  std::vector<window_row> rows;
  for (const auto& [k, v] : windows)
    rows.emplace_back(std::get<0>(k), std::get<1>(k), std::get<1>(k) + hop_size, std::get<0>(v),
                      std::get<1>(v), std::get<2>(v));
  return rows;
}

//! A savepoint of the query's job stopped once its first windows fired, and the rows it
//! gave.
struct stopped_job {
  test::temp_dir dir;
  std::string savepoint;
  std::vector<window_row> rows;
};

const stopped_job& stopped() {
  static const stopped_job job = [] {
    stopped_job s;
    table_environment t(test::test_config(s.dir.str() + "/run", 2));
    t.execute_sql(test::nexmark_ddl("'rate-limited.rate' = '10000', "));
    t.execute_sql(test::nexmark_bid_view);
    auto r = t.execute_sql(window_query);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (r.rows_so_far().empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    s.savepoint = r.job->stop(s.dir.str() + "/savepoints", false);
    r.wait();
    s.rows = window_rows(r.rows_so_far());
    return s;
  }();
  return job;
}

using canonical_entry = std::tuple<std::string, int, std::string, std::string>;

//! What a rewrite did: 'open-windows' values read, windows written as 'column-windows'.
struct rewritten {
  std::size_t values = 0, windows = 0;
};

//! Turns the 'open-windows' entries of every canonical state file of `savepoint` into the
//! 'column-windows' entries the older code wrote for the same windows: per key and window,
//! key = group key + msgpack(window end), value = msgpack([start, accumulator]). `keep_new`
//! keeps the 'open-windows' entries too; `damage` may change each written value. The files'
//! checksums and the sizes in _metadata are rewritten.
rewritten to_legacy_layout(const std::string& savepoint, bool keep_new,
                           const std::function<void(std::string&)>& damage = {}) {
  rewritten done;
  const std::string meta_file = savepoint + "/_metadata";
  auto slurp = [](const std::string& f) {
    std::ifstream in(f, std::ios::binary);
    BOOST_REQUIRE(in);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  auto meta = checkpoints::decode_metadata(slurp(meta_file), meta_file);
  for (auto& op : meta.operators)
    for (auto& h : op.keyed) {
      if (h.format != "canonical")
        continue;
      for (auto& f : h.private_files) {
        const std::string file = savepoint + "/" + f.path;
        const std::string bytes = slurp(file);
        BOOST_REQUIRE(bytes.size() >= 12);
        const std::string_view payload(bytes.data() + 8, bytes.size() - 12);
        std::string out;
        std::size_t offset = 0;
        while (offset < payload.size()) {
          auto oh = msgpack::unpack(payload.data(), payload.size(), offset);
          auto e = oh.get().as<canonical_entry>();
          auto& [name, kg, key, value] = e;
          if (name != "open-windows" || keep_new)
            encode(e, out);
          if (name != "open-windows")
            continue;
          ++done.values;
          // column_windows: [[ [start, end, accumulator], ... ]]
          auto v = msgpack::unpack(value.data(), value.size());
          const msgpack::object& windows = v.get().via.array.ptr[0];
          for (std::uint32_t i = 0; i < windows.via.array.size; ++i) {
            const msgpack::object& w = windows.via.array.ptr[i];
            BOOST_REQUIRE_EQUAL(w.via.array.size, 3u);
            std::string old_key = key;
            encode(w.via.array.ptr[1].as<std::int64_t>(), old_key);
            msgpack::sbuffer old_value;
            msgpack::packer<msgpack::sbuffer> pk(old_value);
            pk.pack_array(2);
            pk.pack(w.via.array.ptr[0]);
            pk.pack(w.via.array.ptr[2]);
            std::string ov(old_value.data(), old_value.size());
            if (damage)
              damage(ov);
            encode(canonical_entry{"column-windows", kg, old_key, ov}, out);
            ++done.windows;
          }
        }
        const std::uint32_t crc = crc32c(out.data(), out.size());
        std::ofstream o(file, std::ios::binary | std::ios::trunc);
        o.write(bytes.data(), 8); // the magic
        o.write(out.data(), static_cast<std::streamsize>(out.size()));
        for (int i = 0; i < 4; ++i)
          o.put(static_cast<char>((crc >> (8 * i)) & 0xff));
        o.close();
        BOOST_REQUIRE(o);
        f.size = out.size() + 12;
      }
    }
  std::ofstream o(meta_file, std::ios::binary | std::ios::trunc);
  const std::string m = checkpoints::encode_metadata(meta);
  o.write(m.data(), static_cast<std::streamsize>(m.size()));
  o.close();
  BOOST_REQUIRE(o);
  return done;
}

//! A copy of the stopped job's savepoint under `dir`.
std::string copy_of_savepoint(const test::temp_dir& dir) {
  const std::string to = dir.str() + "/savepoint";
  fs::copy(stopped().savepoint, to, fs::copy_options::recursive);
  return to;
}

//! The tables of the window_query, and `savepoint` to start its next job from.
void restore_from(table_environment& t, const std::string& savepoint) {
  t.execute_sql(test::nexmark_ddl());
  t.execute_sql(test::nexmark_bid_view);
  t.execute_sql("SET 'execution.savepoint.path' = '" + savepoint + "'");
}

} // namespace

//! The stopped job's savepoint in the older layout, restored at `parallelism`: the rows
//! before and after it are the reference's.
static void check_older_layout_restored(int parallelism) {
  static const std::vector<window_row> want = reference();
  BOOST_REQUIRE(want.size() > 1000);
  const stopped_job& before = stopped();
  BOOST_TEST_MESSAGE("rows before the savepoint: " << before.rows.size() << " of " << want.size());
  BOOST_REQUIRE(!before.rows.empty());
  BOOST_REQUIRE(before.rows.size() < want.size());

  test::temp_dir dir;
  const std::string savepoint = copy_of_savepoint(dir);
  const rewritten r = to_legacy_layout(savepoint, false);
  BOOST_TEST_MESSAGE("open windows rewritten: " << r.windows << " of " << r.values << " keys");
  // Open windows of several per key: what the migration has to group back.
  BOOST_REQUIRE(r.values > 10);
  BOOST_REQUIRE(r.windows > r.values);

  table_environment t(test::test_config(dir.str() + "/restored", parallelism));
  restore_from(t, savepoint);
  auto res = t.execute_sql(window_query);
  res.wait();
  std::vector<window_row> got = before.rows;
  const std::vector<window_row> after = window_rows(res.rows_so_far());
  got.insert(got.end(), after.begin(), after.end());
  std::sort(got.begin(), got.end());
  BOOST_TEST(got.size() == want.size());
  BOOST_TEST((got == want));
}

BOOST_AUTO_TEST_CASE(open_windows_of_the_older_layout_are_moved_and_fire) {
  check_older_layout_restored(2);
}

BOOST_AUTO_TEST_CASE(open_windows_of_the_older_layout_are_moved_at_another_parallelism) {
  // Each subtask moves the entries of the key groups it now owns (two subtasks' worth here).
  check_older_layout_restored(1);
}

BOOST_AUTO_TEST_CASE(a_window_both_layouts_hold_refuses_the_restore) {
  test::temp_dir dir;
  const std::string savepoint = copy_of_savepoint(dir);
  BOOST_REQUIRE(to_legacy_layout(savepoint, true).windows > 0);
  table_environment t(test::test_config(dir.str() + "/restored", 2));
  restore_from(t, savepoint);
  test::expect_refused(t, window_query, {"'column-windows'", "'open-windows'", "both states hold"});
}

BOOST_AUTO_TEST_CASE(an_unreadable_entry_of_the_older_layout_refuses_the_restore) {
  test::temp_dir dir;
  const std::string savepoint = copy_of_savepoint(dir);
  // A string where the [start, accumulator] array was.
  BOOST_REQUIRE(to_legacy_layout(savepoint, false, [](std::string& v) {
                  v = "\xa3"
                      "bad";
                }).windows > 0);
  table_environment t(test::test_config(dir.str() + "/restored", 2));
  restore_from(t, savepoint);
  test::expect_refused(t, window_query, {"'column-windows'", "the window's value"});
}
