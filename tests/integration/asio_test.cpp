// surreal/asio.hpp: a call's future as an Asio asynchronous operation, awaited
// from asio::awaitable coroutines on a single-threaded io_context.
#include <asio.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/get.hpp"
#include "surreal/asio.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using test_support::get;

asio::awaitable<void> sum_queries(Database& db, int count, std::thread::id io_thread,
                                  std::atomic<long>& sum, std::atomic<int>& off_thread) {
  for (int i = 0; i < count; ++i) {
    // Built before the co_await: g++ 12 cannot compile a braced list inside one.
    Object bindings{{"i", i}};
    Future<Response> call = db.query("RETURN $i", std::move(bindings));
    Response response = co_await async_get(std::move(call), asio::use_awaitable);
    if (std::this_thread::get_id() != io_thread) ++off_thread;
    sum += static_cast<long>(response.take<std::int64_t>(0));
  }
}

TEST(Asio, AwaitableCoroutinesResumeOnTheirExecutor) {
  Database db = get(Database::connect("mem://", "test", "test"));
  asio::io_context io;
  std::atomic<long> sum{0};
  std::atomic<int> off_thread{0};
  constexpr int kCoroutines = 20;
  constexpr int kQueries = 50;
  const std::thread::id io_thread = std::this_thread::get_id();
  for (int c = 0; c < kCoroutines; ++c) {
    asio::co_spawn(io, sum_queries(db, kQueries, io_thread, sum, off_thread), asio::detached);
  }
  io.run();  // returns once every coroutine finished: the work guards kept it busy until then
  EXPECT_EQ(sum.load(), static_cast<long>(kCoroutines) * kQueries * (kQueries - 1) / 2);
  EXPECT_EQ(off_thread.load(), 0);
}

TEST(Asio, AFailedCallThrowsInTheCoroutine) {
  Database db = get(Database::connect("mem://", "test", "test"));
  asio::io_context io;
  bool caught = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await async_get(db.query("SELEC oops"), asio::use_awaitable);
        } catch (const QueryException&) {
          caught = true;
        }
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(caught);
}

TEST(Asio, ACallbackHandlerReceivesTheResultOnItsBoundExecutor) {
  Database db = get(Database::connect("mem://", "test", "test"));
  asio::io_context io;
  std::exception_ptr error;
  Value created;
  std::thread::id ran_on;
  (void)async_get(db.create(RecordId{"person", 1}, Object{{"age", 3}}),
            asio::bind_executor(io, [&](std::exception_ptr e, Value record) {
              error = e;
              created = std::move(record);
              ran_on = std::this_thread::get_id();
            }));
  io.run();  // the work guard keeps it running until the handler has run
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(error);
  EXPECT_EQ(created["age"], 3);
}

}  // namespace
