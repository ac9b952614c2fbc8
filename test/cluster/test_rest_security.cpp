// The REST API's protection (docs/security.md), each case a real attack
// against a real JobManager: cross-site and DNS-rebinding requests, job
// libraries and file paths outside what the configuration allows, missing
// tokens, oversized bodies, slow clients and a flood of savepoint requests;
// and TLS (security.ssl.rest.*): certificates made with the openssl tool,
// clients that do not trust the server or have no certificate, slow and
// vanishing TLS clients, and what the JobManager refuses to start with.
#define BOOST_TEST_MODULE rest_security
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
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

//! Runs the openssl command-line tool; throws with its output when it fails.
void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/env", "openssl"});
  child_process p(args);
  auto r = p.finish();
  if (r.exit_code != 0) {
    std::string line;
    for (auto& a : args)
      line += " " + a;
    throw std::runtime_error("openssl failed (exit " + std::to_string(r.exit_code) + "):" + line +
                             "\n" + r.out + r.err);
  }
}

//! Certificates for TLS tests, made with the openssl tool: a CA (EC P-256),
//! a server certificate for 127.0.0.1 and localhost and a client
//! certificate it issued, and an unrelated CA with a client certificate of
//! its own. Private keys are chmod 600.
struct test_pki {
  temp_dir dir;
  std::string ca, server_cert, server_key, client_cert, client_key;
  std::string other_ca, other_client_cert, other_client_key;

  test_pki() {
    ca = make_ca("ca", "spate test CA");
    other_ca = make_ca("other-ca", "unrelated CA");
    server_cert = issue("server", "127.0.0.1", "ca",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        "extendedKeyUsage=serverAuth,clientAuth\n");
    server_key = path("server.key");
    client_cert = issue("client", "spate client", "ca", "extendedKeyUsage=clientAuth\n");
    client_key = path("client.key");
    other_client_cert =
        issue("other-client", "spate client", "other-ca", "extendedKeyUsage=clientAuth\n");
    other_client_key = path("other-client.key");
  }
  std::string path(const std::string& name) const { return dir.str() + "/" + name; }

private:
  static void make_private(const std::string& key) {
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  }
  std::string make_ca(const std::string& name, const std::string& cn) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj",
             "/CN=" + cn});
    make_private(path(name + ".key"));
    return path(name + ".pem");
  }
  std::string issue(const std::string& name, const std::string& cn, const std::string& issuer,
                    const std::string& extensions) {
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + cn});
    make_private(path(name + ".key"));
    std::ofstream(path(name + ".ext")) << extensions;
    openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(issuer + ".pem"), "-CAkey",
             path(issuer + ".key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2",
             "-extfile", path(name + ".ext")});
    return path(name + ".pem");
  }
};

//! The JobManager's security.ssl.rest.* options: its certificate, and with
//! `client_auth` client certificates issued by the test CA.
std::vector<std::string> tls_options(const test_pki& p, bool client_auth) {
  std::vector<std::string> o = {"security.ssl.rest.enabled=true",
                                "security.ssl.rest.cert-file=" + p.server_cert,
                                "security.ssl.rest.key-file=" + p.server_key};
  if (client_auth) {
    o.push_back("security.ssl.rest.ca-file=" + p.ca);
    o.push_back("security.ssl.rest.authentication-enabled=true");
  }
  return o;
}

//! An HTTPS client as a browser or script would be: which issuer it trusts
//! (ca; empty: the system's store), its own certificate, a bearer token, and
//! the name it calls the server by.
struct tls_client {
  std::string ca, cert, key, token;
  std::string host = "127.0.0.1";
  explicit tls_client(std::string trusted, std::string own_cert = {}, std::string own_key = {},
                      std::string bearer = {})
      : ca(std::move(trusted)), cert(std::move(own_cert)), key(std::move(own_key)),
        token(std::move(bearer)) {}
};

struct https_result {
  int status = 0; // 0: no HTTP answer
  httplib::Error error = httplib::Error::Success;
  std::string body;
};

