// Floods at the mesh of a running cluster: oversized frames, many frames for
// jobs that do not exist, and msgpack bombs, sent at the JobManager and a
// TaskManager while a job runs. Every process's resident memory stays under
// a stated bound, the floods are refused and logged, and the job finishes
// with the right output.
#define BOOST_TEST_MODULE mesh_floods
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <zmq.hpp>

#include "spate/transport/endpoint.hpp"
#include "spate/transport/frame.hpp"
#include "support/cluster.hpp"

using namespace spate::test;
using spate::transport::encode_envelope;
using spate::transport::encode_frame;
using spate::transport::frame_type;

namespace {

//! The resident memory of process `pid` in MiB (VmRSS), -1 when gone.
long rss_mib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6)) / 1024;
  return -1;
}

//! Samples the peak VmRSS of some processes until stopped.
class rss_watch {
public:
  explicit rss_watch(std::vector<pid_t> pids) : pids_(std::move(pids)), peak_(pids_.size()) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        for (std::size_t i = 0; i < pids_.size(); ++i)
          peak_[i] = std::max(peak_[i].load(), rss_mib(pids_[i]));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~rss_watch() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable())
      thread_.join();
  }
  long peak(std::size_t i) const { return peak_[i].load(); }

private:
  std::vector<pid_t> pids_;
  std::vector<std::atomic<long>> peak_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

//! A peer that speaks the wire by hand as `id`, in a session of its own.
class flooder {
public:
  flooder(const std::string& id, const std::string& address) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::routing_id, id);
    socket_.set(zmq::sockopt::sndhwm, 0);
    socket_.connect(address);
  }
  void send(const std::string& bytes) {
    auto head = encode_envelope(session_, ++seq_);
    socket_.send(zmq::buffer(head), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
  }
  //! Waits until ZeroMQ has written what was queued (or `timeout`).
  void drain() {
    // A DEALER has no "queue empty" probe: close with a linger.
    socket_.set(zmq::sockopt::linger, 5000);
    socket_.close();
  }

private:
  zmq::context_t ctx_;
  zmq::socket_t socket_{ctx_, zmq::socket_type::dealer};
  std::uint64_t session_ = std::random_device{}() | 1u;
  std::uint64_t seq_ = 0;
};

//! A payload of `n` bytes: one msgpack array of n - 5 nils.
std::string nil_bomb(std::size_t n) {
  std::string s(1, '\xdd');
  const std::size_t k = n - 5;
  for (int i = 3; i >= 0; --i)
    s.push_back(static_cast<char>((k >> (8 * i)) & 0xff));
  s.append(k, '\xc0');
  return s;
}

//! A data frame of a job that does not exist, with `bytes` of filler.
std::string unknown_job_frame(std::mt19937_64& rng, std::size_t bytes) {
  char id[33];
  std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  std::string payload;
  spate::encode(std::make_tuple(std::string(id), std::int32_t{1}, std::int32_t{0}, std::int32_t{0},
                                std::int32_t{1}, std::int32_t{0}, std::int32_t{0}, std::int32_t{0},
                                std::uint64_t{0}),
                payload);
  payload.append(bytes, 'x');
  return encode_frame(frame_type::data, payload);
}

//! The ZeroMQ message parts of an oversized frame (ZeroMQ refuses it).
std::string oversized(std::size_t n) { return std::string(n, 'x'); }

} // namespace

// The bound every process stays under while flooded; an idle process of
// this cluster takes about 50-90 MiB; ZeroMQ may hold up to
// mesh.receive-high-water-mark (32) frames per flooding connection. Without the limits the nil bomb
// alone made the JobManager take about 24 times the frame's size (1.5 GiB for 64 MiB), and 200
// frames of 4 MiB for unknown jobs were all kept.
constexpr long rss_bound_mib = 400;

