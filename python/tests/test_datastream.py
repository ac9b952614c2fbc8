"""The Python DataStream API on the native runtime, in this process.

Results are compared with the same computation in plain Python."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from collections import defaultdict, namedtuple

import pytest

from spate.common import JobFailedError
from spate.datastream import (
    FilterFunction,
    FlatMapFunction,
    KeySelector,
    MapFunction,
    ReduceFunction,
    StreamExecutionEnvironment,
)


Point = namedtuple("Point", "x y")  # a tuple subclass: it keeps its class through pickle


def seeded_random() -> random.Random:
    seed = int(os.environ.get("SPATE_TEST_SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (SPATE_TEST_SEED={seed} repeats this run)")
    return random.Random(seed)


@pytest.mark.parametrize("parallelism", [1, 3])
def test_map_filter_flat_map_and_keyed_reduce_equal_plain_python(parallelism: int) -> None:
    rnd = seeded_random()
    lines = [
        " ".join(rnd.choice(["spate", "flink", "kafka", "redis", "Python"]) for _ in range(rnd.randrange(0, 6)))
        for _ in range(2000)
    ]
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    counts = (
        env.from_collection(lines)
        .flat_map(lambda line: line.split())
        .map(lambda w: (w.lower(), 1))
        .filter(lambda t: t[0] != "kafka")
        .key_by(lambda t: t[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
    )
    got = list(counts.execute_and_collect())

    # The reference: every running count per word, in any order.
    running: dict[str, int] = defaultdict(int)
    expected = []
    for line in lines:
        for w in line.split():
            w = w.lower()
            if w == "kafka":
                continue
            running[w] += 1
            expected.append((w, running[w]))
    assert sorted(got) == sorted(expected)
    assert len(got) > 0


def test_function_classes_are_called_through_their_methods() -> None:
    class Double(MapFunction):
        def map(self, value):
            return value * 2

    class Even(FilterFunction):
        def filter(self, value):
            return value % 4 == 0

    class Twice(FlatMapFunction):
        def flat_map(self, value):
            yield value
            yield value + 1

    class ByParity(KeySelector):
        def get_key(self, value):
            return value % 2

    class Max(ReduceFunction):
        def reduce(self, a, b):
            return max(a, b)

    env = StreamExecutionEnvironment.get_execution_environment()
    got = list(
        env.from_collection(range(10))
        .map(Double())
        .filter(Even())
        .flat_map(Twice())
        .key_by(ByParity())
        .reduce(Max())
        .execute_and_collect()
    )
    # 0, 4, 8, 12, 16 each followed by itself + 1; running maximum per parity.
    assert got == [0, 1, 4, 5, 8, 9, 12, 13, 16, 17]


def test_values_of_any_picklable_type_pass_through() -> None:
    values = [None, True, 3, 2.5, "ü", b"\x00\xff", (1, "a"), [1, [2]], {"k": {1, 2}}, 10**40]
    env = StreamExecutionEnvironment.get_execution_environment()
    assert list(env.from_collection(values).map(lambda v: v).execute_and_collect()) == values


def test_limit_and_an_environment_that_runs_one_job_after_another() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    assert env.from_collection(range(100)).execute_and_collect(limit=3) == [0, 1, 2]
    with env.from_collection(["x"]).map(str.upper).execute_and_collect() as it:
        assert list(it) == ["X"]


def test_print_writes_str_of_each_value_with_the_subtask_in_parallel(capfd) -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([("a", 1), "b"]).print()
    env.execute("print")
    assert capfd.readouterr().out.splitlines() == ["('a', 1)", "b"]

    env.set_parallelism(2)
    env.from_collection(range(6)).map(lambda v: v).print("out")
    env.execute("print in parallel")
    lines = capfd.readouterr().out.splitlines()
    assert sorted(line.split("> ")[1] for line in lines) == [str(i) for i in range(6)]
    assert all(line.startswith(("out:1> ", "out:2> ")) for line in lines)


def test_a_python_exception_fails_the_job_with_its_traceback() -> None:
    def divide(v):
        return 1 / v

    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1, 0]).map(divide).print()
    with pytest.raises(JobFailedError) as failure:
        env.execute("divides by zero")
    cause = failure.value.cause
    assert "ZeroDivisionError" in cause
    assert "in divide" in cause
    assert "Python map" in cause
    # The process and the environment go on.
    assert list(env.from_collection([4]).map(divide).execute_and_collect()) == [0.25]


def test_errors_in_key_selectors_reducers_and_flat_maps_name_the_function() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1]).key_by(lambda v: v["missing"]).reduce(lambda a, b: a).print()
    with pytest.raises(JobFailedError, match=r"(?s)Python key_by.*TypeError"):
        env.execute()
    env.from_collection([1, 1]).key_by(lambda v: v).reduce(lambda a, b: a.nope).print()
    with pytest.raises(JobFailedError, match=r"(?s)Python reduce.*AttributeError"):
        env.execute()
    env.from_collection([1]).flat_map(lambda v: 5).print()
    with pytest.raises(JobFailedError, match="must return or yield its output"):
        env.execute()


def test_a_value_that_cannot_be_pickled_is_named() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection([1]).map(lambda v: (lambda: v)).print()
    with pytest.raises(JobFailedError, match=r"(?s)Python map.*(pickle|lambda)"):
        env.execute()
    with pytest.raises(Exception, match="pickle|lambda"):
        env.from_collection([lambda: 1])


def test_bad_settings_are_refused_with_their_name() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    with pytest.raises(ValueError, match="parallelism"):
        env.set_parallelism(0)
    with pytest.raises(ValueError, match="parallelism"):
        env.from_collection([1]).map(str).set_parallelism(-1)
    with pytest.raises(TypeError, match="MapFunction or a callable"):
        env.from_collection([1]).map(42)


def test_a_script_runs_with_python_alone() -> None:
    script = textwrap.dedent(
        """
        from spate.datastream import StreamExecutionEnvironment
        env = StreamExecutionEnvironment.get_execution_environment()
        env.from_collection(["b a", "a"]).flat_map(str.split) \\
            .key_by(lambda w: w).reduce(lambda a, b: a + b).print()
        env.execute("script")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["a", "aa", "b"]


