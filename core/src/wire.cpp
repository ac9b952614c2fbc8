#include "spate/core/wire.hpp"

#include <cstdlib>
#include <memory>

#include <cxxabi.h>

#include "spate/core/batch.hpp"
#include "spate/core/error.hpp"

namespace spate {

std::string type_name(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(t.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(t.name());
}

namespace detail {

void throw_not_serializable(const std::type_info& t) {
  throw error(errc::codec, "records of type '" + type_name(t) +
                               "' cannot be sent between processes: declare their fields with "
                               "SPATE_FIELDS(...) or specialize spate::wire_serializable");
}

void throw_bad_batch(const std::string& why) {
  throw error(errc::codec, "cannot decode a batch of records: " + why);
}

} // namespace detail
} // namespace spate
