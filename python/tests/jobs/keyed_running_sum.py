"""A Python DataStream job with keyed state for the recovery test: numbers 0..COUNT-1 (RATE
per second, one source subtask), keyed by n % 7 over two subtasks, a KeyedProcessFunction
keeping each key's count and sum in ValueState, every update written as "key,count,sum" to
FileSink(OUT) exactly once.

CHECKPOINTS: the checkpoint directory (every 100 ms); RESTORE: a checkpoint to start from;
STATE: the RocksDB directory; PARALLELISM: of the keyed function (2)."""

import os

from spate.common import WatermarkStrategy
from spate.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from spate.datastream.connectors import FileSink, NumberSequenceSource
from spate.datastream.connectors.file_system import Encoder
from spate.datastream.state import ValueStateDescriptor


class RunningSum(KeyedProcessFunction):
    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count"))
        self.sum = runtime_context.get_state(ValueStateDescriptor("sum"))

    def process_element(self, value, ctx):
        count = (self.count.value() or 0) + 1
        total = (self.sum.value() or 0) + value
        self.count.update(count)
        self.sum.update(total)
        yield f"{ctx.get_current_key()},{count},{total}"


def build(env, count, rate, out, parallelism):
    """The job on `env`: numbers through the keyed running sum into FileSink(out)."""
    numbers = env.from_source(NumberSequenceSource(0, count - 1, rate=rate),
                              WatermarkStrategy.no_watermarks(), "numbers")
    # One source subtask: each key's numbers arrive in one order, run after run.
    sums = numbers.key_by(lambda n: n % 7).process(RunningSum()).uid("running-sum")
    sums.set_parallelism(parallelism)
    sums.sink_to(FileSink.for_row_format(out, Encoder.simple_string_encoder()).build())


def main():
    config = {
        "execution.checkpointing.interval": "100ms",
        "state.checkpoints.dir": os.environ["CHECKPOINTS"],
        "state.backend.rocksdb.localdir": os.environ["STATE"],
        "restart-strategy.type": "none",
    }
    if os.environ.get("RESTORE"):
        config["execution.savepoint.path"] = os.environ["RESTORE"]
    env = StreamExecutionEnvironment.get_execution_environment(config)
    build(env, int(os.environ["COUNT"]), float(os.environ.get("RATE", "0")) or None,
          os.environ["OUT"], int(os.environ.get("PARALLELISM", "2")))
    env.execute("keyed running sum")


if __name__ == "__main__":
    main()
