// Top-N and deduplication of the SQL runtime (translate.hpp).
#include "spate/core/error.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

stream<row> make_rank(stream<row>&, const row_layout&, const plan_node& rank, const std::string&) {
  throw error(errc::invalid_argument, "not supported yet: " + rank.operator_name());
}

} // namespace spate::sql::detail
