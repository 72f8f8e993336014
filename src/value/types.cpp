// The types a Value holds beside the C++ built-ins: Decimal, Duration,
// Datetime, Uuid, Object, Set and RecordId (their order and equality are
// in compare.cpp).
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

#include "value/common.hpp"

namespace surreal {

namespace {

using value_detail::i128;
using value_detail::kDecimalLimit;
using value_detail::kNanosPerSecond;
using value_detail::u128;

[[noreturn]] void invalid_decimal(std::string_view text, std::string_view why) {
  throw std::invalid_argument("surreal::Decimal: \"" + std::string(text) + "\" " +
                              std::string(why));
}

// ---------------------------------------------------------------------------
// Record id keys.

bool is_record_key(const Value& key) noexcept {
  switch (key.kind()) {
    case Kind::integer:
    case Kind::string:
    case Kind::uuid:
    case Kind::array:
    case Kind::object:
      return true;
    case Kind::range: {
      const Range& range = *key.get_if<Range>();
      return (!range.begin() || is_record_key(range.begin()->value)) &&
             (!range.end() || is_record_key(range.end()->value));
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Time.

std::uint32_t nanos_of_fraction(long double fraction) noexcept {
  const auto nanos = static_cast<std::uint32_t>(fraction * 1e9L);
  return std::min(nanos, kNanosPerSecond - 1);
}

}  // namespace

// --- Decimal ----------------------------------------------------------------

Decimal::Decimal(std::string text) : text_(std::move(text)) {
  const std::string_view digits = text_;
  std::size_t i = !digits.empty() && digits[0] == '-' ? 1 : 0;
  const std::size_t integer_start = i;
  while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i;
  if (i == integer_start) invalid_decimal(digits, "is not [-]digits[.digits]");
  std::size_t fraction_digits = 0;
  if (i < digits.size() && digits[i] == '.') {
    const std::size_t fraction_start = ++i;
    while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i;
    fraction_digits = i - fraction_start;
    if (fraction_digits == 0) invalid_decimal(digits, "is not [-]digits[.digits]");
  }
  if (i != digits.size()) invalid_decimal(digits, "is not [-]digits[.digits]");
  if (fraction_digits > 28) {
    invalid_decimal(digits, "has more than 28 digits after the point (SurrealDB's limit)");
  }
  u128 mantissa = 0;
  for (const char digit : digits) {
    if (digit < '0' || digit > '9') continue;
    mantissa = mantissa * 10 + static_cast<unsigned>(digit - '0');
    if (mantissa >= kDecimalLimit) {
      invalid_decimal(digits, "has more digits than SurrealDB's decimals hold (96 bits)");
    }
  }
}

double Decimal::to_double() const {
  // from_chars: correctly rounded, and independent of the C locale (strtod is not).
  double number = 0;
  const char* first = text_.data();
  std::from_chars(first, first + text_.size(), number);
  return number;
}

// --- Duration ---------------------------------------------------------------

Duration::Duration(std::uint64_t seconds, std::uint32_t nanos)
    : seconds_(seconds), nanos_(nanos % kNanosPerSecond) {
  if (__builtin_add_overflow(seconds_, nanos / kNanosPerSecond, &seconds_)) {
    throw std::out_of_range("surreal::Duration: more than 2^64 seconds");
  }
}

Duration Duration::from_ratio(std::uintmax_t count, std::intmax_t num, std::intmax_t den) {
  const u128 total = static_cast<u128>(count) * static_cast<u128>(num);
  const u128 seconds = total / static_cast<u128>(den);
  const u128 rest = total % static_cast<u128>(den);
  if (seconds > std::numeric_limits<std::uint64_t>::max()) {
    throw std::out_of_range("surreal::Duration: more than 2^64 seconds");
  }
  return Duration(static_cast<std::uint64_t>(seconds),
                  static_cast<std::uint32_t>(rest * kNanosPerSecond / static_cast<u128>(den)));
}

Duration Duration::from_seconds(long double seconds) {
  if (!(seconds >= 0) || !(seconds < 18446744073709551616.0L)) {
    throw std::out_of_range("surreal::Duration: negative, not a number, or more than 2^64 seconds");
  }
  const long double whole = std::floor(seconds);
  return Duration(static_cast<std::uint64_t>(whole), nanos_of_fraction(seconds - whole));
}

std::chrono::nanoseconds Duration::to_chrono() const {
  std::int64_t nanos = 0;
  if (seconds_ > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
      __builtin_mul_overflow(static_cast<std::int64_t>(seconds_), std::int64_t{kNanosPerSecond},
                             &nanos) ||
      __builtin_add_overflow(nanos, std::int64_t{nanos_}, &nanos)) {
    throw std::out_of_range("surreal::Duration: too long for std::chrono::nanoseconds");
  }
  return std::chrono::nanoseconds(nanos);
}

// --- Datetime ---------------------------------------------------------------

Datetime::Datetime(std::int64_t seconds, std::uint32_t nanos) : seconds_(seconds), nanos_(nanos) {
  if (nanos >= kNanosPerSecond) {
    throw std::invalid_argument("surreal::Datetime: nanoseconds must be below 1000000000, got " +
                                std::to_string(nanos));
  }
}

Datetime Datetime::from_ratio(std::intmax_t count, std::intmax_t num, std::intmax_t den) {
  const i128 total = static_cast<i128>(count) * num;
  i128 seconds = total / den;
  i128 rest = total % den;
  if (rest < 0) {  // round down, not towards zero
    rest += den;
    --seconds;
  }
  if (seconds < std::numeric_limits<std::int64_t>::min() ||
      seconds > std::numeric_limits<std::int64_t>::max()) {
    throw std::out_of_range("surreal::Datetime: beyond 2^63 seconds from 1970");
  }
  return Datetime(static_cast<std::int64_t>(seconds),
                  static_cast<std::uint32_t>(rest * kNanosPerSecond / den));
}

Datetime Datetime::from_seconds(long double seconds) {
  constexpr long double kLimit = 9223372036854775808.0L;
  if (!(seconds >= -kLimit) || !(seconds < kLimit)) {
    throw std::out_of_range("surreal::Datetime: not a number, or beyond 2^63 seconds from 1970");
  }
  const long double whole = std::floor(seconds);
  return Datetime(static_cast<std::int64_t>(whole), nanos_of_fraction(seconds - whole));
}

Datetime Datetime::now() { return Datetime(std::chrono::system_clock::now()); }

std::chrono::sys_time<std::chrono::nanoseconds> Datetime::to_time_point() const {
  // Before 1970, borrow a second first: the earliest nanosecond time point
  // (-9223372036.854775808 s) has whole seconds whose nanoseconds overflow.
  std::int64_t seconds = seconds_;
  std::int64_t rest = nanos_;
  if (seconds < 0 && rest > 0) {
    ++seconds;
    rest -= kNanosPerSecond;
  }
  std::int64_t nanos = 0;
  if (__builtin_mul_overflow(seconds, std::int64_t{kNanosPerSecond}, &nanos) ||
      __builtin_add_overflow(nanos, rest, &nanos)) {
    throw std::out_of_range(
        "surreal::Datetime: outside the years 1677 to 2262 that std::chrono::nanoseconds holds");
  }
  return std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(nanos));
}

// --- Uuid -------------------------------------------------------------------

Uuid Uuid::parse(std::string_view text) {
  const auto fail = [&]() -> Uuid {
    throw std::invalid_argument("surreal::Uuid: \"" + std::string(text) +
                                "\" is not a hyphenated UUID (8-4-4-4-12 hex digits)");
  };
  if (text.size() != 36) return fail();
  std::array<std::uint8_t, 16> bytes{};
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return fail();
      ++i;
      continue;
    }
    int pair = 0;
    for (int half = 0; half < 2; ++half, ++i) {
      const char c = text[i];
      int nibble = 0;
      if (c >= '0' && c <= '9') {
        nibble = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        nibble = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        nibble = c - 'A' + 10;
      } else {
        return fail();
      }
      pair = pair * 16 + nibble;
    }
    bytes[byte++] = static_cast<std::uint8_t>(pair);
  }
  return Uuid(bytes);
}

std::string Uuid::text() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[bytes_[i] >> 4]);
    text.push_back(kHex[bytes_[i] & 0xf]);
  }
  return text;
}

