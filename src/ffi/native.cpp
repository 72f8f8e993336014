#include "ffi/native.hpp"

#include <utility>

#include "surreal/exceptions.hpp"

namespace surreal::ffi {

static_assert(error_code::ok == SURREAL_OK);
static_assert(error_code::invalid_argument == SURREAL_ERR_INVALID_ARGUMENT);
static_assert(error_code::connection == SURREAL_ERR_CONNECTION);
static_assert(error_code::query == SURREAL_ERR_QUERY);
static_assert(error_code::authentication == SURREAL_ERR_AUTHENTICATION);
static_assert(error_code::internal == SURREAL_ERR_INTERNAL);
static_assert(error_code::panic == SURREAL_ERR_PANIC);
static_assert(error_code::transaction_conflict == SURREAL_ERR_TRANSACTION_CONFLICT);
static_assert(error_code::cancelled == SURREAL_ERR_CANCELLED);

std::string take_string(char* text) {
  NativeString owned(text);
  return owned ? std::string(owned.get()) : std::string();
}

NativeError last_error() {
  const int code = surreal_get_last_error_code();
  std::string message = take_string(surreal_get_last_error());
  if (code == SURREAL_OK) {
    // A NULL result without a recorded error would be a bug in the core;
    // report it rather than pretend the call succeeded.
    return {SURREAL_ERR_INTERNAL, "the native call failed without reporting an error"};
  }
  return {code, std::move(message)};
}

std::exception_ptr make_exception(int code, std::string message) {
  switch (code) {
    case SURREAL_ERR_CONNECTION:
      return std::make_exception_ptr(ConnectionException(code, std::move(message)));
    case SURREAL_ERR_QUERY:
      return std::make_exception_ptr(QueryException(code, std::move(message)));
    case SURREAL_ERR_TRANSACTION_CONFLICT:
      return std::make_exception_ptr(TransactionConflictException(code, std::move(message)));
    case SURREAL_ERR_CANCELLED:
      return std::make_exception_ptr(CancelledException(code, std::move(message)));
    case SURREAL_ERR_AUTHENTICATION:
      return std::make_exception_ptr(AuthenticationException(code, std::move(message)));
    default:
      return std::make_exception_ptr(DatabaseException(code, std::move(message)));
  }
}

void throw_error(int code, std::string message) {
  std::rethrow_exception(make_exception(code, std::move(message)));
}

void check(int status) {
  if (status != SURREAL_OK) {
    NativeError error = last_error();
    throw_error(error.code, std::move(error.message));
  }
}

}  // namespace surreal::ffi
