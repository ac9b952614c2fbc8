// WindowAggregate and GroupAggregate: rows keyed by their group key (its columns as bytes).
// TUMBLE and HOP run on the window operator of the DataStream API (keyed state on RocksDB,
// timers on the watermark, late rows dropped), CUMULATE on a keyed process function with a map
// of windows per key, GroupAggregate on one with an accumulator per key; each keeps one
// accumulator row (plus COUNT(DISTINCT)'s sorted values) per key and window.
#include <algorithm>
#include <unordered_map>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "spate/api/process.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "spate/core/hash.hpp"
#include "spate/core/log.hpp"
#include "spate/sqlrt/expr.hpp"
#include "group_key.hpp"
#include "state_ttl.hpp"
#include "translate.hpp"

namespace spate::sql {

//! The distinct values of a COUNT(DISTINCT ...): hash sets, so a row costs one lookup however
//! many values there are. Encoded as a msgpack
//! array of the keys, in no particular order.
class distinct_set {
public:
  //! Adds `key` (a string's bytes); false if it was there.
  bool insert(std::string key) { return keys_.insert(std::move(key)).second; }
  //! Adds a value kept in one 8-byte slot (numbers, dates, times: its raw bits), in an
  //! open-addressing table of words: no string and no node per value. Keys read back from a
  //! snapshot (8-byte strings) move into the table first.
  bool insert_word(std::uint64_t v) {
    if (!keys_.empty())
      to_words();
    if (v == empty_word) {
      const bool added = !has_empty_word_;
      has_empty_word_ = true;
      return added;
    }
    if ((words_size_ + 1) * 2 > words_.size())
      grow();
    const std::size_t mask = words_.size() - 1;
    for (std::size_t i = mix(v) & mask;; i = (i + 1) & mask) {
      if (words_[i] == v)
        return false;
      if (words_[i] == empty_word) {
        words_[i] = v;
        ++words_size_;
        return true;
      }
    }
  }
  void insert_all(const distinct_set& other) {
    keys_.insert(other.keys_.begin(), other.keys_.end());
    other.for_each_word([this](std::uint64_t w) { insert_word(w); });
  }
  std::size_t size() const { return keys_.size() + words_size_ + (has_empty_word_ ? 1 : 0); }

  // Encoded as a msgpack array of the keys, words as their 8 bytes, in no particular order.
  template <class Packer>
  void msgpack_pack(Packer& pk) const {
    pk.pack_array(static_cast<std::uint32_t>(size()));
    for (const std::string& k : keys_)
      pk.pack(k);
    for_each_word([&pk](std::uint64_t w) {
      pk.pack_str(8);
      pk.pack_str_body(reinterpret_cast<const char*>(&w), 8);
    });
  }
  void msgpack_unpack(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY)
      throw msgpack::type_error();
    *this = distinct_set();
    keys_.reserve(o.via.array.size);
    for (std::uint32_t i = 0; i < o.via.array.size; ++i)
      keys_.insert(o.via.array.ptr[i].as<std::string>());
  }
  void msgpack_object(msgpack::object* o, msgpack::zone& z) const {
    const std::size_t n = size();
    o->type = msgpack::type::ARRAY;
    o->via.array.size = static_cast<std::uint32_t>(n);
    o->via.array.ptr =
        n == 0 ? nullptr
               : static_cast<msgpack::object*>(z.allocate_align(
                     sizeof(msgpack::object) * n, MSGPACK_ZONE_ALIGNOF(msgpack::object)));
    std::size_t at = 0;
    for (const std::string& k : keys_)
      o->via.array.ptr[at++] = msgpack::object(k, z);
    for_each_word([&](std::uint64_t w) {
      o->via.array.ptr[at++] =
          msgpack::object(std::string(reinterpret_cast<const char*>(&w), 8), z);
    });
  }

private:
  static constexpr std::uint64_t empty_word = 0x8000000000000000ull;
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
  }
  template <class F>
  void for_each_word(F f) const {
    if (has_empty_word_)
      f(empty_word);
    for (std::uint64_t w : words_)
      if (w != empty_word)
        f(w);
  }
  void grow() {
    std::vector<std::uint64_t> old = std::move(words_);
    words_.assign(old.empty() ? 16 : old.size() * 2, empty_word);
    words_size_ = 0;
    for (std::uint64_t w : old)
      if (w != empty_word)
        insert_word(w);
  }
  void to_words() {
    std::unordered_set<std::string> keys = std::move(keys_);
    keys_.clear();
    for (const std::string& k : keys) {
      if (k.size() != 8)
        throw error(errc::corrupt, "SQL COUNT(DISTINCT) state: a " + std::to_string(k.size()) +
                                       "-byte key in a set of 8-byte values");
      std::uint64_t w;
      std::memcpy(&w, k.data(), 8);
      insert_word(w);
    }
  }

  std::unordered_set<std::string> keys_;
  std::vector<std::uint64_t> words_;
  std::size_t words_size_ = 0;
  bool has_empty_word_ = false;
};

//! What a window keeps per key and window: the accumulator slots and, for COUNT(DISTINCT),
//! the distinct values seen.
struct window_accumulator {
  row values;
  std::vector<distinct_set> distinct;
  SPATE_FIELDS(values, distinct);
};

//! What a GroupAggregate over an updating input keeps per key: the accumulator slots (SUM and
//! AVG with their count of non-null values), the number of rows the key holds (the key's
//! state goes when it reaches 0), and for MIN, MAX and COUNT(DISTINCT) the values with their
//! multiplicities, sorted by an order-preserving encoding, so a retracted extreme falls back
//! to the next one (Flink's MaxWithRetractAggFunction and its kin keep a map view alike).
struct retract_accumulator {
  row values;
  std::int64_t rows = 0;
  std::vector<std::vector<std::pair<std::string, std::int64_t>>> counted;
  SPATE_FIELDS(values, rows, counted);
};

//! OverAggregate state: rows with their time, in order.
struct over_entry {
  std::int64_t time = 0;
  row r;
  SPATE_FIELDS(time, r);
};
struct over_rows {
  std::vector<over_entry> rows;
  SPATE_FIELDS(rows);
};

