// The write-back cache: bounded size, write-back on eviction and flush, and a
// seeded randomized comparison of every state kind against a std::map model,
// with flushes and restarts, for cache sizes 0, 4 and large.
#define BOOST_TEST_MODULE state_cache
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <random>
#include <thread>
#include <memory>
#include <new>

#include "spate/state/flat_table.hpp"
#include "spate/state/key_filter.hpp"
#include "state/state_test_util.hpp"
#include "support/seed.hpp"

using namespace spate;
using spate::test::make_options;
using spate::test::temp_dir;
namespace bdata = boost::unit_test::data;

// Heap allocations made by this thread (RocksDB's background threads do not count).
// (GCC flags free() of memory from operator new once it inlines these; here
// both sides are ours and use malloc/free.)
thread_local std::size_t thread_allocations = 0;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  ++thread_allocations;
  if (void* p = std::malloc(n ? n : 1))
    return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { // std::stable_sort's buffer
  ++thread_allocations;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

// Named (not anonymous): the data test case is a template whose lambdas capture these.
namespace cache_test {

std::size_t count_raw(keyed_state_backend& b, const std::string& state) {
  std::size_t n = 0;
  b.for_each_raw(state, b.key_groups(), [&](int, std::string_view, std::string_view) { ++n; });
  return n;
}

using avg_acc = std::pair<std::int64_t, std::int64_t>;
using slot = std::pair<int, int>; // key, namespace

// The backend under test and its states; rebuilt on every restart.
struct system_under_test {
  std::unique_ptr<keyed_state_backend> b;
  value_state<std::string>* v = nullptr;
  list_state<int>* l = nullptr;
  map_state<int, int>* m = nullptr;
  reducing_state<std::int64_t>* r = nullptr;
  aggregating_state<int, avg_acc, double>* a = nullptr;

  void open(const state_backend_options& o) {
    b.reset(); // the old backend must release the directory first
    b = std::make_unique<keyed_state_backend>(o);
    v = &b->get_value_state(value_state_descriptor<std::string>{"v"});
    l = &b->get_list_state(list_state_descriptor<int>{"l"});
    m = &b->get_map_state(map_state_descriptor<int, int>{"m"});
    r = &b->get_reducing_state(reducing_state_descriptor<std::int64_t>{
        "r", [](const std::int64_t& x, const std::int64_t& y) { return x + y; }});
    a = &b->get_aggregating_state(aggregating_state_descriptor<int, avg_acc, double>{
        "a",
        [] {
          return avg_acc{0, 0};
        },
        [](const int& x, avg_acc acc) {
          return avg_acc{acc.first + x, acc.second + 1};
        },
        [](const avg_acc& acc) { return double(acc.first) / double(acc.second); },
        {}});
  }
  void select(slot s) {
    b->set_current_key(s.first);
    if (s.second == 0)
      b->set_default_namespace();
    else
      b->set_current_namespace(std::string("window-") + std::to_string(s.second));
  }
};

// What the states should hold.
struct model {
  std::map<slot, std::string> v;
  std::map<slot, std::vector<int>> l;
  std::map<slot, std::map<int, int>> m;
  std::map<slot, std::int64_t> r;
  std::map<slot, avg_acc> a;
};

template <class M>
auto lookup(const M& m, slot s) -> std::optional<typename M::mapped_type> {
  auto it = m.find(s);
  if (it == m.end())
    return std::nullopt;
  return it->second;
}

void check_slot(system_under_test& t, const model& md, slot s) {
  BOOST_TEST_CONTEXT("key " << s.first << " ns " << s.second) {
    BOOST_TEST(t.v->value() == lookup(md.v, s));
    BOOST_TEST(t.l->get() == lookup(md.l, s).value_or(std::vector<int>{}));
    auto expected = lookup(md.m, s).value_or(std::map<int, int>{});
    auto entries = t.m->entries();
    BOOST_TEST((std::map<int, int>(entries.begin(), entries.end())) == expected);
    BOOST_TEST(t.m->is_empty() == expected.empty());
    BOOST_TEST(t.r->get() == lookup(md.r, s));
    auto acc = lookup(md.a, s);
    auto avg = t.a->get();
    BOOST_TEST(avg.has_value() == acc.has_value());
    if (acc && avg)
      BOOST_TEST(*avg == double(acc->first) / double(acc->second));
  }
}

} // namespace cache_test

using namespace cache_test;

// 64 entries: the cache is complete (a new state) until its first eviction,
// with Deletes of cleared entries still listed when that comes. With ingest 1,
// every flush and checkpoint write goes to RocksDB as ingested SST files.
BOOST_DATA_TEST_CASE(randomized_against_model,
                     bdata::make({std::size_t{0}, std::size_t{4}, std::size_t{64},
                                  std::size_t{1} << 16}) *
                         bdata::make({std::size_t{1}, default_ingest_min_entries}),
                     cache, ingest) {
  const std::uint64_t seed =
      spate::test::test_seed("randomized_against_model cache=" + std::to_string(cache) +
                             " ingest=" + std::to_string(ingest));
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  temp_dir dir;
  auto options = make_options(dir.path(), cache);
  options.ingest_min_entries = ingest;
  system_under_test t;
  t.open(options);
  model md;
  const std::size_t bound = cache == 0 ? 1 : cache;
  for (int step = 0; step < 4000; ++step) {
    slot s{pick(30), pick(3)};
    t.select(s);
    int x = pick(1000);
    switch (pick(20)) {
      case 0:
        t.v->update("s" + std::to_string(x));
        md.v[s] = "s" + std::to_string(x);
        break;
      case 1:
        t.v->clear();
        md.v.erase(s);
        break;
      case 2:
        if (std::string* p = t.v->mutate()) {
          BOOST_REQUIRE(md.v.count(s));
          *p += "+";
          md.v[s] += "+";
        } else {
          BOOST_TEST(!md.v.count(s));
        }
        break;
      case 3:
        t.l->add(x);
        md.l[s].push_back(x);
        break;
      case 4:
        t.l->add_all({x, x + 1});
        md.l[s].insert(md.l[s].end(), {x, x + 1});
        break;
      case 5:
        t.l->update({x});
        md.l[s] = {x};
        break;
      case 6:
        t.l->clear();
        md.l.erase(s);
        break;
      case 7:
        t.m->put(x % 10, x);
        md.m[s][x % 10] = x;
        break;
      case 8:
        t.m->remove(x % 10);
        if (md.m.count(s))
          md.m[s].erase(x % 10);
        break;
      case 9:
        t.m->clear();
        md.m.erase(s);
        break;
      case 10: {
        auto it = md.m.find(s);
        bool has = it != md.m.end() && it->second.count(x % 10);
        BOOST_TEST(t.m->contains(x % 10) == has);
        BOOST_TEST(t.m->get(x % 10) ==
                   (has ? std::optional<int>(it->second.at(x % 10)) : std::nullopt));
        break;
      }
      case 11:
        t.r->add(x);
        md.r[s] += x;
        break;
      case 12:
        t.r->clear();
        md.r.erase(s);
        break;
      case 13:
        t.a->add(x);
        md.a[s].first += x;
        md.a[s].second += 1;
        break;
      case 14:
        t.a->clear();
        md.a.erase(s);
        break;
      case 15:
        if (pick(2) == 0)
          t.b->flush();
        else // a checkpoint's write, applied here instead of on the uploader
          t.b->prepare_flush()->apply([](rocksdb::DB*) {});
        break;
      case 16:
        if (pick(10) == 0) {
          t.open(options);
          break;
        }
        [[fallthrough]];
      default:
        check_slot(t, md, s);
        break;
    }
    BOOST_TEST(t.v->cached_entries() <= bound);
    BOOST_TEST(t.l->cached_entries() <= bound);
    BOOST_TEST(t.a->cached_entries() <= bound);
  }
  auto check_all = [&] {
    for (int k = 0; k < 30; ++k)
      for (int ns = 0; ns < 3; ++ns) {
        t.select({k, ns});
        check_slot(t, md, {k, ns});
      }
  };
  check_all();
  t.open(options);
  check_all();
  BOOST_TEST(count_raw(*t.b, "v") == md.v.size());
}

BOOST_AUTO_TEST_CASE(flush_writes_back_and_keeps_entries_cached) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 16));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  auto& l = b.get_list_state(list_state_descriptor<int>{"l"});
  for (int k = 0; k < 5; ++k) {
    b.set_current_key(k);
    v.update(k);
    l.add(k);
  }
  BOOST_TEST(v.dirty_count() == 5u);
  BOOST_TEST(l.dirty_count() == 5u);
  b.flush();
  BOOST_TEST(v.dirty_count() == 0u);
  BOOST_TEST(l.dirty_count() == 0u);
  BOOST_TEST(v.cached_entries() == 5u);
  BOOST_TEST(count_raw(b, "v") == 5u);
  BOOST_TEST(count_raw(b, "l") == 5u);
  b.set_current_key(3);
  v.clear(); // a cached clear is written back as a Delete
  BOOST_TEST(v.dirty_count() == 1u);
  BOOST_TEST(count_raw(b, "v") == 4u);
  BOOST_TEST(v.dirty_count() == 0u);
}

