//! Results handed over as a stream of events instead of JSON text.
//!
//! Rendering a large result as JSON text and parsing that text again on the
//! other side costs more than the query itself (W6 of the benchmarks: 100,000
//! rows). A caller that builds its own document tree — the C++ layer builds
//! `nlohmann::json` — can instead receive the value depth first, one callback
//! per scalar, key and container boundary, with no text in between.
//!
//! The events describe exactly the JSON that [`crate::convert::JsonValue`]
//! renders as text; the tests below check the two against each other.

use std::ffi::{c_char, c_void};

use surrealdb::types::{Number, ToSql, Value};

use crate::error::{FfiError, FfiResult};

/// The callbacks of surreal_response_visit_results. Every one receives the
/// caller's `context` and returns true to go on, false to stop the walk
/// (which then fails with SURREAL_ERR_INTERNAL). They must not unwind.
/// Strings are UTF-8 and not NUL-terminated. A string value is valid during
/// its call only; a key stays valid until its value's events are over, so a
/// caller can build the entry in one step.
/// Non-negative integers arrive through `unsigned_integer`, negative ones
/// through `integer`, as a JSON parser would report them.
#[repr(C)]
pub struct SurrealJsonVisitor {
    pub null: Option<unsafe extern "C" fn(context: *mut c_void) -> bool>,
    pub boolean: Option<unsafe extern "C" fn(context: *mut c_void, value: bool) -> bool>,
    pub integer: Option<unsafe extern "C" fn(context: *mut c_void, value: i64) -> bool>,
    pub unsigned_integer: Option<unsafe extern "C" fn(context: *mut c_void, value: u64) -> bool>,
    pub floating: Option<unsafe extern "C" fn(context: *mut c_void, value: f64) -> bool>,
    pub string:
        Option<unsafe extern "C" fn(context: *mut c_void, data: *const c_char, len: usize) -> bool>,
    /// `len` is the number of elements that follow.
    pub begin_array: Option<unsafe extern "C" fn(context: *mut c_void, len: usize) -> bool>,
    pub end_array: Option<unsafe extern "C" fn(context: *mut c_void) -> bool>,
    /// `len` is the number of key/value pairs that follow.
    pub begin_object: Option<unsafe extern "C" fn(context: *mut c_void, len: usize) -> bool>,
    /// Precedes each value of an object.
    pub key:
        Option<unsafe extern "C" fn(context: *mut c_void, data: *const c_char, len: usize) -> bool>,
    pub end_object: Option<unsafe extern "C" fn(context: *mut c_void) -> bool>,
}

type Unit = unsafe extern "C" fn(*mut c_void) -> bool;
type Text = unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> bool;
type Length = unsafe extern "C" fn(*mut c_void, usize) -> bool;

/// The visitor with every callback checked present, and the caller's context.
pub struct Events {
    null: Unit,
    boolean: unsafe extern "C" fn(*mut c_void, bool) -> bool,
    integer: unsafe extern "C" fn(*mut c_void, i64) -> bool,
    unsigned_integer: unsafe extern "C" fn(*mut c_void, u64) -> bool,
    floating: unsafe extern "C" fn(*mut c_void, f64) -> bool,
    string: Text,
    begin_array: Length,
    end_array: Unit,
    begin_object: Length,
    key: Text,
    end_object: Unit,
    context: *mut c_void,
}

fn stopped() -> FfiError {
    FfiError::internal("the result visitor stopped the walk")
}

fn accepted(going_on: bool) -> FfiResult<()> {
    if going_on {
        Ok(())
    } else {
        Err(stopped())
    }
}

impl Events {
    /// Fails with an invalid argument when a callback is missing.
    pub fn new(visitor: &SurrealJsonVisitor, context: *mut c_void) -> FfiResult<Self> {
        fn present<F>(callback: Option<F>, name: &str) -> FfiResult<F> {
            callback.ok_or_else(|| FfiError::invalid_argument(format!("visitor.{name} is NULL")))
        }
        Ok(Self {
            null: present(visitor.null, "null")?,
            boolean: present(visitor.boolean, "boolean")?,
            integer: present(visitor.integer, "integer")?,
            unsigned_integer: present(visitor.unsigned_integer, "unsigned_integer")?,
            floating: present(visitor.floating, "floating")?,
            string: present(visitor.string, "string")?,
            begin_array: present(visitor.begin_array, "begin_array")?,
            end_array: present(visitor.end_array, "end_array")?,
            begin_object: present(visitor.begin_object, "begin_object")?,
            key: present(visitor.key, "key")?,
            end_object: present(visitor.end_object, "end_object")?,
            context,
        })
    }

    // SAFETY (all the callers below): the callbacks and context come from the
    // caller of surreal_response_visit_results, whose contract is that they
    // may be called with this context and valid arguments.

    pub fn null(&self) -> FfiResult<()> {
        accepted(unsafe { (self.null)(self.context) })
    }

    fn boolean(&self, value: bool) -> FfiResult<()> {
        accepted(unsafe { (self.boolean)(self.context, value) })
    }

