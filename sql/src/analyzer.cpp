// Relations and plans: FROM (tables, views, CTEs, subqueries, window TVFs, joins), SELECT
// (projection, filter, aggregation, windows, Top-N), set operations, VALUES and INSERT INTO.
#include <algorithm>
#include <functional>
#include <limits>

#include "analyzer_impl.hpp"
#include "spate/sql/functions.hpp"
#include "spate/sql/print.hpp"

namespace spate::sql {
namespace detail {

namespace {

const std::set<std::string>& source_connectors() {
  static const std::set<std::string> c = {"kafka", "upsert-kafka", "filesystem", "datagen",
                                          "nexmark"};
  return c;
}
const std::set<std::string>& sink_connectors() {
  static const std::set<std::string> c = {"kafka", "upsert-kafka", "filesystem",
                                          "print", "blackhole",    "redis"};
  return c;
}
//! Sinks that take updates (the rest take inserts only).
const std::set<std::string>& updating_sinks() {
  static const std::set<std::string> c = {"print", "upsert-kafka", "redis", "blackhole"};
  return c;
}

std::string known_connectors() {
  std::set<std::string> all = source_connectors();
  all.insert(sink_connectors().begin(), sink_connectors().end());
  std::string out;
  for (const std::string& c : all)
    out += (out.empty() ? "" : ", ") + c;
  return out;
}

} // namespace

std::vector<std::string> uniquify(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& n : names) {
    std::string name = n;
    for (int i = 0; seen.count(name); ++i)
      name = n + std::to_string(i);
    seen.insert(name);
    out.push_back(name);
  }
  return out;
}

plan_ptr make_node(node_kind kind, std::vector<plan_ptr> inputs) {
  auto n = std::make_shared<plan_node>();
  n->kind = kind;
  n->inputs = std::move(inputs);
  return n;
}

plan_ptr append_columns(plan_ptr input, const std::vector<rex>& extra) {
  if (extra.empty())
    return input;
  std::vector<rex> proj;
  std::vector<std::string> names;
  const int width = static_cast<int>(input->schema.size());
  for (int i = 0; i < width; ++i) {
    const plan_column& c = input->schema[static_cast<std::size_t>(i)];
    proj.push_back(make_input_ref(i, c.name, c.type));
    names.push_back(c.name);
  }
  for (std::size_t i = 0; i < extra.size(); ++i) {
    proj.push_back(extra[i]);
    names.push_back("$f" + std::to_string(width + static_cast<int>(i)));
  }
  return make_calc(input, std::move(proj), names, std::nullopt);
}

plan_ptr make_calc(plan_ptr input, std::vector<rex> projection,
                   const std::vector<std::string>& names, std::optional<rex> condition) {
  auto n = make_node(node_kind::calc, {input});
  for (std::size_t i = 0; i < projection.size(); ++i) {
    plan_column c;
    c.name = names[i];
    c.type = projection[i].type;
    if (projection[i].kind == rex_kind::input_ref) {
      const plan_column& from = input->schema.at(static_cast<std::size_t>(projection[i].index));
      c.type = from.type;
      c.property = from.property;
      c.window = from.window;
    } else if (!(projection[i].kind == rex_kind::call && projection[i].name == "PROCTIME")) {
      c.type = c.type.materialized();
    }
    n->schema.push_back(std::move(c));
  }
  n->projection = std::move(projection);
  n->condition = std::move(condition);
  derive_changelog(*n, false);
  return n;
}

namespace {

//! Whether `projection` over `input` is the identity with the same names.
bool is_identity(const plan_node& input, const std::vector<rex>& projection,
                 const std::vector<std::string>& names) {
  if (projection.size() != input.schema.size())
    return false;
  for (std::size_t i = 0; i < projection.size(); ++i)
    if (projection[i].kind != rex_kind::input_ref || projection[i].index != static_cast<int>(i) ||
        names[i] != input.schema[i].name)
      return false;
  return true;
}

bool has_aggregate(const expr& e, const catalog& cat) {
  if (e.kind == expr_kind::function && e.names.size() == 1 && !e.over) {
    static const std::set<std::string> aggs = {
        "COUNT",       "SUM",        "SUM0",     "MIN",        "MAX",         "AVG",
        "FIRST_VALUE", "LAST_VALUE", "LISTAGG",  "STDDEV_POP", "STDDEV_SAMP", "VAR_POP",
        "VAR_SAMP",    "COLLECT",    "BOOL_AND", "BOOL_OR"};
    if (aggs.count(upper_of(e.names[0])) && !cat.find_function(e.names[0]))
      return true;
  }
  for (const box<expr>& a : e.args)
    if (a && has_aggregate(*a, cat))
      return true;
  if (e.operand && has_aggregate(*e.operand, cat))
    return true;
  if (e.else_value && has_aggregate(*e.else_value, cat))
    return true;
  return false;
}

//! The first OVER call other than ROW_NUMBER in `e`, if any.
const expr* over_aggregate(const expr& e) {
  if (e.kind == expr_kind::function && e.over && !e.names.empty() &&
      upper_of(e.names.back()) != "ROW_NUMBER")
    return &e;
  for (const box<expr>& a : e.args)
    if (a)
      if (const expr* found = over_aggregate(*a))
        return found;
  if (e.operand)
    if (const expr* found = over_aggregate(*e.operand))
      return found;
  if (e.else_value)
    if (const expr* found = over_aggregate(*e.else_value))
      return found;
  return nullptr;
}

bool has_row_number(const expr& e) {
  if (e.kind == expr_kind::function && e.over && !e.names.empty() &&
      upper_of(e.names.back()) == "ROW_NUMBER")
    return true;
  for (const box<expr>& a : e.args)
    if (a && has_row_number(*a))
      return true;
  return false;
}

//! The output name of a SELECT item without an alias.
std::string item_name(const expr& e, std::size_t index) {
  if (e.kind == expr_kind::identifier)
    return e.names.back();
  if (e.kind == expr_kind::field)
    return e.names[0];
  return "EXPR$" + std::to_string(index);
}

struct time_term {
  int column = -1;
  std::int64_t offset = 0;
};

//! `col`, `col + INTERVAL`, `col - INTERVAL` on a time attribute.
std::optional<time_term> as_time_term(const rex& e) {
  if (e.kind == rex_kind::input_ref && e.type.is_time_attribute())
    return time_term{e.index, 0};
  if (e.kind == rex_kind::call && (e.name == "+" || e.name == "-") && e.operands.size() == 2 &&
      e.operands[0].kind == rex_kind::input_ref && e.operands[0].type.is_time_attribute()) {
    auto ms = analyzer::interval_millis(e.operands[1]);
    if (!ms)
      return std::nullopt;
    return time_term{e.operands[0].index, e.name == "+" ? *ms : -*ms};
  }
  return std::nullopt;
}

} // namespace

void derive_changelog(plan_node& n, bool recurse) {
  if (recurse)
    for (const plan_ptr& i : n.inputs)
      derive_changelog(*i, true);
  auto input_only = [&n]() {
    for (const plan_ptr& i : n.inputs)
      if (!i->changelog.insert_only())
        return false;
    return true;
  };
  switch (n.kind) {
    case node_kind::scan:
      break;
    case node_kind::calc:
    case node_kind::watermark_assigner:
    case node_kind::window_table_function:
    case node_kind::lookup_join:
    case node_kind::correlate:
      n.changelog = n.inputs.at(0)->changelog;
      break;
    case node_kind::union_all: {
      changelog_mode m = changelog_mode::inserts();
      for (const plan_ptr& i : n.inputs) {
        m.update_before = m.update_before || i->changelog.update_before;
        m.update_after = m.update_after || i->changelog.update_after;
        m.delete_ = m.delete_ || i->changelog.delete_;
      }
      n.changelog = m;
      break;
    }
    case node_kind::over_aggregate:
      n.changelog = n.inputs.at(0)->changelog;
      break;
    case node_kind::values:
    case node_kind::window_aggregate:
    case node_kind::interval_join:
    case node_kind::window_join:
      n.changelog = changelog_mode::inserts();
      break;
    case node_kind::group_aggregate:
      n.changelog = input_only() ? changelog_mode::updates() : changelog_mode::all();
      break;
    case node_kind::join:
      n.changelog = input_only() && n.join == join_type::inner ? changelog_mode::inserts()
                                                               : changelog_mode::all();
      break;
    case node_kind::rank:
      n.changelog = changelog_mode::all();
      break;
    case node_kind::deduplicate:
      // Keep-first on processing time never changes its row; on event time an earlier row
      // may come later and replace it (Flink's RowTimeDeduplicateFunction emits -U/+U).
      n.changelog = !n.keep_last && n.order_time == time_attribute::proctime && input_only()
                        ? changelog_mode::inserts()
                    : input_only() ? changelog_mode::updates()
                                   : changelog_mode::all();
      break;
    case node_kind::sink:
      n.changelog = changelog_mode::none();
      break;
  }
}

struct analyzer::join_tree {
  plan_ptr leaf;
  join_kind kind = join_kind::inner;
  std::unique_ptr<join_tree> left;
  std::unique_ptr<join_tree> right;
  std::vector<rex> conditions; //!< over this subtree's columns
  int width = 0;
  source_pos pos;
  //! A lookup join: the right leaf is the looked-up table (a scan node of its physical
  //! columns, never run) and this the FOR SYSTEM_TIME AS OF expression, over the left's columns.
  std::optional<rex> system_time;
  source_pos system_time_pos;
  //! A join with UNNEST: the right leaf is a Values node of the element's columns (never run)
  //! and this the collection, over the left's columns.
  std::optional<rex> unnest;
};

struct analyzer::from_result {
  std::unique_ptr<join_tree> tree;
  scope sc;
};

void analyzer::check_ranks() const {
  for (const auto& r : ranks_)
    if (r.first->kind == node_kind::rank && r.first->rank_limit == 0)
      fail(r.second, "not supported yet: ROW_NUMBER() without a filter on its result "
                     "(rn <= N) in the enclosing query: OVER aggregation");
}

// ---------------------------------------------------------------------------------------------
// Tables, views and CTEs

plan_ptr analyzer::scan_chain(const catalog_table& t) {
  const std::string connector = t.connector();
  const std::string qualified = catalog::qualified(t.name);
  if (connector.empty())
    throw_validation_error(t.source, {},
                           "Table options do not contain an option key 'connector' "
                           "for discovering a connector. Table: " +
                               qualified);
  if (!source_connectors().count(connector)) {
    if (sink_connectors().count(connector))
      throw sql_error({},
                      "Connector '" + connector +
                          "' can only be used as a sink. It cannot be used as a source.",
                      "", "SQL validation error");
    throw sql_error({},
                    "Could not find any factory for identifier '" + connector +
                        "' that implements 'DynamicTableSourceFactory'. Available factory "
                        "identifiers are: " +
                        known_connectors(),
                    "", "SQL validation error");
  }
  auto scan = make_node(node_kind::scan, {});
  scan->table = qualified;
  scan->options = t.effective_options();
  scope physical;
  physical.tables.push_back({t.name, {}, 0});
  for (const catalog_column& c : t.columns) {
    if (c.computed)
      continue;
    plan_column pc;
    pc.name = c.name;
    pc.type = c.type.materialized();
    scan->schema.push_back(pc);
    physical.tables[0].names.push_back(c.name);
    physical.columns.push_back(pc);
  }
  scan->changelog = connector == "upsert-kafka" ? changelog_mode::all() : changelog_mode::inserts();
  plan_ptr node = scan;
  bool computed = false;
  for (const catalog_column& c : t.columns)
    computed = computed || c.computed.has_value();
  if (computed) {
    const std::string_view saved = sql_;
    sql_ = t.source;
    std::vector<rex> projection;
    std::vector<std::string> names;
    int physical_index = 0;
    for (const catalog_column& c : t.columns) {
      names.push_back(c.name);
      if (!c.computed) {
        projection.push_back(make_input_ref(
            physical_index, c.name, scan->schema[static_cast<std::size_t>(physical_index)].type));
        ++physical_index;
        continue;
      }
      expr_context ctx;
      ctx.sc = &physical;
      ctx.clause = "computed column";
      projection.push_back(analyze(*c.computed, ctx));
    }
    sql_ = saved;
    node = make_calc(node, std::move(projection), names, std::nullopt);
  }
  if (t.watermark_column) {
    auto wm = make_node(node_kind::watermark_assigner, {node});
    wm->schema = node->schema;
    scope all;
    all.tables.push_back({t.name, {}, 0});
    for (std::size_t i = 0; i < node->schema.size(); ++i) {
      all.tables[0].names.push_back(node->schema[i].name);
      all.columns.push_back(node->schema[i]);
      if (node->schema[i].name == *t.watermark_column)
        wm->rowtime = static_cast<int>(i);
    }
    const std::string_view saved = sql_;
    sql_ = t.source;
    expr_context ctx;
    ctx.sc = &all;
    ctx.clause = "WATERMARK";
    wm->watermark = analyze(*t.watermark, ctx);
    sql_ = saved;
    plan_column& rt = wm->schema.at(static_cast<std::size_t>(wm->rowtime));
    rt.type = make_rowtime(rt.type);
    derive_changelog(*wm, false);
    node = wm;
  }
  return node;
}

plan_ptr analyzer::table_node(const qualified_name& name, source_pos pos, std::string* alias) {
  if (alias)
    *alias = name.back();
  if (name.size() == 1) {
    for (auto level = ctes_.rbegin(); level != ctes_.rend(); ++level) {
      auto it = level->find(name[0]);
      if (it == level->end())
        continue;
      const cte& def = *it->second.def;
      const std::string key = "cte:" + def.name;
      if (expanding_.count(key))
        fail(pos, "not supported yet: recursive reference to '" + def.name + "'");
      expanding_.insert(key);
      plan_ptr n = plan_query(*def.body);
      expanding_.erase(key);
      if (!def.columns.empty()) {
        if (def.columns.size() != n->schema.size())
          fail(pos, "List of column aliases must have same degree as table; table has " +
                        std::to_string(n->schema.size()) + " columns, whereas alias list has " +
                        std::to_string(def.columns.size()) + " columns");
        std::vector<rex> proj;
        for (std::size_t i = 0; i < n->schema.size(); ++i)
          proj.push_back(make_input_ref(static_cast<int>(i), n->schema[i].name, n->schema[i].type));
        n = make_calc(n, std::move(proj), def.columns, std::nullopt);
      }
      return n;
    }
  }
  std::vector<std::string> candidates = cat_.table_names();
  for (const auto& level : ctes_)
    for (const auto& c : level)
      candidates.push_back(c.first);
  std::string written;
  for (const std::string& part : name)
    written += (written.empty() ? "" : ".") + part;
  auto object = catalog::object_name(name);
  if (object) {
    if (const catalog_view* v = cat_.find_view(*object)) {
      const std::string key = "view:" + v->name;
      if (expanding_.count(key))
        fail(pos, "View '" + v->name + "' refers to itself");
      expanding_.insert(key);
      const std::string_view saved_sql = sql_;
      auto saved_ctes = std::move(ctes_);
      ctes_.clear();
      sql_ = v->source;
      plan_ptr n = plan_query(v->body);
      sql_ = saved_sql;
      ctes_ = std::move(saved_ctes);
      expanding_.erase(key);
      if (!v->columns.empty()) {
        std::vector<rex> proj;
        for (std::size_t i = 0; i < n->schema.size(); ++i)
          proj.push_back(make_input_ref(static_cast<int>(i), n->schema[i].name, n->schema[i].type));
        n = make_calc(n, std::move(proj), v->columns, std::nullopt);
      }
      return n;
    }
    if (const catalog_table* t = cat_.find_table(*object)) {
      try {
        return scan_chain(*t);
      } catch (const sql_error& e) {
        if (e.pos().line != 0)
          throw;
        fail(pos, e.message());
      }
    }
  }
  auto hint = closest(name.back(), candidates);
  fail(pos, "Object '" + written + "' not found" + (hint ? "; did you mean '" + *hint + "'?" : ""));
}

// ---------------------------------------------------------------------------------------------
// Window table functions

plan_ptr analyzer::window_tvf(const table_ref& t) {
  const std::string fname = upper_of(t.function.back());
  window_def w;
  std::vector<std::string> params;
  if (fname == "TUMBLE") {
    w.kind = window_kind::tumble;
    params = {"DATA", "TIMECOL", "SIZE", "OFFSET"};
  } else if (fname == "HOP") {
    w.kind = window_kind::hop;
    params = {"DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"};
  } else if (fname == "CUMULATE") {
    w.kind = window_kind::cumulate;
    params = {"DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"};
  } else {
    w.kind = window_kind::session;
    params = {"DATA", "TIMECOL", "GAP"};
  }
  std::map<std::string, const table_arg*> args;
  for (std::size_t i = 0; i < t.args.size(); ++i) {
    const table_arg& a = t.args[i];
    const std::string key =
        a.name.empty() ? (i < params.size() ? params[i] : "") : upper_of(a.name);
    if (key.empty() || std::find(params.begin(), params.end(), key) == params.end())
      fail(t.pos, "Invalid number of arguments to function '" + fname + "'");
    args[key] = &a;
  }
  const std::size_t required =
      w.kind == window_kind::tumble || w.kind == window_kind::session ? 3 : 4;
  for (std::size_t i = 0; i < required; ++i)
    if (!args.count(params[i]))
      fail(t.pos, "Invalid number of arguments to function '" + fname + "'. Was expecting " +
                      std::to_string(required) + " arguments");
  const table_arg& data = *args["DATA"];
  if (data.type != table_arg::kind::table)
    fail(t.pos, "not supported yet: a window table function's DATA other than TABLE name");
  plan_ptr input = table_node(data.table, t.pos, nullptr);
  const table_arg& timecol = *args["TIMECOL"];
  if (timecol.type != table_arg::kind::descriptor || timecol.columns.size() != 1)
    fail(t.pos, "The window function " + fname + " needs DESCRIPTOR(timecol) with one column");
  std::vector<std::string> names;
  for (const plan_column& c : input->schema)
    names.push_back(c.name);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == timecol.columns[0])
      w.time_column = static_cast<int>(i);
  if (w.time_column < 0) {
    auto hint = closest(timecol.columns[0], names);
    fail(t.pos, "Column '" + timecol.columns[0] + "' not found in table '" +
                    (data.table.empty() ? "" : data.table.back()) + "'" +
                    (hint ? "; did you mean '" + *hint + "'?" : ""));
  }
  const plan_column& tc = input->schema[static_cast<std::size_t>(w.time_column)];
  if (!tc.type.is_time_attribute())
    fail(t.pos, "The window function requires the timecol is a time attribute type, but is " +
                    to_string(tc.type.with_nullable(true)) + ".");
  w.time_column_name = tc.name;
  w.time = tc.type.attribute;
  scope empty;
  auto millis = [&](const char* param) -> std::int64_t {
    auto it = args.find(param);
    if (it == args.end())
      return 0;
    const table_arg& a = *it->second;
    if (a.type != table_arg::kind::value)
      fail(t.pos, std::string("The window function's ") + param + " must be an interval");
    expr_context ctx;
    ctx.sc = &empty;
    rex v = analyze(*a.value, ctx);
    auto ms = interval_millis(v);
    if (!ms)
      fail(a.value->pos, std::string("not supported yet: a window ") + param +
                             " other than a day-time INTERVAL literal");
    if (*ms <= 0 && std::string(param) != "OFFSET")
      fail(a.value->pos, std::string("The window ") + param + " must be positive");
    return *ms;
  };
  w.size = millis("SIZE");
  w.slide = millis("SLIDE");
  w.step = millis("STEP");
  w.offset = millis("OFFSET");
  w.gap = millis("GAP");
  if (w.kind == window_kind::hop && w.size % w.slide != 0)
    fail(t.pos, "HOP table function based aggregate requires size must be an integral multiple "
                "of slide, but got size " +
                    std::to_string(w.size) + " ms and slide " + std::to_string(w.slide) + " ms.");
  if (w.kind == window_kind::cumulate && w.size % w.step != 0)
    fail(t.pos, "CUMULATE table function based aggregate requires maxSize must be an integral "
                "multiple of step, but got maxSize " +
                    std::to_string(w.size) + " ms and step " + std::to_string(w.step) + " ms.");
  for (const std::string& p : data.partition_by) {
    auto it = std::find(names.begin(), names.end(), p);
    if (it == names.end())
      fail(t.pos, "Column '" + p + "' not found in table '" + data.table.back() + "'");
    w.partition_keys.push_back(static_cast<int>(it - names.begin()));
    w.partition_names.push_back(p);
  }
  if (!input->changelog.insert_only())
    fail(t.pos, "not supported yet: window table function " + fname +
                    " over an updating input (produced by " + input->describe() + ")");
  auto node = make_node(node_kind::window_table_function, {input});
  auto def = std::make_shared<const window_def>(w);
  node->window = def;
  node->schema = input->schema;
  plan_column& time = node->schema[static_cast<std::size_t>(w.time_column)];
  time.type = time.type.materialized();
  plan_column start{"window_start", make_timestamp(3, true), window_property::start, def};
  plan_column end{"window_end", make_timestamp(3, true), window_property::end, def};
  plan_column wt{"window_time",
                 w.time == time_attribute::rowtime ? make_rowtime(make_timestamp(3, true))
                                                   : make_proctime(),
                 window_property::time, def};
  node->schema.push_back(start);
  node->schema.push_back(end);
  node->schema.push_back(wt);
  derive_changelog(*node, false);
  return node;
}

