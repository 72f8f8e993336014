/// @file
/// Value and the types of its kinds; SURREAL_DEFINE_TYPE.
///
/// A Value holds every kind of value SurrealDB has (NONE, NULL, bool, int, float,
/// decimal, string, bytes, duration, datetime, uuid, array, object, set, geometry,
/// table, record id, range, file, regex), with SurrealDB's own equality and order;
/// SURREAL_DEFINE_TYPE converts plain structs to and from Values.
///
/// Every type in this header is a regular value type: copies are deep and share
/// nothing, so a Value may be read from many threads at once, and a copy may be
/// changed on one thread while other copies are read on others. Changing one
/// Value from two threads, or reading it while another thread changes it, needs
/// the caller's own lock.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "surreal/exceptions.hpp"

namespace surreal {

/// The kind of a Value. The order of the enumerators is the order of the
/// alternatives Value stores; it is not SurrealDB's sort order between kinds
/// (see operator<=> on Value for that).
enum class Kind : std::uint8_t {
  none,       ///< NONE (None)
  null,       ///< NULL (std::nullptr_t)
  boolean,    ///< bool
  integer,    ///< int: std::int64_t
  floating,   ///< float: double
  decimal,    ///< Decimal
  string,     ///< std::string
  bytes,      ///< Bytes
  duration,   ///< Duration
  datetime,   ///< Datetime
  uuid,       ///< Uuid
  array,      ///< Array
  object,     ///< Object
  set,        ///< Set
  geometry,   ///< Geometry
  table,      ///< Table
  record_id,  ///< RecordId
  range,      ///< Range
  file,       ///< File
  regex,      ///< Regex
};

/// SurrealQL's name for a kind: "none", "null", "bool", "int", "float", "decimal",
/// "string", "bytes", "duration", "datetime", "uuid", "array", "object", "set",
/// "geometry", "table", "record id", "range", "file", "regex".
std::string_view kind_name(Kind kind) noexcept;

/// A Value used as a kind it is not: get<T>() of the wrong kind, at() on a
/// string, a user type's from_value() missing a field. The message names the
/// kind asked for and the kind found, e.g.
/// "surreal::Value: expected int, found string".
///
/// A DatabaseException (code() error_code::invalid_argument, kind()
/// ErrorKind::serialization), so that data from the database that does not
/// convert (`take<T>`, `select<T>`, `get<T>` of a result) is caught with
/// everything else the database reports.
class TypeError : public DatabaseException {
 public:
  /// An error whose what() is `message`.
  ///@{
  explicit TypeError(const std::string& message);
  explicit TypeError(const char* message) : TypeError(std::string(message)) {}
  ///@}
};

/// SurrealDB's NONE: no value at all (an absent field), as opposed to NULL.
struct None {
  /// Every None equals every other.
  friend bool operator==(None, None) = default;
};
/// NONE, to write `Value v = surreal::none;`.
inline constexpr None none{};

class Value;
class RecordId;
class Range;

/// An array: Values in order.
using Array = std::vector<Value>;
/// A byte string.
using Bytes = std::vector<std::byte>;

namespace detail {

/// An owning pointer that copies what it points to, so that rare or recursive
/// kinds cost one pointer inside a Value rather than their full size.
/// Never null, except after a move (a moved-from Value is reset to NONE, so a
/// null Box is never seen through a Value).
template <class T>
class Box {
 public:
  explicit Box(T value) : pointer_(std::make_unique<T>(std::move(value))) {}
  Box(const Box& other)
      : pointer_(other.pointer_ ? std::make_unique<T>(*other.pointer_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) pointer_ = other.pointer_ ? std::make_unique<T>(*other.pointer_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  T& operator*() noexcept { return *pointer_; }
  const T& operator*() const noexcept { return *pointer_; }
  T* get() noexcept { return pointer_.get(); }
  const T* get() const noexcept { return pointer_.get(); }

 private:
  std::unique_ptr<T> pointer_;
};

}  // namespace detail

/// An exact decimal number as SurrealDB keeps it (rust_decimal: up to 28 digits
/// after the point and a magnitude below 2^96), held as its text, such as "1.50",
/// "-0.3", "79228162514264337593543950335". The text is kept as given, so
/// "1.50" stays "1.50"; equality and order are numeric (1.5 == 1.50).
class Decimal {
 public:
  /// Zero.
  Decimal() : text_("0") {}
  /// Validates `[-]digits[.digits]` that rust_decimal holds exactly.
  /// @throws std::invalid_argument otherwise (exponents, "+", ".5", "5.", more
  /// than 28 digits after the point, or a magnitude of 2^96 or more).
  explicit Decimal(std::string text);

  /// The text: "1.50".
  const std::string& text() const noexcept { return text_; }
  /// SurrealQL, "1.50dec", through Value::to_string() (needs the native library).
  std::string to_string() const;
  /// The nearest double (correctly rounded).
  double to_double() const;

  /// Numeric equality and order: 1.5 == 1.50.
  ///@{
  friend bool operator==(const Decimal& a, const Decimal& b) noexcept;
  friend std::weak_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept;
  ///@}

 private:
  std::string text_;
};

/// A non-negative span of time: whole seconds (any std::uint64_t) plus
/// nanoseconds, SurrealDB's whole range.
class Duration {
 public:
  constexpr Duration() = default;
  /// Nanoseconds of 1e9 or more are carried into the seconds.
  /// @throws std::out_of_range if the seconds overflow.
  Duration(std::uint64_t seconds, std::uint32_t nanos);
  /// Any non-negative std::chrono::duration, to the nanosecond (finer periods
  /// are truncated).
  /// @throws std::out_of_range if negative (or, for a floating-point one,
  /// NaN) or beyond 2^64 seconds.
  template <class Rep, class Period>
  Duration(std::chrono::duration<Rep, Period> span) : Duration(from_chrono(span)) {}

  /// The whole seconds.
  std::uint64_t seconds() const noexcept { return seconds_; }
  /// The nanoseconds beyond them, below 1e9.
  std::uint32_t nanos() const noexcept { return nanos_; }
  /// As std::chrono::nanoseconds.
  /// @throws std::out_of_range beyond about 292 years.
  std::chrono::nanoseconds to_chrono() const;
  /// SurrealQL text, such as "1h30m", through Value::to_string() (needs the
  /// native library).
  std::string to_string() const;

  /// Ordered by length; equal when seconds and nanoseconds are.
  friend auto operator<=>(const Duration&, const Duration&) = default;

 private:
  template <class Rep, class Period>
  static Duration from_chrono(std::chrono::duration<Rep, Period> span) {
    if (span < span.zero()) throw std::out_of_range("surreal::Duration: negative duration");
    if constexpr (std::chrono::treat_as_floating_point_v<Rep>) {
      return from_seconds(std::chrono::duration<long double>(span).count());
    } else {
      return from_ratio(static_cast<std::uintmax_t>(span.count()), Period::num, Period::den);
    }
  }
  // count * num / den seconds, exactly (to the nanosecond).
  static Duration from_ratio(std::uintmax_t count, std::intmax_t num, std::intmax_t den);
  static Duration from_seconds(long double seconds);