namespace detail {

namespace {

enum class agg_kind : std::uint8_t { count_star, count, sum, min, max, avg, count_distinct };

struct agg_slot {
  agg_kind kind = agg_kind::count_star;
  std::size_t arg = 0;      //!< input slot
  logical_type arg_type;    //!< the argument's type
  long filter = -1;         //!< input slot of the FILTER condition
  std::size_t acc = 0;      //!< first accumulator slot
  std::size_t distinct = 0; //!< index into window_accumulator::distinct
  logical_type result_type;
};

struct agg_plan {
  std::vector<agg_slot> aggs;
  row_layout acc_layout;
  row_layout result_layout; //!< one column per aggregate
  std::size_t distinct_sets = 0;
};

//! Sum and average arithmetic domain of an argument.
bool floating(const logical_type& t) { return slot_kind_of(t) == slot_kind::floating; }

//! MIN or MAX: keeps slot `from_slot` of `from` in `acc`'s slot when it is the new extreme
//! (or the first value).
void keep_extreme(const agg_slot& s, const row& from, std::size_t from_slot, row& acc) {
  if (from.is_null(from_slot))
    return;
  const bool str = slot_kind_of(s.arg_type) == slot_kind::string;
  if (acc.is_null(s.acc)) {
    acc.copy_slot(from, from_slot, s.acc, str);
    return;
  }
  int c = 0;
  switch (slot_kind_of(s.arg_type)) {
    case slot_kind::string: {
      auto x = from.get_string(from_slot), y = acc.get_string(s.acc);
      c = x < y ? -1 : x == y ? 0 : 1;
      break;
    }
    case slot_kind::floating: {
      double x = from.get_double(from_slot), y = acc.get_double(s.acc);
      c = x < y ? -1 : x == y ? 0 : 1;
      break;
    }
    default: {
      std::int64_t x = from.get_long(from_slot), y = acc.get_long(s.acc);
      c = x < y ? -1 : x == y ? 0 : 1;
    }
  }
  if ((s.kind == agg_kind::min && c < 0) || (s.kind == agg_kind::max && c > 0))
    acc.copy_slot(from, from_slot, s.acc, str);
}

//! AVG's result from its sum and count (NULL for none), at the result type's scale.
void put_average(const agg_slot& s, const row& acc, std::int64_t n, row& out, std::size_t i) {
  if (n == 0 || acc.is_null(s.acc))
    return;
  if (floating(s.arg_type)) {
    out.set_double(i, acc.get_double(s.acc) / static_cast<double>(n));
  } else if (slot_kind_of(s.result_type) == slot_kind::decimal) {
    // sum at the argument's scale, result at the result's
    long double v = static_cast<long double>(acc.get_long(s.acc)) / n;
    for (int k = s.arg_type.kind == logical_kind::decimal ? s.arg_type.scale : 0;
         k < s.result_type.scale; ++k)
      v *= 10;
    out.set_long(i, static_cast<std::int64_t>(v < 0 ? v - 0.5L : v + 0.5L));
  } else if (floating(s.result_type)) {
    out.set_double(i, static_cast<double>(acc.get_long(s.acc)) / static_cast<double>(n));
  } else {
    out.set_long(i, acc.get_long(s.acc) / n);
  }
}

//! SUM's result from its sum, in the result type's representation.
void put_sum(const agg_slot& s, const row& acc, row& out, std::size_t i) {
  if (!acc.is_null(s.acc) && floating(s.arg_type) && !floating(s.result_type))
    out.set_long(i, static_cast<std::int64_t>(acc.get_double(s.acc)));
  else if (!acc.is_null(s.acc) && !floating(s.arg_type) && floating(s.result_type))
    out.set_double(i, static_cast<double>(acc.get_long(s.acc)));
  else
    out.copy_slot(acc, s.acc, i, false);
}

class sql_window_aggregate {
public:
  using accumulator_type = window_accumulator;
  using result_type = row;

  explicit sql_window_aggregate(std::shared_ptr<const agg_plan> plan) : plan_(std::move(plan)) {}

  window_accumulator create_accumulator() const {
    window_accumulator a;
    a.values.reset(plan_->acc_layout.slots());
    for (const agg_slot& s : plan_->aggs)
      if (s.kind == agg_kind::count_star || s.kind == agg_kind::count ||
          s.kind == agg_kind::count_distinct)
        a.values.set_long(s.acc, 0);
      else if (s.kind == agg_kind::avg)
        a.values.set_long(s.acc + 1, 0);
    a.distinct.resize(plan_->distinct_sets);
    return a;
  }

  window_accumulator add(const row& in, window_accumulator a) const {
    row& acc = a.values;
    for (const agg_slot& s : plan_->aggs) {
      if (s.filter >= 0 && (in.is_null(static_cast<std::size_t>(s.filter)) ||
                            !in.get_bool(static_cast<std::size_t>(s.filter))))
        continue;
      if (s.kind == agg_kind::count_star) {
        acc.set_long(s.acc, acc.get_long(s.acc) + 1);
        continue;
      }
      if (in.is_null(s.arg))
        continue;
      switch (s.kind) {
        case agg_kind::count:
          acc.set_long(s.acc, acc.get_long(s.acc) + 1);
          break;
        case agg_kind::sum:
        case agg_kind::avg:
          if (floating(s.arg_type))
            acc.set_double(s.acc, (acc.is_null(s.acc) ? 0.0 : acc.get_double(s.acc)) +
                                      in.get_double(s.arg));
          else
            acc.set_long(
                s.acc, static_cast<std::int64_t>(static_cast<std::uint64_t>(
                                                     acc.is_null(s.acc) ? 0 : acc.get_long(s.acc)) +
                                                 static_cast<std::uint64_t>(in.get_long(s.arg))));
          if (s.kind == agg_kind::avg)
            acc.set_long(s.acc + 1, acc.get_long(s.acc + 1) + 1);
          break;
        case agg_kind::min:
        case agg_kind::max:
          keep_extreme(s, in, s.arg, acc);
          break;
        case agg_kind::count_distinct: {
          auto& set = a.distinct[s.distinct];
          if (slot_kind_of(s.arg_type) == slot_kind::string
                  ? set.insert(std::string(in.get_string(s.arg)))
                  : set.insert_word(in.raw(s.arg)))
            acc.set_long(s.acc, static_cast<std::int64_t>(set.size()));
          break;
        }
        default:
          break;
      }
    }
    if (acc.string_bytes() > 4096)
      acc.compact(plan_->acc_layout.is_string);
    return a;
  }

  row get_result(const window_accumulator& a) const {
    row out;
    get_result_into(a, out);
    return out;
  }

  //! The result into `out`, which keeps its buffer (no allocation once it is large enough).
  void get_result_into(const window_accumulator& a, row& out) const {
    const row& acc = a.values;
    out.reset(plan_->result_layout.slots());
    for (std::size_t i = 0; i < plan_->aggs.size(); ++i) {
      const agg_slot& s = plan_->aggs[i];
      switch (s.kind) {
        case agg_kind::avg:
          put_average(s, acc, acc.get_long(s.acc + 1), out, i);
          break;
        case agg_kind::sum:
          put_sum(s, acc, out, i);
          break;
        default:
          out.copy_slot(acc, s.acc, i, slot_kind_of(s.result_type) == slot_kind::string);
      }
    }
  }

  //! Merging (session) windows merge their accumulators; TUMBLE and HOP never do.
  window_accumulator merge(window_accumulator a, const window_accumulator& b) const {
    row& x = a.values;
    const row& y = b.values;
    for (const agg_slot& s : plan_->aggs) {
      switch (s.kind) {
        case agg_kind::count_star:
        case agg_kind::count:
          x.set_long(s.acc, x.get_long(s.acc) + y.get_long(s.acc));
          break;
        case agg_kind::count_distinct: {
          auto& set = a.distinct[s.distinct];
          set.insert_all(b.distinct[s.distinct]);
          x.set_long(s.acc, static_cast<std::int64_t>(set.size()));
          break;
        }
        case agg_kind::sum:
        case agg_kind::avg:
          if (s.kind == agg_kind::avg)
            x.set_long(s.acc + 1, x.get_long(s.acc + 1) + y.get_long(s.acc + 1));
          if (y.is_null(s.acc))
            break;
          if (x.is_null(s.acc))
            x.copy_slot(y, s.acc, s.acc, false);
          else if (floating(s.arg_type))
            x.set_double(s.acc, x.get_double(s.acc) + y.get_double(s.acc));
          else
            x.set_long(s.acc,
                       static_cast<std::int64_t>(static_cast<std::uint64_t>(x.get_long(s.acc)) +
                                                 static_cast<std::uint64_t>(y.get_long(s.acc))));
          break;
        case agg_kind::min:
        case agg_kind::max:
          keep_extreme(s, y, s.acc, x);
          break;
      }
    }
    return a;
  }

private:
  std::shared_ptr<const agg_plan> plan_;
};

//! A group key as bytes: per key slot a tag (0 null, 1 value), then the slot's 8 bytes or, for a
//! string, its 4-byte length and bytes. A single BIGINT key takes 9 bytes, which a std::string
//! keeps without allocating.
//! Builds an output row: the group key's columns, the aggregates, then window_start,
//! window_end and window_time.
struct output_builder {
  std::shared_ptr<const group_key> key;
  std::shared_ptr<const row_layout> out_layout;
  std::size_t nkeys = 0;
  std::size_t naggs = 0;

