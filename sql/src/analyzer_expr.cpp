// Expression analysis: names, literals, operators and functions, typed with Flink's rules.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "analyzer_impl.hpp"
#include "spate/sql/functions.hpp"
#include "spate/sql/print.hpp"

namespace spate::sql {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

namespace detail {

std::optional<std::string> closest(const std::string& name,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(name, c);
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  // one- and two-letter names are too short for a guess to mean anything
  const std::size_t limit =
      name.size() <= 2 ? 0 : std::max<std::size_t>(1, std::min<std::size_t>(3, name.size() / 2));
  if (best && best_distance <= limit && best_distance > 0)
    return best;
  if (best && best_distance == 0 && *best != name) // differs only in case
    return best;
  return std::nullopt;
}

std::string upper_of(const std::string& s) {
  std::string u = s;
  for (char& c : u)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

rex make_call(const std::string& name, std::vector<rex> operands, logical_type type,
              source_pos pos) {
  rex r;
  r.kind = rex_kind::call;
  r.name = name;
  r.operands = std::move(operands);
  r.type = std::move(type);
  r.pos = pos;
  return r;
}

rex make_literal(literal_kind lit, const std::string& text, logical_type type) {
  rex r;
  r.kind = rex_kind::literal;
  r.lit = lit;
  r.name = text;
  r.type = std::move(type);
  return r;
}

void split_conjuncts(const rex& e, std::vector<rex>& out) {
  if (e.kind == rex_kind::call && e.name == "AND") {
    for (const rex& o : e.operands)
      split_conjuncts(o, out);
    return;
  }
  out.push_back(e);
}

rex and_of(std::vector<rex> conjuncts) {
  if (conjuncts.size() == 1)
    return conjuncts[0];
  bool nullable = false;
  for (const rex& c : conjuncts)
    nullable = nullable || c.type.nullable;
  return make_call("AND", std::move(conjuncts), make_type(logical_kind::boolean, !nullable));
}

void collect_refs(const rex& e, std::set<int>& out) {
  if (e.kind == rex_kind::input_ref)
    out.insert(e.index);
  for (const rex& o : e.operands)
    collect_refs(o, out);
}

rex shift_refs(rex e, int delta) {
  if (e.kind == rex_kind::input_ref)
    e.index += delta;
  for (rex& o : e.operands)
    o = shift_refs(std::move(o), delta);
  return e;
}

namespace {

bool any_nullable(const std::vector<rex>& args) {
  for (const rex& a : args)
    if (a.type.nullable)
      return true;
  return false;
}

logical_type boolean_type(bool nullable) { return make_type(logical_kind::boolean, !nullable); }

std::string angle(const logical_type& t) { return "<" + sql_type_name(t) + ">"; }

std::string flink_op_text(op o) {
  switch (o) {
    case op::add:
      return "+";
    case op::sub:
      return "-";
    case op::mul:
      return "*";
    case op::div:
      return "/";
    case op::mod:
      return "%";
    case op::eq:
      return "=";
    case op::ne:
      return "<>";
    case op::lt:
      return "<";
    case op::le:
      return "<=";
    case op::gt:
      return ">";
    case op::ge:
      return ">=";
    case op::and_:
      return "AND";
    case op::or_:
      return "OR";
    case op::concat:
      return "||";
    case op::is_distinct_from:
      return "IS DISTINCT FROM";
    case op::is_not_distinct_from:
      return "IS NOT DISTINCT FROM";
    default:
      return "?";
  }
}

std::int64_t parse_int(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

//! Interval literal text in milliseconds (day-time) or months (year-month).
std::optional<std::int64_t> interval_value(const std::string& text, const std::string& unit,
                                           const std::string& unit_to) {
  static const std::vector<std::string> day_time = {"DAY", "HOUR", "MINUTE", "SECOND"};
  static const std::vector<std::int64_t> factor = {86400000, 3600000, 60000, 1000};
  std::string body = text;
  bool negative = false;
  while (!body.empty() && body[0] == ' ')
    body.erase(0, 1);
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.erase(0, 1);
  }
  std::vector<std::string> parts;
  std::string cur;
  for (char c : body) {
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      cur += c;
    } else if (!cur.empty()) {
      parts.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty())
    parts.push_back(cur);
  if (parts.empty())
    return std::nullopt;
  std::int64_t total = 0;
  if (unit == "YEAR" || unit == "MONTH") {
    if (unit == "YEAR") {
      total = parse_int(parts[0]) * 12;
      if (unit_to == "MONTH" && parts.size() > 1)
        total += parse_int(parts[1]);
    } else {
      total = parse_int(parts[0]);
    }
  } else {
    std::size_t u = static_cast<std::size_t>(std::find(day_time.begin(), day_time.end(), unit) -
                                             day_time.begin());
    if (u >= day_time.size())
      return std::nullopt;
    for (const std::string& p : parts) {
      if (u >= day_time.size())
        return std::nullopt;
      if (day_time[u] == "SECOND")
        total += static_cast<std::int64_t>(std::strtod(p.c_str(), nullptr) * 1000.0 + 0.5);
      else
        total += parse_int(p) * factor[u];
      ++u;
    }
  }
  return negative ? -total : total;
}

struct function_sig {
  const char* name;
  int min_args;
  int max_args;      //!< -1: any number
  const char* forms; //!< "Supported form(s)" text
};

} // namespace

void analyzer::fail(source_pos pos, const std::string& message) const {
  throw_validation_error(sql_, pos, message);
}

std::optional<std::int64_t> analyzer::interval_millis(const rex& r) {
  if (r.kind != rex_kind::literal || r.lit != literal_kind::interval ||
      r.type.kind != logical_kind::interval_day_time)
    return std::nullopt;
  return std::strtoll(r.unit.c_str(), nullptr, 10);
}

rex analyzer::analyze_literal(const expr& e) {
  switch (e.lit) {
    case literal_kind::null:
      return make_literal(e.lit, "null", make_type(logical_kind::null));
    case literal_kind::boolean:
      return make_literal(e.lit, upper_of(e.text) == "TRUE" ? "true" : "false",
                          make_type(logical_kind::boolean, true));
    case literal_kind::integer: {
      const std::string digits = e.text;
      if (digits.size() < 10 || (digits.size() == 10 && digits <= "2147483647"))
        return make_literal(e.lit, e.text, make_type(logical_kind::int_, true));
      if (digits.size() < 19 || (digits.size() == 19 && digits <= "9223372036854775807"))
        return make_literal(e.lit, e.text, make_type(logical_kind::bigint, true));
      if (digits.size() > 38)
        fail(e.pos, "Numeric literal '" + e.text + "' out of range");
      return make_literal(e.lit, e.text, make_decimal(static_cast<int>(digits.size()), 0, true));
    }
    case literal_kind::decimal: {
      int digits = 0, scale = 0;
      bool after = false;
      for (char c : e.text) {
        if (c == '.') {
          after = true;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
          ++digits;
          if (after)
            ++scale;
        }
      }
      if (digits > max_decimal_precision)
        fail(e.pos, "Numeric literal '" + e.text + "' out of range");
      return make_literal(e.lit, e.text, make_decimal(std::max(digits, 1), scale, true));
    }
    case literal_kind::approx:
      return make_literal(e.lit, e.text, make_type(logical_kind::double_, true));
    case literal_kind::string: {
      int chars = 0;
      for (char c : e.text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
          ++chars;
      return make_literal(e.lit, quote_string(e.text), make_char(std::max(chars, 1), true));
    }
    case literal_kind::binary: {
      logical_type t = make_type(logical_kind::binary, true);
      t.precision = std::max<int>(1, static_cast<int>(e.text.size() / 2));
      return make_literal(e.lit, "X'" + e.text + "'", t);
    }
    case literal_kind::date:
      return make_literal(e.lit, "DATE '" + e.text + "'", make_type(logical_kind::date, true));
    case literal_kind::time: {
      logical_type t = make_type(logical_kind::time, true);
      const auto dot = e.text.find('.');
      t.precision = dot == std::string::npos ? 0 : static_cast<int>(e.text.size() - dot - 1);
      return make_literal(e.lit, "TIME '" + e.text + "'", t);
    }
    case literal_kind::timestamp: {
      const auto dot = e.text.find('.');
      const int p = dot == std::string::npos ? 0 : static_cast<int>(e.text.size() - dot - 1);
      return make_literal(e.lit, "TIMESTAMP '" + e.text + "'", make_timestamp(p, true));
    }
    case literal_kind::interval: {
      auto value = interval_value(e.text, e.unit, e.unit_to);
      if (!value)
        fail(e.pos, "Illegal interval literal format '" + e.text + "' for INTERVAL " + e.unit +
                        (e.unit_to.empty() ? "" : " TO " + e.unit_to));
      const bool months = e.unit == "YEAR" || e.unit == "MONTH";
      logical_type t = make_type(
          months ? logical_kind::interval_year_month : logical_kind::interval_day_time, true);
      rex r = make_literal(
          e.lit, std::to_string(*value) + (months ? ":INTERVAL MONTH" : ":INTERVAL SECOND"), t);
      r.unit = std::to_string(*value);
      return r;
    }
  }
  fail(e.pos, "unknown literal");
}

rex analyzer::resolve_identifier(const expr& e, const scope& sc) {
  const std::vector<std::string>& n = e.names;
  auto column_ref = [&sc](int index) {
    const plan_column& c = sc.columns.at(static_cast<std::size_t>(index));
    return make_input_ref(index, c.name, c.type);
  };
  auto fields = [this, &e](rex base, std::size_t from) {
    for (std::size_t i = from; i < e.names.size(); ++i) {
      if (base.type.kind != logical_kind::row)
        fail(e.pos,
             "Column '" + e.names[i - 1] + "' is not a ROW: it has no field '" + e.names[i] + "'");
      int found = -1;
      std::vector<std::string> names;
      for (std::size_t f = 0; f < base.type.fields.size(); ++f) {
        names.push_back(base.type.fields[f].name);
        if (base.type.fields[f].name == e.names[i])
          found = static_cast<int>(f);
      }
      if (found < 0) {
        auto hint = closest(e.names[i], names);
        fail(e.pos, "Unknown field '" + e.names[i] + "' in ROW column '" + e.names[i - 1] + "'" +
                        (hint ? "; did you mean '" + *hint + "'?" : ""));
      }
      rex r;
      r.kind = rex_kind::field_access;
      r.index = found;
      r.name = e.names[i];
      r.type = base.type.fields[static_cast<std::size_t>(found)].type.materialized();
      if (base.type.nullable)
        r.type.nullable = true;
      r.pos = e.pos;
      r.operands.push_back(std::move(base));
      base = std::move(r);
    }
    return base;
  };
  // A column by its name: n[0] in any table.
  auto find_column = [&sc](const std::string& name, const scope_table* only) {
    std::vector<int> found;
    for (const scope_table& t : sc.tables) {
      if (only && &t != only)
        continue;
      for (std::size_t i = 0; i < t.names.size(); ++i)
        if (t.names[i] == name)
          found.push_back(t.offset + static_cast<int>(i));
    }
    return found;
  };
  // Qualified by a table alias?
  if (n.size() >= 2) {
    const scope_table* table = nullptr;
    for (const scope_table& t : sc.tables)
      if (!t.alias.empty() && t.alias == n[0])
        table = &t;
    if (table) {
      auto found = find_column(n[1], table);
      if (found.empty()) {
        auto hint = closest(n[1], table->names);
        fail(e.pos, "Column '" + n[1] + "' not found in table '" + n[0] + "'" +
                        (hint ? "; did you mean '" + *hint + "'?" : ""));
      }
      rex r = column_ref(found[0]);
      r.pos = e.pos;
      return fields(std::move(r), 2);
    }
  }
  auto found = find_column(n[0], nullptr);
  if (found.size() > 1)
    fail(e.pos, "Column '" + n[0] + "' is ambiguous");
  if (found.empty()) {
    if (n.size() >= 2) {
      std::vector<std::string> aliases;
      for (const scope_table& t : sc.tables)
        if (!t.alias.empty())
          aliases.push_back(t.alias);
      auto hint = closest(n[0], aliases);
      fail(e.pos,
           "Table '" + n[0] + "' not found" + (hint ? "; did you mean '" + *hint + "'?" : ""));
    }
    std::vector<std::string> names;
    for (const scope_table& t : sc.tables)
      names.insert(names.end(), t.names.begin(), t.names.end());
    auto hint = closest(n[0], names);
    fail(e.pos, "Column '" + n[0] + "' not found in any table" +
                    (hint ? "; did you mean '" + *hint + "'?" : ""));
  }
  rex r = column_ref(found[0]);
  r.pos = e.pos;
  return fields(std::move(r), 1);
}

rex analyzer::analyze_condition(const expr& e, expr_context& ctx, const char* clause) {
  const char* saved = ctx.clause;
  ctx.clause = clause;
  rex r = analyze(e, ctx);
  ctx.clause = saved;
  if (r.type.kind != logical_kind::boolean && r.type.kind != logical_kind::null)
    fail(e.pos, std::string(clause) + " clause must be a condition");
  return r;
}

rex analyzer::analyze(const expr& e, expr_context& ctx) {
  auto args_of = [this, &e, &ctx]() {
    std::vector<rex> out;
    for (const box<expr>& a : e.args)
      out.push_back(analyze(*a, ctx));
    return out;
  };
  switch (e.kind) {
    case expr_kind::identifier:
      return resolve_identifier(e, *ctx.sc);
    case expr_kind::star:
      fail(e.pos, "Unknown identifier '*'");
    case expr_kind::literal:
      return analyze_literal(e);
    case expr_kind::unary: {
      rex a = analyze(*e.args[0], ctx);
      if (e.oper == op::not_) {
        if (a.type.kind != logical_kind::boolean && a.type.kind != logical_kind::null)
          fail(e.pos, "Cannot apply 'NOT' to arguments of type 'NOT" + angle(a.type) + "'");
        const bool nullable = a.type.nullable;
        return make_call("NOT", {std::move(a)}, boolean_type(nullable), e.pos);
      }
      if (!is_numeric(a.type) && !is_interval(a.type) && a.type.kind != logical_kind::null)
        fail(e.pos, std::string("Cannot apply '") + (e.oper == op::neg ? "-" : "+") +
                        "' to arguments of type '" + (e.oper == op::neg ? "-" : "+") +
                        angle(a.type) + "'");
      if (e.oper == op::pos)
        return a;
      if (a.kind == rex_kind::literal && is_numeric(a.type)) {
        a.name = "-" + a.name;
        return a;
      }
      logical_type t = a.type.materialized();
      return make_call("-", {std::move(a)}, t, e.pos);
    }
    case expr_kind::binary: {
      std::vector<rex> args = args_of();
      const logical_type& l = args[0].type;
      const logical_type& r = args[1].type;
      const std::string name = flink_op_text(e.oper);
      auto cannot = [&]() {
        fail(e.pos, "Cannot apply '" + name + "' to arguments of type '" + angle(l) + " " + name +
                        " " + angle(r) + "'");
      };
      const bool nullable = any_nullable(args);
      switch (e.oper) {
        case op::and_:
        case op::or_:
          for (const rex& a : args)
            if (a.type.kind != logical_kind::boolean && a.type.kind != logical_kind::null)
              cannot();
          return make_call(name, std::move(args), boolean_type(nullable), e.pos);
        case op::eq:
        case op::ne:
        case op::lt:
        case op::le:
        case op::gt:
        case op::ge:
          if (!comparable(l, r))
            cannot();
          return make_call(name, std::move(args), boolean_type(nullable), e.pos);
        case op::is_distinct_from:
        case op::is_not_distinct_from:
          if (!comparable(l, r))
            cannot();
          return make_call(name, std::move(args), boolean_type(false), e.pos);
        case op::concat: {
          if (!(is_character(l) || l.kind == logical_kind::null) ||
              !(is_character(r) || r.kind == logical_kind::null))
            cannot();
          const std::int64_t len = static_cast<std::int64_t>(l.precision) + r.precision;
          logical_type t =
              l.kind == logical_kind::char_ && r.kind == logical_kind::char_
                  ? make_char(static_cast<int>(std::min<std::int64_t>(len, max_length)))
                  : make_varchar(static_cast<int>(std::min<std::int64_t>(len, max_length)));
          t.nullable = nullable;
          return make_call("||", std::move(args), t, e.pos);
        }
        default: {
          const char c = name[0];
          if (l.kind == logical_kind::null || r.kind == logical_kind::null) {
            const logical_type& other = l.kind == logical_kind::null ? r : l;
            if (!is_numeric(other) && other.kind != logical_kind::null && !is_interval(other) &&
                !is_datetime(other))
              cannot();
            logical_type t = other.kind == logical_kind::null ? make_type(logical_kind::int_)
                                                              : other.materialized();
            t.nullable = true;
            return make_call(name, std::move(args), t, e.pos);
          }
          auto t = arithmetic_type(c, l, r);
          if (!t)
            cannot();
          return make_call(name == "%" ? "MOD" : name, std::move(args), *t, e.pos);
        }
      }
    }
    case expr_kind::is_test: {
      rex a = analyze(*e.args[0], ctx);
      std::string name;
      switch (e.oper) {
        case op::is_null:
          name = "IS NULL";
          break;
        case op::is_not_null:
          name = "IS NOT NULL";
          break;
        case op::is_true:
          name = "IS TRUE";
          break;
        case op::is_not_true:
          name = "IS NOT TRUE";
          break;
        case op::is_false:
          name = "IS FALSE";
          break;
        case op::is_not_false:
          name = "IS NOT FALSE";
          break;
        case op::is_unknown:
          name = "IS UNKNOWN";
          break;
        default:
          name = "IS NOT UNKNOWN";
          break;
      }
      if (e.oper != op::is_null && e.oper != op::is_not_null &&
          a.type.kind != logical_kind::boolean && a.type.kind != logical_kind::null)
        fail(e.pos, "Cannot apply '" + name + "' to arguments of type '" + angle(a.type) + " " +
                        name + "'");
      return make_call(name, {std::move(a)}, boolean_type(false), e.pos);
    }
    case expr_kind::between: {
      std::vector<rex> args = args_of();
      for (int i = 1; i <= 2; ++i)
        if (!comparable(args[0].type, args[static_cast<std::size_t>(i)].type))
          fail(e.pos, std::string("Cannot apply '") + (e.negated ? "NOT BETWEEN" : "BETWEEN") +
                          "' to arguments of type '" + angle(args[0].type) + " BETWEEN " +
                          angle(args[1].type) + " AND " + angle(args[2].type) + "'");
      const bool n0 = args[0].type.nullable;
      const bool n1 = args[1].type.nullable;
      const bool n2 = args[2].type.nullable;
      rex lo = make_call(e.negated ? "<" : ">=", {args[0], args[1]}, boolean_type(n0 || n1), e.pos);
      rex hi = make_call(e.negated ? ">" : "<=", {args[0], args[2]}, boolean_type(n0 || n2), e.pos);
      return make_call(e.negated ? "OR" : "AND", {std::move(lo), std::move(hi)},
                       boolean_type(n0 || n1 || n2), e.pos);
    }
    case expr_kind::in_list: {
      std::vector<rex> args = args_of();
      for (std::size_t i = 1; i < args.size(); ++i)
        if (!comparable(args[0].type, args[i].type))
          fail(e.args[i]->pos, "Values passed to " + std::string(e.negated ? "NOT IN" : "IN") +
                                   " operator must have compatible types");
      const bool nullable = any_nullable(args);
      return make_call(e.negated ? "NOT IN" : "IN", std::move(args), boolean_type(nullable), e.pos);
    }
    case expr_kind::in_query:
    case expr_kind::exists:
    case expr_kind::subquery:
      fail(e.pos, "not supported yet: subqueries in expressions (IN, EXISTS, scalar subqueries)");
    case expr_kind::like: {
      std::vector<rex> args = args_of();
      for (const rex& a : args)
        if (!is_character(a.type) && a.type.kind != logical_kind::null)
          fail(e.pos, std::string("Cannot apply '") + (e.negated ? "NOT LIKE" : "LIKE") +
                          "' to arguments of type '" + angle(args[0].type) + " LIKE " +
                          angle(args[1].type) + "'");
      const bool nullable = any_nullable(args);
      return make_call(e.negated ? "NOT LIKE" : "LIKE", std::move(args), boolean_type(nullable),
                       e.pos);
    }
    case expr_kind::case_: {
      std::optional<rex> operand;
      if (e.operand)
        operand = analyze(*e.operand, ctx);
      std::vector<rex> ops;
      std::vector<logical_type> results;
      for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
        rex when = analyze(*e.args[i], ctx);
        if (operand) {
          if (!comparable(operand->type, when.type))
            fail(e.args[i]->pos, "Cannot apply '=' to arguments of type '" + angle(operand->type) +
                                     " = " + angle(when.type) + "'");
          const bool n = operand->type.nullable || when.type.nullable;
          when = make_call("=", {*operand, std::move(when)}, boolean_type(n), e.args[i]->pos);
        } else if (when.type.kind != logical_kind::boolean &&
                   when.type.kind != logical_kind::null) {
          fail(e.args[i]->pos, "Expected a boolean type in the WHEN clause of CASE, but was " +
                                   sql_type_name(when.type));
        }
        rex then = analyze(*e.args[i + 1], ctx);
        results.push_back(then.type);
        ops.push_back(std::move(when));
        ops.push_back(std::move(then));
      }
      if (e.else_value) {
        rex other = analyze(*e.else_value, ctx);
        results.push_back(other.type);
        ops.push_back(std::move(other));
      } else {
        results.push_back(make_type(logical_kind::null));
        ops.push_back(make_literal(literal_kind::null, "null", make_type(logical_kind::null)));
      }
      auto t = common_type(results);
      if (!t)
        fail(e.pos, "Illegal mixing of types in CASE or COALESCE statement");
      return make_call("CASE", std::move(ops), *t, e.pos);
    }
    case expr_kind::cast: {
      rex a = analyze(*e.args[0], ctx);
      logical_type target = from_ast(*e.type);
      if (!can_cast(a.type, target))
        fail(e.pos, "Cast function cannot convert value of type " + sql_type_name(a.type) +
                        " to type " + sql_type_name(target));
      target.nullable = e.try_cast || a.type.nullable;
      return make_call(e.try_cast ? "TRY_CAST" : "CAST", {std::move(a)}, target, e.pos);
    }
    case expr_kind::extract: {
      rex a = analyze(*e.args[0], ctx);
      if (!is_datetime(a.type) && !is_interval(a.type) && a.type.kind != logical_kind::null)
        fail(e.pos, "Cannot apply 'EXTRACT' to arguments of type 'EXTRACT(<INTERVAL " + e.unit +
                        "> FROM " + angle(a.type) + ")'");
      const bool nullable = a.type.nullable;
      rex r =
          make_call("EXTRACT", {std::move(a)}, make_type(logical_kind::bigint, !nullable), e.pos);
      r.unit = e.unit;
      return r;
    }
    case expr_kind::floor_ceil: {
      rex a = analyze(*e.args[0], ctx);
      const char* name = e.ceil ? "CEIL" : "FLOOR";
      if (!is_datetime(a.type) && a.type.kind != logical_kind::null)
        fail(e.pos, std::string("Cannot apply '") + name + "' to arguments of type '" + name + "(" +
                        angle(a.type) + " TO <TIME UNIT>)'");
      logical_type t = a.type.materialized();
      rex r = make_call(name, {std::move(a)}, t, e.pos);
      r.unit = e.unit;
      return r;
    }
    case expr_kind::function:
      return analyze_function(e, ctx);
    case expr_kind::subscript: {
      std::vector<rex> args = args_of();
      const logical_type& c = args[0].type;
      if (c.kind == logical_kind::array) {
        if (!is_integer(args[1].type))
          fail(e.pos, "Cannot apply 'ITEM' to arguments of type 'ITEM(" + angle(c) + ", " +
                          angle(args[1].type) + ")'");
        logical_type t = c.elements[0].with_nullable(true);
        return make_call("ITEM", std::move(args), t, e.pos);
      }
      if (c.kind == logical_kind::map) {
        if (!comparable(c.elements[0], args[1].type))
          fail(e.pos, "Cannot apply 'ITEM' to arguments of type 'ITEM(" + angle(c) + ", " +
                          angle(args[1].type) + ")'");
        logical_type t = c.elements[1].with_nullable(true);
        return make_call("ITEM", std::move(args), t, e.pos);
      }
      fail(e.pos, "Cannot apply 'ITEM' to arguments of type 'ITEM(" + angle(c) + ", " +
                      angle(args[1].type) + ")'");
    }
    case expr_kind::field: {
      rex base = analyze(*e.args[0], ctx);
      if (base.type.kind != logical_kind::row)
        fail(e.pos, "Field access '" + e.names[0] + "' on a value of type " +
                        sql_type_name(base.type) + ", which is not a ROW");
      for (std::size_t f = 0; f < base.type.fields.size(); ++f) {
        if (base.type.fields[f].name != e.names[0])
          continue;
        rex r;
        r.kind = rex_kind::field_access;
        r.index = static_cast<int>(f);
        r.name = e.names[0];
        r.type = base.type.fields[f].type.materialized();
        if (base.type.nullable)
          r.type.nullable = true;
        r.pos = e.pos;
        r.operands.push_back(std::move(base));
        return r;
      }
      fail(e.pos, "Unknown field '" + e.names[0] + "'");
    }
    case expr_kind::constructor: {
      std::vector<rex> args = args_of();
      const std::string& what = e.names[0];
      if (what == "ROW") {
        logical_type t = make_type(logical_kind::row, true);
        for (std::size_t i = 0; i < args.size(); ++i)
          t.fields.push_back({"EXPR$" + std::to_string(i), args[i].type.materialized()});
        return make_call("ROW", std::move(args), t, e.pos);
      }
      if (what == "ARRAY") {
        std::vector<logical_type> types;
        for (const rex& a : args)
          types.push_back(a.type);
        auto c = common_type(types);
        if (!c || args.empty())
          fail(e.pos, "Parameters must be of the same type");
        logical_type t = make_type(logical_kind::array, true);
        t.elements.push_back(*c);
        return make_call("ARRAY", std::move(args), t, e.pos);
      }
      std::vector<logical_type> keys, values;
      for (std::size_t i = 0; i < args.size(); ++i)
        (i % 2 == 0 ? keys : values).push_back(args[i].type);
      auto k = common_type(keys);
      auto v = common_type(values);
      if (!k || !v || args.empty())
        fail(e.pos, "Parameters must be of the same type");
      logical_type t = make_type(logical_kind::map, true);
      t.elements = {*k, *v};
      return make_call("MAP", std::move(args), t, e.pos);
    }
  }
  fail(e.pos, "unknown expression");
}

namespace {

const std::set<std::string>& aggregate_names() {
  static const std::set<std::string> names = {"COUNT",    "SUM",        "SUM0",        "MIN",
                                              "MAX",      "AVG",        "FIRST_VALUE", "LAST_VALUE",
                                              "LISTAGG",  "STDDEV_POP", "STDDEV_SAMP", "VAR_POP",
                                              "VAR_SAMP", "COLLECT",    "BOOL_AND",    "BOOL_OR"};
  return names;
}

const std::set<std::string>& group_window_names() {
  static const std::set<std::string> names = {"TUMBLE", "HOP", "SESSION", "CUMULATE"};
  return names;
}

} // namespace

rex analyzer::analyze_aggregate(const expr& e, const std::string& upper, expr_context& ctx) {
  if (!ctx.aggs)
    fail(e.pos, std::string("Aggregate expression is illegal in ") + ctx.clause + " clause");
  if (ctx.inside_agg)
    fail(e.pos, "Aggregate expressions cannot be nested");
  pending_agg agg;
  agg.function = upper == "SUM0" ? "$SUM0" : upper;
  agg.distinct = e.distinct;
  agg.star = e.star_arg;
  agg.pos = e.pos;
  ctx.inside_agg = true;
  for (const box<expr>& a : e.args)
    agg.args.push_back(analyze(*a, ctx));
  if (e.filter) {
    rex f = analyze(*e.filter, ctx);
    if (f.type.kind != logical_kind::boolean && f.type.kind != logical_kind::null)
      fail(e.filter->pos, "FILTER expression must be of type BOOLEAN");
    agg.filter = std::move(f);
  }
  ctx.inside_agg = false;
  auto count_error = [&](const char* expecting) {
    fail(e.pos, "Invalid number of arguments to function '" + upper + "'. Was expecting " +
                    expecting + " arguments");
  };
  auto type_error = [&](const char* forms) {
    std::string sig = upper + "(";
    for (std::size_t i = 0; i < agg.args.size(); ++i)
      sig += (i ? ", " : "") + angle(agg.args[i].type);
    fail(e.pos, "Cannot apply '" + upper + "' to arguments of type '" + sig +
                    ")'. Supported form(s): " + forms);
  };
  if (e.star_arg && upper != "COUNT")
    fail(e.pos, "Function '" + upper + "(*)' is not supported; only COUNT(*)");
  if (upper == "COUNT") {
    agg.type = make_type(logical_kind::bigint, true);
  } else if (upper == "LISTAGG") {
    if (agg.args.empty() || agg.args.size() > 2)
      count_error("1 or 2");
    for (const rex& a : agg.args)
      if (!is_character(a.type))
        type_error("'LISTAGG(<CHARACTER>)', 'LISTAGG(<CHARACTER>, <CHARACTER>)'");
    agg.type = make_varchar(max_length);
  } else {
    if (agg.args.size() != 1)
      count_error("1");
    const logical_type a = agg.args[0].type.materialized();
    if (upper == "MIN" || upper == "MAX" || upper == "FIRST_VALUE" || upper == "LAST_VALUE") {
      if (a.kind == logical_kind::map || a.kind == logical_kind::multiset)
        type_error("'MIN(<COMPARABLE_TYPE>)'");
      if (a.kind == logical_kind::array && (upper == "MIN" || upper == "MAX"))
        fail(e.pos, "not supported yet: " + upper + " of ARRAY values");
      agg.type = a.with_nullable(true);
    } else if (upper == "BOOL_AND" || upper == "BOOL_OR") {
      if (a.kind != logical_kind::boolean)
        type_error("'BOOL_AND(<BOOLEAN>)'");
      agg.type = a.with_nullable(true);
    } else if (upper == "COLLECT") {
      agg.type = make_type(logical_kind::multiset, true);
      agg.type.elements.push_back(a);
    } else {
      if (!is_numeric(a))
        type_error(("'" + upper + "(<NUMERIC>)'").c_str());
      if (upper == "SUM" || upper == "SUM0") {
        if (a.kind == logical_kind::decimal)
          agg.type = make_decimal(max_decimal_precision, a.scale);
        else
          agg.type = a.with_nullable(true);
        if (upper == "SUM0")
          agg.type.nullable = false;
      } else if (upper == "AVG") {
        if (a.kind == logical_kind::decimal)
          agg.type = make_decimal(max_decimal_precision, std::max(6, a.scale));
        else
          agg.type = a.with_nullable(true);
      } else { // STDDEV_*, VAR_*
        agg.type = a.kind == logical_kind::decimal
                       ? make_decimal(max_decimal_precision, std::max(6, a.scale))
                       : a.with_nullable(true);
      }
    }
  }
  rex r = make_call("$AGG", {}, agg.type, e.pos);
  r.index = static_cast<int>(ctx.aggs->size());
  ctx.aggs->push_back(std::move(agg));
  return r;
}

rex analyzer::analyze_over(const expr& e, const std::string& upper, expr_context& ctx) {
  // The aggregate as GROUP BY would type it, then its window.
  std::vector<pending_agg> one;
  expr_context inner = ctx;
  inner.aggs = &one;
  inner.over = nullptr;
  inner.row_number = nullptr;
  analyze_aggregate(e, upper, inner);
  pending_over o;
  o.agg = one.at(0);
  o.pos = e.pos;
  expr_context plain = ctx;
  plain.aggs = nullptr;
  plain.over = nullptr;
  plain.row_number = nullptr;
  const window_spec& w = *e.over;
  for (const box<expr>& p : w.partition_by) {
    rex r = analyze(*p, plain);
    if (r.kind != rex_kind::input_ref)
      fail(p->pos, "not supported yet: expressions in an OVER window's PARTITION BY");
    o.partition_by.push_back(r.index);
  }
  if (w.order_by.size() != 1)
    fail(e.pos, "Over Agg: The window can only be ordered by a single time column.");
  rex order = analyze(*w.order_by[0].value, plain);
  if (order.kind != rex_kind::input_ref || !order.type.is_time_attribute())
    fail(w.order_by[0].value->pos,
         "OVER windows' ordering in stream mode must be defined on a time attribute.");
  if (w.order_by[0].descending)
    fail(w.order_by[0].value->pos, "Over Agg: The window can only be ordered in ASCENDING mode.");
  o.order = order.index;
  if (!w.frame) { // ORDER BY without a frame: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    o.rows = false;
    o.preceding = -1;
  } else {
    const window_frame& f = *w.frame;
    o.rows = f.rows;
    if (f.end && f.end->type != frame_bound::kind::current_row)
      fail(e.pos, "not supported yet: OVER windows that end other than at CURRENT ROW");
    switch (f.start.type) {
      case frame_bound::kind::unbounded_preceding:
        o.preceding = -1;
        break;
      case frame_bound::kind::current_row:
        o.preceding = 0;
        break;
      case frame_bound::kind::preceding: {
        rex off = analyze(*f.start.offset, plain);
        if (f.rows) {
          if (off.kind != rex_kind::literal || off.lit != literal_kind::integer)
            fail(f.start.offset->pos, "ROWS ... PRECEDING needs a non-negative integer literal");
          o.preceding = std::stoll(off.name);
        } else {
          auto ms = interval_millis(off);
          if (!ms || *ms < 0)
            fail(f.start.offset->pos,
                 "RANGE ... PRECEDING on a time attribute needs a day-time INTERVAL literal");
          o.preceding = *ms;
        }
        break;
      }
      default:
        fail(e.pos, "not supported yet: OVER windows that start after the current row");
    }
  }
  ctx.over->push_back(std::move(o));
  rex r = make_call("$OVER", {}, ctx.over->back().agg.type, e.pos);
  r.index = static_cast<int>(ctx.over->size()) - 1;
  return r;
}

rex analyzer::analyze_row_number(const expr& e, expr_context& ctx) {
  if (!e.over)
    fail(e.pos, "OVER clause is necessary for window functions");
  if (!ctx.row_number || ctx.inside_agg)
    fail(e.pos, std::string("not supported yet: ROW_NUMBER() in the ") + ctx.clause +
                    " clause (only as a SELECT item, for Top-N and deduplication)");
  if (ctx.row_number->seen)
    fail(e.pos, "not supported yet: more than one ROW_NUMBER() in a SELECT");
  if (e.over->frame)
    fail(e.pos, "not supported yet: ROW_NUMBER() with a window frame");
  if (e.over->order_by.empty())
    fail(e.pos, "not supported yet: ROW_NUMBER() without ORDER BY");
  ctx.row_number->seen = true;
  ctx.row_number->pos = e.pos;
  for (const box<expr>& p : e.over->partition_by)
    ctx.row_number->partition_by.push_back(analyze(*p, ctx));
  for (const order_item& o : e.over->order_by)
    ctx.row_number->order_by.emplace_back(analyze(*o.value, ctx), o.descending);
  return make_call("$ROWNUM", {}, make_type(logical_kind::bigint, true), e.pos);
}

rex analyzer::analyze_user_function(const expr& e, const catalog_function& f, expr_context& ctx) {
  auto def = find_function_class(f.class_name);
  if (!def)
    fail(e.pos, "Function class '" + f.class_name + "' of function '" + f.name +
                    "' is not registered in this process");
  std::vector<rex> args;
  for (const box<expr>& a : e.args)
    args.push_back(analyze(*a, ctx));
  if (def->specialize) {
    // Typed by its arguments: the definition for these types, registered for the runtime.
    std::vector<logical_type> types;
    for (const rex& a : args)
      types.push_back(a.type.materialized());
    function_definition typed;
    try {
      typed = def->specialize(types);
    } catch (const error& x) {
      fail(e.pos, "Function '" + f.name + "': " + x.what());
    }
    register_function(typed);
    def = find_function_class(typed.class_name);
    if (!def)
      fail(e.pos, "Function '" + f.name + "' has no definition for these arguments");
  }
  bool fits = args.size() == def->parameters.size();
  for (std::size_t i = 0; fits && i < args.size(); ++i)
    fits = args[i].type.kind != logical_kind::row &&
           can_assign(args[i].type, def->parameters[i].with_nullable(true));
  if (!fits) {
    std::string call = f.name + "(", expected = f.name + "(";
    for (std::size_t i = 0; i < args.size(); ++i)
      call += (i ? ", " : "") + to_string(args[i].type.materialized());
    for (std::size_t i = 0; i < def->parameters.size(); ++i)
      expected += (i ? ", " : "") + to_string(def->parameters[i].with_nullable(true));
    fail(e.pos, "Invalid function call:\n" + call + ")\nExpected signature: " + expected + ")");
  }
  bool nullable = def->result.nullable;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const logical_type& p = def->parameters[i];
    if (args[i].type.nullable && !def->accepts_null[i])
      nullable = true;
    const logical_type want = p.with_nullable(args[i].type.nullable);
    if (args[i].type.kind != logical_kind::null &&
        (args[i].type.kind != p.kind || args[i].type.precision != p.precision ||
         args[i].type.scale != p.scale)) {
      rex cast = make_call("CAST", {std::move(args[i])}, want, e.pos);
      args[i] = std::move(cast);
    }
  }
  rex r = make_call(f.name, std::move(args), def->result.with_nullable(nullable), e.pos);
  r.udf = def->class_name;
  return r;
}

rex analyzer::analyze_function(const expr& e, expr_context& ctx) {
  const std::string written = e.names.empty() ? "" : e.names.back();
  if (e.names.size() != 1)
    fail(e.pos, "not supported yet: qualified function names");
  const std::string upper = upper_of(written);
  if (e.over && upper != "ROW_NUMBER") {
    if (!aggregate_names().count(upper) || cat_.find_function(written))
      fail(e.pos, "not supported yet: " + upper + "(...) OVER (...)");
    if (!ctx.over)
      fail(e.pos, std::string("not supported yet: OVER aggregation (") + upper +
                      "(...) OVER (...)) in " +
                      (ctx.aggs ? "an aggregating SELECT" : ctx.clause + std::string(" clause")));
    return analyze_over(e, upper, ctx);
  }
  if (upper == "ROW_NUMBER" || upper == "RANK" || upper == "DENSE_RANK") {
    if (upper != "ROW_NUMBER")
      fail(e.pos, "not supported yet: " + upper + "() (only ROW_NUMBER() for Top-N)");
    return analyze_row_number(e, ctx);
  }
  if (aggregate_names().count(upper) && !cat_.find_function(written))
    return analyze_aggregate(e, upper, ctx);
  if (e.filter)
    fail(e.pos, "FILTER must be applied to an aggregate function, not '" + upper + "'");
  if (e.distinct)
    fail(e.pos, "DISTINCT/ALL not allowed with " + upper + " function");
  if (group_window_names().count(upper))
    fail(e.pos, "Group window function " + upper + "(...) is only allowed in GROUP BY; use TABLE(" +
                    upper + "(TABLE t, DESCRIPTOR(col), ...)) in FROM for a window table function");
  // Legacy group window auxiliaries: TUMBLE_START, HOP_END, SESSION_ROWTIME, ...
  for (const char* w : {"TUMBLE", "HOP", "SESSION"}) {
    const std::string prefix = std::string(w) + "_";
    if (upper.rfind(prefix, 0) != 0)
      continue;
    const std::string prop = upper.substr(prefix.size());
    if (prop != "START" && prop != "END" && prop != "ROWTIME" && prop != "PROCTIME")
      break;
    if (!ctx.window || ctx.window->function != w)
      fail(e.pos, "Cannot use " + upper + "(...) without a matching " + w +
                      "(...) group window in GROUP BY");
    std::vector<rex> args;
    for (const box<expr>& a : e.args)
      args.push_back(analyze(*a, ctx));
    rex r;
    if (prop == "START" || prop == "END") {
      r = make_call("$WINPROP", {}, make_timestamp(3, true), e.pos);
      r.unit = prop == "START" ? "start" : "end";
    } else {
      if ((prop == "ROWTIME") != (ctx.window->window.time == time_attribute::rowtime))
        fail(e.pos, upper + " needs a group window on a " +
                        (prop == "ROWTIME" ? "rowtime" : "proctime") + " attribute");
      r = make_call("$WINPROP", {},
                    prop == "ROWTIME" ? make_rowtime(make_timestamp(3, true)) : make_proctime(),
                    e.pos);
      r.unit = "time";
    }
    return r;
  }
  if (const catalog_function* f = cat_.find_function(written))
    return analyze_user_function(e, *f, ctx);

  // Built-in scalar functions.
  std::vector<rex> args;
  const bool unit_first = upper == "TIMESTAMPADD" || upper == "TIMESTAMPDIFF";
  std::string unit;
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    if (unit_first && i == 0 && e.args[0]->kind == expr_kind::identifier &&
        e.args[0]->names.size() == 1) {
      unit = upper_of(e.args[0]->names[0]);
      static const std::set<std::string> units = {"YEAR", "QUARTER", "MONTH",  "WEEK",       "DAY",
                                                  "HOUR", "MINUTE",  "SECOND", "MILLISECOND"};
      if (!units.count(unit))
        fail(e.args[0]->pos, "'" + e.args[0]->names[0] + "' is not a valid time unit");
      continue;
    }
    args.push_back(analyze(*e.args[i], ctx));
  }
  const bool nullable = any_nullable(args);
  auto sig = [&]() {
    std::string s = upper + "(";
    if (unit_first)
      s += "<SYMBOL>" + std::string(args.empty() ? "" : ", ");
    for (std::size_t i = 0; i < args.size(); ++i)
      s += (i ? ", " : "") + angle(args[i].type);
    return s + ")";
  };
  auto arity = [&](std::size_t lo, std::size_t hi, const char* expecting) {
    const std::size_t n = args.size() + (unit_first && !unit.empty() ? 1 : 0);
    if (n < lo || n > hi)
      fail(e.pos, "Invalid number of arguments to function '" + upper + "'. Was expecting " +
                      expecting + " arguments");
  };
  auto wrong = [&](const std::string& forms) {
    fail(e.pos, "Cannot apply '" + upper + "' to arguments of type '" + sig() +
                    "'. Supported form(s): " + forms);
  };
  auto is_str = [](const rex& a) {
    return is_character(a.type) || a.type.kind == logical_kind::null;
  };
  auto is_num = [](const rex& a) {
    return is_numeric(a.type) || a.type.kind == logical_kind::null;
  };
  auto is_int = [](const rex& a) {
    return is_integer(a.type) || a.type.kind == logical_kind::null;
  };
  auto is_ts = [](const rex& a) {
    return is_timestamp(a.type) || a.type.kind == logical_kind::date ||
           a.type.kind == logical_kind::null;
  };
  auto call = [&](logical_type t) {
    rex r = make_call(upper, std::move(args), std::move(t), e.pos);
    r.unit = unit;
    return r;
  };
  auto string_result = [&]() { return make_varchar(max_length, !nullable); };
  auto check_all = [&](auto pred, const std::string& forms) {
    for (const rex& a : args)
      if (!pred(a))
        wrong(forms);
  };

