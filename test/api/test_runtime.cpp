#define BOOST_TEST_MODULE runtime
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>

#include "spate/core/hash.hpp"
#include "spate/core/key_group.hpp"
#include "support/collect.hpp"

using namespace spate;
using namespace spate::test;
using namespace std::chrono_literals;

namespace {

//! Counts what it emitted; unbounded.
struct counting_source final : source_function<std::int64_t> {
  std::shared_ptr<std::atomic<std::int64_t>> emitted;
  std::int64_t next = 0;
  explicit counting_source(std::shared_ptr<std::atomic<std::int64_t>> e) : emitted(std::move(e)) {}
  source_status poll(collector<std::int64_t>& out, std::size_t max_records) override {
    for (std::size_t i = 0; i < max_records; ++i)
      out.collect(next++);
    emitted->fetch_add(static_cast<std::int64_t>(max_records));
    return source_status::has_more();
  }
};

source_spec<std::int64_t> counting(std::shared_ptr<std::atomic<std::int64_t>> e) {
  return {"counting", [e] { return std::make_unique<counting_source>(e); }, false};
}

//! Signals every batch it receives; optionally slow.
struct signal_sink_state {
  std::mutex mu;
  std::condition_variable cv;
  std::int64_t received = 0;
  std::vector<std::int64_t> values;
  std::int64_t max_in_flight = 0;
  std::shared_ptr<std::atomic<std::int64_t>> emitted;

  template <class Pred>
  bool await(Pred p, std::chrono::seconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return p(received); });
  }
};

sink_spec<std::int64_t> signal_sink(std::shared_ptr<signal_sink_state> st,
                                    std::chrono::milliseconds delay_per_batch) {
  return batch_callback_sink<std::int64_t>(
      [st, delay_per_batch](const typed_batch<std::int64_t>& b, int) {
        if (delay_per_batch.count() > 0)
          std::this_thread::sleep_for(delay_per_batch); // the slow consumer under test
        std::lock_guard<std::mutex> lock(st->mu);
        st->received += static_cast<std::int64_t>(b.size());
        for (std::size_t i = 0; i < b.size(); ++i)
          st->values.push_back(b.values[i]);
        if (st->emitted)
          st->max_in_flight = std::max(st->max_in_flight, st->emitted->load() - st->received);
        st->cv.notify_all();
      });
}

//! Emits 0..count-1, then has nothing more until `release` is set.
struct held_source final : source_function<std::int64_t> {
  std::int64_t count;
  std::shared_ptr<std::atomic<bool>> release;
  std::int64_t next = 0;
  held_source(std::int64_t n, std::shared_ptr<std::atomic<bool>> r)
      : count(n), release(std::move(r)) {}
  source_status poll(collector<std::int64_t>& out, std::size_t) override {
    if (next < count) {
      while (next < count)
        out.collect(next++);
      return source_status::has_more();
    }
    return release->load() ? source_status::end() : source_status::wait_for(5ms);
  }
};

//! held_source(30) -> key x % 3 -> 1 h processing-time windows summing -> `sink`.
void hourly_sums_of_30(environment& env, std::shared_ptr<std::atomic<bool>> release,
                       sink_spec<std::int64_t> sink) {
  env
      .add_source(source_spec<std::int64_t>{
          "held", [release] { return std::make_unique<held_source>(30, release); }, false})
      .key_by([](std::int64_t x) { return x % 3; })
      .window(tumbling_processing_time_windows::of(std::chrono::hours(1)))
      .reduce([](const std::int64_t& a, std::int64_t b) { return a + b; })
      .add_sink(std::move(sink));
}

//! Waits until the tasks after the "held" source took in all 30 records.
void await_30_in_windows(job_client& client) {
  auto window_input = [&] {
    std::int64_t in = 0;
    for (auto& m : client.metrics())
      if (m.task_name.find("held") == std::string::npos)
        in += m.records_in;
    return in;
  };
  for (int i = 0; i < 2000 && window_input() < 30; ++i)
    std::this_thread::sleep_for(5ms); // polls a counter; no event to wait on
  BOOST_REQUIRE_EQUAL(window_input(), 30);
}

} // namespace

