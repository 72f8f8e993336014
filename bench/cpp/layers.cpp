// What one call costs in each layer, for the README's performance section:
// W1's "RETURN 1" per call and W6's "SELECT * FROM item" per row, measured
// layer by layer on the calling thread and then through surreal::Database;
// and how soon cancelled and timed-out calls stop.
//
//   bench-layers [--rows N]
//
// Prints one line per measurement: `<layer> <microseconds> us/<unit>`.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <surreal/surreal.hpp>

#include "ffi/cbor.hpp"
#include "ffi/native.hpp"
#include "ffi/results.hpp"
#include "workload.hpp"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using surreal::ffi::check;
using surreal::ffi::ResponseHandle;

/// Microseconds per unit of `body()` run `n` times.
template <typename Body>
double per(int n, Body&& body) {
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) body();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

void print(std::string_view layer, double micros, std::string_view unit) {
  std::printf("%-58.*s %8.2f us/%.*s\n", static_cast<int>(layer.size()), layer.data(), micros,
              static_cast<int>(unit.size()), unit.data());
}

ResponseHandle run(SurrealDatabase* db, const char* sql, const char* bindings = nullptr) {
  return ResponseHandle(check(surreal_db_query(db, sql, bindings)));
}

/// The generic call, as the worker makes it: a query and its bindings (NONE
/// for none) as the params array of surreal_db_execute.
ResponseHandle execute_query(SurrealDatabase* db, const char* sql, const surreal::Value& bindings,
                             const SurrealCancel* token) {
  const surreal::Value text(sql);
  std::vector<const surreal::Value*> items{&text};
  if (!bindings.is_none()) items.push_back(&bindings);
  std::vector<std::uint8_t> params;
  surreal::ffi::encode_array(items, params);
  SurrealResponse* response = nullptr;
  surreal::ffi::check(surreal_db_execute(db, nullptr, "query", params.data(), params.size(),
                                         nullptr, token, &response, nullptr, nullptr));
  return ResponseHandle(response);
}

void per_call(SurrealDatabase* db) {
  constexpr int kCalls = 20'000;
  per(kCalls, [&] { run(db, "RETURN 1"); });  // warm up
  print("W1 engine + C ABI, blocking, on the calling thread",
        per(kCalls, [&] { run(db, "RETURN 1"); }), "call");
  print("  + results as JSON text, parsed by nlohmann::json", per(kCalls, [&] {
          auto response = run(db, "RETURN 1");
          [[maybe_unused]] const json parsed = json::parse(surreal::ffi::take_string(check(surreal_response_get_results(response.get()))));
        }),
        "call");
  print("  + results taken as surreal::Values (CBOR)", per(kCalls, [&] {
          auto response = run(db, "RETURN 1");
          surreal::ffi::take_results(response.get());
        }),
        "call");
  print("  the CBOR call with a cancellation token, + Values (what get() runs)", per(kCalls, [&] {
          surreal::ffi::CancelHandle token(surreal_cancel_new());
          ResponseHandle response = execute_query(db, "RETURN 1", surreal::Value(), token.get());
          surreal::ffi::take_results(response.get());
        }),
        "call");
}

void per_call_through_database() {
  constexpr int kCalls = 20'000;
  auto db = surreal::Database::connect(surreal::StorageBackend::memory, std::nullopt, "bench",
                                       "bench")
                .get();
  per(kCalls, [&] { db.query("RETURN 1").get(); });  // warm up
  print("W1 through surreal::Database, get(): the caller runs it",
        per(kCalls, [&] { db.query("RETURN 1").get(); }), "call");
  print("  same, with a then() callback: the worker runs it", per(kCalls, [&] {
          db.query("RETURN 1").then([](surreal::Result<surreal::Response>) {}).wait();
        }),
        "call");
  print("  same, converted to std::future (the worker runs it)", per(kCalls, [&] {
          std::future<surreal::Response> plain = db.query("RETURN 1");
          plain.get();
        }),
        "call");
  db.close().get();
}

