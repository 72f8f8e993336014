// The consumer of tests/package: stores and reads back one record, and
// checks that the library it runs with is the version its headers say.
// Usage: consumer <expected version>; exits 0 when everything holds.
#include <surreal/surreal.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer <expected version>\n");
    return 2;
  }
  const std::string_view expected = argv[1];
  if (surreal::library_version() != expected || expected != SURREALCPP_VERSION_STRING) {
    std::fprintf(stderr, "version: library %s, headers %s, expected %s\n",
                 std::string(surreal::library_version()).c_str(), SURREALCPP_VERSION_STRING,
                 argv[1]);
    return 1;
  }
  try {
    auto db = surreal::Database::connect(surreal::StorageBackend::memory, std::nullopt, "app",
                                         "main")
                  .get();
    db.create(surreal::RecordId{"person", "ann"}, {{"name", "Ann"}, {"age", 31}}).get();
    const surreal::Value ann = db.select(surreal::RecordId{"person", "ann"}).get();
    if (ann["age"].get<std::int64_t>() != 31) {
      std::fprintf(stderr, "read back %s\n", ann.to_string().c_str());
      return 1;
    }
    const std::string engine = db.version().get();
    db.close().get();
    std::printf("surrealcpp %s with SurrealDB %s: read back %s\n",
                std::string(surreal::library_version()).c_str(), engine.c_str(),
                ann.to_string().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
