// The worker's message protocol: commands in, replies out. Plain structs in a
// std::variant, so handling them is an exhaustive std::visit. Data travels as
// surreal::Value; the worker encodes it for the C ABI (CBOR) right before the
// native call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ffi/native.hpp"
#include "surreal/resource.hpp"
#include "surreal/value.hpp"

namespace surreal::worker {

class StateWatch;  // worker/state_watch.hpp

/// Starts the native async runtime; the first command a worker runs.
struct Initialize {};
/// Opens the datastore at `endpoint` with `options` (an Object for
/// surreal_db_configure, or NONE), then selects `ns` and `db` when given.
struct Connect {
  std::string endpoint;
  std::optional<std::string> ns;
  std::optional<std::string> db;
  Value options = {};
  /// Where the connection's state goes, once connected (null: nowhere).
  std::shared_ptr<StateWatch> state = nullptr;
};
/// Runs SurrealQL with `bindings` (an Object, or NONE for none) as its variables.
struct Query {
  std::string sql;
  Value bindings = {};
};
struct Select {
  Resource resource;
};
/// `data` NONE: a record with no content but its id.
struct Create {
  Resource resource;
  Value data;
};
struct Update {
  Resource resource;
  Value data;
};
struct Delete {
  Resource resource;
};
struct UseNamespace {
  std::string ns;
};
struct UseDatabase {
  std::string db;
};
/// Where an export's text goes, where an import reports its progress, and
/// where a live query's notifications go (surreal_db_execute's SurrealStream).
/// chunk and progress are called on the thread that runs the command, one
/// call at a time, and return false to stop it; notify, on a thread of the native runtime, one call at a
/// time, until its last call (data NULL), which always comes exactly once
/// once the command has reached the native library, even if it fails. None
/// may throw (a chunk sink returns false to stop the export).
struct Stream {
  std::function<bool(const std::uint8_t* data, std::size_t len)> chunk;
  std::function<bool(std::uint64_t done, std::uint64_t total)> progress;  // false: stop
  std::function<void(const std::uint8_t* data, std::size_t len)> notify;
};
/// Any method of surreal_db_execute that reads or writes data (insert, upsert,
/// merge, patch, relate, run, version, health, import, export, begin,
/// commit, cancel, live, live_query, kill...), with its arguments: a data
/// command, run as Query is. With `txn`, inside that transaction
/// (surreal_db_execute with a txn).
struct Call {
  std::string method;
  Array args;
  std::shared_ptr<Stream> stream = nullptr;
  std::optional<Uuid> txn = std::nullopt;
};
/// A method of surreal_db_execute that changes the session (signin, signup,
/// authenticate, invalidate, set, unset): a session command, run alone.
struct SessionCall {
  std::string method;
  Array args;
};
/// Opens a new session over the same datastore: Success::session.
struct NewSession {};
/// Shuts the datastore down. Later commands fail; closing again succeeds.
struct Close {};

using Command = std::variant<Initialize, Connect, Query, Select, Create, Update, Delete, Call,
                             UseNamespace, UseDatabase, SessionCall, NewSession, Close>;

/// What a command produced: one result per statement (record operations have
/// one), and parallel to it the exception of each failed statement (whose
/// result is NONE), null where the statement succeeded.
struct Success {
  std::vector<Value> results;
  std::vector<std::exception_ptr> statement_errors;
  /// NewSession's new native session.
  ffi::DatabaseHandle session = nullptr;
};

/// Why a command failed: SurrealDB's message, the native status code, and
/// SurrealDB's structured error (ffi::NativeError::error), NONE if none.
struct Error {
  std::string message;
  int code;
  Value error = {};
};

using Reply = std::variant<Success, Error>;

}  // namespace surreal::worker