// ---------------------------------------------------------------------------------------------
// FROM

namespace {

//! `names` renamed by the table reference's column alias list (`AS t(a, b)`), if it has one;
//! returns whether it had.
bool apply_column_aliases(const analyzer& a, const table_ref& t, std::vector<std::string>& names) {
  if (t.column_aliases.empty())
    return false;
  if (t.column_aliases.size() != names.size())
    a.fail(t.pos, "List of column aliases must have same degree as table; table has " +
                      std::to_string(names.size()) + " columns, whereas alias list has " +
                      std::to_string(t.column_aliases.size()) + " columns");
  names = t.column_aliases;
  return true;
}

} // namespace

analyzer::from_result analyzer::unnest_table(const table_ref& t, const scope& left) {
  if (t.unnest_args.size() != 1)
    fail(t.pos, "not supported yet: UNNEST of more than one collection");
  expr_context ctx;
  ctx.sc = &left;
  ctx.clause = "UNNEST";
  rex c = analyze(*t.unnest_args[0], ctx);
  const logical_type& ct = c.type;
  std::vector<plan_column> columns;
  auto add = [&columns](const std::string& name, const logical_type& type) {
    plan_column col;
    col.name = name;
    col.type = type.materialized();
    columns.push_back(std::move(col));
  };
  if (ct.kind == logical_kind::array || ct.kind == logical_kind::multiset) {
    const logical_type& e = ct.elements.at(0);
    if (e.kind == logical_kind::row && ct.kind == logical_kind::array) {
      for (const logical_field& f : e.fields)
        add(f.name, f.type);
    } else {
      add("f0", e);
    }
  } else if (ct.kind == logical_kind::map) {
    add("f0", ct.elements.at(0));
    add("f1", ct.elements.at(1));
  } else {
    fail(t.unnest_args[0]->pos,
         std::string("Cannot apply 'UNNEST' to arguments of type 'UNNEST(<") + sql_type_name(ct) +
             ">" +
             ")'. Supported form(s): 'UNNEST(<MULTISET>)', "
             "'UNNEST(<ARRAY>)', 'UNNEST(<MAP>)'");
  }
  std::vector<std::string> names;
  for (const plan_column& col : columns)
    names.push_back(col.name);
  if (apply_column_aliases(*this, t, names))
    for (std::size_t i = 0; i < names.size(); ++i)
      columns[i].name = names[i];
  from_result r;
  r.tree = std::make_unique<join_tree>();
  auto leaf = make_node(node_kind::values, {});
  leaf->schema = columns;
  leaf->projection.push_back(std::move(c));
  derive_changelog(*leaf, false);
  r.tree->leaf = leaf;
  r.tree->pos = t.pos;
  r.tree->width = static_cast<int>(columns.size());
  r.sc.tables.push_back({t.alias, names, 0});
  r.sc.columns = columns;
  return r;
}

