// Internals of the translation (planner.hpp): sources, sinks and the window aggregate.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spate/api/stream.hpp"
#include "spate/sql/plan.hpp"
#include "spate/sqlrt/planner.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql::detail {

//! The source of a TableSourceScan, by its 'connector' option; `uid` goes on the vertex that
//! keeps the source's state.
stream<row> make_source(environment& env, const plan_node& scan, const std::string& uid);

//! A Calc's work on one row of its input, for a source to run it on the rows it makes.
using row_function = std::function<void(const row&, collector<row>&)>;

//! Whether make_source(..., then) runs a Calc inside the source of `scan` (nexmark) instead of
//! after it.
bool source_takes_calc(const plan_node& scan);

//! A Calc without conditions that keeps its input's slots where they are and adds slots
//! computed from them (a table's computed columns, as the nexmark DDL's dateTime): a source can
//! build each output row itself, its columns in the first slots of a row of `slots` slots, and
//! `complete` it in place (the added slots computed, the input slots the output does not keep
//! made null), instead of building a row of its own for the Calc to copy.
struct extending_calc {
  std::size_t slots = 0;
  //! Per input slot: 1 when the output keeps it (else `complete` nulls it).
  std::vector<std::uint8_t> keep;
  std::function<void(row&)> complete;
};

//! The source of `scan` filling only the slots `demand` marks (1 per slot; the others stay
//! null where the connector can leave them out) and, when `then` is set and
//! source_takes_calc(scan), handing each row to `then` inside the source's operator (named
//! `then_name`, with uid `then_uid`) rather than emitting it. With `extend` (the same Calc as
//! `then`, when it has that form), the source may build the Calc's rows in place instead.
stream<row> make_source(environment& env, const plan_node& scan, const std::string& uid,
                        const std::vector<std::uint8_t>& demand, row_function then,
                        const std::string& then_name, const std::string& then_uid,
                        extending_calc extend = {});

//! Adds the connector sink of a Sink node.
void make_sink(stream<row>& in, const plan_node& sink, const std::string& uid);

//! A WindowAggregate over `input` (rows laid out as `in_layout`): the window operator assigns
//! the windows (the input is the window table function's input), or, with `start_column` and
//! `end_column`, the rows carry their windows in those columns.
stream<row> make_window_aggregate(stream<row>& input, const row_layout& in_layout,
                                  const plan_node& agg, const std::string& uid,
                                  int start_column = -1, int end_column = -1);

//! A GroupAggregate: +I, then -U/+U per changed result (over updates, -D for a key left
//! without rows). With `mini_batch` (table.exec.mini-batch.enabled), each input batch is
//! applied key by key and gives one change per key.
stream<row> make_group_aggregate(stream<row>& input, const row_layout& in_layout,
                                 const plan_node& agg, const std::string& uid, bool mini_batch);

//! A Join, IntervalJoin or WindowJoin of `left` and `right` (join.cpp): rows laid out as the
//! node's schema, left's columns then right's.
stream<row> make_join(stream<row>& left, const row_layout& left_layout, stream<row>& right,
                      const row_layout& right_layout, const plan_node& join,
                      const std::string& uid);

//! An OverAggregate over an insert-only `input` (window_aggregate.cpp): each row with its
//! aggregates over its ROWS or RANGE frame.
stream<row> make_over_aggregate(stream<row>& input, const row_layout& in_layout,
                                const plan_node& over, const std::string& uid);

//! A Rank (Top-N) or Deduplicate over `input` (rank.cpp).
stream<row> make_rank(stream<row>& input, const row_layout& in_layout, const plan_node& rank,
                      const std::string& uid);

//! A LookupJoin over `input` (lookup_join.cpp): each input row with the rows of the node's
//! table that match its keys (left ++ table), which every subtask reads whole when it opens
//! (and again after 'lookup.cache.ttl'). Throws invalid_argument naming the table for a wrong
//! option or a missing path.
stream<row> make_lookup_join(stream<row>& input, const row_layout& in_layout, const plan_node& join,
                             const std::string& uid);

//! An option of a connector: the value, or `fallback` when absent.
std::string option(const plan_node& n, const std::string& key, const std::string& fallback = "");
//! An integer option; throws invalid_argument naming the option for a non-integer.
std::int64_t int_option(const plan_node& n, const std::string& key, std::int64_t fallback);

} // namespace spate::sql::detail
