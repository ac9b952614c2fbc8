// The translation of a logical plan (plan.hpp) into a DataStream job: every node becomes
// operators on stream<row> (row.hpp) with expressions compiled by expr.hpp.
//
//   TableSourceScan     the table's connector: datagen, nexmark
//   Calc                one flat-map (filter and projection), chained to its input
//   WatermarkAssigner   timestamps from the rowtime column, watermarks rowtime - delay
//   WindowTableFunction rows with window_start, window_end, window_time appended (or, under a
//                       WindowAggregate, the window assigner of that aggregate)
//   WindowAggregate     keyed event-time windows (TUMBLE, HOP, CUMULATE) with COUNT, SUM, MIN,
//                       MAX, AVG, COUNT(DISTINCT) accumulators in keyed state (RocksDB)
//   GroupAggregate      the same accumulators per key, emitting +I, -U, +U (and -D over an
//                       updating input, with retraction)
//   Rank, Deduplicate   Top-N and deduplication on keyed process functions (rank.cpp)
//   Join, IntervalJoin, WindowJoin  keyed two-input operators (join.cpp)
//   Union               the inputs' streams united
//   Values              a bounded collection
//   Sink                print, blackhole, filesystem (json)
//
// Everything else is refused: "not supported yet: <operator>". Each operator's uid is derived
// from the plan (its description and its inputs'), so the same statement gets the same uids in
// every run and restores from a savepoint of an earlier one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "spate/api/environment.hpp"
#include "spate/api/functions.hpp"
#include "spate/sql/plan.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql {

//! The rows a query (not an INSERT) produces: its column names and layout.
struct query_output {
  std::vector<std::string> names;
  row_layout layout;
};

//! Where a query's rows go (a collecting or printing sink).
using query_sink_factory = std::function<sink_spec<row>(const query_output&)>;

//! Adds the operators of every root of `plan` to `env`. A sink root writes to its table's
//! connector; a query root ends in `query_sink` (required then). Throws
//! spate::error(errc::invalid_argument, "not supported yet: ...") for what cannot run yet, and
//! for invalid connector options.
void translate(environment& env, const logical_plan& plan,
               const query_sink_factory& query_sink = {});

//! The layout of a plan node's output rows.
row_layout layout_of(const plan_node& n);
//! Column names of a plan node's output.
std::vector<std::string> names_of(const plan_node& n);

} // namespace spate::sql
