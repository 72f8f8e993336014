/// @file
/// The one header to include: all of surrealcpp, embedded SurrealDB for
/// C++20 (but the Asio adapter, asio.hpp).
#pragma once

#include "surreal/auth.hpp"        // IWYU pragma: export
#include "surreal/database.hpp"    // IWYU pragma: export
#include "surreal/exceptions.hpp"  // IWYU pragma: export
#include "surreal/log.hpp"         // IWYU pragma: export
#include "surreal/resource.hpp"    // IWYU pragma: export
#include "surreal/value.hpp"       // IWYU pragma: export
#include "surreal/version.hpp"     // IWYU pragma: export

/// @mainpage surrealcpp API reference
///
/// Embedded SurrealDB for C++20: `#include <surreal/surreal.hpp>`. Start at
/// surreal::Database: Database::connect() opens a datastore, and each call
/// returns a surreal::Future. Values are surreal::Value; errors are the
/// exceptions of exceptions.hpp.
///
/// @par Errors
/// A Database call reports failure through its future: get() and `co_await`
/// rethrow it. So the exceptions listed for a call are what its future fails
/// with, unless they say "at once"; surreal::Database lists the failures any
/// call may have.
///
/// @par Threads
/// - Database, Transaction and LiveQuery: any thread may call their methods,
///   several at once; moving or destroying one must not race with calls on it.
/// - Future: one thread uses a given future; to cancel from another thread,
///   use a std::stop_token (CallOptions::stop).
/// - Callbacks (Future::then(), LiveQuery::listen(), the progress and sink
///   callbacks of export and import) run on whichever thread completes (or,
///   for export and import, runs) the call, often one of the library's: they
///   must not block.
/// - Value and the other value types: const access from many threads at
///   once; changing one needs the caller's own lock.

/// @namespace surreal
/// Everything surrealcpp declares. Names in surreal::detail, which some
/// signatures show, are the library's own and may change.
