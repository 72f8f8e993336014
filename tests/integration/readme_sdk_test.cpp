// The README's sections on the SDK's surface, compiled and run as a test.
// Each block between "README: <name> begins/ends" markers appears in
// README.md word for word, indentation aside: the ctest readme_blocks
// (cmake/CheckReadmeBlocks.cmake) fails when the two drift apart.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include <surreal/surreal.hpp>

#include "support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;

void record_verbs(std::ostream& out) {
  surreal::Database db = surreal::Database::connect("mem://", "app", "main").get();
  // --- README: verbs begins ---
  using surreal::RecordId;
  db.insert("person", surreal::Array{{{"name", "Ann"}}, {{"name", "Bob"}}}).get();
  db.upsert(RecordId{"person", "cy"}, {{"name", "Cy"}, {"age", 40}}).get();
  db.merge(RecordId{"person", "cy"}, {{"city", "Oslo"}}).get();  // keeps name and age
  db.patch(RecordId{"person", "cy"}, {surreal::PatchOp::replace("/age", 41),
                                       surreal::PatchOp::remove("/city")}).get();
  db.relate(RecordId{"person", "cy"}, "follows", RecordId{"person", "ann"}).get();

  surreal::Value n = db.run("string::len", {"surreal"}).get();  // 7
  std::string engine = db.version().get();                       // "3.3.5"
  // --- README: verbs ends ---
  out << n.to_string() << ' ' << engine << '\n';
}

void authentication(std::ostream& out) {
  // --- README: auth begins ---
  // Root credentials: the datastore enforces authentication, and this
  // Database signs in as root.
  surreal::ConnectOptions options;
  options.ns = "app";
  options.db = "main";
  options.root = surreal::auth::Root{"root", "change-me"};
  options.capabilities.allow_net = false;
  options.query_timeout = 5s;
  surreal::Database admin = surreal::Database::connect("mem://", options).get();
  admin.query(R"(
    DEFINE ACCESS account ON DATABASE TYPE RECORD
      SIGNUP (CREATE user SET name = $name, pass = crypto::argon2::generate($pass))
      SIGNIN (SELECT * FROM user WHERE name = $name AND crypto::argon2::compare(pass, $pass));
    DEFINE TABLE note PERMISSIONS FOR select WHERE owner = $auth FOR create WHERE $auth != NONE;
  )").get();

  // A session of its own over the same datastore: signed out until it signs in.
  surreal::Database ann = admin.new_session().get();
  surreal::Tokens tokens =
      ann.signup(surreal::auth::Record{"app", "main", "account",
                                       {{"name", "ann"}, {"pass", "ann's secret"}}})
          .get();
  ann.set("me", "Ann").get();  // $me, for this session's queries only
  ann.query("CREATE note SET text = 'mine', by = $me, owner = $auth").get();

  // Later, elsewhere: the token is enough.
  surreal::Database again = admin.new_session().get();
  again.authenticate(tokens.access).get();
  // --- README: auth ends ---
  again.use_namespace("app").get();
  again.use_database("main").get();
  out << again.select("note").get().size() << '\n';
}

void export_import(std::ostream& out, const std::filesystem::path& dir) {
  surreal::Database db = surreal::Database::connect("mem://", "app", "main").get();
  db.create("person", {{"name", "Ann"}}).get();
  const auto path = dir / "backup.surql";
  // --- README: export begins ---
  surreal::ExportOptions what;
  what.tables = std::vector<std::string>{"person"};  // definitions and records of these
  std::uint64_t written = 0;
  what.progress = [&written](std::uint64_t bytes) { written = bytes; };
  db.export_to(path, what).get();                    // or a std::ostream, or a callback

  surreal::Database copy = surreal::Database::connect("mem://", "app", "main").get();
  surreal::ImportOptions how;
  double percent = 0;
  how.progress = [&percent](std::uint64_t done, std::uint64_t total) {
    percent = 100.0 * static_cast<double>(done) / static_cast<double>(total);
  };
  copy.import_from(path, how).get();
  // --- README: export ends ---
  out << copy.select("person").get().size() << ' ' << (written > 0) << ' ' << percent << '\n';
}

void transfer(std::ostream& out) {
  surreal::Database db = surreal::Database::connect("mem://", "app", "main").get();
  db.create(surreal::RecordId{"account", "a"}, {{"balance", 100}}).get();
  db.create(surreal::RecordId{"account", "b"}, {{"balance", 0}}).get();
  // --- README: transaction begins ---
  using surreal::RecordId;
  // Runs the body in a transaction and commits it, both writes or neither;
  // when another transaction wrote these accounts first, runs it all again.
  db.with_transaction([&](surreal::Transaction& tx) -> surreal::Future<void> {
      surreal::Value a = co_await tx.select(RecordId{"account", "a"});
      surreal::Value b = co_await tx.select(RecordId{"account", "b"});
      const auto from = a["balance"].get<std::int64_t>();
      const auto to = b["balance"].get<std::int64_t>();
      if (from < 30) co_return;  // nothing written: nothing committed
      surreal::Object debit{{"balance", from - 30}}, credit{{"balance", to + 30}};
      auto first = tx.merge(RecordId{"account", "a"}, std::move(debit));  // in order, no wait
      co_await tx.merge(RecordId{"account", "b"}, std::move(credit));
    }).get();
  // --- README: transaction ends ---
  out << db.select(RecordId{"account", "b"}).get()["balance"].to_string() << '\n';
}

void live(std::ostream& out) {
  surreal::Database db = surreal::Database::connect("mem://", "app", "main").get();
  db.query("DEFINE TABLE person").get();
  // --- README: live begins ---
  // SurrealDB 3 watches tables that exist: DEFINE TABLE person first.
  surreal::LiveQuery adults =
      db.live_query("LIVE SELECT * FROM person WHERE age >= $min", {{"min", 18}}).get();
  db.create("person", {{"name", "Ann"}, {"age", 30}}).get();

  std::optional<surreal::Notification> n = adults.next().get();  // or co_await
  // n->action == surreal::Action::create, n->record the id, n->data the record
  adults.kill().get();  // or let it go out of scope
  // --- README: live ends ---
  out << (n && n->action == surreal::Action::create) << ' ' << n->data["name"].to_string()
      << '\n';
}

TEST(ReadmeSdk, RecordVerbs) {
  std::ostringstream out;
  record_verbs(out);
  EXPECT_EQ(out.str(), "7 3.3.5\n");
}

TEST(ReadmeSdk, Authentication) {
  std::ostringstream out;
  authentication(out);
  EXPECT_EQ(out.str(), "1\n");
}

TEST(ReadmeSdk, ExportImport) {
  surreal::test_support::TempDir dir;
  std::ostringstream out;
  export_import(out, dir.path());
  EXPECT_EQ(out.str(), "1 1 100\n");
}

TEST(ReadmeSdk, Transaction) {
  std::ostringstream out;
  transfer(out);
  EXPECT_EQ(out.str(), "30\n");
}

TEST(ReadmeSdk, LiveQuery) {
  std::ostringstream out;
  live(out);
  EXPECT_EQ(out.str(), "1 'Ann'\n");
}

}  // namespace
