#include "spate/sql/plan.hpp"

#include <functional>

namespace spate::sql {

bool operator==(const rex& a, const rex& b) {
  return a.kind == b.kind && a.index == b.index && a.name == b.name && a.lit == b.lit &&
         a.unit == b.unit && a.udf == b.udf && a.operands == b.operands &&
         (a.kind != rex_kind::call || a.name != "CAST" || a.type == b.type);
}
bool operator!=(const rex& a, const rex& b) { return !(a == b); }

rex make_input_ref(int index, const std::string& name, const logical_type& type) {
  rex r;
  r.kind = rex_kind::input_ref;
  r.index = index;
  r.name = name;
  r.type = type;
  return r;
}

std::string to_string(const rex& e) {
  switch (e.kind) {
    case rex_kind::input_ref:
      return e.name;
    case rex_kind::literal:
      if (e.lit == literal_kind::decimal || e.lit == literal_kind::approx)
        return e.name + ":" + to_string(e.type.with_nullable(true));
      return e.name;
    case rex_kind::field_access:
      return to_string(e.operands.at(0)) + "." + e.name;
    case rex_kind::call: {
      if (e.name == "CAST" || e.name == "TRY_CAST")
        return e.name + "(" + to_string(e.operands.at(0)) + " AS " + to_string(e.type) + ")";
      std::string out = e.name + "(";
      if (!e.unit.empty())
        out += "FLAG(" + e.unit + ")" + (e.operands.empty() ? "" : ", ");
      for (std::size_t i = 0; i < e.operands.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += to_string(e.operands[i]);
      }
      return out + ")";
    }
  }
  return "?";
}

std::string changelog_mode::to_string() const {
  if (!insert && insert_only())
    return "[NONE]";
  std::string out;
  auto add = [&out](bool on, const char* what) {
    if (!on)
      return;
    if (!out.empty())
      out += ",";
    out += what;
  };
  add(insert, "I");
  add(update_before, "UB");
  add(update_after, "UA");
  add(delete_, "D");
  return "[" + out + "]";
}

bool operator==(const changelog_mode& a, const changelog_mode& b) {
  return a.insert == b.insert && a.update_before == b.update_before &&
         a.update_after == b.update_after && a.delete_ == b.delete_;
}

namespace {

std::string duration(std::int64_t ms) {
  if (ms % 3600000 == 0 && ms != 0)
    return std::to_string(ms / 3600000) + " h";
  if (ms % 60000 == 0 && ms != 0)
    return std::to_string(ms / 60000) + " min";
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += names[i];
  }
  return out;
}

std::string column_names(const std::vector<plan_column>& cols) {
  std::vector<std::string> names;
  for (const plan_column& c : cols)
    names.push_back(c.name);
  return join_names(names);
}

std::string join_type_name(join_type t) {
  switch (t) {
    case join_type::inner:
      return "InnerJoin";
    case join_type::left:
      return "LeftOuterJoin";
    case join_type::right:
      return "RightOuterJoin";
    case join_type::full:
      return "FullOuterJoin";
  }
  return "?";
}

std::string agg_text(const agg_call& a, const plan_node& input) {
  std::string out = a.function + "(";
  if (a.distinct)
    out += "DISTINCT ";
  if (a.star) {
    out += "*";
  } else {
    for (std::size_t i = 0; i < a.args.size(); ++i) {
      if (i > 0)
        out += ", ";
      out += input.schema.at(static_cast<std::size_t>(a.args[i])).name;
    }
  }
  out += ")";
  if (a.filter >= 0)
    out += " FILTER " + input.schema.at(static_cast<std::size_t>(a.filter)).name;
  return out + " AS " + a.name;
}

//! The join condition: the key equalities and the residual, over left ++ right.
std::string join_condition(const plan_node& n) {
  const plan_node& l = *n.inputs.at(0);
  const plan_node& r = *n.inputs.at(1);
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < n.left_keys.size(); ++i)
    parts.push_back("=(" + n.schema.at(static_cast<std::size_t>(n.left_keys[i])).name + ", " +
                    n.schema.at(l.schema.size() + static_cast<std::size_t>(n.right_keys[i])).name +
                    ")");
  (void)r;
  if (n.residual)
    parts.push_back(to_string(*n.residual));
  if (parts.empty())
    return "true";
  if (parts.size() == 1)
    return parts[0];
  return "AND(" + join_names(parts) + ")";
}

} // namespace

std::string window_def::to_string() const {
  std::string out;
  switch (kind) {
    case window_kind::tumble:
      out = "TUMBLE(";
      break;
    case window_kind::hop:
      out = "HOP(";
      break;
    case window_kind::cumulate:
      out = "CUMULATE(";
      break;
    case window_kind::session:
      out = "SESSION(";
      break;
  }
  out += "time_col=[" + time_column_name + "]";
  if (!partition_names.empty())
    out += ", partition keys=[" + join_names(partition_names) + "]";
  switch (kind) {
    case window_kind::tumble:
      out += ", size=[" + duration(size) + "]";
      break;
    case window_kind::hop:
      out += ", size=[" + duration(size) + "], slide=[" + duration(slide) + "]";
      break;
    case window_kind::cumulate:
      out += ", max_size=[" + duration(size) + "], step=[" + duration(step) + "]";
      break;
    case window_kind::session:
      out += ", gap=[" + duration(gap) + "]";
      break;
  }
  if (offset != 0)
    out += ", offset=[" + duration(offset) + "]";
  return out + ")";
}

