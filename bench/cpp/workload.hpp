// What shared/BENCH_WORKLOAD.md fixes for every harness, shared by bench-cpp
// and bench-layers.
#pragma once

#include <cstdint>
#include <string>

#include <surreal/value.hpp>

namespace bench {

/// The record payload of W2, W5, W8 and W9 for index `i`, typed as SurrealDB stores it.
inline surreal::Object payload(std::int64_t i) {
  return {{"name", "user-" + std::to_string(i)},
          {"age", i % 90},
          {"tags", surreal::Array{"a", "b", "c"}},
          {"score", static_cast<double>(i) * 0.5}};
}

}  // namespace bench
