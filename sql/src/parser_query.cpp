// The parser's queries: WITH, SELECT, VALUES, set operations, ORDER BY and LIMIT, and the
// table references of FROM (tables, subqueries, window TVFs and table functions, joins).
#include <string>

#include "parser_impl.hpp"

namespace spate::sql::detail {

query parser::query_() {
  const source_pos pos = peek().pos;
  std::vector<cte> with;
  if (accept_word("WITH")) {
    if (is_word("RECURSIVE"))
      unsupported(peek(), "WITH RECURSIVE");
    do {
      cte c;
      c.name = identifier("a name for the WITH query");
      if (is_symbol("("))
        c.columns = identifier_list();
      expect_word("AS");
      expect_symbol("(");
      c.body = query_();
      expect_symbol(")");
      with.push_back(std::move(c));
    } while (accept_symbol(","));
  }
  query q = set_expression();
  const bool has_tail =
      is_word("ORDER") || is_word("LIMIT") || is_word("OFFSET") || is_word("FETCH");
  if ((!with.empty() && !q.with.empty()) ||
      (has_tail && (!q.order_by.empty() || q.limit || q.offset))) {
    unsupported(peek(), "a second WITH, ORDER BY or LIMIT around a parenthesized query");
  }
  if (!with.empty()) {
    q.with = std::move(with);
    q.pos = pos;
  }
  if (accept_word("ORDER")) {
    expect_word("BY");
    q.order_by = order_items();
  }
  if (accept_word("LIMIT")) {
    if (is_word("ALL"))
      unsupported(peek(), "LIMIT ALL");
    q.limit = additive();
  }
  if (accept_word("OFFSET")) {
    q.offset = additive();
    if (!accept_word("ROWS"))
      accept_word("ROW");
  }
  if (is_word("FETCH")) {
    if (q.limit)
      fail(peek(), "LIMIT and FETCH together");
    next();
    if (!accept_word("FIRST"))
      expect_word("NEXT");
    q.limit = additive();
    if (!accept_word("ROWS"))
      expect_word("ROW");
    expect_word("ONLY");
  }
  return q;
}

namespace {

query make_set(set_op op, bool all, query left, query right) {
  query q;
  q.kind = query_kind::set_operation;
  q.pos = left.pos;
  q.set = op;
  q.all = all;
  q.left = std::move(left);
  q.right = std::move(right);
  return q;
}

} // namespace

query parser::set_expression() {
  query left = set_term();
  for (;;) {
    set_op op;
    if (accept_word("UNION")) {
      op = set_op::union_;
    } else if (accept_word("EXCEPT")) {
      op = set_op::except;
    } else if (is_word("MINUS")) {
      unsupported(peek(), "MINUS (use EXCEPT)");
    } else {
      return left;
    }
    bool all = accept_word("ALL");
    if (!all)
      accept_word("DISTINCT");
    left = make_set(op, all, std::move(left), set_term());
  }
}

query parser::set_term() {
  query left = query_primary();
  while (accept_word("INTERSECT")) {
    bool all = accept_word("ALL");
    if (!all)
      accept_word("DISTINCT");
    left = make_set(set_op::intersect, all, std::move(left), query_primary());
  }
  return left;
}

query parser::query_primary() {
  if (is_word("SELECT"))
    return select_();
  if (is_word("VALUES"))
    return values_();
  if (is_symbol("(") && starts_query(1)) {
    next();
    query q = query_();
    expect_symbol(")");
    return q;
  }
  if (is_word("TABLE"))
    unsupported(peek(), "TABLE name as a query (use SELECT * FROM name)");
  fail_expected("SELECT, VALUES or '('");
}

query parser::select_() {
  query q;
  q.kind = query_kind::select;
  q.pos = next().pos; // SELECT
  if (accept_word("DISTINCT")) {
    q.distinct = true;
  } else {
    accept_word("ALL");
  }
  do {
    select_item item;
    if (is_symbol("*")) {
      expr star;
      star.kind = expr_kind::star;
      star.pos = next().pos;
      item.value = std::move(star);
    } else {
      item.value = expression();
      if (accept_word("AS")) {
        item.alias = identifier("an alias");
      } else if (is_identifier()) {
        item.alias = next().text;
      }
    }
    q.items.push_back(std::move(item));
  } while (accept_symbol(","));
  if (accept_word("FROM"))
    q.from = from_clause();
  if (accept_word("WHERE"))
    q.where = expression();
  if (accept_word("GROUP")) {
    expect_word("BY");
    do {
      if (is_word("GROUPING") && is_word("SETS", 1))
        unsupported(peek(), "GROUPING SETS");
      if ((is_word("ROLLUP") || is_word("CUBE")) && is_symbol("(", 1))
        unsupported(peek(), peek().upper);
      if (is_symbol("(") && is_symbol(")", 1))
        unsupported(peek(), "GROUP BY ()");
      q.group_by.emplace_back(expression());
    } while (accept_symbol(","));
  }
  if (accept_word("HAVING"))
    q.having = expression();
  if (is_word("WINDOW"))
    unsupported(peek(), "the WINDOW clause");
  if (is_word("QUALIFY"))
    unsupported(peek(), "QUALIFY");
  return q;
}

query parser::values_() {
  query q;
  q.kind = query_kind::values;
  q.pos = next().pos; // VALUES
  do {
    std::vector<box<expr>> row;
    if (is_word("ROW") && is_symbol("(", 1))
      next();
    expect_symbol("(");
    do {
      row.emplace_back(expression());
    } while (accept_symbol(","));
    expect_symbol(")");
    q.rows.push_back(std::move(row));
  } while (accept_symbol(","));
  return q;
}

std::vector<order_item> parser::order_items() {
  std::vector<order_item> items;
  do {
    order_item item;
    item.value = expression();
    if (accept_word("DESC")) {
      item.descending = true;
    } else {
      accept_word("ASC");
    }
    if (accept_word("NULLS")) {
      if (accept_word("FIRST")) {
        item.nulls_first = true;
      } else {
        expect_word("LAST");
        item.nulls_first = false;
      }
    }
    items.push_back(std::move(item));
  } while (accept_symbol(","));
  return items;
}

// ---------------------------------------------------------------------------------------------
// FROM

namespace {

table_ref make_join(join_kind kind, table_ref left, table_ref right) {
  table_ref j;
  j.kind = table_ref_kind::join;
  j.pos = left.pos;
  j.join = kind;
  j.left = std::move(left);
  j.right = std::move(right);
  return j;
}

} // namespace

table_ref parser::from_clause() {
  table_ref left = joined_table();
  while (accept_symbol(","))
    left = make_join(join_kind::comma, std::move(left), joined_table());
  return left;
}

table_ref parser::joined_table() {
  table_ref left = table_primary();
  for (;;) {
    join_kind kind;
    if (is_word("NATURAL"))
      unsupported(peek(), "NATURAL JOIN");
    if (accept_word("CROSS")) {
      if (is_word("APPLY"))
        unsupported(peek(), "CROSS APPLY");
      expect_word("JOIN");
      left = make_join(join_kind::cross, std::move(left), table_primary());
      continue;
    }
    if (accept_word("JOIN")) {
      kind = join_kind::inner;
    } else if (accept_word("INNER")) {
      expect_word("JOIN");
      kind = join_kind::inner;
    } else if (is_word("LEFT") || is_word("RIGHT") || is_word("FULL")) {
      const std::string w = next().upper;
      kind = w == "LEFT" ? join_kind::left : w == "RIGHT" ? join_kind::right : join_kind::full;
      accept_word("OUTER");
      if (is_word("SEMI") || is_word("ANTI"))
        unsupported(peek(), w + " " + peek().upper + " JOIN");
      expect_word("JOIN");
    } else {
      return left;
    }
    table_ref j = make_join(kind, std::move(left), table_primary());
    if (accept_word("ON")) {
      j.on = expression();
    } else if (accept_word("USING")) {
      j.using_columns = identifier_list();
    } else {
      fail_expected("'ON' or 'USING'");
    }
    left = std::move(j);
  }
}

table_ref parser::table_primary() {
  table_ref t;
  t.pos = peek().pos;
  const bool lateral = accept_word("LATERAL");
  if (is_word("TABLE") && is_symbol("(", 1)) {
    next();
    next();
    t.kind = table_ref_kind::function;
    t.lateral = lateral;
    t.function = compound_name("a table function");
    if (!is_symbol("("))
      fail_expected("'('");
    t.args = table_function_args();
    expect_symbol(")");
  } else if (is_symbol("(") && starts_query(1)) {
    next();
    t.kind = table_ref_kind::subquery;
    t.lateral = lateral;
    t.subquery = query_();
    expect_symbol(")");
  } else if (lateral) {
    fail_expected("TABLE(...) or a subquery after LATERAL");
  } else if (is_word("UNNEST") && is_symbol("(", 1)) {
    next();
    next();
    t.kind = table_ref_kind::unnest;
    do {
      t.unnest_args.emplace_back(expression());
    } while (accept_symbol(","));
    expect_symbol(")");
    if (is_word("WITH") && is_word("ORDINALITY", 1))
      unsupported(peek(), "WITH ORDINALITY");
  } else if (accept_symbol("(")) {
    // A parenthesized join: (a JOIN b ON ...).
    table_ref inner = from_clause();
    expect_symbol(")");
    return inner;
  } else {
    t.kind = table_ref_kind::table;
    t.name = compound_name("a table name");
    if (is_word("FOR")) {
      next();
      expect_word("SYSTEM_TIME");
      expect_word("AS");
      expect_word("OF");
      t.system_time = expression();
    }
  }
  table_alias(t);
  if (is_word("MATCH_RECOGNIZE"))
    unsupported(peek(), "MATCH_RECOGNIZE");
  if (is_word("TABLESAMPLE"))
    unsupported(peek(), "TABLESAMPLE");
  return t;
}

void parser::table_alias(table_ref& t) {
  if (accept_word("AS")) {
    t.alias = identifier("an alias");
  } else if (is_identifier()) {
    t.alias = next().text;
  } else {
    return;
  }
  if (is_symbol("("))
    t.column_aliases = identifier_list();
}

std::vector<table_arg> parser::table_function_args() {
  expect_symbol("(");
  std::vector<table_arg> args;
  if (accept_symbol(")"))
    return args;
  do {
    table_arg a;
    if (is_identifier() && is_symbol("=>", 1)) {
      a.name = next().text;
      next();
    }
    if (is_word("TABLE") && !is_symbol("(", 1)) {
      next();
      a.type = table_arg::kind::table;
      a.table = compound_name("a table name");
      if (accept_word("PARTITION")) {
        expect_word("BY");
        if (is_symbol("(")) {
          a.partition_by = identifier_list();
        } else {
          a.partition_by.push_back(identifier("a column name"));
        }
      }
    } else if (is_word("DESCRIPTOR") && is_symbol("(", 1)) {
      next();
      a.type = table_arg::kind::descriptor;
      a.columns = identifier_list();
    } else {
      a.type = table_arg::kind::value;
      a.value = expression();
    }
    args.push_back(std::move(a));
  } while (accept_symbol(","));
  expect_symbol(")");
  return args;
}

} // namespace spate::sql::detail
