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

#include "surreal_core.h"

namespace surreal::ffi {

struct DatabaseCloser {
  void operator()(SurrealDatabase* db) const noexcept { surreal_db_close(db); }
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

/// The calling thread's last native error.
struct NativeError {
  int code;
  std::string message;
};
NativeError last_error();

/// The exception of the public hierarchy that matches a status code.
std::exception_ptr make_exception(int code, std::string message);
[[noreturn]] void throw_error(int code, std::string message);

/// Throws the calling thread's last error if `status` is not SURREAL_OK.
void check(int status);

/// Returns `pointer`, or throws the calling thread's last error if it is NULL.
template <typename T>
T* check(T* pointer) {
  if (pointer == nullptr) {
    NativeError error = last_error();
    throw_error(error.code, std::move(error.message));
  }
  return pointer;
}

}  // namespace surreal::ffi