def test_ctrl_c_cancels_the_running_job_and_raises_keyboard_interrupt() -> None:
    import _thread
    import threading
    import time

    started = threading.Event()

    def slow(v):
        started.set()
        time.sleep(0.05)  # releases the GIL, as a function waiting on I/O does
        return v

    env = StreamExecutionEnvironment.get_execution_environment()
    env.from_collection(range(2000)).map(slow).print()  # 100 s if not cancelled

    def interrupt() -> None:
        started.wait(30)
        _thread.interrupt_main()

    threading.Thread(target=interrupt, daemon=True).start()
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        env.execute("interrupted")
    assert time.monotonic() - begun < 30
    # The environment runs the next job.
    assert list(env.from_collection([1]).execute_and_collect()) == [1]


def random_value(rnd: random.Random, depth: int = 0):
    kinds = ["none", "bool", "int", "bigint", "float", "str", "bytes", "set"]
    if depth < 4:
        kinds += ["tuple", "list", "dict"] * 2
    kind = rnd.choice(kinds)
    if kind == "none":
        return None
    if kind == "bool":
        return rnd.random() < 0.5
    if kind == "int":
        return rnd.randint(-(1 << 63), (1 << 63) - 1)
    if kind == "bigint":
        return rnd.choice([-1, 1]) * rnd.randint(1 << 63, 1 << 200)
    if kind == "float":
        return rnd.choice([rnd.uniform(-1e300, 1e300), 0.0, -0.0, float("inf")])
    if kind == "str":
        return "".join(chr(rnd.choice([rnd.randrange(32, 127), rnd.randrange(0x80, 0x10FFFF)]))
                       for _ in range(rnd.randrange(0, 20))).encode("utf-8", "replace").decode("utf-8", "replace")
    if kind == "bytes":
        return bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 20)))
    if kind == "set":
        return {rnd.randrange(100) for _ in range(rnd.randrange(0, 5))}
    items = [random_value(rnd, depth + 1) for _ in range(rnd.randrange(0, 5))]
    if kind == "tuple":
        return tuple(items)
    if kind == "list":
        return items
    return {repr(v): v for v in items}


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1 is not True nor 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def test_the_record_encoding_round_trips_every_value_with_its_type() -> None:
    from spate import _spate

    rnd = seeded_random()
    fixed = [True, 1, 1.0, "1", b"1", (1,), [1], {1: 1}, Point(1, 2), "\ud800", 2**64, -(2**63)]
    for v in fixed + [random_value(rnd) for _ in range(3000)]:
        assert same(_spate._decode_value(_spate._encode_value(v)), v), repr(v)
    # Keys: equal values of one type encode alike; 1, 1.0 and True are three keys.
    assert _spate._encode_value(("a", 1)) == _spate._encode_value(("a", 1))
    assert len({_spate._encode_value(k) for k in (1, 1.0, True)}) == 3


