// CURVE on the mesh: members of a cluster talk; a peer without a trusted key
// gets nothing through, whether it speaks plain TCP or CURVE with a key of
// its own; a trusted key cannot use another member's name, nor a name no one
// holds; a forger cannot take over a member's connection; key and secret
// files are checked. What a peer can make an endpoint hold is bounded: held
// handshakes per address, state per sender name; keys learned for a job go
// when the last job that needs them ends.
#define BOOST_TEST_MODULE mesh_auth
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "spate/core/error.hpp"
#include "spate/transport/endpoint.hpp"
#include "spate/transport/mesh_security.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::transport;

namespace {

struct inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::string>> got; //!< sender, payload

  endpoint::handler handler() {
    return [this](const std::string& from, frame&& f) {
      std::lock_guard<std::mutex> lock(mu);
      got.emplace_back(from, f.payload);
      cv.notify_all();
    };
  }
  bool await(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return got.size() >= n; });
  }
  std::vector<std::pair<std::string, std::string>> all() {
    std::lock_guard<std::mutex> lock(mu);
    return got;
  }
};

template <class Pred>
bool await(Pred p, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

//! What every holder of `secret` runs with.
mesh_security cluster_member(const std::string& secret) {
  mesh_security s;
  s.curve = true;
  s.own = derive_keypair(secret);
  s.ring = std::make_shared<key_ring>();
  s.ring->allow(s.own.public_key);
  s.ring->set_default_key(s.own.public_key);
  return s;
}

//! A process with a key pair of its own that trusts `bound` peers' keys
//! under their names only.
mesh_security own_keys(const curve_keypair& kp,
                       std::vector<std::pair<std::string, std::string>> bound = {}) {
  mesh_security s;
  s.curve = true;
  s.own = kp;
  s.ring = std::make_shared<key_ring>();
  for (auto& [name, key] : bound)
    s.ring->bind(name, key);
  return s;
}

std::string data(const std::string& text) { return encode_frame(frame_type::data, text); }

//! A DEALER speaking plain TCP with the wire's envelope, as `id`.
struct plain_forger {
  zmq::context_t ctx;
  zmq::socket_t socket{ctx, zmq::socket_type::dealer};
  std::uint64_t seq = 0;
  plain_forger(const std::string& id, const std::string& address) {
    socket.set(zmq::sockopt::routing_id, id);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(address);
  }
  void send(const std::string& bytes) {
    auto head = encode_envelope(0x5eed, ++seq);
    socket.send(zmq::buffer(head), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  }
};

//! A DEALER speaking CURVE with key pair `own` as routing id `id`, to a
//! server whose key is `server_key`.
struct curve_peer {
  zmq::context_t ctx;
  zmq::socket_t socket{ctx, zmq::socket_type::dealer};
  std::uint64_t seq = 0;
  curve_peer(const std::string& id, const std::string& address, const curve_keypair& own,
             const std::string& server_key) {
    socket.set(zmq::sockopt::routing_id, id);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::curve_serverkey, server_key);
    socket.set(zmq::sockopt::curve_publickey, own.public_key);
    socket.set(zmq::sockopt::curve_secretkey, own.secret_key);
    socket.connect(address);
  }
  void send(const std::string& bytes) {
    auto head = encode_envelope(0x5eed, ++seq);
    socket.send(zmq::buffer(head), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  }
};

const std::string secret_a(32, 'a');
const std::string secret_b(32, 'b');

} // namespace

BOOST_AUTO_TEST_CASE(members_of_one_cluster_secret_talk_both_ways) {
  inbox a_in, b_in;
  endpoint a("a", "tcp://127.0.0.1:0", a_in.handler(), {}, cluster_member(secret_a));
  endpoint b("b", "tcp://127.0.0.1:0", b_in.handler(), {}, cluster_member(secret_a));
  BOOST_TEST(a.authenticated());
  a.connect("b", b.address());
  b.connect("a", a.address());
  for (int i = 0; i < 100; ++i)
    a.send("b", data(std::to_string(i)));
  b.send("a", data("back"));
  BOOST_REQUIRE(b_in.await(100));
  BOOST_REQUIRE(a_in.await(1));
  auto got = b_in.all();
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST(got[i].first == "a");
    BOOST_TEST(got[i].second == std::to_string(i));
  }
  BOOST_TEST(a_in.all()[0].first == "b");
  BOOST_TEST(a.stats().handshakes_refused == 0u);
  BOOST_TEST(b.stats().impostor_frames == 0u);
  // Everyone derives the same key from the secret; another secret, another key.
  BOOST_TEST(derive_keypair(secret_a).public_key == a.public_key("anyone"));
  BOOST_TEST(derive_keypair(secret_b).public_key != derive_keypair(secret_a).public_key);
}

