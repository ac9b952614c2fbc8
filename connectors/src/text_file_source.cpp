#include "spate/connectors/text_file_source.hpp"

#include <memory>

namespace spate {

void text_file_source_function::open(runtime_context& ctx) {
  reader_.open(ctx.subtask, ctx.parallelism);
}

source_status text_file_source_function::poll(collector<std::string>& out,
                                              std::size_t max_records) {
  if (done_)
    return source_status::end();
  std::string line;
  for (std::size_t n = 0; n < max_records; ++n) {
    if (!reader_.next(line)) {
      done_ = true;
      // Records only ever travel with has_more(); end() comes on the next poll.
      return n == 0 ? source_status::end() : source_status::has_more();
    }
    out.collect(std::move(line));
  }
  return source_status::has_more();
}

source_spec<std::string> text_file_source(std::string path) {
  source_spec<std::string> spec;
  spec.name = "text-file";
  spec.factory = [path]() -> std::unique_ptr<source_function<std::string>> {
    return std::make_unique<text_file_source_function>(path);
  };
  return spec;
}

} // namespace spate
