// SQL tables over spate's connectors: filesystem (json, csv, raw lines; source and sink), kafka
// (source and sink), upsert-kafka (sink) and redis (sink). The records are text: the formats of
// text_format.hpp turn them into rows and back.
#include "io_connectors.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "spate/connectors/file_sink.hpp"
#include "spate/connectors/kafka_config.hpp"
#include "spate/connectors/kafka_sink.hpp"
#include "spate/connectors/kafka_source.hpp"
#include "spate/connectors/line_file_reader.hpp"
#include "spate/connectors/redis_sink.hpp"
#include "spate/connectors/uri.hpp"
#include "spate/core/config.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "text_format.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

namespace {

[[noreturn]] void refuse(const plan_node& n, const std::string& key, const std::string& why) {
  throw error(errc::invalid_argument, "table '" + n.table + "': option '" + key + "' " + why);
}

[[noreturn]] void not_yet(const plan_node& n, const std::string& what) {
  throw error(errc::invalid_argument, "not supported yet: " + what + " (table '" + n.table + "')");
}

void check_known(const plan_node& n, const std::vector<std::string>& known,
                 const std::vector<std::string>& prefixes = {}) {
  for (const auto& [key, value] : n.options) {
    if (key == "connector")
      continue;
    bool ok = std::find(known.begin(), known.end(), key) != known.end();
    for (const auto& p : prefixes)
      ok = ok || key.rfind(p, 0) == 0;
    if (!ok)
      throw error(errc::invalid_argument, "table '" + n.table + "': unsupported option '" + key +
                                              "' for connector '" + option(n, "connector") + "'");
  }
}

const std::vector<plan_column>& sink_columns(const plan_node& sink) {
  return sink.sink_columns.empty() ? sink.schema : sink.sink_columns;
}

std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, 100));
  if (s.size() > 100)
    out += "...";
  return out;
}

std::string ignore_option(const text_format& f) {
  return f.kind == text_format_kind::csv ? "csv.ignore-parse-errors" : "json.ignore-parse-errors";
}

//! Malformed records skipped by SQL sources of this process (logged at most once a second).
std::atomic<std::int64_t> skipped_records{0};

void note_skipped(const std::string& table, const std::string& where, const std::string& why) {
  static std::atomic<std::int64_t> last_log{0};
  skipped_records.fetch_add(1, std::memory_order_relaxed);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t last = last_log.load(std::memory_order_relaxed);
  if (now - last >= 1000 && last_log.compare_exchange_strong(last, now))
    log().warn("table '{}': skipped a malformed record at {}: {} ({} skipped so far)", table, where,
               why, skipped_records.load(std::memory_order_relaxed));
}

//! Decodes the line `reader` returned last into `out`: true for a row; false for a line that
//! holds none (blank, a comment) or a malformed record skipped by the format's
//! ignore-parse-errors (counted in `errors`). Throws invalid_argument naming the file and line
//! for a malformed record otherwise.
bool decode_line(const std::string& table, const std::string& line, const line_file_reader& reader,
                 row_decoder& decoder, row& out, std::string& why,
                 std::atomic<std::int64_t>* errors) {
  const text_format& f = decoder.format();
  if (f.kind != text_format_kind::raw) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      return false; // blank lines hold no record
    if (f.allow_comments && line[0] == '#')
      return false;
  }
  if (decoder.decode(line, out, why))
    return true;
  const std::string where = reader.current_file() + ":" + std::to_string(reader.position().line);
  if (!f.ignore_parse_errors)
    throw error(errc::invalid_argument, "table '" + table + "': malformed " + f.name +
                                            " record at " + where + ": " + why + ": " +
                                            excerpt(line) + " (set '" + ignore_option(f) +
                                            "' = 'true' to skip such records)");
  if (errors)
    errors->fetch_add(1, std::memory_order_relaxed);
  note_skipped(table, where, why);
  return false;
}

// ---------------------------------------------------------------------------------------------
// filesystem source: the lines of the files under 'path', each decoded into a row; the
// checkpoint records how far each file was read (the file sources' state).

