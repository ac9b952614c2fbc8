// Errors that end an operation. Third-party failures are converted into these
// at the adapter, keeping the original message.
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>

namespace spate {

enum class errc {
  invalid_argument, //!< a user-supplied value (flag, option, configuration) is wrong
  io,               //!< a file or socket operation failed
  codec,            //!< bytes could not be decoded into the expected type
  state,            //!< the state backend (RocksDB) reported an error
  not_found,        //!< a named thing (job, file, state) does not exist
  corrupt,          //!< stored data failed a consistency check
  user_function,    //!< a user function threw
  cancelled,        //!< the operation was cancelled
  internal,         //!< a bug in spate
};

const char* to_string(errc code);
inline std::ostream& operator<<(std::ostream& os, errc code) { return os << to_string(code); }

//! The exception spate throws; `code()` tells the kind, `what()` names the input.
class error : public std::runtime_error {
public:
  error(errc code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  errc code() const noexcept { return code_; }

private:
  errc code_;
};

} // namespace spate