    fn int(&self, value: i64) -> FfiResult<()> {
        accepted(match u64::try_from(value) {
            Ok(unsigned) => unsafe { (self.unsigned_integer)(self.context, unsigned) },
            Err(_) => unsafe { (self.integer)(self.context, value) },
        })
    }

    fn unsigned(&self, value: u64) -> FfiResult<()> {
        accepted(unsafe { (self.unsigned_integer)(self.context, value) })
    }

    fn float(&self, value: f64) -> FfiResult<()> {
        accepted(unsafe { (self.floating)(self.context, value) })
    }

    fn string(&self, text: &str) -> FfiResult<()> {
        accepted(unsafe { (self.string)(self.context, text.as_ptr().cast(), text.len()) })
    }

    pub fn begin_array(&self, len: usize) -> FfiResult<()> {
        accepted(unsafe { (self.begin_array)(self.context, len) })
    }

    pub fn end_array(&self) -> FfiResult<()> {
        accepted(unsafe { (self.end_array)(self.context) })
    }

    fn begin_object(&self, len: usize) -> FfiResult<()> {
        accepted(unsafe { (self.begin_object)(self.context, len) })
    }

    fn key(&self, text: &str) -> FfiResult<()> {
        accepted(unsafe { (self.key)(self.context, text.as_ptr().cast(), text.len()) })
    }

    fn end_object(&self) -> FfiResult<()> {
        accepted(unsafe { (self.end_object)(self.context) })
    }