analyzer::from_result analyzer::analyze_from(const table_ref& t) {
  from_result out;
  out.tree = std::make_unique<join_tree>();
  out.tree->pos = t.pos;
  auto leaf = [&](plan_ptr node, std::string alias) {
    std::vector<std::string> names;
    for (const plan_column& c : node->schema)
      names.push_back(c.name);
    apply_column_aliases(*this, t, names);
    out.sc.tables.push_back({std::move(alias), names, 0});
    out.sc.columns = node->schema;
    out.tree->width = static_cast<int>(node->schema.size());
    out.tree->leaf = std::move(node);
  };
  switch (t.kind) {
    case table_ref_kind::table: {
      if (t.system_time)
        fail(t.pos, "not supported yet: FOR SYSTEM_TIME AS OF other than on the right side of a "
                    "join (a lookup join)");
      std::string alias;
      plan_ptr node = table_node(t.name, t.pos, &alias);
      leaf(std::move(node), t.alias.empty() ? alias : t.alias);
      break;
    }
    case table_ref_kind::subquery: {
      if (t.lateral)
        fail(t.pos, "not supported yet: LATERAL subqueries");
      leaf(plan_query(*t.subquery), t.alias);
      break;
    }
    case table_ref_kind::function: {
      const std::string fname = t.function.empty() ? "" : upper_of(t.function.back());
      if (t.lateral || t.function.size() != 1 ||
          (fname != "TUMBLE" && fname != "HOP" && fname != "CUMULATE" && fname != "SESSION"))
        fail(t.pos, "not supported yet: table function '" +
                        (t.function.empty() ? std::string() : t.function.back()) + "'");
      leaf(window_tvf(t), t.alias);
      break;
    }
    case table_ref_kind::unnest:
      fail(t.pos, "not supported yet: UNNEST other than joined with a table (FROM t CROSS JOIN "
                  "UNNEST(t.c) AS u(x))");
    case table_ref_kind::join: {
      from_result l = analyze_from(*t.left);
      const bool lookup = t.right->kind == table_ref_kind::table && t.right->system_time;
      from_result r;
      if (t.right->kind == table_ref_kind::unnest) {
        r = unnest_table(*t.right, l.sc);
        if (t.join == join_kind::right || t.join == join_kind::full)
          fail(t.pos, "not supported yet: UNNEST on the right of a RIGHT or FULL JOIN");
        if (t.join == join_kind::left &&
            !(t.on && t.on->kind == expr_kind::literal && upper_of(t.on->text) == "TRUE"))
          fail(t.pos, "not supported yet: LEFT JOIN UNNEST with a condition other than ON TRUE");
        out.tree->unnest = r.tree->leaf->projection.at(0);
        r.tree->leaf->projection.clear();
      } else if (lookup) {
        r.tree = std::make_unique<join_tree>();
        r.tree->leaf = lookup_table(*t.right);
        r.tree->pos = t.right->pos;
        std::vector<std::string> names;
        for (const plan_column& c : r.tree->leaf->schema)
          names.push_back(c.name);
        if (!t.right->column_aliases.empty()) {
          if (t.right->column_aliases.size() != names.size())
            fail(t.right->pos, "List of column aliases must have same degree as table; table has " +
                                   std::to_string(names.size()) +
                                   " columns, whereas alias list has " +
                                   std::to_string(t.right->column_aliases.size()) + " columns");
          names = t.right->column_aliases;
        }
        r.sc.tables.push_back(
            {t.right->alias.empty() ? t.right->name.back() : t.right->alias, names, 0});
        r.sc.columns = r.tree->leaf->schema;
        r.tree->width = static_cast<int>(names.size());
        if (t.join != join_kind::inner && t.join != join_kind::left && t.join != join_kind::comma &&
            t.join != join_kind::cross)
          fail(t.pos, std::string("Temporal table join currently only supports INNER JOIN and "
                                  "LEFT JOIN, but was ") +
                          (t.join == join_kind::right ? "RIGHT" : "FULL") + " JOIN");
        expr_context ctx;
        ctx.sc = &l.sc;
        ctx.clause = "FOR SYSTEM_TIME AS OF";
        out.tree->system_time = analyze(*t.right->system_time, ctx);
        out.tree->system_time_pos = t.right->system_time->pos;
      } else {
        r = analyze_from(*t.right);
      }
      const int nl = l.tree->width;
      out.sc = std::move(l.sc);
      for (scope_table st : r.sc.tables) {
        for (const scope_table& existing : out.sc.tables)
          if (!st.alias.empty() && existing.alias == st.alias)
            fail(t.right->pos, "Duplicate relation name '" + st.alias + "' in FROM clause");
        st.offset += nl;
        out.sc.tables.push_back(std::move(st));
      }
      for (plan_column c : r.sc.columns)
        out.sc.columns.push_back(std::move(c));
      if (t.join == join_kind::left || t.join == join_kind::full)
        for (std::size_t i = static_cast<std::size_t>(nl); i < out.sc.columns.size(); ++i)
          out.sc.columns[i].type.nullable = true;
      if (t.join == join_kind::right || t.join == join_kind::full)
        for (std::size_t i = 0; i < static_cast<std::size_t>(nl); ++i)
          out.sc.columns[i].type.nullable = true;
      out.tree->kind = t.join;
      out.tree->width = nl + r.tree->width;
      out.tree->left = std::move(l.tree);
      out.tree->right = std::move(r.tree);
      if (t.on) {
        expr_context ctx;
        ctx.sc = &out.sc;
        rex on = analyze_condition(*t.on, ctx, "ON");
        split_conjuncts(on, out.tree->conditions);
      }
      for (const std::string& u : t.using_columns) {
        int li = -1, ri = -1;
        for (const scope_table& st : out.sc.tables)
          for (std::size_t i = 0; i < st.names.size(); ++i)
            if (st.names[i] == u)
              (st.offset < nl ? li : ri) = st.offset + static_cast<int>(i);
        if (li < 0 || ri < 0)
          fail(t.pos, "Column '" + u + "' not found in " + (li < 0 ? "left" : "right") +
                          " table of USING");
        const plan_column& a = out.sc.columns[static_cast<std::size_t>(li)];
        const plan_column& b = out.sc.columns[static_cast<std::size_t>(ri)];
        out.tree->conditions.push_back(
            make_call("=", {make_input_ref(li, a.name, a.type), make_input_ref(ri, b.name, b.type)},
                      make_type(logical_kind::boolean, !(a.type.nullable || b.type.nullable))));
      }
      break;
    }
  }
  return out;
}

