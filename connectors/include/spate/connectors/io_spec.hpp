// The --input and --output SPECs every job takes on the command line:
//   input:  generator[:seed=N,count=N,rate=R] | file:PATH | socket:HOST:PORT
//           | kafka://HOST:PORT[,...]/TOPIC[,...][?OPTIONS]
//   output: print | file:PATH (one merged file) | files:DIR (one per subtask) | discard
//           | kafka://HOST:PORT[,...]/TOPIC[?OPTIONS]
//           | redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]?key=TEMPLATE[&OPTIONS]
#pragma once

#include <functional>
#include <string>

#include "spate/api/stream.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/kafka_config.hpp"
#include "spate/connectors/redis_sink.hpp"

namespace spate {

struct input_spec {
  enum kind_t { generator, file, socket, kafka };
  kind_t kind = generator;
  generator_options gen;
  kafka_source_config kafka_options;
  std::string path;
  std::string host;
  int port = 0;
  //! The SPEC as given, for messages.
  std::string text;
};

struct output_spec {
  enum kind_t { print, file, files, discard, kafka, redis };
  kind_t kind = print;
  std::string path;
  kafka_sink_config kafka_options;
  redis_sink_config redis_options;
  std::string text;
};

//! Parses an input SPEC. Throws spate::error(errc::invalid_argument) naming
//! the SPEC and what is wrong with it.
input_spec parse_input_spec(const std::string& spec);
//! Parses an output SPEC; throws as parse_input_spec().
output_spec parse_output_spec(const std::string& spec);
//! Checks what can be checked before running: an input file exists and is
//! readable, Kafka brokers answer and the topics exist (throws
//! errc::not_found / errc::io naming it).
void check_input(const input_spec& in);
//! Checks an output before running: Kafka brokers answer and the topic exists.
void check_output(const output_spec& out);

//! Makes a generator source for a job: the job decides what records look like.
using line_generator = std::function<source_spec<std::string>(const generator_options&)>;

//! A stream of text lines from `in`; `generator` makes the job's own records
//! when the SPEC is a generator.
stream<std::string> read_lines(environment& env, const input_spec& in,
                               const line_generator& generator);
//! Writes lines to `out` (print, a merged file, a file per subtask, nowhere).
void write_lines(stream<std::string> lines, const output_spec& out);

} // namespace spate
