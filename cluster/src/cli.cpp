#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "client.hpp"
#include "progress.hpp"
#include "sql_client.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/cluster/cluster.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/cluster/job_registry.hpp"
#include "spate/connectors/io_spec.hpp"
#include "spate/connectors/print_sink.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/sqlrt/table_environment.hpp"
#include "spate/transport/mesh_security.hpp"

namespace spate {

namespace {

using cluster_detail::exit_failed;
using cluster_detail::exit_ok;
using cluster_detail::exit_usage;

std::atomic<int> stop_signal{0};

extern "C" void on_stop_signal(int sig) { stop_signal.store(sig); }

struct local_options {
  std::string job;
  int parallelism = 0;
  int max_parallelism = 0;
  std::string input;
  std::vector<std::string> outputs;
  std::vector<std::string> config;
  std::string from_savepoint;
  bool allow_non_restored_state = false;
  std::string restore_mode;
  std::string savepoint_on_exit;
  bool no_progress = false;
};

//! How many records `input` holds, when the spec says (a generator with a
//! count); none otherwise.
std::optional<std::int64_t> bounded_input_records(const std::string& input) {
  if (input.empty())
    return std::nullopt;
  try {
    auto spec = parse_input_spec(input);
    if (spec.kind == input_spec::generator)
      return spec.gen.count;
  } catch (const error&) { // already refused with its message before the job started
  }
  return std::nullopt;
}

//! The progress line goes to a terminal that can erase a line only.
bool progress_wanted(const local_options& o) {
  if (o.no_progress || isatty(STDERR_FILENO) == 0)
    return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

//! --restoreMode's help (Flink's -restoreMode of `flink run`).
constexpr const char* restore_mode_help =
    "Who owns the files of the snapshot given with -s: NO_CLAIM (default: never deleted), "
    "CLAIM (a retained checkpoint becomes the job's: its directory's orphans are swept and it "
    "is deleted once subsumed; savepoints are never deleted) or LEGACY (as NO_CLAIM); any case";

int list_jobs(const job_registry& jobs) {
  std::size_t width = 0;
  for (auto& [name, job] : jobs.all())
    width = std::max(width, name.size());
  for (auto& [name, job] : jobs.all())
    std::cout << name << std::string(width - name.size() + 2, ' ') << job.description << "\n";
  return exit_ok;
}

int run_local(const local_options& o, const std::vector<std::string>& job_args,
              job_registry& jobs) {
  job_request reference;
  try {
    reference = parse_job_reference(o.job);
  } catch (const error& e) { // the working directory is gone
    std::cerr << "spate: " << e.what() << "\n";
    return exit_failed;
  }
  if (reference.library.empty() && !jobs.find(o.job)) {
    std::cerr << "spate: unknown job '" << o.job << "' (spate jobs lists them)\n";
    return exit_usage;
  }
  // On a terminal: one line of progress on stderr, erased before every log
  // line, and before every line the job prints when stdout is a terminal too.
  std::shared_ptr<cluster_detail::progress_line> progress;
  if (progress_wanted(o)) {
    progress = std::make_shared<cluster_detail::progress_line>(stderr);
    cluster_detail::erase_before_log_lines(progress);
    if (isatty(STDOUT_FILENO) != 0)
      set_stdout_write_hook([progress] { progress->erase(); });
  }
  std::unique_ptr<job_client> client;
  std::string name = o.job;
  try {
    configuration cfg;
    for (auto& kv : o.config)
      cfg.set_from_assignment(kv);
    if (o.parallelism != 0)
      cfg.set(options::parallelism, std::to_string(o.parallelism));
    if (o.max_parallelism != 0)
      cfg.set(options::max_parallelism, std::to_string(o.max_parallelism));
    if (!o.restore_mode.empty()) // over -D execution.savepoint-restore-mode
      cfg.set(options::savepoint_restore_mode,
              to_string(parse_restore_mode(o.restore_mode, "--restoreMode")));
    environment env(cfg);
    job_request request = reference;
    request.input = o.input;
    if (!o.outputs.empty()) {
      request.output = o.outputs.front();
      request.extra_outputs.assign(o.outputs.begin() + 1, o.outputs.end());
    }
    request.args = job_args;
    name = build_job(jobs, request, env);
    start_options so;
    so.restore_path = o.from_savepoint;
    so.allow_non_restored_state = o.allow_non_restored_state;
    client = std::make_unique<job_client>(env.execute_async(name, so));
  } catch (const error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return e.code() == errc::invalid_argument || e.code() == errc::not_found ||
                   e.code() == errc::io || e.code() == errc::corrupt
               ? exit_usage
               : exit_failed;
  }

  // The Prometheus endpoint (-D metrics.reporter.prom.port), which the job
  // started: the process's gauges, the job's and its subtasks' (tm_id "local").
  if (auto url = prometheus_endpoint_url(); !url.empty()) {
    std::printf("spate local metrics: %s\n", url.c_str());
    std::fflush(stdout);
  }

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  bool cancel_sent = false;
  auto started = std::chrono::steady_clock::now();
  auto drawn = started;
  cluster_detail::progress_meter meter(bounded_input_records(o.input));
  while (!client->wait_for(std::chrono::milliseconds(100))) {
    auto now = std::chrono::steady_clock::now();
    if (progress && stop_signal.load() == 0 && now - drawn >= std::chrono::seconds(1)) {
      drawn = now;
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
      progress->show(cluster_detail::format_progress(meter.read(*client, elapsed)));
    }
    if (stop_signal.load() != 0 && !cancel_sent) {
      cancel_sent = true;
      if (progress)
        progress->stop();
      if (!o.savepoint_on_exit.empty()) {
        spate::log().info("stopping job {} ({}) with a savepoint", name, client->job_id());
        try {
          auto path = client->stop(o.savepoint_on_exit, false);
          std::cout.flush();
          std::cerr << "spate: savepoint " << path << "\n";
        } catch (const std::exception& e) {
          std::cerr << "spate: savepoint failed: " << e.what() << "\n";
          client->cancel();
          client->wait();
          return exit_failed;
        }
      } else {
        spate::log().info("stopping job {} ({})", name, client->job_id());
        client->cancel();
      }
    }
  }
  if (progress)
    progress->stop();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  auto r = client->wait();
  if (const auto* def = jobs.find(name); def && def->after_local_run)
    def->after_local_run(*client, r, job_args);
  client.reset(); // stops the actor system
  switch (r.status) {
    case job_status::finished:
      spate::log().info("job {} ({}) FINISHED in {} ms", name, r.job_id, r.net_runtime.count());
      return exit_ok;
    case job_status::canceled:
      spate::log().info("job {} ({}) CANCELED after {} ms", name, r.job_id, r.net_runtime.count());
      return exit_ok;
    default:
      std::cerr << "spate: job " << name << " (" << r.job_id << ") " << to_string(r.status) << ": "
                << r.failure_cause << "\n";
      return exit_failed;
  }
}

using sql_options = cluster_detail::sql_client_options;

//! `spate sql -e "..." | -f script.sql` (embedded): the statements run here, in order; a
//! query's rows print as a changelog ("+I[a, b]") as they arrive. Without -e/-f, or with -m,
//! the SQL client (sql_client.cpp) takes them.
int run_sql(const sql_options& o) {
  if (o.remote || (o.execute.empty() && o.file.empty()))
    return cluster_detail::run_sql_client(o);
  if (!o.execute.empty() && !o.file.empty()) {
    std::cerr << "spate: sql takes -e STATEMENTS or -f FILE, not both\n";
    return exit_usage;
  }
  std::string text = o.execute;
  if (!o.file.empty()) {
    std::ifstream in(o.file);
    if (!in) {
      std::cerr << "spate: cannot read '" << o.file << "'\n";
      return exit_usage;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  try {
    configuration cfg;
    for (auto& kv : o.config)
      cfg.set_from_assignment(kv);
    if (o.parallelism != 0)
      cfg.set(options::parallelism, std::to_string(o.parallelism));
    sql::table_environment t(cfg);
    t.on_query_row([](const std::string& line) { write_stdout(line + "\n"); });
    t.execute_script(text, [](const sql::table_result& r) {
      switch (r.type) {
        case sql::table_result::kind::ok:
          std::cout << "[INFO] Execute statement succeed.\n";
          break;
        case sql::table_result::kind::table: {
          for (std::size_t i = 0; i < r.columns.size(); ++i)
            std::cout << (i ? "\t" : "") << r.columns[i];
          std::cout << "\n";
          for (const auto& row : r.rows) {
            for (std::size_t i = 0; i < row.size(); ++i)
              std::cout << (i ? "\t" : "") << row[i];
            std::cout << "\n";
          }
          break;
        }
        case sql::table_result::kind::job:
          if (!r.query)
            std::cout << "[INFO] Job " << r.job->job_id() << " finished.\n";
          break;
      }
      std::cout.flush();
    });
    return exit_ok;
  } catch (const error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return e.code() == errc::invalid_argument ? exit_usage : exit_failed;
  }
}

} // namespace

int run_cli(int argc, char** argv, job_registry& jobs) {
  // Arguments after "--" belong to the job, not to us.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> job_args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      job_args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      args.resize(i);
      break;
    }
  }

  CLI::App app{"spate: stream processing without a JVM"};
  app.require_subcommand(1);
  auto* jobs_cmd = app.add_subcommand("jobs", "List the registered jobs");
  local_options lo;
  auto* local = app.add_subcommand("local", "Run a registered job in this process");
  local
      ->add_option("job", lo.job,
                   "Registered job (spate jobs lists them), or a job library: PATH.so[:job]")
      ->required();
  local->add_option("-p,--parallelism", lo.parallelism, "Default parallelism of every operator")
      ->check(CLI::Range(1, upper_max_parallelism));
  local
      ->add_option("--max-parallelism", lo.max_parallelism,
                   "Number of key groups: the upper bound for rescaling (default 128)")
      ->check(CLI::Range(1, upper_max_parallelism));
  local->add_option("--input", lo.input,
                    "generator[:seed=N,count=N,rate=R] | file:PATH | socket:HOST:PORT | "
                    "kafka://HOST:PORT/TOPIC[?OPTIONS]");
  local->add_option("--output", lo.outputs,
                    "print | file:PATH | files:DIR | discard | kafka://HOST:PORT/TOPIC[?OPTIONS] | "
                    "redis://[:PASSWORD@]HOST:PORT[/DB]?OPTIONS (may be given several times)");
  local->add_option("-D", lo.config, "Configuration key=value (Flink's key names)");
  local->add_option("-s,--from-savepoint", lo.from_savepoint,
                    "Start from a savepoint or retained checkpoint (_metadata, chk-<n> or the "
                    "job's checkpoint directory)");
  local->add_flag("-n,--allow-non-restored-state", lo.allow_non_restored_state,
                  "Skip snapshot state that matches no operator of the job");
  local->add_option("--restoreMode", lo.restore_mode, restore_mode_help);
  local->add_option("--savepoint-on-exit", lo.savepoint_on_exit,
                    "On SIGINT/SIGTERM, stop with a savepoint under this directory");
  local->add_flag("--no-progress", lo.no_progress,
                  "No progress line on stderr (shown only when stderr is a terminal)");

  sql_options sqlo;
  auto* sql_cmd = app.add_subcommand(
      "sql", "Flink's SQL client: interactive, or a script (-e, -f, stdin); embedded or on a "
             "cluster (-m)");
  sql_cmd->add_option("-e,--execute", sqlo.execute, "Statements to run, each ending in ';'");
  sql_cmd->add_option("-f,--file", sqlo.file, "A SQL script to run");
  sql_cmd->add_option("-p,--parallelism", sqlo.parallelism, "Default parallelism of the jobs")
      ->check(CLI::Range(1, upper_max_parallelism));
  sql_cmd->add_option("-D", sqlo.config, "Configuration key=value (Flink's key names)");
  auto* sql_remote =
      sql_cmd
          ->add_option("-m,--jobmanager", sqlo.jobmanager,
                       "Submit INSERTs to the cluster whose REST API is at host:port (without "
                       "a value: rest.address and rest.port of spate.yaml)")
          ->expected(0, 1);
  sql_cmd->add_option("--config-dir", sqlo.config_dir,
                      "Directory of spate.yaml (rest.address, rest.port), with -m");
  sql_cmd->footer(
      "Without -e/-f on a terminal: the interactive client (readline, history in "
      "~/.spate_sql_history, statements end with ';', HELP; lists the commands, QUIT; leaves; "
      "SET 'sql-client.execution.result-mode' = 'tableau' | 'changelog' | 'table'). From a "
      "pipe: the statements of stdin, stopping at the first error. Embedded, INSERT INTO and "
      "queries run as jobs here, one after the other. With -m, DDL and SET stay in the "
      "session and each INSERT (or statement set) is submitted to the cluster as a job; "
      "SELECT is refused there.");

  // The cluster: processes and the commands that talk to its REST API.
  std::string config_dir;
  std::vector<std::string> process_config;
  auto* jm_cmd = app.add_subcommand("jobmanager", "Run a JobManager (REST API, job masters)");
  auto* tm_cmd = app.add_subcommand("taskmanager", "Run a TaskManager (task slots)");
  for (auto* c : {jm_cmd, tm_cmd}) {
    c->add_option("--config-dir", config_dir,
                  "Directory of spate.yaml (default: $SPATE_CONF_DIR or ./conf)");
    c->add_option("-D", process_config, "Configuration key=value over spate.yaml");
  }
  cluster_detail::client_options co;
  auto add_target = [&](CLI::App* c) {
    c->add_option("-m,--jobmanager", co.jobmanager, "REST address of the JobManager, host:port");
    c->add_option("--config-dir", co.config_dir,
                  "Directory of spate.yaml (rest.address, rest.port)");
    if (c->get_name() != "run")
      c->add_option("-D", co.config, "Configuration key=value over spate.yaml");
  };
  auto* run_cmd = app.add_subcommand("run", "Submit a job to the cluster");
  add_target(run_cmd);
  run_cmd->add_option("job", co.job, "Registered job, or a job library: PATH.so[:job]");
  std::string run_sql_file;
  run_cmd->add_option("--sql", run_sql_file,
                      "A SQL script instead of a job: its INSERT INTO statements (and statement "
                      "sets) run as one job on the cluster");
  run_cmd->add_option("-p,--parallelism", co.parallelism, "Default parallelism of every operator")
      ->check(CLI::Range(1, upper_max_parallelism));
  run_cmd->add_option("--max-parallelism", co.max_parallelism, "Number of key groups")
      ->check(CLI::Range(1, upper_max_parallelism));
  run_cmd->add_option("--input", co.input,
                      "generator[:...] | file:PATH | socket:HOST:PORT | kafka://...");
  run_cmd->add_option("--output", co.outputs,
                      "print | file:PATH | files:DIR | discard | kafka://... | redis://... "
                      "(may be given several times)");
  run_cmd->add_option("-D", co.config,
                      "Configuration key=value for this job (and over spate.yaml)");
  run_cmd->add_option("-s,--from-savepoint", co.from_savepoint,
                      "Start from a savepoint or retained checkpoint");
  run_cmd->add_flag("-n,--allow-non-restored-state", co.allow_non_restored_state,
                    "Skip snapshot state that matches no operator of the job");
  run_cmd->add_option("--restoreMode", co.restore_mode, restore_mode_help);
  run_cmd->add_flag("-d,--detached", co.detached, "Return once the job is submitted");
  auto* list_cmd = app.add_subcommand("list", "List the cluster's jobs");
  add_target(list_cmd);
  auto* info_cmd = app.add_subcommand("info", "Show a job's tasks and counters");
  add_target(info_cmd);
  info_cmd->add_option("jobid", co.job_id, "Job id")->required();
  auto* cancel_cmd = app.add_subcommand("cancel", "Cancel a job");
  add_target(cancel_cmd);
  cancel_cmd->add_option("jobid", co.job_id, "Job id")->required();
  auto* savepoint_cmd = app.add_subcommand("savepoint", "Take a savepoint of a running job");
  add_target(savepoint_cmd);
  savepoint_cmd->add_option("jobid", co.job_id, "Job id")->required();
  savepoint_cmd->add_option("dir", co.savepoint_dir,
                            "Target directory (default: state.savepoints.dir)");
  auto* stop_cmd = app.add_subcommand("stop", "Stop a job with a savepoint");
  add_target(stop_cmd);
  stop_cmd->add_option("jobid", co.job_id, "Job id")->required();
  stop_cmd->add_option("-p,--savepoint-path", co.savepoint_dir,
                       "Target directory (default: state.savepoints.dir)");
  stop_cmd->add_flag("-d,--drain", co.drain,
                     "Emit the maximum watermark first (every window fires)");
  auto* overview_cmd = app.add_subcommand("overview", "Show the cluster overview (JSON)");
  add_target(overview_cmd);
  overview_cmd->add_option("--wait-taskmanagers", co.wait_taskmanagers,
                           "Wait until this many TaskManagers registered");
  overview_cmd->add_option("--timeout", co.timeout_seconds, "Seconds to wait (default 30)");

  // Keys for the mesh (docs/security.md).
  auto* keys_cmd = app.add_subcommand("keys", "Make the keys that authenticate the cluster's mesh");
  keys_cmd->require_subcommand(1);
  std::string secret_file, key_name, key_dir = ".";
  auto* secret_cmd = keys_cmd->add_subcommand(
      "secret", "Write a new cluster secret (security.cluster-secret-file), mode 0600");
  secret_cmd->add_option("file", secret_file, "The file to create")->required();
  auto* generate_cmd = keys_cmd->add_subcommand(
      "generate", "Write a key pair NAME.key (0600, security.mesh.key-file) and NAME.pub");
  generate_cmd->add_option("name", key_name, "The process it is for, e.g. jobmanager or tm1")
      ->required();
  generate_cmd->add_option("--dir", key_dir, "Where to write them (default: .)");

  static const std::vector<std::string> commands = {
      "jobs",   "local",     "jobmanager", "taskmanager", "run",  "list", "info",
      "cancel", "savepoint", "stop",       "overview",    "keys", "sql"};
  if (!args.empty() && args[0][0] != '-' &&
      std::find(commands.begin(), commands.end(), args[0]) == commands.end()) {
    std::cerr << "spate: unknown command '" << args[0]
              << "' (commands: jobs, local, jobmanager, taskmanager, run, list, info, cancel, "
                 "savepoint, stop, overview, keys, sql)\n";
    return exit_usage;
  }
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "spate: " << e.what() << "\n(spate --help shows the usage)\n";
    return exit_usage;
  }
  if (jobs_cmd->parsed()) {
    if (!job_args.empty()) {
      std::cerr << "spate: 'jobs' takes no arguments\n";
      return exit_usage;
    }
    return list_jobs(jobs);
  }
  if (sql_cmd->parsed()) {
    if (!job_args.empty()) {
      std::cerr << "spate: 'sql' takes no job arguments\n";
      return exit_usage;
    }
    sqlo.remote = sql_remote->count() > 0;
    return run_sql(sqlo);
  }
  if (keys_cmd->parsed()) {
    try {
      if (secret_cmd->parsed()) {
        transport::write_new_file(secret_file,
                                  "# spate cluster secret: every process that has it is a "
                                  "member of the cluster. Keep it 0600.\n" +
                                      transport::generate_cluster_secret() + "\n",
                                  0600);
        std::cout << "wrote the cluster secret " << secret_file << "\n";
      } else {
        auto kp = transport::write_keypair_files(key_dir, key_name);
        std::cout << "wrote " << key_dir << "/" << key_name << ".key and " << key_dir << "/"
                  << key_name << ".pub (public key " << kp.public_key << ")\n";
      }
      return exit_ok;
    } catch (const std::exception& e) {
      std::cerr << "spate: " << e.what() << "\n";
      return exit_failed;
    }
  }
  if (jm_cmd->parsed() || tm_cmd->parsed()) {
    // A peer that closes its connection mid-answer (TLS writes with write(),
    // which raises SIGPIPE) must not end the process.
    std::signal(SIGPIPE, SIG_IGN);
    configuration cfg;
    try {
      cfg = load_cluster_config(config_dir, process_config);
    } catch (const error& e) {
      std::cerr << "spate: " << e.what() << "\n";
      return exit_usage;
    }
    return jm_cmd->parsed() ? run_jobmanager(cfg, jobs) : run_taskmanager(cfg, jobs);
  }
  for (auto* c : {run_cmd, list_cmd, info_cmd, cancel_cmd, savepoint_cmd, stop_cmd, overview_cmd})
    if (c->parsed()) {
      // A JobManager that closes a TLS connection (it wants a client
      // certificate) is reported as an error, not a SIGPIPE.
      std::signal(SIGPIPE, SIG_IGN);
      co.command = c->get_name();
      co.job_args = job_args;
      if (c != run_cmd && !job_args.empty()) {
        std::cerr << "spate: '" << co.command << "' takes no job arguments\n";
        return exit_usage;
      }
      if (c == run_cmd && co.job.empty() == run_sql_file.empty()) {
        std::cerr << "spate: run takes a job or --sql FILE" << (co.job.empty() ? "" : ", not both")
                  << "\n(spate --help shows the usage)\n";
        return exit_usage;
      }
      if (c == run_cmd && !run_sql_file.empty())
        return cluster_detail::run_sql_job(co, run_sql_file);
      return cluster_detail::run_client_command(co);
    }
  return run_local(lo, job_args, jobs);
}

} // namespace spate
