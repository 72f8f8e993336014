// Where the parameterised suites run: the three datastores, and a SurrealDB
// server over WebSocket and gRPC (one server per test, so that every test
// starts from an empty store).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "support/get.hpp"
#include "support/temp_dir.hpp"
#include "surreal/database.hpp"

#ifdef SURREAL_TEST_SERVER_PATH
#include "support/server.hpp"
#endif

namespace surreal::test_support {

/// Where a test of a BackendTest suite runs: a datastore of one kind, or the
/// test server over one protocol.
struct Backend {
  std::optional<StorageBackend> store;  ///< none: the test server
  std::string protocol = "ws";          ///< the server's: "ws", "grpc" or "http"
};

inline void PrintTo(const Backend& backend, std::ostream* out);

/// Memory, RocksDB and SurrealKV, for a BackendTest.
inline auto every_backend() {
  return ::testing::Values(Backend{StorageBackend::memory}, Backend{StorageBackend::rocksdb},
                           Backend{StorageBackend::surrealkv});
}

/// Memory, RocksDB and SurrealKV, for a suite parameterised by StorageBackend.
inline auto every_storage_backend() {
  return ::testing::Values(StorageBackend::memory, StorageBackend::rocksdb,
                           StorageBackend::surrealkv);
}

inline std::string backend_label(StorageBackend backend) {
  switch (backend) {
    case StorageBackend::memory:
      return "Memory";
    case StorageBackend::rocksdb:
      return "RocksDb";
    case StorageBackend::surrealkv:
      return "SurrealKv";
  }
  return "Unknown";
}

/// The test-name suffix of a backend.
inline std::string backend_name(const ::testing::TestParamInfo<StorageBackend>& info) {
  return backend_label(info.param);
}

/// Whether its data outlives the Database (a directory on disk).
inline bool persists(StorageBackend backend) { return backend != StorageBackend::memory; }

/// Memory, RocksDB, SurrealKV and, where the test server is built in, the
/// server over WebSocket and over gRPC (the library's own RPC client carries
/// both, and whatever one carries the other does).
inline auto every_backend_and_server() {
  return ::testing::Values(Backend{StorageBackend::memory}, Backend{StorageBackend::rocksdb},
                           Backend{StorageBackend::surrealkv}
#ifdef SURREAL_TEST_SERVER_PATH
                           ,
                           Backend{std::nullopt, "ws"}, Backend{std::nullopt, "grpc"}
#endif
  );
}

/// every_backend_and_server(), and the server over HTTP too: for suites whose
/// tests say what HTTP lacks (transactions, live queries) and skip it.
inline auto every_backend_and_protocol() {
  return ::testing::Values(Backend{StorageBackend::memory}, Backend{StorageBackend::rocksdb},
                           Backend{StorageBackend::surrealkv}
#ifdef SURREAL_TEST_SERVER_PATH
                           ,
                           Backend{std::nullopt, "ws"}, Backend{std::nullopt, "grpc"},
                           Backend{std::nullopt, "http"}
#endif
  );
}

inline std::string backend_label(const Backend& backend) {
  if (backend.store) return backend_label(*backend.store);
  if (backend.protocol == "ws") return "Server";
  return backend.protocol == "grpc" ? "ServerGrpc" : "ServerHttp";
}

inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend_label(backend); }

/// The test-name suffix of a backend or the server.
inline std::string store_name(const ::testing::TestParamInfo<Backend>& info) {
  return backend_label(info.param);
}

/// A suite parameterised over every_backend_and_server().
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  /// Whether the test runs against the server.
  bool remote() const { return !GetParam().store; }
  /// Whether the test runs against the server over HTTP.
  bool http() const { return remote() && GetParam().protocol == "http"; }
  /// Whether its data outlives the Database (on disk, or on the server).
  bool durable() const { return remote() || persists(*GetParam().store); }

  /// The endpoint of the test's store; `name` picks one of several
  /// datastores on disk (one server holds one store for all names).
  std::string endpoint(const std::string& name = "db") {
    if (const auto store = GetParam().store) {
      if (*store == StorageBackend::memory) return "mem://";
      return to_endpoint(*store, dir_ / name);
    }
#ifdef SURREAL_TEST_SERVER_PATH
    if (!server_) server_ = std::make_unique<TestServer>();
    return server_->url(GetParam().protocol);
#else
    throw std::logic_error("built without the test server");
#endif
  }

  /// `options` with what connecting to the store needs: for the server,
  /// its root credentials when the test gives none.
  ConnectOptions prepare(ConnectOptions options) {
#ifdef SURREAL_TEST_SERVER_PATH
    if (remote() && !options.root) options.root = auth::Root{TestServer::user, TestServer::pass};
#endif
    return options;
  }

  /// A new session of `db` (Database::new_session). On the server it is
  /// signed in as root: a server's new session starts signed out.
  Database fresh_session(Database& db) {
    Database other = get(db.new_session());
#ifdef SURREAL_TEST_SERVER_PATH
    if (remote()) get(other.signin(auth::Root{TestServer::user, TestServer::pass}));
#endif
    return other;
  }

  TempDir dir_;
#ifdef SURREAL_TEST_SERVER_PATH
  std::unique_ptr<TestServer> server_;
#endif
};

}  // namespace surreal::test_support
