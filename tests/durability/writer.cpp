// Test helper for the crash-durability test: writes records to a RocksDB
// directory one at a time and prints each id as soon as its create() future
// has completed, i.e. once the write was acknowledged. Runs until killed or
// until `count` records are written. With "transactions", each write is a
// transaction of 10 records (batch:<i>_<0..9>, field `batch` = i), and "batch
// <i>" is printed once its commit() has completed.
//   durability_writer <rocksdb-dir> <count> [transactions]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <surreal/surreal.hpp>

int main(int argc, char** argv) {
  const bool transactions = argc == 4 && std::string(argv[3]) == "transactions";
  if (argc != 3 && !transactions) {
    std::fprintf(stderr, "usage: %s <rocksdb-dir> <count> [transactions]\n", argv[0]);
    return 2;
  }
  try {
    const long count = std::strtol(argv[2], nullptr, 10);
    auto db = surreal::Database::connect(surreal::StorageBackend::rocksdb, argv[1], "crash", "test")
                  .get();
    std::printf("ready\n");
    std::fflush(stdout);
    for (long i = 0; transactions && i < count; ++i) {
      surreal::Transaction tx = db.begin().get();
      for (int j = 0; j < 10; ++j) {
        (void)tx.create(surreal::RecordId("batch", std::to_string(i) + "_" + std::to_string(j)),
                  {{"batch", i}, {"payload", std::string(64, 'x')}});
      }
      tx.commit().get();
      std::printf("batch %ld\n", i);
      std::fflush(stdout);
    }
    for (long i = 0; !transactions && i < count; ++i) {
      const std::string id = "entry:" + std::to_string(i);
      db.create(id, {{"n", i}, {"payload", std::string(64, 'x')}}).get();
      std::printf("%s\n", id.c_str());
      std::fflush(stdout);
    }
    db.close().get();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
