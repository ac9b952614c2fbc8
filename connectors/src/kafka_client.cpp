#include "kafka_client.hpp"

#include "spate/connectors/kafka_config.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::kafka {

namespace {

struct client_context {
  std::string who;
  log_hook hook;
};

void log_line(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  const auto* ctx = static_cast<const client_context*>(rd_kafka_opaque(rk));
  if (ctx && ctx->hook)
    ctx->hook(fac, buf);
  const char* who = ctx ? ctx->who.c_str() : nullptr;
  // syslog levels: 0-2 critical, 3 error, 4 warning, 5-6 info, 7 debug.
  // librdkafka's errors (3) are mostly a broker out of reach, which it
  // retries: warnings; what fails for good reaches the job as an error.
  if (level <= 2)
    log().error("{}: librdkafka {}: {}", who ? who : "kafka", fac, buf);
  else if (level <= 4)
    log().warn("{}: librdkafka {}: {}", who ? who : "kafka", fac, buf);
  else if (level <= 6)
    log().info("{}: librdkafka {}: {}", who ? who : "kafka", fac, buf);
  else
    log().debug("{}: librdkafka {}: {}", who ? who : "kafka", fac, buf);
}

} // namespace

void handle_deleter::operator()(rd_kafka_t* rk) const {
  auto* ctx = static_cast<client_context*>(rd_kafka_opaque(rk));
  // Without a consumer close: leaving no group needs no broker round trip,
  // and a broker that is gone must not hold a cancelled task.
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  delete ctx;
}

const std::string& who(const rd_kafka_t* rk) {
  static const std::string none = "kafka";
  const auto* ctx = static_cast<const client_context*>(rd_kafka_opaque(rk));
  return ctx ? ctx->who : none;
}

handle create(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
              const std::string& who, log_hook hook, delivery_callback dr) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw error(errc::invalid_argument, who + ": Kafka property '" + k + "': " + err);
    }
  }
  rd_kafka_conf_set_log_cb(conf, log_line);
  if (dr)
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
  auto* ctx = new client_context{who, std::move(hook)};
  rd_kafka_conf_set_opaque(conf, ctx);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    delete ctx;
    throw error(errc::invalid_argument, who + ": cannot create a Kafka client: " + err);
  }
  return handle(rk);
}

std::map<std::string, int> partition_counts(rd_kafka_t* rk, const std::vector<std::string>& topics,
                                            std::chrono::milliseconds timeout,
                                            const std::string& who, const std::string& brokers) {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw error(errc::io, who + ": cannot reach the Kafka brokers " + brokers + " within " +
                              std::to_string(timeout.count()) + " ms: " + message(err));
  std::map<std::string, int> out;
  std::string missing;
  for (const auto& t : topics) {
    bool found = false;
    for (int i = 0; i < md->topic_cnt; ++i) {
      const auto& mt = md->topics[i];
      if (t != mt.topic)
        continue;
      if (mt.err == RD_KAFKA_RESP_ERR_NO_ERROR && mt.partition_cnt > 0) {
        out[t] = mt.partition_cnt;
        found = true;
      }
    }
    if (!found)
      missing += (missing.empty() ? "'" : ", '") + t + "'";
  }
  rd_kafka_metadata_destroy(md);
  if (!missing.empty())
    throw error(errc::not_found,
                who + ": topic " + missing + " does not exist on the Kafka brokers " + brokers);
  return out;
}

} // namespace spate::kafka

namespace spate {

void check_kafka_topics(const std::string& brokers, const std::vector<std::string>& topics,
                        const std::map<std::string, std::string>& properties, bool consumer,
                        const std::string& who) {
  auto props = properties;
  props["bootstrap.servers"] = brokers;
  if (consumer)
    props.emplace("group.id", "spate-check");
  auto rk = kafka::create(consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, props, who);
  kafka::partition_counts(rk.get(), topics, std::chrono::milliseconds(10'000), who, brokers);
}

} // namespace spate
