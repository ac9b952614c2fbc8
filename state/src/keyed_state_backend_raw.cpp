// Raw entries of the keyed state backend, for savepoints and rescaling:
// scanning a state's entries by key group, writing and deleting one.
#include "spate/state/keyed_state_backend.hpp"

#include "rocksdb_util.hpp"
#include "spate/core/error.hpp"

namespace spate {

void keyed_state_backend::for_each_raw(
    const std::string& state, key_group_range range,
    const std::function<void(int, std::string_view, std::string_view)>& visit) {
  flush();
  auto col = columns_.find(state);
  if (state == detail::default_column || col == columns_.end())
    throw error(errc::not_found,
                "state backend '" + options_.directory + "': no state '" + state + "'");
  if (range.empty())
    return;
  std::string lower = detail::key_group_prefix(range.start);
  std::string upper = detail::key_group_prefix(range.end + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (range.end + 1 <= 0xffff)
    ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, col->second));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    auto key = detail::view(it->key());
    if (key.size() < 2)
      throw error(errc::corrupt, "state backend '" + options_.directory + "', state '" + state +
                                     "': key of " + std::to_string(key.size()) +
                                     " bytes has no key-group prefix");
    int kg = (static_cast<unsigned char>(key[0]) << 8) | static_cast<unsigned char>(key[1]);
    if (kg > range.end)
      break;
    visit(kg, key.substr(2), detail::view(it->value()));
  }
  if (!it->status().ok())
    throw error(errc::state, "state backend '" + options_.directory + "', state '" + state +
                                 "': scan failed: " + it->status().ToString());
}

void keyed_state_backend::put_raw(const std::string& state, int key_group,
                                  std::string_view key_rest, std::string_view value) {
  if (!options_.key_groups.contains(key_group))
    throw error(errc::invalid_argument, "state backend '" + options_.directory + "', state '" +
                                            state + "': key group " + std::to_string(key_group) +
                                            " is outside this backend's key groups [" +
                                            std::to_string(options_.key_groups.start) + ", " +
                                            std::to_string(options_.key_groups.end) + "]");
  gate_.wait();
  auto* cf = column(state);
  std::string key = detail::key_group_prefix(key_group);
  key.append(key_rest);
  auto s = db_->Put(detail::write_options(), cf, key, detail::slice(value));
  if (!s.ok())
    throw error(errc::state, "state backend '" + options_.directory + "', state '" + state +
                                 "': put failed: " + s.ToString());
  if (auto it = states_.find(state); it != states_.end())
    it->second->invalidate(key);
}

void keyed_state_backend::delete_raw(const std::string& state, int key_group,
                                     std::string_view key_rest) {
  if (!options_.key_groups.contains(key_group))
    throw error(errc::invalid_argument, "state backend '" + options_.directory + "', state '" +
                                            state + "': key group " + std::to_string(key_group) +
                                            " is outside this backend's key groups");
  gate_.wait();
  auto* cf = column(state);
  std::string key = detail::key_group_prefix(key_group);
  key.append(key_rest);
  auto s = db_->Delete(detail::write_options(), cf, key);
  if (!s.ok())
    throw error(errc::state, "state backend '" + options_.directory + "', state '" + state +
                                 "': delete failed: " + s.ToString());
  if (auto it = states_.find(state); it != states_.end())
    it->second->invalidate(key);
}

} // namespace spate
