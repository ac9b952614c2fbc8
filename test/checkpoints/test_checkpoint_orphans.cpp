#define BOOST_TEST_MODULE checkpoint_orphans
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "spate/checkpoints/coordinator.hpp"
#include "spate/checkpoints/orphan_sweep.hpp"
#include "spate/checkpoints/storage.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/state/keyed_state_backend.hpp"
#include "support/checkpointing.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace spate;
using namespace spate::checkpoints;
using namespace std::chrono_literals;
using spate::test::temp_dir;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, std::size_t size, char fill = 'x') {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << std::string(size, fill);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

//! Every file and symbolic link below `dir` (links not followed), relative.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it)
    if (!fs::is_directory(it->symlink_status()))
      out.insert(it->path().lexically_relative(dir).generic_string());
  return out;
}

//! The independent reference: every chk-*/_metadata decoded on its own, and
//! the paths it names (its own name among them).
std::set<std::string> referenced_paths(const fs::path& job_dir) {
  std::set<std::string> out;
  for (auto& e : fs::directory_iterator(job_dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("chk-", 0) != 0 || !fs::is_regular_file(e.path() / "_metadata"))
      continue;
    auto md = e.path() / "_metadata";
    auto m = decode_metadata(read_file(md), md.string());
    out.insert(name + "/_metadata");
    for (auto& op : m.operators)
      for (auto& k : op.keyed) {
        for (auto& f : k.shared_files)
          out.insert(f.path);
        for (auto& f : k.private_files)
          out.insert(f.path);
      }
  }
  return out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (auto& x : s)
    out += (out.empty() ? "" : ", ") + x;
  return out.empty() ? "(none)" : out;
}

//! Every file a complete checkpoint names is there, with its recorded size.
void expect_referenced_files_present(const fs::path& job_dir) {
  for (auto& e : fs::directory_iterator(job_dir)) {
    auto md = e.path() / "_metadata";
    if (e.path().filename().string().rfind("chk-", 0) != 0 || !fs::is_regular_file(md))
      continue;
    auto m = decode_metadata(read_file(md), md.string());
    for (auto& op : m.operators)
      for (auto& k : op.keyed)
        for (auto* files : {&k.shared_files, &k.private_files})
          for (auto& f : *files) {
            BOOST_TEST(fs::is_regular_file(job_dir / f.path), f.path << " of " << md);
            if (fs::is_regular_file(job_dir / f.path))
              BOOST_TEST(fs::file_size(job_dir / f.path) == f.size, f.path);
          }
  }
}

//! Keeps what spate::log() says at info and above while it lives.
struct captured_log {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(500);
  spdlog::level::level_enum level = log().level();
  captured_log() {
    log().set_level(spdlog::level::info);
    log().sinks().push_back(sink);
  }
  ~captured_log() {
    auto& sinks = log().sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
    log().set_level(level);
  }
  //! A message holding every part.
  bool has(std::initializer_list<std::string> parts) const {
    for (auto& m : sink->last_formatted())
      if (std::all_of(parts.begin(), parts.end(),
                      [&](const std::string& p) { return m.find(p) != std::string::npos; }))
        return true;
    return false;
  }
  std::string all() const {
    std::string out;
    for (auto& m : sink->last_formatted())
      out += m;
    return out;
  }
};

//! Real checkpoints, as a keyed task takes them: records go into a RocksDB
//! backend, which is flushed and checkpointed, and the checkpoint uploaded
//! incrementally through `storage` with its _metadata written. As with
//! state.checkpoints.num-retained=2, the checkpoint before the previous one
//! is discarded. Returns the metadata of every checkpoint written.
std::vector<checkpoint_metadata> run_checkpoints(const fs::path& work, checkpoint_storage& storage,
                                                 std::int64_t first, std::int64_t last,
                                                 const std::string& prefix = "uid_0") {
  state_backend_options so;
  so.directory = (work / ("db-" + prefix)).string();
  so.cache_max_entries = 0;
  keyed_state_backend backend(so);
  auto& st = backend.get_value_state(value_state_descriptor<std::string>{"v"});
  std::vector<checkpoint_metadata> written;
  for (std::int64_t id = first; id <= last; ++id) {
    for (int i = 0; i < 100; ++i) {
      backend.set_current_key(static_cast<int>(id * 1000 + i));
      st.update("value " + std::to_string(id) + "/" + std::to_string(i));
    }
    backend.flush();
    backend.db()->Flush(rocksdb::FlushOptions());
    rocksdb::Checkpoint* cp = nullptr;
    BOOST_REQUIRE(rocksdb::Checkpoint::Create(backend.db(), &cp).ok());
    auto local = work / ("local-" + prefix + "-" + std::to_string(id));
    BOOST_REQUIRE(cp->CreateCheckpoint(local.string()).ok());
    delete cp;
    auto h = storage.upload_rocksdb_checkpoint(local.string(), checkpoint_id{id}, prefix);
    h.key_group_start = 0;
    h.key_group_end = 127;
    checkpoint_metadata m;
    m.job_id = "job";
    m.checkpoint_id = id;
    operator_snapshot op;
    op.uid = "uid";
    op.name = "sums";
    op.keyed.push_back(h);
    op.operator_state.push_back({0, "position", std::to_string(id)});
    m.operators.push_back(op);
    storage.write_metadata(m);
    written.push_back(m);
    if (id - 2 >= first)
      storage.discard(checkpoint_id{id - 2});
  }
  return written;
}

