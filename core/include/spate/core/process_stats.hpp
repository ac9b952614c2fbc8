// What this process has used so far: getrusage helpers for benchmarks'
// reports, and Flink-style process metrics read from /proc/self (the
// Status.Process.* gauges of every spate process).
#pragma once

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

namespace spate {

//! CPU seconds (user + system) of every thread of this process.
inline double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

//! Peak resident set size of this process, MiB.
inline double process_peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

//! One reading of /proc/self; -1 for what could not be read.
struct process_sample {
  //! CPU time (user + system) of every thread, ms.
  double cpu_time_ms = -1;
  //! Resident set size, bytes.
  double rss_bytes = -1;
  double threads = -1;
  double open_fds = -1;
};

//! Reads /proc/self/stat (CPU time), /proc/self/status (RSS, threads) and
//! counts /proc/self/fd.
inline process_sample read_process_sample() {
  process_sample s;
  try {
    std::ifstream in("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces and parentheses: fields
    // count from the last ')'.
    auto close = text.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(text.substr(close + 1));
      std::string f;
      unsigned long long utime = 0, stime = 0;
      // Fields 3.. follow; utime is field 14, stime 15.
      for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14)
          utime = std::stoull(f);
        if (i == 15) {
          stime = std::stoull(f);
          long hz = ::sysconf(_SC_CLK_TCK);
          if (hz > 0)
            s.cpu_time_ms = static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(hz);
        }
      }
    }
  } catch (const std::exception&) { // not the format expected: not known
  }
  try {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0)
        s.rss_bytes = std::stod(line.substr(6)) * 1024.0; // "VmRSS:   1234 kB"
      else if (line.rfind("Threads:", 0) == 0)
        s.threads = std::stod(line.substr(8));
    }
  } catch (const std::exception&) {
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int n = 0;
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.')
        ++n;
    ::closedir(d);
    s.open_fds = n - 1; // not the descriptor of the listing itself
  }
  return s;
}

//! The CPU load of this process, as a fraction of one core over the time
//! since the previous reading (at least `min_interval` back, so frequent
//! readers see a steady value). Thread-safe.
class process_cpu_load {
public:
  explicit process_cpu_load(std::chrono::milliseconds min_interval = std::chrono::milliseconds(500))
      : min_interval_(min_interval) {}
  //! The load, given the CPU time (ms) just read.
  double update(double cpu_time_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = true;
      at_ = now;
      cpu_ms_ = cpu_time_ms;
      return load_;
    }
    double wall_ms = std::chrono::duration<double, std::milli>(now - at_).count();
    if (wall_ms >= static_cast<double>(min_interval_.count()) && cpu_time_ms >= 0) {
      load_ = (cpu_time_ms - cpu_ms_) / wall_ms;
      if (load_ < 0)
        load_ = 0;
      at_ = now;
      cpu_ms_ = cpu_time_ms;
    }
    return load_;
  }

private:
  std::mutex mu_;
  std::chrono::milliseconds min_interval_;
  bool started_ = false;
  std::chrono::steady_clock::time_point at_{};
  double cpu_ms_ = 0;
  double load_ = 0;
};

//! This process's Status.Process.* gauges (Flink's Status.JVM.* analogs):
//! CPU.Load, CPU.Time (ms), Memory.RSS (bytes), Threads.Count,
//! FileDescriptors.Open. The load is over the time since the previous call
//! (0 at the first).
inline std::map<std::string, double> process_metrics() {
  static process_cpu_load load;
  auto s = read_process_sample();
  return {{"Status.Process.CPU.Load", load.update(s.cpu_time_ms)},
          {"Status.Process.CPU.Time", s.cpu_time_ms},
          {"Status.Process.Memory.RSS", s.rss_bytes},
          {"Status.Process.Threads.Count", s.threads},
          {"Status.Process.FileDescriptors.Open", s.open_fds}};
}

} // namespace spate