https_result https(int port, const tls_client& who, const std::string& method = "GET",
                   const std::string& path = "/overview", const std::string& body = {}) {
  auto url = "https://" + who.host + ":" + std::to_string(port);
  auto c = who.cert.empty() ? std::make_unique<httplib::Client>(url)
                            : std::make_unique<httplib::Client>(url, who.cert, who.key);
  if (!who.ca.empty())
    c->set_ca_cert_path(who.ca.c_str());
  c->enable_server_certificate_verification(true);
  c->set_connection_timeout(2, 0);
  c->set_read_timeout(5, 0);
  if (!who.token.empty())
    c->set_bearer_token_auth(who.token.c_str());
  auto r = method == "GET" ? c->Get(path.c_str()) : c->Post(path.c_str(), body, "application/json");
  https_result out;
  if (!r) {
    out.error = r.error();
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}

std::ostream& operator<<(std::ostream& os, const https_result& r) {
  return os << "status " << r.status << ", error " << httplib::to_string(r.error) << ", body "
            << r.body;
}

//! A bearer token in a file of `dir`.
std::string write_token(const temp_dir& dir, const std::string& token) {
  auto file = dir.str() + "/rest-token";
  std::ofstream(file) << token << "\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  return file;
}

//! A cluster secret for the mesh, so that a JobManager on a public address
//! is refused for its REST API only.
std::string write_cluster_secret(const temp_dir& dir) {
  auto file = dir.str() + "/cluster.secret";
  auto made = run_spate({"keys", "secret", file});
  if (made.exit_code != 0)
    throw std::runtime_error("spate keys secret failed: " + made.out + made.err);
  return file;
}

//! The few OpenSSL calls a hand-made TLS client needs. The test links
//! libssl only through cpp-httplib, so they are looked up in the process.
struct openssl_calls {
  template <typename F>
  static F find(const char* name) {
    void* p = ::dlsym(RTLD_DEFAULT, name);
    if (p == nullptr)
      throw std::runtime_error(std::string("no ") + name + " in the process");
    return reinterpret_cast<F>(p);
  }
  const SSL_METHOD* (*client_method)() = find<decltype(client_method)>("TLS_client_method");
  SSL_CTX* (*ctx_new)(const SSL_METHOD*) = find<decltype(ctx_new)>("SSL_CTX_new");
  void (*ctx_free)(SSL_CTX*) = find<decltype(ctx_free)>("SSL_CTX_free");
  SSL* (*ssl_new)(SSL_CTX*) = find<decltype(ssl_new)>("SSL_new");
  void (*ssl_free)(SSL*) = find<decltype(ssl_free)>("SSL_free");
  int (*set_fd)(SSL*, int) = find<decltype(set_fd)>("SSL_set_fd");
  int (*connect)(SSL*) = find<decltype(connect)>("SSL_connect");
  int (*write)(SSL*, const void*, int) = find<decltype(write)>("SSL_write");
  int (*read)(SSL*, void*, int) = find<decltype(read)>("SSL_read");
  int (*shutdown)(SSL*) = find<decltype(shutdown)>("SSL_shutdown");
  long (*ctx_ctrl)(SSL_CTX*, int, long, void*) = find<decltype(ctx_ctrl)>("SSL_CTX_ctrl");
  int (*use_certificate_file)(SSL_CTX*, const char*, int) =
      find<decltype(use_certificate_file)>("SSL_CTX_use_certificate_file");
  int (*use_private_key_file)(SSL_CTX*, const char*, int) =
      find<decltype(use_private_key_file)>("SSL_CTX_use_PrivateKey_file");
  int (*load_verify_locations)(SSL_CTX*, const char*, const char*) =
      find<decltype(load_verify_locations)>("SSL_CTX_load_verify_locations");
  void (*ctx_set_verify)(SSL_CTX*, int,
                         SSL_verify_cb) = find<decltype(ctx_set_verify)>("SSL_CTX_set_verify");
  SSL_SESSION* (*get1_session)(SSL*) = find<decltype(get1_session)>("SSL_get1_session");
  int (*set_session)(SSL*, SSL_SESSION*) = find<decltype(set_session)>("SSL_set_session");
  int (*session_reused)(const SSL*) = find<decltype(session_reused)>("SSL_session_reused");
  void (*session_free)(SSL_SESSION*) = find<decltype(session_free)>("SSL_SESSION_free");
};

//! Whether `pid` ignores `sig` (/proc/<pid>/status SigIgn).
bool ignores(pid_t pid, int sig) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("SigIgn:", 0) == 0)
      return ((std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1) != 0;
  return false;
}

void on_sigpipe(int) {}