struct no_port final : coordinator_port {
  void trigger(const checkpoint_trigger&, const std::vector<task_ref>&) override {}
  void notify_complete(checkpoint_id) override {}
  void notify_aborted(checkpoint_id) override {}
  void schedule_tick(std::chrono::milliseconds, std::uint64_t) override {}
  void schedule_timeout(std::chrono::milliseconds, checkpoint_id) override {}
  void fail_job(const std::string&) override {}
  void stopped() override {}
  void restart_point(const checkpoint_metadata&, const std::string&, const std::string&) override {}
  void record(checkpoint_stats) override {}
  void all_finished(bool) override {}
};

} // namespace

// Four real checkpoints (two retained), then what a crash leaves: exactly
// that goes, every file a _metadata names stays, nothing outside is touched.
BOOST_AUTO_TEST_CASE(exactly_the_orphans_go_and_every_referenced_file_stays) {
  temp_dir dir;
  checkpoint_storage storage((dir.path / "checkpoints").string(), "job");
  run_checkpoints(dir.path, storage, 1, 4);
  fs::path job = storage.job_dir();
  auto before = files_under(job);
  auto refs = referenced_paths(job);
  BOOST_REQUIRE(refs.count("chk-3/_metadata") && refs.count("chk-4/_metadata"));
  // The storage itself left nothing behind: the reference is the directory.
  BOOST_REQUIRE_MESSAGE(before == refs,
                        "not referenced: " << joined(minus(before, refs))
                                           << "; missing: " << joined(minus(refs, before)));

  // Outside the directory: what links point to.
  write_file(dir.path / "outside" / "target.sst", 111);
  write_file(dir.path / "outside" / "dir" / "precious", 222);
  // The orphans (regular files with their sizes; links and directories).
  std::map<std::string, std::size_t> orphan_files = {
      {"shared/uid_0-orphan-000099.sst", 1000}, // an upload that never completed
      {"shared/uid_0-000777.sst.tmp", 500},     // a shared file being copied
      {"chk-5/uid_0/MANIFEST-000005", 300},     // a checkpoint without _metadata
      {"chk-5/uid_0/000042.sst", 700},
      {"chk-5/_metadata.inprogress", 50},
      {"chk-4/uid_0/LOG.tmp", 20},               // a temporary in a complete checkpoint
      {"chk-4/stale_upload/OPTIONS-000007", 30}, // named by no _metadata
  };
  std::uint64_t orphan_bytes = 0;
  for (auto& [p, size] : orphan_files) {
    write_file(job / p, size);
    orphan_bytes += size;
  }
  fs::create_directories(job / "chk-6"); // empty, no _metadata
  fs::create_symlink(dir.path / "outside" / "target.sst", job / "shared" / "link.sst");
  fs::create_directory_symlink(dir.path / "outside" / "dir", job / "chk-7"); // a chk "dir" link
  write_file(job / "chk-8" / "uid_0" / "CURRENT", 16);
  orphan_bytes += 16;
  fs::create_directory_symlink(dir.path / "outside", job / "chk-8" / "uid_0" / "escape");
  // Not ours: a savepoint kept in the job's directory, other names.
  fs::create_directories(job / "savepoint-abc123");
  fs::copy_file(job / "chk-4" / "_metadata", job / "savepoint-abc123" / "_metadata");
  write_file(job / "savepoint-abc123" / "uid_0.state", 40);
  write_file(job / "savepoint-abc123" / "half.tmp", 10);
  write_file(job / "chk-latest" / "notes", 5);
  write_file(job / "README.txt", 5);
  std::set<std::string> foreign = {"savepoint-abc123/_metadata", "savepoint-abc123/uid_0.state",
                                   "savepoint-abc123/half.tmp", "chk-latest/notes", "README.txt"};

  orphan_sweep_result r;
  {
    captured_log captured;
    r = sweep_orphans(job.string());
    BOOST_TEST(captured.has({"'" + job.string() + "'", "removed 11 orphaned files",
                             std::to_string(orphan_bytes) + " bytes", "chk-5/", "chk-8/",
                             "shared/uid_0-orphan-000099.sst"}),
               captured.all());
  }
  BOOST_TEST(r.unreadable.empty());
  BOOST_TEST(r.failures.empty(), joined({r.failures.begin(), r.failures.end()}));
  // 8 regular files, 3 links (shared/link.sst, chk-7, chk-8/uid_0/escape).
  BOOST_TEST(r.files == 11u);
  BOOST_TEST(r.bytes == orphan_bytes);
  std::set<std::int64_t> complete;
  for (auto& m : r.complete)
    complete.insert(m.checkpoint_id);
  BOOST_TEST((complete == std::set<std::int64_t>{3, 4}));

  std::set<std::string> expected = before;
  expected.insert(foreign.begin(), foreign.end());
  auto after = files_under(job);
  BOOST_TEST(after == expected, "left: " << joined(minus(after, expected)) << "; removed wrongly: "
                                         << joined(minus(expected, after)));
  for (const char* gone : {"chk-5", "chk-6", "chk-7", "chk-8", "chk-4/stale_upload"})
    BOOST_TEST(!fs::exists(fs::symlink_status(job / gone)), gone);
  BOOST_TEST(fs::is_directory(job / "shared"));
  expect_referenced_files_present(job);
  // Nothing outside was followed into.
  BOOST_TEST(fs::file_size(dir.path / "outside" / "target.sst") == 111u);
  BOOST_TEST(fs::file_size(dir.path / "outside" / "dir" / "precious") == 222u);
  // A second sweep finds nothing.
  auto again = sweep_orphans(job.string());
  BOOST_TEST(again.removed.empty());
  BOOST_TEST(again.files == 0u);
}

