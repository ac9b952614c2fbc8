// Top-N and deduplication of the SQL runtime (translate.hpp): keyed process functions over
// rows keyed by their partition key (its columns as bytes, group_key.hpp), with their state in
// keyed state (RocksDB), so checkpoints, savepoints and rescaling work as for any keyed job.
//
// Rank (ROW_NUMBER() ... WHERE rn <= N) over an insert-only input is Flink's
// AppendOnlyTopNFunction: per partition the best N rows, sorted, ties in arrival order (a row
// equal to the worst of a full top is not taken). A row entering at rank p emits, with the
// rank number in the output, -U/+U for every rank from p to the end of the top (each row
// there moves down one) and +I for the rank the top grows to while it is not full; without
// the rank number, -D of the row that leaves (the N+1th) and +I of the new one. Over an
// updating input it is RetractableTopNFunction: every row of the partition is kept (a
// retraction in the top moves the next one up); +I/+U rows are added as above, a -U/-D row
// removes its equal, emitting -U/+U for every rank from its own to the end of the top as the
// rows below move up, and -D of the last rank when no row is left to fill it (without the
// rank number: -D of the row and +I of the one that comes into the top).
//
// Deduplicate (rn = 1 ordered by a time attribute, rn unread) is Flink's deduplicate
// functions:
//   keep last, rowtime   RowTimeDeduplicateFunction: +I for the first row of a key, then -U of
//                        the kept row and +U of a row whose rowtime is >= its; older rows are
//                        ignored
//   keep first, rowtime  with an updating plan, RowTimeDeduplicateFunction (a row older than
//                        the kept one replaces it with -U/+U); with an insert-only plan,
//                        RowTimeDeduplicateKeepFirstRowFunction: the earliest row waits for
//                        the watermark to pass its rowtime and is emitted once as +I, late
//                        rows are dropped
//   keep last, proctime  +I, then -U/+U per row (nothing for a row equal to the kept one)
//   keep first, proctime +I for the first row of a key, nothing after
//
// Deduplication over an updating input is refused as not supported yet (as in Flink).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/api/process.hpp"
#include "spate/sqlrt/collection.hpp"
#include "spate/core/error.hpp"
#include "group_key.hpp"
#include "state_ttl.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

namespace {

[[noreturn]] void unsupported(const std::string& what) {
  throw error(errc::invalid_argument, "not supported yet: " + what);
}

//! The ORDER BY of a ROW_NUMBER: slots, how to compare them, direction. NULL sorts lowest
//! (first ascending, last descending), as Flink's default null collation.
struct row_order {
  struct key {
    std::size_t slot = 0;
    slot_kind kind = slot_kind::integer;
    bool descending = false;
  };
  std::vector<key> keys;

  //! <0 when `a` ranks before `b`, 0 when they tie, >0 after.
  int compare(const row& a, const row& b) const {
    for (const key& k : keys) {
      const bool an = a.is_null(k.slot), bn = b.is_null(k.slot);
      int c = 0;
      if (an || bn) {
        c = an == bn ? 0 : an ? -1 : 1;
      } else {
        switch (k.kind) {
          case slot_kind::floating: {
            // as Java's Double.compare: NaN after everything, equal to itself
            const double x = a.get_double(k.slot), y = b.get_double(k.slot);
            const bool xn = std::isnan(x), yn = std::isnan(y);
            c = xn || yn ? (xn == yn ? 0 : xn ? 1 : -1) : x < y ? -1 : y < x ? 1 : 0;
            break;
          }
          case slot_kind::string: {
            const int r = a.get_string(k.slot).compare(b.get_string(k.slot));
            c = r < 0 ? -1 : r > 0 ? 1 : 0;
            break;
          }
          default: {
            const std::int64_t x = a.get_long(k.slot), y = b.get_long(k.slot);
            c = x < y ? -1 : y < x ? 1 : 0;
          }
        }
      }
      if (c != 0)
        return k.descending ? -c : c;
    }
    return 0;
  }
};

row_order order_of(const row_layout& in, const plan_node& node) {
  row_order o;
  for (const auto& [col, desc] : node.order_keys) {
    if (col < 0 || static_cast<std::size_t>(col) >= in.columns.size())
      unsupported("ORDER BY on a nested column in ROW_NUMBER()");
    const std::size_t slot = in.first[static_cast<std::size_t>(col)];
    const slot_kind k = in.kinds[slot];
    if (k == slot_kind::nested)
      unsupported("ORDER BY a ROW column in ROW_NUMBER()");
    if (is_collection(in.types[slot]))
      unsupported("ORDER BY an " + to_string(in.types[slot]) + " column in ROW_NUMBER()");
    o.keys.push_back({slot, k, desc});
  }
  return o;
}

//! Builds output rows from kept input rows: all slots, then (with the rank number) rn.
struct rank_output {
  std::shared_ptr<const row_layout> in;
  std::size_t out_slots = 0;
  bool with_number = false;
  std::size_t rn_slot = 0;

