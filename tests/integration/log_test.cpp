// The engine's log: SurrealDB's tracing events reach the handler the
// application installs, at its level, and nothing else; a handler replaced or
// removed is never called again, from any thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/get.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using test_support::get;

struct Seen {
  LogLevel level;
  std::string target;
  std::string message;
};

/// Collects what a handler receives.
struct Collector {
  std::mutex mutex;
  std::vector<Seen> events;

  LogHandler handler() {
    return [this](LogLevel level, std::string_view target, std::string_view message) {
      std::lock_guard lock(mutex);
      events.push_back({level, std::string(target), std::string(message)});
    };
  }
  std::vector<Seen> taken() {
    std::lock_guard lock(mutex);
    return std::exchange(events, {});
  }
};

/// Opens a datastore, runs a query, closes it: the engine logs on the way.
void use_a_datastore() {
  Database db = get(Database::connect("mem://", "test", "test"));
  get(db.query("CREATE item:1; SELECT * FROM item")).check();
  get(db.close());
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { set_log_handler(LogLevel::trace, {}); }
};

TEST_F(LogTest, EngineEventsReachTheHandlerAtItsLevel) {
  Collector all;
  set_log_handler(LogLevel::trace, all.handler());
  use_a_datastore();
  const std::vector<Seen> events = all.taken();
  ASSERT_FALSE(events.empty());
  // SurrealDB's own events, with their targets: the datastore's start is
  // one of them (at info; SurrealDB compiles its trace events out of
  // optimised builds: tracing's release_max_level_debug).
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Seen& event) {
    return event.level == LogLevel::info && event.target == "surrealdb::core::kvs::ds" &&
           event.message.find("Started kvs store") != std::string::npos;
  }));

  // At warn, the info events no longer arrive.
  Collector severe;
  set_log_handler(LogLevel::warn, severe.handler());
  use_a_datastore();
  for (const Seen& event : severe.taken()) {
    EXPECT_TRUE(event.level == LogLevel::warn || event.level == LogLevel::error)
        << event.target << ": " << event.message;
  }
  EXPECT_TRUE(all.taken().empty());  // replaced: the first heard nothing more
  set_log_handler(LogLevel::info, all.handler());
  use_a_datastore();
  EXPECT_FALSE(all.taken().empty());
}

TEST_F(LogTest, ARemovedHandlerIsDestroyedAndNeverCalledAgain) {
  Collector collector;
  auto token = std::make_shared<int>(0);
  set_log_handler(LogLevel::trace,
                  [handler = collector.handler(), token](
                      LogLevel level, std::string_view target, std::string_view message) {
                    handler(level, target, message);
                  });
  EXPECT_EQ(token.use_count(), 2);
  use_a_datastore();
  EXPECT_FALSE(collector.taken().empty());
  set_log_handler(LogLevel::trace, {});
  EXPECT_EQ(token.use_count(), 1);  // the library let go of it
  use_a_datastore();
  EXPECT_TRUE(collector.taken().empty());
}

TEST_F(LogTest, NothingIsPrintedWithoutAHandler) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  use_a_datastore();
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "");
}

TEST_F(LogTest, HandlersCanBeReplacedFromAnotherThreadWhileCallsRun) {
  std::atomic<bool> stop{false};
  std::thread caller([&] {
    while (!stop.load()) use_a_datastore();  // which logs at info as it starts
  });
  // Each handler notes a call made after its replacement returned: never.
  // A round replaces its handler once it has been called, so that every
  // replacement races deliveries in flight.
  std::atomic<int> late_calls{0};
  std::atomic<int> calls{0};
  for (int round = 0; round < 100; ++round) {
    auto retired = std::make_shared<std::atomic<bool>>(false);
    auto called = std::make_shared<std::atomic<bool>>(false);
    set_log_handler(round % 2 ? LogLevel::trace : LogLevel::info,
                    [retired, called, &late_calls, &calls](LogLevel, std::string_view,
                                                          std::string_view) {
                      if (retired->load()) ++late_calls;
                      ++calls;
                      called->store(true);
                    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!called->load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    set_log_handler(LogLevel::trace, {});
    retired->store(true);
    if (!called->load()) {
      ADD_FAILURE() << "round " << round << ": no event reached the handler";
      break;
    }
  }
  stop = true;
  caller.join();
  EXPECT_EQ(late_calls.load(), 0);
  EXPECT_GT(calls.load(), 0);
}

}  // namespace
