#define BOOST_TEST_MODULE savepoints
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>

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
    in = in.union_with(env.add_source<rec>(
                              {"probes",
                               [probes] { return std::make_unique<probe_source>(probes); }, false})
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
  env.add_source(paced(0, 10, 10, 1ms, false)).uid("src")
      .map([](rec r) { return rec{r.second % keys, r.second}; }).uid("to-key")
      .key_by([](const rec& r) { return r.first; })
      .process(counter{}).uid("counter")
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
