package spate.bench.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * Text lines into DIR/part-SUBTASK, one file per sink subtask, flushed when the input ends. No
 * two-phase commit (Flink's FileSink commits on checkpoints only, so a bounded job would wait
 * for one more checkpoint after its input ends): lighter than spate's exactly-once file sink.
 */
final class LineFileSink extends RichSinkFunction<String> {
  private final String dir;
  private transient BufferedWriter out;

  LineFileSink(String dir) {
    this.dir = dir;
  }

  @Override
  public void open(OpenContext context) throws IOException {
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    out =
        Files.newBufferedWriter(
            Path.of(dir, "part-" + subtask),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
  }

  @Override
  public void invoke(String line, Context context) throws IOException {
    out.write(line);
    out.write('\n');
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
