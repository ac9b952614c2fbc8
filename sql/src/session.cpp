#include "spate/sql/session.hpp"

#include "spate/sql/functions.hpp"

#include "spate/sql/analyzer.hpp"
#include "spate/sql/parser.hpp"
#include "spate/sql/print.hpp"

namespace spate::sql {

namespace {

std::string dotted(const qualified_name& name) {
  std::string out;
  for (const std::string& p : name)
    out += (out.empty() ? "" : ".") + p;
  return out;
}

sql_result one_column(const std::string& column, const std::vector<std::string>& values) {
  sql_result r;
  r.type = sql_result::kind::table;
  r.columns = {column};
  for (const std::string& v : values)
    r.rows.push_back({v});
  return r;
}

} // namespace

sql_result sql_session::execute_sql(std::string_view sql) {
  return execute(parse_statement(sql), sql);
}

std::vector<sql_result> sql_session::execute_script(std::string_view sql) {
  std::vector<sql_result> out;
  for (const statement& s : parse_script(sql))
    out.push_back(execute(s, sql));
  return out;
}

sql_result sql_session::describe(const describe_object& d, std::string_view sql, source_pos pos) {
  sql_result r;
  r.type = sql_result::kind::table;
  r.columns = {"name", "type", "null", "key", "extras", "watermark"};
  auto object = catalog::object_name(d.name);
  const catalog_table* t = object ? catalog_.find_table(*object) : nullptr;
  if (t) {
    std::string key;
    if (!t->primary_key.empty()) {
      key = "PRI(";
      for (std::size_t i = 0; i < t->primary_key.size(); ++i)
        key += (i ? ", " : "") + t->primary_key[i];
      key += ")";
    }
    for (const catalog_column& c : t->columns) {
      bool in_key = false;
      for (const std::string& k : t->primary_key)
        in_key = in_key || k == c.name;
      std::string watermark;
      if (t->watermark_column && *t->watermark_column == c.name)
        watermark = to_sql(*t->watermark);
      r.rows.push_back({c.name, to_string(c.type.with_nullable(true)),
                        c.type.nullable ? "TRUE" : "FALSE", in_key ? key : "",
                        c.computed ? "AS " + to_sql(*c.computed) : "", watermark});
    }
    return r;
  }
  const catalog_view* v = object ? catalog_.find_view(*object) : nullptr;
  if (!v) {
    std::vector<std::string> names = catalog_.table_names();
    std::string hint;
    std::size_t best = 4;
    for (const std::string& n : names) {
      const std::size_t dist = edit_distance(d.name.back(), n);
      if (dist < best && dist <= std::max<std::size_t>(1, d.name.back().size() / 2)) {
        best = dist;
        hint = n;
      }
    }
    throw_validation_error(sql, pos,
                           "Tables or views with the identifier '" + dotted(d.name) +
                               "' doesn't exist" +
                               (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  query q;
  q.kind = query_kind::select;
  select_item star;
  expr e;
  e.kind = expr_kind::star;
  star.value = e;
  q.items.push_back(star);
  table_ref from;
  from.kind = table_ref_kind::table;
  from.name = {v->name};
  q.from = from;
  logical_plan p = plan_query(catalog_, q, sql);
  for (const plan_column& c : p.roots[0]->schema)
    r.rows.push_back({c.name, to_string(c.type.with_nullable(true)),
                      c.type.nullable ? "TRUE" : "FALSE", "", "", ""});
  return r;
}

sql_result sql_session::execute(const statement& s, std::string_view sql) {
  sql_result ok;
  if (const auto* ct = std::get_if<create_table>(&s.body)) {
    catalog_table t = analyze_create_table(catalog_, *ct, sql);
    if (catalog_.find_table(t.name) || catalog_.find_view(t.name)) {
      if (ct->if_not_exists)
        return ok;
      throw_validation_error(sql, s.pos,
                             "Table or view '" + catalog::qualified(t.name) + "' already exists");
    }
    catalog_.add_table(std::move(t));
    return ok;
  }
  if (const auto* cv = std::get_if<create_view>(&s.body)) {
    catalog_view v = analyze_create_view(catalog_, *cv, sql);
    if (catalog_.find_table(v.name) || catalog_.find_view(v.name)) {
      if (cv->if_not_exists)
        return ok;
      throw_validation_error(sql, s.pos,
                             "Table or view '" + catalog::qualified(v.name) + "' already exists");
    }
    catalog_.add_view(std::move(v));
    return ok;
  }
  if (const auto* cf = std::get_if<create_function>(&s.body)) {
    auto name = catalog::object_name(cf->name);
    if (!name)
      throw_validation_error(sql, s.pos,
                             "not supported yet: functions outside the default "
                             "catalog and database");
    if (cf->language == "PYTHON")
      throw_validation_error(sql, s.pos, "not supported yet: Python functions (LANGUAGE PYTHON)");
    if (!find_function_class(cf->class_name))
      throw_validation_error(sql, s.pos,
                             "Function class '" + cf->class_name +
                                 "' is not registered: spate calls C++ functions registered "
                                 "with spate::sql::register_scalar_function before the "
                                 "statement runs (docs/sql.md, \"User-defined functions\")");
    if (!catalog_.add_function({*name, cf->class_name, cf->language}) && !cf->if_not_exists)
      throw_validation_error(sql, s.pos, "Function '" + *name + "' already exists");
    return ok;
  }
  if (const auto* d = std::get_if<drop_object>(&s.body)) {
    auto name = catalog::object_name(d->name);
    bool dropped = false;
    const char* what = "Table";
    switch (d->what) {
      case drop_object::kind::table:
        dropped = name && catalog_.drop_table(*name);
        break;
      case drop_object::kind::view:
        what = "View";
        dropped = name && catalog_.drop_view(*name);
        break;
      case drop_object::kind::function:
        what = "Function";
        dropped = name && catalog_.drop_function(*name);
        break;
    }
    if (!dropped && !d->if_exists)
      throw_validation_error(sql, s.pos,
                             std::string(what) + " with identifier '" +
                                 (name ? catalog::qualified(*name) : dotted(d->name)) +
                                 "' does not exist.");
    return ok;
  }
  if (const auto* sh = std::get_if<show_object>(&s.body)) {
    if (sh->what == "TABLES")
      return one_column("table name", catalog_.table_names());
    if (sh->what == "VIEWS")
      return one_column("view name", catalog_.view_names());
    if (sh->what == "USER FUNCTIONS" || sh->what == "FUNCTIONS")
      return one_column("function name", catalog_.function_names());
    if (sh->what == "CATALOGS")
      return one_column("catalog name", {catalog::default_catalog});
    if (sh->what == "DATABASES")
      return one_column("database name", {catalog::default_database});
    if (sh->what == "CURRENT CATALOG")
      return one_column("current catalog name", {catalog::default_catalog});
    if (sh->what == "CURRENT DATABASE")
      return one_column("current database name", {catalog::default_database});
    throw_validation_error(sql, s.pos, "not supported yet: SHOW " + sh->what);
  }
  if (const auto* d = std::get_if<describe_object>(&s.body))
    return describe(*d, sql, s.pos);
  if (const auto* ex = std::get_if<explain_statement>(&s.body)) {
    sql_result planned = execute(*ex->target, sql);
    if (planned.type != sql_result::kind::plan)
      throw_validation_error(sql, s.pos, "EXPLAIN needs a query, an INSERT or a statement set");
    sql_result r = one_column("result", {explain(planned.plan)});
    r.plan = planned.plan;
    return r;
  }
  if (const auto* so = std::get_if<set_option>(&s.body)) {
    if (!so->key) {
      sql_result r;
      r.type = sql_result::kind::table;
      r.columns = {"key", "value"};
      for (const auto& kv : catalog_.config())
        r.rows.push_back({kv.first, kv.second});
      return r;
    }
    catalog_.config()[*so->key] = so->value.value_or("");
    return ok;
  }
  if (const auto* ro = std::get_if<reset_option>(&s.body)) {
    if (ro->key)
      catalog_.config().erase(*ro->key);
    else
      catalog_.config().clear();
    return ok;
  }
  if (const auto* u = std::get_if<use_object>(&s.body)) {
    const std::string want = u->catalog ? catalog::default_catalog : catalog::default_database;
    if (u->name.empty() || u->name.back() != want)
      throw_validation_error(sql, s.pos,
                             "not supported yet: catalogs and databases other than "
                             "default_catalog.default_database");
    return ok;
  }
  sql_result r;
  r.type = sql_result::kind::plan;
  if (const auto* ins = std::get_if<insert_into>(&s.body)) {
    if (ins->overwrite)
      throw_validation_error(sql, s.pos, "not supported yet: INSERT OVERWRITE");
    r.plan = plan_insert(catalog_, *ins, sql, s.pos);
  } else if (const auto* set = std::get_if<statement_set>(&s.body)) {
    r.plan = plan_statement_set(catalog_, *set, sql, s.pos);
  } else if (const auto* q = std::get_if<query_statement>(&s.body)) {
    r.plan = plan_query(catalog_, *q->body, sql);
  }
  return r;
}

} // namespace spate::sql
