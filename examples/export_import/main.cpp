// Export and import: a database exported as SurrealQL (definitions, then
// records) to a file, with progress, and to a string with only some tables;
// the file then imported into another datastore, which ends up with the same
// schema, records and functions. The file lives in a temporary directory
// removed at exit. Built and run by ctest (example_export_import).
#include <surreal/surreal.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using surreal::RecordId;

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

/// A fresh directory under the system's temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string name = (fs::temp_directory_path() / "surrealcpp-export-XXXXXX").string();
    if (mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = name;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

int run() {
  surreal::Database db = surreal::Database::connect("mem://", "shop", "main").get();
  surreal::Response schema = db.query(R"(
    DEFINE TABLE product SCHEMAFULL;
    DEFINE FIELD name ON product TYPE string;
    DEFINE FIELD price ON product TYPE decimal;
    DEFINE INDEX product_name ON product FIELDS name UNIQUE;
    DEFINE FUNCTION fn::with_tax($price: decimal) { RETURN $price * 1.25dec; };
  )").get();
  check(!schema.has_errors(), "the schema is defined");  // failed statements do not throw
  db.create(RecordId{"product", "pen"}, {{"name", "Pen"}, {"price", surreal::Decimal("2.00")}}).get();
  db.create(RecordId{"product", "ink"}, {{"name", "Ink"}, {"price", surreal::Decimal("6.40")}}).get();
  db.create(RecordId{"audit", 1}, {{"event", "opened"}}).get();

  // 1. The whole database to a file (written beside it as .partial, renamed when complete).
  TempDir dir;
  const fs::path file = dir.path / "shop.surql";
  std::uint64_t written = 0;
  surreal::ExportOptions everything;
  everything.progress = [&written](std::uint64_t bytes) { written = bytes; };
  db.export_to(file, everything).get();
  check(fs::exists(file) && fs::file_size(file) == written, "the file holds every byte reported");
  std::cout << "exported " << written << " bytes to " << file.string() << '\n';

  // 2. Some tables only, to a string (any std::ostream; or a callback per chunk).
  std::ostringstream text;
  surreal::ExportOptions products_only;
  products_only.tables = std::vector<std::string>{"product"};
  products_only.functions = false;
  db.export_to(text, products_only).get();
  const std::string dump = text.str();
  check(dump.find("DEFINE TABLE product") != std::string::npos, "the product table is there");
  check(dump.find("audit") == std::string::npos, "the audit table is not");
  check(dump.find("fn::with_tax") == std::string::npos, "nor the function");

  // 3. Import the file into another datastore.
  surreal::Database copy = surreal::Database::connect("mem://", "shop", "restored").get();
  std::uint64_t read = 0, total = 0;
  surreal::ImportOptions progress;
  progress.progress = [&](std::uint64_t done, std::uint64_t size) {
    read = done;
    total = size;
  };
  copy.import_from(file, progress).get();
  check(total == fs::file_size(file) && read == total, "import progress reached the end");

  check(copy.select("product").get() == db.select("product").get(), "the same products");
  check(copy.select(RecordId{"audit", 1}).get()["event"] == "opened", "and the audit record");
  check(copy.run("fn::with_tax", {surreal::Decimal("2.00")}).get() == surreal::Decimal("2.5"),
        "the function came along");
  // The schema came along too: the unique index refuses a second "Pen".
  try {
    copy.create("product", {{"name", "Pen"}, {"price", surreal::Decimal("1.00")}}).get();
    check(false, "the unique index was imported");
  } catch (const surreal::QueryException& e) {
    std::cout << "index enforced after import: " << e.what() << '\n';
  }
  copy.close().get();
  db.close().get();
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "example_export_import: " << e.what() << '\n';
    return 1;
  }
}
