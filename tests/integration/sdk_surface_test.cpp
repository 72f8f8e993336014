// The SDK's surface beyond the five verbs: record verbs, functions, engine
// facts, parameters, sessions, authentication, export and import. Every test
// runs on every datastore, and on a SurrealDB server over WebSocket and gRPC.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/get.hpp"
#include "support/temp_dir.hpp"
#include "surreal/surreal.hpp"

namespace {

using namespace surreal;
using test_support::failure_of;
using test_support::get;

struct Person {
  std::string name;
};
SURREAL_DEFINE_TYPE(Person, name)


class SdkSurfaceTest : public test_support::BackendTest {
 protected:
  Database connect(ConnectOptions options = {}) {
    if (!options.ns) options.ns = "test";
    if (!options.db) options.db = "test";
    return get(Database::connect(endpoint(), prepare(std::move(options))));
  }
  /// A database whose datastore enforces authentication, signed in as root
  /// (the server's root user has the same password).
  Database connect_secured() {
    ConnectOptions options;
    options.root = auth::Root{"root", "s3cret-root"};
    return connect(std::move(options));
  }
  /// A new session of `db`'s, signed in as root on the server (which always
  /// enforces authentication), on namespace and database "test".
};

TEST_P(SdkSurfaceTest, InsertOneAndMany) {
  Database db = connect();
  Value one = get(db.insert("person", Object{{"id", RecordId("person", "ann")}, {"age", 30}}));
  ASSERT_TRUE(one.is_object()) << one.to_string();
  EXPECT_EQ(one["age"], 30);
  Value many = get(db.insert("person", Array{Object{{"age", 1}}, Object{{"age", 2}}}));
  ASSERT_TRUE(many.is_array());
  EXPECT_EQ(many.size(), 2u);
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM person)")).take(0), 3);
  // The same id again is refused, and nothing changes.
  EXPECT_THROW(get(db.insert("person", Object{{"id", RecordId("person", "ann")}, {"age", 99}})),
               QueryException);
  EXPECT_EQ(get(db.select(RecordId("person", "ann")))["age"], 30);
}

TEST_P(SdkSurfaceTest, InsertRelation) {
  Database db = connect();
  get(db.create(RecordId("person", "a")));
  get(db.create(RecordId("person", "b")));
  Value edge = get(db.insert_relation(
      "knows", Object{{"in", RecordId("person", "a")}, {"out", RecordId("person", "b")}}));
  EXPECT_EQ(edge["in"], RecordId("person", "a"));
  EXPECT_EQ(get(db.query("RETURN person:a->knows->person")).take(0),
            (Array{RecordId("person", "b")}));
}

TEST_P(SdkSurfaceTest, UpsertCreatesThenReplaces) {
  Database db = connect();
  const RecordId id("item", 1);
  EXPECT_EQ(get(db.upsert(id, Object{{"a", 1}, {"b", 2}}))["a"], 1);
  Value replaced = get(db.upsert(id, Object{{"a", 5}}));
  EXPECT_EQ(replaced["a"], 5);
  EXPECT_FALSE(replaced.as_object().contains("b"));
  // A table: every record in it.
  Value all = get(db.upsert("item", Object{{"c", 3}}));
  ASSERT_TRUE(all.is_array());
  EXPECT_EQ(all.size(), 1u);
}

TEST_P(SdkSurfaceTest, MergeKeepsOtherFields) {
  Database db = connect();
  const RecordId id("item", "m");
  get(db.create(id, Object{{"a", 1}, {"b", 2}}));
  Value merged = get(db.merge(id, Object{{"b", 20}, {"c", 30}}));
  EXPECT_EQ(merged["a"], 1);
  EXPECT_EQ(merged["b"], 20);
  EXPECT_EQ(merged["c"], 30);
  // Merging something other than an object is refused; the record stays.
  EXPECT_THROW(get(db.merge(id, 42)), QueryException);
  EXPECT_EQ(get(db.select(id))["b"], 20);
}

