// Each state kind against keys and namespaces, with the cache large, off (0)
// and tiny (4); registry checks; key groups; restart on the same directory.
#define BOOST_TEST_MODULE state_backend
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "state/state_test_util.hpp"

using namespace spate;
using spate::test::error_is;
using spate::test::make_options;
using spate::test::temp_dir;
namespace bdata = boost::unit_test::data;

namespace {

const std::vector<std::size_t> cache_sizes{1 << 16, 0, 4};
const std::vector<std::string> keys{"alice", "bob", "carol", "dave", "erin", "frank"};

// Selects namespace 0 (default), 1 or 2 (a window end, as windows will use).
void set_ns(keyed_state_backend& b, int ns) {
  if (ns == 0)
    b.set_default_namespace();
  else
    b.set_current_namespace(std::int64_t{ns * 1000});
}

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

BOOST_DATA_TEST_CASE(value_state_per_key_and_namespace, bdata::make(cache_sizes), cache) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), cache));
  auto& s = b.get_value_state(value_state_descriptor<std::string>{"names"});
  for (std::size_t k = 0; k < keys.size(); ++k) {
    b.set_current_key(keys[k]);
    for (int ns = 0; ns < 3; ++ns) {
      set_ns(b, ns);
      BOOST_TEST(!s.value().has_value());
      BOOST_TEST(s.get() == nullptr);
      BOOST_TEST(s.mutate() == nullptr);
      s.update(keys[k] + "/" + std::to_string(ns));
    }
  }
  // Clear one namespace of one key; the rest must be untouched.
  b.set_current_key(std::string("bob"));
  set_ns(b, 1);
  s.clear();
  for (std::size_t k = 0; k < keys.size(); ++k) {
    b.set_current_key(keys[k]);
    for (int ns = 0; ns < 3; ++ns) {
      set_ns(b, ns);
      BOOST_TEST_CONTEXT("key " << keys[k] << " ns " << ns) {
        if (keys[k] == "bob" && ns == 1) {
          BOOST_TEST(!s.value().has_value());
          continue;
        }
        std::string expected = keys[k] + "/" + std::to_string(ns);
        BOOST_TEST(s.value().value_or("") == expected);
        BOOST_REQUIRE(s.get() != nullptr);
        BOOST_TEST(*s.get() == expected);
      }
    }
  }
  // mutate() changes the stored value in place.
  b.set_current_key(std::string("carol"));
  set_ns(b, 2);
  std::string* p = s.mutate();
  BOOST_REQUIRE(p != nullptr);
  *p += "!";
  b.set_current_key(std::string("dave")); // another key in between
  BOOST_TEST(s.value().value_or("") == "dave/2");
  b.set_current_key(std::string("carol"));
  BOOST_TEST(s.value().value_or("") == "carol/2!");
}

BOOST_DATA_TEST_CASE(list_state_operations, bdata::make(cache_sizes), cache) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), cache));
  auto& s = b.get_list_state(list_state_descriptor<int>{"events"});
  for (int k = 0; k < 6; ++k) {
    b.set_current_key(k);
    for (int ns = 0; ns < 3; ++ns) {
      set_ns(b, ns);
      BOOST_TEST(s.get().empty());
      s.add(k);
      s.add_all({ns, 100});
      s.add_all({});
    }
  }
  for (int k = 0; k < 6; ++k) {
    b.set_current_key(k);
    for (int ns = 0; ns < 3; ++ns) {
      set_ns(b, ns);
      BOOST_TEST(s.get() == (std::vector<int>{k, ns, 100}), "key " << k << " ns " << ns);
    }
  }
  b.set_current_key(3);
  set_ns(b, 1);
  s.update({7, 8});
  BOOST_TEST(s.get() == (std::vector<int>{7, 8}));
  s.update({});
  BOOST_TEST(s.get().empty());
  s.add(9);
  BOOST_TEST(s.get() == (std::vector<int>{9}));
  s.clear();
  BOOST_TEST(s.get().empty());
  set_ns(b, 2);
  BOOST_TEST(s.get() == (std::vector<int>{3, 2, 100}));
}

