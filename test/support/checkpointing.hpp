// Sources and sinks for checkpoint tests: a paced, rewindable source and a
// two-phase-commit sink whose committed output a test can compare.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/collect.hpp"

namespace spate::test {

//! Emits `count` records {origin, seq} (seq = subtask + k * parallelism),
//! `per_poll` at a time with a pause between polls, then idles (never ends)
//! or ends. Its position (k) is checkpointed.
struct paced_source final : source_function<std::pair<std::int64_t, std::int64_t>> {
  using rec = std::pair<std::int64_t, std::int64_t>;
  std::int64_t origin, count;
  std::size_t per_poll;
  std::chrono::milliseconds pause;
  bool end_when_done;
  int subtask = 0, parallelism = 1;
  std::int64_t k = 0;

  paced_source(std::int64_t o, std::int64_t n, std::size_t per, std::chrono::milliseconds p,
               bool end)
      : origin(o), count(n), per_poll(per), pause(p), end_when_done(end) {}
  void open(runtime_context& rc) override {
    subtask = rc.subtask;
    parallelism = rc.parallelism;
  }
  source_status poll(collector<rec>& out, std::size_t) override {
    std::size_t n = 0;
    while (n < per_poll) {
      std::int64_t seq = subtask + k * parallelism;
      if (seq >= count)
        return n > 0 ? source_status::has_more()
                     : (end_when_done ? source_status::end() : source_status::wait_for(pause));
      out.collect({origin, seq});
      ++k;
      ++n;
    }
    return source_status::wait_for(pause);
  }
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string b;
    encode(k, b);
    w.put("k", b);
  }
  void initialize_state(const operator_state_reader& r) override {
    if (auto p = r.own("k")) {
      k = decode<std::int64_t>(*p);
      return;
    }
    if (!r.restored())
      return;
    // Rescaled: this test source only resumes when every old subtask was done.
    for (std::size_t j = 0; j < r.all().size(); ++j) {
      auto it = r.all()[j].find("k");
      std::int64_t old_k = it == r.all()[j].end() ? 0 : decode<std::int64_t>(it->second);
      if (static_cast<std::int64_t>(j) + old_k * r.old_parallelism() < count)
        throw std::runtime_error("paced_source cannot rescale in the middle of its input");
    }
    k = count; // done
  }
};

inline source_spec<std::pair<std::int64_t, std::int64_t>>
paced(std::int64_t origin, std::int64_t count, std::size_t per_poll,
      std::chrono::milliseconds pause, bool end_when_done = true) {
  return {
      "paced-" + std::to_string(origin),
      [=] { return std::make_unique<paced_source>(origin, count, per_poll, pause, end_when_done); },
      true};
}

//! A source whose position is `next`, kept as operator state "next" (one
//! entry per subtask; a restore at the same parallelism resumes there).
template <class T>
struct positioned_source : source_function<T> {
  std::int64_t next = 0;
  void snapshot_state(std::int64_t, operator_state_writer& w) override {
    std::string b;
    encode(next, b);
    w.put("next", b);
  }
  void initialize_state(const operator_state_reader& r) override {
    if (auto p = r.own("next"))
      next = decode<std::int64_t>(*p);
  }
};

//! What a two-phase-commit sink made visible, shared by its instances.
template <class T>
struct committed_store {
  std::mutex mu;
  std::vector<T> rows;
  std::set<std::pair<int, std::int64_t>> transactions; // (subtask, checkpoint) committed
  std::vector<T> snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return rows;
  }
};

//! Stages records per checkpoint and commits them when the checkpoint
//! completes (the final checkpoint covers the end of a bounded input);
//! commits are idempotent.
template <class T>
struct two_phase_sink final : sink_function<T> {
  std::shared_ptr<committed_store<T>> store;
  std::vector<T> staged;
  std::map<std::int64_t, std::vector<T>> pending;
  int subtask = 0;

  explicit two_phase_sink(std::shared_ptr<committed_store<T>> s) : store(std::move(s)) {}
  void open(runtime_context& rc) override { subtask = rc.subtask; }
  void write(const typed_batch<T>& b) override {
    staged.insert(staged.end(), b.values.begin(), b.values.end());
  }
  void snapshot_state(std::int64_t id, operator_state_writer& w) override {
    pending[id] = std::move(staged);
    staged.clear();
    std::string bytes;
    encode(pending, bytes);
    w.put("pending", bytes);
  }
  void commit_up_to(std::int64_t id) {
    std::lock_guard<std::mutex> lock(store->mu);
    for (auto it = pending.begin(); it != pending.end() && it->first <= id;) {
      if (store->transactions.insert({subtask, it->first}).second)
        store->rows.insert(store->rows.end(), it->second.begin(), it->second.end());
      it = pending.erase(it);
    }
  }
  void notify_checkpoint_complete(std::int64_t id) override { commit_up_to(id); }
  void initialize_state(const operator_state_reader& r) override {
    // Everything staged in the restored snapshot belongs to completed checkpoints.
    if (auto p = r.own("pending")) {
      pending = decode<std::map<std::int64_t, std::vector<T>>>(*p);
      subtask = r.subtask();
      commit_up_to(INT64_MAX);
    }
  }
  // finish() stages nothing: the checkpoint after the end of the input (the
  // job's final one) stages what is left, and its completion commits it.
};

template <class T>
sink_spec<T> two_phase(std::shared_ptr<committed_store<T>> store) {
  return {"two-phase", [store] { return std::make_unique<two_phase_sink<T>>(store); }, false};
}

} // namespace spate::test
