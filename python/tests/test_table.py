"""Flink SQL and the Table API from Python, with Python scalar functions, on spate's SQL
engine in this process. Results are compared with the same computation in plain Python."""

from __future__ import annotations

import datetime
import decimal
import json
import os
import random
from collections import defaultdict

import pytest

from spate.common import JobFailedError, Row, RowKind
from spate.table import DataTypes, EnvironmentSettings, ScalarFunction, TableEnvironment, udf
from spate.table.expressions import col, lit
from spate.table.window import Slide, Tumble


def seeded_random() -> random.Random:
    seed = int(os.environ.get("SPATE_TEST_SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (SPATE_TEST_SEED={seed} repeats this run)")
    return random.Random(seed)


def t_env() -> TableEnvironment:
    return TableEnvironment.create(EnvironmentSettings.in_streaming_mode())


def ticks_table(t: TableEnvironment, path: str, rnd: random.Random, n: int = 400):
    """A JSON-lines file of stock ticks and its table with an event-time watermark."""
    ticks = []
    ts = 1_600_000_000_000
    with open(path, "w") as f:
        for _ in range(n):
            ts += rnd.randrange(0, 700)
            tick = {"ticker": rnd.choice(["AMZN", "MSFT", "TSLA"]),
                    "price": round(rnd.uniform(10, 100), 2), "ts": ts}
            ticks.append(tick)
            when = datetime.datetime.fromtimestamp(ts / 1000, datetime.timezone.utc)
            f.write(json.dumps({"ticker": tick["ticker"], "price": tick["price"],
                                "event_time": when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]}) + "\n")
    t.execute_sql(f"""
        CREATE TABLE ticks (
          ticker STRING, price DOUBLE, event_time TIMESTAMP(3),
          WATERMARK FOR event_time AS event_time - INTERVAL '1' SECOND
        ) WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'json')""")
    return ticks


def test_sql_query_rows_come_back_as_rows_equal_to_plain_python(tmp_path) -> None:
    rnd = seeded_random()
    t = t_env()
    ticks = ticks_table(t, str(tmp_path / "ticks.json"), rnd)
    result = t.execute_sql("SELECT ticker, price * 2 AS doubled FROM ticks WHERE price > 50")
    assert result.get_column_names() == ["ticker", "doubled"]
    got = [(r.ticker, r.doubled) for r in result.collect()]
    expected = [(k["ticker"], k["price"] * 2) for k in ticks if k["price"] > 50]
    assert sorted(got) == sorted(expected)


def test_tumbling_and_sliding_windows_of_the_table_api_equal_plain_python(tmp_path) -> None:
    rnd = seeded_random()
    t = t_env()
    ticks = ticks_table(t, str(tmp_path / "ticks.json"), rnd)
    table = t.from_path("ticks")

    tumbling = (table.window(Tumble.over(lit(10).seconds).on(col("event_time")).alias("w"))
                .group_by(col("ticker"), col("w"))
                .select(col("ticker"), col("price").min.alias("low"), col("price").max.alias("high"),
                        col("w").end.alias("window_end")))
    got = sorted((r.ticker, r.low, r.high, r.window_end) for r in tumbling.execute().collect())

    windows = defaultdict(list)
    for k in ticks:
        start = k["ts"] - k["ts"] % 10_000
        windows[(k["ticker"], start)].append(k["price"])
    epoch = datetime.datetime(1970, 1, 1)
    expected = sorted((tk, min(p), max(p), epoch + datetime.timedelta(milliseconds=s + 10_000))
                      for (tk, s), p in windows.items())
    assert got == expected

    sliding = (table.window(Slide.over(lit(10).seconds).every(lit(5).seconds)
                            .on(col("event_time")).alias("w"))
               .group_by(col("ticker"), col("w"))
               .select(col("ticker"), col("price").count.alias("n"), col("w").start.alias("s")))
    got = sorted((r.ticker, r.n, r.s) for r in sliding.execute().collect())
    counts = defaultdict(int)
    for k in ticks:
        last = k["ts"] - k["ts"] % 5_000
        for start in (last, last - 5_000):
            counts[(k["ticker"], start)] += 1
    expected = sorted((tk, n, epoch + datetime.timedelta(milliseconds=s))
                      for (tk, s), n in counts.items())
    assert got == expected


def test_python_udfs_in_sql_and_in_table_api_expressions() -> None:
    t = t_env()

    @udf(result_type=DataTypes.BIGINT())
    def add_one(x):
        return None if x is None else x + 1

    @udf(input_types=[DataTypes.STRING(), DataTypes.INT()], result_type="STRING")
    def repeat(s, n):
        return s * n

    class Scaled(ScalarFunction):
        def open(self, function_context):
            self.factor = 10  # per task, set before the first call

        def eval(self, v):
            return decimal.Decimal(v) * self.factor

    scaled = udf(Scaled(), result_type=DataTypes.DECIMAL(10, 2))
    t.create_temporary_function("add_one", add_one)
    t.create_temporary_system_function("repeat_text", repeat)
    t.create_temporary_function("scaled", scaled)
    rows = list(t.execute_sql(
        "SELECT add_one(a), repeat_text(b, 2), scaled(c) "
        "FROM (VALUES (1, 'x', 1.25), (CAST(NULL AS INT), 'y', 2.5)) AS v(a, b, c)").collect())
    assert [tuple(r) for r in rows] == [
        (2, "xx", decimal.Decimal("12.50")), (None, "yy", decimal.Decimal("25.00"))]

    table = t.from_elements([(1, "a"), (2, "b"), (3, "c")], ["id", "name"])
    got = [tuple(r) for r in table.where(col("id") > 1)
           .select(add_one(col("id")).alias("next"), col("name")).execute().collect()]
    assert got == [(3, "b"), (4, "c")]
    assert add_one(41) == 42  # a plain call runs the function


