#include "spate/connectors/kafka_config.hpp"

#include "spate/core/error.hpp"

namespace spate {

namespace {

std::vector<std::string> split_topics(const std::string& path, uri_options& o) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto comma = path.find(',', pos);
    std::string t = path.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? path.size() + 1 : comma + 1;
    if (t.empty())
      o.fail("empty topic name in '" + path + "'");
    // Kafka's legal topic names: [a-zA-Z0-9._-], at most 249 characters.
    if (t.size() > 249)
      o.fail("topic name '" + t.substr(0, 40) + "...' is longer than 249 characters");
    for (char c : t)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
        o.fail("topic name '" + t + "' has the character '" + std::string(1, c) +
               "' (Kafka allows letters, digits, '.', '_' and '-')");
    out.push_back(t);
  }
  return out;
}

//! The brokers (every host:port checked; librdkafka takes the list as it is)
//! and topics of a kafka:// SPEC, which source and sink share.
std::vector<std::string> brokers_and_topics(const connector_uri& uri, uri_options& o,
                                            std::string& brokers, const char* expected) {
  if (uri.has_userinfo)
    o.fail("kafka:// takes no user info; give SASL settings as properties.sasl.*");
  parse_host_ports(uri.authority, 9092, uri.text);
  brokers = uri.authority;
  if (uri.path.empty())
    o.fail(std::string("no topic: expected ") + expected);
  return split_topics(uri.path, o);
}

void refuse_librdkafka_owned(uri_options& o, const std::map<std::string, std::string>& props,
                             std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (props.count(k))
      o.fail(std::string("option 'properties.") + k + "' is set by the connector itself");
}

} // namespace

const char* to_string(kafka_startup_mode m) {
  switch (m) {
    case kafka_startup_mode::earliest_offset:
      return "earliest-offset";
    case kafka_startup_mode::latest_offset:
      return "latest-offset";
    case kafka_startup_mode::group_offsets:
      return "group-offsets";
    case kafka_startup_mode::from_timestamp:
      return "timestamp";
  }
  return "?";
}

const char* to_string(kafka_delivery_guarantee g) {
  switch (g) {
    case kafka_delivery_guarantee::exactly_once:
      return "exactly-once";
    case kafka_delivery_guarantee::at_least_once:
      return "at-least-once";
    case kafka_delivery_guarantee::none:
      return "none";
  }
  return "?";
}

kafka_source_config parse_kafka_source_config(const connector_uri& uri) {
  kafka_source_config c;
  c.text = uri.text;
  uri_options o(uri, "input");
  c.topics = brokers_and_topics(uri, o, c.brokers, "kafka://HOST:PORT/TOPIC[,TOPIC...]");
  c.properties = o.with_prefix("properties.");
  if (auto g = c.properties.find("group.id"); g != c.properties.end()) {
    c.group_id = g->second;
    c.properties.erase(g);
  }
  refuse_librdkafka_owned(o, c.properties,
                          {"bootstrap.servers", "enable.auto.commit", "enable.partition.eof"});
  auto mode = o.get_enum("scan.startup.mode",
                         {"earliest-offset", "latest-offset", "group-offsets", "timestamp"},
                         c.group_id.empty() ? "earliest-offset" : "group-offsets");
  if (mode == "earliest-offset")
    c.startup = kafka_startup_mode::earliest_offset;
  else if (mode == "latest-offset")
    c.startup = kafka_startup_mode::latest_offset;
  else if (mode == "group-offsets")
    c.startup = kafka_startup_mode::group_offsets;
  else
    c.startup = kafka_startup_mode::from_timestamp;
  if (c.startup == kafka_startup_mode::group_offsets && c.group_id.empty())
    o.fail("scan.startup.mode=group-offsets needs properties.group.id");
  auto ts = o.get("scan.startup.timestamp-millis");
  if (c.startup == kafka_startup_mode::from_timestamp) {
    if (!ts)
      o.fail("scan.startup.mode=timestamp needs scan.startup.timestamp-millis");
    c.startup_timestamp_ms = o.get_int("scan.startup.timestamp-millis", 0, 0, INT64_MAX);
  } else if (ts) {
    o.fail("scan.startup.timestamp-millis is only for scan.startup.mode=timestamp");
  }
  auto bounded = o.get_enum("scan.bounded.mode", {"unbounded", "latest-offset"}, "unbounded");
  c.bounded_latest = bounded == "latest-offset";
  c.discovery_interval_ms =
      o.get_millis("scan.topic-partition-discovery.interval", c.discovery_interval_ms);
  c.malformed = o.get_enum("scan.malformed", {"fail", "skip"}, "fail") == "fail"
                    ? kafka_malformed_policy::fail
                    : kafka_malformed_policy::skip;
  o.refuse_unknown();
  return c;
}

kafka_sink_config parse_kafka_sink_config(const connector_uri& uri) {
  kafka_sink_config c;
  c.text = uri.text;
  uri_options o(uri, "output");
  auto topics = brokers_and_topics(uri, o, c.brokers, "kafka://HOST:PORT/TOPIC");
  if (topics.size() != 1)
    o.fail("a Kafka sink writes one topic, got " + std::to_string(topics.size()));
  c.topic = topics.front();
  auto g = o.get_enum("sink.delivery-guarantee", {"exactly-once", "at-least-once", "none"},
                      "at-least-once");
  c.guarantee = g == "exactly-once"    ? kafka_delivery_guarantee::exactly_once
                : g == "at-least-once" ? kafka_delivery_guarantee::at_least_once
                                       : kafka_delivery_guarantee::none;
  c.transactional_id_prefix = o.get("sink.transactional-id-prefix", "");
  if (c.guarantee == kafka_delivery_guarantee::exactly_once && c.transactional_id_prefix.empty())
    o.fail("sink.delivery-guarantee=exactly-once needs sink.transactional-id-prefix");
  if (c.transactional_id_prefix.find_first_of(" \t\n") != std::string::npos)
    o.fail("sink.transactional-id-prefix must not contain whitespace");
  c.key_field = o.get("key.field", "");
  c.properties = o.with_prefix("properties.");
  refuse_librdkafka_owned(o, c.properties,
                          {"bootstrap.servers", "transactional.id", "enable.idempotence"});
  o.refuse_unknown();
  return c;
}

} // namespace spate
