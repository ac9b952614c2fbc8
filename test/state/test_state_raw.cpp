// Raw access for savepoints and rescaling: for_each_raw / put_raw, a mini
// rescale from one backend into two, and corrupt values.
#define BOOST_TEST_MODULE state_raw
#include <boost/test/unit_test.hpp>

#include <map>

#include "state/state_test_util.hpp"

using namespace spate;
using spate::test::error_is;
using spate::test::make_options;
using spate::test::temp_dir;

namespace {

int group_of(int key) { return key_group_for_hash(stable_hash<int>{}(key), 128); }

void copy_state(keyed_state_backend& from, keyed_state_backend& to, const std::string& name) {
  from.for_each_raw(name, to.key_groups(), [&](int kg, std::string_view key, std::string_view v) {
    to.put_raw(name, kg, key, v);
  });
}

} // namespace

BOOST_AUTO_TEST_CASE(rescale_one_backend_into_two) {
  temp_dir dir;
  value_state_descriptor<std::int64_t> vd{"count"};
  list_state_descriptor<std::string> ld{"names"};
  map_state_descriptor<int, int> md{"pairs"};
  keyed_state_backend source(make_options(dir.sub("source"), 16));
  auto& v = source.get_value_state(vd);
  auto& l = source.get_list_state(ld);
  auto& m = source.get_map_state(md);
  for (int k = 0; k < 500; ++k) {
    source.set_current_key(k);
    v.update(k * 7);
    l.add("n" + std::to_string(k));
    source.set_current_namespace(k % 3);
    m.put(k, -k);
    source.set_default_namespace();
  }
  // Visits come in key order with the right key group, bounded by the range.
  int last = -1;
  std::size_t in_range = 0;
  source.for_each_raw("count", {10, 20}, [&](int kg, std::string_view key, std::string_view) {
    BOOST_TEST(kg >= 10);
    BOOST_TEST(kg <= 20);
    BOOST_TEST(kg >= last);
    last = kg;
    BOOST_TEST(group_of(decode<int>(key)) == kg);
    ++in_range;
  });
  std::size_t expected = 0;
  for (int k = 0; k < 500; ++k)
    expected += group_of(k) >= 10 && group_of(k) <= 20;
  BOOST_TEST(in_range == expected);

  keyed_state_backend low(make_options(dir.sub("low"), 16, key_group_range_for_subtask(128, 2, 0)));
  keyed_state_backend high(
      make_options(dir.sub("high"), 0, key_group_range_for_subtask(128, 2, 1)));
  BOOST_TEST(low.key_groups() == (key_group_range{0, 63}));
  for (auto* target : {&low, &high})
    for (const auto& name : source.state_names())
      copy_state(source, *target, name);
  BOOST_TEST(low.state_names() == source.state_names());
  for (int k = 0; k < 500; ++k) {
    keyed_state_backend& owner = group_of(k) < 64 ? low : high;
    keyed_state_backend& other = group_of(k) < 64 ? high : low;
    BOOST_CHECK_EXCEPTION(other.set_current_key(k), spate::error,
                          error_is(errc::nondeterministic, "key group"));
    owner.set_current_key(k);
    BOOST_TEST(owner.get_value_state(vd).value().value_or(-1) == k * 7);
    BOOST_TEST(owner.get_list_state(ld).get() ==
               (std::vector<std::string>{"n" + std::to_string(k)}));
    auto& pairs = owner.get_map_state(md);
    BOOST_TEST(pairs.is_empty()); // the map entries live in namespace k % 3
    owner.set_current_namespace(k % 3);
    BOOST_TEST(pairs.get(k).value_or(0) == -k);
    owner.set_default_namespace();
  }
  std::size_t total = 0;
  for (auto* target : {&low, &high})
    target->for_each_raw("count", target->key_groups(),
                         [&](int, std::string_view, std::string_view) { ++total; });
  BOOST_TEST(total == 500u);
}

BOOST_AUTO_TEST_CASE(raw_access_errors_and_cache_invalidation) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 16, {0, 63}));
  BOOST_CHECK_EXCEPTION(b.for_each_raw("nope", {0, 63}, [](int, auto, auto) {}), spate::error,
                        error_is(errc::not_found, "'nope'"));
  BOOST_CHECK_EXCEPTION(b.put_raw("v", 64, "\x01", "\x01"), spate::error,
                        error_is(errc::invalid_argument, "64"));
  int k = spate::test::key_in_groups({0, 63}, true);
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  b.set_current_key(k);
  v.update(1);
  BOOST_TEST(v.value().value_or(0) == 1); // cached
  std::string value;
  encode(2, value);
  b.put_raw("v", b.current_key_group(), b.current_key_bytes(), value);
  BOOST_TEST(v.value().value_or(0) == 2); // the cached copy was dropped

  // put_raw creates the column family, which a reopened backend finds.
  b.put_raw("fresh", b.current_key_group(), b.current_key_bytes(), value);
  BOOST_TEST(b.state_names() == (std::vector<std::string>{"fresh", "v"}));
}

BOOST_AUTO_TEST_CASE(corrupt_values_give_codec_errors_naming_the_state) {
  temp_dir dir;
  for (std::size_t cache : {std::size_t{0}, std::size_t{16}}) {
    keyed_state_backend b(make_options(dir.sub("c" + std::to_string(cache)), cache));
    auto& v = b.get_value_state(value_state_descriptor<int>{"count"});
    auto& l = b.get_list_state(list_state_descriptor<int>{"items"});
    auto& m = b.get_map_state(map_state_descriptor<int, int>{"table"});
    b.set_current_key(std::string("k"));
    std::string garbage("\xc1\xff", 2); // 0xc1 is never used by msgpack
    std::string a_string;
    encode(std::string("not an int"), a_string);
    b.put_raw("count", b.current_key_group(), b.current_key_bytes(), garbage);
    b.put_raw("items", b.current_key_group(), b.current_key_bytes(), a_string);
    std::string map_key(b.current_key_bytes());
    encode(1, map_key);
    b.put_raw("table", b.current_key_group(), map_key, a_string);
    BOOST_CHECK_EXCEPTION(v.value(), spate::error, error_is(errc::codec, "'count'"));
    BOOST_CHECK_EXCEPTION(l.get(), spate::error, error_is(errc::codec, "'items'"));
    BOOST_CHECK_EXCEPTION(m.get(1), spate::error, error_is(errc::codec, "'table'"));
    BOOST_CHECK_EXCEPTION(m.entries(), spate::error, error_is(errc::codec, "'table'"));
    // The backend stays usable: overwriting repairs the entry.
    v.update(5);
    BOOST_TEST(v.value().value_or(0) == 5);
    b.flush();
    BOOST_TEST(v.value().value_or(0) == 5);
  }
}
