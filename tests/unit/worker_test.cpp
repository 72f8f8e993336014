// The background worker: handshake, lifecycle, ordering, error propagation.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "surreal/exceptions.hpp"
#include "worker/worker.hpp"

namespace {

using namespace surreal;
using namespace surreal::worker;
using namespace std::chrono_literals;

/// Guards against hangs only: every future here is expected to be ready long before.
constexpr auto kHangLimit = 60s;

template <typename T>
T get(std::future<T>& future) {
  if (future.wait_for(kHangLimit) != std::future_status::ready) {
    ADD_FAILURE() << "future not ready: the worker hangs";
    std::abort();
  }
  return future.get();
}

template <typename T>
T get(std::future<T>&& future) {
  return get(future);
}

void connect_memory(Worker& worker) {
  get(worker.send(Connect{"mem://", "test", "test"}));
}

TEST(Worker, StartReturnsAfterTheHandshakeAndRunsCommands) {
  Worker worker;
  worker.start();
  connect_memory(worker);
  const Success result = get(worker.send(Query{"RETURN 40 + 2"}));
  EXPECT_EQ(result.results, std::vector<Value>{42});
  ASSERT_EQ(result.statement_errors.size(), 1u);
  EXPECT_FALSE(result.statement_errors[0]);
}

TEST(Worker, StartingTwiceThrows) {
  Worker worker;
  worker.start();
  EXPECT_THROW(worker.start(), std::logic_error);
}

TEST(Worker, SendingBeforeStartThrows) {
  Worker worker;
  EXPECT_THROW(worker.send(Initialize{}), std::logic_error);
  EXPECT_THROW(worker.post(Initialize{}, [](Reply) {}), std::logic_error);
}

TEST(Worker, NativeErrorsArriveAsTypedExceptions) {
  Worker worker;
  worker.start();

  auto before_connect = worker.send(Query{"RETURN 1"});
  EXPECT_THROW(get(before_connect), ConnectionException);

  auto bad_endpoint = worker.send(Connect{"ftp://nowhere", {}, {}});
  try {
    get(bad_endpoint);
    FAIL() << "connected to ftp://";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(e.native_details().find("unsupported endpoint"), std::string::npos);
  }

  connect_memory(worker);
  auto syntax_error = worker.send(Query{"SELEC nothing"});
  try {
    get(syntax_error);
    FAIL() << "invalid SurrealQL was accepted";
  } catch (const QueryException& e) {
    EXPECT_EQ(e.code(), error_code::query);
    EXPECT_FALSE(e.native_details().empty());
  }
  // The worker and its handle are still usable.
  EXPECT_EQ(get(worker.send(Query{"RETURN 'still here'"})).results,
            std::vector<Value>{"still here"});
}

TEST(Worker, StatementErrorsAreReportedInTheReply) {
  Worker worker;
  worker.start();
  connect_memory(worker);
  const Success result = get(worker.send(Query{"RETURN 1; THROW 'nope'; RETURN 3"}));
  EXPECT_EQ(result.results, (std::vector<Value>{1, none, 3}));
  ASSERT_EQ(result.statement_errors.size(), 3u);
  EXPECT_FALSE(result.statement_errors[0]);
  ASSERT_TRUE(result.statement_errors[1]);
  EXPECT_NE(ffi::describe(result.statement_errors[1]).second.find("nope"), std::string::npos);
  EXPECT_FALSE(result.statement_errors[2]);
}

TEST(Worker, SessionCommandsKeepTheirOrder) {
  Worker worker;
  worker.start();
  get(worker.send(Connect{"mem://", {}, {}}));
  // Sent back to back without waiting: each query sees the namespace before it.
  auto use_a = worker.send(UseNamespace{"a"});
  auto in_a = worker.send(Query{"RETURN session::ns()"});
  auto use_b = worker.send(UseNamespace{"b"});
  auto in_b = worker.send(Query{"RETURN session::ns()"});
  get(use_a);
  get(use_b);
  EXPECT_EQ(get(in_a).results, std::vector<Value>{"a"});
  EXPECT_EQ(get(in_b).results, std::vector<Value>{"b"});
}

TEST(Worker, SessionCommandsWaitForDataCommandsInFlight) {
  Worker worker;
  worker.start();
  connect_memory(worker);
  // The write is still running when the namespace change is taken off the
  // queue; it must land in the namespace it was sent under.
  auto write = worker.send(Query{"SLEEP 50ms; CREATE marker:1 SET ns = session::ns()"});
  auto switched = worker.send(UseNamespace{"other"});
  auto in_other = worker.send(Query{"SELECT VALUE ns FROM marker"});
  get(write);
  get(switched);
  // In the new namespace the table does not even exist.
  const Success other = get(in_other);
  EXPECT_TRUE(other.results[0].is_none() && other.statement_errors[0])
      << other.results[0].to_string();
  get(worker.send(UseNamespace{"test"}));
  EXPECT_EQ(get(worker.send(Query{"SELECT VALUE ns FROM marker"})).results,
            std::vector<Value>{Array{"test"}});
}

TEST(Worker, SendIsSafeFromManyThreads) {
  Worker worker;
  worker.start();
  connect_memory(worker);
  std::vector<std::thread> threads;
  std::atomic<int> correct{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const int n = t * 1000 + i;
        auto reply = worker.send(Query{"RETURN $n", Object{{"n", n}}});
        if (get(reply).results == std::vector<Value>{n}) ++correct;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(correct.load(), 400);
}

TEST(Worker, DisposeFailsEveryPendingCommand) {
  Worker worker;
  worker.start();
  connect_memory(worker);

  // Hold the worker thread inside the completion of a session command (those
  // run on the worker thread) so that the next commands stay queued.
  std::promise<void> entered;
  std::promise<void> release;
  worker.post(UseNamespace{"test"}, [&](Reply) {
    entered.set_value();
    release.get_future().wait();
  });
  entered.get_future().wait();
  std::vector<std::future<Success>> pending;
  for (int i = 0; i < 3; ++i) pending.push_back(worker.send(Query{"RETURN 1"}));

  std::thread disposer([&] { worker.dispose(); });
  // Once dispose() has begun, new commands are refused on the caller's thread.
  for (;;) {
    auto refused = std::make_shared<std::atomic<bool>>(false);
    const auto caller = std::this_thread::get_id();
    worker.post(Initialize{}, [refused, caller](Reply reply) {
      if (std::holds_alternative<Error>(reply) && std::this_thread::get_id() == caller) {
        *refused = true;
      }
    });
    if (*refused) break;
    std::this_thread::yield();
  }
  release.set_value();
  disposer.join();

  for (auto& future : pending) {
    EXPECT_THROW(get(future), ConnectionException);
  }
  EXPECT_THROW(get(worker.send(Query{"RETURN 2"})), ConnectionException);
  worker.dispose();  // idempotent
}

TEST(Worker, DisposeFromACompletionDoesNotDeadlock) {
  auto worker = std::make_shared<Worker>();
  worker->start();
  std::promise<void> done;
  worker->post(Initialize{}, [&](Reply) {
    worker->dispose();
    done.set_value();
  });
  EXPECT_EQ(done.get_future().wait_for(kHangLimit), std::future_status::ready);
}

TEST(Worker, CloseThenEverythingFailsButCloseAgain) {
  Worker worker;
  worker.start();
  connect_memory(worker);
  get(worker.send(Close{}));
  EXPECT_THROW(get(worker.send(Query{"RETURN 1"})), ConnectionException);
  EXPECT_THROW(get(worker.send(Connect{"mem://", {}, {}})), ConnectionException);
  EXPECT_NO_THROW(get(worker.send(Close{})));
}

}  // namespace
