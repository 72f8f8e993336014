//! The C ABI exercised the way a C caller uses it: raw pointers, C strings,
//! status codes, and every returned string and handle freed.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use surrealcpp::api::*;
use surrealcpp::strings::surreal_free_string;
use surrealcpp::*;

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

struct Db(*mut surrealcpp::database::SurrealDatabase);

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
    assert_eq!(
        unsafe { surreal_response_visit_results(ptr::null(), ptr::null(), ptr::null_mut()) },
        SURREAL_ERR_INVALID_ARGUMENT
    );
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
                let db = handle as *mut surrealcpp::database::SurrealDatabase;
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
    response: *mut surrealcpp::response::SurrealResponse,
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
    let (status, results) = run_async(|callback, context| unsafe {
        surreal_db_query_async(
            handle,
            c("RETURN $x * 2").as_ptr(),
            c(r#"{"x": 21}"#).as_ptr(),
            callback,
            context,
        )
    });
    assert_eq!((status, json(&results)), (SURREAL_OK, json("[42]")));

    let (status, message) = run_async(|callback, context| unsafe {
        surreal_db_query_async(
            handle,
            c("SELECT * FROM person WHERE").as_ptr(),
            ptr::null(),
            callback,
            context,
        )
    });
    assert_eq!(status, SURREAL_ERR_QUERY, "{message}");

    // Refused before scheduling: the callback never runs.
    assert_eq!(
        unsafe { surreal_db_select_async(handle, c("person").as_ptr(), None, ptr::null_mut()) },
        SURREAL_ERR_INVALID_ARGUMENT
    );
    db.close();
}