  row make(const row& src, row_kind kind, std::int64_t rank) const {
    if (!with_number) {
      row o = src;
      o.set_kind(kind);
      return o;
    }
    row o(out_slots, kind);
    const std::size_t n = in->slots();
    for (std::size_t s = 0; s < n; ++s)
      o.copy_slot(src, s, s, in->is_string[s] != 0);
    o.set_long(rn_slot, rank);
    return o;
  }
};

//! Top-N per partition key in one value state, sorted, ties in arrival order. Over an
//! insert-only input (Flink's AppendOnlyTopNFunction) it keeps the best N rows; over an
//! updating one (RetractableTopNFunction) every row, since a retraction in the top moves the
//! next row up.
class top_n_function final : public keyed_process_function<std::string, row, row> {
public:
  top_n_function(row_order order, rank_output out, std::size_t limit, bool retracting)
      : order_(std::move(order)), out_(std::move(out)), limit_(limit), retracting_(retracting) {}

  void open(runtime_context& rc) override {
    top_ = &rc.state->get_value_state(
        value_state_descriptor<std::vector<row>>{retracting_ ? "top-n-all-rows" : "top-n"});
    ttl_.open(rc, "top-n-ttl");
  }

  void process_element(const row& r, context& ctx) override { process_element(row(r), ctx); }

  //! table.exec.state.ttl: a partition idle for the TTL loses its rows (no retraction).
  void on_timer(timestamp t, context& ctx) override {
    if (ttl_.due(t, ctx.timer_service())) {
      top_->clear();
      ttl_.clear();
    }
  }

  void process_element(row&& r, context& ctx) override {
    if (ttl_.on()) {
      const std::int64_t now = ctx.timer_service().current_processing_time();
      if (ttl_.expired(now)) {
        top_->clear();
        ttl_.clear();
      }
      ttl_.touch(now, ctx.timer_service());
    }
    const row_kind kind = r.kind();
    if (kind == row_kind::insert || kind == row_kind::update_after) {
      r.set_kind(row_kind::insert);
      accumulate(std::move(r), ctx);
      return;
    }
    if (!retracting_)
      throw error(errc::internal, "Top-N over an insert-only input got a " +
                                      std::string(short_string(kind)) + " row");
    r.set_kind(row_kind::insert);
    retract(r, ctx);
  }

private:
  static std::int64_t rank(std::size_t index) { return static_cast<std::int64_t>(index) + 1; }

  void accumulate(row&& r, context& ctx) {
    const std::vector<row>* kept = top_->get();
    if (!kept) {
      ctx.output(out_.make(r, row_kind::insert, 1));
      top_->update(std::vector<row>{std::move(r)});
      return;
    }
    // Over inserts only, a row not better than the worst of a full top is not kept (a tie
    // with the worst neither); the state stays as it is, not even marked changed.
    if (!retracting_ && kept->size() >= limit_ && order_.compare(r, kept->back()) >= 0)
      return;
    std::vector<row>* top = top_->mutate();
    const std::size_t n = top->size();
    const auto pos =
        std::upper_bound(top->begin(), top->end(), r,
                         [this](const row& a, const row& b) { return order_.compare(a, b) < 0; });
    const std::size_t p = static_cast<std::size_t>(pos - top->begin()); // 0-based rank
    if (p < limit_) {
      if (out_.with_number) {
        // Ranks p+1 .. min(n, N) change rows: the new one at p+1, each later one moved down.
        const std::size_t upto = std::min(n, limit_);
        if (p < upto) {
          ctx.output(out_.make((*top)[p], row_kind::update_before, rank(p)));
          ctx.output(out_.make(r, row_kind::update_after, rank(p)));
          for (std::size_t i = p + 1; i < upto; ++i) {
            ctx.output(out_.make((*top)[i], row_kind::update_before, rank(i)));
            ctx.output(out_.make((*top)[i - 1], row_kind::update_after, rank(i)));
          }
        }
        if (n < limit_) // the top grows by one rank
          ctx.output(out_.make(p == n ? r : (*top)[n - 1], row_kind::insert, rank(n)));
      } else {
        if (n >= limit_) // the Nth leaves the top
          ctx.output(out_.make((*top)[limit_ - 1], row_kind::delete_, 0));
        ctx.output(out_.make(r, row_kind::insert, 0));
      }
    }
    top->insert(top->begin() + static_cast<std::ptrdiff_t>(p), std::move(r));
    if (!retracting_ && top->size() > limit_)
      top->pop_back();
  }

