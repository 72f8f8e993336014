// How a Database, a Transaction and a LiveQuery make their calls: what they
// share (the worker), and the template that turns a worker command into a
// surreal::Future. Internal to the library.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "ffi/native.hpp"
#include "poll.hpp"
#include "surreal/database.hpp"
#include "worker/state_watch.hpp"
#include "worker/worker.hpp"

namespace surreal::detail {

/// What a Database shares with the Transactions and LiveQueries it made
/// (they hold it weakly: they do not keep it open).
struct DatabaseShared {
  worker::Worker worker;
  /// Declared after the worker, so destroyed before it: the native
  /// listener is removed while the handle is still open.
  std::shared_ptr<worker::StateWatch> state = std::make_shared<worker::StateWatch>();
  std::optional<std::chrono::nanoseconds> timeout;
  std::size_t live_query_buffer = ConnectOptions{}.live_query_buffer;
};

/// A hook that does nothing: the default of prepare_call's last two.
struct Nothing {
  template <typename... Args>
  void operator()(Args&&...) const noexcept {}
};

/// Why a reply counts as failed for a transaction: its error, the first
/// failed statement of a query, or its caller's having stopped waiting.
/// `exception`: the failure as it was reported, where it was one.
struct Failure {
  int code;
  std::string message;
  std::exception_ptr exception = nullptr;
};

/// What failure, if any, a reply means for a transaction.
inline std::optional<Failure> failure_of(const worker::Reply& reply, const StateBase& state) {
  if (const auto* error = std::get_if<worker::Error>(&reply)) {
    return Failure{error->code, error->message,
                   ffi::make_exception(error->code, error->message, error->error)};
  }
  for (const auto& statement : std::get<worker::Success>(reply).statement_errors) {
    if (statement) {
      auto [code, message] = ffi::describe(statement);
      return Failure{code, std::move(message), statement};
    }
  }
  if (state.completing()) {
    return Failure{error_code::cancelled, "its caller cancelled it or its deadline passed"};
  }
  return std::nullopt;
}

/// A call ready to be posted: its future, and the worker task that answers it.
template <typename T>
struct PreparedCall {
  Future<T> future;
  std::shared_ptr<worker::Task> task;
};

/// Makes the task for `command` and the future of what `convert` makes of
/// its reply. `convert` runs on the thread that completes the command; an
/// exception it throws fails the future. `unwanted` receives a successful
/// reply that nobody wants any more (the future was cancelled or expired
/// meanwhile), to undo it; `after` runs after every reply, whatever it was,
/// with a `std::optional<Failure>` saying whether it failed (see Failure).
/// The future is wired (its work, its deadline, its stop token) before the
/// task can be posted, so that neither a cancellation nor a deadline can
/// miss it.
template <typename T, typename Command, typename Convert, typename Unwanted = Nothing,
          typename After = Nothing>
PreparedCall<T> prepare_call(const DatabaseShared& shared, Command command,
                             const CallOptions& options, Convert convert,
                             Unwanted unwanted = {}, After after = {}) {
  auto state = std::make_shared<State<T>>();
  auto task = worker::Worker::task(
      std::move(command), [state, convert = std::move(convert), unwanted = std::move(unwanted),
                           after = std::move(after)](worker::Reply reply) mutable {
        request_answered();  // before the reply: see poll.hpp
        std::optional<Failure> failure;
        if constexpr (!std::is_same_v<After, Nothing>) failure = failure_of(reply, *state);
        if (state->completing()) {  // cancelled or expired: nobody wants it
          if (auto* success = std::get_if<worker::Success>(&reply)) unwanted(std::move(*success));
        } else if (auto* error = std::get_if<worker::Error>(&reply)) {
          state->fail(ffi::make_exception(error->code, std::move(error->message), error->error));
        } else {
          try {
            auto& success = std::get<worker::Success>(reply);
            if constexpr (std::is_void_v<T>) {
              convert(std::move(success));
              state->set_value();
            } else {
              state->set_value(convert(std::move(success)));
            }
          } catch (...) {
            state->fail(std::current_exception());
          }
        }
        after(std::move(failure));
      });
  shared.worker.bind(*task);  // before the future can reach another thread
  state->attach(task);
  if (const auto timeout = options.timeout ? options.timeout : shared.timeout) {
    state->expire_at(std::chrono::steady_clock::now() + *timeout);
  }
  state->watch(options.stop);
  return {future_of(std::move(state)), std::move(task)};
}

/// Posts a prepared task. `wake`: see Worker::Wake.
inline void post_call(DatabaseShared& shared, std::shared_ptr<worker::Task> task,
                      worker::Worker::Wake wake) {
  request_sent();
  try {
    shared.worker.post(std::move(task), wake);
  } catch (...) {  // not queued, so never answered
    request_answered();
    throw;
  }
}

/// A conversion for calls that answer nothing.
inline void ignore(worker::Success&&) {}

/// The single statement's result of a call (NONE if it has none).
inline Value single_result(worker::Success& success) {
  if (success.results.empty()) return Value();
  return std::move(success.results.front());
}

/// A record verb's answer: the engine answers an array of records even for
/// one record id; `one_record` unwraps it to that record, or NONE.
/// Operations on tables and ranges keep their arrays.
inline Value record_result(worker::Success& success, bool one_record) {
  Value result = single_result(success);
  if (one_record && result.is_array()) {
    Array& items = result.as_array();
    return items.empty() ? Value() : std::move(items.front());
  }
  return result;
}

/// A record verb of surreal_db_execute as Database and Transaction send it:
/// the method, its arguments, and whether it answers one record.
struct VerbCall {
  const char* method;
  Array args;
  bool one_record;
};

/// insert or insert_relation: one record for an object, many for an array.
inline VerbCall insert_call(const char* method, std::string table, Value data) {
  const bool one_record = data.is_object();
  return {method, Array{Value(Table{std::move(table)}), std::move(data)}, one_record};
}

/// A verb on a resource with data: create, upsert, update, merge.
inline VerbCall resource_call(const char* method, const Resource& resource, Value data) {
  return {method, Array{resource.value(), std::move(data)}, resource.is_record()};
}

inline VerbCall patch_call(const Resource& resource, std::vector<PatchOp> operations) {
  Array ops;
  ops.reserve(operations.size());
  for (auto& op : operations) {
    Object item{{"op", std::move(op.op)}, {"path", std::move(op.path)}};
    if (!op.value.is_none()) item.insert_or_assign("value", std::move(op.value));
    ops.emplace_back(std::move(item));
  }
  return {"patch", Array{resource.value(), Value(std::move(ops))}, resource.is_record()};
}

inline VerbCall relate_call(RecordId from, std::string edge, RecordId to, Value data) {
  return {"relate",
          Array{Value(std::move(from)), Value(std::move(edge)), Value(std::move(to)),
                std::move(data)},
          true};
}

/// A future that has succeeded already.
inline Future<void> done_future() {
  Promise<void> promise;
  promise.set_value();
  return promise.get_future();
}

/// A future that has failed already.
template <typename T>
Future<T> failed_future(std::exception_ptr error) {
  Promise<T> promise;
  promise.set_exception(std::move(error));
  return promise.get_future();
}

}  // namespace surreal::detail
