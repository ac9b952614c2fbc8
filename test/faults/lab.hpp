// Several hosts on one machine for the fault-injection suite: a network
// namespace per process on a bridge (traffic really crosses veth links, and
// a link can be cut or a route blackholed), and a checkpoint disk of its own
// (an ext4 image on a loop device, which can be filled or slowed down with
// the block-I/O throttle). Needs root, iproute2, losetup and mkfs.ext4; a
// missing tool is named by `unavailable()`.
#pragma once

#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace spate::test {

//! Runs `cmd` through the shell; its exit status (-1 when it did not run).
inline int shell(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

//! Runs `cmd`; its standard output.
inline std::string shell_out(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
      out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

inline void must(const std::string& cmd) {
  if (shell(cmd) != 0)
    throw std::runtime_error("lab set-up failed: " + cmd);
}

inline std::string ip_tool() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (std::filesystem::exists(p))
      return p;
  return {};
}

//! Why the lab cannot be built here (a missing tool), or empty.
inline std::string unavailable() {
  if (ip_tool().empty())
    return "needs iproute2's ip";
  if (shell("command -v losetup && command -v mkfs.ext4") != 0)
    return "needs losetup and mkfs.ext4";
  if (!std::filesystem::exists("/dev/loop-control"))
    return "needs loop devices";
  return {};
}

//! Removes what a lab of a process that is gone left behind (namespaces,
//! its bridge); labs are named "spf<pid>".
inline void remove_stale_labs() {
  auto dead = [](const std::string& name) {
    auto digits = name.substr(3, name.find_first_not_of("0123456789", 3) - 3);
    if (digits.empty())
      return false;
    return ::kill(std::stoi(digits), 0) != 0 && errno == ESRCH;
  };
  std::istringstream ns(shell_out(ip_tool() + " netns list"));
  for (std::string line; std::getline(ns, line);) {
    auto name = line.substr(0, line.find(' '));
    if (name.rfind("spf", 0) == 0 && dead(name))
      shell(ip_tool() + " netns del " + name);
  }
  std::istringstream links(shell_out(ip_tool() + " -o link show type bridge"));
  for (std::string line; std::getline(links, line);) {
    auto colon = line.find(": ");
    if (colon == std::string::npos)
      continue;
    auto name = line.substr(colon + 2, line.find(':', colon + 2) - colon - 2);
    if (name.rfind("spf", 0) == 0 && dead(name))
      shell(ip_tool() + " link del " + name);
  }
}

//! `hosts` network namespaces on one bridge, host i at subnet + (10 + i).
class netns_lab {
public:
  explicit netns_lab(int hosts) : ip_(ip_tool()), tag_("spf" + std::to_string(::getpid())) {
    remove_stale_labs();
    auto pid = static_cast<unsigned>(::getpid());
    subnet_ = "10." + std::to_string(200 + pid % 50) + "." + std::to_string(pid / 50 % 250) + ".";
    must(ip_ + " link add " + bridge() + " type bridge");
    must(ip_ + " addr add " + subnet_ + "1/24 dev " + bridge());
    must(ip_ + " link set " + bridge() + " up");
    for (int i = 0; i < hosts; ++i) {
      auto ns = name(i);
      must(ip_ + " netns add " + ns);
      namespaces_.push_back(ns);
      auto outside = tag_ + "h" + std::to_string(i);
      must(ip_ + " link add " + outside + " type veth peer name " + device(i));
      must(ip_ + " link set " + device(i) + " netns " + ns);
      must(ip_ + " link set " + outside + " master " + bridge() + " up");
      must(ip_ + " -n " + ns + " addr add " + address(i) + "/24 dev " + device(i));
      must(ip_ + " -n " + ns + " link set " + device(i) + " up");
      must(ip_ + " -n " + ns + " link set lo up");
    }
  }
  ~netns_lab() {
    for (auto& ns : namespaces_)
      shell(ip_ + " netns del " + ns);
    shell(ip_ + " link del " + bridge());
  }
  netns_lab(const netns_lab&) = delete;
  netns_lab& operator=(const netns_lab&) = delete;

  std::string name(int i) const { return tag_ + "-" + std::to_string(i); }
  std::string address(int i) const { return subnet_ + std::to_string(10 + i); }
  //! The host's interface, inside its namespace.
  std::string device(int i) const { return tag_ + "n" + std::to_string(i); }
  //! argv prefix that runs a program in host i's namespace.
  std::vector<std::string> exec_in(int i) const { return {ip_, "netns", "exec", name(i)}; }

  //! Takes host i off the network (its interface down) or back.
  void link(int i, bool up) {
    must(ip_ + " -n " + name(i) + " link set " + device(i) + (up ? " up" : " down"));
  }
  //! Drops what host i sends to host j (and back, when called both ways).
  void blackhole(int i, int j, bool on) {
    must(ip_ + " -n " + name(i) + " route " + (on ? "add" : "del") + " blackhole " + address(j));
  }

private:
  std::string bridge() const { return tag_ + "b"; }

  std::string ip_;
  std::string tag_;
  std::string subnet_;
  std::vector<std::string> namespaces_;
};

//! An ext4 file system on a loop device, mounted at `mount_point`: every
//! namespace sees it (as a shared mount would be), and it can be filled up
//! or slowed down without touching the machine's own disk.
class loop_disk {
public:
  loop_disk(const std::string& dir, int megabytes)
      : image_(dir + "/disk.img"), mount_point_(dir + "/disk") {
    must("truncate -s " + std::to_string(megabytes) + "M " + image_);
    // No blocks reserved for root: full means full for the processes too.
    must("mkfs.ext4 -q -F -m 0 " + image_);
    device_ = shell_out("losetup -f --show " + image_);
    while (!device_.empty() && (device_.back() == '\n' || device_.back() == ' '))
      device_.pop_back();
    if (device_.empty())
      throw std::runtime_error("lab set-up failed: no free loop device");
    std::filesystem::create_directories(mount_point_);
    if (shell("mount " + device_ + " " + mount_point_) != 0) {
      shell("losetup -d " + device_);
      throw std::runtime_error("lab set-up failed: mount " + device_);
    }
    majmin_ = shell_out("lsblk -dno MAJ:MIN " + device_);
    majmin_.erase(std::remove_if(majmin_.begin(), majmin_.end(),
                                 [](unsigned char ch) { return std::isspace(ch) != 0; }),
                  majmin_.end());
  }
  ~loop_disk() {
    throttle(0);
    shell("umount -l " + mount_point_);
    shell("losetup -d " + device_);
  }
  loop_disk(const loop_disk&) = delete;
  loop_disk& operator=(const loop_disk&) = delete;

  const std::string& path() const { return mount_point_; }

  //! Writes to the device at most `bytes_per_second` (0: no limit), for every
  //! process (the root block-I/O cgroup, so the kernel's writeback too).
  //! False when this kernel has no such throttle.
  bool throttle(long bytes_per_second) {
    std::ofstream f("/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device");
    if (!f || majmin_.empty())
      return false;
    f << majmin_ << " " << bytes_per_second << "\n";
    f.flush();
    return static_cast<bool>(f);
  }
  bool can_throttle() const {
    return !majmin_.empty() &&
           std::filesystem::exists("/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device");
  }

  //! Fills the file system to the last block (or frees it again).
  void fill(bool full) {
    auto filler = mount_point_ + "/.filler";
    if (!full) {
      std::filesystem::remove(filler);
      return;
    }
    struct statvfs s {};
    if (::statvfs(mount_point_.c_str(), &s) == 0)
      shell("fallocate -l " + std::to_string(s.f_bavail * s.f_frsize) + " " + filler);
    // What fallocate left (its own metadata), a block at a time.
    std::ofstream rest(filler + "2", std::ios::binary);
    std::string block(4096, 'x');
    for (int i = 0; i < 65536 && rest.write(block.data(), block.size()); ++i)
      rest.flush();
  }
  void unfill() {
    fill(false);
    std::filesystem::remove(mount_point_ + "/.filler2");
  }

private:
  std::string image_;
  std::string mount_point_;
  std::string device_;
  std::string majmin_;
};

} // namespace spate::test
