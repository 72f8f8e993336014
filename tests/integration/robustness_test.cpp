// Bad input, error paths and concurrency through the public API: every bad
// call gets a clear error and leaves the database usable; concurrent work
// neither deadlocks nor loses anything.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "poll.hpp"
#include "support/get.hpp"
#include "support/random_value.hpp"
#include "support/temp_dir.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using namespace std::chrono_literals;

using surreal::test_support::get;
using surreal::test_support::nested;

Database memory() { return get(Database::connect(StorageBackend::memory, std::nullopt, "t", "t")); }

void expect_usable(Database& db) { EXPECT_EQ(get(db.query("RETURN 'usable'")).take(0), "usable"); }

TEST(ErrorPaths, InvalidEndpoints) {
  EXPECT_THROW(get(Database::connect("")), DatabaseException);
  EXPECT_THROW(get(Database::connect("rocksdb://")), DatabaseException);
  EXPECT_THROW(get(Database::connect("http://localhost:8000")), DatabaseException);
}

TEST(ErrorPaths, UnwritableRocksDbPathIsAConnectionException) {
  // A directory cannot be made below a regular file, whoever runs the test.
  surreal::test_support::TempDir dir;
  const std::string file = dir / "plain-file";
  { std::FILE* f = std::fopen(file.c_str(), "w"); std::fclose(f); }
  try {
    get(Database::connect(StorageBackend::rocksdb, file + "/db"));
    FAIL() << "opened a datastore below a regular file";
  } catch (const ConnectionException& e) {
    EXPECT_FALSE(e.native_details().empty());
  }
}

TEST(BadInput, InvalidUtf8IsRejectedClearly) {
  Database db = memory();
  const std::string invalid = "RETURN '\xff\xfe'";
  EXPECT_THROW(get(db.query(invalid)), DatabaseException);
  // In bound values and record content too: the core refuses them.
  try {
    get(db.query("RETURN $x", {{"x", std::string("\xc3\x28")}}));
    FAIL() << "invalid UTF-8 was accepted";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
  }
  EXPECT_THROW(get(db.create("person", {{"name", std::string("\xff")}})), DatabaseException);
  expect_usable(db);
}

TEST(BadInput, RecordContentMustBeAnObject) {
  Database db = memory();
  EXPECT_THROW(get(db.create("person", Value("not an object"))), QueryException);
  EXPECT_THROW(get(db.update("person:1", Array{1, 2})), QueryException);
  expect_usable(db);
}

TEST(BadInput, TenMegabyteStringRoundTrips) {
  Database db = memory();
  const std::string big(10 * 1024 * 1024, 'x');
  const Value created = get(db.create("blob:big", {{"data", big}}));
  EXPECT_EQ(created["data"].as_string().size(), big.size());
  EXPECT_EQ(get(db.select("blob:big"))["data"], big);
  EXPECT_EQ(get(db.query("RETURN string::len($s)", {{"s", big}})).take(0), big.size());
}

