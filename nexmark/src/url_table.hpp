// The generator's table of channel urls (private, not installed): built in
// generator_urls.cpp, read for every bid in generator.cpp.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "generator_common.hpp"

namespace spate::nexmark {

namespace generator_detail {

inline constexpr std::string_view url_prefix = "https://www.nexmark.com/";
inline constexpr std::string_view url_suffix = "item.htm?query=1";
inline constexpr std::string_view channel_id_parameter = "&channel_id=";

// Java's Math.abs(Integer.reverse(v)) (Integer.MIN_VALUE stays negative).
inline std::int64_t reversed_channel_id(std::int64_t channel) {
  auto v = static_cast<std::uint32_t>(channel);
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
  v = ((v >> 8) & 0x00ff00ffu) | ((v & 0x00ff00ffu) << 8);
  v = (v >> 16) | (v << 16);
  const auto s = static_cast<std::int32_t>(v);
  if (s == INT32_MIN)
    return s;
  return s < 0 ? -static_cast<std::int64_t>(s) : s;
}

} // namespace generator_detail

//! The url of every hot channel and of every "channel-N", built once per seed
//! (each is a function of the seed and the channel only). A channel url keeps
//! only what varies, its three words, in 16 bytes (160 KiB for all of them,
//! which stays in a core's L2 cache; whole strings missed it on most bids),
//! and is put back together in a buffer on the stack.
class url_table {
public:
  explicit url_table(std::uint64_t seed);
  const std::string& hot(std::int64_t i) const { return hot_[static_cast<std::size_t>(i)]; }
  //! Starts loading the entry of "channel-<channel>" into the cache.
  void prefetch(std::int64_t channel) const {
    __builtin_prefetch(&channels_[static_cast<std::size_t>(channel)]);
  }
  //! Overwrites `out` with the url of "channel-<channel>".
  void channel(std::int64_t channel, std::string& out) const {
    using namespace generator_detail;
    const packed& c = channels_[static_cast<std::size_t>(channel)];
    char buf[max_url];
    char* p = buf;
    auto put = [&p](const char* s, std::size_t n) {
      std::memcpy(p, s, n);
      p += n;
    };
    put(url_prefix.data(), url_prefix.size());
    for (int w = 0; w < words; ++w) {
      put(c.letters + w * max_word, c.lengths[w]);
      *p++ = '/';
    }
    put(url_suffix.data(), url_suffix.size());
    if (c.with_id) {
      put(channel_id_parameter.data(), channel_id_parameter.size());
      p = std::to_chars(p, buf + max_url, reversed_channel_id(channel)).ptr;
    }
    out.assign(buf, static_cast<std::size_t>(p - buf));
  }

private:
  static constexpr int words = 3;
  static constexpr std::size_t max_word = 4; // append_word(rng, 5, ...) is 3-4 letters
  struct packed {
    char letters[words * max_word];
    std::uint8_t lengths[words];
    bool with_id;
  };
  static_assert(sizeof(packed) == 16);
  static constexpr std::size_t max_url =
      generator_detail::url_prefix.size() + words * (max_word + 1) +
      generator_detail::url_suffix.size() + generator_detail::channel_id_parameter.size() + 12;

  // Takes the words out of a url that fill_channel_url built.
  static packed pack(const std::string& url);

  std::vector<std::string> hot_;
  std::vector<packed> channels_;
};

} // namespace spate::nexmark
