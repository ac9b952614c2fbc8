#define BOOST_TEST_MODULE recovery
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace spate::test;
namespace fs = std::filesystem;

namespace {

//! Final count per word in a directory or file of wordcount JSON lines
//! (visible files only: hidden ones are uncommitted), and the line count.
std::map<std::string, std::int64_t> final_counts(const fs::path& out, std::size_t& lines) {
  std::map<std::string, std::int64_t> counts;
  std::vector<fs::path> files;
  if (fs::is_directory(out)) {
    for (auto& e : fs::directory_iterator(out))
      if (e.path().filename().string()[0] != '.')
        files.push_back(e.path());
  } else {
    files.push_back(out);
  }
  lines = 0;
  for (auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      auto& c = counts[j.at("word").get<std::string>()];
      c = std::max(c, j.at("count").get<std::int64_t>());
      ++lines;
    }
  }
  return counts;
}

//! Waits (polling the file system) until `dir` holds a completed checkpoint.
fs::path await_checkpoint(const fs::path& dir, std::chrono::seconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (fs::exists(dir))
      for (auto& job : fs::directory_iterator(dir))
        for (auto& chk : fs::directory_iterator(job.path()))
          if (fs::exists(chk.path() / "_metadata"))
            return job.path();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

std::vector<std::string> wordcount_args(const std::string& input, const std::string& output,
                                        int parallelism) {
  return {bin_dir() + "/spate",
          "local",
          "wordcount",
          "-p",
          std::to_string(parallelism),
          "--input",
          input,
          "--output",
          output};
}

//! Writes `lines` lines of six words from a small vocabulary (the same text
//! every run) to `path`; returns the count of each word and sets `words`.
std::map<std::string, std::int64_t> write_words(const fs::path& path, int lines,
                                                std::size_t& words) {
  const char* vocabulary[] = {"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"};
  std::map<std::string, std::int64_t> expected;
  std::ofstream f(path);
  std::uint64_t x = 88172645463325252ull; // xorshift
  words = 0;
  for (int line = 0; line < lines; ++line) {
    for (int w = 0; w < 6; ++w) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const char* word = vocabulary[x % 7];
      f << (w ? " " : "") << word;
      ++expected[word];
      ++words;
    }
    f << '\n';
  }
  return expected;
}

} // namespace

