// The Prometheus endpoint of jobs embedded in an application: started by the
// first job whose configuration sets metrics.reporter.prom.port, one per
// process, serving Flink's process, job and task metrics of every job that
// runs here, dropping a job once it ends; bad or taken ports fail the start.
//
// The endpoint lives as long as the process, so the order of the cases
// matters: the ones that need no endpoint yet come first.
#define BOOST_TEST_MODULE embedded_metrics
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>

#include <httplib.h>

#include "spate/core/error.hpp"
#include "support/collect.hpp"
#include "support/listener.hpp"

using namespace spate;
using namespace spate::test;
using namespace std::chrono_literals;

namespace {

//! Unbounded: counts up, a batch per poll.
struct counting_source final : source_function<std::int64_t> {
  std::int64_t next = 0;
  source_status poll(collector<std::int64_t>& out, std::size_t max_records) override {
    for (std::size_t i = 0; i < max_records; ++i)
      out.collect(next++);
    return source_status::has_more();
  }
};

source_spec<std::int64_t> counting() {
  return {"counting", [] { return std::make_unique<counting_source>(); }, false};
}

//! An unbounded job: source -> keyBy -> sum -> discarding sink.
job_client start_counting_job(const configuration& cfg, const std::string& name) {
  environment env(cfg);
  env.add_source(counting())
      .map([](std::int64_t v) { return v % 100; })
      .key_by([](std::int64_t v) { return v; })
      .reduce([](std::int64_t a, std::int64_t b) { return a + b; })
      .add_sink(batch_callback_sink<std::int64_t>([](const typed_batch<std::int64_t>&, int) {}));
  return env.execute_async(name);
}

configuration with_port(const std::string& ports) {
  configuration cfg;
  cfg.set(options::parallelism, "2");
  cfg.set("metrics.reporter.prom.port", ports);
  return cfg;
}

std::string scrape(const std::string& url) {
  auto rest = url.substr(std::string("http://").size());
  auto colon = rest.find(':');
  auto slash = rest.find('/');
  httplib::Client c(rest.substr(0, colon), std::stoi(rest.substr(colon + 1, slash - colon - 1)));
  c.set_read_timeout(5, 0);
  auto r = c.Get(rest.substr(slash));
  if (!r || r->status != 200)
    return {};
  return r->body;
}

//! The sum of the samples of `metric` whose label text contains `label`.
double sum_of(const std::string& text, const std::string& metric, const std::string& label) {
  std::istringstream in(text);
  std::string line;
  double total = 0;
  while (std::getline(in, line))
    if (line.rfind(metric + "{", 0) == 0 && line.find(label) != std::string::npos)
      total += std::stod(line.substr(line.rfind(' ') + 1));
  return total;
}

bool has_series(const std::string& text, const std::string& metric, const std::string& label) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(metric + "{", 0) == 0 && line.find(label) != std::string::npos)
      return true;
  return false;
}

template <class Pred>
bool await(Pred p, std::chrono::seconds timeout = 20s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (p())
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return p();
}

} // namespace

BOOST_AUTO_TEST_CASE(no_option_no_endpoint) {
  configuration cfg;
  cfg.set(options::parallelism, "1");
  auto job = start_counting_job(cfg, "no endpoint");
  BOOST_TEST(prometheus_endpoint_url().empty());
  job.cancel();
  BOOST_TEST(job.wait().status == job_status::canceled);
}

BOOST_AUTO_TEST_CASE(a_malformed_port_option_fails_the_start_naming_it) {
  for (auto bad : {"abc", "0", "70000", "9260-9250"}) {
    try {
      start_counting_job(with_port(bad), "bad port");
      BOOST_ERROR("started with metrics.reporter.prom.port=" << bad);
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::invalid_argument);
      BOOST_TEST(std::string(e.what()).find("metrics.reporter.prom.port") != std::string::npos,
                 e.what());
    }
  }
  BOOST_TEST(prometheus_endpoint_url().empty());
}

BOOST_AUTO_TEST_CASE(a_range_without_a_free_port_fails_the_start_and_runs_nothing) {
  int first = free_range(2);
  listener a(first), b(first + 1);
  BOOST_REQUIRE(a.ok && b.ok);
  auto range = std::to_string(first) + "-" + std::to_string(first + 1);
  try {
    start_counting_job(with_port(range), "taken port");
    BOOST_ERROR("started although " << range << " is taken");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::unavailable);
    BOOST_TEST(std::string(e.what()).find("metrics.reporter.prom.port") != std::string::npos,
               e.what());
    BOOST_TEST(std::string(e.what()).find(range) != std::string::npos, e.what());
  }
  BOOST_TEST(prometheus_endpoint_url().empty());
}