//! A TLS write to a peer that is gone raises SIGPIPE in this process; it
//! must fail instead. A handler that does nothing, not SIG_IGN: the
//! JobManagers started from here would inherit SIG_IGN through exec and
//! could not show that they ignore SIGPIPE themselves.
void survive_sigpipe() {
  struct sigaction a {};
  a.sa_handler = on_sigpipe;
  a.sa_flags = SA_RESTART;
  ::sigemptyset(&a.sa_mask);
  ::sigaction(SIGPIPE, &a, nullptr);
}

std::string tls_hint(const process_result& r) {
  return "exit " + std::to_string(r.exit_code) + ": " + r.out + r.err;
}

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
  // The snapshot a job starts from is read (and with CLAIM, deleted in time).
  fs::create_directories(m.elsewhere.str() + "/chk-1");
  expect_refused(c.request("POST", "/jobs",
                           json{{"job", "wordcount"},
                                {"output", "discard"},
                                {"savepointPath", m.elsewhere.str() + "/chk-1"},
                                {"config", {{"execution.savepoint-restore-mode", "CLAIM"}}}}
                               .dump()),
                 403, "savepointPath");
  BOOST_TEST(fs::exists(m.elsewhere.str() + "/chk-1"));

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
  BOOST_TEST(open.jobmanager().log().find("protection: NO authentication") != std::string::npos,
             open.jobmanager().log());
}

