// Private helpers shared by the query files (not installed, not part of the API).
#pragma once

#include <cstdint>

#include "spate/nexmark/model.hpp"

namespace spate::nexmark::queries_detail {

inline constexpr std::int64_t ms_per_day = 86'400'000;

//! a / b rounded towards negative infinity.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

//! The key of a bid by its auction (q7, q9, q19, q20).
inline constexpr auto bid_auction = [](const bid& b) { return b.auction; };

} // namespace spate::nexmark::queries_detail
