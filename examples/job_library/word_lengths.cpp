// A job library: a shared object that brings its own jobs to a spate
// cluster (or to `spate local`) without rebuilding spate.
//
//   spate run  build/lib/libspate_example_jobs.so:word_lengths -p 4
//   spate local build/lib/libspate_example_jobs.so:word_lengths
//
// Every process that runs the job (the JobManager and each TaskManager)
// loads the library from the same path and calls spate_register_jobs.
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>

#include "spate/cluster/job_registry.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"

namespace {

using length_count = std::pair<std::int64_t, std::int64_t>;

spate::stream<std::string> word_lengths(spate::stream<std::string> lines) {
  return lines
      .flat_map([](const std::string& line, spate::collector<length_count>& out) {
        std::int64_t run = 0;
        for (char c : line + " ") {
          if (std::isspace(static_cast<unsigned char>(c))) {
            if (run > 0)
              out.collect({run, 1});
            run = 0;
          } else {
            ++run;
          }
        }
      })
      .name("Word Lengths")
      .key_by([](const length_count& lc) { return lc.first; })
      .sum(&length_count::second)
      .uid("word-lengths-counts")
      .map([](const length_count& lc) {
        return "length=" + std::to_string(lc.first) + " words=" + std::to_string(lc.second);
      })
      .name("Format");
}

} // namespace

extern "C" __attribute__((visibility("default"))) void
spate_register_jobs(spate::job_registry& registry) {
  spate::job_definition job;
  job.name = "word_lengths";
  job.description = "running count of words per word length (from a job library)";
  job.default_input = "generator:rate=5";
  job.build = [](spate::job_setup& setup) {
    if (!setup.args.empty())
      throw spate::error(spate::errc::invalid_argument,
                         "word_lengths takes no job arguments, got '" + setup.args.front() + "'");
    setup.write_output(word_lengths(setup.input_lines(spate::text_line_generator)));
  };
  registry.add(std::move(job));
}
