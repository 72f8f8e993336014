// Live queries (surreal::LiveQuery) on both storage backends: every action
// with its data, WHERE and DIFF, kill and destruction, the slow consumer,
// many at once, two sessions, order, cancelled transactions, and the end of
// the stream when the Database closes.
//
// Order: SurrealDB 3.3.5 sends the notifications of one statement in order,
// but those of two statements may interleave, even two statements of one
// writer, and even inside one transaction (the engine flushes each
// statement's batch from a task of its own once the transaction commits:
// surrealdb-core's dbs/executor.rs). So a test that needs an order either
// writes with one statement, or takes a write's notification before it
// makes the next.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/backends.hpp"
#include "support/get.hpp"
#include "support/temp_dir.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using test_support::get;

class LiveQueryTest : public test_support::BackendTest {
 protected:
  /// With the tables the tests watch defined: SurrealDB 3 starts no live
  /// query on a table that does not exist.
  Database connect(ConnectOptions options = {}) {
    options.ns = "test";
    options.db = "test";
    Database db = get(Database::connect(endpoint(), prepare(std::move(options))));
    get(db.query("DEFINE TABLE person; DEFINE TABLE item; DEFINE TABLE counter; DEFINE TABLE dog"));
    return db;
  }
  /// The next notification, which must come.
  static Notification next(LiveQuery& live) {
    std::optional<Notification> notification = get(live.next(), std::chrono::seconds(60));
    if (!notification) throw std::runtime_error("the live query ended");
    return std::move(*notification);
  }
  /// The ids of the live queries the engine holds on a table.
  static Value lives_on(Database& db, const std::string& table) {
    // A session call waits for every call before it to finish (a kill the
    // LiveQuery's destructor sent without waiting included): a barrier.
    get(db.use_database("test"));
    return get(db.query("RETURN (INFO FOR TABLE " + table + ").lives")).take(0);
  }

};

TEST_P(LiveQueryTest, EveryActionArrivesWithItsRecordAndData) {
  Database db = connect();
  LiveQuery live = get(db.live("person"));
  get(db.create(RecordId("person", "ann"), Object{{"age", 30}}));
  Notification created = next(live);
  EXPECT_EQ(created.query_id, live.id());
  EXPECT_EQ(created.action, Action::create);
  EXPECT_EQ(created.record, RecordId("person", "ann"));
  EXPECT_EQ(created.data, (Object{{"id", RecordId("person", "ann")}, {"age", 30}}));
  get(db.merge(RecordId("person", "ann"), Object{{"age", 31}}));
  Notification updated = next(live);
  EXPECT_EQ(updated.action, Action::update);
  EXPECT_EQ(updated.data["age"], 31);
  get(db.remove(RecordId("person", "ann")));
  Notification removed = next(live);
  EXPECT_EQ(removed.action, Action::remove);
  EXPECT_EQ(removed.record, RecordId("person", "ann"));
  // Values keep their kinds, as everywhere else.
  get(db.create(RecordId("person", "bob"), Object{{"born", Datetime(981173106, 123456789)},
                                                  {"friend", RecordId("person", "ann")}}));
  Notification typed = next(live);
  EXPECT_EQ(typed.data["born"], Datetime(981173106, 123456789));
  EXPECT_EQ(typed.data["friend"], RecordId("person", "ann"));
}

TEST_P(LiveQueryTest, OneRecordAndWhereFilter) {
  Database db = connect();
  LiveQuery one = get(db.live(RecordId("person", 2)));
  LiveQuery adults = get(db.live_query("LIVE SELECT * FROM person WHERE age >= $min", {{"min", 18}}));
  // One statement, whose notifications keep their order: a notification
  // that should have been filtered out would come first.
  get(db.query("INSERT INTO person [{ id: 1, age: 10 }, { id: 2, age: 20 }, { id: 3, age: 30 }]"));
  EXPECT_EQ(next(one).record, RecordId("person", 2));
  EXPECT_EQ(next(adults).record, RecordId("person", 2));
  EXPECT_EQ(next(adults).record, RecordId("person", 3));
  get(db.query("UPDATE person SET note = 'seen'"));
  for (int id : {2, 3}) {
    Notification updated = next(adults);
    EXPECT_EQ(updated.action, Action::update);
    EXPECT_EQ(updated.record, RecordId("person", id));
    EXPECT_EQ(updated.data["note"], "seen");
  }
  // What is not a live query is refused, and starts none.
  EXPECT_THROW(get(db.live_query("SELECT * FROM person")), DatabaseException);
  EXPECT_THROW(get(db.live_query("LIVE SELECT * FROM person; LIVE SELECT * FROM dog")),
               DatabaseException);
  EXPECT_THROW(get(db.live_query("LIVE SELECT * FROM")), QueryException);
  EXPECT_THROW(get(db.live("no_such_table")), QueryException);  // SurrealDB 3: define it first
  EXPECT_EQ(lives_on(db, "person").size(), 2u);
  EXPECT_EQ(lives_on(db, "dog").size(), 0u);
}

