// The `spate` binary: every shipped job, behind the command line.
#include "spate/apps/jobs.hpp"

int main(int argc, char** argv) {
  spate::job_registry registry;
  spate::apps::register_jobs(registry);
  return spate::run_cli(argc, argv, registry);
}
