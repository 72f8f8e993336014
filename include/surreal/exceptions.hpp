/// @file
/// The exceptions surrealcpp throws, or fails a call's future with. Catch
/// surreal::DatabaseException for all of them, or a subclass for the one
/// failure you can act on. (Misusing a Value throws TypeError and the std
/// exceptions instead: see value.hpp.)
#pragma once

#include <stdexcept>
#include <string>

namespace surreal {

/// Root of every error the library reports. `code()` is the native status
/// code (negative, see `error_code`), `native_details()` SurrealDB's own text.
///
/// A failure whose code has no subclass of its own (error_code::invalid_argument,
/// internal, panic) is a plain DatabaseException.
///
/// Immutable; safe to share between threads.
class DatabaseException : public std::runtime_error {
 public:
  /// An exception whose what() is `native_details` itself. The subclasses
  /// inherit both constructors.
  DatabaseException(int code, std::string native_details);
  /// An exception with its own message `what` (which may add context, such
  /// as which statement failed) besides SurrealDB's text `native_details`.
  DatabaseException(int code, const std::string& what, std::string native_details);

  /// The status code: one of the constants of namespace error_code.
  int code() const noexcept { return code_; }
  /// SurrealDB's own message (or the library's, for failures of its own).
  const std::string& native_details() const noexcept { return native_details_; }

 private:
  int code_;
  std::string native_details_;
};

/// The datastore could not be opened, the connection to a server was lost,
/// or the Database (or the session a Transaction belongs to) was closed.
/// Also the failure of every call still queued when a Database is destroyed.
class ConnectionException : public DatabaseException {
 public:
  using DatabaseException::DatabaseException;
};

/// SurrealDB rejected a query or a record operation (syntax, types, constraints).
class QueryException : public DatabaseException {
 public:
  using DatabaseException::DatabaseException;
};

/// A transaction lost a conflict with another transaction that wrote the same
/// data, and changed nothing: nothing it wrote was committed. Catch it to run
/// the whole transaction again (begin(), its reads and writes, commit()):
/// the other transaction has committed by then, so the next attempt reads
/// its writes. Thrown by Transaction::commit(), and by a single write that
/// keeps losing conflicts on a busy table.
class TransactionConflictException : public QueryException {
 public:
  using QueryException::QueryException;
};

/// SurrealDB refused an operation for lack of credentials or permission.
class AuthenticationException : public DatabaseException {
 public:
  using DatabaseException::DatabaseException;
};

/// The call was cancelled: Future::cancel(), or a stop request on the
/// std::stop_token of its CallOptions. The engine was asked to stop the work;
/// a command that had not started never runs.
class CancelledException : public DatabaseException {
 public:
  using DatabaseException::DatabaseException;
};

/// The call's deadline passed (CallOptions::timeout, or the Database's
/// default timeout) before it finished. The engine was asked to stop the
/// work, as for a cancelled call.
class TimeoutException : public DatabaseException {
 public:
  using DatabaseException::DatabaseException;
};

/// A LiveQuery's consumer fell behind: its buffer
/// (ConnectOptions::live_query_buffer) filled, so the live query was killed
/// rather than let notifications go missing unnoticed or memory grow without
/// bound. next() gives every notification buffered before that, then
/// throws this. Select what you need again and start a new live query.
class LiveQueryOverflowException : public DatabaseException {
 public:
  using DatabaseException::DatabaseException;
};

/// The native status codes carried by `DatabaseException::code()`.
namespace error_code {
/// Success; never the code of an exception.
inline constexpr int ok = 0;
/// An argument the engine cannot use (a value SurrealDB cannot hold, a
/// malformed option, a call on a closed Transaction): a plain DatabaseException.
inline constexpr int invalid_argument = -1;
/// ConnectionException.
inline constexpr int connection = -2;
/// QueryException.
inline constexpr int query = -3;
/// AuthenticationException.
inline constexpr int authentication = -4;
/// An unexpected failure inside the library: a plain DatabaseException.
inline constexpr int internal = -5;
/// A panic caught in the engine: a plain DatabaseException; the Database it
/// happened on may be unusable.
inline constexpr int panic = -6;
/// CancelledException.
inline constexpr int cancelled = -7;
/// TimeoutException.
inline constexpr int timeout = -8;
/// TransactionConflictException.
inline constexpr int transaction_conflict = -9;
/// LiveQueryOverflowException.
inline constexpr int live_query_overflow = -10;
}  // namespace error_code

}  // namespace surreal
