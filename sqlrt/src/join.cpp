// Joins of the SQL runtime (translate.hpp): regular, interval and window joins, each one keyed
// two-input operator over rows keyed by their equi-join columns as bytes (group_key.hpp), both
// sides in keyed state on RocksDB (so checkpoints, savepoints and rescaling work as for any
// keyed operator) and timers for what time bounds.
//
// - Join (Flink's StreamingJoinOperator): per key and side the rows seen, each with its number
//   of associations (matches on the other side) for outer sides. Inner, left, right and full;
//   inputs may be updating: +I/+U add a row, -U/-D retract one equal stored row. Outer sides emit
//   null-padded rows, retracted (-D) when a first match arrives and emitted again (+I) when the
//   last match goes. The output's row kinds are Flink's: an inner join passes the input's kind
//   on, outer joins emit +I and -D.
// - IntervalJoin (Flink's RowTimeIntervalJoin): rows buffered per key and side and joined with
//   the other side's rows within the bounds; a row is dropped once the watermark shows no
//   partner can come (an outer side emits it null-padded then if it never matched). Output rows
//   carry the left row's time as their timestamp (a padded right row its own); the output
//   watermark is held back by the larger relative bound, as Flink's
//   KeyedCoProcessOperatorWithWatermarkDelay does.
// - WindowJoin (Flink's WindowJoinOperator): rows kept per key and window until the watermark
//   passes the window's end, then joined; late rows are dropped.
#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spate/api/process.hpp"
#include "spate/api/stream.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "spate/sqlrt/expr.hpp"
#include "group_key.hpp"
#include "state_ttl.hpp"
#include "translate.hpp"

namespace spate::sql {

//! A row a join keeps: the row (kind +I) and, for an outer side of a regular join, its number
//! of matches on the other side (an interval join: whether it matched at all).
struct sql_join_entry {
  row r;
  std::int64_t assoc = 0;
  std::int64_t time = 0; //!< a regular join's: when it was stored (processing time, for TTL)
  SPATE_FIELDS(r, assoc, time);
};

//! The rows of one key and window of a window join.
struct sql_window_join_rows {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::vector<row> left;
  std::vector<row> right;
  SPATE_FIELDS(start, end, left, right);
};

namespace detail {

namespace {

[[noreturn]] void unsupported(const std::string& what) {
  throw error(errc::invalid_argument, "not supported yet: " + what);
}

using key_fn = std::function<std::string(const row&)>;

//! group_key::encode into `out`, reusing its capacity (a key longer than the small-string
//! buffer allocates once per operator, not once per row).
void encode_key(const group_key& k, const row& r, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < k.in_slots.size(); ++i) {
    const std::size_t s = k.in_slots[i];
    if (r.is_null(s)) {
      out += '\0';
      continue;
    }
    out += '\1';
    if (k.is_string[i]) {
      const std::string_view v = r.get_string(s);
      const auto n = static_cast<std::uint32_t>(v.size());
      out.append(reinterpret_cast<const char*>(&n), 4);
      out.append(v.data(), v.size());
    } else {
      const std::uint64_t v = r.raw(s);
      out.append(reinterpret_cast<const char*>(&v), 8);
    }
  }
}

//! What every join needs: the layouts, the key codecs and the residual condition; builds the
//! output rows (left ++ right, a missing side all null).
struct join_core {
  std::shared_ptr<const row_layout> left, right;
  std::size_t left_slots = 0, right_slots = 0;
  std::shared_ptr<const group_key> left_key, right_key;
  std::optional<compiled_expr> residual; //!< over left ++ right
  bool left_outer = false, right_outer = false;
  row scratch;

  //! Whether the row's key has a NULL (which equals nothing).
  bool null_key(const row& r, bool is_left) const {
    for (std::size_t s : (is_left ? left_key : right_key)->in_slots)
      if (r.is_null(s))
        return true;
    return false;
  }