// The web dashboard (docs/dashboard.md): its compiled-in files load without
// the token, nothing else does; a change from the server's own origin is
// taken, from any other origin still refused.
BOOST_AUTO_TEST_CASE(the_dashboard_loads_without_the_token_and_only_its_own_origin_changes_things) {
  temp_dir secrets;
  auto token = std::string("s3cret-0123456789-abcdef");
  test_cluster c({"rest.auth.token-file=" + write_token(secrets, token)});
  c.start_jobmanager();
  BOOST_REQUIRE(await([&] { return c.get("/overview").status == 401; }));
  BOOST_TEST(c.get("/").status == 200);
  BOOST_TEST(c.get("/web/app.js").status == 200);
  BOOST_TEST(c.get("/web/no-such-file.js").status == 404);
  BOOST_TEST(c.get("/web/../overview").status == 404);
  // Only GETs of the dashboard's own paths go without the token.
  expect_refused(c.request("POST", "/", "{}"), 401, "bearer token");
  expect_refused(c.request("POST", "/web/app.js", "{}"), 401, "bearer token");
  expect_refused(c.get("/web"), 401, "bearer token");
  expect_refused(c.get("/webx/app.js"), 401, "bearer token");
  expect_refused(c.get("/jobs"), 401, "bearer token");

  auto port = std::to_string(c.rest_port());
  auto cancel = [&](const std::string& host, const std::string& origin) {
    return c.request("PATCH", "/jobs/" + std::string(32, 'a') + "?mode=cancel", "{}",
                     {{"Authorization", "Bearer " + token}, {"Host", host}, {"Origin", origin}});
  };
  // Past every check: the job is unknown (404), not refused.
  BOOST_TEST(cancel("127.0.0.1:" + port, "http://127.0.0.1:" + port).status == 404);
  BOOST_TEST(cancel("localhost:" + port, "http://localhost:" + port).status == 404);
  expect_refused(cancel("127.0.0.1:" + port, "http://localhost:" + port), 403, "Origin");
  expect_refused(cancel("127.0.0.1:" + port, "https://127.0.0.1:" + port), 403, "Origin");
  expect_refused(
      cancel("127.0.0.1:" + port, "http://127.0.0.1:" + std::to_string(c.rest_port() + 1)), 403,
      "Origin");
  expect_refused(cancel("127.0.0.1:" + port, "http://evil.example"), 403, "Origin");
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

BOOST_AUTO_TEST_CASE(requests_without_a_body_or_content_length_are_answered_at_once) {
  // `curl -X PATCH URL` sends no Content-Length: the request has no body
  // (RFC 9112) and must not wait for the client to close the connection.
  test_cluster c;
  c.start_jobmanager();
  BOOST_REQUIRE(await([&] { return c.get("/overview").status == 200; }));
  const std::string host = "Host: 127.0.0.1:" + std::to_string(c.rest_port()) + "\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  const std::string id = "0123456789abcdef0123456789abcdef";
  // Two requests on one connection: the second is answered too, so nothing
  // of it was taken for the first one's body.
  raw_socket s(c.rest_port());
  auto started = std::chrono::steady_clock::now();
  BOOST_REQUIRE(s.send_all("PATCH /jobs/" + id + "?mode=cancel HTTP/1.1\r\n" + host + json +
                           "\r\nPOST /jobs/" + id + "/stop HTTP/1.1\r\n" + host + json + "\r\n"));
  std::string answers;
  auto count = [&] {
    std::size_t n = 0;
    for (auto at = answers.find("HTTP/1.1 404 "); at != std::string::npos;
         at = answers.find("HTTP/1.1 404 ", at + 1))
      ++n;
    return n;
  };
  while (count() < 2 && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    answers += s.read_head(200);
  }
  BOOST_TEST(count() == 2u, answers); // dispatched: no such job, twice
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
  // The guards still hold: a foreign Origin, and a method no route has.
  raw_socket t(c.rest_port());
  BOOST_REQUIRE(t.send_all("PATCH /jobs/" + id + "?mode=cancel HTTP/1.1\r\n" + host + json +
                           "Origin: http://evil.example\r\n\r\n"));
  auto head = t.read_head(3000);
  BOOST_TEST(head.rfind("HTTP/1.1 403", 0) == 0u, head);
  raw_socket u(c.rest_port());
  BOOST_REQUIRE(u.send_all("DELETE /jobs/" + id + " HTTP/1.1\r\n" + host + json + "\r\n"));
  head = u.read_head(3000);
  BOOST_TEST(head.rfind("HTTP/1.1 405", 0) == 0u, head);
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

BOOST_AUTO_TEST_CASE(tls_with_a_bearer_token_answers_only_https_clients_that_trust_its_issuer) {
  survive_sigpipe();
  test_pki pki;
  auto token = std::string("s3cret-0123456789-abcdef");
  auto extra = tls_options(pki, false);
  extra.push_back("rest.auth.token-file=" + write_token(pki.dir, token));
  test_cluster c(extra);
  c.start_jobmanager();
  auto port = c.rest_port();
  tls_client trusting{pki.ca, "", "", token};
  BOOST_REQUIRE_MESSAGE(await([&] { return https(port, trusting).status == 200; }),
                        c.jobmanager().log());

  // Plain HTTP to the TLS port gets no HTTP answer, even with the token.
  {
    raw_socket s(port);
    BOOST_REQUIRE(s.send_all("GET /overview HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                             "\r\nAuthorization: Bearer " + token + "\r\n\r\n"));
    auto head = s.read_head(3000);
    BOOST_TEST(head.find("HTTP/") == std::string::npos, head);
  }
  BOOST_TEST(c.request("GET", "/overview", {}, {{"Authorization", "Bearer " + token}}).status == 0);

  // TLS does not replace the token.
  auto no_token = trusting;
  no_token.token.clear();
  auto r = https(port, no_token);
  BOOST_TEST(r.status == 401, r);
  BOOST_TEST(r.body.find("bearer token") != std::string::npos, r);
  auto wrong = trusting;
  wrong.token = token + "x";
  BOOST_TEST(https(port, wrong).status == 401);

  // A client that does not trust the issuer (the system's store, or another
  // CA) refuses the server.
  for (auto& ca : {std::string(), pki.other_ca}) {
    tls_client doubting{ca, "", "", token};
    auto d = https(port, doubting);
    BOOST_TEST(d.status == 0, "trusting '" << ca << "': " << d);
    BOOST_TEST(d.error == httplib::Error::SSLServerVerification, "trusting '" << ca << "': " << d);
  }
  // The certificate names both the address and localhost.
  auto by_name = trusting;
  by_name.host = "localhost";
  auto n = https(port, by_name);
  BOOST_TEST(n.status == 200, n);

  auto log = c.jobmanager().log();
  BOOST_TEST(log.find("REST API protection: TLS with " + pki.server_cert + "; bearer token from") !=
                 std::string::npos,
             log);
}

BOOST_AUTO_TEST_CASE(mutual_tls_admits_only_certificates_of_its_issuer_and_keeps_the_other_guards) {
  survive_sigpipe();
  marked m;
  test_pki pki;
  test_cluster c(tls_options(pki, true));
  c.start_jobmanager();
  auto port = c.rest_port();
  tls_client member{pki.ca, pki.client_cert, pki.client_key};
  BOOST_REQUIRE_MESSAGE(await([&] { return https(port, member).status == 200; }),
                        c.jobmanager().log());

  // No certificate, or one of another CA: the handshake fails, no answer.
  auto anonymous = https(port, tls_client{pki.ca});
  BOOST_TEST(anonymous.status == 0, anonymous);
  BOOST_TEST(anonymous.error != httplib::Error::Success, anonymous);
  BOOST_TEST_MESSAGE("without a certificate: " << anonymous);
  auto stranger = https(port, tls_client{pki.ca, pki.other_client_cert, pki.other_client_key});
  BOOST_TEST(stranger.status == 0, stranger);
  BOOST_TEST(stranger.error != httplib::Error::Success, stranger);
  BOOST_TEST_MESSAGE("with another CA's certificate: " << stranger);
  // The client still checks the server.
  auto gullible = https(port, tls_client{pki.other_ca, pki.client_cert, pki.client_key});
  BOOST_TEST(gullible.error == httplib::Error::SSLServerVerification, gullible);

  // An authenticated client is still held to rest.submit.library-dir.
  auto outside = m.elsewhere.str() + "/libevil.so";
  fs::copy_file(marker_library(), outside);
  auto r = https(port, member, "POST", "/jobs", json{{"library", outside}}.dump());
  BOOST_TEST(r.status == 403, r);
  BOOST_TEST(r.body.find("rest.submit.library-dir") != std::string::npos, r);
  BOOST_TEST(!m.loaded());
  BOOST_TEST(https(port, member).status == 200);

  auto log = c.jobmanager().log();
  BOOST_TEST(log.find("REST API protection: TLS with " + pki.server_cert +
                      ", client certificates issued by " + pki.ca) != std::string::npos,
             log);
}

BOOST_AUTO_TEST_CASE(
    the_cli_speaks_https_and_explains_an_untrusted_server_or_a_missing_certificate) {
  test_pki pki;
  test_cluster tls(tls_options(pki, false));
  test_cluster mutual(tls_options(pki, true));
  tls.start_jobmanager();
  mutual.start_jobmanager();
  BOOST_REQUIRE_MESSAGE(
      await([&] { return https(tls.rest_port(), tls_client{pki.ca}).status == 200; }),
      tls.jobmanager().log());
  BOOST_REQUIRE_MESSAGE(await([&] {
                          return https(mutual.rest_port(),
                                       tls_client{pki.ca, pki.client_cert, pki.client_key})
                                     .status == 200;
                        }),
                        mutual.jobmanager().log());

  // `spate list -m 127.0.0.1:PORT -D ...` with only the options given here.
  auto list = [](int port, const std::vector<std::string>& options) {
    std::vector<std::string> args = {"list", "-m", "127.0.0.1:" + std::to_string(port)};
    for (auto& o : options) {
      args.push_back("-D");
      args.push_back(o);
    }
    return run_spate(args);
  };
  const std::string on = "security.ssl.rest.enabled=true";
  const std::string trust = "security.ssl.rest.ca-file=" + pki.ca;

  auto ok = list(tls.rest_port(), {on, trust});
  BOOST_TEST(ok.exit_code == 0, tls_hint(ok));
  for (auto& options :
       {std::vector<std::string>{on},
        std::vector<std::string>{on, "security.ssl.rest.ca-file=" + pki.other_ca}}) {
    auto untrusted = list(tls.rest_port(), options);
    BOOST_TEST(untrusted.exit_code == 3, tls_hint(untrusted));
    BOOST_TEST(untrusted.err.find("SSLServerVerification") != std::string::npos,
               tls_hint(untrusted));
    BOOST_TEST(untrusted.err.find("security.ssl.rest.ca-file") != std::string::npos,
               tls_hint(untrusted));
  }
  // Plain HTTP to the TLS port.
  auto plain = list(tls.rest_port(), {});
  BOOST_TEST(plain.exit_code == 3, tls_hint(plain));
  // The cluster's own options (certificate and key of the server, no
  // ca-file) with the issuer to trust on top.
  auto own = tls.spate({"list", "-D", trust});
  BOOST_TEST(own.exit_code == 0, tls_hint(own));

  // Mutual TLS: without a client certificate the CLI says what is missing.
  auto anonymous = list(mutual.rest_port(), {on, trust});
  BOOST_TEST(anonymous.exit_code == 3, tls_hint(anonymous));
  // With TLS 1.3 the refusal shows at the first read or write after the
  // handshake; the CLI still says what is missing.
  BOOST_CHECK_MESSAGE(anonymous.err.find("authentication-enabled") != std::string::npos,
                      "no hint: " << tls_hint(anonymous));
  auto member =
      list(mutual.rest_port(), {on, trust, "security.ssl.rest.cert-file=" + pki.client_cert,
                                "security.ssl.rest.key-file=" + pki.client_key,
                                "security.ssl.rest.authentication-enabled=true"});
  BOOST_TEST(member.exit_code == 0, tls_hint(member));
  auto stranger =
      list(mutual.rest_port(), {on, trust, "security.ssl.rest.cert-file=" + pki.other_client_cert,
                                "security.ssl.rest.key-file=" + pki.other_client_key,
                                "security.ssl.rest.authentication-enabled=true"});
  BOOST_TEST(stranger.exit_code != 0, tls_hint(stranger));
}

BOOST_AUTO_TEST_CASE(slow_tls_handshakes_do_not_block_others_and_are_dropped) {
  survive_sigpipe();
  test_pki pki;
  auto extra = tls_options(pki, false);
  extra.push_back("rest.server.request-timeout=1 s");
  test_cluster c(extra);
  c.start_jobmanager();
  auto port = c.rest_port();
  tls_client trusting{pki.ca};
  BOOST_REQUIRE_MESSAGE(await([&] { return https(port, trusting).status == 200; }),
                        c.jobmanager().log());
  BOOST_TEST(c.jobmanager().log().find("request timeout 1000 ms") != std::string::npos);

  // Half the connections send nothing, half the start of a ClientHello (a
  // record of 512 bytes, 27 of them sent).
  const std::string half_hello =
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(16, '\x5a');
  std::vector<std::unique_ptr<raw_socket>> slow;
  auto opened = std::chrono::steady_clock::now();
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<raw_socket>(port));
    if (i % 2 == 1)
      BOOST_REQUIRE(slow.back()->send_all(half_hello));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = https(port, trusting);
  auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  BOOST_TEST(r.status == 200, r);
  BOOST_TEST(waited.count() < 500, "an HTTPS GET took " << waited.count() << " ms");
  // Each had rest.server.request-timeout to complete its handshake.
  BOOST_TEST(await(
      [&] {
        return std::all_of(slow.begin(), slow.end(), [](auto& s) { return s->closed_by_peer(); });
      },
      std::chrono::seconds(5)));
  auto dropped = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opened);
  BOOST_TEST_MESSAGE("the GET took " << waited.count()
                                     << " ms; the slow connections were dropped after "
                                     << dropped.count() << " ms");
  BOOST_TEST(c.jobmanager().alive());
  BOOST_TEST(https(port, trusting).status == 200);
}

BOOST_AUTO_TEST_CASE(tls_start_up_refuses_a_public_address_without_client_auth_and_unsafe_keys) {
  test_pki pki;
  auto secret = "security.cluster-secret-file=" + write_cluster_secret(pki.dir);
  // The JobManager with `extra` (and the mesh's secret) exits 2; its log.
  auto refused_with = [&](std::vector<std::string> extra) {
    extra.push_back(secret);
    test_cluster c(extra);
    c.start_jobmanager();
    BOOST_REQUIRE(await([&] { return !c.jobmanager().alive(); }, std::chrono::seconds(10)));
    auto code = c.jobmanager().stop();
    auto log = c.jobmanager().log();
    BOOST_TEST(code == 2, log);
    return log;
  };
  auto contains = [](const std::string& log, const std::string& what) {
    return log.find(what) != std::string::npos;
  };

  // A public address with TLS but nothing that authenticates a client.
  auto pub = tls_options(pki, false);
  pub.push_back("rest.address=0.0.0.0");
  auto log = refused_with(pub);
  BOOST_TEST(contains(log, "rest.address '0.0.0.0'"), log);
  BOOST_TEST(contains(log, "rest.auth.token-file"), log);
  BOOST_TEST(contains(log, "security.ssl.rest.authentication-enabled"), log);
  // The refusal is the REST API's: the mesh has its secret.
  auto refusal = log.substr(std::min(log.find("spate: jobmanager:"), log.size()));
  BOOST_TEST(contains(refusal, "REST"), log);
  BOOST_TEST(!contains(refusal, "mesh"), log);

  // With client certificates it starts.
  {
    auto mutual = tls_options(pki, true);
    mutual.push_back("rest.address=0.0.0.0");
    mutual.push_back(secret);
    test_cluster c(mutual);
    c.start_jobmanager();
    tls_client member{pki.ca, pki.client_cert, pki.client_key};
    BOOST_TEST(await([&] { return https(c.rest_port(), member).status == 200; }),
               c.jobmanager().log());
    BOOST_TEST(https(c.rest_port(), tls_client{pki.ca}).status == 0);
    BOOST_TEST(c.jobmanager().stop() == 0, c.jobmanager().log());
  }

  // Unsafe or wrong key files.
  auto with_key = [&](const std::string& key) {
    auto o = tls_options(pki, false);
    o[2] = "security.ssl.rest.key-file=" + key;
    return o;
  };
  auto loose = pki.path("loose.key");
  fs::copy_file(pki.server_key, loose);
  fs::permissions(loose,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read,
                  fs::perm_options::replace);
  log = refused_with(with_key(loose));
  BOOST_TEST(contains(log, "security.ssl.rest.key-file '" + loose + "'"), log);
  BOOST_TEST(contains(log, "readable by others"), log);

  log = refused_with(with_key(pki.client_key));
  BOOST_TEST(contains(log, "security.ssl.rest.key-file '" + pki.client_key + "'"), log);
  BOOST_TEST(contains(log, "does not belong to the certificate"), log);

  auto link = pki.path("link.key");
  fs::create_symlink(pki.server_key, link);
  log = refused_with(with_key(link));
  BOOST_TEST(contains(log, "security.ssl.rest.key-file '" + link + "'"), log);
  BOOST_TEST(contains(log, "symbolic link"), log);

  // Client certificates without an issuer to check them against.
  auto no_ca = tls_options(pki, false);
  no_ca.push_back("security.ssl.rest.authentication-enabled=true");
  log = refused_with(no_ca);
  BOOST_TEST(contains(log, "security.ssl.rest.ca-file"), log);
}

BOOST_AUTO_TEST_CASE(tls_clients_that_vanish_mid_answer_do_not_kill_the_jobmanager) {
  survive_sigpipe();
  test_pki pki;
  test_cluster c(tls_options(pki, false));
  // A large /jobmanager/config: 8 options of 100 kB.
  std::vector<std::string> padding;
  for (int i = 0; i < 8; ++i)
    padding.push_back("test.padding." + std::to_string(i) + "=" + std::string(100000, 'x'));
  c.start_jobmanager(padding);
  auto port = c.rest_port();
  tls_client trusting{pki.ca};
  BOOST_REQUIRE_MESSAGE(await([&] { return https(port, trusting).status == 200; }),
                        c.jobmanager().log());
  auto big = https(port, trusting, "GET", "/jobmanager/config");
  BOOST_REQUIRE(big.status == 200);
  BOOST_TEST(big.body.size() > 800000u);
  auto pid = c.jobmanager().pid();
  BOOST_TEST(ignores(pid, SIGPIPE));

  openssl_calls ssl;
  std::unique_ptr<SSL_CTX, decltype(ssl.ctx_free)> ctx(ssl.ctx_new(ssl.client_method()),
                                                       ssl.ctx_free);
  BOOST_REQUIRE(ctx);
  auto request =
      "GET /jobmanager/config HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
  int sent = 0, mid_answer = 0;
  for (int i = 0; i < 20 && c.jobmanager().alive(); ++i) {
    std::unique_ptr<raw_socket> sock;
    try {
      sock = std::make_unique<raw_socket>(port);
    } catch (const std::exception&) {
      BOOST_ERROR("connection " << i << " refused: the JobManager is gone");
      break;
    }
    auto& s = *sock;
    SSL* conn = ssl.ssl_new(ctx.get());
    BOOST_REQUIRE(conn != nullptr);
    ssl.set_fd(conn, s.fd);
    if (ssl.connect(conn) == 1 &&
        ssl.write(conn, request.data(), static_cast<int>(request.size())) > 0) {
      ++sent;
      // Every other one waits until the answer is under way (more unread
      // than the session tickets), the others leave at once.
      if (i % 2 == 1 && await(
                            [&] {
                              int unread = 0;
                              ::ioctl(s.fd, FIONREAD, &unread);
                              return unread > 16384;
                            },
                            std::chrono::seconds(3)))
        ++mid_answer;
    }
    // Gone without a close_notify, the unread answer dropped: a reset.
    linger l{1, 0};
    ::setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ssl.ssl_free(conn);
  }
  BOOST_TEST(sent == 20);
  BOOST_TEST(mid_answer == 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  if (!c.jobmanager().alive())
    BOOST_ERROR("the JobManager died, exit " << c.jobmanager().stop() << "\n"
                                             << c.jobmanager().log());
  auto after = https(port, trusting);
  BOOST_TEST(after.status == 200, after);
}

BOOST_AUTO_TEST_CASE(mutual_tls_clients_may_resume_their_sessions) {
  survive_sigpipe();
  test_pki pki;
  test_cluster c(tls_options(pki, true));
  c.start_jobmanager();
  auto port = c.rest_port();
  tls_client member{pki.ca, pki.client_cert, pki.client_key};
  BOOST_REQUIRE_MESSAGE(await([&] { return https(port, member).status == 200; }),
                        c.jobmanager().log());

  openssl_calls ssl;
  for (long version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    BOOST_TEST_CONTEXT("TLS version 0x" << std::hex << version) {
      // A client with the member's certificate, speaking only `version`.
      std::unique_ptr<SSL_CTX, decltype(ssl.ctx_free)> ctx(ssl.ctx_new(ssl.client_method()),
                                                           ssl.ctx_free);
      BOOST_REQUIRE(ctx);
      ssl.ctx_ctrl(ctx.get(), SSL_CTRL_SET_MIN_PROTO_VERSION, version, nullptr);
      ssl.ctx_ctrl(ctx.get(), SSL_CTRL_SET_MAX_PROTO_VERSION, version, nullptr);
      BOOST_REQUIRE(
          ssl.use_certificate_file(ctx.get(), pki.client_cert.c_str(), SSL_FILETYPE_PEM) == 1);
      BOOST_REQUIRE(ssl.use_private_key_file(ctx.get(), pki.client_key.c_str(), SSL_FILETYPE_PEM) ==
                    1);
      BOOST_REQUIRE(ssl.load_verify_locations(ctx.get(), pki.ca.c_str(), nullptr) == 1);
      ssl.ctx_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

      // One GET /overview on a new connection, offering `resume`: whether
      // the handshake completed, whether the session was resumed, the
      // answer, and the session to resume next.
      struct outcome {
        bool handshake = false;
        bool reused = false;
        std::string answer;
        SSL_SESSION* session = nullptr;
      };
      auto get = [&](SSL_SESSION* resume) {
        outcome o;
        raw_socket s(port);
        timeval five{5, 0};
        ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
        std::unique_ptr<SSL, decltype(ssl.ssl_free)> conn(ssl.ssl_new(ctx.get()), ssl.ssl_free);
        BOOST_REQUIRE(conn);
        ssl.set_fd(conn.get(), s.fd);
        if (resume != nullptr)
          BOOST_REQUIRE(ssl.set_session(conn.get(), resume) == 1);
        o.handshake = ssl.connect(conn.get()) == 1;
        if (!o.handshake)
          return o;
        o.reused = ssl.session_reused(conn.get()) == 1;
        auto request = "GET /overview HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                       "\r\nConnection: close\r\n\r\n";
        BOOST_REQUIRE(ssl.write(conn.get(), request.data(), static_cast<int>(request.size())) > 0);
        // To the end of the answer: TLS 1.3 session tickets arrive after the
        // handshake.
        char buf[4096];
        for (int n; (n = ssl.read(conn.get(), buf, sizeof buf)) > 0;)
          o.answer.append(buf, static_cast<std::size_t>(n));
        o.session = ssl.get1_session(conn.get());
        ssl.shutdown(conn.get());
        return o;
      };
      auto first = get(nullptr);
      BOOST_REQUIRE(first.handshake);
      BOOST_TEST(first.answer.rfind("HTTP/1.1 200", 0) == 0u, first.answer);
      BOOST_TEST(!first.reused);
      BOOST_REQUIRE(first.session != nullptr);
      auto second = get(first.session);
      BOOST_TEST(second.handshake,
                 "resuming the session failed the handshake: " << c.jobmanager().log());
      BOOST_TEST(second.reused);
      BOOST_TEST(second.answer.rfind("HTTP/1.1 200", 0) == 0u, second.answer);
      ssl.session_free(first.session);
      if (second.session != nullptr)
        ssl.session_free(second.session);
    }
  }
  BOOST_TEST(c.jobmanager().alive());
}
