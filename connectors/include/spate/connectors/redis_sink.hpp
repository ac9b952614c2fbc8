// A sink writing each record to Redis: SET, HSET, ZADD, XADD, PUBLISH, LPUSH,
// RPUSH or SADD, with keys and values taken from the record by templates.
//   --output 'redis://:PASSWORD@HOST:PORT/DB?command=SET&key=sensor_id_{id}&ttl=60'
// Pipelined (one round trip per batch), AUTH and SELECT on connect, reconnect
// with backoff; records are never dropped while Redis is away (write() blocks,
// then throws after sink.max-retry-time). See connectors/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spate/api/functions.hpp"
#include "spate/connectors/uri.hpp"

namespace spate {

//! What the sink sends per record.
enum class redis_command {
  set,     //!< SET key value [PX ttl]                 (idempotent)
  hset,    //!< HSET key field value                   (idempotent)
  zadd,    //!< ZADD key score member                  (idempotent)
  sadd,    //!< SADD key value                         (idempotent)
  xadd,    //!< XADD key * value V | f1 v1 f2 v2 ...   (at least once)
  publish, //!< PUBLISH channel message                (at least once)
  lpush,   //!< LPUSH key value                        (at least once)
  rpush,   //!< RPUSH key value                        (at least once)
};

//! The command's name as Redis spells it ("SET", "HSET", ...).
const char* to_string(redis_command command);

//! True when replaying a record leaves Redis as a single write did (SET, HSET,
//! ZADD, SADD): the sink is then effectively once after a restore.
bool redis_command_idempotent(redis_command command);

//! What happens to a record that is not a JSON object, or lacks a field a
//! template uses, or whose ZADD score is not a number.
enum class redis_malformed_policy {
  fail, //!< the job fails naming the field and an excerpt of the record
  skip, //!< counted in numRecordsOutErrors, logged at most once per second
};

//! Everything the Redis sink needs, typed. Built from a `redis://` SPEC by
//! parse_redis_sink_config(); SQL's WITH (...) options use the same names.
//! Templates: `{name}` is the top-level JSON field `name` of the record (a
//! string as is, a number, boolean, object or array as its JSON text), `{}`
//! the whole record, `{{` and `}}` literal braces.
struct redis_sink_config {
  std::string host = "localhost";
  int port = 6379;
  //! ACL user (Redis 6+) for `AUTH user password`; empty: `AUTH password`.
  std::string user;
  //! AUTH after connecting when set. Never appears in messages.
  std::optional<std::string> password;
  //! SELECT after AUTH when not 0 (the SPEC's path, `/3`).
  int database = 0;
  redis_command command = redis_command::set;
  //! Template of the key (the channel for PUBLISH). Required.
  std::string key;
  //! Template of the value: SET's value, HSET's field value, the element of
  //! LPUSH/RPUSH/SADD, PUBLISH's message, XADD's `value` field (without
  //! stream_fields). ZADD does not use it.
  std::string value = "{}";
  //! HSET: template of the hash field (required for HSET).
  std::string field;
  //! ZADD: templates of the member and of the score (both required); the
  //! score must be a number, else the record is malformed.
  std::string member;
  std::string score;
  //! XADD: top-level JSON fields written as the entry's fields; empty: the
  //! `value` template under the field name `value`.
  std::vector<std::string> stream_fields;
  //! Expiry in milliseconds, 0: none. SET uses PX; the other commands (not
  //! PUBLISH) are followed by PEXPIRE key ttl in the same pipeline.
  std::int64_t ttl_ms = 0;
  //! Most commands per pipelined round trip (sink.buffer-flush.max-rows).
  std::size_t max_rows = 1000;
  //! How long write() retries a lost connection before it throws
  //! (sink.max-retry-time).
  std::int64_t max_retry_ms = 60000;
  //! Connect timeout (connect.timeout) and the read/write timeout of a round
  //! trip (socket.timeout).
  std::int64_t connect_timeout_ms = 5000;
  std::int64_t socket_timeout_ms = 10000;
  redis_malformed_policy malformed = redis_malformed_policy::fail;
  //! A record starting with this prefix is a delete: the rest is the record (with the fields
  //! every template uses, as a write's), whose key (and field) templates give DEL key (SET)
  //! or HDEL key field (HSET), in order with the writes around it; no PEXPIRE follows. With
  //! another command such a record is malformed. Empty: no deletes. Set to "-D" by SQL's
  //! redis connector for -D rows (not a redis:// option).
  std::string delete_prefix;
  //! The SPEC with the password masked as `***`, for messages.
  std::string spec;
};

//! Reads a `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?OPTIONS]` URI:
//! options command, key, value, field, member, score, fields, ttl,
//! sink.buffer-flush.max-rows, sink.max-retry-time, sink.malformed,
//! connect.timeout, socket.timeout. Throws spate::error(errc::invalid_argument)
//! naming the SPEC (password masked) and the fault: an unknown option, a
//! missing key, HSET without field, a bad ttl, port, database or template, an
//! option the command does not take.
redis_sink_config parse_redis_sink_config(const connector_uri& uri);

//! A sink sending each record (a text line, usually a JSON object) to Redis
//! as `cfg` says. Each subtask holds one connection, opened in open(): an
//! unreachable server or a refused AUTH/SELECT throws spate::error(errc::io,
//! "redis sink HOST:PORT: ...") without the password. write() sends the batch
//! pipelined (at most max_rows commands per round trip) and returns while Redis
//! works on it: replies are awaited, oldest batch first, only while more than
//! 2 x max_rows commands are unacknowledged, so building the next batch
//! overlaps Redis running the previous ones. A lost connection is reopened with exponential
//! backoff (50 ms doubling to 2 s) and the unacknowledged commands sent again,
//! for up to max_retry_ms, then errc::io naming HOST:PORT and the last error.
//! An error reply (e.g. WRONGTYPE) throws errc::io naming the command and the
//! key; it is not retried. Checkpoints record no state: everything written
//! before a barrier is awaited then, so a checkpoint covers only acknowledged
//! writes (at least once; effectively once
//! for idempotent commands). Counters: "numRecordsOutErrors" (skipped
//! malformed records), "numReconnectAttempts".
sink_spec<std::string> redis_sink(redis_sink_config cfg);

} // namespace spate
