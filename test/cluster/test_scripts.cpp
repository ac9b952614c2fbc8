// cluster/scripts: start-cluster.sh starts a JobManager and N TaskManagers
// with pid files and logs and waits for them; a second start leaves the
// running cluster alone; taskmanager.sh adds and removes one;
// stop-cluster.sh stops everything. The cluster's mesh is authenticated
// with a cluster secret the first start makes.
#define BOOST_TEST_MODULE scripts
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <cstdlib>

#include "support/cluster.hpp"

using namespace spate::test;
namespace fs = std::filesystem;

namespace {

std::string source_dir() {
  const char* s = std::getenv("SPATE_SOURCE_DIR");
  return s ? s : ".";
}

process_result script(const std::string& name, std::vector<std::string> args = {}) {
  args.insert(args.begin(), source_dir() + "/cluster/scripts/" + name);
  args.insert(args.begin(), "/bin/bash");
  child_process p(args);
  return p.finish();
}

bool pid_alive(const std::string& pidfile) {
  std::ifstream in(pidfile);
  int pid = 0;
  return (in >> pid) && pid > 0 && ::kill(pid, 0) == 0;
}

int read_pid(const std::string& pidfile) {
  std::ifstream in(pidfile);
  int pid = 0;
  in >> pid;
  return pid;
}

} // namespace

BOOST_AUTO_TEST_CASE(start_twice_add_remove_and_stop) {
  temp_dir tmp;
  auto logs = tmp.str() + "/log";
  int rest = free_port();
  int rpc = free_port();
  std::string opts = "-D rest.port=" + std::to_string(rest) +
                     " -D jobmanager.rpc.port=" + std::to_string(rpc) +
                     " -D heartbeat.interval=100ms -D heartbeat.timeout=1s";
  // The secret the first start makes goes to the test's directory, not
  // into the source tree's conf/.
  auto secret = tmp.str() + "/cluster.secret";
  auto spate_bin = bin_dir() + "/spate"; // SPATE_BIN names the binary from here on
  ::setenv("SPATE_BIN", spate_bin.c_str(), 1);
  ::setenv("SPATE_LOG_DIR", logs.c_str(), 1);
  ::setenv("SPATE_OPTS", opts.c_str(), 1);
  ::setenv("SPATE_CONF_DIR", (source_dir() + "/conf").c_str(), 1);
  ::setenv("SPATE_SECRET", secret.c_str(), 1);
  struct cleanup {
    ~cleanup() { script("stop-cluster.sh"); }
  } stop_at_exit;

  auto overview = [&] {
    httplib::Client c("127.0.0.1", rest);
    auto r = c.Get("/overview");
    return r ? json::parse(r->body) : json();
  };

  auto start = script("start-cluster.sh", {"2"});
  BOOST_REQUIRE_MESSAGE(start.exit_code == 0, start.out + start.err);
  BOOST_TEST(start.out.find("cluster up: 1 JobManager, 2 TaskManager(s)") != std::string::npos);
  BOOST_TEST(pid_alive(logs + "/jobmanager-0.pid"));
  BOOST_TEST(pid_alive(logs + "/taskmanager-1.pid"));
  BOOST_TEST(pid_alive(logs + "/taskmanager-2.pid"));
  BOOST_TEST(fs::exists(logs + "/jobmanager-0.log"));
  BOOST_TEST(fs::exists(logs + "/taskmanager-2.log"));
  BOOST_TEST(overview()["taskmanagers"] == 2); // registered before the script returned

  // The first start made the cluster secret, for its owner only, and every
  // process authenticates the mesh with it.
  struct stat st {};
  BOOST_REQUIRE_MESSAGE(::stat(secret.c_str(), &st) == 0, "no cluster secret at " << secret);
  BOOST_TEST((st.st_mode & 0777) == 0600u, "mode " << std::oct << (st.st_mode & 0777));
  auto read_file = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  for (auto name : {"jobmanager-0.log", "taskmanager-1.log", "taskmanager-2.log"}) {
    auto text = read_file(logs + "/" + name);
    BOOST_TEST(text.find("mesh authentication: CURVE") != std::string::npos, name << ":\n" << text);
  }
  // `spate keys secret` never replaces a secret: the cluster's would change.
  auto before = read_file(secret);
  child_process again_secret({spate_bin, "keys", "secret", secret});
  auto refused = again_secret.finish();
  BOOST_TEST(refused.exit_code != 0);
  BOOST_TEST(refused.err.find(secret) != std::string::npos, refused.err);
  BOOST_TEST(read_file(secret) == before);

  int jm = read_pid(logs + "/jobmanager-0.pid");
  auto again = script("start-cluster.sh", {"2"});
  BOOST_TEST(again.exit_code == 0);
  BOOST_TEST(again.out.find("already running") != std::string::npos);
  BOOST_TEST(read_pid(logs + "/jobmanager-0.pid") == jm);
  BOOST_TEST(!fs::exists(logs + "/taskmanager-3.pid"));
  BOOST_TEST(overview()["taskmanagers"] == 2);

  auto add = script("taskmanager.sh", {"start"});
  BOOST_TEST(add.exit_code == 0);
  BOOST_TEST(pid_alive(logs + "/taskmanager-3.pid"));
  BOOST_TEST(await([&] { return overview()["taskmanagers"] == 3; }));

  int tm3 = read_pid(logs + "/taskmanager-3.pid");
  auto remove = script("taskmanager.sh", {"stop"});
  BOOST_TEST(remove.exit_code == 0);
  BOOST_TEST(!fs::exists(logs + "/taskmanager-3.pid"));
  BOOST_TEST(::kill(tm3, 0) != 0);
  // A TaskManager that stops says so: the JobManager drops it at once.
  BOOST_TEST(
      await([&] { return overview()["taskmanagers"] == 2; }, std::chrono::milliseconds(900)));

  auto bad = script("taskmanager.sh", {"restart"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("usage") != std::string::npos);
  auto bad_count = script("start-cluster.sh", {"zero"});
  BOOST_TEST(bad_count.exit_code == 2);

  auto stop = script("stop-cluster.sh");
  BOOST_TEST(stop.exit_code == 0);
  BOOST_TEST(::kill(jm, 0) != 0);
  BOOST_TEST(!fs::exists(logs + "/jobmanager-0.pid"));
  BOOST_TEST(!fs::exists(logs + "/taskmanager-1.pid"));
  BOOST_TEST(overview().is_null());
}
