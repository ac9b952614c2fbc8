// Test helpers: a thread-safe collecting sink and temporary directories.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "spate/spate.hpp"
#include "support/temp_dir.hpp"

namespace spate::test {

//! Records every value a sink receives, from any subtask.
template <class T>
struct collected {
  std::mutex mu;
  std::vector<T> values;

  std::vector<T> snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return values;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return values.size();
  }
};

template <class T>
sink_spec<T> collect_into(std::shared_ptr<collected<T>> into) {
  return callback_sink<T>([into](const T& v) {
    std::lock_guard<std::mutex> lock(into->mu);
    into->values.push_back(v);
  });
}

//! A configuration for tests: state under `dir`, small batches, no flush delay.
inline configuration test_config(const std::string& state_dir, int parallelism = 1) {
  configuration c;
  c.set(options::state_dir, state_dir);
  c.set(options::parallelism, std::to_string(parallelism));
  c.set(options::buffer_timeout, "0");
  return c;
}

} // namespace spate::test
