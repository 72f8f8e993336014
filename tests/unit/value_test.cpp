// surreal::Value without the native library: construction from C++ types,
// checked access, SurrealDB's equality, order and hash, the named types'
// validation and std::chrono conversions, JSON input, user types, and the
// CBOR codec the C ABI speaks (src/ffi/cbor.hpp). The SurrealQL and JSON
// renderings, which need the library, are tested in value_text_test.cpp.
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "ffi/cbor.hpp"
#include "support/random_value.hpp"
#include "surreal/resource.hpp"
#include "surreal/value.hpp"

// --- A user type for the customisation points (in its own namespace, as users
// write them). ---
namespace app {

struct Address {
  std::string city;
  std::optional<std::string> zip;
};
SURREAL_DEFINE_TYPE(Address, city, zip)

struct Person {
  std::optional<surreal::RecordId> id;
  std::string name;
  int age = 0;
  std::vector<std::string> tags;
  Address address;
  std::optional<Address> previous;
  surreal::Datetime born;
  surreal::Value extra;
};
SURREAL_DEFINE_TYPE(Person, id, name, age, tags, address, previous, born, extra)

// 40 fields: more than the 32 the macro must take.
struct Wide {
  int f01 = 1, f02 = 2, f03 = 3, f04 = 4, f05 = 5, f06 = 6, f07 = 7, f08 = 8, f09 = 9, f10 = 10;
  int f11 = 11, f12 = 12, f13 = 13, f14 = 14, f15 = 15, f16 = 16, f17 = 17, f18 = 18, f19 = 19;
  int f20 = 20, f21 = 21, f22 = 22, f23 = 23, f24 = 24, f25 = 25, f26 = 26, f27 = 27, f28 = 28;
  int f29 = 29, f30 = 30, f31 = 31, f32 = 32, f33 = 33, f34 = 34, f35 = 35, f36 = 36, f37 = 37;
  int f38 = 38, f39 = 39, f40 = 40;
};
SURREAL_DEFINE_TYPE(Wide, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13, f14,
                    f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30,
                    f31, f32, f33, f34, f35, f36, f37, f38, f39, f40)

// A hand-written pair of customisation points, without the macro.
struct Celsius {
  double degrees = 0;
};
inline void to_value(surreal::Value& out, const Celsius& in) { out = in.degrees; }
inline void from_value(const surreal::Value& in, Celsius& out) { out.degrees = in.get<double>(); }

}  // namespace app

namespace surreal {

// A C++-side rendering, for failure messages (Value::to_string() needs the
// native library, which these tests do not link).
std::string describe(const Value& value);

void PrintTo(const Value& value, std::ostream* out) { *out << describe(value); }

std::string describe(const Value& value) {
  std::ostringstream out;
  const auto list = [&](const auto& items) {
    out << '[';
    bool first = true;
    for (const Value& item : items) {
      out << (first ? "" : ", ") << describe(item);
      first = false;
    }
    out << ']';
  };
  switch (value.kind()) {
    case Kind::none: return "NONE";
    case Kind::null: return "NULL";
    case Kind::boolean: return *value.get_if<bool>() ? "true" : "false";
    case Kind::integer: return std::to_string(*value.get_if<std::int64_t>());
    case Kind::floating: {
      const double number = *value.get_if<double>();
      out << number << "f(0x" << std::hex << std::bit_cast<std::uint64_t>(number) << ')';
      break;
    }
    case Kind::decimal: return value.get_if<Decimal>()->text() + "dec";
    case Kind::string: out << '"' << *value.get_if<std::string>() << '"'; break;
    case Kind::bytes: out << "bytes(" << value.get_if<Bytes>()->size() << ')'; break;
    case Kind::duration:
      out << "duration(" << value.get_if<Duration>()->seconds() << "s "
          << value.get_if<Duration>()->nanos() << "ns)";
      break;
    case Kind::datetime:
      out << "datetime(" << value.get_if<Datetime>()->seconds() << "s "
          << value.get_if<Datetime>()->nanos() << "ns)";
      break;
    case Kind::uuid: return "u'" + value.get_if<Uuid>()->text() + "'";
    case Kind::array: list(*value.get_if<Array>()); break;
    case Kind::set: out << "set"; list(*value.get_if<Set>()); break;
    case Kind::object: {
      out << '{';
      bool first = true;
      for (const auto& [key, member] : *value.get_if<Object>()) {
        out << (first ? "" : ", ") << '"' << key << "\": " << describe(member);
        first = false;
      }
      out << '}';
      break;
    }
    case Kind::geometry: out << "geometry#" << value.get_if<Geometry>()->shape().index(); break;
    case Kind::table: return "table(" + value.get_if<Table>()->name + ")";
    case Kind::record_id:
      return value.get_if<RecordId>()->table() + ":" + describe(value.get_if<RecordId>()->key());
    case Kind::range: {
      const Range& range = *value.get_if<Range>();
      if (range.begin()) {
        out << describe(range.begin()->value) << (range.begin()->inclusive ? "" : ">");
      }
      out << "..";
      if (range.end()) out << (range.end()->inclusive ? "=" : "") << describe(range.end()->value);
      break;
    }
    case Kind::file:
      return "f\"" + value.get_if<File>()->bucket + ":" + value.get_if<File>()->key + "\"";
    case Kind::regex: return "/" + value.get_if<Regex>()->pattern + "/";
  }
  return out.str();
}

}  // namespace surreal

namespace {

using namespace surreal;
using surreal::test_support::nested;
using std::int64_t;
using std::uint64_t;
using Buffer = std::vector<std::uint8_t>;

// --- Helpers ---------------------------------------------------------------

template <class Exception, class F>
std::string message_of(F&& action) {
  try {
    action();
  } catch (const Exception& error) {
    return error.what();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "threw another exception: " << error.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

bool same_points(const std::vector<geo::Point>& a, const std::vector<geo::Point>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_bits(a[i].x, b[i].x) || !same_bits(a[i].y, b[i].y)) return false;
  }
  return true;
}

bool same_lines(const std::vector<geo::Line>& a, const std::vector<geo::Line>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_points(a[i].points, b[i].points)) return false;
  }
  return true;
}

bool same_polygons(const std::vector<geo::Polygon>& a, const std::vector<geo::Polygon>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_points(a[i].exterior.points, b[i].exterior.points) ||
        !same_lines(a[i].interiors, b[i].interiors)) {
      return false;
    }
  }
  return true;
}

bool same_geometry(const Geometry& a, const Geometry& b) {
  const auto& x = a.shape();
  const auto& y = b.shape();
  if (x.index() != y.index()) return false;
  if (const auto* p = std::get_if<geo::Point>(&x)) {
    return same_points({*p}, {std::get<geo::Point>(y)});
  }
  if (const auto* l = std::get_if<geo::Line>(&x)) {
    return same_points(l->points, std::get<geo::Line>(y).points);
  }
  if (const auto* p = std::get_if<geo::Polygon>(&x)) {
    return same_polygons({*p}, {std::get<geo::Polygon>(y)});
  }
  if (const auto* m = std::get_if<geo::MultiPoint>(&x)) {
    return same_points(m->points, std::get<geo::MultiPoint>(y).points);
  }
  if (const auto* m = std::get_if<geo::MultiLine>(&x)) {
    return same_lines(m->lines, std::get<geo::MultiLine>(y).lines);
  }
  if (const auto* m = std::get_if<geo::MultiPolygon>(&x)) {
    return same_polygons(m->polygons, std::get<geo::MultiPolygon>(y).polygons);
  }
  const auto& left = std::get<std::vector<Geometry>>(x);
  const auto& right = std::get<std::vector<Geometry>>(y);
  if (left.size() != right.size()) return false;
  for (std::size_t i = 0; i < left.size(); ++i) {
    if (!same_geometry(left[i], right[i])) return false;
  }
  return true;
}

// The same value exactly: kind, float bits (so -0.0 is not 0.0 and NaN
// payloads count), decimal text (1.50 is not 1.5), order of members.
bool same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::floating: return same_bits(*a.get_if<double>(), *b.get_if<double>());
    case Kind::decimal: return a.get_if<Decimal>()->text() == b.get_if<Decimal>()->text();
    case Kind::array:
    case Kind::set: {
      if (a.size() != b.size()) return false;
      for (const Value *x = a.begin(), *y = b.begin(); x != a.end(); ++x, ++y) {
        if (!same(*x, *y)) return false;
      }
      return true;
    }
    case Kind::object: {
      const Object& x = a.as_object();
      const Object& y = b.as_object();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->first != j->first || !same(i->second, j->second)) return false;
      }
      return true;
    }
    case Kind::geometry: return same_geometry(*a.get_if<Geometry>(), *b.get_if<Geometry>());
    case Kind::record_id:
      return a.get_if<RecordId>()->table() == b.get_if<RecordId>()->table() &&
             same(a.get_if<RecordId>()->key(), b.get_if<RecordId>()->key());
    case Kind::range: {
      const Range& x = *a.get_if<Range>();
      const Range& y = *b.get_if<Range>();
      const auto same_bound = [](const auto& p, const auto& q) {
        if (!p || !q) return !p && !q;
        return p->inclusive == q->inclusive && same(p->value, q->value);
      };
      return same_bound(x.begin(), y.begin()) && same_bound(x.end(), y.end());
    }
    default: return a == b;
  }
}

testing::AssertionResult identical(const Value& expected, const Value& actual) {
  if (same(expected, actual)) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "expected " << describe(expected) << "\n     got "
                                     << describe(actual);
}

Buffer bytes(std::initializer_list<int> list) {
  Buffer result;
  for (int byte : list) result.push_back(static_cast<std::uint8_t>(byte));
  return result;
}

Buffer text_item(std::string_view text) {  // a CBOR text string shorter than 256 bytes
  Buffer result;
  if (text.size() < 24) {
    result.push_back(static_cast<std::uint8_t>(0x60 + text.size()));
  } else {
    result = {0x78, static_cast<std::uint8_t>(text.size())};
  }
  result.insert(result.end(), text.begin(), text.end());
  return result;
}

Buffer concat(std::initializer_list<Buffer> parts) {
  Buffer result;
  for (const Buffer& part : parts) result.insert(result.end(), part.begin(), part.end());
  return result;
}

Value decode(const Buffer& buffer) { return ffi::decode_value(buffer.data(), buffer.size()); }
Buffer encode(const Value& value) { return ffi::encode_value(value); }

std::string hex(const Buffer& buffer) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::uint8_t byte : buffer) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0xf];
    text += ' ';
  }
  return text;
}

std::string rejection(const Buffer& buffer) {
  return message_of<std::invalid_argument>([&] { decode(buffer); });
}

void takes_object(const Object& object, std::size_t expected_size) {
  EXPECT_EQ(object.size(), expected_size);
}
Value takes_value(Value value) { return value; }

// --- Construction ------------------------------------------------------------

