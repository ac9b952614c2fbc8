// The two ends of a channel between processes, without actors or sockets:
// frames from a channel_sender decoded by a channel_receiver, credits back.
#define BOOST_TEST_MODULE channel
#include <boost/test/unit_test.hpp>

#include <string>

#include "spate/core/error.hpp"
#include "spate/transport/channel.hpp"

using namespace spate;
using namespace spate::transport;

namespace {

const std::string job = "0123456789abcdef0123456789abcdef";

channel_index ch(int c) { return channel_index{c}; }
subtask_index st(int s) { return subtask_index{s}; }

struct ends {
  // Task (chain 0, subtask 1) here sends to task (chain 2, subtask 0) there.
  channel_sender sender{channel_head{job, attempt_number{3}, 0, st(1), 2, st(0), ch(0), ch(0)},
                        "tm-b"};
  channel_receiver receiver{
      channel_head{job, attempt_number{3}, 2, st(0), 0, st(1), ch(0), ch(0)},
      {make_batch_factory<std::string>(), nullptr, make_batch_factory<std::int64_t>()},
      "tm-a"};
};

//! Decodes a frame as the receiving process does: the frame, then its head.
channel_head open(const std::string& bytes, frame& f, std::size_t& offset) {
  f = decode_frame(bytes, "tm-a");
  return decode_channel_head(f, offset);
}

std::shared_ptr<any_batch> strings(std::initializer_list<const char*> values) {
  auto b = std::make_shared<typed_batch<std::string>>();
  for (auto* v : values)
    b->push(v, no_timestamp);
  return b;
}

} // namespace

BOOST_AUTO_TEST_CASE(batches_and_control_events_cross_in_order) {
  ends e;
  auto batch = strings({"a", "bb"});
  auto* sent = batch.get();
  auto bytes = e.sender.data_frame(ch(0), ch(5), batch);
  BOOST_TEST(sent->size() == 0u); // cleared, kept for reuse
  frame f;
  std::size_t offset = 0;
  auto head = open(bytes, f, offset);
  BOOST_TEST(std::string(to_string(f.type)) == to_string(frame_type::data));
  BOOST_TEST(head.job_id == job);
  BOOST_TEST(head.attempt == attempt_number{3});
  BOOST_TEST((head.from_chain == 0 && head.from_subtask == st(1)));
  BOOST_TEST((head.to_chain == 2 && head.to_subtask == st(0)));
  BOOST_TEST(head.channel == ch(0));
  BOOST_TEST(head.sender_channel == ch(5));
  BOOST_TEST(head.seq == 0u);
  BOOST_TEST(e.receiver.accept(head.seq, head.channel).empty());
  auto got =
      e.receiver.decode_batch(head.channel, f.payload.data() + offset, f.payload.size() - offset);
  auto& values = batch_cast<std::string>(*got).values;
  BOOST_TEST((values == std::vector<std::string>{"a", "bb"}));

  control_payload barrier;
  barrier.kind = static_cast<std::int32_t>(control_kind::barrier);
  barrier.barrier = true;
  barrier.id = checkpoint_id{7};
  barrier.savepoint = true;
  barrier.savepoint_dir = "/sp";
  bytes = e.sender.control_frame(ch(2), barrier);
  head = open(bytes, f, offset);
  BOOST_TEST(std::string(to_string(f.type)) == to_string(frame_type::control));
  BOOST_TEST(head.seq == 1u);
  BOOST_TEST(e.receiver.accept(head.seq, head.channel).empty());
  auto c = e.receiver.decode_control(f.payload.data() + offset, f.payload.size() - offset);
  BOOST_TEST(c.barrier);
  BOOST_TEST(c.id == checkpoint_id{7});
  BOOST_TEST(c.savepoint);
  BOOST_TEST(c.savepoint_dir == "/sp");
}

BOOST_AUTO_TEST_CASE(credits_return_the_sent_batch_for_reuse) {
  ends e;
  auto batch = strings({"x"});
  auto* sent = batch.get();
  e.sender.data_frame(ch(0), ch(5), batch);
  BOOST_TEST(e.receiver.accept(0, ch(0)).empty()); // frame #0 arrived
  // The receiver hands the task's emptied batch back with its credit.
  auto bytes = e.receiver.credit_frame(ch(5), nullptr);
  frame f;
  std::size_t offset = 0;
  auto head = open(bytes, f, offset);
  BOOST_TEST(std::string(to_string(f.type)) == to_string(frame_type::credit));
  BOOST_TEST((head.from_chain == 2 && head.to_chain == 0 && head.to_subtask == st(1)));
  BOOST_TEST(head.channel == ch(5));
  BOOST_TEST(e.sender.accept_credit(head.seq).empty());
  BOOST_TEST(e.sender.recycled(ch(5)).get() == sent);
  BOOST_TEST(!e.sender.recycled(ch(5))); // only once
  BOOST_TEST(!e.sender.recycled(ch(4)));
  // A batch the task returns is decoded into next time (same record type).
  auto back = std::make_shared<typed_batch<std::string>>();
  auto* kept = back.get();
  e.receiver.credit_frame(ch(5), back);
  auto again = e.sender.data_frame(ch(0), ch(5), strings({"y"}));
  head = open(again, f, offset);
  BOOST_TEST(e.receiver.accept(head.seq, head.channel).empty());
  auto got = e.receiver.decode_batch(ch(0), f.payload.data() + offset, f.payload.size() - offset);
  BOOST_TEST(got.get() == kept);
  BOOST_TEST(batch_cast<std::string>(*got).values.front() == "y");
}

