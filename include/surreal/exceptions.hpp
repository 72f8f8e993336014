/// @file
/// The exceptions surrealcpp throws, or fails a call's future with. Catch
/// surreal::DatabaseException for all of them, or a subclass for the one
/// failure you can act on:
///
/// | exception                     | kind()           | when                                          |
/// |-------------------------------|------------------|-----------------------------------------------|
/// | AlreadyExistsException        | already_exists   | a record id, or a unique index entry, exists  |
/// | ThrownException               | thrown           | THROW in SurrealQL                            |
/// | NotAllowedException           | not_allowed      | refused by permissions or capabilities        |
/// | AuthenticationException       | not_allowed ...  | sign-in, sign-up, or a token, refused         |
/// | NotFoundException             | not_found        | a table, record, namespace... that is missing |
/// | TransactionConflictException  | query            | lost a conflict; run the transaction again    |
/// | QueryException                | any              | any other failure of a query or operation     |
/// | ConnectionException           | connection       | closed, lost, or could not open               |
/// | CancelledException            | query            | Future::cancel() or a stop token              |
/// | TimeoutException              | query            | the call's deadline passed                    |
/// | TypeError                     | serialization    | a Value is not of the kind asked for          |
///
/// Every exception keeps what SurrealDB said: kind(), details() and cause().
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace surreal {

class Value;

/// The kind of an error, as SurrealDB 3 names it (surrealdb-types'
/// ErrorDetails). Errors of the library's own get the kind SurrealDB would
/// give them: a lost connection is `connection`, a cancelled call `query`,
/// an argument the engine cannot use `validation`.
enum class ErrorKind : std::uint8_t {
  validation,      ///< a parse error, an invalid request or parameter
  configuration,   ///< a feature or setting the datastore does not support
  query,           ///< a query that failed to run: timed out, cancelled, conflicting
  serialization,   ///< a value that does not convert
  not_allowed,     ///< refused by authentication, permissions or capabilities
  not_found,       ///< a table, record, namespace, database... that does not exist
  already_exists,  ///< a record id or unique index entry that exists
  connection,      ///< the connection could not be made, or was lost
  thrown,          ///< THROW in SurrealQL
  internal,        ///< anything else
};

/// SurrealDB's name for a kind: "Validation", "NotAllowed", "AlreadyExists"...
const char* to_string(ErrorKind kind) noexcept;

/// Root of every error the library reports. `code()` is the native status
/// code (negative, see `error_code`), `native_details()` SurrealDB's own
/// text, kind(), details() and cause() SurrealDB's structured error.
///
/// A failure whose code has no subclass of its own (error_code::invalid_argument,
/// internal, panic) is a plain DatabaseException.
///
/// Immutable; safe to share between threads.
class DatabaseException : public std::runtime_error {
 public:
  /// An exception whose what() is `native_details` itself. The subclasses
  /// inherit all three constructors.
  DatabaseException(int code, std::string native_details);
  /// An exception with its own message `what` (which may add context, such
  /// as which statement failed) besides SurrealDB's text `native_details`.
  /// Its kind follows the code.
  DatabaseException(int code, const std::string& what, std::string native_details);
  /// The same, with SurrealDB's kind, details and cause.
  DatabaseException(int code, const std::string& what, std::string native_details, ErrorKind kind,
                    Value details, std::shared_ptr<const DatabaseException> cause = nullptr);

  /// The status code: one of the constants of namespace error_code.
  int code() const noexcept { return code_; }
  /// SurrealDB's own message (or the library's, for failures of its own).
  const std::string& native_details() const noexcept { return native_details_; }
  /// SurrealDB's kind of error; for the library's own errors, the kind
  /// SurrealDB would give (see ErrorKind).
  ErrorKind kind() const noexcept { return kind_; }
  /// SurrealDB's structured details, NONE where there are none. An object
  /// `{kind, details}`, e.g. for a record that exists
  /// `{kind: "Record", details: {id: "person:1"}}` (surrealdb-types'
  /// AlreadyExistsError, NotFoundError, NotAllowedError...).
  const Value& details() const noexcept;
  /// The error that caused this one, as SurrealDB chained them, or nullptr.
  const DatabaseException* cause() const noexcept { return cause_.get(); }

 private:
  int code_;
  std::string native_details_;
  ErrorKind kind_;
  std::shared_ptr<const Value> details_;  // nullptr for NONE
  std::shared_ptr<const DatabaseException> cause_;
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

/// A record with that id exists already (CREATE of an existing id), or a
/// unique index already holds that value. kind() is already_exists;
/// details() names the record where SurrealDB did.
class AlreadyExistsException : public QueryException {
 public:
  using QueryException::QueryException;
};

/// SurrealQL's THROW. what() holds the thrown text; native_details()
/// SurrealDB's whole message ("An error occurred: ...").
class ThrownException : public QueryException {
 public:
  using QueryException::QueryException;
};

/// SurrealDB refused the operation: a permission, a capability (a function,
/// network access, scripting), or a namespace or database the session may
/// not use. kind() is not_allowed.
class NotAllowedException : public QueryException {
 public:
  using QueryException::QueryException;
};

/// Signing in or up failed, a token was refused or has expired, or the
/// session's user may not do that (SurrealDB's NotAllowed errors with
/// authentication details). A NotAllowedException, so one handler catches
/// every refusal.
class AuthenticationException : public NotAllowedException {
 public:
  using NotAllowedException::NotAllowedException;
};

/// Something the operation needs does not exist: a record (UPDATE ONLY of a
/// missing id), a table in a strict database, a namespace, a database, a
/// method. kind() is not_found.
class NotFoundException : public QueryException {
 public:
  using QueryException::QueryException;
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
