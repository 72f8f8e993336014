/// @file
/// Credentials and tokens: what Database::signin() and Database::signup()
/// take and give. Plain aggregates: safe to read from several threads at once.
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
  /// The user's name and password.
  ///@{
  std::string username, password;
  ///@}
};

/// A user defined on a namespace (`DEFINE USER ... ON NAMESPACE`).
struct Namespace {
  /// The namespace the user is defined on; the user's name and password.
  ///@{
  std::string ns, username, password;
  ///@}
};

/// A user defined on a database (`DEFINE USER ... ON DATABASE`).
struct Database {
  /// The namespace and database the user is defined on; the user's name and
  /// password.
  ///@{
  std::string ns, db, username, password;
  ///@}
};

/// A record user, through a record access method
/// (`DEFINE ACCESS account ON DATABASE TYPE RECORD SIGNUP (...) SIGNIN (...)`):
/// `params` become the `$variables` of its SIGNUP and SIGNIN expressions.
struct Record {
  /// The namespace and database of the access method, and its name
  /// (`account` above).
  ///@{
  std::string ns, db, access;
  ///@}
  /// The `$variables` of its SIGNUP and SIGNIN
  /// (`{{"email", "ann@example.com"}, {"pass", "..."}}`). Members named
  /// `ns`, `db` or `ac` are overridden by the fields above.
  Object params;
};

/// A bearer key of an access method (`DEFINE ACCESS api ON DATABASE TYPE
/// BEARER FOR USER`, its keys made with `ACCESS api GRANT FOR USER ...`):
/// the key signs in as the user or record it was granted for.
struct Bearer {
  /// The access method's namespace and database: both for one defined ON
  /// DATABASE, the namespace alone ON NAMESPACE, neither ON ROOT.
  ///@{
  std::optional<std::string> ns, db;
  ///@}
  /// The access method's name (`api` above), and the key.
  ///@{
  std::string access, key;
  ///@}
};

}  // namespace auth

/// What signing in or up gives: the access token (a JWT), and a refresh
/// token where the access method issues one (`WITH REFRESH`).
struct Tokens {
  /// The access token (a JWT), for Database::authenticate().
  std::string access;
  /// The refresh token, when the access method issues one.
  std::optional<std::string> refresh;
};

}  // namespace surreal
