#include "spate/sql/types.hpp"

#include <algorithm>

namespace spate::sql {

logical_type logical_type::with_nullable(bool n) const {
  logical_type t = *this;
  t.nullable = n;
  return t;
}

logical_type logical_type::materialized() const {
  logical_type t = *this;
  t.attribute = time_attribute::none;
  return t;
}

logical_type make_type(logical_kind kind, bool not_null) {
  logical_type t;
  t.kind = kind;
  t.nullable = !not_null;
  if (kind == logical_kind::decimal) {
    t.precision = 10;
    t.scale = 0;
  } else if (kind == logical_kind::char_ || kind == logical_kind::binary) {
    t.precision = 1;
  } else if (kind == logical_kind::varchar || kind == logical_kind::varbinary) {
    t.precision = max_length;
  } else if (kind == logical_kind::timestamp || kind == logical_kind::timestamp_ltz) {
    t.precision = 6;
  } else if (kind == logical_kind::interval_day_time) {
    t.precision = 3;
  }
  return t;
}

logical_type make_decimal(int precision, int scale, bool not_null) {
  logical_type t = make_type(logical_kind::decimal, not_null);
  t.precision = precision;
  t.scale = scale;
  return t;
}

logical_type make_varchar(int length, bool not_null) {
  logical_type t = make_type(logical_kind::varchar, not_null);
  t.precision = length;
  return t;
}

logical_type make_char(int length, bool not_null) {
  logical_type t = make_type(logical_kind::char_, not_null);
  t.precision = length;
  return t;
}

logical_type make_timestamp(int precision, bool not_null) {
  logical_type t = make_type(logical_kind::timestamp, not_null);
  t.precision = precision;
  return t;
}

logical_type make_timestamp_ltz(int precision, bool not_null) {
  logical_type t = make_type(logical_kind::timestamp_ltz, not_null);
  t.precision = precision;
  return t;
}

logical_type make_rowtime(logical_type t) {
  t.attribute = time_attribute::rowtime;
  return t;
}

logical_type make_proctime() {
  logical_type t = make_timestamp_ltz(3, true);
  t.attribute = time_attribute::proctime;
  return t;
}

logical_type from_ast(const data_type& d) {
  logical_type t;
  auto p = [&d](int def) { return d.precision ? *d.precision : def; };
  switch (d.kind) {
    case type_kind::boolean:
      t = make_type(logical_kind::boolean);
      break;
    case type_kind::tinyint:
      t = make_type(logical_kind::tinyint);
      break;
    case type_kind::smallint:
      t = make_type(logical_kind::smallint);
      break;
    case type_kind::int_:
      t = make_type(logical_kind::int_);
      break;
    case type_kind::bigint:
      t = make_type(logical_kind::bigint);
      break;
    case type_kind::float_:
      t = make_type(logical_kind::float_);
      break;
    case type_kind::double_:
      t = make_type(logical_kind::double_);
      break;
    case type_kind::decimal:
      t = make_decimal(p(10), d.scale ? *d.scale : 0);
      break;
    case type_kind::char_:
      t = make_char(p(1));
      break;
    case type_kind::varchar:
      t = make_varchar(p(max_length));
      break;
    case type_kind::string:
      t = make_varchar(max_length);
      break;
    case type_kind::binary:
      t = make_type(logical_kind::binary);
      t.precision = p(1);
      break;
    case type_kind::varbinary:
      t = make_type(logical_kind::varbinary);
      t.precision = p(max_length);
      break;
    case type_kind::bytes:
      t = make_type(logical_kind::varbinary);
      break;
    case type_kind::date:
      t = make_type(logical_kind::date);
      break;
    case type_kind::time:
      t = make_type(logical_kind::time);
      t.precision = p(0);
      break;
    case type_kind::timestamp:
      t = make_timestamp(p(6));
      break;
    case type_kind::timestamp_ltz:
      t = make_timestamp_ltz(p(6));
      break;
    case type_kind::array:
      t = make_type(logical_kind::array);
      t.elements.push_back(from_ast(d.elements.at(0)));
      break;
    case type_kind::multiset:
      t = make_type(logical_kind::multiset);
      t.elements.push_back(from_ast(d.elements.at(0)));
      break;
    case type_kind::map:
      t = make_type(logical_kind::map);
      t.elements.push_back(from_ast(d.elements.at(0)));
      t.elements.push_back(from_ast(d.elements.at(1)));
      break;
    case type_kind::row:
      t = make_type(logical_kind::row);
      for (const row_field& f : d.fields)
        t.fields.push_back({f.name, from_ast(f.type)});
      break;
  }
  t.nullable = !d.not_null;
  return t;
}

namespace {

std::string base_summary(const logical_type& t) {
  const std::string p = std::to_string(t.precision);
  switch (t.kind) {
    case logical_kind::null:
      return "NULL";
    case logical_kind::boolean:
      return "BOOLEAN";
    case logical_kind::tinyint:
      return "TINYINT";
    case logical_kind::smallint:
      return "SMALLINT";
    case logical_kind::int_:
      return "INT";
    case logical_kind::bigint:
      return "BIGINT";
    case logical_kind::float_:
      return "FLOAT";
    case logical_kind::double_:
      return "DOUBLE";
    case logical_kind::decimal:
      return "DECIMAL(" + p + ", " + std::to_string(t.scale) + ")";
    case logical_kind::char_:
      return "CHAR(" + p + ")";
    case logical_kind::varchar:
      return t.precision == max_length ? "STRING" : "VARCHAR(" + p + ")";
    case logical_kind::binary:
      return "BINARY(" + p + ")";
    case logical_kind::varbinary:
      return t.precision == max_length ? "BYTES" : "VARBINARY(" + p + ")";
    case logical_kind::date:
      return "DATE";
    case logical_kind::time:
      return "TIME(" + p + ")";
    case logical_kind::timestamp:
      return "TIMESTAMP(" + p + ")";
    case logical_kind::timestamp_ltz:
      return "TIMESTAMP_LTZ(" + p + ")";
    case logical_kind::interval_year_month:
      return "INTERVAL MONTH";
    case logical_kind::interval_day_time:
      return "INTERVAL SECOND(" + p + ")";
    case logical_kind::array:
      return "ARRAY<" + to_string(t.elements.at(0)) + ">";
    case logical_kind::multiset:
      return "MULTISET<" + to_string(t.elements.at(0)) + ">";
    case logical_kind::map:
      return "MAP<" + to_string(t.elements.at(0)) + ", " + to_string(t.elements.at(1)) + ">";
    case logical_kind::row: {
      std::string out = "ROW<";
      for (std::size_t i = 0; i < t.fields.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += "`" + t.fields[i].name + "` " + to_string(t.fields[i].type);
      }
      return out + ">";
    }
    case logical_kind::symbol:
      return "SYMBOL";
  }
  return "?";
}

} // namespace

std::string to_string(const logical_type& t) {
  std::string out = base_summary(t);
  if (!t.nullable && t.kind != logical_kind::null)
    out += " NOT NULL";
  if (t.attribute == time_attribute::rowtime)
    out += " *ROWTIME*";
  else if (t.attribute == time_attribute::proctime)
    out += " *PROCTIME*";
  return out;
}

std::string sql_type_name(const logical_type& t) {
  const std::string p = std::to_string(t.precision);
  switch (t.kind) {
    case logical_kind::int_:
      return "INTEGER";
    case logical_kind::varchar:
      return "VARCHAR(" + p + ")";
    case logical_kind::varbinary:
      return "VARBINARY(" + p + ")";
    case logical_kind::timestamp_ltz:
      return "TIMESTAMP_WITH_LOCAL_TIME_ZONE(" + p + ")";
    case logical_kind::array:
      return sql_type_name(t.elements.at(0)) + " ARRAY";
    case logical_kind::multiset:
      return sql_type_name(t.elements.at(0)) + " MULTISET";
    case logical_kind::map:
      return "(" + sql_type_name(t.elements.at(0)) + ", " + sql_type_name(t.elements.at(1)) +
             ") MAP";
    case logical_kind::row: {
      std::string out = "RecordType(";
      for (std::size_t i = 0; i < t.fields.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += sql_type_name(t.fields[i].type) + " " + t.fields[i].name;
      }
      return out + ")";
    }
    case logical_kind::interval_year_month:
      return "INTERVAL YEAR TO MONTH";
    case logical_kind::interval_day_time:
      return "INTERVAL DAY TO SECOND";
    default:
      return base_summary(t);
  }
}

std::string type_family_name(const logical_type& t) {
  if (is_numeric(t))
    return "NUMERIC";
  if (is_character(t))
    return "CHARACTER";
  if (is_binary(t))
    return "BINARY";
  switch (t.kind) {
    case logical_kind::boolean:
      return "BOOLEAN";
    case logical_kind::date:
      return "DATE";
    case logical_kind::time:
      return "TIME";
    case logical_kind::timestamp:
      return "TIMESTAMP";
    case logical_kind::timestamp_ltz:
      return "TIMESTAMP_WITH_LOCAL_TIME_ZONE";
    case logical_kind::interval_year_month:
      return "INTERVAL_YEAR_MONTH";
    case logical_kind::interval_day_time:
      return "INTERVAL_DAY_TIME";
    case logical_kind::array:
      return "ARRAY";
    case logical_kind::multiset:
      return "MULTISET";
    case logical_kind::map:
      return "MAP";
    case logical_kind::row:
      return "ROW";
    case logical_kind::symbol:
      return "SYMBOL";
    default:
      return "ANY";
  }
}

bool operator==(const logical_type& a, const logical_type& b) {
  return a.kind == b.kind && a.precision == b.precision && a.scale == b.scale &&
         a.nullable == b.nullable && a.attribute == b.attribute && a.elements == b.elements &&
         a.fields == b.fields;
}
bool operator!=(const logical_type& a, const logical_type& b) { return !(a == b); }
bool operator==(const logical_field& a, const logical_field& b) {
  return a.name == b.name && a.type == b.type;
}

bool is_integer(const logical_type& t) {
  return t.kind == logical_kind::tinyint || t.kind == logical_kind::smallint ||
         t.kind == logical_kind::int_ || t.kind == logical_kind::bigint;
}
bool is_exact_numeric(const logical_type& t) {
  return is_integer(t) || t.kind == logical_kind::decimal;
}
bool is_numeric(const logical_type& t) {
  return is_exact_numeric(t) || t.kind == logical_kind::float_ || t.kind == logical_kind::double_;
}
bool is_character(const logical_type& t) {
  return t.kind == logical_kind::char_ || t.kind == logical_kind::varchar;
}
bool is_binary(const logical_type& t) {
  return t.kind == logical_kind::binary || t.kind == logical_kind::varbinary;
}
bool is_timestamp(const logical_type& t) {
  return t.kind == logical_kind::timestamp || t.kind == logical_kind::timestamp_ltz;
}
bool is_datetime(const logical_type& t) {
  return is_timestamp(t) || t.kind == logical_kind::date || t.kind == logical_kind::time;
}
bool is_interval(const logical_type& t) {
  return t.kind == logical_kind::interval_day_time || t.kind == logical_kind::interval_year_month;
}

int integer_rank(logical_kind k) {
  switch (k) {
    case logical_kind::tinyint:
      return 1;
    case logical_kind::smallint:
      return 2;
    case logical_kind::int_:
      return 3;
    case logical_kind::bigint:
      return 4;
    default:
      return 0;
  }
}

namespace {

//! Flink's rule for a DECIMAL too wide: keep the integer digits, give up scale down to 6.
logical_type bounded_decimal(int precision, int scale, bool nullable) {
  if (precision > max_decimal_precision) {
    const int int_digits = precision - scale;
    const int min_scale = std::min(scale, 6);
    scale = std::max(max_decimal_precision - int_digits, min_scale);
    precision = max_decimal_precision;
  }
  return make_decimal(precision, scale, !nullable);
}

} // namespace

logical_type as_decimal(const logical_type& t) {
  switch (t.kind) {
    case logical_kind::tinyint:
      return make_decimal(3, 0, !t.nullable);
    case logical_kind::smallint:
      return make_decimal(5, 0, !t.nullable);
    case logical_kind::int_:
      return make_decimal(10, 0, !t.nullable);
    case logical_kind::bigint:
      return make_decimal(19, 0, !t.nullable);
    default:
      return t.materialized();
  }
}

std::optional<logical_type> common_type(const std::vector<logical_type>& types) {
  bool nullable = false;
  std::vector<logical_type> known;
  for (const logical_type& t : types) {
    nullable = nullable || t.nullable || t.kind == logical_kind::null;
    if (t.kind != logical_kind::null)
      known.push_back(t.materialized());
  }
  if (known.empty())
    return make_type(logical_kind::null);
  logical_type out = known[0];
  for (std::size_t i = 1; i < known.size(); ++i) {
    const logical_type& t = known[i];
    if (is_numeric(out) && is_numeric(t)) {
      if (out.kind == logical_kind::double_ || t.kind == logical_kind::double_) {
        out = make_type(logical_kind::double_);
      } else if (out.kind == logical_kind::float_ || t.kind == logical_kind::float_) {
        out = make_type(logical_kind::float_);
      } else if (out.kind == logical_kind::decimal || t.kind == logical_kind::decimal) {
        const logical_type a = as_decimal(out);
        const logical_type b = as_decimal(t);
        const int scale = std::max(a.scale, b.scale);
        const int digits = std::max(a.precision - a.scale, b.precision - b.scale);
        out = make_decimal(std::min(max_decimal_precision, digits + scale), scale);
      } else if (integer_rank(t.kind) > integer_rank(out.kind)) {
        out = t;
      }
    } else if (is_character(out) && is_character(t)) {
      const int length = std::max(out.precision, t.precision);
      out = out.kind == logical_kind::char_ && t.kind == logical_kind::char_ ? make_char(length)
                                                                             : make_varchar(length);
    } else if (is_binary(out) && is_binary(t)) {
      const int length = std::max(out.precision, t.precision);
      out.kind = out.kind == logical_kind::binary && t.kind == logical_kind::binary
                     ? logical_kind::binary
                     : logical_kind::varbinary;
      out.precision = length;
    } else if (is_timestamp(out) && is_timestamp(t)) {
      if (out.kind != t.kind)
        return std::nullopt;
      out.precision = std::max(out.precision, t.precision);
    } else if (is_timestamp(out) && t.kind == logical_kind::date) {
      // stays the timestamp
    } else if (out.kind == logical_kind::date && is_timestamp(t)) {
      out = t;
    } else if (out.kind == t.kind &&
               (out.kind == logical_kind::array || out.kind == logical_kind::multiset)) {
      auto e = common_type({out.elements[0], t.elements[0]});
      if (!e)
        return std::nullopt;
      out.elements[0] = *e;
    } else if (out.kind == t.kind && out.kind == logical_kind::map) {
      auto k = common_type({out.elements[0], t.elements[0]});
      auto v = common_type({out.elements[1], t.elements[1]});
      if (!k || !v)
        return std::nullopt;
      out.elements = {*k, *v};
    } else if (out.kind == t.kind && out.kind == logical_kind::row) {
      if (out.fields.size() != t.fields.size())
        return std::nullopt;
      for (std::size_t f = 0; f < out.fields.size(); ++f) {
        auto c = common_type({out.fields[f].type, t.fields[f].type});
        if (!c)
          return std::nullopt;
        out.fields[f].type = *c;
      }
    } else if (out.kind == t.kind) {
      out.precision = std::max(out.precision, t.precision);
    } else {
      return std::nullopt;
    }
  }
  out.nullable = nullable;
  out.attribute = time_attribute::none;
  return out;
}

bool comparable(const logical_type& a, const logical_type& b) {
  if (a.kind == logical_kind::null || b.kind == logical_kind::null)
    return true;
  if (is_numeric(a) && is_numeric(b))
    return true;
  if (is_character(a) && is_character(b))
    return true;
  if (is_binary(a) && is_binary(b))
    return true;
  const bool ad = is_timestamp(a) || a.kind == logical_kind::date;
  const bool bd = is_timestamp(b) || b.kind == logical_kind::date;
  if (ad && bd)
    return true;
  if (a.kind == logical_kind::array && b.kind == logical_kind::array)
    return comparable(a.elements[0], b.elements[0]);
  if (a.kind == logical_kind::row && b.kind == logical_kind::row)
    return common_type({a, b}).has_value();
  return a.kind == b.kind && a.kind != logical_kind::map && a.kind != logical_kind::multiset &&
         a.kind != logical_kind::symbol;
}

std::optional<logical_type> arithmetic_type(char op, const logical_type& a0,
                                            const logical_type& b0) {
  const logical_type a = a0.materialized();
  const logical_type b = b0.materialized();
  const bool nullable = a.nullable || b.nullable;
  if (is_numeric(a) && is_numeric(b)) {
    if (a.kind == logical_kind::double_ || b.kind == logical_kind::double_)
      return make_type(logical_kind::double_, !nullable);
    if (a.kind == logical_kind::float_ || b.kind == logical_kind::float_)
      return make_type(logical_kind::float_, !nullable);
    if (a.kind == logical_kind::decimal || b.kind == logical_kind::decimal) {
      const logical_type x = as_decimal(a);
      const logical_type y = as_decimal(b);
      const int p1 = x.precision, s1 = x.scale, p2 = y.precision, s2 = y.scale;
      switch (op) {
        case '+':
        case '-': {
          const int scale = std::max(s1, s2);
          return bounded_decimal(std::max(p1 - s1, p2 - s2) + scale + 1, scale, nullable);
        }
        case '*':
          return bounded_decimal(p1 + p2, s1 + s2, nullable);
        case '/': {
          const int scale = std::max(6, s1 + p2 + 1);
          return bounded_decimal(p1 - s1 + s2 + scale, scale, nullable);
        }
        default: { // %
          const int scale = std::max(s1, s2);
          return bounded_decimal(std::min(p1 - s1, p2 - s2) + scale, scale, nullable);
        }
      }
    }
    if (op == '%')
      return b.with_nullable(nullable);
    return (integer_rank(a.kind) >= integer_rank(b.kind) ? a : b).with_nullable(nullable);
  }
  if (op == '+' || op == '-') {
    if ((is_timestamp(a) || a.kind == logical_kind::date || a.kind == logical_kind::time) &&
        is_interval(b))
      return a.with_nullable(nullable);
    if (op == '+' && is_interval(a) &&
        (is_timestamp(b) || b.kind == logical_kind::date || b.kind == logical_kind::time))
      return b.with_nullable(nullable);
    if (is_interval(a) && a.kind == b.kind)
      return a.with_nullable(nullable);
  }
  if ((op == '*' || op == '/') && is_interval(a) && is_numeric(b))
    return a.with_nullable(nullable);
  if (op == '*' && is_numeric(a) && is_interval(b))
    return b.with_nullable(nullable);
  return std::nullopt;
}

bool can_cast(const logical_type& from, const logical_type& to) {
  if (from.kind == logical_kind::null)
    return true;
  if (from.kind == to.kind && from.kind != logical_kind::array && from.kind != logical_kind::row &&
      from.kind != logical_kind::map && from.kind != logical_kind::multiset)
    return true;
  if (is_character(from) || is_character(to)) {
    // strings cast to and from every scalar type; ARRAY, MAP and MULTISET cast to strings
    // (Flink 1.15+: [1, 2], {a=1})
    if (is_character(to) && (from.kind == logical_kind::array || from.kind == logical_kind::map ||
                             from.kind == logical_kind::multiset))
      return true;
    return from.kind != logical_kind::array && from.kind != logical_kind::map &&
           from.kind != logical_kind::multiset && from.kind != logical_kind::row &&
           to.kind != logical_kind::array && to.kind != logical_kind::map &&
           to.kind != logical_kind::multiset && to.kind != logical_kind::row;
  }
  if (is_numeric(from) && is_numeric(to))
    return true;
  if ((from.kind == logical_kind::boolean && is_numeric(to)) ||
      (is_numeric(from) && to.kind == logical_kind::boolean))
    return true;
  if (is_binary(from) && is_binary(to))
    return true;
  const bool fd = is_timestamp(from) || from.kind == logical_kind::date;
  const bool td = is_timestamp(to) || to.kind == logical_kind::date;
  if (fd && td)
    return true;
  if ((is_timestamp(from) && to.kind == logical_kind::time) ||
      (from.kind == logical_kind::time && is_timestamp(to)))
    return true;
  if (from.kind == logical_kind::timestamp_ltz && is_numeric(to))
    return true;
  if (is_exact_numeric(from) && to.kind == logical_kind::timestamp_ltz)
    return true;
  if (is_interval(from) && is_exact_numeric(to))
    return true;
  if (is_exact_numeric(from) && is_interval(to))
    return true;
  if (from.kind == to.kind &&
      (from.kind == logical_kind::array || from.kind == logical_kind::multiset))
    return can_cast(from.elements[0], to.elements[0]);
  if (from.kind == to.kind && from.kind == logical_kind::map)
    return can_cast(from.elements[0], to.elements[0]) && can_cast(from.elements[1], to.elements[1]);
  if (from.kind == to.kind && from.kind == logical_kind::row) {
    if (from.fields.size() != to.fields.size())
      return false;
    for (std::size_t i = 0; i < from.fields.size(); ++i)
      if (!can_cast(from.fields[i].type, to.fields[i].type))
        return false;
    return true;
  }
  return false;
}

bool can_assign(const logical_type& from, const logical_type& to) {
  if (from.kind == logical_kind::null)
    return true;
  if (from.kind == to.kind && from.kind != logical_kind::array && from.kind != logical_kind::row &&
      from.kind != logical_kind::map && from.kind != logical_kind::multiset &&
      from.kind != logical_kind::decimal && !is_integer(from))
    return true;
  if (is_numeric(from) && is_numeric(to)) {
    if (to.kind == logical_kind::double_)
      return true;
    if (to.kind == logical_kind::float_)
      return from.kind != logical_kind::double_;
    if (is_integer(to))
      return is_integer(from) && integer_rank(from.kind) <= integer_rank(to.kind);
    if (to.kind == logical_kind::decimal && is_exact_numeric(from)) {
      const logical_type d = as_decimal(from);
      return d.scale <= to.scale && d.precision - d.scale <= to.precision - to.scale;
    }
    return false;
  }
  if (is_character(from) && is_character(to))
    return true;
  if (is_binary(from) && is_binary(to))
    return true;
  if (is_timestamp(from) && is_timestamp(to))
    return true;
  if (from.kind == logical_kind::date && is_timestamp(to))
    return true;
  if (from.kind == to.kind &&
      (from.kind == logical_kind::array || from.kind == logical_kind::multiset))
    return can_assign(from.elements[0], to.elements[0]);
  if (from.kind == to.kind && from.kind == logical_kind::map)
    return can_assign(from.elements[0], to.elements[0]) &&
           can_assign(from.elements[1], to.elements[1]);
  if (from.kind == to.kind && from.kind == logical_kind::row) {
    if (from.fields.size() != to.fields.size())
      return false;
    for (std::size_t i = 0; i < from.fields.size(); ++i)
      if (!can_assign(from.fields[i].type, to.fields[i].type))
        return false;
    return true;
  }
  return false;
}

} // namespace spate::sql