plan_ptr analyzer::plan_join(join_type type, plan_ptr left, plan_ptr right,
                             std::vector<rex> conjuncts, source_pos pos) {
  const int nl = static_cast<int>(left->schema.size());
  std::vector<std::pair<int, int>> keys;
  std::vector<rex> residual;
  for (rex& c : conjuncts) {
    if (c.kind == rex_kind::call && c.name == "=" && c.operands[0].kind == rex_kind::input_ref &&
        c.operands[1].kind == rex_kind::input_ref) {
      const int a = c.operands[0].index;
      const int b = c.operands[1].index;
      if (a < nl && b >= nl) {
        keys.emplace_back(a, b - nl);
        continue;
      }
      if (b < nl && a >= nl) {
        keys.emplace_back(b, a - nl);
        continue;
      }
    }
    residual.push_back(std::move(c));
  }
  const bool inputs_insert_only = left->changelog.insert_only() && right->changelog.insert_only();
  auto node = make_node(node_kind::join, {left, right});
  node->join = type;

  // A window join: both sides windowed alike, joined on window_start and window_end.
  auto window_cols = [](const plan_node& n, window_property p) {
    std::vector<int> out;
    for (std::size_t i = 0; i < n.schema.size(); ++i)
      if (n.schema[i].property == p)
        out.push_back(static_cast<int>(i));
    return out;
  };
  bool windowed = false;
  for (int ls : window_cols(*left, window_property::start))
    for (int rs : window_cols(*right, window_property::start)) {
      if (windowed)
        break;
      const auto& lw = left->schema[static_cast<std::size_t>(ls)].window;
      const auto& rw = right->schema[static_cast<std::size_t>(rs)].window;
      if (!lw || !rw || !lw->same_windows(*rw))
        continue;
      auto start_key = std::find(keys.begin(), keys.end(), std::make_pair(ls, rs));
      if (start_key == keys.end())
        continue;
      int le = -1, re = -1;
      for (auto& k : keys)
        if (left->schema[static_cast<std::size_t>(k.first)].property == window_property::end &&
            right->schema[static_cast<std::size_t>(k.second)].property == window_property::end &&
            left->schema[static_cast<std::size_t>(k.first)].window == lw &&
            right->schema[static_cast<std::size_t>(k.second)].window == rw) {
          le = k.first;
          re = k.second;
        }
      if (le < 0 || !inputs_insert_only)
        continue;
      keys.erase(std::find(keys.begin(), keys.end(), std::make_pair(ls, rs)));
      keys.erase(std::find(keys.begin(), keys.end(), std::make_pair(le, re)));
      node->kind = node_kind::window_join;
      node->window = lw;
      node->window_start_column = ls;
      node->window_end_column = le;
      windowed = true;
    }

  // An interval join: bounds between a left and a right time attribute.
  if (!windowed && inputs_insert_only) {
    struct bounds {
      std::optional<std::int64_t> lower, upper;
      std::vector<std::size_t> used;
    };
    std::map<std::pair<int, int>, bounds> found;
    for (std::size_t i = 0; i < residual.size(); ++i) {
      const rex& c = residual[i];
      if (c.kind != rex_kind::call || c.operands.size() != 2 ||
          (c.name != "<" && c.name != "<=" && c.name != ">" && c.name != ">="))
        continue;
      auto a = as_time_term(c.operands[0]);
      auto b = as_time_term(c.operands[1]);
      if (!a || !b)
        continue;
      std::string o = c.name;
      std::int64_t bound = 0;
      int lt = -1, rt = -1;
      if (a->column < nl && b->column >= nl) { // l + oa OP r + ob  =>  l - r OP ob - oa
        lt = a->column;
        rt = b->column - nl;
        bound = b->offset - a->offset;
      } else if (b->column < nl && a->column >= nl) { // r + oa OP l + ob  =>  l - r OP' oa - ob
        lt = b->column;
        rt = a->column - nl;
        bound = a->offset - b->offset;
        o = o == "<" ? ">" : o == "<=" ? ">=" : o == ">" ? "<" : "<=";
      } else {
        continue;
      }
      if (left->schema[static_cast<std::size_t>(lt)].type.attribute !=
          right->schema[static_cast<std::size_t>(rt)].type.attribute)
        continue;
      bounds& bd = found[{lt, rt}];
      if (o == ">" || o == ">=") {
        const std::int64_t lo = o == ">" ? bound + 1 : bound;
        bd.lower = bd.lower ? std::max(*bd.lower, lo) : lo;
      } else {
        const std::int64_t hi = o == "<" ? bound - 1 : bound;
        bd.upper = bd.upper ? std::min(*bd.upper, hi) : hi;
      }
      bd.used.push_back(i);
    }
    for (auto& [cols, bd] : found) {
      if (!bd.lower || !bd.upper)
        continue;
      node->kind = node_kind::interval_join;
      node->left_time = cols.first;
      node->right_time = cols.second;
      node->lower_bound = *bd.lower;
      node->upper_bound = *bd.upper;
      std::vector<rex> rest;
      for (std::size_t i = 0; i < residual.size(); ++i)
        if (std::find(bd.used.begin(), bd.used.end(), i) == bd.used.end())
          rest.push_back(residual[i]);
      residual = std::move(rest);
      break;
    }
  }
  // Conditions on one side only are filters of that side, applied before the join (Flink's
  // filter push-down): the join keeps only the rows that can match. An outer join's ON
  // condition filters its inner side only (the preserved side's rows come out either way).
  {
    const bool push_left = type == join_type::inner || type == join_type::right;
    const bool push_right = type == join_type::inner || type == join_type::left;
    std::vector<rex> left_filters, right_filters, rest;
    for (rex& c : residual) {
      int lo = std::numeric_limits<int>::max(), hi = -1;
      bool deterministic = true;
      std::function<void(const rex&)> scan = [&](const rex& e) {
        if (e.kind == rex_kind::input_ref) {
          lo = std::min(lo, e.index);
          hi = std::max(hi, e.index);
        }
        if (e.kind == rex_kind::call &&
            (e.name == "RAND" || e.name == "RAND_INTEGER" || e.name == "UUID" || e.name == "NOW" ||
             e.name == "PROCTIME" || e.name == "CURRENT_TIMESTAMP" ||
             e.name == "CURRENT_ROW_TIMESTAMP" || e.name == "LOCALTIMESTAMP" ||
             e.name == "CURRENT_DATE" || e.name == "CURRENT_TIME" || e.name == "LOCALTIME" ||
             e.name == "UNIX_TIMESTAMP"))
          deterministic = false;
        if (!e.udf.empty()) {
          auto f = find_function_class(e.udf);
          deterministic = deterministic && f && f->deterministic;
        }
        for (const rex& o : e.operands)
          scan(o);
      };
      scan(c);
      if (deterministic && hi >= 0 && hi < nl && push_left) {
        left_filters.push_back(std::move(c));
      } else if (deterministic && hi >= 0 && lo >= nl && push_right) {
        std::function<void(rex&)> shift = [&](rex& e) {
          if (e.kind == rex_kind::input_ref)
            e.index -= nl;
          for (rex& o : e.operands)
            shift(o);
        };
        shift(c);
        right_filters.push_back(std::move(c));
      } else {
        rest.push_back(std::move(c));
      }
    }
    residual = std::move(rest);
    auto filtered = [](const plan_ptr& in, std::vector<rex> filters) {
      if (in->kind == node_kind::calc) {
        // Merged into the Calc below (Flink's CalcMergeRule): the filter over its output is
        // the same filter over its input with each column replaced by its expression.
        std::function<rex(const rex&)> inline_refs = [&](const rex& e) -> rex {
          if (e.kind == rex_kind::input_ref && e.index >= 0 &&
              static_cast<std::size_t>(e.index) < in->projection.size())
            return in->projection[static_cast<std::size_t>(e.index)];
          rex copy = e;
          for (rex& o : copy.operands)
            o = inline_refs(o);
          return copy;
        };
        std::vector<rex> conds;
        if (in->condition)
          conds.push_back(*in->condition);
        for (const rex& f : filters)
          conds.push_back(inline_refs(f));
        auto merged = std::make_shared<plan_node>(*in);
        merged->condition = and_of(std::move(conds));
        return plan_ptr(merged);
      }
      std::vector<rex> proj;
      std::vector<std::string> names;
      for (std::size_t i = 0; i < in->schema.size(); ++i) {
        proj.push_back(make_input_ref(static_cast<int>(i), in->schema[i].name, in->schema[i].type));
        names.push_back(in->schema[i].name);
      }
      return make_calc(in, std::move(proj), names, and_of(std::move(filters)));
    };
    if (!left_filters.empty())
      node->inputs[0] = left = filtered(left, std::move(left_filters));
    if (!right_filters.empty())
      node->inputs[1] = right = filtered(right, std::move(right_filters));
  }
  for (const auto& k : keys) {
    node->left_keys.push_back(k.first);
    node->right_keys.push_back(k.second);
  }
  if (!residual.empty())
    node->residual = and_of(std::move(residual));
  if (node->kind == node_kind::join && keys.empty() && node->join != join_type::inner)
    fail(pos, "not supported yet: outer joins without an equality condition");

  std::vector<std::string> names;
  for (const plan_column& c : left->schema)
    names.push_back(c.name);
  for (const plan_column& c : right->schema)
    names.push_back(c.name);
  names = uniquify(names);
  for (std::size_t i = 0; i < names.size(); ++i) {
    plan_column c = i < static_cast<std::size_t>(nl)
                        ? left->schema[i]
                        : right->schema[i - static_cast<std::size_t>(nl)];
    c.name = names[i];
    const bool left_side = i < static_cast<std::size_t>(nl);
    if ((left_side && (type == join_type::right || type == join_type::full)) ||
        (!left_side && (type == join_type::left || type == join_type::full)))
      c.type.nullable = true;
    if (node->kind == node_kind::join)
      c.type = c.type.materialized(); // a regular join does not keep time attributes
    if (node->kind != node_kind::window_join && node->kind != node_kind::join) {
      // interval join: time attributes stay
    }
    if (node->kind == node_kind::join || node->kind == node_kind::interval_join) {
      c.property = window_property::none;
      c.window = nullptr;
    }
    node->schema.push_back(std::move(c));
  }
  derive_changelog(*node, false);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Queries

plan_ptr analyzer::plan_query(const query& q) {
  if (!q.with.empty()) {
    ctes_.emplace_back();
    for (const cte& c : q.with) {
      if (ctes_.back().count(c.name))
        fail(q.pos, "Duplicate name '" + c.name + "' in WITH clause");
      ctes_.back()[c.name] = cte_entry{&c, sql_};
    }
  }
  struct pop_ctes {
    analyzer* a;
    bool active;
    ~pop_ctes() {
      if (active)
        a->ctes_.pop_back();
    }
  } guard{this, !q.with.empty()};
  if (!q.order_by.empty())
    fail(q.order_by[0].value->pos, "not supported yet: ORDER BY");
  if (q.limit)
    fail(q.limit->pos, "not supported yet: LIMIT");
  if (q.offset)
    fail(q.offset->pos, "not supported yet: OFFSET");
  switch (q.kind) {
    case query_kind::values:
      return plan_values(q);
    case query_kind::set_operation:
      return plan_set_operation(q);
    case query_kind::select:
      break;
  }
  return plan_select(q);
}

plan_ptr analyzer::plan_values(const query& q) {
  scope empty;
  auto node = make_node(node_kind::values, {});
  std::size_t width = q.rows.empty() ? 0 : q.rows[0].size();
  std::vector<std::vector<logical_type>> types(width);
  for (const auto& row : q.rows) {
    if (row.size() != width)
      fail(q.pos, "Values passed to VALUES operator must have compatible types");
    std::vector<rex> out;
    for (std::size_t i = 0; i < row.size(); ++i) {
      expr_context ctx;
      ctx.sc = &empty;
      ctx.clause = "VALUES";
      out.push_back(analyze(*row[i], ctx));
      types[i].push_back(out.back().type);
    }
    node->rows.push_back(std::move(out));
  }
  for (std::size_t i = 0; i < width; ++i) {
    auto t = common_type(types[i]);
    if (!t)
      fail(q.pos, "Values passed to VALUES operator must have compatible types");
    node->schema.push_back({"EXPR$" + std::to_string(i), *t, window_property::none, nullptr});
  }
  derive_changelog(*node, false);
  return node;
}

plan_ptr analyzer::plan_set_operation(const query& q) {
  if (q.set != set_op::union_)
    fail(q.pos, std::string("not supported yet: ") +
                    (q.set == set_op::intersect ? "INTERSECT" : "EXCEPT"));
  plan_ptr l = plan_query(*q.left);
  plan_ptr r = plan_query(*q.right);
  const char* what = q.all ? "UNION ALL" : "UNION";
  if (l->schema.size() != r->schema.size())
    fail(q.pos, std::string("Column count mismatch in ") + what);
  std::vector<logical_type> types;
  for (std::size_t i = 0; i < l->schema.size(); ++i) {
    auto t = common_type({l->schema[i].type, r->schema[i].type});
    if (!t)
      fail(q.pos, "Type mismatch in column " + std::to_string(i + 1) + " of " + what);
    types.push_back(*t);
  }
  auto align = [&types](plan_ptr side) {
    bool same = true;
    std::vector<rex> proj;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < side->schema.size(); ++i) {
      rex ref = make_input_ref(static_cast<int>(i), side->schema[i].name, side->schema[i].type);
      names.push_back(side->schema[i].name);
      if (side->schema[i].type.materialized() != types[i]) {
        same = false;
        proj.push_back(make_call("CAST", {std::move(ref)}, types[i]));
      } else {
        proj.push_back(std::move(ref));
      }
    }
    return same ? side : make_calc(side, std::move(proj), names, std::nullopt);
  };
  l = align(l);
  r = align(r);
  auto node = make_node(node_kind::union_all, {l, r});
  for (std::size_t i = 0; i < l->schema.size(); ++i) {
    plan_column c = l->schema[i];
    c.type = types[i];
    if (l->schema[i].type.attribute == r->schema[i].type.attribute)
      c.type.attribute = l->schema[i].type.attribute;
    c.property = window_property::none;
    c.window = nullptr;
    node->schema.push_back(std::move(c));
  }
  derive_changelog(*node, false);
  if (q.all)
    return node;
  auto distinct = make_node(node_kind::group_aggregate, {node});
  for (std::size_t i = 0; i < node->schema.size(); ++i) {
    distinct->group_keys.push_back(static_cast<int>(i));
    plan_column c = node->schema[i];
    c.type = c.type.materialized();
    distinct->schema.push_back(c);
  }
  derive_changelog(*distinct, false);
  return distinct;
}

