#define BOOST_TEST_MODULE sql_analyzer
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "spate/sql/analyzer.hpp"
#include "spate/sql/parser.hpp"
#include "spate/sql/session.hpp"
#include "spate/sql/types.hpp"

using namespace spate;
using namespace spate::sql;

namespace {

std::string source_dir() {
  const char* dir = std::getenv("SPATE_SOURCE_DIR");
  return dir && *dir ? dir : ".";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

std::string replace_required(const std::string& text, const std::string& from,
                             const std::string& to) {
  BOOST_REQUIRE_MESSAGE(text.find(from) != std::string::npos, "missing: " << from);
  return replace_all(text, from, to);
}

//! The nexmark DDL of test/sql/nexmark/ddl.sql, with the bid's channel and url that newer
//! nexmark revisions (and q16, q18-q22) have.
std::string nexmark_ddl() {
  std::string ddl = read_file(source_dir() + "/test/sql/nexmark/ddl.sql");
  ddl = replace_required(ddl, "price  BIGINT,\n        dateTime  TIMESTAMP(3),",
                         "price  BIGINT,\n        channel  VARCHAR,\n        url  VARCHAR,\n"
                         "        dateTime  TIMESTAMP(3),");
  ddl = replace_required(ddl, "    bid.price,\n    dateTime,",
                         "    bid.price,\n    bid.channel,\n    bid.url,\n    dateTime,");
  return ddl;
}

void run_script(sql_session& s, const std::string& sql) {
  try {
    s.execute_script(sql);
  } catch (const sql_error& e) {
    BOOST_FAIL("script failed: " << e.what() << "\n" << sql);
  }
}

sql_session nexmark_session() {
  sql_session s;
  run_script(s, nexmark_ddl());
  return s;
}

//! A nexmark query file, with customTime spelled dateTime as ddl.sql has it.
std::string nexmark_query(int n) {
  std::string sql = read_file(source_dir() + "/test/sql/nexmark/q" + std::to_string(n) + ".sql");
  sql = replace_all(sql, "customTime", "dateTime");
  if (n == 20) // the published q20 creates discard_sink but inserts into nexmark_q20
    sql = replace_required(sql, "CREATE TABLE discard_sink", "CREATE TABLE nexmark_q20");
  return sql;
}

//! Runs every statement of `sql`; the last one's result.
sql_result run_last(sql_session& s, const std::string& sql) {
  auto statements = parse_script(sql);
  sql_result last;
  for (const statement& st : statements)
    last = s.execute(st, sql);
  return last;
}

std::string message_of(sql_session& s, const std::string& sql) {
  try {
    run_last(s, sql);
  } catch (const sql_error& e) {
    return e.message();
  }
  return "<no error>";
}

const plan_node& root(const sql_result& r) {
  BOOST_REQUIRE(r.type == sql_result::kind::plan);
  BOOST_REQUIRE(!r.plan.roots.empty());
  return *r.plan.roots[0];
}

} // namespace

// The nexmark queries: all plan but those refused as not supported yet (q14's count_char is
// spate's built-in class of that name).
BOOST_AUTO_TEST_CASE(nexmark_queries_plan_or_are_refused_by_name) {
  const std::map<int, std::string> refused = {
      // an OVER aggregation over a Top-1 that Flink does not run either, as the file says;
      // its inner WHERE names the SELECT's own alias rownum, which is no column there
      {6, "Column 'rownum' not found in any table"},
  };
  for (int n = 0; n <= 22; ++n) {
    BOOST_TEST_CONTEXT("q" << n) {
      sql_session s = nexmark_session();
      const std::string sql = nexmark_query(n);
      auto it = refused.find(n);
      if (it != refused.end()) {
        BOOST_TEST(message_of(s, sql) == it->second);
        continue;
      }
      sql_result r;
      try {
        r = run_last(s, sql);
      } catch (const sql_error& e) {
        BOOST_FAIL(e.what());
      }
      const plan_node& sink = root(r);
      BOOST_TEST((sink.kind == node_kind::sink));
      BOOST_TEST(sink.changelog.to_string() == "[NONE]");
      BOOST_TEST(explain(r.plan).rfind("== Optimized Logical Plan ==\nSink(table=[", 0) == 0);
    }
  }
}

//! The changelog mode of the query feeding the sink of nexmark query n.
std::string nexmark_changelog(int n) {
  sql_session s = nexmark_session();
  sql_result r = run_last(s, nexmark_query(n));
  return root(r).inputs.at(0)->changelog.to_string();
}

BOOST_AUTO_TEST_CASE(nexmark_changelog_modes) {
  BOOST_TEST(nexmark_changelog(0) == "[I]");
  BOOST_TEST(nexmark_changelog(3) == "[I]");         // inner join of insert-only inputs
  BOOST_TEST(nexmark_changelog(4) == "[I,UB,UA,D]"); // aggregate over an aggregate
  BOOST_TEST(nexmark_changelog(5) == "[I]");         // window aggregates and a window join
  BOOST_TEST(nexmark_changelog(8) == "[I]");
  BOOST_TEST(nexmark_changelog(11) == "[I]");         // GROUP BY SESSION(...)
  BOOST_TEST(nexmark_changelog(12) == "[I]");         // TUMBLE on a proctime
  BOOST_TEST(nexmark_changelog(15) == "[I,UB,UA]");   // GROUP BY without a window
  BOOST_TEST(nexmark_changelog(18) == "[I,UB,UA]");   // deduplicate, keep last row
  BOOST_TEST(nexmark_changelog(19) == "[I,UB,UA,D]"); // Top-N
}

std::string query_schema(int n) {
  sql_session s = nexmark_session();
  sql_result r = run_last(s, nexmark_query(n));
  return schema_string(*root(r).inputs.at(0));
}

// q13 as Flink plans it: a LookupJoin on the side input (its legacy 'connector.type' options
// mapped), the key MOD(auction, 10000) computed by the Calc below it, the proctime kept.
BOOST_AUTO_TEST_CASE(nexmark_q13_is_a_lookup_join) {
  sql_session s = nexmark_session();
  sql_result r = run_last(s, nexmark_query(13));
  const std::string plan = explain(r.plan);
  BOOST_TEST_MESSAGE(plan);
  BOOST_TEST(plan.find("LookupJoin(table=[default_catalog.default_database.side_input], "
                       "joinType=[InnerJoin], lookup=[key=$f8], select=[auction, bidder, price, "
                       "channel, url, dateTime, extra, p_time, $f8, key, value], "
                       "changelogMode=[I])") != std::string::npos,
             plan);
  // MOD(BIGINT, INT) is an INT: widened to the key's BIGINT.
  BOOST_TEST(plan.find("PROCTIME() AS p_time, CAST(MOD(auction, 10000) AS BIGINT) AS $f8") !=
                 std::string::npos,
             plan);
  const plan_node& sink = root(r);
  BOOST_TEST(schema_string(*sink.inputs.at(0)) ==
             "auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3) *ROWTIME*, "
             "value STRING");
  BOOST_TEST(sink.inputs.at(0)->changelog.to_string() == "[I]");
}

BOOST_AUTO_TEST_CASE(nexmark_output_schemas) {
  BOOST_TEST(query_schema(1) == "auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), "
                                "dateTime TIMESTAMP(3) *ROWTIME*, extra STRING");
  BOOST_TEST(query_schema(5) == "auction BIGINT, num BIGINT NOT NULL");
  BOOST_TEST(query_schema(7) == "auction BIGINT, bidder BIGINT, price BIGINT, "
                                "dateTime TIMESTAMP(3), extra STRING");
  BOOST_TEST(query_schema(11) == "bidder BIGINT, bid_count BIGINT NOT NULL, "
                                 "starttime TIMESTAMP(3) NOT NULL, endtime TIMESTAMP(3) NOT NULL");
  BOOST_TEST(query_schema(17) ==
             "auction BIGINT, day STRING, total_bids BIGINT NOT NULL, rank1_bids BIGINT NOT NULL, "
             "rank2_bids BIGINT NOT NULL, rank3_bids BIGINT NOT NULL, min_price BIGINT, "
             "max_price BIGINT, avg_price BIGINT, sum_price BIGINT");
  BOOST_TEST(query_schema(19) == "auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, "
                                 "url STRING, dateTime TIMESTAMP(3), extra STRING, "
                                 "rank_number BIGINT NOT NULL");
}

namespace {

const char* ticker_ddl = R"(
CREATE TABLE stock (
  ticker STRING,
  price DOUBLE,
  event_time TIMESTAMP(3),
  WATERMARK FOR event_time AS event_time - INTERVAL '5' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'stock', 'format' = 'json');
CREATE TABLE counts (ticker STRING, cnt BIGINT, window_start TIMESTAMP(3))
  WITH ('connector' = 'kafka', 'topic' = 'counts', 'format' = 'json');
CREATE TABLE mins (ticker STRING, min_price DOUBLE, window_end TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '/tmp/mins', 'format' = 'csv');
CREATE TABLE clicks (
  user_id STRING,
  url STRING,
  ts TIMESTAMP_LTZ(3),
  proc AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '/tmp/clicks', 'format' = 'json');
CREATE TABLE per_user (user_id STRING, clicks BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3))
  WITH ('connector' = 'print');
CREATE TABLE updates (user_id STRING, clicks BIGINT)
  WITH ('connector' = 'kafka', 'topic' = 'updates', 'format' = 'json');
)";

