#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/collection.hpp"

#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "spate/api/stream.hpp"
#include "spate/core/error.hpp"
#include "spate/sqlrt/expr.hpp"
#include "optimize.hpp"
#include "translate.hpp"

namespace spate::sql {

row_layout layout_of(const plan_node& n) {
  std::vector<logical_type> types;
  for (const auto& c : n.schema)
    types.push_back(c.type);
  return row_layout(std::move(types));
}

std::vector<std::string> names_of(const plan_node& n) {
  std::vector<std::string> out;
  for (const auto& c : n.schema)
    out.push_back(c.name);
  return out;
}

namespace {

[[noreturn]] void unsupported(const std::string& what) {
  throw error(errc::invalid_argument, "not supported yet: " + what);
}

//! A comparison of an integer column with an integer constant, read straight from its slot
//! (the common WHERE event_type = 2 and the nexmark table's CASE WHEN event_type = 0 ...)
//! instead of through the general evaluator. NULL compares as not TRUE, as in the evaluator.
struct slot_compare {
  enum class op : std::uint8_t { eq, ne, lt, le, gt, ge };
  std::size_t slot = 0;
  op o = op::eq;
  std::int64_t constant = 0;

  bool test(const row& r) const {
    if (r.is_null(slot))
      return false;
    const std::int64_t v = r.get_long(slot);
    switch (o) {
      case op::eq:
        return v == constant;
      case op::ne:
        return v != constant;
      case op::lt:
        return v < constant;
      case op::le:
        return v <= constant;
      case op::gt:
        return v > constant;
      case op::ge:
        return v >= constant;
    }
    return false;
  }
};

//! One conjunct of a WHERE condition: a slot comparison or a root of the Calc's expressions.
struct condition_part {
  std::optional<slot_compare> fast;
  std::size_t root = 0; //!< without `fast`
};

//! CASE WHEN c1 THEN x1 ... ELSE y over slot comparisons and columns kept as the result is:
//! the chosen column's slot copied.
struct slot_case {
  std::vector<slot_compare> whens;
  std::vector<std::size_t> values; //!< one per WHEN, then the ELSE
  bool is_string = false;

  void eval_into(const row& r, row& o, std::size_t dst) const {
    std::size_t i = 0;
    while (i < whens.size() && !whens[i].test(r))
      ++i;
    o.copy_slot(r, values[i], dst, is_string);
  }
};

//! Filter and projection of one Calc, compiled.
struct calc_fn {
  struct output {
    bool copy = false;     //!< copy slots (a ROW column) instead of evaluating
    std::size_t src = 0;   //!< first input slot (copy)
    std::size_t width = 1; //!< slots (copy)
    std::size_t dst = 0;   //!< first output slot
    //! Evaluated: the root of `program` (unless `fast`).
    bool eval = false;
    std::size_t root = 0;
    std::optional<slot_case> fast; //!< instead of the root
  };
  std::shared_ptr<const row_layout> in;
  std::shared_ptr<const row_layout> out;
  //! The conditions and projections compiled together: a subexpression they share is
  //! evaluated once per row.
  compiled_expr program;
  //! The WHERE condition's conjuncts, tested in turn (a merged Calc's lower condition first).
  std::vector<condition_part> conditions;
  std::vector<output> outputs;
  //! Outputs that copy slots, one entry per slot: (input slot, output slot, is a string).
  std::vector<std::tuple<std::size_t, std::size_t, bool>> copies;
  //! The output is the input as it is (a filter only).
  bool identity = false;
  //! The input slots the output does not keep (extend()).
  std::vector<std::size_t> dropped;
  row scratch; //!< in place: the output is built here, then swapped with the input

  //! Starts on row `r`: whether it passes the condition. project() on the same row follows.
  bool test(const row& r) {
    program.next_row();
    for (const condition_part& c : conditions)
      if (c.fast ? !c.fast->test(r) : !program.test_root(c.root, r))
        return false;
    return true;
  }

  //! The output of `r` (after test(r), or after program.next_row()) into `o`.
  void project(const row& r, row& o) {
    o.reset(out->slots(), r.kind());
    for (const auto& [from, to, str] : copies)
      o.copy_slot(r, from, to, str);
    for (const output& x : outputs) {
      if (x.fast)
        x.fast->eval_into(r, o, x.dst);
      else if (x.eval)
        program.into_root(x.root, r, o, x.dst);
    }
  }

