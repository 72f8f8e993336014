//! Values as CBOR: every SurrealDB value kind crosses the C boundary without
//! loss, in the encoding SurrealDB's own RPC layer uses
//! (surrealdb-core's `rpc/format/cbor/convert.rs`), plus tag 35 for regexes,
//! which SurrealDB refuses to encode.
//!
//! | kind          | CBOR                                                             |
//! |---------------|------------------------------------------------------------------|
//! | NONE          | tag 6 wrapping null                                              |
//! | NULL          | null                                                             |
//! | bool          | true / false                                                     |
//! | int           | major type 0 or 1 (decoding: outside i64 is an error)            |
//! | float         | float, shortest exact width (decoding: half, single or double)   |
//! | decimal       | tag 10 wrapping text (rust_decimal's text: "1.50", "-0.3")       |
//! | string        | text (UTF-8)                                                     |
//! | bytes         | byte string                                                      |
//! | duration      | tag 14 wrapping [secs, nanos]; [] when zero, [secs] when nanos=0 |
//! | datetime      | tag 12 wrapping [secs i64 since the epoch, nanos < 1e9]          |
//! |               | (decoding also: tag 0 wrapping RFC 3339 text)                    |
//! | uuid          | tag 37 wrapping 16 bytes (decoding also: tag 9 wrapping text)    |
//! | array         | array                                                            |
//! | object        | map with text keys, sorted by key bytes; no duplicate keys       |
//! | set           | tag 56 wrapping an array, in SurrealDB's value order, unique     |
//! | table         | tag 7 wrapping text                                              |
//! | record id     | tag 8 wrapping [table text, key]; key: int, text, uuid, array,   |
//! |               | map, or a tag 49 range whose bounds are keys                     |
//! | range         | tag 49 wrapping [begin, end]; a bound is null (unbounded),       |
//! |               | tag 50 wrapping v (inclusive) or tag 51 wrapping v (exclusive)   |
//! | file          | tag 55 wrapping [bucket text, key text]                          |
//! | geometry      | tag 88 point [x, y] floats; 89 line [points]; 90 polygon         |
//! |               | [lines], exterior first; 91 multipoint [points]; 92 multiline    |
//! |               | [lines]; 93 multipolygon [polygons]; 94 collection [geometries]  |
//! | regex         | tag 35 wrapping text: the pattern                                |
//!
//! Lengths are definite; one value per buffer, nothing after it. Arrays, maps
//! and tags nest at most [`SURREAL_CBOR_MAX_DEPTH`] (1024) deep: an item
//! enclosed by 1024 of them is fine, one more is an error, when encoding as
//! when decoding. Recursion at that depth takes about 1.5 MiB of stack in an
//! unoptimised build (far less optimised), within a 2 MiB thread stack.
//!
//! Decoding is strict where the encoding is: indefinite lengths, trailing
//! bytes, invalid UTF-8, non-text or duplicate map keys, integers outside
//! i64, unknown tags and malformed tag contents are errors, as are duplicate
//! set elements (SurrealDB would drop them silently) and nanoseconds of a
//! second or more. It accepts what SurrealDB reads too: map keys in any order,
//! integer coordinates, and the alternative forms in the table. SurrealDB's
//! own types then normalise two things: polygon rings are closed, and a file
//! key gets its leading '/'.
//!
//! Headers are written and read one at a time with `ciborium-ll`; no
//! intermediate CBOR tree is built. Decoding errors are invalid arguments
//! whose message names the argument, what is wrong and the byte offset.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::ops::Bound;

use ciborium_io::Read as _;
use ciborium_io::Write as _;
use ciborium_ll::{simple, Decoder, Encoder, Header};
use geo_types::{LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use surrealdb::types::{
    Array, Bytes, Datetime, Decimal, Duration, File, Geometry, Number, Object, Range, RecordId,
    RecordIdKey, RecordIdKeyRange, Regex, Set, Table, Uuid, Value,
};

use crate::error::{FfiError, FfiResult};

/// How many arrays, maps and tags may enclose an item of a CBOR value, on
/// both sides of the C ABI: more is an error.
pub const SURREAL_CBOR_MAX_DEPTH: usize = 1024;

const MAX_DEPTH: usize = SURREAL_CBOR_MAX_DEPTH;

const TAG_DATETIME_TEXT: u64 = 0;
const TAG_NONE: u64 = 6;
const TAG_TABLE: u64 = 7;
const TAG_RECORD_ID: u64 = 8;
const TAG_UUID_TEXT: u64 = 9;
const TAG_DECIMAL: u64 = 10;
const TAG_DATETIME: u64 = 12;
const TAG_DURATION: u64 = 14;
const TAG_REGEX: u64 = 35;
const TAG_UUID: u64 = 37;
const TAG_RANGE: u64 = 49;
const TAG_INCLUDED: u64 = 50;
const TAG_EXCLUDED: u64 = 51;
const TAG_FILE: u64 = 55;
const TAG_SET: u64 = 56;
const TAG_POINT: u64 = 88;
const TAG_LINE: u64 = 89;
const TAG_POLYGON: u64 = 90;
const TAG_MULTIPOINT: u64 = 91;
const TAG_MULTILINE: u64 = 92;
const TAG_MULTIPOLYGON: u64 = 93;
const TAG_COLLECTION: u64 = 94;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/// The value to encode nests deeper than [`SURREAL_CBOR_MAX_DEPTH`]; the
/// only way encoding fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep;

impl TooDeep {
    /// The error for the C caller, with the status code that fits the context.
    pub fn into_error(self, code: i32, what: &str) -> FfiError {
        FfiError::new(code, self.message(what))
    }

    /// What is wrong with `what`.
    pub fn message(self, what: &str) -> String {
        format!("{what} is nested deeper than {MAX_DEPTH} arrays, objects and tags, the limit of the CBOR encoding")
    }
}

/// Writes values as CBOR, appending to a buffer the caller owns (and can
/// reuse).
pub struct CborWriter<'a> {
    out: Encoder<&'a mut Vec<u8>>,
    depth: usize,
}

/// Encodes one value, appending it to `out`.
pub fn encode_into(value: &Value, out: &mut Vec<u8>) -> Result<(), TooDeep> {
    CborWriter::new(out).value(value)
}

/// An encoded value as an array: itself if it is one, empty if it is NONE,
/// else an array holding it.
pub fn as_array(mut item: Vec<u8>) -> Vec<u8> {
    const ARRAY_MAJOR: u8 = 4 << 5;
    const NONE: [u8; 2] = [0xc0 | TAG_NONE as u8, 0xf6];
    const EMPTY_ARRAY: u8 = ARRAY_MAJOR;
    const ARRAY_OF_ONE: u8 = ARRAY_MAJOR | 1;
    match item.first() {
        Some(first) if first & 0xe0 == ARRAY_MAJOR => item,
        _ if item == NONE => vec![EMPTY_ARRAY],
        _ => {
            item.insert(0, ARRAY_OF_ONE);
            item
        }
    }
}

/// Encodes one value into a new buffer.
pub fn encode(value: &Value) -> Result<Vec<u8>, TooDeep> {
    let mut out = Vec::new();
    encode_into(value, &mut out)?;
    Ok(out)
}

