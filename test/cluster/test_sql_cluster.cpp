// SQL on a cluster of real processes: `spate run --sql`, POST /jobs {"sql": ...} and
// `spate sql -m` run a script's INSERT on the JobManager and TaskManagers, whose output equals
// an embedded run of the same SQL; bad SQL is a 400 naming the line and column; a SQL job
// stopped with a savepoint resumes from it (`spate run --sql --from-savepoint`).
#define BOOST_TEST_MODULE sql_cluster
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>

#include "support/cluster.hpp"

using namespace spate::test;

namespace {

//! A bounded datagen table, a projection with an expression into a filesystem json sink.
std::string insert_script(const std::string& out, int rows = 3000,
                          const std::string& rate = "1000000") {
  return "CREATE TABLE gen (id BIGINT, v INT) WITH ('connector' = 'datagen',\n"
         "  'rows-per-second' = '" +
         rate +
         "',\n"
         "  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '" +
         std::to_string(rows) +
         "',\n"
         "  'fields.v.kind' = 'random', 'fields.v.min' = '0', 'fields.v.max' = '9');\n"
         "CREATE TABLE out (id BIGINT, sq BIGINT, tag STRING) WITH ('connector' = 'filesystem',\n"
         "  'path' = '" +
         out +
         "', 'format' = 'json');\n"
         "INSERT INTO out SELECT id, id * id, CONCAT('n', CAST(MOD(id, 7) AS STRING)) FROM gen\n"
         "  WHERE MOD(id, 3) <> 0;\n";
}

std::string write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

//! The committed output of the same SQL run embedded (`spate sql -f`).
std::vector<std::string> embedded_output(const std::string& dir, int rows = 3000) {
  auto out = dir + "/embedded";
  auto script = write(dir + "/embedded.sql", insert_script(out, rows));
  auto r = run_spate(
      {"sql", "-D", "state.backend.rocksdb.localdir=" + dir + "/local-state", "-f", script});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  return committed_lines(out);
}

std::string job_id_of(const std::string& out, const std::string& marker) {
  auto at = out.find(marker);
  return at == std::string::npos ? std::string() : out.substr(at + marker.size(), 32);
}

} // namespace

BOOST_AUTO_TEST_CASE(run_sql_and_post_sql_equal_the_embedded_run) {
  test_cluster c;
  c.start(2);
  auto want = embedded_output(c.dir());
  BOOST_REQUIRE_EQUAL(want.size(), 2000u); // ids not divisible by 3 of 1..3000

  // spate run --sql FILE -p 3: across both TaskManagers, waited for.
  auto out = c.dir() + "/run";
  auto script = write(c.dir() + "/run.sql", insert_script(out));
  auto r = c.spate({"run", "--sql", script, "-p", "3"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err + c.jobmanager().log());
  BOOST_TEST(r.out.find("FINISHED") != std::string::npos, r.out);
  BOOST_TEST((committed_lines(out) == want), "spate run --sql differs from the embedded run");
  auto id = job_id_of(r.out, "JobID ");
  auto job = c.get("/jobs/" + id);
  BOOST_REQUIRE(job.status == 200);
  BOOST_TEST(job.body["name"].get<std::string>() ==
             "insert-into_default_catalog.default_database.out");

  // POST /jobs {"sql": ...}
  auto rest_out = c.dir() + "/rest";
  json body = {{"sql", insert_script(rest_out)}, {"parallelism", 2}};
  auto posted = c.request("POST", "/jobs", body.dump());
  BOOST_REQUIRE_MESSAGE(posted.status == 202, posted.body.dump());
  auto rest_id = posted.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(rest_id, "FINISHED"));
  BOOST_TEST((committed_lines(rest_out) == want), "POST /jobs {sql} differs from embedded");
}

BOOST_AUTO_TEST_CASE(bad_sql_is_refused_naming_line_and_column) {
  test_cluster c;
  c.start(1);
  auto script = insert_script(c.dir() + "/out");
  // Line 8 (the INSERT's second line): an unknown column.
  auto bad = script;
  bad.replace(bad.find("WHERE MOD(id, 3)"), 16, "WHERE MOD(idx, 3)");
  auto r = c.request("POST", "/jobs", json({{"sql", bad}}).dump());
  BOOST_TEST(r.status == 400);
  auto msg = r.body["errors"][0].get<std::string>();
  BOOST_TEST(msg.find("line 8, column 13") != std::string::npos, msg);
  BOOST_TEST(msg.find("idx") != std::string::npos, msg);

  // A syntax error, and the CLI's exit code and message for the same.
  auto broken = script;
  broken.replace(broken.find("SELECT id,"), 10, "SELEC id,");
  r = c.request("POST", "/jobs", json({{"sql", broken}}).dump());
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.body["errors"][0].get<std::string>().find("line 7, column") != std::string::npos,
             r.body.dump());
  auto run = c.spate({"run", "--sql", write(c.dir() + "/broken.sql", broken), "-d"});
  BOOST_TEST(run.exit_code == 2);
  BOOST_TEST(run.err.find("line 7, column") != std::string::npos, run.err);

  // A query has no sink on a cluster; SQL goes alone; a sink outside the allowed paths.
  r = c.request("POST", "/jobs", json({{"sql", script + "SELECT id FROM gen;\n"}}).dump());
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.body["errors"][0].get<std::string>().find("line 9, column 1") != std::string::npos,
             r.body.dump());
  r = c.request("POST", "/jobs", json({{"sql", script}, {"job", "wordcount"}}).dump());
  BOOST_TEST(r.status == 400);
  r = c.request("POST", "/jobs", json({{"sql", insert_script("/tmp/spate-not-allowed")}}).dump());
  BOOST_TEST(r.status == 403);
  BOOST_TEST(r.body["errors"][0].get<std::string>().find("rest.submit.allowed-paths") !=
                 std::string::npos,
             r.body.dump());
  BOOST_TEST(!std::filesystem::exists("/tmp/spate-not-allowed"));
  // No job was made by any of these.
  BOOST_TEST(c.get("/jobs").body["jobs"].size() == 0u);
}

