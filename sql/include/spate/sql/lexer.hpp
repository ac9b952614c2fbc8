// Flink SQL's tokens: words (keywords and unquoted identifiers alike; keywords are told apart
// by the parser, case-insensitively), `backquoted` identifiers, '...' strings, X'..' binary
// strings, numbers and operators. Comments (-- to the end of the line, /* ... */, and so
// /*+ hints */) are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spate/sql/ast.hpp"

namespace spate::sql {

enum class token_kind {
  word,              //!< an unquoted identifier or keyword: text as written, upper in upper case
  quoted_identifier, //!< `name`: text is the name with `` unescaped
  string,            //!< '...': text is the value with '' unescaped
  binary_string,     //!< X'0AFF': text is the hex digits
  integer,           //!< 42
  decimal,           //!< 4.2, .5, 4.
  approx,            //!< 4.2E-1
  symbol, //!< an operator or punctuation: = <> != < <= > >= + - * / % || . , ; ( ) [ ] =>
  end,    //!< the end of the input
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  std::string upper; //!< for words: text in upper case
  source_pos pos;
  std::size_t length = 0; //!< bytes of source the token spans
};

//! Splits `sql` into tokens, ending with one of kind `end`. Throws sql_error (parser.hpp) on
//! an unterminated string, quoted identifier or comment, or a character that starts no token.
std::vector<token> tokenize(std::string_view sql);

} // namespace spate::sql
