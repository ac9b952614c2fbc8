#define BOOST_TEST_MODULE operators
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <map>

#include "support/collect.hpp"

using namespace spate;
using namespace spate::test;

namespace {

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::int64_t> range(std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < n; ++i)
    v.push_back(i);
  return v;
}

struct sale {
  std::string shop;
  std::int64_t amount = 0;
  double rating = 0;
  SPATE_FIELDS(shop, amount, rating);
};

} // namespace

BOOST_AUTO_TEST_CASE(map_filter_flat_map) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  auto out = std::make_shared<collected<std::string>>();
  env.from_collection(range(1000))
      .map([](std::int64_t x) { return x * 3; })
      .filter([](std::int64_t x) { return x % 2 == 0; })
      .flat_map([](std::int64_t x, collector<std::string>& c) {
        c.collect(std::to_string(x));
        if (x % 10 == 0)
          c.collect("ten");
      })
      .add_sink(collect_into(out));
  auto r = env.execute("ops");
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);
  std::vector<std::string> expected;
  for (std::int64_t i = 0; i < 1000; ++i) {
    auto x = i * 3;
    if (x % 2 != 0)
      continue;
    expected.push_back(std::to_string(x));
    if (x % 10 == 0)
      expected.push_back("ten");
  }
  BOOST_TEST(sorted(out->snapshot()) == sorted(expected), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(process_with_side_output) {
  temp_dir dir;
  environment env(test_config(dir.str(), 3));
  output_tag<std::string> odd_tag("odd");
  auto evens = std::make_shared<collected<std::int64_t>>();
  auto odds = std::make_shared<collected<std::string>>();
  auto processed =
      env.from_collection(range(500))
          .rebalance()
          .process([odd_tag](const std::int64_t& x, process_context<std::int64_t>& ctx) {
            if (x % 2 == 0)
              ctx.output(x);
            else
              ctx.output(odd_tag, "odd " + std::to_string(x));
          });
  processed.add_sink(collect_into(evens));
  processed.side_output(odd_tag).add_sink(collect_into(odds));
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);
  BOOST_TEST(evens->size() == 250u);
  auto o = odds->snapshot();
  BOOST_TEST(o.size() == 250u);
  BOOST_TEST(std::count(o.begin(), o.end(), "odd 499") == 1);
}

BOOST_AUTO_TEST_CASE(union_broadcast_and_rebalance) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  auto a = env.from_collection(range(100));
  auto b = env.from_collection(std::vector<std::int64_t>{1000, 1001});
  auto out = std::make_shared<collected<std::int64_t>>();
  a.union_with(b)
      .rebalance()
      .map([](std::int64_t x) { return x; })
      .set_parallelism(3)
      .add_sink(collect_into(out));
  auto bc = std::make_shared<collected<std::int64_t>>();
  env.from_collection(std::vector<std::int64_t>{7, 8})
      .broadcast()
      .map([](std::int64_t x) { return x; })
      .set_parallelism(4)
      .add_sink(collect_into(bc));
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);
  auto expected = range(100);
  expected.push_back(1000);
  expected.push_back(1001);
  BOOST_TEST(sorted(out->snapshot()) == expected, boost::test_tools::per_element());
  // Broadcast: every one of the 4 subtasks sees both records.
  BOOST_TEST(sorted(bc->snapshot()) == (std::vector<std::int64_t>{7, 7, 7, 7, 8, 8, 8, 8}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keyed_reduce_and_aggregations) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  std::vector<sale> sales;
  for (int i = 0; i < 300; ++i)
    sales.push_back({"shop" + std::to_string(i % 7), i, static_cast<double>((i * 37) % 101)});
  auto sums = std::make_shared<collected<sale>>();
  auto mins = std::make_shared<collected<sale>>();
  auto maxby = std::make_shared<collected<sale>>();
  auto src = env.from_collection(sales);
  auto key = [](const sale& s) { return s.shop; };
  src.key_by(key).sum(&sale::amount).add_sink(collect_into(sums));
  src.key_by(key).min(&sale::rating).add_sink(collect_into(mins));
  src.key_by(key).max_by(&sale::rating).add_sink(collect_into(maxby));
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);

  // Reference: per shop, the final values.
  std::map<std::string, std::int64_t> total;
  std::map<std::string, double> min_rating, max_rating;
  for (auto& s : sales) {
    total[s.shop] += s.amount;
    min_rating[s.shop] =
        min_rating.count(s.shop) ? std::min(min_rating[s.shop], s.rating) : s.rating;
    max_rating[s.shop] =
        max_rating.count(s.shop) ? std::max(max_rating[s.shop], s.rating) : s.rating;
  }
  // Every record produces one running update; the largest per shop is final.
  BOOST_TEST(sums->size() == sales.size());
  std::map<std::string, std::int64_t> final_sum;
  for (auto& s : sums->snapshot())
    final_sum[s.shop] = std::max(final_sum[s.shop], s.amount);
  BOOST_TEST(final_sum == total);
  std::map<std::string, double> final_min;
  for (auto& s : mins->snapshot())
    final_min[s.shop] = final_min.count(s.shop) ? std::min(final_min[s.shop], s.rating) : s.rating;
  BOOST_TEST(final_min == min_rating);
  for (auto& s : maxby->snapshot())
    BOOST_TEST(s.rating <= max_rating[s.shop]);
}

