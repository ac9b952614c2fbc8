// Random, truncated, foreign and well-framed-but-wrong messages fed to the
// JobManager's and a TaskManager's sockets: each is rejected and logged, no
// process crashes, and a job afterwards still gives the right output.
#define BOOST_TEST_MODULE mesh_fuzz
#include <boost/test/unit_test.hpp>

#include <iostream>
#include <random>

#include <zmq.hpp>

#include "spate/transport/endpoint.hpp"
#include "spate/transport/frame.hpp"
#include "support/cluster.hpp"
#include "support/seed.hpp"

using namespace spate::test;
using spate::transport::encode_envelope;
using spate::transport::encode_frame;
using spate::transport::frame_type;

namespace {

// Every cluster here runs a plain-TCP mesh (no cluster secret): the frames
// are what the decoders and checks must survive from an insider, or from
// anyone when a cluster runs unauthenticated; with CURVE none of them would
// get past the handshake (test_mesh_attacks).
const std::string plain_tcp = "security.cluster-secret-file=";

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  return s;
}

//! A msgpack payload of a plausible shape with random content.
std::string random_payload(std::mt19937_64& rng) {
  std::string out;
  switch (rng() % 5) {
    case 0:
      spate::encode(std::string(random_bytes(rng, rng() % 40)), out);
      break;
    case 1:
      spate::encode(std::vector<std::int64_t>{static_cast<std::int64_t>(rng()), -1, 7}, out);
      break;
    case 2: // a job-scoped head with a bogus job and indices
      spate::encode(
          std::make_tuple(
              std::string("0123456789abcdef0123456789abcdef"), static_cast<std::int32_t>(rng() % 3),
              static_cast<std::int32_t>(rng() % 5) - 1, static_cast<std::int32_t>(rng() % 5) - 1,
              static_cast<std::int32_t>(rng() % 5) - 1, static_cast<std::int32_t>(rng() % 5) - 1,
              static_cast<std::int32_t>(rng() % 9) - 1, 0),
          out);
      out += random_bytes(rng, rng() % 64);
      break;
    case 3:
      spate::encode(std::make_tuple(std::string("tm-fuzz"), static_cast<std::int64_t>(rng()),
                                    std::string("tcp://127.0.0.1:1")),
                    out);
      break;
    default:
      out = random_bytes(rng, rng() % 200);
  }
  return out;
}

