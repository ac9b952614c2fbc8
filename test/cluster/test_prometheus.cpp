// The Prometheus exposition writer and endpoint (metrics/include/spate/metrics/prometheus.hpp):
// label escaping, names, TYPE lines, port ranges, taking the next free port
// of a range, and this process's Status.Process.* gauges.
#define BOOST_TEST_MODULE prometheus
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "spate/metrics/job_metrics.hpp"
#include "spate/core/error.hpp"
#include "spate/core/process_stats.hpp"
#include "support/listener.hpp"
#include "support/cluster.hpp"

using namespace spate;
namespace prom = spate::prometheus;

namespace {

using spate::test::listener;

using spate::test::free_range;

} // namespace

BOOST_AUTO_TEST_CASE(label_values_escape_backslash_quote_and_newline) {
  BOOST_TEST(prom::escape_label_value("plain") == "plain");
  BOOST_TEST(prom::escape_label_value("a\\b") == "a\\\\b");
  BOOST_TEST(prom::escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
  BOOST_TEST(prom::escape_label_value("two\nlines") == "two\\nlines");
  BOOST_TEST(prom::escape_label_value("Source: gen -> Map") == "Source: gen -> Map");
}

BOOST_AUTO_TEST_CASE(names_keep_letters_digits_underscores_and_colons) {
  BOOST_TEST(prom::metric_name("spate_jobmanager_Status.Process.CPU.Load") ==
             "spate_jobmanager_Status_Process_CPU_Load");
  BOOST_TEST(prom::metric_name("a:b_c9") == "a:b_c9");
  BOOST_TEST(prom::metric_name("9lives") == "_9lives");
  BOOST_TEST(prom::metric_name("x-y z") == "x_y_z");
}

BOOST_AUTO_TEST_CASE(values_are_integers_without_a_fraction_and_special_values_spelled) {
  BOOST_TEST(prom::format_value(1234) == "1234");
  BOOST_TEST(prom::format_value(-1) == "-1");
  BOOST_TEST(prom::format_value(0.25) == "0.25");
  BOOST_TEST(prom::format_value(std::nan("")) == "NaN");
  BOOST_TEST(prom::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  BOOST_TEST(prom::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
}

BOOST_AUTO_TEST_CASE(each_name_gets_one_type_line_before_all_its_samples) {
  prom::exposition e;
  e.add("spate_taskmanager_job_task_numRecordsIn", "gauge",
        {{"job_name", "word \"count\""}, {"subtask_index", "0"}}, 10);
  e.add("spate_jobmanager_numRunningJobs", "gauge", {}, 1);
  e.add("spate_taskmanager_job_task_numRecordsIn", "gauge",
        {{"job_name", "a\nb"}, {"subtask_index", "1"}}, 20);
  e.add("spate_x.total", "counter", {}, 3);
  BOOST_TEST(e.text() ==
             "# TYPE spate_taskmanager_job_task_numRecordsIn gauge\n"
             "spate_taskmanager_job_task_numRecordsIn{job_name=\"word \\\"count\\\"\","
             "subtask_index=\"0\"} 10\n"
             "spate_taskmanager_job_task_numRecordsIn{job_name=\"a\\nb\",subtask_index=\"1\"} 20\n"
             "# TYPE spate_jobmanager_numRunningJobs gauge\n"
             "spate_jobmanager_numRunningJobs 1\n"
             "# TYPE spate_x_total counter\n"
             "spate_x_total 3\n");
  BOOST_TEST(prom::exposition().text().empty());
}

BOOST_AUTO_TEST_CASE(operator_metrics_become_flinks_operator_series_with_kafka_labels) {
  spate::subtask_io_metrics io;
  io.reported = true;
  io.operator_metrics = {
      {"Source: kafka.KafkaSourceReader.topic.clicks.v2.partition.3.currentOffset", 42},
      {"Keyed Aggregation.reduce.cacheHits", 7},
      {"Window.numLateRecordsDropped", 2}};
  spate::task_host::subtask_counters t{"j1", "job", 0, "Source: kafka -> Map", 1, 0, 0, io};
  prom::exposition e;
  prom::add_task_counters(e, {t}, "tm1");
  auto text = e.text();
  auto has = [&](const std::string& line) {
    BOOST_TEST(text.find(line) != std::string::npos, "no '" << line << "' in\n" << text);
  };
  const std::string task =
      "job_id=\"j1\",job_name=\"job\",task_id=\"" + spate::job_vertex_id("j1", 0) +
      "\",task_name=\"Source: kafka -> Map\",subtask_index=\"1\",tm_id=\"tm1\"";
  // The topic keeps its dot; the partition and topic are labels, not parts of the name.
  has("spate_taskmanager_job_task_operator_KafkaSourceReader_topic_partition_currentOffset{" +
      task + ",operator_name=\"Source: kafka\",topic=\"clicks.v2\",partition=\"3\"} 42\n");
  has("spate_taskmanager_job_task_operator_reduce_cacheHits{" + task +
      ",operator_name=\"Keyed Aggregation\"} 7\n");
  has("spate_taskmanager_job_task_operator_numLateRecordsDropped{" + task +
      ",operator_name=\"Window\"} 2\n");
  // Task scope is unchanged.
  has("spate_taskmanager_job_task_numRecordsIn{" + task + "} 0\n");
}

BOOST_AUTO_TEST_CASE(port_ranges_parse_and_bad_ones_name_the_option) {
  BOOST_TEST((prom::parse_port_range("9250", "opt") == std::pair<int, int>(9250, 9250)));
  BOOST_TEST((prom::parse_port_range("9250-9260", "opt") == std::pair<int, int>(9250, 9260)));
  BOOST_TEST((prom::parse_port_range(" 9250 - 9251 ", "opt") == std::pair<int, int>(9250, 9251)));
  for (auto bad : {"", "x", "9260-9250", "0", "70000", "1-", "-5", "9250-9260-9270", "12.5"}) {
    try {
      prom::parse_port_range(bad, "metrics.reporter.prom.port");
      BOOST_ERROR("accepted '" << bad << "'");
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::invalid_argument);
      BOOST_TEST(std::string(e.what()).find("metrics.reporter.prom.port") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_endpoint_serves_get_metrics_in_the_text_format_and_nothing_else) {
  int port = free_range(1);
  int scrapes = 0;
  prom::endpoint ep("127.0.0.1", std::to_string(port), [&] {
    ++scrapes;
    prom::exposition e;
    e.add("spate_test_scrapes", "gauge", {}, scrapes);
    return e.text();
  });
  BOOST_TEST(ep.port() == port);
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/metrics");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 200);
  BOOST_TEST(r->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(r->body == "# TYPE spate_test_scrapes gauge\nspate_test_scrapes 1\n");
  BOOST_TEST(c.Get("/metrics")->body.find("spate_test_scrapes 2") != std::string::npos);
  BOOST_TEST(c.Get("/")->status == 404);
  BOOST_TEST(c.Get("/jobs")->status == 404);
  auto post = c.Post("/metrics", "x", "text/plain");
  BOOST_REQUIRE(post);
  BOOST_TEST(post->status >= 400);
  BOOST_TEST(scrapes == 2);
  ep.stop();
  BOOST_TEST(!httplib::Client("127.0.0.1", port).Get("/metrics"));
}

BOOST_AUTO_TEST_CASE(a_taken_port_of_the_range_is_skipped_and_a_full_range_is_an_error) {
  int first = free_range(3);
  listener taken(first);
  BOOST_REQUIRE(taken.ok);
  auto range = std::to_string(first) + "-" + std::to_string(first + 2);
  prom::endpoint a("127.0.0.1", range, [] { return std::string("a\n"); });
  BOOST_TEST(a.port() == first + 1);
  prom::endpoint b("127.0.0.1", range, [] { return std::string("b\n"); });
  BOOST_TEST(b.port() == first + 2); // a holds first + 1
  BOOST_TEST(httplib::Client("127.0.0.1", first + 1).Get("/metrics")->body == "a\n");
  BOOST_TEST(httplib::Client("127.0.0.1", first + 2).Get("/metrics")->body == "b\n");
  try {
    prom::endpoint full("127.0.0.1", range, [] { return std::string(); });
    BOOST_ERROR("bound port " << full.port() << " of a full range");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::unavailable);
    std::string what = e.what();
    BOOST_TEST(what.find("metrics.reporter.prom.port") != std::string::npos, what);
    BOOST_TEST(what.find(range) != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_CASE(no_option_no_endpoint) {
  configuration cfg;
  BOOST_TEST(!prom::start_endpoint(
      cfg, "127.0.0.1", [] { return std::string(); }, "test"));
}

BOOST_AUTO_TEST_CASE(process_gauges_read_proc_self) {
  auto s = read_process_sample();
  BOOST_TEST(s.rss_bytes > 1024 * 1024);
  BOOST_TEST(s.threads >= 1);
  BOOST_TEST(s.open_fds >= 3); // stdin, stdout, stderr
  BOOST_TEST(s.cpu_time_ms >= 0);
  std::thread t([] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); });
  BOOST_TEST(read_process_sample().threads >= s.threads + 1);
  t.join();
  // Busy for 600 ms: the load is the CPU time the process got over the wall
  // time, checked against getrusage() (the machine may be busy with others,
  // so how much of a core the loop gets is not fixed).
  process_cpu_load load(std::chrono::milliseconds(100));
  auto cpu0 = spate::process_cpu_seconds();
  auto wall0 = std::chrono::steady_clock::now();
  BOOST_TEST(load.update(read_process_sample().cpu_time_ms) == 0);
  auto until = wall0 + std::chrono::milliseconds(600);
  volatile std::uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until)
    x = x + 1;
  auto l = load.update(read_process_sample().cpu_time_ms);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  double expected = (spate::process_cpu_seconds() - cpu0) / wall;
  BOOST_TEST(expected > 0.05, expected); // the loop got some CPU
  BOOST_TEST(std::abs(l - expected) < 0.15, l << " against " << expected);
  auto m = process_metrics();
  for (auto name :
       {"Status.Process.CPU.Load", "Status.Process.CPU.Time", "Status.Process.Memory.RSS",
        "Status.Process.Threads.Count", "Status.Process.FileDescriptors.Open"})
    BOOST_TEST(m.count(name) == 1u, name);
}
