#include "ffi/results.hpp"

#include <utility>

#include "ffi/cbor.hpp"
#include "ffi/native.hpp"

namespace surreal::ffi {

std::vector<Value> take_results(SurrealResponse* response) {
  Buffer buffer;
  check(surreal_response_cbor(response, SURREAL_RESPONSE_TAKE_RESULTS, &buffer.data, &buffer.len));
  Value results = decode_value(buffer.data, buffer.len);
  buffer.reset();  // before the caller gets the tree: it may be large
  return std::move(results.as_array());
}

}  // namespace surreal::ffi
