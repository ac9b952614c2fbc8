#define BOOST_TEST_MODULE savepoints
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iterator>
#include <map>
#include <mutex>
#include <tuple>

#include "spate/checkpoints/storage.hpp"
#include "support/checkpointing.hpp"

using namespace spate;
using namespace spate::test;
using namespace std::chrono_literals;
using rec = std::pair<std::int64_t, std::int64_t>;

namespace {

constexpr int keys = 50;
constexpr std::int64_t per_key = 40;

// Counts per key in keyed state; a probe record (value -1) asks for the
// count instead: emits {key, count}.
struct counter : keyed_process_function<std::int64_t, rec, rec> {
  value_state<std::int64_t>* count = nullptr;
  void open(runtime_context& rc) override {
    count = &rc.state->get_value_state(value_state_descriptor<std::int64_t>{"count"});
  }
  void process_element(const rec& r, context& ctx) override {
    std::int64_t n = count->value().value_or(0);
    if (r.second >= 0)
      count->update(++n);
    ctx.output({ctx.current_key(), r.second >= 0 ? n : -n - 1});
  }
};

struct probe_results {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::int64_t, std::int64_t> counts; // from probes
  std::int64_t updates = 0;
};

//! Builds: paced source (uid "src") [+ probes] -> key_by -> counter (uid
//! "counter") -> sink; returns the running client.
job_client run(const std::string& dir, int parallelism, bool with_probes,
               std::shared_ptr<probe_results> res, const start_options& opts,
               const std::string& counter_uid = "counter") {
  auto cfg = test_config(dir + "/state", parallelism);
  cfg.set(options::checkpoints_dir, dir + "/checkpoints");
  cfg.set(options::savepoints_dir, dir + "/savepoints");
  environment env(cfg);
  auto src = env.add_source(paced(0, keys * per_key, 100, 1ms, false)).uid("src");
  stream<rec> in = src.map([](rec r) { return rec{r.second % keys, r.second}; }).uid("to-key");
  if (with_probes) {
    std::vector<rec> probes;
    for (std::int64_t k = 0; k < keys; ++k)
      probes.push_back({k, -1});
    // Unbounded (it idles after the probes), so the job can take savepoints.
    struct probe_source final : source_function<rec> {
      std::vector<rec> items;
      std::size_t next = 0;
      explicit probe_source(std::vector<rec> v) : items(std::move(v)) {}
      source_status poll(collector<rec>& out, std::size_t) override {
        if (next == items.size())
          return source_status::wait_for(5ms);
        out.collect(items[next++]);
        return source_status::has_more();
      }
    };
    in = in.union_with(
        env.add_source<rec>(
               {"probes", [probes] { return std::make_unique<probe_source>(probes); }, false})
            .uid("probes"));
  }
  in.key_by([](const rec& r) { return r.first; })
      .process(counter{})
      .uid(counter_uid)
      .add_sink(callback_sink<rec>([res](const rec& r) {
        std::lock_guard<std::mutex> lock(res->mu);
        if (r.second < 0)
          res->counts[r.first] = -r.second - 1;
        else
          ++res->updates;
        res->cv.notify_all();
      }))
      .uid("sink");
  return env.execute_async("savepoints", opts);
}

template <class Pred>
bool await(probe_results& res, Pred p) {
  std::unique_lock<std::mutex> lock(res.mu);
  return res.cv.wait_for(lock, 20s, [&] { return p(res); });
}

} // namespace

BOOST_AUTO_TEST_CASE(savepoint_round_trip_and_rescale_4_2_3_keep_every_key_exact) {
  temp_dir dir;
  auto first = std::make_shared<probe_results>();
  std::string savepoint;
  {
    auto client = run(dir.str(), 4, false, first, {});
    BOOST_REQUIRE(await(*first, [](probe_results& r) { return r.updates == keys * per_key; }));
    savepoint = client.trigger_savepoint("");
    client.cancel();
    BOOST_TEST(client.wait().status == job_status::canceled);
  }
  BOOST_TEST_MESSAGE("savepoint " << savepoint);
  BOOST_REQUIRE(std::filesystem::exists(savepoint + "/_metadata"));
  auto meta = checkpoints::load_metadata(savepoint);
  BOOST_TEST(meta.savepoint);
  for (int p : {2, 3}) {
    auto res = std::make_shared<probe_results>();
    start_options opts;
    opts.restore_path = savepoint;
    auto client = run(dir.str(), p, true, res, opts);
    BOOST_REQUIRE(await(*res, [](probe_results& r) { return r.counts.size() == keys; }));
    for (std::int64_t k = 0; k < keys; ++k)
      BOOST_TEST(res->counts[k] == per_key, "key " << k << " at parallelism " << p);
    BOOST_TEST(res->updates == 0); // the source resumed at its end: nothing re-read
    // Stop with a savepoint (drain) to chain into the next parallelism.
    savepoint = client.stop("", true);
    BOOST_TEST(client.wait().status == job_status::finished);
  }
}

