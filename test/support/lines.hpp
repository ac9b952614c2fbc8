// Text lines in and out of files, for tests that run a job over files and compare its output
// with a reference.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace spate::test {

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

//! Every line of the visible files under `dir` (a file sink's part files; names starting
//! with '.' are its staging files).
inline std::vector<std::string> read_lines(const std::string& dir) {
  std::vector<std::string> lines;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file() || f.path().filename().string()[0] == '.')
      continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  return lines;
}

//! Writes `lines` to `path`, each ended by a newline.
inline void write_file(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines)
    out << l << "\n";
}

} // namespace spate::test