void fuzz(zmq::context_t& ctx, const std::string& address, std::mt19937_64& rng, int rounds) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 10000); // a loaded machine may take a while to connect
  s.set(zmq::sockopt::routing_id, "fuzzer");
  s.connect(address);
  std::uint64_t session = 1 + rng() % 1000, seq = 0;
  for (int i = 0; i < rounds; ++i) {
    std::string msg;
    switch (i % 4) {
      case 0: // noise
        msg = random_bytes(rng, rng() % 300);
        break;
      case 1: { // a good frame, truncated or with a flipped byte
        msg = encode_frame(static_cast<frame_type>(1 + rng() % 16), random_payload(rng));
        if (rng() % 2)
          msg.resize(rng() % msg.size());
        else
          msg[rng() % msg.size()] ^= static_cast<char>(1 + rng() % 255);
        break;
      }
      default: // well framed, every type, wrong content
        msg = encode_frame(static_cast<frame_type>(1 + rng() % 16), random_payload(rng));
    }
    zmq::message_t m(msg.data(), msg.size());
    if (i % 50 == 49) { // without an envelope now and then
      s.send(m, zmq::send_flags::none);
    } else if (i % 50 == 48) { // a part too many
      auto head = encode_envelope(session, ++seq);
      s.send(zmq::buffer(head), zmq::send_flags::sndmore);
      zmq::message_t extra(msg.data(), msg.size());
      s.send(m, zmq::send_flags::sndmore);
      s.send(extra, zmq::send_flags::none);
    } else {
      // Numbers that skip, repeat or start over, now and then.
      seq = rng() % 10 == 0 ? rng() % (seq + 2) : seq + 1;
      auto head = encode_envelope(session, seq);
      s.send(zmq::buffer(head), zmq::send_flags::sndmore);
      s.send(m, zmq::send_flags::none);
    }
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(random_frames_on_both_sockets_crash_nothing) {
  test_cluster c({plain_tcp});
  c.start(2);
  auto tms = c.get("/taskmanagers").body["taskmanagers"];
  BOOST_REQUIRE(tms.size() == 2u);
  std::string tm_address = tms[0]["path"].get<std::string>();

  const auto seed = spate::test::test_seed("random_frames_on_both_sockets_crash_nothing");
  std::mt19937_64 rng(seed);
  zmq::context_t ctx;
  fuzz(ctx, "tcp://127.0.0.1:" + std::to_string(c.rpc_port()), rng, 3000);
  fuzz(ctx, tm_address, rng, 3000);

  // Not even ZeroMQ's handshake: raw bytes on the TCP ports.
  for (auto port : {c.rpc_port(), std::stoi(tm_address.substr(tm_address.rfind(':') + 1))}) {
    httplib::Client raw("127.0.0.1", port);
    raw.set_connection_timeout(1, 0);
    raw.set_read_timeout(1, 0);
    (void)raw.Post("/", random_bytes(rng, 1000), "application/octet-stream");
  }

  // The endpoints refused what they got and said so.
  BOOST_REQUIRE(await([&] {
    return c.jobmanager().log().find("rejected") != std::string::npos ||
           c.jobmanager().log().find("refused") != std::string::npos;
  }));
  BOOST_TEST(c.jobmanager().alive());
  BOOST_TEST(c.taskmanager(0).alive());
  BOOST_TEST(c.taskmanager(1).alive());
  BOOST_TEST(await([&] {
    return (c.taskmanager(0).log() + c.taskmanager(1).log()).find("checksum") != std::string::npos;
  }));

  // The cluster still works: a shuffle across both TaskManagers.
  auto out = c.dir() + "/out";
  auto r = c.spate({"run", "wordcount", "-p", "4", "--input", "generator:seed=3,count=20000",
                    "--output", "files:" + out});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  auto l = run_spate({"local", "wordcount", "--input", "generator:seed=3,count=20000", "--output",
                      "files:" + c.dir() + "/local"});
  BOOST_REQUIRE(l.exit_code == 0);
  BOOST_TEST((committed_lines(out) == committed_lines(c.dir() + "/local")));
  BOOST_TEST(c.get("/overview").body["taskmanagers"] == 2);
}

namespace {

//! A channel frame (data or control) as another TaskManager would send it.
std::string channel_frame(frame_type type, const std::string& job, std::int32_t to_chain,
                          std::int32_t channel, std::uint64_t seq) {
  std::string payload;
  spate::encode(std::make_tuple(job, std::int32_t{1}, std::int32_t{0}, std::int32_t{0}, to_chain,
                                std::int32_t{0}, channel, std::int32_t{0}, seq),
                payload);
  if (type == frame_type::control)
    spate::encode(std::make_tuple(std::int32_t{0}, std::int64_t{5}, false, std::int64_t{0}, false,
                                  false, false, std::string()),
                  payload);
  return encode_frame(type, payload);
}

//! Sends one frame to `address` as peer `id`.
void send_as(const std::string& id, const std::string& address, const std::string& bytes) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 10000); // a loaded machine may take a while to connect
  s.set(zmq::sockopt::routing_id, id);
  s.connect(address);
  auto head = encode_envelope(std::random_device{}() | 1u, 1);
  s.send(zmq::buffer(head), zmq::send_flags::sndmore);
  zmq::message_t m(bytes.data(), bytes.size());
  s.send(m, zmq::send_flags::none);
}

//! Two heartbeats to `address` as peer `id`, numbered 1 and 3 in a session
//! of their own: frame 2 looks lost, as after a dropped connection.
void send_with_a_gap(const std::string& id, const std::string& address) {
  zmq::context_t ctx;
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 10000); // a loaded machine may take a while to connect
  s.set(zmq::sockopt::routing_id, id);
  s.connect(address);
  std::uint64_t session = std::random_device{}() | 1u;
  for (std::uint64_t seq : {1u, 3u}) {
    auto head = encode_envelope(session, seq);
    auto beat = encode_frame(frame_type::heartbeat, "a heartbeat");
    s.send(zmq::buffer(head), zmq::send_flags::sndmore);
    s.send(zmq::buffer(beat), zmq::send_flags::none);
  }
}

