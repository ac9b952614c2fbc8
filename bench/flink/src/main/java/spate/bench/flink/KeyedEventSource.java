package spate.bench.flink;

import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;

/**
 * Spate's keyed-window generator (apps/src/keyed_reduce.cpp): event i is (key, i), the key
 * drawn from a splitmix64 engine seeded with mix64(seed ^ mix64(i)) as spate's
 * generator_source seeds each record. Subtask s of p emits s, s + p, s + 2p, ... as spate's
 * generator does, so event time advances alike on both engines. Its position is checkpointed.
 */
final class KeyedEventSource extends RichParallelSourceFunction<Tuple2<Long, Long>>
    implements CheckpointedFunction {
  private static final long SEED = 42;
  private static final int BATCH = 1024;

  private final long events;
  private final long keys;
  private volatile boolean running = true;
  private long next = -1;
  private transient ListState<Long> position;

  KeyedEventSource(long events, long keys) {
    this.events = events;
    this.keys = keys;
  }

  static long mix64(long x) {
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    return x;
  }

  /** The first draw of splitmix64 from state `s`. */
  static long splitmix64(long s) {
    long z = s + 0x9e3779b97f4a7c15L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  static long keyOf(long i, long keys) {
    return Long.remainderUnsigned(splitmix64(mix64(SEED ^ mix64(i))), keys);
  }

  @Override
  public void run(SourceContext<Tuple2<Long, Long>> ctx) {
    int p = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    if (next < 0) {
      next = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }
    while (running && next < events) {
      synchronized (ctx.getCheckpointLock()) {
        for (int k = 0; k < BATCH && next < events; k++, next += p) {
          ctx.collect(Tuple2.of(keyOf(next, keys), next));
        }
      }
    }
  }

  @Override
  public void cancel() {
    running = false;
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    position.update(List.of(next));
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    position =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("position", Long.class));
    for (Long n : position.get()) {
      next = n; // one entry per subtask; no rescaling in a benchmark run
    }
  }
}