BOOST_AUTO_TEST_CASE(another_clusters_secret_gets_nothing_through) {
  inbox in;
  endpoint rx("rx", "tcp://127.0.0.1:0", in.handler(), {}, cluster_member(secret_a));
  endpoint member("tm", "tcp://127.0.0.1:0", {}, {}, cluster_member(secret_a));
  endpoint outsider("tm2", "tcp://127.0.0.1:0", {}, {}, cluster_member(secret_b));
  // The outsider even knows the receiver's public key (keys are not secret):
  // its own key is what the receiver refuses.
  outsider.trust("rx", rx.public_key("rx"));
  outsider.connect("rx", rx.address());
  for (int i = 0; i < 50; ++i)
    outsider.send("rx", data("forged"));
  bool refused = await([&] { return rx.stats().handshakes_refused >= 1; });
  BOOST_TEST(refused);
  member.connect("rx", rx.address());
  member.send("rx", data("real"));
  BOOST_REQUIRE(in.await(1));
  // Give the outsider's retries time to show up if anything got in.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto got = in.all();
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(got[0].first == "tm");
  BOOST_TEST(got[0].second == "real");
  BOOST_TEST(rx.stats().frames_in == 1u);
}

BOOST_AUTO_TEST_CASE(a_plain_tcp_peer_gets_nothing_through) {
  inbox in;
  endpoint rx("rx", "tcp://127.0.0.1:0", in.handler(), {}, cluster_member(secret_a));
  plain_forger forger("jobmanager", rx.address());
  for (int i = 0; i < 20; ++i)
    forger.send(data("forged"));
  endpoint member("jobmanager", "tcp://127.0.0.1:0", {}, {}, cluster_member(secret_a));
  member.connect("rx", rx.address());
  member.send("rx", data("real"));
  BOOST_REQUIRE(in.await(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto got = in.all();
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(got[0].second == "real");
  // Nothing of the forger's was even looked at.
  BOOST_TEST(rx.stats().rejected == 0u);
  BOOST_TEST(rx.stats().bytes_in < 200u);
}

BOOST_AUTO_TEST_CASE(a_forger_cannot_take_over_a_members_connection) {
  inbox in;
  endpoint rx("rx", "tcp://127.0.0.1:0", in.handler(), {}, cluster_member(secret_a));
  endpoint jm("jobmanager", "tcp://127.0.0.1:0", {}, {}, cluster_member(secret_a));
  jm.connect("rx", rx.address());
  jm.send("rx", data("0"));
  BOOST_REQUIRE(in.await(1));
  // Same routing id, plain TCP and CURVE with a key of its own: ZeroMQ's
  // handover would give the name to the newcomer, if it got past the handshake.
  plain_forger plain("jobmanager", rx.address());
  endpoint curved("jobmanager", "tcp://127.0.0.1:0", {}, {}, own_keys(generate_keypair()));
  curved.trust("rx", rx.public_key("rx"));
  curved.connect("rx", rx.address());
  for (int i = 0; i < 10; ++i) {
    plain.send(data("forged"));
    curved.send("rx", data("forged"));
  }
  bool refused = await([&] { return rx.stats().handshakes_refused >= 1; });
  BOOST_TEST(refused);
  for (int i = 1; i < 200; ++i)
    jm.send("rx", data(std::to_string(i)));
  BOOST_REQUIRE(in.await(200));
  auto got = in.all();
  BOOST_REQUIRE_EQUAL(got.size(), 200u);
  for (int i = 0; i < 200; ++i)
    BOOST_TEST(got[i].second == std::to_string(i));
  BOOST_TEST(rx.stats().gaps == 0u);
}

BOOST_AUTO_TEST_CASE(a_trusted_key_cannot_use_another_members_name_or_a_free_one) {
  // A JobManager with key files knows each TaskManager's key by its name.
  auto k1 = generate_keypair(), k2 = generate_keypair(), jm_keys = generate_keypair();
  inbox in;
  auto jm_security = own_keys(jm_keys, {{"tm-1", k1.public_key}, {"tm-2", k2.public_key}});
  auto ring = jm_security.ring;
  endpoint jm("jobmanager", "tcp://127.0.0.1:0", in.handler(), {}, jm_security);
  BOOST_TEST(jm.public_key("tm-1") == k1.public_key);
  BOOST_TEST(jm.public_key("tm-2") == k2.public_key);
  // tm-2's key is trusted, but neither under tm-1's name, which no one
  // holds yet (tm-1 has not connected), nor under a name of its choosing.
  endpoint liar("tm-1", "tcp://127.0.0.1:0", {}, {}, own_keys(k2));
  liar.trust("jobmanager", jm_keys.public_key);
  liar.connect("jobmanager", jm.address());
  endpoint squatter("tm-new", "tcp://127.0.0.1:0", {}, {}, own_keys(k2));
  squatter.trust("jobmanager", jm_keys.public_key);
  squatter.connect("jobmanager", jm.address());
  for (int i = 0; i < 5; ++i) {
    liar.send("jobmanager", data("lie"));
    squatter.send("jobmanager", data("squat"));
  }
  bool dropped = await([&] { return jm.stats().impostor_frames >= 10; });
  BOOST_TEST(dropped);
  // The rightful holders of the names.
  endpoint tm1("tm-1", "tcp://127.0.0.1:0", {}, {}, own_keys(k1));
  tm1.trust("jobmanager", jm_keys.public_key);
  tm1.connect("jobmanager", jm.address());
  tm1.send("jobmanager", data("tm1"));
  endpoint tm2("tm-2", "tcp://127.0.0.1:0", {}, {}, own_keys(k2));
  tm2.trust("jobmanager", jm_keys.public_key);
  tm2.connect("jobmanager", jm.address());
  tm2.send("jobmanager", data("tm2"));
  BOOST_REQUIRE(in.await(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::set<std::string> senders;
  for (auto& [from, payload] : in.all()) {
    BOOST_TEST(payload == from.substr(0, 2) + from.substr(3));
    senders.insert(from);
  }
  BOOST_TEST((senders == std::set<std::string>{"tm-1", "tm-2"}));
  // Nothing was bound by use: the names are still their files' keys', and
  // the free name is still free.
  BOOST_TEST(jm.public_key("tm-1") == k1.public_key);
  BOOST_TEST(jm.public_key("tm-new") == "");
  BOOST_TEST(ring->size() == 2u);
  std::string why;
  BOOST_TEST(!ring->admit("tm-1", k2.public_key, why));
  BOOST_TEST(why.find("tm-1") != std::string::npos);
  BOOST_TEST(why.find(k2.public_key) != std::string::npos);
  BOOST_TEST(!ring->admit("tm-new", k2.public_key, why));
  BOOST_TEST(why.find("tm-new") != std::string::npos);
  BOOST_TEST(why.find(k2.public_key) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(trusted_key_files_bind_their_names) {
  spate::test::temp_dir dir;
  write_keypair_files(dir.str(), "jm");
  auto k1 = write_keypair_files(dir.str() + "/trusted", "tm1");
  auto k2 = write_keypair_files(dir.str() + "/trusted", "tm2");
  configuration jm;
  jm.set("security.mesh.key-file", dir.str() + "/jm.key");
  jm.set("security.mesh.trusted-keys-dir", dir.str() + "/trusted");
  auto s = security_from(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1");
  BOOST_TEST(s.description.find("2 trusted TaskManager key(s)") != std::string::npos);
  BOOST_TEST(s.description.find("tm1, tm2") != std::string::npos, s.description);
  BOOST_TEST(s.ring->key_of("tm1") == k1.public_key);
  BOOST_TEST(s.ring->key_of("tm2") == k2.public_key);
  BOOST_TEST(s.ring->key_of("tm3") == "");
  std::string why;
  BOOST_TEST(s.ring->admit("tm1", k1.public_key, why));
  BOOST_TEST(!s.ring->admit("tm2", k1.public_key, why));
  BOOST_TEST(!s.ring->admit("tm3", k1.public_key, why));
  BOOST_TEST(why.find("'tm1''s") != std::string::npos, why);
  // One key under two names, or under the JobManager's: refused at start.
  auto message_of = [&] {
    try {
      security_from(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1");
    } catch (const spate::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::filesystem::copy_file(dir.str() + "/trusted/tm1.pub", dir.str() + "/trusted/tm1b.pub");
  auto m = message_of();
  BOOST_TEST(m.find("tm1b.pub") != std::string::npos, m);
  BOOST_TEST(m.find("one TaskManager") != std::string::npos, m);
  std::filesystem::remove(dir.str() + "/trusted/tm1b.pub");
  std::filesystem::copy_file(dir.str() + "/jm.pub", dir.str() + "/trusted/jobmanager.pub");
  m = message_of();
  BOOST_TEST(m.find("jobmanager.pub") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(keys_learned_for_jobs_go_when_the_last_job_that_needs_them_ends) {
  // A TaskManager learns a peer's key from deployments: it is the jobs'.
  auto ka = generate_keypair(), kb = generate_keypair();
  inbox in;
  auto b_security = own_keys(kb);
  b_security.handshake_wait_ms = 300;
  endpoint b("tm-b", "tcp://127.0.0.1:0", in.handler(), {}, b_security);
  auto a = std::make_unique<endpoint>("tm-a", "tcp://127.0.0.1:0", endpoint::handler{},
                                      endpoint::gap_handler{}, own_keys(ka));
  BOOST_TEST(b.trust("tm-a", ka.public_key, "job-1"));
  BOOST_TEST(b.trust("tm-a", ka.public_key, "job-2"));
  a->trust("tm-b", kb.public_key);
  a->connect("tm-b", b.address());
  a->send("tm-b", data("0"));
  BOOST_REQUIRE(in.await(1));
  // job-2 still needs the key.
  BOOST_TEST(b.release_trust("job-1").empty());
  a->send("tm-b", data("1"));
  BOOST_REQUIRE(in.await(2));
  BOOST_TEST(b.public_key("tm-a") == ka.public_key);
  // The last job that named it ended: its frames are dropped ...
  auto gone = b.release_trust("job-2");
  BOOST_TEST((gone == std::vector<std::string>{"tm-a"}));
  BOOST_TEST(b.public_key("tm-a") == "");
  auto impostors = b.stats().impostor_frames;
  for (int i = 2; i < 5; ++i)
    a->send("tm-b", data(std::to_string(i)));
  bool dropped = await([&] { return b.stats().impostor_frames >= impostors + 3; });
  BOOST_TEST(dropped);
  // ... and a new connection is refused.
  a = std::make_unique<endpoint>("tm-a", "tcp://127.0.0.1:0", endpoint::handler{},
                                 endpoint::gap_handler{}, own_keys(ka));
  a->trust("tm-b", kb.public_key);
  a->connect("tm-b", b.address());
  a->send("tm-b", data("again"));
  bool refused = await([&] { return b.stats().handshakes_refused >= 1; });
  BOOST_TEST(refused);
  BOOST_TEST(in.all().size() == 2u);
  // A name bound for good is not a deployment's to change.
  BOOST_TEST(b.trust("tm-x", ka.public_key, "job-3"));
  b.trust("jobmanager", kb.public_key);
  BOOST_TEST(!b.trust("jobmanager", ka.public_key, "job-3"));
  BOOST_TEST((b.release_trust("job-3") == std::vector<std::string>{"tm-x"}));
  BOOST_TEST(b.public_key("jobmanager") == kb.public_key);
}

BOOST_AUTO_TEST_CASE(one_address_cannot_hold_every_waiting_handshake) {
  auto kb = generate_keypair(), ka = generate_keypair();
  inbox in;
  auto b_security = own_keys(kb);
  b_security.handshake_wait_ms = 5000;
  endpoint b("tm-b", "tcp://127.0.0.1:0", in.handler(), {}, b_security);
  // 20 connections from 127.0.0.1 with keys nobody will vouch for.
  std::vector<std::unique_ptr<curve_peer>> strangers;
  for (int i = 0; i < 20; ++i) {
    strangers.push_back(std::make_unique<curve_peer>("s-" + std::to_string(i), b.address(),
                                                     generate_keypair(), kb.public_key));
    strangers.back()->send(data("x"));
  }
  // 16 wait; the rest are refused at once, long before the wait is over.
  bool bounded = await(
      [&] {
        auto st = b.stats();
        return st.handshakes_held == 16u && st.handshakes_refused >= 4u;
      },
      std::chrono::milliseconds(3000));
  BOOST_TEST(bounded,
             "held " << b.stats().handshakes_held << ", refused " << b.stats().handshakes_refused);
  // A peer from another address is still waited for.
  endpoint a("tm-a", "tcp://127.0.0.1:0", {}, {}, own_keys(ka));
  a.trust("tm-b", kb.public_key);
  a.connect("tm-b", "tcp://127.0.0.2:0;" + b.address().substr(6));
  a.send("tm-b", data("real"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_TEST(b.stats().handshakes_held == 17u);
  b.trust("tm-a", ka.public_key);
  BOOST_REQUIRE(in.await(1));
  BOOST_TEST(in.all()[0].second == "real");
}

BOOST_AUTO_TEST_CASE(state_per_sender_name_is_bounded) {
  // A member that sends under ever new names (any member may go by any free
  // name) makes the endpoint keep at most max_sender_names of them, and
  // binds none of them to its key.
  auto member = generate_keypair(), rx_keys = generate_keypair();
  inbox in;
  auto rx_security = own_keys(rx_keys);
  rx_security.ring->allow(member.public_key);
  rx_security.max_sender_names = 16;
  auto ring = rx_security.ring;
  endpoint rx("rx", "tcp://127.0.0.1:0", in.handler(), {}, rx_security);
  std::vector<std::unique_ptr<curve_peer>> names;
  for (int i = 0; i < 64; ++i) {
    names.push_back(std::make_unique<curve_peer>("name-" + std::to_string(i), rx.address(), member,
                                                 rx_keys.public_key));
    names.back()->send(data(std::to_string(i)));
    BOOST_REQUIRE(in.await(static_cast<std::size_t>(i) + 1));
    auto st = rx.stats();
    BOOST_TEST(st.sender_names <= 16u);
    BOOST_TEST(st.proven_names <= 16u);
  }
  BOOST_TEST(rx.stats().frames_in == 64u);
  BOOST_TEST(rx.stats().sender_names == 16u);
  BOOST_TEST(ring->size() == 0u);
  // A name forgotten and heard again is taken as new: nothing is lost.
  names[0]->send(data("0 again"));
  BOOST_REQUIRE(in.await(65));
  BOOST_TEST(rx.stats().gaps == 0u);

  // Without CURVE too.
  inbox plain_in;
  mesh_security plain;
  plain.max_sender_names = 8;
  endpoint open("open", "tcp://127.0.0.1:0", plain_in.handler(), {}, plain);
  std::vector<std::unique_ptr<plain_forger>> senders;
  for (int i = 0; i < 32; ++i) {
    senders.push_back(std::make_unique<plain_forger>("p-" + std::to_string(i), open.address()));
    senders.back()->send(data("x"));
  }
  BOOST_REQUIRE(plain_in.await(32));
  BOOST_TEST(open.stats().sender_names == 8u);
}

BOOST_AUTO_TEST_CASE(a_handshake_waits_a_while_for_a_key_the_receiver_is_about_to_learn) {
  // The JobManager deploys to two TaskManagers at once: one may connect to
  // the other before that one read its key from the deployment.
  auto ka = generate_keypair(), kb = generate_keypair();
  inbox in;
  auto b_security = own_keys(kb);
  b_security.handshake_wait_ms = 5000;
  endpoint b("tm-b", "tcp://127.0.0.1:0", in.handler(), {}, b_security);
  endpoint a("tm-a", "tcp://127.0.0.1:0", {}, {}, own_keys(ka));
  a.trust("tm-b", kb.public_key);
  a.connect("tm-b", b.address());
  for (int i = 0; i < 10; ++i)
    a.send("tm-b", data(std::to_string(i)));
  // Nothing gets in while the key is unknown.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_TEST(in.all().empty());
  b.trust("tm-a", ka.public_key);
  BOOST_REQUIRE(in.await(10));
  auto got = in.all();
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(got[i].second == std::to_string(i));
  BOOST_TEST(b.stats().gaps == 0u);
  BOOST_TEST(b.stats().handshakes_refused == 0u);

  // A key nobody vouches for is refused once the wait is over.
  b_security.handshake_wait_ms = 300;
  inbox in2;
  endpoint c("tm-c", "tcp://127.0.0.1:0", in2.handler(), {}, b_security);
  endpoint stranger("tm-s", "tcp://127.0.0.1:0", {}, {}, own_keys(generate_keypair()));
  stranger.trust("tm-c", kb.public_key);
  stranger.connect("tm-c", c.address());
  stranger.send("tm-c", data("forged"));
  bool refused = await([&] { return c.stats().handshakes_refused >= 1; });
  BOOST_TEST(refused);
  BOOST_TEST(in2.all().empty());
}

BOOST_AUTO_TEST_CASE(routing_ids_are_unique_per_socket_and_name_the_process) {
  BOOST_TEST(sender_name(routing_id("tm-1", 0xabc)) == "tm-1");
  BOOST_TEST(routing_id("tm-1", 1) != routing_id("tm-1", 2));
  BOOST_TEST(sender_name("a/b/0123456789abcdef") == "a/b");
  BOOST_TEST(sender_name("plain") == "plain");
  BOOST_TEST(sender_name("x/0123456789ABCDEF") == "x/0123456789ABCDEF");
  BOOST_TEST(sender_name("/0123456789abcdef") == "/0123456789abcdef");
}

BOOST_AUTO_TEST_CASE(key_files_are_made_and_read_back) {
  spate::test::temp_dir dir;
  auto kp = write_keypair_files(dir.str(), "tm1");
  BOOST_TEST(is_curve_key(kp.public_key));
  auto back = read_keypair_file(dir.str() + "/tm1.key");
  BOOST_TEST(back.public_key == kp.public_key);
  BOOST_TEST(back.secret_key == kp.secret_key);
  BOOST_TEST(read_public_key_file(dir.str() + "/tm1.pub") == kp.public_key);
  struct stat st {};
  BOOST_REQUIRE(::stat((dir.str() + "/tm1.key").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  // Never over an existing pair.
  BOOST_CHECK_THROW(write_keypair_files(dir.str(), "tm1"), spate::error);
  BOOST_CHECK_THROW(write_keypair_files(dir.str(), "../x"), spate::error);

  auto secret = dir.str() + "/cluster.secret";
  write_new_file(secret, "# comment\n" + generate_cluster_secret() + "\n", 0600);
  BOOST_TEST(read_cluster_secret(secret).size() == 32u);
  BOOST_TEST(derive_keypair(read_cluster_secret(secret)).public_key ==
             derive_keypair(read_cluster_secret(secret)).public_key);
}

BOOST_AUTO_TEST_CASE(bad_key_and_secret_files_are_refused_with_their_names) {
  spate::test::temp_dir dir;
  auto message_of = [](auto&& f) {
    try {
      f();
    } catch (const spate::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto write = [&](const std::string& name, const std::string& text, unsigned mode) {
    auto path = dir.str() + "/" + name;
    write_new_file(path, text, mode);
    return path;
  };
  auto open_secret = write("open.secret", generate_cluster_secret(), 0644);
  auto m = message_of([&] { read_cluster_secret(open_secret); });
  BOOST_TEST(m.find("open.secret") != std::string::npos);
  BOOST_TEST(m.find("readable by others") != std::string::npos);

  auto short_secret = write("short.secret", "abcdef0123", 0600);
  m = message_of([&] { read_cluster_secret(short_secret); });
  BOOST_TEST(m.find("at least 32") != std::string::npos);

  auto garbage = write("garbage.secret", std::string(64, 'z'), 0600);
  m = message_of([&] { read_cluster_secret(garbage); });
  BOOST_TEST(m.find("hex digits") != std::string::npos);

  auto link = dir.str() + "/link.secret";
  std::filesystem::create_symlink(short_secret, link);
  m = message_of([&] { read_cluster_secret(link); });
  BOOST_TEST(m.find("symbolic link") != std::string::npos);

  m = message_of([&] { read_cluster_secret(dir.str() + "/missing"); });
  BOOST_TEST(m.find("missing") != std::string::npos);

  auto kp = generate_keypair(), other = generate_keypair();
  auto mismatched =
      write("mismatch.key",
            "public-key: " + other.public_key + "\nsecret-key: " + kp.secret_key + "\n", 0600);
  m = message_of([&] { read_keypair_file(mismatched); });
  BOOST_TEST(m.find("does not belong") != std::string::npos);

  auto no_secret = write("none.key", "public-key: " + kp.public_key + "\n", 0600);
  m = message_of([&] { read_keypair_file(no_secret); });
  BOOST_TEST(m.find("secret-key") != std::string::npos);

  auto bad_pub = write("bad.pub", "not-a-key\n", 0644);
  m = message_of([&] { read_public_key_file(bad_pub); });
  BOOST_TEST(m.find("bad.pub") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_mesh_beyond_loopback_needs_keys_unless_told_otherwise) {
  auto message_of = [](const configuration& c, mesh_role role, const std::string& bind,
                       const std::string& peer) {
    try {
      auto s = security_from(c, role, bind, peer);
      return std::string(s.curve ? "curve" : "plain");
    } catch (const spate::error& e) {
      return std::string(e.what());
    }
  };
  configuration none;
  BOOST_TEST(message_of(none, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1") == "plain");
  auto m = message_of(none, mesh_role::jobmanager, "0.0.0.0", "0.0.0.0");
  BOOST_TEST(m.find("security.cluster-secret-file") != std::string::npos);
  m = message_of(none, mesh_role::taskmanager, "127.0.0.1", "10.0.0.1");
  BOOST_TEST(m.find("not authenticated") != std::string::npos);
  configuration insecure;
  insecure.set("security.mesh.insecure", "true");
  BOOST_TEST(message_of(insecure, mesh_role::taskmanager, "0.0.0.0", "10.0.0.1") == "plain");

  spate::test::temp_dir dir;
  auto secret = dir.str() + "/s";
  write_new_file(secret, generate_cluster_secret(), 0600);
  configuration with_secret;
  with_secret.set("security.cluster-secret-file", secret);
  BOOST_TEST(message_of(with_secret, mesh_role::jobmanager, "0.0.0.0", "0.0.0.0") == "curve");
  configuration both = with_secret;
  both.set("security.mesh.key-file", secret);
  m = message_of(both, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1");
  BOOST_TEST(m.find("not both") != std::string::npos);

  // Key files: the JobManager needs the TaskManagers' keys, a TaskManager
  // the JobManager's.
  write_keypair_files(dir.str(), "jm");
  write_keypair_files(dir.str() + "/trusted", "tm1");
  configuration jm;
  jm.set("security.mesh.key-file", dir.str() + "/jm.key");
  m = message_of(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1");
  BOOST_TEST(m.find("security.mesh.trusted-keys-dir") != std::string::npos);
  jm.set("security.mesh.trusted-keys-dir", dir.str() + "/trusted");
  BOOST_TEST(message_of(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1") == "curve");
  configuration tm;
  tm.set("security.mesh.key-file", dir.str() + "/trusted/tm1.key");
  m = message_of(tm, mesh_role::taskmanager, "127.0.0.1", "127.0.0.1");
  BOOST_TEST(m.find("security.mesh.jobmanager-key-file") != std::string::npos);
  tm.set("security.mesh.jobmanager-key-file", dir.str() + "/jm.pub");
  BOOST_TEST(message_of(tm, mesh_role::taskmanager, "127.0.0.1", "127.0.0.1") == "curve");
}

BOOST_AUTO_TEST_CASE(a_fifo_planted_at_a_key_path_is_refused_at_once) {
  spate::test::temp_dir dir;
  auto fifo = dir.str() + "/planted.key";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto attempt = std::async(std::launch::async, [&] {
    try {
      read_keypair_file(fifo);
    } catch (const spate::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  });
  if (attempt.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
    BOOST_ERROR("reading a key file that is a FIFO blocked");
    std::ofstream(fifo) << "x"; // releases the reader
  }
  auto m = attempt.get();
  BOOST_TEST(m.find("security.mesh.key-file '" + fifo + "'") != std::string::npos, m);
  BOOST_TEST(m.find("FIFO") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(public_keys_others_could_change_are_refused_with_their_names) {
  spate::test::temp_dir dir;
  auto message_of = [](auto&& f) {
    try {
      f();
    } catch (const spate::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto contains = [](const std::string& m, const std::string& part) {
    return m.find(part) != std::string::npos;
  };
  write_keypair_files(dir.str(), "jm");
  auto trusted = dir.str() + "/trusted";
  write_keypair_files(trusted, "tm1");
  auto pub = trusted + "/tm1.pub";
  BOOST_TEST(read_public_key_file(pub).size() == 40u);

  // A .pub others may write to.
  ::chmod(pub.c_str(), 0666);
  auto m = message_of([&] { read_public_key_file(pub); });
  BOOST_TEST(contains(m, "'" + pub + "'"), m);
  BOOST_TEST(contains(m, "may be written by other users (mode 0666)"), m);
  configuration jm;
  jm.set("security.mesh.key-file", dir.str() + "/jm.key");
  jm.set("security.mesh.trusted-keys-dir", trusted);
  m = message_of([&] { security_from(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1"); });
  BOOST_TEST(contains(m, "'" + pub + "'"), m);
  ::chmod(pub.c_str(), 0644);
  BOOST_TEST(message_of([&] {
               security_from(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1");
             }) == "no error");

  // A trusted-keys directory others may add keys to or swap them in.
  ::chmod(trusted.c_str(), 0777);
  m = message_of([&] { security_from(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1"); });
  BOOST_TEST(contains(m, "'" + pub + "'"), m);
  BOOST_TEST(contains(m, "'" + trusted + "' may be written by other users"), m);
  configuration tm;
  tm.set("security.mesh.key-file", dir.str() + "/jm.key");
  tm.set("security.mesh.jobmanager-key-file", pub);
  m = message_of([&] { security_from(tm, mesh_role::taskmanager, "127.0.0.1", "127.0.0.1"); });
  BOOST_TEST(contains(m, "'" + pub + "'"), m);
  ::chmod(trusted.c_str(), 0755);

  // A link, or a key of another user.
  auto link = trusted + "/link.pub";
  std::filesystem::create_symlink(pub, link);
  m = message_of([&] { read_public_key_file(link); });
  BOOST_TEST(contains(m, "'" + link + "': is a symbolic link"), m);
  m = message_of([&] { security_from(jm, mesh_role::jobmanager, "127.0.0.1", "127.0.0.1"); });
  BOOST_TEST(contains(m, "'" + link + "'"), m);
  std::filesystem::remove(link);
  if (::geteuid() == 0) {
    BOOST_REQUIRE(::chown(pub.c_str(), 65534, 65534) == 0);
    m = message_of([&] { read_public_key_file(pub); });
    BOOST_TEST(contains(m, "'" + pub + "': belongs to another user (uid 65534)"), m);
  }
}

BOOST_AUTO_TEST_CASE(a_key_pair_that_cannot_be_written_whole_leaves_nothing_behind) {
  spate::test::temp_dir dir;
  // The .pub is in the way: the .key written first goes again.
  std::ofstream(dir.str() + "/tm1.pub") << "someone else's\n";
  BOOST_CHECK_THROW(write_keypair_files(dir.str(), "tm1"), spate::error);
  BOOST_TEST(!std::filesystem::exists(dir.str() + "/tm1.key"));
  std::ifstream in(dir.str() + "/tm1.pub");
  std::string kept;
  std::getline(in, kept);
  BOOST_TEST(kept == "someone else's");
  // A .key in the way is left as it is.
  std::ofstream(dir.str() + "/tm2.key") << "mine\n";
  BOOST_CHECK_THROW(write_keypair_files(dir.str(), "tm2"), spate::error);
  BOOST_TEST(std::filesystem::exists(dir.str() + "/tm2.key"));
  BOOST_TEST(!std::filesystem::exists(dir.str() + "/tm2.pub"));
  // A write that fails half way (files may not grow past 16 bytes here)
  // removes the partial file.
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  rlimit small = old_limit;
  small.rlim_cur = 16;
  BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string m = "no error";
  try {
    write_new_file(dir.str() + "/partial.key", std::string(100, 'k'), 0600);
  } catch (const spate::error& e) {
    m = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  BOOST_TEST(m.find("cannot write '" + dir.str() + "/partial.key'") != std::string::npos, m);
  BOOST_TEST(!std::filesystem::exists(dir.str() + "/partial.key"));
}