BOOST_AUTO_TEST_CASE(processing_time_is_the_injected_clock) {
  temp_dir dir;
  environment env(test_config(dir.str(), 1));
  auto clk = std::make_shared<manual_clock>();
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto st = std::make_shared<signal_sink_state>();
  hourly_sums_of_30(env, release, signal_sink(st, 0ms));
  start_options opts;
  opts.job_clock = clk;
  auto client = env.execute_async("processing time by hand", opts);
  // Every record is in its window before the clock moves.
  await_30_in_windows(client);
  BOOST_TEST(st->received == 0);
  // The window ends within the hour on the job's clock, never on the machine's
  // (which is years later than manual_clock's start): only moving the
  // injected clock fires it, without any real time passing.
  clk->advance(std::chrono::hours(1));
  BOOST_REQUIRE(st->await([](std::int64_t r) { return r >= 3; }, 10s));
  {
    std::lock_guard<std::mutex> lock(st->mu);
    auto v = st->values;
    std::sort(v.begin(), v.end());
    BOOST_TEST(v == (std::vector<std::int64_t>{135, 145, 155}), boost::test_tools::per_element());
  }
  release->store(true);
  BOOST_REQUIRE(client.wait_for(10s));
  BOOST_TEST(client.status() == job_status::finished);
  BOOST_TEST(st->received == 3);
}

namespace {

//! Records what it receives; its snapshot waits until the test lets it go.
struct gated_sink_state {
  std::mutex mu;
  std::condition_variable cv;
  bool in_snapshot = false;
  bool open_gate = false;
  std::int64_t received = 0;
};

struct gated_sink final : sink_function<std::int64_t> {
  std::shared_ptr<gated_sink_state> st;
  explicit gated_sink(std::shared_ptr<gated_sink_state> s) : st(std::move(s)) {}
  void write(const typed_batch<std::int64_t>& b) override {
    std::lock_guard<std::mutex> lock(st->mu);
    st->received += static_cast<std::int64_t>(b.size());
  }
  void snapshot_state(std::int64_t, operator_state_writer&) override {
    std::unique_lock<std::mutex> lock(st->mu);
    st->in_snapshot = true;
    st->cv.notify_all();
    st->cv.wait(lock, [&] { return st->open_gate; });
  }
};

} // namespace

// Stop-with-savepoint: a task that took the savepoint emits nothing more,
// since a restore from the savepoint would emit it again (Flink's synchronous
// savepoint). Here the processing-time window comes due while its task takes
// the savepoint (held there by the chained sink's snapshot): it must not fire.
BOOST_AUTO_TEST_CASE(a_task_that_took_a_stop_savepoint_fires_no_timer) {
  temp_dir dir;
  environment env(test_config(dir.str(), 1));
  auto clk = std::make_shared<manual_clock>();
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto st = std::make_shared<gated_sink_state>();
  hourly_sums_of_30(env, release, sink_spec<std::int64_t>{"gated", [st] {
                                                            return std::make_unique<gated_sink>(st);
                                                          }});
  start_options opts;
  opts.job_clock = clk;
  auto client = env.execute_async("stop with a processing-time window", opts);
  await_30_in_windows(client);
  std::string savepoint;
  std::thread stopper([&] { savepoint = client.stop(dir.str() + "/savepoints", false, 30s); });
  {
    // The barrier passed the window's task before it reached the sink.
    std::unique_lock<std::mutex> lock(st->mu);
    BOOST_REQUIRE(st->cv.wait_for(lock, 20s, [&] { return st->in_snapshot; }));
  }
  clk->advance(std::chrono::hours(1)); // the window is due
  {
    std::lock_guard<std::mutex> lock(st->mu);
    st->open_gate = true;
    st->cv.notify_all();
  }
  stopper.join();
  BOOST_REQUIRE(client.wait_for(20s));
  BOOST_TEST(client.status() == job_status::finished);
  BOOST_TEST(!savepoint.empty());
  // The window's task (the sink is chained to it) took the savepoint before
  // the window came due: the window is in the savepoint, not in the output.
  BOOST_TEST(st->received == 0, "the window fired after its task took the savepoint");
}