BOOST_DATA_TEST_CASE(map_state_operations, bdata::make(cache_sizes), cache) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), cache));
  auto& s = b.get_map_state(map_state_descriptor<int, std::string>{"attrs"});
  for (int k = 0; k < 4; ++k) {
    b.set_current_key(std::string(keys[k]));
    for (int ns = 0; ns < 3; ++ns) {
      set_ns(b, ns);
      BOOST_TEST(s.is_empty());
      // Inserted out of order; msgpack positive fixints sort numerically.
      for (int uk : {5, 1, 3})
        s.put(uk, keys[k] + std::to_string(ns * 10 + uk));
    }
  }
  b.set_current_key(std::string("bob"));
  set_ns(b, 1);
  BOOST_TEST(s.get(3).value_or("") == "bob13");
  BOOST_TEST(!s.get(4).has_value());
  BOOST_TEST(s.contains(5));
  BOOST_TEST(!s.contains(6));
  s.remove(5);
  BOOST_TEST(!s.contains(5));
  s.put(1, "replaced");
  BOOST_TEST(s.keys() == (std::vector<int>{1, 3}));
  auto e = s.entries();
  BOOST_REQUIRE(e.size() == 2u);
  BOOST_TEST(e[0].second == "replaced");
  BOOST_TEST(e[1].second == "bob13");

  // The default namespace is a byte prefix of every other namespace of the
  // same key: iteration and clear() under it must not see those entries.
  set_ns(b, 0);
  BOOST_TEST(s.keys() == (std::vector<int>{1, 3, 5}));
  s.clear();
  BOOST_TEST(s.is_empty());
  BOOST_TEST(s.entries().empty());
  set_ns(b, 1);
  BOOST_TEST(s.keys() == (std::vector<int>{1, 3}));
  set_ns(b, 2);
  BOOST_TEST(s.keys() == (std::vector<int>{1, 3, 5}));
  s.clear();
  BOOST_TEST(s.is_empty());
  set_ns(b, 1);
  BOOST_TEST(s.keys() == (std::vector<int>{1, 3}));
  // Other keys are untouched.
  b.set_current_key(std::string("alice"));
  for (int ns = 0; ns < 3; ++ns) {
    set_ns(b, ns);
    BOOST_TEST(s.entries().size() == 3u);
    BOOST_TEST(s.get(5).value_or("") == "alice" + std::to_string(ns * 10 + 5));
  }
}

BOOST_DATA_TEST_CASE(reducing_and_aggregating_state, bdata::make(cache_sizes), cache) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), cache));
  auto& sum = b.get_reducing_state(reducing_state_descriptor<std::int64_t>{
      "sum", [](const std::int64_t& a, const std::int64_t& x) { return a + x; }});
  auto& avg = b.get_aggregating_state(average_descriptor());
  for (int k = 0; k < 5; ++k) {
    b.set_current_key(k);
    for (int ns = 0; ns < 2; ++ns) {
      set_ns(b, ns);
      BOOST_TEST(!sum.get().has_value());
      BOOST_TEST(!avg.get().has_value());
      for (int i = 1; i <= 4; ++i) {
        sum.add(k * 100 + ns * 10 + i);
        avg.add(k + ns + i);
      }
    }
  }
  for (int k = 0; k < 5; ++k) {
    b.set_current_key(k);
    for (int ns = 0; ns < 2; ++ns) {
      set_ns(b, ns);
      BOOST_TEST(sum.get().value_or(-1) == 4 * (k * 100 + ns * 10) + 10);
      BOOST_TEST(avg.get().value_or(-1) == double(k + ns) + 2.5);
    }
  }
  b.set_current_key(2);
  set_ns(b, 1);
  sum.clear();
  avg.clear();
  BOOST_TEST(!sum.get().has_value());
  BOOST_TEST(!avg.get().has_value());
  sum.add(5);
  avg.add(7);
  BOOST_TEST(sum.get().value_or(-1) == 5);
  BOOST_TEST(avg.get().value_or(-1) == 7.0);
  set_ns(b, 0);
  BOOST_TEST(sum.get().value_or(-1) == 4 * 200 + 10);
}

