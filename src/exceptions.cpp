#include "surreal/exceptions.hpp"

#include <utility>

namespace surreal {

DatabaseException::DatabaseException(int code, std::string native_details)
    : DatabaseException(code, native_details, native_details) {}

DatabaseException::DatabaseException(int code, const std::string& what, std::string native_details)
    : std::runtime_error(what), code_(code), native_details_(std::move(native_details)) {}

}  // namespace surreal
