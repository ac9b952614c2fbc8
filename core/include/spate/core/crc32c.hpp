// CRC-32C (Castagnoli): the checksum of frames and snapshot files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spate {

//! CRC-32C of a byte range, continuing from `crc` (0 to start).
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

namespace detail {
//! The table-driven path (what CPUs without SSE 4.2 use), for tests.
std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc = 0);
} // namespace detail

} // namespace spate