class file_row_source final : public source_function<row> {
public:
  file_row_source(std::string table, std::string path, text_format f,
                  std::vector<plan_column> columns)
      : table_(std::move(table)), reader_(std::move(path)), decoder_(std::move(f), columns) {}

  void open(runtime_context& ctx) override {
    reader_.open(ctx.subtask, ctx.parallelism);
    if (ctx.counters)
      errors_ = &ctx.counter("numRecordsInErrors");
  }
  source_status poll(collector<row>& out, std::size_t max_records) override {
    if (done_)
      return source_status::end();
    for (std::size_t n = 0; n < max_records; ++n) {
      if (!reader_.next(line_)) {
        done_ = true;
        return n == 0 ? source_status::end() : source_status::has_more();
      }
      if (decode_line(table_, line_, reader_, decoder_, scratch_, why_, errors_))
        out.emplace() = scratch_;
    }
    return source_status::has_more();
  }
  void close() override { reader_.close(); }
  void initialize_state(const operator_state_reader& state) override {
    restore_file_reader(reader_, state);
    done_ = false;
  }
  void snapshot_state(std::int64_t, operator_state_writer& out) override {
    out.put(file_source_state_name, reader_.snapshot());
  }

private:
  std::string table_;
  line_file_reader reader_;
  row_decoder decoder_;
  std::string line_;
  row scratch_;
  std::string why_;
  bool done_ = false;
  std::atomic<std::int64_t>* errors_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Kafka options: Flink's WITH options into the kafka:// SPEC the DataStream connector reads.

std::string brokers_of(const plan_node& n) {
  const std::string b = option(n, "properties.bootstrap.servers");
  if (b.empty())
    refuse(n, "properties.bootstrap.servers", "is required");
  return b;
}

std::string topics_of(const plan_node& n, bool one) {
  if (n.options.count("topic-pattern"))
    not_yet(n, "option 'topic-pattern'");
  std::string t = option(n, "topic");
  if (t.empty())
    refuse(n, "topic", "is required");
  std::replace(t.begin(), t.end(), ';', ',');
  if (one && t.find(',') != std::string::npos)
    refuse(n, "topic", "must name one topic for a sink, not '" + option(n, "topic") + "'");
  return t;
}

template <class F>
auto with_table(const plan_node& n, F f) {
  try {
    return f();
  } catch (const error& e) {
    throw error(e.code(), "table '" + n.table + "': " + e.what());
  }
}

//! The value format: 'value.format' (its options 'value.<format>.*'), or 'format'.
text_format value_format(const plan_node& n, const std::vector<plan_column>& columns,
                         std::vector<std::string>& known) {
  const bool value = n.options.count("value.format") > 0;
  if (value && n.options.count("format"))
    refuse(n, "format", "and 'value.format' cannot both be set");
  return parse_text_format(n, value ? "value.format" : "format", value ? "value." : "", columns,
                           known);
}

//! value.fields-include: only ALL (the key's columns are in the value too).
void check_fields_include(const plan_node& n, std::vector<std::string>& known) {
  known.push_back("value.fields-include");
  const std::string v = option(n, "value.fields-include", "ALL");
  if (v == "EXCEPT_KEY")
    not_yet(n, "'value.fields-include' = 'EXCEPT_KEY'");
  if (v != "ALL")
    refuse(n, "value.fields-include", "must be ALL or EXCEPT_KEY, not '" + v + "'");
}

int column_index(const std::vector<plan_column>& cols, const std::string& name) {
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (cols[i].name == name)
      return static_cast<int>(i);
  return -1;
}

//! The columns of the sink that form the key of the query's updates: the GROUP BY keys of a
//! GroupAggregate under plain column projections. Empty when the query only inserts; -1 in
//! the result when no key is known.
std::vector<int> upsert_key(const plan_node& sink) {
  if (sink.inputs.empty())
    return {-1};
  const plan_node* node = sink.inputs[0].get();
  const std::size_t n = sink_columns(sink).size();
  std::vector<int> map(n);
  for (std::size_t i = 0; i < n; ++i)
    map[i] = static_cast<int>(i);
  while (node->kind == node_kind::calc && !node->condition) {
    for (int& m : map) {
      if (m < 0)
        continue;
      const rex& e = node->projection.at(static_cast<std::size_t>(m));
      const rex* r = &e;
      if (r->kind == rex_kind::call && r->name == "CAST" && r->operands.size() == 1)
        r = &r->operands[0];
      m = r->kind == rex_kind::input_ref ? r->index : -1;
    }
    node = node->inputs.at(0).get();
  }
  if (node->kind == node_kind::group_aggregate) {
    std::vector<int> key;
    for (std::size_t k = 0; k < node->group_keys.size(); ++k) {
      int found = -1;
      for (std::size_t i = 0; i < n; ++i)
        if (map[i] == static_cast<int>(k))
          found = static_cast<int>(i);
      if (found < 0)
        return {-1};
      key.push_back(found);
    }
    return key;
  }
  if (sink.inputs[0]->changelog.insert_only())
    return {};
  return {-1};
}

//! Flink's keyed shuffle in front of an updating sink whose 'sink.parallelism' is set: the rows
//! of one key (the sink columns `key`) reach one encoder and sink subtask, in their order (a
//! round robin could put a key's -D after the +I that follows it). `in` unchanged when
//! `parallelism` is 0 (the sink then runs at the input's parallelism, forward) or no key.
stream<row> shuffle_by_key(stream<row>& in, const std::vector<int>& key,
                           const std::vector<plan_column>& cols, std::int64_t parallelism) {
  if (parallelism <= 0 || key.empty() || key == std::vector<int>{-1})
    return in;
  std::vector<logical_type> types;
  for (const auto& c : cols)
    types.push_back(c.type);
  row_layout layout(types);
  std::vector<std::size_t> slots;
  for (int k : key) {
    const std::size_t first = layout.first[static_cast<std::size_t>(k)];
    for (std::size_t s = first; s < first + layout.width[static_cast<std::size_t>(k)]; ++s)
      slots.push_back(s);
  }
  auto keyed = in.key_by([layout, slots](const row& r) {
    std::string k;
    for (std::size_t s : slots) {
      append_value(k, r, s, layout);
      k += '\x1f';
    }
    return k;
  });
  return stream<row>(&in.env(), keyed.inputs());
}

} // namespace

