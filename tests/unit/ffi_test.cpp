// The C++ binding layer over the C ABI: ownership, strings, errors, and a
// round trip through the C functions themselves.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "ffi/native.hpp"
#include "ffi/results.hpp"
#include "support/temp_dir.hpp"
#include "surreal/exceptions.hpp"

namespace {

using namespace surreal;
using nlohmann::json;

static_assert(!std::is_copy_constructible_v<ffi::DatabaseHandle>);
static_assert(std::is_nothrow_move_constructible_v<ffi::DatabaseHandle>);
static_assert(!std::is_copy_constructible_v<ffi::ResponseHandle>);
static_assert(!std::is_copy_constructible_v<ffi::NativeString>);

ffi::DatabaseHandle open(const std::string& endpoint) {
  ffi::DatabaseHandle db(ffi::check(surreal_db_new(endpoint.c_str())));
  ffi::check(surreal_db_connect(db.get()));
  ffi::check(surreal_db_use_ns(db.get(), "test"));
  ffi::check(surreal_db_use_db(db.get(), "test"));
  return db;
}

json results(SurrealResponse* raw) {
  ffi::ResponseHandle response(ffi::check(raw));
  return json::parse(ffi::take_string(ffi::check(surreal_response_get_results(response.get()))));
}

TEST(Strings, TakeStringCopiesAndNullIsEmpty) {
  EXPECT_EQ(ffi::take_string(nullptr), "");
  // A real library string: the error text of a failed call.
  ASSERT_EQ(surreal_db_new("nope://"), nullptr);
  const std::string message = ffi::take_string(surreal_get_last_error());
  EXPECT_NE(message.find("unsupported endpoint 'nope://'"), std::string::npos) << message;
}

TEST(Strings, OptionalArgumentsBecomeNull) {
  EXPECT_EQ(ffi::c_str_or_null(std::nullopt), nullptr);
  const std::optional<std::string> text = "x";
  EXPECT_STREQ(ffi::c_str_or_null(text), "x");
}

TEST(Ownership, MovedFromHandlesOwnNothing) {
  ffi::DatabaseHandle first = open("mem://");
  ffi::DatabaseHandle second = std::move(first);
  EXPECT_EQ(first.get(), nullptr);  // NOLINT(bugprone-use-after-move): the point of the test
  ASSERT_NE(second.get(), nullptr);
  EXPECT_EQ(results(surreal_db_query(second.get(), "RETURN 7", nullptr)), json::parse("[7]"));
}

TEST(Ownership, ResponseIsFreedWhenAnExceptionUnwinds) {
  ffi::DatabaseHandle db = open("mem://");
  // The response is owned before the throw; ASan/valgrind runs prove it freed.
  EXPECT_THROW(
      {
        ffi::ResponseHandle response(ffi::check(surreal_db_query(db.get(), "RETURN 1", nullptr)));
        ffi::throw_error(SURREAL_ERR_QUERY, "thrown while owning a response");
      },
      QueryException);
}

TEST(EndToEnd, MemoryCreateSelectQueryClose) {
  ffi::DatabaseHandle db = open("mem://");

  const json created =
      results(surreal_db_create(db.get(), "person", R"({"name":"Ann","age":31})"));
  ASSERT_EQ(created.size(), 1u);
  const json& record = created[0].is_array() ? created[0][0] : created[0];
  EXPECT_EQ(record["name"], "Ann");
  const std::string id = record["id"].get<std::string>();
  EXPECT_EQ(id.rfind("person:", 0), 0u) << id;

  const json selected = results(surreal_db_select(db.get(), id.c_str()));
  const json& row = selected[0].is_array() ? selected[0][0] : selected[0];
  EXPECT_EQ(row["age"], 31);

  const char* sql = "SELECT VALUE name FROM person WHERE age >= $min";
  EXPECT_EQ(results(surreal_db_query(db.get(), sql, R"({"min":31})")), json::parse(R"([["Ann"]])"));
  EXPECT_EQ(results(surreal_db_query(db.get(), sql, R"({"min":32})")), json::parse("[[]]"));

  EXPECT_EQ(surreal_db_close(db.release()), SURREAL_OK);
}

TEST(EndToEnd, RocksDbReopensAtOnceWithItsData) {
  surreal::test_support::TempDir dir;
  const std::string endpoint = "rocksdb://" + (dir / "db");
  {
    ffi::DatabaseHandle db = open(endpoint);
    results(surreal_db_create(db.get(), "note", R"({"text":"persisted"})"));
  }  // the deleter closes the datastore
  ffi::DatabaseHandle reopened = open(endpoint);
  EXPECT_EQ(results(surreal_db_query(reopened.get(), "SELECT VALUE text FROM note", nullptr)),
            json::parse(R"([["persisted"]])"));
}

TEST(EndToEnd, ASecondOpenOfALiveRocksDbDirectoryIsAConnectionError) {
  surreal::test_support::TempDir dir;
  const std::string endpoint = "rocksdb://" + (dir / "db");
  ffi::DatabaseHandle first = open(endpoint);
  ffi::DatabaseHandle second(ffi::check(surreal_db_new(endpoint.c_str())));
  try {
    ffi::check(surreal_db_connect(second.get()));
    FAIL() << "the directory was opened twice";
  } catch (const ConnectionException& e) {
    EXPECT_EQ(e.code(), SURREAL_ERR_CONNECTION);
    EXPECT_FALSE(e.native_details().empty());
  }
  // The first handle is unaffected.
  EXPECT_EQ(results(surreal_db_query(first.get(), "RETURN 1", nullptr)), json::parse("[1]"));
}

}  // namespace

namespace {

TEST(Results, TakeResultsKeepsEveryKindAndMovesTheValuesOut) {
  auto db = open("mem://");
  ffi::ResponseHandle response(ffi::check(surreal_db_query(
      db.get(),
      "RETURN {a: 1, f: 0.25, s: 's\\\"ü', l: [true, NONE, NULL]};"
      "RETURN person:tobie; RETURN d'2024-05-01T10:00:00.000000001Z'; RETURN 1.5dec;"
      "THROW 'failed here'; RETURN [9223372036854775807, -9223372036854775807 - 1];",
      nullptr)));
  const std::vector<Value> taken = ffi::take_results(response.get());
  ASSERT_EQ(taken.size(), 6u);
  EXPECT_EQ(taken[0], (Object{{"a", 1},
                              {"f", 0.25},
                              {"s", "s\"ü"},
                              {"l", Array{true, none, nullptr}}}));
  EXPECT_EQ(taken[1], (RecordId{"person", "tobie"}));
  EXPECT_EQ(taken[2], (Datetime{1714557600, 1}));
  EXPECT_EQ(taken[3], Decimal("1.5"));
  EXPECT_TRUE(taken[4].is_none()) << "a failed statement has no result";
  EXPECT_EQ(taken[5], (Array{std::numeric_limits<std::int64_t>::max(),
                             std::numeric_limits<std::int64_t>::min()}));
  // Moved out: the response keeps its errors, not its values.
  EXPECT_EQ(results(response.release()), json::parse("[null, null, null, null, null, null]"));
}

TEST(Results, TakeResultsOfNullIsAnInvalidArgument) {
  try {
    ffi::take_results(nullptr);
    FAIL() << "expected an exception";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.code(), error_code::invalid_argument);
  }
}

}  // namespace