BOOST_AUTO_TEST_CASE(state_without_a_matching_uid_is_refused_unless_allowed) {
  temp_dir dir;
  auto res = std::make_shared<probe_results>();
  std::string savepoint;
  {
    auto client = run(dir.str(), 2, false, res, {});
    BOOST_REQUIRE(await(*res, [](probe_results& r) { return r.updates == keys * per_key; }));
    savepoint = client.trigger_savepoint(dir.str() + "/mine");
    BOOST_TEST(savepoint.find(dir.str() + "/mine/savepoint-") == 0u, savepoint);
    client.cancel();
    client.wait();
  }
  start_options opts;
  opts.restore_path = savepoint;
  try {
    run(dir.str(), 2, true, std::make_shared<probe_results>(), opts, "renamed");
    BOOST_FAIL("restore without the counter's uid succeeded");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("'counter'") != std::string::npos, e.what());
  }
  opts.allow_non_restored_state = true;
  auto fresh = std::make_shared<probe_results>();
  auto client = run(dir.str(), 2, true, fresh, opts, "renamed");
  BOOST_REQUIRE(await(*fresh, [](probe_results& r) { return r.counts.size() == keys; }));
  for (auto& [k, n] : fresh->counts)
    BOOST_TEST(n == 0); // the counter started empty
  client.cancel();
  client.wait();
}

