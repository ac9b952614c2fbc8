#define BOOST_TEST_MODULE sql_parser
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "spate/sql/ast.hpp"
#include "spate/sql/lexer.hpp"
#include "spate/sql/parser.hpp"
#include "spate/sql/print.hpp"
#include "support/seed.hpp"

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

//! Prints `s`, parses the text again and checks the trees are equal and the text a fixpoint.
void check_round_trip(const statement& s) {
  const std::string printed = to_sql(s);
  statement again;
  try {
    again = parse_statement(printed);
  } catch (const sql_error& e) {
    BOOST_FAIL("the printed statement does not parse:\n" << printed << "\n" << e.what());
  }
  BOOST_TEST((again == s), "parse(print(tree)) differs from the tree; printed:\n"
                               << printed << "\nprinted again:\n"
                               << to_sql(again));
  BOOST_TEST(to_sql(again) == printed);
}

statement parse_checked(const std::string& sql) {
  try {
    return parse_statement(sql);
  } catch (const sql_error& e) {
    BOOST_FAIL("does not parse:\n" << sql << "\n" << e.what());
  }
  return {};
}

void check_parses_and_round_trips(const std::string& sql) {
  BOOST_TEST_CONTEXT(sql) { check_round_trip(parse_checked(sql)); }
}

// A Lisp-like form of an expression tree, to check precedence and associativity.
std::string tree(const expr& e);

std::string tree_list(const std::vector<box<expr>>& list, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < list.size(); ++i)
    out += " " + tree(*list[i]);
  return out;
}

std::string tree(const expr& e) {
  switch (e.kind) {
    case expr_kind::identifier: {
      std::string out;
      for (std::size_t i = 0; i < e.names.size(); ++i)
        out += (i ? "." : "") + e.names[i];
      return out;
    }
    case expr_kind::literal:
      return e.lit == literal_kind::string ? "'" + e.text + "'"
             : e.lit == literal_kind::interval
                 ? "(INTERVAL '" + e.text + "' " + e.unit + ")"
                 : (e.lit == literal_kind::null ? std::string("NULL") : e.text);
    case expr_kind::unary:
      return std::string("(") +
             (e.oper == op::not_  ? "NOT"
              : e.oper == op::neg ? "-"
                                  : "+") +
             " " + tree(*e.args[0]) + ")";
    case expr_kind::binary:
      return "(" +
             std::string(e.oper == op::or_                ? "OR"
                         : e.oper == op::and_             ? "AND"
                         : e.oper == op::eq               ? "="
                         : e.oper == op::ne               ? "<>"
                         : e.oper == op::lt               ? "<"
                         : e.oper == op::gt               ? ">"
                         : e.oper == op::add              ? "+"
                         : e.oper == op::sub              ? "-"
                         : e.oper == op::mul              ? "*"
                         : e.oper == op::div              ? "/"
                         : e.oper == op::concat           ? "||"
                         : e.oper == op::is_distinct_from ? "DISTINCT"
                                                          : "op") +
             " " + tree(*e.args[0]) + " " + tree(*e.args[1]) + ")";
    case expr_kind::is_test:
      return std::string("(") + (e.oper == op::is_null ? "IS-NULL" : "IS-NOT-NULL") + " " +
             tree(*e.args[0]) + ")";
    case expr_kind::between:
      return std::string(e.negated ? "(NOT-BETWEEN" : "(BETWEEN") + tree_list(e.args) + ")";
    case expr_kind::in_list:
      return std::string(e.negated ? "(NOT-IN" : "(IN") + tree_list(e.args) + ")";
    case expr_kind::like:
      return std::string(e.negated ? "(NOT-LIKE" : "(LIKE") + tree_list(e.args) + ")";
    case expr_kind::function:
      return e.names.back() + "(" + tree_list(e.args) + ")";
    case expr_kind::subscript:
      return "(ITEM" + tree_list(e.args) + ")";
    case expr_kind::field:
      return "(FIELD " + tree(*e.args[0]) + " " + e.names[0] + ")";
    default:
      return to_sql(e);
  }
}

std::string tree_of(const std::string& sql) { return tree(parse_expression(sql)); }

} // namespace

// ---------------------------------------------------------------------------------------------
// Tokens

BOOST_AUTO_TEST_CASE(tokens_carry_kinds_and_positions) {
  const auto tokens = tokenize("SELECT `a``b`, 'it''s', 1.5e3\n  -- comment\n  /* c */ x <> 2.");
  BOOST_REQUIRE_EQUAL(tokens.size(), 10u);
  BOOST_TEST((tokens[0].kind == token_kind::word));
  BOOST_TEST(tokens[0].upper == "SELECT");
  BOOST_TEST((tokens[1].kind == token_kind::quoted_identifier));
  BOOST_TEST(tokens[1].text == "a`b");
  BOOST_TEST(tokens[1].pos.column == 8u);
  BOOST_TEST((tokens[3].kind == token_kind::string));
  BOOST_TEST(tokens[3].text == "it's");
  BOOST_TEST((tokens[5].kind == token_kind::approx));
  BOOST_TEST(tokens[5].text == "1.5e3");
  BOOST_TEST(tokens[6].text == "x");
  BOOST_TEST(tokens[6].pos.line == 3u);
  BOOST_TEST(tokens[6].pos.column == 11u);
  BOOST_TEST(tokens[6].pos.offset == 53u);
  BOOST_TEST(tokens[7].text == "<>");
  BOOST_TEST((tokens[8].kind == token_kind::decimal));
  BOOST_TEST(tokens[8].text == "2.");
  BOOST_TEST((tokens[9].kind == token_kind::end));
}

BOOST_AUTO_TEST_CASE(keywords_are_case_insensitive_and_identifiers_keep_their_case) {
  const statement s = parse_statement("select MyCol from MyTable where myCol IS not null");
  const query& q = *std::get<query_statement>(s.body).body;
  BOOST_TEST(q.items[0].value->names[0] == "MyCol");
  BOOST_TEST(q.from->name[0] == "MyTable");
  BOOST_TEST((q.where->oper == op::is_not_null));
}

