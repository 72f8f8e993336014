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

/// Queues `command` and returns a future for what `convert` makes of its
/// successful reply. `convert` runs on the thread that replies; an exception
/// it throws fails the future.
template <typename T, typename Convert>
Future<T> submit(worker::Worker& worker, worker::Command command, Convert convert) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  detail::request_sent();
  try {
    worker.post(std::move(command), [promise, convert = std::move(convert)](
                                        worker::Reply reply) mutable {
      detail::request_answered();  // before the reply: see poll.hpp
      fulfil(*promise, reply, convert);
    });
  } catch (...) {  // not queued, so never answered
    detail::request_answered();
    throw;
  }
  return future;
}

void ignore(worker::Success&&) {}

/// The single statement's result of a record operation.
nlohmann::json single_result(worker::Success& success) {
  if (success.data.empty()) return nullptr;
  return std::move(success.data.front());
}

/// A record operation on one record answers with an array of at most one
/// element; unwrap it. Operations on whole tables keep their arrays.
nlohmann::json one_record(worker::Success& success, const std::string& resource) {
  nlohmann::json result = single_result(success);
  const bool is_record = resource.find(':') != std::string::npos;
  if (is_record && result.is_array()) {
    return result.empty() ? nlohmann::json(nullptr) : std::move(result.front());
  }
  return result;
}

template <typename T>
Future<T> failed(std::exception_ptr error) {
  std::promise<T> promise;
  promise.set_exception(std::move(error));
  return promise.get_future();
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

Response::Response(nlohmann::json results, std::vector<std::optional<std::string>> errors)
    : results_(std::move(results)), errors_(std::move(errors)) {
  if (!results_.is_array() || results_.size() != errors_.size()) {
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

nlohmann::json Response::take(std::size_t index) const& {
  check_statement(index);
  return results_.at(index);
}

nlohmann::json Response::take(std::size_t index) && {
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

Future<Response> Database::query(std::string sql, nlohmann::json bindings) {
  if (!bindings.is_object()) {
    return failed<Response>(std::make_exception_ptr(DatabaseException(
        error_code::invalid_argument, "surreal: query bindings must be a JSON object")));
  }
  return submit<Response>(worker(), worker::Query{std::move(sql), std::move(bindings)},
                          [](worker::Success&& success) {
                            return Response(std::move(success.data),
                                            std::move(success.statement_errors));
                          });
}

Future<std::vector<nlohmann::json>> Database::select(std::string resource) {
  return submit<std::vector<nlohmann::json>>(
      worker(), worker::Select{std::move(resource)}, [](worker::Success&& success) {
        nlohmann::json result = single_result(success);
        std::vector<nlohmann::json> records;
        if (result.is_array()) {
          records.reserve(result.size());
          for (auto& record : result) records.push_back(std::move(record));
        } else if (!result.is_null()) {
          records.push_back(std::move(result));
        }
        return records;
      });
}

Future<nlohmann::json> Database::create(std::string table, nlohmann::json data) {
  return submit<nlohmann::json>(worker(), worker::Create{std::move(table), std::move(data)},
                                [](worker::Success&& success) {
                                  // Creating always makes one record, even in a table.
                                  nlohmann::json result = single_result(success);
                                  if (result.is_array() && result.size() == 1) {
                                    return nlohmann::json(std::move(result.front()));
                                  }
                                  return result;
                                });
}

Future<nlohmann::json> Database::update(std::string resource, nlohmann::json data) {
  std::string target = resource;
  return submit<nlohmann::json>(
      worker(), worker::Update{std::move(resource), std::move(data)},
      [target = std::move(target)](worker::Success&& success) {
        return one_record(success, target);
      });
}

Future<void> Database::remove(std::string resource) {
  return submit<void>(worker(), worker::Delete{std::move(resource)}, ignore);
}

Future<void> Database::close() {
  return submit<void>(worker(), worker::Close{}, ignore);
}

}  // namespace surreal
