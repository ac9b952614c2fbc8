// Files spate reads keys and secrets from: checked on the descriptor that is
// read, refused (naming the file and why) when they are links, FIFOs or
// other non-regular files, another user's, or open to others; a FIFO planted
// at the path does not hang the reader.
#define BOOST_TEST_MODULE private_file
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

#include "spate/core/error.hpp"
#include "spate/core/private_file.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
namespace fs = std::filesystem;

namespace {

std::string write(const spate::test::temp_dir& dir, const std::string& name,
                  const std::string& text, unsigned mode) {
  auto path = dir.str() + "/" + name;
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

template <typename F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const spate::error& e) {
    BOOST_TEST((e.code() == errc::invalid_argument));
    return e.what();
  }
  return "no error";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr uid_t nobody = 65534;

} // namespace

BOOST_AUTO_TEST_CASE(a_private_file_of_ours_is_read_whole) {
  spate::test::temp_dir dir;
  auto key = write(dir, "k", "secret\n", 0600);
  BOOST_TEST(read_private_file(key, "key file") == "secret\n");
  auto fd = open_private_file(key, "key file");
  BOOST_TEST(fd.get() >= 0);
  BOOST_TEST(read_file_fd(fd.get(), key, "key file", 100) == "secret\n");
  // 0400 is fine too, and so are files others may read when only writes matter.
  ::chmod(key.c_str(), 0400);
  BOOST_TEST(read_private_file(key, "key file") == "secret\n");
  auto pub = write(dir, "p.pub", "public\n", 0644);
  BOOST_TEST(read_protected_file(pub, "public key file") == "public\n");
  BOOST_TEST(read_regular_file(pub, "certificate") == "public\n");
}

BOOST_AUTO_TEST_CASE(a_fifo_at_the_path_is_refused_at_once_not_waited_on) {
  spate::test::temp_dir dir;
  auto fifo = dir.str() + "/planted.key";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (auto reader : {+[](const std::string& p) { read_private_file(p, "key file"); },
                      +[](const std::string& p) { read_protected_file(p, "key file"); },
                      +[](const std::string& p) { read_regular_file(p, "key file"); }}) {
    // Off this thread, so that a reader that blocks fails the test instead
    // of hanging it (the FIFO is opened for writing below to let it go).
    auto attempt = std::async(std::launch::async, [&] { return refusal([&] { reader(fifo); }); });
    if (attempt.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
      BOOST_ERROR("opening a FIFO blocked");
      std::ofstream(fifo) << "x"; // releases the reader
      attempt.wait();
      continue;
    }
    auto m = attempt.get();
    BOOST_TEST(has(m, "key file '" + fifo + "'"), m);
    BOOST_TEST(has(m, "FIFO"), m);
  }
  auto m = refusal([&] { read_private_file("/dev/null", "key file"); });
  BOOST_TEST(has(m, "not a regular file"), m);
  m = refusal([&] { read_private_file(dir.str(), "key file"); });
  BOOST_TEST(has(m, "directory"), m);
}

BOOST_AUTO_TEST_CASE(links_open_modes_and_missing_files_are_refused_and_named) {
  spate::test::temp_dir dir;
  auto key = write(dir, "k", "secret", 0600);
  auto link = dir.str() + "/link";
  fs::create_symlink(key, link);
  auto m = refusal([&] { read_private_file(link, "key file"); });
  BOOST_TEST(has(m, "key file '" + link + "': is a symbolic link"), m);
  m = refusal([&] { read_protected_file(link, "public key file"); });
  BOOST_TEST(has(m, "symbolic link"), m);
  // A certificate may be a link (as in /etc/ssl).
  BOOST_TEST(read_regular_file(link, "certificate") == "secret");

  auto open = write(dir, "open", "secret", 0644);
  m = refusal([&] { read_private_file(open, "key file"); });
  BOOST_TEST(has(m, "key file '" + open + "': is readable by others (mode 0644)"), m);
  auto group_writable = write(dir, "gw", "secret", 0620);
  m = refusal([&] { read_private_file(group_writable, "key file"); });
  BOOST_TEST(has(m, "(mode 0620)"), m);

  auto pub = write(dir, "p.pub", "public", 0664);
  m = refusal([&] { read_protected_file(pub, "public key file"); });
  BOOST_TEST(has(m, "public key file '" + pub + "': may be written by other users (mode 0664)"), m);
  ::chmod(pub.c_str(), 0646);
  m = refusal([&] { read_protected_file(pub, "public key file"); });
  BOOST_TEST(has(m, "may be written by other users"), m);

  m = refusal([&] { read_private_file(dir.str() + "/missing", "key file"); });
  BOOST_TEST(has(m, "'" + dir.str() + "/missing'"), m);

  auto big = write(dir, "big", std::string(2000, 'x'), 0600);
  m = refusal([&] { read_private_file(big, "key file", 1000); });
  BOOST_TEST(has(m, "too large"), m);
}

BOOST_AUTO_TEST_CASE(another_users_file_is_refused) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: cannot give files to another user; skipped");
    return;
  }
  spate::test::temp_dir dir;
  auto theirs = write(dir, "theirs", "secret", 0600);
  BOOST_REQUIRE(::chown(theirs.c_str(), nobody, nobody) == 0);
  auto m = refusal([&] { read_private_file(theirs, "key file"); });
  BOOST_TEST(has(m, "key file '" + theirs + "': belongs to another user (uid 65534)"), m);
  ::chmod(theirs.c_str(), 0644);
  m = refusal([&] { read_protected_file(theirs, "public key file"); });
  BOOST_TEST(has(m, "belongs to another user (uid 65534)"), m);
  // Root's files are trusted.
  BOOST_REQUIRE(::chown(theirs.c_str(), 0, 0) == 0);
  BOOST_TEST(read_protected_file(theirs, "public key file") == "secret");
}