TEST_P(SdkSurfaceTest, PatchAppliesOperationsAndRefusesBadOnes) {
  Database db = connect();
  const RecordId id("doc", 1);
  get(db.create(id, Object{{"title", "draft"}, {"tags", Array{"a"}}, {"tmp", true}}));
  Value patched = get(db.patch(id, {PatchOp::replace("/title", "final"),
                                    PatchOp::add("/tags/1", "b"), PatchOp::remove("/tmp")}));
  EXPECT_EQ(patched["title"], "final");
  EXPECT_EQ(patched["tags"], (Array{"a", "b"}));
  EXPECT_FALSE(patched.as_object().contains("tmp"));
  // Adding past the end of an array is invalid: an error, and nothing
  // changes, not even by the valid operation before it.
  EXPECT_THROW(get(db.patch(id, {PatchOp::replace("/title", "lost"), PatchOp::add("/tags/9", "c")})),
               QueryException);
  EXPECT_EQ(get(db.select(id)), patched);
  EXPECT_EQ(get(db.query("RETURN 1")).take(0), 1);  // still usable
}

TEST_P(SdkSurfaceTest, RelateAndEnforcedRelations) {
  Database db = connect();
  get(db.create(RecordId("person", "a")));
  get(db.create(RecordId("post", 1)));
  Value edge = get(db.relate(RecordId("person", "a"), "wrote", RecordId("post", 1),
                             Object{{"at", 2024}}));
  ASSERT_TRUE(edge.is_object()) << edge.to_string();
  EXPECT_EQ(edge["in"], RecordId("person", "a"));
  EXPECT_EQ(edge["out"], RecordId("post", 1));
  EXPECT_EQ(edge["at"], 2024);
  // An edge name is a table name, never SurrealQL: a hostile one is just a
  // (strange) table name.
  Value odd = get(db.relate(RecordId("person", "a"), "x; REMOVE TABLE person",
                            RecordId("post", 1)));
  EXPECT_EQ(odd["id"].get<RecordId>().table(), "x; REMOVE TABLE person");
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM person)")).take(0), 1);

  get(db.query("DEFINE TABLE likes TYPE RELATION FROM person TO post ENFORCED"));
  EXPECT_THROW(get(db.relate(RecordId("person", "a"), "likes", RecordId("post", 404))),
               QueryException);
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM likes)")).take(0), 0);
  get(db.relate(RecordId("person", "a"), "likes", RecordId("post", 1)));
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM likes)")).take(0), 1);
}

TEST_P(SdkSurfaceTest, RunCallsBuiltInAndDefinedFunctions) {
  Database db = connect();
  EXPECT_EQ(get(db.run("string::len", {"hello"})), 5);
  EXPECT_EQ(get(db.run("math::max", {Array{3, 9, 4}})), 9);
  get(db.query("DEFINE FUNCTION fn::greet($name: string) { RETURN 'Hello, ' + $name; }"));
  EXPECT_EQ(get(db.run("fn::greet", {"Ann"})), "Hello, Ann");
  EXPECT_THROW(get(db.run("fn::missing")), QueryException);
  EXPECT_THROW(get(db.run("no_such::function", {1})), QueryException);
  EXPECT_EQ(get(db.run("string::len", {"ok"})), 2);  // still usable
}

TEST_P(SdkSurfaceTest, RunTakesItsArgumentsAndAnswersAsGiven) {
  Database db = connect();
  // One argument that is an array stays one argument...
  EXPECT_EQ(get(db.run("array::len", {Array{7}})), 1);
  EXPECT_EQ(get(db.run("array::len", {Array{7, 8, 9}})), 3);
  // ... and a result that is an array of one stays an array.
  EXPECT_EQ(get(db.run("array::flatten", {Array{Array{1}}})), Value(Array{1}));
  EXPECT_EQ(get(db.run("array::flatten", {Array{Array{1, 2}}})), Value(Array{1, 2}));
}

TEST_P(SdkSurfaceTest, SelectOfOneRecordIdIsAnOptional) {
  Database db = connect();
  EXPECT_FALSE(get(db.select<Person>(RecordId("person", "ann"))).has_value());
  (void)get(db.create(RecordId("person", "ann"), Object{{"name", "Ann"}}));
  const std::optional<Person> ann = get(db.select<Person>(RecordId("person", "ann")));
  ASSERT_TRUE(ann);
  EXPECT_EQ(ann->name, "Ann");
  // Text is a Resource: a vector, as before.
  EXPECT_EQ(get(db.select<Person>("person:ann")).size(), 1u);
}