  //! A GroupAggregate's output row of kind `kind` for key `k` with result `res`.
  template <class Context>
  void emit(Context& ctx, std::string_view k, const row& res, row_kind kind) const {
    row o;
    build(k, 0, 0, res, o);
    o.set_kind(kind);
    ctx.output(std::move(o));
  }

  void build(std::string_view k, std::int64_t start, std::int64_t end, const row& res,
             row& o) const {
    o.reset(out_layout->slots());
    key->decode(k, o);
    std::size_t col = nkeys;
    for (std::size_t i = 0; i < naggs; ++i, ++col)
      o.copy_slot(res, i, out_layout->first[col],
                  out_layout->is_string[out_layout->first[col]] != 0);
    for (std::size_t c = col; c < out_layout->columns.size(); ++c) {
      const std::size_t which = c - col;
      o.set_long(out_layout->first[c], which == 0 ? start : which == 1 ? end : end - 1);
    }
  }
};

//! CUMULATE windows, which the window operator has no assigner for: per key a map from window
//! end to accumulator in keyed state, and an event-time timer at each window's end - 1.
class cumulate_function final : public keyed_process_function<std::string, row, row> {
public:
  cumulate_function(sql_window_aggregate agg, output_builder out, window_def w)
      : agg_(std::move(agg)), out_(std::move(out)), w_(std::move(w)) {}

  void open(runtime_context& rc) override {
    windows_ = &rc.state->get_map_state(
        map_state_descriptor<std::int64_t, window_accumulator>{"cumulate-windows"});
  }

  void process_element(const row& r, context& ctx) override {
    const timestamp ts = ctx.record_timestamp();
    if (ts == no_timestamp)
      return;
    const std::int64_t start = window_start_with_offset(ts, w_.offset, w_.size);
    const timestamp wm = ctx.timer_service().current_watermark();
    for (std::int64_t end = start + w_.step; end <= start + w_.size; end += w_.step) {
      if (ts >= end || end - 1 <= wm)
        continue; // not in this window, or late for it
      std::optional<window_accumulator> acc = windows_->get(end);
      windows_->put(end, agg_.add(r, acc ? std::move(*acc) : agg_.create_accumulator()));
      ctx.timer_service().register_event_time_timer(end - 1);
    }
  }

  void on_timer(timestamp t, context& ctx) override {
    const std::int64_t end = t + 1;
    std::optional<window_accumulator> acc = windows_->get(end);
    if (!acc)
      return;
    windows_->remove(end);
    row o;
    out_.build(ctx.current_key(), window_start_with_offset(end - 1, w_.offset, w_.size), end,
               agg_.get_result(*acc), o);
    ctx.output(std::move(o));
  }

private:
  sql_window_aggregate agg_;
  output_builder out_;
  window_def w_;
  map_state<std::int64_t, window_accumulator>* windows_ = nullptr;
};

//! A window's accumulator with its start and end.
struct windowed_accumulator {
  std::int64_t start = 0;
  std::int64_t end = 0;
  window_accumulator acc;
  SPATE_FIELDS(start, end, acc);
};

//! A key's open windows (a few: those the watermark has not passed), in no particular order.
struct column_windows {
  std::vector<windowed_accumulator> windows;
  SPATE_FIELDS(windows);
};

//! The state a window_columns_function kept its open windows in before 'open-windows': a map
//! state from window end to legacy_windowed_accumulator, one RocksDB entry per key and window.
//! Savepoints taken by that code hold it; open() moves its entries into 'open-windows'.
constexpr const char* legacy_windows_state = "column-windows";

//! A 'column-windows' entry's value: the window's start and accumulator (its end is the key).
struct legacy_windowed_accumulator {
  std::int64_t start = 0;
  window_accumulator acc;
  SPATE_FIELDS(start, acc);
};

//! A window aggregate over rows that already carry their window (window_start and
//! window_end columns): below it a window table function with a filter or projection in
//! between, or an earlier window aggregate (a cascade, grouped by its window_start and
//! window_end). Per key its open windows' accumulators in one value of keyed state (the
//! state's cache holds it: a row costs no read or write of RocksDB) and an event-time timer
//! at each window's end - 1 (the window_time), as the window operator fires; rows of a
//! window the watermark passed are late, dropped and counted.
class window_columns_function final : public keyed_process_function<std::string, row, row> {
public:
  window_columns_function(sql_window_aggregate agg, output_builder out, std::size_t start_slot,
                          std::size_t end_slot)
      : agg_(std::move(agg)), out_(std::move(out)), start_slot_(start_slot), end_slot_(end_slot) {}

  void open(runtime_context& rc) override {
    windows_ = &rc.state->get_value_state(value_state_descriptor<column_windows>{"open-windows"});
    late_ = &rc.counter("numLateRecordsDropped");
    migrate_legacy_windows(*rc.state, rc.task_name);
  }

  void process_element(const row& r, context& ctx) override {
    if (r.is_null(start_slot_) || r.is_null(end_slot_))
      return;
    const std::int64_t start = r.get_long(start_slot_), end = r.get_long(end_slot_);
    if (end - 1 <= ctx.timer_service().current_watermark()) {
      late_->fetch_add(1, std::memory_order_relaxed);
      return;
    }
    column_windows* ws = windows_->mutate();
    if (!ws) {
      windows_->update(column_windows{});
      ws = windows_->mutate();
    }
    for (windowed_accumulator& w : ws->windows)
      if (w.end == end) {
        w.acc = agg_.add(r, std::move(w.acc));
        return;
      }
    windowed_accumulator& w = ws->windows.emplace_back();
    w.start = start;
    w.end = end;
    w.acc = agg_.add(r, agg_.create_accumulator());
    ctx.timer_service().register_event_time_timer(end - 1);
  }

