// A SQL statement that must be refused: the test fails if it runs, or if the error does not
// name every part expected.
#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "spate/core/error.hpp"
#include "spate/sqlrt/table_environment.hpp"

namespace spate::test {

inline void expect_refused(sql::table_environment& t, const std::string& sql,
                           const std::vector<std::string>& parts) {
  try {
    auto r = t.execute_sql(sql);
    if (r.job)
      r.wait();
    BOOST_ERROR("ran: " << sql);
  } catch (const spate::error& e) {
    const std::string what = e.what();
    for (const auto& p : parts)
      BOOST_TEST(what.find(p) != std::string::npos, "'" << p << "' not in: " << what);
  }
}

} // namespace spate::test