  //! `o` = l ++ r of kind `k`; a null side is padded with NULLs.
  void build(const row* l, const row* r, row_kind k, row& o) const {
    o.reset(left_slots + right_slots, k);
    if (l)
      for (std::size_t i = 0; i < left_slots; ++i)
        o.copy_slot(*l, i, i, left->is_string[i] != 0);
    if (r)
      for (std::size_t i = 0; i < right_slots; ++i)
        o.copy_slot(*r, i, left_slots + i, right->is_string[i] != 0);
  }

  //! Whether `in` (of side in_left) and `other` meet the residual condition; when they do and
  //! there is a residual, `scratch` holds the joined row.
  bool matches(const row& in, const row& other, bool in_left) {
    if (!residual)
      return true;
    if (in_left)
      build(&in, &other, row_kind::insert, scratch);
    else
      build(&other, &in, row_kind::insert, scratch);
    return residual->test(scratch);
  }

  //! Emits the joined row of `in` and `other` (built by matches() when there is a residual).
  //! Rows are built in `scratch`, which keeps its capacity, and copied out in one allocation.
  template <class Ctx>
  void emit_joined(const row& in, const row& other, bool in_left, row_kind k, Ctx& ctx) {
    if (!residual) {
      if (in_left)
        build(&in, &other, k, scratch);
      else
        build(&other, &in, k, scratch);
    }
    emit_scratch(k, ctx);
  }

  //! Emits `r` with the other side's columns NULL.
  template <class Ctx>
  void emit_padded(const row& r, bool is_left, row_kind k, Ctx& ctx) {
    build(is_left ? &r : nullptr, is_left ? nullptr : &r, k, scratch);
    emit_scratch(k, ctx);
  }

  template <class Ctx>
  void emit_scratch(row_kind k, Ctx& ctx) {
    row o;
    o.assign(k, scratch.size(), scratch.buffer());
    ctx.output(std::move(o));
  }
};

//! Whether two rows of one layout hold the same values (kinds aside).
bool same_values(const row& a, const row& b, const row_layout& layout) {
  for (std::size_t s = 0; s < layout.slots(); ++s) {
    const bool an = a.is_null(s), bn = b.is_null(s);
    if (an != bn)
      return false;
    if (an)
      continue;
    if (layout.is_string[s] ? a.get_string(s) != b.get_string(s) : a.raw(s) != b.raw(s))
      return false;
  }
  return true;
}

//! What join_operator runs: rows of either input (theirs to keep: a row stored in state is moved
//! there), timers, keyed state.
class join_base {
public:
  using context = keyed_process_context<std::string, row>;
  virtual ~join_base() = default;
  virtual void open(runtime_context&) {}
  virtual void process(row& r, bool is_left, context& ctx) = 0;
  virtual void on_timer(timestamp, context&) {}
};

using entries = std::vector<sql_join_entry>;

//! The regular join (Flink's StreamingJoinOperator).
class regular_join final : public join_base {
public:
  explicit regular_join(join_core c) : c_(std::move(c)) {}

  void open(runtime_context& rc) override {
    left_ = &rc.state->get_value_state(value_state_descriptor<entries>{"join-left"});
    right_ = &rc.state->get_value_state(value_state_descriptor<entries>{"join-right"});
    ttl_ = state_ttl_ms(rc);
    if (ttl_ > 0)
      timer_ = &rc.state->get_value_state(value_state_descriptor<std::int64_t>{"join-ttl-timer"});
  }

  //! table.exec.state.ttl: each stored row goes once it is older than the TTL (Flink keeps a
  //! TTL per row of a join's state); until then, an expired row is not joined. One cleanup
  //! timer per key at a time, at the oldest row's expiry.
  void on_timer(timestamp t, context& ctx) override {
    if (ttl_ <= 0)
      return;
    prune(*left_, t);
    prune(*right_, t);
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    for (auto* side : {left_, right_})
      if (const entries* v = side->get())
        for (const sql_join_entry& e : *v)
          oldest = std::min(oldest, e.time);
    if (oldest == std::numeric_limits<std::int64_t>::max()) {
      timer_->clear();
      return;
    }
    timer_->update(oldest + ttl_);
    ctx.timer_service().register_processing_time_timer(oldest + ttl_);
  }

