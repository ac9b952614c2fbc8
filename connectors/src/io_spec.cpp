#include "spate/connectors/io_spec.hpp"

#include <cerrno>
#include <cstdlib>

#include "spate/connectors/file_sink.hpp"
#include "spate/connectors/kafka_sink.hpp"
#include "spate/connectors/kafka_source.hpp"
#include "spate/connectors/uri.hpp"
#include "spate/connectors/line_file_reader.hpp"
#include "spate/connectors/print_sink.hpp"
#include "spate/connectors/redis_sink.hpp"
#include "redis_connection.hpp"
#include "spate/connectors/socket_source.hpp"
#include "spate/connectors/text_file_source.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

[[noreturn]] void bad_spec(const std::string& kind, const std::string& spec,
                           const std::string& why) {
  throw error(errc::invalid_argument, "invalid " + kind + " SPEC '" + spec + "': " + why);
}

std::int64_t parse_int(const std::string& spec, const std::string& key, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || n < 0)
    bad_spec("input", spec, key + " must be a non-negative integer, got '" + v + "'");
  return n;
}

double parse_rate(const std::string& spec, const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= 0))
    bad_spec("input", spec, "rate must be a non-negative number, got '" + v + "'");
  return d;
}

} // namespace

input_spec parse_input_spec(const std::string& spec) {
  input_spec in;
  in.text = spec;
  if (spec.rfind("kafka://", 0) == 0) {
    in.kind = input_spec::kafka;
    in.kafka_options = parse_kafka_source_config(parse_connector_uri(spec, "input"));
    return in;
  }
  auto colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  std::string rest = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (kind == "generator") {
    in.kind = input_spec::generator;
    std::size_t pos = 0;
    while (colon != std::string::npos && pos <= rest.size()) {
      auto comma = rest.find(',', pos);
      std::string item =
          rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      pos = comma == std::string::npos ? rest.size() + 1 : comma + 1;
      if (item.empty())
        bad_spec("input", spec, "empty option (expected key=value)");
      auto eq = item.find('=');
      if (eq == std::string::npos)
        bad_spec("input", spec, "option '" + item + "' is not key=value");
      std::string key = item.substr(0, eq), value = item.substr(eq + 1);
      if (key == "seed")
        in.gen.seed = static_cast<std::uint64_t>(parse_int(spec, key, value));
      else if (key == "count")
        in.gen.count = parse_int(spec, key, value);
      else if (key == "rate")
        in.gen.rate = parse_rate(spec, value);
      else
        bad_spec("input", spec, "unknown generator option '" + key + "' (seed, count, rate)");
    }
    return in;
  }
  if (kind == "file") {
    if (rest.empty())
      bad_spec("input", spec, "file needs a path (file:PATH)");
    in.kind = input_spec::file;
    in.path = rest;
    return in;
  }
  if (kind == "socket") {
    auto last = rest.rfind(':');
    if (last == std::string::npos || last == 0 || last + 1 >= rest.size())
      bad_spec("input", spec, "socket needs HOST:PORT");
    in.kind = input_spec::socket;
    in.host = rest.substr(0, last);
    auto port = parse_int(spec, "port", rest.substr(last + 1));
    if (port < 1 || port > 65535)
      bad_spec("input", spec, "port must be within 1..65535");
    in.port = static_cast<int>(port);
    return in;
  }
  bad_spec("input", spec,
           "expected generator[:k=v,...], file:PATH, socket:HOST:PORT or kafka://HOST:PORT/TOPIC");
}

output_spec parse_output_spec(const std::string& spec) {
  output_spec out;
  out.text = spec;
  if (spec.rfind("kafka://", 0) == 0) {
    out.kind = output_spec::kafka;
    out.kafka_options = parse_kafka_sink_config(parse_connector_uri(spec, "output"));
    return out;
  }
  if (spec.rfind("redis://", 0) == 0) {
    out.kind = output_spec::redis;
    out.redis_options = parse_redis_sink_config(parse_connector_uri(spec, "output"));
    out.text = out.redis_options.spec; // the password masked
    return out;
  }
  auto colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  std::string rest = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if ((kind == "print" || kind == "discard") && colon == std::string::npos) {
    out.kind = kind == "print" ? output_spec::print : output_spec::discard;
    return out;
  }
  if (kind == "file" || kind == "files") {
    if (rest.empty())
      bad_spec("output", spec, kind + " needs a path (" + kind + ":PATH)");
    out.kind = kind == "file" ? output_spec::file : output_spec::files;
    out.path = rest;
    return out;
  }
  bad_spec("output", spec,
           "expected print, file:PATH, files:DIR, discard, kafka://HOST:PORT/TOPIC or "
           "redis://[:PASSWORD@]HOST:PORT[/DB]?key=...");
}

void check_input(const input_spec& in) {
  if (in.kind == input_spec::file)
    check_readable_input(in.path);
  if (in.kind == input_spec::kafka)
    check_kafka_topics(in.kafka_options.brokers, in.kafka_options.topics,
                       in.kafka_options.properties, true, "kafka source " + in.text);
}

void check_output(const output_spec& out) {
  if (out.kind == output_spec::redis) {
    // Connect, authenticate, select the database and PING once: a wrong
    // address or password is a usage error before the job starts.
    detail::redis_connection probe(out.redis_options, nullptr);
    probe.open();
    probe.close();
  }
  if (out.kind == output_spec::kafka)
    check_kafka_topics(out.kafka_options.brokers, {out.kafka_options.topic},
                       out.kafka_options.properties, false, "kafka sink " + out.text);
}

stream<std::string> read_lines(environment& env, const input_spec& in,
                               const line_generator& generator) {
  switch (in.kind) {
    case input_spec::file:
      return env.add_source(text_file_source(in.path));
    case input_spec::socket:
      return env.add_source(socket_text_source(in.host, in.port));
    case input_spec::kafka:
      return env.add_source(kafka_source(in.kafka_options));
    case input_spec::generator:
      break;
  }
  return env.add_source(generator(in.gen));
}

void write_lines(stream<std::string> lines, const output_spec& out) {
  switch (out.kind) {
    case output_spec::print:
      lines.add_sink(print_sink<std::string>());
      return;
    case output_spec::file:
      lines.add_sink(file_sink(out.path, file_sink_mode::merged));
      return;
    case output_spec::files:
      lines.add_sink(file_sink(out.path, file_sink_mode::per_subtask));
      return;
    case output_spec::discard:
      lines.add_sink(discard_sink<std::string>());
      return;
    case output_spec::kafka:
      lines.add_sink(kafka_sink(out.kafka_options));
      return;
    case output_spec::redis:
      lines.add_sink(redis_sink(out.redis_options));
      return;
  }
}

} // namespace spate
