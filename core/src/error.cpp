#include "spate/core/error.hpp"

namespace spate {

const char* to_string(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return "invalid argument";
    case errc::io:
      return "i/o error";
    case errc::codec:
      return "codec error";
    case errc::state:
      return "state backend error";
    case errc::not_found:
      return "not found";
    case errc::corrupt:
      return "corrupt data";
    case errc::user_function:
      return "user function failed";
    case errc::cancelled:
      return "cancelled";
    case errc::unavailable:
      return "unavailable";
    case errc::timeout:
      return "timed out";
    case errc::nondeterministic:
      return "non-deterministic user function";
    case errc::failed_precondition:
      return "failed precondition";
    case errc::internal:
      return "internal error";
  }
  return "unknown error";
}

} // namespace spate
