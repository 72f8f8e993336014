// surreal::Database: an embedded SurrealDB whose every call returns a future.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "surreal/exceptions.hpp"
#include "surreal/future.hpp"
#include "surreal/resource.hpp"
#include "surreal/value.hpp"

namespace surreal {

/// Where the data lives.
enum class StorageBackend {
  memory,   ///< "mem://": gone when the database is closed
  rocksdb,  ///< "rocksdb://<path>": a directory on disk
};

/// The endpoint string for a backend: memory -> "mem://", rocksdb ->
/// "rocksdb://<path>". Throws std::invalid_argument for rocksdb without a path
/// (or with an empty one).
std::string to_endpoint(StorageBackend backend,
                        const std::optional<std::string>& path = std::nullopt);

/// Per-call options, the last parameter of every Database call.
struct CallOptions {
  /// Fail the call with TimeoutException once this much time has passed
  /// since it was made, and stop its work (as cancel() does). Any
  /// std::chrono duration assigns to it: `options.timeout = 50ms`. Unset: the
  /// Database's default (ConnectOptions::timeout), if it has one.
  std::optional<std::chrono::nanoseconds> timeout;
  /// A stop request on this token cancels the call (CancelledException),
  /// as Future::cancel() does; std::jthread hands one to its function.
  std::stop_token stop;
};

/// How to open a Database (Database::connect).
struct ConnectOptions {
  /// The namespace and database to use, when given.
  std::optional<std::string> ns, db;
  /// The default CallOptions::timeout of every call on the Database (not of
  /// connecting itself).
  std::optional<std::chrono::nanoseconds> timeout;
};

/// The outcome of a query: one result per statement, each either a value or
/// the error text of a statement that failed. An immutable value; safe to
/// read from several threads at once.
class Response {
 public:
  Response() = default;
  /// One result and one error slot per statement (std::invalid_argument otherwise).
  Response(std::vector<Value> results, std::vector<std::optional<std::string>> errors);

  /// Number of statements.
  std::size_t size() const noexcept { return errors_.size(); }
  bool has_errors() const noexcept;
  /// The error texts of the failed statements, in statement order.
  std::vector<std::string> errors() const;
  /// The error of one statement, or nullopt if it succeeded.
  /// Throws std::out_of_range for an index >= size().
  const std::optional<std::string>& error(std::size_t index) const;
  /// Every statement's result, in order (NONE for a failed one).
  const std::vector<Value>& results() const noexcept { return results_; }

  /// That statement's result. Throws QueryException if it failed,
  /// std::out_of_range for an index >= size().
  Value take(std::size_t index) const&;
  /// The same from a Response about to go away (`query(...).get().take(0)`):
  /// the result is moved out rather than copied.
  Value take(std::size_t index) &&;
  /// That statement's result converted to T with Value::get<T>(): for
  /// example `take<std::vector<Person>>(0)`, `take<std::int64_t>(0)`.
  /// Throws as take(index), and surreal::TypeError when it does not convert.
  template <class T>
  T take(std::size_t index) const& {
    return take(index).template get<T>();
  }
  template <class T>
  T take(std::size_t index) && {
    return std::move(*this).take(index).template get<T>();
  }

 private:
  void check_statement(std::size_t index) const;

