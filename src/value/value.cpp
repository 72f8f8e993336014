// surreal::Value itself: construction, access (operator[], at(), Member),
// the names of its kinds, the user types' field errors, and its destruction.
// Equality, order and hashing are in compare.cpp, the types it holds in
// types.cpp, JSON in json.cpp, SurrealQL text (through the native library)
// in text.cpp.
#include "surreal/value.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace surreal {

std::string_view kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::none: return "none";
    case Kind::null: return "null";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::decimal: return "decimal";
    case Kind::string: return "string";
    case Kind::bytes: return "bytes";
    case Kind::duration: return "duration";
    case Kind::datetime: return "datetime";
    case Kind::uuid: return "uuid";
    case Kind::array: return "array";
    case Kind::object: return "object";
    case Kind::set: return "set";
    case Kind::geometry: return "geometry";
    case Kind::table: return "table";
    case Kind::record_id: return "record id";
    case Kind::range: return "range";
    case Kind::file: return "file";
    case Kind::regex: return "regex";
  }
  return "unknown";
}

// --- Value ------------------------------------------------------------------

Value::Value(const char* text) {
  if (text == nullptr) throw std::invalid_argument("surreal::Value: null const char*");
  data_.emplace<std::string>(text);
}

Value::Value(std::initializer_list<Value> items) {
  const bool object = std::all_of(items.begin(), items.end(), [](const Value& item) {
    const Array* pair = item.get_if<Array>();
    return pair != nullptr && pair->size() == 2 && (*pair)[0].is_string();
  });
  if (object) {
    Object members;
    members.reserve(items.size());
    for (const Value& item : items) {
      const Array& pair = *item.get_if<Array>();
      members.insert_or_assign(*pair[0].get_if<std::string>(), pair[1]);
    }
    data_.emplace<Object>(std::move(members));
  } else {
    data_.emplace<Array>(items);
  }
}

void Value::throw_type_error(std::string_view expected) const {
  throw TypeError("surreal::Value: expected " + std::string(expected) + ", found " +
                  std::string(kind_name(kind())));
}

const Object& Value::as_object() const { return stored<Object>(Kind::object); }
Object& Value::as_object() { return const_cast<Object&>(std::as_const(*this).as_object()); }
const Array& Value::as_array() const { return stored<Array>(Kind::array); }
Array& Value::as_array() { return const_cast<Array&>(std::as_const(*this).as_array()); }
const std::string& Value::as_string() const { return stored<std::string>(Kind::string); }

const Value& Value::operator[](std::string_view key) const& {
  if (const Object* object = get_if<Object>()) {
    if (const Value* member = object->find(key)) return *member;
  }
  return detail::none_value();
}

const Value& Value::Member::value() const {
  const Value& container = owner_ ? std::as_const(*owner_) : outer_->value();
  return container[std::string_view(key_)];
}

Value& Value::Member::ref() {
  // A Member is a handle: the Values it reaches through owner_ and outer_
  // are not const (operator[] & made it from a non-const Value).
  Value& container = owner_ ? *owner_ : const_cast<Member*>(outer_)->ref();
  if (container.is_none()) container.data_.emplace<Object>();
  return container.as_object()[key_];
}

Value Value::operator[](std::string_view key) && {
  if (Object* object = get_if<Object>()) {
    if (Value* member = object->find(key)) return std::move(*member);
  }
  return Value();
}

const Value& Value::operator[](std::size_t index) const& { return at(index); }
Value& Value::operator[](std::size_t index) & { return at(index); }
Value Value::operator[](std::size_t index) && { return std::move(at(index)); }

const Value& Value::at(std::string_view key) const& { return as_object().at(key); }
Value& Value::at(std::string_view key) & { return as_object().at(key); }
Value Value::at(std::string_view key) && { return std::move(as_object().at(key)); }

Value Value::at(std::size_t index) && { return std::move(at(index)); }

const Value& Value::at(std::size_t index) const& {
  const Array& array = as_array();
  if (index >= array.size()) {
    throw std::out_of_range("surreal::Value: index " + std::to_string(index) +
                            " past the end of an array of " + std::to_string(array.size()));
  }
  return array[index];
}

