// Helpers of the file sink tests: batches, and what a reader of the output
// sees (committed files only).
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "connectors/source_harness.hpp"
#include "spate/api/functions.hpp"
#include "spate/core/error.hpp"

namespace spate::test {

using lines = std::vector<std::string>;
namespace fs = std::filesystem;

inline typed_batch<std::string> batch_of(const lines& values) {
  typed_batch<std::string> b;
  for (const auto& l : values)
    b.push(l, no_timestamp);
  return b;
}

inline lines split_lines(const std::string& text) {
  lines out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t nl = text.find('\n', begin);
    BOOST_REQUIRE_MESSAGE(nl != std::string::npos, "output does not end with a newline");
    out.push_back(text.substr(begin, nl - begin));
    begin = nl + 1;
  }
  return out;
}

// The names in `dir` starting with a dot.
inline std::set<std::string> hidden_files(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string()[0] == '.')
      out.insert(e.path().filename().string());
  return out;
}

// Every line of the visible part files of `dir`, in order of (i, n): the
// files `part-<i>-<n>` of a checkpointed sink and, when `direct`, also the
// `part-<i>` a sink without checkpointing writes (before `part-<i>-<n>`).
// Any other visible file fails the test, and so does an empty part file
// unless `direct` (there a subtask without records leaves one).
inline lines parts_of(const std::string& dir, bool direct) {
  std::map<std::pair<int, long>, std::string> parts; // (i, n) with n = -1 for part-<i>
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name[0] == '.')
      continue;
    int subtask = -1;
    long seq = -1;
    char tail = 0;
    int n = std::sscanf(name.c_str(), "part-%d-%ld%c", &subtask, &seq, &tail);
    if (n == 1 && direct)
      n = std::sscanf(name.c_str(), "part-%d%c", &subtask, &tail) == 1 ? 2 : 0;
    BOOST_REQUIRE_MESSAGE(n == 2 && subtask >= 0, "unexpected visible file " << name);
    parts[{subtask, seq}] = e.path().string();
  }
  lines out;
  for (const auto& [key, file] : parts) {
    lines part = split_lines(read_file(file));
    BOOST_TEST((direct || !part.empty()), "empty part file " << file);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// What a reader of a checkpointed per_subtask directory sees.
inline lines visible_parts(const std::string& dir) { return parts_of(dir, false); }
// The same with the files a sink without checkpointing writes directly.
inline lines all_parts(const std::string& dir) { return parts_of(dir, true); }

// Restores `sink` as subtask `subtask` of `parallelism` from the snapshot
// `old` (one writer per old subtask) as the runtime does: a snapshot keeps an
// operator only when one of its subtasks recorded state (the coordinator
// leaves stateless ones out), and a task restores only the operators the
// snapshot has. True when initialize_state() was called.
inline bool restore_as_the_runtime(sink_function<std::string>& sink,
                                   const std::vector<operator_state_writer>& old, int subtask,
                                   int parallelism) {
  bool recorded = false;
  for (const auto& w : old)
    recorded = recorded || !w.entries().empty();
  if (recorded)
    sink.initialize_state(restore_reader(old, subtask, parallelism));
  return recorded;
}

// The committed content of a merged output file.
inline lines visible_merged(const std::string& path) {
  return fs::exists(path) ? split_lines(read_file(path)) : lines{};
}

inline lines sorted(lines v) {
  std::sort(v.begin(), v.end());
  return v;
}

inline lines concat(lines a, const lines& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Writes `n` records "<tag>-<k>" (k counting on from `counter`), in a few batches.
inline lines write_records(sink_function<std::string>& sink, const std::string& tag, int n,
                           int& counter, std::mt19937_64& rng) {
  lines all;
  while (n > 0) {
    int in_batch = std::min(n, 1 + static_cast<int>(rng() % 8));
    lines batch;
    for (int k = 0; k < in_batch; ++k)
      batch.push_back(tag + "-" + std::to_string(counter++));
    sink.write(batch_of(batch));
    all.insert(all.end(), batch.begin(), batch.end());
    n -= in_batch;
  }
  return all;
}

inline bool names_file(const spate::error& e, const std::string& file) {
  BOOST_TEST_MESSAGE(e.what());
  return std::string(e.what()).find("'" + file + "'") != std::string::npos;
}

// Every file of `dir` (hidden ones too, not recursive) and its bytes.
inline std::map<std::string, std::string> dir_contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file())
      out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

// The refusal of a new job to overwrite committed output of an earlier run:
// errc::failed_precondition naming `path` and the ways out.
inline bool refuses_earlier_output(const spate::error& e, const std::string& path) {
  std::string what = e.what();
  return e.code() == errc::failed_precondition && names_file(e, path) &&
         what.find("earlier run") != std::string::npos &&
         what.find("remove") != std::string::npos && what.find("with -s") != std::string::npos;
}

} // namespace spate::test