namespace {

//! Follows column `col` of `node` down through filterless Calcs to a ROW_NUMBER's rank node
//! still waiting for its limit; `chain` gets the Calcs passed.
plan_node* trace_rank(plan_node* node, int col, std::vector<std::pair<plan_node*, int>>& chain) {
  while (node) {
    if (node->kind == node_kind::rank && node->rank_limit == 0 &&
        col == static_cast<int>(node->schema.size()) - 1)
      return node;
    if (node->kind != node_kind::calc || node->condition)
      return nullptr;
    const rex& p = node->projection.at(static_cast<std::size_t>(col));
    if (p.kind != rex_kind::input_ref)
      return nullptr;
    chain.emplace_back(node, col);
    col = p.index;
    node = node->inputs[0].get();
  }
  return nullptr;
}

//! The N of `rn <= N`, `rn < N`, `rn = 1` (and mirrored) on column `col`, if `c` is one.
std::optional<std::int64_t> rank_bound(const rex& c, int& col) {
  if (c.kind != rex_kind::call || c.operands.size() != 2)
    return std::nullopt;
  const rex* ref = &c.operands[0];
  const rex* lit = &c.operands[1];
  std::string o = c.name;
  if (ref->kind != rex_kind::input_ref) {
    std::swap(ref, lit);
    o = o == "<" ? ">" : o == "<=" ? ">=" : o == ">" ? "<" : o == ">=" ? "<=" : o;
  }
  if (ref->kind != rex_kind::input_ref || lit->kind != rex_kind::literal ||
      lit->lit != literal_kind::integer)
    return std::nullopt;
  const std::int64_t n = std::strtoll(lit->name.c_str(), nullptr, 10);
  col = ref->index;
  if (o == "<=")
    return n;
  if (o == "<")
    return n - 1;
  if (o == "=" && n == 1)
    return 1;
  return std::nullopt;
}

bool references(const rex& e, int col) {
  std::set<int> refs;
  collect_refs(e, refs);
  return refs.count(col) > 0;
}

} // namespace

//! An OverAggregate over `base` for the OVER aggregates of a SELECT list (all on one window,
//! as Flink requires); their "$OVER" placeholders in `projection` become references to its
//! aggregate columns. Arguments other than columns are computed by a Calc below it.
plan_ptr analyzer::plan_over(plan_ptr base, const std::vector<pending_over>& overs,
                             std::vector<rex>& projection) {
  const pending_over& first = overs.front();
  for (const pending_over& o : overs)
    if (o.partition_by != first.partition_by || o.order != first.order || o.rows != first.rows ||
        o.preceding != first.preceding)
      fail(o.pos, "not supported yet: OVER aggregates on different windows in one SELECT "
                  "(all aggregates must be computed on the same window)");
  if (!base->changelog.insert_only())
    fail(first.pos, "The OVER aggregation doesn't support consuming update and delete changes "
                    "which are produced by node " +
                        base->operator_name() + " (its changelog mode is " +
                        base->changelog.to_string() + ")");
  // Arguments and FILTER conditions that are not columns: computed by a Calc below.
  appended_columns extra(static_cast<int>(base->schema.size()));
  auto column_of = [&extra](const rex& e) { return extra.column_of(e); };
  std::vector<agg_call> calls;
  for (std::size_t i = 0; i < overs.size(); ++i) {
    const pending_agg& a = overs[i].agg;
    agg_call c;
    c.function = a.function;
    c.distinct = a.distinct;
    c.star = a.star;
    for (const rex& arg : a.args)
      c.args.push_back(column_of(arg));
    if (a.filter)
      c.filter = column_of(*a.filter);
    c.type = a.type;
    c.name = "w0$o" + std::to_string(i);
    calls.push_back(std::move(c));
  }
  plan_ptr in = append_columns(base, extra.exprs);
  auto node = make_node(node_kind::over_aggregate, {in});
  node->schema = in->schema;
  node->partition_keys = first.partition_by;
  node->order_keys.emplace_back(first.order, false);
  node->over_rows = first.rows;
  node->over_preceding = first.preceding;
  const int over_base = static_cast<int>(in->schema.size());
  for (const agg_call& c : calls)
    node->schema.push_back({c.name, c.type, window_property::none, nullptr});
  node->aggregates = std::move(calls);
  derive_changelog(*node, false);
  std::function<void(rex&)> replace = [&](rex& e) {
    if (e.kind == rex_kind::call && e.name == "$OVER") {
      const int col = over_base + e.index;
      e = make_input_ref(col, node->schema[static_cast<std::size_t>(col)].name, e.type);
      return;
    }
    for (rex& o : e.operands)
      replace(o);
  };
  for (rex& p : projection)
    replace(p);
  return node;
}

plan_ptr analyzer::plan_select(const query& q) { return plan_select_body(q); }

