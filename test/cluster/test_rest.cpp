// The REST API's shapes (Flink's v1 paths and field names) and its answers
// to bad requests, against a real JobManager and TaskManager.
#define BOOST_TEST_MODULE rest
#include <boost/test/unit_test.hpp>

#include "support/cluster.hpp"

using namespace spate::test;

namespace {

void has(const json& j, std::initializer_list<const char*> keys, const std::string& where) {
  for (auto* k : keys)
    BOOST_TEST(j.contains(k), where << " has no '" << k << "': " << j.dump());
}

void expect_error(const http_result& r, int status, const std::string& fragment) {
  BOOST_TEST(r.status == status, "status " << r.status << ": " << r.body.dump());
  BOOST_REQUIRE(r.body.is_object());
  BOOST_REQUIRE(r.body.contains("errors"));
  BOOST_REQUIRE(r.body["errors"].is_array());
  BOOST_REQUIRE(!r.body["errors"].empty());
  auto msg = r.body["errors"][0].get<std::string>();
  BOOST_TEST(msg.find(fragment) != std::string::npos, msg << " lacks '" << fragment << "'");
}

} // namespace

BOOST_AUTO_TEST_CASE(every_endpoint_answers_in_flinks_shape) {
  test_cluster c({"execution.checkpointing.interval=100ms"});
  c.start(1);

  auto overview = c.get("/overview");
  BOOST_TEST(overview.status == 200);
  has(overview.body,
      {"taskmanagers", "slots-total", "slots-available", "jobs-running", "jobs-finished",
       "jobs-cancelled", "jobs-failed", "flink-version"},
      "/overview");
  BOOST_TEST(overview.body["slots-total"] == 2);

  auto config = c.get("/config");
  BOOST_TEST(config.status == 200);
  has(config.body,
      {"refresh-interval", "timezone-name", "timezone-offset", "flink-version", "features"},
      "/config");

  auto tms = c.get("/taskmanagers");
  BOOST_TEST(tms.status == 200);
  BOOST_REQUIRE(tms.body["taskmanagers"].size() == 1u);
  has(tms.body["taskmanagers"][0],
      {"id", "path", "dataPort", "timeSinceLastHeartbeat", "slotsNumber", "freeSlots", "hardware"},
      "/taskmanagers");
  BOOST_TEST(tms.body["taskmanagers"][0]["slotsNumber"] == 2);

  // A job through the REST API itself.
  auto submit = c.request("POST", "/jobs",
                          json{{"job", "wordcount"},
                               {"parallelism", 2},
                               {"input", "generator:seed=3,rate=20000"},
                               {"output", "discard"}}
                              .dump());
  BOOST_REQUIRE_MESSAGE(submit.status == 202, submit.body.dump());
  auto id = submit.body["jobid"].get<std::string>();
  BOOST_TEST(id.size() == 32u);
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 1; }));
  BOOST_REQUIRE(await([&] {
    auto j = c.get("/jobs/" + id);
    return j.body["vertices"].back()["metrics"]["read-records"].get<std::int64_t>() > 0;
  }));

  auto jobs = c.get("/jobs");
  BOOST_TEST(jobs.status == 200);
  BOOST_TEST(jobs.body["jobs"][0]["id"] == id);
  BOOST_TEST(jobs.body["jobs"][0]["status"] == "RUNNING");

  auto jo = c.get("/jobs/overview");
  BOOST_TEST(jo.status == 200);
  has(jo.body["jobs"][0],
      {"jid", "name", "state", "start-time", "end-time", "duration", "last-modification", "tasks"},
      "/jobs/overview");
  BOOST_TEST(jo.body["jobs"][0]["name"] == "wordcount");
  BOOST_TEST(jo.body["jobs"][0]["end-time"] == -1);

  auto job = c.get("/jobs/" + id);
  BOOST_TEST(job.status == 200);
  has(job.body,
      {"jid", "name", "isStoppable", "state", "start-time", "end-time", "duration", "now",
       "timestamps", "vertices", "status-counts", "plan"},
      "/jobs/:jobid");
  BOOST_REQUIRE(job.body["vertices"].size() >= 2u);
  for (auto& v : job.body["vertices"]) {
    has(v,
        {"id", "name", "parallelism", "maxParallelism", "status", "start-time", "tasks", "metrics"},
        "vertex");
    BOOST_TEST(v["id"].get<std::string>().size() == 32u);
    BOOST_TEST(v["parallelism"] == 2);
    has(v["metrics"], {"read-records", "write-records", "read-bytes", "write-bytes"}, "metrics");
  }

  // The plan: wordcount is source -> (hash by word) -> count: the second
  // node's input is the first vertex, partitioned by HASH; the source has none.
  auto& nodes = job.body["plan"]["nodes"];
  BOOST_REQUIRE(nodes.size() == job.body["vertices"].size());
  BOOST_TEST(!nodes[0].contains("inputs"), nodes[0].dump());
  BOOST_REQUIRE(nodes[1].contains("inputs"));
  BOOST_TEST(nodes[1]["inputs"].size() == 1u);
  BOOST_TEST(nodes[1]["inputs"][0]["id"] == job.body["vertices"][0]["id"]);
  BOOST_TEST(nodes[1]["inputs"][0]["ship_strategy"] == "HASH");

  auto vid = job.body["vertices"][1]["id"].get<std::string>();
  auto vertex = c.get("/jobs/" + id + "/vertices/" + vid);
  BOOST_TEST(vertex.status == 200);
  has(vertex.body, {"id", "name", "parallelism", "maxParallelism", "now", "subtasks"}, "vertex");
  BOOST_REQUIRE(vertex.body["subtasks"].size() == 2u);
  std::int64_t in = 0;
  for (auto& s : vertex.body["subtasks"]) {
    has(s, {"subtask", "status", "attempt", "host", "start-time", "duration", "metrics"},
        "subtask");
    in += s["metrics"]["read-records"].get<std::int64_t>();
  }
  BOOST_TEST(in > 0);
  BOOST_TEST(vertex.body["subtasks"][0]["host"] == tms.body["taskmanagers"][0]["id"]);

  auto cps = c.get("/jobs/" + id + "/checkpoints");
  BOOST_TEST(cps.status == 200);
  has(cps.body, {"counts", "summary", "latest", "history"}, "/checkpoints");
  has(cps.body["counts"], {"restored", "total", "in_progress", "completed", "failed"}, "counts");
  has(cps.body["latest"], {"completed", "savepoint", "failed", "restored"}, "latest");
  auto& latest = cps.body["latest"]["completed"];
  has(latest,
      {"id", "status", "is_savepoint", "trigger_timestamp", "latest_ack_timestamp", "state_size",
       "end_to_end_duration", "num_subtasks", "num_acknowledged_subtasks", "external_path",
       "checkpoint_type"},
      "latest completed");
  BOOST_TEST(latest["status"] == "COMPLETED");
  BOOST_TEST(latest["num_acknowledged_subtasks"] == latest["num_subtasks"]);
  BOOST_TEST(std::filesystem::exists(latest["external_path"].get<std::string>() + "/_metadata"));
  BOOST_TEST(!cps.body["history"].empty());

  auto cfg = c.get("/jobs/" + id + "/checkpoints/config");
  BOOST_TEST(cfg.status == 200);
  has(cfg.body,
      {"mode", "interval", "timeout", "min_pause", "max_concurrent", "externalization",
       "state_backend", "tolerable_failed_checkpoints"},
      "/checkpoints/config");
  BOOST_TEST(cfg.body["mode"] == "exactly_once");
  BOOST_TEST(cfg.body["interval"] == 100);

  auto ex = c.get("/jobs/" + id + "/exceptions");
  BOOST_TEST(ex.status == 200);
  has(ex.body, {"root-exception", "timestamp", "all-exceptions", "truncated", "exceptionHistory"},
      "/exceptions");
  BOOST_TEST(ex.body["root-exception"].is_null());

  auto trigger =
      c.request("POST", "/jobs/" + id + "/savepoints",
                json{{"target-directory", c.dir() + "/sp"}, {"cancel-job", false}}.dump());
  BOOST_REQUIRE(trigger.status == 202);
  auto request = trigger.body["request-id"].get<std::string>();
  json done;
  BOOST_REQUIRE(await([&] {
    done = c.get("/jobs/" + id + "/savepoints/" + request).body;
    return done["status"]["id"] == "COMPLETED";
  }));
  auto location = done["operation"]["location"].get<std::string>();
  BOOST_TEST(location.rfind(c.dir() + "/sp/savepoint-", 0) == 0u);
  BOOST_TEST(std::filesystem::exists(location + "/_metadata"));
  BOOST_TEST(c.get("/jobs/" + id + "/checkpoints").body["latest"]["savepoint"]["is_savepoint"] ==
             true);

  auto cancel = c.request("PATCH", "/jobs/" + id + "?mode=cancel");
  BOOST_TEST(cancel.status == 202);
  BOOST_REQUIRE(c.await_state(id, "CANCELED"));
  expect_error(c.request("PATCH", "/jobs/" + id + "?mode=cancel"), 409, "CANCELED");
  BOOST_TEST(c.get("/jobs/overview").body["jobs"][0]["end-time"].get<std::int64_t>() > 0);
  BOOST_TEST(c.get("/overview").body["jobs-cancelled"] == 1);

  // Stop with savepoint through POST /jobs/:jobid/stop.
  auto second = c.request(
      "POST", "/jobs",
      json{{"job", "wordcount"}, {"input", "generator:rate=10000"}, {"output", "discard"}}.dump());
  BOOST_REQUIRE(second.status == 202);
  auto id2 = second.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(id2, "RUNNING"));
  auto stop = c.request("POST", "/jobs/" + id2 + "/stop",
                        json{{"targetDirectory", c.dir() + "/stopped"}, {"drain", false}}.dump());
  BOOST_REQUIRE(stop.status == 202);
  auto stop_id = stop.body["request-id"].get<std::string>();
  BOOST_REQUIRE(await([&] {
    return c.get("/jobs/" + id2 + "/savepoints/" + stop_id).body["status"]["id"] == "COMPLETED";
  }));
  BOOST_REQUIRE(c.await_state(id2, "FINISHED"));
}

