// The catalog a SQL session keeps: tables from CREATE TABLE (columns with their types,
// computed columns, the watermark, the primary key and the WITH options), views from CREATE
// VIEW (kept as their query's syntax tree and expanded where they are used), temporary
// functions from CREATE FUNCTION (by name only, for now) and the SET configuration. There is
// one catalog and one database, Flink's default_catalog.default_database.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spate/sql/ast.hpp"
#include "spate/sql/types.hpp"

namespace spate::sql {

struct catalog_column {
  std::string name;
  logical_type type;            //!< with its time attribute, if it is the rowtime or a proctime
  std::optional<expr> computed; //!< name AS computed
  std::optional<std::string> comment;
};

struct catalog_table {
  std::string name;
  std::vector<catalog_column> columns;
  std::optional<std::string> watermark_column;
  std::optional<expr> watermark; //!< the watermark strategy expression
  std::vector<std::string> primary_key;
  std::map<std::string, std::string> options;
  std::vector<std::string> partitioned_by;
  std::optional<std::string> comment;
  bool temporary = false;
  std::string source; //!< the CREATE TABLE text, for errors inside its expressions

  //! The column named `name`, or null.
  const catalog_column* column(const std::string& wanted) const;
  //! The 'connector' option (for a table with Flink's legacy keys, 'connector.type'), or "".
  std::string connector() const;
  //! The options the connectors read: `options` as written, or, for a table declared with
  //! Flink's legacy keys ('connector.type' and no 'connector'), those keys mapped to the new
  //! ones: connector.type -> connector, connector.path -> path, format.type -> format,
  //! format.<option> -> <format>.<option> (csv: field-delimiter, quote-character, ...; json:
  //! fail-on-missing-field, ignore-parse-errors); the *.property-version keys and
  //! format.derive-schema = 'true' are dropped. A filesystem 'path' given as a file:///
  //! URI becomes its local path. Throws sql_error (a validation error without position) naming
  //! a legacy key it does not map.
  std::map<std::string, std::string> effective_options() const;
};

struct catalog_view {
  std::string name;
  std::vector<std::string> columns; //!< CREATE VIEW v (a, b): renames the query's columns
  query body;
  bool temporary = false;
  std::string source; //!< the CREATE VIEW text, for errors inside the view
};

struct catalog_function {
  std::string name;
  std::string class_name;
  std::string language;
};

class catalog {
public:
  static constexpr const char* default_catalog = "default_catalog";
  static constexpr const char* default_database = "default_database";

  //! "default_catalog.default_database.name".
  static std::string qualified(const std::string& name);
  //! The object name `name` refers to (t, db.t, cat.db.t in the default catalog and
  //! database), or nullopt for another catalog or database.
  static std::optional<std::string> object_name(const qualified_name& name);

  const catalog_table* find_table(const std::string& name) const;
  const catalog_view* find_view(const std::string& name) const;
  const catalog_function* find_function(const std::string& name) const;

  //! Add an object; false when one of that name exists already (tables and views share
  //! names).
  bool add_table(catalog_table t);
  bool add_view(catalog_view v);
  bool add_function(catalog_function f);
  bool drop_table(const std::string& name);
  bool drop_view(const std::string& name);
  bool drop_function(const std::string& name);

  //! Tables and views, sorted: what SHOW TABLES lists.
  std::vector<std::string> table_names() const;
  std::vector<std::string> view_names() const;
  std::vector<std::string> function_names() const;

  //! SET 'key' = 'value' configuration.
  std::map<std::string, std::string>& config() { return config_; }
  const std::map<std::string, std::string>& config() const { return config_; }

private:
  std::map<std::string, catalog_table> tables_;
  std::map<std::string, catalog_view> views_;
  std::map<std::string, catalog_function> functions_;
  std::map<std::string, std::string> config_;
};

} // namespace spate::sql
