// Value <-> CBOR (see cbor.hpp for the encoding).
//
// Encoding writes each item header with libcbor's cbor_encode_* into one
// growing buffer. Decoding runs libcbor's streaming decoder, which reads one
// item header (or one whole string) per call and reports it to a callback;
// the tree is built on an explicit stack of open containers and tags, so
// nesting costs no C++ stack and no allocation beyond the Values themselves.
#include "ffi/cbor.hpp"

#include <cbor.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace surreal::ffi {

namespace {

// The tags of the encoding.
enum Tag : std::uint64_t {
  kTagDatetimeText = 0,
  kTagNone = 6,
  kTagTable = 7,
  kTagRecordId = 8,
  kTagUuidText = 9,
  kTagDecimal = 10,
  kTagDatetime = 12,
  kTagDuration = 14,
  kTagRegex = 35,
  kTagUuid = 37,
  kTagRange = 49,
  kTagIncluded = 50,
  kTagExcluded = 51,
  kTagFile = 55,
  kTagSet = 56,
  kTagPoint = 88,
  kTagLine = 89,
  kTagPolygon = 90,
  kTagMultiPoint = 91,
  kTagMultiLine = 92,
  kTagMultiPolygon = 93,
  kTagCollection = 94,
};

// ---------------------------------------------------------------------------
// Encoding

class Encoder {
 public:
  explicit Encoder(std::vector<std::uint8_t>& out) : out_(out) {}

  void value(const Value& value, std::size_t depth) {
    switch (value.kind()) {
      case Kind::none:
        tag(kTagNone, depth);
        return put(cbor_encode_null);
      case Kind::null: return put(cbor_encode_null);
      case Kind::boolean: return put(cbor_encode_bool, *value.get_if<bool>());
      case Kind::integer: return integer(*value.get_if<std::int64_t>());
      case Kind::floating: return put(cbor_encode_double, *value.get_if<double>());
      case Kind::decimal:
        tag(kTagDecimal, depth);
        return text(value.get_if<Decimal>()->text());
      case Kind::string: return text(*value.get_if<std::string>());
      case Kind::bytes: {
        const Bytes& bytes = *value.get_if<Bytes>();
        return byte_string(bytes.data(), bytes.size());
      }
      case Kind::duration: {
        // [] for zero, [seconds] without nanoseconds, else [seconds, nanos].
        const Duration& span = *value.get_if<Duration>();
        tag(kTagDuration, depth);
        const std::size_t count = span.nanos() != 0 ? 2 : span.seconds() != 0 ? 1 : 0;
        array(count, depth + 1);
        if (count >= 1) put(cbor_encode_uint, span.seconds());
        if (count == 2) put(cbor_encode_uint, std::uint64_t{span.nanos()});
        return;
      }
      case Kind::datetime: {
        const Datetime& when = *value.get_if<Datetime>();
        tag(kTagDatetime, depth);
        array(2, depth + 1);
        integer(when.seconds());
        return put(cbor_encode_uint, std::uint64_t{when.nanos()});
      }
      case Kind::uuid:
        tag(kTagUuid, depth);
        return byte_string(value.get_if<Uuid>()->bytes().data(), 16);
      case Kind::array: {
        const Array& items = *value.get_if<Array>();
        array(items.size(), depth);
        for (const Value& item : items) this->value(item, depth + 1);
        return;
      }
      case Kind::object: {
        const Object& members = *value.get_if<Object>();
        check_depth(depth);
        put(cbor_encode_map_start, members.size());
        for (const auto& [key, member] : members) {
          text(key);
          this->value(member, depth + 1);
        }
        return;
      }
      case Kind::set: {
        const Set& members = *value.get_if<Set>();
        tag(kTagSet, depth);
        array(members.size(), depth + 1);
        for (const Value& member : members) this->value(member, depth + 2);
        return;
      }
      case Kind::geometry: return geometry(*value.get_if<Geometry>(), depth);
      case Kind::table:
        tag(kTagTable, depth);
        return text(value.get_if<Table>()->name);
      case Kind::record_id: {
        const RecordId& id = *value.get_if<RecordId>();
        tag(kTagRecordId, depth);
        array(2, depth + 1);
        text(id.table());
        return this->value(id.key(), depth + 2);
      }
      case Kind::range: {
        const Range& range = *value.get_if<Range>();
        tag(kTagRange, depth);
        array(2, depth + 1);
        bound(range.begin(), depth + 2);
        return bound(range.end(), depth + 2);
      }
      case Kind::file: {
        const File& file = *value.get_if<File>();
        tag(kTagFile, depth);
        array(2, depth + 1);
        text(file.bucket);
        return text(file.key);
      }
      case Kind::regex:
        tag(kTagRegex, depth);
        return text(value.get_if<Regex>()->pattern);
    }
  }