  //! Removes the first kept row equal to `r`; a row never kept is ignored (as Flink, which
  //! logs it).
  void retract(const row& r, context& ctx) {
    std::vector<row>* top = top_->mutate();
    if (!top)
      return;
    auto range = std::equal_range(top->begin(), top->end(), r, [this](const row& a, const row& b) {
      return order_.compare(a, b) < 0;
    });
    auto it = range.first;
    while (it != range.second && !equal_values(*it, r, *out_.in))
      ++it;
    if (it == range.second)
      return;
    const std::size_t q = static_cast<std::size_t>(it - top->begin());
    const std::size_t n = top->size();
    if (q < limit_) {
      if (out_.with_number) {
        // Ranks q+1 .. min(n, N): the next row moves up into each; the last rank of a top
        // that was not more than full goes.
        const std::size_t upto = std::min(n, limit_);
        for (std::size_t i = q; i < upto; ++i) {
          if (i + 1 < n) {
            ctx.output(out_.make((*top)[i], row_kind::update_before, rank(i)));
            ctx.output(out_.make((*top)[i + 1], row_kind::update_after, rank(i)));
          } else {
            ctx.output(out_.make((*top)[i], row_kind::delete_, rank(i)));
          }
        }
      } else {
        ctx.output(out_.make(*it, row_kind::delete_, 0));
        if (n > limit_) // the N+1th comes into the top
          ctx.output(out_.make((*top)[limit_], row_kind::insert, 0));
      }
    }
    top->erase(it);
    if (top->empty())
      top_->clear();
  }

  row_order order_;
  rank_output out_;
  std::size_t limit_;
  bool retracting_;
  value_state<std::vector<row>>* top_ = nullptr;
  idle_state_ttl ttl_;
};

//! The rowtime of a row (its order column); NULL as the smallest time.
std::int64_t rowtime_of(const row& r, std::size_t slot) {
  return r.is_null(slot) ? std::numeric_limits<std::int64_t>::min() : r.get_long(slot);
}

row with_kind(const row& r, row_kind k) {
  row o = r;
  o.set_kind(k);
  return o;
}

void check_insert(const row& r) {
  if (r.kind() != row_kind::insert)
    throw error(errc::internal, "deduplication over an insert-only input got a " +
                                    std::string(short_string(r.kind())) + " row");
}

//! Flink's RowTimeDeduplicateFunction: the kept row per key, replaced (-U/+U) by a row that
//! is newer or as new (keep last) or strictly older (keep first).
class rowtime_deduplicate final : public keyed_process_function<std::string, row, row> {
public:
  rowtime_deduplicate(std::size_t time_slot, bool keep_last)
      : time_slot_(time_slot), keep_last_(keep_last) {}

  void open(runtime_context& rc) override {
    kept_ = &rc.state->get_value_state(value_state_descriptor<row>{"deduplicate-row"});
    ttl_.open(rc, "deduplicate-ttl");
  }

  void process_element(const row& r, context& ctx) override { process_element(row(r), ctx); }

  //! table.exec.state.ttl: a key idle for the TTL loses its state.
  void on_timer(timestamp t, context& ctx) override {
    if (ttl_.due(t, ctx.timer_service())) {
      kept_->clear();
      ttl_.clear();
    }
  }