TEST_P(SdkSurfaceTest, RemoveAnswersWhatItRemoved) {
  Database db = connect();
  (void)get(db.create(RecordId("item", 1), Object{{"n", 1}}));
  (void)get(db.create(RecordId("item", 2), Object{{"n", 2}}));
  (void)get(db.create(RecordId("item", 3), Object{{"n", 3}}));
  const Value one = get(db.remove(RecordId("item", 1)));
  EXPECT_EQ(one["n"], 1) << one.to_string();
  EXPECT_EQ(one["id"], RecordId("item", 1));
  EXPECT_TRUE(get(db.remove(RecordId("item", 1))).is_none());  // gone already
  const Value rest = get(db.remove("item"));
  ASSERT_TRUE(rest.is_array()) << rest.to_string();
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_TRUE(get(db.select("item")).as_array().empty());
}

TEST_P(SdkSurfaceTest, AValueHoldingARecordIdTableOrTextIsAResource) {
  Database db = connect();
  const Value created = get(db.create("person", Object{{"name", "Ann"}}));
  // What a call answered is the next call's target.
  EXPECT_EQ(get(db.select(created["id"]))["name"], "Ann");
  EXPECT_EQ(get(db.select(Value(Table{"person"}))).size(), 1u);
  EXPECT_EQ(get(db.select(Value("person"))).size(), 1u);
  EXPECT_THROW(Resource{Value(42)}, TypeError);
  EXPECT_THROW(Resource{Value()}, TypeError);
  const char* null_text = nullptr;
  EXPECT_THROW(Resource{null_text}, std::invalid_argument);
}

TEST_P(SdkSurfaceTest, VersionAndHealth) {
  Database db = connect();
  EXPECT_EQ(get(db.version()), "3.3.5");  // the engine this library pins
  EXPECT_NO_THROW(get(db.health()));
  get(db.close());
  EXPECT_THROW(get(db.health()), ConnectionException);
}

TEST_P(SdkSurfaceTest, ParametersBelongToTheirSession) {
  Database db = connect();
  get(db.set("limit", 3));
  get(db.set("who", RecordId("person", "x")));
  EXPECT_EQ(get(db.query("RETURN [$limit, $who]")).take(0),
            (Array{3, RecordId("person", "x")}));
  Database other = fresh_session(db);
  get(other.use_namespace("test"));
  get(other.use_database("test"));
  EXPECT_TRUE(get(other.query("RETURN $limit")).take(0).is_none());
  get(db.unset("limit"));
  EXPECT_TRUE(get(db.query("RETURN $limit")).take(0).is_none());
  EXPECT_EQ(get(db.query("RETURN $who")).take(0), RecordId("person", "x"));
}

TEST_P(SdkSurfaceTest, SessionsAreIndependentAndShareTheDatastore) {
  Database first = connect();
  Database second = fresh_session(first);
  // A fresh session: no namespace or database yet.
  EXPECT_EQ(get(second.query("RETURN [session::ns(), session::db()]")).take(0),
            (Array{Value(), Value()}));
  get(second.use_namespace("other"));
  get(second.use_database("other"));
  get(second.create(RecordId("thing", 1)));
  get(first.create(RecordId("thing", 2)));
  EXPECT_EQ(get(first.select("thing")).size(), 1u);
  EXPECT_EQ(get(first.query("RETURN session::ns()")).take(0), "test");
  // The same datastore: the first session sees the other namespace's record there.
  EXPECT_EQ(get(first.query("USE NS other DB other; SELECT VALUE id FROM thing")).take(1),
            (Array{RecordId("thing", 1)}));
  // Closing one session leaves the datastore open for the other.
  get(first.close());
  EXPECT_EQ(get(second.select(RecordId("thing", 1)))["id"], RecordId("thing", 1));
  get(second.close());
  if (durable()) {
    // The last session closed the datastore: the directory opens again at once.
    Database again = connect();
    EXPECT_EQ(get(again.query("USE NS other DB other; SELECT VALUE id FROM thing")).take(1),
              (Array{RecordId("thing", 1)}));
  }
}