plan_ptr analyzer::plan_select_body(const query& q) {
  // FROM
  from_result from;
  if (q.from) {
    from = analyze_from(*q.from);
  } else {
    auto values = make_node(node_kind::values, {});
    values->rows.emplace_back();
    derive_changelog(*values, false);
    from.tree = std::make_unique<join_tree>();
    from.tree->leaf = values;
  }
  scope& sc = from.sc;

  // WHERE: conditions between joined tables go into their join; a filter on a ROW_NUMBER
  // below becomes its Top-N limit.
  std::vector<rex> where;
  if (q.where) {
    if (has_aggregate(*q.where, cat_))
      fail(q.where->pos, "Aggregate expression is illegal in WHERE clause");
    expr_context ctx;
    ctx.sc = &sc;
    split_conjuncts(analyze_condition(*q.where, ctx, "WHERE"), where);
  }
  std::function<bool(join_tree&, const rex&, int)> push = [&push](join_tree& t, const rex& c,
                                                                  int lo) -> bool {
    if (t.leaf ||
        (t.kind != join_kind::inner && t.kind != join_kind::comma && t.kind != join_kind::cross))
      return false;
    std::set<int> refs;
    collect_refs(c, refs);
    if (refs.empty())
      return false;
    const int mid = lo + t.left->width;
    const bool all_left = *refs.rbegin() < mid;
    const bool all_right = *refs.begin() >= mid;
    // A condition on one side goes to the deepest inner join that has that side's columns;
    // plan_join then applies it to that side before joining (filter push-down).
    if ((all_left && push(*t.left, c, lo)) || (all_right && push(*t.right, c, mid)))
      return true;
    t.conditions.push_back(shift_refs(c, -lo));
    return true;
  };
  if (!from.tree->leaf) {
    std::vector<rex> rest;
    for (const rex& c : where)
      if (!push(*from.tree, c, 0))
        rest.push_back(c);
    where = std::move(rest);
  }
  std::function<plan_ptr(join_tree&)> build = [&](join_tree& t) -> plan_ptr {
    if (t.leaf)
      return t.leaf;
    plan_ptr l = build(*t.left);
    plan_ptr r = build(*t.right);
    join_type type = t.kind == join_kind::left    ? join_type::left
                     : t.kind == join_kind::right ? join_type::right
                     : t.kind == join_kind::full  ? join_type::full
                                                  : join_type::inner;
    if (t.system_time)
      return plan_lookup_join(type, l, *r, t.conditions, *t.system_time, t.system_time_pos);
    if (t.unnest) {
      auto node = make_node(node_kind::correlate, {l});
      node->join = type;
      node->projection = {*t.unnest};
      node->schema = l->schema;
      for (plan_column c : r->schema) {
        if (type == join_type::left)
          c.type.nullable = true;
        node->schema.push_back(std::move(c));
      }
      derive_changelog(*node, false);
      std::vector<rex> conds;
      for (const rex& c : t.conditions)
        if (!(c.kind == rex_kind::literal && c.lit == literal_kind::boolean && c.name == "true"))
          conds.push_back(c);
      if (conds.empty())
        return node;
      std::vector<rex> proj;
      std::vector<std::string> names;
      for (std::size_t i = 0; i < node->schema.size(); ++i) {
        proj.push_back(
            make_input_ref(static_cast<int>(i), node->schema[i].name, node->schema[i].type));
        names.push_back(node->schema[i].name);
      }
      rex cond = conds[0];
      for (std::size_t i = 1; i < conds.size(); ++i)
        cond = make_call("AND", {cond, conds[i]}, make_type(logical_kind::boolean));
      return make_calc(node, std::move(proj), names, std::move(cond));
    }
    return plan_join(type, l, r, t.conditions, t.pos);
  };
  plan_ptr input = build(*from.tree);
  // the scope's types follow the plan's (a regular join drops time attributes)
  for (std::size_t i = 0; i < sc.columns.size() && i < input->schema.size(); ++i) {
    sc.columns[i].type.attribute = input->schema[i].type.attribute;
    sc.columns[i].property = input->schema[i].property;
    sc.columns[i].window = input->schema[i].window;
  }
  if (sc.tables.empty()) {
    sc.tables.push_back({"", {}, 0});
  }
  auto retype = [&](rex& e, auto& self) -> void {
    if (e.kind == rex_kind::input_ref)
      e.type = sc.columns.at(static_cast<std::size_t>(e.index)).type;
    for (rex& o : e.operands)
      self(o, self);
  };
  for (rex& c : where)
    retype(c, retype);

  // A filter rn <= N on a ROW_NUMBER of the subquery below.
  plan_node* rank = nullptr;
  int rank_col = -1;
  std::vector<std::pair<plan_node*, int>> rank_chain;
  if (from.tree->leaf) {
    std::vector<rex> rest;
    for (const rex& c : where) {
      int col = -1;
      auto n = rank_bound(c, col);
      std::vector<std::pair<plan_node*, int>> chain;
      plan_node* r = n && !rank ? trace_rank(input.get(), col, chain) : nullptr;
      if (r && *n >= 1) {
        r->rank_limit = *n;
        rank = r;
        rank_col = col;
        rank_chain = std::move(chain);
        continue;
      }
      rest.push_back(c);
    }
    where = std::move(rest);
  }
  std::optional<rex> condition;
  if (!where.empty())
    condition = and_of(where);

  // The SELECT list's names, with * expanded.
  std::vector<const expr*> items;
  std::vector<std::string> names;
  std::vector<rex> star_refs; // for * items: the column, else a placeholder
  std::vector<bool> is_star;
  for (std::size_t i = 0; i < q.items.size(); ++i) {
    const select_item& item = q.items[i];
    if (item.value->kind == expr_kind::star) {
      bool matched = false;
      for (const scope_table& t : sc.tables) {
        if (!item.value->names.empty() && t.alias != item.value->names.back())
          continue;
        matched = true;
        for (std::size_t c = 0; c < t.names.size(); ++c) {
          const int index = t.offset + static_cast<int>(c);
          items.push_back(nullptr);
          names.push_back(t.names[c]);
          star_refs.push_back(
              make_input_ref(index, t.names[c], sc.columns[static_cast<std::size_t>(index)].type));
          is_star.push_back(true);
        }
      }
      if (!matched) {
        std::vector<std::string> aliases;
        for (const scope_table& t : sc.tables)
          aliases.push_back(t.alias);
        auto hint = closest(item.value->names.back(), aliases);
        fail(item.value->pos, "Table '" + item.value->names.back() + "' not found" +
                                  (hint ? "; did you mean '" + *hint + "'?" : ""));
      }
      continue;
    }
    items.push_back(item.value.get());
    names.push_back(item.alias.empty() ? item_name(*item.value, names.size()) : item.alias);
    star_refs.emplace_back();
    is_star.push_back(false);
  }
  names = uniquify(names);

  bool aggregating = !q.group_by.empty() || q.having;
  for (const expr* e : items)
    aggregating = aggregating || (e && has_aggregate(*e, cat_));
  bool row_number = false;
  for (const expr* e : items)
    row_number = row_number || (e && has_row_number(*e));
  if (aggregating && row_number)
    fail(q.pos, "not supported yet: ROW_NUMBER() in an aggregating SELECT");

  plan_ptr result;
  std::vector<rex> consumer_exprs; // what reads the FROM relation directly, for rank_col

  bool over = false;
  for (const expr* e : items)
    over = over || (e && over_aggregate(*e));
  if (row_number && over)
    fail(q.pos, "not supported yet: ROW_NUMBER() and OVER aggregates in one SELECT");

  if (!aggregating) {
    pending_row_number rn;
    std::vector<pending_over> overs;
    plan_ptr base = input;
    if ((row_number || over) && condition) {
      std::vector<rex> id;
      std::vector<std::string> id_names;
      for (std::size_t i = 0; i < input->schema.size(); ++i) {
        id.push_back(
            make_input_ref(static_cast<int>(i), input->schema[i].name, input->schema[i].type));
        id_names.push_back(input->schema[i].name);
      }
      consumer_exprs.push_back(*condition);
      base = make_calc(input, std::move(id), id_names, condition);
      condition.reset();
    }
    expr_context ctx;
    ctx.sc = &sc;
    ctx.row_number = row_number ? &rn : nullptr;
    ctx.over = over ? &overs : nullptr;
    std::vector<rex> projection;
    for (std::size_t i = 0; i < items.size(); ++i)
      projection.push_back(items[i] ? analyze(*items[i], ctx) : star_refs[i]);
    if (!overs.empty())
      base = plan_over(base, overs, projection);
    if (row_number) {
      auto rk = make_node(node_kind::rank, {base});
      rk->schema = base->schema;
      for (const rex& p : rn.partition_by) {
        if (p.kind != rex_kind::input_ref)
          fail(rn.pos, "not supported yet: expressions in ROW_NUMBER()'s PARTITION BY");
        rk->partition_keys.push_back(p.index);
      }
      for (const auto& o : rn.order_by) {
        if (o.first.kind != rex_kind::input_ref)
          fail(rn.pos, "not supported yet: expressions in ROW_NUMBER()'s ORDER BY");
        rk->order_keys.emplace_back(o.first.index, o.second);
      }
      std::string rn_name = "w0$o0";
      for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i] && projection[i].kind == rex_kind::call && projection[i].name == "$ROWNUM")
          rn_name = names[i];
      rk->schema.push_back(
          {rn_name, make_type(logical_kind::bigint, true), window_property::none, nullptr});
      derive_changelog(*rk, false);
      ranks_.emplace_back(rk.get(), rn.pos);
      const rex rn_ref =
          make_input_ref(static_cast<int>(base->schema.size()), rn_name, rk->schema.back().type);
      std::function<void(rex&)> replace = [&](rex& e) {
        if (e.kind == rex_kind::call && e.name == "$ROWNUM") {
          e = rn_ref;
          return;
        }
        for (rex& o : e.operands)
          replace(o);
      };
      for (rex& p : projection)
        replace(p);
      base = rk;
    }
    for (const rex& p : projection)
      consumer_exprs.push_back(p);
    if (condition)
      consumer_exprs.push_back(*condition);
    if (!condition && is_identity(*base, projection, names))
      result = base;
    else
      result = make_calc(base, std::move(projection), names, condition);
  } else {
    // GROUP BY, with a legacy group window or a window TVF's window_start/window_end.
    std::vector<rex> keys;
    std::optional<group_window> gw;
    for (const box<expr>& g : q.group_by) {
      const std::string fname =
          g->kind == expr_kind::function && g->names.size() == 1 ? upper_of(g->names[0]) : "";
      if ((fname == "TUMBLE" || fname == "HOP" || fname == "SESSION" || fname == "CUMULATE") &&
          !cat_.find_function(g->names[0])) {
        if (gw)
          fail(g->pos, "Only a single window group function may be used in GROUP BY");
        if (fname == "CUMULATE")
          fail(g->pos, "not supported yet: CUMULATE as a group window; use the CUMULATE window "
                       "table function");
        const std::size_t expected = fname == "TUMBLE" ? 2 : fname == "HOP" ? 3 : 2;
        if (g->args.size() != expected && !(fname == "TUMBLE" && g->args.size() == 3))
          fail(g->pos, "Invalid number of arguments to function '" + fname + "'. Was expecting " +
                           std::to_string(expected) + " arguments");
        expr_context ctx;
        ctx.sc = &sc;
        ctx.clause = "GROUP BY";
        rex time = analyze(*g->args[0], ctx);
        if (time.kind != rex_kind::input_ref || !time.type.is_time_attribute())
          fail(g->args[0]->pos, "Window can only be defined on a time attribute column, but is "
                                "type of " +
                                    to_string(time.type.with_nullable(true)));
        group_window w;
        w.function = fname;
        w.window.time_column = time.index;
        w.window.time_column_name = time.name;
        w.window.time = time.type.attribute;
        std::vector<std::int64_t> ms;
        for (std::size_t i = 1; i < g->args.size(); ++i) {
          rex v = analyze(*g->args[i], ctx);
          auto m = interval_millis(v);
          if (!m || *m <= 0)
            fail(g->args[i]->pos, "not supported yet: a group window size other than a positive "
                                  "day-time INTERVAL literal");
          ms.push_back(*m);
        }
        if (fname == "TUMBLE") {
          w.window.kind = window_kind::tumble;
          w.window.size = ms[0];
          if (ms.size() > 1)
            w.window.offset = ms[1];
        } else if (fname == "HOP") {
          w.window.kind = window_kind::hop;
          w.window.slide = ms[0];
          w.window.size = ms[1];
        } else {
          w.window.kind = window_kind::session;
          w.window.gap = ms[0];
        }
        gw = w;
        continue;
      }
      if (has_aggregate(*g, cat_))
        fail(g->pos, "Aggregate expression is illegal in GROUP BY clause");
      expr_context ctx;
      ctx.sc = &sc;
      ctx.clause = "GROUP BY";
      keys.push_back(analyze(*g, ctx));
    }
    plan_ptr base = input;
    if (condition) {
      std::vector<rex> id;
      std::vector<std::string> id_names;
      for (std::size_t i = 0; i < input->schema.size(); ++i) {
        id.push_back(
            make_input_ref(static_cast<int>(i), input->schema[i].name, input->schema[i].type));
        id_names.push_back(input->schema[i].name);
      }
      consumer_exprs.push_back(*condition);
      base = make_calc(input, std::move(id), id_names, condition);
    }
    std::shared_ptr<const window_def> window;
    int win_start = -1, win_end = -1, win_time = -1;
    if (gw) {
      if (!base->changelog.insert_only())
        fail(q.pos, "not supported yet: group window aggregation over an updating input "
                    "(produced by " +
                        base->describe() + ")");
      auto tvf = make_node(node_kind::window_table_function, {base});
      window = std::make_shared<const window_def>(gw->window);
      tvf->window = window;
      tvf->schema = base->schema;
      tvf->schema[static_cast<std::size_t>(gw->window.time_column)].type =
          tvf->schema[static_cast<std::size_t>(gw->window.time_column)].type.materialized();
      const int n = static_cast<int>(base->schema.size());
      tvf->schema.push_back(
          {"window_start", make_timestamp(3, true), window_property::start, window});
      tvf->schema.push_back({"window_end", make_timestamp(3, true), window_property::end, window});
      tvf->schema.push_back({"window_time",
                             gw->window.time == time_attribute::rowtime
                                 ? make_rowtime(make_timestamp(3, true))
                                 : make_proctime(),
                             window_property::time, window});
      derive_changelog(*tvf, false);
      base = tvf;
      win_start = n;
      win_end = n + 1;
      win_time = n + 2;
      for (int i = n; i < n + 3; ++i)
        sc.columns.push_back(base->schema[static_cast<std::size_t>(i)]);
    } else {
      // window_start and window_end of one window among the keys: a window aggregate.
      for (const rex& k : keys) {
        if (k.kind != rex_kind::input_ref)
          continue;
        const plan_column& c = base->schema[static_cast<std::size_t>(k.index)];
        if (c.property != window_property::start || !c.window)
          continue;
        for (const rex& k2 : keys)
          if (k2.kind == rex_kind::input_ref &&
              base->schema[static_cast<std::size_t>(k2.index)].property == window_property::end &&
              base->schema[static_cast<std::size_t>(k2.index)].window == c.window) {
            window = c.window;
            win_start = k.index;
            win_end = k2.index;
          }
        if (window)
          break;
      }
      if (window) {
        for (std::size_t i = 0; i < base->schema.size(); ++i)
          if (base->schema[i].property == window_property::time && base->schema[i].window == window)
            win_time = static_cast<int>(i);
        std::vector<rex> rest;
        for (const rex& k : keys)
          if (!(k.kind == rex_kind::input_ref &&
                (k.index == win_start || k.index == win_end || k.index == win_time)))
            rest.push_back(k);
        keys = std::move(rest);
        if (!base->changelog.insert_only())
          fail(q.pos, "not supported yet: window aggregation over an updating input (produced "
                      "by " +
                          base->describe() + ")");
      }
    }
    // Analyze the SELECT list and HAVING over the input, collecting aggregate calls.
    std::vector<pending_agg> aggs;
    expr_context ctx;
    ctx.sc = &sc;
    ctx.aggs = &aggs;
    ctx.window = gw ? &*gw : nullptr;
    std::vector<rex> projection;
    for (std::size_t i = 0; i < items.size(); ++i)
      projection.push_back(items[i] ? analyze(*items[i], ctx) : star_refs[i]);
    std::optional<rex> having;
    if (q.having)
      having = analyze_condition(*q.having, ctx, "HAVING");

    // The aggregate's input: the columns, then computed keys, arguments and filters.
    appended_columns extra(static_cast<int>(base->schema.size()));
    auto column_of = [&extra](const rex& e) { return extra.column_of(e); };
    std::vector<int> key_cols;
    for (const rex& k : keys)
      key_cols.push_back(column_of(k));
    std::vector<agg_call> calls;
    for (std::size_t i = 0; i < aggs.size(); ++i) {
      agg_call c;
      c.function = aggs[i].function;
      c.distinct = aggs[i].distinct;
      c.star = aggs[i].star;
      c.type = aggs[i].type;
      for (const rex& a : aggs[i].args)
        c.args.push_back(column_of(a));
      if (aggs[i].filter)
        c.filter = column_of(*aggs[i].filter);
      c.name = "$f" + std::to_string(keys.size() + i);
      calls.push_back(std::move(c));
    }
    for (const rex& k : keys)
      consumer_exprs.push_back(k);
    for (const pending_agg& a : aggs) {
      for (const rex& r : a.args)
        consumer_exprs.push_back(r);
      if (a.filter)
        consumer_exprs.push_back(*a.filter);
    }
    base = append_columns(base, extra.exprs);
    // Name the aggregate outputs after the SELECT items that are just them.
    for (std::size_t i = 0; i < projection.size(); ++i)
      if (projection[i].kind == rex_kind::call && projection[i].name == "$AGG")
        calls[static_cast<std::size_t>(projection[i].index)].name = names[i];
    auto agg = make_node(window ? node_kind::window_aggregate : node_kind::group_aggregate, {base});
    agg->group_keys = key_cols;
    agg->window = window;
    if (window && !gw && window->time_column < 0) {
      agg->window_start_column = win_start;
      agg->window_end_column = win_end;
    }
    if (window && !gw && base->kind != node_kind::window_table_function &&
        !(base->kind == node_kind::calc &&
          base->inputs[0]->kind == node_kind::window_table_function)) {
      // a window aggregate over an earlier window aggregate's window_start/window_end
      agg->window_start_column = win_start;
      agg->window_end_column = win_end;
    }
    for (int k : key_cols) {
      plan_column c = base->schema[static_cast<std::size_t>(k)];
      c.type = c.type.materialized();
      c.property = window_property::none;
      c.window = nullptr;
      agg->schema.push_back(c);
    }
    for (const agg_call& c : calls)
      agg->schema.push_back({c.name, c.type, window_property::none, nullptr});
    const int props = static_cast<int>(agg->schema.size());
    if (window) {
      agg->schema.push_back(
          {"window_start", make_timestamp(3, true), window_property::start, window});
      agg->schema.push_back({"window_end", make_timestamp(3, true), window_property::end, window});
      agg->schema.push_back({"window_time",
                             window->time == time_attribute::rowtime
                                 ? make_rowtime(make_timestamp(3, true))
                                 : make_proctime(),
                             window_property::time, window});
    }
    agg->aggregates = std::move(calls);
    derive_changelog(*agg, false);

    // The SELECT list and HAVING over the aggregate's output.
    std::function<rex(const rex&)> rebase = [&](const rex& e) -> rex {
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == e) {
          const plan_column& c = agg->schema[i];
          return make_input_ref(static_cast<int>(i), c.name, c.type);
        }
      if (e.kind == rex_kind::call && e.name == "$AGG") {
        const std::size_t i = keys.size() + static_cast<std::size_t>(e.index);
        return make_input_ref(static_cast<int>(i), agg->schema[i].name, agg->schema[i].type);
      }
      auto prop = [&](int offset) {
        const std::size_t i = static_cast<std::size_t>(props + offset);
        return make_input_ref(props + offset, agg->schema[i].name, agg->schema[i].type);
      };
      if (e.kind == rex_kind::call && e.name == "$WINPROP")
        return prop(e.unit == "start" ? 0 : e.unit == "end" ? 1 : 2);
      if (e.kind == rex_kind::input_ref) {
        if (window && !gw && (e.index == win_start || e.index == win_end || e.index == win_time))
          return prop(e.index == win_start ? 0 : e.index == win_end ? 1 : 2);
        fail(e.pos, "Expression '" + e.name + "' is not being grouped");
      }
      rex out = e;
      for (rex& o : out.operands)
        o = rebase(o);
      return out;
    };
    std::vector<rex> post;
    for (const rex& p : projection)
      post.push_back(rebase(p));
    std::optional<rex> post_having;
    if (having)
      post_having = rebase(*having);
    if (!post_having && is_identity(*agg, post, names))
      result = agg;
    else
      result = make_calc(agg, std::move(post), names, post_having);
  }

  if (q.distinct) {
    auto distinct = make_node(node_kind::group_aggregate, {result});
    for (std::size_t i = 0; i < result->schema.size(); ++i) {
      distinct->group_keys.push_back(static_cast<int>(i));
      plan_column c = result->schema[i];
      c.type = c.type.materialized();
      c.property = window_property::none;
      c.window = nullptr;
      distinct->schema.push_back(c);
    }
    derive_changelog(*distinct, false);
    result = distinct;
  }

  // A Top-1 on a time attribute whose rn is not read is a deduplication.
  if (rank) {
    bool rn_read = false;
    for (const rex& e : consumer_exprs)
      rn_read = rn_read || references(e, rank_col);
    const plan_node& rank_input = *rank->inputs[0];
    const bool on_time = rank->order_keys.size() == 1 &&
                         rank_input.schema[static_cast<std::size_t>(rank->order_keys[0].first)]
                             .type.is_time_attribute();
    if (!rn_read && rank->rank_limit == 1 && on_time) {
      rank->kind = node_kind::deduplicate;
      rank->keep_last = rank->order_keys[0].second;
      rank->order_time =
          rank_input.schema[static_cast<std::size_t>(rank->order_keys[0].first)].type.attribute;
    }
    if (!rn_read) {
      // rn is not output (Flink's outputRankNumber=false): a Top-N then emits -D of the row
      // leaving the top and +I of the one entering, not -U/+U for every shifted rank
      rank->output_rank_number = false;
      const int rn_index = static_cast<int>(rank->schema.size()) - 1;
      rank->schema.pop_back();
      // the Calcs between still pass rn on: make it the constant 1 there
      std::function<void(rex&)> replace = [&](rex& e) {
        if (e.kind == rex_kind::input_ref && e.index == rn_index)
          e = make_literal(literal_kind::integer, "1", make_type(logical_kind::bigint, true));
        for (rex& o : e.operands)
          replace(o);
      };
      if (!rank_chain.empty()) {
        plan_node* above = rank_chain.back().first;
        for (rex& p : above->projection)
          replace(p);
      }
    }
    if (rank->kind == node_kind::rank) {
      // Top-N updates its rows: its time attributes are plain timestamps from here on
      for (plan_column& c : rank->schema)
        c.type = c.type.materialized();
      std::function<void(plan_node&)> refresh = [&refresh](plan_node& n) {
        for (const plan_ptr& in : n.inputs)
          refresh(*in);
        if (n.kind != node_kind::calc)
          return;
        for (std::size_t i = 0; i < n.projection.size(); ++i) {
          rex& p = n.projection[i];
          if (p.kind != rex_kind::input_ref)
            continue;
          p.type = n.inputs[0]->schema.at(static_cast<std::size_t>(p.index)).type;
          n.schema[i].type = p.type;
        }
      };
      refresh(*result);
    }
    derive_changelog(*result, true);
  }
  // a Rank's output keeps no time attribute (Flink materializes them in Top-N)
  return result;
}

