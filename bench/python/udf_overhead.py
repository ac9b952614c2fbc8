"""The per-record cost of trivial Python functions on spate (docs/benchmarks.md): 1 M integers
from a collection through 0, 1 and 3 `map(lambda x: x)` and a `filter` that drops all; the
difference between the runs is what one more Python function costs per record.

  PYTHONPATH=build/python python3 bench/python/udf_overhead.py [N]
"""

import sys
import time

from spate.datastream import StreamExecutionEnvironment

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
env = StreamExecutionEnvironment.get_execution_environment()
for maps in (0, 1, 3):
    stream = env.from_collection(range(n))
    for _ in range(maps):
        stream = stream.map(lambda x: x)
    stream.filter(lambda x: False).print()
    start = time.perf_counter()
    env.execute(f"{maps} maps")
    seconds = time.perf_counter() - start
    print(f"{maps} trivial maps + 1 filter over {n}: {seconds:.2f} s, "
          f"{seconds / n * 1e9:.0f} ns/record")
