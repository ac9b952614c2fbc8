"""Services the Python tests start themselves on free ports: redis-server and a Kafka broker
(scripts/kafka.sh, the jars of the C++ tests)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spate_bin() -> str:
    return os.environ.get("SPATE_BIN", str(ROOT / "build" / "bin")) + "/spate"


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="spate-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not self.ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


class KafkaBroker:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="spate-kafka-")
        out = subprocess.run(["bash", str(ROOT / "scripts" / "kafka.sh"), "start", "--port", "0",
                              "--dir", self.dir + "/broker"], capture_output=True, text=True,
                             timeout=120)
        lines = [line for line in out.stdout.splitlines() if line.startswith("bootstrap=")]
        if out.returncode != 0 or not lines:
            raise RuntimeError("kafka.sh start failed:\n" + out.stdout + out.stderr)
        self.bootstrap = lines[-1].split("=", 1)[1]

    def create_topic(self, name: str, partitions: int) -> None:
        subprocess.run(["bash", str(ROOT / "scripts" / "kafka.sh"), "topic", "create", name,
                        "--partitions", str(partitions), "--bootstrap", self.bootstrap],
                       check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        subprocess.run(["bash", str(ROOT / "scripts" / "kafka.sh"), "stop", "--dir",
                        self.dir + "/broker"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def kafka_broker() -> Iterator[KafkaBroker]:
    broker = KafkaBroker()
    yield broker
    broker.stop()
