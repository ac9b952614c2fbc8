#include "spate/checkpoints/metadata.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

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

//! `s` with control bytes (a NUL ends what() early) written as \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string describe(const operator_snapshot& op) {
  return "operator '" + printable(op.name) + "' (uid '" + printable(op.uid) + "')";
}

error unsafe_path_error(const std::string& path, const std::string& op, const std::string& where,
                        const std::string& why) {
  return error(errc::corrupt, "state file '" + printable(path) + "' of " + op + " in '" + where +
                                  "' " + why +
                                  ": the files of a snapshot must stay inside its directory");
}

std::string ranges_text(const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
  constexpr std::size_t shown = 8;
  std::string out;
  for (std::size_t i = 0; i < ranges.size() && i < shown; ++i) {
    if (i > 0)
      out += i + 1 == ranges.size() ? " and " : ", ";
    out += std::to_string(ranges[i].first);
    if (ranges[i].second != ranges[i].first)
      out += "-" + std::to_string(ranges[i].second);
  }
  if (ranges.size() > shown)
    out += " and " + std::to_string(ranges.size() - shown) + " more ranges";
  return out;
}

//! The key groups of `op`'s handles cover 0..max_parallelism-1 once each.
void check_key_groups(const operator_snapshot& op, const std::string& where) {
  auto refuse = [&](const std::string& what) {
    return error(errc::corrupt,
                 "checkpoint metadata '" + where + "': keyed " + describe(op) + " " + what);
  };
  const std::int64_t last = op.max_parallelism - 1;
  std::vector<const keyed_state_handle*> handles;
  for (const auto& h : op.keyed) {
    if (h.format != "rocksdb" && h.format != "canonical")
      throw refuse("has state of subtask " + std::to_string(h.subtask) + " in format '" +
                   printable(h.format) + "'; this build reads 'rocksdb' and 'canonical'");
    if (h.key_group_start < 0 || h.key_group_end > last || h.key_group_end < h.key_group_start)
      throw refuse("has state of subtask " + std::to_string(h.subtask) + " for key groups " +
                   std::to_string(h.key_group_start) + " to " + std::to_string(h.key_group_end) +
                   ", not a range within 0-" + std::to_string(last));
    handles.push_back(&h);
  }
  std::sort(handles.begin(), handles.end(), [](const auto* a, const auto* b) {
    return std::tie(a->key_group_start, a->key_group_end) <
           std::tie(b->key_group_start, b->key_group_end);
  });
  // Sweep in order of start: `next` is the first key group no handle so far has.
  std::vector<std::pair<std::int64_t, std::int64_t>> missing;
  std::int64_t next = 0;
  const keyed_state_handle* reach = nullptr; // the handle that reaches furthest so far
  for (const auto* h : handles) {
    if (h->key_group_start < next)
      throw refuse(
          "has state for key groups " +
          ranges_text({{h->key_group_start, std::min<std::int64_t>(h->key_group_end, next - 1)}}) +
          " in more than one handle (subtasks " + std::to_string(reach->subtask) + " and " +
          std::to_string(h->subtask) + ")");
    if (h->key_group_start > next)
      missing.emplace_back(next, h->key_group_start - 1);
    next = std::int64_t{h->key_group_end} + 1;
    reach = h;
  }
  if (next <= last)
    missing.emplace_back(next, last);
  if (!missing.empty())
    throw refuse("has no state for key groups " + ranges_text(missing) + " (of 0-" +
                 std::to_string(last) + "): the checkpoint is incomplete or damaged");
}

} // namespace

std::string unsafe_snapshot_path(std::string_view path) {
  if (path.empty())
    return "is empty";
  if (path.find('\0') != std::string_view::npos)
    return "has a NUL byte";
  if (path.front() == '/')
    return "is an absolute path";
  std::size_t begin = 0;
  while (true) {
    auto end = path.find('/', begin);
    auto part =
        path.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    if (part == "..")
      return "has a '..' component";
    if (end == std::string_view::npos) {
      if (part.empty() || part == ".")
        return "names a directory, not a file";
      return {};
    }
    begin = end + 1;
  }
}

std::string snapshot_file_path(const std::string& base_dir, const std::string& path,
                               const std::string& where, const std::string& uid) {
  auto why = unsafe_snapshot_path(path);
  if (!why.empty())
    throw unsafe_path_error(path, "operator uid '" + printable(uid) + "'", where, why);
  return base_dir + "/" + path;
}

void validate_metadata(const checkpoint_metadata& m, const std::string& where) {
  auto refuse = [&](const std::string& what) {
    return error(errc::corrupt, "checkpoint metadata '" + where + "' " + what);
  };
  if (m.checkpoint_id < 0 || m.checkpoint_id == std::numeric_limits<std::int64_t>::max())
    throw refuse("has checkpoint id " + std::to_string(m.checkpoint_id) + ", outside 0.." +
                 std::to_string(std::numeric_limits<std::int64_t>::max() - 1));
  std::set<std::string> uids;
  for (const auto& op : m.operators) {
    if (!uids.insert(op.uid).second)
      throw refuse("names operator uid '" + printable(op.uid) + "' twice");
    if (op.max_parallelism < 1 || op.max_parallelism > upper_max_parallelism ||
        op.parallelism < 1 || op.parallelism > op.max_parallelism)
      throw refuse("gives " + describe(op) + " parallelism " + std::to_string(op.parallelism) +
                   " and max parallelism " + std::to_string(op.max_parallelism) +
                   "; they must satisfy 1 <= parallelism <= max parallelism <= " +
                   std::to_string(upper_max_parallelism));
    // Paths first: nothing below may name a file outside the snapshot.
    for (const auto& h : op.keyed)
      for (const auto* files : {&h.shared_files, &h.private_files})
        for (const auto& f : *files)
          if (auto why = unsafe_snapshot_path(f.path); !why.empty())
            throw unsafe_path_error(f.path, describe(op), where, why);
    if (!op.keyed.empty())
      check_key_groups(op, where);
  }
}

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
