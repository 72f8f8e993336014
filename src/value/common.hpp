// Internal to src/value/: what the files of the value model share.
#pragma once

#include <cstdint>

namespace surreal::value_detail {

// 128-bit integers: rust_decimal's arithmetic and Rust's `f64 as i128` need them.
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

inline constexpr std::uint32_t kNanosPerSecond = 1'000'000'000;
/// rust_decimal's mantissa is below 2^96.
inline constexpr u128 kDecimalLimit = u128{1} << 96;

}  // namespace surreal::value_detail