// The process is killed with SIGKILL mid-run; running the job again from its
// retained checkpoint gives the same committed output as a run without kill.
BOOST_AUTO_TEST_CASE(sigkill_then_resume_from_the_retained_checkpoint) {
  temp_dir dir;
  const std::string input = "generator:seed=11,count=3000,rate=1500";
  auto reference =
      run_spate({"local", "wordcount", "-p", "2", "--input", "generator:seed=11,count=3000",
                 "--output", "files:" + (dir.path / "reference").string()});
  BOOST_REQUIRE_MESSAGE(reference.exit_code == 0, reference.err);

  auto out = dir.path / "out";
  auto checkpoints = dir.path / "checkpoints";
  std::vector<std::string> conf = {
      "-D", "execution.checkpointing.interval=100 ms",
      "-D", "state.checkpoints.dir=" + checkpoints.string(),
      "-D", "state.backend.rocksdb.localdir=" + (dir.path / "rocksdb").string()};
  auto args = wordcount_args(input, "files:" + out.string(), 2);
  args.insert(args.end(), conf.begin(), conf.end());
  fs::path job_dir;
  {
    child_process p(args);
    job_dir = await_checkpoint(checkpoints, std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(!job_dir.empty(), "no checkpoint completed");
    p.signal(SIGKILL);
    auto r = p.finish();
    BOOST_TEST(r.exit_code == 128 + SIGKILL);
  }
  std::size_t lines_before = 0;
  final_counts(out, lines_before);
  BOOST_TEST_MESSAGE("committed before the kill: " << lines_before << " lines");

  auto resumed = wordcount_args(input, "files:" + out.string(), 2);
  resumed.insert(resumed.end(), conf.begin(), conf.end());
  resumed.push_back("--from-savepoint");
  resumed.push_back(job_dir.string());
  child_process p(resumed);
  auto r = p.finish();
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::size_t ref_lines = 0, got_lines = 0;
  auto expected = final_counts(dir.path / "reference", ref_lines);
  auto got = final_counts(out, got_lines);
  BOOST_TEST(got_lines == ref_lines); // no record twice, none lost
  BOOST_TEST(got == expected);
}

BOOST_AUTO_TEST_CASE(savepoint_on_exit_then_restore_at_another_parallelism) {
  temp_dir dir;
  auto savepoints = dir.path / "savepoints";
  auto first_out = dir.path / "first";
  std::string savepoint;
  {
    auto args = wordcount_args("generator:seed=5,rate=2000", "files:" + first_out.string(), 2);
    args.insert(args.end(), {"--savepoint-on-exit", savepoints.string()});
    child_process p(args);
    // Once counts reach the output the job runs; stop it with a savepoint.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool running = false;
    while (!running && std::chrono::steady_clock::now() < until) {
      std::size_t lines = 0;
      try {
        if (fs::exists(first_out))
          final_counts(first_out, lines);
      } catch (const std::exception&) {
        // a line still being written: look again
      }
      running = lines > 100;
      if (!running)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_REQUIRE(running);
    p.signal(SIGINT);
    auto r = p.finish();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto at = r.err.find("spate: savepoint ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, r.err);
    savepoint = r.err.substr(at + 17, r.err.find('\n', at) - at - 17);
  }
  BOOST_REQUIRE(fs::exists(fs::path(savepoint) / "_metadata"));
  // Resume at parallelism 3 up to 4000 lines in all: the final counts equal
  // those of one uninterrupted bounded run.
  auto out = dir.path / "second";
  auto r = run_spate({"local", "wordcount", "-p", "3", "--input", "generator:seed=5,count=4000",
                      "--output", "files:" + out.string(), "--from-savepoint", savepoint});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto ref = run_spate({"local", "wordcount", "--input", "generator:seed=5,count=4000", "--output",
                        "file:" + (dir.path / "ref.jsonl").string()});
  BOOST_REQUIRE(ref.exit_code == 0);
  std::size_t a = 0, b = 0;
  auto expected = final_counts(dir.path / "ref.jsonl", a);
  auto got = final_counts(out, b);
  BOOST_TEST(got == expected);
  BOOST_TEST(b < a); // the second run only counted what the first had not read
}

// The run: one input file at parallelism 4, so three source subtasks
// have nothing to read and finish at once. Checkpoints still complete, and
// SIGTERM stops the job with a savepoint; resumed at parallelism 2 the
// output is exactly that of one pass (counted here, independently).
BOOST_AUTO_TEST_CASE(one_file_at_parallelism_4_checkpoints_and_stops_with_a_savepoint) {
  temp_dir dir;
  auto input = dir.path / "words.txt";
  std::size_t words = 0;
  auto expected = write_words(input, 600000, words);
  auto out = dir.path / "out";
  auto checkpoints = dir.path / "checkpoints";
  std::vector<std::string> conf = {
      "-D", "execution.checkpointing.interval=100 ms",
      "-D", "state.checkpoints.dir=" + checkpoints.string(),
      "-D", "state.backend.rocksdb.localdir=" + (dir.path / "rocksdb").string()};
  std::string savepoint;
  {
    auto args = wordcount_args("file:" + input.string(), "files:" + out.string(), 4);
    args.insert(args.end(), conf.begin(), conf.end());
    args.insert(args.end(), {"--savepoint-on-exit", (dir.path / "sp").string()});
    child_process p(args);
    // Before checkpoints after finished tasks, none ever completed here.
    BOOST_REQUIRE_MESSAGE(!await_checkpoint(checkpoints, std::chrono::seconds(20)).empty(),
                          "no checkpoint completed");
    p.signal(SIGTERM);
    auto r = p.finish();
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto at = r.err.find("spate: savepoint ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, r.err);
    savepoint = r.err.substr(at + 17, r.err.find('\n', at) - at - 17);
  }
  auto resumed = wordcount_args("file:" + input.string(), "files:" + out.string(), 2);
  resumed.insert(resumed.end(), conf.begin(), conf.end());
  resumed.insert(resumed.end(), {"--from-savepoint", savepoint});
  child_process p(resumed);
  auto r = p.finish();
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::size_t lines = 0;
  auto got = final_counts(out, lines);
  BOOST_TEST(lines == words); // one update per word: none twice, none lost
  BOOST_TEST(got == expected);
}

BOOST_AUTO_TEST_CASE(bad_restore_paths_exit_2_naming_them) {
  temp_dir dir;
  auto r = run_spate({"local", "wordcount", "--input", "generator:count=10", "--output", "discard",
                      "--from-savepoint", (dir.path / "missing").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("missing") != std::string::npos, r.err);
  fs::create_directories(dir.path / "sp");
  std::ofstream(dir.path / "sp" / "_metadata") << "not a savepoint";
  r = run_spate({"local", "wordcount", "--input", "generator:count=10", "--output", "discard",
                 "--from-savepoint", (dir.path / "sp").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("sp/_metadata") != std::string::npos, r.err);
}

// Named crash points: the process kills itself (SIGKILL) at a step of a
// checkpoint or of a commit; resumed from its checkpoint directory, the
// output is exactly one pass: nothing lost, nothing twice.
BOOST_AUTO_TEST_CASE(a_crash_at_each_named_point_loses_and_repeats_nothing) {
  for (const char* point : {"before-metadata", "after-metadata", "during-commit"}) {
    BOOST_TEST_CONTEXT("crash point " << point) {
      temp_dir dir;
      auto input = dir.path / "words.txt";
      std::size_t words = 0;
      // Long enough (3.6 M words) that the job is still running at its third checkpoint, 20 ms
      // apart, on a loaded machine and a fast one alike.
      auto expected = write_words(input, 600000, words);
      auto out = dir.path / "out";
      auto checkpoints = dir.path / "checkpoints";
      std::vector<std::string> conf = {
          "-D", "execution.checkpointing.interval=20 ms",
          "-D", "state.checkpoints.dir=" + checkpoints.string(),
          "-D", "state.backend.rocksdb.localdir=" + (dir.path / "rocksdb").string()};
      auto args = wordcount_args("file:" + input.string(), "files:" + out.string(), 2);
      args.insert(args.end(), conf.begin(), conf.end());
      args.insert(args.begin(), {"/usr/bin/env", std::string("SPATE_CRASH_POINT=") + point + ":3"});
      auto crashed = child_process(args).finish();
      BOOST_TEST(crashed.exit_code == 128 + SIGKILL, crashed.err);
      BOOST_TEST(crashed.err.find(std::string("crash point '") + point + "' reached") !=
                 std::string::npos);
      fs::path job_dir;
      for (auto& job : fs::directory_iterator(checkpoints))
        job_dir = job.path();
      BOOST_REQUIRE(!job_dir.empty());
      auto resumed = wordcount_args("file:" + input.string(), "files:" + out.string(), 2);
      resumed.insert(resumed.end(), conf.begin(), conf.end());
      resumed.insert(resumed.end(), {"--from-savepoint", job_dir.string()});
      auto r = child_process(resumed).finish();
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      std::size_t lines = 0;
      auto got = final_counts(out, lines);
      BOOST_TEST(lines == words);
      BOOST_TEST(got == expected);
    }
  }
}

// Restore modes (execution.savepoint-restore-mode, --restoreMode): who owns
// the crashed run's checkpoint directory once another job resumed from it.
namespace {

//! A run of wordcount over a file that kills itself once every subtask
//! acknowledged its third checkpoint, before that checkpoint's _metadata
//! (SPATE_CRASH_POINT=before-metadata:3): its directory holds complete
//! checkpoints and the orphans of the third.
struct crashed_run {
  spate::test::temp_dir dir;
  fs::path input = dir.path / "words.txt";
  std::size_t words = 0;
  std::map<std::string, std::int64_t> expected;
  fs::path out = dir.path / "out";
  fs::path checkpoints = dir.path / "checkpoints";
  std::vector<std::string> conf = {
      "-D", "execution.checkpointing.interval=20 ms",
      "-D", "state.checkpoints.dir=" + checkpoints.string(),
      "-D", "state.backend.rocksdb.localdir=" + (dir.path / "rocksdb").string()};
  fs::path job_dir;

  crashed_run() {
    // Long enough that the job is still running at its third checkpoint (as above).
    expected = write_words(input, 600000, words);
    auto args = wordcount_args("file:" + input.string(), "files:" + out.string(), 2);
    args.insert(args.end(), conf.begin(), conf.end());
    args.insert(args.begin(), {"/usr/bin/env", "SPATE_CRASH_POINT=before-metadata:3"});
    auto crashed = child_process(args).finish();
    BOOST_TEST_REQUIRE(crashed.exit_code == 128 + SIGKILL, crashed.err);
    for (auto& job : fs::directory_iterator(checkpoints))
      job_dir = job.path();
    BOOST_TEST_REQUIRE(!job_dir.empty());
    BOOST_TEST_REQUIRE(!incomplete().empty()); // what the crash left: the test's premise
  }

  //! chk-<n> directories without _metadata.
  std::vector<std::string> incomplete() const {
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(job_dir))
      if (e.path().filename().string().rfind("chk-", 0) == 0 && !fs::exists(e.path() / "_metadata"))
        names.push_back(e.path().filename().string());
    return names;
  }

  //! Resumes from the crashed run's directory (its newest complete
  //! checkpoint) with `extra` options; the output must be exactly one pass.
  process_result resume(const std::vector<std::string>& extra) {
    auto args = wordcount_args("file:" + input.string(), "files:" + out.string(), 2);
    args.insert(args.end(), conf.begin(), conf.end());
    args.insert(args.end(), {"--from-savepoint", job_dir.string()});
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = child_process(args).finish();
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
    std::size_t lines = 0;
    auto got = final_counts(out, lines);
    BOOST_TEST(lines == words); // nothing lost, nothing twice
    BOOST_TEST(got == expected);
    return r;
  }
};

//! Every file and link below `dir` (relative) with its size and a hash of
//! its bytes; directories with size -1.
std::map<std::string, std::pair<std::int64_t, std::size_t>> listing(const fs::path& dir) {
  std::map<std::string, std::pair<std::int64_t, std::size_t>> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    auto rel = it->path().lexically_relative(dir).generic_string();
    if (fs::is_directory(it->symlink_status())) {
      out[rel] = {-1, 0};
      continue;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out[rel] = {static_cast<std::int64_t>(bytes.size()), std::hash<std::string>{}(bytes)};
  }
  return out;
}

} // namespace

// CLAIM: the resumed job sweeps the crashed run's directory when it starts
// and deletes the checkpoint it restored once one of its own completed
// (state.checkpoints.num-retained=1): that directory held nothing else, so
// it is gone. The resumed job's own checkpoints never named its files (its
// output is still exactly one pass).
BOOST_AUTO_TEST_CASE(claim_sweeps_the_crashed_run_s_directory_and_deletes_the_restored_checkpoint) {
  crashed_run crashed;
  auto r = crashed.resume({"--restoreMode", "claim"});
  BOOST_TEST(r.err.find("restore mode CLAIM") != std::string::npos, r.err);
  std::string left;
  if (fs::exists(crashed.job_dir))
    for (auto& entry : listing(crashed.job_dir))
      left += entry.first + " ";
  BOOST_TEST(!fs::exists(crashed.job_dir), "left in the crashed run's directory: " << left);
  // The resumed job's own directory: its retained checkpoint, complete.
  std::size_t others = 0;
  for (auto& job : fs::directory_iterator(crashed.checkpoints)) {
    ++others;
    for (auto& chk : fs::directory_iterator(job.path()))
      if (chk.path().filename() != "shared")
        BOOST_TEST(fs::exists(chk.path() / "_metadata"), chk.path());
  }
  BOOST_TEST(others == 1u);
}

// NO_CLAIM, the default (and LEGACY, the same in spate): the crashed run's
// directory stays exactly as it was, orphans included, byte for byte.
BOOST_AUTO_TEST_CASE(no_claim_leaves_the_crashed_run_s_directory_untouched) {
  for (std::vector<std::string> mode :
       {std::vector<std::string>{}, std::vector<std::string>{"--restoreMode", "LEGACY"}}) {
    BOOST_TEST_CONTEXT("restore mode " << (mode.empty() ? "default" : mode[1])) {
      crashed_run crashed;
      auto before = listing(crashed.job_dir);
      crashed.resume(mode);
      BOOST_TEST((listing(crashed.job_dir) == before));
      BOOST_TEST(!crashed.incomplete().empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_bad_restore_mode_exits_2_naming_it) {
  auto r = run_spate({"local", "wordcount", "--input", "generator:count=10", "--output", "discard",
                      "--restoreMode", "bogus"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("--restoreMode: 'bogus'") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("CLAIM, NO_CLAIM or LEGACY") != std::string::npos, r.err);
  r = run_spate({"local", "wordcount", "--input", "generator:count=10", "--output", "discard", "-D",
                 "execution.savepoint-restore-mode=no-claim"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("execution.savepoint-restore-mode") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("'no-claim'") != std::string::npos, r.err);
  // Refused before the JobManager is asked (none listens here: that would be 3).
  r = run_spate({"run", "wordcount", "-m", "127.0.0.1:1", "--restoreMode", "clam"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("'clam'") != std::string::npos, r.err);
  // Any case is fine.
  r = run_spate({"local", "wordcount", "--input", "generator:count=10", "--output", "discard",
                 "--restoreMode", "No_Claim"});
  BOOST_TEST(r.exit_code == 0, r.err);
}
