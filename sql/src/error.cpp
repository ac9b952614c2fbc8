#include <algorithm>
#include <string>

#include "spate/sql/parser.hpp"

namespace spate::sql {

namespace {

std::string format(const source_pos& pos, const std::string& message, const std::string& line) {
  std::string out = "SQL parse error at line " + std::to_string(pos.line) + ", column " +
                    std::to_string(pos.column) + ": " + message + "\n" + line + "\n";
  // The caret goes under the column's character: tabs stay tabs so it lines up.
  std::uint32_t column = 1;
  for (std::size_t i = 0; i < line.size() && column < pos.column; ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80)
      continue;
    out.push_back(c == '\t' ? '\t' : ' ');
    ++column;
  }
  for (; column < pos.column; ++column)
    out.push_back(' ');
  out.push_back('^');
  return out;
}

} // namespace

sql_error::sql_error(source_pos pos, std::string message, std::string source_line)
    : error(errc::invalid_argument, format(pos, message, source_line)), pos_(pos),
      message_(std::move(message)), source_line_(std::move(source_line)) {}

void throw_sql_error(std::string_view sql, source_pos pos, const std::string& message) {
  std::size_t begin = std::min(pos.offset, sql.size());
  while (begin > 0 && sql[begin - 1] != '\n')
    --begin;
  std::size_t end = begin;
  while (end < sql.size() && sql[end] != '\n')
    ++end;
  std::string line(sql.substr(begin, end - begin));
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  throw sql_error(pos, message, std::move(line));
}

} // namespace spate::sql
