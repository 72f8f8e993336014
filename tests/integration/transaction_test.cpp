// Interactive transactions (surreal::Transaction) on both storage backends:
// isolation, commit, cancel and RAII rollback, conflicts, misuse, order, and
// the bank invariant under concurrent transfers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/backends.hpp"
#include "support/get.hpp"
#include "support/temp_dir.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using test_support::failure_of;
using test_support::get;

class TransactionTest : public test_support::BackendTest {
 protected:
  Database connect() {
    ConnectOptions options;
    options.ns = "test";
    options.db = "test";
    return get(Database::connect(endpoint(), prepare(std::move(options))));
  }
  /// Another session over the same datastore, on the same namespace and database.
  Database other_session(Database& db) {
    Database other = fresh_session(db);
    get(other.use_namespace("test"));
    get(other.use_database("test"));
    return other;
  }
  /// The records of a table (a table that does not exist has none).
  static std::int64_t count(Database& db, const std::string& table) {
    return static_cast<std::int64_t>(get(db.select(Table{table})).size());
  }

};


TEST_P(TransactionTest, WritesAreInvisibleOutsideUntilCommit) {
  Database db = connect();
  Database other = other_session(db);
  Transaction tx = get(db.begin());
  EXPECT_TRUE(tx.is_open());
  get(tx.create(RecordId("item", 1), Object{{"n", 1}}));
  get(tx.insert("item", Array{Object{{"id", RecordId("item", 2)}}, Object{{"id", RecordId("item", 3)}}}));
  // Inside, its own writes are there; outside, in this session and another, not.
  EXPECT_EQ(get(tx.query("RETURN count(SELECT * FROM item)")).take<std::int64_t>(0), 3);
  EXPECT_EQ(count(db, "item"), 0);
  EXPECT_EQ(count(other, "item"), 0);
  EXPECT_TRUE(get(other.select(RecordId("item", 1))).is_none());
  get(tx.commit());
  EXPECT_FALSE(tx.is_open());
  EXPECT_EQ(count(other, "item"), 3);
  EXPECT_EQ(get(db.select(RecordId("item", 1)))["n"], 1);
}

TEST_P(TransactionTest, EveryVerbRunsInside) {
  Database db = connect();
  get(db.create(RecordId("person", "a"), Object{{"name", "A"}, {"tags", Array{"x"}}}));
  Transaction tx = get(db.begin());
  get(tx.create(RecordId("person", "b"), Object{{"name", "B"}}));
  get(tx.upsert(RecordId("person", "c"), Object{{"name", "C"}}));
  get(tx.merge(RecordId("person", "a"), Object{{"age", 30}}));
  get(tx.patch(RecordId("person", "a"), {PatchOp::add("/tags/-", Value("y"))}));
  get(tx.update(RecordId("person", "c"), Object{{"name", "C2"}}));
  Value edge = get(tx.relate(RecordId("person", "a"), "knows", RecordId("person", "b")));
  EXPECT_EQ(edge["in"], RecordId("person", "a"));
  get(tx.insert_relation("knows", Object{{"in", RecordId("person", "b")}, {"out", RecordId("person", "c")}}));
  get(tx.create(RecordId("person", "d")));
  get(tx.remove(RecordId("person", "d")));
  EXPECT_EQ(get(tx.select<Value>("person")).size(), 3u);
  get(tx.commit());

  Value a = get(db.select(RecordId("person", "a")));
  EXPECT_EQ(a["age"], 30);
  EXPECT_EQ(a["tags"], (Array{"x", "y"}));
  EXPECT_EQ(get(db.select(RecordId("person", "c")))["name"], "C2");
  EXPECT_TRUE(get(db.select(RecordId("person", "d"))).is_none());
  EXPECT_EQ(count(db, "knows"), 2);
}

TEST_P(TransactionTest, CancelLeavesNoTrace) {
  Database db = connect();
  get(db.create(RecordId("item", "kept"), Object{{"n", 1}}));
  Transaction tx = get(db.begin());
  get(tx.create(RecordId("item", "new")));
  get(tx.merge(RecordId("item", "kept"), Object{{"n", 2}}));
  get(tx.query("DELETE item:kept; CREATE other:1"));
  get(tx.cancel());
  EXPECT_FALSE(tx.is_open());
  EXPECT_EQ(get(db.select("item")), (Array{Object{{"id", RecordId("item", "kept")}, {"n", 1}}}));
  EXPECT_EQ(count(db, "other"), 0);
}

