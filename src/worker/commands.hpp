// The worker's message protocol: commands in, replies out. Plain structs in a
// std::variant, so handling them is an exhaustive std::visit. Data travels as
// surreal::Value; the worker encodes it for the C ABI (CBOR) right before the
// native call.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "surreal/resource.hpp"
#include "surreal/value.hpp"

namespace surreal::worker {

/// Starts the native async runtime; the first command a worker runs.
struct Initialize {};
/// Opens the datastore at `endpoint`, then selects `ns` and `db` when given.
struct Connect {
  std::string endpoint;
  std::optional<std::string> ns;
  std::optional<std::string> db;
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
/// Shuts the datastore down. Later commands fail; closing again succeeds.
struct Close {};

using Command = std::variant<Initialize, Connect, Query, Select, Create, Update, Delete,
                             UseNamespace, UseDatabase, Close>;

/// What a command produced: one result per statement (record operations have
/// one), and parallel to it the error text of each failed statement (whose
/// result is NONE).
struct Success {
  std::vector<Value> results;
  std::vector<std::optional<std::string>> statement_errors;
};

/// Why a command failed: SurrealDB's message and the native status code.
struct Error {
  std::string message;
  int code;
};

using Reply = std::variant<Success, Error>;

}  // namespace surreal::worker
