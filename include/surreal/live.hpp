/// @file
/// LiveQuery: the notifications of a live query, pulled or pushed.
/// Included by database.hpp.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "surreal/database.hpp"
#include "surreal/future.hpp"
#include "surreal/value.hpp"

namespace surreal {

/// What happened to a record.
enum class Action {
  create,  ///< SurrealDB's CREATE
  update,  ///< SurrealDB's UPDATE
  remove,  ///< SurrealDB's DELETE
  killed,  ///< the engine ended the live query (a KILL statement, say); the last
};

/// One notification of a live query.
struct Notification {
  Uuid query_id;  ///< the live query's id
  Action action;  ///< what happened
  /// The record's id (a RecordId value); NONE for `killed`.
  Value record;
  /// The record as it now is (for `remove`, as it was), only the fields the
  /// LIVE SELECT selects; with DIFF, the change as an array of JSON Patch
  /// operations. NONE for `killed`.
  Value data;
};

/// A live query, from Database::live() or Database::live_query(): its
/// notifications, pulled one at a time with next() or pushed to a callback
/// with listen(). Notifications arrive in the order their transactions
/// committed; a cancelled transaction's never do.
///
/// It ends (next() gives std::nullopt) when kill() is called, when it is
/// destroyed, when its Database closes or signs in as someone else or out,
/// and after a notification with Action::killed when the engine ends it.
/// After kill() or destruction no notification is delivered, and the
/// engine no longer has the live query.
///
/// Buffering: notifications wait in a buffer of
/// ConnectOptions::live_query_buffer until next() takes them. A consumer
/// that falls so far behind that it fills ends the live query:
/// next() gives what was buffered, then throws LiveQueryOverflowException.
///
/// Thread-safety: any thread may call its methods; moving or destroying it
/// must not race with calls on it. It does not keep its Database open.
/// Every method but the destructor throws std::logic_error on a moved-from
/// LiveQuery.
class LiveQuery {
 public:
  /// What listen() receives: a notification, std::nullopt once the live
  /// query has ended, or the error next() would throw.
  using Callback = std::function<void(Result<std::optional<Notification>>)>;

  /// Takes over `other`'s live query; `other` is left moved-from.
  LiveQuery(LiveQuery&&) noexcept;
  /// Takes over `other`'s live query, first killing the one this held (if it
  /// still runs), as the destructor does.
  LiveQuery& operator=(LiveQuery&&) noexcept;
  LiveQuery(const LiveQuery&) = delete;
  LiveQuery& operator=(const LiveQuery&) = delete;
  /// Kills the live query if it still runs, without waiting. Never throws.
  ~LiveQuery();

  /// The live query's id (what SurrealQL's KILL and the notifications'
  /// query_id name).
  /// @throws std::logic_error on a moved-from LiveQuery.
  const Uuid& id() const;

  /// The next notification: at once if one is buffered, else once one
  /// arrives; std::nullopt once the live query has ended and every
  /// buffered notification has been taken. Several may wait at once: they
  /// are served in the order they were made. A waiting next() that is
  /// cancelled or dropped takes nothing. A callback or coroutine waiting
  /// for it (then(), co_await) runs on the engine's thread that delivers
  /// the notification, unless it names an executor (via()): there it must
  /// not block, as listen()'s callback.
  /// @throws LiveQueryOverflowException after an overflow (see the class),
  /// once the buffered notifications have been taken.
  /// @throws QueryException when the engine reports the live query failed;
  /// it has ended then.
  /// @throws std::logic_error at once after listen(), or on a moved-from
  /// LiveQuery.
  Future<std::optional<Notification>> next();

  /// Pushes the notifications to `callback` instead: first those already
  /// buffered (on this thread, before listen() returns), then each as it
  /// arrives, on a thread of the engine, one call at a time, in order. Its
  /// last call has std::nullopt (the end) or an error. It must not block:
  /// while it runs, no other live query of the datastore is served. An
  /// exception it throws is dropped. Call it once, while no next() waits.
  /// @throws std::logic_error when called a second time, while a next() is
  /// waiting, or on a moved-from LiveQuery.
  /// @throws std::invalid_argument for an empty `callback`.
  void listen(Callback callback);

  /// Kills the live query: nothing more is delivered from now on (a
  /// next() still waiting gets std::nullopt), and once the future
  /// completes the engine no longer has it. Killing a live query that has
  /// ended already (or whose Database has closed) does nothing, and the
  /// future is ready at once.
  /// @throws std::logic_error at once on a moved-from LiveQuery.
  /// @throws DatabaseException as any Database call (see Database), when
  /// the engine fails to kill it.
  Future<void> kill(CallOptions options = {});

 private:
  friend class Database;
  struct State;
  explicit LiveQuery(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
};

}  // namespace surreal
