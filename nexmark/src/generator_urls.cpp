// The generator's bid urls: hot channels' and "channel-N"'s, each a function
// of the seed and the channel, and the table that keeps them (url_table.hpp).
#include <string>

#include "generator_common.hpp"
#include "spate/core/error.hpp"
#include "spate/core/hash.hpp"
#include "url_table.hpp"

namespace spate::nexmark {

namespace generator_detail {

namespace {

// One channel url in this many has no channel_id parameter.
constexpr std::int64_t channel_without_id_ratio = 10;

// Salts that keep the engines of hot urls and channel urls apart from the
// per-event engines.
constexpr std::uint64_t hot_url_salt = 0x6e65786d61726b31ull;
constexpr std::uint64_t channel_url_salt = 0x6e65786d61726b32ull;

// "https://www.nexmark.com/<w>/<w>/<w>/item.htm?query=1" with words drawn from `rng`.
void fill_base_url(record_rng& rng, std::string& out) {
  out.reserve(url_prefix.size() + 3 * 5 + url_suffix.size() + channel_id_parameter.size() + 11);
  append(out, url_prefix);
  for (int k = 0; k < 3; ++k) {
    append_word(rng, 5, '_', out);
    out.push_back('/');
  }
  append(out, url_suffix);
}

} // namespace

void fill_hot_url(std::uint64_t seed, std::int64_t index, std::string& out) {
  record_rng rng(mix64(seed ^ hot_url_salt ^ mix64(static_cast<std::uint64_t>(index))));
  fill_base_url(rng, out);
}

void fill_channel_url(std::uint64_t seed, std::int64_t channel, std::string& out) {
  record_rng rng(mix64(seed ^ channel_url_salt ^ mix64(static_cast<std::uint64_t>(channel))));
  fill_base_url(rng, out);
  if (below(rng, channel_without_id_ratio) > 0) {
    append(out, channel_id_parameter);
    append_number(out, reversed_channel_id(channel));
  }
}

} // namespace generator_detail

using namespace generator_detail;

url_table::url_table(std::uint64_t seed) {
  hot_.resize(static_cast<std::size_t>(size_of(hot_channels)));
  for (std::size_t i = 0; i < hot_.size(); ++i)
    fill_hot_url(seed, static_cast<std::int64_t>(i), hot_[i]);
  channels_.resize(static_cast<std::size_t>(num_channels));
  std::string url;
  for (std::size_t i = 0; i < channels_.size(); ++i) {
    url.clear();
    fill_channel_url(seed, static_cast<std::int64_t>(i), url);
    channels_[i] = pack(url);
  }
}

url_table::packed url_table::pack(const std::string& url) {
  packed c{};
  std::size_t pos = url_prefix.size();
  for (int w = 0; w < words; ++w) {
    const std::size_t slash = url.find('/', pos);
    const std::size_t n = slash - pos;
    if (slash == std::string::npos || n > max_word)
      throw error(errc::internal, "nexmark generator: unexpected channel url " + url);
    std::memcpy(c.letters + w * max_word, url.data() + pos, n);
    c.lengths[w] = static_cast<std::uint8_t>(n);
    pos = slash + 1;
  }
  c.with_id = url.size() > pos + url_suffix.size();
  return c;
}

} // namespace spate::nexmark