  void on_timer(timestamp t, context& ctx) override {
    const std::int64_t end = t + 1;
    column_windows* ws = windows_->mutate();
    if (!ws)
      return;
    for (std::size_t i = 0; i < ws->windows.size(); ++i) {
      if (ws->windows[i].end != end)
        continue;
      windowed_accumulator w = std::move(ws->windows[i]);
      ws->windows.erase(ws->windows.begin() + static_cast<std::ptrdiff_t>(i));
      if (ws->windows.empty())
        windows_->clear();
      row o;
      out_.build(ctx.current_key(), w.start, end, agg_.get_result(w.acc), o);
      ctx.output(std::move(o));
      return;
    }
  }

private:
  //! Moves the open windows of a savepoint taken before 'open-windows' existed (its
  //! 'column-windows' entries) into 'open-windows', key by key, and deletes them. Runs in
  //! open(): the restore has put the savepoint's entries into the backend by then, and no record
  //! or timer has come yet. Their timers (at each window's end - 1, per key) were restored as
  //! they were and find the windows where they now are. A subtask whose backend holds no such
  //! state (a new job, or one restored from a later snapshot) does nothing. An entry that
  //! cannot be read, or a window both layouts hold, refuses the restore (errc::state) rather
  //! than drop an open window.
  void migrate_legacy_windows(keyed_state_backend& b, const std::string& task) {
    const std::vector<std::string> names = b.state_names();
    if (std::find(names.begin(), names.end(), legacy_windows_state) == names.end())
      return;
    struct legacy_entry {
      int key_group = 0;
      std::string raw_key; //!< the RocksDB key after its key group: key, then window end
      std::size_t key_size = 0;
      std::int64_t end = 0;
      legacy_windowed_accumulator w;
    };
    std::vector<legacy_entry> entries;
    auto refuse = [&](int key_group, const std::string& why) {
      return error(errc::state, "'" + task + "': cannot move the open windows of state '" +
                                    legacy_windows_state +
                                    "' (a savepoint's, from before 'open-windows') into "
                                    "'open-windows': key group " +
                                    std::to_string(key_group) + ": " + why);
    };
    b.for_each_raw(legacy_windows_state, b.key_groups(),
                   [&](int kg, std::string_view rest, std::string_view value) {
                     // The map state's key: the group key (msgpack), the default namespace
                     // (no bytes), the window end (msgpack).
                     legacy_entry& e = entries.emplace_back();
                     e.key_group = kg;
                     e.raw_key.assign(rest);
                     try {
                       e.key_size = check_untrusted(rest.data(), rest.size(), 0, decode_limits{},
                                                    "the group key");
                       e.end = decode<std::int64_t>(rest.substr(e.key_size), "the window end");
                       e.w = decode<legacy_windowed_accumulator>(value, "the window's value");
                     } catch (const spate::error& ex) {
                       throw refuse(kg, ex.what());
                     }
                   });
    if (entries.empty())
      return;
    std::size_t keys = 0;
    for (std::size_t i = 0; i < entries.size();) {
      const legacy_entry& first = entries[i];
      const std::string_view key(first.raw_key.data(), first.key_size);
      b.set_current_key_raw(first.key_group, key);
      b.set_default_namespace();
      column_windows* ws = windows_->mutate();
      if (!ws) {
        windows_->update(column_windows{});
        ws = windows_->mutate();
      }
      // for_each_raw goes in key order: a key's windows are next to each other.
      for (; i < entries.size() && entries[i].key_group == first.key_group &&
             std::string_view(entries[i].raw_key.data(), entries[i].key_size) == key;
           ++i) {
        legacy_entry& e = entries[i];
        for (const windowed_accumulator& w : ws->windows)
          if (w.end == e.end)
            throw refuse(e.key_group, "both states hold the window ending at " +
                                          std::to_string(e.end) + " of one key");
        windowed_accumulator& w = ws->windows.emplace_back();
        w.start = e.w.start;
        w.end = e.end;
        w.acc = std::move(e.w.acc);
      }
      ++keys;
    }
    for (const legacy_entry& e : entries)
      b.delete_raw(legacy_windows_state, e.key_group, e.raw_key);
    log().info("'{}': moved {} open windows of {} keys from state '{}' into 'open-windows'", task,
               entries.size(), keys, legacy_windows_state);
  }

  sql_window_aggregate agg_;
  output_builder out_;
  std::size_t start_slot_, end_slot_;
  value_state<column_windows>* windows_ = nullptr;
  std::atomic<std::int64_t>* late_ = nullptr;
};

//! What a window or group aggregate is made of: its key's codec, its output rows and its
//! accumulator functions.
struct aggregation {
  std::shared_ptr<const group_key> key;
  output_builder builder;
  sql_window_aggregate agg;
  std::shared_ptr<const agg_plan> plan;
};

//! With `retracting`, SUM keeps a count of its non-null values beside the sum, as AVG does.
aggregation plan_aggregation(const row_layout& in_layout, const plan_node& node,
                             bool retracting = false) {
  // Group keys: input columns into a key row.
  std::vector<std::size_t> key_columns;
  for (int k : node.group_keys) {
    if (k < 0 || static_cast<std::size_t>(k) >= in_layout.columns.size())
      throw error(errc::invalid_argument, "not supported yet: grouping on a window column");
    key_columns.push_back(static_cast<std::size_t>(k));
  }

  auto plan = std::make_shared<agg_plan>();
  std::vector<logical_type> acc_types, result_types;
  for (const agg_call& call : node.aggregates) {
    agg_slot s;
    const std::string& f = call.function;
    if (f == "COUNT")
      s.kind = call.star || call.args.empty() ? agg_kind::count_star
               : call.distinct                ? agg_kind::count_distinct
                                              : agg_kind::count;
    else if (f == "SUM" && !call.distinct)
      s.kind = agg_kind::sum;
    else if (f == "MIN")
      s.kind = agg_kind::min;
    else if (f == "MAX")
      s.kind = agg_kind::max;
    else if (f == "AVG" && !call.distinct)
      s.kind = agg_kind::avg;
    else
      throw error(errc::invalid_argument, "not supported yet: aggregate function " + f +
                                              (call.distinct ? "(DISTINCT ...)" : "") +
                                              " in an aggregation");
    if (s.kind != agg_kind::count_star) {
      if (call.args.size() != 1)
        throw error(errc::invalid_argument, "not supported yet: " + f + " of several arguments");
      const auto col = static_cast<std::size_t>(call.args[0]);
      if (col >= in_layout.columns.size())
        throw error(errc::invalid_argument, "not supported yet: aggregating a window column");
      s.arg = in_layout.first[col];
      s.arg_type = in_layout.columns[col];
      if (s.arg_type.kind == logical_kind::row)
        throw error(errc::invalid_argument, "not supported yet: aggregating ROW values");
    }
    if (call.filter >= 0)
      s.filter = static_cast<long>(in_layout.first[static_cast<std::size_t>(call.filter)]);
    s.result_type = call.type;
    s.acc = acc_types.size();
    switch (s.kind) {
      case agg_kind::count_star:
      case agg_kind::count:
        acc_types.push_back(make_type(logical_kind::bigint));
        break;
      case agg_kind::count_distinct:
        acc_types.push_back(make_type(logical_kind::bigint));
        s.distinct = plan->distinct_sets++;
        break;
      case agg_kind::avg:
        acc_types.push_back(floating(s.arg_type) ? make_type(logical_kind::double_) : s.arg_type);
        acc_types.push_back(make_type(logical_kind::bigint));
        break;
      case agg_kind::sum:
        acc_types.push_back(s.arg_type);
        if (retracting)
          acc_types.push_back(make_type(logical_kind::bigint));
        break;
      default:
        acc_types.push_back(s.arg_type);
    }
    result_types.push_back(call.type);
    plan->aggs.push_back(s);
  }
  plan->acc_layout = row_layout(acc_types);
  plan->result_layout = row_layout(result_types);
  auto out_layout = std::make_shared<const row_layout>(layout_of(node));
  const std::size_t nkeys = key_columns.size();
  const std::size_t naggs = plan->aggs.size();

  auto gk = std::make_shared<group_key>();
  for (std::size_t i = 0; i < key_columns.size(); ++i) {
    const std::size_t c = key_columns[i];
    for (std::size_t w2 = 0; w2 < in_layout.width[c]; ++w2) {
      gk->in_slots.push_back(in_layout.first[c] + w2);
      gk->out_slots.push_back(out_layout->first[i] + w2);
      gk->is_string.push_back(in_layout.is_string[in_layout.first[c] + w2]);
    }
  }
  std::shared_ptr<const group_key> key_codec = gk;
  output_builder builder{key_codec, out_layout, nkeys, naggs};
  sql_window_aggregate agg{std::shared_ptr<const agg_plan>(plan)};
  return aggregation{key_codec, builder, agg, plan};
}

//! An encoding of a slot's value whose byte order is the value's order (integers and
//! DECIMAL's unscaled value with the sign bit flipped, big-endian; doubles by IEEE 754's total
//! order trick; strings as their bytes), and back.
std::string order_key(const row& r, std::size_t slot, slot_kind k) {
  if (k == slot_kind::string)
    return std::string(r.get_string(slot));
  std::uint64_t b;
  if (k == slot_kind::floating) {
    const double d = r.get_double(slot);
    std::memcpy(&b, &d, 8);
    b = (b >> 63) != 0 ? ~b : b | (1ull << 63);
  } else {
    b = static_cast<std::uint64_t>(r.get_long(slot)) ^ (1ull << 63);
  }
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, b >>= 8)
    out[static_cast<std::size_t>(i)] = static_cast<char>(b & 0xff);
  return out;
}

void put_order_key(std::string_view key, row& o, std::size_t slot, slot_kind k) {
  if (k == slot_kind::string) {
    o.set_string(slot, key);
    return;
  }
  std::uint64_t b = 0;
  for (std::size_t i = 0; i < 8 && i < key.size(); ++i)
    b = (b << 8) | static_cast<unsigned char>(key[i]);
  if (k == slot_kind::floating) {
    b = (b >> 63) != 0 ? b & ~(1ull << 63) : ~b;
    double d;
    std::memcpy(&d, &b, 8);
    o.set_double(slot, d);
  } else {
    o.set_long(slot, static_cast<std::int64_t>(b ^ (1ull << 63)));
  }
}

//! Accumulate and retract for a GroupAggregate over an updating input: +I and +U rows add,
//! -U and -D rows take away (Flink's retract() of each aggregate function).
class retracting_aggregate {
public:
  explicit retracting_aggregate(std::shared_ptr<const agg_plan> plan) : plan_(std::move(plan)) {
    for (const agg_slot& s : plan_->aggs)
      if (s.kind == agg_kind::min || s.kind == agg_kind::max || s.kind == agg_kind::count_distinct)
        counted_.push_back(&s - plan_->aggs.data());
  }

