package spate.bench.flink;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichCoGroupFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Nexmark q0, q1, q2, q3, q5, q7 and q8 over the event lines spate-nexmark --write-events writes
 * (bench/nexmark_file.hpp), as spate's DataStream versions in nexmark/ compute them: event time
 * is date_time with watermark date_time - 4 s.
 */
final class Nexmark {
  private Nexmark() {}

  static DataStream<String> query(DataStream<String> lines, String query) {
    DataStream<Event> events =
        lines
            .map(Nexmark::parse)
            .name("Parse Events")
            .assignTimestampsAndWatermarks(
                WatermarkStrategy.<Event>forBoundedOutOfOrderness(Duration.ofSeconds(4))
                    .withTimestampAssigner((e, previous) -> e.dateTime()));
    switch (query) {
      case "q3" -> {
        return q3(auctions(events), persons(events));
      }
      case "q8" -> {
        return q8(persons(events), auctions(events));
      }
      default -> {}
    }
    DataStream<Bid> bids =
        events
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
      case "q7" -> q7(bids);
      default ->
          throw new IllegalArgumentException(
              "nexmark: q0, q1, q2, q3, q5, q7 or q8, not " + query);
    };
  }

  static DataStream<Person> persons(DataStream<Event> events) {
    return events
        .flatMap(
            (Event e, Collector<Person> out) -> {
              if (e.person != null) {
                out.collect(e.person);
              }
            })
        .returns(Person.class)
        .name("Persons");
  }

  static DataStream<Auction> auctions(DataStream<Event> events) {
    return events
        .flatMap(
            (Event e, Collector<Auction> out) -> {
              if (e.auction != null) {
                out.collect(e.auction);
              }
            })
        .returns(Auction.class)
        .name("Auctions");
  }

  // ---- q3: auctions of category 10 by sellers from OR, ID or CA (an incremental join) -----

  static DataStream<String> q3(DataStream<Auction> auctions, DataStream<Person> persons) {
    DataStream<Person> sellers =
        persons.filter(p -> p.state.equals("OR") || p.state.equals("ID") || p.state.equals("CA"));
    return auctions
        .filter(a -> a.category == 10)
        .keyBy(a -> a.seller)
        .connect(sellers.keyBy(p -> p.id))
        .process(new LocalItemJoin())
        .name("q3: Local Item Suggestion");
  }

  /** Keeps each seller; auctions that come before their seller wait in a list. */
  static final class LocalItemJoin
      extends KeyedCoProcessFunction<Long, Auction, Person, String> {
    private transient ValueState<Person> seller;
    private transient ListState<Long> waiting;

    @Override
    public void open(OpenContext context) {
      seller = getRuntimeContext().getState(new ValueStateDescriptor<>("seller", Person.class));
      waiting =
          getRuntimeContext()
              .getListState(new ListStateDescriptor<>("waiting-auctions", Long.class));
    }

    @Override
    public void processElement1(Auction a, Context ctx, Collector<String> out) throws Exception {
      Person p = seller.value();
      if (p != null) {
        out.collect(p.name + "," + p.city + "," + p.state + "," + a.id);
      } else {
        waiting.add(a.id);
      }
    }

    @Override
    public void processElement2(Person p, Context ctx, Collector<String> out) throws Exception {
      for (Long id : waiting.get()) {
        out.collect(p.name + "," + p.city + "," + p.state + "," + id);
      }
      waiting.clear();
      seller.update(p);
    }
  }

  // ---- q7: per 10 s tumbling window, the bids with the highest price ----------------------

  static DataStream<String> q7(DataStream<Bid> bids) {
    return bids.keyBy(b -> b.auction)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
        .aggregate(new MaxBids(), new WindowMaxBids())
        .keyBy(w -> w.windowStart)
        .process(new HighestBids())
        .name("q7: Highest Bid");
  }

  /** The bids of the highest price seen (all of them on equal prices). */
  static final class MaxBids implements AggregateFunction<Bid, ArrayList<Bid>, ArrayList<Bid>> {
    @Override
    public ArrayList<Bid> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public ArrayList<Bid> add(Bid b, ArrayList<Bid> acc) {
      if (acc.isEmpty() || b.price > acc.get(0).price) {
        acc.clear();
        acc.add(b);
      } else if (b.price == acc.get(0).price) {
        acc.add(b);
      }
      return acc;
    }

    @Override
    public ArrayList<Bid> getResult(ArrayList<Bid> acc) {
      return acc;
    }

    @Override
    public ArrayList<Bid> merge(ArrayList<Bid> a, ArrayList<Bid> b) {
      if (a.isEmpty() || (!b.isEmpty() && b.get(0).price > a.get(0).price)) {
        return b;
      }
      if (!b.isEmpty() && b.get(0).price == a.get(0).price) {
        a.addAll(b);
      }
      return a;
    }
  }

  static final class WindowMaxBids
      extends ProcessWindowFunction<ArrayList<Bid>, WindowBids, Long, TimeWindow> {
    @Override
    public void process(
        Long auction, Context ctx, Iterable<ArrayList<Bid>> acc, Collector<WindowBids> out) {
      out.collect(new WindowBids(ctx.window().getStart(), acc.iterator().next()));
    }
  }

  /** Merges a window's per-auction maxima; emits the highest when the window's are all in. */
  static final class HighestBids extends KeyedProcessFunction<Long, WindowBids, String> {
    private transient ValueState<Long> most;
    private transient ListState<Bid> top;

    @Override
    public void open(OpenContext context) {
      most = getRuntimeContext().getState(new ValueStateDescriptor<>("most", Long.class));
      top = getRuntimeContext().getListState(new ListStateDescriptor<>("top", Bid.class));
    }

    @Override
    public void processElement(WindowBids w, Context ctx, Collector<String> out)
        throws Exception {
      if (w.bids.isEmpty()) {
        return;
      }
      long price = w.bids.get(0).price;
      Long m = most.value();
      if (m == null) {
        ctx.timerService().registerEventTimeTimer(ctx.timestamp());
      }
      if (m == null || price > m) {
        most.update(price);
        top.update(w.bids);
      } else if (price == m) {
        top.addAll(w.bids);
      }
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<String> out) throws Exception {
      for (Bid b : top.get()) {
        out.collect(bidLine(b));
      }
      most.clear();
      top.clear();
    }
  }

  // ---- q8: people who opened an account and an auction in the same 10 s window ------------

  static DataStream<String> q8(DataStream<Person> persons, DataStream<Auction> auctions) {
    return persons
        .coGroup(auctions)
        .where(p -> p.id)
        .equalTo(a -> a.seller)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
        .apply(new NewUsers());
  }

  static final class NewUsers extends RichCoGroupFunction<Person, Auction, String> {
    @Override
    public void coGroup(Iterable<Person> ps, Iterable<Auction> as, Collector<String> out) {
      var p = ps.iterator();
      if (p.hasNext() && as.iterator().hasNext()) {
        Person first = p.next();
        // The window's start is not given to a co-group function: the person's own time
        // floors to it.
        out.collect(first.id + "," + first.name + "," + (first.dateTime - first.dateTime % 10_000));
      }
    }
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

  /** q7's first step: the highest bids on one auction in one window. */
  public static final class WindowBids {
    public long windowStart;
    public ArrayList<Bid> bids;

    public WindowBids() {}

    WindowBids(long windowStart, ArrayList<Bid> bids) {
      this.windowStart = windowStart;
      this.bids = bids;
    }
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
