// SQL on a cluster of real processes: `spate run --sql`, POST /jobs {"sql": ...} and
// `spate sql -m` run a script's INSERT on the JobManager and TaskManagers, whose output equals
// an embedded run of the same SQL; bad SQL is a 400 naming the line and column; a SQL job
// stopped with a savepoint resumes from it (`spate run --sql --from-savepoint`). A SELECT
// through `spate sql -m` shows the rows the embedded client shows; GET /jobs/:jobid/results
// serves them by version and position, and a TaskManager killed mid-query shows no row twice.
#define BOOST_TEST_MODULE sql_cluster
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "support/cluster.hpp"
#include "support/terminal.hpp"

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

  // A query goes alone (not with INSERTs); SQL goes alone; a sink outside the allowed paths.
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

  // -m host:port: the INSERT is submitted, then the SELECT runs on the cluster as a job of its
  // own and its rows show here.
  auto before = c.get("/jobs").body["jobs"].size();
  auto sel = c.spate({"sql", "-m", "127.0.0.1:" + std::to_string(c.rest_port()), "-e",
                      insert_script(c.dir() + "/unused") +
                          "SET 'sql-client.execution.result-mode' = 'changelog';\n"
                          "SELECT id FROM gen WHERE id > 2995;"});
  BOOST_TEST(sel.exit_code == 0, sel.out + sel.err);
  BOOST_TEST(sel.out.find("successfully submitted") != std::string::npos, sel.out);
  BOOST_TEST(sel.out.find("+I[2996]\n+I[2997]\n+I[2998]\n+I[2999]\n+I[3000]\n") !=
                 std::string::npos,
             sel.out);
  BOOST_TEST(sel.out.find("Received a total of 5 rows") != std::string::npos, sel.out);
  BOOST_TEST(c.get("/jobs").body["jobs"].size() == before + 2);

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

namespace {

//! A csv table of 300 rows: id, a word of five (every 7th null), a value 0..9.
std::string csv_table(const std::string& dir) {
  static const char* words[] = {"ant", "bee", "cat", "dog", "eel"};
  std::string text;
  for (int i = 1; i <= 300; ++i)
    text += std::to_string(i) + "," + (i % 7 == 0 ? std::string("null") : words[(i * 31) % 5]) +
            "," + std::to_string((i * 17) % 10) + "\n";
  write(dir + "/words.csv", text);
  return "CREATE TABLE words (id BIGINT, word STRING, v INT) WITH ('connector' = 'filesystem',\n"
         "  'path' = '" +
         dir + "/words.csv', 'format' = 'csv', 'csv.null-literal' = 'null');\n";
}

const char* group_query = "SELECT word, COUNT(*) AS n, SUM(v) AS s FROM words GROUP BY word;";
const char* projection_query = "SELECT id, UPPER(word) AS w, v * 2 AS v2 FROM words WHERE v > 3;";

//! The changes a client printed (changelog lines, or tableau rows), folded into the rows of
//! the result: "a, b" for +I[a, b] / | +I | a | b |.
std::multiset<std::string> folded(const std::string& out) {
  static const std::regex changelog(R"(^([+-][IUD])\[(.*)\]$)");
  std::multiset<std::string> rows;
  std::istringstream in(out);
  std::string line;
  auto apply = [&](const std::string& kind, const std::string& values) {
    if (kind == "+I" || kind == "+U") {
      rows.insert(values);
    } else {
      auto it = rows.find(values);
      BOOST_REQUIRE_MESSAGE(it != rows.end(), "a " + kind + " of a row not shown: " + values);
      rows.erase(it);
    }
  };
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, changelog)) {
      apply(m[1], m[2]);
      continue;
    }
    if (line.rfind("| ", 0) != 0)
      continue;
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream cols(line.substr(1));
    while (std::getline(cols, cell, '|')) {
      auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? std::string() : cell.substr(b, e - b + 1));
    }
    if (cells.empty() || cells[0] == "op")
      continue;
    std::string values;
    for (std::size_t i = 1; i < cells.size(); ++i)
      values += (i > 1 ? ", " : "") + cells[i];
    apply(cells[0], values);
  }
  return rows;
}

//! A result read through GET /jobs/:jobid/results as the client reads it (rows undone when
//! the reply starts before the rows it had), folded; until the result's end.
struct result_reader {
  std::vector<std::pair<std::string, std::string>> rows; //!< (kind, "a, b")
  std::uint64_t version = 0;
  std::uint64_t pages = 0;
  std::multiset<std::string> shown; //!< folded

