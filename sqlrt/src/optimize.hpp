// Rewrites and analyses of a logical plan before its translation (planner.cpp): Calc merging
// (Flink's CalcMergeRule) and the slots each subtree's consumers read, which the translation
// uses to leave unread columns and nested fields unfilled (projection push-down into the
// nexmark source and through Calcs, WatermarkAssigners, joins, aggregates, window table
// functions, Top-N, deduplication, OVER aggregates and unions, so that, e.g., the rows a join
// keeps in state carry only the columns read above it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spate/sql/plan.hpp"

namespace spate::sql::detail {

//! A plan subtree as text: its nodes' descriptions, children in order. Subtrees with equal keys
//! are translated once and feed every consumer (sub-plan reuse).
std::string subtree_key(const plan_node& n);

//! The plan with each Calc right over another Calc merged into one (the lower projection
//! substituted into the upper one's expressions, the conditions kept in order), as Flink's
//! CalcMergeRule does. Calcs are not merged when a non-deterministic expression of the lower
//! one would be evaluated more than once, or when a column's stored type would change. The
//! nodes of `plan` are not modified.
logical_plan merge_calcs(const logical_plan& plan);

//! What the consumers of each subtree (by subtree_key) read of its output: per slot of the
//! subtree's row layout, 1 when some consumer may read it. Roots read every slot. A node the
//! analysis does not know reads every slot of its inputs.
struct slot_demand {
  std::map<std::string, std::vector<std::uint8_t>> slots;
  //! How many distinct consumers (by their own subtree keys) each subtree has.
  std::map<std::string, int> consumers;
};

slot_demand demanded_slots(const logical_plan& plan);

//! The slots of `e`'s column references and nested field accesses, over `columns` (the input's
//! column types), marked in `mark` (sized to the input's slots).
void mark_slots(const rex& e, const std::vector<logical_type>& columns,
                std::vector<std::uint8_t>& mark);

} // namespace spate::sql::detail
