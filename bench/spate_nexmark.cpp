// spate-nexmark: one Nexmark query over its generator into a discard sink,
// then the figures (events, seconds, events/s, CPU seconds, events/s per
// core, peak RSS). With `--sql DIR`, the query is the nexmark project's
// published Flink SQL (DIR/ddl.sql and DIR/qN.sql, as in test/sql/nexmark)
// run by the SQL runtime into its blackhole sink, instead of the DataStream
// version. q13 reads a side input file: `--side-input PATH`, or one written into a
// temporary directory (10 000 lines "i,i", as nexmark's SideInputGenerator writes); its SQL
// reads it where the published text says ${FLINK_HOME}/data/side_input.txt. With
// `--write-events DIR` it writes the generator's events into files instead, and with
// `--events-file PATH --output DIR` runs q0, q1, q2, q3, q5, q7 or q8 over such files with its
// results written to DIR (nexmark_file.hpp; scripts/compare-flink.sh). A benchmark, never a test:
// scripts/run-nexmark.sh runs the suite and writes the tables in docs/benchmarks.md.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "nexmark_file.hpp"
#include "spate/nexmark/benchmark.hpp"
#include "spate/nexmark/queries.hpp"
#include "spate/spate.hpp"
#include "spate/sqlrt/table_environment.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw spate::error(spate::errc::not_found, "cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

//! The published DDL and query `query` from `dir`: the nexmark table at the generator's rate
//! and proportions for `events` events, the bid's channel and url added as newer revisions
//! have them, customTime read as dateTime, q20's sink under the name it inserts into.
std::string published_script(const std::string& dir, const std::string& query,
                             const spate::nexmark::benchmark_options& o,
                             const std::string& side_input) {
  std::string ddl = read_file(dir + "/ddl.sql");
  ddl = replace_all(ddl, "price  BIGINT,\n        dateTime  TIMESTAMP(3),",
                    "price  BIGINT,\n        channel  VARCHAR,\n        url  VARCHAR,\n"
                    "        dateTime  TIMESTAMP(3),");
  ddl = replace_all(ddl, "    bid.price,\n    dateTime,",
                    "    bid.price,\n    bid.channel,\n    bid.url,\n    dateTime,");
  const auto rate = std::to_string(static_cast<std::int64_t>(o.generator.events_per_second));
  ddl = replace_all(ddl, "${TPS}", rate);
  ddl = replace_all(ddl, "${EVENTS_NUM}", std::to_string(o.events));
  ddl = replace_all(ddl, "${PERSON_PROPORTION}", std::to_string(o.generator.person_proportion));
  ddl = replace_all(ddl, "${AUCTION_PROPORTION}", std::to_string(o.generator.auction_proportion));
  ddl = replace_all(ddl, "${BID_PROPORTION}", std::to_string(o.generator.bid_proportion));
  ddl = replace_all(ddl, "'bid.proportion' = '" + std::to_string(o.generator.bid_proportion) + "'",
                    "'bid.proportion' = '" + std::to_string(o.generator.bid_proportion) +
                        "', 'seed' = '" + std::to_string(o.generator.seed) + "'");
  std::string q = read_file(dir + "/" + query + ".sql");
  q = replace_all(q, "customTime", "dateTime");
  if (query == "q20") // the published q20 creates discard_sink but inserts into nexmark_q20
    q = replace_all(q, "CREATE TABLE discard_sink", "CREATE TABLE nexmark_q20");
  q = replace_all(q, "${FLINK_HOME}/data/side_input.txt", side_input);
  return ddl + "\n" + q;
}

} // namespace

