// A job library whose loading leaves a mark: its static constructor writes
// the file $SPATE_TEST_MARKER names. The REST security tests check that a
// refused submission never loads it.
#include <cstdlib>
#include <fstream>

namespace spate {
class job_registry;
}

namespace {

struct marker {
  marker() {
    if (const char* path = std::getenv("SPATE_TEST_MARKER"))
      std::ofstream(path) << "loaded\n";
  }
} loaded;

} // namespace

//! Registers no job: a submission that loads it fails after the mark.
extern "C" __attribute__((visibility("default"))) void spate_register_jobs(spate::job_registry&) {}