// ---------------------------------------------------------------------------------------------
// The nexmark project's Flink SQL

BOOST_AUTO_TEST_CASE(nexmark_ddl_and_queries_parse_and_round_trip) {
  const std::string dir = source_dir() + "/test/sql/nexmark/";
  std::vector<std::string> files = {"ddl.sql", "ddl_gen.sql", "ddl_kafka.sql", "ddl_views.sql"};
  for (int n = 0; n <= 22; ++n)
    files.push_back("q" + std::to_string(n) + ".sql");
  for (const std::string& file : files) {
    BOOST_TEST_CONTEXT(file) {
      const std::string sql = replace_all(read_file(dir + file), "${NEXMARK_TABLE}", "datagen");
      std::vector<statement> statements;
      try {
        statements = parse_script(sql);
      } catch (const sql_error& e) {
        BOOST_FAIL(file << ": " << e.what());
      }
      BOOST_TEST(!statements.empty());
      for (const statement& s : statements)
        check_round_trip(s);
      if (file[0] == 'q') {
        // Every query file ends with its INSERT INTO.
        BOOST_TEST(std::holds_alternative<insert_into>(statements.back().body));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(nexmark_source_table_in_detail) {
  const std::string sql = read_file(source_dir() + "/test/sql/nexmark/ddl_gen.sql");
  const statement s = parse_statement(sql);
  const auto& t = std::get<create_table>(s.body);
  BOOST_TEST(t.name == qualified_name{"datagen"});
  BOOST_REQUIRE_EQUAL(t.columns.size(), 5u);
  BOOST_TEST((t.columns[0].type->kind == type_kind::int_));
  const data_type& person = *t.columns[1].type;
  BOOST_TEST((person.kind == type_kind::row));
  BOOST_REQUIRE_EQUAL(person.fields.size(), 8u);
  BOOST_TEST(person.fields[6].name == "dateTime");
  BOOST_TEST((person.fields[6].type.kind == type_kind::timestamp));
  BOOST_TEST(*person.fields[6].type.precision == 3);
  BOOST_TEST(!t.columns[4].type.has_value());
  BOOST_TEST((t.columns[4].computed->kind == expr_kind::case_));
  BOOST_REQUIRE(t.watermark.has_value());
  BOOST_TEST(t.watermark->column == "dateTime");
  BOOST_TEST(to_sql(*t.watermark->strategy) == "dateTime - INTERVAL '4' SECOND");
  BOOST_REQUIRE_EQUAL(t.options.size(), 7u);
  BOOST_TEST(t.options[0].key == "connector");
  BOOST_TEST(t.options[0].value == "nexmark");
  BOOST_TEST(t.options[1].value == "${TPS}");
  BOOST_TEST(t.options[1].pos.line == 38u);
}

// ---------------------------------------------------------------------------------------------
// Flink's documented forms

BOOST_AUTO_TEST_CASE(flink_documentation_examples_round_trip) {
  const char* const examples[] = {
      // window TVFs, positional and named
      "SELECT window_start, window_end, SUM(price) FROM TABLE(TUMBLE(TABLE Bid, "
      "DESCRIPTOR(bidtime), INTERVAL '10' MINUTES)) GROUP BY window_start, window_end",
      "SELECT * FROM TABLE(TUMBLE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), SIZE => "
      "INTERVAL '10' MINUTES))",
      "SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES, "
      "INTERVAL '1' MINUTES))",
      "SELECT * FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL "
      "'10' MINUTES))",
      "SELECT * FROM TABLE(HOP(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), SLIDE => "
      "INTERVAL '5' MINUTES, SIZE => INTERVAL '10' MINUTES))",
      "SELECT window_start, window_end, SUM(price) FROM TABLE(CUMULATE(TABLE Bid, "
      "DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES)) GROUP BY "
      "window_start, window_end",
      "SELECT window_start, window_end, item, SUM(price) AS total_price FROM TABLE(SESSION(TABLE "
      "Bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES)) GROUP BY item, "
      "window_start, window_end",
      "SELECT * FROM TABLE(SESSION(DATA => TABLE Bid PARTITION BY (item, supplier), TIMECOL => "
      "DESCRIPTOR(bidtime), GAP => INTERVAL '5' MINUTES))",
      // grouped window functions
      "SELECT user, TUMBLE_START(order_time, INTERVAL '1' DAY) AS wStart, SUM(amount) FROM "
      "Orders GROUP BY TUMBLE(order_time, INTERVAL '1' DAY), user",
      "SELECT user, HOP_END(rowtime, INTERVAL '1' HOUR, INTERVAL '1' DAY) AS hEnd, SUM(amount) "
      "FROM Orders GROUP BY HOP(rowtime, INTERVAL '1' HOUR, INTERVAL '1' DAY), user",
      "SELECT user, SESSION_START(rowtime, INTERVAL '12' HOUR) AS sStart, SESSION_ROWTIME(rowtime, "
      "INTERVAL '12' HOUR) AS sEnd, SUM(amount) FROM Orders GROUP BY SESSION(rowtime, INTERVAL "
      "'12' HOUR), user",
      // Top-N, deduplication, window Top-N
      "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY category ORDER BY sales DESC) AS "
      "row_num FROM ShopSales) WHERE row_num <= 5",
      "SELECT order_id, user, product, num FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
      "order_id ORDER BY proctime ASC) AS row_num FROM Orders) WHERE row_num = 1",
      "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER "
      "BY price DESC) as rownum FROM (SELECT window_start, window_end, supplier_id, SUM(price) "
      "as price, COUNT(*) as cnt FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' "
      "MINUTES)) GROUP BY window_start, window_end, supplier_id)) WHERE rownum <= 3",
      // joins
      "SELECT * FROM Orders o, Shipments s WHERE o.id = s.order_id AND o.order_time BETWEEN "
      "s.ship_time - INTERVAL '4' HOUR AND s.ship_time",
      "SELECT * FROM Orders INNER JOIN Product ON Orders.productId = Product.id",
      "SELECT * FROM Orders LEFT JOIN Product ON Orders.product_id = Product.id",
      "SELECT * FROM Orders RIGHT OUTER JOIN Product ON Orders.product_id = Product.id",
      "SELECT * FROM Orders FULL OUTER JOIN Product USING (product_id)",
      "SELECT order_id, price, orders.currency, conversion_rate, order_time FROM orders LEFT "
      "JOIN currency_rates FOR SYSTEM_TIME AS OF orders.order_time ON orders.currency = "
      "currency_rates.currency",
      "SELECT o.order_id, o.total, c.country, c.zip FROM Orders AS o JOIN Customers FOR "
      "SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id = c.id",
      "SELECT order_id, tag FROM Orders CROSS JOIN UNNEST(tags) AS t (tag)",
      "SELECT myField, word, length FROM MyTable, LATERAL TABLE(SplitFunction(myField))",
      "SELECT myField, word, length FROM MyTable LEFT JOIN LATERAL TABLE(SplitFunction(myField)) "
      "ON TRUE",
      "SELECT myField, newWord, newLength FROM MyTable LEFT JOIN LATERAL "
      "TABLE(SplitFunction(myField)) AS T(newWord, newLength) ON TRUE",
      "SELECT L.num as L_Num, L.id as L_Id, R.num as R_Num, R.id as R_Id, "
      "COALESCE(L.window_start, R.window_start) as window_start, COALESCE(L.window_end, "
      "R.window_end) as window_end FROM (SELECT * FROM TABLE(TUMBLE(TABLE LeftTable, "
      "DESCRIPTOR(row_time), INTERVAL '5' MINUTES))) L FULL JOIN (SELECT * FROM "
      "TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))) R ON L.num "
      "= R.num AND L.window_start = R.window_start AND L.window_end = R.window_end",
      "SELECT * FROM (a JOIN b ON a.x = b.x) JOIN (c JOIN d ON c.y = d.y) ON a.z = c.z",
      "SELECT * FROM a, b JOIN c ON b.x = c.x, d",
      // OVER aggregations
      "SELECT order_id, order_time, amount, SUM(amount) OVER (PARTITION BY product ORDER BY "
      "order_time RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) AS "
      "one_hour_prod_amount_sum FROM Orders",
      "SELECT SUM(amount) OVER (PARTITION BY product ORDER BY order_time ROWS BETWEEN 5 "
      "PRECEDING AND CURRENT ROW) FROM Orders",
      "SELECT COUNT(*) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING) FROM t",
      // WITH, set operations, subqueries, ORDER BY and LIMIT, VALUES
      "WITH orders_with_total AS (SELECT order_id, price + tax AS total FROM Orders) SELECT "
      "order_id, SUM(total) FROM orders_with_total GROUP BY order_id",
      "WITH a (x, y) AS (SELECT 1, 2), b AS (SELECT * FROM a) SELECT * FROM b",
      "(SELECT s FROM t1) UNION (SELECT s FROM t2)",
      "(SELECT s FROM t1) UNION ALL (SELECT s FROM t2)",
      "(SELECT s FROM t1) INTERSECT (SELECT s FROM t2)",
      "(SELECT s FROM t1) EXCEPT (SELECT s FROM t2)",
      "SELECT a FROM t UNION ALL SELECT b FROM u INTERSECT SELECT c FROM v",
      "SELECT a FROM t EXCEPT (SELECT b FROM u UNION SELECT c FROM v)",
      "(SELECT a FROM t ORDER BY a LIMIT 1) UNION ALL SELECT b FROM u",
      "SELECT user, amount FROM Orders WHERE product IN (SELECT product FROM NewProducts)",
      "SELECT user, amount FROM Orders WHERE product NOT IN ('a', 'b') AND EXISTS (SELECT 1 FROM "
      "x WHERE x.id = Orders.id)",
      "SELECT (SELECT MAX(price) FROM bid) AS top FROM t",
      "SELECT * FROM Orders ORDER BY order_time DESC NULLS LAST, order_id LIMIT 3",
      "SELECT * FROM Orders LIMIT 10 OFFSET 20",
      "SELECT order_id, price FROM (VALUES (1, 2.0), (2, 3.1)) AS t (order_id, price)",
      "VALUES (1, 'a'), (2, 'b')",
      "SELECT DISTINCT id FROM Orders",
      "SELECT a, COUNT(*) AS c FROM t GROUP BY a HAVING COUNT(*) > 1",
      "SELECT 1",
      // expressions
      "SELECT CAST(a AS DECIMAL(10, 2)), TRY_CAST(b AS INT), EXTRACT(HOUR FROM ts), FLOOR(ts TO "
      "HOUR), CEIL(ts TO DAY), TIMESTAMP '2020-04-15 08:05:00.000', DATE '2020-01-01', TIME "
      "'12:00:00', INTERVAL '1 10' DAY TO HOUR, a['key'], b[1], c.d.e, x IS NOT TRUE, y NOT LIKE "
      "'a!%' ESCAPE '!', CURRENT_TIMESTAMP, LOCALTIMESTAMP, ARRAY[1, 2], MAP['a', 1], ROW(1, 'x'), "
      "X'0aff', 1.5E-3, .5, TRUE, NULL FROM t",
      "SELECT TIMESTAMPDIFF(SECOND, a, b), TIMESTAMPADD(HOUR, 2, ts), POSITION('a' IN s), "
      "SUBSTRING(s FROM 2 FOR 3), LEFT(s, 2), RIGHT(s, 2), MOD(a, 2), IF(a > 1, 'x', 'y'), "
      "COALESCE(a, b, 0), DATE_FORMAT(ts, 'yyyy-MM-dd'), CURRENT_WATERMARK(ts), PROCTIME() FROM t",
      "SELECT CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN a IS NULL THEN 0 ELSE a "
      "END FROM t",
      "SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b, a != b, a % b, -a, +a, NOT a, a "
      "BETWEEN 1 AND 2, a NOT BETWEEN 1 AND 2 FROM t",
      "SELECT COUNT(DISTINCT a) FILTER (WHERE b > 0), COUNT(*), SUM(ALL a), cat.db.f(x) FROM t",
      "SELECT f(x).field, (t.a).b, arr[1].c, CAST(r AS ROW<x INT, y STRING>).x FROM t",
      // statements
      "CREATE TABLE Orders (`user` BIGINT, product STRING, order_time TIMESTAMP(3), WATERMARK "
      "FOR order_time AS order_time - INTERVAL '5' SECOND) WITH ('connector' = 'kafka', 'topic' "
      "= 'orders', 'properties.bootstrap.servers' = 'localhost:9092', 'format' = 'json')",
      "CREATE TABLE MyTable (MyField1 INT, MyField2 STRING COMMENT 'the name', MyField3 BOOLEAN, "
      "MyField4 AS PROCTIME(), PRIMARY KEY (MyField1) NOT ENFORCED) COMMENT 'a table' WITH "
      "('connector' = 'print')",
      "CREATE TABLE t (id BIGINT PRIMARY KEY NOT ENFORCED, v STRING) WITH ('connector' = "
      "'upsert-kafka')",
      "CREATE TABLE t (id BIGINT, CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED)",
      "CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.types (a BOOLEAN, b TINYINT, c SMALLINT, d "
      "INTEGER, e BIGINT, f FLOAT, g DOUBLE, h DECIMAL(10, 2), i CHAR(3), j VARCHAR(20), k "
      "STRING, l BYTES, m VARBINARY(10), n DATE, o TIME, p TIMESTAMP(3), q TIMESTAMP_LTZ(3), r "
      "TIMESTAMP(3) WITH LOCAL TIME ZONE, s ROW<x INT, y STRING 'desc'>, t ROW(x INT, y "
      "ARRAY<STRING>), u ARRAY<INT NOT NULL>, v MAP<STRING, BIGINT>, w INT NOT NULL, x "
      "MULTISET<STRING>, y DOUBLE PRECISION, z DECIMAL, aa BINARY(4), ab "
      "ROW<`select` ARRAY<ARRAY<INT>>>) WITH ('connector' = 'datagen', 'rows-per-second' = '5', "
      "'fields.a.kind' = 'random')",
      "CREATE TABLE sink PARTITIONED BY (dt) WITH ('connector' = 'filesystem')",
      "CREATE VIEW v AS SELECT a FROM t",
      "CREATE TEMPORARY VIEW IF NOT EXISTS v (x, y) COMMENT 'c' AS SELECT a, b FROM t",
      "CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar'",
      "CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS f AS 'x.F' LANGUAGE PYTHON",
      "DROP TABLE t",
      "DROP TABLE IF EXISTS cat.db.t",
      "DROP TEMPORARY VIEW v",
      "DROP TEMPORARY SYSTEM FUNCTION f",
      "SHOW TABLES",
      "SHOW VIEWS",
      "SHOW USER FUNCTIONS",
      "SHOW CURRENT DATABASE",
      "SHOW CREATE TABLE t",
      "DESCRIBE Orders",
      "DESC Orders",
      "EXPLAIN PLAN FOR SELECT * FROM t",
      "EXPLAIN CHANGELOG_MODE, ESTIMATED_COST SELECT * FROM t",
      "EXPLAIN INSERT INTO s SELECT * FROM t",
      "EXPLAIN STATEMENT SET BEGIN INSERT INTO s SELECT * FROM t; END",
      "SET 'execution.runtime-mode' = 'streaming'",
      "SET 'table.exec.state.ttl' = '1 h'",
      "SET",
      "RESET",
      "RESET 'table.exec.state.ttl'",
      "USE db",
      "USE CATALOG my_catalog",
      "INSERT INTO t SELECT * FROM s",
      "INSERT INTO t (a, b) SELECT x, y FROM s",
      "INSERT INTO t (a, b) (SELECT x, y FROM s)",
      "INSERT OVERWRITE t VALUES (1, 'a')",
      "EXECUTE INSERT INTO t SELECT * FROM s",
      "EXECUTE STATEMENT SET BEGIN INSERT INTO pageviews SELECT page_id, view_time FROM "
      "pageviews_raw; INSERT INTO uniqueviews SELECT page_id, COUNT(DISTINCT user_id) FROM "
      "pageviews_raw GROUP BY page_id; END",
      "execute statement set begin insert into a select 1; insert into b select 2 end;",
  };
  for (const char* sql : examples)
    check_parses_and_round_trips(sql);
}

BOOST_AUTO_TEST_CASE(window_tvf_arguments_in_detail) {
  const query q = parse_query(
      "SELECT * FROM TABLE(HOP(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), SLIDE => "
      "INTERVAL '5' MINUTES, SIZE => INTERVAL '10' MINUTE)) AS w");
  const table_ref& t = *q.from;
  BOOST_TEST((t.kind == table_ref_kind::function));
  BOOST_TEST(t.function == qualified_name{"HOP"});
  BOOST_TEST(t.alias == "w");
  BOOST_REQUIRE_EQUAL(t.args.size(), 4u);
  BOOST_TEST(t.args[0].name == "DATA");
  BOOST_TEST((t.args[0].type == table_arg::kind::table));
  BOOST_TEST(t.args[0].table == qualified_name{"Bid"});
  BOOST_TEST((t.args[1].type == table_arg::kind::descriptor));
  BOOST_TEST(t.args[1].columns == std::vector<std::string>{"bidtime"});
  BOOST_TEST(t.args[2].name == "SLIDE");
  BOOST_TEST((t.args[2].value->lit == literal_kind::interval));
  BOOST_TEST(t.args[2].value->text == "5");
  BOOST_TEST(t.args[2].value->unit == "MINUTE"); // plural folded
  BOOST_TEST(t.args[3].value->unit == "MINUTE");
  const query s = parse_query("SELECT * FROM TABLE(SESSION(TABLE Bid PARTITION BY item, "
                              "DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))");
  BOOST_TEST(s.from->args[0].partition_by == std::vector<std::string>{"item"});
}

BOOST_AUTO_TEST_CASE(statement_sets_in_scripts) {
  const auto statements = parse_script("SET 'a' = 'b';\n"
                                       "BEGIN STATEMENT SET;\n"
                                       "INSERT INTO s1 SELECT * FROM t;\n"
                                       "INSERT INTO s2 SELECT * FROM t;\n"
                                       "END;\n"
                                       "SELECT 1;;\n"
                                       "SHOW TABLES");
  BOOST_REQUIRE_EQUAL(statements.size(), 4u);
  BOOST_TEST(std::holds_alternative<set_option>(statements[0].body));
  const auto& set = std::get<statement_set>(statements[1].body);
  BOOST_REQUIRE_EQUAL(set.inserts.size(), 2u);
  BOOST_TEST(set.inserts[1].table == qualified_name{"s2"});
  BOOST_TEST(statements[1].pos.line == 2u);
  BOOST_TEST(std::holds_alternative<query_statement>(statements[2].body));
  BOOST_TEST(std::holds_alternative<show_object>(statements[3].body));
  // The same set written as EXECUTE STATEMENT SET is the same tree.
  const statement execute = parse_statement("EXECUTE STATEMENT SET BEGIN INSERT INTO s1 SELECT * "
                                            "FROM t; INSERT INTO s2 SELECT * FROM t; END");
  BOOST_TEST((execute == statements[1]));
  for (const statement& s : statements)
    check_round_trip(s);
}

BOOST_AUTO_TEST_CASE(canonical_printing) {
  BOOST_TEST(to_sql(parse_statement("select a as `Select`, `x``y` from t where a!=1")) ==
             "SELECT a AS `Select`, `x``y` FROM t WHERE a <> 1");
  BOOST_TEST(to_sql(parse_data_type("timestamp(3) with local time zone not null")) ==
             "TIMESTAMP_LTZ(3) NOT NULL");
  BOOST_TEST(to_sql(parse_data_type("row(a integer, b map<string, array<int>>)")) ==
             "ROW<a INT, b MAP<STRING, ARRAY<INT>>>");
  BOOST_TEST(to_sql(parse_expression("(a + b) * c - (d - e)")) == "(a + b) * c - (d - e)");
  BOOST_TEST(to_sql(parse_expression("a - (b - c)")) == "a - (b - c)");
  BOOST_TEST(to_sql(parse_expression("(a - b) - c")) == "a - b - c");
  BOOST_TEST(to_sql(parse_expression("- (-a)")) == "- -a");
  BOOST_TEST(to_sql(parse_expression("NOT (a AND b)")) == "NOT (a AND b)");
  BOOST_TEST(to_sql(parse_expression("(a = b) IS NULL")) == "a = b IS NULL");
  BOOST_TEST(to_sql(parse_expression("'it''s'")) == "'it''s'");
  BOOST_TEST(to_sql(parse_statement("CREATE TABLE t (a INT) WITH ('connector' = 'print')")) ==
             "CREATE TABLE t (\n  a INT\n) WITH (\n  'connector' = 'print'\n)");
}

// ---------------------------------------------------------------------------------------------
// Precedence and associativity

BOOST_AUTO_TEST_CASE(operator_precedence) {
  BOOST_TEST(tree_of("a OR b AND c") == "(OR a (AND b c))");
  BOOST_TEST(tree_of("a AND b OR c") == "(OR (AND a b) c)");
  BOOST_TEST(tree_of("NOT a = b") == "(NOT (= a b))");
  BOOST_TEST(tree_of("NOT a AND b") == "(AND (NOT a) b)");
  BOOST_TEST(tree_of("-x * y") == "(* (- x) y)");
  BOOST_TEST(tree_of("a || b = c") == "(= (|| a b) c)");
  BOOST_TEST(tree_of("a + b * c - d") == "(- (+ a (* b c)) d)");
  BOOST_TEST(tree_of("a - b - c") == "(- (- a b) c)");
  BOOST_TEST(tree_of("a / b * c") == "(* (/ a b) c)");
  BOOST_TEST(tree_of("a = 1 AND b IS NOT NULL OR NOT c") ==
             "(OR (AND (= a 1) (IS-NOT-NULL b)) (NOT c))");
  BOOST_TEST(tree_of("a = b IS NULL") == "(IS-NULL (= a b))");
  BOOST_TEST(tree_of("NOT a IS NULL") == "(NOT (IS-NULL a))");
  BOOST_TEST(tree_of("a BETWEEN 1 AND 2 AND b") == "(AND (BETWEEN a 1 2) b)");
  BOOST_TEST(tree_of("a NOT BETWEEN b - 1 AND b + 1") == "(NOT-BETWEEN a (- b 1) (+ b 1))");
  BOOST_TEST(tree_of("a = b BETWEEN c AND d") == "(= a (BETWEEN b c d))");
  BOOST_TEST(tree_of("a NOT IN (1, 2) OR a LIKE 'x%'") == "(OR (NOT-IN a 1 2) (LIKE a 'x%'))");
  BOOST_TEST(tree_of("a + 1 IN (2)") == "(IN (+ a 1) 2)");
  BOOST_TEST(tree_of("a < b = c") == "(= (< a b) c)");
  BOOST_TEST(tree_of("a IS DISTINCT FROM b + 1") == "(DISTINCT a (+ b 1))");
  BOOST_TEST(tree_of("ts - INTERVAL '4' SECOND") == "(- ts (INTERVAL '4' SECOND))");
  BOOST_TEST(tree_of("-a.b[1].c") == "(- (FIELD (ITEM a.b 1) c))");
  BOOST_TEST(tree_of("f(a, b + c) * 2") == "(* f( a (+ b c)) 2)");
}

// ---------------------------------------------------------------------------------------------
// Errors

namespace {

struct bad_statement {
  const char* sql;
  std::uint32_t line;
  std::uint32_t column;
  const char* message;
};

const bad_statement bad_statements[] = {
    {"SELECT FROM t", 1, 8, "expected an expression but found 'FROM'"},
    {"SELECT a FROM t WHERE (a = 1", 1, 29, "expected ')' but found end of input"},
    {"SELECT a, b FROM t WHERE a = 'abc", 1, 30,
     "unterminated string literal: ' without its closing '"},
    {"SELECT a FROM t garbage more", 1, 25, "expected ';' or end of input but found 'more'"},
    {"CREATE TABLE t (a INTEGR)", 1, 19, "unknown data type 'INTEGR'"},
    {"SELEC a FROM t", 1, 1, "expected a statement but found 'SELEC'"},
    {"SELECT a FROM t GROUP a", 1, 23, "expected 'BY' but found 'a'"},
    {"SELECT a,\n  b\nFROM t\nWHERE a = = 1", 4, 11, "expected an expression but found '='"},
    {"SELECT * FROM t /* open", 1, 17, "unterminated comment: '/*' without '*/'"},
    {"SELECT `a FROM t", 1, 8, "unterminated quoted identifier: '`' without its closing '`'"},
    {"SELECT \"a\" FROM t", 1, 8,
     "unexpected character '\"': Flink SQL quotes identifiers with backquotes (`name`) and "
     "strings with single quotes ('text')"},
    {"SELECT a # b FROM t", 1, 10, "unexpected character '#'"},
    {"SELECT a FROM t GROUP BY ROLLUP(a, b)", 1, 26, "not supported yet: ROLLUP"},
    {"SELECT a FROM t GROUP BY GROUPING SETS ((a), (b))", 1, 26,
     "not supported yet: GROUPING SETS"},
    {"SELECT a FROM t GROUP BY CUBE (a)", 1, 26, "not supported yet: CUBE"},
    {"CREATE TABLE t (a INT, m STRING METADATA FROM 'k')", 1, 33,
     "not supported yet: METADATA columns"},
    {"CREATE TABLE t (a INT, PRIMARY KEY (a)) WITH ('connector' = 'x')", 1, 39,
     "expected 'NOT ENFORCED' but found ')'"},
    {"CREATE TABLE t (a INT, PRIMARY KEY (a) ENFORCED)", 1, 40,
     "PRIMARY KEY must be NOT ENFORCED: like Flink, spate does not own the data to check it"},
    {"CREATE TABLE t (a INT) WITH ('connector' = kafka)", 1, 44,
     "expected the option's value as a string ('kafka') but found 'kafka'"},
    {"SET execution.runtime-mode = streaming", 1, 5,
     "expected a quoted option key ('key' = 'value') but found 'execution'"},
    {"SELECT CAST(a AS INTEGR) FROM t", 1, 18, "unknown data type 'INTEGR'"},
    {"SELECT a FROM t WHERE a BETWEEN 1", 1, 34, "expected 'AND' but found end of input"},
    {"SELECT CASE WHEN a THEN 1 FROM t", 1, 27, "expected 'END' but found 'FROM'"},
    {"SELECT a FROM t JOIN u", 1, 23, "expected 'ON' or 'USING' but found end of input"},
    {"SELECT a FROM t NATURAL JOIN u", 1, 17, "not supported yet: NATURAL JOIN"},
    {"SELECT x FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECONDZ))", 1, 67,
     "expected an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND) but found "
     "'SECONDZ'"},
    {"SELECT EXTRACT(FORTNIGHT FROM ts) FROM t", 1, 16,
     "expected a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...) but found "
     "'FORTNIGHT'"},
    {"INSERT INTO t", 1, 14,
     "expected a query (SELECT, WITH, VALUES or '(') but found end of input"},
    {"EXECUTE STATEMENT SET BEGIN SELECT 1; END", 1, 29,
     "a statement set holds only INSERT statements, but found 'SELECT'"},
    {"SELECT a FROM t MATCH_RECOGNIZE (PARTITION BY a)", 1, 17,
     "not supported yet: MATCH_RECOGNIZE"},
    {"SELECT a FROM t WINDOW w AS (PARTITION BY a)", 1, 17, "not supported yet: the WINDOW clause"},
    {"SELECT 1.5e FROM t", 1, 11, "unexpected character 'e' in a number"},
    {"SELECT a FROM t; SELECT b FROM u", 1, 18, "expected ';' or end of input but found 'SELECT'"},
    {"CREATE TABLE t (a TIMESTAMP(3), WATERMARK FOR a AS a, WATERMARK FOR a AS a)", 1, 55,
     "a table has at most one WATERMARK"},
    {"SELECT a FROM t WHERE a IS 5", 1, 28,
     "expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT after IS but found '5'"},
    {"SELECT COUNT(*) OVER w FROM t", 1, 17, "not supported yet: named windows (OVER name)"},
    {"CREATE TABLE t (a TIMESTAMP(3) WITH TIME ZONE)", 1, 32,
     "not supported yet: TIMESTAMP WITH TIME ZONE (use TIMESTAMP_LTZ)"},
    {"DROP DATABASE db", 1, 6, "not supported yet: DROP DATABASE"},
    {"SELECT a FROM t ORDER BY a DESC NULLS", 1, 38, "expected 'LAST' but found end of input"},
    {"CREATE TABLE t (a INT) LIKE base", 1, 24, "not supported yet: CREATE TABLE ... LIKE"},
    {"CREATE TABLE t AS SELECT 1", 1, 16, "not supported yet: CREATE TABLE ... AS SELECT"},
    {"ALTER TABLE t RENAME TO u", 1, 1, "not supported yet: ALTER"},
    {"SELECT a FROM t WHERE a SIMILAR TO 'x'", 1, 25, "not supported yet: SIMILAR TO"},
    {"SELECT CAST(a AS VARCHAR(n)) FROM t", 1, 26, "expected a precision but found 'n'"},
    {"SELECT CAST(a AS DECIMAL(10 2)) FROM t", 1, 29, "expected ')' but found '2'"},
    {"SELECT CAST(a AS ARRAY INT) FROM t", 1, 24, "expected '<' after ARRAY but found 'INT'"},
    {"SELECT * FROM t WHERE a = 'x' AND", 1, 34, "expected an expression but found end of input"},
    {"BEGIN STATEMENT SET; INSERT INTO t SELECT 1; END;", 1, 1,
     "BEGIN STATEMENT SET; ... END; is a script of several statements: parse it with "
     "parse_script, or write EXECUTE STATEMENT SET BEGIN ... END"},
    {"SELECT MAP['a'] FROM t", 1, 8, "MAP[...] needs an even number of values: key, value, ..."},
    {"SELECT a FROM t WHERE x IN ()", 1, 29, "expected an expression but found ')'"},
    {"SELECT a FROM t AS", 1, 19, "expected an alias but found end of input"},
    {"SELECT a AS FROM t", 1, 13, "expected an alias but found 'FROM'"},
};

} // namespace

BOOST_AUTO_TEST_CASE(wrong_statements_give_positioned_messages) {
  BOOST_TEST(std::size(bad_statements) >= 25u);
  for (const bad_statement& bad : bad_statements) {
    BOOST_TEST_CONTEXT(bad.sql) {
      try {
        parse_statement(bad.sql);
        BOOST_ERROR("no error");
      } catch (const sql_error& e) {
        BOOST_TEST(e.code() == errc::invalid_argument);
        BOOST_TEST(e.message() == bad.message);
        BOOST_TEST(e.line() == bad.line);
        BOOST_TEST(e.column() == bad.column);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_message_shows_the_line_and_a_caret) {
  try {
    parse_statement("SELECT a\nFROM t\nWHERE (a = 1 FROM");
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "SQL parse error at line 3, column 14: expected ')' but found 'FROM'\n"
               "WHERE (a = 1 FROM\n"
               "             ^");
  }
  try {
    parse_script("SET 'a' = 'b';\n\tSELECT  'é', FROM t;");
    BOOST_FAIL("no error");
  } catch (const sql_error& e) {
    // Columns count characters (é is one), and a tab stays a tab under the caret.
    BOOST_TEST(e.line() == 2u);
    BOOST_TEST(e.column() == 15u);
    BOOST_TEST(std::string(e.what()).substr(std::string(e.what()).find('\n') + 1) ==
               "\tSELECT  'é', FROM t;\n\t             ^");
  }
}

// ---------------------------------------------------------------------------------------------
// Randomized round trips

namespace {

class expr_generator {
public:
  explicit expr_generator(std::uint64_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool coin() { return pick(2) == 0; }

  std::string name() {
    static const char* const names[] = {"a",   "b",      "price", "Bid_2", "day", "select",
                                        "x y", "we`ird", "value", "key",   "ROW", "date"};
    return names[pick(std::size(names))];
  }

  expr leaf() {
    expr e;
    switch (pick(10)) {
      case 0:
      case 1:
      case 2:
        e.kind = expr_kind::identifier;
        e.names.push_back(name());
        if (coin())
          e.names.push_back(name());
        return e;
      case 3:
        e.lit = literal_kind::integer;
        e.text = std::to_string(pick(1000));
        return e;
      case 4:
        e.lit = pick(2) ? literal_kind::decimal : literal_kind::approx;
        e.text = e.lit == literal_kind::decimal ? "3.25" : "1.5E-3";
        return e;
      case 5:
        e.lit = literal_kind::string;
        e.text = coin() ? "it's" : "";
        return e;
      case 6: {
        static const char* const units[] = {"SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "YEAR"};
        e.lit = literal_kind::interval;
        e.text = std::to_string(pick(100));
        e.unit = units[pick(6)];
        if (e.unit == "DAY" && coin())
          e.unit_to = "SECOND";
        return e;
      }
      case 7: {
        static const literal_kind kinds[] = {literal_kind::date, literal_kind::time,
                                             literal_kind::timestamp, literal_kind::binary};
        e.lit = kinds[pick(4)];
        e.text = e.lit == literal_kind::binary ? "0AFF" : "2020-01-01";
        return e;
      }
      case 8:
        e.lit = coin() ? literal_kind::null : literal_kind::boolean;
        e.text = e.lit == literal_kind::null ? "" : (coin() ? "TRUE" : "FALSE");
        return e;
      default:
        e.kind = expr_kind::function;
        e.names.push_back("CURRENT_TIMESTAMP");
        e.no_parens = true;
        return e;
    }
  }

  data_type type(int depth) {
    static const type_kind kinds[] = {
        type_kind::boolean,   type_kind::tinyint, type_kind::int_,      type_kind::bigint,
        type_kind::double_,   type_kind::decimal, type_kind::varchar,   type_kind::string,
        type_kind::varbinary, type_kind::date,    type_kind::timestamp, type_kind::timestamp_ltz,
        type_kind::array,     type_kind::map,     type_kind::row};
    data_type t;
    t.kind = kinds[pick(depth > 0 ? 15 : 12)];
    t.not_null = pick(4) == 0;
    switch (t.kind) {
      case type_kind::decimal:
        if (coin()) {
          t.precision = 1 + pick(38);
          if (coin())
            t.scale = pick(*t.precision + 1);
        }
        break;
      case type_kind::varchar:
      case type_kind::varbinary:
      case type_kind::timestamp:
      case type_kind::timestamp_ltz:
        if (coin())
          t.precision = pick(10);
        break;
      case type_kind::array:
        t.elements.push_back(type(depth - 1));
        break;
      case type_kind::map:
        t.elements.push_back(type(depth - 1));
        t.elements.push_back(type(depth - 1));
        break;
      case type_kind::row:
        for (int i = pick(3); i >= 0; --i) {
          row_field f;
          f.name = name();
          f.type = type(depth - 1);
          if (pick(4) == 0)
            f.description = "it's";
          t.fields.push_back(std::move(f));
        }
        break;
      default:
        break;
    }
    return t;
  }

  expr make(expr_kind kind) {
    expr e;
    e.kind = kind;
    return e;
  }

  expr generate(int depth) {
    if (depth == 0 || pick(5) == 0)
      return leaf();
    const int d = depth - 1;
    switch (pick(16)) {
      case 0: {
        expr e = make(expr_kind::unary);
        static const op ops[] = {op::neg, op::pos, op::not_};
        e.oper = ops[pick(3)];
        e.args.emplace_back(generate(d));
        return e;
      }
      case 1:
      case 2:
      case 3: {
        static const op ops[] = {op::or_,
                                 op::and_,
                                 op::eq,
                                 op::ne,
                                 op::lt,
                                 op::le,
                                 op::gt,
                                 op::ge,
                                 op::add,
                                 op::sub,
                                 op::mul,
                                 op::div,
                                 op::mod,
                                 op::concat,
                                 op::is_distinct_from,
                                 op::is_not_distinct_from};
        expr e = make(expr_kind::binary);
        e.oper = ops[pick(std::size(ops))];
        e.args.emplace_back(generate(d));
        e.args.emplace_back(generate(d));
        return e;
      }
      case 4: {
        static const op ops[] = {op::is_null,     op::is_not_null,   op::is_true,
                                 op::is_not_true, op::is_false,      op::is_not_false,
                                 op::is_unknown,  op::is_not_unknown};
        expr e = make(expr_kind::is_test);
        e.oper = ops[pick(8)];
        e.args.emplace_back(generate(d));
        return e;
      }
      case 5: {
        expr e = make(expr_kind::between);
        e.negated = coin();
        for (int i = 0; i < 3; ++i)
          e.args.emplace_back(generate(d));
        return e;
      }
      case 6: {
        expr e = make(expr_kind::in_list);
        e.negated = coin();
        for (int i = pick(3) + 2; i > 0; --i)
          e.args.emplace_back(generate(d));
        return e;
      }
      case 7: {
        expr e = make(expr_kind::like);
        e.negated = coin();
        for (int i = coin() ? 2 : 3; i > 0; --i)
          e.args.emplace_back(generate(d));
        return e;
      }
      case 8: {
        expr e = make(expr_kind::case_);
        if (coin())
          e.operand = generate(d);
        for (int i = pick(2) + 1; i > 0; --i) {
          e.args.emplace_back(generate(d));
          e.args.emplace_back(generate(d));
        }
        if (coin())
          e.else_value = generate(d);
        return e;
      }
      case 9: {
        expr e = make(expr_kind::cast);
        e.try_cast = coin();
        e.args.emplace_back(generate(d));
        e.type = type(2);
        return e;
      }
      case 10: {
        static const char* const units[] = {"YEAR", "QUARTER", "MONTH",  "WEEK", "DAY",
                                            "HOUR", "MINUTE",  "SECOND", "DOW"};
        expr e = make(coin() ? expr_kind::extract : expr_kind::floor_ceil);
        e.ceil = e.kind == expr_kind::floor_ceil && coin();
        e.unit = units[pick(std::size(units))];
        e.args.emplace_back(generate(d));
        return e;
      }
      case 11:
      case 12:
        return function(d);
      case 13: {
        expr e = make(expr_kind::subscript);
        e.args.emplace_back(generate(d));
        e.args.emplace_back(generate(d));
        return e;
      }
      case 14: {
        expr e = make(expr_kind::field);
        e.names.push_back(name());
        e.args.emplace_back(generate(d));
        return e;
      }
      default: {
        static const char* const kinds[] = {"ARRAY", "MAP", "ROW"};
        expr e = make(expr_kind::constructor);
        e.names.push_back(kinds[pick(3)]);
        const int n = e.names[0] == "MAP" ? 2 * (pick(2) + 1) : pick(3) + 1;
        for (int i = 0; i < n; ++i)
          e.args.emplace_back(generate(d));
        return e;
      }
    }
  }

  expr function(int d) {
    static const char* const names[] = {"f", "COUNT", "MOD", "lower", "COALESCE", "SUM"};
    expr e = make(expr_kind::function);
    e.names.push_back(names[pick(std::size(names))]);
    if (pick(4) == 0) {
      e.star_arg = true;
    } else {
      e.distinct = pick(4) == 0;
      for (int i = e.distinct ? pick(2) + 1 : pick(3); i > 0; --i)
        e.args.emplace_back(generate(d));
    }
    if (pick(4) == 0)
      e.filter = generate(d);
    if (pick(4) == 0) {
      window_spec w;
      for (int i = pick(3); i > 0; --i)
        w.partition_by.emplace_back(generate(d));
      for (int i = pick(3); i > 0; --i) {
        order_item o;
        o.value = generate(d);
        o.descending = coin();
        if (coin())
          o.nulls_first = coin();
        w.order_by.push_back(std::move(o));
      }
      if (coin()) {
        window_frame f;
        f.rows = coin();
        f.start = bound(d);
        if (coin())
          f.end = bound(d);
        w.frame = std::move(f);
      }
      e.over = std::move(w);
    }
    return e;
  }

  frame_bound bound(int d) {
    frame_bound b;
    b.type = static_cast<frame_bound::kind>(pick(5));
    if (b.type == frame_bound::kind::preceding || b.type == frame_bound::kind::following)
      b.offset = generate(d);
    return b;
  }

private:
  std::mt19937_64 rng_;
};

} // namespace

BOOST_AUTO_TEST_CASE(random_expressions_round_trip) {
  const std::uint64_t seed = spate::test::test_seed("random_expressions_round_trip");
  expr_generator gen(seed);
  for (int i = 0; i < 3000; ++i) {
    const expr e = gen.generate(5);
    const std::string printed = to_sql(e);
    expr again;
    try {
      again = parse_expression(printed);
    } catch (const sql_error& err) {
      BOOST_FAIL("seed " << seed << ", case " << i << ": printed expression does not parse:\n"
                         << printed << "\n"
                         << err.what());
    }
    if (!(again == e)) {
      BOOST_FAIL("seed " << seed << ", case " << i << ": parse(print(e)) differs from e:\n"
                         << printed << "\nparsed and printed again:\n"
                         << to_sql(again));
    }
    BOOST_TEST(to_sql(again) == printed);
    // Inside a query too, where aliases and clause keywords follow expressions.
    const std::string sql = "SELECT " + printed + " AS r FROM t WHERE " + printed;
    BOOST_TEST_CONTEXT("seed " << seed << ", case " << i) { check_round_trip(parse_checked(sql)); }
  }
}