  //! The projection in place: the output takes the input's place, and the input's buffer is
  //! kept for the next row's output (no allocation per row).
  void project_in_place(row& r) {
    project(r, scratch);
    std::swap(r, scratch);
  }

  void operator()(const row& r, collector<row>& c) {
    if (!test(r))
      return;
    row& o = c.emplace();
    // At most the input's strings go into the output: one allocation, no growing.
    o.reserve(r.buffer().size() + out->slots() * 8 + 8);
    project(r, o);
  }

  //! Whether the Calc has no conditions, keeps each input slot it outputs where it is (of the
  //! same kind) and computes the slots it adds from the input's alone, without building
  //! strings by evaluation: then a row of the output's slots holding the input in its first
  //! slots becomes the output by extend() (detail::extending_calc).
  bool extends_input() const {
    if (!conditions.empty() || identity || out->slots() < in->slots())
      return false;
    for (std::size_t s = 0; s < in->slots(); ++s)
      if (out->kinds[s] != in->kinds[s] || out->types[s].scale != in->types[s].scale)
        return false;
    for (const auto& [from, to, str] : copies)
      if (to < in->slots() && from != to)
        return false;
    for (const output& x : outputs)
      if ((x.fast || x.eval) &&
          (x.dst < in->slots() || (x.eval && out->kinds[x.dst] == slot_kind::string)))
        return false;
    return true;
  }

  //! Per input slot: 1 when the output keeps it (extends_input()).
  std::vector<std::uint8_t> kept_input_slots() const {
    std::vector<std::uint8_t> keep(in->slots(), 0);
    for (const auto& [from, to, str] : copies)
      if (to < in->slots())
        keep[to] = 1;
    return keep;
  }

  //! A row of the output's slots whose first ones hold an input row made the output row
  //! (extends_input()): the added slots computed, the input slots not kept nulled (and zeroed,
  //! as a row built by project() has them).
  void extend(row& o) {
    const std::size_t n = in->slots();
    // Copies and slot CASEs first: their strings are appended to `o` (a copy of its own bytes
    // is safe), which could move the bytes the evaluated values below would point to.
    for (const auto& [from, to, str] : copies)
      if (to >= n)
        o.copy_slot(o, from, to, str);
    for (const output& x : outputs)
      if (x.fast)
        x.fast->eval_into(o, o, x.dst);
    program.next_row();
    for (const output& x : outputs)
      if (x.eval)
        program.into_root(x.root, o, o, x.dst);
    for (std::size_t s : dropped)
      if (!o.is_null(s)) {
        o.set_long(s, 0);
        o.set_null(s);
      }
  }

  //! A projection without conditions (map).
  row operator()(row r) {
    if (identity)
      return r;
    program.next_row();
    project_in_place(r);
    return r;
  }
};

//! A Calc with conditions and a projection as one operator: the row is tested and projected
//! in place in one pass, and the subexpressions both share are evaluated once.
struct calc_process {
  using input_type = row;
  using output_type = row;
  using context = process_context<row>;
  calc_fn f;

