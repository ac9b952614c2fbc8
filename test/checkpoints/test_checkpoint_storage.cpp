#define BOOST_TEST_MODULE checkpoint_storage
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>

#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "support/temp_dir.hpp"
#include "support/seed.hpp"

using namespace spate;
using namespace spate::checkpoints;
using spate::test::temp_dir;
namespace fs = std::filesystem;

namespace {

checkpoint_metadata sample(std::mt19937_64& rng, std::int64_t id) {
  checkpoint_metadata m;
  m.job_id = "job-" + std::to_string(rng() % 1000);
  m.checkpoint_id = id;
  m.trigger_time = static_cast<std::int64_t>(rng() >> 1);
  m.savepoint = rng() % 2;
  for (int o = 0, n = 1 + rng() % 3; o < n; ++o) {
    operator_snapshot op;
    op.uid = "uid-" + std::to_string(rng());
    op.name = "op";
    op.parallelism = 1 + rng() % 4;
    op.max_parallelism = 128;
    for (int s = 0; s < op.parallelism; ++s) {
      keyed_state_handle k;
      k.subtask = s;
      k.key_group_start = s * 10;
      k.key_group_end = s * 10 + 9;
      k.shared_files.push_back({"shared/x-" + std::to_string(rng()) + ".sst", rng() % 100000});
      k.private_files.push_back({"chk-1/MANIFEST", rng() % 1000});
      op.keyed.push_back(k);
      std::string bytes(rng() % 20, '\0');
      for (auto& c : bytes)
        c = static_cast<char>(rng());
      op.operator_state.push_back({s, "position", bytes});
    }
    m.operators.push_back(op);
  }
  return m;
}

bool same(const checkpoint_metadata& a, const checkpoint_metadata& b) {
  return encode_metadata(a) == encode_metadata(b);
}

void expect_corrupt(const std::string& bytes, const std::string& fragment) {
  try {
    decode_metadata(bytes, "/x/chk-1/_metadata");
    BOOST_FAIL("decoded: expected '" << fragment << "'");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::corrupt);
    BOOST_TEST(std::string(e.what()).find("/x/chk-1/_metadata") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find(fragment) != std::string::npos, e.what());
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(metadata_round_trip_property) {
  const auto seed = spate::test::test_seed("metadata_round_trip_property");
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 200; ++i) {
    auto m = sample(rng, i);
    auto back = decode_metadata(encode_metadata(m), "memory");
    BOOST_REQUIRE_MESSAGE(same(m, back), "seed " << seed << " case " << i);
  }
}

BOOST_AUTO_TEST_CASE(corrupt_truncated_foreign_and_future_metadata_are_refused) {
  std::mt19937_64 rng(3);
  auto bytes = encode_metadata(sample(rng, 1));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut)
    BOOST_CHECK_THROW(decode_metadata(bytes.substr(0, cut), "cut"), error);
  expect_corrupt(bytes.substr(0, 5), "bad magic");
  expect_corrupt(bytes.substr(0, 10), "truncated");
  expect_corrupt(bytes.substr(0, bytes.size() - 1), "truncated");
  expect_corrupt(bytes + "x", "trailing");
  auto flipped = bytes;
  flipped[flipped.size() / 2 + 12] ^= 0x40;
  expect_corrupt(flipped, "checksum");
  auto future = bytes;
  future[8] = 9; // format version 9
  expect_corrupt(future, "format version 9");
  expect_corrupt("PK\x03\x04 not ours at all", "bad magic");
  BOOST_TEST(crc32c("123456789", 9) == 0xe3069283u); // the CRC-32C check value
}

