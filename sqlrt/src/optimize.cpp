#include "optimize.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <unordered_map>

#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql::detail {

std::string subtree_key(const plan_node& n) {
  std::string k = n.describe() + "(";
  for (const plan_ptr& i : n.inputs)
    k += subtree_key(*i) + ",";
  return k + ")";
}

namespace {

// ---------------------------------------------------------------------------------------------
// Calc merging

//! Calls whose value may differ between two evaluations on the same row.
bool non_deterministic_call(const std::string& name) {
  static const std::set<std::string> names = {
      "RAND",         "RAND_INTEGER",      "UUID",           "PROCTIME",
      "NOW",          "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "CURRENT_ROW_TIMESTAMP",
      "CURRENT_DATE", "CURRENT_TIME",      "LOCALTIME",      "UNIX_TIMESTAMP"};
  return names.count(name) > 0;
}

//! Whether evaluating `e` twice could give two values: a non-deterministic call, or a kind of
//! expression this rewrite does not know (a user-defined function, say).
bool maybe_non_deterministic(const rex& e) {
  switch (e.kind) {
    case rex_kind::input_ref:
    case rex_kind::literal:
      return false;
    case rex_kind::field_access:
    case rex_kind::call:
      if (e.kind == rex_kind::call && non_deterministic_call(e.name))
        return true;
      return std::any_of(e.operands.begin(), e.operands.end(),
                         [](const rex& o) { return maybe_non_deterministic(o); });
  }
  return true;
}

void count_refs(const rex& e, std::vector<int>& counts) {
  if (e.kind == rex_kind::input_ref) {
    if (e.index >= 0 && static_cast<std::size_t>(e.index) < counts.size())
      ++counts[static_cast<std::size_t>(e.index)];
    return;
  }
  for (const rex& o : e.operands)
    count_refs(o, counts);
}

//! Whether values of `a` and `b` are kept alike in a row (nullability aside).
bool same_storage(const logical_type& a, const logical_type& b) {
  if (a.kind != b.kind || a.scale != b.scale || a.fields.size() != b.fields.size())
    return false;
  for (std::size_t i = 0; i < a.fields.size(); ++i)
    if (!same_storage(a.fields[i].type, b.fields[i].type))
      return false;
  return true;
}

//! `e` with its input references replaced by the expressions of `below`.
rex substitute(const rex& e, const std::vector<rex>& below) {
  if (e.kind == rex_kind::input_ref)
    return below.at(static_cast<std::size_t>(e.index));
  rex out = e;
  for (rex& o : out.operands)
    o = substitute(o, below);
  return out;
}

//! Whether `top` (a Calc over the Calc `bottom`) can become one Calc.
bool mergeable(const plan_node& top, const plan_node& bottom) {
  std::vector<int> counts(bottom.projection.size(), 0);
  for (const rex& p : top.projection)
    count_refs(p, counts);
  if (top.condition)
    count_refs(*top.condition, counts);
  // Input references that are out of range or of another kind than the lower column: leave
  // the plan as it is.
  std::function<bool(const rex&)> refs_ok = [&](const rex& e) {
    if (e.kind == rex_kind::input_ref)
      return e.index >= 0 && static_cast<std::size_t>(e.index) < bottom.projection.size() &&
             same_storage(e.type, bottom.projection[static_cast<std::size_t>(e.index)].type);
    return std::all_of(e.operands.begin(), e.operands.end(), refs_ok);
  };
  for (const rex& p : top.projection)
    if (!refs_ok(p))
      return false;
  if (top.condition && !refs_ok(*top.condition))
    return false;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 1 && maybe_non_deterministic(bottom.projection[i]))
      return false;
  return true;
}

