// Running the spate binary from a test: arguments in, exit code and output out.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace spate::test {

//! The directory of the built binaries (set by CTest in SPATE_BIN).
inline std::string bin_dir() {
  const char* b = std::getenv("SPATE_BIN");
  return b ? b : "build/bin";
}

struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! A child process with its stdout and stderr on pipes.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0)
      throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0)
      throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      close(out[0]);
      close(err[0]);
      // Only 1 and 2 keep the pipes: daemons the child starts must not
      // hold them open.
      close(out[1]);
      close(err[1]);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~child_process() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    close(err_fd_);
  }

  //! Reads stdout until `needle` appears (or EOF); returns what was read.
  std::string read_until(const std::string& needle) {
    char buf[4096];
    while (out_.find(needle) == std::string::npos) {
      auto n = read(out_fd_, buf, sizeof buf);
      if (n <= 0)
        break;
      out_.append(buf, static_cast<std::size_t>(n));
    }
    return out_;
  }

  void signal(int sig) { kill(pid_, sig); }

  //! Reads both pipes to EOF and waits for the exit code.
  process_result finish() {
    char buf[4096];
    for (;;) {
      auto n = read(out_fd_, buf, sizeof buf);
      if (n <= 0)
        break;
      out_.append(buf, static_cast<std::size_t>(n));
    }
    std::string err;
    for (;;) {
      auto n = read(err_fd_, buf, sizeof buf);
      if (n <= 0)
        break;
      err.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    process_result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = out_;
    r.err = err;
    return r;
  }

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  std::string out_;
};

//! Runs `spate ARGS...` to completion.
inline process_result run_spate(std::vector<std::string> args) {
  args.insert(args.begin(), bin_dir() + "/spate");
  child_process p(args);
  return p.finish();
}

} // namespace spate::test
