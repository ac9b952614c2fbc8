#include "spate/sql/print.hpp"

#include <cctype>
#include <set>
#include <string>

#include "parser_impl.hpp"

namespace spate::sql {

namespace {

std::string upper_of(const std::string& s) {
  std::string u = s;
  for (char& c : u)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

bool plain_word(const std::string& name) {
  bool plain =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || c == '$'))
      plain = false;
  }
  return plain;
}

//! A function's name: backquoted only when spate's parser needs it.
std::string function_name(const qualified_name& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i > 0)
      out += '.';
    const std::string upper = upper_of(name[i]);
    const bool keyword_call = name.size() == 1 && (upper == "LEFT" || upper == "RIGHT");
    const bool plain = plain_word(name[i]) && (!detail::is_reserved(upper) || keyword_call);
    out += plain ? name[i] : quote_identifier(name[i]);
  }
  return out;
}

std::string names(const qualified_name& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i > 0)
      out += '.';
    out += quote_identifier(name[i]);
  }
  return out;
}

std::string name_list(const std::vector<std::string>& list) {
  std::string out = "(";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += quote_identifier(list[i]);
  }
  return out + ")";
}

// Binding strength of an expression's outermost operator: a child printed where a stronger
// one is needed goes in parentheses (see the parser's levels in parser_expr.cpp).
enum level : int {
  lowest = 0,
  or_level = 1,
  and_level = 2,
  not_level = 3,
  is_level = 4,
  comparison_level = 5,
  predicate_level = 6,
  additive_level = 7,
  multiplicative_level = 8,
  unary_level = 9,
  primary_level = 10,
};

int level_of(const expr& e) {
  switch (e.kind) {
    case expr_kind::binary:
      switch (e.oper) {
        case op::or_:
          return or_level;
        case op::and_:
          return and_level;
        case op::add:
        case op::sub:
          return additive_level;
        case op::mul:
        case op::div:
        case op::mod:
        case op::concat:
          return multiplicative_level;
        default:
          return comparison_level;
      }
    case expr_kind::unary:
      return e.oper == op::not_ ? not_level : unary_level;
    case expr_kind::is_test:
      return is_level;
    case expr_kind::between:
    case expr_kind::in_list:
    case expr_kind::in_query:
    case expr_kind::like:
      return predicate_level;
    default:
      return primary_level;
  }
}

const char* binary_text(op o) {
  switch (o) {
    case op::or_:
      return "OR";
    case op::and_:
      return "AND";
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
    case op::is_distinct_from:
      return "IS DISTINCT FROM";
    case op::is_not_distinct_from:
      return "IS NOT DISTINCT FROM";
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
    case op::concat:
      return "||";
    default:
      return "?";
  }
}

const char* is_text(op o) {
  switch (o) {
    case op::is_null:
      return "IS NULL";
    case op::is_not_null:
      return "IS NOT NULL";
    case op::is_true:
      return "IS TRUE";
    case op::is_not_true:
      return "IS NOT TRUE";
    case op::is_false:
      return "IS FALSE";
    case op::is_not_false:
      return "IS NOT FALSE";
    case op::is_unknown:
      return "IS UNKNOWN";
    case op::is_not_unknown:
      return "IS NOT UNKNOWN";
    default:
      return "IS ?";
  }
}

class printer {
public:
  std::string out;

  void expression(const expr& e, int min_level = lowest) {
    const bool parens = level_of(e) < min_level;
    if (parens)
      out += '(';
    bare(e);
    if (parens)
      out += ')';
  }