BOOST_AUTO_TEST_CASE(metadata_is_written_atomically_and_resolved_from_paths) {
  temp_dir dir;
  checkpoint_storage st(dir.str(), "job1");
  std::mt19937_64 rng(5);
  for (std::int64_t id : {3, 12}) {
    auto m = sample(rng, id);
    st.write_metadata(m);
    BOOST_TEST(fs::exists(st.checkpoint_dir(checkpoint_id{id}) + "/_metadata"));
    BOOST_TEST(!fs::exists(st.checkpoint_dir(checkpoint_id{id}) + "/_metadata.inprogress"));
    BOOST_TEST(same(load_metadata(st.checkpoint_dir(checkpoint_id{id})), m));
  }
  // A directory without _metadata (a checkpoint in progress) is never chosen.
  fs::create_directories(st.job_dir() + "/chk-40");
  BOOST_TEST(resolve_metadata_path(st.job_dir()) ==
             st.checkpoint_dir(checkpoint_id{12}) + "/_metadata");
  BOOST_TEST(resolve_metadata_path(st.checkpoint_dir(checkpoint_id{3}) + "/_metadata") ==
             st.checkpoint_dir(checkpoint_id{3}) + "/_metadata");
  try {
    load_metadata(dir.str() + "/nope");
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::not_found);
    BOOST_TEST(std::string(e.what()).find("/nope") != std::string::npos);
  }
  BOOST_CHECK_THROW(load_metadata(st.job_dir() + "/chk-40"), error);
  // A corrupt file on disk names its path.
  {
    std::ofstream f(st.checkpoint_dir(checkpoint_id{12}) + "/_metadata", std::ios::trunc);
    f << "garbage";
  }
  try {
    load_metadata(st.checkpoint_dir(checkpoint_id{12}));
    BOOST_FAIL("no error");
  } catch (const error& e) {
    BOOST_TEST(e.code() == errc::corrupt);
    BOOST_TEST(std::string(e.what()).find("chk-12/_metadata") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(incremental_upload_shares_sst_files_with_reference_counts) {
  temp_dir dir;
  state_backend_options so;
  so.directory = dir.str() + "/db";
  so.cache_max_entries = 0;
  keyed_state_backend backend(so);
  auto& st = backend.get_value_state(value_state_descriptor<std::string>{"v"});
  checkpoint_storage storage(dir.str() + "/checkpoints", "job");

  auto take = [&](std::int64_t id) {
    backend.flush();
    backend.db()->Flush(rocksdb::FlushOptions());
    rocksdb::Checkpoint* cp = nullptr;
    BOOST_REQUIRE(rocksdb::Checkpoint::Create(backend.db(), &cp).ok());
    std::string local = dir.str() + "/local-" + std::to_string(id);
    BOOST_REQUIRE(cp->CreateCheckpoint(local).ok());
    delete cp;
    auto h = storage.upload_rocksdb_checkpoint(local, checkpoint_id{id}, "uid_0");
    checkpoint_metadata m;
    m.job_id = "job";
    m.checkpoint_id = id;
    operator_snapshot op;
    op.uid = "uid";
    op.keyed.push_back(h);
    m.operators.push_back(op);
    storage.write_metadata(m);
    return h;
  };

  for (int i = 0; i < 100; ++i) {
    backend.set_current_key(i);
    st.update("first " + std::to_string(i));
  }
  auto h1 = take(1);
  BOOST_REQUIRE(!h1.shared_files.empty());
  for (int i = 100; i < 200; ++i) {
    backend.set_current_key(i);
    st.update("second " + std::to_string(i));
  }
  auto h2 = take(2);
  // The first SST is referenced again, not copied again; a new one was added.
  for (auto& f : h1.shared_files) {
    BOOST_TEST(std::count(h2.shared_files.begin(), h2.shared_files.end(), f) == 1);
    BOOST_TEST(storage.shared_references(f.path) == 2u);
  }
  BOOST_TEST(h2.shared_files.size() > h1.shared_files.size());
  for (auto& f : h2.shared_files)
    BOOST_TEST(fs::file_size(storage.job_dir() + "/" + f.path) == f.size);

  storage.discard(checkpoint_id{1});
  BOOST_TEST(!fs::exists(storage.checkpoint_dir(checkpoint_id{1})));
  for (auto& f : h2.shared_files)
    BOOST_TEST(fs::exists(storage.job_dir() + "/" + f.path), f.path << " still needed by chk-2");
  storage.discard(checkpoint_id{2});
  for (auto& f : h2.shared_files)
    BOOST_TEST(!fs::exists(storage.job_dir() + "/" + f.path));
}

namespace {

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

//! Uploads a RocksDB checkpoint of a few entries into storage under `base`,
//! then removes the database and its local checkpoint: the uploaded SST files
//! keep their bytes. Returns whether they were the local files themselves
//! (hard links) before the removal.
bool upload_then_remove_local(const std::string& work, const std::string& base) {
  std::vector<std::pair<fs::path, std::string>> uploaded;
  bool linked = true;
  {
    state_backend_options so;
    so.directory = work + "/db";
    so.cache_max_entries = 0;
    keyed_state_backend backend(so);
    auto& st = backend.get_value_state(value_state_descriptor<std::string>{"v"});
    for (int i = 0; i < 100; ++i) {
      backend.set_current_key(i);
      st.update("value " + std::to_string(i));
    }
    backend.flush();
    backend.db()->Flush(rocksdb::FlushOptions());
    rocksdb::Checkpoint* cp = nullptr;
    BOOST_REQUIRE(rocksdb::Checkpoint::Create(backend.db(), &cp).ok());
    const std::string local = work + "/local";
    BOOST_REQUIRE(cp->CreateCheckpoint(local).ok());
    delete cp;
    checkpoint_storage storage(base, "job");
    auto h = storage.upload_rocksdb_checkpoint(local, checkpoint_id{1}, "uid_0");
    BOOST_REQUIRE(!h.shared_files.empty());
    for (auto& f : h.shared_files) {
      fs::path up = fs::path(storage.job_dir()) / f.path;
      fs::path from = fs::path(local) / fs::path(f.path).filename().string().substr(6);
      BOOST_REQUIRE_MESSAGE(fs::exists(from), from);
      BOOST_TEST(file_bytes(up) == file_bytes(from));
      linked = linked && fs::equivalent(up, from);
      uploaded.emplace_back(up, file_bytes(up));
    }
  }
  fs::remove_all(work + "/db");
  fs::remove_all(work + "/local");
  for (auto& [path, bytes] : uploaded)
    BOOST_TEST(file_bytes(path) == bytes, path << " changed with the local files");
  return linked;
}

} // namespace

BOOST_AUTO_TEST_CASE(uploaded_sst_files_are_links_on_one_file_system_and_copies_across) {
  temp_dir dir;
  // One file system: the SST files are linked, not copied.
  BOOST_TEST(upload_then_remove_local(dir.str() + "/a", dir.str() + "/checkpoints"));
  // Another file system (tmpfs), where there is one: copied.
  std::error_code ec;
  const fs::path shm = "/dev/shm";
  struct stat a {
  }, b{};
  if (::stat(dir.str().c_str(), &a) == 0 && ::stat(shm.c_str(), &b) == 0 && a.st_dev != b.st_dev) {
    std::string tmpl = (shm / "spate-test-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    const bool linked = upload_then_remove_local(dir.str() + "/b", tmpl);
    fs::remove_all(tmpl, ec);
    BOOST_TEST(!linked, "a link across file systems");
  } else {
    BOOST_TEST_MESSAGE("no second file system at /dev/shm: the copy across is not exercised");
  }
}

BOOST_AUTO_TEST_CASE(the_registry_frees_a_file_with_its_last_user) {
  shared_file_registry r;
  r.retain(checkpoint_id{1}, {"shared/a", "shared/b"});
  r.retain(checkpoint_id{2}, {"shared/b", "shared/c", "shared/c"}); // a repeat counts once
  BOOST_TEST(r.references("shared/b") == 2u);
  BOOST_TEST(r.references("shared/c") == 1u);
  BOOST_TEST(r.references("shared/z") == 0u);
  BOOST_TEST((r.release(checkpoint_id{1}) == std::vector<std::string>{"shared/a"}));
  BOOST_TEST(r.references("shared/b") == 1u);
  BOOST_TEST(r.release(checkpoint_id{1}).empty()); // twice, or unknown: nothing
  BOOST_TEST(r.release(checkpoint_id{9}).empty());
  auto last = r.release(checkpoint_id{2});
  std::sort(last.begin(), last.end());
  BOOST_TEST((last == std::vector<std::string>{"shared/b", "shared/c"}));
  BOOST_TEST(r.checkpoints() == 0u);
}