TEST(BadInput, ValuesNestedTenThousandDeepAreRefusedNotACrash) {
  // Built and handed over by moves only: a copy recurses, and a sanitizer
  // build's larger frames would overflow the test's own stack.
  Database db = memory();
  Object bindings;
  bindings["deep"] = nested(10'000);
  try {
    get(db.query("RETURN $deep", std::move(bindings)));
    FAIL() << "10,000 levels of nesting were accepted";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
    EXPECT_NE(e.native_details().find("nest"), std::string::npos) << e.what();
  }
  Object data;
  data["value"] = nested(10'000);
  EXPECT_THROW(get(db.create("deep", std::move(data))), DatabaseException);
  expect_usable(db);
}

TEST(BadInput, SurrealQlInTableNamesAndIdsNeverExecutes) {
  Database db = memory();
  get(db.create("person:keep", {{"name", "kept"}}));
  const std::vector<std::string> hostile = {
      "person; REMOVE TABLE person",
      "person:x; REMOVE TABLE person",
      "person:`x`; REMOVE TABLE person",
      "person WHERE true; DELETE person",
      "person:1 /* */ ; DELETE person",
  };
  for (const auto& name : hostile) {
    SCOPED_TRACE(name);
    try {
      get(db.select(name));
    } catch (const DatabaseException&) {
    }
    try {
      get(db.create(name, {{"x", 1}}));
    } catch (const DatabaseException&) {
    }
    try {
      get(db.update(name, {{"x", 2}}));
    } catch (const DatabaseException&) {
    }
    try {
      get(db.remove(name));
    } catch (const DatabaseException&) {
    }
  }
  const Value people = get(db.select("person"));
  ASSERT_EQ(people.size(), 1u);
  EXPECT_EQ(people[0]["name"], "kept");
}

TEST(ErrorPaths, OperationsAfterCloseOnEveryMethod) {
  Database db = memory();
  get(db.close());
  EXPECT_THROW(get(db.use_namespace("x")), ConnectionException);
  EXPECT_THROW(get(db.use_database("x")), ConnectionException);
  EXPECT_THROW(get(db.query("RETURN 1")), ConnectionException);
  EXPECT_THROW(get(db.select("a")), ConnectionException);
  EXPECT_THROW(get(db.create("a", Object{})), ConnectionException);
  EXPECT_THROW(get(db.update("a:1", Object{})), ConnectionException);
  EXPECT_THROW(get(db.remove("a:1")), ConnectionException);
}

TEST(Concurrency, EveryRequestIsAnsweredOnceWhateverBecomesOfIt) {
  // Waiting callers poll only while the requests in flight leave a core idle,
  // so the count of unanswered requests must come back to zero: after
  // successes, failures, replies nobody waits for, and requests abandoned
  // when the Database goes with work still queued.
  ASSERT_EQ(detail::requests_unanswered(), 0u);
  std::vector<Future<Response>> late;
  {
    Database db = memory();
    EXPECT_EQ(get(db.query("RETURN 1")).take(0), 1);
    EXPECT_THROW(get(db.query("SELEC nonsense")), QueryException);
    EXPECT_THROW(get(db.query("RETURN $x", {{"x", std::string("\xff")}})), DatabaseException);
    for (int i = 0; i < 100; ++i) {
      (void)db.create("item", {{"i", i}});  // nobody waits for these replies
    }
    for (int i = 0; i < 100; ++i) late.push_back(db.query("SLEEP 1ms; RETURN 1"));
  }  // gone with requests still queued: those fail with ConnectionException
  EXPECT_EQ(detail::requests_unanswered(), 0u);
  int abandoned = 0;
  for (auto& future : late) {
    try {
      get(std::move(future));
    } catch (const ConnectionException&) {
      ++abandoned;
    }
  }
  EXPECT_GT(abandoned, 0) << "the Database went before all of them ran";
  Database closed = memory();
  get(closed.close());
  EXPECT_THROW(get(closed.select("item")), ConnectionException);
  EXPECT_EQ(detail::requests_unanswered(), 0u);
}

TEST(Concurrency, EightThreadsTimesAThousandMixedOperations) {
  Database db = memory();
  constexpr int kThreads = 8;
  constexpr int kOps = 1000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int live = 0;
      for (int op = 0; op < kOps; ++op) {
        const int k = op / 4;
        const std::string id = "item:t" + std::to_string(t) + "k" + std::to_string(k);
        try {
          switch (op % 4) {
            case 0:
              get(db.create(id, {{"t", t}, {"k", k}}));
              ++live;
              break;
            case 1:
              if (get(db.select(id))["k"] != k) ++wrong;
              break;
            case 2:
              if (get(db.update(id, {{"t", t}, {"k", k}, {"updated", true}}))["updated"] != true) {
                ++wrong;
              }
              break;
            case 3:
              if (k % 2 == 1) {
                get(db.remove(id));
                --live;
              } else {
                const Value count =
                    get(db.query("RETURN count(SELECT * FROM item WHERE t = $t)", {{"t", t}}))
                        .take(0);
                if (count != live) ++wrong;
              }
              break;
          }
        } catch (const std::exception& e) {
          ++wrong;
          ADD_FAILURE() << id << ": " << e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  const int expected = kThreads * (kOps / 4) / 2;
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM item)")).take(0), expected);
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM item WHERE updated = true)")).take(0),
            expected);
}

TEST(Concurrency, FourDatabasesAtOnce) {
  surreal::test_support::TempDir dir;
  std::vector<Database> databases;
  databases.push_back(memory());
  databases.push_back(memory());
  databases.push_back(get(Database::connect(StorageBackend::rocksdb, dir / "a", "t", "t")));
  databases.push_back(get(Database::connect(StorageBackend::rocksdb, dir / "b", "t", "t")));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (std::size_t d = 0; d < databases.size(); ++d) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, d, t] {
        for (int i = 0; i < 250; ++i) {
          try {
            get(databases[d].create("row", {{"d", d}, {"t", t}, {"i", i}}));
          } catch (...) {
            ++failures;
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (auto& db : databases) {
    EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM row)")).take(0), 500);
    get(db.close());
  }
}

}  // namespace
