// One SQL value as expressions and user-defined functions see it (expr.hpp, functions.hpp).
#pragma once

#include <cstdint>
#include <string_view>

namespace spate::sql {

//! One evaluated value: `i` for integer-kept types (booleans 0/1, decimals unscaled, times as
//! ms or days), `d` for FLOAT/DOUBLE, `s` for strings (a view into the input row or a node's
//! scratch, valid until the next evaluation).
struct value {
  std::int64_t i = 0;
  double d = 0;
  std::string_view s;
  bool null = true;
};

} // namespace spate::sql
