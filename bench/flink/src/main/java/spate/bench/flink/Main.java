package spate.bench.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One workload of scripts/compare-flink.sh on Flink's MiniCluster (a local environment):
 *
 * <pre>
 * Main WORKLOAD --output DIR [--input DIR] [--events N] [--keys K] [--query qN]
 *      [--out-of-orderness S] [--parallelism P] [--checkpoint-interval MS]
 *      [--backend rocksdb|hashmap] [--state-dir DIR] [--report FILE]
 * </pre>
 *
 * WORKLOAD is wordcount, keyed_window, trending_hashtags, nexmark or kafka_replicate. Results go
 * as text lines into part files under --output (one per sink subtask), kafka_replicate's into
 * --output-topic on the broker at --bootstrap; the figures (events, seconds of the job,
 * events/s) are printed at the end and written to --report.
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) throws Exception {
    Options o = Options.parse(argv);
    Configuration conf = Configuration.fromMap(flinkConfig(o));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(o.parallelism);
    Files.createDirectories(Path.of(o.output));
    Workloads.build(env, o);
    JobExecutionResult result = env.execute("compare-flink " + o.workload);
    double seconds = result.getNetRuntime() / 1000.0;
    String report =
        String.format(
            "workload %s%nbackend %s%nevents %d%nseconds %.3f%nevents/s %.0f%n",
            o.workload, o.backend, o.events, seconds, o.events / seconds);
    System.out.print(report);
    if (o.report != null) {
      Files.writeString(Path.of(o.report), report);
    }
  }

  /** Flink's configuration for the run: the state backend and checkpoints as spate's. */
  static Map<String, String> flinkConfig(Options o) throws IOException {
    Map<String, String> c = new HashMap<>();
    c.put("parallelism.default", Integer.toString(o.parallelism));
    c.put("state.backend.type", o.backend);
    c.put("state.backend.incremental", "true");
    // As the nexmark project's Flink configuration: chained operators hand records on
    // without a copy.
    c.put("pipeline.object-reuse", "true");
    // A benchmark fails at the first error instead of restarting forever.
    c.put("restart-strategy.type", "none");
    Path state = Files.createDirectories(Path.of(o.stateDir));
    c.put("state.backend.rocksdb.localdir", state.resolve("rocksdb").toString());
    c.put("state.checkpoints.dir", state.resolve("checkpoints").toUri().toString());
    if (o.checkpointIntervalMs > 0) {
      c.put("execution.checkpointing.interval", o.checkpointIntervalMs + " ms");
      c.put("execution.checkpointing.mode", "EXACTLY_ONCE");
      // A bounded job would otherwise wait for one more periodic checkpoint after its input
      // ends; the file sinks here commit nothing on checkpoints (see LineFileSink). The Kafka
      // sink commits its last transaction on that final checkpoint, so it keeps it.
      c.put(
          "execution.checkpointing.checkpoints-after-tasks-finish.enabled",
          Boolean.toString(o.workload.equals("kafka_replicate")));
    }
    return c;
  }

  /** The command line. */
  static final class Options {
    String workload;
    String input;
    String output;
    String query = "q1";
    String backend = "rocksdb";
    String stateDir = System.getProperty("java.io.tmpdir") + "/compare-flink-state";
    String report;
    String bootstrap;
    String outputTopic;
    long events;
    long keys = 10_000;
    long outOfOrdernessSeconds = 120;
    int parallelism = 2;
    long checkpointIntervalMs = 10_000;

    static Options parse(String[] argv) {
      if (argv.length == 0 || argv[0].startsWith("-")) {
        usage(
            "a workload first: wordcount, keyed_window, trending_hashtags, nexmark or"
                + " kafka_replicate");
      }
      Options o = new Options();
      o.workload = argv[0];
      for (int i = 1; i < argv.length; i += 2) {
        if (i + 1 >= argv.length) {
          usage(argv[i] + " needs a value");
        }
        String v = argv[i + 1];
        switch (argv[i]) {
          case "--input" -> o.input = v;
          case "--output" -> o.output = v;
          case "--query" -> o.query = v;
          case "--backend" -> o.backend = v;
          case "--state-dir" -> o.stateDir = v;
          case "--report" -> o.report = v;
          case "--bootstrap" -> o.bootstrap = v;
          case "--output-topic" -> o.outputTopic = v;
          case "--events" -> o.events = Long.parseLong(v);
          case "--keys" -> o.keys = Long.parseLong(v);
          case "--out-of-orderness" -> o.outOfOrdernessSeconds = Long.parseLong(v);
          case "--parallelism" -> o.parallelism = Integer.parseInt(v);
          case "--checkpoint-interval" -> o.checkpointIntervalMs = Long.parseLong(v);
          default -> usage("unknown option " + argv[i]);
        }
      }
      if (o.output == null) {
        usage("--output DIR is required");
      }
      if (!o.backend.equals("rocksdb") && !o.backend.equals("hashmap")) {
        usage("--backend is rocksdb or hashmap, not " + o.backend);
      }
      if (o.input == null && !o.workload.equals("keyed_window")) {
        usage(o.workload + " needs --input");
      }
      if (o.workload.equals("kafka_replicate") && (o.bootstrap == null || o.outputTopic == null)) {
        usage("kafka_replicate needs --bootstrap HOST:PORT and --output-topic (--input is a topic)");
      }
      return o;
    }

    private static void usage(String why) {
      System.err.println("spate-flink-bench: " + why);
      System.err.println(
          "usage: Main wordcount|keyed_window|trending_hashtags|nexmark|kafka_replicate"
              + " --output DIR [--input DIR|TOPIC] [--events N] [--keys K] [--query q0|q1|q2|q5]"
              + " [--bootstrap HOST:PORT --output-topic TOPIC]"
              + " [--out-of-orderness S] [--parallelism P] [--checkpoint-interval MS]"
              + " [--backend rocksdb|hashmap] [--state-dir DIR] [--report FILE]");
      System.exit(2);
    }
  }
}
