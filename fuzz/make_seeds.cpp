// Seed inputs for the fuzzers, in the harnesses' own layout (first byte:
// even = type and payload / payload only, odd = whole bytes):
//   fuzz_seeds FRAME_DIR METADATA_DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "cluster/src/messages.hpp"
#include "spate/checkpoints/metadata.hpp"
#include "spate/core/batch.hpp"
#include "spate/transport/channel.hpp"
#include "spate/transport/frame.hpp"
#include "wire.hpp"

using namespace spate;
using namespace spate::transport;

namespace {

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out << bytes;
}

//! Both layouts of one frame: type + payload (even) and the whole frame (odd).
void seed_frame(const std::filesystem::path& dir, const std::string& name, frame_type type,
                const std::string& payload) {
  write(dir / (name + ".payload"), std::string(1, '\0') + static_cast<char>(type) + payload);
  write(dir / (name + ".frame"), std::string(1, '\1') + encode_frame(type, payload));
}

template <class T>
void seed_message(const std::filesystem::path& dir, const std::string& name, frame_type type,
                  const T& message) {
  std::string payload;
  encode(message, payload);
  seed_frame(dir, name, type, payload);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seeds FRAME_DIR METADATA_DIR\n";
    return 2;
  }
  std::filesystem::path frames = argv[1], metadata = argv[2];
  std::filesystem::create_directories(frames);
  std::filesystem::create_directories(metadata);
  using namespace spate::detail;
  const std::string job = "0123456789abcdef0123456789abcdef";
  seed_message(frames, "register", frame_type::register_taskmanager,
               cluster_detail::wire_register{"tm-1", "tcp://127.0.0.1:4000", 2, 42, "host"});
  seed_message(frames, "registered", frame_type::registered,
               cluster_detail::wire_registered{true, ""});
  seed_message(frames, "heartbeat", frame_type::heartbeat,
               cluster_detail::wire_heartbeat{"tm-1", 1000, "tcp://127.0.0.1:4000", {}});
  wire_deploy d;
  d.job_id = job;
  d.job_name = "wordcount";
  d.job_spec = R"({"job":"wordcount"})";
  d.config = {{"parallelism.default", "2"}};
  d.placement = {{"tm-1", "tm-2"}, {"tm-1", "tm-2"}};
  d.addresses = {{"tm-1", "tcp://127.0.0.1:4000"}, {"tm-2", "tcp://127.0.0.1:4001"}};
  d.keys = {{"tm-1", std::string(40, 'a')}};
  seed_message(frames, "deploy", frame_type::deploy, d);
  wire_task_command c;
  c.job_id = job;
  seed_message(frames, "task_command", frame_type::task_command, c);
  wire_trigger t;
  t.job_id = job;
  seed_message(frames, "trigger", frame_type::trigger_checkpoint, t);
  wire_ack a;
  a.job_id = job;
  seed_message(frames, "ack", frame_type::acknowledge_checkpoint, a);
  wire_decline dc;
  dc.job_id = job;
  seed_message(frames, "decline", frame_type::decline_checkpoint, dc);
  wire_task_finished tf;
  tf.job_id = job;
  seed_message(frames, "task_finished", frame_type::task_finished, tf);
  wire_task_exited te;
  te.job_id = job;
  seed_message(frames, "task_exited", frame_type::task_exited, te);
  wire_metrics m;
  m.job_id = job;
  m.subtasks.push_back(wire_task_metrics{});
  seed_message(frames, "metrics", frame_type::metrics, m);
  seed_message(frames, "release", frame_type::release_job, wire_release{job});
  seed_message(frames, "disconnect", frame_type::disconnect,
               cluster_detail::wire_disconnect{"tm-1", "stopping"});
  cluster_detail::wire_query_rows qr{job, 0, 7, 0, {}};
  qr.rows.push_back({0, {std::string("1"), std::nullopt}});
  seed_message(frames, "query_rows", frame_type::query_rows, qr);
  seed_message(frames, "query_reset", frame_type::query_reset,
               cluster_detail::wire_query_reset{job, 0, 7, 0});

  // Channel frames as a sender builds them: strings on channel 0, a control event.
  channel_head head{job, attempt_number{1}, 0, subtask_index{0}, 1, subtask_index{1}};
  channel_sender tx(head, "tm-2");
  auto batch = make_batch_factory<std::string>()();
  auto& strings = static_cast<typed_batch<std::string>&>(*batch);
  strings.push("hello", 1);
  strings.push("world", 2);
  auto bytes = tx.data_frame(channel_index{0}, channel_index{0}, std::move(batch));
  auto f = decode_frame(bytes, "seed");
  seed_frame(frames, "data", frame_type::data, f.payload);
  control_payload barrier;
  barrier.barrier = true;
  barrier.id = checkpoint_id{7};
  f = decode_frame(tx.control_frame(channel_index{0}, barrier), "seed");
  seed_frame(frames, "control", frame_type::control, f.payload);

  checkpoints::checkpoint_metadata md;
  md.job_id = job;
  md.checkpoint_id = 3;
  checkpoints::operator_snapshot op;
  op.uid = "counts";
  op.name = "Keyed Aggregation";
  op.parallelism = 2;
  checkpoints::keyed_state_handle k;
  k.shared_files = {{"shared/000012.sst", 1024}};
  k.private_files = {{"chk-3/counts-0/MANIFEST-000005", 128}};
  op.keyed.push_back(k);
  op.operator_state.push_back({0, "offsets", "\x01\x02"});
  md.operators.push_back(op);
  auto file = checkpoints::encode_metadata(md);
  write(metadata / "metadata.file", std::string(1, '\1') + file);
  write(metadata / "metadata.payload", std::string(1, '\0') + file.substr(24));
  return 0;
}