  std::uint64_t seconds_ = 0;
  std::uint32_t nanos_ = 0;
};

/// A point in time, UTC: seconds since 1970-01-01T00:00:00Z (negative before)
/// plus nanoseconds. SurrealDB itself accepts the years -262143 to 262142.
class Datetime {
 public:
  /// 1970-01-01T00:00:00Z.
  constexpr Datetime() = default;
  /// `seconds` since 1970-01-01T00:00:00Z plus `nanos`.
  /// @throws std::invalid_argument unless nanos < 1e9.
  Datetime(std::int64_t seconds, std::uint32_t nanos);
  /// Any system_clock time point, to the nanosecond (rounded down).
  /// @throws std::out_of_range beyond 2^63 seconds from 1970 (or, for a
  /// floating-point one, NaN).
  template <class D>
  Datetime(std::chrono::time_point<std::chrono::system_clock, D> when)
      : Datetime(from_chrono(when.time_since_epoch())) {}
  /// The current time, from std::chrono::system_clock.
  static Datetime now();

  /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
  std::int64_t seconds() const noexcept { return seconds_; }
  /// The nanoseconds after them, below 1e9.
  std::uint32_t nanos() const noexcept { return nanos_; }
  /// As a nanosecond time point.
  /// @throws std::out_of_range outside about 292 years either side of 1970
  /// (the years 1677 to 2262).
  std::chrono::sys_time<std::chrono::nanoseconds> to_time_point() const;
  /// SurrealQL text, such as "d'2024-01-01T00:00:00Z'", through
  /// Value::to_string() (needs the native library).
  /// @throws std::invalid_argument outside the years SurrealDB accepts.
  std::string to_string() const;

  /// Chronological order.
  friend auto operator<=>(const Datetime&, const Datetime&) = default;

 private:
  template <class Rep, class Period>
  static Datetime from_chrono(std::chrono::duration<Rep, Period> since_epoch) {
    if constexpr (std::chrono::treat_as_floating_point_v<Rep>) {
      return from_seconds(std::chrono::duration<long double>(since_epoch).count());
    } else {
      return from_ratio(static_cast<std::intmax_t>(since_epoch.count()), Period::num, Period::den);
    }
  }
  static Datetime from_ratio(std::intmax_t count, std::intmax_t num, std::intmax_t den);
  static Datetime from_seconds(long double seconds);

  std::int64_t seconds_ = 0;
  std::uint32_t nanos_ = 0;
};

/// A UUID, as its 16 bytes.
class Uuid {
 public:
  /// The nil UUID.
  constexpr Uuid() = default;
  /// The UUID of these 16 bytes, in order.
  explicit constexpr Uuid(std::array<std::uint8_t, 16> bytes) : bytes_(bytes) {}
  /// Hyphenated hex, either case: "0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b".
  /// @throws std::invalid_argument for any other text.
  static Uuid parse(std::string_view text);

  /// The 16 bytes.
  const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  /// Hyphenated lower-case hex.
  std::string text() const;
  /// SurrealQL, "u'0191a2b3-...'", through Value::to_string() (needs the native library).
  std::string to_string() const;

