// q13, the bounded side input join, and the side input file it reads.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include "spate/core/error.hpp"
#include "spate/nexmark/queries.hpp"

namespace spate::nexmark {

namespace {

//! Looks each bid's auction % 10000 up in the side input, which it reads in open().
class side_input_join final : public process_function<bid, q13_result> {
public:
  explicit side_input_join(std::string path) : path_(std::move(path)) {}

  void open(runtime_context&) override {
    std::ifstream in(path_);
    if (!in)
      throw error(errc::not_found,
                  "q13: cannot read the side input '" + path_ + "': " + std::strerror(errno));
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (line.empty())
        continue;
      const auto comma = line.find(',');
      char* end = nullptr;
      const long long key = std::strtoll(line.c_str(), &end, 10);
      if (comma == std::string::npos || end != line.c_str() + comma || comma == 0)
        throw error(errc::invalid_argument, "q13: malformed side input line " + path_ + ":" +
                                                std::to_string(number) + ": '" + line + "'");
      values_[key].push_back(line.substr(comma + 1));
    }
  }

  void process_element(const bid& b, context& ctx) override {
    auto it = values_.find(b.auction % 10'000);
    if (it == values_.end())
      return;
    for (const std::string& v : it->second)
      ctx.output(q13_result{b.auction, b.bidder, b.price, b.date_time, v});
  }

private:
  std::string path_;
  std::unordered_map<std::int64_t, std::vector<std::string>> values_;
};

} // namespace

stream<q13_result> q13(stream<bid> bids, std::string side_input_path) {
  return bids.process(side_input_join(std::move(side_input_path)))
      .name("q13: Bounded Side Input Join");
}

void write_side_input(const std::string& path, int count) {
  std::ofstream out(path, std::ios::trunc);
  for (int i = 0; i < count && out; ++i)
    out << i << ',' << i << '\n';
  out.close();
  if (!out)
    throw error(errc::io, "nexmark: cannot write the side input '" + path + "'");
}

const std::string& default_side_input() {
  static std::once_flag once;
  static std::string path;
  std::call_once(once, [] {
    const auto dir = std::filesystem::temp_directory_path();
    const std::string target = (dir / "spate-nexmark-side_input.txt").string();
    // Written under a name of this process, then renamed: another process writing the same
    // file at the same time leaves it whole.
    const std::string mine = target + "." + std::to_string(::getpid());
    write_side_input(mine);
    std::error_code ec;
    std::filesystem::rename(mine, target, ec);
    if (ec)
      throw error(errc::io,
                  "nexmark: cannot write the side input '" + target + "': " + ec.message());
    path = target;
  });
  return path;
}

} // namespace spate::nexmark