BOOST_AUTO_TEST_CASE(registry_returns_same_object_and_rejects_other_types) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 16));
  auto& a = b.get_value_state(value_state_descriptor<int>{"counter"});
  BOOST_TEST(&a == &b.get_value_state(value_state_descriptor<int>{"counter"}));
  BOOST_CHECK_EXCEPTION(b.get_value_state(value_state_descriptor<std::string>{"counter"}),
                        spate::error, error_is(errc::invalid_argument, "'counter'"));
  BOOST_CHECK_EXCEPTION(b.get_list_state(list_state_descriptor<int>{"counter"}), spate::error,
                        error_is(errc::invalid_argument, "'counter'"));
  BOOST_CHECK_EXCEPTION((b.get_map_state(map_state_descriptor<int, int>{"counter"})), spate::error,
                        error_is(errc::invalid_argument, "value state"));
  BOOST_CHECK_EXCEPTION(b.get_reducing_state(reducing_state_descriptor<int>{"r", {}}), spate::error,
                        error_is(errc::invalid_argument, "'r'"));
  BOOST_CHECK_EXCEPTION(b.get_value_state(value_state_descriptor<int>{"default"}), spate::error,
                        error_is(errc::invalid_argument, "'default'"));
  BOOST_CHECK_EXCEPTION(b.get_value_state(value_state_descriptor<int>{""}), spate::error,
                        error_is(errc::invalid_argument, "''"));
  // Access before any key is set is a programming error, not a crash.
  BOOST_CHECK_EXCEPTION(a.value(), spate::error, error_is(errc::failed_precondition, "'counter'"));
  BOOST_TEST(b.state_names() == (std::vector<std::string>{"counter"}));
}

BOOST_AUTO_TEST_CASE(key_group_assignment_and_range_check) {
  temp_dir dir;
  key_group_range lower{0, 63};
  keyed_state_backend b(make_options(dir.path(), 16, lower));
  BOOST_TEST(b.current_key_group() == -1);
  int checked = 0;
  for (int k = 0; k < 200; ++k) {
    int kg = key_group_for_hash(stable_hash<int>{}(k), 128);
    if (!lower.contains(kg))
      continue;
    b.set_current_key(k);
    BOOST_TEST(b.current_key_group() == kg);
    std::string encoded;
    encode(k, encoded);
    BOOST_TEST(b.current_key_bytes() == encoded);
    ++checked;
  }
  BOOST_TEST(checked > 50); // roughly half of 200 land in the lower half
  // A key of the other half is refused and the current key stays.
  int inside = spate::test::key_in_groups(lower, true);
  int outside = spate::test::key_in_groups(lower, false);
  b.set_current_key(inside);
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  v.update(1);
  BOOST_CHECK_EXCEPTION(b.set_current_key(outside), spate::error,
                        error_is(errc::nondeterministic, "outside"));
  BOOST_CHECK_EXCEPTION(b.set_current_key_raw(64, "\x01"), spate::error,
                        error_is(errc::internal, "64"));
  BOOST_TEST(b.current_key_group() == key_group_for_hash(stable_hash<int>{}(inside), 128));
  BOOST_TEST(v.value().value_or(0) == 1);
  // Another max parallelism changes the assignment accordingly.
  temp_dir dir2;
  keyed_state_backend small(make_options(dir2.path(), 16, {0, 15}, 16));
  for (int k = 0; k < 50; ++k) {
    small.set_current_key(k);
    BOOST_TEST(small.current_key_group() == key_group_for_hash(stable_hash<int>{}(k), 16));
    std::string user = "user-" + std::to_string(k);
    small.set_current_key(user);
    BOOST_TEST(small.current_key_group() ==
               key_group_for_hash(stable_hash<std::string>{}(user), 16));
  }
}