  /// An array of `first` (when it has a value) and the items, each nested
  /// in it (so at depth 2).
  void array_of(std::optional<std::string_view> first, std::span<const Value* const> items) {
    array(items.size() + (first ? 1 : 0), 1);
    if (first) text(*first);
    for (const Value* item : items) value(*item, 2);
  }

 private:
  // `depth` is the level the next container or tag opens, counting from 1.
  static void check_depth(std::size_t depth) {
    if (depth > kMaxCborDepth) {
      throw std::invalid_argument("CBOR value: nested deeper than " +
                                  std::to_string(kMaxCborDepth) + " containers and tags");
    }
  }

  template <class Encode, class... Args>
  void put(Encode encode, Args... args) {
    unsigned char header[9];  // the longest header: a major type byte and 8 bytes
    const std::size_t written = encode(args..., header, sizeof header);
    out_.insert(out_.end(), header, header + written);
  }

  void tag(std::uint64_t number, std::size_t depth) {
    check_depth(depth);
    put(cbor_encode_tag, number);
  }
  void array(std::size_t count, std::size_t depth) {
    check_depth(depth);
    put(cbor_encode_array_start, count);
  }
  void integer(std::int64_t number) {
    if (number >= 0) return put(cbor_encode_uint, static_cast<std::uint64_t>(number));
    // CBOR's negative integers carry -1 - n, which cannot overflow.
    put(cbor_encode_negint, static_cast<std::uint64_t>(-1 - number));
  }
  void text(std::string_view text) {
    put(cbor_encode_string_start, text.size());
    out_.insert(out_.end(), text.begin(), text.end());
  }
  template <class Byte>
  void byte_string(const Byte* data, std::size_t size) {
    put(cbor_encode_bytestring_start, size);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), bytes, bytes + size);
  }
  void bound(const std::optional<Range::Bound>& bound, std::size_t depth) {
    if (!bound) return put(cbor_encode_null);
    tag(bound->inclusive ? kTagIncluded : kTagExcluded, depth);
    value(bound->value, depth + 1);
  }

  void point(const geo::Point& point, std::size_t depth) {
    tag(kTagPoint, depth);
    array(2, depth + 1);
    put(cbor_encode_double, point.x);
    put(cbor_encode_double, point.y);
  }
  void line(const geo::Line& line, std::size_t depth) {
    tag(kTagLine, depth);
    points(line.points, depth + 1);
  }
  void points(const std::vector<geo::Point>& points, std::size_t depth) {
    array(points.size(), depth);
    for (const geo::Point& member : points) point(member, depth + 1);
  }
  void polygon(const geo::Polygon& polygon, std::size_t depth) {
    tag(kTagPolygon, depth);
    array(1 + polygon.interiors.size(), depth + 1);
    line(polygon.exterior, depth + 2);
    for (const geo::Line& interior : polygon.interiors) line(interior, depth + 2);
  }
  void geometry(const Geometry& geometry, std::size_t depth) {
    const Geometry::Shape& shape = geometry.shape();
    if (const auto* member = std::get_if<geo::Point>(&shape)) return point(*member, depth);
    if (const auto* member = std::get_if<geo::Line>(&shape)) return line(*member, depth);
    if (const auto* member = std::get_if<geo::Polygon>(&shape)) return polygon(*member, depth);
    if (const auto* member = std::get_if<geo::MultiPoint>(&shape)) {
      tag(kTagMultiPoint, depth);
      return points(member->points, depth + 1);
    }
    if (const auto* member = std::get_if<geo::MultiLine>(&shape)) {
      tag(kTagMultiLine, depth);
      array(member->lines.size(), depth + 1);
      for (const geo::Line& each : member->lines) line(each, depth + 2);
      return;
    }
    if (const auto* member = std::get_if<geo::MultiPolygon>(&shape)) {
      tag(kTagMultiPolygon, depth);
      array(member->polygons.size(), depth + 1);
      for (const geo::Polygon& each : member->polygons) polygon(each, depth + 2);
      return;
    }
    const auto& members = std::get<std::vector<Geometry>>(shape);
    tag(kTagCollection, depth);
    array(members.size(), depth + 1);
    for (const Geometry& each : members) this->geometry(each, depth + 2);
  }

  std::vector<std::uint8_t>& out_;
};

