// Nexmark events in a file, for spate-nexmark's file mode (scripts/compare-flink.sh runs
// the same queries over the same events on spate and on Flink, bench/flink/).
//
// One event per line, fields separated by tabs (the generator's strings hold no tab):
//   P  id name email_address credit_card city state date_time extra
//   A  id item_name description initial_bid reserve date_time expires seller category extra
//   B  auction bidder price channel url date_time extra
#pragma once

#include <cstdint>
#include <string>

#include "spate/api/environment.hpp"
#include "spate/nexmark/generator.hpp"
#include "spate/nexmark/model.hpp"

namespace spate::nexmark {

//! Writes events 0..events-1 of the generator into `dir`/part-0 .. part-(parts-1), event n
//! into part n % parts (so each part advances in event time as the whole does, and every
//! subtask of a reader at parallelism `parts` reads one). Creates `dir`; throws
//! spate::error(errc::io) naming the file when it cannot be written.
void write_event_files(const generator_config& config, std::int64_t events, const std::string& dir,
                       int parts);

//! The line of `e` (without "\n").
std::string format_event_line(const event& e);

//! The event of `line`; throws spate::error(errc::invalid_argument) naming what is wrong.
event parse_event_line(const std::string& line);

//! Query `query` (q0, q1, q2, q3, q5, q7 or q8) over the events of `path` (a file or a directory of
//! them, read as text_file_source does) with watermark date_time - 4 s, its results as text
//! lines into part files under `output_dir` (file_sink per subtask). Throws spate::error
//! (errc::invalid_argument) for another query.
void build_file_query(environment& env, const std::string& query, const std::string& path,
                      const std::string& output_dir);

} // namespace spate::nexmark