BOOST_AUTO_TEST_CASE(slow_sink_bounds_records_in_flight) {
  temp_dir dir;
  auto cfg = test_config(dir.str(), 1);
  cfg.set(options::batch_size, "100");
  cfg.set(options::buffers_per_channel, "2");
  environment env(cfg);
  auto emitted = std::make_shared<std::atomic<std::int64_t>>(0);
  auto st = std::make_shared<signal_sink_state>();
  st->emitted = emitted;
  env.add_source(counting(emitted))
      .map([](std::int64_t x) { return x + 1; })
      .rebalance()
      .map([](std::int64_t x) { return x; })
      .disable_chaining()
      .add_sink(signal_sink(st, 2ms));
  auto client = env.execute_async("backpressure");
  BOOST_REQUIRE(st->await([](std::int64_t r) { return r >= 10000; }));
  client.cancel();
  auto r = client.wait();
  BOOST_TEST(r.status == job_status::canceled);
  // Without backpressure the source would have emitted millions while the sink
  // took ~2 ms per 100 records. With credits, what is in flight stays within
  // a few batches per channel: 2 credits on each of 2 edges, the filling
  // batches, one source poll, and one batch queued per blocked writer.
  BOOST_TEST_MESSAGE("max in flight " << st->max_in_flight << ", emitted " << emitted->load());
  BOOST_TEST(st->max_in_flight <= 1200);
  BOOST_TEST(emitted->load() <= st->received + 1200);
}

BOOST_AUTO_TEST_CASE(cancel_stops_every_actor) {
  temp_dir dir;
  environment env(test_config(dir.str(), 3));
  auto emitted = std::make_shared<std::atomic<std::int64_t>>(0);
  auto st = std::make_shared<signal_sink_state>();
  env.add_source(counting(emitted))
      .key_by([](std::int64_t x) { return x % 100; })
      .reduce([](const std::int64_t& a, std::int64_t b) { return a + b; })
      .add_sink(signal_sink(st, 0ms));
  auto client = env.execute_async("cancel me");
  BOOST_TEST(client.status() == job_status::running);
  BOOST_REQUIRE(st->await([](std::int64_t r) { return r >= 5000; }));
  client.cancel();
  BOOST_REQUIRE(client.wait_for(10s));
  BOOST_TEST(client.status() == job_status::canceled);
  auto m = client.metrics();
  BOOST_TEST(m.size() == 1u + 3u); // the source, and reduce chained with the sink x3
}

BOOST_AUTO_TEST_CASE(user_exception_fails_the_job_and_process_lives_on) {
  temp_dir dir;
  {
    environment env(test_config(dir.str(), 2));
    std::vector<std::int64_t> v(2000);
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<std::int64_t>(i);
    env.from_collection(v)
        .rebalance()
        .map([](std::int64_t x) {
          if (x == 1500)
            throw std::runtime_error("boom at 1500");
          return x;
        })
        .add_sink(discard_sink<std::int64_t>());
    auto r = env.execute("failing");
    BOOST_TEST(r.status == job_status::failed);
    BOOST_TEST(r.failure_cause.find("boom at 1500") != std::string::npos, r.failure_cause);
    BOOST_TEST(r.failure_cause.find("Map") != std::string::npos, r.failure_cause);
  }
  {
    // A sink that fails in open().
    struct bad_sink : sink_function<std::int64_t> {
      void open(runtime_context&) override { throw std::runtime_error("cannot open sink"); }
      void write(const typed_batch<std::int64_t>&) override {}
    };
    environment env(test_config(dir.str(), 1));
    env.from_collection(std::vector<std::int64_t>{1, 2, 3})
        .add_sink({"bad", [] { return std::make_unique<bad_sink>(); }, false});
    auto r = env.execute();
    BOOST_TEST(r.status == job_status::failed);
    BOOST_TEST(r.failure_cause.find("cannot open sink") != std::string::npos, r.failure_cause);
  }
  // The process keeps running jobs.
  environment env(test_config(dir.str(), 2));
  auto out = std::make_shared<collected<std::int64_t>>();
  env.from_collection(std::vector<std::int64_t>{1, 2, 3}).add_sink(collect_into(out));
  BOOST_TEST(env.execute().status == job_status::finished);
  BOOST_TEST(out->size() == 3u);
}

