// SurrealDB's equality, order and hashing of values (surrealdb-types
// 3.3.5, src/value/mod.rs and number.rs): numbers compared across int,
// float and decimal as SurrealDB does, geometries, the order between kinds,
// and a hash consistent with ==.
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
using value_detail::u128;

// ---------------------------------------------------------------------------
// Numbers as SurrealDB compares them.
//
// Decimals are rust_decimal values: a 96-bit magnitude, a scale (digits after
// the point, 0 to 28) and a sign. Comparing a float with a decimal, SurrealDB
// (number.rs, Number::cmp) does not compare exact values: it compares integer
// parts, then multiplies both fractions by 9007199254740000 and compares the
// integer parts of the products, up to 12 times, with f64 rounding on one side
// and rust_decimal's on the other. That is why 0.1f == 0.1dec there. The code
// below repeats those steps bit for bit, including rust_decimal's rounding
// when a product does not fit 96 bits (ops/mul.rs and Buf24::rescale in
// ops/common.rs of rust_decimal 1.43.0).

struct RustDecimal {
  u128 mantissa = 0;  // below 2^96
  std::uint32_t scale = 0;
  bool negative = false;

  bool is_zero() const noexcept { return mantissa == 0; }
};

constexpr std::int64_t kSafeMultiplier = 9'007'199'254'740'000;

u128 power_of_ten(std::uint32_t exponent) noexcept {
  u128 power = 1;
  for (std::uint32_t i = 0; i < exponent; ++i) power *= 10;
  return power;
}

// Reads text Decimal's constructor validated.
RustDecimal parse_rust_decimal(std::string_view text) noexcept {
  RustDecimal decimal;
  std::size_t i = 0;
  if (!text.empty() && text[0] == '-') {
    decimal.negative = true;
    i = 1;
  }
  bool fraction = false;
  for (; i < text.size(); ++i) {
    if (text[i] == '.') {
      fraction = true;
      continue;
    }
    decimal.mantissa = decimal.mantissa * 10 + static_cast<unsigned>(text[i] - '0');
    if (fraction) ++decimal.scale;
  }
  return decimal;
}

RustDecimal trailing_zeros_removed(RustDecimal decimal) noexcept {
  while (decimal.scale > 0 && decimal.mantissa % 10 == 0) {
    decimal.mantissa /= 10;
    --decimal.scale;
  }
  return decimal;
}

// Rust's Decimal::trunc() as an integer (always fits i128).
i128 truncated(const RustDecimal& decimal) noexcept {
  const auto whole = static_cast<i128>(decimal.mantissa / power_of_ten(decimal.scale));
  return decimal.negative ? -whole : whole;
}

// Rust's Decimal::fract(): self - self.trunc(), which keeps the scale.
RustDecimal fraction_of(const RustDecimal& decimal) noexcept {
  RustDecimal fraction = decimal;
  fraction.mantissa = decimal.mantissa % power_of_ten(decimal.scale);
  return fraction;
}

std::strong_ordering compare_magnitudes(u128 a, std::uint32_t a_scale, u128 b,
                                        std::uint32_t b_scale) noexcept {
  // Bring both to the larger scale; a magnitude that outgrows 128 bits on the
  // way is the larger one (the other is below 2^96).
  constexpr u128 kMax = ~u128{0};
  for (; a_scale < b_scale; ++a_scale) {
    if (a > kMax / 10) return std::strong_ordering::greater;
    a *= 10;
  }
  for (; b_scale < a_scale; ++b_scale) {
    if (b > kMax / 10) return std::strong_ordering::less;
    b *= 10;
  }
  return a <=> b;
}

