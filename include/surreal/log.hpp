/// @file
/// SurrealDB's log: the engine's `tracing` events, delivered to a handler
/// the application installs.
#pragma once

#include <functional>
#include <string_view>

namespace surreal {

/// How severe a log event is, from the least to the most.
enum class LogLevel { trace, debug, info, warn, error };

/// Receives one engine event: its level, its target (the module that
/// emitted it, e.g. "surrealdb::core::kvs::ds") and its message, the
/// event's other fields after it as ` name=value`. Both views are valid
/// during the call only.
using LogHandler =
    std::function<void(LogLevel level, std::string_view target, std::string_view message)>;

/// Sends the engine's events at `minimum` and more severe to `handler`,
/// replacing the handler installed before; an empty handler stops delivery.
/// Without a handler nothing is delivered, and nothing is printed.
///
/// - Callable from any thread, at any time, also while calls run. Once it
///   returns, the handler it replaced is no longer called and has been
///   destroyed.
/// - The handler runs on the thread that emitted the event (the library's,
///   or yours while it runs a call), possibly on several threads at once.
///   It must be quick, must not block, and must not call set_log_handler();
///   an exception it throws is dropped. What the engine logs while the
///   handler runs, on its thread, is dropped.
/// - No global Rust `tracing` subscriber is installed: a host program that
///   installs its own keeps receiving the events of its own threads.
void set_log_handler(LogLevel minimum, LogHandler handler);

}  // namespace surreal