  retract_accumulator create() const {
    retract_accumulator a;
    a.values.reset(plan_->acc_layout.slots());
    for (const agg_slot& s : plan_->aggs)
      if (s.kind == agg_kind::count_star || s.kind == agg_kind::count ||
          s.kind == agg_kind::count_distinct)
        a.values.set_long(s.acc, 0);
      else if (s.kind == agg_kind::avg || s.kind == agg_kind::sum)
        a.values.set_long(s.acc + 1, 0);
    a.counted.resize(counted_.size());
    return a;
  }

  //! Adds (`sign` 1) or takes away (-1) one input row.
  void apply(const row& in, int sign, retract_accumulator& a) const {
    row& acc = a.values;
    a.rows += sign;
    std::size_t counted = 0;
    for (const agg_slot& s : plan_->aggs) {
      const bool has_set =
          s.kind == agg_kind::min || s.kind == agg_kind::max || s.kind == agg_kind::count_distinct;
      const std::size_t set_index = has_set ? counted++ : 0;
      if (s.filter >= 0 && (in.is_null(static_cast<std::size_t>(s.filter)) ||
                            !in.get_bool(static_cast<std::size_t>(s.filter))))
        continue;
      if (s.kind == agg_kind::count_star) {
        acc.set_long(s.acc, acc.get_long(s.acc) + sign);
        continue;
      }
      if (in.is_null(s.arg))
        continue;
      switch (s.kind) {
        case agg_kind::count:
          acc.set_long(s.acc, acc.get_long(s.acc) + sign);
          break;
        case agg_kind::sum:
        case agg_kind::avg:
          if (floating(s.arg_type))
            acc.set_double(s.acc, (acc.is_null(s.acc) ? 0.0 : acc.get_double(s.acc)) +
                                      sign * in.get_double(s.arg));
          else
            acc.set_long(s.acc, static_cast<std::int64_t>(
                                    static_cast<std::uint64_t>(
                                        acc.is_null(s.acc) ? 0 : acc.get_long(s.acc)) +
                                    static_cast<std::uint64_t>(sign) *
                                        static_cast<std::uint64_t>(in.get_long(s.arg))));
          acc.set_long(s.acc + 1, acc.get_long(s.acc + 1) + sign);
          break;
        case agg_kind::min:
        case agg_kind::max:
        case agg_kind::count_distinct: {
          auto& set = a.counted[set_index];
          std::string k = order_key(in, s.arg, slot_kind_of(s.arg_type));
          auto it = std::lower_bound(set.begin(), set.end(), k,
                                     [](const std::pair<std::string, std::int64_t>& e,
                                        const std::string& x) { return e.first < x; });
          if (it == set.end() || it->first != k)
            it = set.insert(it, {std::move(k), 0});
          it->second += sign;
          if (it->second == 0)
            set.erase(it);
          if (s.kind == agg_kind::count_distinct)
            acc.set_long(s.acc, static_cast<std::int64_t>(set.size()));
          break;
        }
        default:
          break;
      }
    }
  }

  row result(const retract_accumulator& a) const {
    const row& acc = a.values;
    row out(plan_->result_layout.slots());
    std::size_t counted = 0;
    for (std::size_t i = 0; i < plan_->aggs.size(); ++i) {
      const agg_slot& s = plan_->aggs[i];
      switch (s.kind) {
        case agg_kind::min:
        case agg_kind::max: {
          const auto& set = a.counted[counted++];
          if (!set.empty())
            put_order_key(s.kind == agg_kind::min ? set.front().first : set.back().first, out, i,
                          slot_kind_of(s.arg_type));
          break;
        }
        case agg_kind::count_distinct:
          ++counted;
          out.set_long(i, acc.get_long(s.acc));
          break;
        case agg_kind::sum:
          if (acc.get_long(s.acc + 1) != 0) // SUM of no values is NULL
            put_sum(s, acc, out, i);
          break;
        case agg_kind::avg:
          put_average(s, acc, acc.get_long(s.acc + 1), out, i);
          break;
        default:
          out.copy_slot(acc, s.acc, i, slot_kind_of(s.result_type) == slot_kind::string);
      }
    }
    return out;
  }

private:
  std::shared_ptr<const agg_plan> plan_;
  std::vector<std::size_t> counted_;
};

//! The rows of a mini-batch by group key, keys in the order they first came, rows in arrival
//! order (Flink's MiniBatchGroupAggFunction buffers them alike, per bundle). The groups, their
//! keys' and rows' buffers and the index (open addressing over the groups) are kept across
//! batches: a batch of keys seen before allocates nothing.
struct bundle_groups {
  struct key_rows {
    std::string key;
    std::uint64_t hash = 0;
    std::vector<std::size_t> rows;
  };
  std::shared_ptr<const group_key> codec;
  bool on = false;
  std::vector<key_rows> groups; //!< the first `used` are this batch's
  std::size_t used = 0;
  std::vector<std::uint32_t> index; //!< group + 1 per slot, 0 empty; a power of two long
  std::string scratch;
  //! How many rows ahead group() asks for a row's bytes.
  static constexpr std::size_t prefetch_distance = 8;

