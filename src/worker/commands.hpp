// The worker's message protocol: commands in, replies out. Plain structs in a
// std::variant, so handling them is an exhaustive std::visit.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace surreal::worker {

/// Starts the native async runtime; the first command a worker runs.
struct Initialize {};
/// Opens the datastore at `endpoint`, then selects `ns` and `db` when given.
struct Connect {
  std::string endpoint;
  std::optional<std::string> ns;
  std::optional<std::string> db;
};
/// Runs SurrealQL with `bindings` (a JSON object) as its variables.
struct Query {
  std::string sql;
  nlohmann::json bindings = nlohmann::json::object();
};
struct Select {
  std::string resource;
};
struct Create {
  std::string table;
  nlohmann::json data;
};
struct Update {
  std::string resource;
  nlohmann::json data;
};
struct Delete {
  std::string resource;
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

/// What a command produced. `data` is a JSON array with one entry per
/// statement (record operations have one); `statement_errors` is parallel to
/// it, holding the error text of each failed statement.
struct Success {
  nlohmann::json data = nlohmann::json::array();
  std::vector<std::optional<std::string>> statement_errors;
};

/// Why a command failed: SurrealDB's message and the native status code.
struct Error {
  std::string message;
  int code;
};

using Reply = std::variant<Success, Error>;

}  // namespace surreal::worker
