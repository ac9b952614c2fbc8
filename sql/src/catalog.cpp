#include "spate/sql/catalog.hpp"

#include <set>

#include "spate/sql/parser.hpp"

namespace spate::sql {

const catalog_column* catalog_table::column(const std::string& wanted) const {
  for (const catalog_column& c : columns)
    if (c.name == wanted)
      return &c;
  return nullptr;
}

std::string catalog_table::connector() const {
  auto it = options.find("connector");
  if (it == options.end())
    it = options.find("connector.type");
  return it == options.end() ? "" : it->second;
}

namespace {

//! A filesystem table's 'path' given as a file:// URI, as its local path (what the runtime
//! reads and what a REST submission's path checks see); other schemes are left for the
//! connector to refuse by name.
std::map<std::string, std::string> local_path(std::map<std::string, std::string> options) {
  auto connector = options.find("connector");
  auto path = options.find("path");
  if (connector != options.end() && connector->second == "filesystem" && path != options.end() &&
      path->second.rfind("file:///", 0) == 0)
    path->second.erase(0, 7);
  return options;
}

} // namespace

std::map<std::string, std::string> catalog_table::effective_options() const {
  if (options.count("connector") || !options.count("connector.type"))
    return local_path(options);
  static const std::set<std::string> csv_options = {
      "field-delimiter",  "quote-character",        "disable-quote-character",
      "allow-comments",   "ignore-parse-errors",    "null-literal",
      "escape-character", "array-element-delimiter"};
  static const std::set<std::string> json_options = {"fail-on-missing-field",
                                                     "ignore-parse-errors"};
  auto format = options.find("format.type");
  const std::string fmt = format == options.end() ? "" : format->second;
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : options) {
    if (key == "connector.type") {
      out["connector"] = value;
    } else if (key == "connector.path") {
      out["path"] = value;
    } else if (key == "format.type") {
      out["format"] = value;
    } else if (key == "connector.property-version" || key == "format.property-version" ||
               (key == "format.derive-schema" && value == "true")) {
      continue;
    } else if (key.rfind("format.", 0) == 0 &&
               ((fmt == "csv" && csv_options.count(key.substr(7))) ||
                (fmt == "json" && json_options.count(key.substr(7))))) {
      out[fmt + "." + key.substr(7)] = value;
    } else if (key.rfind("connector.", 0) == 0 || key.rfind("format.", 0) == 0 ||
               key.rfind("update-mode", 0) == 0 || key.rfind("schema.", 0) == 0) {
      throw sql_error({},
                      "Unsupported legacy option '" + key + "' of table '" +
                          catalog::qualified(name) +
                          "' (the legacy 'connector.type' keys mapped are connector.type, "
                          "connector.path, format.type and the csv and json format.* options; "
                          "use the new option keys instead)",
                      "", "SQL validation error");
    } else {
      out[key] = value;
    }
  }
  return local_path(std::move(out));
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