  bundle_groups(std::shared_ptr<const group_key> c, bool enabled)
      : codec(std::move(c)), on(enabled) {}
  bundle_groups(const bundle_groups& o) : codec(o.codec), on(o.on) {}

  const key_rows* begin() const { return groups.data(); }
  const key_rows* end() const { return groups.data() + used; }

  void group(const std::vector<row>& values) {
    used = 0;
    // At most one group per row, at most half the index full.
    std::size_t cap = index.empty() ? 64 : index.size();
    while (cap < values.size() * 2)
      cap *= 2;
    if (cap != index.size())
      index.assign(cap, 0);
    else
      std::fill(index.begin(), index.end(), 0);
    const std::size_t mask = cap - 1;
    for (std::size_t i = 0; i < values.size(); ++i) {
      // A row's bytes come cold from the task before it (another core, mostly): the first
      // read of its key stalled on memory for most of this loop's time. Fetched some rows
      // ahead, they are in the cache by then (and stay there for the aggregation after).
      if (i + prefetch_distance < values.size()) {
        const std::string& ahead = values[i + prefetch_distance].buffer();
        __builtin_prefetch(ahead.data());
        if (ahead.size() > 64)
          __builtin_prefetch(ahead.data() + 64);
      }
      codec->encode_into(values[i], scratch);
      const std::uint64_t h = hash_bytes(scratch.data(), scratch.size());
      std::size_t at = static_cast<std::size_t>(h) & mask;
      for (;; at = (at + 1) & mask) {
        const std::uint32_t g = index[at];
        if (g == 0) {
          if (used == groups.size())
            groups.emplace_back();
          key_rows& fresh = groups[used];
          fresh.key.assign(scratch);
          fresh.hash = h;
          fresh.rows.clear();
          fresh.rows.push_back(i);
          index[at] = static_cast<std::uint32_t>(++used);
          break;
        }
        key_rows& k = groups[g - 1];
        if (k.hash == h && k.key == scratch) {
          k.rows.push_back(i);
          break;
        }
      }
    }
  }
};

//! What both GroupAggregate functions share: the output rows, mini-batch grouping, the
//! accumulator of type Acc per key in keyed state and its table.exec.state.ttl, under which an
//! idle key's accumulator goes without a retraction (Flink's GroupAggFunction with state TTL:
//! the next row starts the key anew).
template <class Acc>
class group_aggregate_base : public keyed_process_function<std::string, row, row> {
public:
  bool bundles() const override { return bundles_.on; }

  void on_timer(timestamp t, context& ctx) override {
    if (ttl_.due(t, ctx.timer_service()))
      drop();
  }

protected:
  group_aggregate_base(output_builder out, std::shared_ptr<const group_key> key, bool mini_batch)
      : out_(std::move(out)), bundles_(std::move(key), mini_batch) {}

  void open_state(runtime_context& rc, const char* acc_name, const char* ttl_name) {
    acc_ = &rc.state->get_value_state(value_state_descriptor<Acc>{acc_name});
    ttl_.open(rc, ttl_name);
  }

  //! The processing time when a TTL is set (0 otherwise), and the current key's accumulator
  //! dropped when it has been idle for the TTL.
  std::int64_t expire(context& ctx) {
    if (!ttl_.on())
      return 0;
    const std::int64_t now = ctx.timer_service().current_processing_time();
    if (ttl_.expired(now))
      drop();
    return now;
  }

  //! Mini-batch: `per_key(group)` for each key of the batch, in the order the keys first
  //! came, with the key selected and its expired state dropped.
  template <class F>
  void each_key(std::vector<row>& values, const std::vector<timestamp>& ts,
                const std::function<void(const std::string&)>& select, context& ctx, F per_key) {
    bundles_.group(values);
    for (const auto& g : bundles_) {
      select(g.key);
      ctx.set_record(ts[g.rows.back()]);
      per_key(g, expire(ctx));
    }
  }

  void drop() {
    acc_->clear();
    ttl_.clear();
  }

  output_builder out_;
  bundle_groups bundles_;
  value_state<Acc>* acc_ = nullptr;
  idle_state_ttl ttl_;
};

//! GroupAggregate over an updating input, as Flink's GroupAggFunction with retraction: +I/+U
//! accumulate, -U/-D retract (a retraction for a key without state is ignored); the first row
//! of a key emits +I, a change -U (the previous result) and +U (the new), and a key left
//! without rows emits -D of its last result and drops its state.
class retracting_group_aggregate_function final : public group_aggregate_base<retract_accumulator> {
public:
  retracting_group_aggregate_function(retracting_aggregate agg, output_builder out,
                                      std::shared_ptr<const group_key> key, bool mini_batch)
      : group_aggregate_base(std::move(out), std::move(key), mini_batch), agg_(std::move(agg)) {}

  void open(runtime_context& rc) override {
    open_state(rc, "group-retract-accumulator", "group-retract-ttl");
  }

  //! Mini-batch: per key of the batch, all its rows applied in order, then one change out
  //! (+I for a new key, -U/+U when the result changed, -D when the key has no rows left).
  void process_bundle(std::vector<row>& values, const std::vector<timestamp>& ts,
                      const std::function<void(const std::string&)>& select,
                      context& ctx) override {
    each_key(values, ts, select, ctx, [&](const bundle_groups::key_rows& g, std::int64_t now) {
      retract_accumulator* cur = acc_->mutate();
      std::optional<retract_accumulator> fresh;
      std::optional<row> before;
      if (cur)
        before = agg_.result(*cur);
      for (std::size_t i : g.rows) {
        const row& r = values[i];
        const bool retract = r.kind() == row_kind::update_before || r.kind() == row_kind::delete_;
        if (!cur && !fresh) {
          if (retract)
            continue; // a retraction for a key without state is ignored
          fresh = agg_.create();
        }
        agg_.apply(r, retract ? -1 : 1, cur ? *cur : *fresh);
      }
      retract_accumulator* acc = cur ? cur : fresh ? &*fresh : nullptr;
      if (!acc)
        return;
      if (acc->rows <= 0) {
        if (cur)
          drop();
        if (before)
          out_.emit(ctx, g.key, *before, row_kind::delete_);
        return;
      }
      row after = agg_.result(*acc);
      if (!before) {
        out_.emit(ctx, g.key, after, row_kind::insert);
        acc_->update(std::move(*fresh));
      } else if (!(after == *before)) {
        out_.emit(ctx, g.key, *before, row_kind::update_before);
        out_.emit(ctx, g.key, after, row_kind::update_after);
      }
      ttl_.touch(now, ctx.timer_service());
    });
  }

  void process_element(const row& r, context& ctx) override {
    const std::int64_t now = expire(ctx);
    const bool retract = r.kind() == row_kind::update_before || r.kind() == row_kind::delete_;
    retract_accumulator* cur = acc_->mutate();
    if (cur == nullptr) {
      if (retract)
        return;
      retract_accumulator fresh = agg_.create();
      agg_.apply(r, 1, fresh);
      out_.emit(ctx, ctx.current_key(), agg_.result(fresh), row_kind::insert);
      acc_->update(std::move(fresh));
      ttl_.touch(now, ctx.timer_service());
      return;
    }
    row before = agg_.result(*cur);
    agg_.apply(r, retract ? -1 : 1, *cur);
    if (cur->rows <= 0) {
      drop();
      out_.emit(ctx, ctx.current_key(), before, row_kind::delete_);
      return;
    }
    ttl_.touch(now, ctx.timer_service());
    row after = agg_.result(*cur);
    if (after == before)
      return;
    out_.emit(ctx, ctx.current_key(), before, row_kind::update_before);
    out_.emit(ctx, ctx.current_key(), after, row_kind::update_after);
  }

private:
  retracting_aggregate agg_;
};

//! GroupAggregate over an insert-only input: one accumulator per key in keyed state; each row
//! emits +I for a new key, else -U (the previous result) and +U (the new one), nothing when
//! the result did not change (as Flink's GroupAggFunction).
class group_aggregate_function final : public group_aggregate_base<window_accumulator> {
public:
  group_aggregate_function(sql_window_aggregate agg, output_builder out,
                           std::shared_ptr<const group_key> key, bool mini_batch)
      : group_aggregate_base(std::move(out), std::move(key), mini_batch), agg_(std::move(agg)) {}