  void process(row& in, bool in_left, context& ctx) override {
    const std::int64_t now = ttl_ > 0 ? ctx.timer_service().current_processing_time() : 0;
    if (ttl_ > 0) {
      prune(*left_, now);
      prune(*right_, now);
    }
    const bool in_outer = in_left ? c_.left_outer : c_.right_outer;
    const bool other_outer = in_left ? c_.right_outer : c_.left_outer;
    const row_kind kind = in.kind();
    const bool accumulate = kind == row_kind::insert || kind == row_kind::update_after;
    if (c_.null_key(in, in_left)) { // matches nothing, ever
      if (in_outer)
        c_.emit_padded(in, in_left, accumulate ? row_kind::insert : row_kind::delete_, ctx);
      return;
    }
    value_state<entries>& mine = in_left ? *left_ : *right_;
    value_state<entries>& theirs = in_left ? *right_ : *left_;
    const row_layout& my_layout = in_left ? *c_.left : *c_.right;
    const entries* others = theirs.get();
    matched_.clear();
    std::size_t matches = 0;
    if (others) {
      for (std::size_t i = 0; i < others->size(); ++i) {
        const row& o = (*others)[i].r;
        if (!c_.matches(in, o, in_left))
          continue;
        ++matches;
        if (other_outer) { // done below
          matched_.push_back(i);
          continue;
        }
        const row_kind k = in_outer ? (accumulate ? row_kind::insert : row_kind::delete_) : kind;
        c_.emit_joined(in, o, in_left, k, ctx);
      }
    }
    if (other_outer && !matched_.empty()) {
      // Per matched row, as Flink: an addition retracts the other row's padding (its first
      // match) and adds the joined row; a retraction retracts the joined row and emits the
      // padding again when it was the other row's last match.
      entries* os = theirs.mutate();
      const row_kind k = accumulate ? row_kind::insert : in_outer ? row_kind::delete_ : kind;
      for (std::size_t i : matched_) {
        sql_join_entry& e = (*os)[i];
        if (accumulate && e.assoc == 0)
          c_.emit_padded(e.r, !in_left, row_kind::delete_, ctx);
        c_.matches(in, e.r, in_left); // the joined row into scratch again
        c_.emit_joined(in, e.r, in_left, k, ctx);
        if (!accumulate && e.assoc == 1)
          c_.emit_padded(e.r, !in_left, row_kind::insert, ctx);
        e.assoc = accumulate ? e.assoc + 1 : std::max<std::int64_t>(0, e.assoc - 1);
      }
    }
    if (accumulate) {
      if (in_outer && matches == 0)
        c_.emit_padded(in, in_left, row_kind::insert, ctx);
      in.set_kind(row_kind::insert);
      sql_join_entry e{std::move(in), in_outer ? static_cast<std::int64_t>(matches) : 0, now};
      if (entries* v = mine.mutate())
        v->push_back(std::move(e));
      else
        mine.update(entries{std::move(e)});
      if (ttl_ > 0) {
        const std::int64_t* pending = timer_->get();
        if (!pending || *pending <= now) {
          timer_->update(now + ttl_);
          ctx.timer_service().register_processing_time_timer(now + ttl_);
        }
      }
    } else {
      if (in_outer && matches == 0)
        c_.emit_padded(in, in_left, row_kind::delete_, ctx);
      if (entries* v = mine.mutate()) {
        auto it = std::find_if(v->begin(), v->end(), [&](const sql_join_entry& e) {
          return same_values(e.r, in, my_layout);
        });
        if (it != v->end()) {
          v->erase(it);
          if (v->empty())
            mine.clear();
        }
      }
    }
  }

private:
  //! Drops the rows of `side` stored at least the TTL before `now`.
  void prune(value_state<entries>& side, std::int64_t now) {
    const entries* v = side.get();
    if (!v || std::none_of(v->begin(), v->end(),
                           [&](const sql_join_entry& e) { return e.time + ttl_ <= now; }))
      return;
    entries* m = side.mutate();
    m->erase(std::remove_if(m->begin(), m->end(),
                            [&](const sql_join_entry& e) { return e.time + ttl_ <= now; }),
             m->end());
    if (m->empty())
      side.clear();
  }