static_assert(sizeof(Value) <= 40);
static_assert(std::is_nothrow_move_constructible_v<Value>);
static_assert(std::is_nothrow_move_assignable_v<Value>);
static_assert(std::is_copy_constructible_v<Value>);
// No silent conversions: pointers are not bools, characters are not numbers.
static_assert(!std::is_constructible_v<Value, int*>);
static_assert(!std::is_constructible_v<Value, const void*>);
static_assert(!std::is_constructible_v<Value, char>);
static_assert(!std::is_constructible_v<Value, char32_t>);
static_assert(std::is_constructible_v<Value, const char*>);
static_assert(std::is_constructible_v<Value, char*>);
static_assert(std::is_convertible_v<app::Person, Value>);
static_assert(!std::is_convertible_v<std::pair<int, int>, Value>);

TEST(ValueConstruction, EveryCxxTypeMakesItsKind) {
  EXPECT_EQ(Value().kind(), Kind::none);
  EXPECT_EQ(Value(none).kind(), Kind::none);
  EXPECT_EQ(Value(nullptr).kind(), Kind::null);
  EXPECT_EQ(Value(true).kind(), Kind::boolean);
  EXPECT_EQ(Value(1.5).kind(), Kind::floating);
  EXPECT_EQ(Value(1.5f).kind(), Kind::floating);
  EXPECT_EQ(Value("text").kind(), Kind::string);
  EXPECT_EQ(Value(std::string("text")).kind(), Kind::string);
  EXPECT_EQ(Value(std::string_view("text")).kind(), Kind::string);
  EXPECT_EQ(Value(Decimal("1.5")).kind(), Kind::decimal);
  EXPECT_EQ(Value(Duration(1, 0)).kind(), Kind::duration);
  EXPECT_EQ(Value(Datetime(0, 0)).kind(), Kind::datetime);
  EXPECT_EQ(Value(Uuid()).kind(), Kind::uuid);
  EXPECT_EQ(Value(Bytes{std::byte{1}}).kind(), Kind::bytes);
  EXPECT_EQ(Value(Array{1}).kind(), Kind::array);
  EXPECT_EQ(Value(Object{{"a", 1}}).kind(), Kind::object);
  EXPECT_EQ(Value(Set{1}).kind(), Kind::set);
  EXPECT_EQ(Value(Geometry()).kind(), Kind::geometry);
  EXPECT_EQ(Value(geo::Point{1, 2}).kind(), Kind::geometry);
  EXPECT_EQ(Value(geo::Line{}).kind(), Kind::geometry);
  EXPECT_EQ(Value(geo::Polygon{}).kind(), Kind::geometry);
  EXPECT_EQ(Value(geo::MultiPoint{}).kind(), Kind::geometry);
  EXPECT_EQ(Value(geo::MultiLine{}).kind(), Kind::geometry);
  EXPECT_EQ(Value(geo::MultiPolygon{}).kind(), Kind::geometry);
  EXPECT_EQ(Value(Table{"person"}).kind(), Kind::table);
  EXPECT_EQ(Value(RecordId("person", 1)).kind(), Kind::record_id);
  EXPECT_EQ(Value(Range()).kind(), Kind::range);
  EXPECT_EQ(Value(File{"bucket", "/key"}).kind(), Kind::file);
  EXPECT_EQ(Value(Regex{"a+"}).kind(), Kind::regex);
  EXPECT_EQ(Value(std::chrono::seconds(3)).kind(), Kind::duration);
  EXPECT_EQ(Value(std::chrono::system_clock::now()).kind(), Kind::datetime);
  EXPECT_EQ(Value(std::optional<int>()).kind(), Kind::none);
  EXPECT_EQ(Value(std::optional<int>(5)).kind(), Kind::integer);
  EXPECT_EQ(Value(std::vector<int>{1, 2}).kind(), Kind::array);
  EXPECT_EQ(Value(std::vector<std::byte>{std::byte{7}}).kind(), Kind::bytes);
  EXPECT_EQ(Value(std::map<std::string, int>{{"a", 1}}).kind(), Kind::object);
  EXPECT_EQ(Value(std::unordered_map<std::string, int>{{"a", 1}}).kind(), Kind::object);
  EXPECT_EQ(Value(app::Celsius{21.5}).kind(), Kind::floating);
}