BOOST_AUTO_TEST_CASE(clearing_what_rocksdb_never_held_writes_nothing) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 16));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  auto& l = b.get_list_state(list_state_descriptor<int>{"l"});
  b.set_current_key(1);
  BOOST_TEST(v.get() == nullptr); // read: RocksDB has no entry
  v.update(10);
  BOOST_TEST(l.add(1)); // the list was empty
  BOOST_TEST(!l.add(2));
  v.clear();
  l.clear();
  // Both entries left the cache with nothing to write.
  BOOST_TEST(v.dirty_count() == 0u);
  BOOST_TEST(v.cached_entries() == 0u);
  BOOST_TEST(l.dirty_count() == 0u);
  // Once flushed, RocksDB holds it, and a clear becomes a Delete again.
  v.update(11);
  b.flush();
  BOOST_TEST(count_raw(b, "v") == 1u);
  v.clear();
  BOOST_TEST(v.dirty_count() == 1u);
  BOOST_TEST(count_raw(b, "v") == 0u);
}

BOOST_AUTO_TEST_CASE(eviction_is_bounded_and_writes_back) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 4));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  for (int k = 0; k < 1000; ++k) {
    b.set_current_key(k);
    v.update(k * 3);
    BOOST_TEST_REQUIRE(v.cached_entries() <= 4u);
    BOOST_TEST_REQUIRE(v.dirty_count() <= 4u);
  }
  for (int k = 0; k < 1000; ++k) {
    b.set_current_key(k);
    BOOST_TEST_REQUIRE(v.value().value_or(-1) == k * 3);
  }
  BOOST_TEST(count_raw(b, "v") == 1000u);
}