// A _metadata that cannot be read might name any shared file: shared/ stays
// whole, the warning names the file; checkpoints without _metadata still go.
BOOST_AUTO_TEST_CASE(a_corrupt_metadata_keeps_shared_intact_and_says_why) {
  temp_dir dir;
  checkpoint_storage storage((dir.path / "checkpoints").string(), "job");
  run_checkpoints(dir.path, storage, 1, 4);
  fs::path job = storage.job_dir();
  write_file(job / "shared" / "uid_0-orphan-000099.sst", 100);
  write_file(job / "shared" / "uid_0-000100.sst.tmp", 100);
  write_file(job / "chk-5" / "uid_0" / "MANIFEST-000005", 100);
  write_file(job / "chk-4" / "uid_0" / "LOG.tmp", 10);
  write_file(job / "chk-4" / "stale_upload" / "OPTIONS-000007", 10);
  auto good = read_file(job / "chk-3" / "_metadata");
  auto bad = good;
  bad[bad.size() / 2 + 12] ^= 0x40; // the checksum no longer matches
  std::ofstream(job / "chk-3" / "_metadata", std::ios::binary | std::ios::trunc) << bad;
  auto shared_before = files_under(job / "shared");
  auto chk3_before = files_under(job / "chk-3");

  {
    captured_log captured;
    auto r = sweep_orphans(job.string());
    BOOST_TEST_REQUIRE(r.unreadable.size() == 1u);
    BOOST_TEST(r.unreadable[0].find("chk-3/_metadata") != std::string::npos, r.unreadable[0]);
    BOOST_TEST(r.unreadable[0].find("checksum") != std::string::npos, r.unreadable[0]);
    BOOST_TEST(captured.has({"chk-3/_metadata", "checksum", "nothing under shared/ is removed"}),
               captured.all());
    BOOST_TEST(r.complete.size() == 1u); // chk-4
  }
  BOOST_TEST(files_under(job / "shared") == shared_before); // orphans and temporaries too
  BOOST_TEST(files_under(job / "chk-3") == chk3_before);
  BOOST_TEST(!fs::exists(job / "chk-5"));               // no _metadata: not a checkpoint
  BOOST_TEST(!fs::exists(job / "chk-4/uid_0/LOG.tmp")); // a temporary is never referenced
  BOOST_TEST(fs::exists(job / "chk-4/stale_upload/OPTIONS-000007"));

  // A _metadata that decodes but names a path outside the directory is not
  // trusted either; with chk-3 repaired, only it holds shared/ back.
  std::ofstream(job / "chk-3" / "_metadata", std::ios::binary | std::ios::trunc) << good;
  write_file(dir.path / "outside.sst", 10);
  auto forged = decode_metadata(good, "chk-3");
  forged.checkpoint_id = 9;
  forged.operators[0].keyed[0].shared_files.push_back({"../../outside.sst", 10});
  fs::create_directories(job / "chk-9");
  std::ofstream(job / "chk-9" / "_metadata", std::ios::binary) << encode_metadata(forged);
  auto r = sweep_orphans(job.string());
  BOOST_TEST_REQUIRE(r.unreadable.size() == 1u);
  BOOST_TEST(r.unreadable[0].find("chk-9/_metadata") != std::string::npos, r.unreadable[0]);
  BOOST_TEST(files_under(job / "shared") == shared_before);
  BOOST_TEST(fs::exists(dir.path / "outside.sst"));
  BOOST_TEST(fs::exists(job / "chk-9" / "_metadata"));

  // Once every _metadata reads, the orphans go.
  fs::remove_all(job / "chk-9");
  r = sweep_orphans(job.string());
  BOOST_TEST(r.unreadable.empty());
  BOOST_TEST(!fs::exists(job / "shared" / "uid_0-orphan-000099.sst"));
  BOOST_TEST(!fs::exists(job / "shared" / "uid_0-000100.sst.tmp"));
  BOOST_TEST(!fs::exists(job / "chk-4/stale_upload"));
  BOOST_TEST(files_under(job) == referenced_paths(job));
}

