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
  //! The job cannot do this now, though it may later: it is restarting,
  //! stopping or not running, so a savepoint or checkpoint is not taken or
  //! is aborted (also when a task declines it). Retrying may succeed.
  unavailable,
  //! Spate waited for its own work past a deadline (a savepoint that did not
  //! complete in time, an expired checkpoint). A connector's network timeout
  //! stays `io`.
  timeout,
  //! User code gave two answers for one input: a key selector (or a key's
  //! hash) that is not deterministic, seen as a key whose key group is not
  //! the subtask's the record was routed to.
  nondeterministic,
  //! The call is not allowed in the caller's current context, and retrying
  //! will not help: e.g. keyed state read or written outside a keyed context
  //! (before any key is set, such as in open()).
  failed_precondition,
  //! A bug in spate, and nothing else: one of its own invariants is broken.
  //! Anything a user, the environment or the job's state can cause has
  //! another code.
  internal,
};

const char* to_string(errc code);
inline std::ostream& operator<<(std::ostream& os, errc code) { return os << to_string(code); }

//! The exception spate throws; `code()` tells the kind, `what()` names the input.
class error : public std::runtime_error {
public:
  error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  errc code() const noexcept { return code_; }

private:
  errc code_;
};

} // namespace spate