BOOST_AUTO_TEST_CASE(hits_misses_and_rocksdb_size_are_published_per_state) {
  temp_dir dir;
  auto opts = make_options(dir.path(), 64);
  std::map<std::string, std::unique_ptr<std::atomic<std::int64_t>>> metrics;
  opts.metric = [&](const std::string& name) {
    auto& m = metrics[name];
    if (!m)
      m = std::make_unique<std::atomic<std::int64_t>>(0);
    return m.get();
  };
  auto value = [&](const std::string& name) {
    auto it = metrics.find(name);
    return it == metrics.end() ? std::int64_t{-1} : it->second->load();
  };
  keyed_state_backend b(opts);
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  auto& l = b.get_list_state(list_state_descriptor<int>{"l"});
  for (int k = 0; k < 10; ++k) { // 10 misses (new keys), written to the cache only
    b.set_current_key(k);
    v.update(k);
  }
  for (int k = 0; k < 10; ++k) { // 10 hits
    b.set_current_key(k);
    BOOST_TEST_REQUIRE(v.value().value_or(-1) == k);
  }
  b.set_current_key(99); // one more miss
  BOOST_TEST(!v.value().has_value());
  BOOST_TEST(value("v.cacheHits") == 10);
  BOOST_TEST(value("v.cacheMisses") == 11);
  BOOST_TEST(value("l.cacheHits") == 0); // each state has its own
  BOOST_TEST(value("l.cacheMisses") == 0);
  BOOST_TEST(value("v.rocksdb.size-all-mem-tables") == 0); // nothing flushed yet
  b.flush(); // 10 entries into the memtable (below the ingest threshold)
  BOOST_TEST(value("v.rocksdb.size-all-mem-tables") > 0);
  BOOST_TEST(value("v.rocksdb.total-sst-files-size") == 0);
  BOOST_TEST(value("l.rocksdb.size-all-mem-tables") >= 0);
  l.add(1);
  BOOST_TEST(value("l.cacheMisses") == 1);
}

