#include "spate/core/private_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "spate/core/error.hpp"

namespace spate {

namespace fs = std::filesystem;

std::string unsafe_directory(const std::string& dir) {
  auto me = ::geteuid();
  // A link on the way that someone else made (say /tmp/spate -> elsewhere)
  // decides where the data goes: only ours or root's are followed.
  fs::path given = fs::absolute(dir).lexically_normal();
  fs::path walked;
  for (auto& part : given) {
    walked /= part;
    struct stat st {};
    if (::lstat(walked.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != me &&
        st.st_uid != 0)
      return "'" + walked.string() + "' is a symbolic link of user " + std::to_string(st.st_uid);
  }
  char resolved[PATH_MAX];
  if (::realpath(dir.c_str(), resolved) == nullptr)
    return "'" + dir + "': " + std::strerror(errno);
  // From the root down: whoever may write to a directory may rename what is
  // in it, so each one above matters.
  std::string path = "/";
  fs::path full(resolved);
  for (auto it = full.begin(); it != full.end(); ++it) {
    if (it != full.begin())
      path = (fs::path(path) / *it).string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      return "'" + path + "': " + std::strerror(errno);
    if (!S_ISDIR(st.st_mode))
      return "'" + path + "' is not a directory";
    if (st.st_uid != me && st.st_uid != 0)
      return "'" + path + "' belongs to user " + std::to_string(st.st_uid) +
             ", who could replace what spate keeps there";
    bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (others_write && !((st.st_mode & S_ISVTX) && st.st_uid == 0))
      return "'" + path + "' may be written by other users (mode " + [&] {
        char m[8];
        std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return std::string(m);
      }() + "), who could replace what spate keeps there";
  }
  return {};
}

void make_private_directories(const std::string& dir, const std::string& what) {
  // From the top: each directory on the way is checked before anything is
  // made in it; the missing ones are made 0700 (umask can only take away).
  fs::path target = fs::absolute(dir).lexically_normal();
  fs::path at;
  for (auto& part : target) {
    at /= part;
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST)
      throw error(errc::io, "cannot create the " + what + " '" + dir + "': " + at.string() + ": " +
                                std::strerror(errno));
    if (auto why = unsafe_directory(at.string()); !why.empty())
      throw error(errc::failed_precondition,
                  "the " + what + " '" + dir + "' is not safe to keep data in: " + why);
  }
}

} // namespace spate