//! Where subtask 0 of the job's task `index` runs: (TaskManager id, address).
std::pair<std::string, std::string> task_place(test_cluster& c, const std::string& id, int index) {
  auto job = c.get("/jobs/" + id).body;
  auto vid = job["vertices"][index]["id"].get<std::string>();
  auto s = c.get("/jobs/" + id + "/vertices/" + vid).body["subtasks"][0];
  return {s["taskmanager-id"].get<std::string>(), s["endpoint"].get<std::string>()};
}

} // namespace

BOOST_AUTO_TEST_CASE(channel_frames_from_the_wrong_process_or_out_of_line_are_refused) {
  test_cluster c({"restart-strategy.type=none", plain_tcp});
  c.start(2);
  // A process that does not run the sending task: refused, the job runs on.
  auto id =
      c.submit({"wordcount", "-p", "2", "--input", "generator:rate=5000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto [tm, address] = task_place(c, id, 1);
  send_as("tm-forger", address, channel_frame(frame_type::data, id, 1, 0, 0));
  BOOST_REQUIRE(await([&] {
    return (c.taskmanager(0).log() + c.taskmanager(1).log()).find("from 'tm-forger' claims") !=
           std::string::npos;
  }));
  BOOST_TEST(c.job_state(id) == "RUNNING");
  BOOST_TEST(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);

  // In the name of the right process but out of line: the receiving task fails.
  for (auto [type, channel, seq, expect] :
       {std::make_tuple(frame_type::control, 0x7fffffff, 0ull, std::string("does not have")),
        std::make_tuple(frame_type::data, 0, 5ull,
                        std::string("were lost (expected #0, got #5)"))}) {
    auto job =
        c.submit({"wordcount", "-p", "2", "--input", "generator:rate=5000", "--output", "discard"});
    BOOST_REQUIRE(!job.empty());
    BOOST_REQUIRE(c.await_state(job, "RUNNING"));
    auto sender = task_place(c, job, 0).first; // runs subtask 0 of the first task
    send_as(sender, task_place(c, job, 1).second, channel_frame(type, job, 1, channel, seq));
    bool failed = c.await_state(job, "FAILED");
    BOOST_REQUIRE_MESSAGE(failed, c.job_state(job));
    auto cause = c.get("/jobs/" + job + "/exceptions").body["root-exception"].get<std::string>();
    BOOST_TEST(cause.find(expect) != std::string::npos, cause);
  }
  BOOST_TEST(c.taskmanager(0).alive());
  BOOST_TEST(c.taskmanager(1).alive());
  BOOST_TEST(c.jobmanager().alive());
}

// A registered TaskManager that speaks for a task another one runs (an
// acknowledgement, an end, an exit): the JobManager refuses the frame, names
// both, and the job runs on.
BOOST_AUTO_TEST_CASE(frames_for_a_task_another_taskmanager_runs_are_refused) {
  test_cluster c(
      {"restart-strategy.type=none", "execution.checkpointing.interval=100 ms", plain_tcp});
  c.start(2);
  auto id =
      c.submit({"wordcount", "-p", "2", "--input", "generator:rate=5000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto owner = task_place(c, id, 1).first; // runs subtask 0 of task 1
  std::string forger;
  auto tms = c.get("/taskmanagers").body; // kept: the loop reads into it
  for (auto& tm : tms["taskmanagers"])
    if (tm["id"].get<std::string>() != owner)
      forger = tm["id"].get<std::string>();
  BOOST_REQUIRE_MESSAGE(!forger.empty(), "owner " << owner << ", " << tms.dump());
  const std::string jm = "tcp://127.0.0.1:" + std::to_string(c.rpc_port());
  // wire_ack: job, attempt, chain, subtask, checkpoint, operators, sync, async,
  // alignment, bytes, finished.
  std::string ack;
  spate::encode(std::make_tuple(id, std::int32_t{1}, std::int32_t{1}, std::int32_t{0},
                                std::int64_t{1}, std::vector<int>{}, std::int64_t{0},
                                std::int64_t{0}, std::int64_t{0}, std::uint64_t{0}, false),
                ack);
  send_as(forger, jm, encode_frame(frame_type::acknowledge_checkpoint, ack));
  // wire_task_finished: job, attempt, chain, subtask, failed, cause, fatal.
  std::string finished;
  spate::encode(std::make_tuple(id, std::int32_t{1}, std::int32_t{1}, std::int32_t{0}, true,
                                std::string("forged failure"), true),
                finished);
  send_as(forger, jm, encode_frame(frame_type::task_finished, finished));
  BOOST_REQUIRE(await([&] {
    auto log = c.jobmanager().log();
    return log.find("sent a checkpoint acknowledgement for task 1/0") != std::string::npos &&
           log.find("sent the end of a task for task 1/0") != std::string::npos;
  }));
  BOOST_TEST(c.jobmanager().log().find("which runs on '" + owner + "'") != std::string::npos);
  BOOST_TEST(c.job_state(id) == "RUNNING");
  BOOST_TEST(c.request("PATCH", "/jobs/" + id + "?mode=cancel").status == 202);
}

// Frames lost on the way (a connection dropped and ZeroMQ reconnected): the
// TaskManager cannot know what they said, so it gives up its tasks, the job
// restarts from its latest checkpoint, and the output is still exactly one
// pass. Lost frames from the JobManager, then from a peer on the data link.
BOOST_AUTO_TEST_CASE(lost_frames_restart_the_job_and_lose_nothing) {
  test_cluster c({"execution.checkpointing.interval=100 ms", plain_tcp});
  c.start(2);
  auto input = std::string("generator:seed=21,count=60000,rate=20000");
  auto ref = run_spate({"local", "wordcount", "-p", "2", "--input", "generator:seed=21,count=60000",
                        "--output", "files:" + c.dir() + "/reference"});
  BOOST_REQUIRE_MESSAGE(ref.exit_code == 0, ref.err);
  auto want = committed_lines(c.dir() + "/reference");
  int round = 0;
  for (auto expect :
       {std::string("lost frames from the JobManager"), std::string("lost frames: frame 2 from")}) {
    auto out = c.dir() + "/out-" + std::to_string(++round);
    auto id = c.submit({"wordcount", "-p", "2", "--input", input, "--output", "files:" + out});
    BOOST_REQUIRE(!id.empty());
    BOOST_REQUIRE(await([&] { return c.completed_checkpoints(id) >= 1; }));
    auto [tm, address] = task_place(c, id, 1);
    // The JobManager, or the TaskManager that runs the other subtask.
    std::string sender = "jobmanager";
    if (round == 2) {
      auto other = task_place(c, id, 0).first;
      for (auto& t : c.get("/taskmanagers").body["taskmanagers"])
        if (t["id"].get<std::string>() != tm)
          other = t["id"].get<std::string>();
      sender = other;
    }
    send_with_a_gap(sender, address);
    bool noticed = await([&] {
      return (c.taskmanager(0).log() + c.taskmanager(1).log()).find(expect) != std::string::npos;
    });
    BOOST_REQUIRE_MESSAGE(noticed, c.taskmanager(0).log() + c.taskmanager(1).log());
    bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
    BOOST_REQUIRE_MESSAGE(finished, c.job_state(id) + "\n" + c.jobmanager().log());
    // It restarted because of them.
    auto cause = c.get("/jobs/" + id + "/exceptions").body["root-exception"];
    BOOST_TEST(
        (cause.is_string() && cause.get<std::string>().find("lost frames") != std::string::npos),
        cause.dump());
    auto got = committed_lines(out);
    BOOST_TEST(got.size() == want.size());
    BOOST_TEST((got == want), "the output after lost frames differs from spate local's");
  }
  BOOST_TEST(c.jobmanager().log().find("gave up its tasks: lost frames from the JobManager") !=
             std::string::npos);
}