  /// Ordered by bytes.
  friend auto operator<=>(const Uuid&, const Uuid&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

/// A table, by name (SurrealQL `type::table("person")`), as opposed to a string.
struct Table {
  std::string name;  ///< the table's name
  /// Ordered by name.
  friend auto operator<=>(const Table&, const Table&) = default;
};

/// A file in a bucket (SurrealQL `f"bucket:/key"`). SurrealDB keys start with '/'.
struct File {
  std::string bucket;  ///< the bucket's name
  std::string key;     ///< the file's key in it ("/a/b.txt")
  /// Ordered by bucket, then key.
  friend auto operator<=>(const File&, const File&) = default;
};

/// A regular expression, by its pattern (SurrealQL `<regex> "a+"`). Not
/// compiled here: SurrealDB rejects a pattern that does not compile.
struct Regex {
  std::string pattern;  ///< the pattern, as SurrealDB's regex syntax has it
  /// Ordered by pattern text.
  friend auto operator<=>(const Regex&, const Regex&) = default;
};

/// The shapes of a Geometry (GeoJSON's, as SurrealDB keeps them: x is the
/// longitude, y the latitude). Equality compares coordinates with double's ==.
namespace geo {
/// A point (GeoJSON's Point).
struct Point {
  double x = 0;  ///< the longitude
  double y = 0;  ///< the latitude
  /// Coordinates equal (with double's ==).
  friend bool operator==(const Point&, const Point&) = default;
};
/// A line through points, in order (GeoJSON's LineString).
struct Line {
  std::vector<Point> points;  ///< the points, in order
  /// Same points in the same order.
  friend bool operator==(const Line&, const Line&) = default;
};
/// A polygon: an outer ring and holes. SurrealDB closes rings that are not
/// closed (it appends the first point).
struct Polygon {
  Line exterior;                ///< the outer ring
  std::vector<Line> interiors;  ///< the holes' rings
  /// Same rings.
  friend bool operator==(const Polygon&, const Polygon&) = default;
};
/// Several points (GeoJSON's MultiPoint).
struct MultiPoint {
  std::vector<Point> points;  ///< the points
  /// Same points in the same order.
  friend bool operator==(const MultiPoint&, const MultiPoint&) = default;
};
/// Several lines (GeoJSON's MultiLineString).
struct MultiLine {
  std::vector<Line> lines;  ///< the lines
  /// Same lines in the same order.
  friend bool operator==(const MultiLine&, const MultiLine&) = default;
};
/// Several polygons (GeoJSON's MultiPolygon).
struct MultiPolygon {
  std::vector<Polygon> polygons;  ///< the polygons
  /// Same polygons in the same order.
  friend bool operator==(const MultiPolygon&, const MultiPolygon&) = default;
};
}  // namespace geo

/// A geometry: one of the shapes of namespace geo, or a collection of geometries.
class Geometry {
 public:
  /// One of the shapes, or (the last alternative) a collection.
  using Shape = std::variant<geo::Point, geo::Line, geo::Polygon, geo::MultiPoint, geo::MultiLine,
                             geo::MultiPolygon, std::vector<Geometry>>;

  /// The point (0, 0).
  Geometry() = default;
  /// That shape.
  ///@{
  Geometry(geo::Point point) : shape_(point) {}
  Geometry(geo::Line line) : shape_(std::move(line)) {}
  Geometry(geo::Polygon polygon) : shape_(std::move(polygon)) {}
  Geometry(geo::MultiPoint points) : shape_(std::move(points)) {}
  Geometry(geo::MultiLine lines) : shape_(std::move(lines)) {}
  Geometry(geo::MultiPolygon polygons) : shape_(std::move(polygons)) {}
  ///@}
  /// A collection of geometries (GeoJSON's GeometryCollection).
  static Geometry collection(std::vector<Geometry> members) {
    Geometry geometry;
    geometry.shape_.emplace<std::vector<Geometry>>(std::move(members));
    return geometry;
  }

  /// The shape, for std::visit or std::get_if.
  const Shape& shape() const noexcept { return shape_; }
  /// The shape if it is an S (geo::Point... or std::vector<Geometry> for a
  /// collection), else nullptr.
  template <class S>
  const S* get_if() const noexcept {
    return std::get_if<S>(&shape_);
  }
  /// True for a collection().
  bool is_collection() const noexcept { return shape_.index() == 6; }

  /// Same shape with equal coordinates (double's ==).
  friend bool operator==(const Geometry& a, const Geometry& b) { return a.shape_ == b.shape_; }

 private:
  Shape shape_;
};

/// An object: members with string keys, kept sorted by key bytes (SurrealDB's
/// order, a Rust BTreeMap<String, Value>) in one flat vector. Lookup is a
/// binary search; adding a key that sorts after every other key (as SurrealDB
/// sends them) is an O(1) append.
class Object {
 public:
  /// A member: its key and its value.
  using value_type = std::pair<std::string, Value>;
  /// Iterates members in key order. Do not change a key through a mutable
  /// iterator: that would break the order lookups rely on.
  using iterator = std::vector<value_type>::iterator;
  /// Iterates members in key order, read-only.
  using const_iterator = std::vector<value_type>::const_iterator;

  /// No members.
  Object() = default;
  /// Object{{"name", "Ann"}, {"age", 31}}: in any order; a later duplicate wins.
  Object(std::initializer_list<value_type> members);

  // (The short members are defined after Value, which they need complete.)
  /// The number of members.
  std::size_t size() const noexcept;
  /// True when it has no members.
  bool empty() const noexcept;
  /// The members in key order (see iterator). Adding or removing a member
  /// invalidates iterators, as std::vector's do.
  ///@{
  iterator begin() noexcept;
  iterator end() noexcept;
  const_iterator begin() const noexcept;
  const_iterator end() const noexcept;
  ///@}
  /// Removes every member.
  void clear() noexcept;
  /// Makes room for `count` members, as std::vector::reserve().
  void reserve(std::size_t count);

  /// The member's value, or nullptr.
  ///@{
  const Value* find(std::string_view key) const noexcept;
  Value* find(std::string_view key) noexcept;
  ///@}
  /// True when it has a member with that key.
  bool contains(std::string_view key) const noexcept;
  /// The member's value.
  /// @throws std::out_of_range naming the key if absent.
  ///@{
  const Value& at(std::string_view key) const;
  Value& at(std::string_view key);
  ///@}
  /// The member's value, inserting NONE first if absent.
  Value& operator[](std::string key);
  /// Sets a member; O(1) amortised when `key` sorts after every present key.
  Value& insert_or_assign(std::string key, Value value);
  /// Removes a member; false if there was none.
  bool erase(std::string_view key);

  /// Same keys, and equal values (as Value's ==).
  friend bool operator==(const Object& a, const Object& b);

 private:
  std::vector<value_type>::iterator lower_bound(std::string_view key);

  std::vector<value_type> members_;
};

/// A set: unique Values kept in SurrealDB's value order (a Rust BTreeSet<Value>).
/// Two values that order as equivalent (1 and 1.0) are one member: the first kept.
class Set {
 public:
  /// A member.
  using value_type = Value;
  /// Read-only: changing a member in place could break the order.
  using iterator = std::vector<Value>::const_iterator;
  /// The same.
  using const_iterator = std::vector<Value>::const_iterator;

  /// No members.
  Set() = default;
  /// Set{1, "a", 2}: the members, in any order; of equivalent ones the first is kept.
  Set(std::initializer_list<Value> members);

  /// The number of members.
  std::size_t size() const noexcept;
  /// True when it has no members.
  bool empty() const noexcept;
  /// The members in order. Adding or removing a member invalidates
  /// iterators, as std::vector's do.
  ///@{
  const_iterator begin() const noexcept;
  const_iterator end() const noexcept;
  ///@}
  /// The members as a contiguous, sorted range.
  const Value* data() const noexcept;
  /// Removes every member.
  void clear() noexcept;

  /// Adds `member` unless an equivalent one is present; true if added.
  bool insert(Value member);
  /// True when a member is equivalent to `member` (1 and 1.0 are).
  bool contains(const Value& member) const;
  /// Removes the equivalent member; false if there was none.
  bool erase(const Value& member);

  /// Equal members (as Value's ==), in order.
  friend bool operator==(const Set& a, const Set& b);

 private:
  friend class Value;  // its destructor takes deep members apart (Value::release_deep)
  std::vector<Value> members_;
};

namespace detail {

// Implemented in src/value/compare.cpp; the hidden friends of Value call them.
bool equal(const Value& a, const Value& b) noexcept;
std::weak_ordering compare(const Value& a, const Value& b) noexcept;
const Value& none_value() noexcept;

// User types: only these names are found by ordinary lookup, so a call finds
// the user's to_value/from_value by argument-dependent lookup alone.
void to_value() = delete;
void from_value() = delete;
template <class T>
concept has_to_value = requires(Value& out, const T& in) { to_value(out, in); };
template <class T>
concept has_from_value = requires(const Value& in, T& out) { from_value(in, out); };

template <class T>
inline constexpr bool is_character_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
template <class T>
concept integer = std::integral<T> && !std::is_same_v<T, bool> && !is_character_v<T>;

template <class T>
inline constexpr bool is_boxed_v = std::is_same_v<T, Geometry> || std::is_same_v<T, RecordId> ||
                                   std::is_same_v<T, Range> || std::is_same_v<T, File>;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T>
struct is_string_map<std::map<std::string, T>> : std::true_type {};
template <class T>
struct is_string_map<std::unordered_map<std::string, T>> : std::true_type {};
template <class T>
struct is_chrono_duration : std::false_type {};
template <class Rep, class Period>
struct is_chrono_duration<std::chrono::duration<Rep, Period>> : std::true_type {};
template <class T>
struct is_system_time : std::false_type {};
template <class D>
struct is_system_time<std::chrono::time_point<std::chrono::system_clock, D>> : std::true_type {};
template <class T>
inline constexpr bool always_false_v = false;

}  // namespace detail

/// One SurrealDB value, of any kind (see Kind).
///
/// Construction is implicit from the C++ types listed below, so values read as
/// literals: `Value v = 42;`, `Object{{"name", "Ann"}, {"tags", Array{"a", "b"}}}`.
/// A braced list makes an object when every element is a two-element list
/// starting with a string, and an array otherwise, as nlohmann::json does:
/// `Value v = {{"a", 1}, {"b", 2}}` is an object, `Value v = {1, 2}` an array.
/// Beware the same pitfall as nlohmann::json: `Value v{x}` with braces is a
/// one-element array holding x; write `Value v(x)` or `Value v = x`.
///
/// Equality and order are SurrealDB's (surrealdb-types 3.3.5), see operator==
/// and operator<=>. A moved-from Value is NONE.
///
/// A regular value type: copies are deep and independent; const access to one
/// Value is safe from many threads at once, changes need the caller's lock.
///
/// sizeof(Value) is 40 bytes: strings, vectors and small kinds are stored
/// inline; geometries, record ids, ranges and files are boxed on the heap.
class Value {
 public:
  /// What operator[] gives on a non-const Value (defined below).
  class Member;

  /// NONE.
  ///@{
  Value() noexcept = default;
  Value(None) noexcept {}
  ///@}
  /// NULL.
  Value(std::nullptr_t) noexcept : data_(std::in_place_type<std::nullptr_t>, nullptr) {}
  /// A bool.
  Value(bool flag) noexcept : data_(std::in_place_type<bool>, flag) {}
  /// Any integer type but bool and the character types: an int (i64).
  /// @throws std::out_of_range for an unsigned value above INT64_MAX.
  template <detail::integer I>
  Value(I number) : data_(std::in_place_type<std::int64_t>, checked_int(number)) {}
  /// A float (held as a double).
  ///@{
  Value(double number) noexcept : data_(std::in_place_type<double>, number) {}
  Value(float number) noexcept : data_(std::in_place_type<double>, number) {}
  ///@}
  /// A string.
  /// @throws std::invalid_argument for a null pointer.
  Value(const char* text);
  /// A string.
  ///@{
  Value(std::string text) noexcept : data_(std::in_place_type<std::string>, std::move(text)) {}
  Value(std::string_view text) : data_(std::in_place_type<std::string>, text) {}
  ///@}
  /// A value of the kind this type stores (see Kind); a geo shape makes a
  /// geometry.
  ///@{
  Value(Decimal number) noexcept : data_(std::in_place_type<Decimal>, std::move(number)) {}
  Value(Duration span) noexcept : data_(std::in_place_type<Duration>, span) {}
  Value(Datetime when) noexcept : data_(std::in_place_type<Datetime>, when) {}
  Value(Uuid id) noexcept : data_(std::in_place_type<Uuid>, id) {}
  Value(Bytes bytes) noexcept : data_(std::in_place_type<Bytes>, std::move(bytes)) {}
  Value(Array items) noexcept : data_(std::in_place_type<Array>, std::move(items)) {}
  Value(Object members) noexcept : data_(std::in_place_type<Object>, std::move(members)) {}
  Value(Set members) noexcept : data_(std::in_place_type<Set>, std::move(members)) {}
  Value(Geometry geometry);
  Value(geo::Point point) : Value(Geometry(point)) {}
  Value(geo::Line line) : Value(Geometry(std::move(line))) {}
  Value(geo::Polygon polygon) : Value(Geometry(std::move(polygon))) {}
  Value(geo::MultiPoint points) : Value(Geometry(std::move(points))) {}
  Value(geo::MultiLine lines) : Value(Geometry(std::move(lines))) {}
  Value(geo::MultiPolygon polygons) : Value(Geometry(std::move(polygons))) {}
  Value(Table table) noexcept : data_(std::in_place_type<Table>, std::move(table)) {}
  Value(RecordId id);
  Value(Range range);
  Value(File file);
  Value(Regex regex) noexcept : data_(std::in_place_type<Regex>, std::move(regex)) {}
  ///@}
  /// A duration.
  /// @throws std::out_of_range if negative, or beyond 2^64 seconds.
  template <class Rep, class Period>
  Value(std::chrono::duration<Rep, Period> span) : Value(Duration(span)) {}
  /// A datetime.
  /// @throws std::out_of_range beyond 2^63 seconds from 1970.
  template <class D>
  Value(std::chrono::time_point<std::chrono::system_clock, D> when) : Value(Datetime(when)) {}
  /// NONE for std::nullopt, else the value.
  template <class T>
    requires std::constructible_from<Value, const T&>
  Value(const std::optional<T>& maybe) {
    if (maybe) *this = Value(*maybe);
  }
  /// An array of the converted elements (a std::vector<std::byte> is bytes).
  template <class T, class A>
    requires(!std::is_same_v<T, Value> && !std::is_same_v<T, std::byte> &&
             std::constructible_from<Value, const T&>)
  Value(const std::vector<T, A>& items) {
    Array array;
    array.reserve(items.size());
    for (const auto& item : items) array.emplace_back(item);
    *this = Value(std::move(array));
  }
  /// An object of the converted values.
  ///@{
  template <class T>
    requires std::constructible_from<Value, const T&>
  Value(const std::map<std::string, T>& members);
  template <class T>
    requires std::constructible_from<Value, const T&>
  Value(const std::unordered_map<std::string, T>& members);
  ///@}
  /// A user type, through its to_value() (see SURREAL_DEFINE_TYPE), which
  /// ADL finds in T's namespace. Throws what to_value() throws.
  template <class T>
    requires(detail::has_to_value<T> && !std::is_same_v<T, Value>)
  Value(const T& user) {
    to_value(*this, user);
  }
  /// An object or an array, by nlohmann::json's rule (see the class comment).
  Value(std::initializer_list<Value> items);
  /// A copy of a member read through operator[] (see Member).
  Value(const Member& member);
  /// No silent conversion of pointers to bool: only `const char*` is text.
  template <class P>
    requires(!std::is_same_v<std::remove_cv_t<P>, char>)
  Value(P*) = delete;
  /// No character types: is 'a' a string or the number 97? Say which.
  template <class C>
    requires detail::is_character_v<C>
  Value(C) = delete;

  /// A deep copy.
  Value(const Value& other);
  /// Takes `other`'s value; `other` becomes NONE.
  Value(Value&& other) noexcept;
  /// Replaces the value with a deep copy of `other`'s.
  Value& operator=(const Value& other);
  /// Replaces the value with `other`'s; `other` becomes NONE.
  Value& operator=(Value&& other) noexcept;
  /// Never recurses deeper than a fixed bound, however deeply the value nests.
  ~Value();

  /// The kind of value it holds.
  Kind kind() const noexcept { return static_cast<Kind>(data_.index()); }
  /// True when it holds that kind (see Kind).
  ///@{
  bool is_none() const noexcept { return kind() == Kind::none; }
  bool is_null() const noexcept { return kind() == Kind::null; }
  bool is_bool() const noexcept { return kind() == Kind::boolean; }
  bool is_int() const noexcept { return kind() == Kind::integer; }
  bool is_float() const noexcept { return kind() == Kind::floating; }
  bool is_decimal() const noexcept { return kind() == Kind::decimal; }
  ///@}
  /// An int, a float or a decimal.
  bool is_number() const noexcept { return is_int() || is_float() || is_decimal(); }
  /// True when it holds that kind (see Kind).
  ///@{
  bool is_string() const noexcept { return kind() == Kind::string; }
  bool is_bytes() const noexcept { return kind() == Kind::bytes; }
  bool is_duration() const noexcept { return kind() == Kind::duration; }
  bool is_datetime() const noexcept { return kind() == Kind::datetime; }
  bool is_uuid() const noexcept { return kind() == Kind::uuid; }
  bool is_array() const noexcept { return kind() == Kind::array; }
  bool is_object() const noexcept { return kind() == Kind::object; }
  bool is_set() const noexcept { return kind() == Kind::set; }
  bool is_geometry() const noexcept { return kind() == Kind::geometry; }
  bool is_table() const noexcept { return kind() == Kind::table; }
  bool is_record_id() const noexcept { return kind() == Kind::record_id; }
  bool is_range() const noexcept { return kind() == Kind::range; }
  bool is_file() const noexcept { return kind() == Kind::file; }
  bool is_regex() const noexcept { return kind() == Kind::regex; }
  ///@}

  /// The value as a T, or TypeError naming both kinds. T is one of:
  /// - the stored types: bool, std::string, Decimal, Bytes, Duration, Datetime,
  ///   Uuid, Array, Object, Set, Geometry, Table, RecordId, Range, File, Regex;
  /// - any integer type: an int, range-checked (TypeError if it does not fit);
  /// - double or float: a float, or an int or decimal converted (may round);
  /// - std::optional<U>: std::nullopt for NONE and NULL, else get<U>();
  /// - std::vector<U>: an array's (or set's) elements each as U
  ///   (Array too takes a set's members; std::vector<std::byte> is bytes);
  /// - std::map / std::unordered_map<std::string, U>: an object's members;
  /// - std::chrono::duration: a duration; a system_clock time_point: a datetime
  ///   (both std::out_of_range where std::chrono cannot hold them);
  /// - Value: a copy; a user type with from_value() (see SURREAL_DEFINE_TYPE).
  ///
  /// @throws TypeError when the value is not of a kind that converts to T
  /// (for a user type, naming the type and field), or an int does not fit.
  /// @throws std::out_of_range for a duration or datetime that std::chrono
  /// cannot hold.
  template <class T>
  T get() const;

  /// The stored value if it is a T (one of the stored types listed for get()),
  /// else nullptr. No conversion: get_if<double>() of an int is nullptr.
  ///@{
  template <class T>
  const T* get_if() const noexcept;
  template <class T>
  T* get_if() noexcept {
    return const_cast<T*>(std::as_const(*this).get_if<T>());
  }
  ///@}

  /// References to the stored object, array or string.
  /// @throws TypeError when the value is of another kind.
  ///@{
  const Object& as_object() const;
  Object& as_object();
  const Array& as_array() const;
  Array& as_array();
  const std::string& as_string() const;
  ///@}

  /// An object's member, or NONE when absent or when this is not an object.
  const Value& operator[](std::string_view key) const&;
  /// An object's member, to read or to assign (see Value::Member): reading
  /// a missing key, or indexing NONE, reads NONE and changes nothing; only
  /// an assignment writes, making a NONE value an object first.
  Member operator[](std::string key) &;
  /// From a temporary (`db.select(id).get()["name"]`): the member moved out,
  /// or NONE, by value, so that it outlives the temporary.
  Value operator[](std::string_view key) &&;
  /// An array's element, bounds-checked as at() (unlike std::vector's); from
  /// a temporary, moved out by value.
  /// @throws std::out_of_range past the end.
  /// @throws TypeError if not an array.
  ///@{
  const Value& operator[](std::size_t index) const&;
  Value& operator[](std::size_t index) &;
  Value operator[](std::size_t index) &&;
  ///@}
  /// An object's member; from a temporary, moved out by value.
  /// @throws std::out_of_range if absent.
  /// @throws TypeError if not an object.
  ///@{
  const Value& at(std::string_view key) const&;
  Value& at(std::string_view key) &;
  Value at(std::string_view key) &&;
  ///@}
  /// An array's element; from a temporary, moved out by value.
  /// @throws std::out_of_range past the end.
  /// @throws TypeError if not an array.
  ///@{
  const Value& at(std::size_t index) const&;
  Value& at(std::size_t index) &;
  Value at(std::size_t index) &&;
  ///@}
  /// True if this is an object with that member.
  bool contains(std::string_view key) const noexcept;
  /// Elements of an array or set, members of an object, 0 for NONE and NULL.
  /// @throws TypeError for other kinds.
  std::size_t size() const;
  /// size() == 0.
  /// @throws TypeError for kinds without a size (see size()).
  bool empty() const { return size() == 0; }
  /// The elements of an array or a set; an empty range for NONE and NULL
  /// (iterate an object with as_object()).
  /// @throws TypeError for other kinds.
  ///@{
  const Value* begin() const;
  const Value* end() const;
  ///@}
  /// Appends to an array; a NONE value first becomes an empty array.
  /// @throws TypeError for other kinds.
  void push_back(Value item);

  /// SurrealQL text exactly as SurrealDB renders it (`surreal sql` output):
  /// "person:tobie", "1.5dec", "d'2024-01-01T00:00:00Z'". Through the native
  /// library.
  /// @throws std::invalid_argument if SurrealDB cannot hold the value (text
  /// that is not UTF-8, a regex that does not compile, a datetime out of range).
  std::string to_string() const;
  /// Parses a SurrealQL literal with SurrealDB's own parser, the whole text:
  /// Value::parse("person:tobie"), Value::parse("{ a: 1, b: [2dec, 3f] }").
  /// @throws std::invalid_argument on text that is not one literal.
  static Value parse(std::string_view literal);
  /// From JSON: null -> NULL, bools, integers -> int (an unsigned one above
  /// INT64_MAX -> float), floats, strings stay strings (even "person:1" or an
  /// ISO date), arrays, objects; binary -> bytes; a discarded value -> NONE.
  static Value from_json(const nlohmann::json& json);
  /// The SDK's JSON (SurrealDB's into_json_value), through the native library.
  /// Lossy: NONE and NULL both become null, NaN and infinities null; decimals,
  /// durations, datetimes, uuids, record ids, tables, ranges, files and
  /// regexes become their text; bytes an array of numbers; sets arrays;
  /// geometries GeoJSON objects. So from_json(to_json()) is not the value.
  /// @throws std::invalid_argument if SurrealDB cannot hold the value (see
  /// to_string()).
  nlohmann::json to_json() const;

  /// SurrealDB's equality (its Value's PartialEq): values of different kinds
  /// are unequal, except numbers: 1 == 1.0 == 1.0dec, 0.0 == -0.0; a float and
  /// a decimal compare as SurrealDB compares them (0.1f == 0.1dec). NaN equals
  /// a NaN with the same bits. Decimals compare by value (1.5dec == 1.50dec).
  friend bool operator==(const Value& a, const Value& b) noexcept { return detail::equal(a, b); }
  /// SurrealDB's total order (its Value's Ord). Between kinds:
  /// none < null < bool < number < string < duration < datetime < uuid < array
  /// < set < object < geometry < bytes < table and record id < file < range < regex,
  /// where a table sorts among the record ids by table name. Within a kind:
  /// numbers by value across int, float and decimal (NaN after +inf, -NaN
  /// before -inf); strings and bytes by bytes; arrays, sets and objects
  /// lexicographically; record ids by table, then key; ranges by bounds
  /// (unbounded < inclusive < exclusive); geometries by shape, then by their
  /// coordinates in sequence (so different shapes with the same coordinates
  /// compare equivalent, and a NaN coordinate makes them equivalent).
  /// Equal values compare equivalent. Two places differ from SurrealDB, whose
  /// answer there breaks the order: a table and a record id of the same table
  /// (SurrealDB: Equal, though not ==; here the table comes first), and two
  /// record ids whose keys are ranges (SurrealDB compares one range's start
  /// with the other's end, so such an id sorts before itself; here ranges
  /// compare as ranges).
  friend std::weak_ordering operator<=>(const Value& a, const Value& b) noexcept {
    return detail::compare(a, b);
  }
  /// Writes to_string(): SurrealQL text (needs the native library). A hidden
  /// friend, so that only a Value itself is printed this way, never something
  /// that merely converts to one.
  /// @throws std::invalid_argument as to_string().
  friend std::ostream& operator<<(std::ostream& out, const Value& value);

 private:
  template <class I>
  static std::int64_t checked_int(I number) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (number > static_cast<std::make_unsigned_t<std::int64_t>>(
                       std::numeric_limits<std::int64_t>::max())) {
        throw std::out_of_range("surreal::Value: unsigned integer above INT64_MAX");
      }
    }
    return static_cast<std::int64_t>(number);
  }
  // "surreal::Value: expected <expected>, found <this kind>".
  [[noreturn]] void throw_type_error(std::string_view expected) const;
  // The destructor of an array, object or set: see src/value/value.cpp.
  void release_deep() noexcept;
  template <class T>
  const T& stored(Kind kind) const {
    if (const T* value = get_if<T>()) return *value;
    throw_type_error(kind_name(kind));
  }

