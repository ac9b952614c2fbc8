// Private parts of the Nexmark generator shared by its files (not installed,
// not part of the API): constants, the random draws every field uses, and the
// helpers one file defines for another. generator.cpp fills the records,
// generator_urls.cpp builds the channel urls, generator_config.cpp checks the
// configuration and makes the source.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "spate/nexmark/generator.hpp"

namespace spate::nexmark::generator_detail {

inline constexpr std::int64_t num_channels = 10000;
// Beam's out-of-order shuffle multiplies by this prime.
inline constexpr std::uint64_t shuffle_prime = 953;

inline constexpr std::string_view hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};

template <class T, std::size_t N>
constexpr std::int64_t size_of(const T (&)[N]) {
  return static_cast<std::int64_t>(N);
}

// A uniform integer in [0, n), n > 0 (Lemire's multiply-and-reject).
inline std::int64_t below(record_rng& rng, std::int64_t n) {
  const auto range = static_cast<std::uint64_t>(n);
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * range;
  auto low = static_cast<std::uint64_t>(m);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * range;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::int64_t>(m >> 64);
}

inline void append(std::string& out, std::string_view s) { out.append(s.data(), s.size()); }

inline void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

// Appends a word of min_word_length to max_length - 1 characters: lowercase
// letters with one in 13 replaced by `special`; a space special is trimmed
// from both ends of the word (StringsGenerator.nextString). In generator.cpp.
void append_word(record_rng& engine, std::int64_t max_length, char special, std::string& out);

// The url of hot channel `index`: fixed for a seed. In generator_urls.cpp.
void fill_hot_url(std::uint64_t seed, std::int64_t index, std::string& out);

// The url of "channel-<channel>": fixed for a seed; nine in ten carry the
// channel id as a parameter. In generator_urls.cpp.
void fill_channel_url(std::uint64_t seed, std::int64_t channel, std::string& out);

} // namespace spate::nexmark::generator_detail