//! A copy of `n` with its inputs rewritten and, when it is a Calc over a Calc, merged.
plan_ptr merge(const plan_ptr& n, std::unordered_map<const plan_node*, plan_ptr>& done) {
  if (auto it = done.find(n.get()); it != done.end())
    return it->second;
  auto out = std::make_shared<plan_node>(*n);
  for (plan_ptr& i : out->inputs)
    i = merge(i, done);
  if (out->kind == node_kind::calc && out->inputs.size() == 1 &&
      out->inputs[0]->kind == node_kind::calc && out->inputs[0]->inputs.size() == 1 &&
      mergeable(*out, *out->inputs[0])) {
    const plan_node& bottom = *out->inputs[0];
    std::vector<rex> projection;
    for (const rex& p : out->projection)
      projection.push_back(substitute(p, bottom.projection));
    std::optional<rex> condition = bottom.condition;
    if (out->condition) {
      rex top = substitute(*out->condition, bottom.projection);
      if (!condition) {
        condition = std::move(top);
      } else {
        // Both conditions, the lower one first (make_calc tests an AND's operands in turn).
        rex both;
        both.kind = rex_kind::call;
        both.name = "AND";
        both.type = logical_type{};
        both.type.kind = logical_kind::boolean;
        both.type.nullable = condition->type.nullable || top.type.nullable;
        both.operands.push_back(std::move(*condition));
        both.operands.push_back(std::move(top));
        condition = std::move(both);
      }
    }
    out->projection = std::move(projection);
    out->condition = std::move(condition);
    plan_ptr below = bottom.inputs[0];
    out->inputs = {below};
  }
  done.emplace(n.get(), out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Demanded slots

//! The first slot of a column reference or chain of field accesses, or -1.
long ref_slot(const rex& e, const std::vector<logical_type>& columns,
              const std::vector<std::size_t>& first, logical_type& type) {
  if (e.kind == rex_kind::input_ref) {
    if (e.index < 0 || static_cast<std::size_t>(e.index) >= columns.size())
      return -1;
    type = columns[static_cast<std::size_t>(e.index)];
    return static_cast<long>(first[static_cast<std::size_t>(e.index)]);
  }
  if (e.kind == rex_kind::field_access && !e.operands.empty()) {
    logical_type parent;
    const long base = ref_slot(e.operands[0], columns, first, parent);
    if (base < 0 || parent.kind != logical_kind::row || e.index < 0 ||
        static_cast<std::size_t>(e.index) >= parent.fields.size())
      return -1;
    std::size_t s = static_cast<std::size_t>(base) + 1;
    for (int f = 0; f < e.index; ++f)
      s += slot_width(parent.fields[static_cast<std::size_t>(f)].type);
    type = parent.fields[static_cast<std::size_t>(e.index)].type;
    return static_cast<long>(s);
  }
  return -1;
}

void mark_all(std::vector<std::uint8_t>& mark) { std::fill(mark.begin(), mark.end(), 1); }

void or_into(std::vector<std::uint8_t>& into, const std::vector<std::uint8_t>& from) {
  if (into.size() < from.size())
    into.resize(from.size(), 0);
  for (std::size_t i = 0; i < from.size(); ++i)
    into[i] |= from[i];
}

std::vector<logical_type> column_types(const plan_node& n) {
  std::vector<logical_type> out;
  for (const plan_column& c : n.schema)
    out.push_back(c.type);
  return out;
}

//! Marks every slot of column `c` of `n`'s output (nothing for c < 0).
void mark_column(const plan_node& n, int c, std::vector<std::uint8_t>& mark) {
  if (c < 0)
    return;
  if (static_cast<std::size_t>(c) >= n.schema.size()) { // to be safe
    mark_all(mark);
    return;
  }
  const row_layout layout = layout_of(n);
  const auto col = static_cast<std::size_t>(c);
  for (std::size_t s = layout.first[col]; s < layout.first[col] + layout.width[col]; ++s)
    if (s < mark.size())
      mark[s] = 1;
}

//! Marks the window_start, window_end and window_time columns of `n`'s output.
void mark_window_columns(const plan_node& n, std::vector<std::uint8_t>& mark) {
  for (std::size_t c = 0; c < n.schema.size(); ++c)
    if (n.schema[c].property != window_property::none)
      mark_column(n, static_cast<int>(c), mark);
}

//! What `n` reads of each of its inputs, given what its consumers read of it (`out`).
std::vector<std::vector<std::uint8_t>> input_demand(const plan_node& n,
                                                    const std::vector<std::uint8_t>& out) {
  std::vector<std::vector<std::uint8_t>> in;
  for (const plan_ptr& i : n.inputs)
    in.emplace_back(layout_of(*i).slots(), 0);
  auto demanded = [&out](std::size_t s) { return s < out.size() && out[s] != 0; };
  switch (n.kind) {
    case node_kind::calc: {
      if (n.inputs.size() != 1)
        break;
      const std::vector<logical_type> columns = column_types(*n.inputs[0]);
      const row_layout in_layout(columns);
      const row_layout out_layout = layout_of(n);
      if (n.condition)
        mark_slots(*n.condition, columns, in[0]);
      for (std::size_t c = 0; c < n.projection.size() && c < out_layout.first.size(); ++c) {
        const std::size_t first = out_layout.first[c], width = out_layout.width[c];
        bool any = false;
        for (std::size_t s = first; s < first + width; ++s)
          any = any || demanded(s);
        if (!any)
          continue;
        const rex& p = n.projection[c];
        logical_type t;
        const long src = ref_slot(p, columns, in_layout.first, t);
        if (src >= 0 && slot_width(t) == width) {
          // A column or field passed on: the slots read of it, no more.
          for (std::size_t s = 0; s < width; ++s)
            if (demanded(first + s) && static_cast<std::size_t>(src) + s < in[0].size())
              in[0][static_cast<std::size_t>(src) + s] = 1;
        } else {
          mark_slots(p, columns, in[0]);
        }
      }
      return in;
    }
    case node_kind::watermark_assigner: {
      if (n.inputs.size() != 1)
        break;
      const row_layout layout = layout_of(*n.inputs[0]);
      for (std::size_t s = 0; s < in[0].size(); ++s)
        in[0][s] = demanded(s) ? 1 : 0;
      if (n.rowtime >= 0 && static_cast<std::size_t>(n.rowtime) < layout.first.size()) {
        const std::size_t first = layout.first[static_cast<std::size_t>(n.rowtime)];
        for (std::size_t s = first; s < first + layout.width[static_cast<std::size_t>(n.rowtime)];
             ++s)
          in[0][s] = 1;
      } else {
        mark_all(in[0]);
      }
      return in;
    }
    case node_kind::join:
    case node_kind::interval_join:
    case node_kind::window_join: {
      // The output is the left's slots, then the right's; the keys, the residual and the
      // time and window columns are read as well.
      if (n.inputs.size() != 2)
        break;
      const std::vector<logical_type> lcols = column_types(*n.inputs[0]);
      const std::vector<logical_type> rcols = column_types(*n.inputs[1]);
      const std::size_t left_slots = in[0].size();
      std::vector<std::uint8_t> both(left_slots + in[1].size(), 0);
      for (std::size_t s = 0; s < both.size(); ++s)
        both[s] = demanded(s) ? 1 : 0;
      std::vector<logical_type> all = lcols;
      all.insert(all.end(), rcols.begin(), rcols.end());
      if (n.residual)
        mark_slots(*n.residual, all, both);
      for (std::size_t s = 0; s < left_slots; ++s)
        in[0][s] = both[s];
      for (std::size_t s = 0; s < in[1].size(); ++s)
        in[1][s] = both[left_slots + s];
      for (int k : n.left_keys)
        mark_column(*n.inputs[0], k, in[0]);
      for (int k : n.right_keys)
        mark_column(*n.inputs[1], k, in[1]);
      mark_column(*n.inputs[0], n.left_time, in[0]);
      mark_column(*n.inputs[1], n.right_time, in[1]);
      if (n.kind == node_kind::window_join)
        for (std::size_t i = 0; i < 2; ++i)
          mark_window_columns(*n.inputs[i], in[i]);
      return in;
    }
    case node_kind::lookup_join: {
      // The output is the input's slots, then the looked-up table's.
      if (n.inputs.size() != 1)
        break;
      std::vector<logical_type> all = column_types(*n.inputs[0]);
      for (const plan_column& c : n.lookup_columns)
        all.push_back(c.type);
      std::vector<std::uint8_t> both(row_layout(all).slots(), 0);
      for (std::size_t s = 0; s < both.size(); ++s)
        both[s] = demanded(s) ? 1 : 0;
      if (n.residual)
        mark_slots(*n.residual, all, both);
      for (std::size_t s = 0; s < in[0].size(); ++s)
        in[0][s] = both[s];
      for (int k : n.left_keys)
        mark_column(*n.inputs[0], k, in[0]);
      return in;
    }
    case node_kind::group_aggregate:
    case node_kind::window_aggregate: {
      // Keys, arguments and FILTER conditions; a window aggregate also its window columns.
      if (n.inputs.size() != 1)
        break;
      for (int k : n.group_keys)
        mark_column(*n.inputs[0], k, in[0]);
      for (const agg_call& a : n.aggregates) {
        for (int c : a.args)
          mark_column(*n.inputs[0], c, in[0]);
        mark_column(*n.inputs[0], a.filter, in[0]);
      }
      if (n.kind == node_kind::window_aggregate) {
        mark_column(*n.inputs[0], n.window_start_column, in[0]);
        mark_column(*n.inputs[0], n.window_end_column, in[0]);
        mark_window_columns(*n.inputs[0], in[0]);
        if (n.window)
          for (int k : n.window->partition_keys)
            mark_column(*n.inputs[0], k, in[0]);
      }
      return in;
    }
    case node_kind::window_table_function: {
      // The input's slots come out first, then window_start, window_end, window_time; the
      // window is assigned on the time column.
      if (n.inputs.size() != 1 || !n.window)
        break;
      for (std::size_t s = 0; s < in[0].size(); ++s)
        in[0][s] = demanded(s) ? 1 : 0;
      mark_column(*n.inputs[0], n.window->time_column, in[0]);
      for (int k : n.window->partition_keys)
        mark_column(*n.inputs[0], k, in[0]);
      return in;
    }
    case node_kind::rank:
    case node_kind::deduplicate:
    case node_kind::over_aggregate: {
      // The input's slots come out first (then rn, or the OVER aggregates); the partition and
      // order keys, the aggregates' arguments and filters are read.
      if (n.inputs.size() != 1)
        break;
      for (std::size_t s = 0; s < in[0].size(); ++s)
        in[0][s] = demanded(s) ? 1 : 0;
      for (int k : n.partition_keys)
        mark_column(*n.inputs[0], k, in[0]);
      for (const auto& o : n.order_keys)
        mark_column(*n.inputs[0], o.first, in[0]);
      for (const agg_call& a : n.aggregates) {
        for (int c : a.args)
          mark_column(*n.inputs[0], c, in[0]);
        mark_column(*n.inputs[0], a.filter, in[0]);
      }
      return in;
    }
    case node_kind::union_all:
      // Every input gives the rows of the union, laid out alike.
      for (auto& m : in)
        for (std::size_t s = 0; s < m.size(); ++s)
          m[s] = demanded(s) ? 1 : 0;
      return in;
    default:
      break;
  }
  for (auto& m : in)
    mark_all(m);
  return in;
}

} // namespace

void mark_slots(const rex& e, const std::vector<logical_type>& columns,
                std::vector<std::uint8_t>& mark) {
  if (e.kind == rex_kind::input_ref || e.kind == rex_kind::field_access) {
    const row_layout layout(columns);
    logical_type t;
    const long s = ref_slot(e, columns, layout.first, t);
    if (s >= 0) {
      for (std::size_t i = static_cast<std::size_t>(s);
           i < static_cast<std::size_t>(s) + slot_width(t) && i < mark.size(); ++i)
        mark[i] = 1;
      return;
    }
    if (e.kind == rex_kind::input_ref) { // out of range: everything, to be safe
      mark_all(mark);
      return;
    }
  }
  for (const rex& o : e.operands)
    mark_slots(o, columns, mark);
}

logical_plan merge_calcs(const logical_plan& plan) {
  std::unordered_map<const plan_node*, plan_ptr> done;
  logical_plan out;
  for (const plan_ptr& r : plan.roots)
    out.roots.push_back(merge(r, done));
  return out;
}

slot_demand demanded_slots(const logical_plan& plan) {
  slot_demand d;
  std::unordered_map<const plan_node*, std::string> keys;
  auto key_of = [&keys](const plan_node& n) -> const std::string& {
    auto it = keys.find(&n);
    if (it == keys.end())
      it = keys.emplace(&n, subtree_key(n)).first;
    return it->second;
  };
  // Subtrees by key, in post order: reversed, consumers come before what they consume.
  std::map<std::string, const plan_node*> nodes;
  std::vector<std::string> post;
  std::function<void(const plan_node&)> visit = [&](const plan_node& n) {
    const std::string& k = key_of(n);
    if (nodes.count(k))
      return;
    nodes.emplace(k, &n);
    std::set<std::string> seen;
    for (const plan_ptr& i : n.inputs) {
      visit(*i);
      if (seen.insert(key_of(*i)).second)
        ++d.consumers[key_of(*i)];
    }
    post.push_back(k);
  };
  for (const plan_ptr& r : plan.roots) {
    visit(*r);
    std::vector<std::uint8_t> all(layout_of(*r).slots(), 1);
    or_into(d.slots[key_of(*r)], all);
  }
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    const plan_node& n = *nodes.at(*it);
    std::vector<std::uint8_t>& out = d.slots[*it];
    out.resize(layout_of(n).slots(), 0);
    auto in = input_demand(n, out);
    for (std::size_t i = 0; i < n.inputs.size(); ++i)
      or_into(d.slots[key_of(*n.inputs[i])], in[i]);
  }
  return d;
}

} // namespace spate::sql::detail