TEST_P(SdkSurfaceTest, RootCredentialsEnforceAuthentication) {
  Database db = connect_secured();
  get(db.create(RecordId("secret", 1), Object{{"v", 1}}));
  Database guest = get(db.new_session());
  get(guest.use_namespace("test"));
  get(guest.use_database("test"));
  // Unauthenticated: refused, whatever the call.
  EXPECT_THROW(get(guest.select("secret")), AuthenticationException);
  EXPECT_THROW(get(guest.query("SELECT * FROM secret")), AuthenticationException);

  const std::string message =
      failure_of<AuthenticationException>(guest.signin(auth::Root{"root", "wrong-password"}));
  EXPECT_EQ(message.find("wrong-password"), std::string::npos) << message;
  Tokens tokens = get(guest.signin(auth::Root{"root", "s3cret-root"}));
  EXPECT_FALSE(tokens.access.empty());
  EXPECT_EQ(get(guest.select("secret")).size(), 1u);
  get(guest.invalidate());
  EXPECT_THROW(get(guest.select("secret")), AuthenticationException);
}

TEST_P(SdkSurfaceTest, WrongRootCredentialsOnReopenFail) {
  if (!durable()) GTEST_SKIP() << "needs a datastore that persists";
  { Database db = connect_secured(); }
  ConnectOptions options;
  options.root = auth::Root{"root", "not-the-password"};
  options.ns = "test";
  options.db = "test";
  const std::string message =
      failure_of<AuthenticationException>(Database::connect(endpoint(), options));
  EXPECT_EQ(message.find("not-the-password"), std::string::npos) << message;
  Database again = connect_secured();  // the datastore was released
  EXPECT_NO_THROW(get(again.health()));
}

TEST_P(SdkSurfaceTest, NamespaceAndDatabaseUsers) {
  Database db = connect_secured();
  get(db.query("DEFINE USER nsadmin ON NAMESPACE PASSWORD 'ns-pass' ROLES OWNER;"
               "DEFINE USER reader ON DATABASE PASSWORD 'db-pass' ROLES VIEWER;"
               "CREATE note:1 SET text = 'hi'"));
  Database ns_session = get(db.new_session());
  EXPECT_FALSE(get(ns_session.signin(auth::Namespace{"test", "nsadmin", "ns-pass"})).access.empty());
  get(ns_session.use_database("test"));
  EXPECT_EQ(get(ns_session.select("note")).size(), 1u);
  EXPECT_THROW(get(ns_session.signin(auth::Namespace{"test", "nsadmin", "nope"})),
               AuthenticationException);

  Database db_session = get(db.new_session());
  get(db_session.signin(auth::Database{"test", "test", "reader", "db-pass"}));
  EXPECT_EQ(get(db_session.select("note")).size(), 1u);
  // A viewer may read but not write: the engine refuses, or creates nothing.
  try {
    Value made = get(db_session.create(RecordId("note", 2)));
    EXPECT_TRUE(made.is_none()) << made.to_string();
  } catch (const DatabaseException&) {
  }
  EXPECT_EQ(get(db.query("RETURN count(SELECT * FROM note)")).take(0), 1);
}

