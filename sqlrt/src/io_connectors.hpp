// The SQL connectors over spate's file, Kafka and Redis connectors (io_connectors.cpp):
// filesystem (source and sink), kafka (source and sink), upsert-kafka (sink), redis (sink).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "spate/api/stream.hpp"
#include "spate/sql/plan.hpp"
#include "spate/sqlrt/row.hpp"
#include "text_format.hpp"

namespace spate::sql::detail {

stream<row> filesystem_table_source(environment& env, const plan_node& scan,
                                    const std::string& uid);
stream<row> kafka_table_source(environment& env, const plan_node& scan, const std::string& uid);

//! The filesystem connector's 'path' of `n`, a file:// URI's scheme stripped. Throws
//! invalid_argument naming the table when it is missing or has another scheme.
std::string filesystem_path(const plan_node& n);

//! Calls `each` with every record of every file under `path` (a file, or a directory's files
//! sorted by name), decoded by `decoder`, as the filesystem source reads them: blank lines (and
//! with csv.allow-comments '#' lines) hold none. A malformed record throws invalid_argument
//! naming `table`, the file and the line, or with the format's ignore-parse-errors is skipped.
//! Throws as check_readable_input() for a missing path.
void read_all_rows(const std::string& table, const std::string& path, row_decoder& decoder,
                   const std::function<void(const row&)>& each);

//! Where a LookupJoin's table is read from (its 'filesystem' options, checked).
struct lookup_source {
  std::string path;
  text_format format;
  //! 'lookup.cache.ttl': reload the files when this long has passed since they were read.
  std::optional<std::chrono::milliseconds> reload_every;
};
//! The lookup source of the LookupJoin `join` (its table's options and lookup_columns).
//! Throws invalid_argument naming the table and the option for a wrong or unknown one.
lookup_source filesystem_lookup_source(const plan_node& join);

void filesystem_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid);
//! `upsert`: the upsert-kafka connector (keys from the query's upsert key, -U dropped).
void kafka_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid, bool upsert);
void redis_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid);

} // namespace spate::sql::detail