  void process_element(row&& r, context& ctx) override {
    check_insert(r);
    const std::int64_t clock = ttl_.on() ? ctx.timer_service().current_processing_time() : 0;
    if (ttl_.expired(clock)) {
      kept_->clear();
      ttl_.clear();
    }
    const row* prev_row = kept_->get();
    if (!prev_row) {
      ctx.output(r);
      kept_->update(std::move(r));
      ttl_.touch(clock, ctx.timer_service());
      return;
    }
    const std::int64_t prev = rowtime_of(*prev_row, time_slot_), now = rowtime_of(r, time_slot_);
    if (keep_last_ ? now < prev : now >= prev)
      return; // not kept: the state stays as it is
    row* kept = kept_->mutate();
    ctx.output(with_kind(*kept, row_kind::update_before));
    ctx.output(with_kind(r, row_kind::update_after));
    *kept = std::move(r);
    ttl_.touch(clock, ctx.timer_service());
  }

private:
  std::size_t time_slot_;
  bool keep_last_;
  value_state<row>* kept_ = nullptr;
  idle_state_ttl ttl_;
};

//! Keep first on rowtime, insert-only (Flink's RowTimeDeduplicateKeepFirstRowFunction): the
//! earliest row of a key waits for the watermark to pass its rowtime, then is emitted once;
//! rows behind the watermark are dropped as late, rows after the emission ignored.
class rowtime_keep_first_on_watermark final : public keyed_process_function<std::string, row, row> {
public:
  explicit rowtime_keep_first_on_watermark(std::size_t time_slot) : time_slot_(time_slot) {}

  void open(runtime_context& rc) override {
    waiting_ = &rc.state->get_value_state(value_state_descriptor<row>{"deduplicate-waiting"});
    emitted_ = &rc.state->get_value_state(value_state_descriptor<bool>{"deduplicate-emitted"});
  }

  void process_element(const row& r, context& ctx) override { process_element(row(r), ctx); }

  void process_element(row&& r, context& ctx) override {
    check_insert(r);
    if (r.is_null(time_slot_))
      return; // no time to wait for
    const std::int64_t t = r.get_long(time_slot_);
    if (t < ctx.timer_service().current_watermark())
      return; // late
    if (const bool* done = emitted_->get(); done && *done)
      return;
    row* waiting = waiting_->mutate();
    if (!waiting) {
      ctx.timer_service().register_event_time_timer(t);
      waiting_->update(std::move(r));
      return;
    }
    const std::int64_t prev = waiting->get_long(time_slot_);
    if (t >= prev)
      return;
    ctx.timer_service().delete_event_time_timer(prev);
    ctx.timer_service().register_event_time_timer(t);
    *waiting = std::move(r);
  }

  void on_timer(timestamp, context& ctx) override {
    row* waiting = waiting_->mutate();
    if (!waiting)
      return;
    ctx.output(std::move(*waiting));
    waiting_->clear();
    emitted_->update(true);
  }

private:
  std::size_t time_slot_;
  value_state<row>* waiting_ = nullptr;
  value_state<bool>* emitted_ = nullptr;
};

//! Keep last on processing time: +I, then -U of the kept row and +U of each new one (nothing
//! when the new row equals the kept one).
class proctime_keep_last final : public keyed_process_function<std::string, row, row> {
public:
  explicit proctime_keep_last(std::shared_ptr<const row_layout> layout)
      : layout_(std::move(layout)) {}

  void open(runtime_context& rc) override {
    kept_ = &rc.state->get_value_state(value_state_descriptor<row>{"deduplicate-row"});
    ttl_.open(rc, "deduplicate-ttl");
  }

  void process_element(const row& r, context& ctx) override { process_element(row(r), ctx); }

  //! table.exec.state.ttl: a key idle for the TTL loses its state.
  void on_timer(timestamp t, context& ctx) override {
    if (ttl_.due(t, ctx.timer_service())) {
      kept_->clear();
      ttl_.clear();
    }
  }

  void process_element(row&& r, context& ctx) override {
    check_insert(r);
    const std::int64_t now = ttl_.on() ? ctx.timer_service().current_processing_time() : 0;
    if (ttl_.expired(now)) {
      kept_->clear();
      ttl_.clear();
    }
    row* kept = kept_->mutate();
    if (!kept) {
      ctx.output(r);
      kept_->update(std::move(r));
      ttl_.touch(now, ctx.timer_service());
      return;
    }
    if (equal_values(*kept, r, *layout_))
      return;
    ctx.output(with_kind(*kept, row_kind::update_before));
    ctx.output(with_kind(r, row_kind::update_after));
    *kept = std::move(r);
    ttl_.touch(now, ctx.timer_service());
  }

private:
  std::shared_ptr<const row_layout> layout_;
  value_state<row>* kept_ = nullptr;
  idle_state_ttl ttl_;
};

//! Keep first on processing time: the first row of each key, once.
class proctime_keep_first final : public keyed_process_function<std::string, row, row> {
public:
  void open(runtime_context& rc) override {
    seen_ = &rc.state->get_value_state(value_state_descriptor<bool>{"deduplicate-seen"});
    ttl_.open(rc, "deduplicate-ttl");
  }

