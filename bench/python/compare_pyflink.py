"""spate's Python API beside PyFlink on the same workloads (workloads.py), run alternately in
one session: wall seconds, CPU seconds of the whole machine while the run lasts (PyFlink's
JVM and Python worker included; run it on an otherwise idle machine), peak RSS of the
process tree, events/s and events per CPU-second; medians and ranges over the pairs.

  python3 compare_pyflink.py --pyflink-python PATH [--pairs 3] [--workloads map=N,...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def machine_cpu_seconds() -> float:
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))  # not idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def tree_rss_kib(pid: int) -> int:
    """RSS of `pid` and its descendants."""
    children: dict = {}
    rss: dict = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(entry))
            rss[int(entry)] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run(python: str, engine: str, workload: str, n: int) -> dict:
    env = dict(os.environ)
    if engine == "spate":
        env["PYTHONPATH"] = str(ROOT / "build" / "python")
    cpu0, wall0 = machine_cpu_seconds(), time.monotonic()
    proc = subprocess.Popen([python, str(HERE / "workloads.py"), engine, workload, str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_kib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    wall, cpu = time.monotonic() - wall0, machine_cpu_seconds() - cpu0
    if proc.returncode != 0 or "records=" not in out:
        raise SystemExit(f"{engine} {workload} failed:\n{out}\n{err[-3000:]}")
    return {"wall": wall, "cpu": cpu, "rss": peak[0] / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyflink-python", required=True)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--workloads", default="map=10000000,sql_udf=10000000,keyed_reduce=200000")
    a = ap.parse_args()
    workloads = [(w.split("=")[0], int(w.split("=")[1])) for w in a.workloads.split(",")]
    rows = []
    for workload, n in workloads:
        results = {"spate": [], "pyflink": []}
        for i in range(a.pairs):
            order = ["spate", "pyflink"] if i % 2 == 0 else ["pyflink", "spate"]
            for engine in order:
                python = sys.executable if engine == "spate" else a.pyflink_python
                r = run(python, engine, workload, n)
                results[engine].append(r)
                print(f"{workload} {engine} pair {i + 1}: {r['wall']:.2f} s wall, "
                      f"{r['cpu']:.2f} CPU-s, {r['rss']:.0f} MiB", file=sys.stderr, flush=True)
        rows.append((workload, n, results))

    def med(vals: list) -> str:
        return f"{statistics.median(vals):,.0f} ({min(vals):,.0f}–{max(vals):,.0f})"

    print("| workload | records | engine | events/s | events per CPU-s | wall s | peak RSS MiB |"
          " per CPU-s ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for workload, n, results in rows:
        per_cpu = {e: [n / r["cpu"] for r in rs] for e, rs in results.items()}
        ratio = statistics.median(per_cpu["spate"]) / statistics.median(per_cpu["pyflink"])
        for engine in ("spate", "pyflink"):
            rs = results[engine]
            print(f"| {workload} | {n:,} | {engine} | {med([n / r['wall'] for r in rs])} | "
                  f"{med(per_cpu[engine])} | "
                  f"{statistics.median(r['wall'] for r in rs):.2f} | "
                  f"{statistics.median(r['rss'] for r in rs):.0f} | "
                  + (f"{ratio:.0f}×" if engine == "spate" else "") + " |")


if __name__ == "__main__":
    main()
