// SurrealDB's structured errors as C++ exceptions: each kind a user acts on
// has a class, every exception keeps kind, details and cause, and a query's
// failed statements report the same exceptions through Response::check()
// and take(). Every test runs on every datastore, and on a SurrealDB server
// over WebSocket, gRPC and HTTP.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/get.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using test_support::get;

class ErrorsTest : public test_support::BackendTest {
 protected:
  Database connect() {
    ConnectOptions options;
    options.ns = "test";
    options.db = "test";
    return get(Database::connect(endpoint(), prepare(std::move(options))));
  }
};

/// The exception `future` fails with, as E; fails the test if it succeeds
/// or fails otherwise.
template <class E, class T>
std::optional<E> caught(Future<T> future) {
  try {
    (void)get(std::move(future));
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "failed with another exception: " << e.what();
    return std::nullopt;
  }
  ADD_FAILURE() << "succeeded";
  return std::nullopt;
}

/// What rethrowing `failure` throws, as E.
template <class E>
std::optional<E> caught(const std::exception_ptr& failure) {
  if (!failure) {
    ADD_FAILURE() << "no failure";
    return std::nullopt;
  }
  try {
    std::rethrow_exception(failure);
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "another exception: " << e.what();
  }
  return std::nullopt;
}

TEST_P(ErrorsTest, AnExistingRecordIdIsAlreadyExists) {
  Database db = connect();
  (void)get(db.create(RecordId("person", 1), Object{{"name", "Ann"}}));
  const auto e = caught<AlreadyExistsException>(db.create(RecordId("person", 1)));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::already_exists);
  EXPECT_EQ(e->code(), error_code::query);
  // SurrealDB names the record in its details: {kind: "Record", details: {id}}.
  EXPECT_EQ(e->details()["kind"], "Record") << e->details().to_string();
  EXPECT_NE(e->details()["details"]["id"].as_string().find("person:1"), std::string::npos)
      << e->details().to_string();
  EXPECT_NE(std::string(e->what()).find("already exists"), std::string::npos) << e->what();
  EXPECT_EQ(get(db.select(RecordId("person", 1)))["name"], "Ann");  // still usable, unchanged
}

TEST_P(ErrorsTest, AUniqueIndexEntryIsAlreadyExists) {
  Database db = connect();
  get(db.query("DEFINE INDEX email ON person FIELDS email UNIQUE")).check();
  (void)get(db.create(RecordId("person", 1), Object{{"email", "a@example.com"}}));
  const auto e =
      caught<AlreadyExistsException>(db.create(RecordId("person", 2), Object{{"email", "a@example.com"}}));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::already_exists);
  EXPECT_NE(e->native_details().find("already contains"), std::string::npos) << e->what();
}

TEST_P(ErrorsTest, ThrowIsThrownWithItsText) {
  Database db = connect();
  Response response = get(db.query("RETURN 1; THROW 'out of stock'; RETURN 3"));
  EXPECT_FALSE(response.exception(0));
  EXPECT_FALSE(response.exception(2));
  const auto e = caught<ThrownException>(response.exception(1));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::thrown);
  EXPECT_EQ(std::string(e->what()), "statement 1 failed: out of stock");
  EXPECT_NE(e->native_details().find("out of stock"), std::string::npos);
  EXPECT_EQ(response.take(2), 3);  // the other statements' results stay readable
  EXPECT_THROW(response.take(1), ThrownException);
}

