// libFuzzer target over the C ABI: arbitrary query text, bindings JSON, data
// JSON and resource strings, and arbitrary CBOR values as bindings, resources
// and record content, against one in-memory database. It checks the
// ABI's contract, not just for crashes: a NULL result always comes with an
// error code and text, a response always renders, and the database still
// answers afterwards.
//
// Input layout: byte 0 picks the operation; for the text functions the rest is
// split at '\x1f' into up to three string fields (NUL bytes end a C string
// early, as they would), for the CBOR ones it is passed whole, as an item of
// the params array. For surreal_db_execute, byte 1 picks the method and the
// rest is its arguments' CBOR.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "surreal_core.h"

namespace {

SurrealDatabase* database() {
  static SurrealDatabase* db = [] {
    SurrealDatabase* created = surreal_db_new("mem://");
    if (created == nullptr || surreal_db_connect(created) != SURREAL_OK ||
        surreal_db_use_ns(created, "fuzz") != SURREAL_OK ||
        surreal_db_use_db(created, "fuzz") != SURREAL_OK) {
      std::abort();
    }
    return created;
  }();
  return db;
}

/// surreal_db_execute, blocking: the response, or NULL on error.
SurrealResponse* execute(SurrealDatabase* db, const std::uint8_t* txn, const char* method,
                         const std::vector<std::uint8_t>& params) {
  SurrealResponse* response = nullptr;
  surreal_db_execute(db, txn, method, params.data(), params.size(), nullptr, nullptr, &response,
                     nullptr, nullptr);
  return response;
}

/// surreal_db_execute's methods but import and export: a fuzzed path could
/// name a file that never ends (/dev/zero), and export needs a stream (as
/// live and live_query do: without one they are refused).
constexpr const char* kMethods[] = {
    "query",  "select", "create", "insert",  "insert_relation", "upsert",
    "update", "merge",  "patch",  "delete",  "relate",          "run",
    "version", "health", "signin", "signup", "authenticate",    "invalidate",
    "set",    "unset",  "refresh", "begin", "commit", "cancel",  "live",
    "live_query", "kill", "no_such_method"};

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "contract violated: %s\n", what);
    std::abort();
  }
}

void check_response(SurrealResponse* response) {
  if (response == nullptr) {
    require(surreal_get_last_error_code() < 0, "NULL response without an error code");
    char* message = surreal_get_last_error();
    require(message != nullptr, "NULL response without an error message");
    surreal_free_string(message);
    return;
  }
  char* results = surreal_response_get_results(response);
  require(results != nullptr, "a response that cannot render its results");
  surreal_free_string(results);
  const int has_errors = surreal_response_has_errors(response);
  require(has_errors == 0 || has_errors == 1, "has_errors is not 0 or 1");
  char* errors = surreal_response_get_errors(response);
  require(errors != nullptr, "a response that cannot render its errors");
  surreal_free_string(errors);
  surreal_response_free(response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> fields(3);
  std::size_t field = 0;
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == 0x1f && field < 2) {
      ++field;
    } else {
      fields[field].push_back(static_cast<char>(data[i]));
    }
  }
  const char* a = fields[0].c_str();
  const char* b = fields[1].c_str();
  SurrealDatabase* db = database();
  // The CBOR entry points take the bytes after the first as they are.
  const std::uint8_t* bytes = data + 1;
  const std::size_t len = size - 1;
  switch (data[0] % 11) {
    case 0:
      check_response(surreal_db_query(db, a, nullptr));
      break;
    case 1:
      check_response(surreal_db_query(db, a, b));
      break;
    case 2:
      check_response(surreal_db_create(db, a, b));
      break;
    case 3:
      check_response(surreal_db_select(db, a));
      break;
    case 4:
      check_response(surreal_db_update(db, a, b));
      break;
    case 5:
      check_response(surreal_db_delete(db, a));
      break;
    case 6: {  // query ["RETURN $v", <the bytes as they are>]
      std::vector<std::uint8_t> params{0x82, 0x69};
      const std::string sql = "RETURN $v";
      params.insert(params.end(), sql.begin(), sql.end());
      params.insert(params.end(), bytes, bytes + len);
      check_response(execute(db, nullptr, "query", params));
      break;
    }
    case 7: {  // select [<the bytes>]
      std::vector<std::uint8_t> params{0x81};
      params.insert(params.end(), bytes, bytes + len);
      check_response(execute(db, nullptr, "select", params));
      break;
    }
    case 8: {  // create [<the bytes>, <the bytes>]
      std::vector<std::uint8_t> params{0x82};
      params.insert(params.end(), bytes, bytes + len);
      params.insert(params.end(), bytes, bytes + len);
      check_response(execute(db, nullptr, "create", params));
      break;
    }
    case 9:
      if (len > 0) {
        const char* method = kMethods[bytes[0] % (sizeof kMethods / sizeof kMethods[0])];
        check_response(execute(db, nullptr, method, {bytes + 1, bytes + len}));
      }
      break;
    case 10:  // inside a transaction: a fuzzed id, method and arguments
      if (len > 16) {
        const char* method = kMethods[bytes[16] % (sizeof kMethods / sizeof kMethods[0])];
        check_response(execute(db, bytes, method, {bytes + 17, bytes + len}));
      }
      break;
  }
  // The database must still answer.
  SurrealResponse* alive = surreal_db_query(db, "RETURN 1", nullptr);
  require(alive != nullptr, "the database stopped answering");
  surreal_response_free(alive);
  return 0;
}
