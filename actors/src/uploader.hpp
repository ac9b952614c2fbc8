// One background thread that runs the asynchronous part of snapshots (copying
// files to checkpoint storage), so task actors never block on it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "spate/core/log.hpp"

namespace spate::detail {

class uploader {
public:
  uploader() : thread_([this] { run(); }) {}
  ~uploader() { stop(); }

  void submit(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_)
        return;
      queue_.push_back(std::move(work));
    }
    cv_.notify_one();
  }

  //! Finishes the work under way, drops the rest, joins.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_)
        return;
      stopped_ = true;
      queue_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable())
      thread_.join();
  }

private:
  void run() {
    for (;;) {
      std::function<void()> work;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        if (stopped_)
          return;
        work = std::move(queue_.front());
        queue_.pop_front();
      }
      // A work item that throws must not end the thread (an exception leaving
      // it calls std::terminate) nor the items queued behind it. Items report
      // their own failures (a snapshot declines its checkpoint); what still
      // escapes is logged here.
      try {
        work();
      } catch (const std::exception& e) {
        spate::log().warn("uploader: a background snapshot task failed: {}", e.what());
      } catch (...) {
        spate::log().warn("uploader: a background snapshot task failed with an exception "
                          "that is not a std::exception");
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopped_ = false;
  std::thread thread_;
};

} // namespace spate::detail