BOOST_AUTO_TEST_CASE(floods_leave_memory_bounded_and_the_job_correct) {
  // A plain-TCP mesh (no cluster secret): the floods are frames the decoders
  // and bounds must survive from an insider, or from anyone when a cluster
  // runs unauthenticated; with CURVE none of them would get past the
  // handshake (test_mesh_attacks).
  test_cluster c({"execution.checkpointing.interval=200 ms", "security.cluster-secret-file="});
  c.start(2);
  auto tms = c.get("/taskmanagers").body["taskmanagers"];
  BOOST_REQUIRE(tms.size() == 2u);
  const std::string tm_address = tms[0]["path"].get<std::string>();
  const std::string jm_address = "tcp://127.0.0.1:" + std::to_string(c.rpc_port());

  auto ref =
      run_spate({"local", "wordcount", "-p", "2", "--input", "generator:seed=11,count=100000",
                 "--output", "files:" + c.dir() + "/reference"});
  BOOST_REQUIRE_MESSAGE(ref.exit_code == 0, ref.err);
  auto out = c.dir() + "/out";
  auto r = c.spate({"run", "-d", "wordcount", "-p", "4", "--input",
                    "generator:seed=11,count=100000,rate=40000", "--output", "files:" + out});
  auto jobid_at = r.out.find("JobID ");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0 && jobid_at != std::string::npos, r.out + r.err);
  auto id = r.out.substr(jobid_at + 6, 32);
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));

  rss_watch watch({c.jobmanager().pid(), c.taskmanager(0).pid(), c.taskmanager(1).pid()});
  auto started = std::chrono::steady_clock::now();
  std::mt19937_64 rng(17);
  {
    // Oversized frames (20 MiB, over the 16 MiB default): ZeroMQ refuses
    // each before allocating it and drops the connection.
    for (const auto& address : {jm_address, tm_address}) {
      flooder f("tm-oversized", address);
      for (int i = 0; i < 5; ++i)
        f.send(oversized(20u << 20));
      f.drain();
    }
    // msgpack bombs, 15 MiB of nils, and 100,000 nested arrays: to the
    // JobManager as a registration and a job frame, to the TaskManager as a
    // channel frame.
    const std::string bomb = nil_bomb(15u << 20);
    const std::string deep = std::string(100000, '\x91') + std::string(1, '\xc0');
    {
      flooder f("tm-bomber", jm_address);
      for (int i = 0; i < 3; ++i) {
        f.send(encode_frame(frame_type::register_taskmanager, bomb));
        f.send(encode_frame(frame_type::acknowledge_checkpoint, bomb));
        f.send(encode_frame(frame_type::register_taskmanager, deep));
      }
      f.drain();
    }
    {
      // (Frames in the JobManager's name are the mesh authentication's to
      // refuse; a forged "jobmanager" connection takes over the real one's
      // routing id today. The deploy decoder's limits are unit-tested.)
      flooder g("tm-bomber", tm_address);
      for (int i = 0; i < 3; ++i) {
        g.send(encode_frame(frame_type::data, bomb));
        g.send(encode_frame(frame_type::data, deep));
      }
      g.drain();
    }
    // Frames for jobs that do not exist: 200 x 4 MiB (800 MiB) from one
    // sender, to the TaskManager and the JobManager.
    {
      flooder f("tm-unknown-jobs", tm_address);
      for (int i = 0; i < 200; ++i)
        f.send(unknown_job_frame(rng, 4u << 20));
      f.drain();
      flooder g("tm-unknown-jobs", jm_address);
      for (int i = 0; i < 50; ++i)
        g.send(unknown_job_frame(rng, 4u << 20));
      g.drain();
    }
  }
  auto flood_time = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();

  // Refused, and said so.
  BOOST_TEST(await([&] {
    auto jm = c.jobmanager().log();
    return jm.find("the limit on objects") != std::string::npos &&
           jm.find("the limit on depth") != std::string::npos &&
           jm.find("'tm-unknown-jobs', which is not a registered TaskManager") != std::string::npos;
  }));
  BOOST_TEST(await([&] {
    auto tm = c.taskmanager(0).log() + c.taskmanager(1).log();
    return tm.find("the channel head: more than") != std::string::npos &&
           tm.find("the limit on depth") != std::string::npos &&
           tm.find("dropped frames from 'tm-unknown-jobs'") != std::string::npos;
  }));
  // Logged once per sender, not once per frame.
  auto tm_log = c.taskmanager(0).log() + c.taskmanager(1).log();
  std::size_t warned = 0;
  for (auto at = tm_log.find("dropped frames from 'tm-unknown-jobs'"); at != std::string::npos;
       at = tm_log.find("dropped frames from 'tm-unknown-jobs'", at + 1))
    ++warned;
  BOOST_TEST(warned == 1u);

  // The job runs on to the right output.
  bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(finished, c.job_state(id) + "\n" + c.jobmanager().log());
  watch.stop();
  BOOST_TEST((committed_lines(out) == committed_lines(c.dir() + "/reference")));
  BOOST_TEST(c.jobmanager().alive());
  BOOST_TEST(c.taskmanager(0).alive());
  BOOST_TEST(c.taskmanager(1).alive());
  std::cout << "floods took " << flood_time << " ms; peak RSS: JobManager " << watch.peak(0)
            << " MiB, TaskManagers " << watch.peak(1) << " and " << watch.peak(2) << " MiB (bound "
            << rss_bound_mib << " MiB)\n";
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_TEST(watch.peak(i) < rss_bound_mib, "process " << i << ": " << watch.peak(i) << " MiB");
}