plan_ptr analyzer::plan_sink(const insert_into& insert, source_pos pos) {
  auto object = catalog::object_name(insert.table);
  std::string written;
  for (const std::string& part : insert.table)
    written += (written.empty() ? "" : ".") + part;
  const catalog_table* t = object ? cat_.find_table(*object) : nullptr;
  if (!t) {
    if (object && cat_.find_view(*object))
      fail(pos, "not supported yet: INSERT INTO a view ('" + written + "')");
    auto hint = closest(insert.table.back(), cat_.table_names());
    fail(pos,
         "Object '" + written + "' not found" + (hint ? "; did you mean '" + *hint + "'?" : ""));
  }
  const std::string qualified = catalog::qualified(t->name);
  const std::string connector = t->connector();
  if (connector.empty())
    fail(pos, "Table options do not contain an option key 'connector' for discovering a "
              "connector. Table: " +
                  qualified);
  if (!sink_connectors().count(connector)) {
    if (source_connectors().count(connector))
      fail(pos, "Connector '" + connector +
                    "' can only be used as a source. It cannot be used as a sink.");
    fail(pos, "Could not find any factory for identifier '" + connector +
                  "' that implements 'DynamicTableSinkFactory'. Available factory identifiers "
                  "are: " +
                  known_connectors());
  }
  plan_ptr source = plan_query(*insert.source);
  std::vector<plan_column> sink_cols;
  for (const catalog_column& c : t->columns)
    if (!c.computed)
      sink_cols.push_back({c.name, c.type.materialized(), window_property::none, nullptr});
  auto schema_text = [](const std::vector<plan_column>& cols) {
    std::string out = "[";
    for (std::size_t i = 0; i < cols.size(); ++i)
      out += (i ? ", " : "") + cols[i].name + ": " + to_string(cols[i].type.materialized());
    return out + "]";
  };
  const source_pos qpos = insert.source->pos;
  if (!insert.columns.empty()) {
    // INSERT INTO t (a, b): the others get NULL.
    if (insert.columns.size() != source->schema.size())
      fail(
          qpos, "Column types of query result and sink for '" + qualified +
                    "' do not match. Cause: Different number of columns. Query schema: " +
                    schema_text(source->schema) + " Sink columns: [" +
                    [&]() {
                      std::string s;
                      for (const std::string& c : insert.columns)
                        s += (s.empty() ? "" : ", ") + c;
                      return s;
                    }() +
                    "]");
    std::vector<rex> proj;
    std::vector<std::string> names;
    for (const plan_column& sc : sink_cols) {
      names.push_back(sc.name);
      auto it = std::find(insert.columns.begin(), insert.columns.end(), sc.name);
      if (it == insert.columns.end()) {
        if (!sc.type.nullable)
          fail(pos, "Column '" + sc.name + "' has no default value and does not allow NULLs");
        proj.push_back(make_call(
            "CAST", {make_literal(literal_kind::null, "null", make_type(logical_kind::null))},
            sc.type));
        continue;
      }
      const int i = static_cast<int>(it - insert.columns.begin());
      proj.push_back(make_input_ref(i, source->schema[static_cast<std::size_t>(i)].name,
                                    source->schema[static_cast<std::size_t>(i)].type));
    }
    for (const std::string& c : insert.columns) {
      bool known = false;
      std::vector<std::string> cands;
      for (const plan_column& sc : sink_cols) {
        known = known || sc.name == c;
        cands.push_back(sc.name);
      }
      if (!known) {
        auto hint = closest(c, cands);
        fail(pos,
             "Unknown target column '" + c + "'" + (hint ? "; did you mean '" + *hint + "'?" : ""));
      }
    }
    source = make_calc(source, std::move(proj), names, std::nullopt);
  }
  if (source->schema.size() != sink_cols.size())
    fail(qpos, "Column types of query result and sink for '" + qualified +
                   "' do not match. Cause: Different number of columns. Query schema: " +
                   schema_text(source->schema) + " Sink schema: " + schema_text(sink_cols));
  for (std::size_t i = 0; i < sink_cols.size(); ++i)
    if (!can_assign(source->schema[i].type, sink_cols[i].type))
      fail(qpos, "Column types of query result and sink for '" + qualified +
                     "' do not match. Cause: Incompatible types for sink column '" +
                     sink_cols[i].name + "' at position " + std::to_string(i) + ". Query schema: " +
                     schema_text(source->schema) + " Sink schema: " + schema_text(sink_cols));
  check_ranks();
  if (!source->changelog.insert_only() && !updating_sinks().count(connector)) {
    // the node that turns inserts into updates
    const plan_node* producer = source.get();
    for (;;) {
      const plan_node* next = nullptr;
      const bool passes = producer->kind == node_kind::calc ||
                          producer->kind == node_kind::union_all ||
                          producer->kind == node_kind::watermark_assigner ||
                          producer->kind == node_kind::window_table_function;
      if (passes)
        for (const plan_ptr& in : producer->inputs)
          if (!in->changelog.insert_only()) {
            next = in.get();
            break;
          }
      if (!next)
        break;
      producer = next;
    }
    fail(pos, "Table sink '" + qualified +
                  "' doesn't support consuming update changes which is produced by node " +
                  producer->describe());
  }
  auto sink = make_node(node_kind::sink, {source});
  sink->table = qualified;
  try {
    sink->options = t->effective_options();
  } catch (const sql_error& e) {
    fail(pos, e.message());
  }
  sink->schema = sink_cols;
  sink->sink_columns = sink_cols;
  for (const std::string& k : t->primary_key)
    for (std::size_t i = 0; i < sink_cols.size(); ++i)
      if (sink_cols[i].name == k)
        sink->primary_key.push_back(static_cast<int>(i));
  // Flink's UpsertKafkaDynamicTableFactory, when the sink is created.
  if (auto c = t->options.find("connector");
      c != t->options.end() && c->second == "upsert-kafka" && t->primary_key.empty())
    fail(pos, "Unable to create a sink for writing table '" + qualified +
                  "': 'upsert-kafka' tables require to define a PRIMARY KEY constraint. The "
                  "PRIMARY KEY specifies which columns should be read from or write to the Kafka "
                  "message key. The PRIMARY KEY also defines records in the 'upsert-kafka' table "
                  "should update or delete on which keys.");
  derive_changelog(*sink, false);
  return sink;
}

} // namespace detail