  bool read(test_cluster& c, const std::string& id) {
    auto r = c.get("/jobs/" + id + "/results?from=" + std::to_string(rows.size()) +
                   "&version=" + std::to_string(version));
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body.dump());
    ++pages;
    auto from = r.body["from"].get<std::size_t>();
    BOOST_REQUIRE(from <= rows.size());
    BOOST_REQUIRE(r.body["version"].get<std::uint64_t>() >= version);
    while (rows.size() > from) { // undone
      fold(rows.back().first == "+I" || rows.back().first == "+U" ? "-D" : "+I",
           rows.back().second);
      rows.pop_back();
    }
    for (auto& row : r.body["rows"]) {
      std::string values;
      for (auto& v : row["values"])
        values += (values.empty() ? "" : ", ") + (v.is_null() ? "NULL" : v.get<std::string>());
      rows.emplace_back(row["kind"].get<std::string>(), values);
      fold(rows.back().first, values);
    }
    BOOST_REQUIRE(r.body["next"].get<std::size_t>() == rows.size());
    version = r.body["version"].get<std::uint64_t>();
    return r.body["end"].get<bool>();
  }
  void fold(const std::string& kind, const std::string& values) {
    if (kind == "+I" || kind == "+U") {
      shown.insert(values);
    } else {
      auto it = shown.find(values);
      BOOST_REQUIRE_MESSAGE(it != shown.end(), "a " + kind + " of a row not shown: " + values);
      shown.erase(it);
    }
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_group_by_exchanges_rows_between_taskmanagers) {
  // One slot per TaskManager and parallelism 2: each TaskManager runs one subtask of the
  // aggregate, so the keyed exchange sends rows from one process to the other (as msgpack).
  test_cluster c({"taskmanager.numberOfTaskSlots=1"});
  c.start(2);
  const std::string script = "SET 'sql-client.execution.result-mode' = 'changelog';\n" +
                             csv_table(c.dir()) + group_query + "\n";
  auto embedded = run_spate(
      {"sql", "-D", "state.backend.rocksdb.localdir=" + c.dir() + "/local-state", "-e", script});
  BOOST_REQUIRE_MESSAGE(embedded.exit_code == 0, embedded.out + embedded.err);
  auto remote = c.spate({"sql", "-m", "-p", "2", "-e", script});
  BOOST_REQUIRE_MESSAGE(remote.exit_code == 0, remote.out + remote.err);
  auto want = folded(embedded.out);
  BOOST_TEST(!want.empty());
  BOOST_TEST((folded(remote.out) == want), "embedded:\n"
                                               << embedded.out << "\n-m:\n"
                                               << remote.out);
}

BOOST_AUTO_TEST_CASE(select_through_sql_client_m_equals_the_embedded_client) {
  test_cluster c;
  c.start(2);
  auto ddl = csv_table(c.dir());
  for (const char* mode : {"changelog", "tableau"}) {
    for (const char* query : {group_query, projection_query}) {
      auto script = "SET 'sql-client.execution.result-mode' = '" + std::string(mode) + "';\n" +
                    ddl + query + "\n";
      auto embedded =
          run_spate({"sql", "-D", "state.backend.rocksdb.localdir=" + c.dir() + "/local-state",
                     "-e", script});
      BOOST_REQUIRE_MESSAGE(embedded.exit_code == 0, embedded.out + embedded.err);
      auto remote = c.spate({"sql", "-m", "-p", "2", "-e", script});
      BOOST_REQUIRE_MESSAGE(remote.exit_code == 0, remote.out + remote.err);
      BOOST_TEST_CONTEXT(mode << ": " << query << "\nembedded:\n"
                              << embedded.out << "\n-m:\n"
                              << remote.out) {
        auto want = folded(embedded.out);
        BOOST_TEST(!want.empty());
        BOOST_TEST((folded(remote.out) == want));
        BOOST_TEST(remote.out.find("Received a total of") != std::string::npos);
      }
    }
  }
  // NULL shows as the embedded client shows it.
  auto r = c.spate({"sql", "-m", "-e",
                    "SET 'sql-client.execution.result-mode' = 'changelog';\n" + ddl +
                        "SELECT id, word FROM words WHERE word IS NULL AND id < 10;"});
  BOOST_TEST(r.exit_code == 0, r.out + r.err);
  BOOST_TEST(r.out.find("+I[7, NULL]\nReceived a total of 1 row\n") != std::string::npos,
             r.out + r.err);
  // A failing query shows why, and a script stops there (exit 1).
  auto failing = c.spate({"sql", "-m", "-e", ddl + "SELECT id / (v - v) FROM words;\nSELECT 1;"});
  BOOST_TEST(failing.exit_code == 1, failing.out + failing.err);
  BOOST_TEST(failing.err.find("SQL job failed") != std::string::npos, failing.err);
}