def test_a_damaged_record_is_a_clear_error_never_a_crash() -> None:
    from spate import _spate

    rnd = seeded_random()
    value = {"k": [1, 2.5, "text", b"\x00", (None, True), {3, 4}, 2**70]}
    good = _spate._encode_value(value)
    for n in range(len(good)):  # every truncation
        with pytest.raises(ValueError, match="not an encoded Python value"):
            _spate._decode_value(good[:n])
    with pytest.raises(ValueError, match="bytes follow the value"):
        _spate._decode_value(good + b"N")
    with pytest.raises(ValueError, match="unknown type byte"):
        _spate._decode_value(b"?")
    with pytest.raises(ValueError, match="count runs past"):
        _spate._decode_value(b"[\xff\xff\xff\xff\x0f")
    # Random damage, where the encoding is spate's own (pickle's part is pickle's: it trusts
    # its input, as records from the job's own processes may be).
    own = _spate._encode_value({"k": [1, 2.5, "text", b"\x00", (None, True), [3, 4]], "n": -7})
    for _ in range(3000):  # a value or an error
        damaged = bytearray(own)
        for _ in range(rnd.randrange(1, 4)):
            damaged[rnd.randrange(len(damaged))] = rnd.choice(
                [b for b in range(256) if b != ord("P")])  # never into pickle's part
        try:
            _spate._decode_value(bytes(damaged))
        except (ValueError, UnicodeDecodeError, TypeError):
            pass  # a clear error (TypeError: a damaged dict key that is a list)


