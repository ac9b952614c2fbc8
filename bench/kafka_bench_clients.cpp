// spate-kafka-bench's shared parts: reporting, raw librdkafka clients and
// topics (kafka_bench.hpp).
#include <cstdlib>
#include <iostream>
#include <thread>

#include "kafka_bench.hpp"

namespace kafka_bench {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "spate-kafka-bench: " << what << "\n";
  std::exit(1);
}

void report(const std::string& mode, std::int64_t records, std::int64_t bytes, double secs,
            double cpu, const std::string& extra, const std::string& more) {
  std::printf("%-10s %lld records, %.1f MB in %.3f s: %.0f records/s, %.1f MB/s; "
              "%.2f CPU s (%.0f records/s per core)%s%s\n",
              mode.c_str(), static_cast<long long>(records), static_cast<double>(bytes) / 1e6, secs,
              static_cast<double>(records) / secs, static_cast<double>(bytes) / 1e6 / secs, cpu,
              static_cast<double>(records) / cpu, extra.empty() ? "" : "; ", extra.c_str());
  std::printf("result mode=%s records=%lld bytes=%lld seconds=%.4f cpu=%.3f%s%s\n", mode.c_str(),
              static_cast<long long>(records), static_cast<long long>(bytes), secs, cpu,
              more.empty() ? "" : " ", more.c_str());
  std::fflush(stdout);
}

bool debug = std::getenv("SPATE_KAFKA_BENCH_DEBUG") != nullptr;

// ---------------------------------------------------------------------------
// librdkafka helpers

rk_handle make_client(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
                      void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*)) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      die("property " + k + ": " + err);
  if (dr)
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk)
    die(std::string("rd_kafka_new: ") + err);
  return rk_handle(rk);
}

std::map<std::string, std::string> extra_producer_props, extra_consumer_props;

std::map<std::string, std::string> producer_props(const std::string& brokers) {
  std::map<std::string, std::string> p = {{"bootstrap.servers", brokers},
                                          {"enable.idempotence", "true"}};
  for (const auto& [k, v] : extra_producer_props)
    p[k] = v;
  return p;
}

std::map<std::string, std::string> consumer_props(const std::string& brokers) {
  std::map<std::string, std::string> p = {
      {"bootstrap.servers", brokers},        {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},     {"isolation.level", "read_committed"},
      {"group.id", "spate-unused-group"}};
  for (const auto& [k, v] : extra_consumer_props)
    p[k] = v;
  return p;
}

int partition_count(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, rkt, &md, 10'000);
  rd_kafka_topic_destroy(rkt);
  if (err)
    die("metadata of " + topic + ": " + rd_kafka_err2str(err));
  int n = 0;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
    n = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return n;
}

std::int64_t topic_offsets(rd_kafka_t* rk, const std::string& topic, int partitions) {
  std::int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t lo = 0, hi = 0;
    auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10'000);
    if (err)
      die("watermarks of " + topic + ": " + rd_kafka_err2str(err));
    total += hi - lo;
  }
  return total;
}

void create_topic(const std::string& brokers, const std::string& topic, int partitions) {
  auto rk = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers}});
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  if (!nt)
    die(std::string("NewTopic: ") + err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  if (!ev)
    die("CreateTopics " + topic + ": no answer");
  if (rd_kafka_event_error(ev))
    die("CreateTopics " + topic + ": " + rd_kafka_event_error_string(ev));
  std::size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
  if (cnt == 1 && rd_kafka_topic_result_error(res[0]) &&
      rd_kafka_topic_result_error(res[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    die("CreateTopics " + topic + ": " + rd_kafka_topic_result_error_string(res[0]));
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  // Until the metadata shows every partition (clients started next check it).
  for (int i = 0; i < 200 && partition_count(rk.get(), topic) < partitions; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void delete_topic(const std::string& brokers, const std::string& topic) {
  auto rk = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers}});
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteTopics(rk.get(), &dt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  if (ev) {
    std::size_t cnt = 0;
    const rd_kafka_topic_result_t** res =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
    if (cnt == 1 && rd_kafka_topic_result_error(res[0]))
      std::cerr << "spate-kafka-bench: DeleteTopics " << topic << ": "
                << rd_kafka_topic_result_error_string(res[0]) << "\n";
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_DeleteTopic_destroy(dt);
}

std::atomic<std::int64_t> queue_full_waits{0};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err && m->_private) {
    auto* d = static_cast<delivery_counts*>(m->_private);
    if (d->failed++ == 0)
      std::cerr << "spate-kafka-bench: delivery failed: " << rd_kafka_err2str(m->err) << "\n";
  }
}

} // namespace kafka_bench
