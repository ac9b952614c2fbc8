// The Kafka source against librdkafka's mock cluster (three brokers in this
// process): partition leaders that move and a broker that goes down while
// the source reads. Fast, and no JVM; what needs read_committed is tested
// against the real broker in test_kafka_source and test_kafka_sink.
#define BOOST_TEST_MODULE kafka_mock
#include <boost/test/unit_test.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <set>
#include <thread>

#include "spate/connectors/kafka_source.hpp"
#include "spate/connectors/uri.hpp"

using namespace spate;
using namespace std::chrono_literals;

namespace {

//! A mock cluster of three brokers and a producer writing to it.
struct mock_cluster {
  mock_cluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    BOOST_REQUIRE(rk);
    cluster = rd_kafka_mock_cluster_new(rk, 3);
    BOOST_REQUIRE(cluster);
    bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    BOOST_REQUIRE(producer);
  }
  ~mock_cluster() {
    rd_kafka_destroy(producer);
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
  }

  void produce(const std::string& topic, int partition, const std::vector<std::string>& lines) {
    for (const auto& l : lines)
      BOOST_REQUIRE(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                      RD_KAFKA_V_PARTITION(partition),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_VALUE(const_cast<char*>(l.data()), l.size()),
                                      RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
    BOOST_REQUIRE(rd_kafka_flush(producer, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  rd_kafka_t* producer = nullptr;
  std::string bootstraps;
};

std::vector<std::string> lines(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

void poll_until(kafka_source_function& s, std::size_t n, std::vector<std::string>& out) {
  typed_batch<std::string> batch;
  collector<std::string> c(&batch);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (batch.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto st = s.poll(c, 100);
    if (st.kind == source_status::idle)
      std::this_thread::sleep_for(st.wait);
  }
  out.insert(out.end(), batch.values.begin(), batch.values.end());
}

} // namespace

BOOST_AUTO_TEST_CASE(moving_leaders_and_a_broker_down_lose_and_repeat_nothing) {
  mock_cluster m;
  BOOST_REQUIRE(rd_kafka_mock_topic_create(m.cluster, "t", 4, 3) == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<std::string> all;
  for (int p = 0; p < 4; ++p) {
    auto l = lines("first-" + std::to_string(p) + "-", 200);
    m.produce("t", p, l);
    all.insert(all.end(), l.begin(), l.end());
  }
  auto cfg =
      parse_kafka_source_config(parse_connector_uri("kafka://" + m.bootstraps + "/t", "input"));
  kafka_source_function s(cfg);
  runtime_context ctx;
  s.open(ctx);
  std::vector<std::string> got;
  poll_until(s, 300, got);
  // Every partition gets another leader, then one broker goes down for a while.
  for (int p = 0; p < 4; ++p)
    BOOST_REQUIRE(rd_kafka_mock_partition_set_leader(m.cluster, "t", p, 1 + (p + 1) % 3) ==
                  RD_KAFKA_RESP_ERR_NO_ERROR);
  for (int p = 0; p < 4; ++p) {
    auto l = lines("second-" + std::to_string(p) + "-", 100);
    m.produce("t", p, l);
    all.insert(all.end(), l.begin(), l.end());
  }
  poll_until(s, 300, got);
  BOOST_REQUIRE(rd_kafka_mock_broker_set_down(m.cluster, 2) == RD_KAFKA_RESP_ERR_NO_ERROR);
  poll_until(s, 50, got);
  BOOST_REQUIRE(rd_kafka_mock_broker_set_up(m.cluster, 2) == RD_KAFKA_RESP_ERR_NO_ERROR);
  poll_until(s, all.size() - got.size(), got);
  s.close();
  BOOST_TEST(got.size() == all.size());
  BOOST_TEST((std::multiset<std::string>(got.begin(), got.end()) ==
              std::multiset<std::string>(all.begin(), all.end())));
}
