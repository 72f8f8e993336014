#include <gtest/gtest.h>

#include "ffi/native.hpp"
#include "surreal/exceptions.hpp"

namespace {

using namespace surreal;

template <typename Expected>
void expect_mapped(int code) {
  try {
    ffi::throw_error(code, "native text");
    FAIL() << "throw_error returned";
  } catch (const Expected& e) {
    EXPECT_EQ(typeid(e), typeid(Expected));
    EXPECT_EQ(e.code(), code);
    EXPECT_EQ(e.native_details(), "native text");
    EXPECT_STREQ(e.what(), "native text");
  }
}

TEST(ErrorMapping, EachStatusCodeHasItsException) {
  expect_mapped<ConnectionException>(SURREAL_ERR_CONNECTION);
  expect_mapped<QueryException>(SURREAL_ERR_QUERY);
  expect_mapped<AuthenticationException>(SURREAL_ERR_AUTHENTICATION);
  expect_mapped<DatabaseException>(SURREAL_ERR_INVALID_ARGUMENT);
  expect_mapped<DatabaseException>(SURREAL_ERR_INTERNAL);
  expect_mapped<DatabaseException>(SURREAL_ERR_PANIC);
}

TEST(ErrorMapping, TheHierarchyRootsInRuntimeError) {
  const QueryException e(error_code::query, "statement 1 failed: boom", "boom");
  const std::runtime_error& root = e;
  EXPECT_STREQ(root.what(), "statement 1 failed: boom");
  EXPECT_EQ(e.native_details(), "boom");
}

TEST(ErrorMapping, CheckPassesSuccessAndThrowsTheLastNativeError) {
  EXPECT_NO_THROW(ffi::check(SURREAL_OK));
  // A real failure of the C ABI: NULL endpoint.
  SurrealDatabase* db = surreal_db_new(nullptr);
  ASSERT_EQ(db, nullptr);
  try {
    ffi::check(db);
    FAIL() << "check(NULL) returned";
  } catch (const DatabaseException& e) {
    EXPECT_EQ(e.code(), SURREAL_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(e.native_details(), "endpoint is NULL");
  }
}

}  // namespace
