#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/jobs.hpp"
#include "spate/apps/json_writer.hpp"
#include "spate/apps/pipelines.hpp"
#include "spate/apps/keyed_reduce.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/core/error.hpp"

namespace spate::apps {

stream<std::string> wordcount(stream<std::string> lines) {
  using word_count = std::pair<std::string, std::int64_t>;
  return lines
      .flat_map([](const std::string& line, collector<word_count>& out) {
        std::size_t i = 0, n = line.size();
        while (i < n) {
          while (i < n && std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
          std::size_t start = i;
          while (i < n && !std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
          if (i > start)
            out.collect({line.substr(start, i - start), 1});
        }
      })
      .name("Split")
      .key_by([](const word_count& wc) -> const std::string& { return wc.first; })
      .sum(&word_count::second)
      .uid("wordcount-counts")
      .map([](const word_count& wc) {
        std::string out;
        json_object_writer(out).field("word", wc.first).field("count", wc.second).close();
        return out;
      })
      .name("To JSON");
}

void register_wordcount(job_registry& registry) {
  job_definition job;
  job.name = "wordcount";
  job.description = "running count per word of text lines, as JSON lines {\"word\", \"count\"}";
  // The demo: a few generated lines per second, until Ctrl-C.
  job.default_input = "generator:rate=5";
  job.build = [](job_setup& setup) {
    if (!setup.args.empty())
      throw error(errc::invalid_argument,
                  "wordcount takes no job arguments, got '" + setup.args.front() + "'");
    setup.write_output(wordcount(setup.input_lines(text_line_generator)));
  };
  registry.add(std::move(job));
}

void register_jobs(job_registry& registry) {
  register_wordcount(registry);
  register_trending_hashtags(registry);
  register_clicks_per_user(registry);
  register_stock_prices(registry);
  register_keyed_reduce(registry);
  register_nexmark(registry);
  register_pipelines(registry);
}

} // namespace spate::apps