  join_core c_;
  value_state<entries>* left_ = nullptr;
  value_state<entries>* right_ = nullptr;
  std::vector<std::size_t> matched_;
  std::int64_t ttl_ = 0;
  value_state<std::int64_t>* timer_ = nullptr;
};

//! The event-time interval join: right.t + lower <= left.t <= right.t + upper.
class interval_join final : public join_base {
public:
  interval_join(join_core c, std::size_t left_time, std::size_t right_time, std::int64_t lower,
                std::int64_t upper)
      : c_(std::move(c)), left_time_(left_time), right_time_(right_time), lower_(lower),
        upper_(upper) {}

  void open(runtime_context& rc) override {
    left_ = &rc.state->get_value_state(value_state_descriptor<entries>{"interval-join-left"});
    right_ = &rc.state->get_value_state(value_state_descriptor<entries>{"interval-join-right"});
  }

  void on_timer(timestamp t, context& ctx) override {
    expire(*left_, true, t, ctx);
    expire(*right_, false, t, ctx);
  }

  //! The watermark at which a row of this side at `t` can meet no row still to come: a left
  //! row meets right rows up to t - lower, a right row left rows up to t + upper.
  std::int64_t expiry(std::int64_t t, bool is_left) const {
    return is_left ? t - lower_ : t + upper_;
  }

  void process(row& in, bool in_left, context& ctx) override {
    if (in.kind() != row_kind::insert && in.kind() != row_kind::update_after)
      throw error(errc::invalid_argument, "interval join: an update-before or delete input row");
    const bool in_outer = in_left ? c_.left_outer : c_.right_outer;
    const bool other_outer = in_left ? c_.right_outer : c_.left_outer;
    const std::size_t ts = in_left ? left_time_ : right_time_;
    const std::size_t os = in_left ? right_time_ : left_time_;
    if (in.is_null(ts) || c_.null_key(in, in_left)) {
      if (in_outer)
        c_.emit_padded(in, in_left, row_kind::insert, ctx);
      return;
    }
    const std::int64_t t = in.get_long(ts);
    value_state<entries>& mine = in_left ? *left_ : *right_;
    value_state<entries>& theirs = in_left ? *right_ : *left_;
    bool emitted = false;
    if (const entries* others = theirs.get()) {
      bool mark = false;
      for (std::size_t i = 0; i < others->size(); ++i) {
        const row& o = (*others)[i].r;
        const std::int64_t u = o.get_long(os);
        const std::int64_t l = in_left ? t : u, r = in_left ? u : t;
        if (r + lower_ > l || l > r + upper_ || !c_.matches(in, o, in_left))
          continue;
        ctx.set_record(l);
        c_.emit_joined(in, o, in_left, row_kind::insert, ctx);
        emitted = true;
        if (other_outer && (*others)[i].assoc == 0) {
          marks_.push_back(i);
          mark = true;
        }
      }
      if (mark) {
        entries* v = theirs.mutate();
        for (std::size_t i : marks_)
          (*v)[i].assoc = 1;
        marks_.clear();
      }
    }
    ctx.set_record(t);
    const std::int64_t exp = expiry(t, in_left);
    if (ctx.timer_service().current_watermark() < exp) {
      in.set_kind(row_kind::insert);
      sql_join_entry e{std::move(in), emitted ? 1 : 0};
      if (entries* v = mine.mutate())
        v->push_back(std::move(e));
      else
        mine.update(entries{std::move(e)});
      ctx.timer_service().register_event_time_timer(exp);
    } else if (in_outer && !emitted) {
      c_.emit_padded(in, in_left, row_kind::insert, ctx);
    }
  }

private:
  void expire(value_state<entries>& st, bool is_left, timestamp wm, context& ctx) {
    entries* v = st.mutate();
    if (!v)
      return;
    const bool outer = is_left ? c_.left_outer : c_.right_outer;
    const std::size_t ts = is_left ? left_time_ : right_time_;
    std::size_t j = 0;
    for (std::size_t i = 0; i < v->size(); ++i) {
      sql_join_entry& e = (*v)[i];
      const std::int64_t t = e.r.get_long(ts);
      if (expiry(t, is_left) <= wm) {
        if (outer && e.assoc == 0) {
          ctx.set_record(t);
          c_.emit_padded(e.r, is_left, row_kind::insert, ctx);
        }
        continue;
      }
      if (i != j)
        (*v)[j] = std::move(e);
      ++j;
    }
    if (j == 0)
      st.clear();
    else if (j != v->size())
      v->resize(j);
  }

