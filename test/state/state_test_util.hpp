// Helpers shared by the state backend tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>

#include <boost/test/unit_test.hpp>

#include "spate/core/error.hpp"
#include "spate/state/keyed_state_backend.hpp"

namespace spate {
//! Lets BOOST_TEST print key group ranges (found by ADL).
inline std::ostream& boost_test_print_type(std::ostream& os, key_group_range r) {
  return os << '[' << r.start << ", " << r.end << ']';
}
} // namespace spate

namespace spate::test {

//! A fresh directory under /tmp, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir() {
    std::string tmpl = "/tmp/spate-state-test-XXXXXX";
    if (!mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  //! A path inside the directory (not created).
  std::string sub(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

inline state_backend_options make_options(const std::string& dir, std::size_t cache,
                                          key_group_range groups = {0, 127},
                                          int max_parallelism = 128) {
  state_backend_options o;
  o.directory = dir;
  o.cache_max_entries = cache;
  o.key_groups = groups;
  o.max_parallelism = max_parallelism;
  return o;
}

//! A predicate for BOOST_CHECK_EXCEPTION: spate::error with `code` whose
//! message contains `needle` (the message is logged when it does not match).
inline auto error_is(errc code, std::string needle) {
  return [code, needle](const spate::error& e) {
    bool ok = e.code() == code && std::string(e.what()).find(needle) != std::string::npos;
    if (!ok)
      BOOST_TEST_MESSAGE("unexpected error (" << to_string(e.code()) << "): " << e.what());
    return ok;
  };
}

//! A key of type int whose key group (max parallelism 128) is in / not in `r`.
inline int key_in_groups(key_group_range r, bool inside, int start = 0) {
  for (int k = start;; ++k)
    if (r.contains(key_group_for_hash(stable_hash<int>{}(k), 128)) == inside)
      return k;
}

} // namespace spate::test

// Lets BOOST_TEST print std::optional operands.
namespace boost::test_tools::tt_detail {
template <class T>
struct print_log_value<std::optional<T>> {
  void operator()(std::ostream& os, const std::optional<T>& v) {
    if (v)
      print_log_value<T>()(os, *v);
    else
      os << "nullopt";
  }
};
} // namespace boost::test_tools::tt_detail
