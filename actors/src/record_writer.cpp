#include "spate/actors/record_writer.hpp"

namespace spate {

const char* to_string(partitioning p) {
  switch (p) {
    case partitioning::automatic:
      return "AUTOMATIC";
    case partitioning::forward:
      return "FORWARD";
    case partitioning::rebalance:
      return "REBALANCE";
    case partitioning::hash:
      return "HASH";
    case partitioning::broadcast:
      return "BROADCAST";
  }
  return "UNKNOWN";
}

} // namespace spate
