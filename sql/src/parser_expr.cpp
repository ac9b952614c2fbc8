// The parser's token helpers, expressions and data types.
#include <set>
#include <string>

#include "parser_impl.hpp"

namespace spate::sql::detail {

namespace {

expr make(expr_kind kind, source_pos pos) {
  expr e;
  e.kind = kind;
  e.pos = pos;
  return e;
}

expr make_binary(op o, expr left, expr right) {
  expr e = make(expr_kind::binary, left.pos);
  e.oper = o;
  e.args.emplace_back(std::move(left));
  e.args.emplace_back(std::move(right));
  return e;
}

std::string upper_of(const std::string& s) {
  std::string u = s;
  for (char& c : u)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

} // namespace

bool is_reserved(const std::string& upper) {
  static const std::set<std::string> words = {
      "ALL",
      "AND",
      "AS",
      "ASC",
      "BETWEEN",
      "BY",
      "CASE",
      "CAST",
      "CROSS",
      "CURRENT_DATE",
      "CURRENT_TIME",
      "CURRENT_TIMESTAMP",
      "DESC",
      "DISTINCT",
      "ELSE",
      "END",
      "ESCAPE",
      "EXCEPT",
      "EXISTS",
      "FALSE",
      "FETCH",
      "FOR",
      "FROM",
      "FULL",
      "GROUP",
      "HAVING",
      "IN",
      "INNER",
      "INTERSECT",
      "INTERVAL",
      "INTO",
      "IS",
      "JOIN",
      "LATERAL",
      "LEFT",
      "LIKE",
      "LIMIT",
      "LOCALTIME",
      "LOCALTIMESTAMP",
      "MATCH_RECOGNIZE",
      "MINUS",
      "NATURAL",
      "NOT",
      "NULL",
      "OFFSET",
      "ON",
      "OR",
      "ORDER",
      "OUTER",
      "OVER",
      "RIGHT",
      "SELECT",
      "SIMILAR",
      "TABLE",
      "THEN",
      "TRUE",
      "TRY_CAST",
      "UNION",
      "UNKNOWN",
      "UNNEST",
      "USING",
      "VALUES",
      "WHEN",
      "WHERE",
      "WINDOW",
      "WITH",
  };
  return words.count(upper) != 0;
}

bool is_time_unit(const std::string& upper) {
  static const std::set<std::string> units = {
      "MILLENNIUM", "CENTURY", "DECADE",      "YEAR",        "ISOYEAR",    "QUARTER", "MONTH",
      "WEEK",       "DAY",     "DOW",         "ISODOW",      "DOY",        "HOUR",    "MINUTE",
      "SECOND",     "EPOCH",   "MILLISECOND", "MICROSECOND", "NANOSECOND",
  };
  return units.count(upper) != 0;
}

std::string interval_unit(const std::string& upper) {
  static const char* const units[] = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"};
  for (const char* u : units) {
    if (upper == u || upper == std::string(u) + "S")
      return u;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Tokens

parser::parser(std::string_view sql) : sql_(sql), tokens_(tokenize(sql)) {}

const token& parser::peek(std::size_t k) const {
  const std::size_t at = i_ + k;
  return at < tokens_.size() ? tokens_[at] : tokens_.back();
}

const token& parser::next() {
  const token& t = tokens_[i_];
  if (i_ + 1 < tokens_.size())
    ++i_;
  return t;
}

bool parser::is_word(const char* upper, std::size_t k) const {
  const token& t = peek(k);
  return t.kind == token_kind::word && t.upper == upper;
}

bool parser::accept_word(const char* upper) {
  if (!is_word(upper))
    return false;
  next();
  return true;
}

void parser::expect_word(const char* upper) {
  if (!accept_word(upper))
    fail_expected(std::string("'") + upper + "'");
}

bool parser::is_symbol(const char* text, std::size_t k) const {
  const token& t = peek(k);
  return t.kind == token_kind::symbol && t.text == text;
}

bool parser::accept_symbol(const char* text) {
  if (!is_symbol(text))
    return false;
  next();
  return true;
}

void parser::expect_symbol(const char* text) {
  if (!accept_symbol(text))
    fail_expected(std::string("'") + text + "'");
}

void parser::expect_end() {
  accept_symbol(";");
  if (peek().kind != token_kind::end)
    fail_expected("';' or end of input");
}

bool parser::is_identifier(std::size_t k) const {
  const token& t = peek(k);
  return t.kind == token_kind::quoted_identifier ||
         (t.kind == token_kind::word && !is_reserved(t.upper));
}

std::string parser::identifier(const char* what) {
  if (!is_identifier())
    fail_expected(what);
  return next().text;
}

qualified_name parser::compound_name(const char* what) {
  qualified_name name;
  name.push_back(identifier(what));
  while (is_symbol(".") && is_identifier(1)) {
    next();
    name.push_back(identifier());
  }
  return name;
}

std::vector<std::string> parser::identifier_list() {
  expect_symbol("(");
  std::vector<std::string> names;
  do {
    names.push_back(identifier("a column name"));
  } while (accept_symbol(","));
  expect_symbol(")");
  return names;
}

std::string parser::string_literal(const char* what) {
  if (peek().kind != token_kind::string)
    fail_expected(what);
  return next().text;
}

int parser::small_integer(const char* what) {
  const token& t = peek();
  if (t.kind != token_kind::integer)
    fail_expected(what);
  if (t.text.size() > 9)
    fail(t, std::string(what) + " is too large: " + t.text);
  next();
  return std::stoi(t.text);
}

bool parser::starts_query(std::size_t k) const {
  while (is_symbol("(", k))
    ++k;
  return is_word("SELECT", k) || is_word("WITH", k) || is_word("VALUES", k);
}

std::string parser::describe(const token& t) const {
  switch (t.kind) {
    case token_kind::end:
      return "end of input";
    case token_kind::string:
      return "string '" + t.text + "'";
    case token_kind::quoted_identifier:
      return "`" + t.text + "`";
    default:
      return "'" + t.text + "'";
  }
}

void parser::fail(const token& at, const std::string& message) const {
  throw_sql_error(sql_, at.pos, message);
}

void parser::fail_expected(const std::string& what) const {
  fail(peek(), "expected " + what + " but found " + describe(peek()));
}

void parser::unsupported(const token& at, const std::string& what) const {
  fail(at, "not supported yet: " + what);
}

// ---------------------------------------------------------------------------------------------
// Expressions, from the loosest operator to the tightest

expr parser::expression() { return or_(); }

expr parser::or_() {
  expr left = and_();
  while (accept_word("OR"))
    left = make_binary(op::or_, std::move(left), and_());
  return left;
}

expr parser::and_() {
  expr left = not_();
  while (accept_word("AND"))
    left = make_binary(op::and_, std::move(left), not_());
  return left;
}

expr parser::not_() {
  if (is_word("NOT")) {
    expr e = make(expr_kind::unary, next().pos);
    e.oper = op::not_;
    e.args.emplace_back(not_());
    return e;
  }
  return is_();
}

expr parser::is_() {
  expr left = comparison();
  while (is_word("IS")) {
    next();
    const bool negated = accept_word("NOT");
    op o = op::none;
    if (accept_word("NULL")) {
      o = negated ? op::is_not_null : op::is_null;
    } else if (accept_word("TRUE")) {
      o = negated ? op::is_not_true : op::is_true;
    } else if (accept_word("FALSE")) {
      o = negated ? op::is_not_false : op::is_false;
    } else if (accept_word("UNKNOWN")) {
      o = negated ? op::is_not_unknown : op::is_unknown;
    } else {
      fail_expected(negated ? "NULL, TRUE, FALSE, UNKNOWN or DISTINCT after IS NOT"
                            : "NULL, TRUE, FALSE, UNKNOWN or DISTINCT after IS");
    }
    expr e = make(expr_kind::is_test, left.pos);
    e.oper = o;
    e.args.emplace_back(std::move(left));
    left = std::move(e);
  }
  return left;
}

expr parser::comparison() {
  expr left = predicate();
  for (;;) {
    op o = op::none;
    const token& t = peek();
    if (t.kind == token_kind::symbol) {
      if (t.text == "=")
        o = op::eq;
      else if (t.text == "<>" || t.text == "!=")
        o = op::ne;
      else if (t.text == "<")
        o = op::lt;
      else if (t.text == "<=")
        o = op::le;
      else if (t.text == ">")
        o = op::gt;
      else if (t.text == ">=")
        o = op::ge;
    }
    if (o != op::none) {
      next();
    } else if (is_word("IS") && is_word("DISTINCT", 1)) {
      next();
      next();
      expect_word("FROM");
      o = op::is_distinct_from;
    } else if (is_word("IS") && is_word("NOT", 1) && is_word("DISTINCT", 2)) {
      next();
      next();
      next();
      expect_word("FROM");
      o = op::is_not_distinct_from;
    } else {
      return left;
    }
    left = make_binary(o, std::move(left), predicate());
  }
}

expr parser::predicate() {
  expr left = additive();
  for (;;) {
    std::size_t k = 0;
    const bool negated = is_word("NOT");
    if (negated)
      k = 1;
    if (is_word("BETWEEN", k)) {
      if (negated)
        next();
      next();
      if (is_word("SYMMETRIC") || is_word("ASYMMETRIC"))
        unsupported(peek(), "BETWEEN SYMMETRIC/ASYMMETRIC");
      expr e = make(expr_kind::between, left.pos);
      e.negated = negated;
      e.args.emplace_back(std::move(left));
      e.args.emplace_back(additive());
      expect_word("AND");
      e.args.emplace_back(additive());
      left = std::move(e);
    } else if (is_word("IN", k)) {
      if (negated)
        next();
      next();
      expect_symbol("(");
      expr e = make(expr_kind::in_list, left.pos);
      e.negated = negated;
      e.args.emplace_back(std::move(left));
      if (is_word("SELECT") || is_word("WITH") || is_word("VALUES")) {
        e.kind = expr_kind::in_query;
        e.subquery = query_();
      } else {
        do {
          e.args.emplace_back(expression());
        } while (accept_symbol(","));
      }
      expect_symbol(")");
      left = std::move(e);
    } else if (is_word("LIKE", k)) {
      if (negated)
        next();
      next();
      expr e = make(expr_kind::like, left.pos);
      e.negated = negated;
      e.args.emplace_back(std::move(left));
      e.args.emplace_back(additive());
      if (accept_word("ESCAPE"))
        e.args.emplace_back(additive());
      left = std::move(e);
    } else if (is_word("SIMILAR", k)) {
      unsupported(peek(k), "SIMILAR TO");
    } else {
      return left;
    }
  }
}

expr parser::additive() {
  expr left = multiplicative();
  for (;;) {
    if (accept_symbol("+")) {
      left = make_binary(op::add, std::move(left), multiplicative());
    } else if (accept_symbol("-")) {
      left = make_binary(op::sub, std::move(left), multiplicative());
    } else {
      return left;
    }
  }
}

expr parser::multiplicative() {
  expr left = unary();
  for (;;) {
    op o = op::none;
    if (is_symbol("*"))
      o = op::mul;
    else if (is_symbol("/"))
      o = op::div;
    else if (is_symbol("%"))
      o = op::mod;
    else if (is_symbol("||"))
      o = op::concat;
    else
      return left;
    next();
    left = make_binary(o, std::move(left), unary());
  }
}

expr parser::unary() {
  if (is_symbol("-") || is_symbol("+")) {
    const token& t = next();
    expr e = make(expr_kind::unary, t.pos);
    e.oper = t.text == "-" ? op::neg : op::pos;
    e.args.emplace_back(unary());
    return e;
  }
  return postfix();
}

expr parser::postfix() {
  expr e = primary();
  for (;;) {
    if (accept_symbol("[")) {
      expr s = make(expr_kind::subscript, e.pos);
      s.args.emplace_back(std::move(e));
      s.args.emplace_back(expression());
      expect_symbol("]");
      e = std::move(s);
    } else if (is_symbol(".")) {
      next();
      expr f = make(expr_kind::field, e.pos);
      f.names.push_back(identifier("a field name"));
      f.args.emplace_back(std::move(e));
      e = std::move(f);
    } else {
      return e;
    }
  }
}

expr parser::primary() {
  const token& t = peek();
  switch (t.kind) {
    case token_kind::integer:
    case token_kind::decimal:
    case token_kind::approx: {
      expr e = make(expr_kind::literal, t.pos);
      e.lit = t.kind == token_kind::integer   ? literal_kind::integer
              : t.kind == token_kind::decimal ? literal_kind::decimal
                                              : literal_kind::approx;
      e.text = next().text;
      return e;
    }
    case token_kind::string: {
      expr e = make(expr_kind::literal, t.pos);
      e.lit = literal_kind::string;
      e.text = next().text;
      return e;
    }
    case token_kind::binary_string: {
      expr e = make(expr_kind::literal, t.pos);
      e.lit = literal_kind::binary;
      e.text = next().text;
      return e;
    }
    case token_kind::quoted_identifier:
      return name_or_call();
    case token_kind::symbol:
      if (t.text == "(") {
        if (is_word("SELECT", 1) || is_word("WITH", 1) || is_word("VALUES", 1)) {
          expr e = make(expr_kind::subquery, next().pos);
          e.subquery = query_();
          expect_symbol(")");
          return e;
        }
        next();
        expr e = expression();
        expect_symbol(")");
        return e;
      }
      if (t.text == "?")
        unsupported(t, "parameters");
      fail_expected("an expression");
    case token_kind::end:
      fail_expected("an expression");
    case token_kind::word:
      break;
  }

  // A word: a literal, a keyword with its own syntax, a name or a function call.
  const std::string& w = t.upper;
  const source_pos pos = t.pos;
  if (w == "NULL" || w == "TRUE" || w == "FALSE") {
    next();
    expr e = make(expr_kind::literal, pos);
    e.lit = w == "NULL" ? literal_kind::null : literal_kind::boolean;
    e.text = w == "NULL" ? "" : w;
    return e;
  }
  if ((w == "DATE" || w == "TIME" || w == "TIMESTAMP") && peek(1).kind == token_kind::string) {
    const literal_kind lit = w == "DATE"   ? literal_kind::date
                             : w == "TIME" ? literal_kind::time
                                           : literal_kind::timestamp;
    next();
    expr e = make(expr_kind::literal, pos);
    e.lit = lit;
    e.text = next().text;
    return e;
  }
  if (w == "INTERVAL") {
    next();
    return interval_(pos);
  }
  if (w == "CASE") {
    next();
    return case_(pos);
  }
  if ((w == "CAST" || w == "TRY_CAST") && is_symbol("(", 1)) {
    next();
    next();
    expr e = make(expr_kind::cast, pos);
    e.try_cast = w == "TRY_CAST";
    e.args.emplace_back(expression());
    expect_word("AS");
    e.type = data_type_();
    expect_symbol(")");
    return e;
  }
  if (w == "EXTRACT" && is_symbol("(", 1)) {
    next();
    next();
    expr e = make(expr_kind::extract, pos);
    if (peek().kind != token_kind::word || !is_time_unit(peek().upper))
      fail_expected("a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
    e.unit = next().upper;
    expect_word("FROM");
    e.args.emplace_back(expression());
    expect_symbol(")");
    return e;
  }
  if (w == "EXISTS") {
    next();
    expr e = make(expr_kind::exists, pos);
    expect_symbol("(");
    if (!starts_query(0))
      fail_expected("a query");
    e.subquery = query_();
    expect_symbol(")");
    return e;
  }
  if ((w == "ARRAY" || w == "MAP") && is_symbol("[", 1)) {
    next();
    next();
    expr e = make(expr_kind::constructor, pos);
    e.names.push_back(w);
    if (!is_symbol("]")) {
      do {
        e.args.emplace_back(expression());
      } while (accept_symbol(","));
    }
    expect_symbol("]");
    if (w == "MAP" && e.args.size() % 2 != 0)
      throw_sql_error(sql_, pos, "MAP[...] needs an even number of values: key, value, ...");
    return e;
  }
  if (w == "ROW" && is_symbol("(", 1)) {
    next();
    next();
    expr e = make(expr_kind::constructor, pos);
    e.names.push_back(w);
    if (!is_symbol(")")) {
      do {
        e.args.emplace_back(expression());
      } while (accept_symbol(","));
    }
    expect_symbol(")");
    return e;
  }
  if (w == "CURRENT_DATE" || w == "CURRENT_TIME" || w == "CURRENT_TIMESTAMP" || w == "LOCALTIME" ||
      w == "LOCALTIMESTAMP") {
    next();
    expr e = make(expr_kind::function, pos);
    e.names.push_back(w);
    e.no_parens = true;
    return e;
  }
  if ((w == "LEFT" || w == "RIGHT") && is_symbol("(", 1)) {
    next();
    return function_call({t.text}, pos);
  }
  if (w == "MATCH_RECOGNIZE")
    unsupported(t, "MATCH_RECOGNIZE");
  if (is_reserved(w))
    fail_expected("an expression");
  return name_or_call();
}

expr parser::name_or_call() {
  const source_pos pos = peek().pos;
  qualified_name name;
  name.push_back(next().text);
  for (;;) {
    if (is_symbol(".") && is_symbol("*", 1)) {
      next();
      next();
      expr e = make(expr_kind::star, pos);
      e.names = std::move(name);
      return e;
    }
    if (is_symbol(".") && is_identifier(1)) {
      next();
      name.push_back(next().text);
      continue;
    }
    break;
  }
  if (is_symbol("("))
    return function_call(std::move(name), pos);
  expr e = make(expr_kind::identifier, pos);
  e.names = std::move(name);
  return e;
}

expr parser::function_call(qualified_name name, source_pos pos) {
  expect_symbol("(");
  const std::string upper = name.size() == 1 ? upper_of(name[0]) : "";
  expr e = make(expr_kind::function, pos);
  e.names = std::move(name);
  if (accept_symbol("*")) {
    e.star_arg = true;
    expect_symbol(")");
  } else if (!accept_symbol(")")) {
    if (accept_word("DISTINCT")) {
      e.distinct = true;
    } else {
      accept_word("ALL");
    }
    if (upper == "POSITION") {
      // POSITION(needle IN haystack): the needle stops before IN.
      e.args.emplace_back(additive());
      expect_word("IN");
      e.args.emplace_back(expression());
      expect_symbol(")");
    } else if (upper == "TRIM" && (is_word("BOTH") || is_word("LEADING") || is_word("TRAILING"))) {
      unsupported(peek(), "TRIM(BOTH|LEADING|TRAILING ... FROM ...)");
    } else {
      expr first = expression();
      if ((upper == "FLOOR" || upper == "CEIL" || upper == "CEILING") && is_word("TO")) {
        next();
        expr f = make(expr_kind::floor_ceil, pos);
        f.ceil = upper != "FLOOR";
        if (peek().kind != token_kind::word || !is_time_unit(peek().upper))
          fail_expected("a time unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
        f.unit = next().upper;
        f.args.emplace_back(std::move(first));
        expect_symbol(")");
        return f;
      }
      if ((upper == "SUBSTRING" || upper == "SUBSTR") && is_word("FROM")) {
        // SUBSTRING(s FROM start [FOR length]) is SUBSTRING(s, start[, length]).
        next();
        e.args.emplace_back(std::move(first));
        e.args.emplace_back(expression());
        if (accept_word("FOR"))
          e.args.emplace_back(expression());
        expect_symbol(")");
      } else if (upper == "TRIM" && is_word("FROM")) {
        unsupported(peek(), "TRIM(... FROM ...)");
      } else {
        e.args.emplace_back(std::move(first));
        while (accept_symbol(","))
          e.args.emplace_back(expression());
        expect_symbol(")");
      }
    }
  }
  if (is_word("FILTER") && is_symbol("(", 1)) {
    next();
    next();
    expect_word("WHERE");
    e.filter = expression();
    expect_symbol(")");
  }
  if (is_word("WITHIN") && is_word("GROUP", 1))
    unsupported(peek(), "WITHIN GROUP");
  if (is_word("OVER")) {
    const token& over = next();
    if (!is_symbol("("))
      unsupported(over, "named windows (OVER name)");
    e.over = window_spec_();
  }
  return e;
}

expr parser::case_(source_pos pos) {
  expr e = make(expr_kind::case_, pos);
  if (!is_word("WHEN"))
    e.operand = expression();
  if (!is_word("WHEN"))
    fail_expected("'WHEN'");
  while (accept_word("WHEN")) {
    e.args.emplace_back(expression());
    expect_word("THEN");
    e.args.emplace_back(expression());
  }
  if (accept_word("ELSE"))
    e.else_value = expression();
  expect_word("END");
  return e;
}

expr parser::interval_(source_pos pos) {
  expr e = make(expr_kind::literal, pos);
  e.lit = literal_kind::interval;
  if (is_symbol("-") || is_symbol("+"))
    unsupported(peek(), "signed INTERVAL literals");
  e.text = string_literal("the interval's value as a string ('10')");
  auto unit = [this](const char* what) {
    const std::string u = peek().kind == token_kind::word ? interval_unit(peek().upper) : "";
    if (u.empty())
      fail_expected(what);
    next();
    if (is_symbol("("))
      unsupported(peek(), "a precision on an INTERVAL literal's unit");
    return u;
  };
  e.unit = unit("an interval unit (YEAR, MONTH, DAY, HOUR, MINUTE or SECOND)");
  if (accept_word("TO"))
    e.unit_to = unit("an interval unit (MONTH, HOUR, MINUTE or SECOND)");
  return e;
}

window_spec parser::window_spec_() {
  expect_symbol("(");
  window_spec w;
  if (accept_word("PARTITION")) {
    expect_word("BY");
    do {
      w.partition_by.emplace_back(expression());
    } while (accept_symbol(","));
  }
  if (accept_word("ORDER")) {
    expect_word("BY");
    w.order_by = order_items();
  }
  if (is_word("ROWS") || is_word("RANGE")) {
    window_frame f;
    f.rows = next().upper == "ROWS";
    if (accept_word("BETWEEN")) {
      f.start = frame_bound_();
      expect_word("AND");
      f.end = frame_bound_();
    } else {
      f.start = frame_bound_();
    }
    w.frame = std::move(f);
  }
  expect_symbol(")");
  return w;
}

frame_bound parser::frame_bound_() {
  frame_bound b;
  if (accept_word("UNBOUNDED")) {
    if (accept_word("PRECEDING")) {
      b.type = frame_bound::kind::unbounded_preceding;
    } else if (accept_word("FOLLOWING")) {
      b.type = frame_bound::kind::unbounded_following;
    } else {
      fail_expected("'PRECEDING' or 'FOLLOWING'");
    }
    return b;
  }
  if (accept_word("CURRENT")) {
    expect_word("ROW");
    b.type = frame_bound::kind::current_row;
    return b;
  }
  b.offset = additive();
  if (accept_word("PRECEDING")) {
    b.type = frame_bound::kind::preceding;
  } else if (accept_word("FOLLOWING")) {
    b.type = frame_bound::kind::following;
  } else {
    fail_expected("'PRECEDING' or 'FOLLOWING'");
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Data types

data_type parser::data_type_() {
  const token& t = peek();
  if (t.kind != token_kind::word)
    fail_expected("a data type");
  const std::string w = t.upper;
  data_type d;
  auto length = [&](bool allowed_scale) {
    if (!accept_symbol("("))
      return;
    d.precision = small_integer("a precision");
    if (allowed_scale && accept_symbol(","))
      d.scale = small_integer("a scale");
    expect_symbol(")");
  };
  auto element = [&](const char* name) {
    if (!accept_symbol("<"))
      fail_expected(std::string("'<' after ") + name);
    d.elements.push_back(data_type_());
  };
  next();
  if (w == "BOOLEAN") {
    d.kind = type_kind::boolean;
  } else if (w == "TINYINT") {
    d.kind = type_kind::tinyint;
  } else if (w == "SMALLINT") {
    d.kind = type_kind::smallint;
  } else if (w == "INT" || w == "INTEGER") {
    d.kind = type_kind::int_;
  } else if (w == "BIGINT") {
    d.kind = type_kind::bigint;
  } else if (w == "FLOAT" || w == "REAL") {
    d.kind = type_kind::float_;
  } else if (w == "DOUBLE") {
    d.kind = type_kind::double_;
    accept_word("PRECISION");
  } else if (w == "DECIMAL" || w == "DEC" || w == "NUMERIC") {
    d.kind = type_kind::decimal;
    length(true);
  } else if (w == "CHAR" || w == "CHARACTER") {
    d.kind = accept_word("VARYING") ? type_kind::varchar : type_kind::char_;
    length(false);
  } else if (w == "VARCHAR") {
    d.kind = type_kind::varchar;
    length(false);
  } else if (w == "STRING") {
    d.kind = type_kind::string;
  } else if (w == "BINARY") {
    d.kind = type_kind::binary;
    length(false);
  } else if (w == "VARBINARY") {
    d.kind = type_kind::varbinary;
    length(false);
  } else if (w == "BYTES") {
    d.kind = type_kind::bytes;
  } else if (w == "DATE") {
    d.kind = type_kind::date;
  } else if (w == "TIME") {
    d.kind = type_kind::time;
    length(false);
    if (accept_word("WITHOUT")) {
      expect_word("TIME");
      expect_word("ZONE");
    }
  } else if (w == "TIMESTAMP") {
    d.kind = type_kind::timestamp;
    length(false);
    if (accept_word("WITHOUT")) {
      expect_word("TIME");
      expect_word("ZONE");
    } else if (is_word("WITH")) {
      const token& with = next();
      if (accept_word("LOCAL")) {
        expect_word("TIME");
        expect_word("ZONE");
        d.kind = type_kind::timestamp_ltz;
      } else {
        unsupported(with, "TIMESTAMP WITH TIME ZONE (use TIMESTAMP_LTZ)");
      }
    }
  } else if (w == "TIMESTAMP_LTZ") {
    d.kind = type_kind::timestamp_ltz;
    length(false);
  } else if (w == "ARRAY") {
    d.kind = type_kind::array;
    element("ARRAY");
    expect_symbol(">");
  } else if (w == "MULTISET") {
    d.kind = type_kind::multiset;
    element("MULTISET");
    expect_symbol(">");
  } else if (w == "MAP") {
    d.kind = type_kind::map;
    element("MAP");
    expect_symbol(",");
    d.elements.push_back(data_type_());
    expect_symbol(">");
  } else if (w == "ROW") {
    d.kind = type_kind::row;
    if (accept_symbol("<")) {
      d.fields = row_fields(">");
    } else if (accept_symbol("(")) {
      d.fields = row_fields(")");
    } else {
      fail_expected("'<' or '(' after ROW");
    }
  } else if (w == "INTERVAL") {
    unsupported(t, "INTERVAL data types");
  } else if (w == "RAW" || w == "SYMBOL" || w == "STRUCTURED") {
    unsupported(t, w + " data types");
  } else {
    fail(t, "unknown data type '" + t.text + "'");
  }
  if (is_word("NOT") && is_word("NULL", 1)) {
    next();
    next();
    d.not_null = true;
  } else if (is_word("NULL")) {
    next();
  }
  return d;
}

std::vector<row_field> parser::row_fields(const char* close) {
  std::vector<row_field> fields;
  if (accept_symbol(close))
    return fields;
  do {
    row_field f;
    f.name = identifier("a field name");
    f.type = data_type_();
    if (peek().kind == token_kind::string)
      f.description = next().text;
    fields.push_back(std::move(f));
  } while (accept_symbol(","));
  expect_symbol(close);
  return fields;
}

} // namespace spate::sql::detail
