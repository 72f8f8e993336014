// surreal::Database end to end, on both storage backends.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "support/backends.hpp"
#include "support/get.hpp"
#include "support/temp_dir.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using namespace std::chrono_literals;

using test_support::get;

TEST(Endpoint, FromBackend) {
  EXPECT_EQ(to_endpoint(StorageBackend::memory), "mem://");
  EXPECT_EQ(to_endpoint(StorageBackend::rocksdb, "/data/x"), "rocksdb:///data/x");
  EXPECT_THROW(to_endpoint(StorageBackend::rocksdb), std::invalid_argument);
  EXPECT_THROW(to_endpoint(StorageBackend::rocksdb, ""), std::invalid_argument);
  EXPECT_THROW(Database::connect(StorageBackend::rocksdb), std::invalid_argument);
  EXPECT_EQ(to_endpoint(StorageBackend::surrealkv, "/data/x"), "surrealkv:///data/x");
  EXPECT_THROW(to_endpoint(StorageBackend::surrealkv, ""), std::invalid_argument);
}

class DatabaseTest : public surreal::test_support::BackendTest {
 protected:
  Database connect(std::optional<std::string> ns = "test", std::optional<std::string> db = "test") {
    ConnectOptions options;
    options.ns = std::move(ns);
    options.db = std::move(db);
    return get(Database::connect(endpoint(), prepare(std::move(options))));
  }
};

TEST_P(DatabaseTest, ConnectWithNamespaceAndDatabase) {
  Database db = connect();
  Response info = get(db.query("RETURN [session::ns(), session::db()]"));
  EXPECT_EQ(info.take(0), (Array{"test", "test"}));
  get(db.close());
}

TEST_P(DatabaseTest, ConnectWithoutThenSelectLater) {
  Database db = connect(std::nullopt, std::nullopt);
  get(db.use_namespace("app"));
  get(db.use_database("main"));
  EXPECT_EQ(get(db.query("RETURN session::ns() + '/' + session::db()")).take(0), "app/main");
}

TEST_P(DatabaseTest, QueryWithBindings) {
  Database db = connect();
  get(db.query("CREATE person:1 SET age = 20; CREATE person:2 SET age = 40"));
  const std::string sql = "SELECT VALUE age FROM person WHERE age > $min ORDER BY age";
  EXPECT_EQ(get(db.query(sql, {{"min", 10}})).take(0), (Array{20, 40}));
  EXPECT_EQ(get(db.query(sql, {{"min", 30}})).take(0), Array{40});
  // A binding is a value, never SurrealQL.
  auto injected = get(db.query("RETURN $text", {{"text", "x'; REMOVE TABLE person; '"}}));
  EXPECT_EQ(injected.take(0), "x'; REMOVE TABLE person; '");
  EXPECT_EQ(get(db.select("person")).size(), 2u);
}

TEST_P(DatabaseTest, MultiStatementResponseWithOneFailure) {
  Database db = connect();
  Response response = get(db.query("RETURN 1; THROW 'second fails'; RETURN 3"));
  EXPECT_EQ(response.size(), 3u);
  EXPECT_TRUE(response.has_errors());
  ASSERT_EQ(response.errors().size(), 1u);
  EXPECT_NE(response.errors()[0].find("second fails"), std::string::npos);
  EXPECT_EQ(response.take(0), 1);
  EXPECT_EQ(response.take(2), 3);
  try {
    response.take(1);
    FAIL() << "take() of a failed statement returned";
  } catch (const QueryException& e) {
    EXPECT_NE(e.native_details().find("second fails"), std::string::npos);
  }
  EXPECT_THROW(response.take(3), std::out_of_range);
}

TEST_P(DatabaseTest, TakeCopiesFromAResponseAndMovesFromATemporary) {
  Database db = connect();
  Response response = get(db.query("RETURN [1, 2, 3]"));
  EXPECT_EQ(response.take(0), (Array{1, 2, 3}));
  EXPECT_EQ(response.take(0), (Array{1, 2, 3})) << "take() on an lvalue must not move";
  EXPECT_EQ(get(db.query("RETURN 'moved'")).take(0), "moved");
  Response failing = get(db.query("THROW 'no'"));
  EXPECT_THROW(std::move(failing).take(0), QueryException);
}

