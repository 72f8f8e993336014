/// @file
/// Transaction: an interactive transaction of one Database session.
/// Included by database.hpp.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "surreal/database.hpp"
#include "surreal/future.hpp"
#include "surreal/resource.hpp"
#include "surreal/value.hpp"

namespace surreal {

/// An interactive transaction, from Database::begin(): the query and record
/// verbs of a Database, run inside it, then commit() or cancel().
///
/// @code
/// auto tx = db.begin().get();
/// auto from = tx.select(RecordId("account", 1)).get();
/// ... check the balance ...
/// tx.merge(RecordId("account", 1), Object{{"balance", balance - 10}}).get();
/// tx.merge(RecordId("account", 2), ...).get();
/// tx.commit().get();  // TransactionConflictException: run it all again
/// @endcode
///
/// Isolation: nothing it writes is seen outside it until commit() returns;
/// what it reads is the datastore as of begin(), with its own writes. A
/// commit that conflicts with another transaction's (both wrote the same
/// record, or one read what the other wrote) fails with
/// TransactionConflictException and commits nothing.
///
/// Order: its calls run one at a time, in the order they were made, even
/// when the caller does not wait for each; commit() and cancel() run after
/// every call made before them.
///
/// RAII: destroyed (or assigned over) while neither commit() nor cancel()
/// was called, it is cancelled, as a libpqxx transaction is. The
/// destructor never throws or blocks.
///
/// A call that fails (an error, a failed statement of a query, a call
/// cancelled or timed out) spoils the transaction, as an error aborts a
/// PostgreSQL transaction: its commit() cancels it instead, and fails with
/// that first failure (TransactionConflictException if it was a conflict,
/// QueryException otherwise). So a commit never makes durable half of what
/// the caller meant, even when the caller did not wait for each call.
///
/// After commit() or cancel() every call fails with DatabaseException
/// (error_code::invalid_argument) saying so. A transaction belongs to the
/// session that began it: when that Database closes, the transaction is
/// cancelled and its calls fail with ConnectionException. It does not keep
/// the Database open.
///
/// Errors: each call's future fails as the Database call it mirrors does
/// (see Database), and as said above. Every method of a moved-from
/// Transaction but is_open() throws std::logic_error at once.
///
/// Thread-safety: as a Database's (its calls' callbacks run on the thread
/// that completes them, and must not block); moving or destroying it must
/// not race with calls on it.
class Transaction {
 public:
  /// Takes over `other`'s transaction; `other` is left moved-from.
  Transaction(Transaction&&) noexcept;
  /// Cancels this transaction first if it is still open.
  Transaction& operator=(Transaction&&) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Cancels the transaction if neither commit() nor cancel() was called,
  /// without waiting for it. Never throws.
  ~Transaction();

  /// Its id in the engine.
  /// @throws std::logic_error on a moved-from Transaction.
  const Uuid& id() const;
  /// True until commit() or cancel() is called.
  bool is_open() const noexcept;

  /// As Database::query, inside the transaction. SurrealQL's own BEGIN,
  /// COMMIT and CANCEL have no place here.
  Future<Response> query(std::string sql, Object bindings = {}, CallOptions options = {});
  /// As Database::select, inside the transaction.
  Future<Value> select(Resource resource, CallOptions options = {});
  /// The same, each record converted with Value::get<T>().
  /// @throws TypeError when a record does not convert to T.
  template <class T>
  Future<std::vector<T>> select(Resource resource, CallOptions options = {});
  /// One record converted with Value::get<T>(), or nullopt (as Database's).
  template <class T>
  Future<std::optional<T>> select(RecordId id, CallOptions options = {});
  /// As Database::create, inside the transaction.
  Future<Value> create(Resource resource, Value data = {}, CallOptions options = {});
  /// As Database::insert, inside the transaction.
  Future<Value> insert(std::string table, Value data, CallOptions options = {});
  /// As Database::insert_relation, inside the transaction.
  Future<Value> insert_relation(std::string table, Value data, CallOptions options = {});
  /// As Database::upsert, inside the transaction.
  Future<Value> upsert(Resource resource, Value data = {}, CallOptions options = {});
  /// As Database::update, inside the transaction.
  Future<Value> update(Resource resource, Value data, CallOptions options = {});
  /// As Database::merge, inside the transaction.
  Future<Value> merge(Resource resource, Value data, CallOptions options = {});
  /// As Database::patch, inside the transaction.
  Future<Value> patch(Resource resource, std::vector<PatchOp> operations,
                      CallOptions options = {});
  /// As Database::remove, inside the transaction: answers what was deleted.
  Future<Value> remove(Resource resource, CallOptions options = {});
  /// As Database::relate, inside the transaction.
  Future<Value> relate(RecordId from, std::string edge, RecordId to, Value data = {},
                       CallOptions options = {});