TEST_P(SdkSurfaceTest, RecordUsersSeeOnlyWhatPermissionsAllow) {
  Database db = connect_secured();
  get(db.query(R"(
    DEFINE ACCESS account ON DATABASE TYPE RECORD
      SIGNUP (CREATE user SET email = $email, pass = crypto::argon2::generate($pass))
      SIGNIN (SELECT * FROM user WHERE email = $email AND crypto::argon2::compare(pass, $pass))
      DURATION FOR TOKEN 15m, FOR SESSION 12h;
    DEFINE TABLE user SCHEMALESS PERMISSIONS FOR select WHERE id = $auth.id;
    DEFINE TABLE post SCHEMALESS PERMISSIONS
      FOR select, update, delete WHERE owner = $auth.id
      FOR create WHERE $auth.id != NONE;
  )"));

  Database ann = get(db.new_session());
  Tokens ann_tokens = get(ann.signup(auth::Record{
      "test", "test", "account", Object{{"email", "ann@example.com"}, {"pass", "ann-pass"}}}));
  EXPECT_FALSE(ann_tokens.access.empty());
  const std::string create_post = "CREATE post SET text = $text, owner = $auth.id";
  EXPECT_FALSE(get(ann.query(create_post, {{"text", "ann's"}})).has_errors());

  Database bob = get(db.new_session());
  get(bob.signup(auth::Record{"test", "test", "account",
                              Object{{"email", "bob@example.com"}, {"pass", "bob-pass"}}}));
  EXPECT_FALSE(get(bob.query(create_post, {{"text", "bob's"}})).has_errors());

  // Each sees only their own post; root sees both.
  Value bobs = get(bob.select("post"));
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_EQ(bobs[0]["text"], "bob's");
  EXPECT_EQ(get(db.select("post")).size(), 2u);

  // Signing in again, and with a token in a fresh session.
  Database again = get(db.new_session());
  const auth::Record wrong{"test", "test", "account",
                           Object{{"email", "ann@example.com"}, {"pass", "not-ann-pass"}}};
  const std::string message = failure_of<AuthenticationException>(again.signin(wrong));
  EXPECT_EQ(message.find("not-ann-pass"), std::string::npos) << message;
  EXPECT_THROW(get(again.signin(auth::Record{"test", "test", "no_such_access",
                                             Object{{"email", "x"}, {"pass", "y"}}})),
               AuthenticationException);
  get(again.authenticate(ann_tokens.access));
  get(again.use_namespace("test"));
  get(again.use_database("test"));
  Value anns = get(again.select("post"));
  ASSERT_EQ(anns.size(), 1u);
  EXPECT_EQ(anns[0]["text"], "ann's");

  Database forged = get(db.new_session());
  EXPECT_THROW(get(forged.authenticate("not.a.jwt")), AuthenticationException);
  std::string tampered = ann_tokens.access;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_THROW(get(forged.authenticate(tampered)), AuthenticationException);
  EXPECT_NO_THROW(get(forged.health()));  // still usable
}

TEST_P(SdkSurfaceTest, ARefreshTokenGivesNewTokens) {
  Database db = connect_secured();
  get(db.query(R"(
    DEFINE ACCESS account ON DATABASE TYPE RECORD
      SIGNUP (CREATE user SET email = $email, pass = crypto::argon2::generate($pass))
      SIGNIN (SELECT * FROM user WHERE email = $email AND crypto::argon2::compare(pass, $pass))
      WITH REFRESH
      DURATION FOR GRANT 1w, FOR TOKEN 15m, FOR SESSION 12h;
    DEFINE TABLE user SCHEMALESS PERMISSIONS FOR select WHERE id = $auth.id;
  )")).check();
  Database ann = get(db.new_session());
  const Tokens first = get(ann.signup(auth::Record{
      "test", "test", "account", Object{{"email", "ann@example.com"}, {"pass", "ann-pass"}}}));
  ASSERT_TRUE(first.refresh) << "WITH REFRESH issues a refresh token";

  // In a session signed out, the refresh token signs in again.
  Database later = get(db.new_session());
  const Tokens second = get(later.refresh(first));
  EXPECT_FALSE(second.access.empty());
  ASSERT_TRUE(second.refresh);
  EXPECT_NE(*second.refresh, *first.refresh);
  EXPECT_EQ(get(later.query("SELECT VALUE email FROM user")).check().take(0),
            Value(Array{"ann@example.com"}));
  // The refresh token used is revoked; the new one works.
  EXPECT_THROW(get(later.refresh(first)), AuthenticationException);
  EXPECT_NO_THROW(get(later.refresh(second)));
  // No refresh token: refused at once.
  EXPECT_THROW((void)later.refresh(Tokens{second.access, std::nullopt}), std::invalid_argument);
}

TEST_P(SdkSurfaceTest, ABearerKeySignsInAsItsUser) {
  // The server answers a bearer sign-in over HTTP with 401 Unauthorized
  // (tests/analysis/coverage_gaps.md); over WebSocket and embedded it works.
  if (http()) GTEST_SKIP() << "the server refuses a bearer sign-in over HTTP (401)";
  Database db = connect_secured();
  get(db.query("DEFINE USER reporter ON DATABASE PASSWORD 'unused-pass' ROLES VIEWER;"
               "DEFINE ACCESS api ON DATABASE TYPE BEARER FOR USER;"
               "CREATE note:1 SET text = 'hi'")).check();
  const Value grant = get(db.query("ACCESS api ON DATABASE GRANT FOR USER reporter")).check().take(0);
  const std::string key = grant["grant"]["key"].get<std::string>();

  Database api = get(db.new_session());
  const Tokens tokens = get(api.signin(auth::Bearer{"test", "test", "api", key}));
  EXPECT_FALSE(tokens.access.empty());
  EXPECT_EQ(get(api.select("note")).size(), 1u);  // the viewer reads
  EXPECT_THROW(get(api.signin(auth::Bearer{"test", "test", "api", key + "x"})),
               AuthenticationException);
}

TEST_P(SdkSurfaceTest, ExportThenImportIsIdentical) {
  // Export and import go over HTTP, not over WebSocket or gRPC.
  if (remote() && !http()) GTEST_SKIP() << "export and import go over HTTP, not WebSocket or gRPC";
  Database db = connect();
  get(db.query(R"(
    DEFINE TABLE person SCHEMAFULL;
    DEFINE FIELD name ON person TYPE string;
    DEFINE FIELD tags ON person TYPE set<string>;
    DEFINE INDEX person_name ON person FIELDS name UNIQUE;
    DEFINE FUNCTION fn::twice($x: number) { RETURN $x * 2; };
    DEFINE USER admin ON DATABASE PASSWORD 'admin-pass' ROLES OWNER;
    DEFINE PARAM $greeting VALUE 'hello';
    DEFINE ANALYZER words TOKENIZERS blank FILTERS lowercase;
  )"));
  get(db.create(RecordId("person", "ann"), Object{{"name", "Ann"}, {"tags", Set{"a", "b"}}}));
  const Object every_kind{
      {"none", Value()},
      {"null", nullptr},
      {"bool", true},
      {"int", -42},
      {"float", 1.5},
      {"decimal", Decimal("12345678901234567890.123456789")},
      {"string", "text with 'quotes' and ⟨brackets⟩"},
      {"bytes", Bytes{std::byte{0}, std::byte{1}, std::byte{255}}},
      {"duration", Duration(90, 5)},
      {"datetime", Value::parse("d'2024-02-29T12:34:56.123456789Z'")},
      {"uuid", Value::parse("u'0190c8a6-4f4e-7c9f-8f3e-2d1b0a9c8e7f'")},
      {"array", Array{1, "two", Array{3}}},
      {"object", Object{{"nested", Object{{"deep", 1}}}}},
      {"set", Set{1, 2, 3}},
      {"point", Value::parse("(1.5, -2.25)")},
      {"link", RecordId("person", "ann")},
      {"complex_id", RecordId("x", Array{1, "a"})},
  };
  get(db.create(RecordId("kinds", 1), every_kind));
  get(db.insert("many", Array{Object{{"n", 1}}, Object{{"n", 2}}, Object{{"n", 3}}}));
  get(db.relate(RecordId("person", "ann"), "knows", RecordId("kinds", 1)));

  const auto file = dir_.path() / "dump.surql";
  std::vector<std::uint64_t> progress;
  ExportOptions options;
  options.progress = [&](std::uint64_t bytes) { progress.push_back(bytes); };
  get(db.export_to(file, options));
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "dump.surql.partial"));
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), std::filesystem::file_size(file));

  ConnectOptions fresh_options;
  fresh_options.ns = "test";
  fresh_options.db = remote() ? "fresh" : "test";  // a server holds every database
  Database fresh = get(Database::connect(endpoint("fresh"), prepare(fresh_options)));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> reads;
  ImportOptions import_options;
  import_options.progress = [&](std::uint64_t done, std::uint64_t total) {
    reads.emplace_back(done, total);
  };
  get(fresh.import_from(file, import_options));
  ASSERT_GE(reads.size(), 2u);
  EXPECT_EQ(reads.front().first, 0u);
  EXPECT_EQ(reads.back().first, reads.back().second);
  EXPECT_EQ(reads.back().second, std::filesystem::file_size(file));

  for (const char* table : {"person", "kinds", "many", "knows"}) {
    EXPECT_EQ(get(fresh.select(table)), get(db.select(table))) << table;
  }
  EXPECT_EQ(get(fresh.query("INFO FOR DB")).take(0), get(db.query("INFO FOR DB")).take(0));
  EXPECT_EQ(get(fresh.run("fn::twice", {21})), 42);
  // Exporting the copy gives the same text.
  std::ostringstream original, copy;
  get(db.export_to(original));
  get(fresh.export_to(copy));
  EXPECT_EQ(copy.str(), original.str());
}

