// surreal::Future and surreal::Promise: the shared state on its own, without
// a database. Every ordering of set / wait / then / cancel / expire / destroy,
// and races between them (also run under ThreadSanitizer).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "support/coro.hpp"
#include "support/fake_work.hpp"
#include "support/get.hpp"
#include "surreal/exceptions.hpp"
#include "surreal/future.hpp"

namespace {

using namespace std::chrono_literals;
using surreal::CancelledException;
using surreal::Future;
using surreal::Promise;
using surreal::Result;
using surreal::TimeoutException;
using Clock = std::chrono::steady_clock;

using surreal::test_support::FakeWork;

// ---- values and exceptions ----

TEST(Future, GetReturnsAValueSetBefore) {
  Promise<std::string> promise;
  Future<std::string> future = promise.get_future();
  EXPECT_TRUE(promise.set_value("ready"));
  EXPECT_TRUE(future.is_ready());
  EXPECT_EQ(future.get(), "ready");
  EXPECT_FALSE(future.valid());
}

TEST(Future, GetReturnsAValueSetWhileItPolls) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  std::thread producer([&] { promise.set_value(5); });
  EXPECT_EQ(future.get(), 5);
  producer.join();
}

TEST(Future, GetReturnsAValueSetAfterItWentToSleep) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  // Later than the ~200 µs poll: get() has gone to sleep, and must be woken.
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    promise.set_value(7);
  });
  EXPECT_EQ(future.get(), 7);
  producer.join();
}

TEST(Future, GetRethrowsTheException) {
  Promise<void> promise;
  Future<void> future = promise.get_future();
  promise.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  EXPECT_THROW(future.get(), std::runtime_error);
}

TEST(Future, AnInvalidFutureThrowsNoState) {
  Future<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_FALSE(empty.cancel());
  try {
    empty.get();
    FAIL() << "get() on an invalid future returned";
  } catch (const std::future_error& e) {
    EXPECT_EQ(e.code(), std::future_errc::no_state);
  }
}

TEST(Future, WaitForAndWaitUntilTimeOutThenSeeTheValue) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  EXPECT_EQ(future.wait_for(1ms), std::future_status::timeout);
  EXPECT_EQ(future.wait_until(std::chrono::system_clock::now() + 1ms),
            std::future_status::timeout);
  promise.set_value(3);
  EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(future.get(), 3);
}

TEST(Promise, DestroyedUnfulfilledBreaksItsPromise) {
  Future<int> future;
  {
    Promise<int> promise;
    future = promise.get_future();
  }
  try {
    future.get();
    FAIL() << "get() returned";
  } catch (const std::future_error& e) {
    EXPECT_EQ(e.code(), std::future_errc::broken_promise);
  }
}

TEST(Promise, TheFutureCanBeRetrievedOnce) {
  Promise<int> promise;
  auto first = promise.get_future();
  EXPECT_THROW(promise.get_future(), std::future_error);
}

TEST(Promise, SetTwiceKeepsTheFirst) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  EXPECT_TRUE(promise.set_value(1));
  EXPECT_FALSE(promise.set_value(2));
  EXPECT_FALSE(promise.set_exception(std::make_exception_ptr(std::runtime_error("late"))));
  EXPECT_EQ(future.get(), 1);
}

TEST(Promise, AValueSetAfterTheFutureWasDroppedIsDropped) {
  auto owned = std::make_shared<int>(9);
  std::weak_ptr<int> watch = owned;
  Promise<std::shared_ptr<int>> promise;
  { Future<std::shared_ptr<int>> dropped = promise.get_future(); }
  EXPECT_TRUE(promise.set_value(std::move(owned)));
  promise = Promise<std::shared_ptr<int>>();  // the old state goes with the promise
  EXPECT_TRUE(watch.expired()) << "the value outlived both ends";
}

TEST(Future, ConvertsToStdFutureKeepingValueAndException) {
  Promise<int> ok;
  std::future<int> plain = ok.get_future();
  ok.set_value(11);
  EXPECT_EQ(plain.get(), 11);

  Promise<int> bad;
  std::future<int> failing = bad.get_future();
  bad.set_exception(std::make_exception_ptr(std::logic_error("no")));
  EXPECT_THROW(failing.get(), std::logic_error);
}

// ---- cancellation and deadlines ----

TEST(Future, CancelBeforeTheValueFailsWithCancelled) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  EXPECT_TRUE(future.cancel());
  EXPECT_FALSE(promise.set_value(1)) << "the cancellation completed it";
  EXPECT_TRUE(promise.is_completed());
  EXPECT_THROW(future.get(), CancelledException);
}

TEST(Future, CancelAfterTheValueKeepsIt) {
  Promise<int> promise;
  Future<int> future = promise.get_future();
  promise.set_value(4);
  EXPECT_FALSE(future.cancel());
  EXPECT_EQ(future.get(), 4);
}