  join_core c_;
  std::size_t left_time_, right_time_;
  std::int64_t lower_, upper_;
  value_state<entries>* left_ = nullptr;
  value_state<entries>* right_ = nullptr;
  std::vector<std::size_t> marks_;
};

//! The window join: rows per key and window, joined when the watermark passes the window.
class window_join final : public join_base {
public:
  using buckets = std::vector<sql_window_join_rows>;

  window_join(join_core c, std::size_t ls, std::size_t le, std::size_t rs, std::size_t re)
      : c_(std::move(c)), left_start_(ls), left_end_(le), right_start_(rs), right_end_(re) {}

  void open(runtime_context& rc) override {
    windows_ = &rc.state->get_value_state(value_state_descriptor<buckets>{"window-join"});
  }

  void on_timer(timestamp t, context& ctx) override {
    buckets* v = windows_->mutate();
    if (!v)
      return;
    std::size_t j = 0;
    for (std::size_t i = 0; i < v->size(); ++i) {
      sql_window_join_rows& w = (*v)[i];
      if (w.end - 1 <= t) {
        fire(w, ctx);
        continue;
      }
      if (i != j)
        (*v)[j] = std::move(w);
      ++j;
    }
    if (j == 0)
      windows_->clear();
    else if (j != v->size())
      v->resize(j);
  }

  void process(row& in, bool in_left, context& ctx) override {
    if (in.kind() != row_kind::insert && in.kind() != row_kind::update_after)
      throw error(errc::invalid_argument, "window join: an update-before or delete input row");
    const std::size_t ss = in_left ? left_start_ : right_start_;
    const std::size_t es = in_left ? left_end_ : right_end_;
    if (in.is_null(ss) || in.is_null(es))
      return;
    const std::int64_t start = in.get_long(ss), end = in.get_long(es);
    if (end - 1 <= ctx.timer_service().current_watermark())
      return; // late: the window was joined already
    in.set_kind(row_kind::insert);
    buckets* v = windows_->mutate();
    if (!v) {
      windows_->update(buckets{});
      v = windows_->mutate();
    }
    auto it = std::find_if(v->begin(), v->end(), [&](const sql_window_join_rows& w) {
      return w.start == start && w.end == end;
    });
    if (it == v->end()) {
      v->push_back(sql_window_join_rows{start, end, {}, {}});
      it = v->end() - 1;
      ctx.timer_service().register_event_time_timer(end - 1);
    }
    (in_left ? it->left : it->right).push_back(std::move(in));
  }

private:
  void fire(const sql_window_join_rows& w, context& ctx) {
    right_matched_.assign(w.right.size(), 0);
    for (const row& l : w.left) {
      bool matched = false;
      if (!c_.null_key(l, true))
        for (std::size_t i = 0; i < w.right.size(); ++i) {
          const row& r = w.right[i];
          if (c_.null_key(r, false) || !c_.matches(l, r, true))
            continue;
          c_.emit_joined(l, r, true, row_kind::insert, ctx);
          matched = true;
          right_matched_[i] = 1;
        }
      if (!matched && c_.left_outer)
        c_.emit_padded(l, true, row_kind::insert, ctx);
    }
    if (c_.right_outer)
      for (std::size_t i = 0; i < w.right.size(); ++i)
        if (!right_matched_[i])
          c_.emit_padded(w.right[i], false, row_kind::insert, ctx);
  }

