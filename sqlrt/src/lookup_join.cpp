// LookupJoin: each input row looked up in a table by its key columns (Flink's LookupJoin for
// `JOIN t FOR SYSTEM_TIME AS OF left.proctime`). The table is a 'filesystem' one (json, csv,
// raw): every subtask reads all of its files when it opens into a hash index from the key
// columns' encoded values to the table's rows, and reads them again when 'lookup.cache.ttl'
// has passed since (checked every 1024 input rows). Nothing is kept in state: a restored job
// reads the table again.
#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>

#include "group_key.hpp"
#include "io_connectors.hpp"
#include "spate/api/process.hpp"
#include "spate/connectors/line_file_reader.hpp"
#include "spate/core/error.hpp"
#include "spate/sqlrt/expr.hpp"
#include "translate.hpp"

namespace spate::sql::detail {

namespace {

//! What every subtask of one LookupJoin shares: the plan's layouts, keys and options.
struct lookup_plan {
  std::string table;
  lookup_source source;
  std::vector<plan_column> table_columns;
  row_layout in_layout;    //!< the input (left) rows
  row_layout table_layout; //!< the table's rows
  row_layout out_layout;   //!< input ++ table
  group_key left_key;      //!< over the input's key columns
  group_key table_key;     //!< over the table's key columns, the same types in the same order
  std::optional<rex> residual;
  bool left_outer = false;
};

class lookup_join_function final : public process_function<row, row> {
public:
  explicit lookup_join_function(std::shared_ptr<const lookup_plan> plan) : plan_(std::move(plan)) {}

  void open(runtime_context&) override {
    if (plan_->residual)
      residual_.emplace(*plan_->residual, plan_->out_layout);
    load();
  }

  void process_element(const row& r, context& ctx) override {
    if (plan_->source.reload_every && ++since_check_ >= check_every) {
      since_check_ = 0;
      if (std::chrono::steady_clock::now() - loaded_at_ >= *plan_->source.reload_every)
        load();
    }
    bool matched = false;
    if (!plan_->left_key.has_null(r)) { // NULL equals nothing
      plan_->left_key.encode_into(r, key_);
      if (auto it = index_.find(key_); it != index_.end())
        for (const row& match : it->second) {
          build(r, &match);
          if (residual_ && !residual_->test(out_))
            continue;
          matched = true;
          ctx.output(std::move(out_));
        }
    }
    if (!matched && plan_->left_outer) {
      build(r, nullptr);
      ctx.output(std::move(out_));
    }
  }

private:
  static constexpr int check_every = 1024;

  //! Reads the table's files into the index.
  void load() {
    index_.clear();
    row_decoder decoder(plan_->source.format, plan_->table_columns);
    std::string key;
    read_all_rows(plan_->table, plan_->source.path, decoder, [&](const row& t) {
      if (plan_->table_key.has_null(t))
        return; // never matches
      plan_->table_key.encode_into(t, key);
      index_[key].push_back(t);
    });
    loaded_at_ = std::chrono::steady_clock::now();
  }

  //! out_ = r ++ (the table row, or nulls), of r's kind.
  void build(const row& r, const row* match) {
    const lookup_plan& p = *plan_;
    out_.reserve(r.buffer().size() + (match ? match->buffer().size() : 0) + 16);
    out_.reset(p.out_layout.slots(), r.kind());
    const std::size_t left = p.in_layout.slots();
    for (std::size_t s = 0; s < left; ++s)
      out_.copy_slot(r, s, s, p.in_layout.is_string[s] != 0);
    if (match)
      for (std::size_t s = 0; s < p.table_layout.slots(); ++s)
        out_.copy_slot(*match, s, left + s, p.table_layout.is_string[s] != 0);
  }

  std::shared_ptr<const lookup_plan> plan_;
  std::optional<compiled_expr> residual_;
  std::unordered_map<std::string, std::vector<row>> index_;
  std::chrono::steady_clock::time_point loaded_at_;
  int since_check_ = 0;
  std::string key_;
  row out_;
};

} // namespace

stream<row> make_lookup_join(stream<row>& input, const row_layout& in_layout, const plan_node& join,
                             const std::string& uid) {
  auto plan = std::make_shared<lookup_plan>();
  plan->table = join.table;
  plan->source = filesystem_lookup_source(join);
  plan->table_columns = join.lookup_columns;
  plan->in_layout = in_layout;
  std::vector<logical_type> types;
  for (const plan_column& c : join.lookup_columns)
    types.push_back(c.type);
  plan->table_layout = row_layout(types);
  std::vector<logical_type> out_types = in_layout.columns;
  out_types.insert(out_types.end(), types.begin(), types.end());
  plan->out_layout = row_layout(out_types);
  if (join.left_keys.empty() || join.left_keys.size() != join.right_keys.size())
    throw error(errc::invalid_argument,
                "LookupJoin on table '" + join.table + "' without its lookup keys");
  plan->left_key = key_of_columns(in_layout, join.left_keys);
  plan->table_key = key_of_columns(plan->table_layout, join.right_keys);
  plan->residual = join.residual;
  plan->left_outer = join.join == join_type::left;
  if (join.join != join_type::inner && join.join != join_type::left)
    throw error(errc::invalid_argument,
                "not supported yet: a lookup join other than INNER or LEFT (table '" + join.table +
                    "')");
  // A missing path fails before the job starts, as for the filesystem source; a malformed
  // line fails the job when a subtask reads the table.
  try {
    check_readable_input(plan->source.path);
  } catch (const error& e) {
    throw error(e.code(), "table '" + join.table + "': " + e.what());
  }
  auto s = input.process(lookup_join_function(plan));
  s.name(join.describe()).uid(uid);
  return s;
}

} // namespace spate::sql::detail
