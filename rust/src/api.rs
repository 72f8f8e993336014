//! The exported C functions. Each one checks its arguments, runs inside the
//! panic boundary, and for async work enters the shared runtime from the
//! calling thread. The logic lives in `database` and `response`.

use std::ffi::c_char;

use std::ffi::c_void;

use crate::database::{Operation, SurrealDatabase};
use crate::error::{self, boundary, boundary_int, boundary_ptr, FfiError, FfiResult, SURREAL_OK};
use crate::response::SurrealResponse;
use crate::runtime::block_on;
use crate::strings::{borrow_optional_str, borrow_str, into_c_string};
use crate::visit::{Events, SurrealJsonVisitor};

/// Borrows the object behind a handle.
///
/// # Safety
/// `pointer` is NULL or a live handle returned by this library.
unsafe fn borrow<'a, T>(pointer: *const T, what: &str) -> FfiResult<&'a T> {
    // SAFETY: forwarded from the caller; `as_ref` handles NULL.
    unsafe { pointer.as_ref() }.ok_or_else(|| FfiError::invalid_argument(format!("{what} is NULL")))
}

fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

fn run_blocking(db: &SurrealDatabase, operation: Operation) -> FfiResult<*mut SurrealResponse> {
    block_on(db.execute(operation))?.map(into_handle)
}

/// Receives the outcome of an asynchronous operation, exactly once, on one of
/// the library's runtime threads. On success `status` is SURREAL_OK,
/// `response` the result (the callee frees it with surreal_response_free) and
/// `error` NULL; on failure `status` is negative, `response` NULL and `error`
/// the message (the callee frees it with surreal_free_string). It must return
/// quickly and must not unwind.
pub type SurrealCallback = Option<
    unsafe extern "C" fn(
        context: *mut c_void,
        status: i32,
        response: *mut SurrealResponse,
        error: *mut c_char,
    ),
>;

/// The caller's context pointer, carried to the runtime thread that calls back.
struct CallbackContext(*mut c_void);
// SAFETY: the pointer is only handed back to the caller's callback, which is
// documented to run on a runtime thread; what it points to is the caller's.
unsafe impl Send for CallbackContext {}

/// Validates the callback and schedules `operation`; the callback then runs
/// exactly once. On an error here it never runs.
fn run_async(
    db: &SurrealDatabase,
    operation: FfiResult<Operation>,
    callback: SurrealCallback,
    context: *mut c_void,
) -> FfiResult<()> {
    let callback = callback.ok_or_else(|| FfiError::invalid_argument("callback is NULL"))?;
    let operation = operation?;
    let context = CallbackContext(context);
    db.spawn(operation, move |outcome| {
        let context = context;
        let (status, response, error) = match outcome {
            Ok(response) => (SURREAL_OK, into_handle(response), std::ptr::null_mut()),
            Err(error) => {
                let message = error.message.replace('\0', "\u{FFFD}");
                let text = into_c_string(message).unwrap_or(std::ptr::null_mut());
                (error.code, std::ptr::null_mut(), text)
            }
        };
        // SAFETY: the caller supplied this callback and context for this call.
        unsafe { callback(context.0, status, response, error) };
    })
}

// The C arguments of each data operation, borrowed and parsed into an
// `Operation`; shared by the blocking and the asynchronous entry points.

/// # Safety
/// `sql` is NULL or a C string; `bindings_json` is NULL or a C string.
unsafe fn query_operation(
    sql: *const c_char,
    bindings_json: *const c_char,
) -> FfiResult<Operation> {
    // SAFETY: forwarded from the caller.
    let (sql, bindings) = unsafe {
        (
            borrow_str(sql, "sql")?,
            borrow_optional_str(bindings_json, "bindings_json")?,
        )
    };
    Operation::query(sql, bindings)
}

/// # Safety
/// `resource` is NULL or a C string.
unsafe fn resource_arg<'a>(resource: *const c_char) -> FfiResult<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { borrow_str(resource, "resource") }
}

/// # Safety
/// `data_json` is NULL or a C string.
unsafe fn data_arg<'a>(data_json: *const c_char) -> FfiResult<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { borrow_str(data_json, "data_json") }
}

/// Starts the shared async runtime if it is not running yet. Optional: every
/// other function starts it on first use.
#[no_mangle]
pub extern "C" fn surreal_init() -> i32 {
    boundary(|| block_on(async {}))
}

/// Creates a database handle for `endpoint` ("mem://" or "rocksdb://<path>")
/// without opening anything yet; see surreal_db_connect. NULL on error.
///
/// # Safety
/// `endpoint` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_new(endpoint: *const c_char) -> *mut SurrealDatabase {
    boundary_ptr(|| {
        // SAFETY: the caller passes a C string.
        let endpoint = unsafe { borrow_str(endpoint, "endpoint") }?;
        SurrealDatabase::new(endpoint).map(into_handle)
    })
}

