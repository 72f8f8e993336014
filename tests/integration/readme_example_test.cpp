// The usage example from README.md, compiled and run as a test. Keep the two
// in step: the README's blocks are the Person struct and the body of
// readme_example() below.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <surreal/surreal.hpp>

namespace {

// --- README struct begins ---
struct Person {
  std::optional<surreal::RecordId> id;  // absent until the database gives one
  std::string name;
  std::int64_t age = 0;
};
SURREAL_DEFINE_TYPE(Person, id, name, age)
// --- README struct ends ---

void readme_example(std::ostream& out) {
  // --- README example begins ---
  using surreal::Database;
  using surreal::StorageBackend;

  // Open an in-memory datastore in namespace "app", database "main".
  Database db = Database::connect(StorageBackend::memory, std::nullopt, "app", "main").get();

  // Records are surreal::Values, with SurrealDB's kinds: the id is a record id.
  surreal::Value ann = db.create("person", {{"name", "Ann"}, {"age", 31}}).get();
  surreal::RecordId id = ann["id"].get<surreal::RecordId>();
  out << "created " << id.to_string() << '\n';

  // Plain structs convert both ways.
  db.create(surreal::RecordId{"person", "bob"}, Person{std::nullopt, "Bob", 17}).get();
  try {
    db.create(surreal::RecordId{"person", "bob"}, Person{std::nullopt, "Bob", 18}).get();
  } catch (const surreal::AlreadyExistsException& e) {  // SurrealDB's kind of error
    out << "exists: " << e.details()["details"]["id"].get<std::string>() << '\n';
  }
  for (const Person& person : db.select<Person>("person").get()) {
    out << person.name << " is " << person.age << '\n';
  }

  // Queries: user input goes in bindings, never in the SQL text.
  surreal::Response adults =
      db.query("SELECT VALUE name FROM person WHERE age >= $min", {{"min", 18}}).get();
  out << "adults: " << adults.take(0).to_string() << '\n';

  try {
    db.query("SELEC oops").get();
  } catch (const surreal::QueryException& e) {
    out << "rejected: " << e.code() << '\n';
  }
  // A statement that fails leaves the others' results: check() throws it.
  try {
    db.query("RETURN 1; THROW 'no stock'").get().check();
  } catch (const surreal::ThrownException& e) {
    out << "thrown: " << e.what() << '\n';
  }
  db.close().get();
  // --- README example ends ---
}

TEST(Readme, UsageExampleRuns) {
  std::ostringstream out;
  readme_example(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("created person:"), std::string::npos) << text;
  EXPECT_NE(text.find("Ann is 31\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Bob is 17\n"), std::string::npos) << text;
  EXPECT_NE(text.find("adults: ['Ann']"), std::string::npos) << text;
  EXPECT_NE(text.find("rejected: -3"), std::string::npos) << text;
  EXPECT_NE(text.find("exists: person:bob"), std::string::npos) << text;
  EXPECT_NE(text.find("thrown: statement 1 failed: no stock"), std::string::npos) << text;
}

}  // namespace
