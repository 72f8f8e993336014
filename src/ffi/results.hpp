// Reading a native response's results as surreal::Values.
#pragma once

#include <vector>

#include "surreal/value.hpp"
#include "surreal_core.h"

namespace surreal::ffi {

/// Moves the response's results out, one Value per statement (NONE where a
/// statement failed). They cross as one CBOR buffer
/// (surreal_response_cbor, SURREAL_RESPONSE_TAKE_RESULTS), encoded as the native values are
/// released, so the native rows, the buffer and the C++ tree are never all
/// held in full at once. Afterwards the response's results are NONE.
/// Throws the native error, or std::invalid_argument for a buffer that does
/// not decode (a bug in the core), or std::bad_alloc.
std::vector<Value> take_results(SurrealResponse* response);

}  // namespace surreal::ffi