    /// An array: its boundaries around each of `items`, walked by `item`.
    /// Shared by the two value types walked here (SurrealDB's and serde_json's).
    fn array<'v, T: 'v>(
        &self,
        mut items: impl ExactSizeIterator<Item = &'v T>,
        item: impl FnMut(&'v T) -> FfiResult<()>,
    ) -> FfiResult<()> {
        self.begin_array(items.len())?;
        items.try_for_each(item)?;
        self.end_array()
    }

    /// An object: its boundaries around each key of `fields` followed by its
    /// value, walked by `value`.
    fn object<'v, T: 'v>(
        &self,
        fields: impl ExactSizeIterator<Item = (&'v String, &'v T)>,
        mut value: impl FnMut(&'v T) -> FfiResult<()>,
    ) -> FfiResult<()> {
        self.begin_object(fields.len())?;
        for (key, field) in fields {
            self.key(key)?;
            value(field)?;
        }
        self.end_object()
    }
}

/// Walks `value` depth first, mapping it to JSON as `JsonValue` does: record
/// ids become `table:key` strings, NONE and non-finite floats become null,
/// and the rarer types are rendered by the SDK's own JSON conversion.
pub fn visit(value: &Value, events: &Events) -> FfiResult<()> {
    match value {
        Value::None | Value::Null => events.null(),
        Value::Bool(value) => events.boolean(*value),
        Value::Number(Number::Int(value)) => events.int(*value),
        Value::Number(Number::Float(value)) if value.is_finite() => events.float(*value),
        Value::Number(Number::Float(_)) => events.null(),
        Value::String(text) => events.string(text),
        Value::RecordId(id) => events.string(&id.to_sql()),
        Value::Array(items) => events.array(items.iter(), |item| visit(item, events)),
        Value::Object(fields) => events.object(fields.iter(), |value| visit(value, events)),
        other => visit_json(&other.clone().into_json_value(), events),
    }
}

fn visit_json(value: &serde_json::Value, events: &Events) -> FfiResult<()> {
    use serde_json::Value as Json;
    match value {
        Json::Null => events.null(),
        Json::Bool(value) => events.boolean(*value),
        Json::Number(number) => {
            if let Some(value) = number.as_u64() {
                events.unsigned(value)
            } else if let Some(value) = number.as_i64() {
                events.int(value)
            } else {
                match number.as_f64() {
                    Some(value) if value.is_finite() => events.float(value),
                    _ => events.null(),
                }
            }
        }
        Json::String(text) => events.string(text),
        Json::Array(items) => events.array(items.iter(), |item| visit_json(item, events)),
        Json::Object(fields) => events.object(fields.iter(), |value| visit_json(value, events)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::convert::{parse_json, to_json_text};
    use serde_json::{json, Value as Json};

    /// Rebuilds a serde_json value from the events, like a C++ caller would.
    #[derive(Default)]
    pub(crate) struct Rebuilt {
        stack: Vec<(Json, Option<String>)>,
        key: Option<String>,
        pub(crate) done: Option<Json>,
        pub(crate) stop_after: Option<usize>,
        seen: usize,
    }

    impl Rebuilt {
        fn add(&mut self, value: Json) -> bool {
            self.seen += 1;
            if self.stop_after.is_some_and(|limit| self.seen > limit) {
                return false;
            }
            match self.stack.last_mut() {
                Some((Json::Array(items), _)) => items.push(value),
                Some((Json::Object(fields), _)) => {
                    fields.insert(self.key.take().expect("a key before each value"), value);
                }
                Some(_) => unreachable!("only containers are stacked"),
                None => self.done = Some(value),
            }
            true
        }
        fn open(&mut self, container: Json) -> bool {
            self.stack.push((container, self.key.take()));
            true
        }
        fn close(&mut self) -> bool {
            let (container, key) = self.stack.pop().expect("balanced events");
            self.key = key;
            self.add(container)
        }
    }

    fn this(context: *mut c_void) -> &'static mut Rebuilt {
        // SAFETY: the tests pass a live, exclusively used Rebuilt.
        unsafe { &mut *context.cast::<Rebuilt>() }
    }
    fn text(data: *const c_char, len: usize) -> String {
        // SAFETY: the walk passes a live UTF-8 slice.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) };
        String::from_utf8(bytes.to_vec()).expect("UTF-8")
    }
    unsafe extern "C" fn null(c: *mut c_void) -> bool {
        this(c).add(Json::Null)
    }
    unsafe extern "C" fn boolean(c: *mut c_void, v: bool) -> bool {
        this(c).add(json!(v))
    }
    unsafe extern "C" fn integer(c: *mut c_void, v: i64) -> bool {
        assert!(v < 0, "non-negative integers come as unsigned");
        this(c).add(json!(v))
    }
    unsafe extern "C" fn unsigned(c: *mut c_void, v: u64) -> bool {
        this(c).add(json!(v))
    }
    unsafe extern "C" fn floating(c: *mut c_void, v: f64) -> bool {
        this(c).add(json!(v))
    }
    unsafe extern "C" fn string(c: *mut c_void, d: *const c_char, n: usize) -> bool {
        this(c).add(Json::String(text(d, n)))
    }
    unsafe extern "C" fn begin_array(c: *mut c_void, _: usize) -> bool {
        this(c).open(json!([]))
    }
    unsafe extern "C" fn begin_object(c: *mut c_void, _: usize) -> bool {
        this(c).open(json!({}))
    }
    unsafe extern "C" fn close(c: *mut c_void) -> bool {
        this(c).close()
    }
    unsafe extern "C" fn key(c: *mut c_void, d: *const c_char, n: usize) -> bool {
        this(c).key = Some(text(d, n));
        true
    }

    pub(crate) const VISITOR: SurrealJsonVisitor = SurrealJsonVisitor {
        null: Some(null),
        boolean: Some(boolean),
        integer: Some(integer),
        unsigned_integer: Some(unsigned),
        floating: Some(floating),
        string: Some(string),
        begin_array: Some(begin_array),
        end_array: Some(close),
        begin_object: Some(begin_object),
        key: Some(key),
        end_object: Some(close),
    };

    fn rebuild(value: &Value) -> Json {
        let mut rebuilt = Rebuilt::default();
        let events = Events::new(&VISITOR, (&mut rebuilt as *mut Rebuilt).cast()).unwrap();
        visit(value, &events).unwrap();
        rebuilt.done.expect("one value")
    }

    fn as_text(value: &Value) -> Json {
        serde_json::from_str(&to_json_text(value).unwrap()).unwrap()
    }

    #[test]
    fn events_describe_the_same_json_as_the_text() {
        let plain = parse_json(
            r#"{"a":1,"n":-3,"f":0.25,"s":"t\"ü","l":[true,null,{"k":[]}],"o":{},"big":18446744073709551615}"#,
            "x",
        )
        .unwrap();
        let mut values = vec![plain];
        let rare = [
            "d'2024-05-01T10:00:00Z'",
            "u'0191a2b3-0000-7000-8000-000000000000'",
            "1.5dec",
            "3h",
            "NONE",
            "person:tobie",
            "b\"0aff\"",
            "(1.5, 2.5)",
        ];
        for sql in rare {
            values.push(surrealdb_syn::value(sql).unwrap_or_else(|e| panic!("{sql}: {e}")));
        }
        values.push(Value::Number(Number::Float(f64::NAN)));
        for value in &values {
            assert_eq!(rebuild(value), as_text(value), "{value:?}");
        }
    }

    #[test]
    fn a_visitor_returning_false_stops_the_walk() {
        let value = parse_json(r#"[1,2,3,4]"#, "x").unwrap();
        let mut rebuilt = Rebuilt {
            stop_after: Some(2),
            ..Rebuilt::default()
        };
        let events = Events::new(&VISITOR, (&mut rebuilt as *mut Rebuilt).cast()).unwrap();
        let error = visit(&value, &events).unwrap_err();
        assert_eq!(error.code, crate::error::SURREAL_ERR_INTERNAL);
        assert_eq!(rebuilt.seen, 3, "nothing is called after the refusal");
    }

    #[test]
    fn a_missing_callback_is_an_invalid_argument() {
        let visitor = SurrealJsonVisitor {
            key: None,
            ..VISITOR
        };
        let error = Events::new(&visitor, std::ptr::null_mut()).err().unwrap();
        assert_eq!(error.code, crate::error::SURREAL_ERR_INVALID_ARGUMENT);
        assert_eq!(error.message, "visitor.key is NULL");
    }
}