// --- Object -----------------------------------------------------------------

Object::Object(std::initializer_list<value_type> members) {
  members_.reserve(members.size());
  for (const value_type& member : members) insert_or_assign(member.first, member.second);
}

std::vector<Object::value_type>::iterator Object::lower_bound(std::string_view key) {
  return std::lower_bound(members_.begin(), members_.end(), key,
                          [](const value_type& member, std::string_view wanted) {
                            return std::string_view(member.first) < wanted;
                          });
}

const Value* Object::find(std::string_view key) const noexcept {
  return const_cast<Object*>(this)->find(key);
}

Value* Object::find(std::string_view key) noexcept {
  const auto at = lower_bound(key);
  return at != members_.end() && at->first == key ? &at->second : nullptr;
}

const Value& Object::at(std::string_view key) const { return const_cast<Object*>(this)->at(key); }

Value& Object::at(std::string_view key) {
  if (Value* value = find(key)) return *value;
  throw std::out_of_range("surreal::Object: no member \"" + std::string(key) + "\"");
}

Value& Object::operator[](std::string key) {
  if (Value* value = find(key)) return *value;
  return insert_or_assign(std::move(key), Value());
}

Value& Object::insert_or_assign(std::string key, Value value) {
  // Keys usually arrive in order (from SurrealDB, from std::map, from a
  // sorted literal): then this is an append.
  if (members_.empty() || members_.back().first < key) {
    return members_.emplace_back(std::move(key), std::move(value)).second;
  }
  const auto at = lower_bound(key);
  if (at != members_.end() && at->first == key) {
    at->second = std::move(value);
    return at->second;
  }
  return members_.emplace(at, std::move(key), std::move(value))->second;
}