BOOST_AUTO_TEST_CASE(uncached_state_writes_through) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 0));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  b.set_current_key(1);
  v.update(10);
  BOOST_TEST(v.dirty_count() == 0u);
  int* p = v.mutate();
  BOOST_REQUIRE(p != nullptr);
  *p += 1; // written on the next call on this state, or by flush
  BOOST_TEST(v.dirty_count() == 1u);
  b.set_current_key(2);
  BOOST_TEST(!v.value().has_value());
  BOOST_TEST(v.dirty_count() == 0u);
  BOOST_TEST(v.cached_entries() <= 1u);
  b.set_current_key(1);
  BOOST_TEST(v.value().value_or(-1) == 11);
}

BOOST_AUTO_TEST_CASE(warm_cache_hits_do_not_allocate) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 64));
  auto& v = b.get_value_state(value_state_descriptor<std::int64_t>{"v"});
  auto& l = b.get_list_state(list_state_descriptor<int>{"l"});
  auto& r = b.get_reducing_state(reducing_state_descriptor<std::int64_t>{
      "r", [](const std::int64_t& x, const std::int64_t& y) { return x + y; }});
  auto& a = b.get_aggregating_state(aggregating_state_descriptor<int, avg_acc, double>{
      "a",
      [] {
        return avg_acc{0, 0};
      },
      [](const int& x, avg_acc acc) {
        return avg_acc{acc.first + x, acc.second + 1};
      },
      [](const avg_acc& acc) { return double(acc.first) / double(acc.second); },
      {}});
  std::vector<std::string> keys; // longer than the small-string buffer
  for (int k = 0; k < 16; ++k)
    keys.push_back("customer-00000000000" + std::to_string(k));
  std::int64_t checksum = 0;
  auto run = [&] {
    for (int round = 0; round < 50; ++round)
      for (int k = 0; k < 16; ++k) {
        b.set_current_key(keys[k]);
        const std::int64_t* p = v.get();
        v.update((p ? *p : 0) + 1);
        r.add(k);
        a.add(k);
        checksum += static_cast<std::int64_t>(l.get().size());
        b.set_current_namespace(std::int64_t{1000});
        v.update(k);
        b.set_default_namespace();
      }
  };
  run(); // misses: read, decode, insert
  const std::size_t before = thread_allocations;
  run();
  BOOST_TEST(thread_allocations - before == 0u);
  b.set_current_key(keys[3]);
  BOOST_TEST(v.value().value_or(0) == 100);
  BOOST_TEST(r.get().value_or(0) == 300);
  BOOST_TEST(checksum == 0);
}

BOOST_AUTO_TEST_CASE(flat_table_equals_a_reference_map) {
  // Random inserts, finds, erases (by key and by slot), clears and
  // iterations, keys short (inline) and long (on the heap), against
  // std::map; tombstones and rebuilds happen along the way.
  const auto seed = spate::test::test_seed("flat_table_equals_a_reference_map");
  std::mt19937 rng(seed);
  detail::flat_table<int> table;
  std::map<std::string, int> reference;
  auto random_key = [&] {
    std::string k = "k" + std::to_string(rng() % 3000);
    if (rng() % 4 == 0)
      k.append(40 + rng() % 30, 'x'); // longer than the inline capacity
    else if (rng() % 3 == 0)
      k.append(rng() % 36, 'y'); // on both sides of the inline capacity (31)
    return k;
  };
  for (int op = 0; op < 200000; ++op) {
    std::string k = random_key();
    auto h = detail::flat_table<int>::hash_of(k);
    int* found = table.find(k, h);
    auto it = reference.find(k);
    BOOST_REQUIRE_MESSAGE((found != nullptr) == (it != reference.end()), "seed " << seed);
    if (found)
      BOOST_REQUIRE_MESSAGE(*found == it->second, "seed " << seed);
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        if (!found) {
          table.insert(k, h, op);
          reference[k] = op;
        } else {
          *found = op;
          it->second = op;
        }
        break;
      case 4:
      case 5:
        BOOST_REQUIRE(table.erase(k, h) == (reference.erase(k) == 1));
        break;
      case 6:
        if (rng() % 500 == 0) {
          table.clear();
          reference.clear();
        }
        break;
      case 7:
        if (rng() % 200 == 0) {
          // Erase every other entry by slot while iterating.
          std::vector<std::size_t> slots;
          bool take = false;
          table.for_each([&](std::size_t i, std::string_view key, int&) {
            if ((take = !take)) {
              slots.push_back(i);
              reference.erase(std::string(key));
            }
          });
          for (auto i : slots)
            table.erase_at(i);
        }
        break;
      default:
        break;
    }
    BOOST_REQUIRE_MESSAGE(table.size() == reference.size(), "seed " << seed);
  }
  std::map<std::string, int> all;
  table.for_each([&](std::size_t, std::string_view key, int& v) { all[std::string(key)] = v; });
  BOOST_TEST((all == reference), "seed " << seed);
}

