// Working directories: a live holder keeps its directory; what a killed
// process left (its lock free) is removed at the next start.
#define BOOST_TEST_MODULE working_dir
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spate/core/error.hpp"
#include "spate/core/working_dir.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
namespace fs = std::filesystem;

namespace {

//! A child process that takes `dir` and waits; SIGKILL leaves it behind.
pid_t hold_in_child(const std::string& dir, int ready_fd) {
  pid_t pid = ::fork();
  if (pid == 0) {
    try {
      working_dir w(dir);
      std::ofstream(dir + "/state") << "live";
      char c = 1;
      if (::write(ready_fd, &c, 1) != 1)
        ::_exit(3);
      ::pause();
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  return pid;
}

void await_ready(int fd) {
  char c = 0;
  BOOST_REQUIRE(::read(fd, &c, 1) == 1);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_killed_holders_directory_is_removed_and_a_live_ones_kept) {
  test::temp_dir base;
  int p[2];
  BOOST_REQUIRE(::pipe(p) == 0);
  auto killed = base.str() + "/spate-tm-killed";
  auto live = base.str() + "/spate-tm-live";
  pid_t a = hold_in_child(killed, p[1]);
  await_ready(p[0]);
  pid_t b = hold_in_child(live, p[1]);
  await_ready(p[0]);
  ::kill(a, SIGKILL);
  ::waitpid(a, nullptr, 0);
  // Not working directories: no .lock, or another prefix.
  fs::create_directories(base.str() + "/spate-tm-nolock");
  working_dir other(base.str() + "/other-x");
  fs::remove(base.str() + "/other-x/.lock");

  auto removed = working_dir::remove_stale(base.str(), "spate-tm-");
  BOOST_TEST(removed == std::vector<std::string>{killed});
  BOOST_TEST(!fs::exists(killed));
  BOOST_TEST(fs::exists(live + "/state"));
  BOOST_TEST(fs::exists(base.str() + "/spate-tm-nolock"));
  BOOST_TEST(fs::exists(base.str() + "/other-x"));
  // A live holder's directory cannot be taken.
  BOOST_CHECK_EXCEPTION(working_dir{live}, error, [](const error& e) {
    return e.code() == errc::failed_precondition &&
           std::string(e.what()).find("in use by another process") != std::string::npos;
  });
  ::kill(b, SIGKILL);
  ::waitpid(b, nullptr, 0);
  BOOST_TEST(working_dir::remove_stale(base.str(), "spate-tm-") == std::vector<std::string>{live});
  ::close(p[0]);
  ::close(p[1]);
}

BOOST_AUTO_TEST_CASE(remove_takes_the_directory_and_a_missing_base_is_nothing_to_do) {
  test::temp_dir base;
  auto dir = base.str() + "/spate-job-1/deeper";
  {
    working_dir w(dir);
    std::ofstream(dir + "/file") << "x";
    w.remove();
    BOOST_TEST(!fs::exists(dir));
  }
  BOOST_TEST(working_dir::remove_stale(base.str() + "/absent", "spate-").empty());
  // A released (not removed) directory is stale for the next start.
  { working_dir w(base.str() + "/spate-job-2"); }
  BOOST_TEST(working_dir::remove_stale(base.str(), "spate-") ==
             std::vector<std::string>{base.str() + "/spate-job-2"});
}

// Working directories often sit in a temp directory every user can write
// to: only this user may enter one, and a link or another user's directory
// planted at its name is refused, never followed or removed.
BOOST_AUTO_TEST_CASE(a_working_directory_is_its_users_alone) {
  spate::test::temp_dir base;
  auto path = base.str() + "/spate-tm-mine";
  {
    spate::working_dir w(path);
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0700u);
    BOOST_REQUIRE(::stat((path + "/.lock").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0077) == 0u);
  }
  // A link planted at the name: refused, its target untouched.
  auto target = base.str() + "/elsewhere";
  std::filesystem::create_directories(target);
  std::filesystem::create_directory_symlink(target, base.str() + "/spate-tm-link");
  try {
    spate::working_dir w(base.str() + "/spate-tm-link");
    BOOST_FAIL("a symbolic link was used as a working directory");
  } catch (const spate::error& e) {
    BOOST_TEST((e.code() == spate::errc::failed_precondition));
    BOOST_TEST(std::string(e.what()).find("symbolic link") != std::string::npos, e.what());
  }
  BOOST_TEST(!std::filesystem::exists(target + "/.lock"));
  // A stale-looking link is not removed, nor what it points to (the first
  // directory, left unlocked, is).
  std::ofstream(target + "/.lock") << "";
  auto removed = spate::working_dir::remove_stale(base.str(), "spate-tm-");
  BOOST_TEST(removed == std::vector<std::string>{path}, boost::test_tools::per_element());
  BOOST_TEST(std::filesystem::exists(target + "/.lock"));
  if (::geteuid() == 0) {
    // Another user's directory (root can make one): refused, and kept.
    auto theirs = base.str() + "/spate-tm-theirs";
    std::filesystem::create_directories(theirs);
    BOOST_REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    std::ofstream(theirs + "/.lock") << "";
    BOOST_CHECK_THROW(spate::working_dir w(theirs), spate::error);
    BOOST_TEST(spate::working_dir::remove_stale(base.str(), "spate-tm-").empty());
    BOOST_TEST(std::filesystem::exists(theirs));
  }
}

// TaskManagers starting together on one host: each sweeps what dead ones
// left while the others are making their own directories. None may take
// another's directory (half made) for a dead process's: every start
// succeeds and every live directory keeps what was put in it.
BOOST_AUTO_TEST_CASE(processes_starting_together_never_take_each_others_directory) {
  test::temp_dir base;
  constexpr int children = 4;
  constexpr int rounds = 400;
  std::vector<pid_t> pids;
  for (int c = 0; c < children; ++c) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      for (int i = 0; i < rounds && code == 0; ++i) {
        try {
          auto dir =
              base.str() + "/spate-tm-" + std::to_string(::getpid()) + "-" + std::to_string(i);
          working_dir::remove_stale(base.str(), "spate-tm-");
          working_dir w(dir);
          std::ofstream(dir + "/state") << "live";
          working_dir::remove_stale(base.str(), "spate-tm-");
          if (!fs::exists(dir + "/state") || !fs::exists(dir + "/.lock"))
            code = 4; // swept while its holder lived
          w.remove();
        } catch (const error& e) {
          std::fprintf(stderr, "child %d round %d: %s\n", static_cast<int>(::getpid()), i,
                       e.what());
          code = 5;
        }
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  for (auto pid : pids) {
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0, "a child failed with " << WEXITSTATUS(status));
  }
  BOOST_TEST(fs::is_empty(base.str()));
}