impl<'a> CborWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out: Encoder::from(out),
            depth: 0,
        }
    }

    #[inline]
    fn head(&mut self, header: Header) {
        // Writing to a Vec<u8> cannot fail.
        if self.out.push(header).is_err() {
            unreachable!("writing to a Vec<u8> failed");
        }
    }

    /// Writes the header of an array, a map or a tag: one level deeper.
    #[inline]
    fn open(&mut self, header: Header) -> Result<(), TooDeep> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(TooDeep);
        }
        self.head(header);
        Ok(())
    }

    #[inline]
    fn close(&mut self, levels: usize) {
        self.depth -= levels;
    }

    #[inline]
    fn text(&mut self, text: &str) {
        if self.out.text(text, None).is_err() {
            unreachable!("writing to a Vec<u8> failed");
        }
    }

    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        if self.out.bytes(bytes, None).is_err() {
            unreachable!("writing to a Vec<u8> failed");
        }
    }

    #[inline]
    fn int(&mut self, value: i64) {
        if value >= 0 {
            self.head(Header::Positive(value as u64));
        } else {
            // -1 - value, which CBOR stores for a negative integer.
            self.head(Header::Negative(!value as u64));
        }
    }

    #[inline]
    fn null(&mut self) {
        self.head(Header::Simple(simple::NULL));
    }

    /// Starts an array of `len` items; [`Self::end_array`] closes it.
    pub fn begin_array(&mut self, len: usize) -> Result<(), TooDeep> {
        self.open(Header::Array(Some(len)))
    }

    pub fn end_array(&mut self) {
        self.close(1);
    }

    // The pieces a value is written from, for writers of values that are not
    // SurrealDB `Value`s (rpc/transcode.rs writes the server's answers).

    pub(crate) fn null_item(&mut self) {
        self.null();
    }

    pub(crate) fn bool_item(&mut self, value: bool) {
        self.head(Header::Simple(if value {
            simple::TRUE
        } else {
            simple::FALSE
        }));
    }

    pub(crate) fn int_item(&mut self, value: i64) {
        self.int(value);
    }

    pub(crate) fn float_item(&mut self, value: f64) {
        self.head(Header::Float(value));
    }

    pub(crate) fn text_item(&mut self, text: &str) {
        self.text(text);
    }

    /// Starts a map of `len` entries, each a text key then its value;
    /// the keys must come sorted by their bytes, without duplicates.
    /// [`Self::end_map`] closes it.
    pub(crate) fn begin_map(&mut self, len: usize) -> Result<(), TooDeep> {
        self.open(Header::Map(Some(len)))
    }

    pub(crate) fn end_map(&mut self) {
        self.close(1);
    }

    /// Starts a record id of `table`; its key is the next item written, and
    /// [`Self::end_record_id`] closes it.
    pub(crate) fn begin_record_id(&mut self, table: &str) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_RECORD_ID))?;
        self.open(Header::Array(Some(2)))?;
        self.text(table);
        Ok(())
    }

    pub(crate) fn end_record_id(&mut self) {
        self.close(2);
    }

    /// Appends one item that is CBOR already, in this encoding.
    pub fn encoded(&mut self, item: &[u8]) {
        if self.out.write_all(item).is_err() {
            unreachable!("writing to a Vec<u8> failed");
        }
    }

    pub fn none(&mut self) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_NONE))?;
        self.null();
        self.close(1);
        Ok(())
    }

    /// Encodes a value it owns; an array's items are dropped one by one as
    /// soon as each is written, so a large result is not held twice.
    pub fn value_owned(&mut self, value: Value) -> Result<(), TooDeep> {
        match value {
            Value::Array(items) => {
                self.begin_array(items.len())?;
                for item in items {
                    self.value(&item)?;
                }
                self.end_array();
                Ok(())
            }
            other => self.value(&other),
        }
    }

    pub fn value(&mut self, value: &Value) -> Result<(), TooDeep> {
        // Arrays and objects, the usual nesting, take a short path: recursion
        // through small stack frames keeps even an unoptimised build well
        // within a 2 MiB thread stack at the deepest nesting allowed.
        match value {
            Value::Array(items) => self.array(items),
            Value::Object(fields) => self.object(fields),
            other => self.other(other),
        }
    }

    fn other(&mut self, value: &Value) -> Result<(), TooDeep> {
        match value {
            Value::None => self.none()?,
            Value::Null => self.null(),
            Value::Bool(value) => self.head(Header::Simple(if *value {
                simple::TRUE
            } else {
                simple::FALSE
            })),
            Value::Number(Number::Int(value)) => self.int(*value),
            Value::Number(Number::Float(value)) => self.head(Header::Float(*value)),
            Value::Number(Number::Decimal(value)) => {
                self.open(Header::Tag(TAG_DECIMAL))?;
                self.text(&value.to_string());
                self.close(1);
            }
            Value::String(text) => self.text(text),
            Value::Bytes(bytes) => self.bytes(bytes),
            Value::Duration(duration) => self.duration(duration)?,
            Value::Datetime(datetime) => {
                self.open(Header::Tag(TAG_DATETIME))?;
                self.open(Header::Array(Some(2)))?;
                self.int(datetime.timestamp());
                self.head(Header::Positive(datetime.timestamp_subsec_nanos().into()));
                self.close(2);
            }
            Value::Uuid(uuid) => self.uuid(uuid)?,
            Value::Geometry(geometry) => self.geometry(geometry)?,
            Value::Table(table) => {
                self.open(Header::Tag(TAG_TABLE))?;
                self.text(table.as_str());
                self.close(1);
            }
            Value::RecordId(id) => self.record_id(id)?,
            Value::File(file) => {
                self.open(Header::Tag(TAG_FILE))?;
                self.open(Header::Array(Some(2)))?;
                self.text(&file.bucket);
                self.text(&file.key);
                self.close(2);
            }
            Value::Range(range) => {
                self.range(range.start.as_ref(), range.end.as_ref(), Self::value)?;
            }
            Value::Regex(regex) => {
                self.open(Header::Tag(TAG_REGEX))?;
                self.text(regex.as_str());
                self.close(1);
            }
            Value::Array(items) => self.array(items)?,
            Value::Object(fields) => self.object(fields)?,
            Value::Set(items) => self.set(items)?,
        }
        Ok(())
    }

    fn set(&mut self, items: &Set) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_SET))?;
        self.open(Header::Array(Some(items.len())))?;
        for item in items.iter() {
            self.value(item)?;
        }
        self.close(2);
        Ok(())
    }

    fn array(&mut self, items: &Array) -> Result<(), TooDeep> {
        self.begin_array(items.len())?;
        for item in items.iter() {
            self.value(item)?;
        }
        self.end_array();
        Ok(())
    }

    fn object(&mut self, fields: &Object) -> Result<(), TooDeep> {
        self.open(Header::Map(Some(fields.len())))?;
        for (key, value) in fields.iter() {
            self.text(key);
            self.value(value)?;
        }
        self.close(1);
        Ok(())
    }

    fn duration(&mut self, duration: &Duration) -> Result<(), TooDeep> {
        let (secs, nanos) = (duration.as_secs(), duration.subsec_nanos());
        let len = match (secs, nanos) {
            (0, 0) => 0,
            (_, 0) => 1,
            _ => 2,
        };
        self.open(Header::Tag(TAG_DURATION))?;
        self.open(Header::Array(Some(len)))?;
        if len > 0 {
            self.head(Header::Positive(secs));
        }
        if len > 1 {
            self.head(Header::Positive(nanos.into()));
        }
        self.close(2);
        Ok(())
    }

    fn uuid(&mut self, uuid: &Uuid) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_UUID))?;
        self.bytes(uuid.as_bytes());
        self.close(1);
        Ok(())
    }

    fn record_id(&mut self, id: &RecordId) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_RECORD_ID))?;
        self.open(Header::Array(Some(2)))?;
        self.text(id.table.as_str());
        self.record_key(&id.key)?;
        self.close(2);
        Ok(())
    }

    fn record_key(&mut self, key: &RecordIdKey) -> Result<(), TooDeep> {
        match key {
            RecordIdKey::Number(value) => self.int(*value),
            RecordIdKey::String(text) => self.text(text),
            RecordIdKey::Uuid(uuid) => self.uuid(uuid)?,
            RecordIdKey::Array(items) => self.array(items)?,
            RecordIdKey::Object(fields) => self.object(fields)?,
            RecordIdKey::Range(range) => {
                self.range(range.start.as_ref(), range.end.as_ref(), Self::record_key)?;
            }
        }
        Ok(())
    }

    fn range<T>(
        &mut self,
        start: Bound<&T>,
        end: Bound<&T>,
        item: fn(&mut Self, &T) -> Result<(), TooDeep>,
    ) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_RANGE))?;
        self.open(Header::Array(Some(2)))?;
        for bound in [start, end] {
            match bound {
                Bound::Unbounded => self.null(),
                Bound::Included(value) => {
                    self.open(Header::Tag(TAG_INCLUDED))?;
                    item(self, value)?;
                    self.close(1);
                }
                Bound::Excluded(value) => {
                    self.open(Header::Tag(TAG_EXCLUDED))?;
                    item(self, value)?;
                    self.close(1);
                }
            }
        }
        self.close(2);
        Ok(())
    }

    fn point(&mut self, point: &Point<f64>) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_POINT))?;
        self.open(Header::Array(Some(2)))?;
        self.head(Header::Float(point.x()));
        self.head(Header::Float(point.y()));
        self.close(2);
        Ok(())
    }

    fn line(&mut self, line: &LineString<f64>) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_LINE))?;
        self.open(Header::Array(Some(line.0.len())))?;
        for coord in &line.0 {
            self.point(&Point::from(*coord))?;
        }
        self.close(2);
        Ok(())
    }

    fn polygon(&mut self, polygon: &Polygon<f64>) -> Result<(), TooDeep> {
        self.open(Header::Tag(TAG_POLYGON))?;
        self.open(Header::Array(Some(1 + polygon.interiors().len())))?;
        self.line(polygon.exterior())?;
        for interior in polygon.interiors() {
            self.line(interior)?;
        }
        self.close(2);
        Ok(())
    }

    fn geometry(&mut self, geometry: &Geometry) -> Result<(), TooDeep> {
        match geometry {
            Geometry::Point(point) => self.point(point)?,
            Geometry::Line(line) => self.line(line)?,
            Geometry::Polygon(polygon) => self.polygon(polygon)?,
            Geometry::MultiPoint(points) => {
                self.open(Header::Tag(TAG_MULTIPOINT))?;
                self.open(Header::Array(Some(points.0.len())))?;
                for point in &points.0 {
                    self.point(point)?;
                }
                self.close(2);
            }
            Geometry::MultiLine(lines) => {
                self.open(Header::Tag(TAG_MULTILINE))?;
                self.open(Header::Array(Some(lines.0.len())))?;
                for line in &lines.0 {
                    self.line(line)?;
                }
                self.close(2);
            }
            Geometry::MultiPolygon(polygons) => {
                self.open(Header::Tag(TAG_MULTIPOLYGON))?;
                self.open(Header::Array(Some(polygons.0.len())))?;
                for polygon in &polygons.0 {
                    self.polygon(polygon)?;
                }
                self.close(2);
            }
            Geometry::Collection(geometries) => {
                self.open(Header::Tag(TAG_COLLECTION))?;
                self.open(Header::Array(Some(geometries.len())))?;
                for geometry in geometries {
                    self.geometry(geometry)?;
                }
                self.close(2);
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

/// Decodes exactly one value from `bytes`. `what` names the argument in
/// error messages ("bindings", "data", ...).
pub fn decode(bytes: &[u8], what: &str) -> FfiResult<Value> {
    let mut reader = CborReader::new(bytes, what);
    let value = reader.value()?;
    reader.finish()?;
    Ok(value)
}

/// One CBOR data item's header, with the lengths known (indefinite lengths
/// and breaks are refused when the header is read).
#[derive(Clone, Copy)]
enum Item {
    Unsigned(u64),
    /// -1 - n
    Negative(u64),
    Float(f64),
    Simple(u8),
    Tag(u64),
    Bytes(usize),
    Text(usize),
    Array(usize),
    Map(usize),
}

struct CborReader<'a> {
    decoder: Decoder<&'a [u8]>,
    len: usize,
    depth: usize,
    what: &'a str,
}

type Bounds<T> = (Bound<T>, Bound<T>);

impl<'a> CborReader<'a> {
    fn new(bytes: &'a [u8], what: &'a str) -> Self {
        Self {
            decoder: Decoder::from(bytes),
            len: bytes.len(),
            depth: 0,
            what,
        }
    }

    fn error(&self, at: usize, message: impl std::fmt::Display) -> FfiError {
        FfiError::invalid_argument(format!("{}: {message} at byte {at}", self.what))
    }

    fn offset(&mut self) -> usize {
        self.decoder.offset()
    }

    fn finish(&mut self) -> FfiResult<()> {
        let at = self.offset();
        if at == self.len {
            Ok(())
        } else {
            Err(self.error(at, "trailing bytes after the value"))
        }
    }

    /// Reads the next header and where it starts.
    fn item(&mut self) -> FfiResult<(usize, Item)> {
        let at = self.offset();
        let header = match self.decoder.pull() {
            Ok(header) => header,
            Err(ciborium_ll::Error::Io(_)) => {
                return Err(self.error(at, "the CBOR data ends in the middle of an item"))
            }
            Err(ciborium_ll::Error::Syntax(offset)) => {
                return Err(self.error(offset, "invalid CBOR header"))
            }
        };
        let indefinite = |kind: &str| self.error(at, format!("indefinite-length {kind}"));
        let item = match header {
            Header::Positive(n) => Item::Unsigned(n),
            Header::Negative(n) => Item::Negative(n),
            Header::Float(value) => Item::Float(value),
            Header::Simple(value) => Item::Simple(value),
            Header::Tag(tag) => Item::Tag(tag),
            Header::Bytes(Some(len)) => Item::Bytes(len),
            Header::Text(Some(len)) => Item::Text(len),
            Header::Array(Some(len)) => Item::Array(len),
            Header::Map(Some(len)) => Item::Map(len),
            Header::Bytes(None) => return Err(indefinite("byte string")),
            Header::Text(None) => return Err(indefinite("text")),
            Header::Array(None) => return Err(indefinite("array")),
            Header::Map(None) => return Err(indefinite("map")),
            Header::Break => return Err(self.error(at, "unexpected break")),
        };
        Ok((at, item))
    }

    /// Enters an array, map or tag that starts at `at`.
    fn enter(&mut self, at: usize) -> FfiResult<()> {
        if self.depth == MAX_DEPTH {
            return Err(self.error(
                at,
                format!("nesting deeper than {MAX_DEPTH} arrays, maps and tags"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// How many items of at least `min_size` bytes each can still follow:
    /// bounds preallocation by what the input can really hold.
    fn capacity(&mut self, len: usize, min_size: usize) -> usize {
        len.min((self.len - self.offset()) / min_size)
    }

    /// The `len` bytes of content of the item whose header starts at `at`.
    fn content(&mut self, at: usize, len: usize) -> FfiResult<Vec<u8>> {
        if len > self.len - self.offset() {
            return Err(self.error(at, format!("length {len} runs past the end of the data")));
        }
        let mut content = vec![0; len];
        if self.decoder.read_exact(&mut content).is_err() {
            return Err(self.error(at, "the CBOR data ends in the middle of an item"));
        }
        Ok(content)
    }

    fn text_content(&mut self, at: usize, len: usize) -> FfiResult<String> {
        let start = self.offset();
        String::from_utf8(self.content(at, len)?).map_err(|error| {
            self.error(
                start + error.utf8_error().valid_up_to(),
                "invalid UTF-8 in text",
            )
        })
    }

    fn int(&self, at: usize, item: Item) -> FfiResult<i64> {
        let value = match item {
            Item::Unsigned(n) => i64::try_from(n).ok(),
            Item::Negative(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => return Err(self.error(at, "expected an integer")),
        };
        value.ok_or_else(|| self.error(at, "integer outside the range of a 64-bit signed integer"))
    }

    // The functions on the recursive paths below keep their stack frames
    // small (each arm of a dispatch returns its callee's result directly), so
    // that the deepest nesting allowed fits a 2 MiB thread stack even in an
    // unoptimised build.

    fn value(&mut self) -> FfiResult<Value> {
        let (at, item) = self.item()?;
        match item {
            Item::Array(len) => self.array_value(at, len),
            Item::Map(len) => self.object_value(at, len),
            Item::Tag(tag) => self.tag_value(at, tag),
            _ => self.scalar(at, item),
        }
    }

    fn scalar(&mut self, at: usize, item: Item) -> FfiResult<Value> {
        Ok(match item {
            Item::Unsigned(_) | Item::Negative(_) => {
                Value::Number(Number::Int(self.int(at, item)?))
            }
            Item::Float(value) => Value::Number(Number::Float(value)),
            Item::Simple(simple::FALSE) => Value::Bool(false),
            Item::Simple(simple::TRUE) => Value::Bool(true),
            Item::Simple(simple::NULL) => Value::Null,
            Item::Simple(other) => {
                return Err(self.error(at, format!("unsupported simple value {other}")))
            }
            Item::Bytes(len) => Value::Bytes(Bytes::from(self.content(at, len)?)),
            Item::Text(len) => Value::String(self.text_content(at, len)?),
            Item::Array(_) | Item::Map(_) | Item::Tag(_) => unreachable!("not a scalar"),
        })
    }

    fn array_value(&mut self, at: usize, len: usize) -> FfiResult<Value> {
        self.array(at, len).map(Value::Array)
    }

    fn object_value(&mut self, at: usize, len: usize) -> FfiResult<Value> {
        self.object(at, len).map(Value::Object)
    }

    fn array(&mut self, at: usize, len: usize) -> FfiResult<Array> {
        self.enter(at)?;
        let mut items = Array::with_capacity(self.capacity(len, 1));
        let mut remaining = len;
        while remaining > 0 {
            match self.value() {
                Ok(item) => items.push(item),
                Err(error) => return Err(error),
            }
            remaining -= 1;
        }
        self.leave();
        Ok(items)
    }

    fn object(&mut self, at: usize, len: usize) -> FfiResult<Object> {
        self.enter(at)?;
        let mut object = Object::new();
        let mut remaining = len;
        while remaining > 0 {
            self.field(&mut object)?;
            remaining -= 1;
        }
        self.leave();
        Ok(object)
    }

    /// One key and value of a map.
    fn field(&mut self, object: &mut Object) -> FfiResult<()> {
        let (at, key) = self.key()?;
        match self.value() {
            Ok(value) => self.insert_field(object, at, key, value),
            Err(error) => Err(error),
        }
    }

    fn insert_field(
        &self,
        object: &mut Object,
        at: usize,
        key: String,
        value: Value,
    ) -> FfiResult<()> {
        let fields: &mut BTreeMap<String, Value> = object;
        match fields.entry(key) {
            Entry::Vacant(entry) => {
                entry.insert(value);
                Ok(())
            }
            Entry::Occupied(entry) => Err(self.duplicate_key(at, entry.key())),
        }
    }

    /// An object key: text.
    fn key(&mut self) -> FfiResult<(usize, String)> {
        let (at, item) = self.item()?;
        let Item::Text(len) = item else {
            return Err(self.error(at, "object keys must be text"));
        };
        Ok((at, self.text_content(at, len)?))
    }

    #[cold]
    fn duplicate_key(&self, at: usize, key: &str) -> FfiError {
        self.error(at, format!("duplicate object key {key:?}"))
    }

    fn tag_value(&mut self, at: usize, tag: u64) -> FfiResult<Value> {
        self.enter(at)?;
        let value = self.tagged(at, tag);
        self.leave();
        value
    }

    /// The content of a tag, already entered.
    fn tagged(&mut self, at: usize, tag: u64) -> FfiResult<Value> {
        match tag {
            TAG_NONE => self.none_content(),
            TAG_TABLE => self.table_content(),
            TAG_RECORD_ID => self.record_id_content(),
            TAG_DECIMAL => self.decimal_content(),
            TAG_DATETIME => self.datetime_content(),
            TAG_DATETIME_TEXT => self.datetime_text_content(),
            TAG_DURATION => self.duration_content(),
            TAG_UUID | TAG_UUID_TEXT => self.uuid_content(tag),
            TAG_REGEX => self.regex_content(),
            TAG_RANGE => self.range_content(),
            TAG_FILE => self.file_content(),
            TAG_SET => self.set_content(),
            TAG_POINT..=TAG_COLLECTION => self.geometry_value(tag),
            _ => Err(self.unknown_tag(at, tag)),
        }
    }

    #[cold]
    fn unknown_tag(&self, at: usize, tag: u64) -> FfiError {
        if matches!(tag, TAG_INCLUDED | TAG_EXCLUDED) {
            self.error(at, format!("range bound tag {tag} outside a range"))
        } else {
            self.error(at, format!("unknown CBOR tag {tag}"))
        }
    }

    fn none_content(&mut self) -> FfiResult<Value> {
        let (at, item) = self.item()?;
        if !matches!(item, Item::Simple(simple::NULL)) {
            return Err(self.error(at, "tag 6 (NONE) must wrap null"));
        }
        Ok(Value::None)
    }

    fn table_content(&mut self) -> FfiResult<Value> {
        Ok(Value::Table(Table::new(self.text("a table name")?.1)))
    }

    fn record_id_content(&mut self) -> FfiResult<Value> {
        self.record_id().map(Value::RecordId)
    }

    fn decimal_content(&mut self) -> FfiResult<Value> {
        let (at, text) = self.text("a decimal")?;
        let decimal = Decimal::from_str_exact(&text)
            .map_err(|e| self.error(at, format!("invalid decimal {text:?}: {e}")))?;
        Ok(Value::Number(Number::Decimal(decimal)))
    }

    fn datetime_content(&mut self) -> FfiResult<Value> {
        self.datetime().map(Value::Datetime)
    }

    fn datetime_text_content(&mut self) -> FfiResult<Value> {
        let (at, text) = self.text("an RFC 3339 datetime")?;
        let datetime = text
            .parse::<Datetime>()
            .map_err(|e| self.error(at, format!("invalid datetime {text:?}: {e}")))?;
        Ok(Value::Datetime(datetime))
    }

    fn duration_content(&mut self) -> FfiResult<Value> {
        self.duration().map(Value::Duration)
    }

    fn uuid_content(&mut self, tag: u64) -> FfiResult<Value> {
        self.uuid(tag).map(Value::Uuid)
    }

    fn regex_content(&mut self) -> FfiResult<Value> {
        let (at, pattern) = self.text("a regular expression")?;
        let regex = regex::Regex::new(&pattern)
            .map_err(|e| self.error(at, format!("invalid regular expression: {e}")))?;
        Ok(Value::Regex(Regex::from(regex)))
    }

    fn range_content(&mut self) -> FfiResult<Value> {
        self.range(Self::value)
            .map(|(start, end)| Value::Range(Box::new(Range::new(start, end))))
    }

    fn file_content(&mut self) -> FfiResult<Value> {
        let (bucket, key) = self.array_of("a file [bucket, key]", 2, |this| {
            Ok((this.text("a bucket name")?.1, this.text("a file key")?.1))
        })?;
        Ok(Value::File(File::new(bucket, key)))
    }

    fn set_content(&mut self) -> FfiResult<Value> {
        self.set().map(Value::Set)
    }

    fn geometry_value(&mut self, tag: u64) -> FfiResult<Value> {
        self.geometry_content(tag).map(Value::Geometry)
    }

    /// A text item and where it starts.
    fn text(&mut self, what: &str) -> FfiResult<(usize, String)> {
        let (at, item) = self.item()?;
        match item {
            Item::Text(len) => Ok((at, self.text_content(at, len)?)),
            _ => Err(self.error(at, format!("expected text: {what}"))),
        }
    }

    fn unsigned(&mut self, what: &str) -> FfiResult<u64> {
        match self.item()? {
            (_, Item::Unsigned(n)) => Ok(n),
            (at, _) => Err(self.error(at, format!("expected an unsigned integer: {what}"))),
        }
    }

    fn nanos(&mut self) -> FfiResult<u32> {
        let at = self.offset();
        match self.unsigned("nanoseconds")? {
            n if n < NANOS_PER_SECOND => Ok(n as u32),
            n => Err(self.error(at, format!("{n} nanoseconds is not below one second"))),
        }
    }

    /// An array whose length is checked by `body` (given the length), entered
    /// for the duration of `body`.
    fn array_with<T>(
        &mut self,
        what: &str,
        body: impl FnOnce(&mut Self, usize, usize) -> FfiResult<T>,
    ) -> FfiResult<T> {
        let (at, item) = self.item()?;
        let Item::Array(len) = item else {
            return Err(self.expected(at, "an array", what));
        };
        self.enter(at)?;
        let result = body(self, at, len);
        self.leave();
        result
    }

    #[cold]
    fn expected(&self, at: usize, kind: &str, what: &str) -> FfiError {
        self.error(at, format!("expected {kind}: {what}"))
    }

    #[cold]
    fn wrong_length(&self, at: usize, what: &str, expected: usize, len: usize) -> FfiError {
        self.error(
            at,
            format!("expected {what}: an array of {expected}, not {len}"),
        )
    }

    /// An array of exactly `expected` items.
    fn array_of<T>(
        &mut self,
        what: &str,
        expected: usize,
        body: impl FnOnce(&mut Self) -> FfiResult<T>,
    ) -> FfiResult<T> {
        self.array_with(what, |this, at, len| {
            if len != expected {
                return Err(this.wrong_length(at, what, expected, len));
            }
            body(this)
        })
    }

    /// An array of any length, each item read by `each`.
    fn list<T>(
        &mut self,
        what: &str,
        mut each: impl FnMut(&mut Self) -> FfiResult<T>,
    ) -> FfiResult<Vec<T>> {
        self.array_with(what, |this, _, len| {
            let mut items = Vec::with_capacity(this.capacity(len, 1));
            for _ in 0..len {
                match each(this) {
                    Ok(item) => items.push(item),
                    Err(error) => return Err(error),
                }
            }
            Ok(items)
        })
    }

    /// The tag `tag`, its content read by `body`.
    fn expect_tag<T>(
        &mut self,
        tag: u64,
        what: &str,
        body: impl FnOnce(&mut Self) -> FfiResult<T>,
    ) -> FfiResult<T> {
        let (at, item) = self.item()?;
        if !matches!(item, Item::Tag(found) if found == tag) {
            return Err(self.expected_tag(at, what, tag));
        }
        self.enter(at)?;
        let result = body(self);
        self.leave();
        result
    }

    #[cold]
    fn expected_tag(&self, at: usize, what: &str, tag: u64) -> FfiError {
        self.error(at, format!("expected {what} (tag {tag})"))
    }

    fn datetime(&mut self) -> FfiResult<Datetime> {
        let at = self.offset();
        let (seconds, nanos) = self.array_of("a datetime [seconds, nanoseconds]", 2, |this| {
            let (seconds_at, seconds) = this.item()?;
            Ok((this.int(seconds_at, seconds)?, this.nanos()?))
        })?;
        Datetime::from_timestamp(seconds, nanos)
            .ok_or_else(|| self.error(at, "datetime out of range"))
    }

    fn duration(&mut self) -> FfiResult<Duration> {
        self.array_with("a duration [seconds, nanoseconds]", |this, at, len| {
            if len > 2 {
                return Err(this.error(
                    at,
                    format!("a duration is an array of at most 2, not {len}"),
                ));
            }
            let seconds = if len > 0 {
                this.unsigned("seconds")?
            } else {
                0
            };
            let nanos = if len > 1 { this.nanos()? } else { 0 };
            Ok(Duration::new(seconds, nanos))
        })
    }

    /// The content of tag 37 (16 bytes) or tag 9 (hyphenated text).
    fn uuid(&mut self, tag: u64) -> FfiResult<Uuid> {
        let (at, item) = self.item()?;
        match (tag, item) {
            (TAG_UUID, Item::Bytes(16)) => {
                let content = self.content(at, 16)?;
                let mut bytes = [0; 16];
                bytes.copy_from_slice(&content);
                Ok(Uuid::from(uuid::Uuid::from_bytes(bytes)))
            }
            (TAG_UUID, _) => Err(self.error(at, "a uuid (tag 37) must wrap 16 bytes")),
            (_, Item::Text(len)) => {
                let text = self.text_content(at, len)?;
                text.parse::<Uuid>()
                    .map_err(|e| self.error(at, format!("invalid uuid {text:?}: {e}")))
            }
            _ => Err(self.error(at, "a uuid (tag 9) must wrap text")),
        }
    }

    fn record_id(&mut self) -> FfiResult<RecordId> {
        self.array_of("a record id [table, key]", 2, |this| {
            let table = this.text("a table name")?.1;
            let key = this.record_key()?;
            Ok(RecordId::new(table, key))
        })
    }

    fn record_key(&mut self) -> FfiResult<RecordIdKey> {
        let (at, item) = self.item()?;
        match item {
            Item::Array(len) => self.array(at, len).map(RecordIdKey::Array),
            Item::Map(len) => self.object(at, len).map(RecordIdKey::Object),
            Item::Tag(TAG_RANGE) => self.key_range(at),
            _ => self.simple_key(at, item),
        }
    }

    fn key_range(&mut self, at: usize) -> FfiResult<RecordIdKey> {
        self.enter(at)?;
        let range = self.range(Self::record_key);
        self.leave();
        range.map(|(start, end)| RecordIdKey::Range(Box::new(RecordIdKeyRange { start, end })))
    }

    fn simple_key(&mut self, at: usize, item: Item) -> FfiResult<RecordIdKey> {
        Ok(match item {
            Item::Unsigned(_) | Item::Negative(_) => RecordIdKey::Number(self.int(at, item)?),
            Item::Text(len) => RecordIdKey::String(self.text_content(at, len)?),
            Item::Tag(tag @ (TAG_UUID | TAG_UUID_TEXT)) => {
                self.enter(at)?;
                let uuid = self.uuid(tag)?;
                self.leave();
                RecordIdKey::Uuid(uuid)
            }
            _ => {
                return Err(self.error(
                    at,
                    "a record id key must be an integer, text, uuid, array, map or range",
                ))
            }
        })
    }

    /// The content of tag 49: [begin, end].
    fn range<T>(&mut self, item: fn(&mut Self) -> FfiResult<T>) -> FfiResult<Bounds<T>> {
        self.array_of("a range [begin, end]", 2, |this| this.bounds(item))
    }

    fn bounds<T>(&mut self, item: fn(&mut Self) -> FfiResult<T>) -> FfiResult<Bounds<T>> {
        let start = self.bound(item)?;
        let end = self.bound(item)?;
        Ok((start, end))
    }

    fn bound<T>(&mut self, item: fn(&mut Self) -> FfiResult<T>) -> FfiResult<Bound<T>> {
        let (at, header) = self.item()?;
        let included = match header {
            Item::Simple(simple::NULL) => return Ok(Bound::Unbounded),
            Item::Tag(TAG_INCLUDED) => true,
            Item::Tag(TAG_EXCLUDED) => false,
            _ => {
                return Err(self.error(
                    at,
                    "a range bound must be null, tag 50 (inclusive) or tag 51 (exclusive)",
                ))
            }
        };
        self.enter(at)?;
        let value = item(self);
        self.leave();
        if included {
            value.map(Bound::Included)
        } else {
            value.map(Bound::Excluded)
        }
    }

    fn set(&mut self) -> FfiResult<Set> {
        self.array_with("a set", |this, _, len| {
            // Set dereferences to a BTreeSet<Value>, in SurrealDB's value order.
            let mut set = Set::new();
            for _ in 0..len {
                let at = this.offset();
                if !set.insert(this.value()?) {
                    return Err(this.error(at, "duplicate set element"));
                }
            }
            Ok(set)
        })
    }

    fn coordinate(&mut self) -> FfiResult<f64> {
        match self.item()? {
            (_, Item::Float(value)) => Ok(value),
            (at, item @ (Item::Unsigned(_) | Item::Negative(_))) => Ok(self.int(at, item)? as f64),
            (at, _) => Err(self.error(at, "a coordinate must be a number")),
        }
    }

    fn point(&mut self) -> FfiResult<Point<f64>> {
        self.array_of("a point [x, y]", 2, |this| {
            Ok(Point::new(this.coordinate()?, this.coordinate()?))
        })
    }

    fn line(&mut self) -> FfiResult<LineString<f64>> {
        let points = self.list("a line of points", |this| {
            this.expect_tag(TAG_POINT, "a point", Self::point)
        })?;
        Ok(LineString::from(points))
    }

    fn polygon(&mut self) -> FfiResult<Polygon<f64>> {
        let at = self.offset();
        let mut lines = self.list("a polygon of lines", |this| {
            this.expect_tag(TAG_LINE, "a line", Self::line)
        })?;
        if lines.is_empty() {
            return Err(self.error(at, "a polygon needs at least its exterior line"));
        }
        let exterior = lines.remove(0);
        Ok(Polygon::new(exterior, lines))
    }

    /// Any geometry: one of tags 88 to 94 and its content.
    fn geometry(&mut self) -> FfiResult<Geometry> {
        let (at, item) = self.item()?;
        let Item::Tag(tag @ TAG_POINT..=TAG_COLLECTION) = item else {
            return Err(self.error(at, "expected a geometry (tags 88 to 94)"));
        };
        self.enter(at)?;
        let geometry = self.geometry_content(tag);
        self.leave();
        geometry
    }

    /// The content of geometry tag `tag`, already entered.
    fn geometry_content(&mut self, tag: u64) -> FfiResult<Geometry> {
        match tag {
            TAG_POINT => self.point().map(Geometry::Point),
            TAG_LINE => self.line().map(Geometry::Line),
            TAG_POLYGON => self.polygon().map(Geometry::Polygon),
            TAG_MULTIPOINT => self.multipoint(),
            TAG_MULTILINE => self.multiline(),
            TAG_MULTIPOLYGON => self.multipolygon(),
            _ => self.collection(),
        }
    }

    fn multipoint(&mut self) -> FfiResult<Geometry> {
        let points = self.list("points", |this| {
            this.expect_tag(TAG_POINT, "a point", Self::point)
        })?;
        Ok(Geometry::MultiPoint(MultiPoint(points)))
    }

    fn multiline(&mut self) -> FfiResult<Geometry> {
        let lines = self.list("lines", |this| {
            this.expect_tag(TAG_LINE, "a line", Self::line)
        })?;
        Ok(Geometry::MultiLine(MultiLineString(lines)))
    }

    fn multipolygon(&mut self) -> FfiResult<Geometry> {
        let polygons = self.list("polygons", |this| {
            this.expect_tag(TAG_POLYGON, "a polygon", Self::polygon)
        })?;
        Ok(Geometry::MultiPolygon(MultiPolygon(polygons)))
    }

    fn collection(&mut self) -> FfiResult<Geometry> {
        self.list("geometries", Self::geometry)
            .map(Geometry::Collection)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::str::FromStr;

    use geo_types::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
    use surrealdb::types::{
        Array, Bytes, Datetime, Decimal, Duration, File, Geometry, Number, Object, Range, RecordId,
        RecordIdKey, RecordIdKeyRange, Regex, Set, Table, ToSql, Uuid, Value,
    };

    use super::*;
    use crate::error::SURREAL_ERR_INVALID_ARGUMENT;

    fn int(value: i64) -> Value {
        Value::Number(Number::Int(value))
    }

    fn float(value: f64) -> Value {
        Value::Number(Number::Float(value))
    }

    fn text(value: &str) -> Value {
        Value::String(value.to_owned())
    }

    fn decimal(text: &str) -> Value {
        Value::Number(Number::Decimal(Decimal::from_str_exact(text).unwrap()))
    }

    fn datetime(seconds: i64, nanos: u32) -> Value {
        Value::Datetime(Datetime::from_timestamp(seconds, nanos).unwrap())
    }

    fn object(fields: &[(&str, Value)]) -> Object {
        let mut object = Object::new();
        for (key, value) in fields {
            object.insert(*key, value.clone());
        }
        object
    }

    fn array(items: Vec<Value>) -> Array {
        let mut array = Array::new();
        array.extend(items);
        array
    }

    fn uuid() -> Uuid {
        Uuid::from_str("0189f8b2-7c3e-7a4b-9d1e-2f3a4b5c6d7e").unwrap()
    }

    fn record(table: &str, key: impl Into<RecordIdKey>) -> Value {
        Value::RecordId(RecordId::new(table, key))
    }

    fn line(points: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(points.to_vec())
    }

    fn square(at: f64, size: f64) -> LineString<f64> {
        line(&[
            (at, at),
            (at + size, at),
            (at + size, at + size),
            (at, at + size),
            (at, at),
        ])
    }

    fn geometries() -> Vec<Geometry> {
        let point = Geometry::Point(Point::new(-0.5, 51.25));
        let path = Geometry::Line(line(&[(0.0, 0.0), (1.0, 1.5), (2.0, 0.1)]));
        let polygon = Polygon::new(square(0.0, 10.0), vec![square(2.0, 1.0), square(5.0, 2.0)]);
        vec![
            point.clone(),
            path.clone(),
            Geometry::Polygon(polygon.clone()),
            Geometry::MultiPoint(MultiPoint(vec![Point::new(1.0, 2.0), Point::new(3.0, 4.0)])),
            Geometry::MultiLine(MultiLineString(vec![
                line(&[(0.0, 0.0), (1.0, 1.0)]),
                line(&[(2.0, 2.0), (3.0, 1e-300)]),
            ])),
            Geometry::MultiPolygon(MultiPolygon(vec![
                polygon,
                Polygon::new(square(20.0, 1.0), vec![]),
            ])),
            Geometry::Collection(vec![
                point,
                path,
                Geometry::Collection(vec![Geometry::Point(Point::new(9.0, 9.0))]),
            ]),
            Geometry::Collection(vec![]),
        ]
    }

    fn bound<T>(kind: usize, value: T) -> Bound<T> {
        match kind {
            0 => Bound::Unbounded,
            1 => Bound::Included(value),
            _ => Bound::Excluded(value),
        }
    }

    /// At least one value of every kind, and the edge cases of each.
    pub(crate) fn samples() -> Vec<Value> {
        let mut values = vec![
            Value::None,
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            int(0),
            int(23),
            int(24),
            int(-1),
            int(-24),
            int(-25),
            int(i64::MAX),
            int(i64::MIN),
            float(0.5),
            float(1.1),
            float(-2.5e-310),
            float(f64::MAX),
            float(f64::INFINITY),
            float(f64::NEG_INFINITY),
            decimal("1.50"),
            decimal("-0.3"),
            decimal("0"),
            decimal("1234567890.123456789012345678"),
            decimal("-79228162514264337593543950335"),
            text(""),
            text("plain"),
            text("nul \0 inside, 4-byte \u{1F600} and 𝄞"),
            Value::Bytes(Bytes::from(vec![])),
            Value::Bytes(Bytes::from(vec![0, 1, 0, 255, 0])),
            Value::Duration(Duration::new(0, 0)),
            Value::Duration(Duration::new(0, 1)),
            Value::Duration(Duration::new(90, 0)),
            Value::Duration(Duration::new(3_155_760_000 * 3, 999_999_999)),
            datetime(0, 0),
            datetime(1_700_000_000, 123_456_789),
            datetime(-1, 999_999_999),
            datetime(-86_400 * 365 * 30, 5),
            datetime(-62_135_596_800, 0),
            datetime(253_402_300_799, 999_999_999),
            Value::Uuid(uuid()),
            Value::Uuid(Uuid::nil()),
            Value::Array(Array::new()),
            Value::Array(array(vec![int(1), text("two"), Value::None, Value::Null])),
            Value::Object(Object::new()),
            Value::Object(object(&[
                ("b", int(2)),
                ("a", int(1)),
                ("", Value::None),
                (
                    "é",
                    Value::Array(array(vec![Value::Object(object(&[("x", float(-0.0))]))])),
                ),
            ])),
            Value::Set(Set::new()),
            Value::Set(Set::from(vec![int(3), text("a"), int(1), Value::Null])),
            Value::Table(Table::new("person")),
            Value::Table(Table::new("we:ird ⟩ table")),
            record("person", 42i64),
            record("person", -7i64),
            record("person", "tobie"),
            record("person", "needs ⟨quoting⟩: a-b"),
            record("person", "42"),
            record("a-b", ""),
            record("person", uuid()),
            record(
                "person",
                RecordIdKey::Array(array(vec![int(1), text("x"), Value::None])),
            ),
            record(
                "person",
                RecordIdKey::Object(object(&[("k", Value::Uuid(uuid()))])),
            ),
            Value::File(File::new("bucket", "/path/to/file.txt")),
            Value::File(File::new("b", "/")),
            Value::Regex(Regex::from_str("^a.*[0-9]+$").unwrap()),
            Value::Regex(Regex::from(regex::Regex::new(r"a\/b\s(?i)x").unwrap())),
        ];
        let keys = [
            RecordIdKey::Number(1),
            RecordIdKey::String("m".into()),
            RecordIdKey::Uuid(uuid()),
            RecordIdKey::Array(array(vec![int(1), int(2)])),
            RecordIdKey::Object(object(&[("a", int(1))])),
        ];
        let bounded = [int(1), text("z"), float(2.5), Value::None];
        for start in 0..3 {
            for end in 0..3 {
                values.push(Value::Range(Box::new(Range::new(
                    bound(start, bounded[(start + end) % bounded.len()].clone()),
                    bound(end, bounded[(start * end + 1) % bounded.len()].clone()),
                ))));
                values.push(Value::RecordId(RecordId::new(
                    "person",
                    RecordIdKey::Range(Box::new(RecordIdKeyRange {
                        start: bound(start, keys[(start + end) % keys.len()].clone()),
                        end: bound(end, keys[(start * end + 3) % keys.len()].clone()),
                    })),
                )));
            }
        }
        values.extend(geometries().into_iter().map(Value::Geometry));
        values
    }

    fn decode_ok(bytes: &[u8]) -> Value {
        decode(bytes, "value").unwrap_or_else(|e| panic!("{bytes:02x?}: {}", e.message))
    }

    fn same(a: &Value, b: &Value) -> bool {
        // Value's == treats -0.0 and 0.0 as equal; the encoding tells them apart.
        a == b && encode(a) == encode(b)
    }

    #[test]
    fn every_kind_survives_a_round_trip() {
        for value in samples() {
            let bytes = encode(&value).unwrap();
            let back = decode_ok(&bytes);
            assert!(same(&back, &value), "{value:?} came back as {back:?}");
            assert_eq!(encode(&back).unwrap(), bytes, "{value:?}");
        }
        // NaN is not equal to itself.
        let back = decode_ok(&encode(&float(f64::NAN)).unwrap());
        assert!(matches!(back, Value::Number(Number::Float(x)) if x.is_nan()));
        let back = decode_ok(&encode(&float(-0.0)).unwrap());
        assert!(
            matches!(back, Value::Number(Number::Float(x)) if x == 0.0 && x.is_sign_negative())
        );
    }

    #[test]
    fn the_encoding_is_surrealdbs() {
        fn hex(value: &Value) -> String {
            encode(value)
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
        // NONE and NULL differ.
        assert_eq!(hex(&Value::None), "c6f6");
        assert_eq!(hex(&Value::Null), "f6");
        assert_eq!(hex(&int(i64::MIN)), "3b7fffffffffffffff");
        assert_eq!(hex(&int(i64::MAX)), "1b7fffffffffffffff");
        // Floats take the shortest exact width.
        assert_eq!(hex(&float(0.5)), "f93800");
        assert_eq!(hex(&float(-0.0)), "f98000");
        assert_eq!(hex(&float(f64::NAN)), "f97e00");
        assert_eq!(hex(&float(f64::INFINITY)), "f97c00");
        assert_eq!(hex(&float(0.1f32.into())), "fa3dcccccd");
        assert_eq!(hex(&float(1.1)), "fb3ff199999999999a");
        assert_eq!(hex(&decimal("1.50")), "ca64312e3530");
        assert_eq!(hex(&Value::Duration(Duration::new(0, 0))), "ce80");
        assert_eq!(hex(&Value::Duration(Duration::new(5, 0))), "ce8105");
        assert_eq!(hex(&Value::Duration(Duration::new(0, 1))), "ce820001");
        assert_eq!(hex(&datetime(-1, 500)), "cc82201901f4");
        assert_eq!(
            hex(&Value::Uuid(uuid())),
            "d825500189f8b27c3e7a4b9d1e2f3a4b5c6d7e"
        );
        assert_eq!(hex(&record("t", 1i64)), "c882617401");
        assert_eq!(hex(&Value::Table(Table::new("t"))), "c76174");
        assert_eq!(
            hex(&Value::Range(Box::new(Range::new(
                Bound::Included(int(1)),
                Bound::Excluded(int(2))
            )))),
            "d83182d83201d83302"
        );
        assert_eq!(
            hex(&Value::Range(Box::new(Range::unbounded()))),
            "d83182f6f6"
        );
        assert_eq!(hex(&Value::File(File::new("b", "k"))), "d837826162622f6b");
        assert_eq!(
            hex(&Value::Set(Set::from(vec![int(2), int(1)]))),
            "d838820102"
        );
        assert_eq!(
            hex(&Value::Regex(Regex::from_str("a+").unwrap())),
            "d8236261 2b".replace(' ', "")
        );
        assert_eq!(
            hex(&Value::Geometry(Geometry::Point(Point::new(1.0, 0.5)))),
            "d85882f93c00f93800"
        );
        // Map keys in BTreeMap order: "a" < "b" < "é".
        assert_eq!(
            hex(&Value::Object(object(&[
                ("é", int(3)),
                ("b", int(2)),
                ("a", int(1))
            ]))),
            "a3616101616202 62c3a903".replace(' ', "")
        );
    }

    /// SurrealDB's own CBOR codec agrees with ours byte for byte (except on
    /// regexes, which it refuses).
    #[test]
    fn surrealdb_core_reads_and_writes_the_same_bytes() {
        for value in samples() {
            if matches!(value, Value::Regex(_)) {
                continue;
            }
            let ours = encode(&value).unwrap();
            let theirs = surrealdb_core::rpc::format::cbor::encode(value.clone()).unwrap();
            assert_eq!(ours, theirs, "{value:?}");
            // Its decoder normalises decimals ("1.50" becomes 1.5), so compare
            // values, not encodings.
            let back = surrealdb_core::rpc::format::cbor::decode(&ours, MAX_DEPTH).unwrap();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn the_other_accepted_forms() {
        // Tag 0: an RFC 3339 datetime; tag 9: a uuid as text; half and single floats.
        let mut bytes = vec![0xc0, 0x78, 30];
        bytes.extend_from_slice(b"2024-02-29T12:34:56.000000789Z");
        assert_eq!(decode_ok(&bytes), datetime(1_709_210_096, 789));
        let mut bytes = vec![0xc9, 0x78, 36];
        bytes.extend_from_slice(b"0189f8b2-7c3e-7a4b-9d1e-2f3a4b5c6d7e");
        assert_eq!(decode_ok(&bytes), Value::Uuid(uuid()));
        assert_eq!(decode_ok(&[0xf9, 0x3c, 0x00]), float(1.0));
        assert_eq!(decode_ok(&[0xfa, 0x3f, 0x80, 0, 0]), float(1.0));
        assert_eq!(decode_ok(&[0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]), float(1.0));
        // Durations of one element; integer coordinates; non-minimal lengths.
        assert_eq!(
            decode_ok(&[0xce, 0x81, 0x18, 90]),
            Value::Duration(Duration::new(90, 0))
        );
        assert_eq!(
            decode_ok(&[0xd8, 0x58, 0x82, 0x01, 0x20]),
            Value::Geometry(Geometry::Point(Point::new(1.0, -1.0)))
        );
        assert_eq!(decode_ok(&[0x78, 0x01, b'a']), text("a"));
        // Map keys in any order.
        assert_eq!(
            decode_ok(&[0xa2, 0x61, b'b', 0x02, 0x61, b'a', 0x01]),
            Value::Object(object(&[("a", int(1)), ("b", int(2))]))
        );
        // A record id key given as a uuid in text.
        let mut bytes = vec![0xc8, 0x82, 0x61, b't', 0xc9, 0x78, 36];
        bytes.extend_from_slice(b"0189f8b2-7c3e-7a4b-9d1e-2f3a4b5c6d7e");
        assert_eq!(decode_ok(&bytes), record("t", uuid()));
        // SurrealQL rendering of the extremes, as `surreal sql` shows them.
        assert_eq!(
            datetime(-62_135_596_800, 0).to_sql(),
            "d'0001-01-01T00:00:00Z'"
        );
        assert_eq!(
            datetime(253_402_300_799, 999_999_999).to_sql(),
            "d'9999-12-31T23:59:59.999999999Z'"
        );
        // A polygon's rings are closed, as SurrealDB closes them.
        let open_ring = [
            0xd8, 0x5a, 0x81, 0xd8, 0x59, 0x83, 0xd8, 0x58, 0x82, 0, 0, 0xd8, 0x58, 0x82, 1, 0,
            0xd8, 0x58, 0x82, 1, 1,
        ];
        let Value::Geometry(Geometry::Polygon(polygon)) = decode_ok(&open_ring) else {
            panic!("a polygon");
        };
        assert_eq!(polygon.exterior().0.len(), 4);
        assert_eq!(polygon.exterior().0[3], Coord { x: 0.0, y: 0.0 });
    }

    fn error(bytes: &[u8]) -> String {
        let error = decode(bytes, "value").expect_err(&format!("{bytes:02x?} must be refused"));
        assert_eq!(error.code, SURREAL_ERR_INVALID_ARGUMENT);
        error.message
    }

    #[test]
    fn malformed_input_is_refused_with_the_offset() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"",
                "value: the CBOR data ends in the middle of an item at byte 0",
            ),
            (&[0x82, 0x01], "ends in the middle of an item at byte 2"),
            (
                &[0xf6, 0xf6],
                "value: trailing bytes after the value at byte 1",
            ),
            (
                &[0x62, 0x61],
                "length 2 runs past the end of the data at byte 0",
            ),
            (
                &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "runs past the end of the data at byte 0",
            ),
            (
                &[0x9b, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff],
                "ends in the middle of an item at byte 9",
            ),
            (&[0x82, 0x62, 0xc3, 0x28], "invalid UTF-8 in text at byte 2"),
            (
                &[0x64, b'a', 0xf0, 0x9f],
                "length 4 runs past the end of the data at byte 0",
            ),
            (&[0x63, b'a', 0xf0, 0x9f], "invalid UTF-8 in text at byte 2"),
            (&[0x62, b'a', 0xf0], "invalid UTF-8 in text at byte 2"),
            (&[0xa1, 0x01, 0x02], "object keys must be text at byte 1"),
            (
                &[0xa1, 0x41, b'a', 0x02],
                "object keys must be text at byte 1",
            ),
            (
                &[0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02],
                "duplicate object key \"a\" at byte 4",
            ),
            (
                &[0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0],
                "integer outside the range of a 64-bit signed integer at byte 0",
            ),
            (
                &[0x81, 0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0],
                "integer outside the range of a 64-bit signed integer at byte 1",
            ),
            (
                &[0x82, 0xf6, 0xd8, 0x63, 0xf6],
                "value: unknown CBOR tag 99 at byte 2",
            ),
            (
                &[0xd8, 0x32, 0x01],
                "range bound tag 50 outside a range at byte 0",
            ),
            (&[0x9f, 0xff], "indefinite-length array at byte 0"),
            (&[0xbf, 0xff], "indefinite-length map at byte 0"),
            (&[0x7f, 0xff], "indefinite-length text at byte 0"),
            (&[0x5f, 0xff], "indefinite-length byte string at byte 0"),
            (&[0xff], "unexpected break at byte 0"),
            (&[0xf7], "unsupported simple value 23 at byte 0"),
            (&[0x1c], "invalid CBOR header at byte 0"),
            (&[0xc6, 0x01], "tag 6 (NONE) must wrap null at byte 1"),
            (&[0xc7, 0x01], "expected text: a table name at byte 1"),
            (&[0xca, 0x63, b'a', b'b', b'c'], "invalid decimal \"abc\""),
            (&[0xca, 0x62, b'1', b'x'], "value: invalid decimal \"1x\""),
            (&[0xcc, 0x81, 0x01], "an array of 2, not 1 at byte 1"),
            (
                &[0xcc, 0x82, 0x01, 0x1a, 0x3b, 0x9a, 0xca, 0x00],
                "1000000000 nanoseconds is not below one second at byte 3",
            ),
            (
                &[0xcc, 0x82, 0x01, 0x20],
                "expected an unsigned integer: nanoseconds at byte 3",
            ),
            (
                &[
                    0xcc, 0x82, 0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
                ],
                "datetime out of range at byte 1",
            ),
            (&[0xc0, 0x61, b'x'], "invalid datetime \"x\""),
            (
                &[0xce, 0x83, 0, 0, 0],
                "a duration is an array of at most 2, not 3 at byte 1",
            ),
            (
                &[0xce, 0x81, 0x20],
                "expected an unsigned integer: seconds at byte 2",
            ),
            (
                &[0xd8, 0x25, 0x41, 0x00],
                "a uuid (tag 37) must wrap 16 bytes at byte 2",
            ),
            (&[0xc9, 0x61, b'x'], "invalid uuid \"x\""),
            (
                &[0xc8, 0x82, 0x01, 0x02],
                "expected text: a table name at byte 2",
            ),
            (
                &[0xc8, 0x82, 0x61, b't', 0xf9, 0x3c, 0x00],
                "a record id key must be an integer, text, uuid, array, map or range at byte 4",
            ),
            (
                &[0xc8, 0x81, 0x61, b't'],
                "expected a record id [table, key]: an array of 2, not 1",
            ),
            (
                &[0xc8, 0x61, b't'],
                "expected an array: a record id [table, key] at byte 1",
            ),
            (&[0xd8, 0x31, 0x81, 0xf6], "an array of 2, not 1 at byte 2"),
            (
                &[0xd8, 0x31, 0x82, 0x01, 0xf6],
                "a range bound must be null, tag 50 (inclusive) or tag 51 (exclusive) at byte 3",
            ),
            (
                &[0xd8, 0x37, 0x82, 0x61, b'b', 0x01],
                "expected text: a file key at byte 5",
            ),
            (
                &[0xd8, 0x38, 0x82, 0x01, 0x01],
                "duplicate set element at byte 4",
            ),
            (
                &[0xd8, 0x38, 0x82, 0x01, 0xf9, 0x3c, 0x00],
                "duplicate set element at byte 4",
            ),
            (&[0xd8, 0x23, 0x61, b'('], "invalid regular expression"),
            (
                &[0xd8, 0x58, 0x83, 0x01, 0x02, 0x03],
                "expected a point [x, y]: an array of 2, not 3 at byte 2",
            ),
            (
                &[0xd8, 0x58, 0x82, 0x01, 0x61, b'x'],
                "a coordinate must be a number at byte 4",
            ),
            (
                &[0xd8, 0x59, 0x81, 0x82, 0x01, 0x02],
                "expected a point (tag 88) at byte 3",
            ),
            (
                &[0xd8, 0x5a, 0x80],
                "a polygon needs at least its exterior line at byte 2",
            ),
            (
                &[0xd8, 0x5e, 0x81, 0x01],
                "expected a geometry (tags 88 to 94) at byte 3",
            ),
        ];
        for (bytes, expected) in cases {
            let message = error(bytes);
            assert!(
                message.contains(expected),
                "{bytes:02x?}: {message:?} does not say {expected:?}"
            );
        }
    }

    fn nested_arrays(depth: usize) -> Vec<u8> {
        let mut bytes = vec![0x81; depth];
        bytes.push(0xf6);
        bytes
    }

    #[test]
    fn nesting_is_limited_on_both_sides() {
        // 1024 arrays around null decode, 1025 do not.
        assert!(decode(&nested_arrays(MAX_DEPTH), "value").is_ok());
        let message = error(&nested_arrays(MAX_DEPTH + 1));
        assert_eq!(
            message,
            "value: nesting deeper than 1024 arrays, maps and tags at byte 1024"
        );
        // Tags count: NONE inside 1023 arrays is 1024 levels, inside 1024 one more.
        let mut bytes = vec![0x81; MAX_DEPTH - 1];
        bytes.extend_from_slice(&[0xc6, 0xf6]);
        let value = decode_ok(&bytes);
        let encoded = encode(&value).unwrap();
        assert_eq!(encoded, bytes);
        let mut bytes = vec![0x81; MAX_DEPTH];
        bytes.extend_from_slice(&[0xc6, 0xf6]);
        assert!(error(&bytes).contains("nesting deeper"));
        // Far too deep is an error, not a stack overflow.
        assert!(error(&nested_arrays(1_000_000)).contains("nesting deeper"));
        let mut maps = [0xa1, 0x61, b'k'].repeat(100_000);
        maps.push(0xf6);
        assert!(error(&maps).contains("at byte 3072"));

        // The encoder holds to the same limit.
        let mut value = Value::Null;
        for _ in 0..MAX_DEPTH {
            value = Value::Array(array(vec![value]));
        }
        assert_eq!(encode(&value).unwrap(), nested_arrays(MAX_DEPTH));
        let deeper = Value::Array(array(vec![value.clone()]));
        assert_eq!(encode(&deeper), Err(TooDeep));
        let mut datetime_inside = Value::Datetime(Datetime::from_timestamp(0, 0).unwrap());
        for _ in 0..MAX_DEPTH - 2 {
            datetime_inside = Value::Array(array(vec![datetime_inside]));
        }
        assert!(encode(&datetime_inside).is_ok());
        let datetime_inside = Value::Array(array(vec![datetime_inside]));
        assert_eq!(encode(&datetime_inside), Err(TooDeep));
    }

    /// The deepest nesting of each recursive shape, decoded and encoded again
    /// on a thread with 2 MiB of stack (Rust's default for spawned threads,
    /// and Tokio's): in an unoptimised build this takes about 1.5 MiB.
    #[test]
    fn the_deepest_nesting_fits_a_2_mib_stack() {
        let mut shapes = Vec::new();
        shapes.push(nested_arrays(MAX_DEPTH));
        let mut maps = [0xa1, 0x61, b'k'].repeat(MAX_DEPTH);
        maps.push(0xf6);
        shapes.push(maps);
        let mut sets = [0xd8, 0x38, 0x81].repeat(MAX_DEPTH / 2);
        sets.push(0xf6);
        shapes.push(sets);
        // Ranges whose start bound is the next range: 3 levels each, 1023 in
        // all, in an array.
        let mut ranges = vec![0x81];
        ranges.extend([0xd8, 0x31, 0x82, 0xd8, 0x32].repeat(MAX_DEPTH / 3));
        ranges.push(0xf6);
        ranges.extend(std::iter::repeat_n(0xf6, MAX_DEPTH / 3));
        shapes.push(ranges);
        // Record ids whose key is an array holding the next record id.
        let mut records = vec![0x81];
        records.extend([0xc8, 0x82, 0x61, b't', 0x81].repeat(MAX_DEPTH / 3));
        records.push(0x01);
        shapes.push(records);
        let mut collections = [0xd8, 0x5e, 0x81].repeat(MAX_DEPTH / 2 - 1);
        collections.extend([0xd8, 0x58, 0x82, 0xf9, 0x3c, 0x00, 0xf9, 0x40, 0x00]);
        shapes.push(collections);
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                for (shape, bytes) in shapes.into_iter().enumerate() {
                    let value = decode(&bytes, "value").unwrap();
                    assert!(encode(&value).unwrap() == bytes, "shape {shape}");
                    // One more level is refused, not a crash.
                    let mut deeper = vec![0x81];
                    deeper.extend_from_slice(&bytes);
                    assert!(decode(&deeper, "value").is_err());
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn values_owned_are_written_like_borrowed_ones() {
        for value in samples() {
            let mut owned = Vec::new();
            CborWriter::new(&mut owned)
                .value_owned(value.clone())
                .unwrap();
            assert_eq!(owned, encode(&value).unwrap());
        }
        let rows = Value::Array(array(vec![Value::Object(object(&[("a", int(1))])); 3]));
        let mut owned = Vec::new();
        CborWriter::new(&mut owned)
            .value_owned(rows.clone())
            .unwrap();
        assert_eq!(owned, encode(&rows).unwrap());
    }

    #[test]
    fn an_encoded_value_as_an_array() {
        let one = Value::Object(object(&[("a", int(1))]));
        let as_array = |value: &Value| decode_ok(&as_array(encode(value).unwrap()));
        assert_eq!(as_array(&one), Value::Array(array(vec![one.clone()])));
        let many = Value::Array(array(vec![int(1), int(2)]));
        assert_eq!(as_array(&many), many);
        assert_eq!(as_array(&Value::None), Value::Array(Array::new()));
        assert_eq!(
            as_array(&Value::Null),
            Value::Array(array(vec![Value::Null]))
        );
    }

    #[test]
    fn appends_to_a_reused_buffer() {
        let mut out = vec![0xaa];
        encode_into(&int(1), &mut out).unwrap();
        encode_into(&Value::None, &mut out).unwrap();
        assert_eq!(out, [0xaa, 0x01, 0xc6, 0xf6]);
    }
}