BOOST_AUTO_TEST_CASE(a_prepared_flush_lands_on_another_thread_and_holds_writes_back) {
  temp_dir dir;
  auto opts = make_options(dir.path(), 16);
  {
    keyed_state_backend b(opts);
    auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
    for (int k = 0; k < 10; ++k) {
      b.set_current_key(k);
      v.update(k);
    }
    b.set_current_key(3);
    auto prepared = b.prepare_flush();
    BOOST_TEST(v.dirty_count() == 0u);
    // Reads go on from the cache while the writes are pending.
    BOOST_TEST(*v.get() == 3);
    v.clear(); // cached: no write yet
    bool landed = false;
    std::thread writer([&] { prepared->apply([&](rocksdb::DB*) { landed = true; }); });
    writer.join();
    BOOST_TEST(landed);
    BOOST_TEST(count_raw(b, "v") == 9u); // the flush waits for nothing now; key 3 deleted
  }
  keyed_state_backend b(opts);
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  for (int k = 0; k < 10; ++k) {
    b.set_current_key(k);
    BOOST_TEST((k == 3 ? v.get() == nullptr : *v.get() == k));
  }
}

BOOST_AUTO_TEST_CASE(a_dropped_prepared_flush_fails_every_later_write) {
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 16));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  b.set_current_key(1);
  v.update(1);
  b.prepare_flush().reset(); // never applied
  v.update(2);
  BOOST_CHECK_EXCEPTION(b.flush(), error, [](const error& e) {
    return e.code() == errc::state &&
           std::string(e.what()).find("no longer matches RocksDB") != std::string::npos;
  });
}

namespace {

//! RocksDB reads `state` made while `f` ran.
template <class S, class F>
std::size_t rocksdb_gets(const S& state, F&& f) {
  const std::size_t before = state.rocksdb_reads();
  f();
  return state.rocksdb_reads() - before;
}

} // namespace

BOOST_AUTO_TEST_CASE(key_filter_has_no_false_negatives_and_few_false_positives) {
  const std::uint64_t seed =
      spate::test::test_seed("key_filter_has_no_false_negatives_and_few_false_positives");
  std::mt19937_64 rng(seed);
  detail::key_filter f(1000); // grows to several parts
  std::vector<std::uint64_t> added(20000);
  for (auto& h : added) {
    h = rng();
    f.add(h);
  }
  BOOST_TEST(f.size() == added.size());
  for (auto h : added)
    BOOST_TEST_REQUIRE(f.may_contain(h));
  int positives = 0;
  for (int i = 0; i < 100000; ++i)
    positives += f.may_contain(rng()) ? 1 : 0;
  // About 1.5 % per part at 10 bits a key; five parts, some not yet full.
  BOOST_TEST(positives < 100000 * 8 / 100, positives << " false positives in 100000");
  BOOST_TEST(f.memory() < added.size() * 4); // bytes: well under 32 bits a key
}

BOOST_AUTO_TEST_CASE(a_new_state_answers_misses_without_rocksdb_unless_the_key_was_evicted) {
  // A new state's cache holds all it wrote but what it evicted, whose keys a
  // filter keeps: a miss on any other key is absent without a RocksDB read.
  temp_dir dir;
  auto opts = make_options(dir.path(), 4);
  {
    keyed_state_backend b(opts);
    auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
    auto gets = rocksdb_gets(v, [&] {
      for (int k = 0; k < 40; ++k) { // evictions from the fifth on
        b.set_current_key(k);
        BOOST_TEST(v.get() == nullptr);
        v.update(k);
      }
    });
    BOOST_TEST(gets <= 2u, gets << " RocksDB reads for 40 new keys"); // false positives only
    gets = rocksdb_gets(v, [&] {
      for (int k = 0; k < 40; ++k) {
        b.set_current_key(k);
        BOOST_TEST_REQUIRE(v.get() != nullptr);
        BOOST_TEST(*v.get() == k);
      }
    });
    BOOST_TEST(gets >= 30u); // the evicted ones come back from RocksDB
  }
  // Reopened (a restore): the stored keys are scanned into the filter, so
  // they are read from RocksDB and new keys are not.
  keyed_state_backend b(opts);
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  auto gets = rocksdb_gets(v, [&] {
    for (int k = 0; k < 40; ++k) {
      b.set_current_key(k);
      BOOST_TEST_REQUIRE(v.get() != nullptr);
      BOOST_TEST(*v.get() == k);
    }
  });
  BOOST_TEST(gets >= 36u); // all but what is still cached
  gets = rocksdb_gets(v, [&] {
    for (int k = 100; k < 140; ++k) {
      b.set_current_key(k);
      BOOST_TEST(v.get() == nullptr);
    }
  });
  BOOST_TEST(gets <= 2u, gets << " RocksDB reads for 40 new keys after a restore");
}

