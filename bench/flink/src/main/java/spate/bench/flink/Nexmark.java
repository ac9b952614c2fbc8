package spate.bench.flink;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Nexmark q0, q1, q2 and q5 over the event lines spate-nexmark --write-events writes
 * (bench/nexmark_file.hpp), as spate's DataStream versions in nexmark/ compute them: event time
 * is date_time with watermark date_time - 4 s.
 */
final class Nexmark {
  private Nexmark() {}

  static DataStream<String> query(DataStream<String> lines, String query) {
    DataStream<Bid> bids =
        lines
            .map(Nexmark::parse)
            .name("Parse Events")
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<Event>forBoundedOutOfOrderness(Duration.ofSeconds(4))
                    .withTimestampAssigner((e, previous) -> e.dateTime()))
            .flatMap(
                (Event e, Collector<Bid> out) -> {
                  if (e.bid != null) {
                    out.collect(e.bid);
                  }
                })
            .returns(Bid.class)
            .name("Split Events");
    return switch (query) {
      case "q0" -> bids.map(Nexmark::bidLine).name("q0: Pass Through");
      case "q1" ->
          bids.map(
                  b ->
                      b.auction
                          + ","
                          + b.bidder
                          + ","
                          + price(0.908 * (double) b.price)
                          + ","
                          + b.dateTime
                          + ","
                          + b.extra)
              .name("q1: Currency Conversion");
      case "q2" ->
          bids.filter(b -> b.auction % 123 == 0)
              .name("q2: Selection")
              .map(b -> b.auction + "," + b.price);
      case "q5" -> q5(bids);
      default -> throw new IllegalArgumentException("nexmark: q0, q1, q2 or q5, not " + query);
    };
  }

  /** %.3f as glibc's printf rounds it: the exact binary value, ties to even. */
  static String price(double euros) {
    return new BigDecimal(euros).setScale(3, RoundingMode.HALF_EVEN).toPlainString();
  }

  // ---- q5: per sliding window (10 s every 2 s) the auctions with the most bids ------------

  static DataStream<String> q5(DataStream<Bid> bids) {
    return bids.map(b -> b.auction)
        .name("Project Bids")
        .keyBy(a -> a)
        .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
        .aggregate(new Count(), new AuctionCount())
        .keyBy(r -> r.windowStart)
        .process(new HotItems())
        .name("q5: Hot Items");
  }

  static final class Count implements AggregateFunction<Long, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Long auction, Long acc) {
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

  static final class AuctionCount
      extends ProcessWindowFunction<Long, AuctionBids, Long, TimeWindow> {
    @Override
    public void process(
        Long auction, Context ctx, Iterable<Long> counts, Collector<AuctionBids> out) {
      out.collect(new AuctionBids(auction, counts.iterator().next(), ctx.window().getStart()));
    }
  }

  /** Keeps a window's auctions with the most bids; emits them when its results are in. */
  static final class HotItems extends KeyedProcessFunction<Long, AuctionBids, String> {
    private transient ValueState<Long> most;
    private transient ListState<AuctionBids> top;

    @Override
    public void open(OpenContext context) {
      most = getRuntimeContext().getState(new ValueStateDescriptor<>("most", Long.class));
      top =
          getRuntimeContext().getListState(new ListStateDescriptor<>("top", AuctionBids.class));
    }

    @Override
    public void processElement(AuctionBids r, Context ctx, Collector<String> out)
        throws Exception {
      Long m = most.value();
      if (m == null) {
        ctx.timerService().registerEventTimeTimer(ctx.timestamp());
      }
      if (m == null || r.num > m) {
        most.update(r.num);
        top.update(List.of(r));
      } else if (r.num == m) {
        top.add(r);
      }
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<String> out) throws Exception {
      for (AuctionBids r : top.get()) {
        out.collect(r.auction + "," + r.num + "," + r.windowStart);
      }
      most.clear();
      top.clear();
    }
  }

  // ---- the events ------------------------------------------------------------------------

  static Event parse(String line) {
    String[] f = line.split("\t", -1);
    Event e = new Event();
    switch (f[0]) {
      case "P" -> {
        check(f, 9, line);
        Person p = new Person();
        p.id = Long.parseLong(f[1]);
        p.name = f[2];
        p.emailAddress = f[3];
        p.creditCard = f[4];
        p.city = f[5];
        p.state = f[6];
        p.dateTime = Long.parseLong(f[7]);
        p.extra = f[8];
        e.person = p;
      }
      case "A" -> {
        check(f, 11, line);
        Auction a = new Auction();
        a.id = Long.parseLong(f[1]);
        a.itemName = f[2];
        a.description = f[3];
        a.initialBid = Long.parseLong(f[4]);
        a.reserve = Long.parseLong(f[5]);
        a.dateTime = Long.parseLong(f[6]);
        a.expires = Long.parseLong(f[7]);
        a.seller = Long.parseLong(f[8]);
        a.category = Long.parseLong(f[9]);
        a.extra = f[10];
        e.auction = a;
      }
      case "B" -> {
        check(f, 8, line);
        Bid b = new Bid();
        b.auction = Long.parseLong(f[1]);
        b.bidder = Long.parseLong(f[2]);
        b.price = Long.parseLong(f[3]);
        b.channel = f[4];
        b.url = f[5];
        b.dateTime = Long.parseLong(f[6]);
        b.extra = f[7];
        e.bid = b;
      }
      default -> throw new IllegalArgumentException("nexmark event line: unknown kind in " + line);
    }
    return e;
  }

  private static void check(String[] f, int n, String line) {
    if (f.length != n) {
      throw new IllegalArgumentException(
          "nexmark event line: " + f.length + " fields, expected " + n + ": " + line);
    }
  }

  static String bidLine(Bid b) {
    return String.join(
        "\t",
        "B",
        Long.toString(b.auction),
        Long.toString(b.bidder),
        Long.toString(b.price),
        b.channel,
        b.url,
        Long.toString(b.dateTime),
        b.extra);
  }

  /** One event: exactly one of the three is set. */
  public static final class Event {
    public Person person;
    public Auction auction;
    public Bid bid;

    long dateTime() {
      return bid != null ? bid.dateTime : auction != null ? auction.dateTime : person.dateTime;
    }
  }

  public static final class Person {
    public long id;
    public String name;
    public String emailAddress;
    public String creditCard;
    public String city;
    public String state;
    public long dateTime;
    public String extra;
  }

  public static final class Auction {
    public long id;
    public String itemName;
    public String description;
    public long initialBid;
    public long reserve;
    public long dateTime;
    public long expires;
    public long seller;
    public long category;
    public String extra;
  }

  public static final class Bid {
    public long auction;
    public long bidder;
    public long price;
    public String channel;
    public String url;
    public long dateTime;
    public String extra;
  }

  /** q5's first step: bids on one auction in one window. */
  public static final class AuctionBids {
    public long auction;
    public long num;
    public long windowStart;

    public AuctionBids() {}

    AuctionBids(long auction, long num, long windowStart) {
      this.auction = auction;
      this.num = num;
      this.windowStart = windowStart;
    }
  }
}