TEST_P(SdkSurfaceTest, ExportOptionsChooseWhatIsExported) {
  // Export and import go over HTTP, not over WebSocket or gRPC.
  if (remote() && !http()) GTEST_SKIP() << "export and import go over HTTP, not WebSocket or gRPC";
  Database db = connect();
  get(db.query("DEFINE FUNCTION fn::f() { RETURN 1; };"
               "CREATE a:1 SET v = 'alpha-record'; CREATE b:1 SET v = 'beta-record'"));
  std::string text;
  ExportOptions only_a;
  only_a.tables = std::vector<std::string>{"a"};
  only_a.functions = false;
  get(db.export_to([&](std::string_view chunk) { text += chunk; }, only_a));
  EXPECT_NE(text.find("alpha-record"), std::string::npos);
  EXPECT_EQ(text.find("beta-record"), std::string::npos);
  EXPECT_EQ(text.find("fn::f"), std::string::npos);

  text.clear();
  ExportOptions no_records;
  no_records.records = false;
  get(db.export_to([&](std::string_view chunk) { text += chunk; }, no_records));
  EXPECT_NE(text.find("fn::f"), std::string::npos);
  EXPECT_EQ(text.find("alpha-record"), std::string::npos);
}

TEST_P(SdkSurfaceTest, ExportAndImportFailuresAreClear) {
  // Export and import go over HTTP, not over WebSocket or gRPC.
  if (remote() && !http()) GTEST_SKIP() << "export and import go over HTTP, not WebSocket or gRPC";
  Database db = connect();
  get(db.create(RecordId("a", 1)));
  // A sink that throws stops the export with its own exception.
  struct Full : std::runtime_error {
    Full() : std::runtime_error("disk full (test)") {}
  };
  EXPECT_THROW(get(db.export_to([](std::string_view) { throw Full(); })), Full);
  // A file that cannot be written: the system's reason is kept.
  try {
    get(db.export_to(dir_.path() / "no" / "such" / "dir.surql"));
    ADD_FAILURE() << "exported into a directory that does not exist";
  } catch (const std::filesystem::filesystem_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory) << e.what();
  }
  const auto blocker = dir_.path() / "a-file";
  std::ofstream(blocker) << "x";
  try {
    get(db.export_to(blocker / "dump.surql"));  // a file where a directory should be
    ADD_FAILURE() << "exported below a file";
  } catch (const std::filesystem::filesystem_error& e) {
    EXPECT_EQ(e.code(), std::errc::not_a_directory) << e.what();
  }
  // Importing what is not there, or not SurrealQL.
  EXPECT_THROW(get(db.import_from(dir_.path() / "missing.surql")), DatabaseException);
  const auto garbage = dir_.path() / "garbage.surql";
  std::ofstream(garbage) << "THIS IS NOT SURREALQL (;";
  EXPECT_THROW(get(db.import_from(garbage)), DatabaseException);
  EXPECT_EQ(get(db.select("a")).size(), 1u);  // still usable

  // A progress callback that throws stops the import, which fails with its
  // exception, as an export's callbacks do.
  const auto dump = dir_.path() / "dump.surql";
  get(db.export_to(dump));
  get(db.query("REMOVE TABLE a")).check();  // so that an import would succeed
  ImportOptions throwing;
  int reports = 0;
  throwing.progress = [&](std::uint64_t, std::uint64_t) {
    ++reports;
    throw Full();
  };
  EXPECT_THROW(get(db.import_from(dump, throwing)), Full);
  EXPECT_EQ(reports, 1);  // the first report, before the import ran
  EXPECT_TRUE(get(db.select("a")).as_array().empty());  // nothing was imported
  EXPECT_NO_THROW(get(db.import_from(dump)));
  EXPECT_EQ(get(db.select("a")).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SdkSurfaceTest, test_support::every_backend_and_protocol(),
                         test_support::store_name);

}  // namespace