BOOST_AUTO_TEST_CASE(invalid_graphs_are_refused_with_names) {
  temp_dir dir;
  environment env(test_config(dir.str(), 1));
  env.set_max_parallelism(4);
  env.from_collection(std::vector<int>{1})
      .map([](int x) { return x; })
      .name("too wide")
      .set_parallelism(8)
      .add_sink(discard_sink<int>());
  try {
    env.execute();
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()).find("too wide") != std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(env.set_parallelism(0), error);
  BOOST_CHECK_THROW(env.set_max_parallelism(40000), error);
  BOOST_CHECK_THROW(env.execute(), error); // empty graph

  environment env2(test_config(dir.str(), 2));
  env2.from_collection(std::vector<int>{1})
      .forward()
      .map([](int x) { return x; })
      .set_parallelism(3)
      .add_sink(discard_sink<int>());
  BOOST_CHECK_THROW(env2.execute(), error);

  configuration bad = test_config(dir.str(), 1);
  bad.set(options::parallelism, "zero");
  BOOST_CHECK_THROW(environment{bad}, error);
}

BOOST_AUTO_TEST_CASE(runtime_options_out_of_range_are_refused_naming_the_key) {
  temp_dir dir;
  const std::pair<const char*, const char*> cases[] = {
      {options::batch_size, "0"},
      {options::batch_size, "-1"}, // must not wrap around to a huge size
      {options::buffers_per_channel, "0"},
      {options::buffers_per_channel, "4294967297"}, // must not wrap around an int
      {options::state_cache_entries, "-1"},
      {options::state_ingest_min_entries, "0"},
      {options::state_ingest_min_entries, "-4096"},
  };
  for (const auto& [key, value] : cases) {
    configuration cfg = test_config(dir.str(), 1);
    cfg.set(key, value);
    environment env(cfg);
    env.from_collection(std::vector<std::int64_t>{1, 2, 3})
        .key_by([](std::int64_t x) { return x; })
        .reduce([](const std::int64_t& a, std::int64_t b) { return a + b; })
        .add_sink(discard_sink<std::int64_t>());
    try {
      env.execute();
      BOOST_ERROR(key << "=" << value << " was accepted");
    } catch (const error& e) {
      BOOST_TEST((e.code() == errc::invalid_argument), key << "=" << value);
      BOOST_TEST(std::string(e.what()).find(key) != std::string::npos, e.what());
    }
  }
  // The limits themselves are accepted: no cache at all, ingest from one write.
  configuration cfg = test_config(dir.str(), 1);
  cfg.set(options::state_cache_entries, "0");
  cfg.set(options::state_ingest_min_entries, "1");
  environment env(cfg);
  env.from_collection(std::vector<std::int64_t>{1, 2, 3})
      .key_by([](std::int64_t x) { return x % 2; })
      .reduce([](const std::int64_t& a, std::int64_t b) { return a + b; })
      .add_sink(discard_sink<std::int64_t>());
  BOOST_TEST((env.execute().status == job_status::finished));
}

BOOST_AUTO_TEST_CASE(bounded_job_reports_metrics_and_chains) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  std::vector<std::int64_t> v(10000, 1);
  env.from_collection(v)
      .map([](std::int64_t x) { return x; })
      .key_by([](std::int64_t x) { return x; })
      .sum()
      .map([](std::int64_t x) { return x * 2; })
      .add_sink(discard_sink<std::int64_t>());
  auto client = env.execute_async("metrics");
  auto r = client.wait();
  BOOST_TEST(r.status == job_status::finished);
  auto names = client.task_names();
  // The collection source runs alone (parallelism 1); the map at parallelism
  // 2 is fed round-robin; the keyed chain follows a hash edge.
  BOOST_REQUIRE(names.size() == 3u);
  BOOST_TEST(names[0] == "Source: collection");
  BOOST_TEST(names[1] == "Map");
  BOOST_TEST(names[2] == "Keyed Aggregation -> Map -> Sink: discard");
  std::int64_t in = 0, out = 0;
  for (auto& m : client.metrics()) {
    if (m.task_name == names[0])
      out += m.records_out;
    if (m.task_name == names[2])
      in += m.records_in;
  }
  BOOST_TEST(out == 10000);
  BOOST_TEST(in == 10000);
}

namespace {

//! Blocks in its first batch until released; counts what it received.
struct latch_sink_state {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool released = false;
  std::int64_t received = 0;