bool Object::erase(std::string_view key) {
  const auto at = lower_bound(key);
  if (at == members_.end() || at->first != key) return false;
  members_.erase(at);
  return true;
}

bool operator==(const Object& a, const Object& b) {
  if (a.size() != b.size()) return false;
  for (auto left = a.begin(), right = b.begin(); left != a.end(); ++left, ++right) {
    if (left->first != right->first || !detail::equal(left->second, right->second)) return false;
  }
  return true;
}

// --- Set --------------------------------------------------------------------

Set::Set(std::initializer_list<Value> members) {
  members_.reserve(members.size());
  for (const Value& member : members) insert(member);
}

bool Set::insert(Value member) {
  if (members_.empty() || detail::compare(members_.back(), member) < 0) {
    members_.push_back(std::move(member));
    return true;
  }
  const auto at = std::lower_bound(members_.begin(), members_.end(), member,
                                   [](const Value& a, const Value& b) { return a < b; });
  if (at != members_.end() && detail::compare(*at, member) == 0) return false;
  members_.insert(at, std::move(member));
  return true;
}

bool Set::contains(const Value& member) const {
  const auto at = std::lower_bound(members_.begin(), members_.end(), member,
                                   [](const Value& a, const Value& b) { return a < b; });
  return at != members_.end() && detail::compare(*at, member) == 0;
}

bool Set::erase(const Value& member) {
  const auto at = std::lower_bound(members_.begin(), members_.end(), member,
                                   [](const Value& a, const Value& b) { return a < b; });
  if (at == members_.end() || detail::compare(*at, member) != 0) return false;
  members_.erase(at);
  return true;
}

bool operator==(const Set& a, const Set& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const Value& x, const Value& y) { return detail::equal(x, y); });
}

// --- RecordId ---------------------------------------------------------------

RecordId::RecordId(std::string table, Value key) : table_(std::move(table)), key_(std::move(key)) {
  if (!is_record_key(key_)) {
    throw std::invalid_argument(
        std::string("surreal::RecordId: a key is an int, string, uuid, array, object or a range "
                    "of keys, not ") +
        std::string(kind_name(key_.kind())));
  }
}

}  // namespace surreal