  void expression_list(const std::vector<box<expr>>& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0)
        out += ", ";
      expression(*list[i]);
    }
  }

  void bare(const expr& e) {
    switch (e.kind) {
      case expr_kind::identifier:
        out += names(e.names);
        return;
      case expr_kind::star:
        if (!e.names.empty())
          out += names(e.names) + ".";
        out += '*';
        return;
      case expr_kind::literal:
        literal(e);
        return;
      case expr_kind::unary:
        if (e.oper == op::not_) {
          out += "NOT ";
          expression(*e.args[0], not_level);
        } else {
          out += e.oper == op::neg ? '-' : '+';
          // "- -x", never "--x", which starts a comment.
          const char first = first_char(*e.args[0]);
          if (first == '-' || first == '+')
            out += ' ';
          expression(*e.args[0], unary_level);
        }
        return;
      case expr_kind::binary: {
        const int l = level_of(e);
        expression(*e.args[0], l);
        out += ' ';
        out += binary_text(e.oper);
        out += ' ';
        expression(*e.args[1], l + 1);
        return;
      }
      case expr_kind::is_test:
        expression(*e.args[0], is_level);
        out += ' ';
        out += is_text(e.oper);
        return;
      case expr_kind::between:
        expression(*e.args[0], predicate_level);
        out += e.negated ? " NOT BETWEEN " : " BETWEEN ";
        expression(*e.args[1], additive_level);
        out += " AND ";
        expression(*e.args[2], additive_level);
        return;
      case expr_kind::in_list:
        expression(*e.args[0], predicate_level);
        out += e.negated ? " NOT IN (" : " IN (";
        for (std::size_t i = 1; i < e.args.size(); ++i) {
          if (i > 1)
            out += ", ";
          expression(*e.args[i]);
        }
        out += ')';
        return;
      case expr_kind::in_query:
        expression(*e.args[0], predicate_level);
        out += e.negated ? " NOT IN (" : " IN (";
        query_(*e.subquery);
        out += ')';
        return;
      case expr_kind::like:
        expression(*e.args[0], predicate_level);
        out += e.negated ? " NOT LIKE " : " LIKE ";
        expression(*e.args[1], additive_level);
        if (e.args.size() > 2) {
          out += " ESCAPE ";
          expression(*e.args[2], additive_level);
        }
        return;
      case expr_kind::exists:
        out += "EXISTS (";
        query_(*e.subquery);
        out += ')';
        return;
      case expr_kind::subquery:
        out += '(';
        query_(*e.subquery);
        out += ')';
        return;
      case expr_kind::case_:
        out += "CASE";
        if (e.operand) {
          out += ' ';
          expression(*e.operand);
        }
        for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
          out += " WHEN ";
          expression(*e.args[i]);
          out += " THEN ";
          expression(*e.args[i + 1]);
        }
        if (e.else_value) {
          out += " ELSE ";
          expression(*e.else_value);
        }
        out += " END";
        return;
      case expr_kind::cast:
        out += e.try_cast ? "TRY_CAST(" : "CAST(";
        expression(*e.args[0]);
        out += " AS ";
        type(*e.type);
        out += ')';
        return;
      case expr_kind::extract:
        out += "EXTRACT(" + e.unit + " FROM ";
        expression(*e.args[0]);
        out += ')';
        return;
      case expr_kind::floor_ceil: {
        out += e.ceil ? "CEIL(" : "FLOOR(";
        // FLOOR(INTERVAL '1' DAY TO HOUR) would read as one interval literal, and so would
        // anything ending with an interval: only other primaries go without parentheses.
        const expr& arg = *e.args[0];
        const bool parens = level_of(arg) < primary_level ||
                            (arg.kind == expr_kind::literal && arg.lit == literal_kind::interval);
        if (parens)
          out += '(';
        expression(arg);
        if (parens)
          out += ')';
        out += " TO " + e.unit + ")";
        return;
      }
      case expr_kind::function:
        function(e);
        return;
      case expr_kind::subscript:
        expression(*e.args[0], primary_level);
        out += '[';
        expression(*e.args[1]);
        out += ']';
        return;
      case expr_kind::field: {
        const expr& base = *e.args[0];
        // `(a).b`: written as a.b it would be the name a.b, not field b of a.
        const bool parens =
            !(base.kind == expr_kind::function || base.kind == expr_kind::subscript ||
              base.kind == expr_kind::field || base.kind == expr_kind::constructor);
        if (parens)
          out += '(';
        expression(base);
        if (parens)
          out += ')';
        out += '.' + quote_identifier(e.names.empty() ? std::string() : e.names[0]);
        return;
      }
      case expr_kind::constructor: {
        const bool row = !e.names.empty() && e.names[0] == "ROW";
        out += e.names.empty() ? std::string("ARRAY") : e.names[0];
        out += row ? '(' : '[';
        expression_list(e.args);
        out += row ? ')' : ']';
        return;
      }
    }
  }

  static char first_char(const expr& e) {
    if (e.kind == expr_kind::unary && e.oper != op::not_)
      return e.oper == op::neg ? '-' : '+';
    if (e.kind == expr_kind::literal && !e.text.empty() &&
        (e.lit == literal_kind::integer || e.lit == literal_kind::decimal ||
         e.lit == literal_kind::approx))
      return e.text[0];
    return ' ';
  }

  void literal(const expr& e) {
    switch (e.lit) {
      case literal_kind::null:
        out += "NULL";
        return;
      case literal_kind::boolean:
        out += upper_of(e.text) == "TRUE" ? "TRUE" : "FALSE";
        return;
      case literal_kind::integer:
      case literal_kind::decimal:
      case literal_kind::approx:
        out += e.text;
        return;
      case literal_kind::string:
        out += quote_string(e.text);
        return;
      case literal_kind::binary:
        out += "X'" + e.text + "'";
        return;
      case literal_kind::interval:
        out += "INTERVAL " + quote_string(e.text) + " " + e.unit;
        if (!e.unit_to.empty())
          out += " TO " + e.unit_to;
        return;
      case literal_kind::date:
        out += "DATE " + quote_string(e.text);
        return;
      case literal_kind::time:
        out += "TIME " + quote_string(e.text);
        return;
      case literal_kind::timestamp:
        out += "TIMESTAMP " + quote_string(e.text);
        return;
    }
  }

  void function(const expr& e) {
    if (e.no_parens) {
      for (std::size_t i = 0; i < e.names.size(); ++i) {
        if (i > 0)
          out += '.';
        out += e.names[i];
      }
      return;
    }
    const std::string upper = e.names.size() == 1 ? upper_of(e.names[0]) : "";
    out += function_name(e.names);
    out += '(';
    if (e.star_arg) {
      out += '*';
    } else {
      if (e.distinct)
        out += "DISTINCT ";
      if (upper == "POSITION" && e.args.size() == 2) {
        expression(*e.args[0], additive_level);
        out += " IN ";
        expression(*e.args[1]);
      } else {
        expression_list(e.args);
      }
    }
    out += ')';
    if (e.filter) {
      out += " FILTER (WHERE ";
      expression(*e.filter);
      out += ')';
    }
    if (e.over) {
      out += " OVER (";
      window(*e.over);
      out += ')';
    }
  }

  void window(const window_spec& w) {
    std::string sep;
    if (!w.partition_by.empty()) {
      out += "PARTITION BY ";
      expression_list(w.partition_by);
      sep = " ";
    }
    if (!w.order_by.empty()) {
      out += sep + "ORDER BY ";
      order(w.order_by);
      sep = " ";
    }
    if (w.frame) {
      out += sep + (w.frame->rows ? "ROWS " : "RANGE ");
      if (w.frame->end) {
        out += "BETWEEN ";
        bound(w.frame->start);
        out += " AND ";
        bound(*w.frame->end);
      } else {
        bound(w.frame->start);
      }
    }
  }

  void bound(const frame_bound& b) {
    switch (b.type) {
      case frame_bound::kind::unbounded_preceding:
        out += "UNBOUNDED PRECEDING";
        return;
      case frame_bound::kind::unbounded_following:
        out += "UNBOUNDED FOLLOWING";
        return;
      case frame_bound::kind::current_row:
        out += "CURRENT ROW";
        return;
      case frame_bound::kind::preceding:
      case frame_bound::kind::following:
        expression(*b.offset, additive_level);
        out += b.type == frame_bound::kind::preceding ? " PRECEDING" : " FOLLOWING";
        return;
    }
  }

  void order(const std::vector<order_item>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0)
        out += ", ";
      expression(*items[i].value);
      if (items[i].descending)
        out += " DESC";
      if (items[i].nulls_first)
        out += *items[i].nulls_first ? " NULLS FIRST" : " NULLS LAST";
    }
  }

  void type(const data_type& t) {
    auto length = [&]() {
      if (t.precision) {
        out += "(" + std::to_string(*t.precision);
        if (t.scale)
          out += ", " + std::to_string(*t.scale);
        out += ")";
      }
    };
    switch (t.kind) {
      case type_kind::boolean:
        out += "BOOLEAN";
        break;
      case type_kind::tinyint:
        out += "TINYINT";
        break;
      case type_kind::smallint:
        out += "SMALLINT";
        break;
      case type_kind::int_:
        out += "INT";
        break;
      case type_kind::bigint:
        out += "BIGINT";
        break;
      case type_kind::float_:
        out += "FLOAT";
        break;
      case type_kind::double_:
        out += "DOUBLE";
        break;
      case type_kind::decimal:
        out += "DECIMAL";
        length();
        break;
      case type_kind::char_:
        out += "CHAR";
        length();
        break;
      case type_kind::varchar:
        out += "VARCHAR";
        length();
        break;
      case type_kind::string:
        out += "STRING";
        break;
      case type_kind::binary:
        out += "BINARY";
        length();
        break;
      case type_kind::varbinary:
        out += "VARBINARY";
        length();
        break;
      case type_kind::bytes:
        out += "BYTES";
        break;
      case type_kind::date:
        out += "DATE";
        break;
      case type_kind::time:
        out += "TIME";
        length();
        break;
      case type_kind::timestamp:
        out += "TIMESTAMP";
        length();
        break;
      case type_kind::timestamp_ltz:
        out += "TIMESTAMP_LTZ";
        length();
        break;
      case type_kind::array:
      case type_kind::multiset:
        out += t.kind == type_kind::array ? "ARRAY<" : "MULTISET<";
        if (!t.elements.empty())
          type(t.elements[0]);
        out += '>';
        break;
      case type_kind::map:
        out += "MAP<";
        if (t.elements.size() == 2) {
          type(t.elements[0]);
          out += ", ";
          type(t.elements[1]);
        }
        out += '>';
        break;
      case type_kind::row:
        out += "ROW<";
        for (std::size_t i = 0; i < t.fields.size(); ++i) {
          if (i > 0)
            out += ", ";
          out += quote_identifier(t.fields[i].name) + " ";
          type(t.fields[i].type);
          if (t.fields[i].description)
            out += " " + quote_string(*t.fields[i].description);
        }
        out += '>';
        break;
    }
    if (t.not_null)
      out += " NOT NULL";
  }

  // --- queries --------------------------------------------------------------------------------

  static bool has_tail(const query& q) {
    return !q.with.empty() || !q.order_by.empty() || q.limit || q.offset;
  }

  static int set_level(const query& q) {
    if (q.kind != query_kind::set_operation)
      return 3;
    return q.set == set_op::intersect ? 2 : 1;
  }

  void query_(const query& q) {
    if (!q.with.empty()) {
      out += "WITH ";
      for (std::size_t i = 0; i < q.with.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += quote_identifier(q.with[i].name);
        if (!q.with[i].columns.empty())
          out += " " + name_list(q.with[i].columns);
        out += " AS (";
        query_(*q.with[i].body);
        out += ')';
      }
      out += ' ';
    }
    switch (q.kind) {
      case query_kind::select:
        select_(q);
        break;
      case query_kind::values:
        out += "VALUES ";
        for (std::size_t i = 0; i < q.rows.size(); ++i) {
          if (i > 0)
            out += ", ";
          out += '(';
          expression_list(q.rows[i]);
          out += ')';
        }
        break;
      case query_kind::set_operation: {
        const int l = set_level(q);
        operand(*q.left, set_level(*q.left) < l);
        out += q.set == set_op::union_      ? " UNION "
               : q.set == set_op::intersect ? " INTERSECT "
                                            : " EXCEPT ";
        if (q.all)
          out += "ALL ";
        operand(*q.right, set_level(*q.right) <= l);
        break;
      }
    }
    if (!q.order_by.empty()) {
      out += " ORDER BY ";
      order(q.order_by);
    }
    if (q.limit) {
      out += " LIMIT ";
      expression(*q.limit, additive_level);
    }
    if (q.offset) {
      out += " OFFSET ";
      expression(*q.offset, additive_level);
    }
  }

  void operand(const query& q, bool weaker) {
    const bool parens = weaker || has_tail(q);
    if (parens)
      out += '(';
    query_(q);
    if (parens)
      out += ')';
  }

  void select_(const query& q) {
    out += q.distinct ? "SELECT DISTINCT " : "SELECT ";
    for (std::size_t i = 0; i < q.items.size(); ++i) {
      if (i > 0)
        out += ", ";
      expression(*q.items[i].value);
      if (!q.items[i].alias.empty())
        out += " AS " + quote_identifier(q.items[i].alias);
    }
    if (q.from) {
      out += " FROM ";
      table(*q.from);
    }
    if (q.where) {
      out += " WHERE ";
      expression(*q.where);
    }
    if (!q.group_by.empty()) {
      out += " GROUP BY ";
      expression_list(q.group_by);
    }
    if (q.having) {
      out += " HAVING ";
      expression(*q.having);
    }
  }

  void table(const table_ref& t) {
    switch (t.kind) {
      case table_ref_kind::table:
        out += names(t.name);
        if (t.system_time) {
          out += " FOR SYSTEM_TIME AS OF ";
          expression(*t.system_time);
        }
        break;
      case table_ref_kind::subquery:
        if (t.lateral)
          out += "LATERAL ";
        out += '(';
        query_(*t.subquery);
        out += ')';
        break;
      case table_ref_kind::function:
        if (t.lateral)
          out += "LATERAL ";
        out += "TABLE(" + names(t.function) + "(";
        for (std::size_t i = 0; i < t.args.size(); ++i) {
          if (i > 0)
            out += ", ";
          table_argument(t.args[i]);
        }
        out += "))";
        break;
      case table_ref_kind::unnest:
        out += "UNNEST(";
        expression_list(t.unnest_args);
        out += ')';
        break;
      case table_ref_kind::join: {
        const bool left_parens = t.join != join_kind::comma &&
                                 t.left->kind == table_ref_kind::join &&
                                 t.left->join == join_kind::comma;
        const bool right_parens = t.right->kind == table_ref_kind::join &&
                                  (t.join != join_kind::comma || t.right->join == join_kind::comma);
        if (left_parens)
          out += '(';
        table(*t.left);
        if (left_parens)
          out += ')';
        switch (t.join) {
          case join_kind::inner:
            out += " JOIN ";
            break;
          case join_kind::left:
            out += " LEFT JOIN ";
            break;
          case join_kind::right:
            out += " RIGHT JOIN ";
            break;
          case join_kind::full:
            out += " FULL JOIN ";
            break;
          case join_kind::cross:
            out += " CROSS JOIN ";
            break;
          case join_kind::comma:
            out += ", ";
            break;
        }
        if (right_parens)
          out += '(';
        table(*t.right);
        if (right_parens)
          out += ')';
        if (t.on) {
          out += " ON ";
          expression(*t.on);
        } else if (!t.using_columns.empty()) {
          out += " USING " + name_list(t.using_columns);
        }
        return;
      }
    }
    if (!t.alias.empty()) {
      out += " AS " + quote_identifier(t.alias);
      if (!t.column_aliases.empty())
        out += name_list(t.column_aliases);
    }
  }

  void table_argument(const table_arg& a) {
    if (!a.name.empty())
      out += quote_identifier(a.name) + " => ";
    switch (a.type) {
      case table_arg::kind::value:
        expression(*a.value);
        return;
      case table_arg::kind::table:
        out += "TABLE " + names(a.table);
        if (a.partition_by.size() == 1)
          out += " PARTITION BY " + quote_identifier(a.partition_by[0]);
        if (a.partition_by.size() > 1)
          out += " PARTITION BY " + name_list(a.partition_by);
        return;
      case table_arg::kind::descriptor:
        out += "DESCRIPTOR" + name_list(a.columns);
        return;
    }
  }

  // --- statements -----------------------------------------------------------------------------

  void statement_(const statement& s) {
    std::visit([this](const auto& body) { this->body(body); }, s.body);
  }

  void body(const create_table& c) {
    out += c.temporary ? "CREATE TEMPORARY TABLE " : "CREATE TABLE ";
    if (c.if_not_exists)
      out += "IF NOT EXISTS ";
    out += names(c.name);
    std::vector<std::string> elements;
    for (const column_def& col : c.columns) {
      printer p;
      p.out = quote_identifier(col.name);
      if (col.type) {
        p.out += ' ';
        p.type(*col.type);
      } else if (col.computed) {
        p.out += " AS ";
        p.expression(*col.computed);
      }
      if (col.comment)
        p.out += " COMMENT " + quote_string(*col.comment);
      elements.push_back(std::move(p.out));
    }
    if (c.watermark) {
      printer p;
      p.out = "WATERMARK FOR " + quote_identifier(c.watermark->column) + " AS ";
      p.expression(*c.watermark->strategy);
      elements.push_back(std::move(p.out));
    }
    if (!c.primary_key.empty()) {
      std::string pk;
      if (!c.constraint_name.empty())
        pk = "CONSTRAINT " + quote_identifier(c.constraint_name) + " ";
      elements.push_back(pk + "PRIMARY KEY " + name_list(c.primary_key) + " NOT ENFORCED");
    }
    if (!elements.empty()) {
      out += " (\n";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        out += "  " + elements[i] + (i + 1 < elements.size() ? ",\n" : "\n");
      }
      out += ')';
    }
    if (c.comment)
      out += " COMMENT " + quote_string(*c.comment);
    if (!c.partitioned_by.empty())
      out += " PARTITIONED BY " + name_list(c.partitioned_by);
    if (!c.options.empty()) {
      out += " WITH (\n";
      for (std::size_t i = 0; i < c.options.size(); ++i) {
        out += "  " + quote_string(c.options[i].key) + " = " + quote_string(c.options[i].value);
        out += i + 1 < c.options.size() ? ",\n" : "\n";
      }
      out += ')';
    }
  }

  void body(const create_view& v) {
    out += v.temporary ? "CREATE TEMPORARY VIEW " : "CREATE VIEW ";
    if (v.if_not_exists)
      out += "IF NOT EXISTS ";
    out += names(v.name);
    if (!v.columns.empty())
      out += " " + name_list(v.columns);
    if (v.comment)
      out += " COMMENT " + quote_string(*v.comment);
    out += " AS ";
    query_(*v.body);
  }

  void body(const create_function& f) {
    out += "CREATE ";
    if (f.temporary)
      out += "TEMPORARY ";
    if (f.system)
      out += "SYSTEM ";
    out += "FUNCTION ";
    if (f.if_not_exists)
      out += "IF NOT EXISTS ";
    out += names(f.name) + " AS " + quote_string(f.class_name);
    if (!f.language.empty())
      out += " LANGUAGE " + f.language;
  }

  void body(const drop_object& d) {
    out += "DROP ";
    if (d.temporary)
      out += "TEMPORARY ";
    if (d.system)
      out += "SYSTEM ";
    out += d.what == drop_object::kind::table  ? "TABLE "
           : d.what == drop_object::kind::view ? "VIEW "
                                               : "FUNCTION ";
    if (d.if_exists)
      out += "IF EXISTS ";
    out += names(d.name);
  }

  void body(const show_object& s) {
    out += "SHOW " + s.what;
    if (!s.name.empty())
      out += " " + names(s.name);
  }

  void body(const describe_object& d) {
    out += d.extended ? "DESCRIBE EXTENDED " : "DESCRIBE ";
    out += names(d.name);
  }

  void body(const explain_statement& e) {
    out += "EXPLAIN ";
    for (std::size_t i = 0; i < e.details.size(); ++i) {
      out += e.details[i] + (i + 1 < e.details.size() ? ", " : " ");
    }
    if (e.target)
      statement_(*e.target);
  }

  void body(const set_option& s) {
    out += "SET";
    if (s.key)
      out += " " + quote_string(*s.key) + " = " + quote_string(s.value.value_or(""));
  }

  void body(const reset_option& r) {
    out += "RESET";
    if (r.key)
      out += " " + quote_string(*r.key);
  }

  void body(const use_object& u) {
    out += u.catalog ? "USE CATALOG " : "USE ";
    out += names(u.name);
  }

  void body(const insert_into& i) {
    out += i.overwrite ? "INSERT OVERWRITE " : "INSERT INTO ";
    out += names(i.table);
    if (!i.columns.empty())
      out += " " + name_list(i.columns);
    out += ' ';
    query_(*i.source);
  }

  void body(const statement_set& s) {
    out += "EXECUTE STATEMENT SET\nBEGIN\n";
    for (const insert_into& i : s.inserts) {
      body(i);
      out += ";\n";
    }
    out += "END";
  }

  void body(const query_statement& q) { query_(*q.body); }
};

} // namespace

