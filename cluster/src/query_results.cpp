#include "query_results.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

#include "spate/api/functions.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"
#include "spate/sql/types.hpp"
#include "spate/transport/frame.hpp"

namespace spate::cluster_detail {

namespace {

std::int32_t wire_kind(sql::row_kind k) {
  switch (k) {
    case sql::row_kind::insert:
      return 0;
    case sql::row_kind::update_before:
      return 1;
    case sql::row_kind::update_after:
      return 2;
    case sql::row_kind::delete_:
      return 3;
  }
  return 0;
}

std::uint64_t random_incarnation() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

//! One subtask of a query's sink on a TaskManager.
class result_sink final : public sink_function<sql::row> {
public:
  result_sink(std::function<void(std::string)> send, sql::row_layout layout)
      : send_(std::move(send)), layout_(std::move(layout)) {}

  void initialize_state(const operator_state_reader& r) override {
    if (auto sent = r.own("sent"))
      sent_ = decode<std::int64_t>(*sent, "the rows a query's sink sent");
  }

  void open(runtime_context& rc) override {
    job_id_ = rc.job_id;
    subtask_ = rc.subtask;
    incarnation_ = random_incarnation();
    send_(transport::encode_message(transport::frame_type::query_reset,
                                    wire_query_reset{job_id_, subtask_, incarnation_, sent_}));
  }

  void write(const typed_batch<sql::row>& batch) override {
    for (const auto& r : batch.values) {
      wire_result_row w;
      w.kind = wire_kind(r.kind());
      w.values.reserve(layout_.columns.size());
      for (std::size_t c = 0; c < layout_.columns.size(); ++c) {
        std::size_t slot = layout_.first[c];
        if (r.is_null(slot)) {
          w.values.emplace_back(std::nullopt);
          continue;
        }
        std::string v;
        sql::append_value(v, r, slot, layout_);
        pending_bytes_ += v.size() + 2;
        w.values.emplace_back(std::move(v));
      }
      pending_.push_back(std::move(w));
      if (pending_.size() >= max_rows_per_frame || pending_bytes_ >= max_bytes_per_frame)
        flush();
    }
    flush();
  }

  void finish() override { flush(); }

  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    flush(); // the count in the checkpoint is what the JobManager has (or will have)
    std::string bytes;
    encode(sent_, bytes);
    w.put("sent", std::move(bytes));
  }

private:
  void flush() {
    if (pending_.empty())
      return;
    wire_query_rows m{job_id_, subtask_, incarnation_, sent_, std::move(pending_)};
    sent_ += static_cast<std::int64_t>(m.rows.size());
    pending_.clear();
    pending_bytes_ = 0;
    send_(transport::encode_message(transport::frame_type::query_rows, m));
  }

  std::function<void(std::string)> send_;
  sql::row_layout layout_;
  std::string job_id_;
  std::int32_t subtask_ = 0;
  std::uint64_t incarnation_ = 0;
  std::int64_t sent_ = 0;
  std::vector<wire_result_row> pending_;
  std::size_t pending_bytes_ = 0;
};

} // namespace

sql::query_sink_factory query_result_sink(std::function<void(std::string frame)> send) {
  return [send](const sql::query_output& q) {
    sink_spec<sql::row> spec;
    spec.name = "collect";
    // One sink per subtask of the operator before it (chained): SQL rows do not cross
    // processes, so a single sink would not see the rows of other TaskManagers.
    spec.single_instance = false;
    const sql::row_layout layout = q.layout;
    spec.factory = [send, layout] { return std::make_unique<result_sink>(send, layout); };
    return spec;
  };
}

const char* row_kind_name(std::int32_t kind) {
  switch (kind) {
    case 0:
      return "+I";
    case 1:
      return "-U";
    case 2:
      return "+U";
    case 3:
      return "-D";
    default:
      return nullptr;
  }
}

std::vector<result_column> result_columns(const sql::query_output& q) {
  std::vector<result_column> out;
  for (std::size_t i = 0; i < q.names.size() && i < q.layout.columns.size(); ++i)
    out.push_back({q.names[i], sql::to_string(q.layout.columns[i])});
  return out;
}

query_results::query_results(std::vector<result_column> columns, std::size_t max_rows)
    : columns_(std::move(columns)), max_rows_(max_rows) {}

