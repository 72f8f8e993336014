// A stand-in for the work behind a future (the worker's task), for tests of
// the future's shared state without a database.
#pragma once

#include <atomic>
#include <functional>

#include "surreal/future.hpp"

namespace surreal::test_support {

/// Counts what the future asks of its work; run_here() does what `run` says.
struct FakeWork : surreal::detail::Work {
  std::atomic<int> cancels{0};
  std::atomic<int> starts{0};
  std::atomic<int> runs{0};
  std::function<bool()> run;  // what run_here() does; empty: refuses
  void cancel() noexcept override { ++cancels; }
  void start() noexcept override { ++starts; }
  bool run_here() noexcept override {
    ++runs;
    return run ? run() : false;
  }
};

}  // namespace surreal::test_support