TEST_P(TransactionTest, DestroyedUncommittedIsCancelled) {
  {
    Database db = connect();
    {
      Transaction tx = get(db.begin());
      get(tx.create(RecordId("item", 1), Object{{"n", 1}}));
      // Calls not waited for either: the destructor cancels after them.
      (void)tx.create(RecordId("item", 2));
      (void)tx.merge(RecordId("item", 1), Object{{"n", 2}});
    }
    {
      Transaction replaced = get(db.begin());
      get(replaced.create(RecordId("item", 3)));
      replaced = get(db.begin());  // the first one is cancelled as it goes
      get(replaced.create(RecordId("item", 4)));
      get(replaced.commit());
    }
    EXPECT_EQ(get(db.select("item")), (Array{Object{{"id", RecordId("item", 4)}}}));
    // The same record written again, by a transaction that commits, does
    // not conflict with the abandoned ones.
    Transaction again = get(db.begin());
    get(again.create(RecordId("item", 1), Object{{"n", 3}}));
    get(again.commit());
    get(db.close());
  }
  if (durable()) {  // nothing of them after a reopen either
    Database reopened = connect();
    EXPECT_EQ(count(reopened, "item"), 2);
    EXPECT_EQ(get(reopened.select(RecordId("item", 1)))["n"], 3);
  }
}

TEST_P(TransactionTest, UseAfterCommitOrCancelIsAClearError) {
  Database db = connect();
  Transaction committed = get(db.begin());
  get(committed.create(RecordId("item", 1)));
  Future<void> commit = committed.commit();
  // Refused at once, even before the commit has finished.
  for (std::string message : {failure_of<DatabaseException>(committed.create(RecordId("item", 2))),
                              failure_of<DatabaseException>(committed.commit()),
                              failure_of<DatabaseException>(committed.cancel())}) {
    EXPECT_NE(message.find("committed or cancelled already"), std::string::npos) << message;
  }
  get(std::move(commit));
  Transaction cancelled = get(db.begin());
  get(cancelled.cancel());
  try {
    get(cancelled.query("RETURN 1"));
    ADD_FAILURE() << "a cancelled transaction ran a query";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
  }
  EXPECT_EQ(count(db, "item"), 1);
  // What a transaction cannot do is refused by the engine too, by name.
  Transaction moved = get(db.begin());
  Transaction owner = std::move(moved);
  EXPECT_THROW(moved.id(), std::logic_error);
  EXPECT_FALSE(moved.is_open());
  get(owner.cancel());
}

TEST_P(TransactionTest, AFailedCallSpoilsTheCommit) {
  Database db = connect();
  get(db.create(RecordId("item", 1), Object{{"n", 1}}));
  Transaction tx = get(db.begin());
  (void)tx.merge(RecordId("item", 1), Object{{"n", 2}});  // succeeds
  (void)tx.create(RecordId("item", 1));                   // fails: it exists; nobody waits
  (void)tx.create(RecordId("item", 2));                   // succeeds
  const std::string message = failure_of<QueryException>(tx.commit());
  EXPECT_NE(message.find("cancelled, not committed"), std::string::npos) << message;
  EXPECT_EQ(get(db.select("item")), (Array{Object{{"id", RecordId("item", 1)}, {"n", 1}}}));
  // A failed statement inside a query counts too.
  Transaction queried = get(db.begin());
  Response response = get(queried.query("CREATE item:3; THROW 'no'"));
  EXPECT_TRUE(response.has_errors());
  EXPECT_THROW(get(queried.commit()), QueryException);
  EXPECT_EQ(count(db, "item"), 1);
}

TEST_P(TransactionTest, ConflictingCommitThrowsTransactionConflictException) {
  Database db = connect();
  get(db.create(RecordId("account", 1), Object{{"balance", 100}}));
  Transaction first = get(db.begin());
  Transaction second = get(db.begin());
  const auto balance = [](Transaction& tx) {
    return get(tx.select(RecordId("account", 1)))["balance"].get<std::int64_t>();
  };
  const std::int64_t seen_first = balance(first);
  const std::int64_t seen_second = balance(second);
  get(first.merge(RecordId("account", 1), Object{{"balance", seen_first - 10}}));
  get(first.commit());
  // The second read the balance before the first committed: its write
  // would lose the first's. The conflict surfaces at the write or at the
  // commit, depending on the engine; either way it is this exception.
  try {
    get(second.merge(RecordId("account", 1), Object{{"balance", seen_second - 20}}));
    get(second.commit());
    ADD_FAILURE() << "a lost update committed";
  } catch (const TransactionConflictException& e) {
    EXPECT_EQ(e.code(), error_code::transaction_conflict);
    EXPECT_NE(std::string(e.what()).find("retried"), std::string::npos) << e.what();
  }
  EXPECT_EQ(get(db.select(RecordId("account", 1)))["balance"], 90);
}