BOOST_AUTO_TEST_CASE(sql_client_submits_inserts_to_the_cluster) {
  test_cluster c;
  c.start(1);
  auto want = embedded_output(c.dir());
  auto out = c.dir() + "/client";
  // -m without an address: rest.port of the cluster options (-D) given to the command.
  auto script =
      write(c.dir() + "/client.sql",
            "SET 'parallelism.default' = '2';\nSET 'pipeline.name' = 'from-the-client';\n" +
                insert_script(out) + "SHOW TABLES;\n");
  auto r = c.spate({"sql", "-m", "-f", script});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  BOOST_TEST(r.out.find("[INFO] SQL update statement has been successfully submitted") !=
                 std::string::npos,
             r.out);
  BOOST_TEST(r.out.find(" out |\n") != std::string::npos, r.out); // SHOW TABLES, in the session
  auto id = job_id_of(r.out, "Job ID: ");
  BOOST_REQUIRE_EQUAL(id.size(), 32u);
  BOOST_REQUIRE(c.await_state(id, "FINISHED"));
  BOOST_TEST((committed_lines(out) == want), "spate sql -m differs from the embedded run");
  auto job = c.get("/jobs/" + id);
  BOOST_TEST(job.body["name"].get<std::string>() == "from-the-client");
  for (auto& v : job.body["vertices"])
    if (v["name"].get<std::string>().rfind("Source", 0) == 0)
      BOOST_TEST(v["parallelism"].get<int>() == 2);

  // -m host:port; a SELECT is refused with why, and nothing is submitted.
  auto before = c.get("/jobs").body["jobs"].size();
  auto sel = c.spate({"sql", "-m", "127.0.0.1:" + std::to_string(c.rest_port()), "-e",
                      insert_script(c.dir() + "/unused") + "SELECT id FROM gen;"});
  BOOST_TEST(sel.exit_code != 0);
  BOOST_TEST(sel.err.find("SELECT is not supported with -m") != std::string::npos, sel.err);
  BOOST_TEST(sel.out.find("successfully submitted") != std::string::npos, sel.out);
  BOOST_TEST(c.get("/jobs").body["jobs"].size() == before + 1);

  // A statement set typed in the client: both INSERTs in one job.
  auto a = c.dir() + "/set-a", b = c.dir() + "/set-b";
  auto ddl = insert_script(a);
  ddl = ddl.substr(0, ddl.find("INSERT INTO"));
  auto set = c.spate(
      {"sql", "-m", "-e",
       ddl + "CREATE TABLE out2 (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '" + b +
           "', 'format' = 'json');\nBEGIN STATEMENT SET;\nINSERT INTO out SELECT id, id * id, "
           "'x' FROM gen WHERE id <= 10;\nINSERT INTO out2 SELECT id FROM gen WHERE id > "
           "2990;\nEND;\n"});
  BOOST_REQUIRE_MESSAGE(set.exit_code == 0, set.out + set.err);
  auto set_id = job_id_of(set.out, "Job ID: ");
  BOOST_REQUIRE(c.await_state(set_id, "FINISHED"));
  BOOST_TEST(committed_lines(a).size() == 10u);
  BOOST_TEST(committed_lines(b).size() == 10u);
  BOOST_TEST(committed_lines(b).front() == "{\"id\":2991}");
}

BOOST_AUTO_TEST_CASE(stop_with_savepoint_and_resume_from_it) {
  test_cluster c;
  c.start(1);
  auto out = c.dir() + "/resumed";
  // 2000 rows at 400 a second: five seconds, stopped after about one.
  auto script = write(c.dir() + "/slow.sql", insert_script(out, 2000, "400"));
  auto id = c.submit({"--sql", script, "-p", "2"});
  BOOST_REQUIRE_MESSAGE(!id.empty(), c.jobmanager().log());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto stop = c.spate({"stop", id, "--savepoint-path", c.dir() + "/sp"});
  BOOST_REQUIRE_MESSAGE(stop.exit_code == 0, stop.out + stop.err);
  auto at = stop.out.find("Path: ");
  BOOST_REQUIRE(at != std::string::npos);
  auto path = stop.out.substr(at + 6);
  path = path.substr(0, path.find_first_of("\r\n"));
  BOOST_REQUIRE(c.await_state(id, "FINISHED") || c.job_state(id) == "CANCELED");
  auto partial = committed_lines(out);
  BOOST_TEST(!partial.empty());       // the savepoint kept what was written before it
  BOOST_TEST(partial.size() < 1334u); // it was stopped before the end

  // Resumed (at another parallelism): every row once, as one uninterrupted run.
  auto r = c.spate({"run", "--sql", script, "-p", "1", "--from-savepoint", path});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err + c.jobmanager().log());
  BOOST_TEST(r.out.find("FINISHED") != std::string::npos, r.out);
  auto lines = committed_lines(out);
  BOOST_TEST(lines.size() == 1334u); // ids 1..2000 not divisible by 3
  BOOST_TEST(std::set<std::string>(lines.begin(), lines.end()).size() == lines.size());
  BOOST_TEST((lines == embedded_output(c.dir(), 2000)), "the resumed job's output differs");
}
