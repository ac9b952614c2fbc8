// A job library for the cluster tests: "stuck", whose map blocks forever in user
// code while the file named by its job argument exists (and says so by
// writing that name + ".entered"), so a cancel never reaches the task
// (task.cancellation.timeout); and "slow", whose map back-pressures its
// source (task metrics).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "spate/cluster/job_registry.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"

extern "C" __attribute__((visibility("default"))) void
spate_register_jobs(spate::job_registry& registry) {
  spate::job_definition job;
  job.name = "stuck";
  job.description = "blocks in user code once the file given as job argument exists (tests)";
  job.default_input = "generator:rate=100";
  job.build = [](spate::job_setup& setup) {
    if (setup.args.size() != 1)
      throw spate::error(spate::errc::invalid_argument, "stuck takes the path of a file");
    auto marker = setup.args.front();
    // Over a network edge: the map is a task of its own, and the source's
    // records out show that the map has input.
    setup.write_output(setup.input_lines(spate::text_line_generator)
                           .rebalance()
                           .map([marker](const std::string& line) {
                             if (std::filesystem::exists(marker)) // the test's switch
                               std::ofstream(marker + ".entered") << "stuck in user code";
                             while (std::filesystem::exists(marker))
                               std::this_thread::sleep_for(std::chrono::milliseconds(5));
                             return line;
                           })
                           .name("Stuck"));
  };
  registry.add(std::move(job));

  // "slow": a map that takes 1 ms per record behind a rebalance, so its
  // source waits for credit (back pressure) and, at parallelism 2 on two
  // TaskManagers, sends to the other one (bytes over the mesh).
  spate::job_definition slow;
  slow.name = "slow";
  slow.description = "a map sleeping 1 ms per record behind a fast source (tests)";
  slow.default_input = "generator:rate=100000";
  slow.build = [](spate::job_setup& setup) {
    setup.write_output(setup.input_lines(spate::text_line_generator)
                           .rebalance()
                           .map([](const std::string& line) {
                             std::this_thread::sleep_for(std::chrono::milliseconds(1));
                             return line;
                           })
                           .name("Slow"));
  };
  registry.add(std::move(slow));
}
