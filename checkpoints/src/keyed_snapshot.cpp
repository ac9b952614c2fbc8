#include "spate/checkpoints/keyed_snapshot.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>
#include <vector>

#include "spate/core/error.hpp"

namespace fs = std::filesystem;

namespace spate::checkpoints {

namespace {

constexpr char canonical_magic[8] = {'S', 'P', 'A', 'T', 'E', 'K', 'S', '1'};
using canonical_entry = std::tuple<std::string, int, std::string, std::string>;

void link_or_copy(const fs::path& from, const fs::path& to) {
  if (!fs::exists(from))
    throw error(errc::not_found, "snapshot file '" + from.string() + "' is missing");
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (ec) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec)
      throw error(errc::io, "cannot copy snapshot file '" + from.string() + "': " + ec.message());
  }
}

std::string file_name_of(const file_handle& f) {
  // shared/<prefix>-<name>.sst -> <name>.sst; chk-n/<prefix>/<name> -> <name>
  std::string name = fs::path(f.path).filename().string();
  if (f.path.rfind("shared/", 0) == 0) {
    auto dash = name.rfind('-');
    if (dash != std::string::npos)
      name = name.substr(dash + 1);
  }
  return name;
}

//! Where the file of handle `f` is. Paths read from a _metadata are relative
//! to `base` and must stay inside it (snapshot_file_path); a snapshot built in
//! memory (api/testing's harness) has no base and names its files absolutely.
std::string file_of(const std::string& base, const file_handle& f, const std::string& uid) {
  if (base.empty())
    return f.path;
  return snapshot_file_path(base, f.path, base, uid);
}

void materialize(const keyed_state_handle& h, const std::string& base, const fs::path& dir,
                 const std::string& uid) {
  // Every path is checked before the first file is linked or copied.
  std::vector<std::pair<fs::path, const file_handle*>> sources;
  for (auto* files : {&h.shared_files, &h.private_files})
    for (auto& f : *files)
      sources.emplace_back(file_of(base, f, uid), &f);
  fs::create_directories(dir);
  for (auto& [src, f] : sources) {
    std::error_code ec;
    auto size = fs::file_size(src, ec); // missing: link_or_copy names it
    if (!ec && size != f->size)
      throw error(errc::corrupt, "snapshot file '" + src.string() + "' has " +
                                     std::to_string(size) + " bytes, expected " +
                                     std::to_string(f->size));
    link_or_copy(src, dir / file_name_of(*f));
  }
}

void import_canonical(keyed_state_backend& target, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw error(errc::not_found, "savepoint state file '" + file + "' is missing");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  if (bytes.size() < 12 || bytes.compare(0, 8, canonical_magic, 8) != 0)
    throw error(errc::corrupt, "savepoint state file '" + file + "' is not a spate state file");
  std::uint32_t crc = 0;
  for (int i = 0; i < 4; ++i)
    crc |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[bytes.size() - 4 + i]))
           << (8 * i);
  std::string_view payload(bytes.data() + 8, bytes.size() - 12);
  if (crc32c(payload.data(), payload.size()) != crc)
    throw error(errc::corrupt, "savepoint state file '" + file + "' fails its checksum");
  std::size_t offset = 0;
  auto range = target.key_groups();
  try {
    while (offset < payload.size()) {
      auto oh = unpack_checked(payload.data(), payload.size(), offset);
      auto e = oh.get().as<canonical_entry>();
      if (range.contains(std::get<1>(e)))
        target.put_raw(std::get<0>(e), std::get<1>(e), std::get<2>(e), std::get<3>(e));
    }
  } catch (const spate::error&) {
    throw;
  } catch (const std::exception& ex) {
    throw error(errc::corrupt,
                "savepoint state file '" + file + "' cannot be decoded: " + ex.what());
  }
}

} // namespace

std::uint64_t export_canonical(keyed_state_backend& b, const std::string& file,
                               const file_syncer& syncer) {
  std::string payload;
  // Flushed before the names are listed: the first flush creates the column
  // of timers held back since they were registered, which would be missed.
  b.flush();
  for (const auto& name : b.state_names()) {
    b.for_each_raw(name, b.key_groups(), [&](int kg, std::string_view key, std::string_view value) {
      encode(canonical_entry{name, kg, std::string(key), std::string(value)}, payload);
    });
  }
  std::uint32_t crc = crc32c(payload.data(), payload.size());
  fs::create_directories(fs::path(file).parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(canonical_magic, 8);
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  for (int i = 0; i < 4; ++i)
    out.put(static_cast<char>((crc >> (8 * i)) & 0xff));
  out.close();
  if (!out)
    throw error(errc::io, "cannot write savepoint state file '" + file + "'");
  syncer.sync_file(file);
  syncer.sync_directory(fs::path(file).parent_path().string());
  return payload.size() + 12;
}

std::unique_ptr<keyed_state_backend>
restore_keyed_backend(const state_backend_options& so, const operator_snapshot& snap,
                      const std::string& base_dir, const std::string& scratch,
                      std::map<std::string, std::string>& known) {
  if (snap.max_parallelism != so.max_parallelism)
    throw error(errc::invalid_argument,
                "operator '" + snap.uid + "' was snapshotted with max parallelism " +
                    std::to_string(snap.max_parallelism) + " but runs with " +
                    std::to_string(so.max_parallelism) +
                    "; key groups cannot be remapped (set the same max parallelism)");
  // Every path of the snapshot is checked before the first file is copied.
  for (auto& h : snap.keyed)
    for (auto* files : {&h.shared_files, &h.private_files})
      for (auto& f : *files)
        file_of(base_dir, f, snap.uid);
  std::vector<const keyed_state_handle*> parts;
  for (auto& h : snap.keyed) {
    key_group_range r{h.key_group_start, h.key_group_end};
    if (r.end >= so.key_groups.start && r.start <= so.key_groups.end)
      parts.push_back(&h);
  }
  // Same key groups, native files: the snapshot becomes the working database.
  if (parts.size() == 1 && parts[0]->format == "rocksdb" &&
      parts[0]->key_group_start == so.key_groups.start &&
      parts[0]->key_group_end == so.key_groups.end) {
    materialize(*parts[0], base_dir, so.directory, snap.uid);
    // Only the same job's storage can be referenced by later checkpoints.
    if (snap.keyed.front().format == "rocksdb")
      for (auto& f : parts[0]->shared_files)
        known[file_name_of(f)] = f.path;
    return std::make_unique<keyed_state_backend>(so);
  }
  auto target = std::make_unique<keyed_state_backend>(so);
  int n = 0;
  for (auto* h : parts) {
    if (h->format == "canonical") {
      for (auto& f : h->private_files)
        import_canonical(*target, file_of(base_dir, f, snap.uid));
      continue;
    }
    fs::path dir = fs::path(scratch) / ("part-" + std::to_string(n++));
    fs::remove_all(dir);
    materialize(*h, base_dir, dir, snap.uid);
    {
      state_backend_options old;
      old.directory = dir.string();
      old.max_parallelism = so.max_parallelism;
      old.key_groups = {h->key_group_start, h->key_group_end};
      old.cache_max_entries = 0;
      keyed_state_backend source(old);
      key_group_range both{std::max(old.key_groups.start, so.key_groups.start),
                           std::min(old.key_groups.end, so.key_groups.end)};
      for (const auto& name : source.state_names())
        source.for_each_raw(name, both, [&](int kg, std::string_view key, std::string_view value) {
          target->put_raw(name, kg, key, value);
        });
    }
    fs::remove_all(dir);
  }
  return target;
}

} // namespace spate::checkpoints