BOOST_AUTO_TEST_CASE(embedded_jobs_are_served_on_one_endpoint_per_process) {
  // The first port of the range is taken: the endpoint takes the next.
  int first = free_range(3);
  listener taken(first);
  BOOST_REQUIRE(taken.ok);
  auto ports = std::to_string(first) + "-" + std::to_string(first + 2);
  auto one = start_counting_job(with_port(ports), "embedded one");
  auto url = prometheus_endpoint_url();
  BOOST_TEST_MESSAGE("endpoint " << url);
  // (first + 2 only if another process took first + 1 meanwhile.)
  BOOST_TEST((url == "http://127.0.0.1:" + std::to_string(first + 1) + "/metrics" ||
              url == "http://127.0.0.1:" + std::to_string(first + 2) + "/metrics"),
             url);

  // A second job with another port option joins the running endpoint.
  auto two = start_counting_job(with_port(std::to_string(free_range(1))), "embedded two");
  BOOST_TEST(prometheus_endpoint_url() == url);

  const std::string job1 = "job_id=\"" + one.job_id() + "\"";
  const std::string job2 = "job_id=\"" + two.job_id() + "\"";
  std::string text;
  // Records flow in both jobs: counted per subtask, tm_id "local".
  BOOST_REQUIRE_MESSAGE(await([&] {
                          text = scrape(url);
                          return sum_of(text, "spate_taskmanager_job_task_numRecordsIn", job1) >
                                     0 &&
                                 sum_of(text, "spate_taskmanager_job_task_numRecordsOut", job2) > 0;
                        }),
                        text);
  // What a scrape sees of a job agrees with job_client::task_metrics().
  std::int64_t in_now = 0;
  for (auto& m : one.task_metrics())
    in_now += m.records_in;
  text = scrape(url);
  BOOST_TEST(sum_of(text, "spate_taskmanager_job_task_numRecordsIn", job1) >= in_now);
  BOOST_TEST(in_now > 0);
  for (const char* name :
       {"busyTimeMsPerSecond", "idleTimeMsPerSecond", "backPressuredTimeMsPerSecond",
        "numRecordsInPerSecond", "currentOutputWatermark"})
    BOOST_TEST(has_series(text, std::string("spate_taskmanager_job_task_") + name, job1), name);
  BOOST_TEST(has_series(text, "spate_taskmanager_job_task_numRecordsIn", "tm_id=\"local\""));
  BOOST_TEST(has_series(text, "spate_taskmanager_job_task_numRecordsIn", "subtask_index=\"1\""));
  // Job scope, with the job's name.
  BOOST_TEST(has_series(text, "spate_jobmanager_job_uptime", "job_name=\"embedded one\""));
  BOOST_TEST(has_series(text, "spate_jobmanager_job_numberOfCompletedCheckpoints", job2));
  // Process scope, without labels.
  BOOST_TEST(text.find("\nspate_jobmanager_Status_Process_Memory_RSS ") != std::string::npos);
  BOOST_TEST(text.find("# TYPE spate_taskmanager_job_task_numRecordsIn gauge") !=
             std::string::npos);

  // An ended job is dropped, as Flink drops its metrics; the other stays.
  one.cancel();
  BOOST_TEST(one.wait().status == job_status::canceled);
  text = scrape(url);
  BOOST_TEST(text.find(job1) == std::string::npos);
  BOOST_TEST(has_series(text, "spate_taskmanager_job_task_numRecordsOut", job2));

  // A job nobody holds any more is gone (cancelled by its last handle).
  { auto dropped = std::move(two); }
  text = scrape(url);
  BOOST_TEST(text.find(job2) == std::string::npos);
  BOOST_TEST(text.find("spate_jobmanager_Status_Process_Memory_RSS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_port_option_fails_even_with_the_endpoint_running) {
  BOOST_REQUIRE(!prometheus_endpoint_url().empty());
  BOOST_CHECK_THROW(start_counting_job(with_port("not-a-port"), "bad port"), error);
}