  using Data = std::variant<None, std::nullptr_t, bool, std::int64_t, double, Decimal, std::string,
                            Bytes, Duration, Datetime, Uuid, Array, Object, Set,
                            detail::Box<Geometry>, Table, detail::Box<RecordId>,
                            detail::Box<Range>, detail::Box<File>, Regex>;
  Data data_;
};

/// A hash consistent with Value's ==: equal values (1, 1.0 and 1dec among
/// them) hash alike. std::hash<surreal::Value> calls it.
std::size_t hash_value(const Value& value) noexcept;

/// A range of values, each bound inclusive, exclusive or absent (unbounded):
/// SurrealQL `1..5` is [included(1), excluded(5)], `1>..=5` [excluded(1), included(5)].
class Range {
 public:
  /// One end of a range.
  struct Bound {
    Value value;            ///< where it ends
    bool inclusive = true;  ///< whether `value` itself is in the range
    /// Same value (as Value's ==) and inclusiveness.
    friend bool operator==(const Bound&, const Bound&) = default;
  };

  /// Unbounded at both ends (`..`).
  Range() = default;
  /// From `begin` to `end`; std::nullopt leaves that end unbounded.
  Range(std::optional<Bound> begin, std::optional<Bound> end)
      : begin_(std::move(begin)), end_(std::move(end)) {}
  /// A bound that includes `value`.
  static Bound included(Value value) { return Bound{std::move(value), true}; }
  /// A bound that excludes `value`.
  static Bound excluded(Value value) { return Bound{std::move(value), false}; }

