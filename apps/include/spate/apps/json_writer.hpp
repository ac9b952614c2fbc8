// Writing JSON objects straight into a string, without a DOM: what the jobs
// emit and what their generators produce. The text is what nlohmann_json's
// dump() writes for the same values (numbers shortest round-trip, "1.0" for a
// whole double, non-ASCII text as it is), so outputs did not change when the
// jobs stopped building DOMs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

namespace spate::apps {

//! Appends `s` as a JSON string (quotes, `"` `\` and control characters
//! escaped, as nlohmann_json does: \b \f \n \r \t, others \u00xx). `s` must
//! be UTF-8; it is copied as it is otherwise.
void append_json_string(std::string& out, std::string_view s);
//! The same without the quotes: for a string written in pieces.
void append_json_string_content(std::string& out, std::string_view s);
//! Appends `v` as nlohmann_json writes a double: the shortest text that
//! reads back as `v`, with ".0" when it has no fraction ("3.0", "1e+16",
//! "0.0001"); "null" when not finite.
void append_json_number(std::string& out, double v);
//! Appends `v` in decimal.
void append_json_number(std::string& out, std::int64_t v);

//! Writes `v` as append_json_number() does into `buf` (at least
//! json_number_max bytes); returns the length.
inline constexpr std::size_t json_number_max = 32;
std::size_t format_json_number(char* buf, double v);
std::size_t format_json_number(char* buf, std::int64_t v);

//! One JSON object appended to a string, fields in the order written:
//!
//!   json_object_writer(out).field("user", u).field("clicks", n).close();
//!
//! Keys are written as given (they are the jobs' own literals; no escaping).
//! The text gathers in a buffer inside the writer and reaches `out` in one
//! append at close() (or when the buffer fills): small appends to a
//! std::string cost more than the formatting itself.
class json_object_writer {
public:
  //! Starts the object ('{'); `out` must outlive the writer.
  explicit json_object_writer(std::string& out) : out_(out) { buf_[n_++] = '{'; }
  json_object_writer(const json_object_writer&) = delete;
  json_object_writer& operator=(const json_object_writer&) = delete;
  //! Appends what close() has not (a writer destroyed unclosed leaves the
  //! object unterminated).
  ~json_object_writer() { flush(); }

  json_object_writer& field(std::string_view key, std::string_view value) {
    key_(key);
    put('"');
    put_escaped(value);
    put('"');
    return *this;
  }
  //! A string field whose value is the pieces one after the other.
  json_object_writer& field(std::string_view key, std::initializer_list<std::string_view> pieces) {
    key_(key);
    put('"');
    for (auto p : pieces)
      put_escaped(p);
    put('"');
    return *this;
  }
  json_object_writer& field(std::string_view key, const char* value) {
    return field(key, std::string_view(value));
  }
  json_object_writer& field(std::string_view key, const std::string& value) {
    return field(key, std::string_view(value));
  }
  json_object_writer& field(std::string_view key, double value) {
    key_(key);
    reserve_(json_number_max);
    n_ += format_json_number(buf_ + n_, value);
    return *this;
  }
  json_object_writer& field(std::string_view key, std::int64_t value) {
    key_(key);
    reserve_(json_number_max);
    n_ += format_json_number(buf_ + n_, value);
    return *this;
  }
  json_object_writer& field(std::string_view key, int value) {
    return field(key, static_cast<std::int64_t>(value));
  }
  //! Ends the object ('}') and appends it to `out`.
  void close() {
    put('}');
    flush();
  }

private:
  void key_(std::string_view key) {
    if (!first_)
      put(',');
    first_ = false;
    put('"');
    put(key.data(), key.size());
    put('"');
    put(':');
  }
  void put(char c) {
    reserve_(1);
    buf_[n_++] = c;
  }
  void put(const char* p, std::size_t n) {
    if (n > sizeof buf_ - n_) {
      flush();
      if (n > sizeof buf_) {
        out_.append(p, n);
        return;
      }
    }
    std::memcpy(buf_ + n_, p, n);
    n_ += n;
  }
  void put_escaped(std::string_view s);
  void reserve_(std::size_t n) {
    if (n > sizeof buf_ - n_)
      flush();
  }
  void flush() {
    out_.append(buf_, n_);
    n_ = 0;
  }

  std::string& out_;
  bool first_ = true;
  std::size_t n_ = 0;
  char buf_[256];
};

} // namespace spate::apps