BOOST_AUTO_TEST_CASE(results_route_serves_a_querys_rows_by_version_and_position) {
  test_cluster c;
  c.start(1);
  auto ddl = csv_table(c.dir());
  auto posted = c.request("POST", "/jobs", json({{"sql", ddl + projection_query}}).dump());
  BOOST_REQUIRE_MESSAGE(posted.status == 202, posted.body.dump());
  auto id = posted.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(id, "FINISHED"));

  auto all = c.get("/jobs/" + id + "/results");
  BOOST_REQUIRE_MESSAGE(all.status == 200, all.body.dump());
  auto n = all.body["rows"].size();
  BOOST_TEST(n == 180u); // v > 3: six values of ten
  BOOST_TEST(all.body["version"] == 0);
  BOOST_TEST(all.body["from"] == 0);
  BOOST_TEST(all.body["next"] == n);
  BOOST_TEST(all.body["end"] == true);
  BOOST_TEST(all.body["dropped"] == 0);
  BOOST_TEST(all.body["columns"] == json::parse(R"([{"name":"id","type":"BIGINT"},
      {"name":"w","type":"STRING"},{"name":"v2","type":"INT"}])"));
  std::set<std::string> ids;
  for (auto& row : all.body["rows"]) {
    BOOST_TEST(row["kind"] == "+I");
    BOOST_TEST(row["values"].size() == 3u);
    ids.insert(row["values"][0].get<std::string>());
  }
  BOOST_TEST(ids.size() == n);
  BOOST_TEST(all.body.dump().find("[\"7\",null,") != std::string::npos); // a null word

  auto rest = c.get("/jobs/" + id + "/results?from=100&version=0");
  BOOST_TEST(rest.body["rows"].size() == n - 100);
  BOOST_TEST(rest.body["rows"][0] == all.body["rows"][100]);
  BOOST_TEST(rest.body["next"] == n);
  auto past = c.get("/jobs/" + id + "/results?from=" + std::to_string(n));
  BOOST_TEST(past.body["rows"].size() == 0u);
  BOOST_TEST(past.body["end"] == true);

  // Bad parameters, an unknown job, a job that runs no query.
  for (auto q : {"?from=" + std::to_string(n + 1), std::string("?version=1"),
                 std::string("?from=-1"), std::string("?from=ten"), std::string("?version=")}) {
    auto bad = c.get("/jobs/" + id + "/results" + q);
    BOOST_TEST(bad.status == 400, q << ": " << bad.body.dump());
  }
  BOOST_TEST(c.get("/jobs/0123456789abcdef0123456789abcdef/results").status == 404);
  auto insert_id =
      c.submit({"--sql", write(c.dir() + "/insert.sql", insert_script(c.dir() + "/o"))});
  BOOST_REQUIRE(!insert_id.empty());
  auto not_query = c.get("/jobs/" + insert_id + "/results");
  BOOST_TEST(not_query.status == 400);
  BOOST_TEST(not_query.body["errors"][0].get<std::string>().find("runs no query") !=
                 std::string::npos,
             not_query.body.dump());
  BOOST_TEST(c.request("POST", "/jobs/" + id + "/results").status == 405);

  // sql-client.execution.max-table-result.rows: what is beyond is dropped, and counted.
  auto capped = c.request("POST", "/jobs",
                          json({{"sql", ddl + projection_query},
                                {"config", {{"sql-client.execution.max-table-result.rows", "50"}}}})
                              .dump());
  BOOST_REQUIRE_MESSAGE(capped.status == 202, capped.body.dump());
  auto capped_id = capped.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(capped_id, "FINISHED"));
  auto few = c.get("/jobs/" + capped_id + "/results");
  BOOST_TEST(few.body["rows"].size() == 50u);
  BOOST_TEST(few.body["dropped"] == n - 50);
  BOOST_TEST(few.body["end"] == true);
}

