#include "ffi/native.hpp"

#include <string_view>
#include <utility>

#include "ffi/cbor.hpp"
#include "surreal/exceptions.hpp"

namespace surreal::ffi {

static_assert(error_code::ok == SURREAL_OK);
static_assert(error_code::invalid_argument == SURREAL_ERR_INVALID_ARGUMENT);
static_assert(error_code::connection == SURREAL_ERR_CONNECTION);
static_assert(error_code::query == SURREAL_ERR_QUERY);
static_assert(error_code::authentication == SURREAL_ERR_AUTHENTICATION);
static_assert(error_code::internal == SURREAL_ERR_INTERNAL);
static_assert(error_code::panic == SURREAL_ERR_PANIC);
static_assert(error_code::transaction_conflict == SURREAL_ERR_TRANSACTION_CONFLICT);
static_assert(error_code::cancelled == SURREAL_ERR_CANCELLED);

namespace {

/// SurrealDB's kind name as an ErrorKind; Internal for one it does not know
/// (and for "Context", a link of a cause chain).
ErrorKind kind_named(const Value& name, int code) {
  if (!name.is_string()) return DatabaseException(code, "").kind();
  static constexpr std::pair<std::string_view, ErrorKind> kinds[] = {
      {"Validation", ErrorKind::validation},
      {"Configuration", ErrorKind::configuration},
      {"Query", ErrorKind::query},
      {"Serialization", ErrorKind::serialization},
      {"NotAllowed", ErrorKind::not_allowed},
      {"NotFound", ErrorKind::not_found},
      {"AlreadyExists", ErrorKind::already_exists},
      {"Connection", ErrorKind::connection},
      {"Thrown", ErrorKind::thrown},
      {"Internal", ErrorKind::internal},
  };
  for (const auto& [text, kind] : kinds) {
    if (name.as_string() == text) return kind;
  }
  return ErrorKind::internal;
}

/// The `kind` field of SurrealDB's details (e.g. "Auth", "Record",
/// "TransactionConflict"), or empty.
std::string_view detail_kind(const Value& details) {
  if (!details.is_object()) return {};
  const Value& kind = details["kind"];
  return kind.is_string() ? std::string_view(kind.as_string()) : std::string_view();
}

/// SurrealDB's prefix of a THROW's message.
constexpr std::string_view kThrownPrefix = "An error occurred: ";

/// Calls `make.template operator()<E>()` with the exception class E that a
/// failure with this code, kind and details is reported as.
template <typename Make>
auto with_class(int code, ErrorKind kind, const Value& details, Make&& make) {
  switch (code) {
    case SURREAL_ERR_CONNECTION:
      return make.template operator()<ConnectionException>();
    case SURREAL_ERR_CANCELLED:
      return make.template operator()<CancelledException>();
    case error_code::timeout:
      return make.template operator()<TimeoutException>();
    case error_code::live_query_overflow:
      return make.template operator()<LiveQueryOverflowException>();
    case SURREAL_ERR_TRANSACTION_CONFLICT:
      return make.template operator()<TransactionConflictException>();
    case SURREAL_ERR_AUTHENTICATION:
      // Signing in, a token, a session: SurrealDB's authentication
      // refusals, or any failure of a sign-in. A refusal of a capability or
      // a namespace is NotAllowed without being about authentication.
      if (kind == ErrorKind::not_allowed && details.is_object() && detail_kind(details) != "Auth") {
        return make.template operator()<NotAllowedException>();
      }
      return make.template operator()<AuthenticationException>();
    case SURREAL_ERR_QUERY:
      switch (kind) {
        case ErrorKind::already_exists:
          return make.template operator()<AlreadyExistsException>();
        case ErrorKind::thrown:
          return make.template operator()<ThrownException>();
        case ErrorKind::not_found:
          return make.template operator()<NotFoundException>();
        case ErrorKind::not_allowed:
          if (detail_kind(details) == "Auth") return make.template operator()<AuthenticationException>();
          return make.template operator()<NotAllowedException>();
        case ErrorKind::query:
          if (detail_kind(details) == "TransactionConflict") {
            return make.template operator()<TransactionConflictException>();
          }
          return make.template operator()<QueryException>();
        default:
          return make.template operator()<QueryException>();
      }
    default:
      return make.template operator()<DatabaseException>();
  }
}

/// The cause chain of a structured error, each link an exception of its own.
std::shared_ptr<const DatabaseException> cause_of(int code, const Value& error) {
  if (!error.is_object()) return nullptr;
  const Value& cause = error["cause"];
  if (!cause.is_object()) return nullptr;
  const Value& text = cause["message"];
  std::string message = text.is_string() ? text.as_string() : std::string();
  const ErrorKind kind = kind_named(cause["kind"], code);
  const Value& details = cause["details"];
  return with_class(code, kind, details, [&]<typename E>() -> std::shared_ptr<const DatabaseException> {
    return std::make_shared<const E>(code, message, message, kind, details, cause_of(code, cause));
  });
}

}  // namespace

std::string take_string(char* text) {
  NativeString owned(text);
  return owned ? std::string(owned.get()) : std::string();
}

NativeError last_error() {
  const int code = surreal_get_last_error_code();
  std::string message = take_string(surreal_get_last_error());
  if (code == SURREAL_OK) {
    // A NULL result without a recorded error would be a bug in the core;
    // report it rather than pretend the call succeeded.
    return {SURREAL_ERR_INTERNAL, "the native call failed without reporting an error", Value()};
  }
  Value error;
  Buffer details;
  if (surreal_get_last_error_details(&details.data, &details.len) == SURREAL_OK && details.data) {
    try {
      error = decode_value(details.data, details.len);
    } catch (const std::exception&) {  // the message and code still tell what failed
    }
  }
  return {code, std::move(message), std::move(error)};
}

std::exception_ptr make_exception(int code, std::string message, const Value& error) {
  std::string what = message;
  if (error.is_object() && error["kind"] == Value("Thrown") && what.starts_with(kThrownPrefix)) {
    what.erase(0, kThrownPrefix.size());
  }
  return make_exception(code, what, std::move(message), error);
}

std::exception_ptr make_exception(int code, const std::string& what, std::string message,
                                  const Value& error) {
  if (!error.is_object()) {  // an error of the library's own
    return with_class(code, DatabaseException(code, "").kind(), Value(), [&]<typename E>() {
      return std::make_exception_ptr(E(code, what, std::move(message)));
    });
  }
  const ErrorKind kind = kind_named(error["kind"], code);
  const Value& details = error["details"];
  return with_class(code, kind, details, [&]<typename E>() {
    return std::make_exception_ptr(
        E(code, what, std::move(message), kind, details, cause_of(code, error)));
  });
}

void throw_error(int code, std::string message, const Value& error) {
  std::rethrow_exception(make_exception(code, std::move(message), error));
}

std::exception_ptr statement_exception(std::size_t index, const Value& error) {
  const Value& text = error.is_object() ? error["message"] : error;
  std::string message = text.is_string() ? text.as_string() : std::string("the statement failed");
  std::string shown = message;
  if (error.is_object() && error["kind"] == Value("Thrown") && shown.starts_with(kThrownPrefix)) {
    shown.erase(0, kThrownPrefix.size());
  }
  return make_exception(SURREAL_ERR_QUERY, "statement " + std::to_string(index) + " failed: " + shown,
                        std::move(message), error);
}

Value structured(const DatabaseException& exception) {
  Object error;
  error.insert_or_assign("kind", Value(to_string(exception.kind())));
  error.insert_or_assign("message", Value(exception.native_details()));
  if (!exception.details().is_none()) error.insert_or_assign("details", exception.details());
  if (const DatabaseException* cause = exception.cause()) {
    error.insert_or_assign("cause", structured(*cause));
  }
  return Value(std::move(error));
}

std::pair<int, std::string> describe(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const DatabaseException& e) {
    return {e.code(), e.native_details()};
  } catch (const std::exception& e) {
    return {error_code::internal, e.what()};
  } catch (...) {
    return {error_code::internal, "unknown error"};
  }
}

void check(int status) {
  if (status != SURREAL_OK) {
    NativeError error = last_error();
    throw_error(error.code, std::move(error.message), error.error);
  }
}

}  // namespace surreal::ffi