Value& Value::at(std::size_t index) & {
  return const_cast<Value&>(std::as_const(*this).at(index));
}

bool Value::contains(std::string_view key) const noexcept {
  const Object* object = get_if<Object>();
  return object != nullptr && object->contains(key);
}

std::size_t Value::size() const {
  switch (kind()) {
    case Kind::none:
    case Kind::null: return 0;
    case Kind::array: return get_if<Array>()->size();
    case Kind::set: return get_if<Set>()->size();
    case Kind::object: return get_if<Object>()->size();
    default: throw_type_error("array, set or object");
  }
}

const Value* Value::begin() const {
  switch (kind()) {
    case Kind::none:
    case Kind::null: return nullptr;
    case Kind::array: return get_if<Array>()->data();
    case Kind::set: return get_if<Set>()->data();
    default: throw_type_error("array or set");
  }
}

const Value* Value::end() const {
  const Value* first = begin();
  if (const Array* array = get_if<Array>()) return first + array->size();
  if (const Set* set = get_if<Set>()) return first + set->size();
  return first;
}

void Value::push_back(Value item) {
  if (is_none()) data_.emplace<Array>();
  as_array().push_back(std::move(item));
}

namespace detail {

const Value& none_value() noexcept {
  static const Value none;
  return none;
}

const Object& object_for(const Value& value, const char* type) {
  if (const Object* object = value.get_if<Object>()) return *object;
  throw TypeError(std::string("surreal::Value: expected object for ") + type + ", found " +
                  std::string(kind_name(value.kind())));
}

void throw_field_error(const char* type, const char* name, bool absent, const TypeError& error) {
  if (absent) {
    throw TypeError(std::string("surreal::Value: ") + type + " has no member \"" + name + "\"");
  }
  // "surreal::Value: Person.address: Address.city: expected string, found int".
  constexpr std::string_view kPrefix = "surreal::Value: ";
  std::string_view inner = error.what();
  if (inner.substr(0, kPrefix.size()) == kPrefix) inner.remove_prefix(kPrefix.size());
  throw TypeError(std::string(kPrefix) + type + "." + name + ": " + std::string(inner));
}

}  // namespace detail

// Destroying nested containers recurses once per level of nesting, and a
// value nested 10,000 deep (which a user can build, and the library then
// refuses) overflowed the worker thread's stack under AddressSanitizer. So
// past kShallow levels on this thread, a container's nested containers are
// moved to a work list and destroyed one after another instead: each of them
// arrives here with its own nested containers moved out, so the recursion
// stays within kShallow + 2 levels however deep the value is. The common,
// shallow case only counts.
void Value::release_deep() noexcept {
  constexpr int kShallow = 64;
  thread_local int depth = 0;
  if (depth < kShallow) {
    ++depth;
    data_.emplace<None>();  // destroys the members, which may come back here
    --depth;
    return;
  }
  const auto is_container = [](const Value& v) {
    return v.is_array() || v.is_object() || v.is_set();
  };
  std::vector<Value> pending;
  const auto move_nested = [&](Value& container) {
    const auto take = [&](Value& member) {
      if (is_container(member)) pending.push_back(std::move(member));
    };
    if (auto* items = std::get_if<Array>(&container.data_)) {
      for (Value& item : *items) take(item);
    } else if (auto* fields = std::get_if<Object>(&container.data_)) {
      for (auto& field : *fields) take(field.second);
    } else if (auto* members = std::get_if<Set>(&container.data_)) {
      for (Value& member : members->members_) take(member);
    }
  };
  try {
    move_nested(*this);
    while (!pending.empty()) {
      Value next = std::move(pending.back());
      pending.pop_back();
      move_nested(next);
    }  // `next` goes here, holding no nested container any more
  } catch (...) {
    // Out of memory for the work list: what was not moved is destroyed by
    // plain recursion below, as before this existed.
  }
  ++depth;
  data_.emplace<None>();
  --depth;
}

}  // namespace surreal