TEST_P(LiveQueryTest, DiffGivesTheChange) {
  Database db = connect();
  LiveQuery diff = get(db.live("person", true));
  get(db.create(RecordId("person", 1), Object{{"age", 1}}));
  Notification created = next(diff);
  EXPECT_EQ(created.record, RecordId("person", 1));
  ASSERT_TRUE(created.data.is_array()) << created.data.to_string();
  get(db.merge(RecordId("person", 1), Object{{"age", 2}}));
  EXPECT_EQ(next(diff).data, (Array{Object{{"op", "replace"}, {"path", "/age"}, {"value", 2}}}));
  // The same with SurrealQL.
  LiveQuery text = get(db.live_query("LIVE SELECT DIFF FROM person"));
  get(db.merge(RecordId("person", 1), Object{{"age", 3}}));
  EXPECT_EQ(next(text).data, (Array{Object{{"op", "replace"}, {"path", "/age"}, {"value", 3}}}));
}

TEST_P(LiveQueryTest, KillAndDestructionStopDeliveryAndTheEngineForgetsIt) {
  Database db = connect();
  LiveQuery killed = get(db.live("person"));
  std::optional<LiveQuery> destroyed = get(db.live("person"));
  const Uuid destroyed_id = destroyed->id();
  // Over a server, one session's live queries with the same SurrealQL
  // share one there (README, "Beyond one process").
  EXPECT_EQ(lives_on(db, "person").size(), remote() ? 1u : 2u);
  get(db.create(RecordId("person", 1)));
  get(killed.kill());  // the create's notification may be buffered: dropped
  EXPECT_FALSE(get(killed.next()).has_value());
  destroyed.reset();
  EXPECT_EQ(lives_on(db, "person"), Object{}) << "the engine still has a live query";
  get(db.create(RecordId("person", 2)));
  EXPECT_FALSE(get(killed.next()).has_value());
  get(killed.kill());  // again: nothing to do
  (void)destroyed_id;
}

TEST_P(LiveQueryTest, KilledByTheEngineEndsWithAKilledNotification) {
  Database db = connect();
  LiveQuery live = get(db.live("person"));
  get(db.query("KILL $id", {{"id", live.id()}}));
  Notification last = next(live);
  EXPECT_EQ(last.action, Action::killed);
  EXPECT_FALSE(get(live.next()).has_value());
}

// kill() must not fail because the live query is gone before its own KILL
// arrives.
TEST_P(LiveQueryTest, KillOfALiveQueryTheEngineNoLongerHasSucceeds) {
  Database db = connect();
  LiveQuery live = get(db.live("person"));
  get(db.query("KILL $id", {{"id", live.id()}}));
  EXPECT_EQ(next(live).action, Action::killed);
  EXPECT_NO_THROW(get(live.kill()));
  EXPECT_FALSE(get(live.next()).has_value());
  EXPECT_EQ(lives_on(db, "person"), Object{});
}

TEST_P(LiveQueryTest, ASlowConsumerGetsWhatWasBufferedThenOverflow) {
  ConnectOptions options;
  options.live_query_buffer = 8;
  Database db = connect(options);
  LiveQuery live = get(db.live("item"));
  // 20 records in one statement: 20 notifications in order, nobody reading.
  get(db.query("FOR $i IN 1..=20 { CREATE type::record('item', $i) }"));
  // The notifications arrive after the commit; the 9th overflows the
  // buffer, which kills the live query in the engine: wait for that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (lives_on(db, "item").size() != 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no overflow";
  }
  for (int i = 1; i <= 8; ++i) EXPECT_EQ(next(live).record, RecordId("item", i));
  EXPECT_THROW(get(live.next()), LiveQueryOverflowException);
  EXPECT_THROW(get(live.next()), LiveQueryOverflowException);  // and stays so
  EXPECT_EQ(lives_on(db, "item"), Object{}) << "an overflowed live query is killed";
  // The Database goes on; a new live query works.
  LiveQuery again = get(db.live("item"));
  get(db.create(RecordId("item", 100)));
  EXPECT_EQ(next(again).record, RecordId("item", 100));
}