def test_keyed_process_functions_keep_state_per_key_and_fire_timers() -> None:
    from spate.common import WatermarkStrategy
    from spate.datastream import KeyedProcessFunction
    from spate.datastream.connectors import NumberSequenceSource
    from spate.datastream.state import (
        ListStateDescriptor,
        MapStateDescriptor,
        ValueStateDescriptor,
    )

    class Track(KeyedProcessFunction):
        def open(self, runtime_context):
            self.count = runtime_context.get_state(ValueStateDescriptor("count"))
            self.seen = runtime_context.get_list_state(ListStateDescriptor("seen"))
            self.last_digit = runtime_context.get_map_state(MapStateDescriptor("digits"))

        def process_element(self, value, ctx):
            count = (self.count.value() or 0) + 1
            self.count.update(count)
            self.seen.add(value)
            self.last_digit.put(value % 10, value)
            if count == 1:
                ctx.timer_service().register_event_time_timer(10_000_000)
            yield ("element", ctx.get_current_key(), count, ctx.timestamp())

        def on_timer(self, timestamp, ctx):
            # The end of input moves the watermark past every timer: all was seen.
            digits = dict(self.last_digit.items())
            yield ("timer", ctx.get_current_key(), timestamp, sorted(self.seen.get()), digits)
            self.count.clear()

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    numbers = env.from_source(
        NumberSequenceSource(1, 300),
        WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(
            lambda v, ts: v * 10), "numbers")
    got = list(numbers.key_by(lambda v: v % 3).process(Track()).execute_and_collect())

    elements = sorted(g for g in got if g[0] == "element")
    timers = sorted((g for g in got if g[0] == "timer"), key=lambda g: g[1])
    # The reference: per key, counts 1..n, each with its record's event time (in some order).
    expected_counts = sorted(("element", k, c) for k in range(3) for c in range(1, 101))
    assert sorted(e[:3] for e in elements) == expected_counts
    assert all(e[3] % 10 == 0 and (e[3] // 10) % 3 == e[1] for e in elements)
    assert [t[1] for t in timers] == [0, 1, 2]
    for _, key, ts, seen, digits in timers:
        mine = [v for v in range(1, 301) if v % 3 == key]
        assert ts == 10_000_000
        assert seen == mine
        assert digits == {d: max(v for v in mine if v % 10 == d) for d in {v % 10 for v in mine}}


def test_file_source_and_file_sink_carry_lines_as_str(tmp_path) -> None:
    from spate.datastream.connectors import FileSink, FileSource
    from spate.datastream.connectors.file_system import Encoder, StreamFormat

    rnd = seeded_random()
    lines = [f"line {i} {'ü' * rnd.randrange(3)}" for i in range(500)]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = StreamExecutionEnvironment.get_execution_environment()
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(),
                                                 str(tmp_path / "in.txt")).build()
    env.from_source(source).map(str.upper).sink_to(
        FileSink.for_row_format(str(tmp_path / "out"), Encoder.simple_string_encoder()).build())
    env.execute("files")
    written = []
    for part in (tmp_path / "out").iterdir():
        if not part.name.startswith("."):
            written.extend(part.read_text(encoding="utf-8").splitlines())
    assert sorted(written) == sorted(line.upper() for line in lines)


def test_bad_sources_and_sinks_are_refused_by_name(tmp_path) -> None:
    from spate.datastream.connectors import FileSource, NumberSequenceSource, Spec
    from spate.datastream.connectors.file_system import StreamFormat

    env = StreamExecutionEnvironment.get_execution_environment()
    missing = FileSource.for_record_stream_format(StreamFormat.text_line_format(),
                                                  str(tmp_path / "missing.txt")).build()
    with pytest.raises(ValueError, match="missing.txt"):
        env.from_source(missing)
    with pytest.raises(ValueError, match="end 1 is before start 5"):
        NumberSequenceSource(5, 1)
    with pytest.raises(ValueError, match="nowhere:"):
        env.from_collection([1]).sink_to(Spec("nowhere:at-all"))
    with pytest.raises(TypeError, match="KeyedProcessFunction"):
        env.from_collection([1]).key_by(lambda v: v).process(lambda v, c: v)


def test_windows_reduce_aggregate_and_process_equal_plain_python() -> None:
    from spate.common import Duration, Time, WatermarkStrategy
    from spate.datastream.window import (
        AggregateFunction,
        EventTimeSessionWindows,
        ProcessWindowFunction,
        SlidingEventTimeWindows,
        TumblingEventTimeWindows,
    )

    rnd = seeded_random()
    events = []
    ts = 0
    for _ in range(1500):
        ts += rnd.choice([1, 5, 40, 700])  # gaps of 700 ms split sessions of gap 500
        events.append((rnd.choice("abc"), rnd.randrange(100), ts))

    def stream(env):
        strategy = WatermarkStrategy.for_bounded_out_of_orderness(
            Duration.of_millis(0)).with_timestamp_assigner(lambda e, _: e[2])
        return env.from_collection(events).assign_timestamps_and_watermarks(strategy) \
            .key_by(lambda e: e[0])

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)

    sums = stream(env).window(TumblingEventTimeWindows.of(Time.seconds(1))) \
        .reduce(lambda a, b: (a[0], a[1] + b[1], max(a[2], b[2])))
    expected = defaultdict(int)
    for k, v, t in events:
        expected[(k, t // 1000)] += v
    got = {(k, t // 1000): v for k, v, t in sums.execute_and_collect()}
    assert got == dict(expected)

    class MinMax(AggregateFunction):
        def create_accumulator(self):
            return (None, None)

        def add(self, value, acc):
            lo, hi = acc
            v = value[1]
            return (v if lo is None else min(lo, v), v if hi is None else max(hi, v))

        def get_result(self, acc):
            return acc

        def merge(self, a, b):
            return (min(a[0], b[0]), max(a[1], b[1]))

    class Describe(ProcessWindowFunction):
        def process(self, key, context, elements):
            w = context.window()
            yield (key, w.start, w.end, len(elements), sum(e[1] for e in elements))

    sliding = stream(env).window(SlidingEventTimeWindows.of(Time.seconds(2), Time.seconds(1))) \
        .aggregate(MinMax())
    got_sliding = sorted(sliding.execute_and_collect())
    windows = defaultdict(list)
    for k, v, t in events:
        last = t - t % 1000
        for start in (last, last - 1000):
            windows[(k, start)].append(v)
    assert got_sliding == sorted((min(vs), max(vs)) for vs in windows.values())

    sessions = stream(env).window(EventTimeSessionWindows.with_gap(Duration.of_millis(500))) \
        .process(Describe())
    got_sessions = sorted(sessions.execute_and_collect())
    reference = []
    for key in "abc":
        mine = [(v, t) for k, v, t in events if k == key]
        start = mine[0][1]
        last = start
        values = []
        for v, t in mine:
            if t - last >= 500:
                reference.append((key, start, last + 500, len(values), sum(values)))
                start, values = t, []
            values.append(v)
            last = t
        reference.append((key, start, last + 500, len(values), sum(values)))
    assert got_sessions == sorted(reference)


def test_keyed_sum_min_max_and_their_by_forms_run_per_key() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    data = [("a", 3, "x"), ("b", 1, "y"), ("a", 1, "z"), ("a", 5, "w"), ("b", 4, "v")]
    by_key = lambda t: t[0]  # noqa: E731

    def final(stream):
        last = {}
        for v in stream.execute_and_collect():
            last[v[0]] = v
        return last

    assert final(env.from_collection(data).key_by(by_key).sum(1)) == {
        "a": ("a", 9, "x"), "b": ("b", 5, "y")}
    assert final(env.from_collection(data).key_by(by_key).min(1)) == {
        "a": ("a", 1, "x"), "b": ("b", 1, "y")}
    assert final(env.from_collection(data).key_by(by_key).max(1)) == {
        "a": ("a", 5, "x"), "b": ("b", 4, "y")}
    assert final(env.from_collection(data).key_by(by_key).min_by(1)) == {
        "a": ("a", 1, "z"), "b": ("b", 1, "y")}
    assert final(env.from_collection(data).key_by(by_key).max_by(1)) == {
        "a": ("a", 5, "w"), "b": ("b", 4, "v")}
    assert list(env.from_collection([1, 2, 3]).key_by(lambda v: 0).sum()
                .execute_and_collect()) == [1, 3, 6]


def test_a_process_function_sees_each_records_timestamp_in_its_own_copy() -> None:
    from spate.common import WatermarkStrategy
    from spate.datastream import ProcessFunction
    from spate.datastream.connectors import NumberSequenceSource

    class Tag(ProcessFunction):
        def open(self, runtime_context):
            self.seen = 0  # per subtask: its own copy

        def process_element(self, value, ctx):
            self.seen += 1
            if value % 2 == 0:
                yield (value, ctx.timestamp(), self.seen)

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(2)
    numbers = env.from_source(NumberSequenceSource(1, 200), WatermarkStrategy
                              .for_monotonous_timestamps()
                              .with_timestamp_assigner(lambda v, ts: v * 7), "n")
    got = list(numbers.process(Tag()).execute_and_collect())
    assert sorted((v, ts) for v, ts, _ in got) == [(v, v * 7) for v in range(2, 201, 2)]
    # Two subtasks, each with its own copy: neither counts all 200 records (one shared copy
    # would have counted 199 or 200 by the last even number it yields).
    assert max(seen for _, _, seen in got) < 190
    with pytest.raises(TypeError, match="ProcessFunction"):
        env.from_collection([1]).process(lambda v, c: v)


def test_a_script_that_ends_while_its_job_runs_exits_cleanly() -> None:
    script = textwrap.dedent(
        """
        from spate.datastream import StreamExecutionEnvironment
        from spate.datastream.connectors import NumberSequenceSource
        env = StreamExecutionEnvironment.get_execution_environment()
        numbers = env.from_source(NumberSequenceSource(1, 10**9, rate=1000))
        numbers.map(lambda v: v + 1).filter(lambda v: v < 0).print()
        client = env.execute_async("left running")
        print(client.get_job_id())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 32
