#define BOOST_TEST_MODULE partitioners
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "spate/actors/record_writer.hpp"
#include "support/collect.hpp"

using namespace spate;
using namespace spate::test;

namespace {

//! Records what a writer sends, per channel, with unlimited credit.
class recording_channels final : public channel_set {
public:
  explicit recording_channels(int n) : sent(n) {}
  int size() const override { return static_cast<int>(sent.size()); }
  std::shared_ptr<any_batch> take_buffer(int) override { return nullptr; }
  void send(int c, std::shared_ptr<any_batch> b) override {
    auto& tb = batch_cast<std::string>(*b);
    ++batches;
    for (std::size_t i = 0; i < tb.size(); ++i)
      sent[c].push_back(tb.values[i]);
  }
  std::vector<std::vector<std::string>> sent;
  int batches = 0;
};

typed_batch<std::string> words(int n) {
  typed_batch<std::string> b;
  for (int i = 0; i < n; ++i)
    b.push("w" + std::to_string(i), i);
  return b;
}

writer_params params(int target_parallelism, std::size_t batch_size = 16) {
  writer_params p;
  p.batch_size = batch_size;
  p.max_parallelism = 128;
  p.target_parallelism = target_parallelism;
  return p;
}

} // namespace

BOOST_AUTO_TEST_CASE(hash_sends_each_key_to_the_owner_of_its_key_group) {
  recording_channels ch(3);
  auto key = [](const std::string& s) -> const std::string& { return s; };
  auto w = make_hash_writer_factory<std::string>(key)(partitioning::hash, &ch, params(3));
  auto b = words(1000);
  w->write(b, false);
  BOOST_TEST(w->has_partial());
  w->flush();
  BOOST_TEST(!w->has_partial());
  std::size_t total = 0;
  for (int c = 0; c < 3; ++c) {
    total += ch.sent[c].size();
    for (auto& k : ch.sent[c]) {
      int kg = key_group_for_hash(stable_hash<std::string>{}(k), 128);
      BOOST_TEST(subtask_for_key_group(kg, 128, 3) == c);
      BOOST_TEST(key_group_range_for_subtask(128, 3, c).contains(kg));
    }
  }
  BOOST_TEST(total == 1000u);
  // Not moved from: the input is intact when may_move is false.
  BOOST_TEST(b.values[999] == "w999");
}

BOOST_AUTO_TEST_CASE(rebalance_is_round_robin_from_the_subtask_index) {
  recording_channels ch(4);
  auto p = params(4);
  p.subtask = 2;
  auto w = make_writer_factory<std::string>()(partitioning::rebalance, &ch, p);
  auto b = words(10);
  w->write(b, true);
  w->flush();
  BOOST_TEST(ch.sent[2] == (std::vector<std::string>{"w0", "w4", "w8"}),
             boost::test_tools::per_element());
  BOOST_TEST(ch.sent[3] == (std::vector<std::string>{"w1", "w5", "w9"}),
             boost::test_tools::per_element());
  BOOST_TEST(ch.sent[0] == (std::vector<std::string>{"w2", "w6"}),
             boost::test_tools::per_element());
  BOOST_TEST(ch.sent[1] == (std::vector<std::string>{"w3", "w7"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(broadcast_and_forward) {
  recording_channels all(3);
  auto bw = make_writer_factory<std::string>()(partitioning::broadcast, &all, params(3));
  auto b = words(5);
  bw->write(b, false);
  bw->flush();
  for (int c = 0; c < 3; ++c)
    BOOST_TEST(all.sent[c].size() == 5u);
  recording_channels one(1);
  auto fw = make_writer_factory<std::string>()(partitioning::forward, &one, params(1, 4));
  auto b2 = words(10);
  fw->write(b2, true);
  BOOST_TEST(one.batches == 2); // full batches of 4 go at once
  fw->flush();
  BOOST_TEST(one.batches == 3);
  BOOST_TEST(one.sent[0].size() == 10u);
}

BOOST_AUTO_TEST_CASE(a_channels_batch_limit_can_change_while_records_flow) {
  recording_channels ch(2);
  auto w = make_writer_factory<std::string>()(partitioning::rebalance, &ch, params(2, 4));
  // Channel 1 takes batches of 6 from now on; channel 0 keeps 4.
  w->set_batch_limit(1, 6);
  auto b = words(12); // 6 records to each channel
  w->write(b, true);
  BOOST_TEST(ch.batches == 2); // channel 0's first 4, channel 1's 6
  BOOST_TEST(ch.sent[0].size() == 4u);
  BOOST_TEST(ch.sent[1].size() == 6u);
  // Channel 0 holds 2; lowered to 2, it goes at once.
  w->set_batch_limit(0, 2);
  BOOST_TEST(ch.batches == 3);
  BOOST_TEST(ch.sent[0].size() == 6u);
  BOOST_TEST(!w->has_partial());
  // A limit of 0 is taken as 1: every record is a batch.
  w->set_batch_limit(0, 0);
  auto b2 = words(4);
  w->write(b2, true);
  BOOST_TEST(ch.batches == 5);
  BOOST_TEST(ch.sent[0].size() == 8u);
}

namespace {

struct where_am_i : keyed_process_function<std::string, std::string, std::pair<std::string, int>> {
  int subtask = -1;
  void open(runtime_context& rc) override { subtask = rc.subtask; }
  void process_element(const std::string& v, context& ctx) override { ctx.output({v, subtask}); }
};

} // namespace

BOOST_AUTO_TEST_CASE(keyed_records_reach_the_subtask_owning_their_key_group) {
  temp_dir dir;
  for (int p : {1, 2, 3, 4}) {
    environment env(test_config(dir.str(), p));
    env.set_max_parallelism(32);
    std::vector<std::string> keys;
    for (int i = 0; i < 500; ++i)
      keys.push_back("key" + std::to_string(i % 123));
    auto out = std::make_shared<collected<std::pair<std::string, int>>>();
    env.from_collection(keys)
        .key_by([](const std::string& s) { return s; })
        .process(where_am_i{})
        .add_sink(collect_into(out));
    BOOST_REQUIRE(env.execute().status == job_status::finished);
    auto got = out->snapshot();
    BOOST_TEST(got.size() == 500u);
    for (auto& [k, s] : got) {
      int kg = key_group_for_hash(stable_hash<std::string>{}(k), 32);
      BOOST_TEST(s == subtask_for_key_group(kg, 32, p), k << " at parallelism " << p);
    }
  }
}