  void open(runtime_context& rc) override { open_state(rc, "group-accumulator", "group-ttl"); }

  //! Mini-batch: per key of the batch, all its rows added, then +I for a new key or -U/+U
  //! when the result changed.
  void process_bundle(std::vector<row>& values, const std::vector<timestamp>& ts,
                      const std::function<void(const std::string&)>& select,
                      context& ctx) override {
    each_key(values, ts, select, ctx, [&](const bundle_groups::key_rows& g, std::int64_t now) {
      ttl_.touch(now, ctx.timer_service());
      window_accumulator* cur = acc_->mutate();
      if (!cur) {
        window_accumulator fresh = agg_.create_accumulator();
        for (std::size_t i : g.rows)
          fresh = agg_.add(values[i], std::move(fresh));
        out_.emit(ctx, g.key, agg_.get_result(fresh), row_kind::insert);
        acc_->update(std::move(fresh));
        return;
      }
      agg_.get_result_into(*cur, before_);
      for (std::size_t i : g.rows)
        *cur = agg_.add(values[i], std::move(*cur));
      agg_.get_result_into(*cur, after_);
      if (after_ == before_)
        return;
      out_.emit(ctx, g.key, before_, row_kind::update_before);
      out_.emit(ctx, g.key, after_, row_kind::update_after);
    });
  }

  void process_element(const row& r, context& ctx) override {
    ttl_.touch(expire(ctx), ctx.timer_service());
    if (window_accumulator* cur = acc_->mutate()) {
      // The results before and after, in rows kept across records: no allocation for the
      // comparison, only for the rows emitted.
      agg_.get_result_into(*cur, before_);
      *cur = agg_.add(r, std::move(*cur));
      agg_.get_result_into(*cur, after_);
      if (after_ == before_)
        return;
      out_.emit(ctx, ctx.current_key(), before_, row_kind::update_before);
      out_.emit(ctx, ctx.current_key(), after_, row_kind::update_after);
      return;
    }
    window_accumulator fresh = agg_.add(r, agg_.create_accumulator());
    out_.emit(ctx, ctx.current_key(), agg_.get_result(fresh), row_kind::insert);
    acc_->update(std::move(fresh));
  }

private:
  sql_window_aggregate agg_;
  row before_, after_;
};

} // namespace

stream<row> make_window_aggregate(stream<row>& input, const row_layout& in_layout,
                                  const plan_node& node, const std::string& uid, int start_column,
                                  int end_column) {
  const window_def& w = *node.window;
  if (start_column >= 0 || end_column >= 0) {
    if (start_column < 0 || end_column < 0 ||
        static_cast<std::size_t>(std::max(start_column, end_column)) >= in_layout.first.size())
      throw error(errc::invalid_argument, "not supported yet: a window aggregate without both "
                                          "window_start and window_end columns below it");
    if (w.time == time_attribute::proctime)
      throw error(errc::invalid_argument,
                  "not supported yet: window aggregation over an earlier processing-time window");
    aggregation g = plan_aggregation(in_layout, node);
    std::shared_ptr<const group_key> key_codec = g.key;
    auto key_of = [key_codec](const row& r) { return key_codec->encode(r); };
    auto result = input.key_by(key_of).process(window_columns_function(
        g.agg, g.builder, in_layout.first[static_cast<std::size_t>(start_column)],
        in_layout.first[static_cast<std::size_t>(end_column)]));
    result.uid(uid).name(node.describe());
    return result;
  }
  window_assigner assigner;
  const bool event_time = w.time != time_attribute::proctime;
  switch (w.kind) {
    case window_kind::tumble:
      assigner = event_time
                     ? tumbling_event_time_windows::of(std::chrono::milliseconds(w.size),
                                                       std::chrono::milliseconds(w.offset))
                     : tumbling_processing_time_windows::of(std::chrono::milliseconds(w.size),
                                                            std::chrono::milliseconds(w.offset));
      break;
    case window_kind::hop:
      assigner = event_time
                     ? sliding_event_time_windows::of(std::chrono::milliseconds(w.size),
                                                      std::chrono::milliseconds(w.slide),
                                                      std::chrono::milliseconds(w.offset))
                     : sliding_processing_time_windows::of(std::chrono::milliseconds(w.size),
                                                           std::chrono::milliseconds(w.slide),
                                                           std::chrono::milliseconds(w.offset));
      break;
    case window_kind::cumulate:
      if (!event_time)
        throw error(errc::invalid_argument, "not supported yet: CUMULATE on processing time");
      if (w.step <= 0 || w.size % w.step != 0)
        throw error(errc::invalid_argument,
                    "CUMULATE: the max size must be a multiple of the step");
      break;
    case window_kind::session:
      // Sessions per group key (which holds the TVF's PARTITION BY columns), merged as
      // rows close the gaps between them.
      assigner = event_time
                     ? event_time_session_windows::with_gap(std::chrono::milliseconds(w.gap))
                     : processing_time_session_windows::with_gap(std::chrono::milliseconds(w.gap));
      break;
  }

  aggregation g = plan_aggregation(in_layout, node);
  std::shared_ptr<const group_key> key_codec = g.key;
  auto key_of = [key_codec](const row& r) { return key_codec->encode(r); };
  output_builder builder = g.builder;
  sql_window_aggregate agg = g.agg;
  if (w.kind == window_kind::cumulate) {
    auto result = input.key_by(key_of).process(cumulate_function(agg, builder, w));
    result.uid(uid).name(node.describe());
    return result;
  }
  auto emit = [builder](const std::string& key, const time_window& win,
                        const std::vector<row>& results, collector<row>& out) {
    for (const row& res : results)
      builder.build(key, win.start, win.end, res, out.emplace());
  };
  auto result = input.key_by(key_of).window(assigner).aggregate(agg, emit);
  result.uid(uid).name(node.describe());
  return result;
}

//! OverAggregate, as Flink's OverWindow functions: per partition key an accumulator that can
//! retract (the same as a GroupAggregate's over an updating input) and the rows still in the
//! frame. Each row comes out with the aggregates over its frame: ROWS takes the `preceding`
//! rows before it (in time order, then arrival order) and itself; RANGE every row whose time
//! is at most `preceding` ms before its own, its peers of the same time included (they all
//! get one result). Ordered by a rowtime, rows wait in keyed state until the watermark passes
//! their time (an event-time timer at it), so they are taken in time order; a row whose time
//! the watermark has passed is late and dropped. Ordered by a proctime, a ROWS frame takes
//! each row as it comes; a RANGE frame collects the rows of one millisecond and takes them at
//! the next (a processing-time timer), so peers get one result.
class over_aggregate_function final : public keyed_process_function<std::string, row, row> {
public:
  over_aggregate_function(retracting_aggregate agg, std::shared_ptr<const row_layout> in,
                          std::shared_ptr<const row_layout> out, std::size_t time_slot,
                          bool rowtime, bool rows, std::int64_t preceding)
      : agg_(std::move(agg)), in_(std::move(in)), out_(std::move(out)), time_slot_(time_slot),
        rowtime_(rowtime), rows_(rows), preceding_(preceding) {}

