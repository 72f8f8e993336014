// Seeded random surreal::Values of every kind, for property tests, and the
// identity check they need: SurrealDB's == calls 1 and 1.0 equal, and 0.0 and
// -0.0, and 1.5dec and 1.50dec, so "round-trips exactly" compares kinds, bits
// and digits too. And deeply nested values, built without copies.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "surreal/value.hpp"

namespace surreal::test_support {

/// Values SurrealDB stores and returns unchanged: valid UTF-8 text, closed
/// polygon rings, datetimes within the years SurrealDB accepts, regexes that
/// compile, file keys with their leading '/', and the one NaN SurrealDB keeps
/// (other NaN payloads are not preserved by any float encoding).
class RandomValues {
 public:
  /// With `for_server`, only values a server connection carries: no -0.0
  /// (it arrives as 0.0) and no duration beyond 2^63 s (refused).
  explicit RandomValues(std::uint64_t seed, bool for_server = false)
      : random_(seed), for_server_(for_server) {}

  /// A tree at most `depth` containers deep.
  Value tree(int depth) {
    const int kinds = depth > 0 ? 20 : 15;
    switch (below(kinds)) {
      case 0: return Value();
      case 1: return Value(nullptr);
      case 2: return Value(below(2) == 1);
      case 3: return Value(integer());
      case 4: return Value(floating());
      case 5: return Value(decimal());
      case 6: return Value(text(12));
      case 7: return Value(bytes());
      case 8: return Value(Duration(below(3) == 0 ? random_() >> (for_server_ ? 1 : 0)
                                                  : random_() % 4'000'000'000,
                                    static_cast<std::uint32_t>(below(1'000'000'000))));
      case 9: return Value(datetime());
      case 10: return Value(uuid());
      case 11: return Value(Table{identifier()});
      case 12: return Value(File{identifier(), "/" + identifier() + "/" + identifier()});
      case 13: return Value(Regex{identifier()});
      case 14: return Value(geometry(1));
      case 15: return Value(array(depth));
      case 16: return Value(object(depth));
      case 17: return Value(set(depth));
      case 18: return Value(record_id(depth));
      default: return Value(range(depth));
    }
  }

  std::int64_t integer() {
    switch (below(4)) {
      case 0: return std::numeric_limits<std::int64_t>::min() + below(3);
      case 1: return std::numeric_limits<std::int64_t>::max() - below(3);
      case 2: return static_cast<std::int64_t>(random_());
      default: return below(201) - 100;
    }
  }

  double floating() {
    switch (below(8)) {
      case 0: return for_server_ ? 0.0 : -0.0;
      case 1: return std::numeric_limits<double>::quiet_NaN();
      case 2: return below(2) == 1 ? std::numeric_limits<double>::infinity()
                                   : -std::numeric_limits<double>::infinity();
      case 3: return std::numeric_limits<double>::denorm_min() * static_cast<double>(below(1000));
      default: return finite();
    }
  }

  /// Up to 28 significant digits with up to 28 after the point, as SurrealDB keeps them.
  Decimal decimal() {
    const int digits = 1 + static_cast<int>(below(28));
    std::string text(digits, '0');
    for (char& digit : text) digit = static_cast<char>('0' + below(10));
    const int scale = static_cast<int>(below(static_cast<std::uint64_t>(digits)));
    if (scale > 0) text.insert(text.size() - static_cast<std::size_t>(scale), ".");
    // No leading zeros before other digits: SurrealDB renders "007" as "7".
    while (text.size() > 1 && text[0] == '0' && text[1] != '.') text.erase(0, 1);
    const bool zero = text.find_first_not_of("0.") == std::string::npos;
    if (below(2) == 1 && !zero) text.insert(text.begin(), '-');
    return Decimal(text);
  }

  /// UTF-8 text of up to `max` code points, NUL and 4-byte sequences included.
  std::string text(int max) {
    static const std::array<std::string_view, 10> pieces = {
        "a", "Z", "0", " ", std::string_view("\0", 1), "é", "⟨", "⟩", "😀", "'"};
    std::string result;
    for (auto count = below(static_cast<std::uint64_t>(max) + 1); count > 0; --count) {
      result += pieces[below(pieces.size())];
    }
    return result;
  }

  Bytes bytes() {
    Bytes result(below(9));
    for (auto& byte : result) byte = static_cast<std::byte>(below(3) == 0 ? 0 : below(256));
    return result;
  }

  /// Any second of the years -9999 to 9999 (and the nanos), either side of 1970.
  Datetime datetime() {
    constexpr std::int64_t kSpan = 315'537'897'599;  // 9999-12-31T23:59:59Z
    const auto seconds = static_cast<std::int64_t>(random_() % (2 * kSpan)) - kSpan;
    return Datetime(seconds, static_cast<std::uint32_t>(below(1'000'000'000)));
  }

  Uuid uuid() {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(below(256));
    return Uuid(bytes);
  }

  Geometry geometry(int depth) {
    switch (below(depth > 0 ? 7 : 6)) {
      case 0: return Geometry(point());
      case 1: return Geometry(line());
      case 2: return Geometry(polygon());
      case 3: return Geometry(geo::MultiPoint{{point(), point()}});
      case 4: return Geometry(geo::MultiLine{{line(), line()}});
      case 5: return Geometry(geo::MultiPolygon{{polygon()}});
      default: {
        std::vector<Geometry> members;
        for (std::uint64_t i = below(3); i > 0; --i) members.push_back(geometry(depth - 1));
        return Geometry::collection(std::move(members));
      }
    }
  }

 private:
  std::uint64_t below(std::uint64_t n) { return random_() % n; }

  double finite() {
    return std::ldexp(static_cast<double>(static_cast<std::int64_t>(random_() >> 11)) /
                          static_cast<double>(std::int64_t{1} << 52),
                      static_cast<int>(below(200)) - 100);
  }

  std::string identifier() {
    std::string name = "t";
    for (std::uint64_t i = below(8); i > 0; --i) name.push_back(static_cast<char>('a' + below(26)));
    return name;
  }

  geo::Point point() { return {finite(), finite()}; }
  geo::Line line() { return {{point(), point(), point()}}; }
  /// A closed ring, as SurrealDB (geo) keeps polygons.
  geo::Line ring() {
    geo::Line ring = line();
    ring.points.push_back(ring.points.front());
    return ring;
  }
  geo::Polygon polygon() {
    geo::Polygon polygon{ring(), {}};
    if (below(2) == 1) polygon.interiors.push_back(ring());
    return polygon;
  }

  Array array(int depth) {
    Array items;
    for (std::uint64_t i = below(5); i > 0; --i) items.push_back(tree(depth - 1));
    return items;
  }

  Object object(int depth) {
    Object fields;
    for (std::uint64_t i = below(5); i > 0; --i) fields.insert_or_assign(text(6), tree(depth - 1));
    return fields;
  }

  Set set(int depth) {
    Set members;
    for (std::uint64_t i = below(4); i > 0; --i) members.insert(tree(depth - 1));
    return members;
  }

  /// A record id key: an int, text, uuid, array, object or range of keys.
  Value key(int depth) {
    switch (below(depth > 0 ? 6 : 3)) {
      case 0: return integer();
      case 1: return text(8);
      case 2: return uuid();
      case 3: return array(depth);
      case 4: return object(depth);
      default: {
        auto begin = bound([&] { return Value(integer()); });
        return Range(std::move(begin), bound([&] { return Value(integer()); }));
      }
    }
  }

  RecordId record_id(int depth) { return RecordId(identifier(), key(depth)); }

  Range range(int depth) {
    auto begin = bound([&] { return tree(depth - 1); });
    return Range(std::move(begin), bound([&] { return tree(depth - 1); }));
  }

  /// Unbounded, inclusive or exclusive, a third of the time each.
  template <class Make>
  std::optional<Range::Bound> bound(Make make) {
    switch (below(3)) {
      case 0: return std::nullopt;
      case 1: return Range::included(make());
      default: return Range::excluded(make());
    }
  }

  std::mt19937_64 random_;
  bool for_server_;
};

/// A value `depth` containers deep, arrays and objects by turns around the
/// int 1. Built by moves only: a copy of a deep value recurses once per level.
inline Value nested(int depth) {
  Value value = 1;
  for (int i = 0; i < depth; ++i) {
    if (i % 2 == 0) {
      Array level;
      level.push_back(std::move(value));
      value = std::move(level);
    } else {
      Object level;
      level.insert_or_assign("level", std::move(value));
      value = std::move(level);
    }
  }
  return value;
}

/// The same value in every detail, checked in C++ alone (so that a codec
/// that loses a detail on the way out cannot hide it on the way back): the
/// same kinds all the way down, floats with the same bits (any NaN matches
/// any NaN), decimals with the same digits, objects with the same keys in the
/// same order; everything else as SurrealDB's ==.
inline bool same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  const auto all_same = [](const auto& x, const auto& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                      [](const Value& p, const Value& q) { return same(p, q); });
  };
  switch (a.kind()) {
    case Kind::floating: {
      const double x = *a.get_if<double>(), y = *b.get_if<double>();
      return (std::isnan(x) && std::isnan(y)) || (x == y && std::signbit(x) == std::signbit(y));
    }
    case Kind::decimal:
      return a.get_if<Decimal>()->text() == b.get_if<Decimal>()->text();
    case Kind::array:
      return all_same(*a.get_if<Array>(), *b.get_if<Array>());
    case Kind::set:
      return all_same(*a.get_if<Set>(), *b.get_if<Set>());
    case Kind::object:
      return std::equal(a.as_object().begin(), a.as_object().end(), b.as_object().begin(),
                        b.as_object().end(), [](const auto& p, const auto& q) {
                          return p.first == q.first && same(p.second, q.second);
                        });
    case Kind::record_id: {
      const RecordId &x = *a.get_if<RecordId>(), &y = *b.get_if<RecordId>();
      return x.table() == y.table() && same(x.key(), y.key());
    }
    case Kind::range: {
      const Range &x = *a.get_if<Range>(), &y = *b.get_if<Range>();
      const auto same_bound = [](const std::optional<Range::Bound>& p,
                                 const std::optional<Range::Bound>& q) {
        if (!p || !q) return !p && !q;
        return p->inclusive == q->inclusive && same(p->value, q->value);
      };
      return same_bound(x.begin(), y.begin()) && same_bound(x.end(), y.end());
    }
    default:
      return a == b;
  }
}

/// `actual` is `expected` exactly (see same()); the message shows both.
inline testing::AssertionResult identical(const Value& expected, const Value& actual) {
  if (same(expected, actual)) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "expected " << expected.to_string() << "\n     got "
                                     << actual.to_string();
}

}  // namespace surreal::test_support
