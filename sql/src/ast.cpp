#include "spate/sql/ast.hpp"

#include <tuple>

namespace spate::sql {

// Each node is equal to another when the fields named here are: every field but pos.
#define SPATE_SQL_EQUAL(T, ...)                                                                    \
  bool operator==(const T& a, const T& b) {                                                        \
    auto fields = [](const T& x) { return std::tie(__VA_ARGS__); };                                \
    return fields(a) == fields(b);                                                                 \
  }

SPATE_SQL_EQUAL(data_type, x.kind, x.precision, x.scale, x.not_null, x.elements, x.fields)
SPATE_SQL_EQUAL(row_field, x.name, x.type, x.description)
SPATE_SQL_EQUAL(order_item, x.value, x.descending, x.nulls_first)
SPATE_SQL_EQUAL(frame_bound, x.type, x.offset)
SPATE_SQL_EQUAL(window_frame, x.rows, x.start, x.end)
SPATE_SQL_EQUAL(window_spec, x.partition_by, x.order_by, x.frame)
SPATE_SQL_EQUAL(expr, x.kind, x.names, x.lit, x.text, x.unit, x.unit_to, x.oper, x.negated,
                x.distinct, x.star_arg, x.no_parens, x.try_cast, x.ceil, x.args, x.operand,
                x.else_value, x.filter, x.over, x.subquery, x.type)
SPATE_SQL_EQUAL(select_item, x.value, x.alias)
SPATE_SQL_EQUAL(cte, x.name, x.columns, x.body)
SPATE_SQL_EQUAL(query, x.kind, x.with, x.distinct, x.items, x.from, x.where, x.group_by, x.having,
                x.set, x.all, x.left, x.right, x.rows, x.order_by, x.limit, x.offset)
SPATE_SQL_EQUAL(table_arg, x.type, x.name, x.value, x.table, x.partition_by, x.columns)
SPATE_SQL_EQUAL(table_ref, x.kind, x.name, x.system_time, x.subquery, x.lateral, x.function, x.args,
                x.unnest_args, x.alias, x.column_aliases, x.join, x.left, x.right, x.on,
                x.using_columns)
SPATE_SQL_EQUAL(column_def, x.name, x.type, x.computed, x.comment)
SPATE_SQL_EQUAL(watermark_def, x.column, x.strategy)
SPATE_SQL_EQUAL(table_option, x.key, x.value)
SPATE_SQL_EQUAL(create_table, x.name, x.temporary, x.if_not_exists, x.columns, x.watermark,
                x.primary_key, x.constraint_name, x.comment, x.partitioned_by, x.options)
SPATE_SQL_EQUAL(create_view, x.name, x.temporary, x.if_not_exists, x.columns, x.comment, x.body)
SPATE_SQL_EQUAL(create_function, x.name, x.temporary, x.system, x.if_not_exists, x.class_name,
                x.language)
SPATE_SQL_EQUAL(drop_object, x.what, x.name, x.temporary, x.system, x.if_exists)
SPATE_SQL_EQUAL(show_object, x.what, x.name)
SPATE_SQL_EQUAL(describe_object, x.name, x.extended)
SPATE_SQL_EQUAL(explain_statement, x.details, x.target)
SPATE_SQL_EQUAL(set_option, x.key, x.value)
SPATE_SQL_EQUAL(reset_option, x.key)
SPATE_SQL_EQUAL(use_object, x.catalog, x.name)
SPATE_SQL_EQUAL(insert_into, x.overwrite, x.table, x.columns, x.source)
SPATE_SQL_EQUAL(statement_set, x.inserts)
SPATE_SQL_EQUAL(query_statement, x.body)
SPATE_SQL_EQUAL(statement, x.body)

#undef SPATE_SQL_EQUAL

} // namespace spate::sql
