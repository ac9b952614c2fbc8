// libFuzzer: the _metadata decoder (checkpoints and savepoints read back from
// disk) and the checks of the file paths it lists. The first byte chooses:
// odd, the rest is a whole file; even, the rest is the msgpack payload,
// given a valid head and checksum so the fuzzer reaches the payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "spate/checkpoints/metadata.hpp"
#include "spate/core/crc32c.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

using namespace spate;

namespace {

template <class T>
void put_le(std::string& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spate::log().set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string file;
  if (data[0] & 1) {
    file.assign(rest);
  } else {
    // The layout encode_metadata() writes: magic, version 1, length, CRC.
    file.assign("SPATEMD\0", 8);
    put_le<std::uint32_t>(file, 1);
    put_le<std::uint64_t>(file, rest.size());
    put_le<std::uint32_t>(file, crc32c(rest.data(), rest.size()));
    file.append(rest);
  }
  try {
    auto m = checkpoints::decode_metadata(file, "fuzz/_metadata");
    // Every path a restore would open, copy or delete is joined here first.
    auto check = [&](const std::string& uid, const std::string& path) {
      try {
        (void)checkpoints::snapshot_file_path("/base", path, "fuzz/_metadata", uid);
      } catch (const spate::error&) {
      }
    };
    for (auto& op : m.operators)
      for (auto& k : op.keyed) {
        for (auto& f : k.shared_files)
          check(op.uid, f.path);
        for (auto& f : k.private_files)
          check(op.uid, f.path);
      }
  } catch (const spate::error&) {
  }
  return 0;
}
