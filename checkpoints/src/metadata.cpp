#include "spate/checkpoints/metadata.hpp"

#include <array>
#include <cstring>

#include "spate/core/error.hpp"

namespace spate::checkpoints {

namespace {

constexpr char magic[8] = {'S', 'P', 'A', 'T', 'E', 'M', 'D', '\0'};
constexpr std::size_t header_size = 8 + 4 + 8 + 4;

template <class T>
void put_le(std::string& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <class T>
T get_le(const char* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

} // namespace

std::string encode_metadata(const checkpoint_metadata& m) {
  std::string payload;
  encode(m, payload);
  std::string out(magic, sizeof magic);
  put_le<std::uint32_t>(out, metadata_format_version);
  put_le<std::uint64_t>(out, payload.size());
  put_le<std::uint32_t>(out, crc32c(payload.data(), payload.size()));
  out += payload;
  return out;
}

checkpoint_metadata decode_metadata(std::string_view bytes, const std::string& where) {
  auto corrupt = [&](const std::string& why) {
    return error(errc::corrupt, "checkpoint metadata '" + where + "' " + why);
  };
  if (bytes.size() < sizeof magic || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
    throw corrupt("is not a spate _metadata file (bad magic)");
  if (bytes.size() < header_size)
    throw corrupt("is truncated (" + std::to_string(bytes.size()) + " bytes, header needs " +
                  std::to_string(header_size) + ")");
  auto version = get_le<std::uint32_t>(bytes.data() + 8);
  if (version == 0 || version > metadata_format_version)
    throw corrupt("has format version " + std::to_string(version) + "; this build reads up to " +
                  std::to_string(metadata_format_version));
  auto length = get_le<std::uint64_t>(bytes.data() + 12);
  auto crc = get_le<std::uint32_t>(bytes.data() + 20);
  if (bytes.size() - header_size != length)
    throw corrupt("is truncated or has trailing bytes (payload " +
                  std::to_string(bytes.size() - header_size) + " of " + std::to_string(length) +
                  " bytes)");
  auto payload = bytes.substr(header_size);
  if (crc32c(payload.data(), payload.size()) != crc)
    throw corrupt("fails its checksum");
  try {
    return decode<checkpoint_metadata>(payload, "checkpoint metadata");
  } catch (const error& e) {
    throw corrupt(std::string("cannot be decoded: ") + e.what());
  }
}

} // namespace spate::checkpoints