// What the caller keeps stays: the snapshot being restored and what the
// registry counts, though no chk-<n>/_metadata names them.
BOOST_AUTO_TEST_CASE(the_restored_snapshot_and_the_registry_s_files_stay) {
  temp_dir dir;
  checkpoint_storage storage((dir.path / "checkpoints").string(), "job");
  auto written = run_checkpoints(dir.path, storage, 1, 2);
  fs::path job = storage.job_dir();
  write_file(job / "shared" / "restored-1.sst", 10);
  write_file(job / "shared" / "registered-1.sst", 10);
  write_file(job / "backup" / "uid_0" / "MANIFEST-000001", 10);
  checkpoint_metadata restored = written.back();
  restored.operators[0].keyed[0].shared_files.push_back({"shared/./restored-1.sst", 10});
  orphan_sweep_options o;
  o.keep.push_back(restored);
  o.in_use = [](const std::string& p) { return p == "shared/registered-1.sst"; };
  auto r = sweep_orphans(job.string(), o);
  BOOST_TEST(r.removed.empty());
  BOOST_TEST(fs::exists(job / "shared" / "restored-1.sst"));
  BOOST_TEST(fs::exists(job / "shared" / "registered-1.sst"));
  r = sweep_orphans(job.string());
  BOOST_TEST(r.files == 2u);
  BOOST_TEST(!fs::exists(job / "shared" / "restored-1.sst"));
  BOOST_TEST(!fs::exists(job / "shared" / "registered-1.sst"));
  BOOST_TEST(fs::exists(job / "backup" / "uid_0" / "MANIFEST-000001")); // not ours
  // No directory: nothing to do, nothing failed.
  r = sweep_orphans((dir.path / "nope").string());
  BOOST_TEST(r.removed.empty());
  BOOST_TEST(r.failures.empty());
}

// A new process restores checkpoint 2 of its own directory: after the sweep,
// its registry counts the files chk-2 names, so discarding a newer
// checkpoint that shared them (as an incremental one after a restore does)
// never leaves chk-2's _metadata naming a deleted file.
BOOST_AUTO_TEST_CASE(the_registry_and_the_sweep_agree_after_a_restore) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  std::vector<checkpoint_metadata> first_run;
  {
    checkpoint_storage crashed(base, "job");
    first_run = run_checkpoints(dir.path, crashed, 1, 2);
    write_file(fs::path(crashed.job_dir()) / "chk-3" / "uid_0" / "000099.sst", 10);
  }
  auto restored = load_metadata(base + "/job/chk-2");
  checkpoint_storage storage(base, "job");
  auto r = storage.sweep_orphans(&restored);
  BOOST_TEST(r.files == 1u);
  const auto& shared = restored.operators[0].keyed[0].shared_files;
  BOOST_REQUIRE(!shared.empty());
  for (auto& f : shared)
    BOOST_TEST(storage.shared_references(f.path) >= 1u, f.path);
  // Checkpoint 3 references chk-2's shared files (the restored database's
  // `known` files); checkpoint 4 none of them. Discarding 3 keeps them.
  checkpoint_metadata m3 = restored;
  m3.checkpoint_id = 3;
  storage.write_metadata(m3);
  checkpoint_metadata m4 = restored;
  m4.checkpoint_id = 4;
  m4.operators[0].keyed[0].shared_files.clear();
  storage.write_metadata(m4);
  storage.discard(checkpoint_id{3});
  for (auto& f : shared)
    BOOST_TEST(fs::exists(fs::path(storage.job_dir()) / f.path), f.path);
  expect_referenced_files_present(storage.job_dir());
}

// The coordinator keeps the restored snapshot's files only when its paths
// start at the job's own directory (however that is spelled).
BOOST_AUTO_TEST_CASE(the_coordinator_keeps_the_restored_files_of_its_own_directory_only) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  checkpoint_storage storage(base, "job");
  auto written = run_checkpoints(dir.path, storage, 1, 2);
  auto restored = written.back();
  restored.operators[0].keyed[0].shared_files.push_back({"shared/restored-1.sst", 10});
  fs::path extra = fs::path(storage.job_dir()) / "shared" / "restored-1.sst";
  write_file(extra, 10);
  no_port port;
  coordinator_setup setup;
  setup.config.dir = base;
  setup.job_id = "job";
  setup.first_id = checkpoint_id{3};
  checkpoint_coordinator c(setup, port);
  // Through another spelling of the same directory: kept.
  auto r = c.sweep_orphans(restored, base + "/./job/../job");
  BOOST_TEST(r.files == 0u);
  BOOST_TEST(fs::exists(extra));
  // From another directory (a savepoint, another job): this job's own
  // directory is swept with its own references only.
  checkpoint_coordinator other(setup, port);
  r = other.sweep_orphans(restored, (dir.path / "savepoint-x").string());
  BOOST_TEST(r.files == 1u);
  BOOST_TEST(!fs::exists(extra));
  // Once started, never (an upload may be under way).
  write_file(extra, 10);
  other.start({{0, subtask_index{0}}}, {{0, subtask_index{0}}});
  r = other.sweep_orphans(restored, (dir.path / "savepoint-x").string());
  BOOST_TEST(fs::exists(extra));
}