  void open(runtime_context&) {}
  void close() {}
  void process_element(row&& r, context& ctx) {
    if (!f.test(r))
      return;
    if (!f.identity)
      f.project_in_place(r);
    ctx.output(std::move(r));
  }
};

//! The input slot a reference (or chain of field accesses) names, for copying ROW values.
long ref_slot(const rex& e, const row_layout& in) {
  if (e.kind == rex_kind::input_ref)
    return e.index >= 0 && static_cast<std::size_t>(e.index) < in.first.size()
               ? static_cast<long>(in.first[static_cast<std::size_t>(e.index)])
               : -1;
  if (e.kind == rex_kind::field_access && !e.operands.empty()) {
    long base = ref_slot(e.operands[0], in);
    if (base < 0)
      return -1;
    const logical_type& t = in.types[static_cast<std::size_t>(base)];
    std::size_t s = static_cast<std::size_t>(base) + 1;
    for (int f = 0; f < e.index && static_cast<std::size_t>(f) < t.fields.size(); ++f)
      s += slot_width(t.fields[static_cast<std::size_t>(f)].type);
    return static_cast<long>(s);
  }
  return -1;
}

bool integer_slot(const logical_type& t) {
  return t.kind != logical_kind::null && slot_kind_of(t) == slot_kind::integer && !is_interval(t) &&
         (is_integer(t) || t.kind == logical_kind::boolean);
}

//! `column op constant` (or `constant op column`) over an integer column, as a slot_compare.
std::optional<slot_compare> fast_compare(const rex& e, const row_layout& in) {
  static const std::map<std::string, slot_compare::op> ops = {
      {"=", slot_compare::op::eq},  {"<>", slot_compare::op::ne}, {"<", slot_compare::op::lt},
      {"<=", slot_compare::op::le}, {">", slot_compare::op::gt},  {">=", slot_compare::op::ge}};
  static const std::map<slot_compare::op, slot_compare::op> mirrored = {
      {slot_compare::op::eq, slot_compare::op::eq}, {slot_compare::op::ne, slot_compare::op::ne},
      {slot_compare::op::lt, slot_compare::op::gt}, {slot_compare::op::le, slot_compare::op::ge},
      {slot_compare::op::gt, slot_compare::op::lt}, {slot_compare::op::ge, slot_compare::op::le}};
  if (e.kind != rex_kind::call || e.operands.size() != 2)
    return std::nullopt;
  auto it = ops.find(e.name);
  if (it == ops.end())
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const rex& col = e.operands[static_cast<std::size_t>(side)];
    const rex& lit = e.operands[static_cast<std::size_t>(1 - side)];
    if (lit.kind != rex_kind::literal || lit.lit == literal_kind::null || !integer_slot(lit.type) ||
        !integer_slot(col.type))
      continue;
    const long slot = ref_slot(col, in);
    if (slot < 0 || !integer_slot(in.types[static_cast<std::size_t>(slot)]))
      continue;
    std::string storage;
    const value v = literal_value(lit, storage);
    if (v.null)
      continue;
    slot_compare c;
    c.slot = static_cast<std::size_t>(slot);
    c.o = side == 0 ? it->second : mirrored.at(it->second);
    c.constant = v.i;
    return c;
  }
  return std::nullopt;
}

//! A CASE over slot comparisons choosing among columns stored as its result is, as a slot_case.
std::optional<slot_case> fast_case(const rex& e, const row_layout& in) {
  if (e.kind != rex_kind::call || e.name != "CASE" || e.operands.size() < 3 ||
      e.operands.size() % 2 == 0 || e.type.kind == logical_kind::row)
    return std::nullopt;
  const slot_kind kind = slot_kind_of(e.type);
  slot_case c;
  c.is_string = kind == slot_kind::string;
  auto value_slot = [&](const rex& v) -> long {
    const long slot = ref_slot(v, in);
    if (slot < 0 || v.type.kind == logical_kind::row)
      return -1;
    const logical_type& t = in.types[static_cast<std::size_t>(slot)];
    if (slot_kind_of(t) != kind || (kind == slot_kind::decimal && t.scale != e.type.scale) ||
        t.kind != e.type.kind)
      return -1;
    return slot;
  };
  for (std::size_t i = 0; i + 1 < e.operands.size(); i += 2) {
    auto when = fast_compare(e.operands[i], in);
    const long then = value_slot(e.operands[i + 1]);
    if (!when || then < 0)
      return std::nullopt;
    c.whens.push_back(*when);
    c.values.push_back(static_cast<std::size_t>(then));
  }
  const long otherwise = value_slot(e.operands.back());
  if (otherwise < 0)
    return std::nullopt;
  c.values.push_back(static_cast<std::size_t>(otherwise));
  return c;
}

//! A Calc compiled over rows laid out as `in`. With `demand` (per output slot, 1 when a
//! consumer reads it), output slots nobody reads are left null.
calc_fn make_calc(const row_layout& in, const std::vector<rex>& projection,
                  const std::optional<rex>& condition,
                  const std::vector<std::uint8_t>* demand = nullptr) {
  calc_fn f;
  f.in = std::make_shared<const row_layout>(in);
  std::vector<logical_type> types;
  for (const rex& p : projection)
    types.push_back(p.type);
  f.out = std::make_shared<const row_layout>(types);
  auto demanded = [demand](std::size_t s) {
    return !demand || (s < demand->size() && (*demand)[s] != 0);
  };
  std::vector<const rex*> roots; // of f.program
  if (condition) {
    // AND's operands one after the other: a row fails at the first that is not TRUE.
    std::vector<const rex*> todo{&*condition};
    while (!todo.empty()) {
      const rex* c = todo.front();
      todo.erase(todo.begin());
      if (c->kind == rex_kind::call && c->name == "AND" && !c->operands.empty()) {
        std::vector<const rex*> kids;
        for (const rex& o : c->operands)
          kids.push_back(&o);
        todo.insert(todo.begin(), kids.begin(), kids.end());
        continue;
      }
      condition_part part;
      part.fast = fast_compare(*c, in);
      if (!part.fast) {
        part.root = roots.size();
        roots.push_back(c);
      }
      f.conditions.push_back(std::move(part));
    }
  }
  bool identity = projection.size() == in.columns.size();
  for (std::size_t i = 0; i < projection.size(); ++i) {
    const rex& p = projection[i];
    calc_fn::output o;
    o.dst = f.out->first[i];
    const long ref = ref_slot(p, in);
    bool any = false;
    for (std::size_t s = o.dst; s < o.dst + f.out->width[i]; ++s)
      any = any || demanded(s);
    if (p.type.kind == logical_kind::row) {
      if (ref < 0)
        unsupported("ROW values built by expressions");
      o.copy = true;
      o.src = static_cast<std::size_t>(ref);
      o.width = slot_width(p.type);
    } else if (ref >= 0 &&
               slot_kind_of(p.type) == slot_kind_of(in.types[static_cast<std::size_t>(ref)]) &&
               (slot_kind_of(p.type) != slot_kind::decimal ||
                p.type.scale == in.types[static_cast<std::size_t>(ref)].scale)) {
      // A column or nested field kept as it is stored: its slot copied, not evaluated.
      o.copy = true;
      o.src = static_cast<std::size_t>(ref);
      o.width = 1;
    } else {
      identity = false;
      if (!any) // nobody reads it: not evaluated (the expression is still checked)
        (void)compiled_expr(p, in);
      else if (!(o.fast = fast_case(p, in))) {
        o.eval = true;
        o.root = roots.size();
        roots.push_back(&p);
      }
    }
    if (o.copy) {
      // (identity implies as many columns in as out)
      identity = identity && o.src == in.first[i] && o.dst == o.src && o.width == in.width[i] &&
                 slot_kind_of(p.type) == slot_kind_of(in.columns[i]) &&
                 p.type.scale == in.columns[i].scale;
      for (std::size_t s = 0; s < o.width; ++s)
        if (demanded(o.dst + s))
          f.copies.emplace_back(o.src + s, o.dst + s, in.is_string[o.src + s] != 0);
    }
    if (o.copy || any)
      f.outputs.push_back(std::move(o));
  }
  f.program = compiled_expr(roots, in);
  // Every column copied to where it was: the Calc only filters.
  f.identity = identity && f.out->slots() == in.slots();
  return f;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

//! The watermark delay of `rowtime - INTERVAL ...` or `rowtime`.
std::int64_t watermark_delay(const plan_node& n) {
  if (!n.watermark)
    return 0;
  const rex& w = *n.watermark;
  if (w.kind == rex_kind::input_ref && w.index == n.rowtime)
    return 0;
  if (w.kind == rex_kind::call && w.name == "-" && w.operands.size() == 2 &&
      w.operands[0].kind == rex_kind::input_ref && w.operands[0].index == n.rowtime &&
      w.operands[1].kind == rex_kind::literal && w.type.kind != logical_kind::null &&
      w.operands[1].type.kind == logical_kind::interval_day_time) {
    std::string storage;
    return literal_value(w.operands[1], storage).i;
  }
  unsupported("watermark expression " + to_string(w) + " (rowtime - INTERVAL ... is)");
}

struct built {
  stream<row> s;
  std::string uid;
  row_layout layout;
};

struct translator {
  environment& env;
  const query_sink_factory& query_sink;
  std::map<std::string, int> uid_counts;

  std::string uid_for(const plan_node& n, const std::vector<std::string>& inputs) {
    std::string text = n.describe();
    for (const auto& u : inputs)
      text += "|" + u;
    std::string base = "sql-" + lower(n.operator_name()) + "-" + hex64(fnv1a(text));
    const int count = ++uid_counts[base];
    return count == 1 ? base : base + "-" + std::to_string(count);
  }

  //! A plan subtree as text: its nodes' descriptions, children in order.
  static std::string subtree_key(const plan_node& n) { return detail::subtree_key(n); }

  //! Built subtrees by subtree_key: a subtree that occurs twice (the nexmark table under the
  //! person and the auction views of a join, a self-join's table) runs once and feeds both
  //! consumers, as Flink's sub-plan reuse does, instead of reading its source twice.
  std::map<std::string, built> reused;

  //! What the consumers of each subtree read of its rows (optimize.hpp).
  detail::slot_demand demand;

  //! The slots of `n`'s output some consumer reads (every slot when the analysis has none).
  std::vector<std::uint8_t> demand_of(const plan_node& n) {
    auto it = demand.slots.find(subtree_key(n));
    if (it != demand.slots.end())
      return it->second;
    return std::vector<std::uint8_t>(layout_of(n).slots(), 1);
  }

  built build(const plan_node& n) {
    const std::string key = subtree_key(n);
    if (auto it = reused.find(key); it != reused.end())
      return it->second;
    built b = build_new(n);
    reused.emplace(key, b);
    return b;
  }

  built build_new(const plan_node& n) {
    switch (n.kind) {
      case node_kind::scan: {
        std::string uid = uid_for(n, {});
        return {detail::make_source(env, n, uid, demand_of(n), {}, "", ""), uid, layout_of(n)};
      }
      case node_kind::calc:
        return calc(n);
      case node_kind::watermark_assigner: {
        built in = build(*n.inputs.at(0));
        std::string uid = uid_for(n, {in.uid});
        const std::int64_t delay = watermark_delay(n);
        if (n.rowtime < 0 || static_cast<std::size_t>(n.rowtime) >= in.layout.first.size())
          unsupported("a watermark on a nested column");
        const std::size_t slot = in.layout.first[static_cast<std::size_t>(n.rowtime)];
        // Flink's SQL watermark is max(rowtime - delay); the DataStream strategy's is
        // max - bound - 1: bound = delay - 1 gives the same windows firing.
        auto strategy = watermark_strategy<row>::for_bounded_out_of_orderness(
                            std::chrono::milliseconds(delay > 0 ? delay - 1 : 0))
                            .with_timestamp_assigner([slot](const row& r) {
                              return r.is_null(slot) ? timestamp{min_watermark} : r.get_long(slot);
                            });
        auto s = in.s.assign_timestamps_and_watermarks(strategy);
        s.name(n.describe()).uid(uid);
        return {s, uid, layout_of(n)};
      }
      case node_kind::window_table_function:
        return window_table_function(n);
      case node_kind::window_aggregate: {
        const plan_node& child = *n.inputs.at(0);
        if (!n.window)
          unsupported("a window aggregate without its window");
        // Right under a window aggregate, the window table function is the aggregate's
        // assigner. Anything else below (a filter or projection after the window table
        // function, or an earlier window aggregate) gives rows that carry their windows.
        if (child.kind == node_kind::window_table_function) {
          built in = build(*child.inputs.at(0));
          std::string uid = uid_for(n, {in.uid});
          auto s = detail::make_window_aggregate(in.s, in.layout, n, uid);
          return {s, uid, layout_of(n)};
        }
        built in = build(child);
        std::string uid = uid_for(n, {in.uid});
        int start = n.window_start_column, end = n.window_end_column;
        for (std::size_t i = 0; i < child.schema.size(); ++i) {
          if (start < 0 && child.schema[i].property == window_property::start)
            start = static_cast<int>(i);
          if (end < 0 && child.schema[i].property == window_property::end)
            end = static_cast<int>(i);
        }
        auto s = detail::make_window_aggregate(in.s, in.layout, n, uid, start, end);
        return {s, uid, layout_of(n)};
      }
      case node_kind::group_aggregate: {
        built in = build(*n.inputs.at(0));
        std::string uid = uid_for(n, {in.uid});
        auto s = detail::make_group_aggregate(
            in.s, in.layout, n, uid, env.config().get_bool("table.exec.mini-batch.enabled", false));
        return {s, uid, layout_of(n)};
      }
      case node_kind::join:
      case node_kind::interval_join:
      case node_kind::window_join: {
        built left = build(*n.inputs.at(0));
        built right = build(*n.inputs.at(1));
        std::string uid = uid_for(n, {left.uid, right.uid});
        auto s = detail::make_join(left.s, left.layout, right.s, right.layout, n, uid);
        return {s, uid, layout_of(n)};
      }
      case node_kind::lookup_join: {
        built in = build(*n.inputs.at(0));
        std::string uid = uid_for(n, {in.uid});
        auto s = detail::make_lookup_join(in.s, in.layout, n, uid);
        return {s, uid, layout_of(n)};
      }
      case node_kind::correlate:
        return correlate(n);
      case node_kind::over_aggregate: {
        built in = build(*n.inputs.at(0));
        std::string uid = uid_for(n, {in.uid});
        auto s = detail::make_over_aggregate(in.s, in.layout, n, uid);
        return {s, uid, layout_of(n)};
      }
      case node_kind::rank:
      case node_kind::deduplicate: {
        built in = build(*n.inputs.at(0));
        std::string uid = uid_for(n, {in.uid});
        auto s = detail::make_rank(in.s, in.layout, n, uid);
        return {s, uid, layout_of(n)};
      }
      case node_kind::union_all: {
        std::vector<built> ins;
        std::vector<std::string> uids;
        for (const plan_ptr& i : n.inputs) {
          ins.push_back(build(*i));
          uids.push_back(ins.back().uid);
        }
        if (ins.empty())
          unsupported("UNION ALL without inputs");
        // The inputs' rows are laid out alike (the analyzer gave them one schema; a branch of
        // another type was cast by a Calc below the union).
        stream<row> s = ins[0].s;
        for (std::size_t i = 1; i < ins.size(); ++i)
          s = s.union_with(ins[i].s);
        return {s, uid_for(n, uids), layout_of(n)};
      }
      case node_kind::values: {
        std::string uid = uid_for(n, {});
        row_layout layout = layout_of(n);
        row_layout none;
        std::vector<row> rows;
        for (const auto& exprs : n.rows) {
          row r(layout.slots());
          for (std::size_t i = 0; i < exprs.size() && i < layout.columns.size(); ++i) {
            if (layout.columns[i].kind == logical_kind::row)
              unsupported("ROW values in VALUES");
            rex e = exprs[i];
            if (e.type != layout.columns[i]) { // to the column's type
              rex cast;
              cast.kind = rex_kind::call;
              cast.name = "CAST";
              cast.type = layout.columns[i];
              cast.operands.push_back(std::move(e));
              e = std::move(cast);
            }
            compiled_expr c(e, none);
            c.eval_into(row(), r, layout.first[i]);
          }
          rows.push_back(std::move(r));
        }
        auto s = env.from_collection<row>(std::move(rows));
        s.name(n.describe()).uid(uid);
        return {s, uid, layout};
      }
      case node_kind::sink:
        unsupported("a sink inside a query");
      default:
        unsupported(n.operator_name());
    }
  }

  //! A Calc: run inside the source when it is the only consumer of a scan whose connector
  //! can (nexmark: the rows are built in place and only the Calc's output is allocated);
  //! otherwise a filter and a projection in place, each chained to its input.
  built calc(const plan_node& n) {
    const plan_node& child = *n.inputs.at(0);
    const std::vector<std::uint8_t> out_demand = demand_of(n);
    if (child.kind == node_kind::scan && detail::source_takes_calc(child) &&
        demand.consumers[subtree_key(child)] == 1 && !reused.count(subtree_key(child))) {
      std::string scan_uid = uid_for(child, {});
      std::string uid = uid_for(n, {scan_uid});
      calc_fn f = make_calc(layout_of(child), n.projection, n.condition, &out_demand);
      detail::extending_calc extend;
      if (f.extends_input()) {
        extend.slots = f.out->slots();
        extend.keep = f.kept_input_slots();
        calc_fn g = f;
        // The slots the source may fill (those read, and the ROW columns' null flags) that
        // the output does not keep: the others stay null.
        const std::vector<std::uint8_t> filled = demand_of(child);
        for (std::size_t i = 0; i < extend.keep.size(); ++i)
          if (!extend.keep[i] &&
              ((i < filled.size() && filled[i]) || f.in->kinds[i] == slot_kind::nested))
            g.dropped.push_back(i);
        extend.complete = [g = std::move(g)](row& o) mutable { g.extend(o); };
      }
      auto s = detail::make_source(env, child, scan_uid, demand_of(child), std::move(f),
                                   n.describe(), uid, std::move(extend));
      return {s, uid, layout_of(n)};
    }
    built in = build(child);
    std::string uid = uid_for(n, {in.uid});
    calc_fn f = make_calc(in.layout, n.projection, n.condition, &out_demand);
    stream<row> s = in.s;
    if (f.conditions.empty()) {
      if (f.identity)
        return {s, uid, layout_of(n)};
      s = s.map(std::move(f));
    } else if (f.identity) {
      // Only a filter: the batch is compacted and handed on as it is.
      s = s.filter([f = std::move(f)](const row& r) mutable { return f.test(r); });
    } else {
      s = s.process(calc_process{std::move(f)});
    }
    s.name(n.describe()).uid(uid);
    return {s, uid, layout_of(n)};
  }

  //! [LEFT] JOIN UNNEST(collection): each input row once per element, its slots then the
  //! element's (a ROW element's fields, a map entry's key and value); a LEFT join gives a row
  //! with NULL elements for a NULL or empty collection.
  built correlate(const plan_node& n) {
    built in = build(*n.inputs.at(0));
    std::string uid = uid_for(n, {in.uid});
    if (n.projection.size() != 1 || !is_collection(n.projection[0].type))
      unsupported("UNNEST of " + (n.projection.empty() ? std::string("nothing")
                                                       : to_string(n.projection[0].type)));
    auto in_layout = std::make_shared<const row_layout>(in.layout);
    auto out_layout = std::make_shared<const row_layout>(layout_of(n));
    auto el = element_layout(n.projection[0].type);
    // an ARRAY of ROWs unnests into the row's fields: its own (null flag) slot is skipped
    const std::size_t skip = el->columns.size() == 1 && el->columns[0].kind == logical_kind::row;
    if (in_layout->slots() + el->slots() - skip != out_layout->slots())
      unsupported("UNNEST of " + to_string(n.projection[0].type) + " into these columns");
    compiled_expr e(n.projection[0], in.layout);
    const bool left = n.join == join_type::left;
    auto s = in.s.flat_map(
        [in_layout, out_layout, el, e, left, skip](const row& r, collector<row>& out) mutable {
          value v;
          e.eval(r, v);
          const std::size_t w = el->slots();
          const std::size_t base = in_layout->slots();
          const collection_view c = v.null ? collection_view() : collection_view(v.s);
          const std::size_t count = v.null || w == 0 ? 0 : c.slots() / w;
          if (count == 0 && !left)
            return;
          for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); ++i) {
            row& o = out.emplace();
            o.reset(out_layout->slots(), r.kind());
            for (std::size_t k = 0; k < base; ++k)
              o.copy_slot(r, k, k, in_layout->is_string[k] != 0);
            if (count == 0)
              break; // LEFT: the element's slots stay null
            for (std::size_t j = skip; j < w; ++j) {
              const std::size_t at = i * w + j;
              if (c.is_null(at))
                continue;
              if (el->is_string[j])
                o.set_string(base + j - skip, c.get_string(at));
              else
                o.set_long(base + j - skip, c.get_long(at));
            }
          }
        });
    s.name(n.describe()).uid(uid);
    return {s, uid, layout_of(n)};
  }

