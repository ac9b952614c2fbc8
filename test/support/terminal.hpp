// `spate sql` on a pseudo-terminal for tests: what a user's terminal does (echo, line
// discipline, Ctrl-C as SIGINT), output read until an expected text appears.
#pragma once

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "process.hpp"

namespace spate::test {

//! `spate sql ARGS` on a pseudo-terminal (as a user's terminal: echo, line discipline), with
//! HOME at `home` (the history file goes there).
class terminal_session {
public:
  terminal_session(const std::string& home, std::vector<std::string> args) {
    args.insert(args.begin(), {bin_dir() + "/spate", "sql"});
    winsize ws{};
    ws.ws_col = 200;
    ws.ws_row = 50;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ < 0)
      throw std::runtime_error("forkpty failed");
    if (pid_ == 0) {
      setenv("TERM", "xterm", 1);
      setenv("HOME", home.c_str(), 1);
      unsetenv("INPUTRC");
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~terminal_session() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(master_);
  }

  //! Reads until `needle` appears after offset `from` (default: what the last expect
  //! matched); true when it did within 30 s. The match's end becomes the next `from`.
  bool expect(const std::string& needle) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto at = out_.find(needle, from_);
      if (at != std::string::npos) {
        from_ = at + needle.size();
        return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0)
        return false;
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0)
        continue;
      char buf[4096];
      auto n = read(master_, buf, sizeof buf);
      if (n > 0)
        out_.append(buf, static_cast<std::size_t>(n));
      else if (n < 0 && errno == EINTR)
        continue;
      else
        return out_.find(needle, from_) != std::string::npos; // the terminal closed
    }
  }
  //! Output since the mark.
  std::string since(std::size_t mark) const { return out_.substr(mark); }
  std::size_t mark() const { return from_; }
  const std::string& output() const { return out_; }

  void type(const std::string& text) {
    if (write(master_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("write to the terminal failed");
  }

  int wait_exit() {
    expect("\x01never\x01"); // reads to the end (EIO once it exited), 30 s at most
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string out_;
  std::size_t from_ = 0;
};

} // namespace spate::test
