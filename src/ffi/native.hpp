// Layer 2: C++ ownership and error mapping over the C ABI of the Rust core.
//
// Everything the C functions hand out is owned here by a move-only RAII type,
// so nothing leaks on any path, exceptions included. Not a public header: the
// C types in it never reach include/surreal/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "surreal/value.hpp"
#include "surreal_core.h"

namespace surreal {
class DatabaseException;
}

namespace surreal::ffi {

struct DatabaseCloser {
  void operator()(SurrealDatabase* db) const noexcept { surreal_db_close(db); }
};
struct WatchFreer {
  void operator()(SurrealWatch* watch) const noexcept { surreal_watch_free(watch); }
};
struct ResponseFreer {
  void operator()(SurrealResponse* response) const noexcept { surreal_response_free(response); }
};
struct CancelFreer {
  void operator()(SurrealCancel* cancel) const noexcept { surreal_cancel_free(cancel); }
};
struct StringFreer {
  void operator()(char* text) const noexcept { surreal_free_string(text); }
};

/// Owns a native database; closing it shuts the datastore down.
using DatabaseHandle = std::unique_ptr<SurrealDatabase, DatabaseCloser>;
using WatchHandle = std::unique_ptr<SurrealWatch, WatchFreer>;
/// Owns a native query or record-operation response.
using ResponseHandle = std::unique_ptr<SurrealResponse, ResponseFreer>;
/// Owns a native cancellation token: triggering it stops the operations
/// given it (surreal_cancel_trigger, from any thread).
using CancelHandle = std::unique_ptr<SurrealCancel, CancelFreer>;
/// Owns a string the library returned.
using NativeString = std::unique_ptr<char, StringFreer>;

/// Owns a byte buffer the library returned (a CBOR value): filled through
/// the `data`/`len` out-parameters of a native call.
struct Buffer {
  std::uint8_t* data = nullptr;
  std::size_t len = 0;

  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { reset(); }
  void reset() noexcept {
    surreal_buffer_free(data, len);
    data = nullptr;
    len = 0;
  }
};

/// Copies a string the library returned into a std::string and frees it.
/// NULL becomes the empty string.
std::string take_string(char* text);

/// A C string argument for an optional value: NULL when absent.
inline const char* c_str_or_null(const std::optional<std::string>& text) noexcept {
  return text ? text->c_str() : nullptr;
}

/// The calling thread's last native error: its status code, message, and
/// SurrealDB's structured error (surreal_get_last_error_details: an object
/// with kind, message, details, cause), NONE if the core gave none.
struct NativeError {
  int code;
  std::string message;
  Value error;
};
NativeError last_error();

/// The exception of the public hierarchy that matches a status code and,
/// where SurrealDB gave one, its structured error `error`: its subclass
/// follows the kind, and it keeps kind, details and cause. `what` is the
/// exception's message (the native message when absent).
std::exception_ptr make_exception(int code, std::string message, const Value& error = {});
std::exception_ptr make_exception(int code, const std::string& what, std::string message,
                                  const Value& error);
[[noreturn]] void throw_error(int code, std::string message, const Value& error = {});

/// A failed statement's exception: its message names the statement.
std::exception_ptr statement_exception(std::size_t index, const Value& error);

/// A DatabaseException as the structured error make_exception makes it
/// from: the same class, kind, details and cause come back.
Value structured(const DatabaseException& exception);

/// The status code and SurrealDB's message of an exception the library
/// made (a DatabaseException); error_code::internal and what() for others.
std::pair<int, std::string> describe(const std::exception_ptr& exception);

/// Throws the calling thread's last error if `status` is not SURREAL_OK.
void check(int status);

/// Returns `pointer`, or throws the calling thread's last error if it is NULL.
template <typename T>
T* check(T* pointer) {
  if (pointer == nullptr) {
    NativeError error = last_error();
    throw_error(error.code, std::move(error.message), error.error);
  }
  return pointer;
}

}  // namespace surreal::ffi
