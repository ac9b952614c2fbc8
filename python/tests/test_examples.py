"""The sensor-to-Redis PyFlink job on spate (examples/python): against a real Kafka broker and
redis-server, it leaves the same keys as spate's C++ sensor_to_redis job on the same readings,
with one Redis connection per call (the PyFlink script as it is) and one per task."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import redis

from conftest import ROOT, spate_bin

EXAMPLES = ROOT / "examples" / "python"


def code_of(path) -> str:
    """The script without its docstring, as Python reads it."""
    tree = ast.parse(path.read_text())
    tree.body = [n for n in tree.body if not (isinstance(n, ast.Expr) and
                                               isinstance(n.value, ast.Constant))]
    return ast.unparse(tree)


def test_the_spate_script_is_the_pyflink_script_but_for_its_imports() -> None:
    pyflink = code_of(EXAMPLES / "pyflink" / "sensor_to_redis.py")
    spate = code_of(EXAMPLES / "sensor_to_redis.py")
    assert "pyflink" in pyflink and "pyflink" not in spate
    assert pyflink.replace("from pyflink.", "from spate.") == spate


def run(cmd, env=None) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def test_sensor_to_redis_leaves_the_keys_the_cpp_job_leaves(kafka_broker, redis_server) -> None:
    topic = "sensors"
    kafka_broker.create_topic(topic, 3)
    readings = 3000
    run([spate_bin(), "local", "produce_sensors", "--input",
         f"generator:seed=7,count={readings},rate=1000000",
         "--output", f"kafka://{kafka_broker.bootstrap}/{topic}"])

    # The C++ job into database 1: the reference.
    run([spate_bin(), "local", "sensor_to_redis", "--input",
         f"kafka://{kafka_broker.bootstrap}/{topic}?scan.bounded.mode=latest-offset",
         "--output", f"redis://127.0.0.1:{redis_server.port}/1"
                     "?key=sensor_id_{sensor_id}&value={status}"])
    # The Python scripts into databases 0 and 2.
    settings = {"KAFKA_BOOTSTRAP": kafka_broker.bootstrap, "KAFKA_TOPIC": topic,
                "REDIS_PORT": str(redis_server.port), "BOUNDED": "1"}
    printed = run([sys.executable, str(EXAMPLES / "sensor_to_redis.py")],
                  {**settings, "REDIS_DB": "0"})
    run([sys.executable, str(EXAMPLES / "sensor_to_redis_pooled.py")],
        {**settings, "REDIS_DB": "2"})

    def keys(db: int) -> dict:
        r = redis.Redis(port=redis_server.port, db=db, decode_responses=True)
        return {k: r.get(k) for k in r.scan_iter("sensor_id_*")}

    reference = keys(1)
    assert len(reference) > 100
    assert set(reference.values()) == {"CLUSTER_ACTIVE"}
    assert keys(0) == reference
    assert keys(2) == reference
    # Every reading reached the print sink with its status.
    lines = [line for line in printed.stdout.splitlines() if line.startswith("+I[")]
    assert len(lines) == readings
    assert all(", CLUSTER_ACTIVE, " in line for line in lines)


def windows_of_the_cpp_job(input_path, window_args, tmp_path) -> dict:
    """(ticker, window end as Python prints it) -> lowest price, from `spate local
    stock_prices`."""
    import datetime
    import json

    out = tmp_path / f"cpp-{window_args[1]}.json"
    run([spate_bin(), "local", "stock_prices", "--input", f"file:{input_path}", "--output",
         f"file:{out}", "--", *window_args])
    got = {}
    for line in out.read_text().splitlines():
        w = json.loads(line)
        end = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=w["window_end"])
        got[(w["ticker"], str(end))] = w["min_price"]
    return got


def rows_written(directory) -> dict:
    import json

    got = {}
    for part in sorted(directory.iterdir()):
        if part.name.startswith("."):
            continue
        for line in part.read_text().splitlines():
            r = json.loads(line)
            key = (r["ticker"], r["event_time"])
            assert key not in got, f"window {key} written twice"
            got[key] = r["price"]
    return got


def test_the_guides_stock_ticker_windows_equal_the_cpp_stock_prices_job(tmp_path) -> None:
    ticks = tmp_path / "ticks.json"
    run([spate_bin(), "local", "produce_stock_prices", "--input",
         "generator:seed=11,count=3000,rate=1000000", "--output", f"file:{ticks}"])
    for script, window_args in (("stock_tumbling_window.py", ["--window", "tumbling"]),
                                ("stock_sliding_window.py", ["--window", "sliding"])):
        out = tmp_path / script.replace(".py", "")
        done = run([sys.executable, str(EXAMPLES / script)],
                   {"INPUT_PATH": str(ticks), "OUTPUT_PATH": str(out)})
        assert "RUNNING" in done.stdout or "CREATED" in done.stdout or "FINISHED" in done.stdout
        python_rows = rows_written(out)
        reference = windows_of_the_cpp_job(ticks, window_args, tmp_path)
        assert len(reference) > 100
        assert python_rows == reference, script


def test_a_python_job_copies_a_kafka_topic_exactly_once(kafka_broker) -> None:
    from spate.datastream import StreamExecutionEnvironment
    from spate.datastream.connectors.kafka import (
        DeliveryGuarantee,
        KafkaOffsetsInitializer,
        KafkaRecordSerializationSchema,
        KafkaSink,
        KafkaSource,
        SimpleStringSchema,
    )

    kafka_broker.create_topic("words", 2)
    kafka_broker.create_topic("upper", 2)
    words = [f"word-{i}" for i in range(1000)]
    env = StreamExecutionEnvironment.get_execution_environment(
        {"execution.checkpointing.interval": "200ms"})

    def sink(topic: str) -> KafkaSink:
        return (KafkaSink.builder().set_bootstrap_servers(kafka_broker.bootstrap)
                .set_record_serializer(KafkaRecordSerializationSchema.builder().set_topic(topic)
                                       .set_value_serialization_schema(SimpleStringSchema())
                                       .build())
                .set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .set_transactional_id_prefix(f"copy-{topic}").build())

    def source(topic: str) -> KafkaSource:
        return (KafkaSource.builder().set_bootstrap_servers(kafka_broker.bootstrap)
                .set_topics(topic).set_starting_offsets(KafkaOffsetsInitializer.earliest())
                .set_bounded(KafkaOffsetsInitializer.latest())
                .set_value_only_deserializer(SimpleStringSchema()).build())

    def await_topic(topic: str, count: int) -> list:
        """The topic's committed records once `count` are visible: a transaction's commit
        reaches the partitions' end offsets a little after the producer's commit returns."""
        import time

        deadline = time.monotonic() + 30
        while True:
            got = list(env.from_source(source(topic)).execute_and_collect())
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    env.from_collection(words).sink_to(sink("words"))
    env.execute("write words")
    assert sorted(await_topic("words", len(words))) == sorted(words)
    env.from_source(source("words")).map(str.upper).sink_to(sink("upper"))
    env.execute("copy upper")
    assert sorted(await_topic("upper", len(words))) == sorted(w.upper() for w in words)