  std::vector<Value> results_;
  std::vector<std::optional<std::string>> errors_;
};

/// A connection to an embedded datastore, served by a background thread that
/// owns it. Every call returns at once with a surreal::Future (wait for it,
/// attach a callback with then(), co_await it, cancel it); commands start in
/// the order they were made, so use_namespace() before query() takes effect
/// for that query. Errors arrive through the future as the exceptions of
/// surreal/exceptions.hpp.
///
/// Who runs a call: the background thread, or, for a data command (query,
/// select, create, update, remove) that it has not taken yet when you wait
/// for it with get() or wait(), your own thread, in the command's turn. A
/// lone caller's call then costs no thread hand-off at all.
///
/// Every call takes CallOptions last: a timeout and a std::stop_token.
///
/// Thread-safety: the methods may be called from any number of threads at
/// once. Moving or destroying a Database must not race with calls on it.
class Database {
 public:
  /// Opens a datastore and selects the namespace and database when given.
  /// Throws std::invalid_argument at once for rocksdb without a path; the
  /// future fails with ConnectionException when the datastore cannot be
  /// opened (e.g. a RocksDB directory already open in this process).
  static Future<Database> connect(StorageBackend backend,
                                       std::optional<std::string> path = std::nullopt,
                                       std::optional<std::string> ns = std::nullopt,
                                       std::optional<std::string> db = std::nullopt);
  /// The same from an endpoint string: "mem://" or "rocksdb://<path>".
  static Future<Database> connect(std::string endpoint,
                                       std::optional<std::string> ns = std::nullopt,
                                       std::optional<std::string> db = std::nullopt);
  /// The same with options: namespace, database, default timeout.
  static Future<Database> connect(std::string endpoint, ConnectOptions options);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  /// Closes the datastore if still open and waits for the worker thread.
  /// Never throws; call close() first to see errors from closing.
  ~Database();

  Future<void> use_namespace(std::string ns, CallOptions options = {});
  Future<void> use_database(std::string db, CallOptions options = {});

  /// Runs SurrealQL (one or more statements). Each member of `bindings`
  /// becomes a `$name` parameter, of any kind (record ids, datetimes...):
  /// user input belongs there, never in the SQL text.
  ///   db.query("SELECT * FROM person WHERE age >= $min", {{"min", 18}})
  /// A query that cannot run at all (a syntax error) fails with
  /// QueryException; a failing statement is reported in the Response.
  Future<Response> query(std::string sql, Object bindings = {}, CallOptions options = {});

  /// A table's records as an array, one record (or NONE when it does not
  /// exist), or the records of a range as an array. A table that does not
  /// exist selects as an empty array.
  Future<Value> select(Resource resource, CallOptions options = {});
  /// The same, each record converted with Value::get<T>() (a user type made
  /// with SURREAL_DEFINE_TYPE, say): empty when nothing is there, one
  /// element for a record that exists.
  template <class T>
  Future<std::vector<T>> select(Resource resource, CallOptions options = {});

  /// Creates a record with content `data` (an object; NONE for none) in a
  /// table, with a random id, or at a record id. Returns the record, with
  /// its `id`. `data` may be any type Value converts from, user types
  /// included: `db.create("person", ann)`.
  Future<Value> create(Resource resource, Value data = {}, CallOptions options = {});
  /// Replaces the content of a record, returning it (NONE when it did not
  /// exist), or of every record of a table or range, returning them as an array.
  Future<Value> update(Resource resource, Value data, CallOptions options = {});
  /// Deletes a record, or every record of a table or range.
  Future<void> remove(Resource resource, CallOptions options = {});

  /// Shuts the datastore down; afterwards every call fails with
  /// ConnectionException. Closing again does nothing.
  Future<void> close();

 private:
  struct Shared;
  explicit Database(std::shared_ptr<Shared> shared);
  Shared& shared() const;
  template <typename T, typename Command, typename Convert>
  Future<T> call(Command command, const CallOptions& options, Convert convert) const;

  std::shared_ptr<Shared> shared_;
};

template <class T>
Future<std::vector<T>> Database::select(Resource resource, CallOptions options) {
  // The conversion runs on the thread that completes the select, so that a
  // record that does not convert fails this future rather than a later get().
  return select(std::move(resource), std::move(options)).then([](Result<Value> result) {
    const Value& selected = result.value();  // rethrows the select's error
    // select() answers an array for a table or range, and for one record
    // the record (an object) or NONE.
    std::vector<T> records;
    if (selected.is_array()) {
      records.reserve(selected.size());
      for (const Value& record : selected) records.push_back(record.template get<T>());
    } else if (!selected.is_none()) {
      records.push_back(selected.template get<T>());
    }
    return records;
  });
}

}  // namespace surreal