bool window_def::same_windows(const window_def& o) const {
  return kind == o.kind && size == o.size && slide == o.slide && step == o.step &&
         offset == o.offset && gap == o.gap;
}

std::string plan_node::operator_name() const {
  switch (kind) {
    case node_kind::scan:
      return "TableSourceScan";
    case node_kind::calc:
      return "Calc";
    case node_kind::watermark_assigner:
      return "WatermarkAssigner";
    case node_kind::window_table_function:
      return "WindowTableFunction";
    case node_kind::window_aggregate:
      return "WindowAggregate";
    case node_kind::group_aggregate:
      return "GroupAggregate";
    case node_kind::join:
      return "Join";
    case node_kind::interval_join:
      return "IntervalJoin";
    case node_kind::window_join:
      return "WindowJoin";
    case node_kind::rank:
      return "Rank";
    case node_kind::deduplicate:
      return "Deduplicate";
    case node_kind::over_aggregate:
      return "OverAggregate";
    case node_kind::lookup_join:
      return "LookupJoin";
    case node_kind::correlate:
      return "Correlate";
    case node_kind::union_all:
      return "Union";
    case node_kind::values:
      return "Values";
    case node_kind::sink:
      return "Sink";
  }
  return "?";
}

std::string plan_node::describe() const {
  std::string attrs;
  auto add = [&attrs](const std::string& key, const std::string& value) {
    if (!attrs.empty())
      attrs += ", ";
    attrs += key + "=[" + value + "]";
  };
  const plan_node* in = inputs.empty() ? nullptr : inputs[0].get();
  switch (kind) {
    case node_kind::scan: {
      std::string t = table;
      std::string dotted = "[";
      std::size_t at = 0;
      for (std::size_t dot = t.find('.'); dot != std::string::npos; dot = t.find('.', at)) {
        dotted += t.substr(at, dot - at) + ", ";
        at = dot + 1;
      }
      dotted += t.substr(at) + "]";
      add("table", dotted);
      add("fields", column_names(schema));
      break;
    }
    case node_kind::calc: {
      std::vector<std::string> items;
      for (std::size_t i = 0; i < projection.size(); ++i) {
        const rex& p = projection[i];
        std::string s = to_string(p);
        if (s != schema[i].name)
          s += " AS " + schema[i].name;
        items.push_back(s);
      }
      add("select", join_names(items));
      if (condition)
        add("where", to_string(*condition));
      break;
    }
    case node_kind::watermark_assigner:
      add("rowtime", schema.at(static_cast<std::size_t>(rowtime)).name);
      add("watermark", watermark ? to_string(*watermark) : "");
      break;
    case node_kind::window_table_function:
      add("window", window->to_string());
      break;
    case node_kind::window_aggregate:
    case node_kind::group_aggregate: {
      std::vector<std::string> keys;
      for (int k : group_keys)
        keys.push_back(in->schema.at(static_cast<std::size_t>(k)).name);
      if (!keys.empty())
        add("groupBy", join_names(keys));
      if (kind == node_kind::window_aggregate) {
        std::string w = window->to_string();
        if (window_start_column >= 0)
          w.insert(w.find('(') + 1,
                   "win_start=[" +
                       in->schema.at(static_cast<std::size_t>(window_start_column)).name +
                       "], win_end=[" +
                       in->schema.at(static_cast<std::size_t>(window_end_column)).name + "], ");
        add("window", w);
      }
      std::vector<std::string> sel = keys;
      for (const agg_call& a : aggregates)
        sel.push_back(agg_text(a, *in));
      if (kind == node_kind::window_aggregate) {
        const std::size_t n = schema.size();
        sel.push_back("start('w$) AS " + schema[n - 3].name);
        sel.push_back("end('w$) AS " + schema[n - 2].name);
        sel.push_back(
            std::string(window->time == time_attribute::proctime ? "proctime" : "rowtime") +
            "('w$) AS " + schema[n - 1].name);
      }
      add("select", join_names(sel));
      break;
    }
    case node_kind::join:
      add("joinType", join_type_name(join));
      add("where", join_condition(*this));
      add("select", column_names(schema));
      break;
    case node_kind::interval_join:
      add("joinType", join_type_name(join));
      add("windowBounds",
          std::string("isRowTime=") +
              (inputs[0]->schema.at(static_cast<std::size_t>(left_time)).type.is_rowtime()
                   ? "true"
                   : "false") +
              ", leftLowerBound=" + std::to_string(lower_bound) + ", leftUpperBound=" +
              std::to_string(upper_bound) + ", leftTimeIndex=" + std::to_string(left_time) +
              ", rightTimeIndex=" + std::to_string(right_time));
      add("where", join_condition(*this));
      add("select", column_names(schema));
      break;
    case node_kind::correlate:
      add("invocation",
          "UNNEST(" + (projection.empty() ? std::string() : to_string(projection[0])) + ")");
      add("select", column_names(schema));
      add("joinType", join_type_name(join));
      break;
    case node_kind::lookup_join: {
      add("table", table);
      add("joinType", join_type_name(join));
      std::vector<std::string> lookup;
      for (std::size_t i = 0; i < left_keys.size() && i < right_keys.size(); ++i)
        lookup.push_back(lookup_columns.at(static_cast<std::size_t>(right_keys[i])).name + "=" +
                         in->schema.at(static_cast<std::size_t>(left_keys[i])).name);
      add("lookup", join_names(lookup));
      if (residual)
        add("where", to_string(*residual));
      add("select", column_names(schema));
      break;
    }
    case node_kind::window_join:
      add("leftWindow", window->to_string());
      add("rightWindow", window->to_string());
      add("joinType", join_type_name(join));
      add("where", join_condition(*this));
      add("select", column_names(schema));
      break;
    case node_kind::rank:
    case node_kind::deduplicate: {
      std::vector<std::string> keys;
      for (int k : partition_keys)
        keys.push_back(in->schema.at(static_cast<std::size_t>(k)).name);
      std::vector<std::string> order;
      for (const auto& [col, desc] : order_keys)
        order.push_back(in->schema.at(static_cast<std::size_t>(col)).name +
                        (desc ? " DESC" : " ASC"));
      if (kind == node_kind::rank) {
        add("strategy", "AppendFastStrategy");
        add("rankType", "ROW_NUMBER");
        add("rankRange", "rankStart=1, rankEnd=" + std::to_string(rank_limit));
        add("partitionBy", join_names(keys));
        add("orderBy", join_names(order));
        add("select", column_names(schema));
      } else {
        add("keep", keep_last ? "LastRow" : "FirstRow");
        add("key", join_names(keys));
        add("order", order_time == time_attribute::rowtime ? "ROWTIME" : "PROCTIME");
      }
      break;
    }
    case node_kind::over_aggregate: {
      std::vector<std::string> keys;
      for (int k : partition_keys)
        keys.push_back(in->schema.at(static_cast<std::size_t>(k)).name);
      if (!keys.empty())
        add("partitionBy", join_names(keys));
      if (!order_keys.empty())
        add("orderBy", in->schema.at(static_cast<std::size_t>(order_keys[0].first)).name + " ASC");
      add("window", std::string(" ") + (over_rows ? "ROWS" : "RANGE") + " BETWEEN " +
                        (over_preceding < 0    ? std::string("UNBOUNDED PRECEDING")
                         : over_preceding == 0 ? std::string("CURRENT ROW")
                                               : std::to_string(over_preceding) + " PRECEDING") +
                        " AND CURRENT ROW");
      std::vector<std::string> sel;
      for (const plan_column& c : in->schema)
        sel.push_back(c.name);
      for (const agg_call& a : aggregates)
        sel.push_back(agg_text(a, *in));
      add("select", join_names(sel));
      break;
    }
    case node_kind::union_all:
      add("all", "true");
      add("union", column_names(schema));
      break;
    case node_kind::values: {
      std::string tuples;
      for (const auto& row : rows) {
        if (!tuples.empty())
          tuples += ", ";
        tuples += "{ ";
        for (std::size_t i = 0; i < row.size(); ++i)
          tuples += (i ? ", " : "") + to_string(row[i]);
        tuples += " }";
      }
      add("tuples", "[" + tuples + "]");
      break;
    }
    case node_kind::sink:
      add("table", table);
      add("fields", column_names(schema));
      break;
  }
  return operator_name() + "(" + attrs + ")";
}

std::string schema_string(const plan_node& node) {
  std::string out;
  for (std::size_t i = 0; i < node.schema.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += node.schema[i].name + " " + to_string(node.schema[i].type);
  }
  return out;
}

std::string explain(const logical_plan& plan) {
  std::string out = "== Optimized Logical Plan ==\n";
  std::function<void(const plan_node&, const std::string&, const std::string&)> print;
  print = [&out, &print](const plan_node& n, const std::string& first, const std::string& rest) {
    std::string line = n.describe();
    line.insert(line.size() - 1, std::string(line[line.size() - 2] == '(' ? "" : ", ") +
                                     "changelogMode=" + n.changelog.to_string());
    out += first + line + "\n";
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const bool last = i + 1 == n.inputs.size();
      print(*n.inputs[i], rest + (last ? "+- " : ":- "), rest + (last ? "   " : ":  "));
    }
  };
  for (std::size_t i = 0; i < plan.roots.size(); ++i) {
    if (i > 0)
      out += "\n";
    print(*plan.roots[i], "", "");
  }
  return out;
}

} // namespace spate::sql
