/// @file
/// Database: an embedded SurrealDB (or a connection to a SurrealDB server)
/// whose every call returns a future; its options, and Response.
/// Including it also includes live.hpp and transaction.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "surreal/auth.hpp"
#include "surreal/exceptions.hpp"
#include "surreal/future.hpp"
#include "surreal/resource.hpp"
#include "surreal/value.hpp"

namespace surreal {

class Transaction;  // surreal/transaction.hpp
class LiveQuery;    // surreal/live.hpp
namespace detail {
struct DatabaseShared;
struct VerbCall;
}

/// Where the data lives.
enum class StorageBackend {
  memory,     ///< "mem://": gone when the database is closed
  rocksdb,    ///< "rocksdb://<path>": a directory on disk
  surrealkv,  ///< "surrealkv://<path>": a directory on disk; with
              ///< "?versioned=true" after the path it keeps every version,
              ///< for `SELECT ... VERSION d'...'`
};

/// The endpoint string for a backend: memory -> "mem://", rocksdb ->
/// "rocksdb://" + path, surrealkv -> "surrealkv://" + path (`path` is
/// ignored for memory). Any thread may call it.
/// @throws std::invalid_argument for a disk backend without a path (or with
/// an empty one).
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

/// Which functions or network targets a capability covers: `true` all,
/// `false` none, or the names listed ("http::get", "string", "fn",
/// "example.com:443", "10.0.0.0/8"), as `surreal start --allow-funcs`
/// and `--allow-net` take them.
using Targets = std::variant<bool, std::vector<std::string>>;

/// What SurrealQL may do in the datastore (SurrealDB's capabilities). Each
/// member left unset keeps the engine's default: functions allowed, network
/// access denied, guests denied, live-query notifications on.
struct Capabilities {
  /// May a session that has not signed in run queries? Only matters when
  /// authentication is enforced (ConnectOptions::root).
  std::optional<bool> guest_access;
  /// Do live queries deliver notifications? An application that runs no
  /// live queries can turn them off to make writes cheaper: while they are
  /// on, SurrealDB's executor spawns a task after every write statement to
  /// deliver its notifications, which often has to wake a runtime thread.
  std::optional<bool> live_query_notifications;
  /// The functions SurrealQL may call (`--allow-funcs`), and those it may
  /// not (`--deny-funcs`); a function both allowed and denied is denied.
  ///@{
  std::optional<Targets> allow_functions, deny_functions;
  ///@}
  /// The network targets SurrealQL may reach (`--allow-net`), and those it
  /// may not (`--deny-net`); a target both allowed and denied is denied.
  ///@{
  std::optional<Targets> allow_net, deny_net;
  ///@}
};

/// How a dropped server connection (ws://, wss://, grpc://, grpcs://) is
/// opened again. A
/// datastore this library opens has no connection to drop, and HTTP opens
/// one per call: they ignore it.
struct ReconnectOptions {
  /// Off: a dropped connection stays closed (the state becomes
  /// disconnected), and every call fails at once with ConnectionException.
  bool enabled = true;
  /// How many attempts before giving up (the state becomes disconnected);
  /// nullopt: no limit.
  std::optional<int> attempts;
  /// Before the first attempt.
  std::chrono::milliseconds delay{200};
  /// The cap of the growing delay.
  std::chrono::milliseconds max_delay{10'000};
  /// Each delay is the one before times this (1.0 to 1000).
  double multiplier = 2.0;
  /// The fraction each delay varies by at random, either way (0 to 1), so
  /// that the clients of a restarted server do not all come back at once.
  double jitter = 0.1;
};

/// How a server connection that stopped answering without closing (a
/// half-open socket: a dead host, a dropped route) is found.
struct HeartbeatOptions {
  /// How often the connection is checked.
  std::chrono::milliseconds interval{5'000};
  /// How long an answer may take before the connection counts as dropped
  /// (also the limit of a reconnect's handshake).
  std::chrono::milliseconds timeout{5'000};
};

/// The state of a Database's connection.
enum class ConnectionState {
  connecting,    ///< opening the first connection
  connected,     ///< calls run
  reconnecting,  ///< the connection dropped; calls wait for it (to their deadline)
  disconnected,  ///< closed, or lost for good: calls fail with ConnectionException
};

/// A listener of Database::on_state_change(). Move-only; destroying it
/// removes the listener, as unsubscribe() does.
class Subscription {
 public:
  /// Listens to nothing.
  Subscription() = default;
  /// Listens until `remove` is called (once: by unsubscribe() or the
  /// destructor). Made by Database::on_state_change().
  explicit Subscription(std::function<void()> remove) : remove_(std::move(remove)) {}
  /// Takes over `other`'s listener; `other` listens to nothing.
  Subscription(Subscription&& other) noexcept : remove_(std::exchange(other.remove_, nullptr)) {}
  /// Removes this one's listener, then takes over `other`'s.
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      unsubscribe();
      remove_ = std::exchange(other.remove_, nullptr);
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { unsubscribe(); }

  /// Removes the listener: once this returns it is not running (unless
  /// this is called from the listener itself) and is never called again.
  /// Doing it again does nothing.
  void unsubscribe() noexcept {
    if (auto remove = std::exchange(remove_, nullptr)) remove();
  }

 private:
  std::function<void()> remove_;
};

/// How to open a Database (Database::connect).
///
/// For a server (ws://, wss://, grpc://, grpcs://, http://, https://) only ns, db, root,
/// ca_file, timeout, live_query_buffer, reconnect and heartbeat apply: capabilities and the
/// engine's timeouts are the server's own settings (`surreal start`), and
/// connecting with them set fails with a DatabaseException
/// (error_code::invalid_argument).
///
/// SurrealDB 3 has no datastore-wide strict mode: a database is strict when
/// it is defined so (`DEFINE DATABASE app STRICT`), which a user with the
/// right to do so runs as a query.
struct ConnectOptions {
  /// The namespace and database to use, when given.
  ///@{
  std::optional<std::string> ns, db;
  ///@}
  /// Set: the datastore enforces authentication (the Rust SDK's
  /// `Config::user`). It creates this root user when it has no users yet,
  /// and the Database signs in as it; sessions from new_session() start
  /// unauthenticated. Unset: no authentication, as SurrealDB's embedded
  /// engines default to.
  ///
  /// For a server: the Database signs in as this root user once connected
  /// (and again after the SDK reconnects); the server keeps its own users.
  std::optional<auth::Root> root;
  /// wss://, grpcs:// and https:// only: a PEM file of certificates to
  /// trust besides the system's store (for a server whose certificate a
  /// private authority signed). TLS goes through the system's OpenSSL,
  /// except over grpcs://, where it is rustls (tonic's).
  std::optional<std::string> ca_file;
  /// What SurrealQL may do; embedded datastores only.
  Capabilities capabilities;
  /// The longest a query, or a transaction, may run in the engine before
  /// it fails (the engine's own limits, as `surreal start --query-timeout`
  /// and `--transaction-timeout`); embedded datastores only.
  ///@{
  std::optional<std::chrono::nanoseconds> query_timeout, transaction_timeout;
  ///@}
  /// The default CallOptions::timeout of every call on the Database (not of
  /// connecting itself).
  std::optional<std::chrono::nanoseconds> timeout;
  /// How many notifications a LiveQuery holds for a consumer that has not
  /// asked for them yet (with next()). When they would be more, the live
  /// query is killed and next(), once it has given those it holds, throws
  /// LiveQueryOverflowException: a consumer that falls behind learns it,
  /// instead of missing notifications unawares or letting memory grow.
  std::size_t live_query_buffer = 1024;
  /// Servers over ws://, wss://, grpc:// and grpcs:// only: how a dropped
  /// connection comes back.
  ReconnectOptions reconnect;
  /// Servers over ws://, wss://, grpc:// and grpcs:// only: how a
  /// connection that stopped answering is found.
  HeartbeatOptions heartbeat;
};

/// One operation of Database::patch(), as JSON Patch (RFC 6902) has it; a
/// path is a JSON pointer into the record ("/address/city", "/tags/0").
/// Make one with the factories; the engine refuses an unknown `op`, and an
/// add or replace whose value is NONE.
struct PatchOp {
  /// Sets `path` to `value`, adding the field (or inserting into an array).
  static PatchOp add(std::string path, Value value);
  /// Removes the field at `path`.
  static PatchOp remove(std::string path);
  /// Sets the existing field at `path` to `value`.
  static PatchOp replace(std::string path, Value value);
  /// Applies a text diff (diff-match-patch's format) to the string at `path`.
  static PatchOp change(std::string path, std::string diff);

  std::string op;  ///< "add", "remove", "replace" or "change"
  std::string path;  ///< the JSON pointer to the field
  Value value;     ///< NONE for remove
};

/// What Database::export_to writes. Unset members keep SurrealDB's
/// defaults, which export everything.
struct ExportOptions {
  /// Whether to export the users, access methods, parameters, functions,
  /// analyzers, records (the tables' contents) and sequences.
  ///@{
  std::optional<bool> users, accesses, params, functions, analyzers, records, sequences;
  ///@}
  /// Only these tables (their definitions and records); an empty list
  /// exports no table. Unset: every table.
  std::optional<std::vector<std::string>> tables;
  /// Called with the number of bytes written so far, after each chunk, on
  /// the thread that runs the export (see Database); it must not block. An
  /// exception it throws stops the export and fails it.
  std::function<void(std::uint64_t bytes)> progress;
};

/// How Database::import_from reports.
struct ImportOptions {
  /// Called with the bytes of the file read so far and the file's size, on
  /// the thread that runs the import (see Database: yours when you wait for
  /// it with get(), else one of the engine's), at most every 100 ms, and
  /// once at the start (0) and at the end
  /// (done == total); it must not block. An exception it throws stops the
  /// import, whose future then fails with that exception (what ran before
  /// it stays: an import is not one transaction).
  /// The engine reads the file
  /// itself: the count comes from the position of its descriptor
  /// (/proc/self/fdinfo), so elsewhere than Linux only the start and the
  /// end are reported.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

/// The outcome of a query: one result per statement, each either a value or
/// the error text of a statement that failed. An immutable value; safe to
/// read from several threads at once.
class Response {
 public:
  /// No statements.
  Response() = default;
  /// One result and one error slot per statement; each error becomes a
  /// QueryException.
  /// @throws std::invalid_argument when the two vectors differ in size.
  Response(std::vector<Value> results, std::vector<std::optional<std::string>> errors);
  /// One result and one failure per statement: the exception a failed
  /// statement reports, null where it succeeded.
  /// @throws std::invalid_argument when the two vectors differ in size.
  Response(std::vector<Value> results, std::vector<std::exception_ptr> failures);

  /// Number of statements.
  std::size_t size() const noexcept { return errors_.size(); }
  /// True when at least one statement failed.
  bool has_errors() const noexcept;
  /// The error texts of the failed statements, in statement order.
  std::vector<std::string> errors() const;
  /// The error of one statement (SurrealDB's message), or nullopt if it
  /// succeeded.
  /// @throws std::out_of_range for an index >= size().
  const std::optional<std::string>& error(std::size_t index) const;
  /// The exception a failed statement reports (what take() and check()
  /// throw), or null if it succeeded: a QueryException or one of its
  /// subclasses, such as AlreadyExistsException or ThrownException, with
  /// SurrealDB's kind(), details() and cause().
  /// @throws std::out_of_range for an index >= size().
  std::exception_ptr exception(std::size_t index) const;
  /// Every statement's result, in order (NONE for a failed one).
  const std::vector<Value>& results() const noexcept { return results_; }

  /// Throws the first failed statement's exception; otherwise returns this
  /// Response, so that calls chain: `db.query(sql).get().check().take(0)`.
  /// A query whose statements are all DEFINEs or writes with nothing to
  /// read is checked this way.
  /// @throws QueryException (or a subclass) for the first failed statement.
  ///@{
  Response& check() &;
  Response&& check() &&;
  ///@}

  /// That statement's result (a copy).
  /// @throws QueryException (or a subclass: see exception()) if that
  /// statement failed; its what() names the statement, native_details() is
  /// SurrealDB's text.
  /// @throws std::out_of_range for an index >= size().
  Value take(std::size_t index) const&;
  /// The same from a Response about to go away (`query(...).get().take(0)`):
  /// the result is moved out rather than copied.
  /// @throws QueryException if that statement failed.
  /// @throws std::out_of_range for an index >= size().
  Value take(std::size_t index) &&;
  /// That statement's result converted to T with Value::get<T>(): for
  /// example `take<std::vector<Person>>(0)`, `take<std::int64_t>(0)`.
  /// From an rvalue Response the result is moved, not copied.
  /// @throws QueryException if that statement failed.
  /// @throws std::out_of_range for an index >= size().
  /// @throws TypeError (a DatabaseException) when the result does not convert to T.
  ///@{
  template <class T>
  T take(std::size_t index) const& {
    return take(index).template get<T>();
  }
  template <class T>
  T take(std::size_t index) && {
    return std::move(*this).take(index).template get<T>();
  }
  ///@}

 private:
  void check_statement(std::size_t index) const;

  std::vector<Value> results_;
  std::vector<std::optional<std::string>> errors_;
  std::vector<std::exception_ptr> failures_;
};

/// A connection to an embedded datastore (or a SurrealDB server), served by a
/// background thread that owns it. Every call returns at once with a
/// surreal::Future (wait for it, attach a callback with then(), co_await it,
/// cancel it); commands start in the order they were made, so use_namespace()
/// before query() takes effect for that query.
///
/// @par Order
/// Data calls (query and the record verbs) made without waiting for each
/// other **may run at the same time, and finish in any order**: wait for
/// one (get(), `co_await`) before making the next when the second depends
/// on the first, or make them in a Transaction, which runs its calls one
/// after another in the order they were made. Every Future is
/// `[[nodiscard]]`: a dropped one still runs, but its failure is lost.
///
/// @par Errors
/// A call reports its failure through its future (get() and `co_await`
/// rethrow it; then() hands it over in its Result), as the exceptions of
/// exceptions.hpp. The exceptions listed for each method are those particular
/// to it, through the future unless they say "at once". Besides those, a
/// call's future may fail with
/// - ConnectionException: this session was closed, or was destroyed before
///   the call ran, or the connection to a server was lost;
/// - CancelledException or TimeoutException: see CallOptions and Future::cancel();
/// - AuthenticationException: the session may not do that;
/// - TransactionConflictException: a write kept losing conflicts with
///   concurrent transactions;
/// - DatabaseException (error_code::invalid_argument): an argument the engine
///   cannot use, such as resource text that is not a valid table or record
///   id, or a value SurrealDB cannot hold (text that is not UTF-8).
///
/// Every method but connect() throws std::logic_error at once, returning no
/// future, when called on a moved-from Database (as a moved-from
/// Transaction, LiveQuery or Future does: see "Mistakes" in the README).
///
/// @par Threads
/// Who runs a call: the background thread, or, for a data call (the query
/// and record verbs, run, version, health, export, import, begin, live,
/// live_query) that it has not taken yet when you wait for it with get() or
/// wait(), your own thread, in the call's turn. A lone caller's call then
/// costs no thread hand-off at all. Data calls may run concurrently with
/// each other; a session call (use_namespace, use_database, signin, signup,
/// authenticate, invalidate, set, unset, new_session, close) waits for every
/// call made before it, and the calls after it wait for it.
///
/// A callback attached with then(), or a coroutine `co_await`ing a call,
/// runs on the thread that completes the call (see Future): it must not block.
///
/// Every call but connect() and close() takes CallOptions last: a timeout and
/// a std::stop_token.
///
/// Thread-safety: the methods may be called from any number of threads at
/// once. Moving or destroying a Database must not race with calls on it.
class Database {
 public:
  /// Opens a datastore and selects the namespace and database when given.
  /// Any thread may call it.
  /// @throws std::invalid_argument at once for a disk backend without a path.
  /// @throws DatabaseException at once, in the rare case that the engine's
  /// runtime cannot start.
  /// @throws ConnectionException when the datastore cannot be opened (e.g. a
  /// directory already open in this process).
  static Future<Database> connect(StorageBackend backend,
                                       std::optional<std::string> path = std::nullopt,
                                       std::optional<std::string> ns = std::nullopt,
                                       std::optional<std::string> db = std::nullopt);
  /// The same from an endpoint string: "mem://", `rocksdb://<path>`,
  /// `surrealkv://<path>` (with "?versioned=true" to keep history), or a
  /// SurrealDB server: "ws://host:port", "wss://…", "grpc://…", "grpcs://…",
  /// "http://…", "https://…".
  /// @throws DatabaseException at once, in the rare case that the engine's
  /// runtime cannot start.
  /// @throws DatabaseException (error_code::invalid_argument) for an endpoint
  /// of no known scheme, or without its path or host.
  /// @throws ConnectionException when the datastore cannot be opened or the
  /// server cannot be reached.
  static Future<Database> connect(std::string endpoint,
                                       std::optional<std::string> ns = std::nullopt,
                                       std::optional<std::string> db = std::nullopt);
  /// The same with options: namespace, database, credentials,
  /// capabilities, timeouts.
  /// @throws AuthenticationException for wrong root credentials on a
  /// datastore that has users.
  /// @throws DatabaseException (error_code::invalid_argument) for a malformed
  /// option, or one a server does not take (see ConnectOptions).
  /// @throws ConnectionException when the datastore cannot be opened or the
  /// server cannot be reached.
  /// @throws DatabaseException at once, in the rare case that the engine's
  /// runtime cannot start.
  static Future<Database> connect(std::string endpoint, ConnectOptions options);

  /// A new, independent session over the same datastore: its own namespace,
  /// database, authentication and parameters, none of them set yet (with
  /// authentication enforced it starts signed out). It has its own
  /// background thread and its own default timeout (this one's). Closing
  /// either never closes the datastore under the other: the last session
  /// to go does.
  /// @throws ConnectionException when this session was closed.
  Future<Database> new_session(CallOptions options = {});

  /// Takes over `other`'s session; `other` is left moved-from.
  Database(Database&&) noexcept;
  /// Takes over `other`'s session, first releasing this one's as the
  /// destructor does (and waiting as it does).
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  /// Closes this session if still open, and waits for its background thread.
  /// The datastore closes with its last session. Calls still queued fail with
  /// ConnectionException; calls already running are waited for. Its live
  /// queries end; its transactions' calls fail with ConnectionException.
  /// Never throws; call close() first to see errors from closing.
  ~Database();

  /// Selects the namespace for this session's later calls.
  /// @throws ConnectionException when this session was closed.
  Future<void> use_namespace(std::string ns, CallOptions options = {});
  /// Selects the database for this session's later calls.
  /// @throws ConnectionException when this session was closed.
  Future<void> use_database(std::string db, CallOptions options = {});

  /// Runs SurrealQL (one or more statements). Each member of `bindings`
  /// becomes a `$name` parameter, of any kind (record ids, datetimes...):
  /// user input belongs there, never in the SQL text.
  /// @code
  /// db.query("SELECT * FROM person WHERE age >= $min", {{"min", 18}})
  /// @endcode
  /// @throws QueryException when the query cannot run at all (a syntax
  /// error); a statement that fails is reported in the Response instead
  /// (Response::take() throws it).
  Future<Response> query(std::string sql, Object bindings = {}, CallOptions options = {});

  /// A table's records as an array, one record (or NONE when it does not
  /// exist), or the records of a range as an array. A table that does not
  /// exist selects as an empty array.
  /// @throws DatabaseException (error_code::invalid_argument) for resource
  /// text that is not a valid table or record id.
  Future<Value> select(Resource resource, CallOptions options = {});
  /// The same, each record converted with Value::get<T>() (a user type made
  /// with SURREAL_DEFINE_TYPE, say): empty when nothing is there, one
  /// element for a record that exists. The conversion runs on the thread
  /// that completes the select.
  /// @throws TypeError when a record does not convert to T.
  /// @throws DatabaseException as select().
  template <class T>
  Future<std::vector<T>> select(Resource resource, CallOptions options = {});
  /// One record converted with Value::get<T>(), or nullopt when it does not
  /// exist: `db.select<Person>(RecordId{"person", 1})`. (Text naming one
  /// record, "person:1", is a Resource and selects as a vector.)
  /// @throws TypeError when the record does not convert to T.
  /// @throws DatabaseException as select().
  template <class T>
  Future<std::optional<T>> select(RecordId id, CallOptions options = {});

  /// Creates a record with content `data` (an object; NONE for none) in a
  /// table, with a random id, or at a record id. Returns the record, with
  /// its `id`. `data` may be any type Value converts from, user types
  /// included: `db.create("person", ann)`.
  /// @throws QueryException when SurrealDB refuses the record (its id exists
  /// already, a field fails its type or ASSERT...).
  Future<Value> create(Resource resource, Value data = {}, CallOptions options = {});
  /// Replaces the content of a record, returning it (NONE when it did not
  /// exist), or of every record of a table or range, returning them as an array.
  /// @throws QueryException when SurrealDB refuses the new content.
  Future<Value> update(Resource resource, Value data, CallOptions options = {});
  /// Deletes a record, or every record of a table or range, and answers
  /// what was deleted, as SurrealDB's DELETE ... RETURN BEFORE does: the
  /// record as it was (NONE when there was none), or an array of the
  /// records of a table or range. Deleting what does not exist succeeds.
  /// @throws QueryException when SurrealDB refuses the delete.
  Future<Value> remove(Resource resource, CallOptions options = {});

  /// Inserts one record (an object; it answers the record) or many (an
  /// array of objects; it answers an array). Records without an `id` get a
  /// random one; an existing id fails the insert.
  /// @throws QueryException when a record's id exists already, or SurrealDB
  /// refuses a record.
  Future<Value> insert(std::string table, Value data, CallOptions options = {});
  /// Inserts relations (records of an edge table with `in` and `out`), one
  /// or many, as insert().
  /// @throws QueryException when SurrealDB refuses a relation.
  Future<Value> insert_relation(std::string table, Value data, CallOptions options = {});
  /// Replaces the content of a record, creating it if it does not exist;
  /// of a table or range, every record in it. Answers as update().
  /// @throws QueryException when SurrealDB refuses the content.
  Future<Value> upsert(Resource resource, Value data = {}, CallOptions options = {});
  /// Merges `data` (an object) into a record, or every record of a table or
  /// range: fields not in `data` stay. Answers as update().
  /// @throws QueryException when SurrealDB refuses the merged content.
  Future<Value> merge(Resource resource, Value data, CallOptions options = {});
  /// Applies JSON Patch operations to a record, or every record of a table
  /// or range. Answers as update().
  /// @throws QueryException for an operation that does not apply (a remove
  /// of a field that is not there, say); nothing is changed.
  /// @throws DatabaseException (error_code::invalid_argument) for a malformed
  /// PatchOp (see PatchOp).
  Future<Value> patch(Resource resource, std::vector<PatchOp> operations,
                      CallOptions options = {});
  /// Relates two records through the edge table `edge`
  /// (`RELATE from->edge->to`) with content `data` (an object, NONE for
  /// none); answers the edge record. Both records must exist when the edge
  /// table is defined `TYPE RELATION ... ENFORCED`.
  /// @throws QueryException when SurrealDB refuses the edge (a missing
  /// record of an ENFORCED relation, say).
  Future<Value> relate(RecordId from, std::string edge, RecordId to, Value data = {},
                       CallOptions options = {});
  /// Calls a function by name: a built-in ("string::len") or a defined one
  /// ("fn::greet"), with `args`. (As the Rust SDK does, a single argument
  /// that is itself an array is spread into the arguments.)
  /// @throws QueryException for an unknown function, or one that fails.
  Future<Value> run(std::string function, Array args = {}, CallOptions options = {});
  /// The engine's version ("3.3.5"), not this library's (library_version()).
  /// @throws ConnectionException when this session was closed.
  Future<std::string> version(CallOptions options = {});
  /// Succeeds when the engine is up.
  /// @throws ConnectionException when it is not: this session was closed,
  /// or a server cannot be reached.
  Future<void> health(CallOptions options = {});

  /// Signs this session in: it then has that user's rights. This session's
  /// live queries end (see live_query()).
  /// @throws AuthenticationException for wrong credentials or an unknown
  /// access method; its message holds no secret.
  ///@{
  Future<Tokens> signin(auth::Root credentials, CallOptions options = {});
  Future<Tokens> signin(auth::Namespace credentials, CallOptions options = {});
  Future<Tokens> signin(auth::Database credentials, CallOptions options = {});
  Future<Tokens> signin(auth::Record credentials, CallOptions options = {});
  Future<Tokens> signin(auth::Bearer credentials, CallOptions options = {});
  ///@}
  /// Signs up a record user through a record access method's SIGNUP, and
  /// signs this session in as it. This session's live queries end.
  /// @throws AuthenticationException when signing up fails (an unknown
  /// access method, a SIGNUP that refuses the parameters...).
  Future<Tokens> signup(auth::Record credentials, CallOptions options = {});
  /// Signs this session in with a token from signin() or signup(). This
  /// session's live queries end.
  /// @throws AuthenticationException for a malformed, forged or expired token.
  Future<void> authenticate(std::string token, CallOptions options = {});
  /// Turns a refresh token into new tokens (an access method defined
  /// `WITH REFRESH` issues one at signin and signup) and signs this session
  /// in with them. Keep the new refresh token: the one used is revoked.
  /// This session's live queries end.
  /// @throws std::invalid_argument at once when `tokens` has no refresh
  /// token.
  /// @throws AuthenticationException for a refresh token that is unknown,
  /// revoked or expired.
  Future<Tokens> refresh(Tokens tokens, CallOptions options = {});
  /// Signs this session out. Its live queries end.
  /// @throws ConnectionException when this session was closed.
  Future<void> invalidate(CallOptions options = {});

  /// Defines `$name` for this session's later queries (not other
  /// sessions').
  /// @throws ConnectionException when this session was closed.
  Future<void> set(std::string name, Value value, CallOptions options = {});
  /// Removes a parameter set with set().
  /// @throws ConnectionException when this session was closed.
  Future<void> unset(std::string name, CallOptions options = {});

  /// Exports the current database as SurrealQL: definitions, then records.
  /// To a file, replaced only once the export has succeeded (written to
  /// `file` + ".partial" meanwhile, removed on failure).
  /// @throws std::filesystem::filesystem_error when the ".partial" file
  /// cannot be opened, or cannot be renamed to `file`.
  /// @throws std::ios_base::failure when writing it fails.
  Future<void> export_to(std::filesystem::path file, ExportOptions export_options = {},
                         CallOptions options = {});
  /// ... to a stream, which must stay alive until the future completes and
  /// is written on the thread that runs the export (so use it nowhere else
  /// meanwhile). It is flushed at the end.
  /// @throws std::ios_base::failure when a write or the flush fails.
  Future<void> export_to(std::ostream& out, ExportOptions export_options = {},
                         CallOptions options = {});
  /// ... chunk by chunk to `sink`, in order, on the thread that runs the
  /// export. An exception `sink` throws stops the export, and the future
  /// fails with it.
  Future<void> export_to(std::function<void(std::string_view chunk)> sink,
                         ExportOptions export_options = {}, CallOptions options = {});
  /// Runs an export's SurrealQL from a file in this session's namespace and
  /// database, reporting progress to `import_options` when given.
  /// @throws QueryException when a statement fails; what ran before it stays.
  ///@{
  Future<void> import_from(std::filesystem::path file, CallOptions options = {});
  Future<void> import_from(std::filesystem::path file, ImportOptions import_options,
                           CallOptions options = {});
  ///@}

  /// Begins an interactive transaction on this session, with its
  /// namespace, database, authentication and parameters as they are when it
  /// begins. Nothing it writes is seen by other sessions or transactions
  /// until Transaction::commit(); destroyed uncommitted, it is cancelled.
  /// It runs on SurrealDB's own transactions (the SDK's begin, commit and
  /// cancel), never on BEGIN and COMMIT statements. Cancelling or timing
  /// out the call does not leave a transaction open: one begun meanwhile is
  /// cancelled.
  /// @throws ConnectionException when this session was closed.
  Future<Transaction> begin(CallOptions options = {});

  /// Runs `body` in a new transaction and commits it; when the transaction
  /// loses a conflict (TransactionConflictException, from a call in `body`
  /// or from the commit), runs it all again in a new transaction, at most
  /// `attempts` times in all. `body` takes the Transaction& and returns a
  /// Future: usually it is a coroutine that `co_await`s the transaction's
  /// calls and `co_return`s the result, which becomes the result of the
  /// returned future:
  ///
  ///     surreal::Future<void> transfer = db.with_transaction(
  ///         [&](surreal::Transaction& tx) -> surreal::Future<void> {
  ///           surreal::Value from = co_await tx.select(ann);
  ///           surreal::Object debit{{"balance", from["balance"].get<std::int64_t>() - 10}};
  ///           co_await tx.merge(ann, std::move(debit));  // (g++ 12: no braces in co_await)
  ///         });
  ///     transfer.get();  // or co_await it
  ///
  /// Another exception from `body` or the commit ends it at once with that
  /// exception, the transaction cancelled. Each attempt reads afresh, so
  /// `body` must do nothing outside the transaction that cannot be done
  /// twice. This Database and `body` must outlive the returned future's
  /// completion.
  /// @throws TransactionConflictException when the last attempt lost too.
  /// @throws std::invalid_argument at once when `attempts` < 1.
  template <class Body>
  auto with_transaction(Body body, int attempts = 10)
      -> std::invoke_result_t<Body&, Transaction&>;

  /// Starts a live query on a table, one record, or a range of records
  /// (`LIVE SELECT * FROM ...`, the resource bound as a parameter). With
  /// `diff`, each notification's data is the change as JSON Patch
  /// operations rather than the record (`LIVE SELECT DIFF`). Its
  /// notifications arrive in commit order; those of a transaction that is
  /// cancelled never do. It lasts as live_query() says.
  /// @throws DatabaseException (error_code::invalid_argument) for a resource
  /// of another kind.
  Future<LiveQuery> live(Resource table_or_record, bool diff = false, CallOptions options = {});
  /// Starts a live query from SurrealQL holding exactly one LIVE SELECT
  /// statement (`LIVE SELECT * FROM person WHERE age > $min`, `LIVE SELECT
  /// DIFF FROM person`), with `bindings` as its parameters.
  ///
  /// A live query lasts until LiveQuery::kill(), the LiveQuery's
  /// destruction, this Database's close (its next() then ends), or a
  /// signin(), signup(), authenticate() or invalidate() on this Database,
  /// which ends its live queries (each keeps the rights of who made it).
  /// Cancelling or timing out the start does not stop it part-way: a live
  /// query started meanwhile is killed at once.
  /// @throws DatabaseException (error_code::invalid_argument) for SurrealQL
  /// that starts no live query, or more than one; none is started.
  /// @throws QueryException when the statement fails.
  Future<LiveQuery> live_query(std::string sql, Object bindings = {}, CallOptions options = {});

  /// Ends this session; afterwards every call on it fails with
  /// ConnectionException. Its open transactions are cancelled and its live
  /// queries end. The last session of a datastore (see new_session())
  /// shuts it down. Closing again does nothing. It takes no CallOptions: no
  /// deadline, no stop token.
  /// @throws std::logic_error at once on a moved-from Database.
  /// @throws DatabaseException when the engine fails to shut down cleanly.
  Future<void> close();

  /// The state of this Database's connection, read at once. An embedded
  /// datastore, and a server over HTTP (which keeps no connection), are
  /// connected until closed. Sessions from new_session() share their
  /// connection, and its state.
  /// @throws std::logic_error on a moved-from Database.
  ConnectionState state() const;

  /// Calls `listener` with each change of state() from now on, in order,
  /// one at a time, on a library thread: it must not block, and what it
  /// throws is dropped. Over ws://, wss://, grpc:// and grpcs:// it hears a drop (reconnecting),
  /// the connection back (connected), and the end (disconnected); elsewhere
  /// only the end, at close(). Keep the Subscription: destroying it removes
  /// the listener.
  /// @throws std::logic_error on a moved-from Database.
  [[nodiscard]] Subscription on_state_change(std::function<void(ConnectionState)> listener);

 private:
  explicit Database(std::shared_ptr<detail::DatabaseShared> shared);
  detail::DatabaseShared& shared() const;
  /// Starts a live query (method "live" or "live_query") with `args`.
  Future<LiveQuery> start_live(std::string method, Array args, const CallOptions& options);
  template <typename T, typename Command, typename Convert>
  Future<T> call(Command command, const CallOptions& options, Convert convert) const;
  /// A record verb through surreal_db_execute (see detail::VerbCall).
  Future<Value> record_call(detail::VerbCall verb, const CallOptions& options);
  /// signin or signup with `credentials`, answering the tokens.
  Future<Tokens> tokens_call(std::string method, Value credentials, const CallOptions& options);
  Future<void> export_with(std::function<void(std::string_view)> write,
                           ExportOptions export_options, CallOptions options,
                           std::function<void()> finish);

  std::shared_ptr<detail::DatabaseShared> shared_;
};

namespace detail {
/// What select() answered, each record converted with Value::get<T>():
/// select() answers an array for a table or range, and for one record the
/// record (an object) or NONE.
/// One record as T, or nullopt for NONE (a record that does not exist).
template <class T>
std::optional<T> record_as(const Value& selected) {
  if (selected.is_none()) return std::nullopt;
  return selected.template get<T>();
}

template <class T>
std::vector<T> records_as(const Value& selected) {
  std::vector<T> records;
  if (selected.is_array()) {
    records.reserve(selected.size());
    for (const Value& record : selected) records.push_back(record.template get<T>());
  } else if (!selected.is_none()) {
    records.push_back(selected.template get<T>());
  }
  return records;
}
}  // namespace detail

template <class T>
Future<std::optional<T>> Database::select(RecordId id, CallOptions options) {
  return select(Resource(std::move(id)), std::move(options)).then([](Result<Value> result) {
    return detail::record_as<T>(result.value());  // value() rethrows the select's error
  });
}

template <class T>
Future<std::vector<T>> Database::select(Resource resource, CallOptions options) {
  // The conversion runs on the thread that completes the select, so that a
  // record that does not convert fails this future rather than a later get().
  return select(std::move(resource), std::move(options)).then([](Result<Value> result) {
    return detail::records_as<T>(result.value());  // value() rethrows the select's error
  });
}

}  // namespace surreal

// A Database hands out these; including this header is enough for them.
#include "surreal/live.hpp"
#include "surreal/transaction.hpp"