// Exact comparison, zero having no sign (rust_decimal's cmp_impl).
std::weak_ordering compare_decimals(const RustDecimal& a, const RustDecimal& b) noexcept {
  if (a.is_zero() && b.is_zero()) return std::weak_ordering::equivalent;
  const bool a_negative = a.negative && !a.is_zero();
  const bool b_negative = b.negative && !b.is_zero();
  if (a_negative != b_negative) {
    return a_negative ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  const std::strong_ordering magnitude =
      compare_magnitudes(a.mantissa, a.scale, b.mantissa, b.scale);
  return a_negative ? 0 <=> magnitude : magnitude <=> 0;
}

RustDecimal decimal_from_int(std::int64_t number) noexcept {
  RustDecimal decimal;
  decimal.negative = number < 0;
  decimal.mantissa = decimal.negative ? u128{0} - static_cast<u128>(static_cast<i128>(number))
                                      : static_cast<u128>(number);
  return decimal;
}

// rust_decimal 1.43.0's Buf24::rescale: shrinks a product of up to 192 bits
// (six 32-bit words, little end first) into 96 bits by dropping decimal
// digits, rounding half to even with a sticky bit. Returns the new scale, or
// -1 for rust_decimal's overflow. Ported statement by statement, since the
// number of digits it drops (and so the rounding) is part of the result.
int rescale_product(std::uint32_t (&data)[6], int upper, int scale) noexcept {
  static constexpr std::uint32_t kPowers10[10] = {1,      10,      100,      1000,      10000,
                                                  100000, 1000000, 10000000, 100000000, 1000000000};
  constexpr int kMaxScale = 28;
  constexpr int kMaxI32Scale = 9;
  int rescale_target = 0;
  if (upper > 2) {
    rescale_target = upper * 32 - 64 - 1;
    rescale_target -= std::countl_zero(data[upper]);
    rescale_target = ((rescale_target * 77) >> 8) + 1;
    if (rescale_target > scale) return -1;
  }
  if (rescale_target < scale - kMaxScale) rescale_target = scale - kMaxScale;
  if (rescale_target > 0) {
    scale -= rescale_target;
    std::uint32_t sticky = 0;
    std::uint32_t remainder = 0;
    for (;;) {
      sticky |= remainder;
      std::uint32_t power = rescale_target > 8 ? kPowers10[9] : kPowers10[rescale_target];
      const std::uint32_t high = data[upper];
      const std::uint32_t high_quotient = high / power;
      remainder = high - high_quotient * power;
      for (int index = upper - 1; index >= 0; --index) {
        const std::uint64_t number =
            std::uint64_t{data[index]} + (std::uint64_t{remainder} << 32);
        data[index] = static_cast<std::uint32_t>(number / power);
        remainder = static_cast<std::uint32_t>(number) - data[index] * power;
      }
      data[upper] = high_quotient;
      if (high_quotient == 0 && upper > 0) --upper;
      if (rescale_target > kMaxI32Scale) {
        rescale_target -= kMaxI32Scale;
        continue;
      }
      if (upper > 2) {
        if (scale == 0) return -1;
        rescale_target = 1;
        --scale;
        continue;
      }
      power >>= 1;
      bool carried = false;
      if (power <= remainder && (power < remainder || ((data[0] & 1) | sticky) != 0)) {
        data[0] += 1;
        carried = data[0] == 0;
      }
      if (carried) {
        int position = 0;
        for (int index = 1; index < 6; ++index) {
          position = index;
          data[index] += 1;
          if (data[index] != 0) break;
        }
        if (position > 2) {
          if (scale == 0) return -1;
          upper = position;
          sticky = 0;
          remainder = 0;
          rescale_target = 1;
          --scale;
          continue;
        }
      }
      break;
    }
  }
  return scale;
}

// rust_decimal's `fraction * Decimal::new(9007199254740000, 0)` for a fraction
// (|fraction| < 1, so the result never overflows).
RustDecimal times_safe_multiplier(const RustDecimal& fraction) noexcept {
  if (fraction.is_zero()) return RustDecimal{};  // mul_impl returns Decimal::ZERO
  // The exact product (at most 96 + 53 bits), as six 32-bit words.
  const auto multiplier = static_cast<u128>(kSafeMultiplier);
  const u128 low = (fraction.mantissa & ~std::uint64_t{0}) * multiplier;
  const u128 high = (fraction.mantissa >> 64) * multiplier;
  std::uint32_t data[6] = {};
  u128 carry = 0;
  for (int word = 0; word < 6; ++word) {
    u128 sum = carry;
    if (word < 4) sum += (low >> (32 * word)) & 0xffffffffu;
    if (word >= 2) sum += (high >> (32 * (word - 2))) & 0xffffffffu;
    data[word] = static_cast<std::uint32_t>(sum);
    carry = sum >> 32;
  }
  int upper = 5;
  while (upper > 0 && data[upper] == 0) --upper;
  int scale = static_cast<int>(fraction.scale);
  if (upper > 2 || scale > 28) scale = rescale_product(data, upper, scale);
  RustDecimal product;
  product.mantissa = (u128{data[2]} << 64) | (u128{data[1]} << 32) | data[0];
  product.scale = static_cast<std::uint32_t>(scale);
  product.negative = fraction.negative;
  return product;
}

// Rust's `f64 as i128`: truncation, saturating at the ends (the value is finite).
i128 saturating_i128(double number) noexcept {
  constexpr double kTwo127 = 170141183460469231731687303715884105728.0;
  if (number >= kTwo127) return static_cast<i128>(~u128{0} >> 1);
  if (number < -kTwo127) return -static_cast<i128>(~u128{0} >> 1) - 1;
  return static_cast<i128>(number);
}

std::weak_ordering sign_order(bool positive) noexcept {
  return positive ? std::weak_ordering::greater : std::weak_ordering::less;
}

// f64::total_cmp, except that 0.0 and -0.0 are equal (number.rs, total_cmp_f64).
std::weak_ordering compare_floats(double a, double b) noexcept {
  if (a == 0.0 && b == 0.0) return std::weak_ordering::equivalent;
  auto key = [](double number) {
    auto bits = std::bit_cast<std::int64_t>(number);
    return bits ^ static_cast<std::int64_t>(static_cast<std::uint64_t>(bits >> 63) >> 1);
  };
  return key(a) <=> key(b);
}

std::weak_ordering compare_int_float(std::int64_t a, double b) noexcept {
  if (!std::isfinite(b)) return sign_order(std::signbit(b));  // greater!(w).reverse()
  const i128 whole = saturating_i128(b);
  if (a != whole) return static_cast<i128>(a) < whole ? std::weak_ordering::less
                                                      : std::weak_ordering::greater;
  return compare_floats(0.0, b - std::trunc(b));
}

std::weak_ordering compare_float_decimal(double a, const RustDecimal& b) noexcept {
  if (!std::isfinite(a)) return sign_order(!std::signbit(a));  // greater!(v)
  const i128 a_whole = saturating_i128(a);
  const i128 b_whole = truncated(b);
  if (a_whole != b_whole) {
    return a_whole < b_whole ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  double left = a - std::trunc(a);
  RustDecimal right = fraction_of(b);
  for (int round = 0; round < 12; ++round) {
    left *= static_cast<double>(kSafeMultiplier);
    right = times_safe_multiplier(right);
    // The products are below 2^53, so both integer parts fit an i64.
    const auto left_whole = static_cast<std::int64_t>(left);
    const auto right_whole = static_cast<std::int64_t>(truncated(right));
    if (left_whole != right_whole) return left_whole <=> right_whole;
    left -= std::trunc(left);
    right = fraction_of(right);
    const bool left_zero = left == 0.0;
    const bool right_zero = right.is_zero();
    if (left_zero && right_zero) return std::weak_ordering::equivalent;
    if (left_zero) return sign_order(right.negative);  // greater!(r).reverse()
    if (right_zero) return sign_order(!std::signbit(left));  // greater!(l)
  }
  return std::weak_ordering::equivalent;
}

struct NumberView {
  Kind kind;
  std::int64_t integer = 0;
  double floating = 0;
  RustDecimal decimal;
};

NumberView number_of(const Value& value) noexcept {
  NumberView number{value.kind(), 0, 0, RustDecimal{}};
  if (const auto* integer = value.get_if<std::int64_t>()) number.integer = *integer;
  if (const auto* floating = value.get_if<double>()) number.floating = *floating;
  if (const auto* decimal = value.get_if<Decimal>()) {
    number.decimal = parse_rust_decimal(decimal->text());
  }
  return number;
}

std::weak_ordering compare_numbers(const NumberView& a, const NumberView& b) noexcept {
  using K = Kind;
  switch (a.kind) {
    case K::integer:
      if (b.kind == K::integer) return a.integer <=> b.integer;
      if (b.kind == K::floating) return compare_int_float(a.integer, b.floating);
      return compare_decimals(decimal_from_int(a.integer), b.decimal);
    case K::floating:
      if (b.kind == K::integer) return 0 <=> compare_int_float(b.integer, a.floating);
      if (b.kind == K::floating) return compare_floats(a.floating, b.floating);
      return compare_float_decimal(a.floating, b.decimal);
    default:
      if (b.kind == K::integer) return compare_decimals(a.decimal, decimal_from_int(b.integer));
      if (b.kind == K::floating) return 0 <=> compare_float_decimal(b.floating, a.decimal);
      return compare_decimals(a.decimal, b.decimal);
  }
}

// ---------------------------------------------------------------------------
// Geometry order (geometry.rs, PartialOrd for Geometry): shapes by kind, then
// their coordinates in sequence; an incomparable coordinate (NaN) makes the
// geometries compare equivalent, as SurrealDB maps None to Equal.

template <class F>
void each_coordinate(const geo::Line& line, F&& visit) {
  for (const geo::Point& point : line.points) visit(point);
}
template <class F>
void each_coordinate(const geo::Polygon& polygon, F&& visit) {
  // Interiors first, then the exterior, as SurrealDB iterates them.
  for (const geo::Line& interior : polygon.interiors) each_coordinate(interior, visit);
  each_coordinate(polygon.exterior, visit);
}

template <class Shape>
std::vector<geo::Point> coordinates_of(const Shape& shape) {
  std::vector<geo::Point> points;
  auto add = [&](const geo::Point& point) { points.push_back(point); };
  if constexpr (std::is_same_v<Shape, geo::Point>) {
    points.push_back(shape);
  } else if constexpr (std::is_same_v<Shape, geo::Line> || std::is_same_v<Shape, geo::Polygon>) {
    each_coordinate(shape, add);
  } else if constexpr (std::is_same_v<Shape, geo::MultiPoint>) {
    points = shape.points;
  } else if constexpr (std::is_same_v<Shape, geo::MultiLine>) {
    for (const geo::Line& line : shape.lines) each_coordinate(line, add);
  } else {
    for (const geo::Polygon& polygon : shape.polygons) each_coordinate(polygon, add);
  }
  return points;
}

std::partial_ordering compare_points(const geo::Point& a, const geo::Point& b) noexcept {
  const std::partial_ordering x = a.x <=> b.x;
  return x == 0 ? a.y <=> b.y : x;
}

std::partial_ordering compare_geometries(const Geometry& a, const Geometry& b) {
  const Geometry::Shape& left = a.shape();
  const Geometry::Shape& right = b.shape();
  if (left.index() != right.index()) return left.index() <=> right.index();
  if (const auto* members = std::get_if<std::vector<Geometry>>(&left)) {
    const auto& others = std::get<std::vector<Geometry>>(right);
    const std::size_t common = std::min(members->size(), others.size());
    for (std::size_t i = 0; i < common; ++i) {
      const std::partial_ordering order = compare_geometries((*members)[i], others[i]);
      if (order != 0) return order;
    }
    return members->size() <=> others.size();
  }
  const auto coordinates = [](const Geometry::Shape& shape) {
    return std::visit(
        [](const auto& alternative) -> std::vector<geo::Point> {
          if constexpr (std::is_same_v<std::decay_t<decltype(alternative)>,
                                       std::vector<Geometry>>) {
            return {};
          } else {
            return coordinates_of(alternative);
          }
        },
        shape);
  };
  const std::vector<geo::Point> left_points = coordinates(left);
  const std::vector<geo::Point> right_points = coordinates(right);
  const std::size_t common = std::min(left_points.size(), right_points.size());
  for (std::size_t i = 0; i < common; ++i) {
    const std::partial_ordering order = compare_points(left_points[i], right_points[i]);
    if (order != 0) return order;
  }
  return left_points.size() <=> right_points.size();
}

// ---------------------------------------------------------------------------
// The order between kinds (mod.rs, Ord for Value). Numbers share one rank;
// tables and record ids share one too and are then ordered by table name.

int kind_rank(Kind kind) noexcept {
  switch (kind) {
    case Kind::none: return 0;
    case Kind::null: return 1;
    case Kind::boolean: return 2;
    case Kind::integer:
    case Kind::floating:
    case Kind::decimal: return 3;
    case Kind::string: return 4;
    case Kind::duration: return 5;
    case Kind::datetime: return 6;
    case Kind::uuid: return 7;
    case Kind::array: return 8;
    case Kind::set: return 9;
    case Kind::object: return 10;
    case Kind::geometry: return 11;
    case Kind::bytes: return 12;
    case Kind::table:
    case Kind::record_id: return 13;
    case Kind::file: return 14;
    case Kind::range: return 15;
    case Kind::regex: return 16;
  }
  return 17;
}

template <class Range, class Compare>
std::weak_ordering compare_sequences(const Range& a, const Range& b, Compare compare) {
  auto left = a.begin();
  auto right = b.begin();
  for (; left != a.end() && right != b.end(); ++left, ++right) {
    const std::weak_ordering order = compare(*left, *right);
    if (order != 0) return order;
  }
  if (left == a.end()) return right == b.end() ? std::weak_ordering::equivalent
                                               : std::weak_ordering::less;
  return std::weak_ordering::greater;
}

std::weak_ordering compare_bounds(const std::optional<Range::Bound>& a,
                                  const std::optional<Range::Bound>& b) {
  // Unbounded < included < excluded, and values within the same bound kind.
  if (!a) return b ? std::weak_ordering::less : std::weak_ordering::equivalent;
  if (!b) return std::weak_ordering::greater;
  if (a->inclusive != b->inclusive) {
    return a->inclusive ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return detail::compare(a->value, b->value);
}

std::weak_ordering compare_strings(std::string_view a, std::string_view b) noexcept {
  return a <=> b;  // char_traits<char> compares as unsigned bytes, as Rust does
}

bool bounds_equal(const std::optional<Range::Bound>& a, const std::optional<Range::Bound>& b) {
  if (!a || !b) return !a && !b;
  return a->inclusive == b->inclusive && detail::equal(a->value, b->value);
}

// ---------------------------------------------------------------------------
// Hashing, consistent with ==.

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
  // splitmix64's finaliser over a running combination.
  std::uint64_t x = hash ^ (value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2));
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t hash_bytes(std::uint64_t hash, std::string_view bytes) noexcept {
  return mix(hash, std::hash<std::string_view>{}(bytes));
}

std::uint64_t hash_i128(std::uint64_t hash, i128 number) noexcept {
  const auto bits = static_cast<u128>(number);
  return mix(mix(hash, static_cast<std::uint64_t>(bits)), static_cast<std::uint64_t>(bits >> 64));
}

// Numbers that SurrealDB calls equal share their integer part (as Rust's
// `as i128` and Decimal::trunc give it), whether they have a fraction, and
// the integer part of fraction * 9007199254740000 (the first step of the
// float-decimal comparison). Hashing those keeps 1, 1.0f and 1dec together,
// and 0.1f with 0.1dec. The last ten bits of that product are left out: a
// decimal is hashed in its shortest form (1.50 as 1.5) while == uses the form
// it has, and rust_decimal may round those two products differently in their
// last digit.
std::uint64_t hash_number(std::uint64_t hash, const NumberView& number) noexcept {
  hash = mix(hash, 3);
  switch (number.kind) {
    case Kind::integer:
      return mix(hash_i128(hash, number.integer), 0);
    case Kind::floating: {
      const double value = number.floating;
      if (!std::isfinite(value)) return mix(hash, std::bit_cast<std::uint64_t>(value));
      hash = hash_i128(hash, saturating_i128(value));
      const double fraction = value - std::trunc(value);
      if (fraction == 0.0) return mix(hash, 0);
      const auto first = static_cast<std::int64_t>(fraction * static_cast<double>(kSafeMultiplier));
      return mix(mix(hash, 1), static_cast<std::uint64_t>(first >> 10));
    }
    default: {
      const RustDecimal decimal = trailing_zeros_removed(number.decimal);
      hash = hash_i128(hash, truncated(decimal));
      const RustDecimal fraction = fraction_of(decimal);
      if (fraction.is_zero()) return mix(hash, 0);
      const auto first = static_cast<std::int64_t>(truncated(times_safe_multiplier(fraction)));
      return mix(mix(hash, 1), static_cast<std::uint64_t>(first >> 10));
    }
  }
}

std::uint64_t hash_coordinate(std::uint64_t hash, double coordinate) noexcept {
  if (coordinate == 0.0) coordinate = 0.0;  // -0.0 == 0.0
  return mix(hash, std::bit_cast<std::uint64_t>(coordinate));
}

std::uint64_t hash_line(std::uint64_t hash, const std::vector<geo::Point>& points) noexcept {
  hash = mix(hash, points.size());
  for (const geo::Point& point : points) {
    hash = hash_coordinate(hash_coordinate(hash, point.x), point.y);
  }
  return hash;
}

std::uint64_t hash_polygon(std::uint64_t hash, const geo::Polygon& polygon) noexcept {
  hash = hash_line(hash, polygon.exterior.points);
  hash = mix(hash, polygon.interiors.size());
  for (const geo::Line& interior : polygon.interiors) hash = hash_line(hash, interior.points);
  return hash;
}

std::uint64_t hash_geometry(std::uint64_t hash, const Geometry& geometry) noexcept {
  const Geometry::Shape& shape = geometry.shape();
  hash = mix(hash, shape.index());
  return std::visit(
      [&](const auto& alternative) -> std::uint64_t {
        using S = std::decay_t<decltype(alternative)>;
        if constexpr (std::is_same_v<S, geo::Point>) {
          return hash_coordinate(hash_coordinate(hash, alternative.x), alternative.y);
        } else if constexpr (std::is_same_v<S, geo::Line> || std::is_same_v<S, geo::MultiPoint>) {
          return hash_line(hash, alternative.points);
        } else if constexpr (std::is_same_v<S, geo::Polygon>) {
          return hash_polygon(hash, alternative);
        } else if constexpr (std::is_same_v<S, geo::MultiLine>) {
          std::uint64_t result = mix(hash, alternative.lines.size());
          for (const geo::Line& line : alternative.lines) result = hash_line(result, line.points);
          return result;
        } else if constexpr (std::is_same_v<S, geo::MultiPolygon>) {
          std::uint64_t result = mix(hash, alternative.polygons.size());
          for (const geo::Polygon& polygon : alternative.polygons) {
            result = hash_polygon(result, polygon);
          }
          return result;
        } else {
          std::uint64_t result = mix(hash, alternative.size());
          for (const Geometry& member : alternative) result = hash_geometry(result, member);
          return result;
        }
      },
      shape);
}

std::uint64_t hash_value_into(std::uint64_t hash, const Value& value) noexcept;

std::uint64_t hash_bound(std::uint64_t hash, const std::optional<Range::Bound>& bound) noexcept {
  if (!bound) return mix(hash, 0);
  return hash_value_into(mix(hash, bound->inclusive ? 1 : 2), bound->value);
}

std::uint64_t hash_value_into(std::uint64_t hash, const Value& value) noexcept {
  const Kind kind = value.kind();
  if (value.is_number()) return hash_number(hash, number_of(value));
  hash = mix(hash, static_cast<std::uint64_t>(kind) + 100);
  switch (kind) {
    case Kind::none:
    case Kind::null:
      return hash;
    case Kind::boolean:
      return mix(hash, *value.get_if<bool>() ? 1 : 0);
    case Kind::string:
      return hash_bytes(hash, *value.get_if<std::string>());
    case Kind::bytes: {
      const Bytes& bytes = *value.get_if<Bytes>();
      return hash_bytes(hash, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                               bytes.size()));
    }
    case Kind::duration: {
      const Duration& span = *value.get_if<Duration>();
      return mix(mix(hash, span.seconds()), span.nanos());
    }
    case Kind::datetime: {
      const Datetime& when = *value.get_if<Datetime>();
      return mix(mix(hash, static_cast<std::uint64_t>(when.seconds())), when.nanos());
    }
    case Kind::uuid: {
      const auto& bytes = value.get_if<Uuid>()->bytes();
      return hash_bytes(hash, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                               bytes.size()));
    }
    case Kind::array:
      hash = mix(hash, value.get_if<Array>()->size());
      for (const Value& item : *value.get_if<Array>()) hash = hash_value_into(hash, item);
      return hash;
    case Kind::set:
      hash = mix(hash, value.get_if<Set>()->size());
      for (const Value& item : *value.get_if<Set>()) hash = hash_value_into(hash, item);
      return hash;
    case Kind::object:
      hash = mix(hash, value.get_if<Object>()->size());
      for (const auto& [key, member] : *value.get_if<Object>()) {
        hash = hash_value_into(hash_bytes(hash, key), member);
      }
      return hash;
    case Kind::geometry:
      return hash_geometry(hash, *value.get_if<Geometry>());
    case Kind::table:
      return hash_bytes(hash, value.get_if<Table>()->name);
    case Kind::record_id: {
      const RecordId& id = *value.get_if<RecordId>();
      return hash_value_into(hash_bytes(hash, id.table()), id.key());
    }
    case Kind::range: {
      const Range& range = *value.get_if<Range>();
      return hash_bound(hash_bound(hash, range.begin()), range.end());
    }
    case Kind::file: {
      const File& file = *value.get_if<File>();
      return hash_bytes(hash_bytes(hash, file.bucket), file.key);
    }
    case Kind::regex:
      return hash_bytes(hash, value.get_if<Regex>()->pattern);
    default:
      return hash;
  }
}

}  // namespace