/// Opens the datastore. Connecting a connected handle does nothing.
///
/// # Safety
/// `db` is NULL or a live handle from surreal_db_new.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_connect(db: *const SurrealDatabase) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle.
        let db = unsafe { borrow(db, "db") }?;
        block_on(db.connect())?
    })
}

/// Selects the namespace later calls work in.
///
/// # Safety
/// `db` is NULL or a live handle; `ns` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_use_ns(db: *const SurrealDatabase, ns: *const c_char) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and a C string.
        let (db, ns) = unsafe { (borrow(db, "db")?, borrow_str(ns, "ns")?) };
        block_on(db.use_ns(ns))?
    })
}

/// Selects the database later calls work in.
///
/// # Safety
/// `db` is NULL or a live handle; `name` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_use_db(db: *const SurrealDatabase, name: *const c_char) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and a C string.
        let (db, name) = unsafe { (borrow(db, "db")?, borrow_str(name, "name")?) };
        block_on(db.use_db(name))?
    })
}

/// Closes the handle and shuts its datastore down completely: when this
/// returns, a RocksDB directory can be opened again. The handle is freed
/// whatever the outcome. NULL is accepted.
///
/// # Safety
/// `db` is NULL or a live handle not used by any other thread any more.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_close(db: *mut SurrealDatabase) -> i32 {
    if db.is_null() {
        return SURREAL_OK;
    }
    boundary(|| {
        // SAFETY: the caller hands over a handle from surreal_db_new, once.
        let db = unsafe { Box::from_raw(db) };
        block_on(db.close())?
    })
}

/// Runs SurrealQL. `bindings_json` is NULL or a JSON object of variables
/// (`{"min": 18}` for `$min`). NULL on an error that stops the whole query,
/// such as invalid syntax; the failure of single statements is reported in
/// the response instead.
///
/// # Safety
/// `db` is NULL or a live handle; the strings are NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_query(
    db: *const SurrealDatabase,
    sql: *const c_char,
    bindings_json: *const c_char,
) -> *mut SurrealResponse {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live handle and C strings.
        let (db, operation) = unsafe { (borrow(db, "db")?, query_operation(sql, bindings_json)?) };
        run_blocking(db, operation)
    })
}

/// Selects a whole table ("person") or one record ("person:tobie"). An
/// unknown table or record selects as empty.
///
/// # Safety
/// `db` is NULL or a live handle; `resource` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_select(
    db: *const SurrealDatabase,
    resource: *const c_char,
) -> *mut SurrealResponse {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live handle and a C string.
        let (db, resource) = unsafe { (borrow(db, "db")?, resource_arg(resource)?) };
        run_blocking(db, Operation::select(resource)?)
    })
}

/// Creates a record in `table` (a random id) or at a given id ("person:tobie")
/// with the JSON object `data_json` as its content.
///
/// # Safety
/// `db` is NULL or a live handle; the strings are NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_create(
    db: *const SurrealDatabase,
    table: *const c_char,
    data_json: *const c_char,
) -> *mut SurrealResponse {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live handle and C strings.
        let (db, table, data) = unsafe {
            (
                borrow(db, "db")?,
                borrow_str(table, "table")?,
                data_arg(data_json)?,
            )
        };
        run_blocking(db, Operation::create(table, data)?)
    })
}

/// Replaces the content of a record, or of every record of a table, with the
/// JSON object `data_json`.
///
/// # Safety
/// `db` is NULL or a live handle; the strings are NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_update(
    db: *const SurrealDatabase,
    resource: *const c_char,
    data_json: *const c_char,
) -> *mut SurrealResponse {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live handle and C strings.
        let (db, resource, data) = unsafe {
            (
                borrow(db, "db")?,
                resource_arg(resource)?,
                data_arg(data_json)?,
            )
        };
        run_blocking(db, Operation::update(resource, data)?)
    })
}

/// Deletes a record, or every record of a table; the response holds what was
/// deleted.
///
/// # Safety
/// `db` is NULL or a live handle; `resource` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_delete(
    db: *const SurrealDatabase,
    resource: *const c_char,
) -> *mut SurrealResponse {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live handle and a C string.
        let (db, resource) = unsafe { (borrow(db, "db")?, resource_arg(resource)?) };
        run_blocking(db, Operation::delete(resource)?)
    })
}

/// Like surreal_db_query, but returns at once: the outcome goes to `callback`
/// with `context`, on a runtime thread. Answers SURREAL_OK when the query was
/// scheduled (the callback will run exactly once), or an error status (it
/// will not run). Independent operations run concurrently; the caller keeps
/// the order of those that depend on each other, and must not close the
/// handle before every callback has run.
///
/// # Safety
/// `db` is NULL or a live handle; the strings are NULL or C strings;
/// `callback` is safe to call from another thread with `context`.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_query_async(
    db: *const SurrealDatabase,
    sql: *const c_char,
    bindings_json: *const c_char,
    callback: SurrealCallback,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and C strings.
        let (db, operation) = unsafe { (borrow(db, "db")?, query_operation(sql, bindings_json)) };
        run_async(db, operation, callback, context)
    })
}

