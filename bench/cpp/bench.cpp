// The benchmark workloads of shared/BENCH_WORKLOAD.md through the public C++
// API, materialising every result as a user would.
//
//   bench-cpp <mem|rocksdb> [W1,W2,...] [--scale F]
//
// Each workload prints `<id> ops_per_s=<f> n=<n> engine=<e>` on stdout and the
// process's peak resident memory so far as `<id> peak_rss_kb=<n>` on stderr.
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <surreal/surreal.hpp>

#include "workload.hpp"

namespace {

using bench::payload;
using Clock = std::chrono::steady_clock;

/// SplitMix64: the same seeded sequence as the Rust harness.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::int64_t below(std::uint64_t n) { return static_cast<std::int64_t>(next() % n); }

 private:
  std::uint64_t state_;
};

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct Sizes {
  std::int64_t w1, w2, w3, w4, w5_rows, w5_batch, w6_rounds, w7_each;

  static Sizes scaled(double scale) {
    const auto s = [scale](double n) {
      return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(n * scale)));
    };
    return {s(20'000), s(10'000), s(10'000), s(2'000), s(100'000), std::min<std::int64_t>(s(1'000), 1'000),
            5, s(10'000)};
  }
};

void report(const std::string& id, std::int64_t ops, Clock::time_point start,
            const std::string& engine) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << id << " ops_per_s=" << std::fixed << static_cast<double>(ops) / seconds
            << " n=" << ops << " engine=" << engine << std::endl;
  std::cerr << id << " peak_rss_kb=" << peak_rss_kb() << std::endl;
}

void select_random(surreal::Database& db, std::uint64_t seed, std::int64_t count,
                   std::int64_t ids) {
  SplitMix64 random(seed);
  for (std::int64_t k = 0; k < count; ++k) {
    const surreal::Value record = db.select(surreal::RecordId{"person", random.below(ids)}).get();
    if (!record.is_object()) throw std::runtime_error("W3: a selected record is missing");
  }
}

void run(const std::string& engine, const std::set<std::string>& workloads, const Sizes& sizes) {
  std::string dir;
  if (engine == "rocksdb") {
    std::string pattern = (std::filesystem::temp_directory_path() / "bench-cpp-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
  } else if (engine != "mem") {
    throw std::invalid_argument("unsupported engine " + engine);
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ignored;
      if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{dir};

  const auto backend = engine == "mem" ? surreal::StorageBackend::memory
                                       : surreal::StorageBackend::rocksdb;
  const std::optional<std::string> path =
      dir.empty() ? std::nullopt : std::optional(dir + "/db");
  surreal::Database db = surreal::Database::connect(backend, path, "bench", "bench").get();
  const auto wants = [&](const char* id) { return workloads.count(id) > 0; };

  if (wants("W1")) {
    const auto start = Clock::now();
    for (std::int64_t k = 0; k < sizes.w1; ++k) {
      if (db.query("RETURN 1").get().take(0) != 1) throw std::runtime_error("W1: wrong result");
    }
    report("W1", sizes.w1, start, engine);
  }
  if (wants("W2")) {
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < sizes.w2; ++i) {
      const surreal::Value created = db.create(surreal::RecordId{"person", i}, payload(i)).get();
      if (!created.is_object()) throw std::runtime_error("W2: create returned no record");
    }
    report("W2", sizes.w2, start, engine);
  }
  if (wants("W3")) {
    const auto start = Clock::now();
    select_random(db, 42, sizes.w3, sizes.w2);
    report("W3", sizes.w3, start, engine);
  }
  if (wants("W4")) {
    const auto start = Clock::now();
    for (std::int64_t k = 0; k < sizes.w4; ++k) {
      const surreal::Value rows =
          db.query("SELECT * FROM person WHERE age > $min LIMIT 10", {{"min", k % 90}})
              .get()
              .take(0);
      if (!rows.is_array()) throw std::runtime_error("W4: no rows");
    }
    report("W4", sizes.w4, start, engine);
  }
  if (wants("W5")) {
    const auto start = Clock::now();
    for (std::int64_t inserted = 0; inserted < sizes.w5_rows;) {
      const std::int64_t batch = std::min(sizes.w5_batch, sizes.w5_rows - inserted);
      // Typed rows: objects of ints, floats, strings and arrays, as stored.
      surreal::Array rows;
      rows.reserve(static_cast<std::size_t>(batch));
      for (std::int64_t i = inserted; i < inserted + batch; ++i) rows.emplace_back(payload(i));
      const surreal::Value created =
          db.query("INSERT INTO item $rows", {{"rows", std::move(rows)}}).get().take(0);
      if (static_cast<std::int64_t>(created.size()) != batch) {
        throw std::runtime_error("W5: a batch came back with " + std::to_string(created.size()));
      }
      inserted += batch;
    }
    report("W5", sizes.w5_rows, start, engine);
  }
  if (wants("W6")) {
    const auto start = Clock::now();
    std::int64_t total = 0;
    for (std::int64_t round = 0; round < sizes.w6_rounds; ++round) {
      // Every row materialised as a surreal::Value (bench-rust: Vec<Value>).
      const surreal::Value rows = db.query("SELECT * FROM item").get().take(0);
      if (static_cast<std::int64_t>(rows.size()) != sizes.w5_rows) {
        throw std::runtime_error("W6: " + std::to_string(rows.size()) + " rows");
      }
      total += static_cast<std::int64_t>(rows.size());
    }
    report("W6", total, start, engine);
  }
  if (wants("W7")) {
    const auto start = Clock::now();
    std::vector<std::thread> callers;
    std::vector<std::exception_ptr> errors(4);
    for (int c = 0; c < 4; ++c) {
      callers.emplace_back([&, c] {
        try {
          select_random(db, 1001 + c, sizes.w7_each, sizes.w2);
        } catch (...) {
          errors[c] = std::current_exception();
        }
      });
    }
    for (auto& caller : callers) caller.join();
    for (auto& error : errors) {
      if (error) std::rethrow_exception(error);
    }
    report("W7", 4 * sizes.w7_each, start, engine);
  }
  db.close().get();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string engine = argc > 1 ? argv[1] : "mem";
    std::set<std::string> workloads;
    double scale = 1.0;
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--scale" && i + 1 < argc) {
        scale = std::stod(argv[++i]);
      } else {
        std::stringstream list(arg);
        for (std::string id; std::getline(list, id, ',');) workloads.insert(id);
      }
    }
    if (workloads.empty()) {
      workloads = engine == "mem" ? std::set<std::string>{"W1", "W2", "W3", "W4", "W5", "W6", "W7"}
                                  : std::set<std::string>{"W2", "W5"};
    }
    run(engine, workloads, Sizes::scaled(scale));
  } catch (const std::exception& e) {
    std::cerr << "bench-cpp: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
