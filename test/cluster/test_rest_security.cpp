// The REST API's protection (docs/security.md), each case a real attack
// against a real JobManager: cross-site and DNS-rebinding requests, job
// libraries and file paths outside what the configuration allows, missing
// tokens, oversized bodies, slow clients and a flood of savepoint requests.
#define BOOST_TEST_MODULE rest_security
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <map>

#include "support/cluster.hpp"

using namespace spate::test;
namespace fs = std::filesystem;

namespace {

std::string marker_library() {
  return fs::absolute(bin_dir() + "/../lib/libspate_test_marker_library.so").lexically_normal();
}

//! The resident set of a process in KiB (/proc/<pid>/status VmRSS).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return -1;
}

long threads_of(pid_t pid) {
  long n = 0;
  for (auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    (void)e;
    ++n;
  }
  return n;
}

//! A TCP connection to 127.0.0.1:port.
struct raw_socket {
  int fd = -1;
  explicit raw_socket(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect failed");
  }
  ~raw_socket() { ::close(fd); }
  bool send_all(const std::string& data) {
    std::size_t at = 0;
    while (at < data.size()) {
      auto n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  }
  //! What arrives within `ms` (until the peer closes or the head ends).
  std::string read_head(int ms = 5000) {
    std::string out;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (out.find("\r\n\r\n") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  //! Whether the server closed the connection (EOF or reset) by now; what
  //! it answered before is read and dropped.
  bool closed_by_peer() {
    char buf[4096];
    for (;;) {
      auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        continue;
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }
};

void expect_refused(const http_result& r, int status, const std::string& fragment) {
  BOOST_TEST(r.status == status,
             "status " << r.status << ", expected " << status << ": " << r.body.dump());
  auto text = r.body.dump();
  BOOST_TEST(text.find(fragment) != std::string::npos, text << " lacks '" << fragment << "'");
}

//! A cluster whose JobManager writes the marker file when it loads the
//! marker library.
struct marked {
  temp_dir elsewhere; // outside every directory the cluster allows
  std::string marker;
  marked() : marker(elsewhere.str() + "/loaded") {
    ::setenv("SPATE_TEST_MARKER", marker.c_str(), 1);
  }
  bool loaded() const { return fs::exists(marker); }
};

} // namespace

BOOST_AUTO_TEST_CASE(cross_site_rebinding_and_outside_paths_are_refused_and_load_nothing) {
  marked m;
  test_cluster c;
  c.start(1);
  auto lib = marker_library();
  BOOST_REQUIRE(fs::exists(lib));
  auto body = json{{"library", lib}}.dump();
  auto host = "127.0.0.1:" + std::to_string(c.rest_port());

  // A form or fetch() of a web page: text/plain needs no CORS preflight.
  expect_refused(c.request("POST", "/jobs", body, {{"Content-Type", "text/plain"}}), 415,
                 "application/json");
  // A page of another site, with the right content type (after a preflight).
  expect_refused(c.request("POST", "/jobs", body, {{"Origin", "http://evil.example"}}), 403,
                 "Origin");
  // DNS rebinding: the page's own name, now pointing here.
  expect_refused(c.request("POST", "/jobs", body, {{"Host", "evil.example:80"}}), 421,
                 "evil.example");
  expect_refused(c.request("GET", "/overview", {}, {{"Host", "evil.example"}}), 421, "Host");
  expect_refused(c.request("PATCH", "/jobs/0123456789abcdef0123456789abcdef?mode=cancel", "",
                           {{"Content-Type", "application/x-www-form-urlencoded"}}),
                 415, "Content-Type");

  // A library outside rest.submit.library-dir, directly or through a symlink
  // in an allowed directory.
  auto outside = m.elsewhere.str() + "/libevil.so";
  fs::copy_file(lib, outside);
  expect_refused(c.request("POST", "/jobs", json{{"library", outside}}.dump()), 403,
                 "rest.submit.library-dir");
  fs::create_symlink(outside, c.dir() + "/liblink.so");
  expect_refused(c.request("POST", "/jobs", json{{"library", c.dir() + "/liblink.so"}}.dump()), 403,
                 "rest.submit.library-dir");
  expect_refused(c.request("POST", "/jobs",
                           json{{"library", c.dir() + "/../" +
                                                fs::path(m.elsewhere.str()).filename().string() +
                                                "/libevil.so"}}
                               .dump()),
                 403, "rest.submit.library-dir");
  BOOST_TEST(!m.loaded(), c.jobmanager().log());

  // Outputs, inputs, savepoints and configured directories outside the roots.
  auto out = m.elsewhere.str() + "/out";
  expect_refused(
      c.request("POST", "/jobs", json{{"job", "wordcount"}, {"output", "file:" + out}}.dump()), 403,
      "rest.submit.allowed-paths");
  expect_refused(
      c.request("POST", "/jobs", json{{"job", "wordcount"}, {"output", "files:" + out}}.dump()),
      403, "rest.submit.allowed-paths");
  expect_refused(
      c.request("POST", "/jobs",
                json{{"job", "wordcount"}, {"output", "discard"}, {"extraOutputs", {"file:" + out}}}
                    .dump()),
      403, "rest.submit.allowed-paths");
  expect_refused(
      c.request("POST", "/jobs", json{{"job", "wordcount"}, {"input", "file:/etc/passwd"}}.dump()),
      403, "rest.submit.allowed-paths");
  expect_refused(c.request("POST", "/jobs",
                           json{{"job", "wordcount"}, {"input", "socket:10.1.2.3:22"}}.dump()),
                 403, "rest.submit.allowed-socket-hosts");
  expect_refused(c.request("POST", "/jobs",
                           json{{"job", "wordcount"},
                                {"output", "discard"},
                                {"config", {{"state.checkpoints.dir", out}}}}
                               .dump()),
                 403, "state.checkpoints.dir");

  auto ok = c.request("POST", "/jobs",
                      json{{"job", "wordcount"},
                           {"input", "generator:rate=1000"},
                           {"output", "files:" + c.dir() + "/inside"}}
                          .dump());
  BOOST_REQUIRE_MESSAGE(ok.status == 202, ok.body.dump());
  auto id = ok.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  expect_refused(
      c.request("POST", "/jobs/" + id + "/savepoints", json{{"target-directory", out}}.dump()), 403,
      "rest.submit.allowed-paths");
  expect_refused(c.request("POST", "/jobs/" + id + "/stop", json{{"targetDirectory", out}}.dump()),
                 403, "rest.submit.allowed-paths");
  BOOST_TEST(c.job_state(id) == "RUNNING");
  BOOST_TEST(!fs::exists(out));
  BOOST_TEST(!m.loaded());

  // The control: the marker library from the allowed directory is loaded.
  auto allowed = c.request("POST", "/jobs", body);
  BOOST_TEST(allowed.status == 400, allowed.body.dump()); // it registers no job
  BOOST_TEST(m.loaded());
}

BOOST_AUTO_TEST_CASE(job_libraries_are_refused_unless_a_directory_allows_them) {
  marked m;
  test_cluster c({"rest.submit.library-dir="});
  c.start_jobmanager();
  BOOST_REQUIRE(await([&] { return c.get("/overview").status == 200; }));
  expect_refused(c.request("POST", "/jobs", json{{"library", marker_library()}}.dump()), 403,
                 "rest.submit.library-dir");
  auto cli = c.spate({"run", "-d", marker_library()});
  BOOST_TEST(cli.exit_code == 2);
  BOOST_TEST(cli.err.find("rest.submit.library-dir") != std::string::npos, cli.err);
  BOOST_TEST(!m.loaded());
}

BOOST_AUTO_TEST_CASE(a_non_loopback_address_needs_a_bearer_token) {
  {
    test_cluster c({"rest.address=0.0.0.0"});
    c.start_jobmanager();
    BOOST_REQUIRE(await([&] { return !c.jobmanager().alive(); }));
    BOOST_TEST(c.jobmanager().stop() == 2);
    BOOST_TEST(c.jobmanager().log().find("rest.auth.token-file") != std::string::npos,
               c.jobmanager().log());
  }
  temp_dir secrets;
  auto token = std::string("s3cret-0123456789-abcdef");
  auto file = secrets.str() + "/rest-token";
  std::ofstream(file) << token << "\n";
  test_cluster c({"rest.address=0.0.0.0", "rest.auth.token-file=" + file});
  c.start_jobmanager();
  BOOST_REQUIRE(await([&] { return c.get("/overview").status == 401; }));
  expect_refused(c.get("/jobs"), 401, "bearer token");
  expect_refused(c.request("GET", "/jobs", {}, {{"Authorization", "Bearer wrong"}}), 401,
                 "bearer token");
  expect_refused(c.request("GET", "/jobs", {}, {{"Authorization", "Bearer " + token + "x"}}), 401,
                 "bearer token");
  expect_refused(c.request("POST", "/jobs", json{{"job", "wordcount"}}.dump()), 401,
                 "bearer token");
  BOOST_TEST(c.request("GET", "/jobs", {}, {{"Authorization", "Bearer " + token}}).status == 200);
  // The CLI reads the same option and sends the token.
  auto list = c.spate({"list"});
  BOOST_TEST(list.exit_code == 0, list.out + list.err);
  BOOST_TEST(c.jobmanager().log().find("bearer token from " + file) != std::string::npos);

  test_cluster open({"rest.address=0.0.0.0", "rest.auth.insecure=true"});
  open.start_jobmanager();
  BOOST_REQUIRE(await([&] { return open.get("/overview").status == 200; }));
  BOOST_TEST(open.jobmanager().log().find("protection: NONE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_2_gb_body_and_an_endless_request_line_are_refused_unread) {
  test_cluster c;
  c.start_jobmanager();
  BOOST_REQUIRE(await([&] { return c.get("/overview").status == 200; }));
  auto pid = c.jobmanager().pid();
  auto before = rss_kib(pid);
  std::string chunk(1 << 20, 'x');
  {
    raw_socket s(c.rest_port());
    BOOST_REQUIRE(
        s.send_all("POST /jobs HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(c.rest_port()) +
                   "\r\nContent-Type: application/json\r\n"
                   "Content-Length: 2147483648\r\n\r\n"));
    auto head = s.read_head();
    BOOST_TEST(head.rfind("HTTP/1.1 413", 0) == 0u, head);
    std::size_t sent = 0;
    while (sent < (256u << 20) && s.send_all(chunk))
      sent += chunk.size();
    BOOST_TEST(sent < (256u << 20), "the server read " << sent << " bytes of the body");
  }
  {
    // No newline ever: the request line may not grow without bound.
    raw_socket s(c.rest_port());
    std::size_t sent = 0;
    while (sent < (256u << 20) && s.send_all(chunk))
      sent += chunk.size();
    BOOST_TEST(sent < (256u << 20), "the server read " << sent << " bytes of one line");
  }
  auto after = rss_kib(pid);
  BOOST_TEST(after - before < 32 * 1024, "VmRSS " << before << " -> " << after << " KiB");
  BOOST_TEST(c.get("/overview").status == 200);
}

BOOST_AUTO_TEST_CASE(slow_clients_do_not_block_others_and_are_dropped) {
  test_cluster c({"rest.server.request-timeout=2 s"});
  c.start_jobmanager();
  BOOST_REQUIRE(await([&] { return c.get("/overview").status == 200; }));
  std::vector<std::unique_ptr<raw_socket>> slow;
  for (int i = 0; i < 32; ++i) {
    slow.push_back(std::make_unique<raw_socket>(c.rest_port()));
    BOOST_REQUIRE(slow.back()->send_all("GET /overview HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  }
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(c.get("/overview").status == 200);
  auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  BOOST_TEST(waited.count() < 1000);
  // Each had rest.server.request-timeout to finish its request.
  BOOST_TEST(await(
      [&] {
        return std::all_of(slow.begin(), slow.end(), [](auto& s) { return s->closed_by_peer(); });
      },
      std::chrono::seconds(6)));
}

BOOST_AUTO_TEST_CASE(three_hundred_concurrent_savepoint_requests_run_one_at_a_time) {
  test_cluster c;
  c.start(1);
  auto ok = c.request(
      "POST", "/jobs",
      json{{"job", "wordcount"}, {"input", "generator:rate=5000"}, {"output", "discard"}}.dump());
  BOOST_REQUIRE(ok.status == 202);
  auto id = ok.body["jobid"].get<std::string>();
  BOOST_REQUIRE(c.await_state(id, "RUNNING"));
  auto pid = c.jobmanager().pid();
  auto rss_before = rss_kib(pid);
  auto threads_before = threads_of(pid);
  std::atomic<bool> go{false};
  std::atomic<long> max_threads{0};
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 300; ++i)
    calls.push_back(std::async(std::launch::async, [&] {
      while (!go.load())
        std::this_thread::yield();
      httplib::Client h("127.0.0.1", c.rest_port());
      h.set_connection_timeout(10, 0);
      h.set_read_timeout(30, 0);
      auto r = h.Post(("/jobs/" + id + "/savepoints").c_str(), "{}", "application/json");
      long t = threads_of(pid);
      long seen = max_threads.load();
      while (t > seen && !max_threads.compare_exchange_weak(seen, t)) {
      }
      return r ? r->status : -static_cast<int>(r.error());
    }));
  go = true;
  std::map<int, int> statuses;
  for (auto& f : calls)
    ++statuses[f.get()];
  BOOST_TEST(statuses[202] >= 1);
  BOOST_TEST(statuses[429] >= 1);
  BOOST_TEST(
      statuses[202] + statuses[429] == 300, "statuses: " << [&] {
        std::string s;
        for (auto& [k, v] : statuses)
          s += std::to_string(k) + "x" + std::to_string(v) + " ";
        return s;
      }());
  // One savepoint thread at a time, whatever the flood.
  BOOST_TEST(max_threads.load() <= threads_before + 4,
             "threads " << threads_before << " -> " << max_threads.load());
  auto rss_after = rss_kib(pid);
  BOOST_TEST(rss_after - rss_before < 64 * 1024,
             "VmRSS " << rss_before << " -> " << rss_after << " KiB");
  BOOST_TEST(c.job_state(id) == "RUNNING");
  BOOST_TEST(c.get("/overview").status == 200);
}