// ---------------------------------------------------------------------------------------------
// filesystem

std::string filesystem_path(const plan_node& n) {
  std::string path = option(n, "path");
  if (path.empty())
    refuse(n, "path", "is required");
  const auto scheme = path.find("://");
  if (scheme != std::string::npos) {
    if (path.compare(0, scheme, "file") != 0)
      not_yet(n, "filesystem path scheme '" + path.substr(0, scheme) + "://' ('" + path +
                     "'; local paths and file:// are supported)");
    path.erase(0, scheme + 3);
    if (path.empty() || path[0] != '/')
      refuse(n, "path", "must be file:///absolute/path, not '" + option(n, "path") + "'");
  }
  return path;
}

void read_all_rows(const std::string& table, const std::string& path, row_decoder& decoder,
                   const std::function<void(const row&)>& each) {
  line_file_reader reader(path);
  reader.open(0, 1); // every file, as the only subtask
  std::string line, why;
  row scratch;
  while (reader.next(line))
    if (decode_line(table, line, reader, decoder, scratch, why, nullptr))
      each(scratch);
  reader.close();
}

lookup_source filesystem_lookup_source(const plan_node& join) {
  std::vector<std::string> known = {"path", "lookup.cache.ttl"};
  lookup_source out;
  out.format = parse_text_format(join, "format", "", join.lookup_columns, known);
  check_known(join, known);
  out.path = filesystem_path(join);
  if (join.options.count("lookup.cache.ttl"))
    out.reload_every = with_table(join, [&] {
      return parse_duration(option(join, "lookup.cache.ttl"), "option 'lookup.cache.ttl'");
    });
  return out;
}