TEST(Future, CancelAsksTheWorkToStopOnce) {
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  promise.state().attach(work);
  Future<int> future = promise.get_future();
  EXPECT_TRUE(future.cancel());
  EXPECT_FALSE(future.cancel());
  EXPECT_EQ(work->cancels.load(), 1);
}

TEST(Future, AStopRequestCancels) {
  std::stop_source source;
  Promise<int> promise;
  promise.state().watch(source.get_token());
  Future<int> future = promise.get_future();
  source.request_stop();
  EXPECT_THROW(future.get(), CancelledException);
}

TEST(Future, ATokenAlreadyStoppedCancelsAtOnce) {
  std::stop_source source;
  source.request_stop();
  Promise<int> promise;
  promise.state().watch(source.get_token());
  EXPECT_TRUE(promise.is_completed());
  EXPECT_THROW(promise.get_future().get(), CancelledException);
}

TEST(Future, ADeadlineExpiresIt) {
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  promise.state().attach(work);
  const auto start = Clock::now();
  promise.state().expire_at(start + 20ms);
  Future<int> future = promise.get_future();
  EXPECT_THROW(future.get(), TimeoutException);
  EXPECT_GE(Clock::now() - start, 20ms);
  EXPECT_EQ(work->cancels.load(), 1) << "the work is stopped as for cancel()";
}

TEST(Future, AValueBeforeTheDeadlineIsKept) {
  Promise<int> promise;
  promise.state().expire_at(Clock::now() + 30ms);
  Future<int> future = promise.get_future();
  promise.set_value(8);
  // Observe past the deadline: the completed future must not change.
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(future.get(), 8);
}

TEST(Future, ManyDeadlinesExpireInOrder) {
  constexpr int kFutures = 50;
  std::vector<Promise<int>> promises(kFutures);
  std::vector<Future<int>> futures;
  const auto start = Clock::now();
  for (int i = 0; i < kFutures; ++i) {
    promises[i].state().expire_at(start + std::chrono::milliseconds(kFutures - i));
    futures.push_back(promises[i].get_future());
  }
  for (auto& future : futures) EXPECT_THROW(future.get(), TimeoutException);
}

// ---- exactly one completion wins ----

TEST(Future, RacingCompletionsDeliverExactlyOne) {
  constexpr int kRounds = 2000;
  for (int round = 0; round < kRounds; ++round) {
    Promise<int> promise;
    std::stop_source source;
    promise.state().watch(source.get_token());
    promise.state().expire_at(Clock::now());
    Future<int> future = promise.get_future();
    std::atomic<int> wins{0};
    std::atomic<bool> value_won{false};
    std::thread setter([&] {
      if (promise.set_value(round)) {
        ++wins;
        value_won = true;
      }
    });
    std::thread failer([&] {
      if (promise.set_exception(std::make_exception_ptr(std::runtime_error("x")))) ++wins;
    });
    std::thread canceller([&] {
      if (future.cancel()) ++wins;
    });
    source.request_stop();  // may win too; it is counted through the outcome
    setter.join();
    failer.join();
    canceller.join();
    ASSERT_LE(wins.load(), 1);
    try {
      const int value = future.get();
      ASSERT_TRUE(value_won);
      ASSERT_EQ(value, round);
    } catch (const std::runtime_error&) {
      ASSERT_FALSE(value_won);
    }
  }
}

// ---- callbacks ----

TEST(Future, ThenAttachedBeforeRunsOnTheCompletingThread) {
  Promise<int> promise;
  std::promise<std::thread::id> ran_on;
  std::promise<int> seen;
  (void)promise.get_future().then([&](Result<int> result) {
    ran_on.set_value(std::this_thread::get_id());
    seen.set_value(*result);
  });
  std::thread::id producer_id;
  std::thread producer([&] {
    producer_id = std::this_thread::get_id();
    promise.set_value(12);
  });
  producer.join();
  EXPECT_EQ(ran_on.get_future().get(), producer_id);
  EXPECT_EQ(seen.get_future().get(), 12);
}

