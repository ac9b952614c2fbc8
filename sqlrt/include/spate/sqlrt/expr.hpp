// Compiled SQL expressions: a plan's typed expression (`rex`, plan.hpp) compiled once per
// operator instance into a flat array of small nodes, evaluated per row into a `value` without
// allocating for numeric, boolean and temporal work (strings that functions build go into a
// scratch buffer the node owns and reuses).
//
// Semantics follow Flink: three-valued logic for AND/OR/NOT, NULL in gives NULL out for
// operators and most functions, DECIMAL arithmetic on the result type's scale (unscaled 64-bit
// values: a result beyond 18 digits is NULL, as Flink gives NULL on decimal overflow), integer
// division truncates, division by zero fails the job. Functions the evaluator does not know
// are refused when compiling: "not supported yet: function X".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/plan.hpp"
#include "spate/sql/value.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql {

class compiled_expr {
public:
  compiled_expr();
  compiled_expr(const compiled_expr&);
  compiled_expr(compiled_expr&&) noexcept;
  compiled_expr& operator=(const compiled_expr&);
  compiled_expr& operator=(compiled_expr&&) noexcept;
  ~compiled_expr();
  //! Compiles `e` over rows laid out as `input`. Throws spate::error(errc::invalid_argument,
  //! "not supported yet: ...") for what the evaluator cannot run.
  compiled_expr(const rex& e, const row_layout& input);
  //! Compiles several expressions over one input together (a Calc's conditions and
  //! projections), root i being `roots[i]`: a subexpression they share (q21's LOWER(channel) in
  //! its WHERE and in each WHEN of its CASE) is compiled once and evaluated at most once per
  //! row, when first needed. Calls of user-defined functions are never shared.
  compiled_expr(const std::vector<const rex*>& roots, const row_layout& input);

  //! The type of root 0.
  const logical_type& type() const;
  const logical_type& type(std::size_t root) const { return types_.at(root); }
  std::size_t roots() const { return roots_.size(); }

  //! Evaluates on `in` (root 0: a new row).
  void eval(const row& in, value& out);
  //! Evaluates a boolean: true only for TRUE (a WHERE condition).
  bool test(const row& in);
  //! Evaluates into slot `slot` of `out` (a scalar result).
  void eval_into(const row& in, row& out, std::size_t slot);

  //! The roots evaluated next are on another row: the values of shared subexpressions kept for
  //! the last one are dropped. Call it before each row's first eval_root/test_root/into_root.
  void next_row() { ++epoch_; }
  //! Root `root` on `in`, reusing the shared subexpressions already evaluated on it since
  //! next_row() (`in` must stay the same row until the next next_row()).
  void eval_root(std::size_t root, const row& in, value& out);
  bool test_root(std::size_t root, const row& in);
  void into_root(std::size_t root, const row& in, row& out, std::size_t slot);

  struct node;

private:
  std::vector<logical_type> types_;
  std::vector<node> nodes_;
  std::vector<int> roots_;
  //! Which row the shared subexpressions' kept values are for (node::memo_epoch).
  std::uint64_t epoch_ = 1;
};

//! Writes `v` (of type `t`) into `out`'s slot.
void store_value(const value& v, const logical_type& t, row& out, std::size_t slot);
//! Reads slot `slot` of `r` (of type `t`).
void load_value(const row& r, std::size_t slot, const logical_type& t, value& out);

//! The value of a literal rex (a constant), as the evaluator keeps it; strings in `storage`.
value literal_value(const rex& e, std::string& storage);

} // namespace spate::sql
