/// @file
/// Resource: what a record call works on.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "surreal/value.hpp"

namespace surreal {

/// A table, one record, or a range of records: the target of select(),
/// create(), update() and remove().
///
/// - Text names a table ("person"), or a record when it holds a colon
///   ("person:tobie", "person:⟨a-b⟩"): SurrealDB's own parser reads it, the
///   whole text, and nothing of it ever becomes SurrealQL.
/// - A `Table` is a table whatever its name holds (even a colon).
/// - A `RecordId` is one record, whatever its key holds, with no quoting to
///   get right; a record id whose key is a `Range` is a range of records
///   (`RecordId{"person", Range{Range::included(1), Range::excluded(10)}}`).
///
/// A regular value type, safe to share between threads for reading.
class Resource {
 public:
  /// A table, or a record when the text holds a colon (see the class).
  /// @throws std::invalid_argument for a null `const char*` (as Value's).
  ///@{
  Resource(std::string text) : value_(std::move(text)) {}
  Resource(const char* text) : value_(text) {}
  Resource(std::string_view text) : value_(std::string(text)) {}
  ///@}
  /// A table, whatever its name holds.
  Resource(Table table) : value_(std::move(table)) {}
  /// One record, or the records of a range when the key is a Range.
  Resource(RecordId id) : value_(std::move(id)) {}
  /// What a Value holds: a record id, a table, or text as above. So what a
  /// call answered can be the next call's target: `db.select(created["id"])`.
  /// @throws TypeError for a Value of any other kind.
  ///@{
  Resource(const Value& value) : value_(checked(value)) {}
  Resource(Value&& value) : value_(checked(std::move(value))) {}
  Resource(const Value::Member& member) : value_(checked(member.value())) {}
  ///@}

  /// True when this names a single record rather than a table or a range:
  /// record calls then answer with that record (or NONE) instead of an array.
  bool is_record() const {
    // Text cannot name a range: SurrealDB's record id parser refuses
    // "person:1..5", and a key range needs a RecordId.
    if (const auto* text = value_.get_if<std::string>()) return text->find(':') != std::string::npos;
    if (const auto* id = value_.get_if<RecordId>()) return !id->key().is_range();
    return false;
  }

  /// The form the resource crosses the C ABI in: text, a table or a record id.
  const Value& value() const noexcept { return value_; }

 private:
  template <typename V>
  static Value checked(V&& value) {
    if (!value.is_record_id() && !value.is_table() && !value.is_string()) {
      throw TypeError("surreal::Resource: expected a record id, a table or a string, found " +
                      std::string(kind_name(value.kind())));
    }
    return Value(std::forward<V>(value));
  }

  Value value_;
};

}  // namespace surreal