/// How soon a cancelled call, and a call whose deadline passes, fail, and
/// how soon the database answers again: the async-core issue's 50 ms goal.
void stopping() {
  using namespace std::chrono_literals;
  auto db = surreal::Database::connect("mem://", "bench", "bench").get();
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  auto next_answer = [&] {
    const auto start = Clock::now();
    db.query("RETURN 1").get();
    return ms(Clock::now() - start);
  };
  for (int round = 0; round < 3; ++round) {
    auto sleeping = db.query("SLEEP 10s");
    sleeping.wait_for(20ms);  // the worker runs it meanwhile
    const auto cancelled = Clock::now();
    sleeping.cancel();
    try {
      sleeping.get();
    } catch (const surreal::CancelledException&) {
    }
    const double failed = ms(Clock::now() - cancelled);
    std::printf("cancel: SLEEP 10s cancelled: fails after %.3f ms, next query answers in %.3f ms\n",
                failed, next_answer());

    surreal::CallOptions options;
    options.timeout = 50ms;
    const auto start = Clock::now();
    auto loop = db.query("FOR $i IN 0..100000000 { LET $x = $i * 2; }", {}, options);
    try {
      loop.get();
    } catch (const surreal::TimeoutException&) {
    }
    const double late = ms(Clock::now() - start) - 50.0;
    std::printf("timeout: 50 ms on a long loop: fails %.3f ms after the deadline, next query answers in %.3f ms\n",
                late, next_answer());
  }
  db.close().get();
}

void per_row(SurrealDatabase* db, int rows) {
  for (int start = 0; start < rows; start += 1000) {
    surreal::Array batch;
    for (int i = start; i < start + 1000 && i < rows; ++i) batch.emplace_back(bench::payload(i));
    const surreal::Value bindings(surreal::Object{{"rows", std::move(batch)}});
    execute_query(db, "INSERT INTO item $rows", bindings, nullptr);
  }
  // Each step is timed alone, best of three: what a step frees is freed
  // outside the timing, so no step pays for another's leftovers.
  constexpr int kRounds = 3;
  auto best = [&](auto&& step, auto&& reset) {
    double fastest = 1e300;
    for (int round = 0; round < kRounds; ++round) {
      reset();
      fastest = std::min(fastest, per(1, step));
    }
    return fastest / rows;
  };
  ResponseHandle response;
  print("W6 engine + C ABI: the query, blocking",
        best([&] { response = run(db, "SELECT * FROM item"); }, [&] { response.reset(); }),
        "row");
  std::string text;
  print("  results rendered as JSON text (Rust, serde_json)",
        best([&] {
          text = surreal::ffi::take_string(check(surreal_response_get_results(response.get())));
        }, [&] { std::string().swap(text); }),
        "row");
  json tree;
  print("  JSON text parsed by nlohmann::json::parse",
        best([&] { tree = json::parse(text); }, [&] { tree = nullptr; }), "row");
  print("  nlohmann::json tree destroyed", per(1, [&] { tree = nullptr; }) / rows, "row");
  std::string().swap(text);

  // What the worker does instead: the values cross as CBOR into surreal::Value.
  surreal::ffi::Buffer cbor;
  print("  results encoded as CBOR (Rust)",
        best([&] { check(surreal_response_cbor(response.get(), SURREAL_RESPONSE_RESULTS, &cbor.data, &cbor.len)); },
             [&] { cbor.reset(); }),
        "row");
  std::printf("  (CBOR: %.1f bytes/row)\n", static_cast<double>(cbor.len) / rows);
  surreal::Value values;
  print("  CBOR decoded into surreal::Value (C++, libcbor)",
        best([&] { values = surreal::ffi::decode_value(cbor.data, cbor.len); },
             [&] { values = surreal::Value(); }),
        "row");
  print("  surreal::Value tree destroyed", per(1, [&] { values = surreal::Value(); }) / rows, "row");
  cbor.reset();
  std::vector<surreal::Value> taken;
  print("  both at once, releasing the native rows (ffi::take_results)",
        per(1, [&] { taken = surreal::ffi::take_results(response.get()); }) / rows, "row");
  taken.clear();
  print("  native response freed (rows already moved out)",
        per(1, [&] { response.reset(); }) / rows, "row");
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 100'000;
  if (argc == 3 && std::string_view(argv[1]) == "--rows") rows = std::atoi(argv[2]);
  try {
    surreal::ffi::DatabaseHandle db(check(surreal_db_new("mem://")));
    check(surreal_db_connect(db.get()));
    check(surreal_db_use_ns(db.get(), "bench"));
    check(surreal_db_use_db(db.get(), "bench"));
    per_call(db.get());
    per_row(db.get(), rows);
    db.reset();
    per_call_through_database();
    stopping();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-layers: %s\n", e.what());
    return 1;
  }
  return 0;
}
