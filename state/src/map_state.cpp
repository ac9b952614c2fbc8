#include "spate/state/map_state.hpp"

#include <memory>

#include <msgpack.hpp>

#include "rocksdb_util.hpp"

namespace spate::detail {

namespace {

// True if `bytes` is exactly one complete msgpack object (no allocation).
bool is_one_object(std::string_view bytes) {
  if (bytes.empty())
    return false;
  msgpack::null_visitor v;
  std::size_t off = 0;
  return msgpack::parse(bytes.data(), bytes.size(), off, v) && off == bytes.size();
}

} // namespace

void map_state_base::scan(const std::function<bool(std::string_view, std::string_view)>& visit) {
  const std::string& prefix = current_key();
  std::string upper = prefix_successor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (!upper.empty())
    ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(ctx_->db->NewIterator(ro, cf_));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto key = view(it->key());
    if (key.size() < prefix.size() || key.compare(0, prefix.size(), prefix) != 0)
      break;
    auto rest = key.substr(prefix.size());
    if (!is_one_object(rest))
      continue; // an entry of the same key in a longer namespace
    if (!visit(rest, view(it->value())))
      return;
  }
  if (!it->status().ok())
    fail("scan", it->status().ToString());
}

void map_state_base::delete_all() {
  auto& batch = fresh_batch();
  std::string full;
  const std::string& prefix = current_key();
  scan([&](std::string_view uk, std::string_view) {
    full.assign(prefix).append(uk);
    batch_delete(batch, full);
    return true;
  });
  write(batch);
}

} // namespace spate::detail