query_results::subtask_rows& query_results::subtask(std::int32_t index, const char* what) {
  if (index < 0 || index >= max_result_subtasks)
    throw error(errc::codec, std::string("a ") + what + " frame names subtask " +
                                 std::to_string(index) + " (at most " +
                                 std::to_string(max_result_subtasks) + ")");
  if (static_cast<std::size_t>(index) >= subtasks_.size())
    subtasks_.resize(static_cast<std::size_t>(index) + 1);
  return subtasks_[static_cast<std::size_t>(index)];
}

void query_results::reset(const wire_query_reset& m) {
  if (m.count < 0 || m.count > (std::int64_t{1} << 53))
    throw error(errc::codec, "a query-reset frame gives " + std::to_string(m.count) +
                                 " as the count of rows a sink sent");
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = subtask(m.subtask, "query-reset");
  s.started = true;
  s.incarnation = m.incarnation;
  if (m.count >= s.received) {
    // Rows this store never got: those a job restored from a savepoint sent in the job that
    // took it (its rows start after them), else rows lost on the way (counted as dropped).
    if (s.rows.empty())
      s.base = m.count;
    s.received = m.count;
    return;
  }
  s.received = m.count;
  if (m.count < s.base)
    s.base = m.count;
  const auto keep = static_cast<std::size_t>(m.count - s.base);
  if (keep >= s.rows.size())
    return; // only rows that were not kept go
  s.rows.resize(keep);
  const auto limit = static_cast<std::uint32_t>(keep);
  auto gone = [&](const std::pair<std::int32_t, std::uint32_t>& e) {
    return e.first == m.subtask && e.second >= limit;
  };
  auto first = std::find_if(order_.begin(), order_.end(), gone);
  cuts_.push_back(static_cast<std::uint64_t>(first - order_.begin()));
  order_.erase(std::remove_if(first, order_.end(), gone), order_.end());
}

bool query_results::append(wire_query_rows&& m) {
  for (const auto& r : m.rows) {
    if (!row_kind_name(r.kind))
      throw error(errc::codec,
                  "a query-rows frame has a row of unknown kind " + std::to_string(r.kind));
    if (r.values.size() != columns_.size())
      throw error(errc::codec, "a query-rows frame has a row of " +
                                   std::to_string(r.values.size()) + " values; the query has " +
                                   std::to_string(columns_.size()) + " columns");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = subtask(m.subtask, "query-rows");
  if (!s.started || s.incarnation != m.incarnation)
    return false; // an attempt that was replaced (or a reset not seen yet)
  if (m.first != s.received) {
    spate::log().warn("JobManager: rows {}.. of subtask {} of query job {} came after row {}: "
                      "dropped (frames were lost)",
                      m.first, m.subtask, m.job_id, s.received);
    return false;
  }
  for (auto& r : m.rows) {
    bool prefix = s.received == s.base + static_cast<std::int64_t>(s.rows.size());
    ++s.received;
    if (!prefix || order_.size() >= max_rows_ || s.rows.size() >= UINT32_MAX)
      continue; // counted as dropped
    order_.emplace_back(m.subtask, static_cast<std::uint32_t>(s.rows.size()));
    s.rows.push_back(std::move(r));
  }
  return true;
}

query_results::page query_results::read(std::optional<std::uint64_t> version, std::uint64_t from,
                                        std::size_t max_rows) const {
  std::lock_guard<std::mutex> lock(mu_);
  page p;
  p.version = cuts_.size();
  std::uint64_t v = version.value_or(p.version);
  if (v > p.version)
    throw error(errc::invalid_argument, "version " + std::to_string(v) +
                                            " is newer than the result's (" +
                                            std::to_string(p.version) + ")");
  if (v == p.version && from > order_.size())
    throw error(errc::invalid_argument, "from " + std::to_string(from) + " is past the " +
                                            std::to_string(order_.size()) + " rows of version " +
                                            std::to_string(v));
  for (std::uint64_t i = v; i < p.version; ++i)
    from = std::min(from, cuts_[i]);
  from = std::min<std::uint64_t>(from, order_.size());
  p.from = from;
  p.available = order_.size();
  std::size_t bytes = 0;
  for (std::uint64_t i = from;
       i < order_.size() && p.rows.size() < max_rows && bytes < 4 * max_bytes_per_frame; ++i) {
    const auto& [s, index] = order_[i];
    const auto& r = subtasks_[static_cast<std::size_t>(s)].rows[index];
    for (const auto& value : r.values)
      bytes += value ? value->size() + 2 : 4;
    p.rows.push_back(r);
  }
  for (const auto& s : subtasks_)
    p.dropped += static_cast<std::uint64_t>(s.received - s.base) - s.rows.size();
  return p;
}

std::uint64_t query_results::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cuts_.size();
}

} // namespace spate::cluster_detail