namespace {

// Counts per key in keyed state and emits "key=count" every third record.
struct every_third : keyed_process_function<std::string, std::string, std::string> {
  value_state<std::int64_t>* count = nullptr;
  void open(runtime_context& rc) override {
    count = &rc.state->get_value_state(value_state_descriptor<std::int64_t>{"count"});
  }
  void process_element(const std::string& v, context& ctx) override {
    std::int64_t n = count->value().value_or(0) + 1;
    count->update(n);
    if (n % 3 == 0)
      ctx.output(ctx.current_key() + "=" + std::to_string(n));
    (void)v;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(keyed_process_with_state) {
  temp_dir dir;
  environment env(test_config(dir.str(), 3));
  std::vector<std::string> words;
  for (int i = 0; i < 90; ++i)
    words.push_back("w" + std::to_string(i % 5));
  auto out = std::make_shared<collected<std::string>>();
  env.from_collection(words)
      .key_by([](const std::string& w) { return w; })
      .process(every_third{})
      .add_sink(collect_into(out));
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);
  std::vector<std::string> expected;
  for (int k = 0; k < 5; ++k)
    for (int n = 3; n <= 18; n += 3)
      expected.push_back("w" + std::to_string(k) + "=" + std::to_string(n));
  BOOST_TEST(sorted(out->snapshot()) == sorted(expected), boost::test_tools::per_element());
}

namespace {

std::atomic<int> taken{0}, copied{0};

// Emits every record whose key was seen an odd number of times, moving it
// into the output when the runtime hands it over.
struct odd_ones : keyed_process_function<char, std::string, std::string> {
  value_state<std::int64_t>* count = nullptr;
  void open(runtime_context& rc) override {
    count = &rc.state->get_value_state(value_state_descriptor<std::int64_t>{"count"});
  }
  void process_element(const std::string& v, context& ctx) override {
    ++copied;
    process_element(std::string(v), ctx);
  }
  void process_element(std::string&& v, context& ctx) override {
    ++taken;
    std::int64_t n = count->value().value_or(0) + 1;
    count->update(n);
    if (n % 2 == 1)
      ctx.output(std::move(v));
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_keyed_process_function_can_take_its_records) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  std::vector<std::string> words;
  std::map<char, int> seen;
  std::vector<std::string> expected;
  for (int i = 0; i < 120; ++i) {
    // Longer than any short-string buffer: a move leaves the source empty.
    std::string w = std::string(1, static_cast<char>('a' + i % 7)) + "-record-" +
                    std::to_string(i) + "-padded-well-past-the-inline-buffer";
    if (++seen[w[0]] % 2 == 1)
      expected.push_back(w);
    words.push_back(w);
  }
  auto out = std::make_shared<collected<std::string>>();
  env.from_collection(words)
      .key_by([](const std::string& w) { return w[0]; })
      .process(odd_ones{})
      .add_sink(collect_into(out));
  taken = copied = 0;
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);
  BOOST_TEST(taken.load() == 120);
  BOOST_TEST(copied.load() == 0);
  BOOST_TEST(sorted(out->snapshot()) == sorted(expected), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keyed_process_lambda_form) {
  temp_dir dir;
  environment env(test_config(dir.str(), 2));
  auto out = std::make_shared<collected<std::pair<std::int64_t, std::int64_t>>>();
  env.from_collection(range(100))
      .key_by([](std::int64_t x) { return x % 4; })
      .process([](const std::int64_t& x,
                  keyed_process_context<std::int64_t, std::pair<std::int64_t, std::int64_t>>& ctx) {
        auto& st = ctx.state().get_value_state(value_state_descriptor<std::int64_t>{"sum"});
        std::int64_t s = st.value().value_or(0) + x;
        st.update(s);
        ctx.output({ctx.current_key(), s});
      })
      .add_sink(collect_into(out));
  auto r = env.execute();
  BOOST_TEST(r.status == job_status::finished, r.failure_cause);
  std::map<std::int64_t, std::int64_t> last;
  for (auto& [k, s] : out->snapshot())
    last[k] = std::max(last[k], s);
  for (std::int64_t k = 0; k < 4; ++k) {
    std::int64_t ref = 0;
    for (std::int64_t x = k; x < 100; x += 4)
      ref += x;
    BOOST_TEST(last[k] == ref);
  }
}
