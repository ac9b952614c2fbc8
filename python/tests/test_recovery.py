"""A Python DataStream job with keyed state survives SIGKILL: restarted from its last
checkpoint, at its parallelism or another, it writes exactly what a run without the kill
writes (the file sink commits with checkpoints; state and source positions come back from the
checkpoint, keyed state split by key group)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

JOB = Path(__file__).parent / "jobs" / "keyed_running_sum.py"


def committed_lines(out: Path) -> list:
    lines = []
    for part in out.iterdir():
        if not part.name.startswith("."):
            lines.extend(part.read_text().splitlines())
    return sorted(lines)


def latest_checkpoint(checkpoints: Path) -> int:
    """The number of the newest completed checkpoint (only the newest is kept), or 0."""
    done = [int(m.parent.name[4:]) for m in checkpoints.glob("*/chk-*/_metadata")]
    return max(done, default=0)


def env_for(tmp: Path, name: str, **extra: str) -> dict:
    base = {"CHECKPOINTS": str(tmp / name / "checkpoints"), "STATE": str(tmp / name / "state"),
            "OUT": str(tmp / name / "out")}
    return {**os.environ, **base, **extra}


@pytest.mark.parametrize("restored_parallelism", [2, 3])
def test_a_killed_python_job_restored_from_its_checkpoint_writes_exactly_once(
        tmp_path, restored_parallelism) -> None:
    """Restored at the same parallelism, and at another one (keyed state rescaled by key
    group)."""
    count = 12000
    reference = subprocess.run([sys.executable, str(JOB)], capture_output=True, text=True,
                               timeout=120, env=env_for(tmp_path, "reference", COUNT=str(count)))
    assert reference.returncode == 0, reference.stderr
    expected = committed_lines(tmp_path / "reference" / "out")
    assert len(expected) == count

    env = env_for(tmp_path, "killed", COUNT=str(count), RATE="4000")
    checkpoints = tmp_path / "killed" / "checkpoints"
    job = subprocess.Popen([sys.executable, str(JOB)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while latest_checkpoint(checkpoints) < 3:
        assert job.poll() is None, "the job ended before it was killed: " + job.stderr.read()
        assert time.monotonic() < deadline, "no checkpoints completed"
        time.sleep(0.02)
    job.send_signal(signal.SIGKILL)
    job.wait()
    partial = committed_lines(tmp_path / "killed" / "out")
    assert len(partial) < count, "the kill came after the end"

    # The job's checkpoint directory: the restore takes its newest checkpoint.
    (job_dir,) = list(checkpoints.iterdir())
    restored = subprocess.run([sys.executable, str(JOB)], capture_output=True, text=True,
                              timeout=120, env={**env, "RESTORE": str(job_dir),
                                                "PARALLELISM": str(restored_parallelism)})
    assert restored.returncode == 0, restored.stderr
    got = committed_lines(tmp_path / "killed" / "out")
    assert got == expected


def test_a_python_job_stopped_with_a_savepoint_resumes_at_another_parallelism(tmp_path) -> None:
    sys.path.insert(0, str(JOB.parent))
    import keyed_running_sum as job

    from spate.common import JobStatus
    from spate.datastream import StreamExecutionEnvironment

    count = 12000
    reference_out = tmp_path / "reference"
    env = StreamExecutionEnvironment.get_execution_environment(
        {"state.backend.rocksdb.localdir": str(tmp_path / "state")})
    job.build(env, count, None, str(reference_out), 2)
    env.execute("reference")
    expected = committed_lines(reference_out)
    assert len(expected) == count

    out = tmp_path / "out"
    env = StreamExecutionEnvironment.get_execution_environment(
        {"state.backend.rocksdb.localdir": str(tmp_path / "state"),
         "state.savepoints.dir": str(tmp_path / "savepoints")})
    job.build(env, count, 3000, str(out), 2)
    client = env.execute_async("first half")
    deadline = time.monotonic() + 30
    while client.get_job_status() != JobStatus.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # Paced at 3000 records/s the source takes 4 s: the stop comes well before its end. A job
    # RUNNING may still be deploying its tasks: the savepoint is refused until they run.
    while True:
        try:
            savepoint = client.stop_with_savepoint()
            break
        except ValueError as e:
            assert "not running" in str(e) and time.monotonic() < deadline, e
            time.sleep(0.02)
    assert client.get_job_execution_result().get_job_id() == client.get_job_id()
    assert client.get_job_status() == JobStatus.FINISHED
    assert len(committed_lines(out)) < count

    env = StreamExecutionEnvironment.get_execution_environment(
        {"state.backend.rocksdb.localdir": str(tmp_path / "state"),
         "execution.savepoint.path": savepoint})
    job.build(env, count, None, str(out), 3)
    env.execute("second half")
    assert committed_lines(out) == expected