  /// The start and the end bound; std::nullopt when unbounded.
  ///@{
  const std::optional<Bound>& begin() const noexcept { return begin_; }
  const std::optional<Bound>& end() const noexcept { return end_; }
  ///@}

  /// Equal bounds.
  friend bool operator==(const Range&, const Range&) = default;

 private:
  std::optional<Bound> begin_;
  std::optional<Bound> end_;
};

/// A record's id: a table and a key (SurrealQL `person:tobie`). The key is an
/// int, a string, a uuid, an array, an object, or a range of such keys (which
/// names the records of that range: `person:1..5`).
class RecordId {
 public:
  /// A placeholder, table "" and key 0, for fields that from_value() fills.
  RecordId() : key_(std::int64_t{0}) {}
  /// The record `key` of `table`: `RecordId("person", "tobie")`,
  /// `RecordId("account", 1)`.
  /// @throws std::invalid_argument if `key` is not one of the key kinds.
  RecordId(std::string table, Value key);

  /// The table's name.
  const std::string& table() const noexcept { return table_; }
  /// The key.
  const Value& key() const noexcept { return key_; }
  /// SurrealQL text, such as "person:tobie" or "person:`a-b`" (SurrealDB 3
  /// quotes keys with backticks), through Value::to_string() (needs the
  /// native library).
  /// @throws std::invalid_argument as Value::to_string().
  std::string to_string() const;

