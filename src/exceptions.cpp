#include "surreal/exceptions.hpp"

#include <utility>

#include "surreal/value.hpp"

namespace surreal {

namespace {

/// The kind SurrealDB would give an error of the library's own.
ErrorKind kind_of_code(int code) noexcept {
  switch (code) {
    case error_code::invalid_argument:
      return ErrorKind::validation;
    case error_code::connection:
      return ErrorKind::connection;
    case error_code::authentication:
      return ErrorKind::not_allowed;
    case error_code::query:
    case error_code::cancelled:
    case error_code::timeout:
    case error_code::transaction_conflict:
    case error_code::live_query_overflow:
      return ErrorKind::query;
    default:
      return ErrorKind::internal;
  }
}

}  // namespace

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::validation:
      return "Validation";
    case ErrorKind::configuration:
      return "Configuration";
    case ErrorKind::query:
      return "Query";
    case ErrorKind::serialization:
      return "Serialization";
    case ErrorKind::not_allowed:
      return "NotAllowed";
    case ErrorKind::not_found:
      return "NotFound";
    case ErrorKind::already_exists:
      return "AlreadyExists";
    case ErrorKind::connection:
      return "Connection";
    case ErrorKind::thrown:
      return "Thrown";
    case ErrorKind::internal:
      return "Internal";
  }
  return "Internal";
}

DatabaseException::DatabaseException(int code, std::string native_details)
    : DatabaseException(code, native_details, native_details) {}

DatabaseException::DatabaseException(int code, const std::string& what, std::string native_details)
    : std::runtime_error(what),
      code_(code),
      native_details_(std::move(native_details)),
      kind_(kind_of_code(code)) {}

DatabaseException::DatabaseException(int code, const std::string& what, std::string native_details,
                                     ErrorKind kind, Value details,
                                     std::shared_ptr<const DatabaseException> cause)
    : std::runtime_error(what),
      code_(code),
      native_details_(std::move(native_details)),
      kind_(kind),
      details_(details.is_none() ? nullptr : std::make_shared<const Value>(std::move(details))),
      cause_(std::move(cause)) {}

const Value& DatabaseException::details() const noexcept {
  static const Value none;
  return details_ ? *details_ : none;
}

TypeError::TypeError(const std::string& message)
    : DatabaseException(error_code::invalid_argument, message, message, ErrorKind::serialization,
                        Value()) {}

}  // namespace surreal
