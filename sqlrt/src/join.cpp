// Joins of the SQL runtime (translate.hpp): regular, interval and window joins.
#include "spate/core/error.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

stream<row> make_join(stream<row>&, const row_layout&, stream<row>&, const row_layout&,
                      const plan_node& join, const std::string&) {
  throw error(errc::invalid_argument, "not supported yet: " + join.operator_name());
}

} // namespace spate::sql::detail
