// The benchmark workloads of shared/BENCH_WORKLOAD.md (v3) through the public
// C++ API, materialising every result as a user would.
//
//   bench-cpp <mem|rocksdb|surrealkv> [W1,W2,...] [--scale F]
//   bench-cpp <ws|grpc>://HOST:PORT [R1,R3,R6,R7] [--scale F]
//
// Given a server's URL, it runs the remote workloads: R1, R3, R6 and R7 are
// W1, W3, W6 and W7 against the server, signed in as its root user
// (SURREAL_USER and SURREAL_PASS, root/root by default), in an emptied
// database `bench` of namespace `bench`; R3/R7's `person` records are created
// as W2 does and R6's `item` rows as W5 does, untimed and unreported.
//
// Each workload prints `<id> ops_per_s=<f> n=<n> engine=<e>` on stdout (W9
// adds ` p50_us=<f> p99_us=<f>`) and the process's peak resident memory so
// far as `<id> peak_rss_kb=<n>` on stderr. Every workload checks its results
// and the process exits with 1 on the first wrong one.
//
// Choices the spec leaves open, the same in bench-rust:
//   * W8: each transaction is begun, takes its 10 creates one at a time (each
//     awaited before the next), and is committed; afterwards, untimed, the
//     number of `txn` records must be 10 per transaction.
//   * W9: `DEFINE TABLE feed` first, untimed (SurrealDB 3 starts no live query
//     on a table that does not exist). The listener is the binding's push
//     path, started before the writer: here LiveQuery::listen()'s callback,
//     in bench-rust a spawned task awaiting the live Stream. The writer
//     records, per record id, the time just before it sends that create; the
//     listener records, per record id, the time its notification is
//     delivered to it (the payload stays the spec's). Each notification must
//     be a create of `feed:<i>`, i in [0, n), not seen before, with name
//     "user-<i>"; all n must arrive (at most 60 s after the last create).
//     Rate: n over the time from the first send to the last delivery.
//     Latency: delivery minus send per record, in µs; p50/p99 by nearest
//     rank (the ceil(q*n/100)-th smallest).
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <surreal/live.hpp>
#include <surreal/surreal.hpp>
#include <surreal/transaction.hpp>

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
  std::int64_t w1, w2, w3, w4, w5_rows, w5_batch, w6_rounds, w7_each, w8_txns, w9;
  /// Records per W8 transaction (not scaled).
  static constexpr std::int64_t w8_each = 10;

  static Sizes scaled(double scale) {
    const auto s = [scale](double n) {
      return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(n * scale)));
    };
    return {s(20'000), s(10'000), s(10'000), s(2'000), s(100'000),
            std::min<std::int64_t>(s(1'000), 1'000), 5, s(10'000), s(1'000), s(10'000)};
  }
};

double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

/// `extra` goes at the end of the stdout line (W9's latencies).
void report(const std::string& id, std::int64_t ops, double seconds, const std::string& engine,
            const std::string& extra = {}) {
  std::cout << id << " ops_per_s=" << std::fixed << static_cast<double>(ops) / seconds
            << " n=" << ops << " engine=" << engine << extra << std::endl;
  std::cerr << id << " peak_rss_kb=" << peak_rss_kb() << std::endl;
}

void report(const std::string& id, std::int64_t ops, Clock::time_point start,
            const std::string& engine) {
  report(id, ops, seconds_between(start, Clock::now()), engine);
}

/// The q-th percentile of ascending `sorted` by nearest rank: the
/// ceil(q*n/100)-th smallest, in integers (bench-rust the same).
double percentile(const std::vector<double>& sorted, std::size_t q) {
  const std::size_t rank = (q * sorted.size() + 99) / 100;
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void select_random(surreal::Database& db, std::uint64_t seed, std::int64_t count,
                   std::int64_t ids) {
  SplitMix64 random(seed);
  for (std::int64_t k = 0; k < count; ++k) {
    const surreal::Value record = db.select(surreal::RecordId{"person", random.below(ids)}).get();
    if (!record.is_object()) throw std::runtime_error("W3: a selected record is missing");
  }
}

/// The remote workloads (v3): each is the W workload of the same number, run
/// against a server.
const std::map<std::string, std::string> kRemote = {
    {"R1", "W1"}, {"R3", "W3"}, {"R6", "W6"}, {"R7", "W7"}};

/// The scheme of a server's URL (`ws`, `grpc`), or empty for an engine name.
std::string remote_scheme(const std::string& engine) {
  const auto end = engine.find("://");
  return end == std::string::npos ? std::string() : engine.substr(0, end);
}

std::string environment_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

/// Opens a server's emptied `bench` database, signed in as its root user.
surreal::Database connect_server(const std::string& url) {
  surreal::Database db = surreal::Database::connect(url).get();
  db.signin(surreal::auth::Root{environment_or("SURREAL_USER", "root"),
                                environment_or("SURREAL_PASS", "root")})
      .get();
  // A server keeps its data between runs: each starts from an empty
  // database, as an embedded one does.
  db.query(
        "DEFINE NAMESPACE IF NOT EXISTS bench; USE NS bench; "
        "REMOVE DATABASE IF EXISTS bench; DEFINE DATABASE bench;")
      .get()
      .check();
  db.use_namespace("bench").get();
  db.use_database("bench").get();
  return db;
}

void run_workloads(surreal::Database& db, const std::string& engine,
                   const std::set<std::string>& workloads, const Sizes& sizes,
                   const std::map<std::string, std::string>& remote);

/// `workloads` holds W names; for a server, `reported` maps those it reports
/// to their R names (the others only make the rows the reported ones read).
void run(const std::string& engine, const std::set<std::string>& workloads, const Sizes& sizes,
         const std::map<std::string, std::string>& reported) {
  const std::string scheme = remote_scheme(engine);
  if (!scheme.empty()) {
    surreal::Database db = connect_server(engine);
    run_workloads(db, scheme, workloads, sizes, reported);
    return;
  }
  std::string dir;
  if (engine == "rocksdb" || engine == "surrealkv") {
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

  const auto backend = engine == "mem"       ? surreal::StorageBackend::memory
                       : engine == "rocksdb" ? surreal::StorageBackend::rocksdb
                                             : surreal::StorageBackend::surrealkv;
  const std::optional<std::string> path =
      dir.empty() ? std::nullopt : std::optional(dir + "/db");
  surreal::Database db = surreal::Database::connect(backend, path, "bench", "bench").get();
  run_workloads(db, engine, workloads, sizes, {});
}

void run_workloads(surreal::Database& db, const std::string& engine,
                   const std::set<std::string>& workloads, const Sizes& sizes,
                   const std::map<std::string, std::string>& remote) {
  const auto wants = [&](const char* id) { return workloads.count(id) > 0; };
  // A server's run reports its workloads under their R names, and not the
  // ones that only make rows.
  const auto report = [&](const std::string& id, std::int64_t ops, auto&&... rest) {
    if (remote.empty()) return ::report(id, ops, rest...);
    const auto name = remote.find(id);
    if (name != remote.end()) ::report(name->second, ops, rest...);
  };

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
  if (wants("W8")) {
    const auto start = Clock::now();
    for (std::int64_t k = 0; k < sizes.w8_txns; ++k) {
      surreal::Transaction tx = db.begin().get();
      for (std::int64_t j = 0; j < Sizes::w8_each; ++j) {
        const std::int64_t i = k * Sizes::w8_each + j;
        const surreal::Value created = tx.create(surreal::RecordId{"txn", i}, payload(i)).get();
        if (!created.is_object()) throw std::runtime_error("W8: create returned no record");
      }
      tx.commit().get();
    }
    const double seconds = seconds_between(start, Clock::now());
    const surreal::Value count = db.query("RETURN count(SELECT id FROM txn)").get().take(0);
    if (count != sizes.w8_txns * Sizes::w8_each) {
      throw std::runtime_error("W8: " + count.to_string() + " records committed, expected " +
                               std::to_string(sizes.w8_txns * Sizes::w8_each));
    }
    report("W8", sizes.w8_txns, seconds, engine);
  }
  if (wants("W9")) {
    const std::int64_t n = sizes.w9;
    db.query("DEFINE TABLE feed").get();
    // The listener's state, shared with its callback (which the engine's thread runs).
    struct Listener {
      std::mutex mutex;
      std::condition_variable arrived;
      std::int64_t received = 0;
      std::vector<std::optional<Clock::time_point>> delivered;  // by record key
      std::string failure;
    };
    auto listener = std::make_shared<Listener>();
    listener->delivered.resize(static_cast<std::size_t>(n));
    surreal::LiveQuery live = db.live("feed").get();
    live.listen([listener, n](surreal::Result<std::optional<surreal::Notification>> got) {
      const auto at = Clock::now();
      std::lock_guard lock(listener->mutex);
      if (!listener->failure.empty()) return;
      if (!got) {
        try {
          got.value();
        } catch (const std::exception& e) {
          listener->failure = std::string("W9: the live query failed: ") + e.what();
        }
      } else if (!*got) {
        if (listener->received < n) listener->failure = "W9: the live query ended early";
      } else {
        const surreal::Notification& note = **got;
        const auto* id = note.record.get_if<surreal::RecordId>();
        const auto* key = id && id->table() == "feed" ? id->key().get_if<std::int64_t>() : nullptr;
        const auto* name = note.data["name"].get_if<std::string>();
        if (note.action != surreal::Action::create || key == nullptr || *key < 0 || *key >= n ||
            listener->delivered[static_cast<std::size_t>(*key)] || name == nullptr ||
            *name != "user-" + std::to_string(*key)) {
          listener->failure = "W9: unexpected notification for " + note.record.to_string();
        } else {
          listener->delivered[static_cast<std::size_t>(*key)] = at;
          ++listener->received;
        }
      }
      listener->arrived.notify_all();
    });
    // The writer: each create's send time by record key, taken just before it is sent.
    std::vector<Clock::time_point> sent(static_cast<std::size_t>(n));
    const auto start = Clock::now();
    for (std::int64_t i = 0; i < n; ++i) {
      sent[static_cast<std::size_t>(i)] = Clock::now();
      const surreal::Value created = db.create(surreal::RecordId{"feed", i}, payload(i)).get();
      if (!created.is_object()) throw std::runtime_error("W9: create returned no record");
    }
    {
      std::unique_lock lock(listener->mutex);
      const bool done = listener->arrived.wait_for(lock, std::chrono::seconds(60), [&] {
        return listener->received == n || !listener->failure.empty();
      });
      if (!listener->failure.empty()) throw std::runtime_error(listener->failure);
      if (!done) {
        throw std::runtime_error("W9: " + std::to_string(listener->received) + " of " +
                                 std::to_string(n) + " notifications arrived");
      }
    }
    live.kill().get();
    std::vector<double> latencies;
    latencies.reserve(sent.size());
    Clock::time_point last = start;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const Clock::time_point delivered = *listener->delivered[i];
      last = std::max(last, delivered);
      latencies.push_back(std::chrono::duration<double, std::micro>(delivered - sent[i]).count());
    }
    std::sort(latencies.begin(), latencies.end());
    std::ostringstream extra;
    extra << std::fixed << std::setprecision(1) << " p50_us=" << percentile(latencies, 50)
          << " p99_us=" << percentile(latencies, 99);
    report("W9", n, seconds_between(start, last), engine, extra.str());
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
    const bool remote = !remote_scheme(engine).empty();
    if (workloads.empty()) {
      workloads = remote ? std::set<std::string>{"R1", "R3", "R6", "R7"}
                  : engine == "mem"
                      ? std::set<std::string>{"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"}
                      : std::set<std::string>{"W2", "W5", "W8"};
    }
    // A server's run takes the R names: internally each is its W workload,
    // and the ones that make its rows run too (W2 for R3/R7, W5 for R6).
    std::map<std::string, std::string> reported;
    if (remote) {
      std::set<std::string> local;
      for (const std::string& id : workloads) {
        const auto known = kRemote.find(id);
        if (known == kRemote.end()) {
          throw std::invalid_argument("unknown workload " + id + " for a server");
        }
        local.insert(known->second);
        reported[known->second] = id;
      }
      if (local.count("W3") > 0 || local.count("W7") > 0) local.insert("W2");
      if (local.count("W6") > 0) local.insert("W5");
      workloads = std::move(local);
    }
    for (const std::string& id : workloads) {
      if (id.size() != 2 || id[0] != 'W' || id[1] < '1' || id[1] > '9') {
        throw std::invalid_argument("unknown workload " + id);
      }
    }
    run(engine, workloads, Sizes::scaled(scale), reported);
  } catch (const std::exception& e) {
    std::cerr << "bench-cpp: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
