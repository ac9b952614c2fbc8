// Opening and closing: bad options, a locked directory, and a restart on the
// same directory that must read back every state kind (clears included).
#define BOOST_TEST_MODULE state_lifecycle
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "state/state_test_util.hpp"

using namespace spate;
using spate::test::error_is;
using spate::test::make_options;
using spate::test::temp_dir;
namespace bdata = boost::unit_test::data;

namespace {

const std::vector<std::size_t> cache_sizes{1 << 16, 0, 4};

using avg_acc = std::pair<std::int64_t, std::int64_t>; // sum, count
aggregating_state_descriptor<int, avg_acc, double> average_descriptor() {
  return {"avg",
          [] {
            return avg_acc{0, 0};
          },
          [](const int& v, avg_acc a) {
            return avg_acc{a.first + v, a.second + 1};
          },
          [](const avg_acc& a) { return double(a.first) / double(a.second); },
          {}};
}

} // namespace

BOOST_AUTO_TEST_CASE(bad_options_and_locked_directory) {
  temp_dir dir;
  BOOST_CHECK_EXCEPTION(keyed_state_backend(make_options(dir.path(), 16, {0, 128})), spate::error,
                        error_is(errc::invalid_argument, "[0, 128]"));
  BOOST_CHECK_EXCEPTION(keyed_state_backend(make_options("", 16)), spate::error,
                        error_is(errc::invalid_argument, "directory"));
  keyed_state_backend first(make_options(dir.sub("a/b/c"), 16)); // parents created
  BOOST_CHECK_EXCEPTION(keyed_state_backend(make_options(dir.sub("a/b/c"), 16)), spate::error,
                        error_is(errc::state, dir.sub("a/b/c")));
}

BOOST_AUTO_TEST_CASE(discard_drops_the_working_state_without_writing_it) {
  // What a task does when it ends: nothing cached or held back is written,
  // the directory goes, and the backend can still be destroyed safely.
  temp_dir dir;
  const std::string path = dir.sub("work");
  {
    keyed_state_backend b(make_options(path, 1024));
    auto& v = b.get_value_state(value_state_descriptor<std::string>{"v"});
    timer_queue q(b, "_timers_event");
    for (int k = 0; k < 100; ++k) {
      b.set_current_key(k);
      v.update("value " + std::to_string(k));
      BOOST_TEST(q.add(k));
    }
    b.flush(); // some state reaches RocksDB's memtable
    b.set_current_key(7);
    v.update("changed");
    b.discard();
    BOOST_TEST(!std::filesystem::exists(path));
    b.discard(); // twice is harmless
  }
  // A backend opened there again starts empty.
  keyed_state_backend b(make_options(path, 1024));
  auto& v = b.get_value_state(value_state_descriptor<std::string>{"v"});
  b.set_current_key(7);
  BOOST_TEST(!v.value().has_value());
  timer_queue q(b, "_timers_event");
  BOOST_TEST(q.size() == 0u);
}

BOOST_DATA_TEST_CASE(restart_reads_back_everything, bdata::make(cache_sizes), cache) {
  temp_dir dir;
  value_state_descriptor<std::string> vd{"v"};
  list_state_descriptor<int> ld{"l"};
  map_state_descriptor<std::string, double> md{"m"};
  reducing_state_descriptor<int> rd{"r", [](const int& a, const int& x) { return a * x; }};
  {
    keyed_state_backend b(make_options(dir.path(), cache));
    auto& v = b.get_value_state(vd);
    auto& l = b.get_list_state(ld);
    auto& m = b.get_map_state(md);
    auto& r = b.get_reducing_state(rd);
    auto& a = b.get_aggregating_state(average_descriptor());
    for (int k = 0; k < 20; ++k) {
      b.set_current_key(k);
      v.update("v" + std::to_string(k));
      l.add_all({k, k + 1});
      m.put("x", k / 2.0);
      r.add(2);
      r.add(k);
      a.add(k);
    }
    b.flush();
    // Changes after the flush must survive too (the destructor flushes).
    for (int k = 0; k < 20; k += 2) {
      b.set_current_key(k);
      v.clear();
      l.clear();
      m.clear();
      r.clear();
      a.clear();
    }
    b.set_current_key(1);
    std::string* p = v.mutate();
    BOOST_REQUIRE(p != nullptr);
    *p += "-mutated";
  }
  keyed_state_backend b(make_options(dir.path(), cache));
  BOOST_TEST(b.state_names() == (std::vector<std::string>{"avg", "l", "m", "r", "v"}));
  auto& v = b.get_value_state(vd);
  auto& l = b.get_list_state(ld);
  auto& m = b.get_map_state(md);
  auto& r = b.get_reducing_state(rd);
  auto& a = b.get_aggregating_state(average_descriptor());
  for (int k = 0; k < 20; ++k) {
    b.set_current_key(k);
    BOOST_TEST_CONTEXT("key " << k) {
      if (k % 2 == 0) {
        BOOST_TEST(!v.value().has_value());
        BOOST_TEST(l.get().empty());
        BOOST_TEST(m.is_empty());
        BOOST_TEST(!r.get().has_value());
        BOOST_TEST(!a.get().has_value());
        continue;
      }
      BOOST_TEST(v.value().value_or("") == "v" + std::to_string(k) + (k == 1 ? "-mutated" : ""));
      BOOST_TEST(l.get() == (std::vector<int>{k, k + 1}));
      BOOST_TEST(m.get("x").value_or(-1) == k / 2.0);
      BOOST_TEST(r.get().value_or(-1) == 2 * k);
      BOOST_TEST(a.get().value_or(-1) == double(k));
    }
  }
}