// End to end: jobs with keyed state, checkpointed every 20 ms.
namespace {

using rec = std::pair<std::int64_t, std::int64_t>;

configuration job_config(const std::string& dir) {
  auto c = spate::test::test_config(dir + "/state", 2);
  c.set(options::checkpoint_interval, "20 ms");
  c.set(options::checkpoints_dir, dir + "/checkpoints");
  c.set("restart-strategy.fixed-delay.delay", "10 ms");
  c.set(options::buffer_timeout, "5 ms");
  return c;
}

template <class Map>
void define_job(environment& env, std::shared_ptr<spate::test::committed_store<rec>> store,
                Map map) {
  env.add_source(spate::test::paced(0, 20000, 40, 1ms))
      .uid("source")
      .map(std::move(map))
      .key_by([](const rec& r) { return r.first; })
      .reduce([](const rec& a, rec b) {
        return rec{a.first, a.second + b.second};
      })
      .uid("sums")
      .add_sink(spate::test::two_phase(store))
      .uid("sink");
}

rec by_key(rec r) { return rec{r.second % 7, r.second + 1}; }

} // namespace

// The process that crashes: run by the next test, not on its own.
BOOST_AUTO_TEST_CASE(crashing_run, *boost::unit_test::disabled()) {
  const char* dir = std::getenv("SPATE_ORPHAN_TEST_DIR");
  const char* job = std::getenv("SPATE_ORPHAN_TEST_JOB");
  BOOST_REQUIRE(dir && job);
  environment env(job_config(dir));
  define_job(env, std::make_shared<spate::test::committed_store<rec>>(), by_key);
  start_options so;
  so.job_id = job;
  auto r = env.execute_async("orphans", so).wait();
  BOOST_FAIL("the crash point was not reached; the job ended " << to_string(r.status));
}

// A SIGKILL when every subtask acknowledged the third checkpoint but its
// _metadata was not written (SPATE_CRASH_POINT=before-metadata:3) leaves its
// chk-<n> without _metadata and shared files only it would name. The job restored from its
// directory sweeps them before its first checkpoint; once it ends, every file in the directory is
// one a _metadata names, and every file named is there.
BOOST_AUTO_TEST_CASE(a_job_restored_after_a_crash_before_metadata_leaves_no_orphans) {
  temp_dir dir;
  const std::string job = new_job_id();
  const fs::path job_dir = dir.path / "checkpoints" / job;
  spate::test::child_process crashing(
      {"/usr/bin/env", "SPATE_CRASH_POINT=before-metadata:3", "SPATE_ORPHAN_TEST_DIR=" + dir.str(),
       "SPATE_ORPHAN_TEST_JOB=" + job, fs::read_symlink("/proc/self/exe").string(),
       "--run_test=crashing_run"});
  auto crashed = crashing.finish();
  BOOST_REQUIRE_MESSAGE(crashed.exit_code == 128 + SIGKILL, crashed.out << crashed.err);
  BOOST_REQUIRE(crashed.err.find("crash point 'before-metadata' reached") != std::string::npos);
  auto orphans = minus(files_under(job_dir), referenced_paths(job_dir));
  BOOST_TEST_MESSAGE("after the crash, named by no _metadata: " << joined(orphans));
  BOOST_REQUIRE(!orphans.empty());
  // The checkpoint the crash interrupted (the third to complete: chk-3 unless
  // one was declined before).
  std::vector<std::string> incomplete;
  for (auto& e : fs::directory_iterator(job_dir))
    if (e.path().filename().string().rfind("chk-", 0) == 0 && !fs::exists(e.path() / "_metadata"))
      incomplete.push_back(e.path().filename().string());
  BOOST_REQUIRE(incomplete.size() == 1u);

  captured_log captured;
  {
    environment env(job_config(dir.str()));
    auto store = std::make_shared<spate::test::committed_store<rec>>();
    define_job(env, store, by_key);
    start_options so;
    so.job_id = job;
    so.restore_path = job_dir.string();
    auto client = env.execute_async("orphans", so);
    auto r = client.wait();
    BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
    BOOST_TEST(client.checkpoint_totals().completed >= 1);
  }
  BOOST_TEST(captured.has({"'" + job_dir.string() + "'", "removed", incomplete[0] + "/"}),
             captured.all());
  auto files = files_under(job_dir);
  auto refs = referenced_paths(job_dir);
  BOOST_TEST(files == refs, "orphans: " << joined(minus(files, refs))
                                        << "; missing: " << joined(minus(refs, files)));
  for (auto& e : fs::directory_iterator(job_dir))
    if (e.path().filename().string().rfind("chk-", 0) == 0)
      BOOST_TEST(fs::exists(e.path() / "_metadata"), e.path());
  expect_referenced_files_present(job_dir);
}