  // String functions.
  if (upper == "CHAR_LENGTH" || upper == "CHARACTER_LENGTH") {
    arity(1, 1, "1");
    check_all(is_str, "'" + upper + "(<CHARACTER>)'");
    return call(make_type(logical_kind::int_, !nullable));
  }
  if (upper == "UPPER" || upper == "LOWER" || upper == "INITCAP" || upper == "LTRIM" ||
      upper == "RTRIM" || upper == "TRIM" || upper == "REVERSE" || upper == "TO_BASE64" ||
      upper == "FROM_BASE64" || upper == "MD5" || upper == "SHA1" || upper == "SHA256") {
    arity(1, 1, "1");
    check_all(is_str, "'" + upper + "(<CHARACTER>)'");
    if (upper == "UPPER" || upper == "LOWER" || upper == "INITCAP")
      return call(args[0].type.kind == logical_kind::null ? make_varchar()
                                                          : args[0].type.materialized());
    return call(string_result());
  }
  if (upper == "SUBSTRING" || upper == "SUBSTR") {
    arity(2, 3, "2 or 3");
    if (!is_str(args[0]) || !is_int(args[1]) || (args.size() == 3 && !is_int(args[2])))
      wrong("'SUBSTRING(<CHARACTER>, <INTEGER>)', 'SUBSTRING(<CHARACTER>, <INTEGER>, <INTEGER>)'");
    return call(string_result());
  }
  if (upper == "CONCAT") {
    if (args.empty())
      fail(e.pos,
           "Invalid number of arguments to function 'CONCAT'. Was expecting 1 or more arguments");
    check_all(is_str, "'CONCAT(<CHARACTER>, ...)'");
    return call(string_result());
  }
  if (upper == "CONCAT_WS") {
    if (args.size() < 2)
      fail(
          e.pos,
          "Invalid number of arguments to function 'CONCAT_WS'. Was expecting 2 or more arguments");
    check_all(is_str, "'CONCAT_WS(<CHARACTER>, <CHARACTER>, ...)'");
    return call(make_varchar(max_length, !args[0].type.nullable));
  }
  if (upper == "REPLACE" || upper == "REGEXP_REPLACE" || upper == "TRANSLATE") {
    arity(3, 3, "3");
    check_all(is_str, "'" + upper + "(<CHARACTER>, <CHARACTER>, <CHARACTER>)'");
    return call(string_result());
  }
  if (upper == "REGEXP_EXTRACT") {
    arity(2, 3, "2 or 3");
    if (!is_str(args[0]) || !is_str(args[1]) || (args.size() == 3 && !is_int(args[2])))
      wrong("'REGEXP_EXTRACT(<CHARACTER>, <CHARACTER>)', 'REGEXP_EXTRACT(<CHARACTER>, <CHARACTER>, "
            "<INTEGER>)'");
    return call(make_varchar());
  }
  if (upper == "REGEXP") {
    arity(2, 2, "2");
    check_all(is_str, "'REGEXP(<CHARACTER>, <CHARACTER>)'");
    return call(boolean_type(nullable));
  }
  if (upper == "SPLIT_INDEX") {
    arity(3, 3, "3");
    if (!is_str(args[0]) || !is_str(args[1]) || !is_int(args[2]))
      wrong("'SPLIT_INDEX(<CHARACTER>, <CHARACTER>, <INTEGER>)'");
    return call(make_varchar());
  }
  if (upper == "POSITION" || upper == "LOCATE" || upper == "INSTR") {
    arity(2, 3, "2 or 3");
    if (!is_str(args[0]) || !is_str(args[1]) || (args.size() == 3 && !is_int(args[2])))
      wrong("'" + upper + "(<CHARACTER>, <CHARACTER>)'");
    return call(make_type(logical_kind::int_, !nullable));
  }
  if (upper == "LPAD" || upper == "RPAD") {
    arity(3, 3, "3");
    if (!is_str(args[0]) || !is_int(args[1]) || !is_str(args[2]))
      wrong("'" + upper + "(<CHARACTER>, <INTEGER>, <CHARACTER>)'");
    return call(make_varchar());
  }
  if (upper == "REPEAT" || upper == "LEFT" || upper == "RIGHT") {
    arity(2, 2, "2");
    if (!is_str(args[0]) || !is_int(args[1]))
      wrong("'" + upper + "(<CHARACTER>, <INTEGER>)'");
    return call(string_result());
  }
  if (upper == "ASCII") {
    arity(1, 1, "1");
    check_all(is_str, "'ASCII(<CHARACTER>)'");
    return call(make_type(logical_kind::int_, !nullable));
  }
  if (upper == "CHR") {
    arity(1, 1, "1");
    check_all(is_int, "'CHR(<INTEGER>)'");
    return call(make_char(1, !nullable));
  }
  // Math functions.
  if (upper == "ABS" || upper == "SIGN") {
    arity(1, 1, "1");
    check_all(is_num, "'" + upper + "(<NUMERIC>)'");
    return call(args[0].type.materialized());
  }
  if (upper == "MOD") {
    arity(2, 2, "2");
    if (!is_exact_numeric(args[0].type) || !is_exact_numeric(args[1].type))
      wrong("'MOD(<EXACT_NUMERIC>, <EXACT_NUMERIC>)'");
    return call(args[1].type.materialized().with_nullable(nullable));
  }
  if (upper == "ROUND" || upper == "TRUNCATE") {
    arity(1, 2, "1 or 2");
    if (!is_num(args[0]) || (args.size() == 2 && !is_int(args[1])))
      wrong("'" + upper + "(<NUMERIC>)', '" + upper + "(<NUMERIC>, <INTEGER>)'");
    logical_type t = args[0].type.materialized();
    if (t.kind == logical_kind::decimal) {
      int digits = 0;
      if (args.size() == 2 && args[1].kind == rex_kind::literal)
        digits = std::atoi(args[1].name.c_str());
      const int scale = std::max(0, std::min(t.scale, digits));
      t = make_decimal(std::min(max_decimal_precision, t.precision - t.scale + scale + 1), scale,
                       !t.nullable);
    }
    return call(t);
  }
  if (upper == "FLOOR" || upper == "CEIL" || upper == "CEILING") {
    arity(1, 1, "1");
    check_all(is_num, "'" + upper + "(<NUMERIC>)', '" + upper + "(<DATETIME> TO <TIME UNIT>)'");
    logical_type t = args[0].type.materialized();
    if (t.kind == logical_kind::decimal)
      t = make_decimal(std::min(max_decimal_precision, t.precision - t.scale + 1), 0, !t.nullable);
    return call(t);
  }
  if (upper == "POWER" || upper == "ATAN2") {
    arity(2, 2, "2");
    check_all(is_num, "'" + upper + "(<NUMERIC>, <NUMERIC>)'");
    return call(make_type(logical_kind::double_, !nullable));
  }
  if (upper == "SQRT" || upper == "LN" || upper == "LOG10" || upper == "LOG2" || upper == "EXP" ||
      upper == "SIN" || upper == "COS" || upper == "TAN" || upper == "ASIN" || upper == "ACOS" ||
      upper == "ATAN" || upper == "COT" || upper == "DEGREES" || upper == "RADIANS" ||
      upper == "SINH" || upper == "COSH" || upper == "TANH") {
    arity(1, 1, "1");
    check_all(is_num, "'" + upper + "(<NUMERIC>)'");
    return call(make_type(logical_kind::double_, !nullable));
  }
  if (upper == "LOG") {
    arity(1, 2, "1 or 2");
    check_all(is_num, "'LOG(<NUMERIC>)', 'LOG(<NUMERIC>, <NUMERIC>)'");
    return call(make_type(logical_kind::double_, !nullable));
  }
  if (upper == "RAND") {
    arity(0, 1, "0 or 1");
    check_all(is_int, "'RAND()', 'RAND(<INTEGER>)'");
    return call(make_type(logical_kind::double_, true));
  }
  if (upper == "RAND_INTEGER") {
    arity(1, 2, "1 or 2");
    check_all(is_int, "'RAND_INTEGER(<INTEGER>)', 'RAND_INTEGER(<INTEGER>, <INTEGER>)'");
    return call(make_type(logical_kind::int_, true));
  }
  if (upper == "PI" || upper == "E") {
    arity(0, 0, "0");
    return call(make_type(logical_kind::double_, true));
  }
  // Temporal functions.
  if (upper == "DATE_FORMAT") {
    arity(2, 2, "2");
    if (!(is_ts(args[0]) || is_str(args[0])) || !is_str(args[1]))
      wrong("'DATE_FORMAT(<TIMESTAMP>, <CHARACTER>)', 'DATE_FORMAT(<CHARACTER>, <CHARACTER>)'");
    return call(string_result());
  }
  if (upper == "TO_TIMESTAMP") {
    arity(1, 2, "1 or 2");
    check_all(is_str, "'TO_TIMESTAMP(<CHARACTER>)', 'TO_TIMESTAMP(<CHARACTER>, <CHARACTER>)'");
    return call(make_timestamp(3));
  }
  if (upper == "TO_TIMESTAMP_LTZ") {
    arity(1, 2, "1 or 2");
    if (!is_num(args[0]) || (args.size() == 2 && !is_int(args[1])))
      wrong("'TO_TIMESTAMP_LTZ(<NUMERIC>, <INTEGER>)'");
    return call(make_timestamp_ltz(3, !nullable));
  }
  if (upper == "TO_DATE") {
    arity(1, 2, "1 or 2");
    check_all(is_str, "'TO_DATE(<CHARACTER>)', 'TO_DATE(<CHARACTER>, <CHARACTER>)'");
    return call(make_type(logical_kind::date));
  }
  if (upper == "YEAR" || upper == "QUARTER" || upper == "MONTH" || upper == "WEEK" ||
      upper == "DAYOFYEAR" || upper == "DAYOFMONTH" || upper == "DAYOFWEEK" || upper == "HOUR" ||
      upper == "MINUTE" || upper == "SECOND") {
    arity(1, 1, "1");
    for (const rex& a : args)
      if (!is_datetime(a.type) && a.type.kind != logical_kind::null)
        wrong("'" + upper + "(<DATETIME>)'");
    return call(make_type(logical_kind::bigint, !nullable));
  }
  if (upper == "CURRENT_TIMESTAMP" || upper == "NOW" || upper == "CURRENT_ROW_TIMESTAMP") {
    arity(0, 0, "0");
    return call(make_timestamp_ltz(3, true));
  }
  if (upper == "LOCALTIMESTAMP") {
    arity(0, 0, "0");
    return call(make_timestamp(3, true));
  }
  if (upper == "CURRENT_DATE") {
    arity(0, 0, "0");
    return call(make_type(logical_kind::date, true));
  }
  if (upper == "CURRENT_TIME" || upper == "LOCALTIME") {
    arity(0, 0, "0");
    return call(make_type(logical_kind::time, true));
  }
  if (upper == "PROCTIME") {
    arity(0, 0, "0");
    return call(make_proctime());
  }
  if (upper == "UNIX_TIMESTAMP") {
    arity(0, 2, "0, 1 or 2");
    check_all(is_str, "'UNIX_TIMESTAMP()', 'UNIX_TIMESTAMP(<CHARACTER>)', "
                      "'UNIX_TIMESTAMP(<CHARACTER>, <CHARACTER>)'");
    return call(make_type(logical_kind::bigint, !nullable));
  }
  if (upper == "FROM_UNIXTIME") {
    arity(1, 2, "1 or 2");
    if (!is_int(args[0]) || (args.size() == 2 && !is_str(args[1])))
      wrong("'FROM_UNIXTIME(<INTEGER>)', 'FROM_UNIXTIME(<INTEGER>, <CHARACTER>)'");
    return call(string_result());
  }
  if (upper == "TIMESTAMPADD") {
    arity(3, 3, "3");
    if (unit.empty() || !is_int(args[0]) || !is_ts(args[1]))
      wrong("'TIMESTAMPADD(<SYMBOL>, <INTEGER>, <DATETIME>)'");
    return call(args[1].type.materialized().with_nullable(nullable));
  }
  if (upper == "TIMESTAMPDIFF") {
    arity(3, 3, "3");
    if (unit.empty() || !is_ts(args[0]) || !is_ts(args[1]))
      wrong("'TIMESTAMPDIFF(<SYMBOL>, <DATETIME>, <DATETIME>)'");
    return call(make_type(logical_kind::int_, !nullable));
  }
  if (upper == "CONVERT_TZ") {
    arity(3, 3, "3");
    check_all(is_str, "'CONVERT_TZ(<CHARACTER>, <CHARACTER>, <CHARACTER>)'");
    return call(string_result());
  }
  // Conditional functions.
  if (upper == "COALESCE" || upper == "IFNULL" || upper == "GREATEST" || upper == "LEAST") {
    if (upper == "IFNULL")
      arity(2, 2, "2");
    if (args.empty())
      fail(e.pos, "Invalid number of arguments to function '" + upper +
                      "'. Was expecting 1 or more arguments");
    std::vector<logical_type> types;
    bool all_nullable = true;
    for (const rex& a : args) {
      types.push_back(a.type);
      all_nullable = all_nullable && a.type.nullable;
    }
    auto t = common_type(types);
    if (!t)
      fail(e.pos, "Illegal mixing of types in CASE or COALESCE statement");
    t->nullable = upper == "COALESCE" || upper == "IFNULL" ? all_nullable : nullable;
    return call(*t);
  }
  if (upper == "IF") {
    arity(3, 3, "3");
    if (args[0].type.kind != logical_kind::boolean && args[0].type.kind != logical_kind::null)
      wrong("'IF(<BOOLEAN>, <ANY>, <ANY>)'");
    auto t = common_type({args[1].type, args[2].type});
    if (!t)
      wrong("'IF(<BOOLEAN>, <ANY>, <ANY>)'");
    return call(*t);
  }
  if (upper == "NULLIF") {
    arity(2, 2, "2");
    if (!comparable(args[0].type, args[1].type))
      wrong("'NULLIF(<ANY>, <ANY>)'");
    return call(args[0].type.materialized().with_nullable(true));
  }
  if (upper == "IS_DIGIT" || upper == "IS_DECIMAL" || upper == "IS_ALPHA") {
    arity(1, 1, "1");
    check_all(is_str, "'" + upper + "(<CHARACTER>)'");
    return call(boolean_type(false));
  }
  if (upper == "HASH_CODE") {
    arity(1, 1, "1");
    return call(make_type(logical_kind::int_, !nullable));
  }
  if (upper == "UUID") {
    arity(0, 0, "0");
    return call(make_char(36, true));
  }
  if (upper == "ELEMENT") {
    arity(1, 1, "1");
    if (args[0].type.kind != logical_kind::array && args[0].type.kind != logical_kind::multiset)
      wrong("'ELEMENT(<ARRAY>)', 'ELEMENT(<MULTISET>)'");
    return call(args[0].type.elements.at(0).with_nullable(true));
  }
  if (upper == "CARDINALITY") {
    arity(1, 1, "1");
    if (args[0].type.kind != logical_kind::array && args[0].type.kind != logical_kind::map &&
        args[0].type.kind != logical_kind::multiset)
      wrong("'CARDINALITY(<ARRAY>)', 'CARDINALITY(<MAP>)'");
    return call(make_type(logical_kind::int_, !nullable));
  }
  std::string families;
  for (std::size_t i = 0; i < args.size(); ++i)
    families += (i ? ", <" : "<") + type_family_name(args[i].type) + ">";
  fail(e.pos, "No match found for function signature " + written + "(" + families + ")");
}

} // namespace detail
} // namespace spate::sql
