// The renderings of a Value that only SurrealDB itself can make exactly (its
// SurrealQL text and the SDK's JSON) and its literal parser, through the
// native library: the value crosses the C ABI as CBOR (ffi/cbor.hpp). Kept
// apart from the rest of src/value/ so that the rest of the value model
// builds and is tested without the Rust library.
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ffi/cbor.hpp"
#include "ffi/native.hpp"  // RAII owners of the native strings and buffers (surreal_core.h)
#include "surreal/value.hpp"

namespace surreal {

namespace {

[[noreturn]] void throw_native_error(const char* function) {
  throw std::invalid_argument(std::string("surreal::Value::") + function + ": " +
                              ffi::last_error().message);
}

}  // namespace

std::string Value::to_string() const {
  const std::vector<std::uint8_t> cbor = ffi::encode_value(*this);
  const ffi::NativeString text(surreal_value_render(cbor.data(), cbor.size(), SURREAL_FORMAT_SQL));
  if (!text) throw_native_error("to_string");
  return std::string(text.get());
}

Value Value::parse(std::string_view literal) {
  const std::string text(literal);  // NUL-terminated for the C ABI
  if (text.find('\0') != std::string::npos) {
    throw std::invalid_argument("surreal::Value::parse: the text contains a NUL character");
  }
  ffi::Buffer buffer;
  if (surreal_value_parse(text.c_str(), &buffer.data, &buffer.len) != SURREAL_OK) {
    throw_native_error("parse");
  }
  return ffi::decode_value(buffer.data, buffer.len);
}

nlohmann::json Value::to_json() const {
  const std::vector<std::uint8_t> cbor = ffi::encode_value(*this);
  const ffi::NativeString text(surreal_value_render(cbor.data(), cbor.size(), SURREAL_FORMAT_JSON));
  if (!text) throw_native_error("to_json");
  return nlohmann::json::parse(text.get());
}

std::ostream& operator<<(std::ostream& out, const Value& value) { return out << value.to_string(); }

std::string Decimal::to_string() const { return Value(*this).to_string(); }
std::string Duration::to_string() const { return Value(*this).to_string(); }
std::string Datetime::to_string() const { return Value(*this).to_string(); }
std::string Uuid::to_string() const { return Value(*this).to_string(); }
std::string RecordId::to_string() const { return Value(*this).to_string(); }

}  // namespace surreal
