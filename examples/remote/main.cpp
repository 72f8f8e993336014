// A SurrealDB server: the same Database calls as for an embedded datastore,
// over WebSocket (ws://, wss://) or HTTP (http://, https://); only the
// endpoint and the credentials change. Over WebSocket, transactions and live
// queries too; over HTTP, export. Usage:
//
//   example_remote [URL [USER PASSWORD]]   (default: ws://127.0.0.1:8000 root root)
//
// It works in namespace "surrealcpp_examples", database "remote", and removes
// the table it uses. ctest starts a server for it (run_with_server.sh) and
// runs it over ws:// and http:// (example_remote).
#include <surreal/surreal.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using surreal::RecordId;

namespace {

struct Person {
  std::optional<RecordId> id;
  std::string name;
  std::int64_t age = 0;
};
SURREAL_DEFINE_TYPE(Person, id, name, age)

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

int run(const std::string& url, const std::string& user, const std::string& password) {
  surreal::ConnectOptions options;
  options.ns = "surrealcpp_examples";
  options.db = "remote";
  options.root = surreal::auth::Root{user, password};  // the server's own user
  options.timeout = 30s;                                // no call waits longer
  surreal::Database db = surreal::Database::connect(url, options).get();
  std::cout << url << ": SurrealDB " << db.version().get() << '\n';

  // Record calls and queries, exactly as embedded.
  db.query("REMOVE TABLE IF EXISTS person").get().take(0);  // from an earlier run
  db.create(RecordId{"person", "ann"}, Person{std::nullopt, "Ann", 31}).get();
  db.create(RecordId{"person", "bob"}, Person{std::nullopt, "Bob", 17}).get();
  db.merge(RecordId{"person", "bob"}, {{"age", 18}}).get();
  auto adults = db.query("SELECT * FROM person WHERE age >= $min ORDER BY name", {{"min", 18}})
                    .get()
                    .take<std::vector<Person>>(0);
  check(adults.size() == 2 && adults[1].name == "Bob" && adults[1].age == 18, "two adults");
  check(adults[0].id == RecordId{"person", "ann"}, "record ids survive the wire");

  if (url.starts_with("ws")) {
    // A transaction: nothing is visible outside until commit().
    surreal::Transaction tx = db.begin().get();
    tx.create(RecordId{"person", "cy"}, Person{std::nullopt, "Cy", 40}).get();
    check(db.select(RecordId{"person", "cy"}).get().is_none(), "not visible before commit");
    tx.commit().get();
    check(db.select<Person>(RecordId{"person", "cy"}).get().has_value(), "visible after commit");

    // A live query: the server pushes each change.
    surreal::LiveQuery live = db.live("person").get();
    db.merge(RecordId{"person", "ann"}, {{"age", 32}}).get();
    auto next = live.next();
    check(next.wait_for(10s) == std::future_status::ready, "a notification within 10 s");
    std::optional<surreal::Notification> changed = next.get();
    check(changed && changed->action == surreal::Action::update &&
              changed->record == RecordId{"person", "ann"} && changed->data["age"] == 32,
          "ann's update is notified");
    live.kill().get();
  } else {
    // Over HTTP: export (and import_from) are available; transactions and
    // live queries are not, and fail at once saying so.
    std::ostringstream dump;
    db.export_to(dump).get();
    check(dump.str().find("person:ann") != std::string::npos, "the export holds the records");
    try {
      db.begin().get();
      check(false, "no transactions over HTTP");
    } catch (const surreal::DatabaseException& e) {
      std::cout << "as expected: " << e.what() << '\n';
    }
  }

  // Wrong credentials are an AuthenticationException.
  surreal::ConnectOptions wrong = options;
  wrong.root->password = password + "-wrong";
  try {
    surreal::Database::connect(url, wrong).get();
    check(false, "wrong credentials are refused");
  } catch (const surreal::AuthenticationException&) {
  }
  db.query("REMOVE TABLE person").get().take(0);
  db.close().get();
  std::cout << url << ": all as expected\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:8000";
  const std::string user = argc > 2 ? argv[2] : "root";
  const std::string password = argc > 3 ? argv[3] : "root";
  try {
    return run(url, user, password);
  } catch (const std::exception& e) {
    std::cerr << "example_remote: " << e.what() << '\n';
    return 1;
  }
}
