// Attacks on an authenticated mesh (CURVE, docs/security.md), each by a
// process that does not hold the cluster's keys against real processes of a
// running cluster: registering as a new TaskManager or as a live one,
// deploying a job library to a TaskManager in the JobManager's name, and
// sending data frames for a running job in a TaskManager's name, in plain
// TCP and in CURVE with a key pair of its own. None of it gets past the
// handshake: the cluster keeps its TaskManagers, the job neither restarts
// nor loses a record, and no library is loaded. With key files, a
// TaskManager whose key the JobManager does not trust never registers, a
// trusted key registers only under its own file's name, and the keys a
// deployment hands out are trusted only while its job runs.
// The same attacks against a cluster without authentication succeed, which
// shows they are real.
#define BOOST_TEST_MODULE mesh_attacks
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include <zmq.hpp>

#include "spate/core/codec.hpp"
#include "spate/transport/endpoint.hpp"
#include "spate/transport/frame.hpp"
#include "spate/transport/mesh_security.hpp"
#include "support/cluster.hpp"

using namespace spate::test;
using spate::transport::curve_keypair;
using spate::transport::encode_envelope;
using spate::transport::encode_frame;
using spate::transport::frame_type;
namespace fs = std::filesystem;

namespace {

std::string marker_library() {
  return fs::absolute(bin_dir() + "/../lib/libspate_test_marker_library.so").lexically_normal();
}

//! Processes started from here on write this file when they load the marker
//! library (test/cluster/marker_library.cpp).
struct marked {
  temp_dir elsewhere; // outside every directory a cluster allows
  std::string marker;
  marked() : marker(elsewhere.str() + "/loaded") {
    ::setenv("SPATE_TEST_MARKER", marker.c_str(), 1);
  }
  bool loaded() const { return fs::exists(marker); }
};

//! A peer that speaks the wire by hand as `id`: plain TCP, or CURVE with a
//! key pair of its own when `own` is given (it knows the server's public
//! key: public keys are no secret). A socket monitor reports how its
//! handshake went.
class attacker {
public:
  attacker(std::string what, const std::string& id, const std::string& address,
           const curve_keypair* own = nullptr, const std::string& server_key = {})
      : what_(std::move(what)) {
    static std::atomic<int> monitors{0};
    auto monitor = "inproc://attacker-monitor-" + std::to_string(monitors++);
    if (zmq_socket_monitor(socket_.handle(), monitor.c_str(),
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
      throw std::runtime_error("zmq_socket_monitor failed");
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(monitor);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::routing_id, id);
    if (own) {
      socket_.set(zmq::sockopt::curve_serverkey, server_key);
      socket_.set(zmq::sockopt::curve_publickey, own->public_key);
      socket_.set(zmq::sockopt::curve_secretkey, own->secret_key);
    }
    socket_.connect(address);
  }

  const std::string& what() const { return what_; }

  //! Queues a frame (sent once a handshake succeeds); false when ZeroMQ
  //! did not take it.
  bool send(const std::string& bytes) {
    auto head = encode_envelope(session_, ++seq_);
    if (!socket_.send(zmq::buffer(head), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return false;
    // The rest of a message is never refused once its first part was taken.
    (void)socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
    return true;
  }

  //! How the first handshake ended: "succeeded", "failed: ...", or "" when
  //! none ended within `timeout`.
  std::string handshake(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (outcome_.empty() && std::chrono::steady_clock::now() < deadline) {
      std::vector<zmq::pollitem_t> items{{monitor_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, std::chrono::milliseconds(50));
      zmq::message_t event;
      if (!monitor_.recv(event, zmq::recv_flags::dontwait))
        continue;
      while (monitor_.get(zmq::sockopt::rcvmore)) {
        zmq::message_t rest;
        (void)monitor_.recv(rest, zmq::recv_flags::none);
      }
      if (event.size() < 6)
        continue;
      std::uint16_t kind = 0;
      std::uint32_t value = 0;
      std::memcpy(&kind, event.data(), 2);
      std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
      switch (kind) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
          outcome_ = "succeeded";
          break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
          outcome_ = "failed: refused by the server (status " + std::to_string(value) + ")";
          break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
          outcome_ = value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                         ? "failed: the server speaks another mechanism"
                         : "failed: protocol error " + std::to_string(value);
          break;
        default:
          outcome_ = "failed: " + std::string(zmq_strerror(static_cast<int>(value)));
      }
    }
    return outcome_;
  }

private:
  std::string what_;
  zmq::context_t ctx_;
  zmq::socket_t socket_{ctx_, zmq::socket_type::dealer};
  zmq::socket_t monitor_{ctx_, zmq::socket_type::pair};
  std::uint64_t session_ = std::random_device{}() | 1u;
  std::uint64_t seq_ = 0;
  std::string outcome_;
};

//! A registration (wire_register: id, address, slots, pid, host) of
//! TaskManager `id`, at an address nobody serves.
std::string register_frame(const std::string& id) {
  std::string payload;
  spate::encode(std::make_tuple(id, std::string("tcp://127.0.0.1:9"), std::int32_t{2},
                                std::int64_t{424242}, std::string("attacker")),
                payload);
  return encode_frame(frame_type::register_taskmanager, payload);
}

//! A deployment (wire_deploy) of a job whose library is the marker library,
//! one task on TaskManager `tm`: loading the library leaves the mark.
std::string deploy_frame(const std::string& tm, const std::string& tm_address) {
  json spec = {{"job", "marked"}, {"library", marker_library()},   {"input", ""},
               {"output", ""},    {"extraOutputs", json::array()}, {"args", json::array()}};
  std::string payload;
  spate::encode(std::make_tuple(std::string("0badc0de0badc0de0badc0de0badc0de"), std::int32_t{1},
                                std::string("forged"), spec.dump(),
                                std::map<std::string, std::string>{}, std::string(),
                                std::vector<std::vector<std::string>>{{tm}},
                                std::map<std::string, std::string>{{tm, tm_address}},
                                std::map<std::string, std::string>{}),
                payload);
  return encode_frame(frame_type::deploy, payload);
}

//! A data frame of job `job` from subtask `from` of its first task to subtask
//! `to` of its second (channel head: job, attempt, from chain and subtask,
//! to chain and subtask, channel, sender channel, number), numbered far
//! beyond what the real sender sent.
std::string data_frame(const std::string& job, std::int32_t from, std::int32_t to) {
  std::string payload;
  spate::encode(std::make_tuple(job, std::int32_t{1}, std::int32_t{0}, from, std::int32_t{1}, to,
                                from, to, std::uint64_t{1} << 40),
                payload);
  return encode_frame(frame_type::data, payload);
}

//! Where the subtasks of the job's task `index` run: (TaskManager id, address).
std::vector<std::pair<std::string, std::string>> placement(test_cluster& c, const std::string& id,
                                                           int index) {
  std::vector<std::pair<std::string, std::string>> out;
  auto job = c.get("/jobs/" + id).body;
  auto vid = job["vertices"][index]["id"].get<std::string>();
  auto vertex = c.get("/jobs/" + id + "/vertices/" + vid).body; // kept: the loop reads into it
  for (auto& s : vertex["subtasks"])
    out.emplace_back(s["taskmanager-id"].get<std::string>(), s["endpoint"].get<std::string>());
  return out;
}

//! The job's full restarts so far (the subtasks' attempt), -1 when unknown.
int restarts(test_cluster& c, const std::string& id) {
  auto job = c.get("/jobs/" + id).body;
  if (!job.is_object() || job["vertices"].empty())
    return -1;
  auto v = c.get("/jobs/" + id + "/vertices/" + job["vertices"][0]["id"].get<std::string>()).body;
  return v.is_object() && !v["subtasks"].empty() ? v["subtasks"][0]["attempt"].get<int>() : -1;
}

//! What an attack aims at in a cluster that runs job `job` on 2 TaskManagers.
struct targets {
  std::string jobmanager; //!< the JobManager's rpc address
  std::string live_tm;    //!< a registered TaskManager's id
  std::string deploy_tm;  //!< a TaskManager's id and data address, for the deploy
  std::string deploy_address;
  std::string job;
  std::string sender;   //!< the TaskManager that runs subtask `from` of task 0
  std::string receiver; //!< the data address of another, which runs subtask `to` of task 1
  std::int32_t from = 0, to = 0;
};

targets find_targets(test_cluster& c, const std::string& job) {
  targets t;
  t.jobmanager = "tcp://127.0.0.1:" + std::to_string(c.rpc_port());
  auto tms = c.get("/taskmanagers").body["taskmanagers"];
  BOOST_REQUIRE_EQUAL(tms.size(), 2u);
  t.live_tm = tms[1]["id"].get<std::string>();
  t.deploy_tm = tms[0]["id"].get<std::string>();
  t.deploy_address = tms[0]["path"].get<std::string>();
  t.job = job;
  // A sending subtask and a receiving one on different TaskManagers: their
  // frames cross the mesh.
  std::vector<std::pair<std::string, std::string>> senders, receivers;
  auto placed = [](const std::vector<std::pair<std::string, std::string>>& p) {
    return !p.empty() && std::all_of(p.begin(), p.end(),
                                     [](auto& s) { return !s.first.empty() && !s.second.empty(); });
  };
  // RUNNING comes before the placement is reported.
  bool known = await([&] {
    senders = placement(c, job, 0);
    receivers = placement(c, job, 1);
    return placed(senders) && placed(receivers);
  });
  BOOST_REQUIRE_MESSAGE(known, "no placement of job " << job);
  for (std::size_t s = 0; s < senders.size() && t.sender.empty(); ++s)
    for (std::size_t r = 0; r < receivers.size() && t.sender.empty(); ++r)
      if (senders[s].first != receivers[r].first) {
        t.sender = senders[s].first;
        t.receiver = receivers[r].second;
        t.from = static_cast<std::int32_t>(s);
        t.to = static_cast<std::int32_t>(r);
      }
  BOOST_REQUIRE_MESSAGE(!t.sender.empty(), "the job does not run on both TaskManagers");
  return t;
}

//! Every attack once, by attackers of one kind: plain TCP (`own` null), or
//! CURVE with `own` against the servers' `server_key`. The attackers are
//! returned: their connections live (and retry) until they are dropped.
std::vector<std::unique_ptr<attacker>> attack(const targets& t, const curve_keypair* own,
                                              const std::string& server_key) {
  std::string kind = own ? "CURVE with an untrusted key" : "plain TCP";
  std::vector<std::unique_ptr<attacker>> out;
  auto add = [&](const std::string& what, const std::string& id, const std::string& address,
                 const std::string& frame) {
    out.push_back(std::make_unique<attacker>(kind + ": " + what, id, address, own, server_key));
    BOOST_REQUIRE_MESSAGE(out.back()->send(frame), out.back()->what() << ": not queued");
  };
  add("registers as tm-evil", "tm-evil", t.jobmanager, register_frame("tm-evil"));
  add("registers as live " + t.live_tm, t.live_tm, t.jobmanager, register_frame(t.live_tm));
  add("deploys the marker library as the JobManager", "jobmanager", t.deploy_address,
      deploy_frame(t.deploy_tm, t.deploy_address));
  add("sends data as tm-evil", "tm-evil", t.receiver, data_frame(t.job, t.from, t.to));
  add("sends data as " + t.sender, t.sender, t.receiver, data_frame(t.job, t.from, t.to));
  return out;
}

std::set<std::string> taskmanager_ids(test_cluster& c) {
  std::set<std::string> ids;
  auto tms = c.get("/taskmanagers").body; // kept: the loop reads into it
  for (auto& tm : tms["taskmanagers"])
    ids.insert(tm["id"].get<std::string>());
  return ids;
}

} // namespace

// A cluster with a cluster secret runs a job over both TaskManagers while
// attackers without the secret try everything: nothing of theirs is taken.
BOOST_AUTO_TEST_CASE(attackers_without_the_cluster_secret_change_nothing) {
  marked mark;
  test_cluster c({"execution.checkpointing.interval=200 ms"});
  BOOST_REQUIRE(!c.secret_file().empty());
  c.start(2);
  BOOST_TEST(c.jobmanager().log().find("mesh authentication: CURVE, cluster secret") !=
             std::string::npos);
  auto before = c.get("/taskmanagers").body["taskmanagers"];
  std::map<std::string, json> tm_before;
  for (auto& tm : before)
    tm_before[tm["id"].get<std::string>()] = tm;

  const std::string generator = "generator:seed=13,count=120000";
  auto ref = run_spate({"local", "wordcount", "-p", "2", "--input", generator, "--output",
                        "files:" + c.dir() + "/reference"});
  BOOST_REQUIRE_MESSAGE(ref.exit_code == 0, ref.err);
  auto out = c.dir() + "/out";
  // Parallelism 4 on 2 x 2 slots: both TaskManagers run subtasks of both
  // tasks, and records cross between them.
  auto id = c.submit(
      {"wordcount", "-p", "4", "--input", generator + ",rate=40000", "--output", "files:" + out});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto t = find_targets(c, id);

  // The servers' public key is everyone's to know; the secret half is not.
  const auto cluster_key =
      spate::transport::derive_keypair(spate::transport::read_cluster_secret(c.secret_file()))
          .public_key;
  const auto own = spate::transport::generate_keypair();
  auto plain = attack(t, nullptr, {});
  auto curve = attack(t, &own, cluster_key);
  // Every handshake fails: plain TCP cannot speak CURVE, and an untrusted
  // key is refused by the server.
  for (auto* group : {&plain, &curve})
    for (auto& a : *group) {
      auto outcome = a->handshake();
      BOOST_TEST_MESSAGE(a->what() << ": handshake " << outcome);
      BOOST_TEST(outcome.rfind("failed", 0) == 0, a->what() << ": handshake " << outcome);
    }
  for (auto& a : curve)
    BOOST_TEST(a->handshake().find("refused by the server") != std::string::npos,
               a->what() << ": " << a->handshake());
  // The JobManager and the TaskManagers attacked in CURVE say whom they refused.
  auto tm_log = [&] { return c.taskmanager(0).log() + c.taskmanager(1).log(); };
  bool logged = await([&] {
    auto jm = c.jobmanager().log();
    auto tms = tm_log();
    return jm.find("refused a connection") != std::string::npos &&
           jm.find(own.public_key) != std::string::npos &&
           tms.find("refused a connection") != std::string::npos &&
           tms.find(own.public_key) != std::string::npos;
  });
  BOOST_REQUIRE_MESSAGE(logged, "JobManager:\n"
                                    << c.jobmanager().log() << "\nTaskManagers:\n"
                                    << tm_log());
  // The TaskManager that got the forged deploy, in particular.
  std::size_t deployed_to =
      c.taskmanager(0).log().find("TaskManager " + t.deploy_tm + " started") != std::string::npos
          ? 0
          : 1;
  BOOST_TEST(c.taskmanager(deployed_to).log().find("TaskManager " + t.deploy_tm + " started") !=
             std::string::npos);
  BOOST_TEST(c.taskmanager(deployed_to).log().find(own.public_key) != std::string::npos,
             c.taskmanager(deployed_to).log());
  BOOST_TEST(c.job_state(id) == "RUNNING", "the attacks ended after the job: " << c.job_state(id));

  // Still the same two TaskManagers, the same processes, never lost.
  auto after = c.get("/taskmanagers").body["taskmanagers"];
  BOOST_TEST(c.get("/overview").body["taskmanagers"] == 2);
  BOOST_TEST(after.size() == 2u);
  for (auto& tm : after) {
    auto tid = tm["id"].get<std::string>();
    BOOST_TEST(tid != "tm-evil");
    BOOST_REQUIRE_MESSAGE(tm_before.count(tid), "a new TaskManager " << tm.dump());
    BOOST_TEST(tm["path"] == tm_before[tid]["path"], tm.dump());
    BOOST_TEST(tm["pid"] == tm_before[tid]["pid"], tm.dump());
  }
  BOOST_TEST(taskmanager_ids(c).count(t.live_tm) == 1u);
  auto jm_log = c.jobmanager().log();
  BOOST_TEST(jm_log.find("tm-evil") == std::string::npos, jm_log);
  BOOST_TEST(jm_log.find("registered again from another process") == std::string::npos, jm_log);
  BOOST_TEST(!names_a_lost_taskmanager(jm_log), jm_log);

  // The job ran on without a restart, to exactly the right output.
  bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(finished, c.job_state(id) + "\n" + c.jobmanager().log());
  BOOST_TEST(restarts(c, id) == 0);
  auto exceptions = c.get("/jobs/" + id + "/exceptions").body;
  BOOST_TEST(exceptions["root-exception"].is_null(), exceptions.dump());
  BOOST_TEST((committed_lines(out) == committed_lines(c.dir() + "/reference")),
             "the output differs from spate local's");
  // No library was loaded.
  BOOST_TEST(!mark.loaded());
  BOOST_TEST(c.taskmanager(0).log().find("0badc0de") == std::string::npos);
  BOOST_TEST(c.taskmanager(1).log().find("0badc0de") == std::string::npos);
  BOOST_TEST(c.jobmanager().alive());
  BOOST_TEST(c.taskmanager(0).alive());
  BOOST_TEST(c.taskmanager(1).alive());
}

// The attacks above are real: against a cluster whose mesh is plain TCP
// (no secret) the same frames register a TaskManager, take over a live
// one's registration (the job restarts or fails) and load a library on a
// TaskManager.
BOOST_AUTO_TEST_CASE(without_authentication_the_same_attacks_succeed) {
  marked mark;
  test_cluster c({"security.cluster-secret-file="});
  c.start(2);
  BOOST_TEST(c.jobmanager().log().find("mesh authentication: none (loopback only)") !=
             std::string::npos);
  auto id =
      c.submit({"wordcount", "-p", "4", "--input", "generator:rate=5000", "--output", "discard"});
  BOOST_REQUIRE(!id.empty());
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto t = find_targets(c, id);
  auto plain = attack(t, nullptr, {});
  for (auto& a : plain)
    BOOST_TEST(a->handshake() == "succeeded", a->what() << ": " << a->handshake());
  bool loaded = await([&] { return mark.loaded(); });
  BOOST_TEST(loaded, "the forged deploy loaded no library:\n"
                         << c.taskmanager(0).log() << c.taskmanager(1).log());
  bool taken = await([&] {
    auto jm = c.jobmanager().log();
    return jm.find("TaskManager tm-evil registered") != std::string::npos &&
           jm.find("'" + t.live_tm + "' registered again from another process") !=
               std::string::npos;
  });
  BOOST_TEST(taken, c.jobmanager().log());
  // The job is thrown off by the takeover: it restarts, or fails.
  bool disrupted = await([&] {
    auto state = c.job_state(id);
    return restarts(c, id) >= 1 || state == "RESTARTING" || state == "FAILING" || state == "FAILED";
  });
  auto exceptions = c.get("/jobs/" + id + "/exceptions").body.dump();
  BOOST_TEST_MESSAGE("job " << c.job_state(id) << " after " << restarts(c, id)
                            << " restart(s): " << exceptions);
  BOOST_TEST(disrupted, c.job_state(id) << "\n" << exceptions << "\n" << c.jobmanager().log());
  c.request("PATCH", "/jobs/" + id + "?mode=cancel");

  // Even without authentication, the JobManager's own name is no
  // TaskManager's: deployments would re-point every TaskManager's link to
  // the JobManager at whoever registered under it.
  attacker impostor("registers as jobmanager", "jobmanager", t.jobmanager);
  BOOST_REQUIRE(impostor.send(register_frame("jobmanager")));
  bool refused = await([&] {
    return c.jobmanager().log().find("refused a registration from 'jobmanager'") !=
           std::string::npos;
  });
  BOOST_TEST(refused, c.jobmanager().log());
  BOOST_TEST(taskmanager_ids(c).count("jobmanager") == 0u);
}

// Key files: each process has its own key pair, the JobManager trusts the
// TaskManagers' public keys in a directory (tm1.pub: the TaskManager whose
// resource-id is tm1), the TaskManagers the JobManager's key and the keys
// it hands out with a deployment, while the job runs. A job over both
// TaskManagers gives the right output; afterwards they no longer trust each
// other's keys; a TaskManager with a key the JobManager does not trust never
// registers.
BOOST_AUTO_TEST_CASE(key_files_admit_trusted_taskmanagers_only) {
  // Key files instead of the cluster secret test_cluster would make.
  test_cluster c({"security.cluster-secret-file="});
  auto keys = c.dir() + "/keys";
  auto trusted = c.dir() + "/trusted";
  for (auto name : {"jm", "tm1", "tm2", "tm3"}) {
    auto r = run_spate({"keys", "generate", name, "--dir", keys});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  }
  BOOST_REQUIRE(fs::exists(keys + "/tm3.key"));
  BOOST_TEST(((fs::status(keys + "/tm1.key").permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write)),
             "tm1.key is readable by others");
  fs::create_directories(trusted);
  for (auto name : {"tm1", "tm2"})
    fs::copy_file(keys + "/" + name + ".pub", trusted + "/" + name + ".pub");
  auto taskmanager = [&](const std::string& name) {
    return std::vector<std::string>{"security.mesh.key-file=" + keys + "/" + name + ".key",
                                    "security.mesh.jobmanager-key-file=" + keys + "/jm.pub"};
  };
  c.start_jobmanager(
      {"security.mesh.key-file=" + keys + "/jm.key", "security.mesh.trusted-keys-dir=" + trusted});
  // A TaskManager's resource-id is the name of its key file: set, or by
  // default.
  auto tm1 = taskmanager("tm1");
  tm1.push_back("taskmanager.resource-id=tm1");
  c.start_taskmanager(tm1);
  c.start_taskmanager(taskmanager("tm2"));
  bool up = c.await_taskmanagers(2);
  BOOST_REQUIRE_MESSAGE(up, c.jobmanager().log() + c.taskmanager(0).log() + c.taskmanager(1).log());
  BOOST_TEST(c.jobmanager().log().find("2 trusted TaskManager key(s)") != std::string::npos);
  BOOST_TEST((taskmanager_ids(c) == std::set<std::string>{"tm1", "tm2"}));

  // Parallelism 4 on 2 x 2 slots: records cross between the TaskManagers,
  // over connections made with the keys the deployment handed out.
  const std::string generator = "generator:seed=7,count=30000";
  auto out = c.dir() + "/out";
  auto id = c.submit({"wordcount", "-p", "4", "--input", generator, "--output", "files:" + out});
  BOOST_REQUIRE(!id.empty());
  auto ref = run_spate({"local", "wordcount", "-p", "2", "--input", generator, "--output",
                        "files:" + c.dir() + "/reference"});
  BOOST_REQUIRE_MESSAGE(ref.exit_code == 0, ref.err);
  bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(finished, c.job_state(id) + "\n" + c.jobmanager().log() +
                                      c.taskmanager(0).log() + c.taskmanager(1).log());
  for (std::size_t i = 0; i < 2; ++i) {
    auto log = c.taskmanager(i).log();
    BOOST_TEST(log.find("job " + id + " attempt") != std::string::npos, log);
  }
  BOOST_TEST(restarts(c, id) == 0);
  auto exceptions = c.get("/jobs/" + id + "/exceptions").body;
  BOOST_TEST(exceptions["root-exception"].is_null(), exceptions.dump());
  BOOST_TEST((committed_lines(out) == committed_lines(c.dir() + "/reference")),
             "the output differs from spate local's");

  // The job ended: the TaskManagers no longer trust the keys its deployment
  // handed out. Even tm1's own key pair no longer gets into tm2.
  std::string tm2_address;
  auto registered = c.get("/taskmanagers").body; // kept: the loop reads into it
  for (auto& tm : registered["taskmanagers"])
    if (tm["id"] == "tm2")
      tm2_address = tm["path"].get<std::string>();
  BOOST_REQUIRE(!tm2_address.empty());
  std::size_t tm2_index =
      c.taskmanager(0).log().find("TaskManager tm2 started") != std::string::npos ? 0 : 1;
  bool released = await(
      [&] {
        return c.taskmanager(tm2_index).log().find("the keys of 'tm1' are no longer trusted") !=
               std::string::npos;
      },
      std::chrono::seconds(30));
  BOOST_REQUIRE_MESSAGE(released, c.taskmanager(tm2_index).log());
  const auto tm1_keys = spate::transport::read_keypair_file(keys + "/tm1.key");
  const auto tm2_key = spate::transport::read_public_key_file(keys + "/tm2.pub");
  attacker stale("tm1's key after the job", "tm1", tm2_address, &tm1_keys, tm2_key);
  BOOST_REQUIRE(stale.send(data_frame(id, 0, 0)));
  auto outcome = stale.handshake(std::chrono::seconds(15));
  BOOST_TEST(outcome.find("refused by the server") != std::string::npos, outcome);

  // A TaskManager with a key pair of its own that nobody trusts.
  auto untrusted = spate::transport::read_public_key_file(keys + "/tm3.pub");
  c.start_taskmanager(taskmanager("tm3"));
  bool refused = await([&] {
    auto jm = c.jobmanager().log();
    return jm.find("refused a connection") != std::string::npos &&
           jm.find(untrusted) != std::string::npos;
  });
  BOOST_REQUIRE_MESSAGE(refused, c.jobmanager().log() + c.taskmanager(2).log());
  // It keeps trying; it never gets in (a condition that must stay false).
  bool joined = await(
      [&] {
        auto r = c.get("/overview");
        return r.status != 200 || r.body["taskmanagers"] != 2;
      },
      std::chrono::milliseconds(2000));
  BOOST_TEST(!joined, c.get("/taskmanagers").body.dump());
  BOOST_TEST(c.taskmanager(2).alive());
  BOOST_TEST(c.taskmanager(2).log().find("registered with the JobManager") == std::string::npos);
}

// Key files: a trusted key registers only under the name of its file. Before
// tm1 ever registered, tm2's key tries tm1's name and a name nobody holds:
// both are refused (the JobManager says which name and which key), and tm1,
// when it comes, registers and runs a job.
BOOST_AUTO_TEST_CASE(a_trusted_key_cannot_register_under_another_name) {
  test_cluster c({"security.cluster-secret-file="});
  auto keys = c.dir() + "/keys";
  auto trusted = c.dir() + "/trusted";
  for (auto name : {"jm", "tm1", "tm2"}) {
    auto r = run_spate({"keys", "generate", name, "--dir", keys});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out + r.err);
  }
  fs::create_directories(trusted);
  for (auto name : {"tm1", "tm2"})
    fs::copy_file(keys + "/" + name + ".pub", trusted + "/" + name + ".pub");
  auto taskmanager = [&](const std::string& key, const std::string& id) {
    return std::vector<std::string>{"security.mesh.key-file=" + keys + "/" + key + ".key",
                                    "security.mesh.jobmanager-key-file=" + keys + "/jm.pub",
                                    "taskmanager.resource-id=" + id};
  };
  c.start_jobmanager(
      {"security.mesh.key-file=" + keys + "/jm.key", "security.mesh.trusted-keys-dir=" + trusted});
  const auto tm2_key = spate::transport::read_public_key_file(keys + "/tm2.pub");
  // (Each squatter in a state directory of its own: tm1's working directory
  // is named by its id.)
  auto squatter = [&](const std::string& id) {
    auto o = taskmanager("tm2", id);
    o.push_back("state.backend.rocksdb.localdir=" + c.dir() + "/state-" + id + "-squatter");
    return o;
  };
  c.start_taskmanager(squatter("tm1"));     // another listed TaskManager's name
  c.start_taskmanager(squatter("tm-free")); // a name no file lists
  bool refused = await([&] {
    auto jm = c.jobmanager().log();
    for (auto name : {"'tm1'", "'tm-free'"}) {
      auto at = jm.find("dropped frames from a sender calling itself " + std::string(name));
      if (at == std::string::npos)
        return false;
      auto line = jm.substr(at, jm.find('\n', at) - at);
      if (line.find(tm2_key) == std::string::npos)
        return false;
    }
    return true;
  });
  BOOST_REQUIRE_MESSAGE(refused, c.jobmanager().log());
  // They keep trying; neither registers (a condition that must stay false).
  bool joined = await(
      [&] {
        auto r = c.get("/overview");
        return r.status != 200 || r.body["taskmanagers"] != 0;
      },
      std::chrono::milliseconds(1500));
  BOOST_TEST(!joined, c.get("/taskmanagers").body.dump());
  // The rightful tm1.
  c.start_taskmanager(taskmanager("tm1", "tm1"));
  bool up = c.await_taskmanagers(1);
  BOOST_REQUIRE_MESSAGE(up, c.jobmanager().log() + c.taskmanager(2).log());
  BOOST_TEST((taskmanager_ids(c) == std::set<std::string>{"tm1"}));
  auto out = c.dir() + "/out";
  auto id = c.submit({"wordcount", "-p", "2", "--input", "generator:seed=3,count=2000", "--output",
                      "files:" + out});
  BOOST_REQUIRE(!id.empty());
  bool finished = c.await_state(id, "FINISHED", std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(finished, c.job_state(id) + "\n" + c.jobmanager().log());
  BOOST_TEST((taskmanager_ids(c) == std::set<std::string>{"tm1"}));
  for (std::size_t i = 0; i < 2; ++i) {
    BOOST_TEST(c.taskmanager(i).alive());
    BOOST_TEST(c.taskmanager(i).log().find("registered with the JobManager") == std::string::npos);
  }
}
