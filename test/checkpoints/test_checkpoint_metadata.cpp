// What a restore refuses in a `_metadata` before it opens any file: paths
// that leave the snapshot, keyed operators whose key groups are not all
// covered exactly once, impossible parallelisms; and that no byte-level damage
// to a framed `_metadata` (checksum recomputed) gets past loading as anything
// but a spate::error.
#define BOOST_TEST_MODULE checkpoint_metadata
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "spate/checkpoints/keyed_snapshot.hpp"
#include "spate/checkpoints/metadata.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/core/key_group.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::checkpoints;
using spate::test::temp_dir;
namespace fs = std::filesystem;

namespace {

//! A checkpoint as the coordinator writes it: a source with operator state,
//! and keyed operator "counter" with one handle per subtask over its own key
//! groups.
checkpoint_metadata valid_checkpoint(int parallelism = 3, int max_parallelism = 128) {
  checkpoint_metadata m;
  m.job_id = "job";
  m.checkpoint_id = 7;
  m.trigger_time = 1'700'000'000'000;
  operator_snapshot source;
  source.uid = "source";
  source.name = "Source: numbers";
  source.parallelism = 1;
  source.max_parallelism = max_parallelism;
  source.operator_state.push_back({0, "offset", "\x01\x02"});
  m.operators.push_back(source);
  operator_snapshot counter;
  counter.uid = "counter";
  counter.name = "Count";
  counter.parallelism = parallelism;
  counter.max_parallelism = max_parallelism;
  for (int s = 0; s < parallelism; ++s) {
    auto r = key_group_range_for_subtask(max_parallelism, parallelism, s);
    keyed_state_handle h;
    h.subtask = s;
    h.key_group_start = r.start;
    h.key_group_end = r.end;
    std::string prefix = "counter_" + std::to_string(s) + "_0123abcd";
    h.shared_files.push_back({"shared/" + prefix + "-000009.sst", 1000});
    h.private_files.push_back({"chk-7/" + prefix + "/MANIFEST-000005", 200});
    h.private_files.push_back({"chk-7/" + prefix + "/CURRENT", 16});
    counter.keyed.push_back(h);
  }
  m.operators.push_back(counter);
  return m;
}

//! Writes `m` as <dir>/job/chk-<id>/_metadata; returns the path.
std::string write_checkpoint(const temp_dir& dir, const checkpoint_metadata& m) {
  auto chk = dir.path / "job" / ("chk-" + std::to_string(m.checkpoint_id));
  fs::create_directories(chk);
  auto path = (chk / "_metadata").string();
  write_file_atomically(path, encode_metadata(m));
  return path;
}

//! Loads what `m` was written as, the way a restore does, and expects
//! errc::corrupt with a message naming the file and every fragment.
void expect_refused(const checkpoint_metadata& m, std::initializer_list<std::string> fragments) {
  temp_dir dir;
  auto path = write_checkpoint(dir, m);
  try {
    validate_metadata(load_metadata(path), path);
    BOOST_ERROR("accepted; expected an error with '" << *fragments.begin() << "'");
  } catch (const error& e) {
    std::string what = e.what();
    BOOST_TEST_MESSAGE(what);
    BOOST_TEST(e.code() == errc::corrupt, what);
    BOOST_TEST(what.find(path) != std::string::npos, what);
    for (const auto& f : fragments)
      BOOST_TEST(what.find(f) != std::string::npos, "'" << f << "' not in: " << what);
  }
}

keyed_state_handle& handle(checkpoint_metadata& m, int subtask) {
  for (auto& h : m.operators.at(1).keyed)
    if (h.subtask == subtask)
      return h;
  throw std::logic_error("no handle of subtask " + std::to_string(subtask));
}

void drop_handle(checkpoint_metadata& m, int subtask) {
  auto& keyed = m.operators.at(1).keyed;
  keyed.erase(std::remove_if(keyed.begin(), keyed.end(),
                             [&](const auto& h) { return h.subtask == subtask; }),
              keyed.end());
}

//! The bytes of a `_metadata` framing `payload` with its true length and
//! CRC-32C (the layout metadata.cpp writes), so the frame checks pass.
std::string frame(const std::string& valid, const std::string& payload) {
  std::string out = valid.substr(0, 12); // magic, version
  auto put = [&out](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
      out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(payload.size(), 8);
  put(crc32c(payload.data(), payload.size()), 4);
  return out + payload;
}

//! What validate_metadata promises, checked independently: a key group
//! bitmap per keyed operator, and the path rules spelled out again.
std::string violation(const checkpoint_metadata& m) {
  for (const auto& op : m.operators) {
    if (op.max_parallelism < 1 || op.max_parallelism > upper_max_parallelism ||
        op.parallelism < 1 || op.parallelism > op.max_parallelism)
      return "parallelism of " + op.uid;
    std::vector<int> seen(static_cast<std::size_t>(op.max_parallelism), 0);
    for (const auto& h : op.keyed) {
      if (h.key_group_start < 0 || h.key_group_end >= op.max_parallelism)
        return "key group range of " + op.uid;
      for (int kg = h.key_group_start; kg <= h.key_group_end; ++kg)
        ++seen[static_cast<std::size_t>(kg)];
      for (const auto* files : {&h.shared_files, &h.private_files})
        for (const auto& f : *files) {
          if (f.path.empty() || f.path.front() == '/' || f.path.find('\0') != std::string::npos)
            return "path " + f.path;
          auto parts = f.path;
          std::replace(parts.begin(), parts.end(), '/', '\n');
          std::istringstream in(parts + "\n");
          for (std::string part; std::getline(in, part);)
            if (part == "..")
              return "path " + f.path;
        }
    }
    if (!op.keyed.empty() && std::any_of(seen.begin(), seen.end(), [](int n) { return n != 1; }))
      return "key groups of " + op.uid;
  }
  return {};
}

} // namespace

BOOST_AUTO_TEST_CASE(checkpoints_as_written_pass) {
  for (auto [p, max] : {std::pair{1, 128}, {3, 128}, {7, 128}, {128, 128}, {3, 10}, {1, 1}}) {
    auto m = valid_checkpoint(p, max);
    BOOST_CHECK_NO_THROW(validate_metadata(m, "memory"));
    BOOST_TEST(violation(m).empty());
  }
  // A savepoint: one canonical file per subtask, named after the uid.
  auto sp = valid_checkpoint(2);
  sp.savepoint = true;
  for (auto& h : sp.operators[1].keyed) {
    h.format = "canonical";
    h.shared_files.clear();
    h.private_files = {{"counter_" + std::to_string(h.subtask) + ".state", 300}};
  }
  BOOST_CHECK_NO_THROW(validate_metadata(sp, "memory"));
  // An operator without keyed state has no key groups to cover.
  auto stateless = valid_checkpoint();
  stateless.operators[1].keyed.clear();
  BOOST_CHECK_NO_THROW(validate_metadata(stateless, "memory"));
}

BOOST_AUTO_TEST_CASE(paths_that_leave_the_snapshot_are_refused) {
  struct bad_path {
    std::string path;
    std::string why;
    std::string shown; // as the message prints it
  };
  const std::vector<bad_path> cases = {
      {"", "is empty", "''"},
      {"/etc/passwd", "is an absolute path", "'/etc/passwd'"},
      {"../../etc/passwd", "has a '..' component", "'../../etc/passwd'"},
      {"shared/../../other-job/shared/x.sst", "has a '..' component",
       "'shared/../../other-job/shared/x.sst'"},
      {"chk-7/..", "has a '..' component", "'chk-7/..'"},
      {"chk-7/counter/", "names a directory, not a file", "'chk-7/counter/'"},
      {"chk-7/.", "names a directory, not a file", "'chk-7/.'"},
      {std::string("chk-7/a\0/../../x", 16), "has a NUL byte", "'chk-7/a\\x00/../../x'"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("path '" << c.path << "'") {
      auto shared = valid_checkpoint();
      handle(shared, 1).shared_files[0].path = c.path;
      expect_refused(shared,
                     {"operator 'Count' (uid 'counter')", c.why, c.shown, "must stay inside"});
      auto priv = valid_checkpoint();
      handle(priv, 2).private_files[1].path = c.path;
      expect_refused(priv, {"uid 'counter'", c.why, c.shown});
      // Checked first: a snapshot that is also incomplete is refused for its path.
      drop_handle(priv, 0);
      expect_refused(priv, {c.why});
    }
  }
  // Names that only look alike stay inside and pass.
  auto odd = valid_checkpoint();
  handle(odd, 0).private_files[0].path = "chk-7/..counter/./MANIFEST..";
  handle(odd, 1).private_files[0].path = "chk-7/.hidden";
  handle(odd, 2).shared_files[0].path = "shared//x..sst";
  BOOST_CHECK_NO_THROW(validate_metadata(odd, "memory"));
}

BOOST_AUTO_TEST_CASE(the_join_helper_checks_what_it_joins) {
  BOOST_TEST(snapshot_file_path("/ckpt/job", "shared/a.sst", "m", "u") == "/ckpt/job/shared/a.sst");
  BOOST_TEST(unsafe_snapshot_path("shared/a.sst").empty());
  BOOST_TEST(unsafe_snapshot_path("..") == "has a '..' component");
  BOOST_TEST(unsafe_snapshot_path("a/../b") == "has a '..' component");
  BOOST_TEST(unsafe_snapshot_path("//etc") == "is an absolute path");
  try {
    snapshot_file_path("/ckpt/job", "shared/../../../root/.ssh/id_rsa", "/ckpt/job/chk-3/_metadata",
                       "window");
    BOOST_FAIL("joined a path that leaves the snapshot");
  } catch (const error& e) {
    std::string what = e.what();
    BOOST_TEST(e.code() == errc::corrupt);
    BOOST_TEST(what.find("/ckpt/job/chk-3/_metadata") != std::string::npos, what);
    BOOST_TEST(what.find("uid 'window'") != std::string::npos, what);
    BOOST_TEST(what.find("'shared/../../../root/.ssh/id_rsa'") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_CASE(restore_refuses_a_path_outside_before_copying_anything) {
  temp_dir dir;
  auto base = dir.path / "checkpoints" / "job";
  fs::create_directories(base / "shared");
  fs::create_directories(dir.path / "secrets");
  {
    std::ofstream(base / "shared" / "counter_0_x-000009.sst") << "sst bytes";
    std::ofstream(dir.path / "secrets" / "key") << "do not copy";
  }
  auto m = valid_checkpoint(1);
  auto& h = m.operators[1].keyed[0];
  h.shared_files = {{"shared/counter_0_x-000009.sst", 9}};
  h.private_files = {{"../../secrets/key", 11}};
  state_backend_options so;
  so.directory = (dir.path / "restored").string();
  so.max_parallelism = 128;
  so.key_groups = {0, 127};
  std::map<std::string, std::string> known;
  try {
    checkpoints::restore_keyed_backend(so, m.operators[1], base.string(),
                                       (dir.path / "scratch").string(), known);
    BOOST_FAIL("restored from a file outside the snapshot");
  } catch (const error& e) {
    std::string what = e.what();
    BOOST_TEST(e.code() == errc::corrupt);
    BOOST_TEST(what.find("'../../secrets/key'") != std::string::npos, what);
    BOOST_TEST(what.find("uid 'counter'") != std::string::npos, what);
  }
  // Nothing was linked or copied, not even the good file listed before it.
  BOOST_TEST(!fs::exists(so.directory));
  BOOST_TEST(!fs::exists(dir.path / "scratch"));
  BOOST_TEST(known.empty());
}

BOOST_AUTO_TEST_CASE(every_key_group_must_be_covered_once) {
  // valid_checkpoint(3): subtask 0 has 0-42, subtask 1 has 43-85, subtask 2 has 86-127.
  BOOST_TEST(key_group_range_for_subtask(128, 3, 1) == (key_group_range{43, 85}));
  auto gap = valid_checkpoint();
  drop_handle(gap, 1);
  expect_refused(gap, {"keyed operator 'Count' (uid 'counter')",
                       "has no state for key groups 43-85 (of 0-127)"});
  auto two_gaps = valid_checkpoint();
  drop_handle(two_gaps, 0);
  drop_handle(two_gaps, 2);
  expect_refused(two_gaps, {"uid 'counter'", "key groups 0-42 and 86-127 (of 0-127)"});
  auto one = valid_checkpoint();
  handle(one, 2).key_group_start = 87;
  expect_refused(one, {"has no state for key groups 86 (of 0-127)"});
  auto tail = valid_checkpoint();
  handle(tail, 2).key_group_end = 120;
  expect_refused(tail, {"has no state for key groups 121-127"});

  auto twice = valid_checkpoint();
  twice.operators[1].keyed.push_back(handle(twice, 1));
  expect_refused(twice,
                 {"uid 'counter'", "key groups 43-85 in more than one handle (subtasks 1 and 1)"});
  auto overlap = valid_checkpoint();
  handle(overlap, 0).key_group_end = 50;
  expect_refused(overlap, {"key groups 43-50 in more than one handle (subtasks 0 and 1)"});

  auto beyond = valid_checkpoint();
  handle(beyond, 2).key_group_end = 128;
  expect_refused(beyond, {"subtask 2 for key groups 86 to 128, not a range within 0-127"});
  auto negative = valid_checkpoint();
  handle(negative, 0).key_group_start = -1;
  expect_refused(negative, {"subtask 0 for key groups -1 to 42"});
  auto inverted = valid_checkpoint();
  handle(inverted, 1).key_group_start = 86;
  expect_refused(inverted, {"subtask 1 for key groups 86 to 85"});
  // Each finding can be checked independently.
  BOOST_TEST(violation(gap) == "key groups of counter");
  BOOST_TEST(violation(twice) == "key groups of counter");
}

BOOST_AUTO_TEST_CASE(impossible_operators_and_ids_are_refused) {
  auto no_max = valid_checkpoint();
  no_max.operators[1].max_parallelism = 0;
  expect_refused(no_max, {"'Count' (uid 'counter') parallelism 3 and max parallelism 0"});
  auto huge = valid_checkpoint();
  huge.operators[1].max_parallelism = std::numeric_limits<int>::max();
  expect_refused(huge, {"max parallelism 2147483647", "<= 32768"});
  auto no_par = valid_checkpoint();
  no_par.operators[0].parallelism = -4;
  expect_refused(no_par, {"uid 'source'", "parallelism -4"});
  auto above = valid_checkpoint(3, 10);
  above.operators[1].parallelism = 11;
  expect_refused(above, {"parallelism 11 and max parallelism 10"});
  auto twice = valid_checkpoint();
  twice.operators.push_back(twice.operators[0]);
  expect_refused(twice, {"operator uid 'source' twice"});
  auto format = valid_checkpoint();
  handle(format, 1).format = "parquet";
  expect_refused(format, {"subtask 1 in format 'parquet'"});
  auto id = valid_checkpoint();
  id.checkpoint_id = -1;
  expect_refused(id, {"checkpoint id -1"});
  id.checkpoint_id = std::numeric_limits<std::int64_t>::max();
  expect_refused(id, {"checkpoint id 9223372036854775807"});
}

// Damage a valid _metadata at random, frame it again with a correct length and
// checksum, and load it: either it is refused with a spate::error naming the
// file, or what is accepted keeps every promise validate_metadata makes. A
// crash, a hang or another exception type fails the test (replay with the
// logged seed).
BOOST_AUTO_TEST_CASE(damaged_metadata_loads_or_is_refused_never_crashes) {
  const auto seed = spate::test::test_seed("damaged_metadata_loads_or_is_refused_never_crashes");
  std::mt19937_64 rng(seed);
  temp_dir dir;
  auto m = valid_checkpoint(4);
  m.operators.push_back(m.operators[1]);
  m.operators.back().uid = "window";
  m.operators.back().name = "Window";
  const auto valid = encode_metadata(m);
  const auto payload = valid.substr(24);
  auto path = write_checkpoint(dir, m);
  int refused_by_frame_or_decoder = 0, refused_by_validation = 0, accepted = 0;
  const std::vector<std::string> tokens = {"..", "/",   "../",  std::string(1, '\0'),
                                           ".",  "/..", "\x7f", "\xff"};
  for (int i = 0; i < 4000; ++i) {
    auto bytes = payload;
    auto pos = [&] { return static_cast<std::size_t>(rng() % bytes.size()); };
    switch (rng() % 5) {
      case 0: // flip bits
        for (int n = 1 + static_cast<int>(rng() % 4); n > 0; --n)
          bytes[pos()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1: // truncate
        bytes.resize(pos());
        break;
      case 2: { // overwrite with a token that matters to paths (strings keep their length)
        const auto& t = tokens[rng() % tokens.size()];
        auto at = pos();
        bytes.replace(at, std::min(t.size(), bytes.size() - at), t.substr(0, bytes.size() - at));
        break;
      }
      case 3: // overwrite with a msgpack integer of interest (0, -1, 127, 0x80, int32 max...)
        bytes[pos()] = static_cast<char>("\x00\xff\x7f\x80\x2b\xd2\xce\x03"[rng() % 8]);
        break;
      default: // insert or delete a byte
        if (rng() % 2)
          bytes.insert(pos(), 1, static_cast<char>(rng()));
        else
          bytes.erase(pos(), 1);
    }
    std::string framed =
        rng() % 8 == 0 ? valid.substr(0, rng() % valid.size()) : frame(valid, bytes);
    // Every 16th case goes through a file as a restore reads it; the rest
    // decode the same bytes in memory (load_metadata's last step), faster.
    const bool from_file = i % 16 == 0;
    if (from_file) {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << framed;
    }
    checkpoint_metadata loaded;
    try {
      loaded = from_file ? load_metadata(path) : decode_metadata(framed, path);
    } catch (const error& e) {
      ++refused_by_frame_or_decoder;
      BOOST_TEST(e.code() == errc::corrupt);
      BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
      continue;
    } catch (const std::exception& e) {
      BOOST_FAIL("seed " << seed << " case " << i << ": not a spate::error: " << e.what());
    }
    try {
      validate_metadata(loaded, path);
      ++accepted;
      BOOST_TEST(violation(loaded).empty(),
                 "seed " << seed << " case " << i << ": accepted with " << violation(loaded));
      for (const auto& op : loaded.operators)
        for (const auto& h : op.keyed)
          for (const auto* files : {&h.shared_files, &h.private_files})
            for (const auto& f : *files)
              BOOST_TEST(snapshot_file_path("/base", f.path, path, op.uid) == "/base/" + f.path);
    } catch (const error& e) {
      ++refused_by_validation;
      BOOST_TEST(e.code() == errc::corrupt);
      BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
    } catch (const std::exception& e) {
      BOOST_FAIL("seed " << seed << " case " << i << ": not a spate::error: " << e.what());
    }
  }
  BOOST_TEST_MESSAGE("refused by frame or decoder " << refused_by_frame_or_decoder
                                                    << ", by validation " << refused_by_validation
                                                    << ", accepted " << accepted);
  // Each way out was taken: the damage reaches the validation, not only the decoder.
  BOOST_TEST(refused_by_frame_or_decoder > 0);
  BOOST_TEST(refused_by_validation > 0);
  BOOST_TEST(accepted > 0);
}
