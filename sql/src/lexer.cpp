#include "spate/sql/lexer.hpp"

#include <cctype>

#include "spate/sql/parser.hpp"

namespace spate::sql {

namespace {

bool is_word_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool is_word_part(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class lexer {
public:
  explicit lexer(std::string_view sql) : sql_(sql) {}

  std::vector<token> run() {
    std::vector<token> out;
    for (;;) {
      skip_blanks_and_comments();
      token t;
      t.pos = here();
      if (at_end()) {
        t.kind = token_kind::end;
        out.push_back(std::move(t));
        return out;
      }
      const std::size_t start = i_;
      lex_one(t);
      t.length = i_ - start;
      out.push_back(std::move(t));
    }
  }

private:
  bool at_end() const { return i_ >= sql_.size(); }
  char peek(std::size_t k = 0) const { return i_ + k < sql_.size() ? sql_[i_ + k] : '\0'; }

  source_pos here() const { return source_pos{line_, column_, i_}; }

  //! Moves one byte on, counting lines and (UTF-8) characters.
  void advance() {
    const char c = sql_[i_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column_;
    }
  }

  [[noreturn]] void fail(source_pos pos, const std::string& message) const {
    throw_sql_error(sql_, pos, message);
  }

  void skip_blanks_and_comments() {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '-' && peek(1) == '-') {
        while (!at_end() && peek() != '\n')
          advance();
      } else if (c == '/' && peek(1) == '*') {
        const source_pos start = here();
        advance();
        advance();
        for (;;) {
          if (at_end())
            fail(start, "unterminated comment: '/*' without '*/'");
          if (peek() == '*' && peek(1) == '/') {
            advance();
            advance();
            break;
          }
          advance();
        }
      } else {
        return;
      }
    }
  }

  //! Reads up to the closing `quote`, a doubled quote standing for one.
  std::string quoted(char quote, source_pos start, const char* what) {
    advance(); // the opening quote
    std::string value;
    for (;;) {
      if (at_end())
        fail(start, std::string("unterminated ") + what);
      const char c = peek();
      if (c == quote) {
        if (peek(1) == quote) {
          value.push_back(c);
          advance();
          advance();
          continue;
        }
        advance();
        return value;
      }
      value.push_back(c);
      advance();
    }
  }

  void lex_one(token& t) {
    const char c = peek();
    const std::size_t start = i_;
    if ((c == 'x' || c == 'X') && peek(1) == '\'') {
      advance();
      t.kind = token_kind::binary_string;
      t.text = quoted('\'', t.pos, "binary string literal");
      for (char h : t.text) {
        if (!std::isxdigit(static_cast<unsigned char>(h)))
          fail(t.pos, "binary string literal X'...' holds a character that is not a hex digit");
      }
      if (t.text.size() % 2 != 0)
        fail(t.pos, "binary string literal X'...' needs an even number of hex digits");
      return;
    }
    if (is_word_start(static_cast<unsigned char>(c))) {
      while (!at_end() && is_word_part(static_cast<unsigned char>(peek())))
        advance();
      t.kind = token_kind::word;
      t.text = std::string(sql_.substr(start, i_ - start));
      t.upper = t.text;
      for (char& ch : t.upper)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return;
    }
    if (c == '`') {
      t.kind = token_kind::quoted_identifier;
      t.text = quoted('`', t.pos, "quoted identifier: '`' without its closing '`'");
      if (t.text.empty())
        fail(t.pos, "empty quoted identifier ``");
      return;
    }
    if (c == '\'') {
      t.kind = token_kind::string;
      t.text = quoted('\'', t.pos, "string literal: ' without its closing '");
      return;
    }
    if (c == '"') {
      fail(t.pos, "unexpected character '\"': Flink SQL quotes identifiers with backquotes "
                  "(`name`) and strings with single quotes ('text')");
    }
    if (is_digit(c) || (c == '.' && is_digit(peek(1)))) {
      lex_number(t);
      return;
    }
    lex_symbol(t);
  }

  void lex_number(token& t) {
    const std::size_t start = i_;
    t.kind = token_kind::integer;
    while (is_digit(peek()))
      advance();
    if (peek() == '.' && !(peek(1) == '.')) {
      t.kind = token_kind::decimal;
      advance();
      while (is_digit(peek()))
        advance();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
      t.kind = token_kind::approx;
      advance();
      if (peek() == '+' || peek() == '-')
        advance();
      while (is_digit(peek()))
        advance();
    }
    if (is_word_part(static_cast<unsigned char>(peek()))) {
      fail(here(), std::string("unexpected character '") + peek() + "' in a number");
    }
    t.text = std::string(sql_.substr(start, i_ - start));
  }

  void lex_symbol(token& t) {
    static const char* const two[] = {"<>", "!=", "<=", ">=", "||", "=>"};
    t.kind = token_kind::symbol;
    for (const char* s : two) {
      if (peek() == s[0] && peek(1) == s[1]) {
        t.text = s;
        advance();
        advance();
        return;
      }
    }
    const char c = peek();
    static const std::string_view one = "=<>+-*/%.,;()[]";
    if (one.find(c) == std::string_view::npos) {
      std::string shown;
      if (static_cast<unsigned char>(c) < 0x20)
        shown = "\\x" + std::to_string(static_cast<int>(c));
      else
        shown = std::string(1, c);
      fail(t.pos, "unexpected character '" + shown + "'");
    }
    t.text = std::string(1, c);
    advance();
  }

  std::string_view sql_;
  std::size_t i_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t column_ = 1;
};

} // namespace

std::vector<token> tokenize(std::string_view sql) { return lexer(sql).run(); }

} // namespace spate::sql
