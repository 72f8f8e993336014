#include "surreal/database.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>

#include "ffi/native.hpp"
#include "poll.hpp"
#include "worker/worker.hpp"

namespace surreal {
namespace {

/// Fulfils `promise` with what `convert` makes of a successful `reply`; an
/// error reply, or an exception from `convert`, fails it.
template <typename T, typename Convert>
void fulfil(std::promise<T>& promise, worker::Reply& reply, Convert& convert) {
  if (auto* error = std::get_if<worker::Error>(&reply)) {
    promise.set_exception(ffi::make_exception(error->code, std::move(error->message)));
    return;
  }
  try {
    auto& success = std::get<worker::Success>(reply);
    if constexpr (std::is_void_v<T>) {
      convert(std::move(success));
      promise.set_value();
    } else {
      promise.set_value(convert(std::move(success)));
    }
  } catch (...) {
    promise.set_exception(std::current_exception());
  }
}

/// Queues `command`; `on_reply` receives its reply on the thread that
/// replies. The request is counted as in flight until then (poll.hpp).
template <typename OnReply>
void post_counted(worker::Worker& worker, worker::Command command, OnReply on_reply) {
  detail::request_sent();
  try {
    worker.post(std::move(command),
                [on_reply = std::move(on_reply)](worker::Reply reply) mutable {
                  detail::request_answered();  // before the reply: see poll.hpp
                  on_reply(reply);
                });
  } catch (...) {  // not queued, so never answered
    detail::request_answered();
    throw;
  }
}

/// Queues `command` and returns a future for what `convert` makes of its
/// successful reply. `convert` runs on the thread that replies; an exception
/// it throws fails the future.
template <typename T, typename Convert>
Future<T> submit(worker::Worker& worker, worker::Command command, Convert convert) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  post_counted(worker, std::move(command),
               [promise, convert = std::move(convert)](worker::Reply& reply) mutable {
                 fulfil(*promise, reply, convert);
               });
  return future;
}

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

Future<Database> Database::connect(StorageBackend backend, std::optional<std::string> path,
                                        std::optional<std::string> ns,
                                        std::optional<std::string> db) {
  return connect(to_endpoint(backend, path), std::move(ns), std::move(db));
}

Future<Database> Database::connect(std::string endpoint, std::optional<std::string> ns,
                                        std::optional<std::string> db) {
  auto worker = std::make_shared<worker::Worker>();
  worker->start();
  // The completion holds the worker until the Database it makes owns it, and
  // hands its reference over, so that the caller's Database is the only one.
  return submit<Database>(
      *worker, worker::Connect{std::move(endpoint), std::move(ns), std::move(db)},
      [worker](worker::Success&&) mutable { return Database(std::move(worker)); });
}

Database::Database(std::shared_ptr<worker::Worker> worker) : worker_(std::move(worker)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

// Releasing the worker disposes it: the datastore is closed and the thread
// joined before this returns (unless a completion on the worker thread holds
// the last reference, in which case the worker finishes on its own).
Database::~Database() = default;

worker::Worker& Database::worker() const {
  if (!worker_) {
    throw ConnectionException(error_code::connection, "this surreal::Database was moved from");
  }
  return *worker_;
}

Future<void> Database::use_namespace(std::string ns) {
  return submit<void>(worker(), worker::UseNamespace{std::move(ns)}, ignore);
}

Future<void> Database::use_database(std::string db) {
  return submit<void>(worker(), worker::UseDatabase{std::move(db)}, ignore);
}

Future<Response> Database::query(std::string sql, Object bindings) {
  Value variables = bindings.empty() ? Value() : Value(std::move(bindings));
  return submit<Response>(worker(), worker::Query{std::move(sql), std::move(variables)},
                          [](worker::Success&& success) {
                            return Response(std::move(success.results),
                                            std::move(success.statement_errors));
                          });
}

Future<Value> Database::select(Resource resource) {
  const bool one_record = resource.is_record();
  return submit<Value>(worker(), worker::Select{std::move(resource)},
                       [one_record](worker::Success&& success) {
                         return record_result(success, one_record);
                       });
}

void Database::select_then(Resource resource, SelectCallback done) {
  const bool one_record = resource.is_record();
  post_counted(worker(), worker::Select{std::move(resource)},
               [one_record, done = std::move(done)](worker::Reply& reply) {
                 if (auto* error = std::get_if<worker::Error>(&reply)) {
                   return done(Value(),
                               ffi::make_exception(error->code, std::move(error->message)));
                 }
                 done(record_result(std::get<worker::Success>(reply), one_record), nullptr);
               });
}

Future<Value> Database::create(Resource resource, Value data) {
  // Creating makes one record, even in a table: unwrap it.
  return submit<Value>(worker(), worker::Create{std::move(resource), std::move(data)},
                       [](worker::Success&& success) { return record_result(success, true); });
}

Future<Value> Database::update(Resource resource, Value data) {
  const bool one_record = resource.is_record();
  return submit<Value>(worker(), worker::Update{std::move(resource), std::move(data)},
                       [one_record](worker::Success&& success) {
                         return record_result(success, one_record);
                       });
}

Future<void> Database::remove(Resource resource) {
  return submit<void>(worker(), worker::Delete{std::move(resource)}, ignore);
}

Future<void> Database::close() {
  return submit<void>(worker(), worker::Close{}, ignore);
}

}  // namespace surreal