TEST(ValueConstruction, IntegersOfEveryWidthAreInts) {
  EXPECT_EQ(*Value(std::int8_t{-5}).get_if<int64_t>(), -5);
  EXPECT_EQ(*Value(std::uint8_t{200}).get_if<int64_t>(), 200);
  EXPECT_EQ(*Value(std::int16_t{-30000}).get_if<int64_t>(), -30000);
  EXPECT_EQ(*Value(std::uint16_t{60000}).get_if<int64_t>(), 60000);
  EXPECT_EQ(*Value(-7).get_if<int64_t>(), -7);
  EXPECT_EQ(*Value(4'000'000'000u).get_if<int64_t>(), 4'000'000'000);
  EXPECT_EQ(*Value(-9'000'000'000L).get_if<int64_t>(), -9'000'000'000);
  EXPECT_EQ(*Value(std::numeric_limits<int64_t>::min()).get_if<int64_t>(),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*Value(std::uint64_t{9'223'372'036'854'775'807u}).get_if<int64_t>(),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*Value(std::size_t{12}).get_if<int64_t>(), 12);
  EXPECT_TRUE(contains(message_of<std::out_of_range>([] { Value(std::uint64_t{1} << 63); }),
                       "INT64_MAX"));
  // bool stays bool, and float is widened exactly.
  EXPECT_TRUE(Value(false).is_bool());
  EXPECT_EQ(*Value(0.1f).get_if<double>(), static_cast<double>(0.1f));
}

TEST(ValueConstruction, TextBytesAndNull) {
  EXPECT_EQ(Value(std::string("a\0b", 3)).as_string().size(), 3u);
  EXPECT_TRUE(contains(message_of<std::invalid_argument>([] {
                         const char* missing = nullptr;
                         Value{missing};
                       }),
                       "null"));
  char buffer[] = "mutable";
  EXPECT_EQ(Value(buffer).as_string(), "mutable");
}

TEST(ValueConstruction, ChronoBecomesDurationAndDatetime) {
  using namespace std::chrono;
  EXPECT_EQ(Value(milliseconds(1500)).get<Duration>(), Duration(1, 500'000'000));
  EXPECT_EQ(Value(hours(1) + minutes(30)).get<Duration>(), Duration(5400, 0));
  EXPECT_EQ(Value(duration<double>(1.25)).get<Duration>(), Duration(1, 250'000'000));
  EXPECT_TRUE(contains(message_of<std::out_of_range>([] { Value(seconds(-1)); }), "negative"));
  const sys_time<nanoseconds> when{nanoseconds(1'704'067'200'123'456'789)};
  EXPECT_EQ(Value(when).get<Datetime>(), Datetime(1'704'067'200, 123'456'789));
  EXPECT_EQ(Value(sys_days{year{2024} / 1 / 1}).get<Datetime>(), Datetime(1'704'067'200, 0));
}

TEST(ValueConstruction, ContainersOfConvertibleTypes) {
  const Value tags(std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(tags.is_array());
  EXPECT_EQ(tags[1], "b");
  const Value nested_vectors(std::vector<std::vector<int>>{{1}, {2, 3}});
  EXPECT_EQ(nested_vectors[1][1], 3);
  const Value optional_items(std::vector<std::optional<int>>{1, std::nullopt});
  EXPECT_TRUE(optional_items[1].is_none());
  // An unordered_map comes out in key order, like every Object.
  const Value scores(std::unordered_map<std::string, int>{{"c", 3}, {"a", 1}, {"b", 2}});
  std::string keys;
  for (const auto& [key, value] : scores.as_object()) keys += key;
  EXPECT_EQ(keys, "abc");
  const Value people(std::vector<app::Address>{{"Oslo", std::nullopt}});
  EXPECT_EQ(people[0]["city"], "Oslo");
}

TEST(ValueConstruction, MovedFromValueIsNone) {
  Value id = RecordId("person", "tobie");
  Value moved = std::move(id);
  EXPECT_TRUE(id.is_none());  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_TRUE(moved.is_record_id());
  Value target;
  target = std::move(moved);
  EXPECT_TRUE(moved.is_none());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(target.get<RecordId>().table(), "person");
}

TEST(ValueConstruction, CopiesAreDeep) {
  Value original = Object{{"id", RecordId("person", Array{1, 2})}, {"list", Array{1}}};
  Value copy = original;
  copy["list"].push_back(2);
  EXPECT_EQ(original["list"].size(), 1u);
  EXPECT_EQ(copy["list"].size(), 2u);
  EXPECT_EQ(copy["id"], original["id"]);
  EXPECT_NE(copy["id"].get_if<RecordId>(), original["id"].get_if<RecordId>());
}

// --- Initializer lists -------------------------------------------------------

TEST(ValueInitializerList, PairsWithStringKeysMakeAnObject) {
  const Value object = {{"a", 1}, {"b", Array{true}}};
  ASSERT_TRUE(object.is_object());
  EXPECT_EQ(object["a"], 1);
  EXPECT_TRUE(object["b"].is_array());
  const Value array = {1, 2, 3};
  ASSERT_TRUE(array.is_array());
  EXPECT_EQ(array.size(), 3u);
  // Not every element a [string, value] pair: an array.
  EXPECT_TRUE((Value{{"a", 1}, {"b"}}).is_array());
  EXPECT_TRUE((Value{{1, 2}, {3, 4}}).is_array());
  // Empty braces are NONE (the default constructor), as nlohmann::json's null.
  const Value empty = {};
  EXPECT_TRUE(empty.is_none());
  // The nlohmann pitfall, documented: braces around one value make an array of it.
  EXPECT_TRUE((Value{Object{{"a", 1}}}).is_array());
  EXPECT_TRUE(Value(Object{{"a", 1}}).is_object());
}

TEST(ValueInitializerList, ObjectAndArrayLiterals) {
  const Object object{{"b", 1}, {"a", 2}, {"b", 3}};  // later duplicates win
  ASSERT_EQ(object.size(), 2u);
  EXPECT_EQ(object.begin()->first, "a");
  EXPECT_EQ(object.at("b"), 3);
  const Array array{1, "two", 3.0, none, nullptr};
  EXPECT_EQ(array.size(), 5u);
  EXPECT_TRUE(array[3].is_none());
  EXPECT_TRUE(array[4].is_null());
}

TEST(ValueInitializerList, BracedBindingsConvertToAnObjectParameter) {
  // As Database::query(sql, Object bindings) is called.
  takes_object({{"min", 18}}, 1);
  takes_object({{"min", 18}, {"max", 65}, {"name", "Ann"}}, 3);
  takes_object({}, 0);
  EXPECT_TRUE(takes_value({{"min", 18}}).is_object());
  EXPECT_TRUE(takes_value({1, 2}).is_array());
}

// --- Checked access ----------------------------------------------------------

TEST(ValueAccess, GetConvertsOrNamesBothKinds) {
  EXPECT_EQ(Value(42).get<int64_t>(), 42);
  EXPECT_EQ(Value(42).get<int>(), 42);
  EXPECT_EQ(Value(42).get<std::uint8_t>(), 42);
  EXPECT_EQ(Value(42).get<double>(), 42.0);
  EXPECT_EQ(Value(Decimal("2.5")).get<double>(), 2.5);
  EXPECT_EQ(Value(true).get<bool>(), true);
  EXPECT_EQ(Value("x").get<std::string>(), "x");
  EXPECT_EQ(Value(Table{"t"}).get<Table>().name, "t");
  EXPECT_EQ(Value(Regex{"a"}).get<Regex>().pattern, "a");
  EXPECT_EQ(Value(File{"b", "/k"}).get<File>().key, "/k");
  EXPECT_EQ(Value(Range()).get<Range>(), Range());
  EXPECT_EQ(Value(geo::Point{1, 2}).get<Geometry>(), Geometry(geo::Point{1, 2}));
  EXPECT_EQ(Value(Array{1}).get<Array>().size(), 1u);
  EXPECT_EQ(Value(Set{1, 2}).get<Set>().size(), 2u);
  EXPECT_EQ(Value(Bytes{std::byte{1}}).get<Bytes>().size(), 1u);
  EXPECT_EQ(Value(Uuid()).get<Uuid>(), Uuid());
  EXPECT_EQ(Value(42).get<Value>(), 42);

  EXPECT_EQ(message_of<TypeError>([] { Value("x").get<int64_t>(); }),
            "surreal::Value: expected int, found string");
  EXPECT_EQ(message_of<TypeError>([] { Value(1).get<std::string>(); }),
            "surreal::Value: expected string, found int");
  EXPECT_EQ(message_of<TypeError>([] { Value().get<bool>(); }),
            "surreal::Value: expected bool, found none");
  EXPECT_EQ(message_of<TypeError>([] { Value(RecordId("a", 1)).get<Table>(); }),
            "surreal::Value: expected table, found record id");
  EXPECT_EQ(message_of<TypeError>([] { Value(1.5).get<int>(); }),
            "surreal::Value: expected int, found float");
  EXPECT_EQ(message_of<TypeError>([] { Value("1").get<double>(); }),
            "surreal::Value: expected float, found string");
  EXPECT_EQ(message_of<TypeError>([] { Value(nullptr).get<Decimal>(); }),
            "surreal::Value: expected decimal, found null");
  EXPECT_EQ(message_of<TypeError>([] { Value(Set{}).get<Object>(); }),
            "surreal::Value: expected object, found set");
  EXPECT_EQ(message_of<TypeError>([] { Value(1).get<std::vector<int>>(); }),
            "surreal::Value: expected array, found int");
  // Integers are range-checked.
  EXPECT_TRUE(contains(message_of<TypeError>([] { Value(300).get<std::uint8_t>(); }), "300"));
  EXPECT_TRUE(contains(message_of<TypeError>([] { Value(-1).get<unsigned>(); }), "-1"));
  EXPECT_EQ(Value(-1).get<std::int8_t>(), -1);
}

TEST(ValueAccess, OptionalVectorMapAndChrono) {
  EXPECT_EQ(Value().get<std::optional<int>>(), std::nullopt);
  EXPECT_EQ(Value(nullptr).get<std::optional<int>>(), std::nullopt);
  EXPECT_EQ(Value(5).get<std::optional<int>>(), 5);
  EXPECT_THROW(Value("5").get<std::optional<int>>(), TypeError);
  EXPECT_EQ((Value{1, 2, 3}).get<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(Value(Set{3, 1}).get<std::vector<int>>(), (std::vector<int>{1, 3}));
  EXPECT_EQ(Value(Bytes{std::byte{9}}).get<std::vector<std::byte>>(), Bytes{std::byte{9}});
  const auto map = Value(Object{{"a", 1}, {"b", 2}}).get<std::map<std::string, int>>();
  EXPECT_EQ(map.at("b"), 2);
  const auto unordered = Value(Object{{"a", 1}}).get<std::unordered_map<std::string, int>>();
  EXPECT_EQ(unordered.at("a"), 1);
  using namespace std::chrono;
  EXPECT_EQ(Value(Duration(1, 999'999'999)).get<milliseconds>(), milliseconds(1999));
  EXPECT_EQ(Value(Duration(90, 0)).get<minutes>(), minutes(1));
  EXPECT_EQ(Value(Duration(1, 500'000'000)).get<duration<double>>(), duration<double>(1.5));
  EXPECT_EQ(Value(Duration(3, 0)).get<nanoseconds>(), seconds(3));
  const auto when = Value(Datetime(-1, 500'000'000)).get<system_clock::time_point>();
  EXPECT_EQ(duration_cast<milliseconds>(when.time_since_epoch()), milliseconds(-500));
  EXPECT_EQ(Value(Datetime(-1, 500'000'000)).get<sys_seconds>().time_since_epoch(), seconds(-1));
  EXPECT_THROW(Value(Datetime(-62'135'596'800, 0)).get<system_clock::time_point>(),
               std::out_of_range);
}

TEST(ValueAccess, GetIfAndReferences) {
  Value value = 5;
  EXPECT_NE(value.get_if<int64_t>(), nullptr);
  EXPECT_EQ(value.get_if<double>(), nullptr);  // no conversion
  *value.get_if<int64_t>() = 6;
  EXPECT_EQ(value, 6);
  Value id = RecordId("person", "tobie");
  ASSERT_NE(id.get_if<RecordId>(), nullptr);
  EXPECT_EQ(id.get_if<RecordId>()->key(), "tobie");
  EXPECT_EQ(id.get_if<Range>(), nullptr);
  Value object = Object{};
  object.as_object().insert_or_assign("k", 1);
  EXPECT_EQ(object["k"], 1);
  EXPECT_EQ(message_of<TypeError>([&] { id.as_array(); }),
            "surreal::Value: expected array, found record id");
  EXPECT_EQ(message_of<TypeError>([] { Value(1).as_string(); }),
            "surreal::Value: expected string, found int");
}

TEST(ValueAccess, ReadingThroughIndexingNeverWrites) {
  // A non-const NONE read by key stays NONE: only an assignment writes.
  Value none;
  EXPECT_TRUE(none["k"].is_none());
  EXPECT_TRUE(none["a"]["b"].is_none());
  EXPECT_EQ(none["k"], Value());
  const Value copy = none["k"];
  EXPECT_TRUE(copy.is_none());
  EXPECT_TRUE(none.is_none()) << none.to_string();

  // A missing key of an object reads NONE, and is not added.
  Value person = Object{{"name", "Ann"}};
  EXPECT_TRUE(person["age"].is_none());
  EXPECT_FALSE(person["age"]["years"].is_int());
  EXPECT_EQ(person["name"], "Ann");
  EXPECT_EQ(person["name"].get<std::string>(), "Ann");
  EXPECT_EQ(person["name"]->as_string(), "Ann");
  EXPECT_EQ(person.size(), 1u) << person.to_string();
  EXPECT_FALSE(person.contains("age"));
  // Another kind reads NONE too, unchanged.
  Value number = 5;
  EXPECT_TRUE(number["k"].is_none());
  EXPECT_EQ(number, 5);

  // Assignments write, making NONE on the way objects.
  Value nested;
  nested["a"]["b"] = 1;
  EXPECT_EQ(nested, Value(Object{{"a", Object{{"b", 1}}}}));
  nested["a"]["c"] = nested["a"]["b"];  // a member's value, not the handle
  EXPECT_EQ(nested["a"]["c"], 1);
  nested["list"].ref().push_back("x");  // ref(): the member itself, in place
  EXPECT_EQ(nested["list"], Value(Array{"x"}));
  EXPECT_THROW(number["k"] = 1, TypeError);
  // A member is a Resource where its value is one.
  Value created = Object{{"id", RecordId("person", 1)}};
  const Resource target = created["id"];
  EXPECT_TRUE(target.is_record());
  EXPECT_THROW(Resource{created["missing"]}, TypeError);
  EXPECT_EQ(created.size(), 1u);
}

TEST(ValueAccess, IndexingSizeAndIteration) {
  Value value;  // NONE becomes an object on the first member written
  value["name"] = "Ann";
  value["age"] = 31;
  ASSERT_TRUE(value.is_object());
  EXPECT_EQ(value.size(), 2u);
  EXPECT_TRUE(value.contains("age"));
  EXPECT_FALSE(value.contains("missing"));
  const Value& read = value;
  EXPECT_TRUE(read["missing"].is_none());
  EXPECT_TRUE(Value(5)["anything"].is_none());  // a temporary is read, never written
  // Members of a temporary come out by value, so they outlive it.
  const Value& kept = Value(Object{{"list", Array{1, 2}}})["list"];
  EXPECT_EQ(kept.size(), 2u);
  int total = 0;
  for (const Value& item : Value(Object{{"list", Array{3, 4}}})["list"]) total += item.get<int>();
  EXPECT_EQ(total, 7);
  EXPECT_EQ(Value(Array{"x"})[0], "x");
  EXPECT_EQ(Value(Object{{"a", 1}}).at("a"), 1);
  EXPECT_EQ(read.at("name"), "Ann");
  EXPECT_TRUE(contains(message_of<std::out_of_range>([&] { read.at("missing"); }), "missing"));
  EXPECT_EQ(message_of<TypeError>([] { Value("s").at("k"); }),
            "surreal::Value: expected object, found string");
  EXPECT_EQ(message_of<TypeError>([] {
              Value text = "s";
              text["k"] = 1;
            }),
            "surreal::Value: expected object, found string");

  Value list;  // NONE becomes an array on the first push
  list.push_back(1);
  list.push_back("two");
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list[0], 1);
  EXPECT_EQ(list.at(1), "two");
  list[0] = 10;
  EXPECT_EQ(list[0], 10);
  EXPECT_TRUE(contains(message_of<std::out_of_range>([&] { list.at(2); }), "index 2"));
  EXPECT_THROW(std::as_const(list)[5], std::out_of_range);
  EXPECT_THROW(Value(1).push_back(2), TypeError);
  int sum = 0;
  for (const Value& item : Value{1, 2, 3}) sum += item.get<int>();
  EXPECT_EQ(sum, 6);
  for (const Value& item : Value(Set{5})) EXPECT_EQ(item, 5);
  for ([[maybe_unused]] const Value& item : Value()) ADD_FAILURE() << "NONE has no elements";
  EXPECT_EQ(Value().size(), 0u);
  EXPECT_EQ(Value(nullptr).size(), 0u);
  EXPECT_TRUE(Value().empty());
  EXPECT_EQ(message_of<TypeError>([] { Value("s").size(); }),
            "surreal::Value: expected array, set or object, found string");
  EXPECT_THROW(Value(Object{}).begin(), TypeError);
}

TEST(ValueAccess, ObjectAndSetContainers) {
  Object object;
  object.insert_or_assign("b", 2);
  object.insert_or_assign("a", 1);  // out of order: inserted in place
  object.insert_or_assign("c", 3);  // in order: appended
  object["b"] = 20;
  std::string keys;
  for (const auto& [key, value] : object) keys += key;
  EXPECT_EQ(keys, "abc");
  EXPECT_EQ(*object.find("b"), 20);
  EXPECT_EQ(object.find("z"), nullptr);
  EXPECT_TRUE(object.erase("a"));
  EXPECT_FALSE(object.erase("a"));
  EXPECT_TRUE(contains(message_of<std::out_of_range>([&] { object.at("zz"); }), "\"zz\""));
  // Byte order: "B" < "a" < "é".
  const Object bytes_order{{"é", 1}, {"a", 2}, {"B", 3}};
  EXPECT_EQ(bytes_order.begin()->first, "B");

  Set set{3, 1, 2, 1.0, Decimal("2.00")};  // 1.0 and 2.00 are already there
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.begin()->is_int());  // the first kept
  EXPECT_TRUE(set.contains(Decimal("3")));
  EXPECT_FALSE(set.insert(3.0));
  EXPECT_TRUE(set.insert("text"));
  EXPECT_TRUE(set.erase(2.0));
  EXPECT_EQ(Value(set).get<std::vector<Value>>(), (std::vector<Value>{1, 3, "text"}));
}

// --- Equality, order, hash -----------------------------------------------------

TEST(ValueOrder, KindsInSurrealDbsOrder) {
  const std::vector<Value> ascending = {
      Value(),
      nullptr,
      true,
      -1000,
      "",
      Duration(0, 0),
      Datetime(-100, 0),
      Uuid(),
      Array{},
      Set{},
      Object{},
      geo::Point{0, 0},
      Bytes{},
      Table{""},
      File{"", ""},
      Range(),
      Regex{""},
  };
  for (std::size_t i = 0; i < ascending.size(); ++i) {
    for (std::size_t j = 0; j < ascending.size(); ++j) {
      const std::weak_ordering order = ascending[i] <=> ascending[j];
      const std::weak_ordering expected = i <=> j;
      EXPECT_TRUE(order == expected) << describe(ascending[i]) << " vs " << describe(ascending[j]);
      EXPECT_EQ(ascending[i] == ascending[j], i == j);
    }
  }
  // Extremes of one kind do not cross into the next.
  EXPECT_LT(Value(true), Value(-std::numeric_limits<double>::infinity()));
  EXPECT_LT(Value(std::numeric_limits<double>::quiet_NaN()), Value(""));
  EXPECT_LT(Value(Array{Regex{"z"}}), Value(Set{}));
}

TEST(ValueOrder, TablesSortAmongRecordIdsByName) {
  // SurrealDB compares a table with a record id by table name.
  EXPECT_LT(Value(Table{"a"}), Value(RecordId("b", 1)));
  EXPECT_GT(Value(Table{"c"}), Value(RecordId("b", 1)));
  EXPECT_LT(Value(RecordId("a", 99)), Value(Table{"b"}));
  // Same name: SurrealDB says Equal (though not ==); here the table sorts first.
  EXPECT_LT(Value(Table{"b"}), Value(RecordId("b", std::numeric_limits<int64_t>::min())));
  EXPECT_NE(Value(Table{"b"}), Value(RecordId("b", 1)));
  // Both sort before files.
  EXPECT_LT(Value(RecordId("zzz", 1)), Value(File{"a", "/a"}));
}

TEST(ValueOrder, NumbersCompareByValueAcrossKinds) {
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_EQ(Value(1), Value(Decimal("1")));
  EXPECT_EQ(Value(1.0), Value(Decimal("1.000")));
  EXPECT_EQ(Value(Decimal("1.5")), Value(Decimal("1.50")));
  EXPECT_TRUE((Value(Decimal("1.5")) <=> Value(Decimal("1.50"))) == 0);
  EXPECT_LT(Value(1), Value(1.5));
  EXPECT_LT(Value(1.5), Value(2));
  EXPECT_LT(Value(Decimal("-0.5")), Value(0));
  EXPECT_GT(Value(Decimal("79228162514264337593543950335")), Value(1e28));
  // 2^53 + 1 has no float: the int is larger than the float 2^53.
  EXPECT_GT(Value(int64_t{9'007'199'254'740'993}), Value(9'007'199'254'740'992.0));
  EXPECT_LT(Value(std::numeric_limits<int64_t>::max()), Value(9'223'372'036'854'775'808.0));
  EXPECT_EQ(Value(std::numeric_limits<int64_t>::min()), Value(-9'223'372'036'854'775'808.0));
  // SurrealDB's float/decimal comparison is not exact: 0.1f equals 0.1dec.
  EXPECT_EQ(Value(0.1), Value(Decimal("0.1")));
  EXPECT_NE(Value(0.1 + 0.2), Value(Decimal("0.3")));
}

TEST(ValueOrder, ZeroAndNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Value(-0.0), Value(0.0));
  EXPECT_EQ(Value(-0.0), Value(0));
  EXPECT_EQ(Value(-0.0), Value(Decimal("-0.0")));
  EXPECT_EQ(Value(nan), Value(nan));  // the same bits
  EXPECT_NE(Value(nan), Value(-nan));
  EXPECT_NE(Value(nan), Value(std::bit_cast<double>(std::bit_cast<uint64_t>(nan) | 1)));
  EXPECT_GT(Value(nan), Value(inf));
  EXPECT_LT(Value(-nan), Value(-inf));
  EXPECT_GT(Value(nan), Value(std::numeric_limits<int64_t>::max()));
  EXPECT_LT(Value(-nan), Value(Decimal("-79228162514264337593543950335")));
  EXPECT_LT(Value(-inf), Value(std::numeric_limits<int64_t>::min()));
  EXPECT_NE(Value(inf), Value(inf + 0 == inf ? 1e308 : 0.0));
}

// Pairs of numbers with the order and equality SurrealDB gives them, generated
// by running Number::cmp and PartialEq of surrealdb-types 3.3.5 (verbatim)
// with rust_decimal 1.43.0 over random near-equal pairs: kind (i int, f float
// as its bits in hex, d decimal), value, kind, value, cmp (-1/0/1), eq (0/1).
constexpr std::string_view kSurrealDbNumberPairs = R"(
d -68227579564.3021 d 4078.22688 -1 0
d 4234.4302 d 7780973811 -1 0
d 54631458329.552 d 5 1 0
d -661 d -93666.86547 1 0
d -1477079326.08 d 4786820501.62 -1 0
d 57665.233900 d 57665.233900 0 1
d 0.093 d 0.093 0 1
d 1.3574 d 1.3574 0 1
d 976.64884 d 976.6488400 0 1
d -45 d -45 0 1
d -52978166962.3070659 d -39 -1 0
d 9.614066768194787 d 82103042485935.1450522 -1 0
d -2641031427.61393705604 d -6.444227992405279 -1 0
d 616.37 d -709627070286578.4320215939 1 0
d 633.606 d 55840253.43014595032 -1 0
d -31232887696072095.820888683321 d -31232887696072095.820888683321 0 1
d -70440478258191.9157 d -70440478258191.915700 0 1
d 390656.23310966409323 d 390656.2331096640932300 0 1
d 1622223909.97552081 d 1622223909.9755208100 0 1
d 6148894616133764223094.5 d 6148894616133764223094.500 0 1
f bf9ab51450625118 d -0.03 1 0
d -12009039769 f c2065e5b3cc80001 1 0
f 401bfffff819b7eb d 7 -1 0
f 9365853253b8d2e2 d 0.00000000000 -1 0
d -261513115.6109 f c1af2cbf3738c7e4 1 0
d -430.34419798 f c07ae581d5bdb730 -1 0
d 44 f 4045ffffffffffff 1 0
f c12acf91fffffffd d -878537.782289808 1 0
d -7302.85636537671 f c0bc86db3ac2e664 -1 0
d 2.096 f 4000c49ba5e353f8 -1 0
f bff0000000000000 d -1.714967989 1 0
f 4008000000000000 d 3.68 -1 0
d 7 f 401c000000000000 0 1
f bff0000000000000 d -1 0 1
f c1f3395c79900000 d -5160421273 0 1
f bffb333333333333 d -1.7 0 1
f 405fe00000000000 d 127.5 0 1
f c055000000000000 d -84 0 1
f c040600000000000 d -32.75 0 1
f c26f744a2d6ca000 d -1080760036197 0 1
d -100 f c059000000000000 0 1
f 8000000000000000 d 0.000 0 1
f c09b080000000000 d -1730 0 1
d -1 f bff0000000000000 0 1
d 3.781059112825318163 f 400e3f9beb8e9ec0 1 0
f 3e824576256fd2eb d 0.000000136132046718279 -1 0
d -5.247332603901207638658719 f c014fd44c213f5f8 -1 0
f be930cdd1c09fec7 d -0.0000002838708291 -1 0
d 5318.810390262656511270152801 f 40b4c6cf75bc7b1b 1 0
f bf2b6ccc71b49460 d -0.00020923610359449823 -1 0
f c05434fdfcb93eb8 d -80.82800214853603 1 0
d -4417786781908189349 f c3cea790d5fa86e1 1 0
f 43b675d6626c47c5 d 1618435359321343226.74703533 1 0
d -21970113033867.42717212769 f c2b3fb50c8768b6c -1 0
f c2162396dfa2dc60 d -23771592680.71521 1 0
f c167ead69ccccccd d -12539572.30595105990 -1 0
f 405ae00000000000 d 107.50000000000000000000000000 0 1
f 433757d26c6b0555 d 6570485738046805.0000000000000 0 1
f c056b00000000000 d -90.7500000000000000000 0 1
f c2a169ba5e47402c d -9572897989536.0859375000000 0 1
f 4081780000000000 d 559.00000000000000000000000000 0 1
f c35b806f23619ec8 d -30964156778052384.000000000000 0 1
f 4119ff8c00000000 d 425955.000000000000 0 1
f c366179097ab9e0b d -49746874199765080 0 1
f 42a38b76d6184600 d 10744857562147.000000000000000 0 1
f c09dfc0000000000 d -1919.000000000000000000 0 1
f 43031123a81715c8 d 670858674889401.00000000000000 0 1
f c376edd182f37647 d -103262937417213040 0 1
i 107877 d 395.1898265 1 0
i 1568 d 99589.8 -1 0
i 10 d -694817123595.2 1 0
i -562471100202005 d 57678.0 -1 0
i -6574552951 d -586.54079879744 -1 0
i 173306040142367 d 173306040142367 0 1
i -2794 d -2794.0 0 1
i -261276875 d -261276875 0 1
i 2874 d 2874.0000 0 1
i 4558193767 d 4558193767 0 1
i 1075258785604900 d -2361405566.0774307065846006 1 0
i 21 d -67763015.1718485448513 1 0
i -1867791905418702171 d 1268.8993001881811872056081 -1 0
i 36444603698323843 d -64639427352967.34 1 0
i -732790702 d 40093.889849847653430308931 -1 0
i 29490991780463 d 29490991780463.0000 0 1
i 263563993373043 d 263563993373043.00 0 1
i 2823097448948092 d 2823097448948092.0 0 1
i 892020081848575 d 892020081848575.00 0 1
i 60906146080764 d 60906146080764.0000 0 1
f 600d89885b577ed9 f 3d7ec9c329a74d00 1 0
f 4395ddad46560740 f 40f195ea680dc330 1 0
f 4185dc1ae471f5d2 f c03e0419939c2714 1 0
f c05f100000000000 f c1e122fae76a6a17 1 0
f 85189ebabb5af875 f 0000000000000000 -1 0
f 8000000000000000 f 0000000000000000 0 1
f 46293e5939a08cea f 46293e5939a08cea 0 1
f 0000000000000000 f 0000000000000000 0 1
f 0000000000000000 f 8000000000000000 0 1
f fff8000000000000 f fff8000000000000 0 1
i 1596689630975978769 f 41069b3000000000 1 0
i -4 f c22b01f00cf00000 1 0
i 90220264182322234 f 4374086da2e21144 -1 0
i 3580212855043 f 52129471e2246685 -1 0
i 4365158366608482691 f 43ce4a14341302f1 -1 0
i 9007199254740992 f 4340000000000000 0 1
i 9007199254740992 f 4340000000000000 0 1
i -239212849 f c1ac843262000000 0 1
i 253786843 f 41ae40f5b6000000 0 1
i 9007199254740992 f 4340000000000000 0 1
)";

TEST(ValueOrder, NumbersAgreeWithSurrealDb) {
  std::istringstream lines{std::string(kSurrealDbNumberPairs)};
  const auto make = [](const std::string& kind, const std::string& text) -> Value {
    if (kind == "i") return std::stoll(text);
    if (kind == "f") return std::bit_cast<double>(std::stoull(text, nullptr, 16));
    return Decimal(text);
  };
  std::string a_kind, a_text, b_kind, b_text;
  int order = 0;
  int equal = 0;
  int count = 0;
  while (lines >> a_kind >> a_text >> b_kind >> b_text >> order >> equal) {
    ++count;
    const Value a = make(a_kind, a_text);
    const Value b = make(b_kind, b_text);
    const std::weak_ordering got = a <=> b;
    const int got_order = got < 0 ? -1 : got > 0 ? 1 : 0;
    EXPECT_EQ(got_order, order) << a_text << " <=> " << b_text;
    EXPECT_EQ(a == b, equal == 1) << a_text << " == " << b_text;
    const std::weak_ordering reverse = b <=> a;
    EXPECT_EQ(reverse < 0 ? -1 : reverse > 0 ? 1 : 0, -order) << b_text << " <=> " << a_text;
    if (equal == 1) {
      EXPECT_EQ(hash_value(a), hash_value(b)) << a_text << " # " << b_text;
    }
  }
  EXPECT_GT(count, 100);
}

TEST(ValueOrder, WithinKinds) {
  EXPECT_LT(Value(false), Value(true));
  EXPECT_LT(Value("Z"), Value("a"));
  EXPECT_LT(Value("a"), Value("é"));  // bytes, unsigned
  EXPECT_LT(Value(Bytes{std::byte{1}}), Value(Bytes{std::byte{0xff}}));
  EXPECT_LT(Value(Duration(1, 999)), Value(Duration(2, 0)));
  EXPECT_LT(Value(Datetime(-1, 999'999'999)), Value(Datetime(0, 0)));
  EXPECT_LT(Value(Array{1, 2}), Value(Array{1, 3}));
  EXPECT_LT(Value(Array{1, 3}), Value(Array{2}));
  EXPECT_LT(Value(Array{1}), Value(Array{1, 0}));
  EXPECT_LT(Value(Object{{"a", 1}}), Value(Object{{"a", 2}}));
  EXPECT_LT(Value(Object{{"a", 2}}), Value(Object{{"b", 0}}));
  EXPECT_LT(Value(Set{1}), Value(Set{1, 2}));
  EXPECT_LT(Value(RecordId("a", 1)), Value(RecordId("a", "x")));
  EXPECT_LT(Value(RecordId("a", "z")), Value(RecordId("b", 0)));
  EXPECT_LT(Value(File{"a", "/z"}), Value(File{"b", "/a"}));
  EXPECT_LT(Value(Regex{"a"}), Value(Regex{"b"}));
  // Range bounds: unbounded < included < excluded, then by value.
  const Value unbounded = Range(std::nullopt, std::nullopt);
  const Value from_included = Range(Range::included(1), std::nullopt);
  const Value from_excluded = Range(Range::excluded(0), std::nullopt);
  EXPECT_LT(unbounded, from_included);
  EXPECT_LT(from_included, from_excluded);
  EXPECT_LT(Value(Range(Range::included(1), Range::included(2))),
            Value(Range(Range::included(1), Range::excluded(2))));
  EXPECT_NE(Value(Range(Range::included(1), std::nullopt)),
            Value(Range(Range::excluded(1), std::nullopt)));
  // A record id whose key is a range is ordered like the range, and not
  // before itself (SurrealDB's RecordIdKeyRange::cmp compares start with end).
  const Value key_range = RecordId("person", Range(Range::included(1), Range::included(5)));
  EXPECT_TRUE((key_range <=> key_range) == 0);
  EXPECT_LT(key_range, Value(RecordId("person", Range(Range::included(2), Range::included(3)))));
}

TEST(ValueOrder, GeometriesCompareByShapeThenCoordinates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_LT(Value(geo::Point{9, 9}), Value(geo::Line{}));
  EXPECT_LT(Value(geo::Point{1, 2}), Value(geo::Point{1, 3}));
  EXPECT_EQ(Value(geo::Point{-0.0, 0}), Value(geo::Point{0, 0}));
  EXPECT_EQ(hash_value(geo::Point{-0.0, 0}), hash_value(geo::Point{0, 0}));
  // NaN: not equal, yet equivalent in the order (SurrealDB maps None to Equal).
  EXPECT_NE(Value(geo::Point{nan, 0}), Value(geo::Point{nan, 0}));
  EXPECT_TRUE((Value(geo::Point{nan, 0}) <=> Value(geo::Point{1, 0})) == 0);
  // Polygons compare interiors first, then the exterior, as SurrealDB iterates them.
  const geo::Polygon small{{{{5, 5}}}, {{{{0, 0}}}}};
  const geo::Polygon large{{{{0, 0}}}, {{{{9, 9}}}}};
  EXPECT_LT(Value(small), Value(large));
  EXPECT_EQ(Value(Geometry::collection({geo::Point{1, 2}})),
            Value(Geometry::collection({geo::Point{1, 2}})));
}

TEST(ValueHash, EqualValuesHashAlike) {
  const std::vector<std::vector<Value>> groups = {
      {1, 1.0, Decimal("1"), Decimal("1.000"), -0.0 + 1},
      {0, 0.0, -0.0, Decimal("0"), Decimal("-0.00")},
      {0.1, Decimal("0.1"), Decimal("0.10")},
      {Array{1, 2.0}, Array{1.0, Decimal("2")}},
      {Object{{"a", 1}}, Object{{"a", 1.0}}},
      {Set{1, 2}, Set{1.0, 2.0}},
      {RecordId("t", 1), RecordId("t", 1)},
      {Range(Range::included(1), std::nullopt), Range(Range::included(1.0), std::nullopt)},
      {std::numeric_limits<int64_t>::min(), -9'223'372'036'854'775'808.0},
  };
  for (const auto& group : groups) {
    for (const Value& value : group) {
      EXPECT_EQ(value, group.front()) << describe(value);
      EXPECT_EQ(std::hash<Value>{}(value), std::hash<Value>{}(group.front())) << describe(value);
    }
  }
  const std::unordered_set<Value> set{1, 1.0, Decimal("1.0"), 2, "2", RecordId("a", 1)};
  EXPECT_EQ(set.size(), 4u);
  EXPECT_NE(hash_value(1), hash_value(2));
  EXPECT_NE(hash_value(0.25), hash_value(0.5));
  EXPECT_NE(hash_value("a"), hash_value(Table{"a"}));
}

// --- Named types ----------------------------------------------------------------

TEST(Decimal, AcceptsWhatSurrealDbHoldsExactly) {
  for (const char* text : {"0", "-0", "1.50", "-0.3", "007", "79228162514264337593543950335",
                           "-79228162514264337593543950335", "0.0000000000000000000000000001",
                           "7.9228162514264337593543950335"}) {
    EXPECT_EQ(Decimal(text).text(), text);
  }
  for (const char* text : {"", "-", "+1", "1.", ".5", "1e5", "1,5", " 1", "1 ", "0x10", "--1",
                           "79228162514264337593543950336", "0.00000000000000000000000000001",
                           "NaN", "１"}) {
    EXPECT_TRUE(contains(message_of<std::invalid_argument>([&] { Decimal{text}; }),
                         "\"" + std::string(text) + "\""))
        << text;
  }
  EXPECT_EQ(Decimal("0.1").to_double(), 0.1);
  EXPECT_EQ(Decimal("-2.50").to_double(), -2.5);
  EXPECT_EQ(Decimal("1.50"), Decimal("1.5"));
  EXPECT_LT(Decimal("-1"), Decimal("0.000001"));
  EXPECT_EQ(Decimal().text(), "0");
}

TEST(Duration, CarriesNanosAndConvertsToChrono) {
  EXPECT_EQ(Duration(1, 1'500'000'000), Duration(2, 500'000'000));
  EXPECT_THROW(Duration(std::numeric_limits<uint64_t>::max(), 1'000'000'000), std::out_of_range);
  EXPECT_EQ(Duration(std::numeric_limits<uint64_t>::max(), 999'999'999).seconds(),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(Duration(2, 5).to_chrono(), std::chrono::nanoseconds(2'000'000'005));
  EXPECT_EQ(Duration(9'223'372'036, 854'775'807).to_chrono(), std::chrono::nanoseconds::max());
  EXPECT_THROW(Duration(9'223'372'036, 854'775'808).to_chrono(), std::out_of_range);
  EXPECT_THROW(Duration(std::numeric_limits<uint64_t>::max(), 0).to_chrono(), std::out_of_range);
  EXPECT_EQ(Duration(std::chrono::nanoseconds(1)), Duration(0, 1));
  EXPECT_EQ(Duration(std::chrono::hours(24 * 365)), Duration(31'536'000, 0));
  EXPECT_EQ(Duration(std::chrono::duration<std::uint64_t>(std::numeric_limits<uint64_t>::max())),
            Duration(std::numeric_limits<uint64_t>::max(), 0));
  EXPECT_THROW(Duration(std::chrono::duration<std::uint64_t, std::ratio<2>>(
                   std::numeric_limits<uint64_t>::max())),
               std::out_of_range);
  EXPECT_THROW(Duration(std::chrono::duration<double>(-0.5)), std::out_of_range);
  EXPECT_THROW(Duration(std::chrono::duration<double>(std::nan(""))), std::out_of_range);
  EXPECT_LT(Duration(0, 999'999'999), Duration(1, 0));
}

TEST(Datetime, ValidatesNanosAndConvertsToChrono) {
  using namespace std::chrono;
  EXPECT_TRUE(contains(message_of<std::invalid_argument>([] { Datetime(0, 1'000'000'000); }),
                       "1000000000"));
  // Year 1 and year 9999 exist, but are beyond std::chrono::nanoseconds.
  const Datetime year_one(sys_days{year{1} / 1 / 1});
  EXPECT_EQ(year_one.seconds(), -62'135'596'800);
  const Datetime year_9999(sys_days{year{9999} / 12 / 31} + hours(23) + minutes(59) + seconds(59));
  EXPECT_EQ(year_9999.seconds(), 253'402'300'799);
  EXPECT_TRUE(contains(message_of<std::out_of_range>([&] { year_one.to_time_point(); }), "1677"));
  EXPECT_THROW(year_9999.to_time_point(), std::out_of_range);
  // Before 1970, and the nanoseconds: rounded down, never towards zero.
  const sys_time<nanoseconds> before{nanoseconds(-1)};
  EXPECT_EQ(Datetime(before), Datetime(-1, 999'999'999));
  EXPECT_EQ(Datetime(-1, 999'999'999).to_time_point(), before);
  EXPECT_EQ(Datetime(sys_time<milliseconds>(milliseconds(-1500))), Datetime(-2, 500'000'000));
  const Datetime precise(1'704'067'200, 123'456'789);
  EXPECT_EQ(Datetime(precise.to_time_point()), precise);
  EXPECT_EQ(Datetime(sys_time<duration<double>>(duration<double>(-0.25))),
            Datetime(-1, 750'000'000));
  // The ends of std::chrono::nanoseconds.
  EXPECT_EQ(Datetime(sys_time<nanoseconds>(nanoseconds::min())).to_time_point().time_since_epoch(),
            nanoseconds::min());
  EXPECT_EQ(Datetime(sys_time<nanoseconds>(nanoseconds::max())).to_time_point().time_since_epoch(),
            nanoseconds::max());
  const auto now = system_clock::now();
  EXPECT_LE(Datetime(now), Datetime::now());
  EXPECT_EQ(Datetime(), Datetime(0, 0));
}

TEST(Uuid, ParsesHyphenatedHex) {
  const Uuid id = Uuid::parse("0191A2B3-c4d5-7e6f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(id.bytes()[0], 0x01);
  EXPECT_EQ(id.bytes()[15], 0x5b);
  EXPECT_EQ(id.text(), "0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(Uuid::parse(id.text()), id);
  EXPECT_EQ(Uuid().text(), "00000000-0000-0000-0000-000000000000");
  for (const char* bad :
       {"", "0191a2b3c4d57e6f8a9b0c1d2e3f4a5b", "0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5",
        "0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5g", "{0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a}",
        "0191a2b3+c4d5-7e6f-8a9b-0c1d2e3f4a5b"}) {
    EXPECT_THROW(Uuid::parse(bad), std::invalid_argument) << bad;
  }
}

TEST(RecordId, KeysAreIntsStringsUuidsArraysObjectsOrRangesOfThem) {
  EXPECT_NO_THROW(RecordId("t", 1));
  EXPECT_NO_THROW(RecordId("t", "k"));
  EXPECT_NO_THROW(RecordId("t", Uuid()));
  EXPECT_NO_THROW(RecordId("t", Array{1.5, none}));  // an array key holds any values
  EXPECT_NO_THROW(RecordId("t", Object{{"a", Decimal("1")}}));
  EXPECT_NO_THROW(RecordId("t", Range(Range::included(1), std::nullopt)));
  EXPECT_NO_THROW(RecordId("t", Range(Range::included(Array{1}), Range::excluded("z"))));
  EXPECT_TRUE(contains(message_of<std::invalid_argument>([] { RecordId("t", 1.5); }), "float"));
  EXPECT_THROW(RecordId("t", none), std::invalid_argument);
  EXPECT_THROW(RecordId("t", Range(Range::included(1.5), std::nullopt)), std::invalid_argument);
  EXPECT_THROW(RecordId("t", Table{"x"}), std::invalid_argument);
  EXPECT_EQ(RecordId().key(), 0);
  EXPECT_TRUE(RecordId("t", Range()).key().is_range());
}

// --- JSON -------------------------------------------------------------------------

TEST(ValueFromJson, KeepsWhatJsonHas) {
  const auto json = nlohmann::json::parse(R"({
    "null": null, "yes": true, "int": -5, "big": 18446744073709551615, "max": 9223372036854775807,
    "float": 1.5, "id": "person:1", "when": "2024-01-01T00:00:00Z",
    "list": [1, "a", [], {}], "nested": {"b": 1, "a": 2}
  })");
  const Value value = Value::from_json(json);
  EXPECT_TRUE(value["null"].is_null());
  EXPECT_EQ(value["yes"], true);
  EXPECT_TRUE(value["int"].is_int());
  EXPECT_EQ(value["int"], -5);
  EXPECT_TRUE(value["big"].is_float());  // above INT64_MAX
  EXPECT_EQ(value["big"], 18446744073709551615.0);
  EXPECT_TRUE(value["max"].is_int());
  EXPECT_TRUE(value["float"].is_float());
  EXPECT_TRUE(value["id"].is_string());    // not a record id
  EXPECT_TRUE(value["when"].is_string());  // not a datetime
  EXPECT_EQ(value["list"].size(), 4u);
  EXPECT_TRUE(value["list"][3].is_object());
  EXPECT_EQ(value["nested"].as_object().begin()->first, "a");
  EXPECT_EQ(Value::from_json(nlohmann::json::binary({1, 2})),
            Value(Bytes{std::byte{1}, std::byte{2}}));
  EXPECT_TRUE(Value::from_json(nlohmann::json(nlohmann::json::value_t::discarded)).is_none());
}

// --- User types -------------------------------------------------------------------

app::Person ann() {
  app::Person person;
  person.id = RecordId("person", "ann");
  person.name = "Ann";
  person.age = 31;
  person.tags = {"admin", "ops"};
  person.address = {"Oslo", "0150"};
  person.born = Datetime(-86'400, 5);
  person.extra = Object{{"note", Decimal("1.50")}};
  return person;
}

TEST(UserTypes, RoundTripThroughTheMacro) {
  const app::Person person = ann();
  const Value value = person;
  ASSERT_TRUE(value.is_object());
  EXPECT_EQ(value["name"], "Ann");
  EXPECT_EQ(value["address"]["zip"], "0150");
  EXPECT_FALSE(value.contains("previous"));  // NONE fields are left out
  EXPECT_TRUE(value["id"].is_record_id());
  const auto back = value.get<app::Person>();
  EXPECT_EQ(back.id, person.id);
  EXPECT_EQ(back.name, "Ann");
  EXPECT_EQ(back.age, 31);
  EXPECT_EQ(back.tags, person.tags);
  EXPECT_EQ(back.address.zip, "0150");
  EXPECT_FALSE(back.previous.has_value());
  EXPECT_EQ(back.born, person.born);
  EXPECT_EQ(back.extra, person.extra);
  // In containers, and through the codec.
  const Value people = std::vector<app::Person>{person, person};
  const Buffer cbor = encode(people);
  EXPECT_EQ(decode(cbor).get<std::vector<app::Person>>().at(1).address.city, "Oslo");
  EXPECT_EQ(Value(app::Celsius{21.5}).get<app::Celsius>().degrees, 21.5);
}

TEST(UserTypes, MissingAndWrongMembers) {
  Value value = ann();
  value.as_object().erase("address");
  EXPECT_EQ(message_of<TypeError>([&] { value.get<app::Person>(); }),
            "surreal::Value: Person has no member \"address\"");
  value = ann();
  value.as_object().erase("id");          // optional: becomes nullopt
  value.as_object().erase("extra");       // a Value field: becomes NONE
  value["address"].as_object().erase("zip");
  value["unknown"] = "ignored";
  const auto person = value.get<app::Person>();
  EXPECT_FALSE(person.id.has_value());
  EXPECT_TRUE(person.extra.is_none());
  EXPECT_FALSE(person.address.zip.has_value());
  value["age"] = "31";
  EXPECT_EQ(message_of<TypeError>([&] { value.get<app::Person>(); }),
            "surreal::Value: Person.age: expected int, found string");
  value["age"] = 31;
  value["address"]["city"] = 5;
  EXPECT_EQ(message_of<TypeError>([&] { value.get<app::Person>(); }),
            "surreal::Value: Person.address: Address.city: expected string, found int");
  EXPECT_EQ(message_of<TypeError>([] { Value("x").get<app::Person>(); }),
            "surreal::Value: expected object for Person, found string");
}

TEST(UserTypes, FortyFields) {
  const Value value = app::Wide{};
  EXPECT_EQ(value.size(), 40u);
  EXPECT_EQ(value["f40"], 40);
  Value changed = value;
  changed["f33"] = -33;
  EXPECT_EQ(changed.get<app::Wide>().f33, -33);
  EXPECT_EQ(changed.get<app::Wide>().f01, 1);
}

// --- CBOR: golden bytes ---------------------------------------------------------------

TEST(Cbor, GoldenEncodings) {
  const auto uuid = Uuid::parse("0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b");
  const std::vector<std::pair<Value, Buffer>> cases = {
      {Value(), bytes({0xc6, 0xf6})},
      {nullptr, bytes({0xf6})},
      {true, bytes({0xf5})},
      {false, bytes({0xf4})},
      {1, bytes({0x01})},
      {-1, bytes({0x20})},
      {500, bytes({0x19, 0x01, 0xf4})},
      {std::numeric_limits<int64_t>::max(),
       bytes({0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
      {std::numeric_limits<int64_t>::min(),
       bytes({0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
      {1.5, bytes({0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0})},
      {-0.0, bytes({0xfb, 0x80, 0, 0, 0, 0, 0, 0, 0})},
      {Decimal("1.50"), concat({bytes({0xca}), text_item("1.50")})},
      {"a", bytes({0x61, 0x61})},
      {Bytes{std::byte{0}, std::byte{0xff}}, bytes({0x42, 0x00, 0xff})},
      {Duration(0, 0), bytes({0xce, 0x80})},
      {Duration(1, 0), bytes({0xce, 0x81, 0x01})},
      {Duration(1, 500'000'000), bytes({0xce, 0x82, 0x01, 0x1a, 0x1d, 0xcd, 0x65, 0x00})},
      {Datetime(0, 0), bytes({0xcc, 0x82, 0x00, 0x00})},
      {Datetime(-1, 5), bytes({0xcc, 0x82, 0x20, 0x05})},
      {uuid, concat({bytes({0xd8, 0x25, 0x50}), Buffer(uuid.bytes().begin(), uuid.bytes().end())})},
      {Array{1, "a"}, bytes({0x82, 0x01, 0x61, 0x61})},
      {Object{{"b", 2}, {"a", 1}}, bytes({0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x02})},
      {Set{2, 1}, bytes({0xd8, 0x38, 0x82, 0x01, 0x02})},
      {Table{"person"}, concat({bytes({0xc7}), text_item("person")})},
      {RecordId("person", 1), concat({bytes({0xc8, 0x82}), text_item("person"), bytes({0x01})})},
      {RecordId("person", "tobie"),
       concat({bytes({0xc8, 0x82}), text_item("person"), text_item("tobie")})},
      {Range(Range::included(1), Range::excluded(5)),
       bytes({0xd8, 0x31, 0x82, 0xd8, 0x32, 0x01, 0xd8, 0x33, 0x05})},
      {Range(), bytes({0xd8, 0x31, 0x82, 0xf6, 0xf6})},
      {File{"b", "/k"}, concat({bytes({0xd8, 0x37, 0x82}), text_item("b"), text_item("/k")})},
      {Regex{"a+"}, concat({bytes({0xd8, 0x23}), text_item("a+")})},
      {geo::Point{1, 2},
       bytes({0xd8, 0x58, 0x82, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,  //
               0xfb, 0x40, 0, 0, 0, 0, 0, 0, 0})},
      {geo::Line{}, bytes({0xd8, 0x59, 0x80})},
      {Geometry::collection({}), bytes({0xd8, 0x5e, 0x80})},
  };
  for (const auto& [value, expected] : cases) {
    EXPECT_EQ(hex(encode(value)), hex(expected)) << describe(value);
    EXPECT_TRUE(identical(value, decode(expected))) << hex(expected);
  }
}

TEST(Cbor, DecoderAcceptsOtherValidForms) {
  // Half and single floats, wider integer headers than needed, tags in their
  // multi-byte forms, keys out of order, text uuids and datetimes, and
  // durations of every length with u64 seconds.
  EXPECT_TRUE(identical(1.0, decode(bytes({0xf9, 0x3c, 0x00}))));
  EXPECT_TRUE(identical(-0.0, decode(bytes({0xf9, 0x80, 0x00}))));
  EXPECT_TRUE(identical(1.5, decode(bytes({0xfa, 0x3f, 0xc0, 0x00, 0x00}))));
  EXPECT_TRUE(std::isinf(*decode(bytes({0xf9, 0x7c, 0x00})).get_if<double>()));
  EXPECT_TRUE(identical(1, decode(bytes({0x1b, 0, 0, 0, 0, 0, 0, 0, 0x01}))));
  EXPECT_TRUE(identical(Value(), decode(bytes({0xd8, 0x06, 0xf6}))));
  EXPECT_TRUE(identical(Value(), decode(bytes({0xd9, 0x00, 0x06, 0xf6}))));
  EXPECT_TRUE(identical(Object{{"a", 2}, {"b", 1}},
                        decode(bytes({0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02}))));
  EXPECT_TRUE(identical(Uuid::parse("0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b"),
                        decode(concat({bytes({0xc9}),
                                       text_item("0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b")}))));
  EXPECT_TRUE(identical(Datetime(1'704'067'200, 500'000'000),
                        decode(concat({bytes({0xc0}), text_item("2024-01-01T00:00:00.5Z")}))));
  EXPECT_TRUE(identical(Datetime(1'704'067'200 - 3600 - 1800, 0),
                        decode(concat({bytes({0xc0}), text_item("2024-01-01T00:00:00+01:30")}))));
  EXPECT_TRUE(identical(Duration(std::numeric_limits<uint64_t>::max(), 999'999'999),
                        decode(bytes({0xce, 0x82, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0x1a, 0x3b, 0x9a, 0xc9, 0xff}))));
  EXPECT_TRUE(identical(Duration(0, 7), decode(bytes({0xce, 0x82, 0x00, 0x07}))));
  EXPECT_TRUE(identical(geo::Point{1, 2}, decode(bytes({0xd8, 0x58, 0x82, 0x01, 0x02}))));
  EXPECT_TRUE(identical(Set{1, 2}, decode(bytes({0xd8, 0x38, 0x83, 0x02, 0x01, 0x02}))));
}

TEST(Cbor, MalformedBuffersAreRejectedWithAClearMessage) {
  const std::vector<std::pair<Buffer, std::string>> cases = {
      {{}, "truncated: the value ends early at byte 0"},
      {bytes({0x18}), "truncated"},
      {bytes({0x63, 0x61}), "truncated"},
      {bytes({0x82, 0x01}), "truncated: the value ends early at byte 2"},
      {bytes({0x1c}), "reserved or unsupported initial byte 0x1c at byte 0"},
      {bytes({0xf8, 0x20}), "0xf8"},
      {bytes({0x81, 0xf7}), "undefined"},
      {bytes({0xff}), "break"},
      {bytes({0x9f, 0x01, 0xff}), "indefinite-length"},
      {bytes({0x7f, 0x61, 0x61, 0xff}), "indefinite-length"},
      {bytes({0xbf, 0xff}), "indefinite-length"},
      {bytes({0x5f, 0xff}), "indefinite-length"},
      {bytes({0xf6, 0xf6}), "1 trailing bytes after the value at byte 1"},
      {bytes({0x62, 0xc3, 0x28}), "not valid UTF-8 at byte 0"},
      {bytes({0x63, 0xed, 0xa0, 0x80}), "UTF-8"},        // a surrogate
      {bytes({0x62, 0xc0, 0x80}), "UTF-8"},              // overlong NUL
      {bytes({0x64, 0xf4, 0x90, 0x80, 0x80}), "UTF-8"},  // above U+10FFFF
      {bytes({0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}), "outside the 64-bit signed range"},
      {bytes({0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0}), "outside the 64-bit signed range"},
      {bytes({0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02}), "duplicate object key \"a\" at byte 4"},
      {bytes({0xa2, 0x61, 0x62, 0x01, 0x61, 0x62, 0x02}), "duplicate object key \"b\""},
      {bytes({0xa1, 0x01, 0x02}), "an object key that is not text"},
      {bytes({0xa1, 0xc6, 0xf6, 0x02}), "an object key that is not text"},
      {bytes({0xd8, 0x63, 0xf6}), "unknown CBOR tag 99 at byte 0"},
      {bytes({0x81, 0xc1, 0x00}), "unknown CBOR tag 1 at byte 1"},
      {bytes({0xc6, 0x01}), "tag 6 must hold null, found int at byte 0"},
      {bytes({0xca, 0x01}), "tag 10 must hold text, found int"},
      {concat({bytes({0xca}), text_item("1e5")}), "\"1e5\""},
      {concat({bytes({0xc9}), text_item("nope")}), "not a hyphenated UUID"},
      {concat({bytes({0xc0}), text_item("2024-13-01T00:00:00Z")}), "RFC 3339"},
      {bytes({0xc8, 0x83, 0x61, 0x74, 0x01, 0x02}), "tag 8 must hold an array of 2 items"},
      {bytes({0xc8, 0x81, 0x61, 0x74}), "tag 8 must hold an array of 2 items"},
      {bytes({0xc8, 0x82, 0x01, 0x01}), "tag 8 must hold [table text, key]"},
      {bytes({0xc8, 0x82, 0x61, 0x74, 0xf9, 0x3c, 0x00}), "a key is an int, string, uuid"},
      {concat({bytes({0xc8}), text_item("person:1")}), "tag 8 must hold an array"},
      {bytes({0xcc, 0x82, 0x00, 0x1a, 0x3b, 0x9a, 0xca, 0x00}),
       "nanoseconds must be 0 to 999999999"},
      {bytes({0xcc, 0x82, 0xf9, 0x3c, 0x00, 0x00}), "tag 12 holds integers, found float"},
      {bytes({0xcc, 0x81, 0x00}), "tag 12 must hold an array of 2 items"},
      {bytes({0xce, 0x83, 0x00, 0x00, 0x00}), "at most 2 integers"},
      {bytes({0xce, 0x81, 0x20}), "negative duration"},
      {concat({bytes({0xd8, 0x25, 0x4f}), Buffer(15, 0)}), "16 bytes, found 15"},
      {concat({bytes({0xd8, 0x25, 0x51}), Buffer(17, 0)}), "16 bytes, found 17"},
      {bytes({0xd8, 0x25, 0x01}), "tag 37 must hold 16 bytes, found int"},
      {bytes({0xd8, 0x31, 0x82, 0x01, 0xf6}), "a range bound is null, tag 50 or tag 51, found int"},
      {bytes({0xd8, 0x31, 0x81, 0xf6}), "tag 49 must hold an array of 2 items"},
      {bytes({0xd8, 0x32, 0x01}), "tag 50 (a range bound) outside a range"},
      {bytes({0xd8, 0x31, 0x82, 0xd8, 0x32, 0xd8, 0x32, 0x01, 0xf6}), "outside a range"},
      {bytes({0xd8, 0x37, 0x82, 0x61, 0x62, 0x01}), "tag 55 must hold [bucket text, key text]"},
      {bytes({0xd8, 0x58, 0x82, 0x61, 0x61, 0x01}), "tag 88 must hold two numbers"},
      {bytes({0xd8, 0x59, 0x81, 0x01}), "tag 89 must hold points only"},
      {bytes({0xd8, 0x59, 0x01}), "tag 89 must hold an array of points, found int"},
      {bytes({0xd8, 0x5a, 0x80}), "tag 90 must hold at least one line"},
      {bytes({0xd8, 0x5e, 0x81, 0x01}), "tag 94 must hold geometries only"},
      {bytes({0xd8, 0x38, 0x01}), "tag 56 must hold an array"},
      {bytes({0x9b, 0, 0, 0, 1, 0, 0, 0, 0}), "a container longer than the buffer"},
      {bytes({0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "longer than the buffer"},
      {bytes({0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "truncated"},
  };
  for (const auto& [buffer, part] : cases) {
    const std::string message = rejection(buffer);
    EXPECT_TRUE(contains(message, "CBOR value: ")) << hex(buffer) << ": " << message;
    EXPECT_TRUE(contains(message, part)) << hex(buffer) << ": " << message;
  }
}

TEST(Cbor, NestingLimitIs1024LevelsAndNeverOverflowsTheStack) {
  const auto arrays = [](std::size_t depth, std::initializer_list<int> inner) {
    Buffer buffer(depth, 0x81);
    for (int byte : inner) buffer.push_back(static_cast<std::uint8_t>(byte));
    return buffer;
  };
  EXPECT_NO_THROW(decode(arrays(1024, {0xf6})));
  EXPECT_EQ(rejection(arrays(1025, {0xf6})),
            "CBOR value: nested deeper than 1024 containers and tags at byte 1024");
  // Tags count as levels: NONE inside 1023 arrays is 1024 levels.
  EXPECT_NO_THROW(decode(arrays(1023, {0xc6, 0xf6})));
  EXPECT_TRUE(contains(rejection(arrays(1024, {0xc6, 0xf6})), "nested deeper than 1024"));
  // An empty container is a level too.
  EXPECT_NO_THROW(decode(arrays(1023, {0x80})));
  EXPECT_TRUE(contains(rejection(arrays(1024, {0xa0})), "nested deeper than 1024"));
  // Far deeper input fails the same way, without recursion.
  EXPECT_TRUE(contains(rejection(arrays(200'000, {0xf6})), "nested deeper"));
  Buffer tags;
  for (int i = 0; i < 100'000; ++i) tags.insert(tags.end(), {0xd8, 0x31});
  EXPECT_TRUE(contains(rejection(tags), "nested deeper"));

  // The encoder refuses what the decoders would.
  Value deep = 1;
  for (int i = 0; i < 1024; ++i) deep = Array{std::move(deep)};
  EXPECT_NO_THROW(encode(deep));
  deep = Array{std::move(deep)};
  EXPECT_TRUE(contains(message_of<std::invalid_argument>([&] { encode(deep); }),
                       "nested deeper than 1024"));
}

// --- CBOR: round trips -------------------------------------------------------------

std::vector<Value> every_kind() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Uuid uuid = Uuid::parse("0191a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b");
  const geo::Line line{{{0, 0}, {1, 1}, {-0.0, 2}}};
  const geo::Polygon polygon{line, {line, line}};
  const Range key_range(Range::included(Array{"a", 1}), Range::excluded(Object{{"k", 2}}));
  return {
      Value(), nullptr, true, false,
      0, 1, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
      0.0, -0.0, 1.5, nan, -nan, std::bit_cast<double>(uint64_t{0x7ff0000000000001}), inf, -inf,
      std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
      Decimal("0"), Decimal("1.50"), Decimal("-0.0000000000000000000000000001"),
      Decimal("79228162514264337593543950335"), Decimal("1234567890.123456789012345678"),
      "", "text", std::string("a\0b\0", 4), "😀 ⟨⟩ é", std::string(300, 'x'),
      Bytes{}, Bytes{std::byte{0}, std::byte{0}, std::byte{0xff}, std::byte{0}},
      Duration(0, 0), Duration(0, 1), Duration(1, 0),
      Duration(std::numeric_limits<uint64_t>::max(), 999'999'999),
      Datetime(0, 0), Datetime(-62'135'596'800, 0), Datetime(253'402'300'799, 999'999'999),
      Datetime(-1, 1), Datetime(std::numeric_limits<int64_t>::min(), 0),
      Datetime(std::numeric_limits<int64_t>::max(), 999'999'999),
      uuid, Uuid(),
      Array{}, Array{Value(), nullptr, Array{}}, Object{},
      Object{{"", 1}, {std::string("\0", 1), 2}, {"😀", Object{{"x", none}}}},
      Set{}, Set{1, "a", Array{}, Value()},
      geo::Point{-0.0, 51.5}, line, polygon, geo::MultiPoint{{{1, 2}, {3, 4}}},
      geo::MultiLine{{line, geo::Line{}}}, geo::MultiPolygon{{polygon}},
      Geometry::collection({geo::Point{1, 2}, line, Geometry::collection({polygon})}),
      Table{"person"}, Table{""},
      RecordId("person", 1), RecordId("person", std::numeric_limits<int64_t>::min()),
      RecordId("person", "tobie"), RecordId("my table", "a-b c⟩"), RecordId("t", ""),
      RecordId("t", uuid), RecordId("t", Array{"London", Datetime(0, 0), none}),
      RecordId("t", Object{{"city", "Oslo"}, {"n", 7}}), RecordId("t", key_range),
      RecordId("t", Range()),
      RecordId("t", Range(std::nullopt, Range::included(RecordId("u", 1).key()))),
      Range(), Range(Range::included(1), std::nullopt), Range(std::nullopt, Range::excluded("m")),
      Range(Range::excluded(Value()), Range::included(nullptr)),
      Range(Range::included(Range(Range::included(1), std::nullopt)), std::nullopt),
      File{"bucket", "/path/to/file.txt"}, File{"", ""},
      Regex{"^a+[0-9]?$"}, Regex{""},
  };
}

TEST(Cbor, EveryKindRoundTripsExactly) {
  for (const Value& value : every_kind()) {
    const Buffer buffer = encode(value);
    const Value back = decode(buffer);
    EXPECT_TRUE(identical(value, back)) << hex(buffer);
    // And as a member and an element, with the buffers appended to.
    Buffer appended{0x82};
    ffi::encode_value(value, appended);
    ffi::encode_value(Object{{"v", value}}, appended);
    const Value pair = decode(appended);
    EXPECT_TRUE(identical(value, pair[0]));
    EXPECT_TRUE(identical(value, pair[1]["v"]));
  }
  // The sign of -0.0 survives, and the payload of a NaN.
  EXPECT_TRUE(std::signbit(*decode(encode(-0.0)).get_if<double>()));
  const double payload = std::bit_cast<double>(uint64_t{0x7ff8000000000abc});
  EXPECT_EQ(std::bit_cast<uint64_t>(*decode(encode(payload)).get_if<double>()),
            0x7ff8000000000abcu);
  EXPECT_TRUE(identical(nested(100), decode(encode(nested(100)))));
}

// Random value trees of every kind, for the property test.
class RandomTrees {
 public:
  explicit RandomTrees(uint64_t seed) : random_(seed) {}

  Value tree(int depth) {
    switch (below(depth > 0 ? 21 : 15)) {
      case 0: return Value();
      case 1: return nullptr;
      case 2: return below(2) == 1;
      case 3: return integer();
      case 4: return floating();
      case 5: return decimal();
      case 6: return text();
      case 7: return bytes();
      case 8: return Duration(below(3) == 0 ? random_() : below(100'000), nanos());
      case 9: return Datetime(static_cast<int64_t>(random_()) >> below(64), nanos());
      case 10: return uuid();
      case 11: return Table{text()};
      case 12: return File{text(), text()};
      case 13: return Regex{text()};
      case 14: return geometry(2);
      case 15: return array(depth);
      case 16: return object(depth);
      case 17: {
        Set set;
        for (uint64_t i = below(5); i > 0; --i) set.insert(tree(depth - 1));
        return set;
      }
      case 18: return RecordId(text(), key(depth));
      case 19: return Range(bound(depth), bound(depth));
      default: return Value(array(depth));
    }
  }

 private:
  uint64_t below(uint64_t n) { return random_() % n; }
  std::uint32_t nanos() { return static_cast<std::uint32_t>(below(1'000'000'000)); }

  int64_t integer() {
    switch (below(4)) {
      case 0: return std::numeric_limits<int64_t>::min() + static_cast<int64_t>(below(3));
      case 1: return std::numeric_limits<int64_t>::max() - static_cast<int64_t>(below(3));
      case 2: return static_cast<int64_t>(random_()) >> below(64);
      default: return static_cast<int64_t>(below(201)) - 100;
    }
  }
  double floating() {
    switch (below(4)) {
      case 0: return std::bit_cast<double>(random_());  // NaN payloads, denormals, infinities
      case 1: return below(2) == 1 ? -0.0 : 0.0;
      default: return std::ldexp(static_cast<double>(static_cast<int64_t>(random_() >> 11)),
                                 static_cast<int>(below(120)) - 80) * (below(2) == 1 ? -1 : 1);
    }
  }
  double coordinate() {
    const double value = std::ldexp(static_cast<double>(random_() >> 11), -45);
    return below(4) == 0 ? -0.0 : value - 128;
  }
  Decimal decimal() {
    const std::size_t digits = 1 + below(28);
    std::string text;
    for (std::size_t i = 0; i < digits; ++i) text.push_back(static_cast<char>('0' + below(10)));
    const std::size_t scale = below(digits);
    if (scale > 0) text.insert(text.size() - scale, ".");
    if (below(2) == 1) text.insert(text.begin(), '-');
    return Decimal(text);
  }
  std::string text() {
    static constexpr std::string_view kPieces[] = {"a", "Z", "0", " ", std::string_view("\0", 1),
                                                   "é", "⟨", "😀", "'", "\x7f"};
    std::string result;
    for (uint64_t count = below(7); count > 0; --count) {
      result += kPieces[below(std::size(kPieces))];
    }
    return result;
  }
  Bytes bytes() {
    Bytes result(below(9));
    for (auto& byte : result) byte = static_cast<std::byte>(below(3) == 0 ? 0 : below(256));
    return result;
  }
  Uuid uuid() {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(below(256));
    return Uuid(bytes);
  }
  geo::Point point() { return {coordinate(), coordinate()}; }
  geo::Line line() {
    geo::Line line;
    for (uint64_t i = below(4); i > 0; --i) line.points.push_back(point());
    return line;
  }
  geo::Polygon polygon() {
    geo::Polygon polygon{line(), {}};
    for (uint64_t i = below(3); i > 0; --i) polygon.interiors.push_back(line());
    return polygon;
  }
  Geometry geometry(int depth) {
    switch (below(depth > 0 ? 7 : 6)) {
      case 0: return point();
      case 1: return line();
      case 2: return polygon();
      case 3: return geo::MultiPoint{{point(), point()}};
      case 4: return geo::MultiLine{{line(), line()}};
      case 5: return geo::MultiPolygon{{polygon()}};
      default: {
        std::vector<Geometry> members;
        for (uint64_t i = below(3); i > 0; --i) members.push_back(geometry(depth - 1));
        return Geometry::collection(std::move(members));
      }
    }
  }
  Array array(int depth) {
    Array items;
    for (uint64_t i = below(5); i > 0; --i) items.push_back(tree(depth - 1));
    return items;
  }
  Object object(int depth) {
    Object members;
    for (uint64_t i = below(5); i > 0; --i) members.insert_or_assign(text(), tree(depth - 1));
    return members;
  }
  Value key(int depth) {
    switch (below(depth > 0 ? 6 : 3)) {
      case 0: return integer();
      case 1: return text();
      case 2: return uuid();
      case 3: return array(depth);
      case 4: return object(depth);
      default: {
        const auto key_bound = [&]() -> std::optional<Range::Bound> {
          switch (below(3)) {
            case 0: return std::nullopt;
            case 1: return Range::included(key(depth - 1));
            default: return Range::excluded(key(depth - 1));
          }
        };
        auto begin = key_bound();
        return Range(std::move(begin), key_bound());
      }
    }
  }
  std::optional<Range::Bound> bound(int depth) {
    switch (below(3)) {
      case 0: return std::nullopt;
      case 1: return Range::included(tree(depth - 1));
      default: return Range::excluded(tree(depth - 1));
    }
  }

  std::mt19937_64 random_;
};

TEST(Cbor, TenThousandRandomTreesRoundTrip) {
  constexpr uint64_t kSeed = 20261122;
  RandomTrees random(kSeed);
  int failures = 0;
  for (int i = 0; i < 10'000 && failures < 5; ++i) {
    const Value value = random.tree(static_cast<int>(i % 6));
    const Buffer buffer = encode(value);
    const Value back = decode(buffer);
    const testing::AssertionResult result = identical(value, back);
    // Exactly the same, so equal too, with the same hash, and re-encoding
    // gives the same bytes.
    if (!result || !(value == back) || hash_value(value) != hash_value(back) ||
        encode(back) != buffer) {
      ++failures;
      ADD_FAILURE() << "seed " << kSeed << ", tree " << i << ": " << result.message()
                    << "\nvalue " << describe(value) << "\nbytes " << hex(buffer);
    }
  }
}

}  // namespace

namespace {

// Destroying a value recurses once per level of nesting unless the destructor
// takes deep values apart itself; a million levels would overflow any stack.
TEST(ValueLifetime, DestroyingAMillionLevelsDeepDoesNotOverflowTheStack) {
  surreal::Value deep = surreal::test_support::nested(1'000'000);
  deep = surreal::Value();  // destroys the whole chain
  EXPECT_TRUE(deep.is_none());
}

}  // namespace
