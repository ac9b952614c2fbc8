// conf/spate.yaml: flat and nested keys, comments, quotes, bad lines named by
// line number, -D overrides, and the shipped file itself.
#define BOOST_TEST_MODULE config_file
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>

#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"
#include "support/temp_dir.hpp"

using namespace spate;

namespace {

std::string message_of(const std::string& text) {
  try {
    parse_config_text(text, "spate.yaml");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::invalid_argument);
    return e.what();
  }
  return "(accepted)";
}

} // namespace

BOOST_AUTO_TEST_CASE(flat_and_nested_keys_comments_and_quotes) {
  auto cfg = parse_config_text(R"(# a comment
jobmanager.rpc.address: 10.0.0.5
jobmanager.rpc.port: 6123   # the control plane
---
rest:
  address: 0.0.0.0
  port: 8082
execution:
  checkpointing:
    interval: 10 s
    mode: "EXACTLY_ONCE"
state.checkpoints.dir: '/data/chk #1'
url.with.hash: http://host/a#b
empty.quoted: ""
)",
                               "spate.yaml");
  BOOST_TEST(cfg.get_string("jobmanager.rpc.address", "") == "10.0.0.5");
  BOOST_TEST(cfg.get_int("jobmanager.rpc.port", 0) == 6123);
  BOOST_TEST(cfg.get_string("rest.address", "") == "0.0.0.0");
  BOOST_TEST(cfg.get_int("rest.port", 0) == 8082);
  BOOST_TEST(cfg.get_duration("execution.checkpointing.interval", {}).count() == 10000);
  BOOST_TEST(cfg.get_string("execution.checkpointing.mode", "") == "EXACTLY_ONCE");
  BOOST_TEST(cfg.get_string("state.checkpoints.dir", "") == "/data/chk #1");
  BOOST_TEST(cfg.get_string("url.with.hash", "") == "http://host/a#b");
  BOOST_TEST(cfg.contains("empty.quoted"));
  BOOST_TEST(cfg.entries().size() == 9u);
}

BOOST_AUTO_TEST_CASE(malformed_lines_are_named) {
  BOOST_TEST(message_of("a: 1\njust words\n").find("spate.yaml:2") != std::string::npos);
  BOOST_TEST(message_of("a: 1\njust words\n").find("expected 'key: value'") != std::string::npos);
  BOOST_TEST(message_of("a: \"unterminated\n").find("spate.yaml:1: unterminated") !=
             std::string::npos);
  BOOST_TEST(message_of("x: 'a' b\n").find("after the quoted value") != std::string::npos);
  BOOST_TEST(message_of("list:\n  - a\n").find("spate.yaml:2: lists are not supported") !=
             std::string::npos);
  BOOST_TEST(message_of("map:\n\tkey: v\n").find("tabs") != std::string::npos);
  BOOST_TEST(message_of(": value\n").find("spate.yaml:1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(files_directories_and_overrides) {
  spate::test::temp_dir dir;
  {
    std::ofstream out(dir.path / "spate.yaml");
    out << "rest.port: 9000\nparallelism.default: 2\n";
  }
  auto cfg = load_cluster_config(dir.str(), {"rest.port=9001", "heartbeat.timeout=3 s"});
  BOOST_TEST(cfg.get_int("rest.port", 0) == 9001);
  BOOST_TEST(cfg.get_int("parallelism.default", 0) == 2);
  BOOST_TEST(cfg.get_duration("heartbeat.timeout", {}).count() == 3000);
  BOOST_CHECK_THROW(load_cluster_config(dir.str() + "/missing", {}), error);
  try {
    load_config_file(dir.str() + "/nope.yaml");
    BOOST_FAIL("a missing file was read");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::not_found);
    BOOST_TEST(std::string(e.what()).find("nope.yaml") != std::string::npos);
  }
  BOOST_CHECK_THROW(load_cluster_config(dir.str(), {"no-equals-sign"}), error);
}

BOOST_AUTO_TEST_CASE(the_shipped_configuration_parses) {
  const char* src = std::getenv("SPATE_SOURCE_DIR");
  auto cfg = load_config_file(std::string(src ? src : ".") + "/conf/spate.yaml");
  for (auto* key : {"jobmanager.rpc.address", "jobmanager.rpc.port", "rest.address", "rest.port",
                    "taskmanager.numberOfTaskSlots", "parallelism.default", "heartbeat.interval",
                    "heartbeat.timeout", "state.checkpoints.dir", "state.savepoints.dir",
                    "restart-strategy.type", "execution.checkpointing.interval"})
    BOOST_TEST(cfg.contains(key), key);
  BOOST_TEST(cfg.get_int("rest.port", 0) == 8081);
  BOOST_TEST(cfg.get_string("rest.address", "") == "127.0.0.1");
  BOOST_TEST(cfg.get_duration("heartbeat.timeout", {}).count() < 10000);
}