BOOST_AUTO_TEST_CASE(bad_requests_get_flinks_error_shape_and_status) {
  test_cluster c;
  c.start(1);
  expect_error(c.get("/no/such/path"), 404, "Not found: /no/such/path");
  expect_error(c.request("DELETE", "/overview"), 405, "DELETE");
  expect_error(c.request("PUT", "/jobs/0123456789abcdef0123456789abcdef"), 405, "PUT");
  expect_error(c.get("/jobs/xyz"), 400, "Invalid JobID");
  expect_error(c.get("/jobs/0123456789abcdef0123456789abcdef"), 404, "not found");
  expect_error(c.get("/jobs/0123456789abcdef0123456789abcdef/checkpoints"), 404, "not found");
  expect_error(c.request("POST", "/jobs", "{not json"), 400, "not valid JSON");
  expect_error(c.request("POST", "/jobs", "[1,2]"), 400, "JSON object");
  expect_error(c.request("POST", "/jobs", "{}"), 400, "'job'");
  expect_error(c.request("POST", "/jobs", R"({"job": "nope"})"), 400, "unknown job 'nope'");
  expect_error(c.request("POST", "/jobs", R"({"job": "wordcount", "parallelism": -1})"), 400,
               "'parallelism'");
  expect_error(c.request("POST", "/jobs", R"({"job": "wordcount", "input": "bogus:x"})"), 400,
               "bogus");
  expect_error(c.request("POST", "/jobs", R"({"job": "wordcount", "programArgsList": "x"})"), 400,
               "programArgsList");
  // A snapshot that does not exist, where the REST API may read.
  auto missing = c.dir() + "/nonexistent/sp";
  expect_error(
      c.request("POST", "/jobs", json{{"job", "wordcount"}, {"savepointPath", missing}}.dump()),
      400, missing);

  auto ok =
      c.request("POST", "/jobs",
                R"({"job": "wordcount", "input": "generator:rate=1000", "output": "discard"})");
  BOOST_REQUIRE(ok.status == 202);
  auto id = ok.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  expect_error(c.request("PATCH", "/jobs/" + id + "?mode=explode"), 400, "explode");
  expect_error(c.get("/jobs/" + id + "/vertices/0000"), 404, "Vertex 0000 not found");
  expect_error(c.get("/jobs/" + id + "/savepoints/abc"), 404, "trigger id abc");
  expect_error(c.get("/jobs/" + id + "/checkpoints/config"), 404, "not enabled");
  expect_error(c.request("POST", "/jobs/" + id + "/savepoints", "{]"), 400, "not valid JSON");
  expect_error(c.request("POST", "/jobs/" + id + "/savepoints", R"({"target-directory": 5})"), 400,
               "target-directory");
  BOOST_TEST(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);
  BOOST_REQUIRE(c.await_state(id, "CANCELED"));
  expect_error(c.request("POST", "/jobs/" + id + "/savepoints", "{}"), 409, "CANCELED");
  // The JobManager still answers.
  BOOST_TEST(c.get("/overview").status == 200);
}