TEST(Future, ThenAttachedAfterRunsAtOnceOnTheCaller) {
  Promise<int> promise;
  promise.set_value(3);
  std::thread::id ran_on;
  Future<int> doubled = promise.get_future().then([&](Result<int> result) {
    ran_on = std::this_thread::get_id();
    return *result * 2;
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(doubled.get(), 6);
}

TEST(Future, ThenReceivesTheException) {
  Promise<int> promise;
  Future<bool> failed = promise.get_future().then([](Result<int> result) {
    return !result.has_value() && result.error() != nullptr;
  });
  promise.set_exception(std::make_exception_ptr(std::runtime_error("bad")));
  EXPECT_TRUE(failed.get());
}

TEST(Future, ACallbackThatThrowsFailsItsFuture) {
  Promise<int> promise;
  Future<void> next = promise.get_future().then([](Result<int>) {
    throw std::out_of_range("from the callback");
  });
  promise.set_value(1);
  EXPECT_THROW(next.get(), std::out_of_range);
}

TEST(Future, ThenChains) {
  Promise<int> promise;
  Future<std::string> text = promise.get_future()
                                 .then([](Result<int> r) { return *r + 1; })
                                 .then([](Result<int> r) { return std::to_string(*r); });
  promise.set_value(41);
  EXPECT_EQ(text.get(), "42");
}

TEST(Future, CancellingTheContinuationCancelsUpstream) {
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  promise.state().attach(work);
  std::atomic<bool> callback_ran{false};
  Future<int> next = promise.get_future().then([&](Result<int> r) {
    callback_ran = true;
    return r.has_value() ? 1 : 0;
  });
  EXPECT_TRUE(next.cancel());
  EXPECT_FALSE(promise.set_value(5)) << "upstream was cancelled too";
  EXPECT_EQ(work->cancels.load(), 1);
  EXPECT_THROW(next.get(), CancelledException);
}

TEST(Future, ThenStartsTheWork) {
  // Nobody will run the work on this thread: then() must make sure it starts.
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  promise.state().attach(work);
  Future<void> next = promise.get_future().then([](Result<int>) {});
  EXPECT_GE(work->starts.load(), 1);
  promise.set_value(0);
  next.get();
}

// ---- waiting runs the work here ----

TEST(Future, GetRunsTheWorkOnTheWaitingThread) {
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  std::thread::id ran_on;
  work->run = [&] {
    ran_on = std::this_thread::get_id();
    promise.set_value(21);
    return true;
  };
  promise.state().attach(work);
  Future<int> future = promise.get_future();
  EXPECT_EQ(future.get(), 21);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(Future, TimedWaitsNeverRunTheWorkHere) {
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  work->run = [&] { return promise.set_value(1); };
  promise.state().attach(work);
  Future<int> future = promise.get_future();
  EXPECT_EQ(future.wait_for(1ms), std::future_status::timeout);
  EXPECT_EQ(work->runs.load(), 0);
  EXPECT_GE(work->starts.load(), 1) << "a timed wait leaves the work to others: it must start";
  promise.set_value(2);
  EXPECT_EQ(future.get(), 2);
}

TEST(Future, DroppingAPendingFutureStartsItsWork) {
  Promise<int> promise;
  auto work = std::make_shared<FakeWork>();
  promise.state().attach(work);
  { Future<int> dropped = promise.get_future(); }
  EXPECT_EQ(work->starts.load(), 1);
  EXPECT_EQ(work->cancels.load(), 0) << "dropping is not cancelling";
}

// ---- coroutines ----

/// A coroutine that starts at once and that nobody awaits.
using Eager = surreal::test_support::Task<>;

Eager await_into(Future<int> future, std::promise<int>& out, std::promise<std::thread::id>& where) {
  try {
    const int value = co_await std::move(future);
    where.set_value(std::this_thread::get_id());
    out.set_value(value);
  } catch (...) {
    where.set_value(std::this_thread::get_id());
    out.set_exception(std::current_exception());
  }
}

TEST(Coroutine, AwaitingAReadyFutureDoesNotSuspend) {
  Promise<int> promise;
  promise.set_value(1);
  std::promise<int> out;
  std::promise<std::thread::id> where;
  await_into(promise.get_future(), out, where);
  EXPECT_EQ(where.get_future().get(), std::this_thread::get_id());
  EXPECT_EQ(out.get_future().get(), 1);
}

TEST(Coroutine, ResumesOnTheCompletingThread) {
  Promise<int> promise;
  std::promise<int> out;
  std::promise<std::thread::id> where;
  await_into(promise.get_future(), out, where);
  std::thread::id producer_id;
  std::thread producer([&] {
    producer_id = std::this_thread::get_id();
    promise.set_value(2);
  });
  producer.join();
  EXPECT_EQ(where.get_future().get(), producer_id);
  EXPECT_EQ(out.get_future().get(), 2);
}

TEST(Coroutine, AFailedFutureThrowsInTheCoroutine) {
  Promise<int> promise;
  std::promise<int> out;
  std::promise<std::thread::id> where;
  await_into(promise.get_future(), out, where);
  promise.set_exception(std::make_exception_ptr(std::runtime_error("awaited")));
  EXPECT_THROW(out.get_future().get(), std::runtime_error);
}

Eager await_via(Future<int> future, std::function<void(surreal::Resumption)> executor,
                std::promise<int>& out) {
  out.set_value(co_await std::move(future).via(std::move(executor)));
}

TEST(Coroutine, ViaResumesInsideTheExecutor) {
  Promise<int> promise;
  std::promise<int> out;
  std::vector<surreal::Resumption> posted;
  await_via(promise.get_future(), [&](surreal::Resumption resume) { posted.push_back(resume); },
            out);
  promise.set_value(3);
  ASSERT_EQ(posted.size(), 1u) << "the completion handed the coroutine to the executor";
  auto result = out.get_future();
  EXPECT_EQ(result.wait_for(0s), std::future_status::timeout) << "not resumed yet";
  posted.front()();
  EXPECT_EQ(result.get(), 3);
}

}  // namespace