TEST_P(ErrorsTest, AMissingTableIsNotFound) {
  Database db = connect();
  Response response = get(db.query("REMOVE TABLE nothing_here"));
  const auto e = caught<NotFoundException>(response.exception(0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::not_found);
  EXPECT_EQ(e->details()["kind"], "Table") << e->details().to_string();
  EXPECT_EQ(e->details()["details"]["name"], "nothing_here") << e->details().to_string();
}

TEST_P(ErrorsTest, ARefusedCapabilityIsNotAllowed) {
  if (remote()) GTEST_SKIP() << "a server's capabilities are its own (surreal start)";
  ConnectOptions options;
  options.ns = "test";
  options.db = "test";
  options.capabilities.deny_functions = std::vector<std::string>{"string::len"};
  Database db = get(Database::connect(endpoint(), options));
  Response response = get(db.query("RETURN string::len('abc')"));
  const auto e = caught<NotAllowedException>(response.exception(0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::not_allowed);
  EXPECT_EQ(dynamic_cast<const AuthenticationException*>(&*e), nullptr);
  EXPECT_EQ(e->details()["kind"], "Function") << e->details().to_string();
  EXPECT_EQ(get(db.query("RETURN string::uppercase('abc')")).check().take(0), "ABC");
}

TEST_P(ErrorsTest, AUserWithoutPermissionIsNotAllowed) {
  Database db = connect();
  get(db.query("DEFINE USER reader ON DATABASE PASSWORD 'db-pass' ROLES VIEWER")).check();
  Database reader = get(db.new_session());
  (void)get(reader.signin(auth::Database{"test", "test", "reader", "db-pass"}));
  Response response = get(reader.query("DEFINE TABLE forbidden"));
  const auto e = caught<NotAllowedException>(response.exception(0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind(), ErrorKind::not_allowed);
}

TEST_P(ErrorsTest, CheckThrowsTheFirstFailedStatementAndOtherwiseChains) {
  Database db = connect();
  // Every statement succeeds: check() hands the Response on.
  EXPECT_EQ(get(db.query("DEFINE TABLE item; RETURN 2")).check().take(1), 2);
  Response fine = get(db.query("RETURN 5"));
  Response& same = fine.check();
  EXPECT_EQ(&same, &fine);

  // The first failure wins, with its own class, although a later one differs.
  (void)get(db.create(RecordId("item", 1)));
  Response failed = get(db.query("RETURN 1; CREATE item:1; THROW 'later'"));
  try {
    failed.check();
    ADD_FAILURE() << "check() did not throw";
  } catch (const AlreadyExistsException& e) {
    EXPECT_NE(std::string(e.what()).find("statement 1 failed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(get(db.query("DEFINE TABLE")).check(), QueryException);  // a parse error: the call fails
}

TEST_P(ErrorsTest, ConversionFailuresAreDatabaseExceptions) {
  Database db = connect();
  try {
    (void)get(db.query("RETURN 'not a number'")).take<std::int64_t>(0);
    ADD_FAILURE() << "converted";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.kind(), ErrorKind::serialization);
    EXPECT_NE(dynamic_cast<const TypeError*>(&e), nullptr);
  }
  (void)get(db.create(RecordId("person", 1), Object{{"age", "old"}}));
  EXPECT_THROW((void)get(db.select<std::int64_t>(RecordId("person", 1))), DatabaseException);
}

TEST_P(ErrorsTest, ATransactionsCommitFailsAsItsFailedCallDid) {
  if (http()) GTEST_SKIP() << "HTTP has no interactive transactions";
  Database db = connect();
  (void)get(db.create(RecordId("item", 1)));
  Transaction tx = get(db.begin());
  auto created = tx.create(RecordId("item", 1));  // fails: it exists
  const auto e = caught<AlreadyExistsException>(tx.commit());
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e->what()).find("not committed"), std::string::npos) << e->what();
  EXPECT_EQ(e->kind(), ErrorKind::already_exists);
  EXPECT_THROW(get(std::move(created)), AlreadyExistsException);
}

TEST_P(ErrorsTest, ErrorsOfTheLibraryHaveTheKindSurrealDbWouldGive) {
  Database db = connect();
  const auto e = caught<DatabaseException>(db.select("not a valid : resource :"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), error_code::invalid_argument);
  EXPECT_EQ(e->kind(), ErrorKind::validation);
  EXPECT_TRUE(e->details().is_none());
  EXPECT_EQ(e->cause(), nullptr);
}

// The README's "Mistakes": every handle, moved from, throws std::logic_error
// at once (a Future's std::future_error is one).
TEST_P(ErrorsTest, AMovedFromHandleThrowsLogicErrorAtOnce) {
  Database db = connect();
  Database owner = std::move(db);
  EXPECT_THROW((void)db.query("RETURN 1"), std::logic_error);
  EXPECT_THROW((void)db.select("person"), std::logic_error);
  EXPECT_THROW((void)db.close(), std::logic_error);
  if (!http()) {  // HTTP has neither transactions nor live queries
    get(owner.query("DEFINE TABLE person")).check();
    Transaction tx = get(owner.begin());
    Transaction tx_owner = std::move(tx);
    EXPECT_THROW((void)tx.query("RETURN 1"), std::logic_error);
    EXPECT_THROW((void)tx.commit(), std::logic_error);
    EXPECT_THROW((void)tx.id(), std::logic_error);
    EXPECT_FALSE(tx.is_open());
    get(tx_owner.cancel());
    LiveQuery live = get(owner.live("person"));
    LiveQuery live_owner = std::move(live);
    EXPECT_THROW((void)live.next(), std::logic_error);
    EXPECT_THROW((void)live.kill(), std::logic_error);
    get(live_owner.kill());
  }
  Future<Response> future = owner.query("RETURN 1");
  Future<Response> future_owner = std::move(future);
  EXPECT_THROW((void)future.get(), std::logic_error);
  EXPECT_EQ(get(std::move(future_owner)).take(0), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ErrorsTest, test_support::every_backend_and_protocol(),
                         test_support::store_name);

}  // namespace
