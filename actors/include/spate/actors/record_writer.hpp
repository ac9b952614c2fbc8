// Distribution of a task's output records over the channels of one edge:
// forward, rebalance, hash by key group, broadcast. The typed part lives here
// (inlined per record); sending and credits live in the task (per batch).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "spate/core/batch.hpp"
#include "spate/core/hash.hpp"
#include "spate/core/key_group.hpp"

namespace spate {

enum class partitioning {
  automatic, //!< forward when parallelism is equal, else rebalance (Flink's default)
  forward,
  rebalance,
  hash,
  broadcast,
};

const char* to_string(partitioning p);

//! The channels of one edge as the task provides them to a writer.
class channel_set {
public:
  virtual ~channel_set() = default;
  virtual int size() const = 0;
  //! An empty recycled batch for `channel`, or nullptr.
  virtual std::shared_ptr<any_batch> take_buffer(int channel) = 0;
  //! Sends a full batch; queued behind earlier items when out of credit.
  virtual void send(int channel, std::shared_ptr<any_batch> batch) = 0;
};

struct writer_params {
  std::size_t batch_size = 1024;
  int max_parallelism = default_max_parallelism;
  int target_parallelism = 1;
  //! Index of the writing subtask (rebalance starts at a different channel per subtask).
  int subtask = 0;
};

class record_writer {
public:
  virtual ~record_writer() = default;
  //! Distributes every record of `batch`; moves them out when `may_move`.
  virtual void write(any_batch& batch, bool may_move) = 0;
  //! Sends every partially filled batch.
  virtual void flush() = 0;
  //! True when a partially filled batch waits for flush().
  virtual bool has_partial() const = 0;
  //! From now on, a batch to `channel` (of this edge) is sent once it holds
  //! `records` records (writer_params::batch_size until this is called).
  virtual void set_batch_limit(int channel, std::size_t records) = 0;
};

//! Creates the writer of an edge once the partitioning is resolved.
using writer_factory =
    std::function<std::unique_ptr<record_writer>(partitioning, channel_set*, const writer_params&)>;

namespace detail {

template <class T>
class writer_base : public record_writer {
public:
  writer_base(channel_set* channels, const writer_params& params)
      : channels_(channels), params_(params), limit_(channels->size(), params.batch_size),
        filling_(channels->size()) {
    for (int c = 0; c < channels->size(); ++c)
      filling_[c] = fresh(c);
  }

  void set_batch_limit(int c, std::size_t records) override {
    limit_[c] = std::max<std::size_t>(records, 1);
    if (filling_[c]->size() >= limit_[c])
      ship(c);
  }

  void flush() override {
    for (int c = 0; c < static_cast<int>(filling_.size()); ++c)
      if (!filling_[c]->empty())
        ship(c);
  }

  bool has_partial() const override {
    for (auto& b : filling_)
      if (!b->empty())
        return true;
    return false;
  }

protected:
  template <class V>
  void append(int c, V&& value, timestamp ts) {
    auto& b = static_cast<typed_batch<T>&>(*filling_[c]);
    b.push(std::forward<V>(value), ts);
    if (b.size() >= limit_[c])
      ship(c);
  }

  void ship(int c) {
    channels_->send(c, std::move(filling_[c]));
    filling_[c] = fresh(c);
  }

  std::shared_ptr<any_batch> fresh(int c) {
    if (auto b = channels_->take_buffer(c))
      return b;
    auto b = std::make_shared<typed_batch<T>>();
    b->reserve(limit_[c]);
    return b;
  }

  channel_set* channels_;
  writer_params params_;
  std::vector<std::size_t> limit_; //!< records per batch, per channel
  std::vector<std::shared_ptr<any_batch>> filling_;
};

template <class T>
class forward_writer final : public writer_base<T> {
public:
  using writer_base<T>::writer_base;
  void write(any_batch& in, bool may_move) override {
    auto& b = batch_cast<T>(in);
    for (std::size_t i = 0; i < b.size(); ++i)
      may_move ? this->append(0, std::move(b.values[i]), b.timestamps[i])
               : this->append(0, b.values[i], b.timestamps[i]);
  }
};

template <class T>
class rebalance_writer final : public writer_base<T> {
public:
  rebalance_writer(channel_set* ch, const writer_params& p, int start)
      : writer_base<T>(ch, p), next_(start % ch->size()) {}
  void write(any_batch& in, bool may_move) override {
    auto& b = batch_cast<T>(in);
    int n = this->channels_->size();
    for (std::size_t i = 0; i < b.size(); ++i) {
      may_move ? this->append(next_, std::move(b.values[i]), b.timestamps[i])
               : this->append(next_, b.values[i], b.timestamps[i]);
      if (++next_ == n)
        next_ = 0;
    }
  }

private:
  int next_;
};

template <class T>
class broadcast_writer final : public writer_base<T> {
public:
  using writer_base<T>::writer_base;
  void write(any_batch& in, bool) override {
    auto& b = batch_cast<T>(in);
    int n = this->channels_->size();
    for (std::size_t i = 0; i < b.size(); ++i)
      for (int c = 0; c < n; ++c)
        this->append(c, b.values[i], b.timestamps[i]);
  }
};

template <class T, class KeySelector>
class hash_writer final : public writer_base<T> {
public:
  hash_writer(channel_set* ch, const writer_params& p, KeySelector key)
      : writer_base<T>(ch, p), key_(std::move(key)) {}
  void write(any_batch& in, bool may_move) override {
    auto& b = batch_cast<T>(in);
    const int m = this->params_.max_parallelism;
    const int p = this->params_.target_parallelism;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const auto& k = key_(b.values[i]);
      using key_type = std::decay_t<decltype(k)>;
      int kg = key_group_for_hash(stable_hash<key_type>{}(k), m);
      int c = subtask_for_key_group(kg, m, p);
      may_move ? this->append(c, std::move(b.values[i]), b.timestamps[i])
               : this->append(c, b.values[i], b.timestamps[i]);
    }
  }

private:
  KeySelector key_;
};

} // namespace detail

//! The writer factory for records of type T on a non-keyed edge.
template <class T>
writer_factory make_writer_factory() {
  return [](partitioning p, channel_set* ch,
            const writer_params& params) -> std::unique_ptr<record_writer> {
    switch (p) {
      case partitioning::broadcast:
        return std::make_unique<detail::broadcast_writer<T>>(ch, params);
      case partitioning::rebalance:
      case partitioning::automatic:
      case partitioning::hash:
        return std::make_unique<detail::rebalance_writer<T>>(ch, params, params.subtask);
      case partitioning::forward:
        break;
    }
    return std::make_unique<detail::forward_writer<T>>(ch, params);
  };
}

//! The writer factory for a keyed edge: records go to the subtask owning
//! their key group.
template <class T, class KeySelector>
writer_factory make_hash_writer_factory(KeySelector key) {
  return [key](partitioning, channel_set* ch,
               const writer_params& params) -> std::unique_ptr<record_writer> {
    return std::make_unique<detail::hash_writer<T, KeySelector>>(ch, params, key);
  };
}

} // namespace spate
