// Waiting for a future in a test without letting a hang stall the whole run.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <utility>

namespace surreal::test_support {

/// The future's value (or its exception). A future still not ready after
/// `limit` is a hang: the test fails and the process aborts, since the
/// thread that should answer would never let it finish.
template <typename T>
T get(std::future<T>&& future, std::chrono::seconds limit = std::chrono::seconds(300)) {
  if (future.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "future not ready: hang";
    std::abort();
  }
  return future.get();
}

}  // namespace surreal::test_support
