// Directories for checkpoints, savepoints and state: created 0700 for this
// user, and refused when another user could change what is kept in them (a
// directory on the way writable by others, owned by someone else, or a link
// someone else planted).
#define BOOST_TEST_MODULE private_dir
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/core/private_dir.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string refusal(const std::string& dir) {
  try {
    make_private_directories(dir, "checkpoint directory");
  } catch (const spate::error& e) {
    return e.what();
  }
  return "no error";
}

constexpr uid_t nobody = 65534;

} // namespace

BOOST_AUTO_TEST_CASE(missing_directories_are_made_for_this_user_only) {
  spate::test::temp_dir dir;
  auto target = dir.path / "a" / "b" / "c";
  make_private_directories(target.string(), "checkpoint directory");
  BOOST_TEST(fs::is_directory(target));
  for (auto p : {dir.path / "a", dir.path / "a" / "b", target})
    BOOST_TEST(mode_of(p) == 0700u, p << " has mode " << std::oct << mode_of(p));
  BOOST_TEST(unsafe_directory(target.string()).empty());
  // Again: it exists, and that is fine.
  make_private_directories(target.string(), "checkpoint directory");
  // /tmp is everyone's, but sticky and root's: a directory of ours in it is safe.
  BOOST_TEST(unsafe_directory(fs::temp_directory_path().string()).empty());
}

BOOST_AUTO_TEST_CASE(a_directory_others_may_write_to_is_refused_and_named) {
  spate::test::temp_dir dir;
  auto open = dir.path / "shared";
  fs::create_directory(open);
  ::chmod(open.c_str(), 0777); // not sticky
  auto m = refusal((open / "checkpoints").string());
  BOOST_TEST(m.find("'" + open.string() + "' may be written by other users (mode 0777)") !=
                 std::string::npos,
             m);
  BOOST_TEST(m.find("checkpoint directory") != std::string::npos, m);
  ::chmod(open.c_str(), 01777); // sticky, but not root's: others' renames are not stopped by it
  if (::geteuid() != 0)
    return;
  ::chown(open.c_str(), nobody, nobody);
  m = refusal((open / "checkpoints").string());
  BOOST_TEST(m.find("belongs to user 65534") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(another_users_directory_or_link_on_the_way_is_refused) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: cannot give files to another user; skipped");
    return;
  }
  spate::test::temp_dir dir;
  // Another user made the directory first (as on a shared /tmp/spate).
  auto theirs = dir.path / "spate";
  fs::create_directory(theirs);
  ::chown(theirs.c_str(), nobody, nobody);
  ::chmod(theirs.c_str(), 0755);
  auto m = refusal((theirs / "checkpoints").string());
  BOOST_TEST(m.find("'" + theirs.string() + "' belongs to user 65534") != std::string::npos, m);
  BOOST_TEST(!fs::exists(theirs / "checkpoints"));

  // ... or a link to somewhere of ours, to steer where the data goes.
  auto ours = dir.path / "ours";
  fs::create_directory(ours);
  auto link = dir.path / "link";
  fs::create_directory_symlink(ours, link);
  BOOST_REQUIRE(::lchown(link.c_str(), nobody, nobody) == 0);
  m = refusal((link / "checkpoints").string());
  BOOST_TEST(
      m.find("'" + link.string() + "' is a symbolic link of user 65534") != std::string::npos, m);
  // Our own link is followed.
  BOOST_REQUIRE(::lchown(link.c_str(), 0, 0) == 0);
  BOOST_TEST(refusal((link / "checkpoints").string()) == "no error");
  BOOST_TEST(fs::is_directory(ours / "checkpoints"));
}

BOOST_AUTO_TEST_CASE(checkpoints_are_not_written_into_an_unsafe_directory) {
  spate::test::temp_dir dir;
  auto open = dir.path / "open";
  fs::create_directory(open);
  ::chmod(open.c_str(), 0777);
  checkpoints::checkpoint_storage storage(open.string(), "0123456789abcdef0123456789abcdef");
  checkpoints::checkpoint_metadata m;
  m.job_id = "0123456789abcdef0123456789abcdef";
  m.checkpoint_id = 1;
  try {
    storage.write_metadata(m);
    BOOST_FAIL("a checkpoint was written under a directory others may write to");
  } catch (const spate::error& e) {
    BOOST_TEST((e.code() == errc::failed_precondition));
    BOOST_TEST(std::string(e.what()).find("may be written by other users") != std::string::npos);
  }
  BOOST_TEST(!fs::exists(open / m.job_id / "chk-1" / "_metadata"));
}