  void open(runtime_context& rc) override {
    acc_ = &rc.state->get_value_state(value_state_descriptor<retract_accumulator>{"over-acc"});
    frame_ = &rc.state->get_value_state(value_state_descriptor<over_rows>{"over-frame"});
    waiting_ =
        &rc.state->get_map_state(map_state_descriptor<std::int64_t, over_rows>{"over-waiting"});
    if (rc.counters)
      late_dropped_ = &rc.counter("numLateRecordsDropped");
  }

  void process_element(const row& r, context& ctx) override {
    if (!rowtime_ && rows_) {
      std::vector<over_entry> one(1);
      one[0].time = ctx.timer_service().current_processing_time();
      one[0].r = r;
      take(one, ctx);
      return;
    }
    std::int64_t t;
    if (rowtime_) {
      if (r.is_null(time_slot_))
        return;
      t = r.get_long(time_slot_);
      if (t <= ctx.timer_service().current_watermark()) { // late
        if (late_dropped_)
          late_dropped_->fetch_add(1, std::memory_order_relaxed);
        return;
      }
      ctx.timer_service().register_event_time_timer(t);
    } else {
      t = ctx.timer_service().current_processing_time();
      ctx.timer_service().register_processing_time_timer(t + 1);
    }
    std::optional<over_rows> w = waiting_->get(t);
    if (!w)
      w.emplace();
    w->rows.push_back({t, r});
    waiting_->put(t, std::move(*w));
  }

  void on_timer(timestamp ts, context& ctx) override {
    const std::int64_t t = rowtime_ ? ts : ts - 1;
    std::optional<over_rows> w = waiting_->get(t);
    if (!w)
      return;
    waiting_->remove(t);
    take(w->rows, ctx);
  }

private:
  //! Rows of one time (or one row), in order: into the frame, out with their results.
  void take(std::vector<over_entry>& rows, context& ctx) {
    retract_accumulator* acc = acc_->mutate();
    if (!acc) {
      acc_->update(agg_.create());
      acc = acc_->mutate();
    }
    const bool bounded = preceding_ >= 0;
    over_rows* frame = nullptr;
    if (bounded) {
      frame = frame_->mutate();
      if (!frame) {
        frame_->update(over_rows{});
        frame = frame_->mutate();
      }
    }
    auto emit = [&](const row& r, const row& res) {
      row o;
      o.reserve(r.buffer().size() + res.buffer().size() + out_->slots() * 8);
      o.reset(out_->slots());
      for (std::size_t i = 0; i < in_->slots(); ++i)
        o.copy_slot(r, i, i, in_->is_string[i] != 0);
      const std::size_t first = in_->columns.size();
      for (std::size_t i = 0; i + first < out_->columns.size(); ++i) {
        const std::size_t slot = out_->first[first + i];
        o.copy_slot(res, i, slot, out_->is_string[slot] != 0);
      }
      ctx.output(std::move(o));
    };
    if (rows_) {
      for (over_entry& e : rows) {
        agg_.apply(e.r, 1, *acc);
        if (bounded) {
          frame->rows.push_back(e);
          // The frame: this row and the `preceding` rows before it.
          std::size_t drop = 0;
          while (frame->rows.size() - drop > static_cast<std::size_t>(preceding_) + 1)
            agg_.apply(frame->rows[drop++].r, -1, *acc);
          frame->rows.erase(frame->rows.begin(), frame->rows.begin() + static_cast<long>(drop));
        }
        emit(e.r, agg_.result(*acc));
      }
    } else {
      const std::int64_t t = rows.front().time;
      for (over_entry& e : rows) {
        agg_.apply(e.r, 1, *acc);
        if (bounded)
          frame->rows.push_back(e);
      }
      if (bounded) {
        // The frame: rows of times in [t - preceding, t].
        std::size_t drop = 0;
        while (drop < frame->rows.size() && frame->rows[drop].time < t - preceding_)
          agg_.apply(frame->rows[drop++].r, -1, *acc);
        frame->rows.erase(frame->rows.begin(), frame->rows.begin() + static_cast<long>(drop));
      }
      const row res = agg_.result(*acc);
      for (over_entry& e : rows)
        emit(e.r, res);
    }
  }

  retracting_aggregate agg_;
  std::shared_ptr<const row_layout> in_;
  std::shared_ptr<const row_layout> out_;
  std::size_t time_slot_;
  bool rowtime_;
  bool rows_;
  std::int64_t preceding_;
  value_state<retract_accumulator>* acc_ = nullptr;
  value_state<over_rows>* frame_ = nullptr;
  map_state<std::int64_t, over_rows>* waiting_ = nullptr;
  std::atomic<std::int64_t>* late_dropped_ = nullptr;
};

stream<row> make_over_aggregate(stream<row>& input, const row_layout& in_layout,
                                const plan_node& node, const std::string& uid) {
  // The aggregates as a retracting GroupAggregate keyed by the partition keys has them.
  plan_node as_group = node;
  as_group.group_keys = node.partition_keys;
  as_group.schema.clear();
  for (int k : node.partition_keys)
    as_group.schema.push_back(node.inputs.at(0)->schema.at(static_cast<std::size_t>(k)));
  for (const agg_call& a : node.aggregates)
    as_group.schema.push_back({a.name, a.type, window_property::none, nullptr});
  aggregation g = plan_aggregation(in_layout, as_group, true);
  if (node.order_keys.size() != 1)
    throw error(errc::invalid_argument, "an OVER aggregation without its time column");
  const auto order = static_cast<std::size_t>(node.order_keys[0].first);
  const bool rowtime = in_layout.columns.at(order).is_rowtime();
  std::shared_ptr<const group_key> key_codec = g.key;
  auto key_of = [key_codec](const row& r) { return key_codec->encode(r); };
  auto result = input.key_by(key_of).process(over_aggregate_function(
      retracting_aggregate(g.plan), std::make_shared<const row_layout>(in_layout),
      std::make_shared<const row_layout>(layout_of(node)), in_layout.first[order], rowtime,
      node.over_rows, node.over_preceding));
  result.uid(uid).name(node.describe());
  return result;
}

stream<row> make_group_aggregate(stream<row>& input, const row_layout& in_layout,
                                 const plan_node& node, const std::string& uid, bool mini_batch) {
  const bool updating = !node.inputs.empty() && !node.inputs[0]->changelog.insert_only();
  aggregation g = plan_aggregation(in_layout, node, updating);
  std::shared_ptr<const group_key> key_codec = g.key;
  auto key_of = [key_codec](const row& r) { return key_codec->encode(r); };
  if (updating) {
    auto result = input.key_by(key_of).process(retracting_group_aggregate_function(
        retracting_aggregate(g.plan), g.builder, key_codec, mini_batch));
    result.uid(uid).name(node.describe());
    return result;
  }
  auto result = input.key_by(key_of).process(
      group_aggregate_function(g.agg, g.builder, key_codec, mini_batch));
  result.uid(uid).name(node.describe());
  return result;
}

} // namespace detail

} // namespace spate::sql