// A TaskManager killed while a query runs with checkpoints: the job restarts from its last
// checkpoint, its sink tells the JobManager how many rows it had sent then, and the rows
// after them are undone for readers; the result read throughout, folded, has every row once.
BOOST_AUTO_TEST_CASE(a_killed_taskmanager_shows_no_query_row_twice) {
  test_cluster c({"execution.checkpointing.interval=200ms"});
  c.start(2);
  const int rows = 3000;
  auto script = std::string("CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen',\n"
                            "  'rows-per-second' = '800', 'fields.id.kind' = 'sequence',\n"
                            "  'fields.id.start' = '1', 'fields.id.end' = '") +
                std::to_string(rows) + "');\nSELECT id, id * 2 FROM gen;\n";
  auto posted = c.request("POST", "/jobs", json({{"sql", script}, {"parallelism", 2}}).dump());
  BOOST_REQUIRE_MESSAGE(posted.status == 202, posted.body.dump());
  auto id = posted.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  result_reader reader;
  BOOST_REQUIRE(await([&] {
    reader.read(c, id);
    return c.completed_checkpoints(id) >= 2 && reader.rows.size() > 0;
  }));
  c.taskmanager(1).signal(SIGKILL);
  bool ended = await([&] { return reader.read(c, id); }, std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(ended, c.job_state(id) + "\n" + c.jobmanager().log());
  BOOST_TEST(c.job_state(id) == "FINISHED");
  BOOST_TEST(reader.version >= 1u); // rows after the checkpoint were undone
  std::multiset<std::string> want;
  for (int i = 1; i <= rows; ++i)
    want.insert(std::to_string(i) + ", " + std::to_string(2 * i));
  BOOST_TEST((reader.shown == want), "the folded result differs from a run without the kill");
  // Read again from the start: each row once.
  result_reader again;
  while (!again.read(c, id)) {
  }
  BOOST_TEST((again.shown == want));
  BOOST_TEST(again.rows.size() == static_cast<std::size_t>(rows));
}

// The interactive client with -m on a terminal: a query's rows as they come, Ctrl-C cancels
// its job on the cluster and returns to the prompt, a failed job shows why and the client goes
// on, table mode waits for Q.
BOOST_AUTO_TEST_CASE(interactive_client_runs_queries_on_the_cluster) {
  test_cluster c;
  c.start(1);
  auto args = c.options();
  args.insert(args.begin(), {"-m", "127.0.0.1:" + std::to_string(c.rest_port())});
  terminal_session t(c.dir(), args);
  BOOST_REQUIRE(t.expect("spate SQL> "));
  t.type("CREATE TABLE slow (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = "
         "'20', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = "
         "'100000');\n");
  BOOST_REQUIRE(t.expect("[INFO] Execute statement succeed."));
  BOOST_REQUIRE(t.expect("spate SQL> "));

  t.type("SELECT id, id * 10 AS t FROM slow;\n");
  BOOST_REQUIRE(t.expect("Job ID: "));
  auto mark = t.mark();
  BOOST_REQUIRE_MESSAGE(t.expect("|                   30 |"), t.output()); // id 3's row
  auto id = t.since(mark).substr(0, 32);
  BOOST_TEST(c.job_state(id) == "RUNNING");
  t.type("\x03");
  BOOST_REQUIRE_MESSAGE(t.expect("Query terminated, received a total of "), t.output());
  BOOST_REQUIRE(t.expect("spate SQL> "));
  BOOST_TEST(c.await_state(id, "CANCELED"));
  BOOST_TEST(t.output().find("| op |                   id |                    t |") !=
                 std::string::npos,
             t.output());

  // A failed job: its root exception, and the client goes on.
  t.type("SELECT id / (id - id) FROM slow;\n");
  BOOST_REQUIRE_MESSAGE(t.expect("[ERROR] Could not execute SQL statement. Reason:"), t.output());
  BOOST_REQUIRE(t.expect("SQL job failed"));
  BOOST_REQUIRE(t.expect("division by zero"));
  BOOST_REQUIRE(t.expect("spate SQL> "));

  // table mode: the materialized result until Q.
  t.type("SET 'sql-client.execution.result-mode' = 'table';\n");
  BOOST_REQUIRE(t.expect("spate SQL> "));
  t.type("SELECT id FROM slow WHERE id > 99998;\n");
  BOOST_REQUIRE_MESSAGE(t.expect("[Q] Quit"), t.output());
  t.type("q");
  BOOST_REQUIRE_MESSAGE(t.expect("spate SQL> "), t.output());
  t.type("QUIT;\n");
  BOOST_REQUIRE(t.expect("Shutting down the session"));
  BOOST_TEST(t.wait_exit() == 0);

  // A script with -m: Ctrl-C cancels its query's job on the cluster and ends the script.
  std::vector<std::string> argv = {bin_dir() + "/spate", "sql"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-e", "CREATE TABLE slow (id BIGINT) WITH ('connector' = 'datagen', "
                                 "'rows-per-second' = '20');\nSELECT id FROM slow;\nSELECT 1;\n"});
  daemon_process script(argv, c.dir() + "/script.log");
  BOOST_REQUIRE_MESSAGE(await([&] { return script.log().find("| +I |") != std::string::npos; }),
                        script.log());
  auto log = script.log();
  auto script_job = log.substr(log.find("Job ID: ") + 8, 32);
  script.signal(SIGINT);
  BOOST_REQUIRE(await([&] { return !script.alive(); }));
  BOOST_TEST(script.stop() == 128 + SIGINT);
  BOOST_TEST(c.await_state(script_job, "CANCELED"), script.log());
  BOOST_TEST(script.log().find("Query terminated") != std::string::npos, script.log());
}