BOOST_AUTO_TEST_CASE(a_lost_frame_breaks_the_channel_for_good) {
  ends e;
  auto first = e.sender.data_frame(ch(0), ch(0), strings({"1"}));
  auto second = e.sender.data_frame(ch(0), ch(0), strings({"2"}));
  (void)first; // lost with a broken connection
  frame f;
  std::size_t offset = 0;
  auto head = open(second, f, offset);
  auto why = e.receiver.accept(head.seq, head.channel);
  BOOST_TEST(why == "frames from TaskManager 'tm-a' were lost (expected #0, got #1)");
  BOOST_TEST(e.receiver.broken());
  BOOST_TEST(!e.receiver.accept(0, ch(0)).empty()); // even the right number now
}

BOOST_AUTO_TEST_CASE(a_lost_credit_breaks_the_sending_end) {
  ends e;
  BOOST_TEST(e.sender.accept_credit(0).empty());
  auto why = e.sender.accept_credit(2);
  BOOST_TEST(why == "credits from TaskManager 'tm-b' were lost (expected #1, got #2)");
  BOOST_TEST(e.sender.broken());
  BOOST_TEST(!e.sender.accept_credit(1).empty());
}

BOOST_AUTO_TEST_CASE(frames_for_channels_the_task_lacks_are_refused) {
  for (std::int32_t channel : {1, 3, -1}) {
    ends e;
    auto why = e.receiver.accept(0, ch(channel));
    BOOST_TEST(why == "TaskManager 'tm-a' sent a frame for channel " + std::to_string(channel) +
                          " that the task does not have");
    BOOST_TEST(e.receiver.broken());
  }
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_codec_errors_naming_the_peer) {
  ends e;
  // A truncated batch.
  auto bytes = e.sender.data_frame(ch(0), ch(0), strings({"hello", "world"}));
  frame f;
  std::size_t offset = 0;
  open(bytes, f, offset);
  try {
    e.receiver.decode_batch(ch(0), f.payload.data() + offset, f.payload.size() - offset - 3);
    BOOST_FAIL("no error");
  } catch (const error& x) {
    BOOST_TEST(x.code() == errc::codec);
    BOOST_TEST(std::string(x.what()).find("bad batch from TaskManager 'tm-a'") !=
               std::string::npos);
  }
  // A control event of an unknown kind, and a barrier flag on a watermark.
  for (auto [kind, barrier] : {std::pair{9, false}, std::pair{-1, false}, std::pair{0, true}}) {
    control_payload c;
    c.kind = kind;
    c.barrier = barrier;
    std::string body;
    encode(c, body);
    ends fresh;
    try {
      fresh.receiver.decode_control(body.data(), body.size());
      BOOST_FAIL("no error");
    } catch (const error& x) {
      BOOST_TEST(x.code() == errc::codec);
      BOOST_TEST(std::string(x.what()).find("unknown kind " + std::to_string(kind)) !=
                 std::string::npos);
    }
  }
  // Garbage where a control body should be.
  std::string junk = "\xc1\xc1";
  BOOST_CHECK_THROW(e.receiver.decode_control(junk.data(), junk.size()), error);
}

BOOST_AUTO_TEST_CASE(an_undecodable_head_names_the_frame_type) {
  std::string bytes;
  begin_frame(bytes, frame_type::credit);
  bytes += "\x93\x01"; // an array too short to be a channel head
  finish_frame(bytes);
  auto f = decode_frame(bytes, "tm-a");
  std::size_t offset = 0;
  try {
    decode_channel_head(f, offset);
    BOOST_FAIL("no error");
  } catch (const error& x) {
    BOOST_TEST(x.code() == errc::codec);
    BOOST_TEST(std::string(x.what()).find("cannot decode the channel of a credit frame") == 0u);
  }
}

BOOST_AUTO_TEST_CASE(batches_to_another_process_are_sized_by_their_frames) {
  // 1,024 records in 8 KiB: 8 bytes each, so 32 KiB frames take 4,096.
  BOOST_TEST(records_per_frame(1024, 8192, 32 << 10, 1024, 8192) == 4096u);
  // Never above the most records per batch...
  BOOST_TEST(records_per_frame(1024, 1024, 32 << 10, 1024, 4096) == 4096u);
  // ...nor below the task's own batch size, however large the records.
  BOOST_TEST(records_per_frame(1024, 16u << 20, 32 << 10, 1024, 4096) == 1024u);
  // A most below the least leaves the least.
  BOOST_TEST(records_per_frame(10, 100, 32 << 10, 1024, 512) == 1024u);
  // Nothing sent yet, or records of no bytes: no division by zero.
  BOOST_TEST(records_per_frame(0, 0, 32 << 10, 16, 64) == 64u);
}