// A restart in the process (the JobManager's restart strategy) after
// something crashed mid-checkpoint, e.g. a TaskManager killed during its
// upload: what it left goes before the restarted job's first checkpoint.
BOOST_AUTO_TEST_CASE(a_restart_sweeps_what_a_crash_left) {
  temp_dir dir;
  const std::string job = new_job_id();
  const fs::path job_dir = dir.path / "checkpoints" / job;
  const std::vector<std::string> planted = {"shared/dead-tm-000011.sst",
                                            "shared/dead-tm-000012.sst.tmp",
                                            "chk-900/dead-tm/MANIFEST-000001"};
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto seen = std::make_shared<std::atomic<int>>(0);
  captured_log captured;
  {
    environment env(job_config(dir.str()));
    auto store = std::make_shared<spate::test::committed_store<rec>>();
    define_job(env, store, [=](rec r) {
      if (!done->load() && ++*seen % 50 == 0) {
        bool complete = false;
        std::error_code ec;
        for (auto& e : fs::directory_iterator(job_dir, ec))
          complete = complete || fs::exists(e.path() / "_metadata");
        if (complete && !done->exchange(true)) {
          for (auto& p : planted)
            write_file(job_dir / p, 64);
          throw std::runtime_error("injected failure after a crash left files behind");
        }
      }
      return by_key(r);
    });
    start_options so;
    so.job_id = job;
    auto client = env.execute_async("orphans", so);
    auto r = client.wait();
    BOOST_REQUIRE_MESSAGE(r.status == job_status::finished, r.failure_cause);
    BOOST_TEST(client.full_restarts() == 1);
  }
  BOOST_TEST(done->load());
  for (auto& p : planted)
    BOOST_TEST(!fs::exists(job_dir / p), p);
  BOOST_TEST(!fs::exists(job_dir / "chk-900"));
  BOOST_TEST(captured.has({"'" + job_dir.string() + "'", "removed", "chk-900/",
                           "shared/dead-tm-000011.sst"}),
             captured.all());
  auto files = files_under(job_dir);
  auto refs = referenced_paths(job_dir);
  BOOST_TEST(files == refs, "orphans: " << joined(minus(files, refs))
                                        << "; missing: " << joined(minus(refs, files)));
  expect_referenced_files_present(job_dir);
}

// Restore modes (FLIP-193): what a job restored from another job's
// checkpoint does with that job's directory.
namespace {

//! Records the ticks, so a test can fire them and complete checkpoints.
struct ticking_port final : coordinator_port {
  std::vector<std::uint64_t> ticks;
  std::vector<std::int64_t> completed;
  void trigger(const checkpoint_trigger&, const std::vector<task_ref>&) override {}
  void notify_complete(checkpoint_id id) override { completed.push_back(id.value()); }
  void notify_aborted(checkpoint_id) override {}
  void schedule_tick(std::chrono::milliseconds, std::uint64_t g) override { ticks.push_back(g); }
  void schedule_timeout(std::chrono::milliseconds, checkpoint_id) override {}
  void fail_job(const std::string& reason) override { BOOST_FAIL(reason); }
  void stopped() override {}
  void restart_point(const checkpoint_metadata&, const std::string&, const std::string&) override {}
  void record(checkpoint_stats) override {}
  void all_finished(bool) override {}
};

//! A coordinator of job "new" under `base`, one source subtask, retaining
//! `retained` checkpoints, in restore mode `mode`.
struct new_job {
  ticking_port port;
  checkpoint_coordinator c;
  new_job(const std::string& base, restore_mode mode, std::int64_t first_id, int retained = 1,
          const std::string& job_id = "new")
      : c(setup(base, mode, first_id, retained, job_id), port) {}
  static coordinator_setup setup(const std::string& base, restore_mode mode, std::int64_t first_id,
                                 int retained, const std::string& job_id) {
    coordinator_setup s;
    s.config.enabled = true;
    s.config.interval = 1000ms;
    s.config.retained = retained;
    s.config.dir = base;
    s.config.restore = mode;
    s.job_id = job_id;
    s.job_name = "new job";
    s.first_id = checkpoint_id{first_id};
    return s;
  }
  void start() { c.start({{0, subtask_index{0}}}, {{0, subtask_index{0}}}); }
  //! Triggers the next checkpoint and acknowledges it: it completes.
  void checkpoint() {
    auto id = c.next_id();
    c.on_tick(port.ticks.back());
    BOOST_TEST_REQUIRE(c.pending_id().has_value());
    auto s = std::make_shared<subtask_snapshot>();
    s->id = id;
    operator_snapshot op;
    op.uid = "source";
    op.parallelism = 1;
    op.max_parallelism = 128;
    op.operator_state.push_back({0, "position", std::to_string(id.value())});
    s->operators.push_back(op);
    c.acknowledge(s);
    BOOST_TEST_REQUIRE((!port.completed.empty() && port.completed.back() == id.value()));
  }
};

//! The crashed job "old": checkpoints 1..4 (3 and 4 retained, sharing
//! files), the orphans of a crash, and a savepoint kept in its directory.
//! Returns the orphans.
std::set<std::string> crashed_old_job(const fs::path& work, const std::string& base) {
  checkpoint_storage storage(base, "old");
  run_checkpoints(work, storage, 1, 4);
  fs::path job = storage.job_dir();
  std::set<std::string> orphans = {"chk-5/uid_0/MANIFEST-000005", "chk-5/uid_0/000042.sst",
                                   "shared/uid_0-orphan-000099.sst", "shared/uid_0-000100.sst.tmp",
                                   "chk-4/uid_0/LOG.tmp"};
  for (auto& p : orphans)
    write_file(job / p, 100);
  fs::create_directories(job / "savepoint-abc");
  auto sp = load_metadata((job / "chk-4").string());
  sp.savepoint = true;
  std::ofstream(job / "savepoint-abc" / "_metadata", std::ios::binary) << encode_metadata(sp);
  write_file(job / "savepoint-abc" / "uid.state", 40);
  return orphans;
}

const std::set<std::string> savepoint_files = {"savepoint-abc/_metadata",
                                               "savepoint-abc/uid.state"};

std::set<std::string> with(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

//! Every file below `dir` with its bytes.
std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto& p : files_under(dir))
    out[p] = read_file(dir / p);
  return out;
}

} // namespace

