//! The C ABI exercised the way a C caller uses it: raw pointers, C strings,
//! status codes, and every returned string and handle freed.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use surrealcpp_core::api::*;
use surrealcpp_core::strings::surreal_free_string;
use surrealcpp_core::*;

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

/// Takes ownership of a returned string.
fn take(pointer: *mut c_char) -> String {
    assert!(
        !pointer.is_null(),
        "unexpected NULL string; last error: {:?}",
        last_error()
    );
    // SAFETY: a live string from the library, freed right after copying.
    let text = unsafe { CStr::from_ptr(pointer) }
        .to_str()
        .unwrap()
        .to_owned();
    unsafe { surreal_free_string(pointer) };
    text
}

fn last_error() -> Option<String> {
    let pointer = surreal_get_last_error();
    (!pointer.is_null()).then(|| take(pointer))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

// ---------------------------------------------------------------------------
// The per-verb calls of earlier versions, as a caller writes them over the
// one generic entry point: surreal_db_execute with a CBOR array of params.
// ---------------------------------------------------------------------------

/// A CBOR array of `items`, each the bytes of one encoded value, given as
/// they are (so that a malformed item reaches the library as it was).
fn params(items: &[&[u8]]) -> Vec<u8> {
    assert!(items.len() < 24);
    let mut out = vec![0x80 + items.len() as u8];
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

/// The CBOR of a C string.
unsafe fn text_item(text: *const c_char) -> Vec<u8> {
    let text = unsafe { CStr::from_ptr(text) }.to_str().unwrap().to_owned();
    surrealcpp_core::cbor::encode(&surrealdb::types::Value::String(text)).unwrap()
}

/// The bytes a caller passed, or nothing for NULL with length 0.
unsafe fn raw_item<'a>(data: *const u8, len: usize) -> &'a [u8] {
    if data.is_null() {
        assert_eq!(len, 0, "NULL with a length");
        return &[];
    }
    unsafe { std::slice::from_raw_parts(data, len) }
}

/// Runs `method` with `params`, blocking; NULL on error.
unsafe fn execute(
    db: *const surrealcpp_core::database::SurrealDatabase,
    method: &str,
    params: &[u8],
    cancel: *const surrealcpp_core::cancel::SurrealCancel,
) -> *mut surrealcpp_core::response::SurrealResponse {
    let mut response = ptr::null_mut();
    let status = unsafe {
        surreal_db_execute(
            db,
            ptr::null(),
            c(method).as_ptr(),
            params.as_ptr(),
            params.len(),
            ptr::null(),
            cancel,
            &mut response,
            None,
            ptr::null_mut(),
        )
    };
    assert_eq!(status == SURREAL_OK, !response.is_null());
    response
}

/// Runs `method` with `params` asynchronously: its status.
unsafe fn execute_async(
    db: *const surrealcpp_core::database::SurrealDatabase,
    method: &str,
    params: &[u8],
    cancel: *const surrealcpp_core::cancel::SurrealCancel,
    callback: SurrealCallback,
    context: *mut std::ffi::c_void,
) -> i32 {
    unsafe {
        surreal_db_execute(
            db,
            ptr::null(),
            c(method).as_ptr(),
            params.as_ptr(),
            params.len(),
            ptr::null(),
            cancel,
            ptr::null_mut(),
            callback,
            context,
        )
    }
}

/// The params of `query`: `[sql]`, or `[sql, bindings]` with the bindings'
/// bytes as they are.
unsafe fn query_params(sql: *const c_char, bindings: *const u8, bindings_len: usize) -> Vec<u8> {
    let (sql, bindings) = unsafe { (text_item(sql), raw_item(bindings, bindings_len)) };
    if bindings.is_empty() {
        params(&[&sql])
    } else {
        params(&[&sql, bindings])
    }
}

type Database = surrealcpp_core::database::SurrealDatabase;
type Cancel = surrealcpp_core::cancel::SurrealCancel;
type Response = surrealcpp_core::response::SurrealResponse;

unsafe fn surreal_db_query_cbor(
    db: *const Database,
    sql: *const c_char,
    bindings: *const u8,
    bindings_len: usize,
    cancel: *const Cancel,
) -> *mut Response {
    unsafe {
        execute(
            db,
            "query",
            &query_params(sql, bindings, bindings_len),
            cancel,
        )
    }
}

unsafe fn surreal_db_select_cbor(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    cancel: *const Cancel,
) -> *mut Response {
    let resource = unsafe { raw_item(resource, resource_len) };
    unsafe { execute(db, "select", &params(&[resource]), cancel) }
}

unsafe fn surreal_db_delete_cbor(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    cancel: *const Cancel,
) -> *mut Response {
    let resource = unsafe { raw_item(resource, resource_len) };
    unsafe { execute(db, "delete", &params(&[resource]), cancel) }
}

unsafe fn surreal_db_create_cbor(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    data: *const u8,
    data_len: usize,
    cancel: *const Cancel,
) -> *mut Response {
    let (resource, data) = unsafe { (raw_item(resource, resource_len), raw_item(data, data_len)) };
    unsafe { execute(db, "create", &params(&[resource, data]), cancel) }
}

unsafe fn surreal_db_update_cbor(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    data: *const u8,
    data_len: usize,
    cancel: *const Cancel,
) -> *mut Response {
    let (resource, data) = unsafe { (raw_item(resource, resource_len), raw_item(data, data_len)) };
    unsafe { execute(db, "update", &params(&[resource, data]), cancel) }
}

unsafe fn surreal_db_query_cbor_async(
    db: *const Database,
    sql: *const c_char,
    bindings: *const u8,
    bindings_len: usize,
    cancel: *const Cancel,
    callback: SurrealCallback,
    context: *mut std::ffi::c_void,
) -> i32 {
    let params = unsafe { query_params(sql, bindings, bindings_len) };
    unsafe { execute_async(db, "query", &params, cancel, callback, context) }
}

unsafe fn surreal_db_select_cbor_async(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    cancel: *const Cancel,
    callback: SurrealCallback,
    context: *mut std::ffi::c_void,
) -> i32 {
    let resource = unsafe { raw_item(resource, resource_len) };
    unsafe {
        execute_async(
            db,
            "select",
            &params(&[resource]),
            cancel,
            callback,
            context,
        )
    }
}

unsafe fn surreal_db_delete_cbor_async(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    cancel: *const Cancel,
    callback: SurrealCallback,
    context: *mut std::ffi::c_void,
) -> i32 {
    let resource = unsafe { raw_item(resource, resource_len) };
    unsafe {
        execute_async(
            db,
            "delete",
            &params(&[resource]),
            cancel,
            callback,
            context,
        )
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn surreal_db_create_cbor_async(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    data: *const u8,
    data_len: usize,
    cancel: *const Cancel,
    callback: SurrealCallback,
    context: *mut std::ffi::c_void,
) -> i32 {
    let (resource, data) = unsafe { (raw_item(resource, resource_len), raw_item(data, data_len)) };
    unsafe {
        execute_async(
            db,
            "create",
            &params(&[resource, data]),
            cancel,
            callback,
            context,
        )
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn surreal_db_update_cbor_async(
    db: *const Database,
    resource: *const u8,
    resource_len: usize,
    data: *const u8,
    data_len: usize,
    cancel: *const Cancel,
    callback: SurrealCallback,
    context: *mut std::ffi::c_void,
) -> i32 {
    let (resource, data) = unsafe { (raw_item(resource, resource_len), raw_item(data, data_len)) };
    unsafe {
        execute_async(
            db,
            "update",
            &params(&[resource, data]),
            cancel,
            callback,
            context,
        )
    }
}

unsafe fn surreal_response_results_cbor(
    response: *const Response,
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    unsafe { surreal_response_cbor(response.cast_mut(), SURREAL_RESPONSE_RESULTS, data, len) }
}

unsafe fn surreal_response_take_results_cbor(
    response: *mut Response,
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    unsafe { surreal_response_cbor(response, SURREAL_RESPONSE_TAKE_RESULTS, data, len) }
}

unsafe fn surreal_value_to_sql(data: *const u8, len: usize) -> *mut c_char {
    unsafe { surreal_value_render(data, len, SURREAL_FORMAT_SQL) }
}

unsafe fn surreal_value_to_json(data: *const u8, len: usize) -> *mut c_char {
    unsafe { surreal_value_render(data, len, SURREAL_FORMAT_JSON) }
}

struct Db(*mut surrealcpp_core::database::SurrealDatabase);

impl Db {
    fn open(endpoint: &str) -> Db {
        let db = unsafe { surreal_db_new(c(endpoint).as_ptr()) };
        assert!(!db.is_null(), "{:?}", last_error());
        assert_eq!(
            unsafe { surreal_db_connect(db) },
            SURREAL_OK,
            "{:?}",
            last_error()
        );
        assert_eq!(
            unsafe { surreal_db_use_ns(db, c("test").as_ptr()) },
            SURREAL_OK
        );
        assert_eq!(
            unsafe { surreal_db_use_db(db, c("test").as_ptr()) },
            SURREAL_OK
        );
        Db(db)
    }

    /// Runs a query and returns (results, errors) as JSON.
    fn query(&self, sql: &str, bindings: Option<&str>) -> (serde_json::Value, serde_json::Value) {
        let bindings = bindings.map(c);
        let response = unsafe {
            surreal_db_query(
                self.0,
                c(sql).as_ptr(),
                bindings.as_ref().map_or(ptr::null(), |b| b.as_ptr()),
            )
        };
        assert!(!response.is_null(), "{:?}", last_error());
        let results = json(&take(unsafe { surreal_response_get_results(response) }));
        let errors = json(&take(unsafe { surreal_response_get_errors(response) }));
        unsafe { surreal_response_free(response) };
        (results, errors)
    }

    fn close(self) {
        assert_eq!(
            unsafe { surreal_db_close(self.0) },
            SURREAL_OK,
            "{:?}",
            last_error()
        );
    }
}

#[test]
fn memory_database_end_to_end() {
    let db = Db::open("mem://");

    let created = unsafe {
        surreal_db_create(
            db.0,
            c("person").as_ptr(),
            c(r#"{"name":"Ann","age":31}"#).as_ptr(),
        )
    };
    let created = json(&take(unsafe { surreal_response_get_results(created) }));
    let record = &created[0][0];
    assert_eq!(record["name"], "Ann");
    let id = record["id"]
        .as_str()
        .expect("the id is a string")
        .to_owned();
    assert!(id.starts_with("person:"), "{id}");

    let selected = unsafe { surreal_db_select(db.0, c(&id).as_ptr()) };
    let selected = json(&take(unsafe { surreal_response_get_results(selected) }));
    assert_eq!(selected[0][0]["age"], 31, "{selected}");

    let (results, errors) = db.query(
        "SELECT name FROM person WHERE age > $min",
        Some(r#"{"min": 30}"#),
    );
    assert_eq!(results, json(r#"[[{"name":"Ann"}]]"#));
    assert_eq!(errors, json("[null]"));
    let (results, _) = db.query(
        "SELECT name FROM person WHERE age > $min",
        Some(r#"{"min": 31}"#),
    );
    assert_eq!(
        results,
        json("[[]]"),
        "the bound value must really be applied"
    );

    db.close();
}

#[test]
fn statement_failures_are_reported_per_statement() {
    let db = Db::open("mem://");
    let response = unsafe {
        surreal_db_query(
            db.0,
            c("RETURN 1; THROW 'broken'; RETURN 3").as_ptr(),
            ptr::null(),
        )
    };
    assert!(!response.is_null());
    assert_eq!(unsafe { surreal_response_has_errors(response) }, 1);
    let results = json(&take(unsafe { surreal_response_get_results(response) }));
    let errors = json(&take(unsafe { surreal_response_get_errors(response) }));
    unsafe { surreal_response_free(response) };
    assert_eq!(results, json("[1, null, 3]"));
    assert!(errors[0].is_null() && errors[2].is_null());
    assert!(errors[1].as_str().unwrap().contains("broken"), "{errors}");
    db.close();
}

#[test]
fn invalid_surrealql_is_a_query_error() {
    let db = Db::open("mem://");
    let response =
        unsafe { surreal_db_query(db.0, c("SELECT * FROM person WHERE").as_ptr(), ptr::null()) };
    assert!(response.is_null());
    assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_QUERY);
    assert!(!last_error().unwrap().is_empty());
    // The handle stays usable.
    assert_eq!(db.query("RETURN 2", None).0, json("[2]"));
    db.close();
}

#[test]
fn null_and_invalid_arguments_are_rejected() {
    assert!(unsafe { surreal_db_new(ptr::null()) }.is_null());
    assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
    assert_eq!(last_error().unwrap(), "endpoint is NULL");

    assert!(unsafe { surreal_db_new(c("ftp://x").as_ptr()) }.is_null());
    assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);

    assert_eq!(
        unsafe { surreal_db_connect(ptr::null()) },
        SURREAL_ERR_INVALID_ARGUMENT
    );
    assert!(
        unsafe { surreal_db_query(ptr::null(), c("RETURN 1").as_ptr(), ptr::null()) }.is_null()
    );
    assert_eq!(
        unsafe { surreal_response_has_errors(ptr::null()) },
        SURREAL_ERR_INVALID_ARGUMENT
    );
    assert!(unsafe { surreal_response_get_results(ptr::null()) }.is_null());
    // Freeing NULL is allowed everywhere.
    unsafe {
        surreal_response_free(ptr::null_mut());
        surreal_free_string(ptr::null_mut());
    }
    assert_eq!(unsafe { surreal_db_close(ptr::null_mut()) }, SURREAL_OK);

    let db = Db::open("mem://");
    let invalid_utf8 = b"RETURN '\xff'\0";
    let response = unsafe { surreal_db_query(db.0, invalid_utf8.as_ptr().cast(), ptr::null()) };
    assert!(response.is_null());
    assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
    assert!(last_error().unwrap().contains("UTF-8"));

    let response = unsafe { surreal_db_query(db.0, c("RETURN $x").as_ptr(), c("{oops").as_ptr()) };
    assert!(response.is_null());
    assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);

    let response = unsafe { surreal_db_create(db.0, c("person").as_ptr(), c("[1,2]").as_ptr()) };
    assert!(response.is_null());
    assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);

    // A resource carrying SurrealQL is never executed.
    db.query("CREATE person:keep SET name = 'kept'", None);
    let response = unsafe { surreal_db_select(db.0, c("person:x; REMOVE TABLE person").as_ptr()) };
    assert!(response.is_null());
    let response = unsafe { surreal_db_select(db.0, c("person; REMOVE TABLE person").as_ptr()) };
    assert_eq!(
        json(&take(unsafe { surreal_response_get_results(response) })),
        json("[[]]")
    );
    unsafe { surreal_response_free(response) };
    assert_eq!(
        db.query("SELECT VALUE name FROM person", None).0,
        json(r#"[["kept"]]"#)
    );
    db.close();
}

#[test]
fn operations_before_connect_fail_with_a_connection_error() {
    let db = unsafe { surreal_db_new(c("mem://").as_ptr()) };
    assert!(!db.is_null());
    assert_eq!(
        unsafe { surreal_db_use_ns(db, c("x").as_ptr()) },
        SURREAL_ERR_CONNECTION
    );
    assert_eq!(last_error().unwrap(), "the database is not connected");
    assert_eq!(unsafe { surreal_db_close(db) }, SURREAL_OK);
}

#[test]
fn last_error_is_cleared_by_success() {
    assert!(unsafe { surreal_db_new(ptr::null()) }.is_null());
    assert!(last_error().is_some());
    assert_eq!(surreal_init(), SURREAL_OK);
    assert_eq!(last_error(), None);
    assert_eq!(surreal_get_last_error_code(), SURREAL_OK);
}

#[test]
fn rocksdb_reopens_at_once_with_data_intact() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("rocksdb://{}", dir.path().join("db").display());
    let db = Db::open(&endpoint);
    db.query("DEFINE TABLE counter", None);
    db.close();
    for round in 0..5 {
        let db = Db::open(&endpoint);
        let (results, _) = db.query("SELECT VALUE n FROM counter ORDER BY n", None);
        let expected: Vec<i64> = (0..round).collect();
        assert_eq!(results[0], serde_json::json!(expected));
        db.query(
            "CREATE counter SET n = $n",
            Some(&format!(r#"{{"n": {round}}}"#)),
        );
        db.close();
    }
}

#[test]
fn concurrent_calls_on_one_handle() {
    // No DEFINE TABLE: the concurrent first writes to "item" conflict while
    // defining it, which the record operations retry.
    let db = Db::open("mem://");
    let handle = db.0 as usize;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let db = handle as *mut surrealcpp_core::database::SurrealDatabase;
                for i in 0..50 {
                    let data = c(&format!(r#"{{"t":{t},"i":{i}}}"#));
                    let response =
                        unsafe { surreal_db_create(db, c("item").as_ptr(), data.as_ptr()) };
                    assert!(!response.is_null(), "{:?}", last_error());
                    unsafe { surreal_response_free(response) };
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(
        db.query("RETURN count(SELECT * FROM item)", None).0,
        json("[400]")
    );
    db.close();
}

/// Collects what an asynchronous call hands its callback.
unsafe extern "C" fn record_outcome(
    context: *mut std::ffi::c_void,
    status: i32,
    response: *mut surrealcpp_core::response::SurrealResponse,
    error: *mut c_char,
) {
    let sender = unsafe { Box::from_raw(context.cast::<std::sync::mpsc::Sender<(i32, String)>>()) };
    let text = if response.is_null() {
        take(error)
    } else {
        let results = take(unsafe { surreal_response_get_results(response) });
        unsafe { surreal_response_free(response) };
        results
    };
    sender.send((status, text)).unwrap();
}

fn run_async(
    schedule: impl FnOnce(SurrealCallback, *mut std::ffi::c_void) -> i32,
) -> (i32, String) {
    let (sender, receiver) = std::sync::mpsc::channel::<(i32, String)>();
    let context = Box::into_raw(Box::new(sender)).cast();
    assert_eq!(
        schedule(Some(record_outcome), context),
        SURREAL_OK,
        "{:?}",
        last_error()
    );
    let outcome = receiver.recv().unwrap();
    assert!(
        receiver.try_recv().is_err(),
        "the callback ran more than once"
    );
    outcome
}

#[test]
fn asynchronous_calls_call_back_once() {
    let db = Db::open("mem://");
    let handle = db.0;
    let bindings = [0xa1, 0x61, b'x', 0x15]; // {x: 21}
    let (status, results) = run_async(|callback, context| unsafe {
        surreal_db_query_cbor_async(
            handle,
            c("RETURN $x * 2").as_ptr(),
            bindings.as_ptr(),
            bindings.len(),
            ptr::null(),
            callback,
            context,
        )
    });
    assert_eq!((status, json(&results)), (SURREAL_OK, json("[42]")));

    let (status, message) = run_async(|callback, context| unsafe {
        surreal_db_query_cbor_async(
            handle,
            c("SELECT * FROM person WHERE").as_ptr(),
            ptr::null(),
            0,
            ptr::null(),
            callback,
            context,
        )
    });
    assert_eq!(status, SURREAL_ERR_QUERY, "{message}");

    // Refused before scheduling: the callback never runs. No callback and
    // nowhere for the response: refused too.
    let table = params(&[b"\x66person"]);
    assert_eq!(
        unsafe {
            execute_async(
                handle,
                "nope",
                &table,
                ptr::null(),
                Some(record_outcome),
                ptr::null_mut(),
            )
        },
        SURREAL_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { execute_async(handle, "select", &table, ptr::null(), None, ptr::null_mut()) },
        SURREAL_ERR_INVALID_ARGUMENT
    );
    db.close();
}

// ---------------------------------------------------------------------------
// Values as CBOR
// ---------------------------------------------------------------------------

mod cbor_values {
    use std::ops::Bound;
    use std::str::FromStr;

    use surrealcpp_core::cbor;
    use surrealcpp_core::response::SurrealResponse;
    use surrealdb::types::{
        Array, Bytes, Datetime, Decimal, Duration, File, Geometry, Number, Object, Range, RecordId,
        RecordIdKey, RecordIdKeyRange, Regex, Set, Table, Uuid, Value,
    };

    use super::*;

    /// Takes ownership of a returned buffer.
    fn take_buffer(status: i32, data: *mut u8, len: usize) -> Vec<u8> {
        assert_eq!(status, SURREAL_OK, "{:?}", last_error());
        assert!(!data.is_null());
        // SAFETY: a live buffer from the library, freed right after copying.
        let bytes = unsafe { std::slice::from_raw_parts(data, len) }.to_vec();
        unsafe { surreal_buffer_free(data, len) };
        bytes
    }

    fn results_cbor(response: *const SurrealResponse) -> Vec<u8> {
        let (mut data, mut len) = (ptr::null_mut(), 0);
        let status = unsafe { surreal_response_results_cbor(response, &mut data, &mut len) };
        take_buffer(status, data, len)
    }

    fn take_results_cbor(response: *mut SurrealResponse) -> Vec<u8> {
        let (mut data, mut len) = (ptr::null_mut(), 0);
        let status = unsafe { surreal_response_take_results_cbor(response, &mut data, &mut len) };
        take_buffer(status, data, len)
    }

    fn encode(value: &Value) -> Vec<u8> {
        cbor::encode(value).unwrap()
    }

    /// The CBOR of the results array of a one-statement response.
    fn one_result(value: &Value) -> Vec<u8> {
        let mut results = Array::new();
        results.push(value.clone());
        encode(&Value::Array(results))
    }

    fn parse(text: &str) -> Vec<u8> {
        let (mut data, mut len) = (ptr::null_mut(), 0);
        let status = unsafe { surreal_value_parse(c(text).as_ptr(), &mut data, &mut len) };
        take_buffer(status, data, len)
    }

    fn to_sql(bytes: &[u8]) -> Option<String> {
        let text = unsafe { surreal_value_to_sql(bytes.as_ptr(), bytes.len()) };
        (!text.is_null()).then(|| take(text))
    }

    fn to_json(bytes: &[u8]) -> Option<String> {
        let text = unsafe { surreal_value_to_json(bytes.as_ptr(), bytes.len()) };
        (!text.is_null()).then(|| take(text))
    }

    fn object(fields: Vec<(&str, Value)>) -> Value {
        let mut object = Object::new();
        for (key, value) in fields {
            object.insert(key, value);
        }
        Value::Object(object)
    }

    fn values(items: Vec<Value>) -> Array {
        let mut array = Array::new();
        array.extend(items);
        array
    }

    fn int(value: i64) -> Value {
        Value::Number(Number::Int(value))
    }

    fn float(value: f64) -> Value {
        Value::Number(Number::Float(value))
    }

    /// Values of every kind, including what SurrealQL has no literal for.
    fn every_kind() -> Vec<Value> {
        let uuid = Uuid::from_str("0189f8b2-7c3e-7a4b-9d1e-2f3a4b5c6d7e").unwrap();
        let key_range = RecordIdKeyRange {
            start: Bound::Included(RecordIdKey::Number(1)),
            end: Bound::Excluded(RecordIdKey::String("z".into())),
        };
        let ring =
            geo_types::LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 0.0)]);
        let hole =
            geo_types::LineString::from(vec![(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]);
        let polygon = geo_types::Polygon::new(ring.clone(), vec![hole]);
        vec![
            Value::None,
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            int(0),
            int(i64::MIN),
            int(i64::MAX),
            float(1.5),
            float(-0.0),
            float(f64::NAN),
            float(f64::INFINITY),
            float(f64::NEG_INFINITY),
            float(0.1),
            Value::Number(Number::Decimal(Decimal::from_str_exact("1.50").unwrap())),
            Value::Number(Number::Decimal(
                Decimal::from_str_exact("-1234567890.123456789012345678").unwrap(),
            )),
            Value::String("nul \0 and \u{1F600}".into()),
            Value::Bytes(Bytes::from(vec![0, 0, 1, 0])),
            Value::Duration(Duration::new(0, 1)),
            Value::Duration(Duration::new(3_155_760_000, 0)),
            Value::Duration(Duration::new(0, 0)),
            Value::Datetime(Datetime::from_timestamp(1_700_000_000, 123_456_789).unwrap()),
            Value::Datetime(Datetime::from_timestamp(-1, 1).unwrap()),
            Value::Datetime(Datetime::from_timestamp(-62_135_596_800, 0).unwrap()),
            Value::Datetime(Datetime::from_timestamp(253_402_300_799, 999_999_999).unwrap()),
            Value::Uuid(uuid),
            Value::Array(values(vec![int(1), Value::None, Value::String("x".into())])),
            object(vec![
                ("b", Value::None),
                ("a", Value::Null),
                ("nested", object(vec![("x", float(-0.0))])),
            ]),
            Value::Set(Set::from(vec![int(2), int(1), Value::String("a".into())])),
            Value::Table(Table::new("person")),
            Value::RecordId(RecordId::new("person", 42i64)),
            Value::RecordId(RecordId::new("person", "tobie")),
            Value::RecordId(RecordId::new("person", "needs ⟨quoting⟩ a-b")),
            Value::RecordId(RecordId::new("person", uuid)),
            Value::RecordId(RecordId::new(
                "person",
                RecordIdKey::Array(values(vec![int(1), Value::String("x".into())])),
            )),
            Value::RecordId(RecordId::new("person", {
                let mut key = Object::new();
                key.insert("k", int(1));
                RecordIdKey::Object(key)
            })),
            Value::RecordId(RecordId::new(
                "person",
                RecordIdKey::Range(Box::new(key_range)),
            )),
            Value::Range(Box::new(Range::new(
                Bound::Included(int(1)),
                Bound::Excluded(int(9)),
            ))),
            Value::Range(Box::new(Range::new(
                Bound::Excluded(Value::String("a".into())),
                Bound::Unbounded,
            ))),
            Value::Range(Box::new(Range::unbounded())),
            Value::File(File::new("bucket", "/a/b.txt")),
            Value::Regex(Regex::from_str("^a+[0-9]$").unwrap()),
            Value::Geometry(Geometry::Point((1.5, -2.0).into())),
            Value::Geometry(Geometry::Line(ring.clone())),
            Value::Geometry(Geometry::Polygon(polygon.clone())),
            Value::Geometry(Geometry::MultiPoint(geo_types::MultiPoint(vec![(
                1.0, 2.0,
            )
                .into()]))),
            Value::Geometry(Geometry::MultiLine(geo_types::MultiLineString(vec![ring]))),
            Value::Geometry(Geometry::MultiPolygon(geo_types::MultiPolygon(vec![
                polygon,
            ]))),
            Value::Geometry(Geometry::Collection(vec![Geometry::Point(
                (0.0, 0.0).into(),
            )])),
        ]
    }

    fn return_v(db: &Db, value: &Value) -> (Vec<u8>, *mut SurrealResponse) {
        let bindings = encode(&object(vec![("v", value.clone())]));
        let response = unsafe {
            surreal_db_query_cbor(
                db.0,
                c("RETURN $v").as_ptr(),
                bindings.as_ptr(),
                bindings.len(),
                ptr::null(),
            )
        };
        assert!(!response.is_null(), "{value:?}: {:?}", last_error());
        (results_cbor(response), response)
    }

    #[test]
    fn bound_values_come_back_byte_identical() {
        let db = Db::open("mem://");
        let mut mismatches = Vec::new();
        for value in every_kind() {
            let (results, response) = return_v(&db, &value);
            if results != one_result(&value) {
                let back = cbor::decode(&results, "results");
                mismatches.push(format!("{value:?} came back as {back:?}"));
            }
            // Taking gives the same bytes, then leaves NONE behind.
            assert_eq!(take_results_cbor(response), results);
            assert_eq!(results_cbor(response), one_result(&Value::None));
            assert_eq!(take_results_cbor(response), one_result(&Value::None));
            unsafe { surreal_response_free(response) };
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        db.close();
    }

    #[test]
    fn taking_results_keeps_the_errors() {
        let db = Db::open("mem://");
        let response = unsafe {
            surreal_db_query_cbor(
                db.0,
                c("RETURN [1, 2]; THROW 'broken'; RETURN 3").as_ptr(),
                ptr::null(),
                0,
                ptr::null(),
            )
        };
        assert!(!response.is_null(), "{:?}", last_error());
        let taken = take_results_cbor(response);
        let expected = values(vec![
            Value::Array(values(vec![int(1), int(2)])),
            Value::None,
            int(3),
        ]);
        assert_eq!(taken, encode(&Value::Array(expected)));
        assert_eq!(unsafe { surreal_response_has_errors(response) }, 1);
        let errors = json(&take(unsafe { surreal_response_get_errors(response) }));
        assert!(errors[1].as_str().unwrap().contains("broken"), "{errors}");
        let nothing = values(vec![Value::None, Value::None, Value::None]);
        assert_eq!(results_cbor(response), encode(&Value::Array(nothing)));
        unsafe { surreal_response_free(response) };
        db.close();
    }

    #[test]
    fn record_operations_take_cbor_resources() {
        let db = Db::open("mem://");
        let id = Value::RecordId(RecordId::new("person", 1i64));
        let data = object(vec![
            ("name", Value::String("Ann".into())),
            (
                "at",
                Value::Datetime(Datetime::from_timestamp(5, 6).unwrap()),
            ),
            (
                "n",
                Value::Number(Number::Decimal(Decimal::from_str_exact("2.50").unwrap())),
            ),
        ]);
        let (resource, content) = (encode(&id), encode(&data));
        let created = unsafe {
            surreal_db_create_cbor(
                db.0,
                resource.as_ptr(),
                resource.len(),
                content.as_ptr(),
                content.len(),
                ptr::null(),
            )
        };
        assert!(!created.is_null(), "{:?}", last_error());
        let mut stored = data.clone();
        if let Value::Object(fields) = &mut stored {
            fields.insert("id", id.clone());
        }
        // A create answers an array of the records created.
        assert_eq!(
            results_cbor(created),
            one_result(&Value::Array(values(vec![stored])))
        );
        unsafe { surreal_response_free(created) };

        // NONE as the data creates an empty record; text and tag 7 resources.
        let none = encode(&Value::None);
        for key in 2..=5i64 {
            let resource = encode(&Value::RecordId(RecordId::new("person", key)));
            let created = unsafe {
                surreal_db_create_cbor(
                    db.0,
                    resource.as_ptr(),
                    resource.len(),
                    none.as_ptr(),
                    none.len(),
                    ptr::null(),
                )
            };
            assert!(!created.is_null(), "{:?}", last_error());
            unsafe { surreal_response_free(created) };
        }
        let select = |resource: &Value| {
            let resource = encode(resource);
            let response = unsafe {
                surreal_db_select_cbor(db.0, resource.as_ptr(), resource.len(), ptr::null())
            };
            assert!(!response.is_null(), "{:?}", last_error());
            let results = cbor::decode(&results_cbor(response), "results").unwrap();
            unsafe { surreal_response_free(response) };
            results
        };
        let count = |results: Value| match results {
            Value::Array(statements) => match &statements[0] {
                Value::Array(rows) => rows.len(),
                Value::Object(_) => 1,
                other => panic!("unexpected {other:?}"),
            },
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(count(select(&Value::Table(Table::new("person")))), 5);
        assert_eq!(count(select(&Value::String("person".into()))), 5);
        assert_eq!(count(select(&Value::String("person:3".into()))), 1);
        let range = |start, end| {
            Value::RecordId(RecordId::new(
                "person",
                RecordIdKey::Range(Box::new(RecordIdKeyRange { start, end })),
            ))
        };
        let two_to_four = range(
            Bound::Included(RecordIdKey::Number(2)),
            Bound::Excluded(RecordIdKey::Number(5)),
        );
        assert_eq!(count(select(&two_to_four)), 3);
        assert_eq!(count(select(&range(Bound::Unbounded, Bound::Unbounded))), 5);
        // A table that does not exist selects as empty.
        assert_eq!(count(select(&Value::Table(Table::new("nobody")))), 0);

        let patch = encode(&object(vec![("name", Value::String("Bo".into()))]));
        let resource = encode(&id);
        let updated = unsafe {
            surreal_db_update_cbor(
                db.0,
                resource.as_ptr(),
                resource.len(),
                patch.as_ptr(),
                patch.len(),
                ptr::null(),
            )
        };
        assert!(!updated.is_null(), "{:?}", last_error());
        unsafe { surreal_response_free(updated) };
        let deleted = {
            let resource = encode(&two_to_four);
            unsafe { surreal_db_delete_cbor(db.0, resource.as_ptr(), resource.len(), ptr::null()) }
        };
        assert!(!deleted.is_null(), "{:?}", last_error());
        assert_eq!(count(cbor::decode(&results_cbor(deleted), "r").unwrap()), 3);
        unsafe { surreal_response_free(deleted) };
        assert_eq!(
            db.query("SELECT VALUE name FROM person ORDER BY id", None)
                .0,
            json(r#"[["Bo", null]]"#)
        );

        // A resource that is neither text, a table nor a record id.
        let number = encode(&int(1));
        assert!(unsafe {
            surreal_db_select_cbor(db.0, number.as_ptr(), number.len(), ptr::null())
        }
        .is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
        db.close();
    }

    #[test]
    fn malformed_buffers_are_invalid_arguments() {
        let db = Db::open("mem://");
        let execute_raw = |method: &str, bytes: *const u8, len: usize| unsafe {
            let mut response = ptr::null_mut();
            let status = surreal_db_execute(
                db.0,
                ptr::null(),
                c(method).as_ptr(),
                bytes,
                len,
                ptr::null(),
                ptr::null(),
                &mut response,
                None,
                ptr::null_mut(),
            );
            assert_eq!(status == SURREAL_OK, !response.is_null());
            response
        };
        // ["RETURN $v", {v: <unknown tag 99>}]: the message names the
        // argument and the byte.
        let mut bad = params(&[&encode(&Value::String("RETURN $v".into()))]);
        bad[0] = 0x82;
        let at = bad.len();
        bad.extend_from_slice(&[0xa1, 0x61, b'v', 0xd8, 0x63, 0xf6]);
        assert!(execute_raw("query", bad.as_ptr(), bad.len()).is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
        assert_eq!(
            last_error().unwrap(),
            format!("params: unknown CBOR tag 99 at byte {}", at + 3)
        );
        for (bytes, expected) in [
            (
                &[0x9f, 0xff][..],
                "params: indefinite-length array at byte 0",
            ),
            (
                &[0x82, 0x61][..],
                "params: length 1 runs past the end of the data at byte 1",
            ),
            (
                &[0x80, 0x00][..],
                "params: trailing bytes after the value at byte 1",
            ),
            (
                &[][..],
                "params: the CBOR data ends in the middle of an item at byte 0",
            ),
        ] {
            assert!(execute_raw("query", bytes.as_ptr(), bytes.len()).is_null());
            assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error().unwrap(), expected);
        }
        assert!(execute_raw("query", ptr::null(), 3).is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
        // Bindings that are not an object.
        let not_an_object = params(&[&encode(&Value::String("RETURN 1".into())), &[0x01]]);
        assert!(execute_raw("query", not_an_object.as_ptr(), not_an_object.len()).is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);

        // A resource that is no resource.
        let resource = params(&[&[0xc7, 0x01]]);
        assert!(execute_raw("select", resource.as_ptr(), resource.len()).is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
        assert!(execute_raw("delete", ptr::null(), 0).is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
        // An unknown method, a NULL one, NULL for the response without a
        // callback: refused, and nothing runs.
        assert!(execute_raw("no_such_method", ptr::null(), 0).is_null());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
        let select = params(&[&encode(&Value::String("person".into()))]);
        let status = unsafe {
            surreal_db_execute(
                db.0,
                ptr::null(),
                ptr::null(),
                select.as_ptr(),
                select.len(),
                ptr::null(),
                ptr::null(),
                ptr::null_mut(),
                None,
                ptr::null_mut(),
            )
        };
        assert_eq!(status, SURREAL_ERR_INVALID_ARGUMENT);
        // A value that is no SURREAL_RESPONSE_* or SURREAL_FORMAT_*.
        let response = execute_raw("select", select.as_ptr(), select.len());
        let (mut data, mut len) = (ptr::null_mut(), 0);
        assert_eq!(
            unsafe { surreal_response_cbor(response, 7, &mut data, &mut len) },
            SURREAL_ERR_INVALID_ARGUMENT
        );
        unsafe { surreal_response_free(response) };
        let one = encode(&int(1));
        assert!(unsafe { surreal_value_render(one.as_ptr(), one.len(), 9) }.is_null());

        let query = |bindings: *const u8, len: usize| unsafe {
            surreal_db_query_cbor(db.0, c("RETURN $v").as_ptr(), bindings, len, ptr::null())
        };
        // Out-parameters: NULL is refused, and they are cleared on error.
        let response = query(ptr::null(), 0);
        assert_eq!(
            unsafe { surreal_response_results_cbor(response, ptr::null_mut(), ptr::null_mut()) },
            SURREAL_ERR_INVALID_ARGUMENT
        );
        let (mut data, mut len) = (8 as *mut u8, 8);
        assert_eq!(
            unsafe { surreal_response_results_cbor(ptr::null(), &mut data, &mut len) },
            SURREAL_ERR_INVALID_ARGUMENT
        );
        assert!(data.is_null() && len == 0);
        unsafe {
            surreal_response_free(response);
            surreal_buffer_free(ptr::null_mut(), 0);
        }

        // The handle is still usable.
        assert_eq!(db.query("RETURN 2", None).0, json("[2]"));
        db.close();
    }

    #[test]
    fn asynchronous_cbor_calls_call_back_once() {
        let db = Db::open("mem://");
        let handle = db.0;
        let bindings = encode(&object(vec![("x", int(21))]));
        let (status, results) = run_async(|callback, context| unsafe {
            surreal_db_query_cbor_async(
                handle,
                c("RETURN $x * 2").as_ptr(),
                bindings.as_ptr(),
                bindings.len(),
                ptr::null(),
                callback,
                context,
            )
        });
        assert_eq!((status, json(&results)), (SURREAL_OK, json("[42]")));

        let id = encode(&Value::RecordId(RecordId::new("t", 1i64)));
        let data = encode(&object(vec![("n", int(7))]));
        // The one record in the result, whether it comes alone or in an array.
        let record = |results: &str| {
            let results = json(results);
            match &results[0] {
                serde_json::Value::Array(records) => records[0].clone(),
                record => record.clone(),
            }
        };
        let (status, results) = run_async(|callback, context| unsafe {
            surreal_db_create_cbor_async(
                handle,
                id.as_ptr(),
                id.len(),
                data.as_ptr(),
                data.len(),
                ptr::null(),
                callback,
                context,
            )
        });
        assert_eq!(status, SURREAL_OK, "{results}");
        assert_eq!(record(&results)["n"], 7);
        let (_, results) = run_async(|callback, context| unsafe {
            surreal_db_update_cbor_async(
                handle,
                id.as_ptr(),
                id.len(),
                data.as_ptr(),
                data.len(),
                ptr::null(),
                callback,
                context,
            )
        });
        assert_eq!(record(&results)["n"], 7);
        let (_, results) = run_async(|callback, context| unsafe {
            surreal_db_select_cbor_async(
                handle,
                id.as_ptr(),
                id.len(),
                ptr::null(),
                callback,
                context,
            )
        });
        assert_eq!(record(&results)["id"], "t:1");
        let (_, results) = run_async(|callback, context| unsafe {
            surreal_db_delete_cbor_async(
                handle,
                id.as_ptr(),
                id.len(),
                ptr::null(),
                callback,
                context,
            )
        });
        assert_eq!(record(&results)["id"], "t:1");

        // Refused before scheduling: the callback never runs.
        let bad = [0xff];
        assert_eq!(
            unsafe {
                surreal_db_select_cbor_async(
                    handle,
                    bad.as_ptr(),
                    1,
                    ptr::null(),
                    Some(record_outcome),
                    ptr::null_mut(),
                )
            },
            SURREAL_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error().unwrap(), "params: unexpected break at byte 1");
        db.close();
    }

    #[test]
    fn surrealql_text_and_json() {
        let value = object(vec![
            ("id", Value::RecordId(RecordId::new("person", "a-b"))),
            (
                "at",
                Value::Datetime(Datetime::from_timestamp(0, 5).unwrap()),
            ),
            (
                "n",
                Value::Number(Number::Decimal(Decimal::from_str_exact("1.50").unwrap())),
            ),
            ("none", Value::None),
        ]);
        let bytes = encode(&value);
        assert_eq!(
            to_sql(&bytes).unwrap(),
            "{ at: d'1970-01-01T00:00:00.000000005Z', id: person:`a-b`, n: 1.50dec, none: NONE }"
        );
        assert_eq!(
            json(&to_json(&bytes).unwrap()),
            json(
                r#"{"at":"1970-01-01T00:00:00.000000005Z","id":"person:`a-b`","n":"1.50","none":null}"#
            )
        );
        // SurrealDB's own rendering parses back to the same value.
        for value in every_kind() {
            let bytes = encode(&value);
            let text = to_sql(&bytes).unwrap();
            let (mut data, mut len) = (ptr::null_mut(), 0);
            let status = unsafe { surreal_value_parse(c(&text).as_ptr(), &mut data, &mut len) };
            if status != SURREAL_OK {
                // Kinds without a literal of their own (tables, ranges...).
                eprintln!("{text} does not parse back: {:?}", last_error());
                continue;
            }
            let parsed = take_buffer(status, data, len);
            if parsed != bytes {
                eprintln!(
                    "{text} parses back as {:?}",
                    cbor::decode(&parsed, "parsed")
                );
            }
        }
        assert_eq!(parse("[1, 2.5, 3dec, 'x', NONE]"), {
            encode(&Value::Array(values(vec![
                int(1),
                float(2.5),
                Value::Number(Number::Decimal(Decimal::from(3))),
                Value::String("x".into()),
                Value::None,
            ])))
        });
        assert_eq!(
            parse("  person:42  "),
            encode(&Value::RecordId(RecordId::new("person", 42i64)))
        );
        for bad in ["1 2", "{ a: ", "RETURN 1", ""] {
            let (mut data, mut len) = (ptr::null_mut(), 0);
            let status = unsafe { surreal_value_parse(c(bad).as_ptr(), &mut data, &mut len) };
            assert_eq!(status, SURREAL_ERR_INVALID_ARGUMENT, "{bad}");
            assert!(data.is_null() && len == 0);
            assert!(!last_error().unwrap().is_empty());
        }
        assert!(to_sql(&[0xff]).is_none());
        assert_eq!(last_error().unwrap(), "value: unexpected break at byte 0");
        assert!(to_json(&[]).is_none());
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_INVALID_ARGUMENT);
    }
}

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

mod cancellation {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use surrealcpp_core::cancel::*;
    use surrealcpp_core::response::SurrealResponse;

    use super::*;

    /// Runs `sql` through surreal_db_query_cbor (no bindings) with `cancel`.
    fn query_cbor(db: &Db, sql: &str, cancel: *const SurrealCancel) -> *mut SurrealResponse {
        unsafe { surreal_db_query_cbor(db.0, c(sql).as_ptr(), ptr::null(), 0, cancel) }
    }

    /// Checks that a blocking call failed because it was cancelled.
    fn assert_cancelled(response: *mut SurrealResponse) {
        assert!(response.is_null(), "a cancelled call answered");
        assert_eq!(surreal_get_last_error_code(), SURREAL_ERR_CANCELLED);
        assert_eq!(last_error().unwrap(), "the operation was cancelled");
    }

    /// Checks that a blocking call answered `expected` (as JSON results).
    fn assert_answers(response: *mut SurrealResponse, expected: &str) {
        assert!(!response.is_null(), "{:?}", last_error());
        let results = json(&take(unsafe { surreal_response_get_results(response) }));
        unsafe { surreal_response_free(response) };
        assert_eq!(results, json(expected));
    }

    #[test]
    fn a_blocking_query_stops_when_another_thread_triggers_its_token() {
        let db = Db::open("mem://");
        let cancel = surreal_cancel_new();
        assert!(!cancel.is_null());
        let token = cancel as usize;
        let trigger = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            unsafe { surreal_cancel_trigger(token as *const SurrealCancel) };
        });
        let started = Instant::now();
        let response = query_cbor(&db, "SLEEP 10s", cancel);
        let elapsed = started.elapsed();
        assert_cancelled(response);
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
        trigger.join().unwrap();
        unsafe { surreal_cancel_free(cancel) };

        // The handle is unaffected.
        assert_answers(query_cbor(&db, "RETURN 1", ptr::null()), "[1]");
        db.close();
    }

    #[test]
    fn a_token_triggered_beforehand_stops_the_call_before_it_writes() {
        let db = Db::open("mem://");
        // Defined first, so that an empty table, not a missing one, shows
        // that nothing was created.
        db.query("DEFINE TABLE person SCHEMALESS", None);
        let cancel = surreal_cancel_new();
        unsafe { surreal_cancel_trigger(cancel) };
        assert_cancelled(query_cbor(&db, "CREATE person:1 SET name = 'Ann'", cancel));

        // The record operations honour it too.
        let table = [0x66, b'p', b'e', b'r', b's', b'o', b'n']; // "person"
        let none = [0xc6, 0xf6]; // NONE
        assert_cancelled(unsafe {
            surreal_db_create_cbor(
                db.0,
                table.as_ptr(),
                table.len(),
                none.as_ptr(),
                none.len(),
                cancel,
            )
        });
        assert_cancelled(unsafe {
            surreal_db_select_cbor(db.0, table.as_ptr(), table.len(), cancel)
        });
        unsafe { surreal_cancel_free(cancel) };

        // Nothing was created.
        assert_eq!(
            db.query("SELECT * FROM person", None),
            (json("[[]]"), json("[null]"))
        );
        // A token never triggered changes nothing.
        let unused = surreal_cancel_new();
        assert_answers(
            query_cbor(
                &db,
                "CREATE person:2 SET name = 'Bo' RETURN VALUE name",
                unused,
            ),
            r#"[["Bo"]]"#,
        );
        unsafe { surreal_cancel_free(unused) };
        db.close();
    }

    #[test]
    fn an_asynchronous_query_cancelled_calls_back_once_with_cancelled() {
        let db = Db::open("mem://");
        let cancel = surreal_cancel_new();
        let (sender, receiver) = mpsc::channel::<(i32, String)>();
        let context = Box::into_raw(Box::new(sender)).cast();
        let started = Instant::now();
        assert_eq!(
            unsafe {
                surreal_db_query_cbor_async(
                    db.0,
                    c("SLEEP 10s").as_ptr(),
                    ptr::null(),
                    0,
                    cancel,
                    Some(record_outcome),
                    context,
                )
            },
            SURREAL_OK,
            "{:?}",
            last_error()
        );
        std::thread::sleep(Duration::from_millis(100));
        // Triggered from a thread other than the one the operation runs on.
        unsafe { surreal_cancel_trigger(cancel) };
        let (status, message) = receiver
            .recv_timeout(Duration::from_secs(5))
            .expect("no callback within 5 s of cancelling");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(status, SURREAL_ERR_CANCELLED, "{message}");
        assert_eq!(message, "the operation was cancelled");
        assert!(
            receiver.recv_timeout(Duration::from_millis(200)).is_err(),
            "the callback ran more than once"
        );
        unsafe { surreal_cancel_free(cancel) };

        let (status, results) = run_async(|callback, context| unsafe {
            surreal_db_query_cbor_async(
                db.0,
                c("RETURN 1").as_ptr(),
                ptr::null(),
                0,
                ptr::null(),
                callback,
                context,
            )
        });
        assert_eq!((status, json(&results)), (SURREAL_OK, json("[1]")));
        db.close();
    }

    #[test]
    fn null_tokens_and_repeated_triggers_are_harmless() {
        unsafe {
            surreal_cancel_trigger(ptr::null());
            surreal_cancel_free(ptr::null_mut());
        }
        let db = Db::open("mem://");
        let cancel = surreal_cancel_new();
        unsafe {
            surreal_cancel_trigger(cancel);
            surreal_cancel_trigger(cancel);
        }
        // Still triggered, for this call and the next.
        assert_cancelled(query_cbor(&db, "RETURN 1", cancel));
        assert_cancelled(query_cbor(&db, "RETURN 2", cancel));
        unsafe { surreal_cancel_free(cancel) };
        assert_answers(query_cbor(&db, "RETURN 3", ptr::null()), "[3]");
        db.close();
    }
}