def test_python_types_cross_into_sql_and_back() -> None:
    t = t_env()

    @udf(result_type=DataTypes.TIMESTAMP(3))
    def next_day(d, ts, flag, raw):
        assert isinstance(d, datetime.date) and isinstance(ts, datetime.datetime)
        assert flag is True and raw == b"\x01\x02"
        return ts + datetime.timedelta(days=1)

    t.create_temporary_function("next_day", next_day)
    (row,) = t.execute_sql(
        "SELECT next_day(DATE '2024-02-28', TIMESTAMP '2024-02-28 23:59:59.123', TRUE, "
        "X'0102') AS nd, DATE '2024-03-01' AS d, CAST(1.5 AS DECIMAL(5, 2)) AS m").collect()
    assert row.nd == datetime.datetime(2024, 2, 29, 23, 59, 59, 123000)
    assert row.d == datetime.date(2024, 3, 1)
    assert row.m == decimal.Decimal("1.50")


def test_an_updating_query_gives_its_changelog_with_row_kinds() -> None:
    t = t_env()
    table = t.from_elements([("a", 1), ("b", 2), ("a", 3)], ["k", "v"])
    rows = list(table.group_by(col("k")).select(col("k"), col("v").sum.alias("total"))
                .execute().collect())
    kinds = [(str(r.get_row_kind()), tuple(r)) for r in rows]
    assert kinds == [("+I", ("a", 1)), ("+I", ("b", 2)), ("-U", ("a", 1)), ("+U", ("a", 4))]
    assert rows[2].get_row_kind() == RowKind.UPDATE_BEFORE
    assert Row(k="a", total=4).as_dict() == {"k": "a", "total": 4}


def test_print_writes_flinks_tableau(capsys) -> None:
    t = t_env()
    t.execute_sql("SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS v(n, word)").print()
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["|", "op", "|", "n", "|", "word", "|"]
    assert [line.split() for line in out[3:5]] == [
        ["|", "+I", "|", "1", "|", "one", "|"], ["|", "+I", "|", "2", "|", "two", "|"]]
    assert out[-1] == "2 rows in set"


def test_a_failing_python_function_fails_the_job_with_its_traceback() -> None:
    t = t_env()

    @udf(result_type=DataTypes.BIGINT())
    def broken(x):
        return x // 0

    @udf(result_type=DataTypes.BIGINT())
    def wrong_type(x):
        return "not a number"

    t.create_temporary_function("broken", broken)
    t.create_temporary_function("wrong_type", wrong_type)
    with pytest.raises(JobFailedError, match=r"(?s)broken.*ZeroDivisionError"):
        t.execute_sql("SELECT broken(n) FROM (VALUES (1)) AS v(n)").wait()
    with pytest.raises(JobFailedError, match=r"(?s)wrong_type.*BIGINT.*cannot be str"):
        t.execute_sql("SELECT wrong_type(n) FROM (VALUES (1)) AS v(n)").wait()
    # The environment goes on.
    assert [tuple(r) for r in t.execute_sql("SELECT 1").collect()] == [(1,)]


def test_bad_sql_and_bad_declarations_are_refused_with_what_is_wrong() -> None:
    t = t_env()
    with pytest.raises(ValueError, match=r"line 1, column \d+"):
        t.execute_sql("SELEC 1")
    with pytest.raises(ValueError, match="not_there"):
        t.execute_sql("SELECT * FROM not_there")
    with pytest.raises(ValueError, match="result type 'NOT A TYPE'"):
        t.create_temporary_function("f", udf(lambda x: x, result_type="NOT A TYPE"))
    with pytest.raises(TypeError, match="result_type"):
        udf(lambda x: x)
    with pytest.raises(ValueError, match="batch mode"):
        EnvironmentSettings.in_batch_mode()

    @udf(result_type=DataTypes.BIGINT())
    def takes_two(a, b):
        return a

    t.create_temporary_function("takes_two", takes_two)
    with pytest.raises(ValueError, match="not supported yet: Python functions with ARRAY"):
        t.execute_sql("SELECT takes_two(ARRAY[1], 2)")


def test_the_table_apis_text_expressions_mean_what_their_objects_mean() -> None:
    from spate.table.expression_parser import ExpressionSyntaxError

    t = t_env()
    table = t.from_elements([("a", 1, 2.5), ("b", 2, 0.5), ("a", 3, 1.0)], ["k", "n", "x"])
    as_text = table.where("n > 1 && !(k === 'b')").select("k, n * 2 + 1 as m, x")
    as_objects = table.where((col("n") > 1) & ~(col("k") == "b")).select(
        col("k"), (col("n") * 2 + 1).alias("m"), col("x"))
    assert [tuple(r) for r in as_text.execute().collect()] == [("a", 7, 1.0)]
    assert [tuple(r) for r in as_objects.execute().collect()] == [("a", 7, 1.0)]
    grouped = table.group_by("k").select("k, n.sum as total, x.max.cast(STRING) as top")
    final = {}
    for r in grouped.execute().collect():
        final[r.k] = (r.total, r.top)
    assert final == {"a": (4, "2.5"), "b": (2, "0.5")}
    with pytest.raises(ExpressionSyntaxError, match="column 5"):
        table.select("k, n ?")
    with pytest.raises(ExpressionSyntaxError, match=r"not supported yet: \.frobnicate"):
        table.select("k.frobnicate")