stream<row> filesystem_table_source(environment& env, const plan_node& scan,
                                    const std::string& uid) {
  std::vector<std::string> known = {"path"};
  text_format f = parse_text_format(scan, "format", "", scan.schema, known);
  for (const char* o : {"source.monitor-interval", "source.path.regex-pattern"})
    if (scan.options.count(o))
      not_yet(scan, std::string("filesystem option '") + o + "'");
  check_known(scan, known);
  const std::string path = filesystem_path(scan);
  with_table(scan, [&] {
    check_readable_input(path);
    return 0;
  });
  source_spec<row> spec;
  spec.name = "filesystem";
  const std::string table = scan.table;
  const std::vector<plan_column> columns = scan.schema;
  spec.factory = [table, path, f, columns]() -> std::unique_ptr<source_function<row>> {
    return std::make_unique<file_row_source>(table, path, f, columns);
  };
  auto s = env.add_source(std::move(spec));
  s.uid(uid).name(scan.table + "[filesystem " + f.name + "]");
  return s;
}

void filesystem_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid) {
  const auto& cols = sink_columns(sink);
  std::vector<std::string> known = {"path", "sink.parallelism"};
  text_format f = parse_text_format(sink, "format", "", cols, known);
  for (const auto& [key, value] : sink.options)
    if (key.rfind("sink.rolling-policy.", 0) == 0 || key.rfind("partition.", 0) == 0 ||
        key.rfind("auto-compaction", 0) == 0 || key.rfind("compaction.", 0) == 0)
      not_yet(sink, "filesystem option '" + key + "'");
  check_known(sink, known);
  const std::string path = filesystem_path(sink);
  row_encoder enc(f, cols);
  auto lines = in.flat_map([enc](const row& r, collector<std::string>& out) {
                   if (r.kind() != row_kind::insert && r.kind() != row_kind::update_after)
                     return;
                   std::string& line = out.emplace();
                   line.reserve(64 + 16 * r.size());
                   enc.encode(line, r);
                 })
                   .name(f.name)
                   .uid(uid + "-" + f.name);
  auto handle = lines.add_sink(file_sink(path, file_sink_mode::per_subtask));
  handle.name("Sink: " + sink.table + "[filesystem]").uid(uid);
  const std::int64_t parallelism = int_option(sink, "sink.parallelism", 0);
  if (parallelism > 0)
    handle.set_parallelism(static_cast<int>(parallelism));
}

// ---------------------------------------------------------------------------------------------
// kafka

stream<row> kafka_table_source(environment& env, const plan_node& scan, const std::string& uid) {
  if (option(scan, "connector") == "upsert-kafka")
    not_yet(scan, "connector 'upsert-kafka' as a source");
  std::vector<std::string> known = {"topic",
                                    "scan.startup.mode",
                                    "scan.startup.timestamp-millis",
                                    "scan.bounded.mode",
                                    "scan.topic-partition-discovery.interval",
                                    "key.fields",
                                    "key.fields-prefix"};
  text_format f = value_format(scan, scan.schema, known);
  check_fields_include(scan, known);
  if (scan.options.count("key.format")) {
    // The key's columns are read from the value (value.fields-include = ALL).
    std::vector<std::string> ignored;
    parse_text_format(scan, "key.format", "key.", {}, ignored, "json");
    for (const auto& k : ignored)
      known.push_back(k);
  }
  if (scan.options.count("key.fields-prefix"))
    not_yet(scan, "option 'key.fields-prefix'");
  for (const char* o : {"scan.startup.specific-offsets", "scan.bounded.specific-offsets",
                        "scan.bounded.timestamp-millis"})
    if (scan.options.count(o))
      not_yet(scan, std::string("option '") + o + "'");
  check_known(scan, known, {"properties."});

  connector_uri uri;
  uri.scheme = "kafka";
  uri.authority = brokers_of(scan);
  uri.path = topics_of(scan, false);
  for (const auto& [key, value] : scan.options)
    if ((key.rfind("properties.", 0) == 0 && key != "properties.bootstrap.servers") ||
        key.rfind("scan.", 0) == 0)
      uri.options[key] = value;
  uri.text = "kafka://" + uri.authority + "/" + uri.path;
  kafka_source_config cfg = with_table(scan, [&] { return parse_kafka_source_config(uri); });

  auto lines = env.add_source(kafka_source(cfg));
  lines.uid(uid).name(scan.table + "[kafka]");
  row_decoder dec(f, scan.schema);
  const std::string table = scan.table;
  const std::string topics = uri.path;
  return lines
      .flat_map([dec, table, topics, count = std::int64_t{0}, scratch = row(),
                 why = std::string()](const std::string& text, collector<row>& out) mutable {
        ++count;
        if (dec.decode(text, scratch, why)) {
          out.emplace() = scratch;
          return;
        }
        const text_format& fm = dec.format();
        const std::string where =
            "topic " + topics + ", record " + std::to_string(count) + " read by this subtask";
        if (!fm.ignore_parse_errors)
          throw error(errc::invalid_argument, "table '" + table + "': malformed " + fm.name +
                                                  " record (" + where + "): " + why + ": " +
                                                  excerpt(text) + " (set '" + ignore_option(fm) +
                                                  "' = 'true' to skip such records)");
        note_skipped(table, where, why);
      })
      .name("Decode: " + scan.table + "[" + f.name + "]")
      .uid(uid + "-decode");
}