  /// Same table, and keys equal as Value's == has it.
  friend bool operator==(const RecordId&, const RecordId&) = default;

 private:
  std::string table_;
  Value key_;
};

// Object's and Set's short members, which need Value complete.
inline std::size_t Object::size() const noexcept { return members_.size(); }
inline bool Object::empty() const noexcept { return members_.empty(); }
inline Object::iterator Object::begin() noexcept { return members_.begin(); }
inline Object::iterator Object::end() noexcept { return members_.end(); }
inline Object::const_iterator Object::begin() const noexcept { return members_.begin(); }
inline Object::const_iterator Object::end() const noexcept { return members_.end(); }
inline void Object::clear() noexcept { members_.clear(); }
inline void Object::reserve(std::size_t count) { members_.reserve(count); }
inline bool Object::contains(std::string_view key) const noexcept { return find(key) != nullptr; }

inline std::size_t Set::size() const noexcept { return members_.size(); }
inline bool Set::empty() const noexcept { return members_.empty(); }
inline Set::const_iterator Set::begin() const noexcept { return members_.begin(); }
inline Set::const_iterator Set::end() const noexcept { return members_.end(); }
inline const Value* Set::data() const noexcept { return members_.data(); }
inline void Set::clear() noexcept { members_.clear(); }

// Value's members that need RecordId and Range complete.
inline Value::Value(const Value& other) = default;
inline Value::Value(Value&& other) noexcept : data_(std::move(other.data_)) {
  other.data_.emplace<None>();
}
inline Value& Value::operator=(const Value& other) = default;
inline Value& Value::operator=(Value&& other) noexcept {
  if (this != &other) {
    data_ = std::move(other.data_);
    other.data_.emplace<None>();
  }
  return *this;
}
inline Value::~Value() {
  if (is_array() || is_object() || is_set()) release_deep();
}

/// What `value["key"]` gives on a non-const Value: a handle on that member
/// that reads without writing, and writes only when assigned to.
///
/// - Reading (`v["name"].get<std::string>()`, `v["n"] == 1`, passing it
///   where a `const Value&` or a `Value` goes) gives the member, or NONE
///   when the key is missing or `v` is not an object; `v` is not changed.
/// - Assigning (`v["name"] = "Ann"`, `v["a"]["b"] = 1`) sets the member:
///   `v`, and each NONE on the way, first becomes an empty object.
///   Assigning into a Value of another kind throws TypeError.
/// - `ref()` is a mutable reference to the member, inserted as NONE if
///   missing, for changing it in place (`v["tags"].ref().push_back("x")`).
///
/// It refers to `v` (and to the Member it was indexed from): use it within
/// the expression, as `vector<bool>`'s reference; `auto m = v["k"]` keeps
/// the reference, not the value (write `Value m = v["k"]` for a copy).
class Value::Member {
 public:
  /// Another handle on the same member.
  Member(const Member&) = default;
  /// Sets the member (see the class).
  /// @throws TypeError when the Value it is in is neither an object nor NONE.
  Member& operator=(Value value) {
    ref() = std::move(value);
    return *this;
  }
  /// Sets the member to the value of `other`'s.
  Member& operator=(const Member& other) { return *this = Value(other.value()); }

  /// The member, or NONE; nothing is written.
  const Value& value() const;
  /// The same, where a `const Value&` is wanted.
  operator const Value&() const { return value(); }
  /// The same, to call a Value method on: `v["name"]->as_string()`.
  const Value* operator->() const { return &value(); }
  /// A member of this member: read or assigned the same way.
  Member operator[](std::string key) const { return Member(nullptr, this, std::move(key)); }
  /// An element of this member, which must be an array (as Value's).
  const Value& operator[](std::size_t index) const { return value()[index]; }
  /// The member itself, inserted as NONE first if missing (and the Values
  /// on the way made objects, as an assignment does).
  /// @throws TypeError as operator=.
  Value& ref();

  /// Changing the member in place: an object's or an array's contents, or
  /// an element appended (which, as an assignment, makes a missing member,
  /// NONE, an array first).
  /// @throws TypeError when the member is not of that kind (a missing one,
  /// NONE, included: it is not added).
  ///@{
  Object& as_object() {
    (void)value().as_object();  // throws, adding nothing, unless it is one
    return ref().as_object();
  }
  Array& as_array() {
    (void)value().as_array();
    return ref().as_array();
  }
  void push_back(Value item) { ref().push_back(std::move(item)); }
  ///@}

  /// Value's reading interface, on value().
  ///@{
  Kind kind() const noexcept { return value().kind(); }
  bool is_none() const noexcept { return value().is_none(); }
  bool is_null() const noexcept { return value().is_null(); }
  bool is_bool() const noexcept { return value().is_bool(); }
  bool is_int() const noexcept { return value().is_int(); }
  bool is_float() const noexcept { return value().is_float(); }
  bool is_decimal() const noexcept { return value().is_decimal(); }
  bool is_number() const noexcept { return value().is_number(); }
  bool is_string() const noexcept { return value().is_string(); }
  bool is_bytes() const noexcept { return value().is_bytes(); }
  bool is_duration() const noexcept { return value().is_duration(); }
  bool is_datetime() const noexcept { return value().is_datetime(); }
  bool is_uuid() const noexcept { return value().is_uuid(); }
  bool is_array() const noexcept { return value().is_array(); }
  bool is_object() const noexcept { return value().is_object(); }
  bool is_set() const noexcept { return value().is_set(); }
  bool is_geometry() const noexcept { return value().is_geometry(); }
  bool is_table() const noexcept { return value().is_table(); }
  bool is_record_id() const noexcept { return value().is_record_id(); }
  bool is_range() const noexcept { return value().is_range(); }
  bool is_file() const noexcept { return value().is_file(); }
  bool is_regex() const noexcept { return value().is_regex(); }
  template <class T>
  T get() const {
    return value().template get<T>();
  }
  template <class T>
  const T* get_if() const noexcept {
    return value().template get_if<T>();
  }
  const Object& as_object() const { return value().as_object(); }
  const Array& as_array() const { return value().as_array(); }
  const std::string& as_string() const { return value().as_string(); }
  const Value& at(std::string_view key) const { return value().at(key); }
  const Value& at(std::size_t index) const { return value().at(index); }
  bool contains(std::string_view key) const noexcept { return value().contains(key); }
  std::size_t size() const { return value().size(); }
  bool empty() const { return value().empty(); }
  const Value* begin() const { return value().begin(); }
  const Value* end() const { return value().end(); }
  std::string to_string() const { return value().to_string(); }
  nlohmann::json to_json() const { return value().to_json(); }
  ///@}