BOOST_AUTO_TEST_CASE(missing_corrupt_and_truncated_metadata_are_clear_errors) {
  temp_dir dir;
  auto res = std::make_shared<probe_results>();
  std::string savepoint;
  {
    auto client = run(dir.str(), 1, false, res, {});
    BOOST_REQUIRE(await(*res, [](probe_results& r) { return r.updates == keys * per_key; }));
    savepoint = client.trigger_savepoint("");
    client.cancel();
    client.wait();
  }
  auto attempt = [&](const std::string& path) -> std::string {
    start_options opts;
    opts.restore_path = path;
    try {
      run(dir.str(), 1, false, std::make_shared<probe_results>(), opts);
    } catch (const error& e) {
      return e.what();
    }
    return "";
  };
  BOOST_TEST(attempt(dir.str() + "/nowhere").find("does not exist") != std::string::npos);
  std::string meta = savepoint + "/_metadata";
  std::string original;
  {
    std::ifstream in(meta, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(meta, std::ios::binary | std::ios::trunc);
    out << original.substr(0, original.size() / 2);
  }
  BOOST_TEST(attempt(savepoint).find("truncated") != std::string::npos);
  {
    std::ofstream out(meta, std::ios::binary | std::ios::trunc);
    auto bad = original;
    bad[bad.size() - 3] ^= 1;
    out << bad;
  }
  BOOST_TEST(attempt(savepoint).find("checksum") != std::string::npos);
  // A state file that went missing is named too.
  {
    std::ofstream out(meta, std::ios::binary | std::ios::trunc);
    out << original;
  }
  for (auto& e : std::filesystem::directory_iterator(savepoint))
    if (e.path().extension() == ".state")
      std::filesystem::remove(e.path());
  auto message = attempt(savepoint);
  BOOST_TEST(message.find(".state") != std::string::npos, message);
  BOOST_TEST(message.find("missing") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(max_parallelism_cannot_change_for_keyed_state) {
  temp_dir dir;
  auto res = std::make_shared<probe_results>();
  std::string savepoint;
  {
    auto client = run(dir.str(), 2, false, res, {});
    BOOST_REQUIRE(await(*res, [](probe_results& r) { return r.updates == keys * per_key; }));
    savepoint = client.trigger_savepoint("");
    client.cancel();
    client.wait();
  }
  auto cfg = test_config(dir.str() + "/state", 2);
  cfg.set(options::max_parallelism, "64");
  environment env(cfg);
  env.add_source(paced(0, 10, 10, 1ms, false))
      .uid("src")
      .map([](rec r) {
        return rec{r.second % keys, r.second};
      })
      .uid("to-key")
      .key_by([](const rec& r) { return r.first; })
      .process(counter{})
      .uid("counter")
      .add_sink(discard_sink<rec>());
  start_options opts;
  opts.restore_path = savepoint;
  try {
    env.execute_async("mismatch", opts);
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("max parallelism") != std::string::npos, e.what());
  }
}

namespace {

using window_row = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;

struct window_results {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<window_row> rows;
  std::vector<window_row> snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return rows;
  }
};

//! Emits {i, i} for i from its position up to `limit`, 40 per poll; then
//! idles (a first run, stopped with a savepoint) or ends. Parallelism 1.
struct counting_source final : positioned_source<rec> {
  std::int64_t limit;
  bool end_at_limit;
  counting_source(std::int64_t l, bool e) : limit(l), end_at_limit(e) {}
  source_status poll(collector<rec>& out, std::size_t) override {
    if (next >= limit)
      return end_at_limit ? source_status::end() : source_status::wait_for(5ms);
    for (int n = 0; n < 40 && next < limit; ++n, ++next)
      out.collect({next, next});
    return source_status::wait_for(1ms);
  }
};

struct count_and_sum {
  using accumulator_type = std::pair<std::int64_t, std::int64_t>;
  using result_type = accumulator_type;
  accumulator_type create_accumulator() const { return {0, 0}; }
  accumulator_type add(const rec& r, accumulator_type a) const {
    return {a.first + 1, a.second + r.second};
  }
  result_type get_result(const accumulator_type& a) const { return a; }
  accumulator_type merge(accumulator_type a, accumulator_type b) const {
    return {a.first + b.first, a.second + b.second};
  }
};

//! Three windowed branches over records i at time i ms: (0) tumbling 10 ms
//! by i % 7; (1) sessions with a 5 ms gap by i % 3 over the records with
//! i % 40 < 30; (2) tumbling 20 ms by i % 5 with 15 ms allowed lateness.
//! Each emits {branch, key, window end, count, sum}.
job_client run_windows(const std::string& dir, int parallelism, std::int64_t limit,
                       bool end_at_limit, std::shared_ptr<window_results> out,
                       const start_options& opts) {
  auto cfg = test_config(dir + "/state", parallelism);
  cfg.set(options::checkpoints_dir, dir + "/checkpoints");
  cfg.set(options::savepoints_dir, dir + "/savepoints");
  environment env(cfg);
  auto events =
      env
          .add_source(source_spec<rec>{
              "counting", [=] { return std::make_unique<counting_source>(limit, end_at_limit); },
              false})
          .uid("counting")
          .assign_timestamps_and_watermarks(
              watermark_strategy<rec>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const rec& r) { return r.second; }))
          .uid("timestamps");
  auto emit = [](std::int64_t branch) {
    return [branch](const std::int64_t& key, const time_window& w,
                    const std::vector<std::pair<std::int64_t, std::int64_t>>& r,
                    collector<window_row>& c) {
      c.collect({branch, key, w.end, r.front().first, r.front().second});
    };
  };
  auto tumbling = events.key_by([](const rec& r) { return r.first % 7; })
                      .window(tumbling_event_time_windows::of(10ms))
                      .aggregate(count_and_sum{}, emit(0))
                      .uid("tumbling");
  auto sessions = events.filter([](const rec& r) { return r.first % 40 < 30; })
                      .uid("gaps")
                      .key_by([](const rec& r) { return r.first % 3; })
                      .window(event_time_session_windows::with_gap(5ms))
                      .aggregate(count_and_sum{}, emit(1))
                      .uid("sessions");
  auto late = events.key_by([](const rec& r) { return r.first % 5; })
                  .window(tumbling_event_time_windows::of(20ms))
                  .allowed_lateness(15ms)
                  .aggregate(count_and_sum{}, emit(2))
                  .uid("lateness");
  tumbling.union_with(sessions)
      .union_with(late)
      .add_sink(callback_sink<window_row>([out](const window_row& r) {
        std::lock_guard<std::mutex> lock(out->mu);
        out->rows.push_back(r);
        out->cv.notify_all();
      }))
      .uid("sink");
  return env.execute_async("windows", opts);
}