TEST_P(DatabaseTest, InvalidSurrealQlIsAQueryExceptionAndTheDatabaseStaysUsable) {
  Database db = connect();
  try {
    get(db.query("SELEC * FORM person"));
    FAIL() << "invalid SurrealQL was accepted";
  } catch (const QueryException& e) {
    EXPECT_FALSE(e.native_details().empty());
  }
  EXPECT_EQ(get(db.query("RETURN 5")).take(0), 5);
}

TEST_P(DatabaseTest, TypeErrorIsReportedForItsStatement) {
  Database db = connect();
  get(db.query("DEFINE TABLE typed SCHEMAFULL; DEFINE FIELD n ON typed TYPE int"));
  EXPECT_THROW(get(db.create("typed", Object{{"n", "not a number"}})), QueryException);
  Response response = get(db.query("CREATE typed SET n = 'text'"));
  EXPECT_TRUE(response.has_errors());
}

TEST_P(DatabaseTest, CrudRoundTrip) {
  Database db = connect();
  const Value created = get(db.create("person", Object{{"name", "John"}, {"age", 30}}));
  ASSERT_TRUE(created.is_object()) << created.to_string();
  EXPECT_EQ(created["name"], "John");
  const RecordId id = created["id"].get<RecordId>();
  EXPECT_EQ(id.table(), "person");

  const Value by_id = get(db.select(id));
  EXPECT_EQ(by_id, created);
  EXPECT_EQ(get(db.select("person")).size(), 1u);

  const Value updated = get(db.update(id, Object{{"name", "John"}, {"age", 31}}));
  EXPECT_EQ(updated["age"], 31);
  EXPECT_EQ(updated["id"], id);
  EXPECT_EQ(get(db.select(id))["age"], 31);

  get(db.remove(id));
  EXPECT_TRUE(get(db.select(id)).is_none());
  EXPECT_TRUE(get(db.select("person")).empty());
}

TEST_P(DatabaseTest, CreateAtAGivenId) {
  Database db = connect();
  const Value created = get(db.create("person:tobie", Object{{"name", "Tobie"}}));
  EXPECT_EQ(created["id"], (RecordId{"person", "tobie"}));
  EXPECT_EQ(get(db.select("person:tobie"))["name"], "Tobie");
  EXPECT_EQ(get(db.select(RecordId{"person", "tobie"}))["name"], "Tobie");
  const Value numbered = get(db.create(RecordId{"person", 42}, Object{{"name", "Numbered"}}));
  EXPECT_EQ(numbered["id"], (RecordId{"person", 42}));
  EXPECT_EQ(get(db.query("SELECT VALUE name FROM person:42")).take(0), Array{"Numbered"});
  // Keys that SurrealQL would need to quote need nothing here.
  const RecordId odd{"person", "a-b c⟩"};
  get(db.create(odd, Object{{"name", "Odd"}}));
  EXPECT_EQ(get(db.select(odd))["id"], odd);
  EXPECT_EQ(get(db.query("SELECT VALUE name FROM $id", {{"id", odd}})).take(0), Array{"Odd"});
}

TEST_P(DatabaseTest, UnknownTableSelectsAsEmpty) {
  Database db = connect();
  EXPECT_TRUE(get(db.select("nothing_here")).empty());
  EXPECT_TRUE(get(db.select("nothing_here:1")).is_none());
  EXPECT_TRUE(get(db.select<Object>("nothing_here:1")).empty());
}

TEST_P(DatabaseTest, ResourceStringsNeverExecute) {
  Database db = connect();
  get(db.create("person:keep", Object{{"name", "kept"}}));
  EXPECT_THROW(get(db.select("person:x; REMOVE TABLE person")), DatabaseException);
  EXPECT_TRUE(get(db.select("person; REMOVE TABLE person")).empty());
  EXPECT_EQ(get(db.select("person")).size(), 1u);
}

TEST_P(DatabaseTest, CallsAfterCloseFailAndCloseTwiceIsHarmless) {
  Database db = connect();
  get(db.close());
  EXPECT_THROW(get(db.query("RETURN 1")), ConnectionException);
  EXPECT_THROW(get(db.select("person")), ConnectionException);
  EXPECT_THROW(get(db.use_namespace("x")), ConnectionException);
  EXPECT_NO_THROW(get(db.close()));
}

TEST_P(DatabaseTest, MovedFromDatabaseFailsClearly) {
  Database db = connect();
  Database other = std::move(db);
  // A mistake in the program: std::logic_error at once (README, "Mistakes").
  EXPECT_THROW((void)db.query("RETURN 1"), std::logic_error);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(get(other.query("RETURN 1")).take(0), 1);
}

