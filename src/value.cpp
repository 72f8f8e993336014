// surreal::Value and the types it holds: construction, access, and SurrealDB's
// equality, order and hashing (surrealdb-types 3.3.5, src/value/mod.rs and
// number.rs). The SurrealQL and JSON renderings, which need the native library,
// are in value_text.cpp.
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

namespace {

// 128-bit integers: rust_decimal's arithmetic and Rust's `f64 as i128` need them.
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

constexpr std::uint32_t kNanosPerSecond = 1'000'000'000;

[[noreturn]] void invalid_decimal(std::string_view text, std::string_view why) {
  throw std::invalid_argument("surreal::Decimal: \"" + std::string(text) + "\" " +
                              std::string(why));
}

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

constexpr u128 kDecimalLimit = u128{1} << 96;
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

// ---------------------------------------------------------------------------

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

bool operator==(const Decimal& a, const Decimal& b) noexcept { return (a <=> b) == 0; }

std::weak_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
  return compare_decimals(parse_rust_decimal(a.text()), parse_rust_decimal(b.text()));
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

Value Value::from_json(const nlohmann::json& json) {
  using Type = nlohmann::json::value_t;
  switch (json.type()) {
    case Type::null: return Value(nullptr);
    case Type::boolean: return Value(json.get<bool>());
    case Type::number_integer: return Value(json.get<std::int64_t>());
    case Type::number_unsigned: {
      const auto number = json.get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Value(static_cast<double>(number));
      }
      return Value(static_cast<std::int64_t>(number));
    }
    case Type::number_float: return Value(json.get<double>());
    case Type::string: return Value(json.get_ref<const std::string&>());
    case Type::array: {
      Array items;
      items.reserve(json.size());
      for (const nlohmann::json& item : json) items.push_back(from_json(item));
      return Value(std::move(items));
    }
    case Type::object: {
      // nlohmann::json keeps members in a std::map: already in key order.
      Object members;
      members.reserve(json.size());
      for (auto member = json.begin(); member != json.end(); ++member) {
        members.insert_or_assign(member.key(), from_json(member.value()));
      }
      return Value(std::move(members));
    }
    case Type::binary: {
      const auto& binary = json.get_binary();
      Bytes bytes(binary.size());
      std::memcpy(bytes.data(), binary.data(), binary.size());
      return Value(std::move(bytes));
    }
    case Type::discarded: return Value();
  }
  return Value();
}

// --- Equality, order, hash --------------------------------------------------

namespace detail {

const Value& none_value() noexcept {
  static const Value none;
  return none;
}

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

std::size_t hash_value(const Value& value) noexcept {
  return static_cast<std::size_t>(hash_value_into(0x5eed, value));
}

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