TEST_P(TransactionTest, CallsRunInTheOrderMadeWithoutWaiting) {
  Database db = connect();
  Transaction tx = get(db.begin());
  std::vector<Future<Value>> writes;
  for (int n = 1; n <= 200; ++n) {
    writes.push_back(tx.upsert(RecordId("counter", 1), Object{{"n", n}}));
  }
  Future<void> commit = tx.commit();  // after all of them
  get(std::move(commit));
  for (int n = 1; n <= 200; ++n) {
    EXPECT_EQ(get(std::move(writes[n - 1]))["n"], n);
  }
  EXPECT_EQ(get(db.select(RecordId("counter", 1)))["n"], 200);
}

TEST_P(TransactionTest, ItBelongsToItsSession) {
  Database db = connect();
  Database other = other_session(db);
  Transaction tx = get(db.begin());
  get(tx.create(RecordId("item", 1)));
  // Closing the session that began it cancels it.
  get(db.close());
  EXPECT_THROW(get(tx.commit()), ConnectionException);
  EXPECT_EQ(count(other, "item"), 0);
  // A transaction begun on the other session is that session's.
  Transaction theirs = get(other.begin());
  get(theirs.create(RecordId("item", 2)));
  get(theirs.commit());
  EXPECT_EQ(count(other, "item"), 1);
}

TEST_P(TransactionTest, CancellingAStatementAbandonsTheTransaction) {
  Database db = connect();
  Transaction tx = get(db.begin());
  get(tx.create(RecordId("item", 1)));
  CallOptions options;
  options.timeout = std::chrono::milliseconds(1);
  // A statement long enough to outlast its deadline.
  Future<Response> slow = tx.query("FOR $i IN 0..200000 { CREATE item CONTENT { i: $i } }", {}, options);
  EXPECT_THROW(get(std::move(slow)), TimeoutException);
  // The engine rolled the transaction back rather than commit half of it.
  EXPECT_THROW(get(tx.commit()), DatabaseException);
  EXPECT_EQ(count(db, "item"), 0);
}

