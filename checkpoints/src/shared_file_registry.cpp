#include "spate/checkpoints/shared_file_registry.hpp"

namespace spate::checkpoints {

void shared_file_registry::retain(checkpoint_id id, const std::vector<std::string>& paths) {
  auto& files = files_[id];
  for (const auto& p : paths)
    if (users_[p].insert(id).second)
      files.push_back(p);
}

std::vector<std::string> shared_file_registry::release(checkpoint_id id) {
  std::vector<std::string> unused;
  auto it = files_.find(id);
  if (it == files_.end())
    return unused;
  for (const auto& p : it->second) {
    auto u = users_.find(p);
    if (u == users_.end())
      continue;
    u->second.erase(id);
    if (u->second.empty()) {
      unused.push_back(p);
      users_.erase(u);
    }
  }
  files_.erase(it);
  return unused;
}

std::size_t shared_file_registry::references(const std::string& path) const {
  auto it = users_.find(path);
  return it == users_.end() ? 0 : it->second.size();
}

} // namespace spate::checkpoints
