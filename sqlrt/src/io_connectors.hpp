// The SQL connectors over spate's file, Kafka and Redis connectors (io_connectors.cpp):
// filesystem (source and sink), kafka (source and sink), upsert-kafka (sink), redis (sink).
#pragma once

#include <string>

#include "spate/api/stream.hpp"
#include "spate/sql/plan.hpp"
#include "spate/sqlrt/row.hpp"

namespace spate::sql::detail {

stream<row> filesystem_table_source(environment& env, const plan_node& scan,
                                    const std::string& uid);
stream<row> kafka_table_source(environment& env, const plan_node& scan, const std::string& uid);

void filesystem_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid);
//! `upsert`: the upsert-kafka connector (keys from the query's upsert key, -U dropped).
void kafka_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid, bool upsert);
void redis_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid);

} // namespace spate::sql::detail
