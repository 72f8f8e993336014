// Waiting for a future in a test without letting a hang stall the whole run.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iterator>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "surreal/future.hpp"

namespace surreal::test_support {

/// Aborts the process when a guarded wait outlasts its limit: the thread
/// that should answer would never let the test finish. One watchdog thread
/// for the process, checking once a second.
class HangGuard {
 public:
  explicit HangGuard(std::chrono::seconds limit) {
    Watchdog& dog = Watchdog::instance();
    std::lock_guard lock(dog.mutex);
    entry_ = dog.deadlines.insert(std::chrono::steady_clock::now() + limit);
  }
  ~HangGuard() {
    Watchdog& dog = Watchdog::instance();
    std::lock_guard lock(dog.mutex);
    dog.deadlines.erase(entry_);
  }
  HangGuard(const HangGuard&) = delete;
  HangGuard& operator=(const HangGuard&) = delete;

 private:
  struct Watchdog {
    std::mutex mutex;
    std::multiset<std::chrono::steady_clock::time_point> deadlines;

    static Watchdog& instance() {
      static Watchdog* const dog = [] {
        auto* created = new Watchdog();
        std::thread([created] { created->watch(); }).detach();
        return created;
      }();
      return *dog;
    }

    [[noreturn]] void watch() {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        std::lock_guard lock(mutex);
        if (!deadlines.empty() && *deadlines.begin() < std::chrono::steady_clock::now()) {
          std::fputs("a future was not ready in time: hang\n", stderr);
          std::abort();
        }
      }
    }
  };

  std::multiset<std::chrono::steady_clock::time_point>::iterator entry_;
};

/// The future's value (or its exception), through surreal::Future::get():
/// the same path as a user's get(), which may run the command on this
/// thread. A wait longer than `limit` aborts the process (a hang).
template <typename T>
T get(surreal::Future<T>&& future, std::chrono::seconds limit = std::chrono::seconds(300)) {
  const HangGuard guard(limit);
  return future.get();
}

template <typename T>
T get(std::future<T>&& future, std::chrono::seconds limit = std::chrono::seconds(300)) {
  if (future.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "future not ready: hang";
    std::abort();
  }
  return future.get();
}

/// The message of the exception of type E that `future` fails with; a
/// test failure if it succeeds or fails with another type.
template <typename E, typename T>
std::string failure_of(surreal::Future<T>&& future) {
  try {
    get(std::move(future));
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "the call succeeded";
  return {};
}

}  // namespace surreal::test_support
