// A spate cluster of real processes for tests: a JobManager and
// TaskManagers on free loopback ports, their logs in a temporary directory,
// REST calls, and waiting on what the REST API reports.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

namespace spate::test {

using json = nlohmann::json;

//! A TCP port on 127.0.0.1 that was free a moment ago.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("bind failed");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

//! Waits until `pred` holds, polling every 20 ms; false after `timeout`.
inline bool await(const std::function<bool()>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

//! A background process with stdout and stderr in a log file.
//! Whether `text` (a job's exceptions) says a TaskManager died: the
//! JobManager's heartbeat or a peer's data link notices it first.
inline bool names_a_lost_taskmanager(const std::string& text) {
  return text.find("is lost") != std::string::npos ||
         text.find("on the data link for") != std::string::npos;
}

class daemon_process {
public:
  daemon_process(const std::vector<std::string>& argv, const std::string& log) : log_(log) {
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~daemon_process() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }
  bool alive() {
    if (reaped_)
      return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
  //! SIGTERM, then waits up to `timeout` (SIGKILL after); returns the exit code.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (alive())
      signal(SIGTERM);
    if (!await([this] { return !alive(); }, timeout)) {
      signal(SIGKILL);
      await([this] { return !alive(); });
    }
    return exit_code_;
  }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

private:
  std::string log_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
};

struct http_result {
  int status = 0;
  json body;
};

//! One JobManager and TaskManagers on free ports, with short heartbeats.
//! The mesh is authenticated as start-cluster.sh sets it up: a cluster
//! secret in the test's directory (secret_file()), unless an `extra` option
//! sets security.* itself ("security.cluster-secret-file=" turns it off: a
//! plain-TCP mesh on loopback).
class test_cluster {
public:
  explicit test_cluster(std::vector<std::string> extra = {})
      : extra_(std::move(extra)), path_(dir_.str()) {
    rest_port_ = free_port();
    rpc_port_ = free_port();
    // clang-format off
    options_ = {"-D", "rest.port=" + std::to_string(rest_port_),
                "-D", "jobmanager.rpc.port=" + std::to_string(rpc_port_),
                "-D", "heartbeat.interval=100ms",
                "-D", "heartbeat.timeout=2s",
                "-D", "taskmanager.numberOfTaskSlots=2",
                "-D", "state.backend.rocksdb.localdir=" + dir_.str() + "/state",
                "-D", "state.checkpoints.dir=" + dir_.str() + "/checkpoints",
                "-D", "state.savepoints.dir=" + dir_.str() + "/savepoints",
                "-D", "restart-strategy.fixed-delay.delay=100ms",
                // What the REST API may name (docs/security.md): the test
                // libraries of the build and anything under the test's directory.
                "-D", "rest.submit.library-dir=" + bin_dir() + "/../lib;" + dir_.str(),
                "-D", "rest.submit.allowed-paths=" + dir_.str()};
    // clang-format on
    bool own_security = std::any_of(extra_.begin(), extra_.end(), [](const std::string& e) {
      return e.rfind("security.", 0) == 0;
    });
    if (!own_security) {
      secret_file_ = dir_.str() + "/cluster.secret";
      auto made = run_spate({"keys", "secret", secret_file_});
      if (made.exit_code != 0)
        throw std::runtime_error("spate keys secret failed: " + made.out + made.err);
      options_.push_back("-D");
      options_.push_back("security.cluster-secret-file=" + secret_file_);
    }
    for (auto& e : extra_) {
      options_.push_back("-D");
      options_.push_back(e);
    }
  }
  ~test_cluster() {
    for (auto& tm : taskmanagers_)
      if (tm)
        tm->stop();
    if (jobmanager_)
      jobmanager_->stop();
  }

  const std::string& dir() const { return path_; }
  int rest_port() const { return rest_port_; }
  int rpc_port() const { return rpc_port_; }
  const std::vector<std::string>& options() const { return options_; }
  //! The cluster secret the processes share; "" when `extra` chose security.
  const std::string& secret_file() const { return secret_file_; }

  //! Starts the JobManager; `own` are key=value options for it alone.
  daemon_process& start_jobmanager(const std::vector<std::string>& own = {}) {
    jobmanager_ = std::make_unique<daemon_process>(command("jobmanager", own),
                                                   dir_.str() + "/jobmanager.log");
    return *jobmanager_;
  }
  //! Starts a TaskManager; `own` are key=value options for it alone.
  daemon_process& start_taskmanager(const std::vector<std::string>& own = {}) {
    auto n = taskmanagers_.size();
    taskmanagers_.push_back(std::make_unique<daemon_process>(
        command("taskmanager", own), dir_.str() + "/taskmanager-" + std::to_string(n) + ".log"));
    return *taskmanagers_.back();
  }
  daemon_process& jobmanager() { return *jobmanager_; }
  daemon_process& taskmanager(std::size_t n) { return *taskmanagers_.at(n); }

  //! A JobManager and `n` TaskManagers, registered.
  void start(int n) {
    start_jobmanager();
    for (int i = 0; i < n; ++i)
      start_taskmanager();
    if (!await_taskmanagers(n)) {
      std::string logs = jobmanager_->log();
      for (std::size_t i = 0; i < taskmanagers_.size(); ++i)
        logs += "--- TaskManager " + std::to_string(i) +
                (taskmanagers_[i]->alive() ? " (running)" : " (ended)") + ":\n" +
                taskmanagers_[i]->log();
      throw std::runtime_error("the cluster did not come up:\n" + logs);
    }
  }

  bool await_taskmanagers(int n) {
    return await([&] {
      auto r = get("/overview");
      return r.status == 200 && r.body["taskmanagers"].get<int>() == n;
    });
  }

  //! A REST call as the CLI makes it (JSON), with `headers` on top (they
  //! replace Content-Type, Host, Authorization when given).
  http_result request(const std::string& method, const std::string& path,
                      const std::string& body = {}, const httplib::Headers& headers = {}) {
    httplib::Client c("127.0.0.1", rest_port_);
    c.set_tcp_nodelay(true);
    c.set_connection_timeout(1, 0);
    std::string type = "application/json";
    auto given = headers.find("Content-Type");
    if (given != headers.end())
      type = given->second;
    httplib::Headers h = headers;
    h.erase("Content-Type");
    httplib::Result r = method == "GET"     ? c.Get(path.c_str(), h)
                        : method == "POST"  ? c.Post(path.c_str(), h, body, type.c_str())
                        : method == "PATCH" ? c.Patch(path.c_str(), h, body, type.c_str())
                        : method == "PUT"   ? c.Put(path.c_str(), h, body, type.c_str())
                                            : c.Delete(path.c_str(), h, body, type.c_str());
    http_result out;
    if (!r)
      return out;
    out.status = r->status;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  http_result get(const std::string& path) { return request("GET", path); }

  std::string job_state(const std::string& id) {
    auto r = get("/jobs/" + id);
    return r.status == 200 ? r.body["state"].get<std::string>() : std::string();
  }
  bool await_state(const std::string& id, const std::string& state,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return await([&] { return job_state(id) == state; }, timeout);
  }
  std::int64_t completed_checkpoints(const std::string& id) {
    auto r = get("/jobs/" + id + "/checkpoints");
    return r.status == 200 ? r.body["counts"]["completed"].get<std::int64_t>() : 0;
  }

  //! Runs `spate ARGS... <cluster options>` to completion.
  process_result spate(std::vector<std::string> args) {
    // Before a "--": what follows it are the job's own arguments.
    auto at = std::find(args.begin(), args.end(), std::string("--"));
    args.insert(at, options_.begin(), options_.end());
    return run_spate(std::move(args));
  }
  //! `spate run ... -d`; returns the job id (empty on failure).
  std::string submit(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    auto r = spate(args);
    auto at = r.out.find("JobID ");
    if (r.exit_code != 0 || at == std::string::npos)
      return {};
    return r.out.substr(at + 6, 32);
  }

private:
  std::vector<std::string> command(const std::string& role, const std::vector<std::string>& own) {
    std::vector<std::string> argv = {bin_dir() + "/spate", role};
    argv.insert(argv.end(), options_.begin(), options_.end());
    for (auto& o : own) {
      argv.push_back("-D");
      argv.push_back(o);
    }
    return argv;
  }

  temp_dir dir_;
  std::vector<std::string> extra_;
  std::string path_;
  int rest_port_ = 0;
  int rpc_port_ = 0;
  std::vector<std::string> options_;
  std::string secret_file_;
  std::unique_ptr<daemon_process> jobmanager_;
  std::vector<std::unique_ptr<daemon_process>> taskmanagers_;
};

//! The lines of every file in `dir` whose name does not start with '.'
//! (committed output), sorted.
inline std::vector<std::string> committed_lines(const std::string& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.empty() || name[0] == '.')
      continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line))
      lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace spate::test