TEST_P(DatabaseTest, SeveralThreadsShareOneDatabase) {
  Database db = connect();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          const Value record = get(db.create("item", Object{{"t", t}, {"i", i}}));
          if (get(db.select(record["id"].get<RecordId>()))["i"] != i) ++failures;
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM item)")).take(0), kThreads * kPerThread);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest, test_support::every_backend_and_protocol(),
                         test_support::store_name);

/// The disk backends: RocksDB and SurrealKV give the same guarantees.
class DiskTest : public ::testing::TestWithParam<StorageBackend> {
 protected:
  Database connect(const std::string& path) {
    return get(Database::connect(GetParam(), path, "app", "main"));
  }
  surreal::test_support::TempDir dir_;
};

TEST_P(DiskTest, DataPersistsAcrossCloseAndReopen) {
  const std::string path = dir_ / "db";
  {
    Database db = connect(path);
    get(db.create("note:first", Object{{"text", "kept on disk"}}));
    get(db.close());
  }
  Database db = connect(path);
  EXPECT_EQ(get(db.select("note:first"))["text"], "kept on disk");
}

TEST_P(DiskTest, DestroyingWithoutCloseReleasesTheDirectory) {
  const std::string path = dir_ / "db";
  for (int round = 0; round < 3; ++round) {
    Database db = connect(path);
    get(db.create("visit", Object{{"round", round}}));
    // No close(): the destructor must release the directory for the next round.
  }
  Database db = connect(path);
  EXPECT_EQ(get(db.select("visit")).size(), 3u);
}

TEST_P(DiskTest, SecondOpenOfTheSameDirectoryIsAConnectionException) {
  const std::string path = dir_ / "db";
  Database first = connect(path);
  EXPECT_THROW(get(Database::connect(GetParam(), path)), ConnectionException);
  EXPECT_EQ(get(first.query("RETURN 1")).take(0), 1);
}

INSTANTIATE_TEST_SUITE_P(Disks, DiskTest,
                         ::testing::Values(StorageBackend::rocksdb, StorageBackend::surrealkv),
                         surreal::test_support::backend_name);

// -- time travel ------------------------------------------------------------

TEST(SurrealKvVersioned, SelectVersionReadsThePastAlsoAfterReopen) {
  surreal::test_support::TempDir dir;
  const std::string endpoint = "surrealkv://" + (dir / "db") + "?versioned=true";
  ConnectOptions options;
  options.ns = "app";
  options.db = "main";
  Value first_written, second_written;
  {
    Database db = get(Database::connect(endpoint, options));
    get(db.create(RecordId("doc", 1), Object{{"v", 1}}));
    first_written = get(db.query("RETURN time::now()")).take(0);
    get(db.merge(RecordId("doc", 1), Object{{"v", 2}}));
    second_written = get(db.query("RETURN time::now()")).take(0);
    get(db.remove(RecordId("doc", 1)));
    ASSERT_TRUE(first_written.is_datetime());
    get(db.close());
  }
  Database db = get(Database::connect(endpoint, options));
  const std::string at = "SELECT VALUE v FROM doc:1 VERSION $at";
  EXPECT_EQ(get(db.query(at, {{"at", first_written}})).take(0), (Array{1}));
  EXPECT_EQ(get(db.query(at, {{"at", second_written}})).take(0), (Array{2}));
  EXPECT_EQ(get(db.query("SELECT VALUE v FROM doc:1")).take(0), Array{});
}

TEST(SurrealKvVersioned, AStoreWithoutHistoryRefusesVersion) {
  surreal::test_support::TempDir dir;
  Database db = get(Database::connect(StorageBackend::surrealkv, dir / "db", "app", "main"));
  get(db.create(RecordId("doc", 1), Object{{"v", 1}}));
  EXPECT_THROW(get(db.query("SELECT * FROM doc:1 VERSION d'2024-01-01T00:00:00Z'")).take(0),
               QueryException);
  EXPECT_EQ(get(db.select(RecordId("doc", 1)))["v"], 1);
}

TEST(Connect, UnsupportedEndpointFails) {
  EXPECT_THROW(get(Database::connect("tikv://127.0.0.1:2379")), DatabaseException);
  EXPECT_THROW(get(Database::connect("ws://")), DatabaseException);
}

}  // namespace
