// Sessions and authentication: a datastore that enforces authentication
// (root credentials), a record access method through which users sign up and
// sign in and then see only their own records, a token that signs in a fresh
// session, invalidate() to sign out, switching namespace and database, and
// session parameters (set/unset). Built and run by ctest (example_auth).
#include <surreal/surreal.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

using surreal::auth::Record;

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

/// True when `call` fails with AuthenticationException.
template <class Call>
bool refused(Call call) {
  try {
    call();
    return false;
  } catch (const surreal::AuthenticationException& e) {
    std::cout << "refused: " << e.what() << '\n';
    return true;
  }
}

/// Credentials for the record access method `account` defined below: the
/// params become its $email and $pass.
Record account(const std::string& email, const std::string& password) {
  return Record{"app", "main", "account", {{"email", email}, {"pass", password}}};
}

int run() {
  // With root credentials the datastore enforces authentication, and this
  // session is signed in as root.
  const surreal::auth::Root root{"root", "root-secret"};
  surreal::ConnectOptions options;
  options.ns = "app";
  options.db = "main";
  options.root = root;
  surreal::Database admin = surreal::Database::connect("mem://", options).get();
  surreal::Response schema = admin.query(R"(
    DEFINE ACCESS account ON DATABASE TYPE RECORD
      SIGNUP (CREATE user SET email = $email, pass = crypto::argon2::generate($pass))
      SIGNIN (SELECT * FROM user WHERE email = $email AND crypto::argon2::compare(pass, $pass))
      DURATION FOR TOKEN 15m, FOR SESSION 12h;
    DEFINE TABLE user PERMISSIONS FOR select WHERE id = $auth.id;
    DEFINE TABLE note PERMISSIONS
      FOR select, update, delete WHERE owner = $auth.id
      FOR create WHERE $auth.id != NONE;
    DEFINE FIELD owner ON note VALUE $auth.id READONLY;
  )").get();
  // A query reports each statement's failure in its Response, not by throwing.
  check(!schema.has_errors(), "the schema is defined");

  // 1. Sign up: each new_session() is a session of its own, signed out.
  surreal::Database ann = admin.new_session().get();
  surreal::Tokens ann_tokens = ann.signup(account("ann@example.com", "ann's secret")).get();
  ann.create("note", {{"text", "Ann's note"}}).get();
  surreal::Database bob = admin.new_session().get();
  bob.signup(account("bob@example.com", "bob's secret")).get();
  bob.create("note", {{"text", "Bob's note"}}).get();

  surreal::Value bobs = bob.select("note").get();
  check(bobs.size() == 1 && bobs[0]["text"] == "Bob's note", "bob sees his note only");
  check(admin.select("note").get().size() == 2, "root sees both");
  surreal::Database guest = admin.new_session().get();
  guest.use_namespace("app").get();
  guest.use_database("main").get();
  check(refused([&] { guest.select("note").get(); }), "a guest may not read");

  // 2. Sign in: a wrong password is refused (the message holds no secret).
  surreal::Database later = admin.new_session().get();
  check(refused([&] { later.signin(account("ann@example.com", "wrong")).get(); }),
        "wrong password");
  later.signin(account("ann@example.com", "ann's secret")).get();
  check(later.select("note").get()[0]["text"] == "Ann's note", "ann signed in again");

  // 3. A token (from signin or signup) signs in another session, say one
  // serving a request that carries it; invalidate() signs out.
  surreal::Database with_token = admin.new_session().get();
  with_token.authenticate(ann_tokens.access).get();  // it carries ann's namespace and database
  check(with_token.select("note").get()[0]["text"] == "Ann's note", "the token is ann's");
  with_token.invalidate().get();
  check(refused([&] { with_token.select("note").get(); }), "signed out");

  // 4. Namespaces and databases: a session chooses its own.
  surreal::Database archive = admin.new_session().get();
  archive.signin(root).get();
  archive.use_namespace("app").get();
  archive.use_database("archive").get();
  archive.create("note", {{"text", "archived"}}).get();
  check(archive.query("RETURN [session::ns(), session::db()]").get().take(0) ==
            surreal::Array{"app", "archive"},
        "the session is in app/archive");
  check(archive.select("note").get().size() == 1 && admin.select("note").get().size() == 2,
        "each database has its own notes");

  // 5. Session parameters: $tag for this session's queries only.
  ann.set("tag", "urgent").get();
  ann.query("UPDATE note SET tag = $tag").get().take(0);  // take() throws if it failed
  check(ann.query("RETURN $tag").get().take(0) == "urgent", "ann's session has $tag");
  check(bob.query("RETURN $tag").get().take(0).is_none(), "bob's does not");
  ann.unset("tag").get();
  check(ann.query("RETURN $tag").get().take(0).is_none(), "unset removes it");
  check(admin.query("SELECT VALUE tag FROM note WHERE text = $text", {{"text", "Ann's note"}})
                .get()
                .take(0) == surreal::Array{"urgent"},
        "ann's update used her $tag");
  std::cout << "ann, bob, tokens, namespaces and parameters: all as expected\n";
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "example_auth: " << e.what() << '\n';
    return 1;
  }
}