int main(int argc, char** argv) {
  using namespace spate;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string sql_dir, side_input, write_events, events_file, output_dir;
  for (const char* flag : {"--sql", "--side-input", "--write-events", "--events-file", "--output"})
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) {
        std::string& to = args[i] == "--sql"            ? sql_dir
                          : args[i] == "--side-input"   ? side_input
                          : args[i] == "--write-events" ? write_events
                          : args[i] == "--events-file"  ? events_file
                                                        : output_dir;
        to = args[i + 1];
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                   args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout
          << "usage: spate-nexmark --query qN --events N [--parallelism P] "
             "[--checkpoint-interval MS] [--state-dir DIR] [--seed S] [--rate EVENTS_PER_S] "
             "[--sql DIR] [--side-input PATH (q13)]\n"
             "       spate-nexmark --write-events DIR --events N [--parallelism P] [--seed S]\n"
             "           writes the events into DIR/part-0..P-1 (event n into part n % P)\n"
             "       spate-nexmark --query q0|q1|q2|q5 --events N --events-file PATH "
             "--output DIR ...\n"
             "           runs the query over the events of PATH (a file or DIR), its "
             "results as lines into DIR\n";
      return 0;
    }
  nexmark::benchmark_options o;
  try {
    o = nexmark::parse_benchmark_args(args);
  } catch (const error& e) {
    std::cerr << "spate-nexmark: " << e.what() << "\n";
    return 2;
  }
  if (!write_events.empty()) {
    try {
      nexmark::write_event_files(o.generator, o.events, write_events, o.parallelism);
    } catch (const std::exception& e) {
      std::cerr << "spate-nexmark: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  if (!events_file.empty() && output_dir.empty()) {
    std::cerr << "spate-nexmark: --events-file needs --output DIR\n";
    return 2;
  }
  configuration cfg;
  nexmark::apply_benchmark_config(o, cfg);
  // q13's side input: the one given, or one written into a temporary directory for this run.
  std::filesystem::path side_dir;
  struct remove_dir {
    std::filesystem::path& dir;
    ~remove_dir() {
      std::error_code ec;
      if (!dir.empty())
        std::filesystem::remove_all(dir, ec);
    }
  } cleanup{side_dir};
  if (o.query == "q13" && side_input.empty()) {
    try {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "spate-nexmark-XXXXXX").string();
      if (!::mkdtemp(pattern.data()))
        throw error(errc::io, "cannot create a temporary directory " + pattern);
      side_dir = pattern;
      side_input = (side_dir / "side_input.txt").string();
      nexmark::write_side_input(side_input);
    } catch (const std::exception& e) {
      std::cerr << "spate-nexmark: " << e.what() << "\n";
      return 1;
    }
  }
  if (!side_input.empty() && side_input[0] != '/')
    side_input = std::filesystem::absolute(side_input).string();
  if (!sql_dir.empty()) {
    // The published SQL: DDL, then the INSERT, which runs to its end.
    nexmark::benchmark_report r;
    double cpu0 = nexmark::process_cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    try {
      // The table options of the nexmark project's flink-conf.yaml, which its Flink figures
      // ran with: mini-batch group aggregation (the split of distinct aggregates it also sets
      // has no counterpart here).
      cfg.set("table.exec.mini-batch.enabled", "true");
      cfg.set("table.exec.mini-batch.allow-latency", "2s");
      cfg.set("table.exec.mini-batch.size", "50000");
      sql::table_environment t(cfg);
      t.execute_script(published_script(sql_dir, o.query, o, side_input),
                       [&r](const sql::table_result& x) {
                         if (x.job)
                           r.checkpoints_completed = x.job->checkpoint_totals().completed;
                       });
    } catch (const error& e) {
      std::cerr << "spate-nexmark: " << o.query << " (SQL): " << e.what() << "\n";
      return 1;
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.cpu_seconds = nexmark::process_cpu_seconds() - cpu0;
    r.query = o.query;
    r.events = o.events;
    r.parallelism = o.parallelism;
    r.checkpoint_interval_ms = o.checkpoint_interval_ms;
    r.peak_rss_mib = nexmark::process_peak_rss_mib();
    std::cout << nexmark::format_report(r) << std::flush;
    return 0;
  }
  environment env(cfg);
  try {
    if (!events_file.empty())
      nexmark::build_file_query(env, o.query, events_file, output_dir);
    else
      nexmark::build_query(env, o.query, o.generator, o.events, 0, side_input);
  } catch (const error& e) {
    std::cerr << "spate-nexmark: " << e.what() << "\n";
    return 2;
  }

  double cpu0 = nexmark::process_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  auto client = env.execute_async("nexmark " + o.query);
  auto result = client.wait();
  nexmark::benchmark_report r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = nexmark::process_cpu_seconds() - cpu0;
  if (result.status != job_status::finished) {
    std::cerr << "spate-nexmark: job " << to_string(result.status) << ": " << result.failure_cause
              << "\n";
    return 1;
  }
  r.query = o.query;
  r.events = o.events;
  r.parallelism = o.parallelism;
  r.checkpoint_interval_ms = o.checkpoint_interval_ms;
  r.checkpoints_completed = client.checkpoint_totals().completed;
  r.peak_rss_mib = nexmark::process_peak_rss_mib();
  std::cout << nexmark::format_report(r) << std::flush;
  return 0;
}
