// surreal::Database: an embedded SurrealDB whose every call returns a future.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "surreal/exceptions.hpp"
#include "surreal/future.hpp"

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

/// The outcome of a query: one result per statement, each either a value or
/// the error text of a statement that failed. An immutable value; safe to
/// read from several threads at once.
class Response {
 public:
  Response() = default;
  Response(nlohmann::json results, std::vector<std::optional<std::string>> errors);

  /// Number of statements.
  std::size_t size() const noexcept { return errors_.size(); }
  bool has_errors() const noexcept;
  /// The error texts of the failed statements, in statement order.
  std::vector<std::string> errors() const;
  /// The error of one statement, or nullopt if it succeeded.
  /// Throws std::out_of_range for an index >= size().
  const std::optional<std::string>& error(std::size_t index) const;
  /// A JSON array with one entry per statement (null for a failed one).
  const nlohmann::json& results() const noexcept { return results_; }
  /// That statement's result. Throws QueryException if it failed,
  /// std::out_of_range for an index >= size().
  nlohmann::json take(std::size_t index) const&;
  /// The same from a Response about to go away (`query(...).get().take(0)`):
  /// the result is moved out rather than copied.
  nlohmann::json take(std::size_t index) &&;

 private:
  void check_statement(std::size_t index) const;

  nlohmann::json results_ = nlohmann::json::array();
  std::vector<std::optional<std::string>> errors_;
};

namespace worker {
class Worker;
}

/// A connection to an embedded datastore, served by a background thread that
/// owns it. Every call returns at once with a future (surreal::Future, a
/// std::future that polls briefly before it sleeps); commands run in the
/// order they were made, so use_namespace() before query() takes effect for
/// that query. Errors arrive through the future as the exceptions of
/// surreal/exceptions.hpp.
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

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  /// Closes the datastore if still open and waits for the worker thread.
  /// Never throws; call close() first to see errors from closing.
  ~Database();

  Future<void> use_namespace(std::string ns);
  Future<void> use_database(std::string db);

  /// Runs SurrealQL (one or more statements). `bindings` is a JSON object
  /// whose members become `$name` parameters: user input belongs there, never
  /// in the SQL text. A query that cannot run at all (a syntax error) fails
  /// with QueryException; a failing statement is reported in the Response.
  Future<Response> query(std::string sql,
                              nlohmann::json bindings = nlohmann::json::object());

  /// Every record of a table ("person"), or the record with an id
  /// ("person:tobie"): empty if there is none.
  Future<std::vector<nlohmann::json>> select(std::string resource);
  /// Creates a record with content `data` (a JSON object) in `table`, with a
  /// random id, or at an id given as "table:id". Returns the record, with its
  /// "id" as a "table:id" string.
  Future<nlohmann::json> create(std::string table, nlohmann::json data);
  /// Replaces the content of a record ("person:tobie"), returning it, or of
  /// every record of a table ("person"), returning them as an array.
  Future<nlohmann::json> update(std::string resource, nlohmann::json data);
  /// Deletes a record, or every record of a table.
  Future<void> remove(std::string resource);

  /// Shuts the datastore down; afterwards every call fails with
  /// ConnectionException. Closing again does nothing.
  Future<void> close();

 private:
  explicit Database(std::shared_ptr<worker::Worker> worker);
  worker::Worker& worker() const;

  std::shared_ptr<worker::Worker> worker_;
};

}  // namespace surreal
