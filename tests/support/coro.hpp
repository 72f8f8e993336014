// A minimal coroutine type and a single-thread executor, for testing
// `co_await future` and `co_await std::move(future).via(executor)` without
// an event-loop library.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "surreal/future.hpp"

namespace surreal::test_support {

/// An eager, detached coroutine: it starts running when called, and its frame
/// destroys itself when the body ends (final_suspend never suspends). The
/// Task object only observes the outcome, which lives outside the frame, so
/// the Task may be destroyed, or outlive the frame, either way.
///
/// done() becomes true when the frame has been destroyed (body's locals
/// first): a coroutine still suspended (its future never completed) is never
/// done. Thread-safety: done(), wait() and, once done, result() / error()
/// may be called from any thread.
template <typename T = void>
class Task {
  struct Outcome {
    std::atomic<bool> done{false};
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    std::exception_ptr error;
  };

  template <typename Derived>
  struct PromiseBase {
    std::shared_ptr<Outcome> outcome = std::make_shared<Outcome>();

    Task get_return_object() { return Task(outcome); }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { outcome->error = std::current_exception(); }
    // The frame is gone (or going: only parameter copies remain) when the
    // promise is destroyed.
    ~PromiseBase() {
      outcome->done.store(true, std::memory_order_release);
      outcome->done.notify_all();
    }
  };

  struct ValuePromise : PromiseBase<ValuePromise> {
    template <typename V>
    void return_value(V&& value) {
      this->outcome->value.emplace(std::forward<V>(value));
    }
  };
  struct VoidPromise : PromiseBase<VoidPromise> {
    void return_void() { this->outcome->value.emplace(true); }
  };

 public:
  using promise_type = std::conditional_t<std::is_void_v<T>, VoidPromise, ValuePromise>;

  /// The coroutine has finished and its frame is destroyed.
  bool done() const noexcept { return outcome_->done.load(std::memory_order_acquire); }

  /// Blocks until done(), for a coroutine resumed by another thread.
  void wait() const noexcept {
    while (!done()) outcome_->done.wait(false, std::memory_order_acquire);
  }

  /// Once done: the exception that escaped the coroutine, or null.
  std::exception_ptr error() const noexcept { return outcome_->error; }

  /// Once done: what the coroutine returned, or its exception, thrown.
  decltype(auto) result() const {
    if (outcome_->error) std::rethrow_exception(outcome_->error);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*outcome_->value);
  }

 private:
  explicit Task(std::shared_ptr<Outcome> outcome) : outcome_(std::move(outcome)) {}
  std::shared_ptr<Outcome> outcome_;
};

/// A single-thread executor: post() from any thread queues a job;
/// run_until() runs the jobs on the calling thread. What a GUI or network
/// event loop does, minus the I/O.
class RunLoop {
 public:
  /// What `future.via()` takes: queues the coroutine's resumption here.
  struct Executor {
    RunLoop* loop;
    void operator()(Resumption resume) const { loop->post(resume); }
  };
  Executor executor() noexcept { return Executor{this}; }

  /// Queues `job` for the thread in run_until(). Any thread.
  void post(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
    ++posted_;
    // Under the lock: the loop may be destroyed as soon as it is released.
    changed_.notify_one();
  }

  /// Runs queued jobs on this thread until `done()` is true (checked before
  /// and after each job, and at least every millisecond in case another
  /// thread made it true without posting). False if `limit` passed first.
  template <typename Done>
  bool run_until(Done&& done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    std::unique_lock lock(mutex_);
    thread_ = std::this_thread::get_id();
    for (;;) {
      lock.unlock();
      if (done()) return true;
      lock.lock();
      if (queue_.empty()) {
        if (std::chrono::steady_clock::now() >= give_up) return false;
        changed_.wait_for(lock, std::chrono::milliseconds(1));
        continue;
      }
      std::function<void()> job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job();
      lock.lock();
      ++ran_;
    }
  }

  /// Jobs posted / run so far.
  std::size_t posted() const {
    std::lock_guard lock(mutex_);
    return posted_;
  }
  std::size_t ran() const {
    std::lock_guard lock(mutex_);
    return ran_;
  }
  /// The thread that last called run_until().
  std::thread::id thread() const {
    std::lock_guard lock(mutex_);
    return thread_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  std::size_t posted_ = 0;
  std::size_t ran_ = 0;
  std::thread::id thread_;
};

}  // namespace surreal::test_support