// CLAIM of checkpoint 4 of "old": the crash's orphans go when the new job
// starts, every complete checkpoint stays; once a checkpoint of the new job
// completes (num-retained 1), checkpoint 4 goes too: its _metadata, its
// directory and the shared files only it named. Checkpoint 3, which shares
// files with it, and the savepoint stay whole.
BOOST_AUTO_TEST_CASE(
    claim_sweeps_the_old_directory_and_deletes_the_claimed_checkpoint_when_subsumed) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  auto orphans = crashed_old_job(dir.path, base);
  fs::path old = fs::path(base) / "old";
  auto restored = load_metadata((old / "chk-4").string());
  std::set<std::string> chk4_only = minus(referenced_paths(old), [&] {
    // What chk-3 names, found with chk-4's _metadata out of the way.
    auto md = read_file(old / "chk-4" / "_metadata");
    fs::rename(old / "chk-4" / "_metadata", dir.path / "chk-4-metadata");
    auto refs = referenced_paths(old);
    fs::rename(dir.path / "chk-4-metadata", old / "chk-4" / "_metadata");
    return refs;
  }());
  BOOST_TEST_REQUIRE(!chk4_only.empty());
  auto shared_with_3 = minus(referenced_paths(old), chk4_only);
  BOOST_TEST_REQUIRE(shared_with_3.count("chk-3/_metadata"));

  new_job job(base, restore_mode::claim, 5);
  captured_log captured;
  job.c.sweep_orphans(restored, old.string(), (old / "chk-4" / "_metadata").string());
  BOOST_TEST_REQUIRE(job.c.claimed().has_value());
  BOOST_TEST(job.c.claimed()->value() == 4);
  auto files = files_under(old);
  BOOST_TEST(files == with(referenced_paths(old), savepoint_files),
             "left: " << joined(minus(files, with(referenced_paths(old), savepoint_files))));
  for (auto& p : orphans)
    BOOST_TEST(!fs::exists(old / p), p);
  expect_referenced_files_present(old);
  BOOST_TEST(captured.has({"restore mode CLAIM", "checkpoint 4 of job " + restored.job_id}),
             captured.all());

  job.start();
  job.checkpoint(); // 5, in the new job's directory: subsumes 4
  BOOST_TEST(!job.c.claimed().has_value());
  BOOST_TEST(!fs::exists(old / "chk-4"));
  for (auto& p : chk4_only)
    BOOST_TEST(!fs::exists(old / p), p);
  files = files_under(old);
  BOOST_TEST(files == with(shared_with_3, savepoint_files),
             "left: " << joined(minus(files, with(shared_with_3, savepoint_files))) << "; missing: "
                      << joined(minus(with(shared_with_3, savepoint_files), files)));
  expect_referenced_files_present(old);
  BOOST_TEST(fs::exists(fs::path(base) / "new" / "chk-5" / "_metadata"));
  BOOST_TEST(captured.has({"deleted checkpoint 4 of job " + restored.job_id, "restore mode CLAIM"}),
             captured.all());
  // Later checkpoints of the new job touch the old directory no more.
  job.checkpoint();
  BOOST_TEST(files_under(old) == files);
}

// With num-retained 2 the claimed checkpoint stays until two of the new
// job's checkpoints completed; a restart before (the job starts again from
// the claimed checkpoint) claims and sweeps nothing twice.
BOOST_AUTO_TEST_CASE(a_claimed_checkpoint_counts_against_num_retained) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  crashed_old_job(dir.path, base);
  fs::path old = fs::path(base) / "old";
  auto restored = load_metadata((old / "chk-4").string());
  new_job job(base, restore_mode::claim, 5, 2);
  auto path = (old / "chk-4" / "_metadata").string();
  job.c.sweep_orphans(restored, old.string(), path);
  job.start();
  job.checkpoint(); // 5
  BOOST_TEST(fs::exists(old / "chk-4" / "_metadata"));
  // A restart from the newest checkpoint (5) would be usual; from the
  // claimed one again if 5 had not completed. Either way nothing new goes.
  job.c.pause();
  write_file(old / "chk-9" / "uid_0" / "late", 10); // not swept again: claimed once
  job.c.sweep_orphans(restored, old.string(), path);
  BOOST_TEST(fs::exists(old / "chk-9" / "uid_0" / "late"));
  job.start();
  job.checkpoint(); // 6: 4 is the third, subsumed
  BOOST_TEST(!fs::exists(old / "chk-4"));
  BOOST_TEST(fs::exists(old / "chk-3" / "_metadata"));
  expect_referenced_files_present(old);
}