  void process_element(const row& r, context& ctx) override { process_element(row(r), ctx); }

  //! table.exec.state.ttl: a key idle for the TTL loses its state.
  void on_timer(timestamp t, context& ctx) override {
    if (ttl_.due(t, ctx.timer_service())) {
      seen_->clear();
      ttl_.clear();
    }
  }

  void process_element(row&& r, context& ctx) override {
    check_insert(r);
    const std::int64_t now = ttl_.on() ? ctx.timer_service().current_processing_time() : 0;
    if (ttl_.expired(now)) {
      seen_->clear();
      ttl_.clear();
    }
    if (seen_->get())
      return;
    seen_->update(true);
    ttl_.touch(now, ctx.timer_service());
    ctx.output(std::move(r));
  }

private:
  value_state<bool>* seen_ = nullptr;
  idle_state_ttl ttl_;
};

bool input_insert_only(const plan_node& node) {
  return node.inputs.empty() || node.inputs[0]->changelog.insert_only();
}

template <class F>
stream<row> keyed(stream<row>& input, const row_layout& in_layout, const plan_node& node,
                  const std::string& uid, F fn) {
  auto key = std::make_shared<const group_key>(key_of_columns(in_layout, node.partition_keys));
  auto result = input.key_by([key](const row& r) { return key->encode(r); }).process(std::move(fn));
  result.uid(uid).name(node.describe());
  return result;
}

stream<row> make_top_n(stream<row>& input, const row_layout& in_layout, const plan_node& node,
                       const std::string& uid) {
  if (node.rank_limit < 1)
    unsupported("ROW_NUMBER() without a filter on its result (rn <= N)");
  const row_layout out_layout = layout_of(node);
  rank_output out;
  out.in = std::make_shared<const row_layout>(in_layout);
  out.out_slots = out_layout.slots();
  out.with_number = node.output_rank_number;
  if (out.with_number) {
    if (out_layout.columns.size() != in_layout.columns.size() + 1 ||
        out_layout.slots() != in_layout.slots() + 1 ||
        slot_kind_of(out_layout.columns.back()) != slot_kind::integer)
      throw error(errc::internal, "Top-N: the output is not the input and the rank number");
    out.rn_slot = out_layout.first.back();
  } else if (out_layout.slots() != in_layout.slots()) {
    throw error(errc::internal, "Top-N without the rank number: the output is not the input");
  }
  return keyed(input, in_layout, node, uid,
               top_n_function(order_of(in_layout, node), std::move(out),
                              static_cast<std::size_t>(node.rank_limit), !input_insert_only(node)));
}

stream<row> make_deduplicate(stream<row>& input, const row_layout& in_layout, const plan_node& node,
                             const std::string& uid) {
  if (!input_insert_only(node))
    unsupported("deduplication over an updating input");
  if (node.order_keys.size() != 1)
    throw error(errc::internal, "Deduplicate: not ordered by one time attribute");
  if (layout_of(node).slots() != in_layout.slots())
    throw error(errc::internal, "Deduplicate: the output is not the input");
  const row_order order = order_of(in_layout, node);
  const std::size_t time_slot = order.keys[0].slot;
  switch (node.order_time) {
    case time_attribute::rowtime:
      if (!node.keep_last && node.changelog.insert_only())
        return keyed(input, in_layout, node, uid, rowtime_keep_first_on_watermark(time_slot));
      return keyed(input, in_layout, node, uid, rowtime_deduplicate(time_slot, node.keep_last));
    case time_attribute::proctime:
      if (node.keep_last)
        return keyed(input, in_layout, node, uid,
                     proctime_keep_last(std::make_shared<const row_layout>(in_layout)));
      return keyed(input, in_layout, node, uid, proctime_keep_first());
    default:
      throw error(errc::internal, "Deduplicate: not ordered by a time attribute");
  }
}

} // namespace

stream<row> make_rank(stream<row>& input, const row_layout& in_layout, const plan_node& node,
                      const std::string& uid) {
  if (node.kind == node_kind::deduplicate)
    return make_deduplicate(input, in_layout, node, uid);
  return make_top_n(input, in_layout, node, uid);
}

} // namespace spate::sql::detail