//! What the three branches emit for records 0 .. n-1, computed directly.
std::vector<window_row> window_reference(std::int64_t n) {
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>,
           std::pair<std::int64_t, std::int64_t>>
      acc;
  auto add = [&](std::int64_t branch, std::int64_t key, std::int64_t end, std::int64_t v) {
    auto& a = acc[{branch, key, end}];
    ++a.first;
    a.second += v;
  };
  for (std::int64_t i = 0; i < n; ++i) {
    add(0, i % 7, (i / 10 + 1) * 10, i);
    add(2, i % 5, (i / 20 + 1) * 20, i);
  }
  // Sessions: per key, consecutive records closer than the gap join.
  for (std::int64_t key = 0; key < 3; ++key) {
    std::int64_t last = -100, count = 0, sum = 0;
    auto close = [&] {
      if (count > 0)
        acc[{1, key, last + 5}] = {count, sum};
      count = sum = 0;
    };
    for (std::int64_t i = key; i < n; i += 3) {
      if (i % 40 >= 30)
        continue;
      if (i > last + 5) // [i, i + 5) neither overlaps nor touches the session
        close();
      ++count;
      sum += i;
      last = i;
    }
    close();
  }
  std::vector<window_row> rows;
  for (auto& [k, v] : acc)
    rows.emplace_back(std::get<0>(k), std::get<1>(k), std::get<2>(k), v.first, v.second);
  return rows;
}

} // namespace