 private:
  friend class Value;
  Member(Value* owner, const Member* outer, std::string key)
      : owner_(owner), outer_(outer), key_(std::move(key)) {}

  Value* owner_;         // the Value indexed, or nullptr when outer_ is
  const Member* outer_;  // the Member indexed, for v["a"]["b"]
  std::string key_;
};

inline Value::Member Value::operator[](std::string key) & {
  return Member(this, nullptr, std::move(key));
}
inline Value::Value(const Member& member) : Value(member.value()) {}


inline Value::Value(Geometry geometry)
    : data_(std::in_place_type<detail::Box<Geometry>>, std::move(geometry)) {}
inline Value::Value(RecordId id)
    : data_(std::in_place_type<detail::Box<RecordId>>, std::move(id)) {}
inline Value::Value(Range range)
    : data_(std::in_place_type<detail::Box<Range>>, std::move(range)) {}
inline Value::Value(File file) : data_(std::in_place_type<detail::Box<File>>, std::move(file)) {}

template <class T>
  requires std::constructible_from<Value, const T&>
Value::Value(const std::map<std::string, T>& members) {
  // std::map's order is the byte order Object keeps, so every insert appends.
  Object object;
  object.reserve(members.size());
  for (const auto& [key, member] : members) object.insert_or_assign(key, Value(member));
  *this = Value(std::move(object));
}

template <class T>
  requires std::constructible_from<Value, const T&>
Value::Value(const std::unordered_map<std::string, T>& members) {
  // Sorted first, so that building the object appends rather than inserts.
  std::vector<const typename std::unordered_map<std::string, T>::value_type*> sorted;
  sorted.reserve(members.size());
  for (const auto& member : members) sorted.push_back(&member);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  Object object;
  object.reserve(sorted.size());
  for (const auto* member : sorted) object.insert_or_assign(member->first, Value(member->second));
  *this = Value(std::move(object));
}

template <class T>
const T* Value::get_if() const noexcept {
  if constexpr (detail::is_boxed_v<T>) {
    const auto* box = std::get_if<detail::Box<T>>(&data_);
    return box != nullptr ? box->get() : nullptr;
  } else {
    return std::get_if<T>(&data_);
  }
}

template <class T>
T Value::get() const {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, Value>) {
    return *this;
  } else if constexpr (std::is_same_v<U, bool>) {
    return stored<bool>(Kind::boolean);
  } else if constexpr (detail::integer<U>) {
    const std::int64_t number = stored<std::int64_t>(Kind::integer);
    if (!std::in_range<U>(number)) {
      throw TypeError("surreal::Value: int " + std::to_string(number) +
                      " does not fit the requested integer type");
    }
    return static_cast<U>(number);
  } else if constexpr (std::is_floating_point_v<U>) {
    if (const double* number = get_if<double>()) return static_cast<U>(*number);
    if (const std::int64_t* number = get_if<std::int64_t>()) return static_cast<U>(*number);
    if (const Decimal* number = get_if<Decimal>()) return static_cast<U>(number->to_double());
    throw_type_error("float");
  } else if constexpr (std::is_same_v<U, Geometry> || std::is_same_v<U, RecordId> ||
                       std::is_same_v<U, Range> || std::is_same_v<U, File> ||
                       std::is_same_v<U, std::string> || std::is_same_v<U, Decimal> ||
                       std::is_same_v<U, Bytes> || std::is_same_v<U, Duration> ||
                       std::is_same_v<U, Datetime> || std::is_same_v<U, Uuid> ||
                       std::is_same_v<U, Object> ||
                       std::is_same_v<U, Set> || std::is_same_v<U, Table> ||
                       std::is_same_v<U, Regex>) {
    constexpr Kind kind = std::is_same_v<U, Geometry>   ? Kind::geometry
                          : std::is_same_v<U, RecordId> ? Kind::record_id
                          : std::is_same_v<U, Range>    ? Kind::range
                          : std::is_same_v<U, File>     ? Kind::file
                          : std::is_same_v<U, std::string> ? Kind::string
                          : std::is_same_v<U, Decimal>  ? Kind::decimal
                          : std::is_same_v<U, Bytes>    ? Kind::bytes
                          : std::is_same_v<U, Duration> ? Kind::duration
                          : std::is_same_v<U, Datetime> ? Kind::datetime
                          : std::is_same_v<U, Uuid>     ? Kind::uuid
                          : std::is_same_v<U, Object>   ? Kind::object
                          : std::is_same_v<U, Set>      ? Kind::set
                          : std::is_same_v<U, Table>    ? Kind::table
                                                        : Kind::regex;
    return stored<U>(kind);
  } else if constexpr (detail::is_optional<U>::value) {
    if (is_none() || is_null()) return std::nullopt;
    return get<typename U::value_type>();
  } else if constexpr (detail::is_vector<U>::value) {
    const Value* first = nullptr;
    const Value* last = nullptr;
    if (const Array* array = get_if<Array>()) {
      first = array->data();
      last = first + array->size();
    } else if (const Set* set = get_if<Set>()) {
      first = set->data();
      last = first + set->size();
    } else {
      throw_type_error("array");
    }
    U items;
    items.reserve(static_cast<std::size_t>(last - first));
    for (; first != last; ++first) items.push_back(first->template get<typename U::value_type>());
    return items;
  } else if constexpr (detail::is_string_map<U>::value) {
    U members;
    for (const auto& [key, member] : stored<Object>(Kind::object)) {
      members.emplace(key, member.template get<typename U::mapped_type>());
    }
    return members;
  } else if constexpr (detail::is_chrono_duration<U>::value) {
    const std::chrono::nanoseconds span = stored<Duration>(Kind::duration).to_chrono();
    if constexpr (std::chrono::treat_as_floating_point_v<typename U::rep>) {
      return std::chrono::duration_cast<U>(span);
    } else {
      return std::chrono::floor<U>(span);
    }
  } else if constexpr (detail::is_system_time<U>::value) {
    const auto when = stored<Datetime>(Kind::datetime).to_time_point();
    if constexpr (std::chrono::treat_as_floating_point_v<typename U::rep>) {
      return std::chrono::time_point_cast<typename U::duration>(when);
    } else {
      return std::chrono::floor<typename U::duration>(when);
    }
  } else if constexpr (detail::has_from_value<U>) {
    U out{};
    from_value(*this, out);
    return out;
  } else {
    static_assert(detail::always_false_v<U>,
                  "surreal::Value::get<T>(): no conversion to T; a user type needs "
                  "from_value() (SURREAL_DEFINE_TYPE)");
  }
}

namespace detail {

// The helpers SURREAL_DEFINE_TYPE expands to.
template <class T>
void put_field(Object& object, const char* name, const T& field) {
  Value value(field);
  if (!value.is_none()) object.insert_or_assign(name, std::move(value));
}

// The object a user type reads from, or TypeError naming the type.
const Object& object_for(const Value& value, const char* type);
[[noreturn]] void throw_field_error(const char* type, const char* name, bool absent,
                                    const TypeError& error);

template <class T>
void get_field(const Object& object, const char* type, const char* name, T& field) {
  const Value* value = object.find(name);
  try {
    field = (value != nullptr ? *value : none_value()).template get<T>();
  } catch (const TypeError& error) {
    throw_field_error(type, name, value == nullptr, error);
  }
}

}  // namespace detail

}  // namespace surreal

/// Hashes a surreal::Value with surreal::hash_value(), so that Values can key
/// std::unordered_map and std::unordered_set.
template <>
struct std::hash<surreal::Value> {
  /// surreal::hash_value(value).
  std::size_t operator()(const surreal::Value& value) const noexcept {
    return surreal::hash_value(value);
  }
};

/// SURREAL_DEFINE_TYPE(Type, field...): to_value and from_value for a plain
/// struct, in the struct's namespace, as nlohmann's
/// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE. Up to 64 fields.
///
/// @code
/// namespace app {
/// struct Person { std::optional<surreal::RecordId> id; std::string name; int age = 0; };
/// SURREAL_DEFINE_TYPE(Person, id, name, age)
/// }
/// @endcode
///
/// to_value makes an object with a member per field, leaving out fields whose
/// value is NONE (an empty std::optional). from_value reads each member: an
/// absent member is NONE, so a std::optional field becomes std::nullopt, and
/// any other field throws TypeError naming the type and field; extra members
/// are ignored; a member of the wrong kind throws TypeError naming the field.
/// Then `Value(person)`, `value.get<app::Person>()` and the record calls'
/// conversions (Database::select<T>(), Response::take<T>()) work for the type.
#define SURREAL_DEFINE_TYPE(Type, ...)                                                  \
  inline void to_value(::surreal::Value& surreal_out, const Type& surreal_in) {         \
    ::surreal::Object surreal_object;                                                   \
    SURREAL_DETAIL_FOR_EACH(SURREAL_DETAIL_PUT_FIELD, __VA_ARGS__)                       \
    surreal_out = ::surreal::Value(::std::move(surreal_object));                        \
  }                                                                                     \
  inline void from_value(const ::surreal::Value& surreal_in, Type& surreal_out) {       \
    constexpr const char* surreal_type_name = #Type;                                    \
    const ::surreal::Object& surreal_object =                                           \
        ::surreal::detail::object_for(surreal_in, surreal_type_name);                   \
    SURREAL_DETAIL_FOR_EACH(SURREAL_DETAIL_GET_FIELD, __VA_ARGS__)                       \
  }

#define SURREAL_DETAIL_PUT_FIELD(field) \
  ::surreal::detail::put_field(surreal_object, #field, surreal_in.field);
#define SURREAL_DETAIL_GET_FIELD(field) \
  ::surreal::detail::get_field(surreal_object, surreal_type_name, #field, surreal_out.field);

// SURREAL_DETAIL_FOR_EACH(what, a, b, c) expands to what(a) what(b) what(c):
// SURREAL_DETAIL_PICK counts the arguments by where the list of EACHn lands.
#define SURREAL_DETAIL_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, \
    _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, \
    _34, _35, _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, \
    _52, _53, _54, _55, _56, _57, _58, _59, _60, _61, _62, _63, _64, NAME, ...) NAME
#define SURREAL_DETAIL_FOR_EACH(what, ...)             \
  SURREAL_DETAIL_PICK(__VA_ARGS__, SURREAL_DETAIL_EACH64, SURREAL_DETAIL_EACH63, \
                      SURREAL_DETAIL_EACH62, SURREAL_DETAIL_EACH61, SURREAL_DETAIL_EACH60, \
                      SURREAL_DETAIL_EACH59, SURREAL_DETAIL_EACH58, SURREAL_DETAIL_EACH57, \
                      SURREAL_DETAIL_EACH56, SURREAL_DETAIL_EACH55, SURREAL_DETAIL_EACH54, \
                      SURREAL_DETAIL_EACH53, SURREAL_DETAIL_EACH52, SURREAL_DETAIL_EACH51, \
                      SURREAL_DETAIL_EACH50, SURREAL_DETAIL_EACH49, SURREAL_DETAIL_EACH48, \
                      SURREAL_DETAIL_EACH47, SURREAL_DETAIL_EACH46, SURREAL_DETAIL_EACH45, \
                      SURREAL_DETAIL_EACH44, SURREAL_DETAIL_EACH43, SURREAL_DETAIL_EACH42, \
                      SURREAL_DETAIL_EACH41, SURREAL_DETAIL_EACH40, SURREAL_DETAIL_EACH39, \
                      SURREAL_DETAIL_EACH38, SURREAL_DETAIL_EACH37, SURREAL_DETAIL_EACH36, \
                      SURREAL_DETAIL_EACH35, SURREAL_DETAIL_EACH34, SURREAL_DETAIL_EACH33, \
                      SURREAL_DETAIL_EACH32, SURREAL_DETAIL_EACH31, SURREAL_DETAIL_EACH30, \
                      SURREAL_DETAIL_EACH29, SURREAL_DETAIL_EACH28, SURREAL_DETAIL_EACH27, \
                      SURREAL_DETAIL_EACH26, SURREAL_DETAIL_EACH25, SURREAL_DETAIL_EACH24, \
                      SURREAL_DETAIL_EACH23, SURREAL_DETAIL_EACH22, SURREAL_DETAIL_EACH21, \
                      SURREAL_DETAIL_EACH20, SURREAL_DETAIL_EACH19, SURREAL_DETAIL_EACH18, \
                      SURREAL_DETAIL_EACH17, SURREAL_DETAIL_EACH16, SURREAL_DETAIL_EACH15, \
                      SURREAL_DETAIL_EACH14, SURREAL_DETAIL_EACH13, SURREAL_DETAIL_EACH12, \
                      SURREAL_DETAIL_EACH11, SURREAL_DETAIL_EACH10, SURREAL_DETAIL_EACH9, \
                      SURREAL_DETAIL_EACH8, SURREAL_DETAIL_EACH7, SURREAL_DETAIL_EACH6, \
                      SURREAL_DETAIL_EACH5, SURREAL_DETAIL_EACH4, SURREAL_DETAIL_EACH3, \
                      SURREAL_DETAIL_EACH2, SURREAL_DETAIL_EACH1) \
  (what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH1(what, a) what(a)
#define SURREAL_DETAIL_EACH2(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH1(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH3(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH2(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH4(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH3(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH5(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH4(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH6(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH5(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH7(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH6(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH8(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH7(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH9(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH8(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH10(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH9(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH11(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH10(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH12(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH11(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH13(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH12(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH14(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH13(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH15(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH14(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH16(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH15(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH17(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH16(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH18(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH17(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH19(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH18(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH20(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH19(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH21(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH20(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH22(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH21(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH23(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH22(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH24(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH23(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH25(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH24(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH26(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH25(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH27(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH26(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH28(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH27(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH29(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH28(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH30(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH29(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH31(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH30(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH32(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH31(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH33(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH32(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH34(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH33(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH35(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH34(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH36(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH35(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH37(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH36(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH38(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH37(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH39(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH38(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH40(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH39(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH41(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH40(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH42(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH41(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH43(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH42(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH44(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH43(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH45(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH44(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH46(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH45(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH47(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH46(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH48(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH47(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH49(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH48(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH50(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH49(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH51(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH50(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH52(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH51(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH53(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH52(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH54(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH53(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH55(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH54(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH56(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH55(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH57(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH56(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH58(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH57(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH59(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH58(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH60(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH59(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH61(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH60(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH62(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH61(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH63(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH62(what, __VA_ARGS__)
#define SURREAL_DETAIL_EACH64(what, a, ...) \
  what(a) SURREAL_DETAIL_EACH63(what, __VA_ARGS__)