// ---------------------------------------------------------------------------------------------
// The public entry points

catalog_table analyze_create_table(const catalog& cat, const create_table& ddl,
                                   std::string_view sql) {
  detail::analyzer a(cat, sql);
  catalog_table t;
  auto object = catalog::object_name(ddl.name);
  if (!object)
    a.fail({}, "not supported yet: catalogs and databases other than default_catalog."
               "default_database");
  t.name = *object;
  t.temporary = ddl.temporary;
  t.comment = ddl.comment;
  t.partitioned_by = ddl.partitioned_by;
  t.source = std::string(sql);
  detail::scope physical;
  physical.tables.push_back({t.name, {}, 0});
  std::set<std::string> seen;
  for (const column_def& c : ddl.columns) {
    if (!seen.insert(c.name).second)
      a.fail(c.pos, "A column named '" + c.name + "' already exists in the table");
    if (c.type) {
      physical.tables[0].names.push_back(c.name);
      physical.columns.push_back({c.name, from_ast(*c.type), window_property::none, nullptr});
    }
  }
  for (const column_def& c : ddl.columns) {
    catalog_column col;
    col.name = c.name;
    col.comment = c.comment;
    if (c.type) {
      col.type = from_ast(*c.type);
    } else {
      detail::expr_context ctx;
      ctx.sc = &physical;
      ctx.clause = "computed column";
      rex r = a.analyze(*c.computed, ctx);
      col.type = r.type;
      if (!(r.kind == rex_kind::call && r.name == "PROCTIME"))
        col.type = col.type.materialized();
      if (col.type.kind == logical_kind::null)
        a.fail(c.pos, "The computed column '" + c.name + "' has the type NULL");
      col.computed = *c.computed;
    }
    t.columns.push_back(std::move(col));
  }
  for (const std::string& k : ddl.primary_key) {
    bool found = false;
    for (catalog_column& c : t.columns) {
      if (c.name != k)
        continue;
      if (c.computed)
        a.fail({}, "Could not create a PRIMARY KEY with column '" + k +
                       "': a computed column cannot be part of a primary key");
      c.type.nullable = false;
      found = true;
    }
    if (!found)
      a.fail({}, "Could not create a PRIMARY KEY '" + k + "'. Column '" + k + "' does not exist.");
  }
  t.primary_key = ddl.primary_key;
  if (ddl.watermark) {
    catalog_column* rt = nullptr;
    for (catalog_column& c : t.columns)
      if (c.name == ddl.watermark->column)
        rt = &c;
    const source_pos wpos = ddl.watermark->strategy->pos;
    if (!rt) {
      std::vector<std::string> names;
      for (const catalog_column& c : t.columns)
        names.push_back(c.name);
      auto hint = detail::closest(ddl.watermark->column, names);
      a.fail(wpos, "The rowtime attribute field '" + ddl.watermark->column +
                       "' is not defined in the table schema" +
                       (hint ? "; did you mean '" + *hint + "'?" : ""));
    }
    if (!is_timestamp(rt->type) || rt->type.precision > 3)
      a.fail(wpos, "Invalid data type of time field for watermark definition. The field must be "
                   "of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is "
                   "from 0 to 3, but the time field type is " +
                       to_string(rt->type));
    detail::scope all;
    all.tables.push_back({t.name, {}, 0});
    for (const catalog_column& c : t.columns) {
      all.tables[0].names.push_back(c.name);
      all.columns.push_back({c.name, c.type, window_property::none, nullptr});
    }
    detail::expr_context ctx;
    ctx.sc = &all;
    ctx.clause = "WATERMARK";
    rex w = a.analyze(*ddl.watermark->strategy, ctx);
    if (!is_timestamp(w.type))
      a.fail(wpos, "Watermark strategy " + to_sql(*ddl.watermark->strategy) +
                       " must be of type TIMESTAMP or TIMESTAMP_LTZ but is of type '" +
                       to_string(w.type) + "'.");
    rt->type = make_rowtime(rt->type);
    t.watermark_column = ddl.watermark->column;
    t.watermark = *ddl.watermark->strategy;
  }
  for (const table_option& o : ddl.options)
    t.options[o.key] = o.value;
  return t;
}

catalog_view analyze_create_view(const catalog& cat, const create_view& ddl, std::string_view sql) {
  detail::analyzer a(cat, sql);
  auto object = catalog::object_name(ddl.name);
  if (!object)
    a.fail({}, "not supported yet: catalogs and databases other than default_catalog."
               "default_database");
  plan_ptr n = a.plan_query(*ddl.body);
  if (!ddl.columns.empty() && ddl.columns.size() != n->schema.size())
    a.fail(ddl.body->pos, "List of column aliases must have same degree as table; table has " +
                              std::to_string(n->schema.size()) +
                              " columns, whereas alias list has " +
                              std::to_string(ddl.columns.size()) + " columns");
  catalog_view v;
  v.name = *object;
  v.columns = ddl.columns;
  v.body = *ddl.body;
  v.temporary = ddl.temporary;
  v.source = std::string(sql);
  return v;
}

logical_plan plan_query(const catalog& cat, const query& q, std::string_view sql) {
  detail::analyzer a(cat, sql);
  logical_plan p;
  p.roots.push_back(a.plan_query(q));
  a.check_ranks();
  return p;
}

logical_plan plan_insert(const catalog& cat, const insert_into& insert, std::string_view sql,
                         source_pos pos) {
  detail::analyzer a(cat, sql);
  logical_plan p;
  p.roots.push_back(a.plan_sink(insert, pos));
  return p;
}

logical_plan plan_statement_set(const catalog& cat, const statement_set& set, std::string_view sql,
                                source_pos pos) {
  logical_plan p;
  for (const insert_into& i : set.inserts) {
    detail::analyzer a(cat, sql);
    p.roots.push_back(a.plan_sink(i, pos));
  }
  return p;
}

} // namespace spate::sql