TEST_P(LiveQueryTest, HundredLiveQueriesAtOnce) {
  Database db = connect();
  // Over a server they share one live query there (README, "Beyond one
  // process"; 1,000 in reconnect_test.cpp).
  const std::size_t count = 100;
  std::vector<LiveQuery> lives;
  for (std::size_t i = 0; i < count; ++i) lives.push_back(get(db.live("item")));
  get(db.create(RecordId("item", 1)));
  get(db.create(RecordId("item", 2)));
  for (auto& live : lives) {  // two commits: either order (see the top)
    std::vector<Value> records{next(live).record, next(live).record};
    std::sort(records.begin(), records.end());
    EXPECT_EQ(records, (std::vector<Value>{RecordId("item", 1), RecordId("item", 2)}));
  }
  EXPECT_EQ(lives_on(db, "item").size(), remote() ? 1u : count);
  // Half killed at once, half destroyed at once: each kill is a write of
  // the table's catalog, so they conflict, and each is run again until it
  // has gone through.
  std::vector<Future<void>> kills;
  for (std::size_t i = 0; i < lives.size(); i += 2) kills.push_back(lives[i].kill());
  for (auto& kill : kills) get(std::move(kill));
  lives.clear();
  EXPECT_EQ(lives_on(db, "item"), Object{});
}

TEST_P(LiveQueryTest, TwoSessionsEachTheirOwn) {
  Database db = connect();
  Database other = fresh_session(db);
  get(other.use_namespace("test"));
  get(other.use_database("test"));
  LiveQuery mine = get(db.live("item"));
  LiveQuery theirs = get(other.live("item"));
  get(other.create(RecordId("item", 1)));
  EXPECT_EQ(next(mine).record, RecordId("item", 1));
  EXPECT_EQ(next(theirs).record, RecordId("item", 1));
  // Closing a session ends its live queries, not the other's.
  get(other.close());
  EXPECT_FALSE(get(theirs.next()).has_value());
  get(db.create(RecordId("item", 2)));
  EXPECT_EQ(next(mine).record, RecordId("item", 2));
  EXPECT_EQ(lives_on(db, "item").size(), 1u);
}

TEST_P(LiveQueryTest, CancelledTransactionsAreNeverNotified) {
  Database db = connect();
  LiveQuery live = get(db.live("item"));
  Transaction cancelled = get(db.begin());
  get(cancelled.create(RecordId("item", "cancelled")));
  get(cancelled.cancel());
  {
    Transaction dropped = get(db.begin());
    get(dropped.create(RecordId("item", "dropped")));
  }
  Transaction committed = get(db.begin());
  get(committed.create(RecordId("item", "committed")));
  get(committed.commit());
  EXPECT_EQ(next(live).record, RecordId("item", "committed"));
}

TEST_P(LiveQueryTest, OneStatementsNotificationsKeepTheirOrder) {
  if (remote()) {
    // Seen in 3 of 20 runs against the optimised server: the fifth update
    // arrived after the fiftieth. SurrealDB's executor hands each statement's
    // notifications to a task of its own (Executor::flush_live_query_notifications);
    // spawned from a runtime worker, as on a server, the newest task takes
    // Tokio's LIFO slot ahead of the one before it. Embedded, the statement
    // runs on the caller's thread and the tasks queue in order.
    GTEST_SKIP() << "a SurrealDB 3.3.5 server may deliver one query's notifications out of order";
  }
  Database db = connect();
  LiveQuery live = get(db.live(RecordId("counter", 1)));
  get(db.query(
      "CREATE counter:1 SET n = 0; FOR $n IN 1..=50 { UPDATE counter:1 SET n = $n }"));
  EXPECT_EQ(next(live).action, Action::create);
  for (std::int64_t n = 1; n <= 50; ++n) {
    Notification updated = next(live);
    ASSERT_EQ(updated.action, Action::update);
    ASSERT_EQ(updated.data["n"], n);
  }
}

