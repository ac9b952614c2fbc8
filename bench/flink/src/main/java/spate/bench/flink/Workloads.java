package spate.bench.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** The workloads, each the DataStream counterpart of what spate runs on the same input. */
final class Workloads {
  private Workloads() {}

  static void build(StreamExecutionEnvironment env, Main.Options o) {
    if (o.workload.equals("kafka_replicate")) {
      Kafka.replicate(env, o); // its sink is the output topic
      return;
    }
    DataStream<String> results =
        switch (o.workload) {
          case "wordcount" -> wordcount(lines(env, o.input));
          case "keyed_window" -> keyedWindow(env, o.events, o.keys);
          case "trending_hashtags" -> trendingHashtags(lines(env, o.input), o);
          case "nexmark" -> Nexmark.query(lines(env, o.input), o.query);
          default -> throw new IllegalArgumentException("unknown workload " + o.workload);
        };
    results.addSink(new LineFileSink(o.output)).name("Sink: files");
  }

  /** The lines of a file or of a directory's files (one split per file). */
  static DataStream<String> lines(StreamExecutionEnvironment env, String path) {
    FileSource<String> source =
        FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(path)).build();
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "Lines of " + path);
  }

  // ---- word count: a running count per word, as spate's apps/src/wordcount.cpp ------------

  static DataStream<String> wordcount(DataStream<String> lines) {
    return lines
        .flatMap(new SplitWords())
        .name("Split")
        .keyBy(wc -> wc.f0)
        .sum(1)
        .map(wc -> "{\"word\":" + Json.quote(wc.f0) + ",\"count\":" + wc.f1 + "}")
        .name("To JSON");
  }

  /** Words separated by C's isspace characters, each with a count of 1. */
  static final class SplitWords implements FlatMapFunction<String, Tuple2<String, Long>> {
    @Override
    public void flatMap(String line, Collector<Tuple2<String, Long>> out) {
      int i = 0;
      int n = line.length();
      while (i < n) {
        while (i < n && isSpace(line.charAt(i))) {
          i++;
        }
        int start = i;
        while (i < n && !isSpace(line.charAt(i))) {
          i++;
        }
        if (i > start) {
          out.collect(Tuple2.of(line.substring(start, i), 1L));
        }
      }
    }

    private static boolean isSpace(char c) {
      return c == ' ' || (c >= '\t' && c <= '\r');
    }
  }

  // ---- keyed windows: spate's keyed_window job (apps/src/keyed_reduce.cpp) -----------------

  static DataStream<String> keyedWindow(StreamExecutionEnvironment env, long events, long keys) {
    return env.addSource(new KeyedEventSource(events, keys))
        .name("Generator")
        .assignTimestampsAndWatermarks(
            WatermarkStrategy.<Tuple2<Long, Long>>forMonotonousTimestamps()
                .withTimestampAssigner((e, previous) -> e.f1 / 1000))
        .keyBy(e -> e.f0)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
        .aggregate(new CountAndSum(), new WindowLine());
  }

  /** (count, sum of values) of a window. */
  static final class CountAndSum
      implements AggregateFunction<Tuple2<Long, Long>, Tuple2<Long, Long>, Tuple2<Long, Long>> {
    @Override
    public Tuple2<Long, Long> createAccumulator() {
      return Tuple2.of(0L, 0L);
    }

    @Override
    public Tuple2<Long, Long> add(Tuple2<Long, Long> e, Tuple2<Long, Long> acc) {
      return Tuple2.of(acc.f0 + 1, acc.f1 + e.f1);
    }

    @Override
    public Tuple2<Long, Long> getResult(Tuple2<Long, Long> acc) {
      return acc;
    }

    @Override
    public Tuple2<Long, Long> merge(Tuple2<Long, Long> a, Tuple2<Long, Long> b) {
      return Tuple2.of(a.f0 + b.f0, a.f1 + b.f1);
    }
  }

  /** "key,count,sum,window_end", as spate's keyed_window job writes it. */
  static final class WindowLine
      extends ProcessWindowFunction<Tuple2<Long, Long>, String, Long, TimeWindow> {
    @Override
    public void process(
        Long key, Context ctx, Iterable<Tuple2<Long, Long>> results, Collector<String> out) {
      Tuple2<Long, Long> r = results.iterator().next();
      out.collect(key + "," + r.f0 + "," + r.f1 + "," + ctx.window().getEnd());
    }
  }

  // ---- trending hashtags: spate's apps/src/trending_hashtags.cpp ---------------------------

  /** (hashtag, event time in ms) of a post. */
  static DataStream<String> trendingHashtags(DataStream<String> lines, Main.Options o) {
    return lines
        .flatMap(new ParsePost())
        .name("Parse JSON")
        .assignTimestampsAndWatermarks(
            WatermarkStrategy.<Tuple2<String, Long>>forBoundedOutOfOrderness(
                    Duration.ofSeconds(o.outOfOrdernessSeconds))
                .withTimestampAssigner((p, previous) -> p.f1))
        .keyBy(p -> p.f0)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(60)))
        .aggregate(new CountPosts(), new HashtagLine())
        .name("Hashtag Windows");
  }

  /**
   * Posts with a non-empty string "hashtag_principal" and a numeric "timestamp" in epoch
   * seconds (to ms via whole microseconds, as spate does); other lines are skipped.
   */
  static final class ParsePost extends RichFlatMapFunction<String, Tuple2<String, Long>> {
    private transient ObjectMapper mapper;

    @Override
    public void open(OpenContext context) {
      mapper = new ObjectMapper();
    }

    @Override
    public void flatMap(String line, Collector<Tuple2<String, Long>> out) {
      JsonNode j;
      try {
        j = mapper.readTree(line);
      } catch (Exception e) {
        return; // malformed: skipped, as spate skips and counts it
      }
      JsonNode ts = j.get("timestamp");
      JsonNode tag = j.get("hashtag_principal");
      if (ts == null || !ts.isNumber() || tag == null || !tag.isTextual()) {
        return;
      }
      String t = tag.textValue();
      if (t.isEmpty()) {
        return;
      }
      long micros = Math.round(ts.doubleValue() * 1e6);
      out.collect(Tuple2.of(t, Math.floorDiv(micros, 1000L)));
    }
  }

  static final class CountPosts implements AggregateFunction<Tuple2<String, Long>, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Tuple2<String, Long> post, Long acc) {
      return acc + 1;
    }

    @Override
    public Long getResult(Long acc) {
      return acc;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  /** {"window_start", "window_end", "hashtag", "count"}, as spate's job writes it. */
  static final class HashtagLine extends ProcessWindowFunction<Long, String, String, TimeWindow> {
    @Override
    public void process(String tag, Context ctx, Iterable<Long> counts, Collector<String> out) {
      out.collect(
          "{\"window_start\":"
              + ctx.window().getStart()
              + ",\"window_end\":"
              + ctx.window().getEnd()
              + ",\"hashtag\":"
              + Json.quote(tag)
              + ",\"count\":"
              + counts.iterator().next()
              + "}");
    }
  }
}
