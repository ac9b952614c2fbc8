// Lookup joins: `JOIN t FOR SYSTEM_TIME AS OF left.proctime ON ...`, Flink's LookupJoin. Each
// row of the left input is looked up in the table `t` by the equality conditions between an
// expression over the left and a column of `t` (the lookup keys); the other conditions are a
// residual over left ++ right. Only a processing-time attribute of the left makes one: the
// table is read as it is when the row passes, with no versions kept.
#include <algorithm>
#include <functional>

#include "analyzer_impl.hpp"

namespace spate::sql::detail {

namespace {

//! Formats a lookup table can be read in (sqlrt/src/lookup_join.cpp decodes them).
bool lookup_format(const std::string& f) { return f == "json" || f == "csv" || f == "raw"; }

//! The right column `e` refers to (a reference at or after `nl` in left ++ right), else -1.
int right_column(const rex& e, int nl) {
  return e.kind == rex_kind::input_ref && e.index >= nl ? e.index - nl : -1;
}

bool only_left(const rex& e, int nl) {
  std::set<int> refs;
  collect_refs(e, refs);
  return refs.empty() || *refs.rbegin() < nl;
}

//! `e` with the references to right's columns (at or after `nl`) moved by `delta`.
rex shift_right(rex e, int nl, int delta) {
  if (e.kind == rex_kind::input_ref && e.index >= nl)
    e.index += delta;
  for (rex& o : e.operands)
    o = shift_right(std::move(o), nl, delta);
  return e;
}

//! Whether CAST(`from` AS `to`) keeps every value as it is (an integer widened).
bool lossless_cast(const logical_type& from, const logical_type& to) {
  const int f = integer_rank(from.kind), t = integer_rank(to.kind);
  return f > 0 && t > 0 && f <= t;
}

//! Same type but for nullability, time attributes and a VARCHAR's or VARBINARY's length: a key
//! of it is encoded like the column's.
bool same_key_type(logical_type a, logical_type b) {
  if (a.kind == b.kind && (a.kind == logical_kind::varchar || a.kind == logical_kind::varbinary))
    return true; // any length: the bytes are the key
  return a.materialized().with_nullable(true) == b.materialized().with_nullable(true);
}

} // namespace

plan_ptr analyzer::lookup_table(const table_ref& t) {
  std::string written;
  for (const std::string& part : t.name)
    written += (written.empty() ? "" : ".") + part;
  if (t.name.size() == 1)
    for (const auto& level : ctes_)
      if (level.count(t.name[0]))
        fail(t.pos, "not supported yet: FOR SYSTEM_TIME AS OF on '" + written +
                        "', a WITH query (a lookup join reads a catalog table)");
  auto object = catalog::object_name(t.name);
  if (object && cat_.find_view(*object))
    fail(t.pos, "not supported yet: FOR SYSTEM_TIME AS OF on view '" + written +
                    "' (a lookup join reads a catalog table)");
  const catalog_table* table = object ? cat_.find_table(*object) : nullptr;
  if (!table) {
    auto hint = closest(t.name.back(), cat_.table_names());
    fail(t.pos,
         "Object '" + written + "' not found" + (hint ? "; did you mean '" + *hint + "'?" : ""));
  }
  const std::string qualified = catalog::qualified(table->name);
  std::map<std::string, std::string> options;
  try {
    options = table->effective_options();
  } catch (const sql_error& e) {
    fail(t.pos, e.message());
  }
  const std::string connector = options.count("connector") ? options["connector"] : "";
  if (connector.empty())
    fail(t.pos, "Table options do not contain an option key 'connector' for discovering a "
                "connector. Table: " +
                    qualified);
  if (connector != "filesystem")
    fail(t.pos, "Temporal table join requires a table that can be looked up, but table '" +
                    qualified + "' of connector '" + connector +
                    "' has no lookup source (the 'filesystem' connector has one)");
  if (options.count("format") && !lookup_format(options["format"]))
    fail(t.pos, "not supported yet: format '" + options["format"] + "' of lookup table '" +
                    qualified + "' (json, csv and raw are)");
  for (const catalog_column& c : table->columns)
    if (c.computed)
      fail(t.pos, "not supported yet: computed column '" + c.name + "' of lookup table '" +
                      qualified + "'");
  auto scan = make_node(node_kind::scan, {});
  scan->table = qualified;
  scan->options = std::move(options);
  for (const catalog_column& c : table->columns) {
    plan_column pc;
    pc.name = c.name;
    pc.type = c.type.materialized(); // the table's time attributes are plain columns here
    scan->schema.push_back(std::move(pc));
  }
  scan->changelog = changelog_mode::inserts();
  return scan;
}

plan_ptr analyzer::plan_lookup_join(join_type type, plan_ptr left, const plan_node& right,
                                    std::vector<rex> conjuncts, const rex& time,
                                    source_pos time_pos) {
  const int nl = static_cast<int>(left->schema.size());
  const int nr = static_cast<int>(right.schema.size());
  // FOR SYSTEM_TIME AS OF: a time attribute of the left input, as the plan has it (a regular
  // join below drops its inputs' time attributes).
  const time_attribute attribute =
      time.kind == rex_kind::input_ref && time.index >= 0 && time.index < nl
          ? left->schema[static_cast<std::size_t>(time.index)].type.attribute
          : time_attribute::none;
  if (attribute == time_attribute::rowtime)
    fail(time_pos, "not supported yet: event-time temporal joins (FOR SYSTEM_TIME AS OF a rowtime "
                   "attribute)");
  if (attribute != time_attribute::proctime)
    fail(time_pos, "Temporal table join currently only supports 'FOR SYSTEM_TIME AS OF' left "
                   "table's time attribute field");

  // Lookup keys: expr_over_left = right_column, either way round.
  struct key {
    rex left;  //!< over left's columns
    int right; //!< right's column
  };
  std::vector<key> keys;
  std::vector<rex> rest; // over left ++ right
  for (rex& c : conjuncts) {
    bool is_key = false, recheck = false;
    for (int side = 0;
         side < 2 && !is_key && c.kind == rex_kind::call && c.name == "=" && c.operands.size() == 2;
         ++side) {
      const int rc = right_column(c.operands[static_cast<std::size_t>(side)], nl);
      const rex& other = c.operands[static_cast<std::size_t>(1 - side)];
      if (rc < 0 || !only_left(other, nl) ||
          right.schema[static_cast<std::size_t>(rc)].type.kind == logical_kind::row)
        continue;
      keys.push_back({other, rc});
      is_key = true;
      // A left key of another type is cast to the column's; unless the cast keeps every value
      // (an integer widened), the comparison itself stays as the residual, so a value the
      // cast changes (a narrowing) does not match.
      const logical_type& rt = right.schema[static_cast<std::size_t>(rc)].type;
      recheck = !same_key_type(other.type, rt) && !lossless_cast(other.type, rt);
    }
    if (!is_key || recheck)
      rest.push_back(std::move(c));
  }
  if (keys.empty()) {
    fail(time_pos, "Temporal table join requires an equality condition on fields of table [" +
                       right.table + "].");
  }

  // The left keys that are not columns of the right type are computed by a Calc below (merged
  // into the left's Calc, as Flink's CalcMergeRule does), named $f<index>.
  std::vector<rex> extra;
  std::vector<int> left_keys;
  for (const key& k : keys) {
    const logical_type& rt = right.schema[static_cast<std::size_t>(k.right)].type;
    if (k.left.kind == rex_kind::input_ref && same_key_type(k.left.type, rt)) {
      left_keys.push_back(k.left.index);
      continue;
    }
    rex e = k.left;
    if (!same_key_type(e.type, rt))
      e = make_call("CAST", {std::move(e)}, rt.with_nullable(true));
    auto same = std::find(extra.begin(), extra.end(), e);
    left_keys.push_back(nl + static_cast<int>(same - extra.begin()));
    if (same == extra.end())
      extra.push_back(std::move(e));
  }
  const int nx = static_cast<int>(extra.size());
  plan_ptr input = left;
  if (nx > 0) {
    auto calc = std::make_shared<plan_node>();
    if (left->kind == node_kind::calc) {
      *calc = *left;
      std::function<rex(const rex&)> inline_refs = [&](const rex& e) -> rex {
        if (e.kind == rex_kind::input_ref && e.index >= 0 &&
            static_cast<std::size_t>(e.index) < left->projection.size())
          return left->projection[static_cast<std::size_t>(e.index)];
        rex copy = e;
        for (rex& o : copy.operands)
          o = inline_refs(o);
        return copy;
      };
      for (rex& e : extra)
        e = inline_refs(e);
    } else {
      calc->kind = node_kind::calc;
      calc->inputs = {left};
      calc->schema = left->schema;
      for (int i = 0; i < nl; ++i)
        calc->projection.push_back(make_input_ref(i, left->schema[static_cast<std::size_t>(i)].name,
                                                  left->schema[static_cast<std::size_t>(i)].type));
    }
    for (int i = 0; i < nx; ++i) {
      plan_column c;
      c.name = "$f" + std::to_string(nl + i);
      c.type = extra[static_cast<std::size_t>(i)].type.materialized();
      calc->schema.push_back(std::move(c));
      calc->projection.push_back(extra[static_cast<std::size_t>(i)]);
    }
    derive_changelog(*calc, false);
    input = calc;
  }

  auto node = make_node(node_kind::lookup_join, {input});
  node->join = type;
  node->table = right.table;
  node->options = right.options;
  node->lookup_columns = right.schema;
  node->left_keys = left_keys;
  for (const key& k : keys)
    node->right_keys.push_back(k.right);
  if (!rest.empty())
    node->residual = shift_right(and_of(std::move(rest)), nl, nx);
  std::vector<std::string> names;
  for (const plan_column& c : input->schema)
    names.push_back(c.name);
  for (const plan_column& c : right.schema)
    names.push_back(c.name);
  names = uniquify(names);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool left_side = i < input->schema.size();
    plan_column c = left_side ? input->schema[i] : right.schema[i - input->schema.size()];
    c.name = names[i];
    if (!left_side && type == join_type::left)
      c.type.nullable = true;
    node->schema.push_back(std::move(c));
  }
  derive_changelog(*node, false);
  if (nx == 0)
    return node;

  // A Calc after the join drops the computed keys: the output is left's columns, then right's.
  std::vector<rex> projection;
  std::vector<std::string> out_names;
  for (int i = 0; i < nl + nr; ++i) {
    const int from = i < nl ? i : i + nx;
    const plan_column& c = node->schema[static_cast<std::size_t>(from)];
    projection.push_back(make_input_ref(from, c.name, c.type));
    out_names.push_back(c.name);
  }
  return make_calc(node, std::move(projection), out_names, std::nullopt);
}

} // namespace spate::sql::detail