/// The bank: accounts whose total never changes, whatever concurrent
/// transfers do, because each transfer is one transaction that checks the
/// balance it reads, and a transfer that loses a conflict runs again.
TEST_P(TransactionTest, BankInvariantUnderConcurrentTransfers) {
  constexpr int kAccounts = 10, kThreads = 8;
  // The test server is a Debug build too, and each transfer is five round
  // trips to it: 500 per thread took 220 s there, against 8 s in process.
  const int kTransfers = remote() ? 50 : 500;
  constexpr std::int64_t kOpening = 1000;
  Database db = connect();
  for (int id = 0; id < kAccounts; ++id) {
    get(db.create(RecordId("account", id), Object{{"balance", kOpening}}));
  }
  std::atomic<std::int64_t> committed = 0, declined = 0, conflicts = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(20261202 + t);
      std::uniform_int_distribution<int> account(0, kAccounts - 1);
      std::uniform_int_distribution<std::int64_t> amount(1, 400);
      for (int i = 0; i < kTransfers; ++i) {
        const int from = account(random);
        const int to = (from + 1 + account(random) % (kAccounts - 1)) % kAccounts;
        const std::int64_t sum = amount(random);
        for (int attempt = 0;; ++attempt) {
          ASSERT_LT(attempt, 1000) << "a transfer kept conflicting";
          try {
            Transaction tx = get(db.begin());
            const std::int64_t from_balance =
                get(tx.select(RecordId("account", from)))["balance"].get<std::int64_t>();
            const std::int64_t to_balance =
                get(tx.select(RecordId("account", to)))["balance"].get<std::int64_t>();
            if (from_balance < sum) {  // declined: the balance may not go negative
              get(tx.cancel());
              ++declined;
              break;
            }
            (void)tx.merge(RecordId("account", from), Object{{"balance", from_balance - sum}});
            (void)tx.merge(RecordId("account", to), Object{{"balance", to_balance + sum}});
            (void)tx.create("transfer", Object{{"from", from}, {"to", to}, {"amount", sum}});
            get(tx.commit());
            ++committed;
            break;
          } catch (const TransactionConflictException&) {
            ++conflicts;  // the transaction is cancelled as it goes; run it again
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(committed + declined, kThreads * kTransfers);
  const Value accounts = get(db.select("account"));
  std::int64_t total = 0;
  for (const Value& account : accounts) {
    const auto balance = account["balance"].get<std::int64_t>();
    EXPECT_GE(balance, 0) << account.to_string();
    total += balance;
  }
  EXPECT_EQ(total, kAccounts * kOpening);
  EXPECT_EQ(count(db, "transfer"), committed.load());
  // Each balance is its opening plus what the log says came in, less what went out.
  for (int id = 0; id < kAccounts; ++id) {
    const std::int64_t in = get(db.query("RETURN math::sum((SELECT VALUE amount FROM transfer WHERE to = $id))", {{"id", id}})).take<std::int64_t>(0);
    const std::int64_t out = get(db.query("RETURN math::sum((SELECT VALUE amount FROM transfer WHERE from = $id))", {{"id", id}})).take<std::int64_t>(0);
    EXPECT_EQ(get(db.select(RecordId("account", id)))["balance"], kOpening + in - out) << id;
  }
  std::printf("bank: %lld committed, %lld declined, %lld conflicts retried\n",
              static_cast<long long>(committed), static_cast<long long>(declined),
              static_cast<long long>(conflicts));
}

// Not yet on the server: see "Not yet on the server" in tests/analysis/coverage_gaps.md.
TEST_P(TransactionTest, WithTransactionRunsTheBodyAgainWhenItLosesAConflict) {
  Database db = connect();
  Database other = other_session(db);
  (void)get(db.create(RecordId("counter", 1), Object{{"n", 0}}));
  int attempts = 0;
  Future<std::int64_t> done = db.with_transaction([&](Transaction& tx) -> Future<std::int64_t> {
    ++attempts;
    Value counter = co_await tx.select(RecordId("counter", 1));
    const std::int64_t n = counter["n"].get<std::int64_t>();
    if (attempts == 1) {
      // Another session commits a write to the same record meanwhile: this
      // attempt's write conflicts with it.
      Object bumped{{"n", 100}};
      co_await other.merge(RecordId("counter", 1), std::move(bumped));
    }
    Object next{{"n", n + 1}};
    co_await tx.merge(RecordId("counter", 1), std::move(next));
    co_return n + 1;
  });
  EXPECT_EQ(get(std::move(done)), 101);  // the second attempt read the other write
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(get(db.select(RecordId("counter", 1)))["n"], 101);
}

TEST_P(TransactionTest, WithTransactionGivesUpAfterItsAttemptsAndStopsAtOtherErrors) {
  Database db = connect();
  Database other = other_session(db);
  (void)get(db.create(RecordId("counter", 1), Object{{"n", 0}}));
  int attempts = 0;
  // Every attempt loses: the conflict comes out after the last one.
  auto always_conflicts = [&](Transaction& tx) -> Future<void> {
    ++attempts;
    co_await tx.select(RecordId("counter", 1));
    Object bumped{{"n", attempts}};
    co_await other.merge(RecordId("counter", 1), std::move(bumped));
    Object mine{{"n", -1}};
    co_await tx.merge(RecordId("counter", 1), std::move(mine));
  };
  EXPECT_THROW(get(db.with_transaction(always_conflicts, 3)), TransactionConflictException);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(get(db.select(RecordId("counter", 1)))["n"], 3);  // none of the body's writes

  // Any other failure ends it at once, the transaction cancelled.
  attempts = 0;
  auto fails = [&](Transaction& tx) -> Future<void> {
    ++attempts;
    Object changed{{"n", 7}};
    co_await tx.merge(RecordId("counter", 1), std::move(changed));
    co_await tx.create(RecordId("counter", 1));  // exists
  };
  EXPECT_THROW(get(db.with_transaction(fails)), AlreadyExistsException);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(get(db.select(RecordId("counter", 1)))["n"], 3);
  EXPECT_THROW((void)db.with_transaction(fails, 0), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Backends, TransactionTest, test_support::every_backend_and_server(),
                         test_support::store_name);

}  // namespace