  //! Window table function on its own: each row once per window, with window_start,
  //! window_end and window_time appended.
  built window_table_function(const plan_node& n) {
    built in = build(*n.inputs.at(0));
    std::string uid = uid_for(n, {in.uid});
    if (!n.window)
      unsupported("a window table function without its window");
    const window_def w = *n.window;
    if (w.kind == window_kind::session)
      unsupported("SESSION window table function outside a window aggregation");
    if (w.time == time_attribute::proctime)
      unsupported("window table functions on processing time");
    auto in_layout = std::make_shared<const row_layout>(in.layout);
    auto out_layout = std::make_shared<const row_layout>(layout_of(n));
    if (w.time_column < 0 || static_cast<std::size_t>(w.time_column) >= in_layout->first.size())
      unsupported("a window on a nested column");
    const std::size_t time_slot = in_layout->first[static_cast<std::size_t>(w.time_column)];
    auto s =
        in.s.flat_map([in_layout, out_layout, w, time_slot](const row& r, collector<row>& out) {
          if (r.is_null(time_slot))
            return;
          const std::int64_t ts = r.get_long(time_slot);
          auto put = [&](std::int64_t start, std::int64_t end) {
            row& o = out.emplace();
            o.reset(out_layout->slots(), r.kind());
            for (std::size_t i = 0; i < in_layout->slots(); ++i)
              o.copy_slot(r, i, i, in_layout->is_string[i] != 0);
            const std::size_t c = in_layout->columns.size();
            o.set_long(out_layout->first[c], start);
            o.set_long(out_layout->first[c + 1], end);
            o.set_long(out_layout->first[c + 2], end - 1);
          };
          switch (w.kind) {
            case window_kind::tumble: {
              const std::int64_t start = window_start_with_offset(ts, w.offset, w.size);
              put(start, start + w.size);
              break;
            }
            case window_kind::hop: {
              const std::int64_t last = window_start_with_offset(ts, w.offset, w.slide);
              for (std::int64_t start = last; start > ts - w.size; start -= w.slide)
                put(start, start + w.size);
              break;
            }
            case window_kind::cumulate: {
              const std::int64_t start = window_start_with_offset(ts, w.offset, w.size);
              for (std::int64_t end = start + w.step; end <= start + w.size; end += w.step)
                if (ts < end)
                  put(start, end);
              break;
            }
            default:
              break;
          }
        });
    s.name(n.describe()).uid(uid);
    return {s, uid, layout_of(n)};
  }