  join_core c_;
  std::size_t left_start_, left_end_, right_start_, right_end_;
  value_state<buckets>* windows_ = nullptr;
  std::vector<std::uint8_t> right_matched_;
};

//! Flink's KeyedCoProcessOperator(WithWatermarkDelay) for the joins: both inputs keyed by
//! their join key bytes, the output watermark held back by `delay` ms.
template <class F>
class join_operator final : public spate::detail::typed_operator<row> {
public:
  join_operator(std::shared_ptr<const group_key> ka, std::shared_ptr<const group_key> kb, F f,
                std::int64_t delay)
      : ka_(std::move(ka)), kb_(std::move(kb)), f_(std::move(f)), delay_(delay) {}

  std::optional<std::pair<std::size_t, std::size_t>> registered_timers() const override {
    return timers_.counts();
  }
  void open() override {
    timers_.open(*this->ctx_->state, *this->ctx_->time, this);
    ctx_obj_.bind(&this->buf_, &this->side_, this->ctx_);
    ctx_obj_.bind_timers(&timers_);
    f_.open(*this->ctx_);
  }
  void process_batch(int input, any_batch& b) override {
    auto& in = batch_cast<row>(b);
    auto* backend = this->ctx_->state;
    const group_key& sel = input == 0 ? *ka_ : *kb_;
    for (std::size_t i = 0; i < in.size(); ++i) {
      row& v = in.values[i];
      encode_key(sel, v, key_);
      backend->set_current_key(key_);
      ctx_obj_.set_key(&key_);
      ctx_obj_.set_record(in.timestamps[i]);
      f_.process(v, input == 0, ctx_obj_);
      this->maybe_emit_early();
    }
    this->emit_buffer();
  }
  void process_watermark(timestamp wm) override {
    timers_.advance_watermark(wm, [this](const spate::timer_entry& e) { fire(e); });
    this->emit_buffer();
    const timestamp out = wm == max_watermark || wm <= min_watermark + delay_ ? wm : wm - delay_;
    stream_operator::process_watermark(out);
  }
  void on_processing_time(timestamp now) override {
    timers_.advance_processing_time(now, [this](const spate::timer_entry& e) { fire(e); });
    this->emit_buffer();
  }

private:
  void fire(const spate::timer_entry& e) {
    key_ = decode<std::string>(e.key, "timer key");
    ctx_obj_.set_key(&key_);
    ctx_obj_.set_record(e.time);
    f_.on_timer(e.time, ctx_obj_);
    this->maybe_emit_early();
  }

