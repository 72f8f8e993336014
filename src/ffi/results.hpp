// Reading a native response's results into nlohmann::json.
#pragma once

#include <nlohmann/json.hpp>

#include "surreal_core.h"

namespace surreal::ffi {

/// The response's results, one array entry per statement (null where a
/// statement failed): the JSON that surreal_response_get_results renders as
/// text, built straight from surreal_response_visit_results' events, with no
/// text rendered or parsed (1.2 µs/row against 2.2 for rendering and parsing
/// the text: README, "Where the time goes").
/// Throws the native error, or what building the tree threw (std::bad_alloc).
nlohmann::json read_results(const SurrealResponse* response);

}  // namespace surreal::ffi