bool operator==(const Decimal& a, const Decimal& b) noexcept { return (a <=> b) == 0; }

std::weak_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
  return compare_decimals(parse_rust_decimal(a.text()), parse_rust_decimal(b.text()));
}

namespace detail {

bool equal(const Value& a, const Value& b) noexcept {
  const Kind kind = a.kind();
  if (a.is_number() && b.is_number()) return compare_numbers(number_of(a), number_of(b)) == 0;
  if (kind != b.kind()) return false;
  switch (kind) {
    case Kind::none:
    case Kind::null: return true;
    case Kind::boolean: return *a.get_if<bool>() == *b.get_if<bool>();
    case Kind::string: return *a.get_if<std::string>() == *b.get_if<std::string>();
    case Kind::bytes: return *a.get_if<Bytes>() == *b.get_if<Bytes>();
    case Kind::duration: return *a.get_if<Duration>() == *b.get_if<Duration>();
    case Kind::datetime: return *a.get_if<Datetime>() == *b.get_if<Datetime>();
    case Kind::uuid: return *a.get_if<Uuid>() == *b.get_if<Uuid>();
    case Kind::array: {
      const Array& left = *a.get_if<Array>();
      const Array& right = *b.get_if<Array>();
      return std::equal(left.begin(), left.end(), right.begin(), right.end(),
                        [](const Value& x, const Value& y) { return equal(x, y); });
    }
    case Kind::set: return *a.get_if<Set>() == *b.get_if<Set>();
    case Kind::object: return *a.get_if<Object>() == *b.get_if<Object>();
    case Kind::geometry: return *a.get_if<Geometry>() == *b.get_if<Geometry>();
    case Kind::table: return *a.get_if<Table>() == *b.get_if<Table>();
    case Kind::record_id: {
      const RecordId& left = *a.get_if<RecordId>();
      const RecordId& right = *b.get_if<RecordId>();
      return left.table() == right.table() && equal(left.key(), right.key());
    }
    case Kind::range: {
      const Range& left = *a.get_if<Range>();
      const Range& right = *b.get_if<Range>();
      return bounds_equal(left.begin(), right.begin()) && bounds_equal(left.end(), right.end());
    }
    case Kind::file: return *a.get_if<File>() == *b.get_if<File>();
    case Kind::regex: return *a.get_if<Regex>() == *b.get_if<Regex>();
    default: return false;
  }
}

std::weak_ordering compare(const Value& a, const Value& b) noexcept {
  const Kind kind = a.kind();
  const int rank = kind_rank(kind);
  const int other_rank = kind_rank(b.kind());
  if (rank != other_rank) return rank <=> other_rank;
  if (a.is_number()) return compare_numbers(number_of(a), number_of(b));
  if (kind != b.kind()) {
    // A table and a record id (mod.rs): by table name. Where the names are
    // the same SurrealDB answers Equal although the two are not ==; the table
    // goes first here instead, keeping the order consistent (a table sorts
    // before the records of its table).
    const bool a_is_table = kind == Kind::table;
    const std::string& left = a_is_table ? a.get_if<Table>()->name : a.get_if<RecordId>()->table();
    const std::string& right =
        a_is_table ? b.get_if<RecordId>()->table() : b.get_if<Table>()->name;
    const std::weak_ordering order = compare_strings(left, right);
    if (order != 0) return order;
    return a_is_table ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  switch (kind) {
    case Kind::none:
    case Kind::null: return std::weak_ordering::equivalent;
    case Kind::boolean: return *a.get_if<bool>() <=> *b.get_if<bool>();
    case Kind::string: return compare_strings(*a.get_if<std::string>(), *b.get_if<std::string>());
    case Kind::bytes: {
      const Bytes& left = *a.get_if<Bytes>();
      const Bytes& right = *b.get_if<Bytes>();
      return compare_strings(
          std::string_view(reinterpret_cast<const char*>(left.data()), left.size()),
          std::string_view(reinterpret_cast<const char*>(right.data()), right.size()));
    }
    case Kind::duration: return *a.get_if<Duration>() <=> *b.get_if<Duration>();
    case Kind::datetime: return *a.get_if<Datetime>() <=> *b.get_if<Datetime>();
    case Kind::uuid: return *a.get_if<Uuid>() <=> *b.get_if<Uuid>();
    case Kind::array: return compare_sequences(*a.get_if<Array>(), *b.get_if<Array>(), compare);
    case Kind::set: return compare_sequences(*a.get_if<Set>(), *b.get_if<Set>(), compare);
    case Kind::object:
      return compare_sequences(*a.get_if<Object>(), *b.get_if<Object>(),
                               [](const Object::value_type& x, const Object::value_type& y) {
                                 const std::weak_ordering key = compare_strings(x.first, y.first);
                                 return key != 0 ? key : compare(x.second, y.second);
                               });
    case Kind::geometry: {
      const std::partial_ordering order =
          compare_geometries(*a.get_if<Geometry>(), *b.get_if<Geometry>());
      if (order == std::partial_ordering::less) return std::weak_ordering::less;
      if (order == std::partial_ordering::greater) return std::weak_ordering::greater;
      return std::weak_ordering::equivalent;  // equal, or NaN: Equal in SurrealDB
    }
    case Kind::table: return compare_strings(a.get_if<Table>()->name, b.get_if<Table>()->name);
    case Kind::record_id: {
      // SurrealDB's RecordIdKey order is Value's order over the key kinds,
      // except that its comparison of two key ranges compares the first
      // range's start with the second range's *end* (record_id/range.rs), so
      // that a range key sorts before itself. Key ranges compare here as
      // ranges do, start with start, which keeps the order an order.
      const RecordId& left = *a.get_if<RecordId>();
      const RecordId& right = *b.get_if<RecordId>();
      const std::weak_ordering table = compare_strings(left.table(), right.table());
      return table != 0 ? table : compare(left.key(), right.key());
    }
    case Kind::range: {
      const Range& left = *a.get_if<Range>();
      const Range& right = *b.get_if<Range>();
      const std::weak_ordering begin = compare_bounds(left.begin(), right.begin());
      return begin != 0 ? begin : compare_bounds(left.end(), right.end());
    }
    case Kind::file: return *a.get_if<File>() <=> *b.get_if<File>();
    case Kind::regex: return *a.get_if<Regex>() <=> *b.get_if<Regex>();
    default: return std::weak_ordering::equivalent;
  }
}

}  // namespace detail

std::size_t hash_value(const Value& value) noexcept {
  return static_cast<std::size_t>(hash_value_into(0x5eed, value));
}

}  // namespace surreal