  template <class Pred>
  bool await(Pred p, std::chrono::seconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return p(); });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
};

//! The metrics of the subtasks of task `task` (by index).
std::vector<subtask_io_metrics> of_task(const job_client& c, int task) {
  std::vector<subtask_io_metrics> out;
  for (auto& m : c.task_metrics())
    if (m.task == task)
      out.push_back(m);
  return out;
}

//! Polls `pred` (a reading; no event to wait on) until it holds or 20 s pass.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 4000; ++i) {
    if (pred())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

} // namespace

BOOST_AUTO_TEST_CASE(task_time_splits_into_busy_idle_and_back_pressured) {
  temp_dir dir;
  auto config = test_config(dir.str(), 1);
  config.set(options::scheduler_threads, "4");
  environment env(config);
  auto clk = std::make_shared<manual_clock>();
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto st = std::make_shared<latch_sink_state>();
  constexpr std::int64_t total = 100'000; // far more than the channel's credit
  env
      .add_source(source_spec<std::int64_t>{
          "held", [release] { return std::make_unique<held_source>(std::int64_t{total}, release); },
          false})
      .rebalance()
      .add_sink(batch_callback_sink<std::int64_t>([st](const typed_batch<std::int64_t>& b, int) {
        std::unique_lock<std::mutex> lock(st->mu);
        st->entered = true;
        st->cv.notify_all();
        st->cv.wait(lock, [&] { return st->released; });
        st->received += static_cast<std::int64_t>(b.size());
        st->cv.notify_all();
      }));
  start_options opts;
  opts.job_clock = clk;
  auto client = env.execute_async("task time", opts);
  BOOST_REQUIRE(client.task_names().size() == 2u);
  // The sink is stuck in its first batch; the source fills the channel and
  // waits for credit.
  BOOST_REQUIRE(st->await([&] { return st->entered; }));
  BOOST_REQUIRE(eventually([&] { return of_task(client, 0).at(0).back_pressured; }));
  (void)client.task_metrics(); // the rates' base: now
  clk->advance(10s);
  auto source = of_task(client, 0).at(0);
  auto sink = of_task(client, 1).at(0);
  BOOST_TEST(source.back_pressured_ms == 1000.0, boost::test_tools::tolerance(0.001));
  BOOST_TEST(source.busy_ms <= 1.0);
  BOOST_TEST(sink.busy_ms == 1000.0, boost::test_tools::tolerance(0.001));
  BOOST_TEST(!sink.back_pressured);
  BOOST_TEST(source.acc_back_pressured_ms >= 10'000);
  for (auto& m : client.task_metrics())
    BOOST_TEST(std::abs(m.busy_ms + m.idle_ms + m.back_pressured_ms - 1000.0) <= 1.0);

  // Released, the sink takes everything; then nothing comes: idle.
  st->release();
  BOOST_REQUIRE(st->await([&] { return st->received == total; }));
  // Its last handler may still run: idle once a moved clock counts as idle.
  auto idle_then = of_task(client, 1).at(0).acc_idle_ms;
  BOOST_REQUIRE(eventually([&] {
    clk->advance(1ms);
    return of_task(client, 1).at(0).acc_idle_ms > idle_then + 1;
  }));
  // A handler that runs while the clock moves (a tick) counts the whole move as busy: move it
  // again until a whole move was idle (each reading is over the move since the last one).
  (void)client.task_metrics();
  BOOST_REQUIRE(eventually([&] {
    clk->advance(70s);
    sink = of_task(client, 1).at(0);
    return std::abs(sink.idle_ms - 1000.0) <= 1.0;
  }));
  BOOST_TEST(sink.idle_ms == 1000.0, boost::test_tools::tolerance(0.001));
  BOOST_TEST(sink.busy_ms <= 1.0);
  BOOST_TEST(sink.records_in == total);
  source = of_task(client, 0).at(0);
  BOOST_TEST(!source.back_pressured);
  BOOST_TEST(source.records_out == total);
  release->store(true);
  BOOST_REQUIRE(client.wait_for(20s));
  BOOST_TEST(client.status() == job_status::finished);
}

BOOST_AUTO_TEST_CASE(late_records_and_watermarks_per_subtask) {
  temp_dir dir;
  auto config = test_config(dir.str(), 2);
  config.set(options::max_parallelism, "128");
  config.set(options::watermark_interval, "0"); // a watermark after every record
  environment env(config);
  auto clk = std::make_shared<manual_clock>();
  // One key on each window subtask (of 2, with 128 key groups).
  auto subtask_of = [](std::int64_t k) {
    return subtask_for_key_group(key_group_for_hash(stable_hash<std::int64_t>{}(k), 128), 128, 2);
  };
  std::int64_t keys[2] = {-1, -1};
  for (std::int64_t k = 0; keys[0] < 0 || keys[1] < 0; ++k)
    if (keys[subtask_of(k)] < 0)
      keys[subtask_of(k)] = k;
  // Records are ts * 10 + tag: tag 0 goes to subtask 0's key, 1 to subtask 1's.
  // On time on both, then ts 100000 (watermark 99999), then 5 late ones on
  // subtask 1 only; then nothing, for ever.
  struct phased_source final : source_function<std::int64_t> {
    int step = 0;
    source_status poll(collector<std::int64_t>& out, std::size_t) override {
      switch (step++) {
        case 0:
          out.collect(1000 * 10 + 0);
          out.collect(1001 * 10 + 1);
          return source_status::has_more();
        case 1:
          out.collect(100'000 * 10 + 0);
          return source_status::has_more();
        case 2:
          for (int i = 0; i < 5; ++i)
            out.collect(10 * 10 + 1);
          return source_status::has_more();
        default:
          return source_status::wait_for(5ms);
      }
    }
  };
  env.add_source(source_spec<std::int64_t>{"phased",
                                           [] { return std::make_unique<phased_source>(); }, false})
      .set_parallelism(1)
      .assign_timestamps_and_watermarks(
          watermark_strategy<std::int64_t>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const std::int64_t& v) { return v / 10; }))
      .set_parallelism(1)
      .key_by([k0 = keys[0], k1 = keys[1]](std::int64_t v) { return v % 10 == 0 ? k0 : k1; })
      .window(tumbling_event_time_windows::of(std::chrono::seconds(1)))
      .reduce([](const std::int64_t& a, std::int64_t b) { return a + b; })
      .add_sink(discard_sink<std::int64_t>());
  start_options opts;
  opts.job_clock = clk;
  auto client = env.execute_async("late records", opts);
  auto names = client.task_names();
  BOOST_REQUIRE(names.size() == 2u);
  BOOST_REQUIRE(names[1].rfind("Window(", 0) == 0);
  auto late_name = [&] {
    for (auto& [name, value] : client.counters())
      if (name.find("numLateRecordsDropped") != std::string::npos)
        return name;
    return std::string();
  };
  BOOST_REQUIRE(eventually([&] {
    auto name = late_name();
    return !name.empty() && client.counters()[name] == 5;
  }));
  // Subtask 0's channel is its own: its watermark may come later.
  BOOST_REQUIRE(eventually([&] {
    for (auto& m : of_task(client, 1))
      if (m.input_watermark != 99'999)
        return false;
    return true;
  }));
  // Summed over subtasks by name, as before; per subtask at task scope.
  BOOST_TEST(late_name().rfind("Window(", 0) == 0);
  auto window = of_task(client, 1);
  BOOST_REQUIRE(window.size() == 2u);
  BOOST_TEST(window[0].late_records_dropped == 0);
  BOOST_TEST(window[1].late_records_dropped == 5);
  BOOST_TEST(window[0].records_in_errors == 0);
  for (auto& m : window)
    BOOST_TEST(m.input_watermark == 99'999); // the valve's output, never past it
  auto source = of_task(client, 0).at(0);
  BOOST_TEST(source.input_watermark == min_watermark); // no input: Long.MIN_VALUE, as Flink
  BOOST_TEST(source.output_watermark == 99'999);
  BOOST_REQUIRE(source.watermark_lag_ms.has_value());
  BOOST_TEST(*source.watermark_lag_ms == clk->wall_ms() - 99'999);
  // In one process nothing is serialized: no bytes.
  BOOST_TEST(source.bytes_out == 0);
  client.cancel();
  BOOST_REQUIRE(client.wait_for(20s));
}