// ---------------------------------------------------------------------------
// Decoding helpers

// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF), as Rust's str requires.
bool is_utf8(const unsigned char* text, std::size_t size) noexcept {
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = text[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (size - i < length) return false;
    if (text[i + 1] < low || text[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (text[i + k] < 0x80 || text[i + k] > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// RFC 3339 text (tag 0): YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
Datetime parse_rfc3339(std::string_view text) {
  const auto fail = [&]() -> Datetime {
    throw std::invalid_argument("tag 0 datetime \"" + std::string(text) +
                                "\" is not RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)");
  };
  std::size_t i = 0;
  const auto number = [&](std::size_t digits, std::int64_t& out) {
    if (text.size() - i < digits) return false;
    out = 0;
    for (std::size_t k = 0; k < digits; ++k, ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  const auto expect = [&](std::string_view choices) {
    if (i >= text.size() || choices.find(text[i]) == std::string_view::npos) return false;
    ++i;
    return true;
  };
  std::int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, year) || !expect("-") || !number(2, month) || !expect("-") || !number(2, day) ||
      !expect("Tt ") || !number(2, hour) || !expect(":") || !number(2, minute) || !expect(":") ||
      !number(2, second)) {
    return fail();
  }
  static constexpr unsigned kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59) {
    return fail();
  }
  std::uint32_t nanos = 0;
  if (expect(".")) {
    std::size_t digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      if (digits < 9) nanos = nanos * 10 + static_cast<std::uint32_t>(text[i] - '0');
    }
    if (digits == 0) return fail();
    for (; digits < 9; ++digits) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (!expect("Zz")) {
    if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return fail();
    const bool negative = text[i++] == '-';
    std::int64_t offset_hours = 0, offset_minutes = 0;
    if (!number(2, offset_hours) || !expect(":") || !number(2, offset_minutes) ||
        offset_hours > 23 || offset_minutes > 59) {
      return fail();
    }
    offset = (offset_hours * 60 + offset_minutes) * 60 * (negative ? -1 : 1);
  }
  if (i != text.size()) return fail();
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return Datetime(days * 86400 + hour * 3600 + minute * 60 + second - offset, nanos);
}

// ---------------------------------------------------------------------------
// Decoding

class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t len) : data_(data), len_(len) {}

  Value run() {
    while (!done_) {
      if (offset_ >= len_) fail("truncated: the value ends early", len_);
      item_ = offset_;
      const std::uint8_t head = data_[offset_];
      std::size_t read = 0;
      if (head >= 0xC6 && head <= 0xD4) {
        // Tags 6 to 20 in their one-byte form, among them NONE, table, record
        // id and decimal: libcbor 0.8's streaming decoder reports these as
        // errors ("unassigned"), so they are handled here.
        on_tag(this, head - 0xC0u);
        read = 1;
      } else {
        const cbor_decoder_result result =
            cbor_stream_decode(data_ + offset_, len_ - offset_, &kCallbacks, this);
        if (result.status == CBOR_DECODER_NEDATA) fail("truncated: the value ends early", len_);
        if (result.status != CBOR_DECODER_FINISHED) {
          static constexpr char kHex[] = "0123456789abcdef";
          fail(std::string("malformed CBOR: reserved or unsupported initial byte 0x") +
                   kHex[head >> 4] + kHex[head & 0xf],
               item_);
        }
        read = result.read;
      }
      if (error_) std::rethrow_exception(error_);
      offset_ += read;
    }
    if (offset_ != len_) {
      fail(std::to_string(len_ - offset_) + " trailing bytes after the value", offset_);
    }
    return std::move(root_);
  }

 private:
  enum class FrameKind : std::uint8_t { array, map, tag, tagged_array };
  enum BoundKind : std::uint8_t { kNoBound, kUnbounded, kIncluded, kExcluded };
  struct Integer {
    bool negative = false;   // the value is -1 - magnitude
    std::uint64_t magnitude = 0;
  };

  // An open container or tag.
  struct Frame {
    FrameKind kind = FrameKind::array;
    std::uint8_t levels = 1;     // nesting levels it accounts for (tag + array = 2)
    std::uint8_t expected = 0;   // tagged_array: items it holds
    std::uint8_t count = 0;      // tagged_array: items received
    bool has_key = false;        // map: `key` waits for its value
    BoundKind bounds[2] = {kNoBound, kNoBound};  // tagged_array of a range
    std::uint64_t tag = 0;       // tag, tagged_array
    std::uint64_t remaining = 0; // array: items, map: members still to come
    std::size_t offset = 0;      // where it starts, for messages
    Array items;                 // array
    Object members;              // map
    std::string key;             // map
    Value slots[2];              // tagged_array
    Integer integers[2];         // tagged_array of a datetime or duration
  };

  [[noreturn]] static void fail(const std::string& what, std::size_t at) {
    throw std::invalid_argument("CBOR value: " + what + " at byte " + std::to_string(at));
  }
  [[noreturn]] void fail(const std::string& what) const { fail(what, item_); }

  static std::string tag_name(std::uint64_t tag) { return "tag " + std::to_string(tag); }

  // libcbor is C: no exception may unwind through it. Each callback runs its
  // work here and keeps the first exception for run() to rethrow.
  template <class Work>
  static void guarded(void* context, Work&& work) noexcept {
    auto* self = static_cast<Decoder*>(context);
    if (self->error_) return;
    try {
      work(*self);
    } catch (...) {
      self->error_ = std::current_exception();
    }
  }

  // A new innermost frame, built in place (a Frame is large).
  Frame& open(FrameKind kind) {
    if (depth_ + 1 > kMaxCborDepth) {
      fail("nested deeper than " + std::to_string(kMaxCborDepth) + " containers and tags");
    }
    ++depth_;
    if (stack_.capacity() == 0) stack_.reserve(4);  // most values nest a few levels
    Frame& frame = stack_.emplace_back();
    frame.kind = kind;
    frame.offset = item_;
    return frame;
  }
  // Room to reserve for `count` elements that the input announces. In valid
  // input every element takes at least a byte, so all the reservations of one
  // buffer together never need more than its length; a length that lies is
  // not trusted with more memory than that.
  std::size_t reservation(std::uint64_t count) noexcept {
    const std::size_t granted = static_cast<std::size_t>(std::min<std::uint64_t>(count, budget_));
    budget_ -= granted;
    return granted;
  }
  void close() {
    depth_ -= stack_.back().levels;
    stack_.pop_back();
  }
  // The tag frame the current item is the content of, or nullptr.
  Frame* open_tag() noexcept {
    return !stack_.empty() && stack_.back().kind == FrameKind::tag ? &stack_.back() : nullptr;
  }
  Frame* tagged_array(std::uint64_t tag) noexcept {
    return !stack_.empty() && stack_.back().kind == FrameKind::tagged_array &&
                   stack_.back().tag == tag
               ? &stack_.back()
               : nullptr;
  }
  // Room for `count` items of at least `size` bytes each.
  void check_room(std::uint64_t count, std::uint64_t size) const {
    if (count > (len_ - item_) / size) fail("truncated: a container longer than the buffer");
  }

  // A complete value, delivered to the innermost open container or tag;
  // every container or tag it completes is delivered in turn.
  void emit(Value&& completed) {
    Value value = std::move(completed);
    for (;;) {
      if (stack_.empty()) {
        root_ = std::move(value);
        done_ = true;
        return;
      }
      Frame& top = stack_.back();
      switch (top.kind) {
        case FrameKind::array:
          top.items.push_back(std::move(value));
          if (--top.remaining != 0) return;
          value = Value(std::move(top.items));
          close();
          continue;
        case FrameKind::map:
          if (!top.has_key) fail("an object key that is not text");
          top.members.insert_or_assign(std::move(top.key), std::move(value));
          top.has_key = false;
          if (--top.remaining != 0) return;
          value = Value(std::move(top.members));
          close();
          continue;
        case FrameKind::tag:
          if (top.tag == kTagIncluded || top.tag == kTagExcluded) {
            // A bound: marks its slot in the range around it, then the value
            // goes into that slot.
            const BoundKind bound = top.tag == kTagIncluded ? kIncluded : kExcluded;
            close();
            Frame& range = stack_.back();
            range.bounds[range.count] = bound;
            continue;
          }
          value = convert(top, std::move(value));
          close();
          continue;
        case FrameKind::tagged_array:
          if (top.tag == kTagDatetime || top.tag == kTagDuration) {
            fail(tag_name(top.tag) + " holds integers, found " +
                 std::string(kind_name(value.kind())));
          }
          if (top.tag == kTagRange && top.bounds[top.count] == kNoBound) {
            fail("a range bound is null, tag 50 or tag 51, found " +
                 std::string(kind_name(value.kind())));
          }
          top.slots[top.count] = std::move(value);
          if (++top.count < top.expected) return;
          value = finish(top);
          close();
          continue;
      }
    }
  }

  // --- Tags around one item ---

  static bool known_tag(std::uint64_t tag) noexcept {
    switch (tag) {
      case kTagDatetimeText: case kTagNone: case kTagTable: case kTagRecordId:
      case kTagUuidText: case kTagDecimal: case kTagDatetime: case kTagDuration:
      case kTagRegex: case kTagUuid: case kTagRange: case kTagIncluded: case kTagExcluded:
      case kTagFile: case kTagSet: case kTagPoint: case kTagLine: case kTagPolygon:
      case kTagMultiPoint: case kTagMultiLine: case kTagMultiPolygon: case kTagCollection:
        return true;
      default:
        return false;
    }
  }

  // The number of items a tag's array holds when it is decoded in place
  // (tagged_array), or -1 when its content is decoded as a value first.
  static int fixed_items(std::uint64_t tag) noexcept {
    switch (tag) {
      case kTagRecordId: case kTagDatetime: case kTagRange: case kTagFile: case kTagPoint:
        return 2;
      case kTagDuration:
        return 2;  // at most; fewer accepted
      default:
        return -1;
    }
  }

  [[noreturn]] void wrong_shape(const Frame& frame, std::string_view wanted, const Value& found) {
    fail(tag_name(frame.tag) + " must hold " + std::string(wanted) + ", found " +
             std::string(kind_name(found.kind())),
         frame.offset);
  }

  template <class Shape>
  std::vector<Shape> shapes(const Frame& frame, const Value& content, std::string_view wanted) {
    const Array* items = content.get_if<Array>();
    if (items == nullptr) {
      wrong_shape(frame, std::string("an array of ") + std::string(wanted), content);
    }
    std::vector<Shape> result;
    result.reserve(items->size());
    for (const Value& item : *items) {
      const Geometry* geometry = item.get_if<Geometry>();
      const Shape* shape = geometry != nullptr ? geometry->get_if<Shape>() : nullptr;
      if (shape == nullptr) {
        fail(tag_name(frame.tag) + " must hold " + std::string(wanted) + " only", frame.offset);
      }
      result.push_back(*shape);
    }
    return result;
  }

  Value convert(const Frame& frame, Value&& content) {
    switch (frame.tag) {
      case kTagNone:
        if (!content.is_null()) wrong_shape(frame, "null", content);
        return Value();
      case kTagTable:
        if (!content.is_string()) wrong_shape(frame, "text", content);
        return Table{std::move(content.as_string())};
      case kTagRegex:
        if (!content.is_string()) wrong_shape(frame, "text", content);
        return Regex{std::move(content.as_string())};
      case kTagDecimal:
        if (!content.is_string()) wrong_shape(frame, "text", content);
        try {
          return Decimal(std::move(content.as_string()));
        } catch (const std::invalid_argument& error) {
          fail(std::string("tag 10: ") + error.what(), frame.offset);
        }
      case kTagUuidText:
        if (!content.is_string()) wrong_shape(frame, "text", content);
        try {
          return Uuid::parse(content.as_string());
        } catch (const std::invalid_argument& error) {
          fail(std::string("tag 9: ") + error.what(), frame.offset);
        }
      case kTagDatetimeText:
        if (!content.is_string()) wrong_shape(frame, "text", content);
        try {
          return parse_rfc3339(content.as_string());
        } catch (const std::invalid_argument& error) {
          fail(error.what(), frame.offset);
        }
      case kTagUuid:
        // 16 bytes are converted as they arrive (on_bytes); anything else is wrong.
        wrong_shape(frame, "16 bytes", content);
      case kTagSet: {
        if (!content.is_array()) wrong_shape(frame, "an array", content);
        Set set;
        for (Value& member : content.as_array()) set.insert(std::move(member));
        return set;
      }
      case kTagLine:
        return geo::Line{shapes<geo::Point>(frame, content, "points")};
      case kTagMultiPoint:
        return geo::MultiPoint{shapes<geo::Point>(frame, content, "points")};
      case kTagPolygon: {
        std::vector<geo::Line> lines = shapes<geo::Line>(frame, content, "lines");
        if (lines.empty()) fail("tag 90 must hold at least one line", frame.offset);
        geo::Polygon polygon{std::move(lines.front()), {}};
        polygon.interiors.assign(std::make_move_iterator(lines.begin() + 1),
                                 std::make_move_iterator(lines.end()));
        return polygon;
      }
      case kTagMultiLine:
        return geo::MultiLine{shapes<geo::Line>(frame, content, "lines")};
      case kTagMultiPolygon:
        return geo::MultiPolygon{shapes<geo::Polygon>(frame, content, "polygons")};
      case kTagCollection: {
        if (!content.is_array()) wrong_shape(frame, "an array of geometries", content);
        std::vector<Geometry> members;
        members.reserve(content.as_array().size());
        for (const Value& item : content.as_array()) {
          const Geometry* geometry = item.get_if<Geometry>();
          if (geometry == nullptr) fail("tag 94 must hold geometries only", frame.offset);
          members.push_back(*geometry);
        }
        return Geometry::collection(std::move(members));
      }
      default:
        // Tags decoded in place (fixed_items) arrive here only around
        // something that is not an array.
        wrong_shape(frame, "an array", content);
    }
  }

  // A tag whose array was decoded in place, now complete.
  Value finish(Frame& frame) {
    switch (frame.tag) {
      case kTagDuration: {
        std::uint64_t numbers[2] = {0, 0};
        for (int i = 0; i < frame.count; ++i) {
          if (frame.integers[i].negative) fail("tag 14: a negative duration", frame.offset);
          numbers[i] = frame.integers[i].magnitude;
        }
        if (numbers[1] >= 1'000'000'000) {
          fail("tag 14: nanoseconds must be below 1000000000", frame.offset);
        }
        return Duration(numbers[0], static_cast<std::uint32_t>(numbers[1]));
      }
      case kTagDatetime: {
        const Integer& seconds = frame.integers[0];
        const Integer& nanos = frame.integers[1];
        constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (seconds.magnitude > kMax) fail("tag 12: seconds outside i64", frame.offset);
        if (nanos.negative || nanos.magnitude >= 1'000'000'000) {
          fail("tag 12: nanoseconds must be 0 to 999999999", frame.offset);
        }
        const auto magnitude = static_cast<std::int64_t>(seconds.magnitude);
        return Datetime(seconds.negative ? -1 - magnitude : magnitude,
                        static_cast<std::uint32_t>(nanos.magnitude));
      }
      case kTagRecordId: {
        if (!frame.slots[0].is_string()) {
          wrong_shape(frame, "[table text, key]", frame.slots[0]);
        }
        try {
          return RecordId(std::move(frame.slots[0].as_string()), std::move(frame.slots[1]));
        } catch (const std::invalid_argument& error) {
          fail(std::string("tag 8: ") + error.what(), frame.offset);
        }
      }
      case kTagRange: {
        std::optional<Range::Bound> bounds[2];
        for (int i = 0; i < 2; ++i) {
          if (frame.bounds[i] != kUnbounded) {
            bounds[i] = Range::Bound{std::move(frame.slots[i]), frame.bounds[i] == kIncluded};
          }
        }
        return Range(std::move(bounds[0]), std::move(bounds[1]));
      }
      case kTagFile:
        if (!frame.slots[0].is_string() || !frame.slots[1].is_string()) {
          fail("tag 55 must hold [bucket text, key text]", frame.offset);
        }
        return File{std::move(frame.slots[0].as_string()), std::move(frame.slots[1].as_string())};
      default: {  // kTagPoint
        double coordinates[2] = {0, 0};
        for (int i = 0; i < 2; ++i) {
          if (!frame.slots[i].is_number()) fail("tag 88 must hold two numbers", frame.offset);
          coordinates[i] = frame.slots[i].get<double>();
        }
        return geo::Point{coordinates[0], coordinates[1]};
      }
    }
  }

  // --- libcbor callbacks ---

  static void on_unsigned(void* context, std::uint64_t number) {
    guarded(context, [number](Decoder& self) { self.integer(false, number); });
  }
  static void on_negative(void* context, std::uint64_t number) {
    guarded(context, [number](Decoder& self) { self.integer(true, number); });
  }
  static void on_uint8(void* context, std::uint8_t number) { on_unsigned(context, number); }
  static void on_uint16(void* context, std::uint16_t number) { on_unsigned(context, number); }
  static void on_uint32(void* context, std::uint32_t number) { on_unsigned(context, number); }
  static void on_negint8(void* context, std::uint8_t number) { on_negative(context, number); }
  static void on_negint16(void* context, std::uint16_t number) { on_negative(context, number); }
  static void on_negint32(void* context, std::uint32_t number) { on_negative(context, number); }

  // `negative`: the value is -1 - magnitude.
  void integer(bool negative, std::uint64_t magnitude) {
    if (Frame* frame = stack_.empty() ? nullptr : &stack_.back();
        frame != nullptr && frame->kind == FrameKind::tagged_array &&
        (frame->tag == kTagDatetime || frame->tag == kTagDuration)) {
      // Seconds of a duration go up to 2^64 - 1: kept raw until finish().
      frame->integers[frame->count] = Integer{negative, magnitude};
      if (++frame->count < frame->expected) return;
      Value value = finish(*frame);
      close();
      return emit(std::move(value));
    }
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (magnitude > kMax) {
      fail(std::string("integer ") + (negative ? "-1 - " : "") + std::to_string(magnitude) +
           " outside the 64-bit signed range");
    }
    const auto value = static_cast<std::int64_t>(magnitude);
    emit(Value(negative ? -1 - value : value));
  }

  static void on_bytes(void* context, cbor_data data, std::size_t size) {
    guarded(context, [data, size](Decoder& self) {
      if (Frame* tag = self.open_tag(); tag != nullptr && tag->tag == kTagUuid) {
        // Converted at once: no byte vector for every uuid.
        if (size != 16) self.fail("tag 37 must hold 16 bytes, found " + std::to_string(size));
        std::array<std::uint8_t, 16> bytes{};
        std::memcpy(bytes.data(), data, 16);
        self.close();
        return self.emit(Uuid(bytes));
      }
      Bytes bytes(size);
      if (size != 0) std::memcpy(bytes.data(), data, size);
      self.emit(Value(std::move(bytes)));
    });
  }

  static void on_text(void* context, cbor_data data, std::size_t size) {
    guarded(context, [data, size](Decoder& self) {
      if (!is_utf8(data, size)) self.fail("text that is not valid UTF-8");
      std::string text(reinterpret_cast<const char*>(data), size);
      if (!self.stack_.empty()) {
        Frame& top = self.stack_.back();
        if (top.kind == FrameKind::map && !top.has_key) {
          if (!top.members.empty()) {
            const std::string& last = (top.members.end() - 1)->first;
            if (!(last < text) && top.members.contains(text)) {
              self.fail("duplicate object key \"" + text + "\"");
            }
          }
          top.key = std::move(text);
          top.has_key = true;
          return;
        }
      }
      self.emit(Value(std::move(text)));
    });
  }

  static void on_array(void* context, std::size_t size) {
    guarded(context, [size](Decoder& self) {
      self.check_room(size, 1);
      if (Frame* tag = self.open_tag(); tag != nullptr && fixed_items(tag->tag) > 0) {
        // Decoded in place: the items go into the tag's own slots.
        const bool duration = tag->tag == kTagDuration;
        if (size > static_cast<std::size_t>(fixed_items(tag->tag)) || (!duration && size < 2)) {
          self.fail(tag_name(tag->tag) + (duration ? " must hold an array of at most 2 integers"
                                                   : " must hold an array of 2 items") +
                    ", found " + std::to_string(size) + " items");
        }
        if (self.depth_ + 1 > kMaxCborDepth) {
          self.fail("nested deeper than " + std::to_string(kMaxCborDepth) +
                    " containers and tags");
        }
        tag->kind = FrameKind::tagged_array;
        tag->levels = 2;
        tag->expected = static_cast<std::uint8_t>(size);
        ++self.depth_;
        if (size == 0) {  // the zero duration
          Value value = self.finish(*tag);
          self.close();
          self.emit(std::move(value));
        }
        return;
      }
      if (size == 0) {
        if (self.depth_ + 1 > kMaxCborDepth) {
          self.fail("nested deeper than " + std::to_string(kMaxCborDepth) +
                    " containers and tags");
        }
        return self.emit(Value(Array()));
      }
      Frame& frame = self.open(FrameKind::array);
      frame.remaining = size;
      frame.items.reserve(self.reservation(size));
    });
  }

  static void on_map(void* context, std::size_t size) {
    guarded(context, [size](Decoder& self) {
      self.check_room(size, 2);
      if (size == 0) {
        if (self.depth_ + 1 > kMaxCborDepth) {
          self.fail("nested deeper than " + std::to_string(kMaxCborDepth) +
                    " containers and tags");
        }
        return self.emit(Value(Object()));
      }
      Frame& frame = self.open(FrameKind::map);
      frame.remaining = size;
      frame.members.reserve(self.reservation(size));
    });
  }

  static void on_tag(void* context, std::uint64_t tag) {
    guarded(context, [tag](Decoder& self) {
      if (!known_tag(tag)) self.fail("unknown CBOR tag " + std::to_string(tag));
      if (tag == kTagIncluded || tag == kTagExcluded) {
        const Frame* range = self.tagged_array(kTagRange);
        if (range == nullptr) self.fail(tag_name(tag) + " (a range bound) outside a range");
      }
      self.open(FrameKind::tag).tag = tag;
    });
  }

  static void on_null(void* context) {
    guarded(context, [](Decoder& self) {
      if (Frame* tag = self.open_tag(); tag != nullptr && tag->tag == kTagNone) {
        self.close();
        return self.emit(Value());
      }
      if (Frame* range = self.tagged_array(kTagRange)) range->bounds[range->count] = kUnbounded;
      self.emit(Value(nullptr));
    });
  }

  static void on_bool(void* context, bool flag) {
    guarded(context, [flag](Decoder& self) { self.emit(Value(flag)); });
  }
  static void on_half(void* context, float number) {
    guarded(context, [number](Decoder& self) { self.emit(Value(static_cast<double>(number))); });
  }
  static void on_single(void* context, float number) { on_half(context, number); }
  static void on_double(void* context, double number) {
    guarded(context, [number](Decoder& self) { self.emit(Value(number)); });
  }
  static void on_undefined(void* context) {
    guarded(context, [](Decoder& self) { self.fail("undefined, which is not a SurrealDB value"); });
  }
  static void on_indefinite(void* context) {
    guarded(context, [](Decoder& self) {
      self.fail("an indefinite-length item (only definite lengths are accepted)");
    });
  }
  static void on_break(void* context) {
    guarded(context, [](Decoder& self) { self.fail("a break outside an indefinite-length item"); });
  }

  static constexpr cbor_callbacks kCallbacks = {
      .uint8 = on_uint8,
      .uint16 = on_uint16,
      .uint32 = on_uint32,
      .uint64 = on_unsigned,
      .negint64 = on_negative,
      .negint32 = on_negint32,
      .negint16 = on_negint16,
      .negint8 = on_negint8,
      .byte_string_start = on_indefinite,
      .byte_string = on_bytes,
      .string = on_text,
      .string_start = on_indefinite,
      .indef_array_start = on_indefinite,
      .array_start = on_array,
      .indef_map_start = on_indefinite,
      .map_start = on_map,
      .tag = on_tag,
      .float2 = on_half,
      .float4 = on_single,
      .float8 = on_double,
      .undefined = on_undefined,
      .null = on_null,
      .boolean = on_bool,
      .indef_break = on_break,
  };

  const std::uint8_t* data_;
  std::size_t len_;
  std::size_t offset_ = 0;  // the next item
  std::size_t item_ = 0;    // the item being decoded, for messages
  std::size_t depth_ = 0;   // nesting levels open
  std::uint64_t budget_ = len_;  // elements still allowed to be reserved (reservation())
  bool done_ = false;
  std::exception_ptr error_;
  std::vector<Frame> stack_;
  Value root_;
};

}  // namespace

void encode_value(const Value& value, std::vector<std::uint8_t>& out) {
  Encoder(out).value(value, 1);
}

void encode_array(std::span<const Value* const> items, std::vector<std::uint8_t>& out) {
  Encoder encoder(out);
  encoder.array_of({}, items);
}

void encode_array(std::string_view text, std::span<const Value* const> items,
                  std::vector<std::uint8_t>& out) {
  Encoder encoder(out);
  encoder.array_of(text, items);
}

std::vector<std::uint8_t> encode_value(const Value& value) {
  std::vector<std::uint8_t> out;
  out.reserve(64);
  encode_value(value, out);
  return out;
}

Value decode_value(const std::uint8_t* data, std::size_t len) {
  if (data == nullptr && len != 0) throw std::invalid_argument("CBOR value: null buffer");
  return Decoder(data, len).run();
}

}  // namespace surreal::ffi
