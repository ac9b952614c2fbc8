// The parser's statements and its entry points.
#include <string>

#include "parser_impl.hpp"

namespace spate::sql::detail {

statement parser::parse_one_statement() {
  if (is_word("BEGIN") && is_word("STATEMENT", 1)) {
    fail(peek(), "BEGIN STATEMENT SET; ... END; is a script of several statements: parse it "
                 "with parse_script, or write EXECUTE STATEMENT SET BEGIN ... END");
  }
  statement s = statement_();
  expect_end();
  return s;
}

std::vector<statement> parser::parse_statements() {
  std::vector<statement> out;
  for (;;) {
    while (accept_symbol(";")) {
    }
    if (peek().kind == token_kind::end)
      return out;
    if (is_word("BEGIN") && is_word("STATEMENT", 1)) {
      statement s;
      s.pos = next().pos;
      next();
      expect_word("SET");
      expect_symbol(";");
      s.body = statement_set_body();
      out.push_back(std::move(s));
    } else {
      out.push_back(statement_());
    }
    if (!accept_symbol(";") && peek().kind != token_kind::end)
      fail_expected("';' or end of input");
  }
}

query parser::parse_whole_query() {
  if (!starts_query(0))
    fail_expected("SELECT, WITH, VALUES or '('");
  query q = query_();
  expect_end();
  return q;
}

expr parser::parse_whole_expression() {
  expr e = expression();
  if (peek().kind != token_kind::end)
    fail_expected("end of input");
  return e;
}

data_type parser::parse_whole_type() {
  data_type d = data_type_();
  if (peek().kind != token_kind::end)
    fail_expected("end of input");
  return d;
}

statement parser::statement_() {
  statement s;
  s.pos = peek().pos;
  const token& t = peek();
  if (starts_query(0)) {
    s.body = query_statement{query_()};
    return s;
  }
  if (t.kind != token_kind::word)
    fail_expected("a statement");
  const std::string w = t.upper;
  if (w == "CREATE") {
    next();
    if (is_word("OR") && is_word("REPLACE", 1))
      unsupported(peek(), "CREATE OR REPLACE");
    const bool temporary = accept_word("TEMPORARY");
    const bool system = temporary && accept_word("SYSTEM");
    if (is_word("FUNCTION")) {
      s.body = create_function_(temporary, system);
    } else if (system) {
      fail_expected("'FUNCTION'");
    } else if (is_word("TABLE")) {
      s.body = create_table_(temporary);
    } else if (is_word("VIEW")) {
      s.body = create_view_(temporary);
    } else if (is_word("CATALOG") || is_word("DATABASE")) {
      unsupported(peek(), "CREATE " + peek().upper);
    } else {
      fail_expected("TABLE, VIEW or FUNCTION");
    }
  } else if (w == "DROP") {
    s.body = drop_();
  } else if (w == "ALTER") {
    unsupported(t, "ALTER");
  } else if (w == "SHOW") {
    s.body = show_();
  } else if (w == "DESCRIBE" || w == "DESC") {
    next();
    describe_object d;
    d.extended = accept_word("EXTENDED");
    d.name = compound_name("a table name");
    s.body = std::move(d);
  } else if (w == "EXPLAIN") {
    next();
    explain_statement e;
    if (accept_word("PLAN")) {
      expect_word("FOR");
    } else {
      static const char* const details[] = {"ESTIMATED_COST", "CHANGELOG_MODE",
                                            "JSON_EXECUTION_PLAN", "PLAN_ADVICE"};
      for (;;) {
        bool found = false;
        for (const char* d : details) {
          if (is_word(d))
            found = true;
        }
        if (!found)
          break;
        e.details.push_back(next().upper);
        if (!accept_symbol(","))
          break;
      }
    }
    if (is_word("STATEMENT") && is_word("SET", 1)) {
      statement inner;
      inner.pos = next().pos;
      next();
      expect_word("BEGIN");
      inner.body = statement_set_body();
      e.target = std::move(inner);
    } else {
      statement inner = statement_();
      if (!std::holds_alternative<query_statement>(inner.body) &&
          !std::holds_alternative<insert_into>(inner.body) &&
          !std::holds_alternative<statement_set>(inner.body)) {
        throw_sql_error(sql_, inner.pos, "EXPLAIN takes a query, an INSERT or a statement set");
      }
      e.target = std::move(inner);
    }
    s.body = std::move(e);
  } else if (w == "SET") {
    s.body = set_();
  } else if (w == "RESET") {
    next();
    reset_option r;
    if (peek().kind == token_kind::string)
      r.key = next().text;
    else if (peek().kind != token_kind::end && !is_symbol(";"))
      fail_expected("a quoted option key ('key') or the end of the statement");
    s.body = std::move(r);
  } else if (w == "USE") {
    next();
    use_object u;
    if (is_word("MODULES"))
      unsupported(peek(), "USE MODULES");
    if (is_word("CATALOG") && is_identifier(1)) {
      next();
      u.catalog = true;
    }
    u.name = compound_name("a catalog or database name");
    s.body = std::move(u);
  } else if (w == "INSERT") {
    s.body = insert_();
  } else if (w == "EXECUTE") {
    next();
    if (accept_word("STATEMENT")) {
      expect_word("SET");
      expect_word("BEGIN");
      s.body = statement_set_body();
    } else if (is_word("INSERT")) {
      s.body = insert_();
    } else {
      fail_expected("'STATEMENT SET' or 'INSERT'");
    }
  } else if (w == "BEGIN" && is_word("STATEMENT", 1)) {
    fail(t, "BEGIN STATEMENT SET cannot be nested in another statement");
  } else if (w == "LOAD" || w == "UNLOAD" || w == "ANALYZE" || w == "TRUNCATE" || w == "DELETE" ||
             w == "UPDATE" || w == "CALL" || w == "ADD" || w == "REMOVE" || w == "STOP") {
    unsupported(t, w + " statements");
  } else {
    fail_expected("a statement");
  }
  return s;
}

create_table parser::create_table_(bool temporary) {
  next(); // TABLE
  create_table c;
  c.temporary = temporary;
  if (accept_word("IF")) {
    expect_word("NOT");
    expect_word("EXISTS");
    c.if_not_exists = true;
  }
  c.name = compound_name("a table name");
  if (accept_symbol("(")) {
    do {
      table_element(c);
    } while (accept_symbol(","));
    expect_symbol(")");
  }
  if (accept_word("COMMENT"))
    c.comment = string_literal();
  if (accept_word("PARTITIONED")) {
    expect_word("BY");
    c.partitioned_by = identifier_list();
  }
  if (is_word("DISTRIBUTED"))
    unsupported(peek(), "DISTRIBUTED BY");
  if (accept_word("WITH")) {
    expect_symbol("(");
    if (!is_symbol(")")) {
      do {
        table_option o;
        o.pos = peek().pos;
        o.key = string_literal("an option key as a string ('connector')");
        expect_symbol("=");
        o.value = string_literal("the option's value as a string ('kafka')");
        c.options.push_back(std::move(o));
      } while (accept_symbol(","));
    }
    expect_symbol(")");
  }
  if (is_word("LIKE"))
    unsupported(peek(), "CREATE TABLE ... LIKE");
  if (is_word("AS"))
    unsupported(peek(), "CREATE TABLE ... AS SELECT");
  return c;
}

void parser::table_element(create_table& c) {
  const token& t = peek();
  if (is_word("WATERMARK") && is_word("FOR", 1)) {
    if (c.watermark)
      fail(t, "a table has at most one WATERMARK");
    next();
    next();
    watermark_def w;
    w.column = identifier("the rowtime column");
    if (is_symbol("."))
      unsupported(peek(), "a WATERMARK on a nested field");
    expect_word("AS");
    w.strategy = expression();
    c.watermark = std::move(w);
    return;
  }
  auto primary_key = [&](std::vector<std::string> columns) {
    if (!c.primary_key.empty())
      fail(t, "a table has at most one PRIMARY KEY");
    c.primary_key = std::move(columns);
    if (is_word("ENFORCED")) {
      fail(peek(), "PRIMARY KEY must be NOT ENFORCED: like Flink, spate does not own the data "
                   "to check it");
    }
    if (!is_word("NOT"))
      fail_expected("'NOT ENFORCED'");
    next();
    if (!accept_word("ENFORCED"))
      fail_expected("'ENFORCED'");
  };
  std::string constraint;
  if (is_word("CONSTRAINT") && is_identifier(1)) {
    next();
    constraint = identifier();
  }
  if (is_word("PRIMARY") && is_word("KEY", 1)) {
    next();
    next();
    c.constraint_name = constraint;
    primary_key(identifier_list());
    return;
  }
  if (is_word("UNIQUE") || is_word("FOREIGN") || is_word("CHECK"))
    unsupported(peek(), peek().upper + " constraints");
  if (!constraint.empty())
    fail_expected("'PRIMARY KEY'");

  column_def col;
  col.pos = peek().pos;
  col.name = identifier("a column name");
  if (accept_word("AS")) {
    col.computed = expression();
  } else {
    col.type = data_type_();
    std::string inline_constraint;
    if (is_word("CONSTRAINT") && is_identifier(1)) {
      next();
      inline_constraint = identifier();
      if (!(is_word("PRIMARY") && is_word("KEY", 1)))
        fail_expected("'PRIMARY KEY'");
    }
    if (is_word("PRIMARY") && is_word("KEY", 1)) {
      next();
      next();
      c.constraint_name = inline_constraint;
      primary_key({col.name});
    }
    if (is_word("METADATA"))
      unsupported(peek(), "METADATA columns");
  }
  if (accept_word("COMMENT"))
    col.comment = string_literal();
  c.columns.push_back(std::move(col));
}

create_view parser::create_view_(bool temporary) {
  next(); // VIEW
  create_view v;
  v.temporary = temporary;
  if (accept_word("IF")) {
    expect_word("NOT");
    expect_word("EXISTS");
    v.if_not_exists = true;
  }
  v.name = compound_name("a view name");
  if (is_symbol("("))
    v.columns = identifier_list();
  if (accept_word("COMMENT"))
    v.comment = string_literal();
  expect_word("AS");
  if (!starts_query(0))
    fail_expected("a query");
  v.body = query_();
  return v;
}

create_function parser::create_function_(bool temporary, bool system) {
  next(); // FUNCTION
  create_function f;
  f.temporary = temporary;
  f.system = system;
  if (accept_word("IF")) {
    expect_word("NOT");
    expect_word("EXISTS");
    f.if_not_exists = true;
  }
  f.name = compound_name("a function name");
  expect_word("AS");
  f.class_name = string_literal("the function's class name as a string");
  if (accept_word("LANGUAGE")) {
    if (!(is_word("JAVA") || is_word("SCALA") || is_word("PYTHON")))
      fail_expected("JAVA, SCALA or PYTHON");
    f.language = next().upper;
  }
  if (is_word("USING"))
    unsupported(peek(), "CREATE FUNCTION ... USING JAR");
  return f;
}

statement_body parser::drop_() {
  next(); // DROP
  drop_object d;
  d.temporary = accept_word("TEMPORARY");
  d.system = d.temporary && accept_word("SYSTEM");
  if (accept_word("TABLE")) {
    d.what = drop_object::kind::table;
  } else if (accept_word("VIEW")) {
    d.what = drop_object::kind::view;
  } else if (accept_word("FUNCTION")) {
    d.what = drop_object::kind::function;
  } else if (is_word("CATALOG") || is_word("DATABASE")) {
    unsupported(peek(), "DROP " + peek().upper);
  } else {
    fail_expected("TABLE, VIEW or FUNCTION");
  }
  if (d.system && d.what != drop_object::kind::function)
    fail_expected("'FUNCTION'");
  if (accept_word("IF")) {
    expect_word("EXISTS");
    d.if_exists = true;
  }
  d.name = compound_name("a name");
  return d;
}

show_object parser::show_() {
  next(); // SHOW
  show_object s;
  const token& t = peek();
  auto word = [&](const char* w) {
    if (!accept_word(w))
      return false;
    if (!s.what.empty())
      s.what += ' ';
    s.what += w;
    return true;
  };
  if (word("TABLES") || word("VIEWS") || word("FUNCTIONS") || word("CATALOGS") ||
      word("DATABASES") || word("MODULES") || word("JOBS")) {
  } else if (word("USER")) {
    if (!word("FUNCTIONS"))
      fail_expected("'FUNCTIONS'");
  } else if (word("FULL")) {
    if (!word("MODULES"))
      fail_expected("'MODULES'");
  } else if (word("CURRENT")) {
    if (!word("CATALOG") && !word("DATABASE"))
      fail_expected("CATALOG or DATABASE");
  } else if (word("CREATE")) {
    if (!word("TABLE") && !word("VIEW"))
      fail_expected("TABLE or VIEW");
    s.name = compound_name("a name");
  } else if (t.kind == token_kind::word &&
             (t.upper == "COLUMNS" || t.upper == "PARTITIONS" || t.upper == "PROCEDURES")) {
    unsupported(t, "SHOW " + t.upper);
  } else {
    fail_expected("what to show (TABLES, VIEWS, FUNCTIONS, CATALOGS, DATABASES, ...)");
  }
  if (is_word("FROM") || is_word("IN") || is_word("LIKE") || is_word("ILIKE") ||
      (is_word("NOT") && (is_word("LIKE", 1) || is_word("ILIKE", 1)))) {
    unsupported(peek(), "SHOW ... FROM/IN/LIKE");
  }
  return s;
}

statement_body parser::set_() {
  next(); // SET
  set_option s;
  if (peek().kind == token_kind::end || is_symbol(";"))
    return s;
  if (peek().kind != token_kind::string)
    fail_expected("a quoted option key ('key' = 'value')");
  s.key = next().text;
  expect_symbol("=");
  if (peek().kind != token_kind::string)
    fail_expected("a quoted option value ('key' = 'value')");
  s.value = next().text;
  return s;
}

insert_into parser::insert_() {
  next(); // INSERT
  insert_into in;
  if (accept_word("OVERWRITE")) {
    in.overwrite = true;
  } else {
    expect_word("INTO");
  }
  in.table = compound_name("a table name");
  if (is_word("PARTITION"))
    unsupported(peek(), "INSERT ... PARTITION (...)");
  if (is_symbol("(") && !starts_query(0))
    in.columns = identifier_list();
  if (!starts_query(0))
    fail_expected("a query (SELECT, WITH, VALUES or '(')");
  in.source = query_();
  return in;
}

statement_set parser::statement_set_body() {
  statement_set set;
  while (!is_word("END")) {
    if (peek().kind == token_kind::end)
      fail_expected("'END'");
    if (!is_word("INSERT")) {
      fail(peek(), "a statement set holds only INSERT statements, but found " + describe(peek()));
    }
    set.inserts.push_back(insert_());
    if (!is_word("END"))
      expect_symbol(";");
  }
  next(); // END
  if (set.inserts.empty())
    fail(peek(), "a statement set needs at least one INSERT");
  return set;
}

} // namespace spate::sql::detail

namespace spate::sql {

statement parse_statement(std::string_view sql) {
  return detail::parser(sql).parse_one_statement();
}

std::vector<statement> parse_script(std::string_view sql) {
  return detail::parser(sql).parse_statements();
}

query parse_query(std::string_view sql) { return detail::parser(sql).parse_whole_query(); }

expr parse_expression(std::string_view sql) { return detail::parser(sql).parse_whole_expression(); }

data_type parse_data_type(std::string_view sql) { return detail::parser(sql).parse_whole_type(); }

} // namespace spate::sql