// NO_CLAIM (the default) and LEGACY: nothing in the restored job's
// directory changes, orphans included; CLAIM of a savepoint, or of a
// _metadata that is not chk-<n>/_metadata of its directory, likewise.
BOOST_AUTO_TEST_CASE(no_claim_legacy_and_savepoints_leave_the_restored_files_alone) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  crashed_old_job(dir.path, base);
  fs::path old = fs::path(base) / "old";
  fs::create_directories(old / "copy");
  fs::copy_file(old / "chk-4" / "_metadata", old / "copy" / "_metadata");
  auto before = contents(old);
  auto restored = load_metadata((old / "chk-4").string());
  auto savepoint = load_metadata((old / "savepoint-abc").string());
  struct restore {
    restore_mode mode;
    const checkpoint_metadata* meta;
    fs::path base_dir;
    fs::path metadata;
  };
  for (const auto& r : {restore{restore_mode::no_claim, &restored, old, old / "chk-4/_metadata"},
                        restore{restore_mode::legacy, &restored, old, old / "chk-4/_metadata"},
                        restore{restore_mode::claim, &savepoint, old / "savepoint-abc",
                                old / "savepoint-abc/_metadata"},
                        restore{restore_mode::claim, &restored, old, old / "copy/_metadata"}}) {
    BOOST_TEST_CONTEXT(to_string(r.mode) << " of " << r.metadata) {
      fs::remove_all(fs::path(base) / "new");
      new_job job(base, r.mode, 5);
      job.c.sweep_orphans(*r.meta, r.base_dir.string(), r.metadata.string());
      BOOST_TEST(!job.c.claimed().has_value());
      job.start();
      job.checkpoint();
      job.checkpoint();
      BOOST_TEST((contents(old) == before));
    }
  }
}

// CLAIM of a checkpoint in the job's own directory (the same job id): it is
// retained like the job's own and discarded by the storage once subsumed.
BOOST_AUTO_TEST_CASE(claim_in_the_job_s_own_directory_retains_the_checkpoint_as_its_own) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  crashed_old_job(dir.path, base);
  fs::path old = fs::path(base) / "old";
  auto restored = load_metadata((old / "chk-4").string());
  new_job job(base, restore_mode::claim, 5, 1, "old");
  job.c.sweep_orphans(restored, old.string(), (old / "chk-4" / "_metadata").string());
  BOOST_TEST(!job.c.claimed().has_value()); // not another job's
  BOOST_TEST(fs::exists(old / "chk-4" / "_metadata"));
  job.start();
  job.checkpoint();
  BOOST_TEST(!fs::exists(old / "chk-4"));
  BOOST_TEST(fs::exists(old / "chk-5" / "_metadata"));
  expect_referenced_files_present(old);
}

// discard_claimed_checkpoint deletes only the checkpoint it was given: a
// _metadata that changed on disk (another run wrote chk-<n> again) stays;
// the job's directory goes when nothing is left in it.
BOOST_AUTO_TEST_CASE(a_claimed_checkpoint_that_changed_on_disk_is_not_deleted) {
  temp_dir dir;
  std::string base = (dir.path / "checkpoints").string();
  checkpoint_storage storage(base, "old");
  auto written = run_checkpoints(dir.path, storage, 1, 1);
  fs::path old = storage.job_dir();
  auto other = written.back();
  other.trigger_time += 1;
  auto before = files_under(old);
  orphan_sweep_result r;
  {
    captured_log captured;
    r = discard_claimed_checkpoint(old.string(), other);
    BOOST_TEST(captured.has({"not deleting claimed checkpoint 1", "changed on disk"}),
               captured.all());
  }
  BOOST_TEST(r.removed.empty());
  BOOST_TEST(r.failures.size() == 1u);
  BOOST_TEST(files_under(old) == before);
  r = discard_claimed_checkpoint(old.string(), written.back());
  BOOST_TEST(r.failures.empty(), joined({r.failures.begin(), r.failures.end()}));
  BOOST_TEST(r.files == before.size());
  BOOST_TEST(!fs::exists(old));
  BOOST_TEST(fs::exists(base)); // state.checkpoints.dir itself stays
  // Gone already: nothing to do, a warning.
  r = discard_claimed_checkpoint(old.string(), written.back());
  BOOST_TEST(r.removed.empty());
  BOOST_TEST(r.failures.size() == 1u);
}
