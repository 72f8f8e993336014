// Credentials and tokens: what Database::signin and Database::signup take
// and give.
#pragma once

#include <optional>
#include <string>

#include "surreal/value.hpp"

namespace surreal {

/// Credentials, one type per level of user SurrealDB knows. Each is passed
/// to the engine as a bound value, never pasted into SurrealQL.
namespace auth {

/// A root user: every namespace and database.
struct Root {
  std::string username, password;
};

/// A user defined on a namespace (`DEFINE USER ... ON NAMESPACE`).
struct Namespace {
  std::string ns, username, password;
};

/// A user defined on a database (`DEFINE USER ... ON DATABASE`).
struct Database {
  std::string ns, db, username, password;
};

/// A record user, through a record access method
/// (`DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNUP (...) SIGNIN (...)`):
/// `params` become the `$variables` of its SIGNUP and SIGNIN expressions.
struct Record {
  std::string ns, db, access;
  Object params;
};

}  // namespace auth

/// What signing in or up gives: the access token (a JWT), and a refresh
/// token where the access method issues one (`WITH REFRESH`).
struct Tokens {
  std::string access;
  std::optional<std::string> refresh;
};

}  // namespace surreal