sql_session ticker_session() {
  sql_session s;
  run_script(s, ticker_ddl);
  return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(stock_ticker_and_clicks_windows) {
  sql_session s = ticker_session();
  // a tumbling count per ticker over 10 s into an append-only kafka sink
  sql_result r = run_last(s, R"(
INSERT INTO counts
SELECT ticker, COUNT(*) AS cnt, window_start
FROM TABLE(TUMBLE(TABLE stock, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
GROUP BY ticker, window_start, window_end)");
  const plan_node& calc = *root(r).inputs.at(0);
  BOOST_TEST(schema_string(calc) ==
             "ticker STRING, cnt BIGINT NOT NULL, window_start TIMESTAMP(3) NOT NULL");
  BOOST_TEST(calc.changelog.to_string() == "[I]");
  const plan_node& agg = *calc.inputs.at(0);
  BOOST_TEST(
      agg.describe() ==
      "WindowAggregate(groupBy=[ticker], window=[TUMBLE(time_col=[event_time], size=[10 s])], "
      "select=[ticker, COUNT(*) AS cnt, start('w$) AS window_start, end('w$) AS window_end, "
      "rowtime('w$) AS window_time])");

  // the sliding minimum, 10 s every 5 s, by named arguments
  r = run_last(s, R"(
INSERT INTO mins
SELECT ticker, MIN(price) AS min_price, window_end
FROM TABLE(HOP(DATA => TABLE stock, TIMECOL => DESCRIPTOR(event_time),
               SLIDE => INTERVAL '5' SECOND, SIZE => INTERVAL '10' SECOND))
GROUP BY ticker, window_start, window_end)");
  BOOST_TEST(root(r).inputs.at(0)->inputs.at(0)->window->to_string() ==
             "HOP(time_col=[event_time], size=[10 s], slide=[5 s])");
  BOOST_TEST(schema_string(*root(r).inputs.at(0)) ==
             "ticker STRING, min_price DOUBLE, window_end TIMESTAMP(3) NOT NULL");

  // clicks per user in 10 s windows, the legacy GROUP BY TUMBLE form
  r = run_last(s, R"(
INSERT INTO per_user
SELECT user_id, COUNT(url) AS clicks, TUMBLE_START(ts, INTERVAL '10' SECOND),
       TUMBLE_END(ts, INTERVAL '10' SECOND)
FROM clicks
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), user_id)");
  const plan_node& legacy = *root(r).inputs.at(0)->inputs.at(0);
  BOOST_TEST((legacy.kind == node_kind::window_aggregate));
  BOOST_TEST(legacy.window->time_column_name == "ts");
  BOOST_TEST(legacy.changelog.to_string() == "[I]");

  // window_time is the new rowtime: a second window aggregate can follow
  run_script(s, R"(
CREATE VIEW per_10s AS
  SELECT ticker, COUNT(*) AS cnt, window_time AS rt
  FROM TABLE(TUMBLE(TABLE stock, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
  GROUP BY ticker, window_start, window_end, window_time)");
  r = run_last(s,
               "SELECT window_start, window_end, SUM(cnt) AS total FROM TABLE(TUMBLE(TABLE "
               "per_10s, DESCRIPTOR(rt), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end");
  BOOST_TEST(schema_string(root(r)) == "window_start TIMESTAMP(3) NOT NULL, "
                                       "window_end TIMESTAMP(3) NOT NULL, total BIGINT");

  // a proctime window
  r = run_last(s, "SELECT user_id, COUNT(*) AS c, window_time FROM TABLE(CUMULATE(TABLE clicks, "
                  "DESCRIPTOR(proc), INTERVAL '1' SECOND, INTERVAL '10' SECOND)) "
                  "GROUP BY user_id, window_start, window_end, window_time");
  BOOST_TEST(schema_string(root(r)) ==
             "user_id STRING, c BIGINT NOT NULL, window_time TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*");
}

BOOST_AUTO_TEST_CASE(changelog_modes) {
  sql_session s = ticker_session();
  auto mode = [&s](const std::string& sql) { return root(run_last(s, sql)).changelog.to_string(); };
  // GROUP BY without a window: updating
  BOOST_TEST(mode("SELECT ticker, COUNT(*) AS cnt FROM stock GROUP BY ticker") == "[I,UB,UA]");
  // a window aggregate: insert-only
  BOOST_TEST(mode("SELECT ticker, COUNT(*) FROM TABLE(TUMBLE(TABLE stock, DESCRIPTOR(event_time), "
                  "INTERVAL '1' MINUTE)) GROUP BY ticker, window_start, window_end") == "[I]");
  // Top-N: updating
  BOOST_TEST(mode("SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ticker ORDER BY "
                  "price DESC) AS rn FROM stock) WHERE rn <= 3") == "[I,UB,UA,D]");
  // deduplication keeping the first row on rowtime: updating, as Flink's (an earlier row may
  // arrive later and replace it); only keep-first on processing time is insert-only
  sql_result first = run_last(s, "SELECT ticker, price FROM (SELECT *, ROW_NUMBER() OVER "
                                 "(PARTITION BY ticker ORDER BY event_time ASC) AS rn FROM stock) "
                                 "WHERE rn = 1");
  BOOST_TEST(root(first).changelog.to_string() == "[I,UB,UA]");
  BOOST_TEST(root(first).inputs.at(0)->describe() ==
             "Deduplicate(keep=[FirstRow], key=[ticker], order=[ROWTIME])");
  // keeping the last row: updating
  BOOST_TEST(mode("SELECT ticker, price FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY ticker "
                  "ORDER BY event_time DESC) AS rn FROM stock) WHERE rn <= 1") == "[I,UB,UA]");
  // an aggregate over an updating aggregate can delete
  BOOST_TEST(mode("SELECT cnt, COUNT(*) FROM (SELECT ticker, COUNT(*) AS cnt FROM stock GROUP BY "
                  "ticker) GROUP BY cnt") == "[I,UB,UA,D]");
  // a left join: updating; an inner join of insert-only inputs: insert-only
  BOOST_TEST(mode("SELECT * FROM stock a LEFT JOIN stock b ON a.ticker = b.ticker") ==
             "[I,UB,UA,D]");
  BOOST_TEST(mode("SELECT * FROM stock a JOIN stock b ON a.ticker = b.ticker") == "[I]");
  // SELECT DISTINCT: updating
  BOOST_TEST(mode("SELECT DISTINCT ticker FROM stock") == "[I,UB,UA]");
  // UNION ALL of inserts: inserts
  BOOST_TEST(mode("SELECT ticker FROM stock UNION ALL SELECT user_id FROM clicks") == "[I]");
  // an updating query into a print sink is fine
  BOOST_TEST(mode("INSERT INTO per_user SELECT user_id, COUNT(*), CAST(NULL AS TIMESTAMP(3)), "
                  "CAST(NULL AS TIMESTAMP(3)) FROM clicks GROUP BY user_id") == "[NONE]");
}

BOOST_AUTO_TEST_CASE(interval_join_is_recognised) {
  sql_session s = ticker_session();
  sql_result r =
      run_last(s, "SELECT a.ticker, b.price FROM stock a, stock b WHERE a.ticker = "
                  "b.ticker AND a.event_time BETWEEN b.event_time - INTERVAL '10' SECOND "
                  "AND b.event_time + INTERVAL '5' SECOND");
  const plan_node& join = *root(r).inputs.at(0);
  BOOST_TEST((join.kind == node_kind::interval_join));
  BOOST_TEST(join.lower_bound == -10000);
  BOOST_TEST(join.upper_bound == 5000);
  BOOST_TEST((join.left_keys == std::vector<int>{0}));
  BOOST_TEST(join.changelog.to_string() == "[I]");
  // strict bounds, written the other way round
  r = run_last(s,
               "SELECT a.ticker FROM stock a JOIN stock b ON a.ticker = b.ticker AND "
               "b.event_time > a.event_time - INTERVAL '1' SECOND AND b.event_time < a.event_time");
  const plan_node& j2 = *root(r).inputs.at(0);
  BOOST_TEST((j2.kind == node_kind::interval_join));
  BOOST_TEST(j2.lower_bound == 1);
  BOOST_TEST(j2.upper_bound == 999);
  // a bound on a plain timestamp is a regular join, whose output has no time attributes
  r = run_last(s, "SELECT a.event_time FROM stock a JOIN stock b ON a.ticker = b.ticker AND "
                  "a.event_time >= CAST(b.event_time AS TIMESTAMP(3))");
  BOOST_TEST((root(r).inputs.at(0)->kind == node_kind::join));
  BOOST_TEST(schema_string(root(r)) == "event_time TIMESTAMP(3)");
}

BOOST_AUTO_TEST_CASE(views_ctes_and_names) {
  sql_session s = ticker_session();
  run_script(s,
             "CREATE VIEW expensive (t, p, et) AS SELECT ticker, price, event_time FROM stock "
             "WHERE price > 100;"
             "CREATE VIEW expensive_counts AS SELECT t, COUNT(*) AS n FROM expensive GROUP BY t;");
  sql_result r = run_last(s, "SELECT * FROM expensive_counts");
  BOOST_TEST(schema_string(root(r)) == "t STRING, n BIGINT NOT NULL");
  // the view keeps the rowtime: it can be windowed
  r = run_last(s, "SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE expensive, DESCRIPTOR(et), INTERVAL "
                  "'1' MINUTE)) GROUP BY window_start, window_end");
  BOOST_TEST(root(r).changelog.to_string() == "[I]");
  // CTEs, t.*, nested fields, aliases
  r = run_last(s, "WITH w AS (SELECT ticker, ROW(price, ticker) AS r FROM stock) "
                  "SELECT x.*, x.r.EXPR$0 + 1 AS p1, UPPER(x.ticker) u FROM w AS x");
  BOOST_TEST(
      schema_string(root(r)) ==
      "ticker STRING, r ROW<`EXPR$0` DOUBLE, `EXPR$1` STRING> NOT NULL, p1 DOUBLE, u STRING");
  // SELECT without FROM and VALUES
  r = run_last(s, "SELECT 1 + 2, 'ab' || 'c', CAST('1' AS INT)");
  BOOST_TEST(schema_string(root(r)) ==
             "EXPR$0 INT NOT NULL, EXPR$1 CHAR(3) NOT NULL, EXPR$2 INT NOT NULL");
  r = run_last(s, "SELECT * FROM (VALUES (1, 'a'), (2, 'bc')) AS t(id, name)");
  BOOST_TEST(schema_string(root(r)) == "id INT NOT NULL, name CHAR(2) NOT NULL");
  // DROP
  run_script(s, "DROP VIEW expensive_counts; DROP VIEW IF EXISTS nothing;");
  BOOST_TEST(message_of(s, "SELECT * FROM expensive_counts") ==
             "Object 'expensive_counts' not found");
}

BOOST_AUTO_TEST_CASE(describe_show_set_and_explain) {
  sql_session s;
  run_script(s, R"(
CREATE TABLE orders (
  id BIGINT,
  amount DECIMAL(10, 2),
  doubled AS amount * 2,
  ts TIMESTAMP(3),
  proc AS PROCTIME(),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (id) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'orders');
CREATE VIEW big AS SELECT id, amount FROM orders WHERE amount > 10;
CREATE FUNCTION f AS 'com.github.nexmark.flink.udf.CountChar';
)");
  sql_result d = s.execute_sql("DESCRIBE orders");
  BOOST_TEST((d.columns ==
              std::vector<std::string>{"name", "type", "null", "key", "extras", "watermark"}));
  const std::vector<std::vector<std::string>> expected = {
      {"id", "BIGINT", "FALSE", "PRI(id)", "", ""},
      {"amount", "DECIMAL(10, 2)", "TRUE", "", "", ""},
      {"doubled", "DECIMAL(20, 2)", "TRUE", "", "AS amount * 2", ""},
      {"ts", "TIMESTAMP(3) *ROWTIME*", "TRUE", "", "", "ts - INTERVAL '5' SECOND"},
      {"proc", "TIMESTAMP_LTZ(3) *PROCTIME*", "FALSE", "", "AS PROCTIME()", ""},
  };
  BOOST_TEST((d.rows == expected));
  sql_result v = s.execute_sql("DESC big");
  BOOST_TEST(v.rows.size() == 2u);
  BOOST_TEST((v.rows[0] == std::vector<std::string>{"id", "BIGINT", "FALSE", "", "", ""}));
  sql_result t = s.execute_sql("SHOW TABLES");
  BOOST_TEST((t.columns == std::vector<std::string>{"table name"}));
  BOOST_TEST((t.rows == std::vector<std::vector<std::string>>{{"big"}, {"orders"}}));
  BOOST_TEST((s.execute_sql("SHOW VIEWS").rows == std::vector<std::vector<std::string>>{{"big"}}));
  BOOST_TEST(
      (s.execute_sql("SHOW USER FUNCTIONS").rows == std::vector<std::vector<std::string>>{{"f"}}));
  s.execute_sql("SET 'table.exec.mini-batch.enabled' = 'true'");
  s.execute_sql("SET 'parallelism.default' = '4'");
  BOOST_TEST(s.execute_sql("SET").rows.size() == 2u);
  s.execute_sql("RESET 'parallelism.default'");
  BOOST_TEST(s.get_catalog().config().size() == 1u);
  sql_result e = s.execute_sql("EXPLAIN SELECT id, COUNT(*) AS cnt FROM orders GROUP BY id");
  BOOST_TEST(
      e.rows.at(0).at(0) ==
      "== Optimized Logical Plan ==\n"
      "GroupAggregate(groupBy=[id], select=[id, COUNT(*) AS cnt], changelogMode=[I,UB,UA,D])\n"
      "+- WatermarkAssigner(rowtime=[ts], watermark=[-(ts, 5000:INTERVAL SECOND)], "
      "changelogMode=[I,UB,UA,D])\n"
      "   +- Calc(select=[id, amount, *(amount, 2) AS doubled, ts, PROCTIME() AS proc], "
      "changelogMode=[I,UB,UA,D])\n"
      "      +- TableSourceScan(table=[[default_catalog, default_database, orders]], "
      "fields=[id, amount, ts], changelogMode=[I,UB,UA,D])\n");
  // statement sets plan one sink each
  run_script(s, "CREATE TABLE out1 (id BIGINT) WITH ('connector' = 'blackhole');"
                "CREATE TABLE out2 (id BIGINT, a DECIMAL(10, 2)) WITH ('connector' = 'print');");
  sql_result set = run_last(s, "EXECUTE STATEMENT SET BEGIN INSERT INTO out1 SELECT id FROM "
                               "orders; INSERT INTO out2 SELECT * FROM big; END");
  BOOST_TEST(set.plan.roots.size() == 2u);
  // INSERT with a column list fills the rest with NULL
  sql_result partial = run_last(s, "INSERT INTO out2 (id) SELECT id FROM orders");
  BOOST_TEST(root(partial).inputs.at(0)->describe() ==
             "Calc(select=[id, CAST(null AS DECIMAL(10, 2)) AS a])");
}

BOOST_AUTO_TEST_CASE(type_rules) {
  const logical_type i = make_type(logical_kind::int_);
  const logical_type b = make_type(logical_kind::bigint);
  const logical_type d = make_decimal(4, 3, true);
  BOOST_TEST(to_string(*arithmetic_type('*', d, b)) == "DECIMAL(23, 3)");
  BOOST_TEST(to_string(*arithmetic_type('+', i, b)) == "BIGINT");
  BOOST_TEST(to_string(*arithmetic_type('/', make_decimal(10, 2), make_decimal(5, 1))) ==
             "DECIMAL(17, 8)");
  BOOST_TEST(to_string(*arithmetic_type('+', make_decimal(38, 10), make_decimal(38, 10))) ==
             "DECIMAL(38, 9)");
  BOOST_TEST(!arithmetic_type('+', make_varchar(), i));
  BOOST_TEST(to_string(*arithmetic_type('-', make_rowtime(make_timestamp(3)),
                                        make_type(logical_kind::interval_day_time, true))) ==
             "TIMESTAMP(3)");
  BOOST_TEST(to_string(*common_type({i, make_decimal(5, 2), make_type(logical_kind::null)})) ==
             "DECIMAL(12, 2)");
  BOOST_TEST(to_string(*common_type({make_char(3, true), make_char(5, true)})) ==
             "CHAR(5) NOT NULL");
  BOOST_TEST(to_string(*common_type({make_char(3, true), make_varchar(10)})) == "VARCHAR(10)");
  BOOST_TEST(to_string(*common_type({i, make_type(logical_kind::double_)})) == "DOUBLE");
  BOOST_TEST(!common_type({i, make_varchar()}));
  BOOST_TEST(!common_type({make_timestamp(3), make_timestamp_ltz(3)}));
  BOOST_TEST(can_cast(make_varchar(), make_type(logical_kind::date)));
  BOOST_TEST(can_cast(b, make_decimal(10, 2)));
  BOOST_TEST(!can_cast(make_type(logical_kind::boolean), make_type(logical_kind::date)));
  BOOST_TEST(can_assign(i, b));
  BOOST_TEST(!can_assign(b, i));
  BOOST_TEST(can_assign(b, make_decimal(23, 3)));
  BOOST_TEST(sql_type_name(make_varchar()) == "VARCHAR(2147483647)");
  BOOST_TEST(to_string(make_proctime()) == "TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*");
  BOOST_TEST(edit_distance("biddr", "bidder") == 1u);
}

// Wrong statements and the messages they must give.
BOOST_AUTO_TEST_CASE(wrong_statements_and_their_messages) {
  struct wrong {
    const char* sql;
    const char* message;
  };
  const std::vector<wrong> cases = {
      // unknown names, with suggestions
      {"SELECT biddr FROM bid", "Column 'biddr' not found in any table; did you mean 'bidder'?"},
      {"SELECT * FROM bids", "Object 'bids' not found; did you mean 'bid'?"},
      {"SELECT x FROM bid", "Column 'x' not found in any table"},
      {"SELECT B.pric FROM bid B", "Column 'pric' not found in table 'B'; did you mean 'price'?"},
      {"SELECT C.price FROM bid B", "Table 'C' not found"},
      {"SELECT Bx.price FROM bid Bid1", "Table 'Bx' not found"},
      {"SELECT bid.pricee FROM nexmark",
       "Unknown field 'pricee' in ROW column 'bid'; did you mean 'price'?"},
      {"SELECT C.* FROM bid B", "Table 'C' not found"},
      {"SELECT * FROM other_db.bid", "Object 'other_db.bid' not found"},
      {"INSERT INTO sinkk SELECT auction FROM bid",
       "Object 'sinkk' not found; did you mean 'sink'?"},
      // ambiguity
      {"SELECT price FROM bid a, bid b", "Column 'price' is ambiguous"},
      {"SELECT * FROM bid a JOIN bid a ON a.price = a.price",
       "Duplicate relation name 'a' in FROM clause"},
      // types
      {"SELECT extra + 1 FROM bid",
       "Cannot apply '+' to arguments of type '<VARCHAR(2147483647)> + <INTEGER>'"},
      {"SELECT price FROM bid WHERE price = 'x'",
       "Cannot apply '=' to arguments of type '<BIGINT> = <CHAR(1)>'"},
      {"SELECT price FROM bid WHERE price", "WHERE clause must be a condition"},
      {"SELECT NOT price FROM bid", "Cannot apply 'NOT' to arguments of type 'NOT<BIGINT>'"},
      {"SELECT CASE WHEN price > 1 THEN 'a' ELSE 1 END FROM bid",
       "Illegal mixing of types in CASE or COALESCE statement"},
      {"SELECT CAST(dateTime AS BOOLEAN) FROM bid",
       "Cast function cannot convert value of type TIMESTAMP(3) to type BOOLEAN"},
      {"SELECT UPPER(price) FROM bid",
       "Cannot apply 'UPPER' to arguments of type 'UPPER(<BIGINT>)'. Supported form(s): "
       "'UPPER(<CHARACTER>)'"},
      {"SELECT SUM(extra) FROM bid",
       "Cannot apply 'SUM' to arguments of type 'SUM(<VARCHAR(2147483647)>)'. Supported "
       "form(s): 'SUM(<NUMERIC>)'"},
      {"SELECT price LIKE 'a%' FROM bid",
       "Cannot apply 'LIKE' to arguments of type '<BIGINT> LIKE <CHAR(2)>'"},
      // functions
      {"SELECT SUBSTRING(extra) FROM bid",
       "Invalid number of arguments to function 'SUBSTRING'. Was expecting 2 or 3 arguments"},
      {"SELECT MOD(price) FROM bid",
       "Invalid number of arguments to function 'MOD'. Was expecting 2 arguments"},
      {"SELECT no_such_fn(price, extra) FROM bid",
       "No match found for function signature no_such_fn(<NUMERIC>, <CHARACTER>)"},
      {"SELECT upper(extra) FILTER (WHERE price > 1) FROM bid",
       "FILTER must be applied to an aggregate function, not 'UPPER'"},
      // aggregation
      {"SELECT auction, bidder, COUNT(*) FROM bid GROUP BY auction",
       "Expression 'bidder' is not being grouped"},
      {"SELECT price, COUNT(*) FROM bid", "Expression 'price' is not being grouped"},
      {"SELECT auction FROM bid WHERE COUNT(*) > 1",
       "Aggregate expression is illegal in WHERE clause"},
      {"SELECT COUNT(*) FROM bid GROUP BY COUNT(*)",
       "Aggregate expression is illegal in GROUP BY clause"},
      {"SELECT SUM(MAX(price)) FROM bid", "Aggregate expressions cannot be nested"},
      {"SELECT auction, COUNT(*) FROM bid GROUP BY auction HAVING price > 1",
       "Expression 'price' is not being grouped"},
      // time attributes and windows
      {"SELECT * FROM TABLE(TUMBLE(TABLE plain, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
       "The window function requires the timecol is a time attribute type, but is TIMESTAMP(3)."},
      {"SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTim), INTERVAL '1' MINUTE))",
       "Column 'dateTim' not found in table 'bid'; did you mean 'dateTime'?"},
      {"SELECT COUNT(*) FROM plain GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
       "Window can only be defined on a time attribute column, but is type of TIMESTAMP(3)"},
      {"SELECT TUMBLE_START(dateTime, INTERVAL '1' MINUTE) FROM bid GROUP BY auction",
       "Cannot use TUMBLE_START(...) without a matching TUMBLE(...) group window in GROUP BY"},
      {"SELECT * FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '3' SECOND, "
       "INTERVAL '10' SECOND))",
       "HOP table function based aggregate requires size must be an integral multiple of slide, "
       "but got size 10000 ms and slide 3000 ms."},
      // sinks
      {"INSERT INTO append_sink SELECT auction, COUNT(*) FROM bid GROUP BY auction",
       "Table sink 'default_catalog.default_database.append_sink' doesn't support consuming "
       "update changes which is produced by node GroupAggregate(groupBy=[auction], "
       "select=[auction, COUNT(*) AS EXPR$1])"},
      {"INSERT INTO file_sink SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (PARTITION BY "
       "auction ORDER BY price DESC) AS rn FROM bid) WHERE rn <= 3",
       "Table sink 'default_catalog.default_database.file_sink' doesn't support consuming update "
       "changes which is produced by node Rank(strategy=[AppendFastStrategy], "
       "rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=3], partitionBy=[auction], "
       "orderBy=[price DESC], select=[auction, bidder, price, channel, url, dateTime, extra, rn])"},
      {"INSERT INTO sink SELECT auction FROM bid",
       "Column types of query result and sink for 'default_catalog.default_database.sink' do not "
       "match. Cause: Different number of columns. Query schema: [auction: BIGINT] Sink schema: "
       "[auction: BIGINT, cnt: BIGINT]"},
      {"INSERT INTO sink SELECT auction, extra FROM bid",
       "Column types of query result and sink for 'default_catalog.default_database.sink' do not "
       "match. Cause: Incompatible types for sink column 'cnt' at position 1. Query schema: "
       "[auction: BIGINT, extra: STRING] Sink schema: [auction: BIGINT, cnt: BIGINT]"},
      {"INSERT INTO sink (auction, cnnt) SELECT auction, price FROM bid",
       "Unknown target column 'cnnt'; did you mean 'cnt'?"},
      {"INSERT INTO nexmark SELECT * FROM nexmark",
       "Connector 'nexmark' can only be used as a source. It cannot be used as a sink."},
      {"SELECT * FROM sink",
       "Connector 'blackhole' can only be used as a sink. It cannot be used as a source."},
      {"SELECT * FROM no_connector",
       "Table options do not contain an option key 'connector' for discovering a connector. "
       "Table: default_catalog.default_database.no_connector"},
      // not supported yet
      {"SELECT * FROM bid ORDER BY price", "not supported yet: ORDER BY"},
      {"SELECT auction FROM bid WHERE auction IN (SELECT auction FROM bid)",
       "not supported yet: subqueries in expressions (IN, EXISTS, scalar subqueries)"},
      {"SELECT auction FROM bid INTERSECT SELECT auction FROM bid", "not supported yet: INTERSECT"},
      {"SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price) "
       "AS rn FROM bid)",
       "not supported yet: ROW_NUMBER() without a filter on its result (rn <= N) in the "
       "enclosing query: OVER aggregation"},
      // DDL
      {"CREATE TABLE t (a INT, a BIGINT) WITH ('connector' = 'datagen')",
       "A column named 'a' already exists in the table"},
      {"CREATE TABLE t (a INT, WATERMARK FOR b AS b) WITH ('connector' = 'datagen')",
       "The rowtime attribute field 'b' is not defined in the table schema"},
      {"CREATE TABLE t (a BIGINT, WATERMARK FOR a AS a) WITH ('connector' = 'datagen')",
       "Invalid data type of time field for watermark definition. The field must be of type "
       "TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the "
       "time field type is BIGINT"},
      {"CREATE TABLE bid (a INT) WITH ('connector' = 'datagen')",
       "Table or view 'default_catalog.default_database.bid' already exists"},
      {"DROP TABLE nothing",
       "Table with identifier 'default_catalog.default_database.nothing' does not exist."},
  };
  BOOST_TEST(cases.size() >= 30u);
  for (const wrong& w : cases) {
    BOOST_TEST_CONTEXT(w.sql) {
      sql_session s = nexmark_session();
      run_script(s, R"(
CREATE TABLE plain (id BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'datagen');
CREATE TABLE sink (auction BIGINT, cnt BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE append_sink (auction BIGINT, cnt BIGINT)
  WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json');
CREATE TABLE file_sink (auction BIGINT, rn BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv');
CREATE TABLE no_connector (a INT);
)");
      BOOST_TEST(message_of(s, w.sql) == w.message);
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_are_positioned_with_a_caret) {
  sql_session s = nexmark_session();
  const std::string sql = "SELECT auction,\n       biddr\nFROM bid";
  try {
    s.execute_sql(sql);
    BOOST_FAIL("no error");
  } catch (const sql_error& e) {
    BOOST_TEST(e.line() == 2u);
    BOOST_TEST(e.column() == 8u);
    BOOST_TEST(std::string(e.what()) ==
               "SQL validation error at line 2, column 8: Column 'biddr' not found in any table; "
               "did you mean 'bidder'?\n       biddr\n       ^");
  }
}

// A sink's plan node carries its table's PRIMARY KEY as column indexes in the key's order;
// an upsert-kafka table without one is refused with Flink's message.
BOOST_AUTO_TEST_CASE(sinks_carry_the_primary_key_and_upsert_kafka_needs_one) {
  sql_session s = ticker_session();
  run_script(s, R"(
CREATE TABLE top (a STRING, b BIGINT, c BIGINT, PRIMARY KEY (c, a) NOT ENFORCED)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'top');
CREATE TABLE nokey (a STRING, b BIGINT)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'nokey');
)");
  sql_result r = run_last(
      s, "INSERT INTO top SELECT ticker, COUNT(*), CAST(1 AS BIGINT) FROM stock GROUP BY ticker");
  BOOST_TEST((root(r).primary_key == std::vector<int>{2, 0}));
  r = run_last(s, "INSERT INTO updates SELECT user_id, CAST(1 AS BIGINT) FROM clicks");
  BOOST_TEST(root(r).primary_key.empty());
  const std::string msg =
      message_of(s, "INSERT INTO nokey SELECT ticker, COUNT(*) FROM stock GROUP BY ticker");
  BOOST_TEST(msg.find("Unable to create a sink for writing table "
                      "'default_catalog.default_database.nokey': 'upsert-kafka' tables require "
                      "to define a PRIMARY KEY constraint. The PRIMARY KEY specifies which "
                      "columns should be read from or write to the Kafka message key. The "
                      "PRIMARY KEY also defines records in the 'upsert-kafka' table should "
                      "update or delete on which keys.") != std::string::npos,
             msg);
}