/// Like surreal_db_select, asynchronously (see surreal_db_query_async).
///
/// # Safety
/// As for surreal_db_query_async.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_select_async(
    db: *const SurrealDatabase,
    resource: *const c_char,
    callback: SurrealCallback,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and a C string.
        let (db, resource) = unsafe { (borrow(db, "db")?, resource_arg(resource)?) };
        run_async(db, Operation::select(resource), callback, context)
    })
}

/// Like surreal_db_create, asynchronously (see surreal_db_query_async).
///
/// # Safety
/// As for surreal_db_query_async.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_create_async(
    db: *const SurrealDatabase,
    table: *const c_char,
    data_json: *const c_char,
    callback: SurrealCallback,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and C strings.
        let (db, table, data) = unsafe {
            (
                borrow(db, "db")?,
                borrow_str(table, "table")?,
                data_arg(data_json)?,
            )
        };
        run_async(db, Operation::create(table, data), callback, context)
    })
}

/// Like surreal_db_update, asynchronously (see surreal_db_query_async).
///
/// # Safety
/// As for surreal_db_query_async.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_update_async(
    db: *const SurrealDatabase,
    resource: *const c_char,
    data_json: *const c_char,
    callback: SurrealCallback,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and C strings.
        let (db, resource, data) = unsafe {
            (
                borrow(db, "db")?,
                resource_arg(resource)?,
                data_arg(data_json)?,
            )
        };
        run_async(db, Operation::update(resource, data), callback, context)
    })
}

/// Like surreal_db_delete, asynchronously (see surreal_db_query_async).
///
/// # Safety
/// As for surreal_db_query_async.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_delete_async(
    db: *const SurrealDatabase,
    resource: *const c_char,
    callback: SurrealCallback,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and a C string.
        let (db, resource) = unsafe { (borrow(db, "db")?, resource_arg(resource)?) };
        run_async(db, Operation::delete(resource), callback, context)
    })
}

/// The results as a JSON array, one entry per statement (null where the
/// statement failed). Free with surreal_free_string. NULL on error.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn surreal_response_get_results(
    response: *const SurrealResponse,
) -> *mut c_char {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live response.
        let response = unsafe { borrow(response, "response") }?;
        into_c_string(response.results_json()?)
    })
}

/// Walks the results -- the array surreal_response_get_results renders as
/// text -- depth first, calling `visitor` for each scalar, key and container
/// boundary (see SurrealJsonVisitor), with `context` passed through. Faster
/// than the text for a caller that builds its own document tree: nothing is
/// rendered or parsed. Returns SURREAL_OK, or a negative status when an
/// argument is NULL or a callback returned false.
///
/// # Safety
/// `response` is NULL or a live response; `visitor` is NULL or points to a
/// visitor whose callbacks may be called with `context`.
#[no_mangle]
pub unsafe extern "C" fn surreal_response_visit_results(
    response: *const SurrealResponse,
    visitor: *const SurrealJsonVisitor,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live response and visitor.
        let response = unsafe { borrow(response, "response") }?;
        let visitor = unsafe { borrow(visitor, "visitor") }?;
        response.visit_results(&Events::new(visitor, context)?)
    })
}

/// 1 if any statement failed, 0 if none did, a negative status on error.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn surreal_response_has_errors(response: *const SurrealResponse) -> i32 {
    boundary_int(|| {
        // SAFETY: the caller passes a live response.
        let response = unsafe { borrow(response, "response") }?;
        Ok(i32::from(response.has_errors()))
    })
}

/// The errors as a JSON array, one entry per statement: the error text, or
/// null where the statement succeeded. Free with surreal_free_string.
///
/// # Safety
/// `response` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn surreal_response_get_errors(
    response: *const SurrealResponse,
) -> *mut c_char {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live response.
        let response = unsafe { borrow(response, "response") }?;
        into_c_string(response.errors_json()?)
    })
}

/// Frees a response. NULL is accepted.
///
/// # Safety
/// `response` is NULL or a live response, freed once.
#[no_mangle]
pub unsafe extern "C" fn surreal_response_free(response: *mut SurrealResponse) {
    if !response.is_null() {
        let _ = std::panic::catch_unwind(|| {
            // SAFETY: the caller hands over a response from this library, once.
            drop(unsafe { Box::from_raw(response) });
        });
    }
}

/// The calling thread's last error message, or NULL if the last call
/// succeeded. Free with surreal_free_string.
#[no_mangle]
pub extern "C" fn surreal_get_last_error() -> *mut c_char {
    std::panic::catch_unwind(|| {
        error::last_error()
            .and_then(|error| into_c_string(error.message.replace('\0', "\u{FFFD}")).ok())
            .unwrap_or(std::ptr::null_mut())
    })
    .unwrap_or(std::ptr::null_mut())
}

/// The calling thread's last status code: SURREAL_OK if the last call succeeded.
#[no_mangle]
pub extern "C" fn surreal_get_last_error_code() -> i32 {
    error::last_error().map_or(SURREAL_OK, |error| error.code)
}
