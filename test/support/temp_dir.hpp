// A temporary directory for a test, removed at scope exit.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace spate::test {

//! A directory under /tmp removed at scope exit.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spate-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

} // namespace spate::test