  std::shared_ptr<const group_key> ka_, kb_;
  F f_;
  std::int64_t delay_;
  std::string key_;
  keyed_process_context<std::string, row> ctx_obj_;
  spate::detail::internal_timer_service timers_;
};

template <class F>
stream<row> add_join(stream<row>& left, stream<row>& right, std::shared_ptr<const group_key> lk,
                     std::shared_ptr<const group_key> rk, F f, std::int64_t delay,
                     const plan_node& node, const std::string& uid) {
  auto lks = left.key_by(key_fn([lk](const row& r) { return lk->encode(r); }));
  auto rks = right.key_by(key_fn([rk](const row& r) { return rk->encode(r); }));
  job_vertex v;
  v.name = node.describe();
  v.keyed = true;
  v.make_operator = [lk, rk, f, delay] {
    return std::make_unique<join_operator<F>>(lk, rk, f, delay);
  };
  environment& env = left.env();
  stream<row> s(&env, env.add_two_input_operator(std::move(v), lks.inputs(), rks.inputs()));
  s.uid(uid);
  return s;
}

//! The column of `side` with window property `p` over windows like `w`.
int window_column(const plan_node& side, window_property p, const window_def& w) {
  for (std::size_t i = 0; i < side.schema.size(); ++i)
    if (side.schema[i].property == p && side.schema[i].window &&
        side.schema[i].window->same_windows(w))
      return static_cast<int>(i);
  return -1;
}

std::size_t column_slot(const row_layout& layout, int column, const char* what) {
  if (column < 0 || static_cast<std::size_t>(column) >= layout.columns.size())
    unsupported(std::string("a join on a nested ") + what);
  return layout.first[static_cast<std::size_t>(column)];
}

} // namespace

stream<row> make_join(stream<row>& left, const row_layout& left_layout, stream<row>& right,
                      const row_layout& right_layout, const plan_node& node,
                      const std::string& uid) {
  if (node.left_keys.size() != node.right_keys.size())
    unsupported("a join with unpaired keys");
  join_core c;
  c.left = std::make_shared<const row_layout>(left_layout);
  c.right = std::make_shared<const row_layout>(right_layout);
  c.left_slots = left_layout.slots();
  c.right_slots = right_layout.slots();
  c.left_key = std::make_shared<const group_key>(key_of_columns(left_layout, node.left_keys));
  c.right_key = std::make_shared<const group_key>(key_of_columns(right_layout, node.right_keys));
  for (std::size_t i = 0; i < node.left_keys.size(); ++i) {
    const logical_type& a = left_layout.columns[static_cast<std::size_t>(node.left_keys[i])];
    const logical_type& b = right_layout.columns[static_cast<std::size_t>(node.right_keys[i])];
    if (slot_kind_of(a) != slot_kind_of(b) ||
        (slot_kind_of(a) == slot_kind::decimal && a.scale != b.scale))
      unsupported("a join key of different representations (" + to_string(a) + " = " +
                  to_string(b) + ")");
  }
  c.left_outer = node.join == join_type::left || node.join == join_type::full;
  c.right_outer = node.join == join_type::right || node.join == join_type::full;
  std::vector<logical_type> out_types = left_layout.columns;
  out_types.insert(out_types.end(), right_layout.columns.begin(), right_layout.columns.end());
  if (node.residual)
    c.residual.emplace(*node.residual, row_layout(out_types));
  const auto lk = c.left_key;
  const auto rk = c.right_key;

  switch (node.kind) {
    case node_kind::join:
      return add_join(left, right, lk, rk, regular_join(std::move(c)), 0, node, uid);
    case node_kind::interval_join: {
      const plan_node& l = *node.inputs.at(0);
      if (node.left_time < 0 || static_cast<std::size_t>(node.left_time) >= l.schema.size())
        unsupported("an interval join without its time columns");
      if (l.schema[static_cast<std::size_t>(node.left_time)].type.attribute ==
          time_attribute::proctime)
        unsupported("interval joins on processing time");
      if (node.lower_bound > node.upper_bound)
        unsupported("an interval join whose lower bound is above its upper bound");
      const std::size_t lt = column_slot(left_layout, node.left_time, "time column");
      const std::size_t rt = column_slot(right_layout, node.right_time, "time column");
      const std::int64_t delay =
          std::max<std::int64_t>(0, std::max(-node.lower_bound, node.upper_bound));
      return add_join(left, right, lk, rk,
                      interval_join(std::move(c), lt, rt, node.lower_bound, node.upper_bound),
                      delay, node, uid);
    }
    case node_kind::window_join: {
      if (!node.window)
        unsupported("a window join without its window");
      if (node.window->time == time_attribute::proctime)
        unsupported("window joins on processing time");
      if (node.window->kind == window_kind::session)
        unsupported("window joins of SESSION windows");
      const plan_node& r = *node.inputs.at(1);
      const int rs = window_column(r, window_property::start, *node.window);
      const int re = window_column(r, window_property::end, *node.window);
      if (rs < 0 || re < 0)
        unsupported("a window join whose right input's window columns are not found");
      return add_join(left, right, lk, rk,
                      window_join(std::move(c),
                                  column_slot(left_layout, node.window_start_column, "window"),
                                  column_slot(left_layout, node.window_end_column, "window"),
                                  column_slot(right_layout, rs, "window"),
                                  column_slot(right_layout, re, "window")),
                      0, node, uid);
    }
    default:
      unsupported(node.operator_name());
  }
}

} // namespace detail
} // namespace spate::sql