  /// Commits: what it wrote becomes visible, all of it at once, and durable
  /// once the future completes. Fails with TransactionConflictException
  /// when it lost a conflict (nothing was committed: run the transaction
  /// again), with QueryException when a statement inside it had failed
  /// and it could not commit. Afterwards the transaction is closed, whatever
  /// the outcome. Cancelling or timing out the wait does not stop the
  /// commit: it completes or fails in the engine regardless, so a
  /// CancelledException or TimeoutException from it says nothing of the
  /// outcome.
  /// @throws TransactionConflictException when it lost a conflict, or an
  /// earlier call in it did; nothing was committed.
  /// @throws QueryException when an earlier call in it had failed otherwise;
  /// nothing was committed.
  /// @throws ConnectionException when its Database was closed (which
  /// cancelled it).
  /// @throws DatabaseException (error_code::invalid_argument) when commit()
  /// or cancel() was called already.
  Future<void> commit(CallOptions options = {});
  /// Rolls back: nothing it wrote remains. Afterwards it is closed.
  /// @throws ConnectionException when its Database was closed (which
  /// cancelled it already).
  /// @throws DatabaseException (error_code::invalid_argument) when commit()
  /// or cancel() was called already.
  Future<void> cancel(CallOptions options = {});

 private:
  friend class Database;
  struct State;
  explicit Transaction(std::shared_ptr<State> state);
  /// Runs method `method` with `args` inside the transaction, in turn.
  template <typename T, typename Convert>
  Future<T> call(const char* method, Array args, const CallOptions& options, Convert convert);
  /// A record verb (see detail::VerbCall).
  Future<Value> record_call(detail::VerbCall verb, const CallOptions& options);
  /// commit or cancel.
  Future<void> finish(const char* method, const CallOptions& options);

  std::shared_ptr<State> state_;
};

/// @cond internal
namespace detail {
template <class F>
struct is_future : std::false_type {};
template <class T>
struct is_future<Future<T>> : std::true_type {};

/// The retry loop of Database::with_transaction, as a coroutine.
template <class R, class Body>
Future<R> run_transaction(Database& db, Body body, int attempts) {
  for (int attempt = 1;; ++attempt) {
    try {
      Transaction tx = co_await db.begin();
      if constexpr (std::is_void_v<R>) {
        co_await body(tx);
        co_await tx.commit();
        co_return;
      } else {
        R result = co_await body(tx);
        co_await tx.commit();
        co_return result;
      }
    } catch (const TransactionConflictException&) {
      if (attempt >= attempts) throw;
    }
  }
}
}  // namespace detail
/// @endcond

template <class Body>
auto Database::with_transaction(Body body, int attempts)
    -> std::invoke_result_t<Body&, Transaction&> {
  using Returned = std::invoke_result_t<Body&, Transaction&>;
  static_assert(detail::is_future<Returned>::value,
                "with_transaction: the body must return a surreal::Future (make it a coroutine)");
  if (attempts < 1) throw std::invalid_argument("with_transaction: attempts must be at least 1");
  return detail::run_transaction<typename Returned::value_type>(*this, std::move(body), attempts);
}

template <class T>
Future<std::optional<T>> Transaction::select(RecordId id, CallOptions options) {
  return select(Resource(std::move(id)), std::move(options)).then([](Result<Value> result) {
    return detail::record_as<T>(result.value());
  });
}

template <class T>
Future<std::vector<T>> Transaction::select(Resource resource, CallOptions options) {
  return select(std::move(resource), std::move(options)).then([](Result<Value> result) {
    return detail::records_as<T>(result.value());
  });
}

}  // namespace surreal