std::string quote_identifier(const std::string& name) {
  bool plain = plain_word(name);
  if (plain) {
    const std::string upper = upper_of(name);
    // Beside spate's reserved words: words that start literals or constructors when followed
    // by a string, '[' or '(', and words Flink reserves that often name columns, so that the
    // text is Flink's SQL too.
    static const std::set<std::string> also = {
        "ARRAY",    "MAP",         "ROW",       "DATE",    "TIME",     "TIMESTAMP",
        "X",        "VALUE",       "DAY",       "HOUR",    "MINUTE",   "SECOND",
        "MONTH",    "YEAR",        "USER",      "RANGE",   "ROWS",     "RESULT",
        "POSITION", "SYSTEM_TIME", "PARTITION", "CURRENT", "LANGUAGE", "COMMENT"};
    if (detail::is_reserved(upper) || also.count(upper) != 0)
      plain = false;
  }
  if (plain)
    return name;
  std::string out = "`";
  for (char c : name) {
    if (c == '`')
      out += '`';
    out += c;
  }
  return out + "`";
}

std::string quote_string(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += '\'';
    out += c;
  }
  return out + "'";
}

std::string to_sql(const statement& s) {
  printer p;
  p.statement_(s);
  return p.out;
}

std::string to_sql(const query& q) {
  printer p;
  p.query_(q);
  return p.out;
}

std::string to_sql(const expr& e) {
  printer p;
  p.expression(e);
  return p.out;
}

std::string to_sql(const data_type& t) {
  printer p;
  p.type(t);
  return p.out;
}

std::string to_sql(const table_ref& t) {
  printer p;
  p.table(t);
  return p.out;
}

} // namespace spate::sql
