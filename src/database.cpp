#include "surreal/database.hpp"

#include <chrono>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "ffi/native.hpp"
#include "poll.hpp"
#include "worker/worker.hpp"

namespace surreal {
namespace {

void ignore(worker::Success&&) {}

/// The single statement's result of a record operation.
Value single_result(worker::Success& success) {
  if (success.results.empty()) return Value();
  return std::move(success.results.front());
}

/// A record operation on one record answers with that record, or NONE; the
/// engine may wrap it in an array of at most one element, which is unwrapped
/// here. Operations on tables and ranges keep their arrays.
Value record_result(worker::Success& success, bool one_record) {
  Value result = single_result(success);
  if (one_record && result.is_array()) {
    Array& items = result.as_array();
    return items.empty() ? Value() : std::move(items.front());
  }
  return result;
}

}  // namespace

std::string to_endpoint(StorageBackend backend, const std::optional<std::string>& path) {
  switch (backend) {
    case StorageBackend::memory:
      return "mem://";
    case StorageBackend::rocksdb:
      if (!path || path->empty()) {
        throw std::invalid_argument("surreal: the rocksdb backend needs a directory path");
      }
      return "rocksdb://" + *path;
  }
  throw std::invalid_argument("surreal: unknown storage backend");
}

Response::Response(std::vector<Value> results, std::vector<std::optional<std::string>> errors)
    : results_(std::move(results)), errors_(std::move(errors)) {
  if (results_.size() != errors_.size()) {
    throw std::invalid_argument("surreal::Response: one result and one error slot per statement");
  }
}

bool Response::has_errors() const noexcept {
  for (const auto& error : errors_) {
    if (error) return true;
  }
  return false;
}

std::vector<std::string> Response::errors() const {
  std::vector<std::string> texts;
  for (const auto& error : errors_) {
    if (error) texts.push_back(*error);
  }
  return texts;
}

const std::optional<std::string>& Response::error(std::size_t index) const {
  return errors_.at(index);
}

void Response::check_statement(std::size_t index) const {
  if (const auto& failure = error(index)) {
    throw QueryException(error_code::query,
                         "statement " + std::to_string(index) + " failed: " + *failure, *failure);
  }
}

Value Response::take(std::size_t index) const& {
  check_statement(index);
  return results_.at(index);
}

Value Response::take(std::size_t index) && {
  check_statement(index);
  return std::move(results_.at(index));
}

/// What every copy of a Database shares: the worker and the default timeout.
struct Database::Shared {
  worker::Worker worker;
  std::optional<std::chrono::nanoseconds> timeout;
};

/// Sends `command` and returns the future of what `convert` makes of its
/// reply. `convert` runs on the thread that completes the command; an
/// exception it throws fails the future. The future is wired (its work, its
/// deadline, its stop token) before the command is sent, so that neither a
/// cancellation nor a deadline can miss it.
template <typename T, typename Command, typename Convert>
Future<T> Database::call(Command command, const CallOptions& options, Convert convert) const {
  worker::Worker& worker = shared().worker;
  auto state = std::make_shared<detail::State<T>>();
  auto task = worker::Worker::task(
      std::move(command), [state, convert = std::move(convert)](worker::Reply reply) mutable {
        detail::request_answered();  // before the reply: see poll.hpp
        if (state->completing()) return;  // cancelled or expired: nobody wants it
        if (auto* error = std::get_if<worker::Error>(&reply)) {
          state->fail(ffi::make_exception(error->code, std::move(error->message)));
          return;
        }
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
      });
  state->attach(task);
  if (const auto timeout = options.timeout ? options.timeout : shared().timeout) {
    state->expire_at(std::chrono::steady_clock::now() + *timeout);
  }
  state->watch(options.stop);
  detail::request_sent();
  try {
    worker.post(std::move(task), worker::Worker::Wake::deferred);
  } catch (...) {  // not queued, so never answered
    detail::request_answered();
    throw;
  }
  return detail::future_of(std::move(state));
}

Future<Database> Database::connect(StorageBackend backend, std::optional<std::string> path,
                                   std::optional<std::string> ns,
                                   std::optional<std::string> db) {
  return connect(to_endpoint(backend, path), std::move(ns), std::move(db));
}

Future<Database> Database::connect(std::string endpoint, std::optional<std::string> ns,
                                   std::optional<std::string> db) {
  ConnectOptions options;
  options.ns = std::move(ns);
  options.db = std::move(db);
  return connect(std::move(endpoint), std::move(options));
}

Future<Database> Database::connect(std::string endpoint, ConnectOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->worker.start();
  // The completion holds the worker until the Database it makes owns it, and
  // hands its reference over, so that the caller's Database is the only one.
  // The default timeout is for the Database's calls, not for opening it.
  const Database connecting(shared);
  return connecting.call<Database>(
      worker::Connect{std::move(endpoint), std::move(options.ns), std::move(options.db)},
      CallOptions{}, [shared, timeout = options.timeout](worker::Success&&) mutable {
        shared->timeout = timeout;
        return Database(std::move(shared));
      });
}

Database::Database(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

// Releasing the worker disposes it: the datastore is closed and the thread
// joined before this returns (unless a completion on the worker thread holds
// the last reference, in which case the worker finishes on its own).
Database::~Database() = default;

Database::Shared& Database::shared() const {
  if (!shared_) {
    throw ConnectionException(error_code::connection, "this surreal::Database was moved from");
  }
  return *shared_;
}

Future<void> Database::use_namespace(std::string ns, CallOptions options) {
  return call<void>(worker::UseNamespace{std::move(ns)}, options, ignore);
}

Future<void> Database::use_database(std::string db, CallOptions options) {
  return call<void>(worker::UseDatabase{std::move(db)}, options, ignore);
}

Future<Response> Database::query(std::string sql, Object bindings, CallOptions options) {
  Value variables = bindings.empty() ? Value() : Value(std::move(bindings));
  return call<Response>(worker::Query{std::move(sql), std::move(variables)}, options,
                        [](worker::Success&& success) {
                          return Response(std::move(success.results),
                                          std::move(success.statement_errors));
                        });
}

Future<Value> Database::select(Resource resource, CallOptions options) {
  const bool one_record = resource.is_record();
  return call<Value>(worker::Select{std::move(resource)}, options,
                     [one_record](worker::Success&& success) {
                       return record_result(success, one_record);
                     });
}

Future<Value> Database::create(Resource resource, Value data, CallOptions options) {
  // Creating makes one record, even in a table: unwrap it.
  return call<Value>(worker::Create{std::move(resource), std::move(data)}, options,
                     [](worker::Success&& success) { return record_result(success, true); });
}

Future<Value> Database::update(Resource resource, Value data, CallOptions options) {
  const bool one_record = resource.is_record();
  return call<Value>(worker::Update{std::move(resource), std::move(data)}, options,
                     [one_record](worker::Success&& success) {
                       return record_result(success, one_record);
                     });
}

Future<void> Database::remove(Resource resource, CallOptions options) {
  return call<void>(worker::Delete{std::move(resource)}, options, ignore);
}

Future<void> Database::close() { return call<void>(worker::Close{}, CallOptions{}, ignore); }

}  // namespace surreal