void kafka_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid, bool upsert) {
  const auto& cols = sink_columns(sink);
  std::vector<std::string> known = {
      "topic",      "sink.delivery-guarantee", "sink.transactional-id-prefix", "sink.parallelism",
      "key.fields", "key.fields-prefix"};
  text_format f = value_format(sink, cols, known);
  check_fields_include(sink, known);
  known.push_back("sink.partitioner");
  if (const std::string p = option(sink, "sink.partitioner", "default"); p != "default")
    not_yet(sink, "'sink.partitioner' = '" + p + "'");
  if (sink.options.count("key.fields-prefix"))
    not_yet(sink, "option 'key.fields-prefix'");
  for (const auto& [key, value] : sink.options)
    if (key.rfind("sink.buffer-flush.", 0) == 0)
      not_yet(sink, "option '" + key + "'");

  // The key's columns: upsert-kafka's PRIMARY KEY (in its order, as Flink's key.fields), or
  // kafka's 'key.fields'.
  std::vector<int> key;
  // upsert-kafka: a -U is skipped when the +U after it has the same PRIMARY KEY (the key is
  // within the query's upsert key); otherwise it is a tombstone of its own key, and the +U
  // writes the new one (the key may have changed).
  bool before_is_tombstone = false;
  if (upsert) {
    if (sink.options.count("key.fields"))
      refuse(sink, "key.fields",
             "is not allowed for upsert-kafka: the key is the table's PRIMARY KEY");
    key = sink.primary_key;
    if (key.empty()) // the analyzer refuses such a table first
      refuse(sink, "connector", "upsert-kafka needs the table's PRIMARY KEY");
    const std::vector<int> uk = upsert_key(sink);
    for (int k : key)
      if (std::find(uk.begin(), uk.end(), k) == uk.end())
        before_is_tombstone = true;
  } else if (sink.options.count("key.fields")) {
    std::string list = option(sink, "key.fields");
    std::size_t pos = 0;
    while (pos <= list.size()) {
      auto semi = list.find(';', pos);
      std::string name =
          list.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
      pos = semi == std::string::npos ? list.size() + 1 : semi + 1;
      const int i = column_index(cols, name);
      if (i < 0)
        refuse(sink, "key.fields", "names no column '" + name + "'");
      key.push_back(i);
    }
  }
  std::vector<plan_column> key_cols;
  for (int k : key)
    key_cols.push_back(cols[static_cast<std::size_t>(k)]);
  std::optional<text_format> key_format;
  if (!key.empty() || sink.options.count("key.format")) {
    if (!sink.options.count("key.format"))
      refuse(sink, "key.format", "is required when the record has a key");
    if (key.empty())
      refuse(sink, "key.format", "needs 'key.fields' naming the key's columns");
    key_format = parse_text_format(sink, "key.format", "key.", key_cols, known);
  }
  check_known(sink, known, {"properties."});

  connector_uri uri;
  uri.scheme = "kafka";
  uri.authority = brokers_of(sink);
  uri.path = topics_of(sink, true);
  for (const auto& [k, value] : sink.options)
    if ((k.rfind("properties.", 0) == 0 && k != "properties.bootstrap.servers") ||
        k == "sink.delivery-guarantee" || k == "sink.transactional-id-prefix")
      uri.options[k] = value;
  uri.text = "kafka://" + uri.authority + "/" + uri.path;
  kafka_sink_config cfg = with_table(sink, [&] { return parse_kafka_sink_config(uri); });
  // [u32 key length][key][1 + value | 0: a tombstone]
  cfg.framed_records = key_format.has_value();

  row_encoder enc(f, cols);
  std::optional<row_encoder> key_enc;
  // The key row's slots, taken from the row's: every slot of each key column (a ROW column
  // has one slot for itself and one per nested field).
  std::vector<std::pair<std::size_t, bool>> key_slots; // slot in the row, is a string
  if (key_format) {
    key_enc.emplace(*key_format, key_cols);
    std::vector<logical_type> types;
    for (const auto& c : cols)
      types.push_back(c.type);
    row_layout layout(types);
    for (int k : key) {
      const std::size_t first = layout.first[static_cast<std::size_t>(k)];
      for (std::size_t s = first; s < first + layout.width[static_cast<std::size_t>(k)]; ++s)
        key_slots.emplace_back(s, layout.is_string[s] != 0);
    }
  }
  const std::string table = sink.table;
  const std::int64_t parallelism = int_option(sink, "sink.parallelism", 0);
  stream<row> input = upsert ? shuffle_by_key(in, key, cols, parallelism) : in;
  auto values =
      input
          .flat_map([enc, key_enc, key_slots, upsert, before_is_tombstone, table,
                     key_row = row()](const row& r, collector<std::string>& out) mutable {
            if (r.kind() == row_kind::update_before && !before_is_tombstone)
              return; // the +U that follows overwrites the key's value
            const bool del = r.kind() == row_kind::delete_ || r.kind() == row_kind::update_before;
            if (del && !upsert) // the analyzer refuses updating queries into kafka first
              throw error(errc::invalid_argument,
                          "table '" + table + "': a delete (-D) into kafka, which takes inserts");
            std::string& record = out.emplace();
            record.reserve(64 + 16 * r.size());
            if (key_enc) {
              key_row.reset(key_slots.size());
              for (std::size_t k = 0; k < key_slots.size(); ++k)
                key_row.copy_slot(r, key_slots[k].first, k, key_slots[k].second);
              record.append(4, '\0');
              key_enc->encode(record, key_row);
              const std::size_t klen = record.size() - 4;
              for (int b = 0; b < 4; ++b)
                record[static_cast<std::size_t>(b)] =
                    static_cast<char>((klen >> (8 * (3 - b))) & 0xff);
              record += del ? '\0' : '\1';
              if (del)
                return; // a tombstone
            }
            enc.encode(record, r);
          })
          .name("Encode: " + sink.table + "[" + f.name + "]")
          .uid(uid + "-encode");
  auto handle = values.add_sink(kafka_sink(cfg));
  handle.name("Sink: " + sink.table + (upsert ? "[upsert-kafka]" : "[kafka]")).uid(uid);
  if (parallelism > 0) {
    values.set_parallelism(static_cast<int>(parallelism)); // chained to the sink
    handle.set_parallelism(static_cast<int>(parallelism));
  }
}