BOOST_AUTO_TEST_CASE(a_cleared_entry_set_again_stays_cleared_across_an_eviction) {
  // A new state is complete: clearing an entry RocksDB holds lists its Delete
  // and drops the entry. Set again before the next flush, the Delete is not
  // written when an eviction comes (the new Put will replace the old value),
  // so clearing it once more must still reach RocksDB.
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 4));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  b.set_current_key(0);
  v.update(1);
  b.flush();                      // RocksDB holds 1
  v.clear();                      // listed Delete
  BOOST_TEST(v.get() == nullptr); // a miss: cached as absent, RocksDB "known" not to hold it
  v.update(2);
  BOOST_TEST(*v.get() == 2); // referenced: survives the eviction below
  for (int k = 1; k <= 4; ++k) {
    b.set_current_key(k);
    v.update(k); // the fourth evicts keys 1-3 and writes them back
  }
  b.set_current_key(0);
  v.clear();
  b.flush();
  BOOST_TEST(v.get() == nullptr); // not RocksDB's old 1
  BOOST_TEST(count_raw(b, "v") == 4u);
}

BOOST_AUTO_TEST_CASE(an_evicted_key_read_back_and_cleared_is_deleted_from_rocksdb) {
  // The filter says RocksDB may hold an evicted key, so clearing it once read
  // back must write a Delete, and a miss on it must read RocksDB.
  temp_dir dir;
  auto opts = make_options(dir.path(), 4);
  {
    keyed_state_backend b(opts);
    auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
    b.set_current_key(0);
    v.update(7);
    for (int k = 1; k <= 8; ++k) { // evicts key 0 (written to RocksDB)
      b.set_current_key(k);
      v.update(k);
    }
    b.set_current_key(0);
    BOOST_TEST_REQUIRE(v.get() != nullptr);
    BOOST_TEST(*v.get() == 7);
    v.clear();
    BOOST_TEST(v.get() == nullptr);
    for (int k = 1; k <= 8; ++k) { // evicts key 0 again, as a Delete
      b.set_current_key(k);
      v.update(k + 1);
    }
    b.set_current_key(0);
    BOOST_TEST(v.get() == nullptr);
  }
  keyed_state_backend b(opts);
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  b.set_current_key(0);
  BOOST_TEST(v.get() == nullptr);
  BOOST_TEST(count_raw(b, "v") == 8u);
}

BOOST_AUTO_TEST_CASE(a_raw_put_after_a_listed_delete_survives_the_next_flush) {
  // Clearing an entry RocksDB holds lists its Delete; a raw write of the same
  // key afterwards (restore) must not be undone by that Delete.
  temp_dir dir;
  keyed_state_backend b(make_options(dir.path(), 16));
  auto& v = b.get_value_state(value_state_descriptor<int>{"v"});
  b.set_current_key(3);
  v.update(1);
  b.flush();
  v.clear(); // listed
  std::string key_rest;
  encode(3, key_rest);
  std::string value;
  encode(9, value);
  b.put_raw("v", key_group_for_hash(stable_hash<int>{}(3), 128), key_rest, value);
  BOOST_TEST_REQUIRE(v.get() != nullptr);
  BOOST_TEST(*v.get() == 9);
  b.flush();
  BOOST_TEST_REQUIRE(v.get() != nullptr);
  BOOST_TEST(*v.get() == 9);
  BOOST_TEST(count_raw(b, "v") == 1u);
}
