// The usage example from README.md, compiled and run as a test. Keep the two
// in step: the README's block is the body of readme_example() below.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include <surreal/surreal.hpp>

namespace {

void readme_example(std::ostream& out) {
  // --- README example begins ---
  using surreal::Database;
  using surreal::StorageBackend;

  // Open an in-memory datastore in namespace "app", database "main".
  Database db = Database::connect(StorageBackend::memory, std::nullopt, "app", "main").get();

  // Records: create returns the record with its "table:id".
  nlohmann::json ann = db.create("person", {{"name", "Ann"}, {"age", 31}}).get();
  out << "created " << ann["id"].get<std::string>() << '\n';

  // Queries: user input goes in bindings, never in the SQL text.
  surreal::Response adults =
      db.query("SELECT VALUE name FROM person WHERE age >= $min", {{"min", 18}}).get();
  out << "adults: " << adults.take(0).dump() << '\n';

  try {
    db.query("SELEC oops").get();
  } catch (const surreal::QueryException& e) {
    out << "rejected: " << e.code() << '\n';
  }
  db.close().get();
  // --- README example ends ---
}

TEST(Readme, UsageExampleRuns) {
  std::ostringstream out;
  readme_example(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("created person:"), std::string::npos) << text;
  EXPECT_NE(text.find("adults: [\"Ann\"]"), std::string::npos) << text;
  EXPECT_NE(text.find("rejected: -3"), std::string::npos) << text;
}

}  // namespace