BOOST_AUTO_TEST_CASE(open_windows_fire_once_after_a_restore_at_another_parallelism) {
  // Stopped with a savepoint while windows of every branch are open, then
  // restored at parallelism 3: every window fires exactly once across both
  // runs, with what the reference computes. (Until the export flushed before
  // listing its states, a first savepoint lost every timer.) The timers of
  // windows without allowed lateness are not state: they come back from the
  // contents; those of the lateness branch are restored as state.
  constexpr std::int64_t n = 2000;
  // Mid-way through a session stretch (i % 40 = 15) and through a window of
  // each tumbling branch.
  constexpr std::int64_t pause = 1015;
  temp_dir dir;
  auto first = std::make_shared<window_results>();
  std::string savepoint;
  {
    auto client = run_windows(dir.str(), 2, pause, false, first, {});
    // Stop once the watermark has passed the windows just before the pause.
    std::unique_lock<std::mutex> lock(first->mu);
    BOOST_REQUIRE(first->cv.wait_for(lock, 20s, [&] {
      return std::any_of(first->rows.begin(), first->rows.end(), [](const window_row& r) {
        return std::get<0>(r) == 0 && std::get<2>(r) == 1000;
      });
    }));
    lock.unlock();
    savepoint = client.stop("", false);
    auto status = client.wait().status;
    BOOST_TEST((status == job_status::finished || status == job_status::canceled));
  }
  auto second = std::make_shared<window_results>();
  {
    start_options opts;
    opts.restore_path = savepoint;
    auto client = run_windows(dir.str(), 3, n, true, second, opts);
    auto result = client.wait();
    BOOST_REQUIRE_MESSAGE(result.status == job_status::finished, result.failure_cause);
  }
  auto before = first->snapshot();
  auto after = second->snapshot();
  BOOST_TEST(!before.empty());
  BOOST_TEST(!after.empty());
  std::vector<window_row> all = before;
  all.insert(all.end(), after.begin(), after.end());
  std::sort(all.begin(), all.end());
  auto expected = window_reference(n);
  std::vector<window_row> missing, extra;
  std::set_difference(expected.begin(), expected.end(), all.begin(), all.end(),
                      std::back_inserter(missing));
  std::set_difference(all.begin(), all.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  for (auto& r : missing)
    BOOST_TEST_MESSAGE("missing " << std::get<0>(r) << " " << std::get<1>(r) << " "
                                  << std::get<2>(r) << " " << std::get<3>(r));
  for (auto& r : extra)
    BOOST_TEST_MESSAGE("extra " << std::get<0>(r) << " " << std::get<1>(r) << " " << std::get<2>(r)
                                << " " << std::get<3>(r));
  BOOST_TEST(all.size() == expected.size());
  BOOST_TEST((all == expected));
  // Each branch had windows open at the savepoint that fired after it.
  for (std::int64_t branch : {0, 1, 2})
    BOOST_TEST(std::count_if(after.begin(), after.end(),
                             [&](const window_row& r) {
                               return std::get<0>(r) == branch && std::get<2>(r) <= pause + 20;
                             }) > 0,
               "branch " << branch);
}

namespace {

//! Emits {1, 0..count-1} and ends; keeps no state, so running it again
//! would emit everything again.
struct stateless_bounded final : source_function<rec> {
  std::int64_t count, next = 0;
  explicit stateless_bounded(std::int64_t n) : count(n) {}
  source_status poll(collector<rec>& out, std::size_t max) override {
    for (std::size_t i = 0; i < max && next < count; ++i)
      out.collect({1, next++});
    return next < count ? source_status::has_more() : source_status::end();
  }
};

//! bounded (uid "bounded", stateless) + paced unbounded (uid "paced") ->
//! two-phase sink (uid "sink"), with checkpoints every 20 ms.
job_client run_with_a_bounded_input(const std::string& dir,
                                    std::shared_ptr<committed_store<rec>> store,
                                    const start_options& opts) {
  auto cfg = test_config(dir + "/state", 1);
  cfg.set(options::checkpoints_dir, dir + "/checkpoints");
  cfg.set(options::savepoints_dir, dir + "/savepoints");
  cfg.set(options::checkpoint_interval, "20 ms");
  environment env(cfg);
  auto bounded = env.add_source<rec>(
                        {"bounded", [] { return std::make_unique<stateless_bounded>(100); }, false})
                     .uid("bounded");
  env.add_source(paced(2, 50, 10, 1ms, false))
      .uid("paced")
      .union_with(bounded)
      .add_sink(two_phase(store))
      .uid("sink");
  return env.execute_async("bounded and unbounded", opts);
}

} // namespace

// A restore from a snapshot in which a task had finished does not run it
// again (Flink's fully finished operators): the stateless bounded source
// would emit its 100 records a second time.
BOOST_AUTO_TEST_CASE(a_restore_does_not_run_again_what_had_finished) {
  temp_dir dir;
  auto store = std::make_shared<committed_store<rec>>();
  std::string savepoint;
  {
    auto client = run_with_a_bounded_input(dir.str(), store, {});
    for (int i = 0; i < 2000 && client.checkpoint_totals().completed < 1; ++i)
      std::this_thread::sleep_for(5ms); // polls a counter; no event to wait on
    // Savepoints until one records the bounded source as finished (it is
    // once it read everything; each attempt is a real round trip).
    for (int i = 0; i < 200 && savepoint.empty(); ++i) {
      auto path = client.trigger_savepoint(dir.str() + "/sp");
      auto meta = checkpoints::load_metadata(path + "/_metadata");
      for (auto& op : meta.operators)
        if (op.uid == "bounded" && op.finished)
          savepoint = path;
    }
    BOOST_REQUIRE(!savepoint.empty());
    auto meta = checkpoints::load_metadata(savepoint + "/_metadata");
    for (auto& op : meta.operators)
      if (op.uid != "bounded")
        BOOST_TEST(!op.finished, op.uid << " is still running");
    client.cancel();
    client.wait();
  }
  auto before = store->snapshot();
  BOOST_TEST(std::count_if(before.begin(), before.end(),
                           [](const rec& r) { return r.first == 1; }) <= 100);
  start_options opts;
  opts.restore_path = savepoint;
  auto client = run_with_a_bounded_input(dir.str(), store, opts);
  // Checkpoints complete after the restore (the sink commits what it got).
  for (int i = 0; i < 2000 && client.checkpoint_totals().completed < 3; ++i)
    std::this_thread::sleep_for(5ms); // polls a counter; no event to wait on
  BOOST_REQUIRE(client.checkpoint_totals().completed >= 3);
  client.cancel();
  client.wait();
  auto rows = store->snapshot();
  std::set<std::int64_t> bounded;
  for (auto& [origin, seq] : rows)
    if (origin == 1)
      BOOST_TEST(bounded.insert(seq).second, "record " << seq << " of the finished source twice");
  BOOST_TEST(bounded.size() == 100u);
}
