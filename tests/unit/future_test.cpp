// surreal::Future: a std::future that polls briefly before it sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "surreal/future.hpp"

namespace {

using namespace std::chrono_literals;
using surreal::Future;

TEST(Future, GetReturnsAValueSetWhileItPolls) {
  std::promise<std::string> promise;
  Future<std::string> future = promise.get_future();
  std::thread producer([&] { promise.set_value("reply"); });
  EXPECT_EQ(future.get(), "reply");
  EXPECT_FALSE(future.valid());
  producer.join();
}

TEST(Future, GetReturnsAValueSetAfterThePollingWindow) {
  std::promise<int> promise;
  Future<int> future = promise.get_future();
  // Deliberately later than the ~200 µs poll, so get() has gone to sleep.
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    promise.set_value(7);
  });
  EXPECT_EQ(future.get(), 7);
  producer.join();
}

TEST(Future, GetRethrowsTheStoredException) {
  std::promise<void> promise;
  Future<void> future = promise.get_future();
  promise.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  EXPECT_THROW(future.get(), std::runtime_error);
}

TEST(Future, WaitThenGet) {
  std::promise<int> promise;
  Future<int> future = promise.get_future();
  std::thread producer([&] { promise.set_value(3); });
  future.wait();
  EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(future.get(), 3);
  producer.join();
}

TEST(Future, ConvertsToStdFutureKeepingTheResult) {
  std::promise<int> promise;
  Future<int> future = promise.get_future();
  std::future<int> plain = std::move(future);
  EXPECT_FALSE(future.valid());
  promise.set_value(11);
  EXPECT_EQ(plain.get(), 11);
}

TEST(Future, GetOnAnEmptyFutureThrowsAsStdFutureDoes) {
  Future<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_THROW(empty.get(), std::future_error);
}

TEST(Future, ManyThreadsWaitingAtOnceAllGetTheirOwnReply) {
  // More waiters than may poll at once: the rest sleep, and all are answered.
  constexpr int kThreads = 8;
  constexpr int kRounds = 500;
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < kRounds; ++i) {
        std::promise<int> promise;
        Future<int> future = promise.get_future();
        std::thread producer([&] { promise.set_value(t * kRounds + i); });
        if (future.get() != t * kRounds + i) ++wrong[t];
        producer.join();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(kThreads, 0));
}

}  // namespace
