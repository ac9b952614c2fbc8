// SQL connectors: the datagen and nexmark sources, the print and blackhole sinks, and the dispatch
// to the filesystem, kafka, upsert-kafka and redis tables of io_connectors.cpp.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>

#include "spate/api/builtin.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/print_sink.hpp"
#include "spate/core/error.hpp"
#include "io_connectors.hpp"
#include "spate/nexmark/generator.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

namespace {

[[noreturn]] void bad_option(const plan_node& n, const std::string& key, const std::string& why) {
  throw error(errc::invalid_argument, "table '" + n.table + "': option '" + key + "' " + why);
}

std::string normalized(const std::string& name) {
  std::string out;
  for (char c : name)
    if (c != '_')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void check_options(const plan_node& n, const std::vector<std::string>& known,
                   const std::vector<std::string>& prefixes = {}) {
  for (const auto& [key, value] : n.options) {
    if (key == "connector")
      continue;
    bool ok = std::find(known.begin(), known.end(), key) != known.end();
    for (const auto& p : prefixes)
      ok = ok || key.rfind(p, 0) == 0;
    if (!ok)
      throw error(errc::invalid_argument, "table '" + n.table + "': unsupported option '" + key +
                                              "' for connector '" + option(n, "connector") + "'");
  }
}

// ---------------------------------------------------------------------------------------------
// nexmark

enum class nexmark_field : std::uint8_t {
  none,
  event_type,
  person,
  auction,
  bid,
  p_id,
  p_name,
  p_email,
  p_card,
  p_city,
  p_state,
  p_time,
  p_extra,
  a_id,
  a_item,
  a_description,
  a_initial_bid,
  a_reserve,
  a_time,
  a_expires,
  a_seller,
  a_category,
  a_extra,
  b_auction,
  b_bidder,
  b_price,
  b_channel,
  b_url,
  b_time,
  b_extra,
};

struct nexmark_fill {
  std::size_t slot;
  nexmark_field field;
};

nexmark_field nexmark_sub_field(const std::string& parent, const std::string& name) {
  static const std::map<std::string, nexmark_field> person = {
      {"id", nexmark_field::p_id},
      {"name", nexmark_field::p_name},
      {"emailaddress", nexmark_field::p_email},
      {"creditcard", nexmark_field::p_card},
      {"city", nexmark_field::p_city},
      {"state", nexmark_field::p_state},
      {"datetime", nexmark_field::p_time},
      {"extra", nexmark_field::p_extra}};
  static const std::map<std::string, nexmark_field> auction = {
      {"id", nexmark_field::a_id},
      {"itemname", nexmark_field::a_item},
      {"description", nexmark_field::a_description},
      {"initialbid", nexmark_field::a_initial_bid},
      {"reserve", nexmark_field::a_reserve},
      {"datetime", nexmark_field::a_time},
      {"expires", nexmark_field::a_expires},
      {"seller", nexmark_field::a_seller},
      {"category", nexmark_field::a_category},
      {"extra", nexmark_field::a_extra}};
  static const std::map<std::string, nexmark_field> bid = {
      {"auction", nexmark_field::b_auction}, {"bidder", nexmark_field::b_bidder},
      {"price", nexmark_field::b_price},     {"channel", nexmark_field::b_channel},
      {"url", nexmark_field::b_url},         {"datetime", nexmark_field::b_time},
      {"extra", nexmark_field::b_extra}};
  const auto& table = parent == "person" ? person : parent == "auction" ? auction : bid;
  auto it = table.find(normalized(name));
  return it == table.end() ? nexmark_field::none : it->second;
}

//! The string member of `e` field `f` stands for, or nullptr when `f` is not a string field.
const std::string* string_of(nexmark_field f, const nexmark::event& e) {
  switch (f) {
    case nexmark_field::p_name:
      return &e.new_person.name;
    case nexmark_field::p_email:
      return &e.new_person.email_address;
    case nexmark_field::p_card:
      return &e.new_person.credit_card;
    case nexmark_field::p_city:
      return &e.new_person.city;
    case nexmark_field::p_state:
      return &e.new_person.state;
    case nexmark_field::p_extra:
      return &e.new_person.extra;
    case nexmark_field::a_item:
      return &e.new_auction.item_name;
    case nexmark_field::a_description:
      return &e.new_auction.description;
    case nexmark_field::a_extra:
      return &e.new_auction.extra;
    case nexmark_field::b_channel:
      return &e.new_bid.channel;
    case nexmark_field::b_url:
      return &e.new_bid.url;
    case nexmark_field::b_extra:
      return &e.new_bid.extra;
    default:
      return nullptr;
  }
}

bool is_string_field(nexmark_field f) {
  static const nexmark::event none{};
  return string_of(f, none) != nullptr;
}

void fill_field(row& r, std::size_t slot, nexmark_field f, const nexmark::event& e) {
  const auto& p = e.new_person;
  const auto& a = e.new_auction;
  const auto& b = e.new_bid;
  switch (f) {
    case nexmark_field::p_id:
      return r.set_long(slot, p.id);
    case nexmark_field::p_time:
      return r.set_long(slot, p.date_time);
    case nexmark_field::a_id:
      return r.set_long(slot, a.id);
    case nexmark_field::a_initial_bid:
      return r.set_long(slot, a.initial_bid);
    case nexmark_field::a_reserve:
      return r.set_long(slot, a.reserve);
    case nexmark_field::a_time:
      return r.set_long(slot, a.date_time);
    case nexmark_field::a_expires:
      return r.set_long(slot, a.expires);
    case nexmark_field::a_seller:
      return r.set_long(slot, a.seller);
    case nexmark_field::a_category:
      return r.set_long(slot, a.category);
    case nexmark_field::b_auction:
      return r.set_long(slot, b.auction);
    case nexmark_field::b_bidder:
      return r.set_long(slot, b.bidder);
    case nexmark_field::b_price:
      return r.set_long(slot, b.price);
    case nexmark_field::b_time:
      return r.set_long(slot, b.date_time);
    default:
      if (const std::string* s = string_of(f, e))
        r.set_string(slot, *s);
      return;
  }
}

//! Builds the rows of nexmark events: only the fills given (the slots some consumer reads), and
//! either emitted as they are or handed to a Calc fused into the same operator.
struct nexmark_rows {
  std::vector<nexmark_fill> fills[3];            //!< per event type: person, auction, bid
  std::vector<std::size_t> event_type_slots;     //!< event_type columns read
  std::vector<std::pair<std::size_t, int>> rows; //!< the ROW columns' slots and event types
  std::size_t slots = 0;
  row_function then;
  row scratch; //!< the row handed to `then`, rebuilt in place per event
  //! Instead of `then`: the Calc's output rows filled here and completed in place.
  extending_calc extend;

  //! The bytes of a row of `row_slots` slots filled from `e`: one allocation of the size
  //! needed, not a buffer grown string by string nor one reserved for the largest event.
  std::size_t row_bytes(const nexmark::event& e, std::size_t row_slots) const {
    std::size_t n = row::header_bytes(row_slots);
    const int type = static_cast<int>(e.type);
    if (type >= 0 && type < 3)
      for (const nexmark_fill& f : fills[type])
        if (const std::string* s = string_of(f.field, e))
          n += s->size();
    return n;
  }

  void fill(row& r, const nexmark::event& e, std::size_t row_slots) const {
    r.reset(row_slots);
    const int type = static_cast<int>(e.type);
    for (const auto& k : rows)
      if (k.second == type)
        r.set_long(k.first, 0); // the ROW is not null
    for (std::size_t s : event_type_slots)
      r.set_long(s, type);
    if (type >= 0 && type < 3)
      for (const nexmark_fill& f : fills[type])
        fill_field(r, f.slot, f.field, e);
  }

  void operator()(const nexmark::event& e, collector<row>& out) {
    if (extend.complete) {
      // The Calc's row built here: the event's fields copied once, into the row emitted.
      row& r = out.emplace();
      r.reserve(row_bytes(e, extend.slots));
      fill(r, e, extend.slots);
      extend.complete(r);
      return;
    }
    if (then) {
      fill(scratch, e, slots);
      then(scratch, out);
      return;
    }
    row& r = out.emplace();
    r.reserve(row_bytes(e, slots));
    fill(r, e, slots);
  }
};

stream<row> nexmark_source(environment& env, const plan_node& scan, const std::string& uid,
                           const std::vector<std::uint8_t>* demand = nullptr,
                           row_function then = {}, const std::string& then_name = "",
                           const std::string& then_uid = "", extending_calc extend = {}) {
  check_options(scan, {"first-event.rate", "next-event.rate", "events.num", "person.proportion",
                       "auction.proportion", "bid.proportion", "seed", "rate-limited.rate",
                       "out-of-order-group-size"});
  nexmark::generator_config c;
  const std::int64_t rate = int_option(scan, "first-event.rate", 10'000);
  if (rate != int_option(scan, "next-event.rate", rate))
    bad_option(scan, "next-event.rate",
               "must equal first-event.rate (rate shapes are not supported yet)");
  c.events_per_second = static_cast<double>(rate);
  c.person_proportion = static_cast<int>(int_option(scan, "person.proportion", 1));
  c.auction_proportion = static_cast<int>(int_option(scan, "auction.proportion", 3));
  c.bid_proportion = static_cast<int>(int_option(scan, "bid.proportion", 46));
  c.seed = static_cast<std::uint64_t>(int_option(scan, "seed", 42));
  c.out_of_order_group_size = int_option(scan, "out-of-order-group-size", 1);
  std::optional<std::int64_t> count;
  const std::int64_t events = int_option(scan, "events.num", 0);
  if (events > 0)
    count = events;
  const double wall_rate = static_cast<double>(int_option(scan, "rate-limited.rate", 0));

  // Which column (or nested field) takes which part of the event.
  row_layout layout = layout_of(scan);
  std::vector<nexmark_fill> fills;
  std::vector<std::pair<std::size_t, int>> kinds; // the ROW columns' slots and event types
  for (std::size_t c2 = 0; c2 < scan.schema.size(); ++c2) {
    const plan_column& col = scan.schema[c2];
    const std::string name = normalized(col.name);
    const std::size_t slot = layout.first[c2];
    if (name == "eventtype") {
      if (slot_kind_of(col.type) != slot_kind::integer)
        bad_option(scan, "connector",
                   "declares event_type as " + to_string(col.type) + ", not INT");
      fills.push_back({slot, nexmark_field::event_type});
      continue;
    }
    if (name != "person" && name != "auction" && name != "bid")
      throw error(errc::invalid_argument, "table '" + scan.table +
                                              "': the nexmark connector has no column '" +
                                              col.name + "' (event_type, person, auction, bid)");
    if (col.type.kind != logical_kind::row)
      throw error(errc::invalid_argument,
                  "table '" + scan.table + "': nexmark column '" + col.name + "' must be a ROW");
    kinds.emplace_back(slot, name == "person" ? 0 : name == "auction" ? 1 : 2);
    std::size_t s = slot + 1;
    for (const auto& f : col.type.fields) {
      nexmark_field nf = nexmark_sub_field(name, f.name);
      if (nf == nexmark_field::none)
        throw error(errc::invalid_argument, "table '" + scan.table + "': the nexmark " + name +
                                                " has no field '" + f.name + "'");
      const bool want_string = is_string_field(nf);
      if ((slot_kind_of(f.type) == slot_kind::string) != want_string ||
          (!want_string && slot_kind_of(f.type) != slot_kind::integer))
        throw error(errc::invalid_argument, "table '" + scan.table + "': nexmark field " + name +
                                                "." + f.name + " cannot be " + to_string(f.type));
      fills.push_back({s, nf});
      s += slot_width(f.type);
    }
  }
  // Only the columns and fields some consumer reads (projection push-down): the strings of
  // the others are not copied into the rows.
  nexmark_rows make;
  make.slots = layout.slots();
  make.rows = kinds;
  for (const nexmark_fill& f : fills) {
    if (demand && (f.slot >= demand->size() || (*demand)[f.slot] == 0))
      continue;
    if (f.field == nexmark_field::event_type) {
      make.event_type_slots.push_back(f.slot);
      continue;
    }
    const int owner = f.field <= nexmark_field::p_extra   ? 0
                      : f.field <= nexmark_field::a_extra ? 1
                                                          : 2;
    make.fills[owner].push_back(f);
  }
  auto events_stream = env.add_source(nexmark::nexmark_source(c, count, wall_rate));
  events_stream.uid(uid).name(scan.table + "[nexmark]");
  if (then) {
    // The Calc builds its rows in place when every string filled here is one it keeps (so
    // that no bytes are left behind in the rows for the slots it nulls).
    bool in_place = extend.complete && extend.keep.size() == make.slots;
    for (int t = 0; t < 3 && in_place; ++t)
      for (const nexmark_fill& f : make.fills[t])
        in_place = in_place && (!is_string_field(f.field) || extend.keep[f.slot] != 0);
    if (in_place)
      make.extend = std::move(extend);
    make.then = std::move(then);
    return events_stream.flat_map(std::move(make)).name(then_name).uid(then_uid);
  }
  return events_stream.flat_map(std::move(make)).name("Nexmark rows").uid(uid + "-rows");
}

// ---------------------------------------------------------------------------------------------
// datagen

struct datagen_field {
  bool sequence = false;
  std::int64_t start = 0, end = 0;
  double min = 0, max = 0;
  std::int64_t length = 100;
  std::int64_t max_past = 0;
  logical_type type;
};

stream<row> datagen_source(environment& env, const plan_node& scan, const std::string& uid) {
  check_options(scan, {"rows-per-second", "number-of-rows", "seed"}, {"fields."});
  row_layout layout = layout_of(scan);
  std::vector<datagen_field> fields;
  std::optional<std::int64_t> count;
  const std::int64_t rows = int_option(scan, "number-of-rows", -1);
  if (rows >= 0)
    count = rows;
  for (const plan_column& col : scan.schema) {
    if (col.type.kind == logical_kind::row)
      throw error(errc::invalid_argument,
                  "not supported yet: datagen ROW columns ('" + col.name + "')");
    datagen_field f;
    f.type = col.type;
    const std::string p = "fields." + col.name + ".";
    const std::string kind = option(scan, p + "kind", "random");
    if (kind != "random" && kind != "sequence")
      bad_option(scan, p + "kind", "must be random or sequence, not '" + kind + "'");
    f.sequence = kind == "sequence";
    if (f.sequence) {
      if (!scan.options.count(p + "start") || !scan.options.count(p + "end"))
        bad_option(scan, p + "kind", "sequence needs " + p + "start and " + p + "end");
      f.start = int_option(scan, p + "start", 0);
      f.end = int_option(scan, p + "end", 0);
      if (f.end < f.start)
        bad_option(scan, p + "end", "is below the start");
      const std::int64_t n = f.end - f.start + 1;
      count = count ? std::min(*count, n) : n;
    } else {
      double lo = -2147483648.0, hi = 2147483647.0;
      switch (col.type.kind) {
        case logical_kind::tinyint:
          lo = -128, hi = 127;
          break;
        case logical_kind::smallint:
          lo = -32768, hi = 32767;
          break;
        case logical_kind::bigint:
          lo = -9.2e18, hi = 9.2e18;
          break;
        default:
          break;
      }
      auto num = [&scan](const std::string& key, double fallback) {
        auto it = scan.options.find(key);
        if (it == scan.options.end())
          return fallback;
        try {
          return std::stod(it->second);
        } catch (const std::exception&) {
          bad_option(scan, key, "is not a number: '" + it->second + "'");
        }
      };
      f.min = num(p + "min", lo);
      f.max = num(p + "max", hi);
      f.length = int_option(scan, p + "length", 100);
      f.max_past = int_option(scan, p + "max-past", 0);
    }
    fields.push_back(f);
  }
  generator_options go;
  go.seed = static_cast<std::uint64_t>(int_option(scan, "seed", 42));
  go.count = count;
  go.rate = static_cast<double>(int_option(scan, "rows-per-second", 10'000));
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::size_t slots = layout.slots();
  auto make = [fields, slots, now](std::uint64_t seq, record_rng& rng) {
    row r(slots);
    char buf[64];
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const datagen_field& f = fields[i];
      const slot_kind k = slot_kind_of(f.type);
      if (f.sequence) {
        const std::int64_t v = f.start + static_cast<std::int64_t>(seq);
        if (k == slot_kind::string)
          r.set_string(i, std::to_string(v));
        else if (k == slot_kind::floating)
          r.set_double(i, static_cast<double>(v));
        else if (k == slot_kind::decimal) {
          std::int64_t scaled = v;
          for (int s = 0; s < f.type.scale; ++s)
            scaled *= 10;
          r.set_long(i, scaled);
        } else
          r.set_long(i, v);
        continue;
      }
      const double u = rng.uniform();
      switch (f.type.kind) {
        case logical_kind::boolean:
          r.set_bool(i, u < 0.5);
          break;
        case logical_kind::char_:
        case logical_kind::varchar:
        case logical_kind::binary:
        case logical_kind::varbinary: {
          std::string s;
          s.reserve(static_cast<std::size_t>(f.length));
          for (std::int64_t c = 0; c < f.length; ++c) {
            if (c % 16 == 0)
              std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
            s += buf[c % 16];
          }
          r.set_string(i, s);
          break;
        }
        case logical_kind::float_:
        case logical_kind::double_:
          r.set_double(i, f.min + u * (f.max - f.min));
          break;
        case logical_kind::decimal: {
          double v = f.min + u * (f.max - f.min);
          for (int s = 0; s < f.type.scale; ++s)
            v *= 10;
          r.set_long(i, static_cast<std::int64_t>(v));
          break;
        }
        case logical_kind::timestamp:
        case logical_kind::timestamp_ltz:
          r.set_long(i, now - static_cast<std::int64_t>(u * static_cast<double>(f.max_past)));
          break;
        case logical_kind::date:
          r.set_long(i, now / 86'400'000);
          break;
        case logical_kind::time:
          r.set_long(i, now % 86'400'000);
          break;
        default: {
          // integers: uniform in [min, max]
          const double span = f.max - f.min + 1;
          r.set_long(i, static_cast<std::int64_t>(f.min + std::floor(u * span)));
          break;
        }
      }
    }
    return r;
  };
  auto s = env.add_source(generator_source<row>(go, make, "datagen"));
  s.uid(uid).name(scan.table + "[datagen]");
  return s;
}

} // namespace

std::string option(const plan_node& n, const std::string& key, const std::string& fallback) {
  auto it = n.options.find(key);
  return it == n.options.end() ? fallback : it->second;
}

std::int64_t int_option(const plan_node& n, const std::string& key, std::int64_t fallback) {
  auto it = n.options.find(key);
  if (it == n.options.end())
    return fallback;
  try {
    std::size_t used = 0;
    std::int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size())
      throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    bad_option(n, key, "is not an integer: '" + it->second + "'");
  }
}

bool source_takes_calc(const plan_node& scan) { return option(scan, "connector") == "nexmark"; }

stream<row> make_source(environment& env, const plan_node& scan, const std::string& uid,
                        const std::vector<std::uint8_t>& demand, row_function then,
                        const std::string& then_name, const std::string& then_uid,
                        extending_calc extend) {
  if (source_takes_calc(scan))
    return nexmark_source(env, scan, uid, &demand, std::move(then), then_name, then_uid,
                          std::move(extend));
  stream<row> s = make_source(env, scan, uid);
  if (then) {
    auto calc = s.flat_map(std::move(then));
    calc.name(then_name).uid(then_uid);
    return calc;
  }
  return s;
}

stream<row> make_source(environment& env, const plan_node& scan, const std::string& uid) {
  const std::string connector = option(scan, "connector");
  if (connector == "nexmark")
    return nexmark_source(env, scan, uid);
  if (connector == "datagen")
    return datagen_source(env, scan, uid);
  if (connector == "filesystem")
    return filesystem_table_source(env, scan, uid);
  if (connector == "kafka" || connector == "upsert-kafka")
    return kafka_table_source(env, scan, uid);
  throw error(errc::invalid_argument, "not supported yet: connector '" + connector +
                                          "' as a source (table '" + scan.table + "')");
}

void make_sink(stream<row>& in, const plan_node& sink, const std::string& uid) {
  const std::string connector = option(sink, "connector");
  std::vector<logical_type> types;
  for (const auto& c : sink.sink_columns.empty() ? sink.schema : sink.sink_columns)
    types.push_back(c.type);
  row_layout layout(types);
  const std::int64_t parallelism = int_option(sink, "sink.parallelism", 0);
  auto finish = [&](auto handle) {
    handle.uid(uid);
    if (parallelism > 0)
      handle.set_parallelism(static_cast<int>(parallelism));
  };
  if (connector == "print") {
    check_options(sink, {"print-identifier", "standard-error", "sink.parallelism"});
    if (option(sink, "standard-error", "false") == "true")
      throw error(errc::invalid_argument, "not supported yet: print 'standard-error' = 'true'");
    finish(
        in.add_sink(print_sink<row>([layout](const row& r) { return to_print_string(r, layout); },
                                    option(sink, "print-identifier")))
            .name("Sink: " + sink.table + "[print]"));
    return;
  }
  if (connector == "blackhole") {
    check_options(sink, {"sink.parallelism"});
    finish(in.add_sink(discard_sink<row>()).name("Sink: " + sink.table + "[blackhole]"));
    return;
  }
  if (connector == "filesystem")
    return filesystem_table_sink(in, sink, uid);
  if (connector == "kafka" || connector == "upsert-kafka")
    return kafka_table_sink(in, sink, uid, connector == "upsert-kafka");
  if (connector == "redis")
    return redis_table_sink(in, sink, uid);
  throw error(errc::invalid_argument, "not supported yet: connector '" + connector +
                                          "' as a sink (table '" + sink.table + "')");
}

} // namespace spate::sql::detail
