#include <algorithm>
#include <string>

#include "spate/sql/parser.hpp"

namespace spate::sql {

namespace {

std::string format(const std::string& stage, const source_pos& pos, const std::string& message,
                   const std::string& line) {
  std::string out = stage + " at line " + std::to_string(pos.line) + ", column " +
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

sql_error::sql_error(source_pos pos, std::string message, std::string source_line,
                     const std::string& stage)
    : error(errc::invalid_argument, format(stage, pos, message, source_line)), pos_(pos),
      message_(std::move(message)), source_line_(std::move(source_line)) {}

namespace {

std::string line_at(std::string_view sql, source_pos pos) {
  std::size_t begin = std::min(pos.offset, sql.size());
  while (begin > 0 && sql[begin - 1] != '\n')
    --begin;
  std::size_t end = begin;
  while (end < sql.size() && sql[end] != '\n')
    ++end;
  std::string line(sql.substr(begin, end - begin));
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

} // namespace

void throw_sql_error(std::string_view sql, source_pos pos, const std::string& message) {
  throw sql_error(pos, message, line_at(sql, pos));
}

void throw_validation_error(std::string_view sql, source_pos pos, const std::string& message) {
  throw sql_error(pos, message, line_at(sql, pos), "SQL validation error");
}

} // namespace spate::sql
