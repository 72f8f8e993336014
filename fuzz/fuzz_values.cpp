// libFuzzer target over the value codecs: arbitrary bytes handed to the C++
// CBOR decoder (compiled into this target, so its branches guide the fuzzer)
// and to the Rust decoder behind the C ABI. It checks their contracts, not
// just for crashes:
// - the C++ decoder accepts a buffer or throws std::invalid_argument;
// - what it accepts encodes to bytes that decode and encode to the same bytes;
// - surreal_value_render returns SurrealQL text, or NULL with an error code and text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <vector>

#include "ffi/cbor.hpp"
#include "surreal/value.hpp"
#include "surreal_core.h"

namespace {

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "contract violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<surreal::Value> decoded;
  try {
    decoded = surreal::ffi::decode_value(data, size);
  } catch (const std::invalid_argument&) {
  }
  if (decoded) {
    // Compared as bytes, not with ==: SurrealDB's == is not an identity (a
    // point with a NaN coordinate is not == to itself, 1 == 1.0), while the
    // encoder writes every detail it keeps, so a detail lost on the way back
    // changes the bytes.
    std::vector<std::uint8_t> encoded;
    surreal::ffi::encode_value(*decoded, encoded);
    const surreal::Value again = surreal::ffi::decode_value(encoded.data(), encoded.size());
    std::vector<std::uint8_t> reencoded;
    surreal::ffi::encode_value(again, reencoded);
    require(reencoded == encoded, "encode(decode(encode(v))) != encode(v)");
  }

  char* sql = surreal_value_render(data, size, SURREAL_FORMAT_SQL);
  if (sql == nullptr) {
    require(surreal_get_last_error_code() < 0, "NULL text without an error code");
    char* message = surreal_get_last_error();
    require(message != nullptr, "NULL text without an error message");
    surreal_free_string(message);
  } else {
    surreal_free_string(sql);
  }
  return 0;
}