// ---------------------------------------------------------------------------------------------
// redis

void redis_table_sink(stream<row>& in, const plan_node& sink, const std::string& uid) {
  const auto& cols = sink_columns(sink);
  check_known(sink, {"host", "port", "username", "password", "database", "command", "key", "field",
                     "value", "ttl", "sink.buffer-flush.max-rows", "sink.max-retry-time",
                     "connect.timeout", "socket.timeout", "sink.parallelism"});
  std::string command = option(sink, "command", "set");
  for (char& c : command)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (command != "set" && command != "hset")
    not_yet(sink, "redis 'command' = '" + option(sink, "command") +
                      "' for SQL (set and hset are supported)");
  std::vector<int> key = sink.primary_key.empty() ? upsert_key(sink) : sink.primary_key;
  if (key == std::vector<int>{-1})
    key.clear();
  auto braces = [&](int i) { return "{" + cols[static_cast<std::size_t>(i)].name + "}"; };
  // -D rows are DEL key (SET) or HDEL key field (HSET) with the same templates; -U rows are
  // skipped (the +U after them has the same key when the templates use the key's columns).
  // Defaults: SET key = the PRIMARY KEY's columns (else the query's upsert key's) joined by ':'
  // (else the first column), value = the one other column (else the row as JSON); HSET key =
  // the first key column (else the first column), field = the second, value = the one other
  // column (else the row as JSON).
  std::vector<int> used;
  std::string key_t, field_t;
  if (command == "set") {
    if (key.empty())
      key = {0};
    for (std::size_t k = 0; k < key.size(); ++k)
      key_t += (k ? ":" : "") + braces(key[k]);
    used = key;
  } else {
    const int a = key.size() >= 1 ? key[0] : 0;
    const int b = key.size() >= 2 ? key[1] : (a == 0 ? 1 : 0);
    if (cols.size() < 2)
      refuse(sink, "command", "hset needs a table of at least two columns (key, field)");
    key_t = braces(a);
    field_t = braces(b);
    used = {a, b};
  }
  std::string value_t = "{}";
  if (cols.size() == used.size() + 1)
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (std::find(used.begin(), used.end(), static_cast<int>(i)) == used.end())
        value_t = braces(static_cast<int>(i));

  connector_uri uri;
  uri.scheme = "redis";
  const std::string host = option(sink, "host", "localhost");
  const std::string port = option(sink, "port", "6379");
  uri.authority = host + ":" + port;
  if (sink.options.count("password")) {
    uri.has_userinfo = true;
    uri.userinfo = option(sink, "username") + ":" + option(sink, "password");
  } else if (sink.options.count("username")) {
    refuse(sink, "username", "needs 'password'");
  }
  uri.path = option(sink, "database");
  uri.options["command"] = command;
  uri.options["key"] = option(sink, "key", key_t);
  uri.options["value"] = option(sink, "value", value_t);
  if (command == "hset")
    uri.options["field"] = option(sink, "field", field_t);
  else if (sink.options.count("field"))
    refuse(sink, "field", "is only for 'command' = 'hset'");
  for (const char* o : {"ttl", "sink.buffer-flush.max-rows", "sink.max-retry-time",
                        "connect.timeout", "socket.timeout"})
    if (sink.options.count(o))
      uri.options[o] = option(sink, o);
  uri.text = "redis://" + uri.authority + (uri.path.empty() ? "" : "/" + uri.path);
  redis_sink_config cfg = with_table(sink, [&] { return parse_redis_sink_config(uri); });
  cfg.delete_prefix = "-D"; // a JSON record starts with '{'

  std::vector<std::string> names;
  std::vector<logical_type> types;
  for (const auto& c : cols) {
    names.push_back(c.name);
    types.push_back(c.type);
  }
  row_layout layout(types);
  const std::int64_t parallelism = int_option(sink, "sink.parallelism", 0);
  stream<row> input = !sink.inputs.empty() && !sink.inputs[0]->changelog.insert_only()
                          ? shuffle_by_key(in, key, cols, parallelism)
                          : in;
  auto values = input
                    .flat_map([layout, names](const row& r, collector<std::string>& out) {
                      switch (r.kind()) {
                        case row_kind::insert:
                        case row_kind::update_after: {
                          std::string& value = out.emplace();
                          value.reserve(64 + 16 * r.size());
                          append_json(value, r, layout, names);
                          return;
                        }
                        case row_kind::update_before:
                          return;
                        case row_kind::delete_: {
                          std::string& value = out.emplace();
                          value.reserve(64 + 16 * r.size());
                          value = "-D"; // DEL (SET) or HDEL (HSET) of the row's key
                          append_json(value, r, layout, names);
                          return;
                        }
                      }
                    })
                    .name("Encode: " + sink.table + "[redis]")
                    .uid(uid + "-encode");
  auto handle = values.add_sink(redis_sink(cfg));
  handle.name("Sink: " + sink.table + "[redis]").uid(uid);
  if (parallelism > 0) {
    values.set_parallelism(static_cast<int>(parallelism)); // chained to the sink
    handle.set_parallelism(static_cast<int>(parallelism));
  }
}

} // namespace spate::sql::detail