TEST_P(LiveQueryTest, ConcurrentWritersEachCommitIsNotifiedOnce) {
  constexpr int kThreads = 4, kIncrements = 50;
  Database db = connect();
  get(db.create(RecordId("counter", 1), Object{{"n", 0}}));
  LiveQuery live = get(db.live(RecordId("counter", 1)));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (;;) {  // each increment is a transaction; a conflict runs it again
          try {
            Transaction tx = get(db.begin());
            const auto n = get(tx.select(RecordId("counter", 1)))["n"].get<std::int64_t>();
            get(tx.merge(RecordId("counter", 1), Object{{"n", n + 1}}));
            get(tx.commit());
            break;
          } catch (const TransactionConflictException&) {
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Each commit made n one more than the commit before it: the
  // notifications carry 1, 2, 3..., each once. In commit order, they would
  // come in that order; SurrealDB 3.3.5 does not keep it (see the top).
  std::vector<std::int64_t> seen;
  for (int i = 0; i < kThreads * kIncrements; ++i) {
    seen.push_back(next(live).data["n"].get<std::int64_t>());
  }
  std::vector<std::int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], static_cast<std::int64_t>(i + 1));
  std::size_t out_of_order = 0;
  for (std::size_t i = 1; i < seen.size(); ++i) out_of_order += seen[i] < seen[i - 1];
  std::printf("notifications out of commit order (the engine's): %zu of %zu\n", out_of_order,
              seen.size());
}

TEST_P(LiveQueryTest, ClosingTheDatabaseEndsEveryLiveQuery) {
  Database db = connect();
  LiveQuery buffered = get(db.live("item"));
  LiveQuery waiting = get(db.live_query("LIVE SELECT * FROM item"));
  get(db.create(RecordId("item", 1)));
  EXPECT_EQ(next(waiting).record, RecordId("item", 1));
  Future<std::optional<Notification>> pending = waiting.next();
  get(db.close());
  EXPECT_FALSE(get(std::move(pending)).has_value());
  // What arrived before the close is still there (item:1, unless the close
  // came first: the pump serves the two live queries independently), then
  // the end.
  std::optional<Notification> first = get(buffered.next());
  if (first) {
    EXPECT_EQ(first->record, RecordId("item", 1));
    EXPECT_FALSE(get(buffered.next()).has_value());
  }
  get(buffered.kill());  // nothing left to kill: no error
}

TEST_P(LiveQueryTest, SigningOutEndsTheSessionsLiveQueries) {
  Database db = connect();
  LiveQuery live = get(db.live("item"));
  get(db.invalidate());
  EXPECT_FALSE(get(live.next()).has_value());
}

TEST_P(LiveQueryTest, ListenPushesToACallback) {
  Database db = connect();
  LiveQuery live = get(db.live("item"));
  get(db.create(RecordId("item", 1)));  // may be buffered before listen()
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Value> seen;
  bool ended = false;
  live.listen([&](Result<std::optional<Notification>> item) {
    std::lock_guard lock(mutex);
    if (item.value()) {
      seen.push_back(item.value()->record);
    } else {
      ended = true;
    }
    changed.notify_all();
  });
  EXPECT_THROW(live.next(), std::logic_error);
  get(db.create(RecordId("item", 2)));
  get(db.create(RecordId("item", 3)));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60), [&] { return seen.size() == 3; }));
    std::sort(seen.begin(), seen.end());  // three commits: any order (see the top)
    EXPECT_EQ(seen, (std::vector<Value>{RecordId("item", 1), RecordId("item", 2),
                                        RecordId("item", 3)}));
  }
  get(live.kill());
  std::unique_lock lock(mutex);
  EXPECT_TRUE(ended);  // the end reaches the callback before kill() returns
}

TEST_P(LiveQueryTest, ANextThatIsDroppedTakesNothing) {
  Database db = connect();
  LiveQuery live = get(db.live("item"));
  (void)live.next();  // dropped at once
  Future<std::optional<Notification>> cancelled = live.next();
  cancelled.cancel();
  get(db.create(RecordId("item", 1)));
  EXPECT_EQ(next(live).record, RecordId("item", 1));
}

// Not yet on the server: see "Not yet on the server" in tests/analysis/coverage_gaps.md.
INSTANTIATE_TEST_SUITE_P(Backends, LiveQueryTest, test_support::every_backend_and_server(),
                         test_support::store_name);

}  // namespace