  void root(const plan_node& n) {
    if (n.kind == node_kind::sink) {
      built in = build(*n.inputs.at(0));
      std::string uid = uid_for(n, {in.uid});
      // Bring the query's columns to the sink's types where they are kept differently.
      std::vector<rex> projection;
      bool convert = false;
      for (std::size_t i = 0; i < n.sink_columns.size() && i < in.layout.columns.size(); ++i) {
        const logical_type& from = in.layout.columns[i];
        const logical_type& to = n.sink_columns[i].type;
        rex ref = make_input_ref(static_cast<int>(i), n.sink_columns[i].name, from);
        if (from.kind != logical_kind::row && to.kind != logical_kind::row &&
            from.kind != logical_kind::null &&
            (slot_kind_of(from) != slot_kind_of(to) ||
             (to.kind == logical_kind::decimal && from.scale != to.scale) ||
             ((is_collection(from) || is_collection(to)) && from.kind != to.kind) ||
             (is_collection(from) && is_collection(to) &&
              to_string(from.with_nullable(true)) != to_string(to.with_nullable(true))))) {
          rex cast;
          cast.kind = rex_kind::call;
          cast.name = "CAST";
          cast.type = to;
          cast.operands.push_back(std::move(ref));
          projection.push_back(std::move(cast));
          convert = true;
        } else {
          ref.type = to.kind == logical_kind::row ? from : to;
          projection.push_back(std::move(ref));
        }
      }
      stream<row> s = in.s;
      if (convert) {
        s = s.map(make_calc(in.layout, projection, std::nullopt));
        s.name("Calc(sink types)").uid(uid + "-types");
      }
      detail::make_sink(s, n, uid);
      return;
    }
    if (!query_sink)
      unsupported("a query without somewhere to send its rows");
    built in = build(n);
    query_output q{names_of(n), layout_of(n)};
    auto h = in.s.add_sink(query_sink(q));
    h.name("Sink: collect").uid(uid_for(n, {in.uid}) + "-collect");
  }
};

} // namespace

void translate(environment& env, const logical_plan& plan, const query_sink_factory& query_sink) {
  // Calcs merged before translation; the uids follow the merged plan (every process plans
  // the same SQL text, so they agree).
  const logical_plan optimized = detail::merge_calcs(plan);
  translator t{env, query_sink, {}, {}, detail::demanded_slots(optimized)};
  for (const plan_ptr& r : optimized.roots)
    t.root(*r);
}

} // namespace spate::sql
