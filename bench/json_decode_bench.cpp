// The SQL json format's decoder (sqlrt/src/text_format.cpp, simdjson's On-Demand API) on JSON
// lines held in memory: records per second and MB/s for two shapes, the stock ticker of the
// examples and a wider record with nested ROW columns and undeclared fields to skip.
//
//   spate-json-bench [--records N] [--runs R] [--shape ticker|wide|all]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "spate/sql/parser.hpp"
#include "spate/sql/types.hpp"
#include "text_format.hpp"

using namespace spate::sql;

namespace {

struct shape {
  const char* name;
  std::vector<std::pair<const char*, const char*>> columns; // name, SQL type
  std::string (*line)(int i);
};

std::string ticker_line(int i) {
  static const char* tickers[] = {"AAPL", "MSFT", "GOOG", "AMZN"};
  char buf[160];
  std::snprintf(buf, sizeof buf,
                R"({"event_time":"2024-01-01T00:%02d:%02d.%03d000","ticker":"%s","price":%d.%d})",
                i / 60000 % 60, i / 1000 % 60, i % 1000, tickers[i % 4], 10 + i % 90, i % 10);
  return buf;
}

std::string wide_line(int i) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                R"({"id":%d,"ts":"2024-01-01 00:00:%02d.%03d","user":{"name":"user%d","age":%d,)"
                R"("address":{"city":"Paris","zip":"750%02d"},"email":"u%d@example.com"},)"
                R"("price":%d.%02d,"qty":%d,"tags":["a","b","c"],"flag":%s,"score":%d.%de-3,)"
                R"("extra":{"k":[1,2,3],"s":"caf\u00e9"},"note":"line\nbreak \"quoted\""})",
                i, i / 1000 % 60, i % 1000, i % 997, 18 + i % 60, i % 20, i, i % 1000, i % 100,
                i % 50, i % 2 ? "true" : "false", i % 1000, i % 7);
  return buf;
}

const shape shapes[] = {
    {"ticker",
     {{"event_time", "TIMESTAMP(3)"}, {"ticker", "STRING"}, {"price", "DOUBLE"}},
     ticker_line},
    {"wide",
     {{"id", "BIGINT"},
      {"ts", "TIMESTAMP(3)"},
      {"user", "ROW<name STRING, age INT, address ROW<city STRING, zip STRING>>"},
      {"price", "DECIMAL(10, 2)"},
      {"qty", "INT"},
      {"flag", "BOOLEAN"},
      {"score", "DOUBLE"}},
     wide_line},
};

//! Seconds to decode every line once; exits when a line does not decode.
double decode_all(detail::row_decoder& dec, const std::vector<std::string>& lines) {
  spate::sql::row r;
  std::string why;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& l : lines)
    if (!dec.decode(l, r, why)) {
      std::fprintf(stderr, "cannot decode %s: %s\n", l.c_str(), why.c_str());
      std::exit(1);
    }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  int records = 1'000'000, runs = 3;
  std::string only = "all";
  for (int a = 1; a + 1 < argc; a += 2) {
    if (!std::strcmp(argv[a], "--records"))
      records = std::atoi(argv[a + 1]);
    else if (!std::strcmp(argv[a], "--runs"))
      runs = std::atoi(argv[a + 1]);
    else if (!std::strcmp(argv[a], "--shape"))
      only = argv[a + 1];
  }
  for (const shape& s : shapes) {
    if (only != "all" && only != s.name)
      continue;
    std::vector<plan_column> cols;
    for (const auto& [name, type] : s.columns) {
      plan_column c;
      c.name = name;
      c.type = from_ast(parse_data_type(type));
      cols.push_back(std::move(c));
    }
    std::vector<std::string> lines;
    std::size_t bytes = 0;
    for (int i = 0; i < records; ++i) {
      lines.push_back(s.line(i));
      bytes += lines.back().size();
    }
    detail::text_format f;
    detail::row_decoder dec(f, cols);
    decode_all(dec, lines); // warm up
    std::vector<double> secs;
    for (int k = 0; k < runs; ++k)
      secs.push_back(decode_all(dec, lines));
    std::sort(secs.begin(), secs.end());
    const double median = secs[secs.size() / 2];
    std::printf("%-7s %d records of %.0f bytes: median of %d runs %.1f ns/record, %.2f M "
                "records/s, %.0f MB/s\n",
                s.name, records, static_cast<double>(bytes) / records, runs, median * 1e9 / records,
                records / median / 1e6, bytes / median / 1e6);
  }
}
