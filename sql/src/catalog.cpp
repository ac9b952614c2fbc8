#include "spate/sql/catalog.hpp"

namespace spate::sql {

const catalog_column* catalog_table::column(const std::string& wanted) const {
  for (const catalog_column& c : columns)
    if (c.name == wanted)
      return &c;
  return nullptr;
}

std::string catalog_table::connector() const {
  auto it = options.find("connector");
  return it == options.end() ? "" : it->second;
}

std::string catalog::qualified(const std::string& name) {
  return std::string(default_catalog) + "." + default_database + "." + name;
}

std::optional<std::string> catalog::object_name(const qualified_name& name) {
  if (name.empty() || name.size() > 3)
    return std::nullopt;
  if (name.size() == 3 && name[0] != default_catalog)
    return std::nullopt;
  if (name.size() >= 2 && name[name.size() - 2] != default_database)
    return std::nullopt;
  return name.back();
}

const catalog_table* catalog::find_table(const std::string& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

const catalog_view* catalog::find_view(const std::string& name) const {
  auto it = views_.find(name);
  return it == views_.end() ? nullptr : &it->second;
}

const catalog_function* catalog::find_function(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

bool catalog::add_table(catalog_table t) {
  if (tables_.count(t.name) || views_.count(t.name))
    return false;
  std::string name = t.name;
  tables_.emplace(std::move(name), std::move(t));
  return true;
}

bool catalog::add_view(catalog_view v) {
  if (tables_.count(v.name) || views_.count(v.name))
    return false;
  std::string name = v.name;
  views_.emplace(std::move(name), std::move(v));
  return true;
}

bool catalog::add_function(catalog_function f) {
  if (functions_.count(f.name))
    return false;
  std::string name = f.name;
  functions_.emplace(std::move(name), std::move(f));
  return true;
}

bool catalog::drop_table(const std::string& name) { return tables_.erase(name) > 0; }
bool catalog::drop_view(const std::string& name) { return views_.erase(name) > 0; }
bool catalog::drop_function(const std::string& name) { return functions_.erase(name) > 0; }

std::vector<std::string> catalog::table_names() const {
  std::map<std::string, int> all;
  for (const auto& t : tables_)
    all[t.first] = 0;
  for (const auto& v : views_)
    all[v.first] = 0;
  std::vector<std::string> out;
  for (const auto& n : all)
    out.push_back(n.first);
  return out;
}

std::vector<std::string> catalog::view_names() const {
  std::vector<std::string> out;
  for (const auto& v : views_)
    out.push_back(v.first);
  return out;
}

std::vector<std::string> catalog::function_names() const {
  std::vector<std::string> out;
  for (const auto& f : functions_)
    out.push_back(f.first);
  return out;
}

} // namespace spate::sql
