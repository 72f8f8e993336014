// The CBOR form in which a surreal::Value crosses the C ABI: SurrealDB's own
// RPC encoding (surrealdb-core's rpc/format/cbor/convert.rs), plus tag 35 for
// regexes. The full table is in the issue 11 values spec; in short:
//
//   NONE  tag 6(null)          decimal   tag 10(text)       table     tag 7(text)
//   NULL  null                 duration  tag 14([s, ns])    record id tag 8([table, key])
//   int   major type 0/1       datetime  tag 12([s, ns])    range     tag 49([bound, bound]),
//   float float (any width)    uuid      tag 37(16 bytes)             bound: null | 50(v) | 51(v)
//   string text, bytes bytes   set       tag 56(array)      file      tag 55([bucket, key])
//   array, object: array, map  geometry  tags 88 to 94      regex     tag 35(text)
//
// Internal; not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "surreal/value.hpp"

namespace surreal::ffi {

/// The deepest nesting of containers and tags either side accepts: an array
/// of arrays 1024 deep is accepted, 1025 deep is not. A tag counts as a level,
/// so NONE (tag 6 around null) is one level and a record id (tag 8 around an
/// array) two, plus its key's.
inline constexpr std::size_t kMaxCborDepth = 1024;

/// Appends the CBOR of `value` to `out`. Objects in key order, floats as
/// doubles, decimals as their text. std::invalid_argument if the value nests
/// deeper than kMaxCborDepth. Text is written as it is: SurrealDB rejects
/// strings that are not UTF-8 when it decodes them.
void encode_value(const Value& value, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode_value(const Value& value);
/// Appends the CBOR of an array of `items` to `out`, each encoded from where
/// it is (nothing is copied): a call's arguments. Its items count a level
/// deeper than a value of their own.
void encode_array(std::span<const Value* const> items, std::vector<std::uint8_t>& out);
/// The same with a text first: `[text, items...]` (a query and its bindings).
void encode_array(std::string_view text, std::span<const Value* const> items,
                  std::vector<std::uint8_t>& out);

/// Decodes exactly one value filling the buffer. std::invalid_argument, whose
/// message says what is wrong and at which byte offset, for anything else:
/// truncated or malformed CBOR, indefinite lengths, trailing bytes, nesting
/// past kMaxCborDepth, text that is not UTF-8, integers outside i64, object
/// keys that are not text or repeat, unknown tags, and tags around the wrong
/// shape (a decimal that is not text, a record id key of the wrong kind...).
Value decode_value(const std::uint8_t* data, std::size_t len);

}  // namespace surreal::ffi
