#include "scenarios.hpp"

#include <chrono>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <stdlib.h>
#include <system_error>
#include <utility>
#include <vector>

#include <surreal/surreal.hpp>

namespace surreal::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const std::exception& e) {
  if (const auto* db_error = dynamic_cast<const DatabaseException*>(&e)) {
    return std::string(e.what()) + " (code " + std::to_string(db_error->code()) + ")";
  }
  return e.what();
}

/// Runs a scenario body, turning any exception into a failed result.
template <typename Body>
ScenarioResult guarded(std::ostream& out, Body&& body) {
  try {
    body();
    return {};
  } catch (const std::exception& e) {
    out << "  ! failed: " << describe(e) << '\n';
    return {false, describe(e)};
  }
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

/// A fresh directory, removed with its contents when this goes out of scope.
class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& parent) {
    std::string pattern = (parent / "surreal-cli-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "cannot create " + pattern);
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct BackendRun {
  std::string name;
  double connect_ms = 0;
  double create_ms = 0;
  double query_ms = 0;
  std::string persisted = "n/a";
  std::string outcome = "not run";
};

/// connect, create, query, close on one backend, timing each step.
void exercise(std::ostream& out, StorageBackend backend, const std::optional<std::string>& path,
              BackendRun& run) {
  auto start = Clock::now();
  Database db = Database::connect(backend, path, "test", "test").get();
  run.connect_ms = elapsed_ms(start);
  out << "  connected to " << to_endpoint(backend, path) << " in " << std::fixed
      << std::setprecision(2) << run.connect_ms << " ms\n";

  start = Clock::now();
  const Value created = db.create("product", Object{{"name", "Widget"}, {"price", 9.5}}).get();
  run.create_ms = elapsed_ms(start);
  out << "  created " << created.to_string() << '\n';

  start = Clock::now();
  Response found = db.query("SELECT name, price FROM product WHERE price < $limit",
                            {{"limit", 10}}).get();
  run.query_ms = elapsed_ms(start);
  out << "  queried products under 10: " << found.take(0).to_string() << '\n';

  db.close().get();
  out << "  closed\n";
  run.outcome = "ok";
}

}  // namespace

ScenarioResult connect_and_verify(std::ostream& out) {
  return guarded(out, [&] {
    out << "- Connecting to mem:// ...\n";
    Database db = Database::connect(StorageBackend::memory).get();
    out << "  status: connected\n";
    out << "- Using namespace 'test' and database 'test'\n";
    db.use_namespace("test").get();
    db.use_database("test").get();
    out << "- Running INFO FOR DB;\n";
    Response info = db.query("INFO FOR DB;").get();
    out << "  result: " << info.take(0).to_string() << '\n';
    db.close().get();
    out << "- Closed the connection\n";
  });
}

ScenarioResult crud_operations(std::ostream& out) {
  return guarded(out, [&] {
    out << "- Connecting to mem:// (namespace test, database test)\n";
    Database db = Database::connect(StorageBackend::memory, std::nullopt, "test", "test").get();

    out << "- Creating person {name: \"John\", age: 30}\n";
    const Value john = db.create("person", Object{{"name", "John"}, {"age", 30}}).get();
    out << "  created: " << john.to_string() << '\n';
    // The id is a record id, not text: it goes back to the database as it is.
    const RecordId id = john.at("id").get<RecordId>();

    out << "- Selecting all persons\n";
    for (const Value& person : db.select("person").get()) {
      out << "  found: " << person.to_string() << '\n';
    }

    out << "- Updating " << id.to_string() << " to age 31\n";
    const Value updated = db.update(id, Object{{"name", "John"}, {"age", 31}}).get();
    out << "  updated: " << updated.to_string() << '\n';

    out << "- Deleting " << id.to_string() << '\n';
    db.remove(id).get();
    const auto left = db.select("person").get();
    out << "  deleted; persons left: " << left.size() << '\n';
    db.close().get();
  });
}

ScenarioResult storage_comparison(std::ostream& out, const std::filesystem::path& scratch_parent) {
  BackendRun memory{"mem://"};
  BackendRun rocksdb{"rocksdb"};
  ScenarioResult result = guarded(out, [&] {
    out << "- In memory\n";
    exercise(out, StorageBackend::memory, std::nullopt, memory);

    ScratchDir scratch(scratch_parent);
    const std::string path = (scratch.path() / "data").string();
    out << "- RocksDB in " << path << '\n';
    rocksdb.outcome = "failed";
    exercise(out, StorageBackend::rocksdb, path, rocksdb);

    out << "- Reconnecting to the same RocksDB path\n";
    Database reopened = Database::connect(StorageBackend::rocksdb, path, "test", "test").get();
    const auto products = reopened.select("product").get();
    out << "  records found after reopening: " << products.size() << '\n';
    reopened.close().get();
    if (products.size() != 1) throw std::runtime_error("the record did not survive reopening");
    rocksdb.persisted = "yes";
    memory.persisted = "no (by design)";
    out << "- Removing " << scratch.path().string() << '\n';
  });
  if (memory.outcome != "ok") memory.outcome = "failed";

  out << "\n  Summary            " << std::left << std::setw(18) << memory.name << rocksdb.name
      << '\n';
  const auto row = [&](const std::string& label, const std::string& a, const std::string& b) {
    out << "  " << std::left << std::setw(19) << label << std::setw(18) << a << b << '\n';
  };
  const auto ms = [](double value) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(2) << value << " ms";
    return text.str();
  };
  row("connect", ms(memory.connect_ms), ms(rocksdb.connect_ms));
  row("create", ms(memory.create_ms), ms(rocksdb.create_ms));
  row("query", ms(memory.query_ms), ms(rocksdb.query_ms));
  row("survives reopen", memory.persisted, rocksdb.persisted);
  row("outcome", memory.outcome, rocksdb.outcome);
  return result;
}

}  // namespace surreal::cli
