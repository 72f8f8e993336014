//! The exported C functions. Each one checks its arguments, runs inside the
//! panic boundary, and for async work enters the shared runtime from the
//! calling thread. The logic lives in `database` and `response`.
//!
//! Documents cross either as JSON text or as CBOR buffers (see `cbor` for
//! the encoding); both families share everything past argument decoding.

use std::ffi::c_char;

use std::ffi::c_void;
use std::sync::Arc;

use surrealdb::types::{ToSql, Value};
use tokio_util::sync::CancellationToken;

use crate::cancel::{token_arg, SurrealCancel};
use crate::cbor;
use crate::database::{Options, SurrealDatabase};
use crate::error::{
    self, boundary, boundary_int, boundary_ptr, FfiError, FfiResult, SURREAL_ERR_INTERNAL,
    SURREAL_ERR_INVALID_ARGUMENT, SURREAL_OK,
};
use crate::live::{Sink, SurrealNotify};
use crate::log::SurrealLogHandler;
use crate::operation::{ChunkSink, Operation};
use crate::progress::ImportProgress;
use crate::resource;
use crate::response::SurrealResponse;
use crate::rpc;
use crate::runtime::block_on;
use crate::strings::{borrow_optional_str, borrow_str, into_c_string};

/// Borrows the object behind a handle.
///
/// # Safety
/// `pointer` is NULL or a live handle returned by this library.
unsafe fn borrow<'a, T>(pointer: *const T, what: &str) -> FfiResult<&'a T> {
    // SAFETY: forwarded from the caller; `as_ref` handles NULL.
    unsafe { pointer.as_ref() }.ok_or_else(|| FfiError::invalid_argument(format!("{what} is NULL")))
}

/// Borrows the object behind a handle for a call that changes it.
///
/// # Safety
/// `pointer` is NULL or a live handle returned by this library, which no
/// other thread uses during the call.
unsafe fn borrow_mut<'a, T>(pointer: *mut T, what: &str) -> FfiResult<&'a mut T> {
    // SAFETY: forwarded from the caller; `as_mut` handles NULL.
    unsafe { pointer.as_mut() }.ok_or_else(|| FfiError::invalid_argument(format!("{what} is NULL")))
}

fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

fn run_blocking(
    db: &SurrealDatabase,
    operation: Operation,
    cancel: Option<CancellationToken>,
) -> FfiResult<*mut SurrealResponse> {
    block_on(db.execute(operation, cancel))?.map(into_handle)
}

/// Receives the outcome of an asynchronous operation, exactly once, on one of
/// the library's runtime threads. On success `status` is SURREAL_OK,
/// `response` the result (the callee frees it with surreal_response_free) and
/// `error` NULL; on failure `status` is negative, `response` NULL and `error`
/// the message (the callee frees it with surreal_free_string). During the
/// call, the surreal_get_last_error* functions describe the outcome on the
/// calling thread: on failure, surreal_get_last_error_details gives the
/// error's kind, details and cause. It must return quickly and must not
/// unwind.
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
    cancel: Option<CancellationToken>,
    callback: SurrealCallback,
    context: *mut c_void,
) -> FfiResult<()> {
    let callback = callback.ok_or_else(|| FfiError::invalid_argument("callback is NULL"))?;
    let operation = operation?;
    let context = CallbackContext(context);
    db.spawn(operation, cancel, move |outcome| {
        let context = context;
        let (status, response, error) = match outcome {
            Ok(response) => {
                error::clear_last_error();
                (SURREAL_OK, into_handle(response), std::ptr::null_mut())
            }
            Err(failure) => {
                let message = failure.message.replace('\0', "\u{FFFD}");
                let text = into_c_string(message).unwrap_or(std::ptr::null_mut());
                let status = failure.code;
                // Readable during the callback, on its thread, through the
                // surreal_get_last_error* functions (the details above all).
                error::set_last_error(failure);
                (status, std::ptr::null_mut(), text)
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

/// Borrows a buffer from C.
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes that stay unchanged
/// during the call.
unsafe fn borrow_bytes<'a>(data: *const u8, len: usize, what: &str) -> FfiResult<&'a [u8]> {
    if data.is_null() {
        return Err(FfiError::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Decodes the CBOR value in a buffer from C. `what` names the argument.
///
/// # Safety
/// As for [`borrow_bytes`].
unsafe fn cbor_arg(data: *const u8, len: usize, what: &str) -> FfiResult<Value> {
    // SAFETY: forwarded from the caller.
    cbor::decode(unsafe { borrow_bytes(data, len, what) }?, what)
}

/// Where a function that returns a buffer puts it.
struct BufferOut<'a> {
    data: &'a mut *mut u8,
    len: &'a mut usize,
}

impl BufferOut<'_> {
    /// Checks the out-parameters and sets them to NULL and 0, which is what
    /// the caller reads if the call then fails.
    ///
    /// # Safety
    /// `data` and `len` are NULL or valid for writes during the call.
    unsafe fn new(data: *mut *mut u8, len: *mut usize) -> FfiResult<Self> {
        // SAFETY: forwarded from the caller; `as_mut` handles NULL.
        let (data, len) = unsafe { (data.as_mut(), len.as_mut()) };
        let (Some(data), Some(len)) = (data, len) else {
            return Err(FfiError::invalid_argument("data or len is NULL"));
        };
        *data = std::ptr::null_mut();
        *len = 0;
        Ok(Self { data, len })
    }

    /// Hands `bytes` to the caller, who frees them with surreal_buffer_free.
    fn set(self, bytes: Vec<u8>) {
        let bytes = bytes.into_boxed_slice();
        *self.len = bytes.len();
        *self.data = Box::into_raw(bytes).cast::<u8>();
    }
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

/// Sets how the next surreal_db_connect opens the datastore: a CBOR map
/// with `root` `{user, pass}` (the datastore then enforces authentication,
/// creating that root user if it has none, and this handle signs in as it),
/// `query_timeout` and `transaction_timeout` (durations),
/// `guest_access` and `live_query_notifications` (booleans), and
/// `allow_functions`, `deny_functions`, `allow_net`, `deny_net` (true, false
/// or an array of names, as `surreal start --allow-funcs` takes them).
/// Unknown keys and wrong kinds are SURREAL_ERR_INVALID_ARGUMENT.
///
/// # Safety
/// `db` is NULL or a live handle; `options` NULL or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_configure(
    db: *const SurrealDatabase,
    options: *const u8,
    len: usize,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle and a buffer.
        let (db, options) = unsafe { (borrow(db, "db")?, cbor_arg(options, len, "options")?) };
        db.configure(Options::from_value(options)?);
        Ok(())
    })
}

/// A new session over the datastore of a connected handle: its own
/// namespace, database, authentication and parameters, none of them set
/// yet. Close it with surreal_db_close; the datastore stays open until its
/// last session is closed. NULL on error.
///
/// # Safety
/// `db` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_new_session(
    db: *const SurrealDatabase,
) -> *mut SurrealDatabase {
    boundary_ptr(|| {
        // SAFETY: the caller passes a live handle.
        let db = unsafe { borrow(db, "db") }?;
        block_on(db.new_session())?.map(into_handle)
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

/// The state of the connection `db` runs on: 0 connecting, 1 connected, 2
/// reconnecting (a dropped WebSocket or gRPC connection), 3 disconnected (closed,
/// or the connection is lost for good). A datastore this library opened,
/// and an HTTP server, are connected until closed. A negative status on
/// error.
///
/// # Safety
/// `db` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_state(db: *const SurrealDatabase) -> i32 {
    boundary_int(|| {
        // SAFETY: the caller passes a live handle.
        let db = unsafe { borrow(db, "db")? };
        block_on(db.state()).map(|state| state as i32)
    })
}

/// A state listener, from [`surreal_db_watch_state`].
pub struct SurrealWatch {
    listeners: Option<Arc<rpc::Listeners>>,
    key: u64,
}

/// Calls `listener(context, state)` at each change of the state of `db`'s
/// connection (the codes of [`surreal_db_state`]), in order, one at a time,
/// on a library thread; it must return quickly and must not unwind. Every
/// session over one connection sees its changes. `*watch` receives the
/// listener's handle: [`surreal_watch_free`] removes it. The handle may
/// outlive `db`.
///
/// # Safety
/// `db` is NULL or a live handle; `watch` is NULL or writable; `context` may
/// be used from library threads until the watch is freed.
#[no_mangle]
pub unsafe extern "C" fn surreal_db_watch_state(
    db: *const SurrealDatabase,
    listener: rpc::SurrealStateListener,
    context: *mut c_void,
    watch: *mut *mut SurrealWatch,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes a live handle.
        let db = unsafe { borrow(db, "db")? };
        if watch.is_null() {
            return Err(FfiError::invalid_argument("watch must not be NULL"));
        }
        if listener.is_none() {
            return Err(FfiError::invalid_argument("listener must not be NULL"));
        }
        let listeners = block_on(db.state_listeners())??;
        let key = match &listeners {
            Some(listeners) => listeners.add(listener, context).unwrap_or_default(),
            None => 0,
        };
        let handle = Box::into_raw(Box::new(SurrealWatch { listeners, key }));
        // SAFETY: checked non-NULL above; the caller's out-parameter.
        unsafe { *watch = handle };
        Ok(())
    })
}

/// Removes a state listener and frees its handle: when this returns, the
/// listener is not running (unless this is called from it) and is never
/// called again. NULL is accepted.
///
/// # Safety
/// `watch` is NULL or a handle from [`surreal_db_watch_state`], freed once.
#[no_mangle]
pub unsafe extern "C" fn surreal_watch_free(watch: *mut SurrealWatch) {
    if watch.is_null() {
        return;
    }
    let _ = boundary(|| {
        // SAFETY: the caller hands over a handle from surreal_db_watch_state, once.
        let watch = unsafe { Box::from_raw(watch) };
        if let Some(listeners) = &watch.listeners {
            listeners.remove(watch.key);
        }
        Ok(())
    });
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
        run_blocking(db, operation, None)
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
        run_blocking(db, Operation::select(resource)?, None)
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
        run_blocking(db, Operation::create(table, data)?, None)
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
        run_blocking(db, Operation::update(resource, data)?, None)
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
        run_blocking(db, Operation::delete(resource)?, None)
    })
}

/// Where an export's text goes, where an import reports its progress, and
/// where a live query's notifications go: the `stream` of
/// surreal_db_execute. chunk and progress run on the thread that runs the
/// call (the caller's for a blocking call, a runtime thread for an
/// asynchronous one), one call at a time, with `context`; they must stay
/// valid until the call has completed.
#[repr(C)]
pub struct SurrealStream {
    /// Receives the export's SurrealQL text, chunk by chunk, in order.
    /// Returning false stops the export, which then fails.
    pub chunk:
        Option<unsafe extern "C" fn(context: *mut c_void, data: *const u8, len: usize) -> bool>,
    /// Receives an import's progress: bytes of the file read so far, and
    /// its size. `done` never decreases; on success the last report has
    /// `done == total`. Returning false stops the import, which then fails
    /// (what it ran before stays: an import is not one transaction); the
    /// last report's answer is not used.
    pub progress: Option<unsafe extern "C" fn(context: *mut c_void, done: u64, total: u64) -> bool>,
    /// Receives a live query's notifications (methods live and
    /// live_query), as SurrealNotify documents. Unlike the others it
    /// outlives the call: `context` stays in use until its last call (the
    /// NULL notification), which always comes exactly once, even when the
    /// call fails (then before it returns, or before its callback runs).
    pub notify: SurrealNotify,
    pub context: *mut c_void,
}

/// The method, arguments and stream of surreal_db_execute, as an operation.
///
/// # Safety
/// `method` is NULL or a C string, `params` NULL (with `params_len` 0) or
/// `params_len` bytes, `stream` NULL or a valid stream.
unsafe fn call_operation(
    method: *const c_char,
    params: *const u8,
    params_len: usize,
    stream: *const SurrealStream,
) -> FfiResult<Operation> {
    // SAFETY: forwarded from the caller; `as_ref` handles NULL.
    let stream = unsafe { stream.as_ref() };
    // First, so that an error below drops it, which sends its end.
    let notify = stream.and_then(|stream| Sink::new(stream.notify, stream.context));
    // SAFETY: forwarded from the caller.
    let method = unsafe { borrow_str(method, "method") }?;
    let params = if params.is_null() && params_len == 0 {
        Value::None
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { cbor_arg(params, params_len, "params") }?
    };
    let operation = Operation::from_call(method, params)?;
    let Some(stream) = stream else {
        // Checked in place: the operation is not moved through with_stream.
        return match operation.lacks_stream() {
            Some(error) => Err(error),
            None => Ok(operation),
        };
    };
    let context = CallbackContext(stream.context);
    let sink = stream.chunk.map(|chunk| -> ChunkSink {
        let context = CallbackContext(context.0);
        Box::new(move |bytes: &[u8]| {
            let context = &context;
            // SAFETY: the caller supplied this callback and context for the call.
            unsafe { chunk(context.0, bytes.as_ptr(), bytes.len()) }
        })
    });
    let progress = stream.progress.map(|progress| {
        let context = CallbackContext(context.0);
        ImportProgress::new(Box::new(move |done, total| {
            let context = &context;
            // SAFETY: the caller supplied this callback and context for the call.
            unsafe { progress(context.0, done, total) }
        }))
    });
    operation.with_stream(sink, progress, notify)
}

/// The transaction id of surreal_db_execute: 16 bytes, as `begin` answered
/// them (a CBOR uuid's bytes).
///
/// # Safety
/// `txn` is NULL or 16 readable bytes.
unsafe fn transaction_arg(txn: *const u8) -> FfiResult<uuid::Uuid> {
    if txn.is_null() {
        return Err(FfiError::invalid_argument("txn is NULL"));
    }
    // SAFETY: the caller passes 16 readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(txn, 16) };
    Ok(uuid::Uuid::from_slice(bytes).expect("16 bytes make a uuid"))
}

/// The operation of surreal_db_execute: the method with its arguments and
/// stream, inside transaction `txn` when it is not NULL.
///
/// # Safety
/// As for [`call_operation`]; `txn` is NULL or 16 readable bytes.
unsafe fn execute_operation(
    txn: *const u8,
    method: *const c_char,
    params: *const u8,
    params_len: usize,
    stream: *const SurrealStream,
) -> FfiResult<Operation> {
    // SAFETY: forwarded from the caller.
    let operation = unsafe { call_operation(method, params, params_len, stream) }?;
    if txn.is_null() {
        return Ok(operation);
    }
    // SAFETY: forwarded from the caller.
    Ok(operation.in_transaction(unsafe { transaction_arg(txn) }?))
}

/// Runs one method of SurrealDB's RPC by name, with its arguments as one
/// CBOR array, as the official SDKs' engines do (`execute(method, params)`).
/// `params` may be NULL (with `params_len` 0) for no arguments. The methods
/// and their arguments (`[...]` optional):
///   query(sql, [bindings]), select(resource), create(resource, [data]),
///   insert(table, data), insert_relation(table, data),
///   upsert(resource, [data]), update(resource, [data]),
///   merge(resource, data), patch(resource, [operations]),
///   delete(resource), relate(from, edge, to, [data]),
///   run(name, [arguments]), version(), health(),
///   signin(credentials), signup(credentials), authenticate(token),
///   refresh(tokens), invalidate(), set(name, value), unset(name),
///   import(path), export([options]),
///   begin(), commit(txn), cancel(txn),
///   live(resource, [diff]), live_query(sql, [bindings]), kill(id).
///
/// A resource is a table name or a record id as text ("person",
/// "person:tobie"), a table (tag 7), or a record id (tag 8, whose key may
/// be a range); data is any value, NONE for none. Credentials are an
/// object: `{user, pass}` for root, with `ns` for a namespace user, with
/// `ns` and `db` for a database user, `{ns, db, ac, ...}` for a record
/// access method, or `{[ns], [db], ac, key}` for a bearer key. signin,
/// signup and refresh answer `{access, refresh?}`; refresh takes them. A
/// patch operation is an object `{op, path, value}` with op "add",
/// "remove", "replace" or "change". Export options: booleans users,
/// accesses, params, functions, analyzers, records, sequences, apis,
/// buckets, modules, configs, database_definition, and tables (true, false
/// or an array of names).
///
/// begin answers a transaction's id (a uuid); pass its 16 bytes as `txn`
/// to run query, select, create, insert, insert_relation, upsert, update,
/// merge, patch, delete or relate inside it (any other method, or a
/// transaction committed, cancelled or of another session, is
/// SURREAL_ERR_INVALID_ARGUMENT); a transaction runs its operations one at
/// a time. A commit that loses a conflict with another transaction is
/// SURREAL_ERR_TRANSACTION_CONFLICT, and changed nothing. live and
/// live_query start a live query (live_query's SurrealQL must start exactly
/// one) and answer its id; its notifications go to `stream->notify` until
/// kill(id), the session's close, or a sign-in as someone else or a
/// sign-out ends it. `stream` (NULL for none) takes an export's text, which
/// it requires, an import's progress, and a live query's notifications,
/// which it requires.
///
/// `cancel` is NULL, or a token from surreal_cancel_new: triggering it, from
/// any thread, ends the call with SURREAL_ERR_CANCELLED and stops its work
/// in the engine (but for a commit, or the start of a live query). It must
/// outlive a blocking call; an asynchronous one keeps its own reference.
///
/// Blocking when `callback` is NULL: `*response` receives the response, to
/// free with surreal_response_free (NULL on error), and the status is
/// returned. Asynchronous otherwise: it returns at once, SURREAL_OK when the
/// call was scheduled, and `callback` then runs exactly once with
/// `context` and the outcome, on a runtime thread; an error status when it
/// was not (the callback never runs). `response` is not used then, and may
/// be NULL. The arguments are decoded before it returns; the stream's
/// callbacks and context must stay valid until the call has completed.
/// Calls made without waiting run concurrently; keep the order of those
/// that depend on each other, and close the handle only after every
/// callback has run. A bad method or argument is
/// SURREAL_ERR_INVALID_ARGUMENT, and nothing runs.
///
/// # Safety
/// `db` is NULL or a live handle; `txn` NULL or 16 readable bytes; `method`
/// NULL or a C string; `params` NULL or `params_len` readable bytes;
/// `stream` NULL or valid as said; `cancel` NULL or a live token;
/// `response` NULL or valid for writes; `callback` NULL or safe to call
/// from another thread with `context`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn surreal_db_execute(
    db: *const SurrealDatabase,
    txn: *const u8,
    method: *const c_char,
    params: *const u8,
    params_len: usize,
    stream: *const SurrealStream,
    cancel: *const SurrealCancel,
    response: *mut *mut SurrealResponse,
    callback: SurrealCallback,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes NULL or a pointer valid for writes.
        let mut out = unsafe { response.as_mut() };
        if let Some(out) = out.as_deref_mut() {
            *out = std::ptr::null_mut();
        }
        // SAFETY: the caller passes valid arguments. The operation first: it
        // owns the stream's notify, whose end is due even when the handle is
        // bad.
        let (operation, db) = unsafe {
            let operation = execute_operation(txn, method, params, params_len, stream);
            (operation, borrow(db, "db")?)
        };
        // SAFETY: the caller passes NULL or a live token.
        let cancel = unsafe { token_arg(cancel) };
        if callback.is_some() {
            return run_async(db, operation, cancel, callback, context);
        }
        let operation = operation?;
        let out = out.ok_or_else(|| {
            FfiError::invalid_argument("response is NULL, and there is no callback")
        })?;
        *out = run_blocking(db, operation, cancel)?;
        Ok(())
    })
}

/// surreal_response_cbor: the results, one CBOR item per statement (NONE
/// where it failed).
pub const SURREAL_RESPONSE_RESULTS: i32 = 0;
/// surreal_response_cbor: the results, moved out of the response as they
/// are encoded, so that the values and their encoding are never both held
/// in full. The response's results are NONE afterwards; its errors stay.
pub const SURREAL_RESPONSE_TAKE_RESULTS: i32 = 1;
/// surreal_response_cbor: each statement's error, NONE where it succeeded,
/// else a map as surreal_get_last_error_details describes.
pub const SURREAL_RESPONSE_ERRORS: i32 = 2;

/// A response as one CBOR array, one item per statement: `what` picks the
/// results (SURREAL_RESPONSE_RESULTS, or SURREAL_RESPONSE_TAKE_RESULTS to
/// move them out) or the errors (SURREAL_RESPONSE_ERRORS). On success
/// `*data` and `*len` receive a buffer to free with surreal_buffer_free; on
/// error they are set to NULL and 0.
///
/// # Safety
/// `response` is NULL or a live response, which no other thread uses
/// during a SURREAL_RESPONSE_TAKE_RESULTS call; `data` and `len` are NULL
/// or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn surreal_response_cbor(
    response: *mut SurrealResponse,
    what: i32,
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes valid out-parameters and a live response
        // (that only this call uses, to take its results).
        let out = unsafe { BufferOut::new(data, len) }?;
        let bytes = match what {
            SURREAL_RESPONSE_RESULTS => unsafe { borrow(response, "response") }?.results_cbor()?,
            SURREAL_RESPONSE_TAKE_RESULTS => {
                unsafe { borrow_mut(response, "response") }?.take_results_cbor()?
            }
            SURREAL_RESPONSE_ERRORS => unsafe { borrow(response, "response") }?.errors_cbor()?,
            _ => {
                return Err(FfiError::invalid_argument(format!(
                    "what: {what} is not a SURREAL_RESPONSE_* constant"
                )))
            }
        };
        out.set(bytes);
        Ok(())
    })
}

/// Frees a buffer this library returned, given its length. NULL is accepted.
///
/// # Safety
/// `data` is NULL, or a buffer from this library with its length `len`,
/// freed once.
#[no_mangle]
pub unsafe extern "C" fn surreal_buffer_free(data: *mut u8, len: usize) {
    if !data.is_null() {
        let _ = std::panic::catch_unwind(|| {
            // SAFETY: the buffer came from `Box::<[u8]>::into_raw` in
            // `BufferOut::set`, with this length.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, len)) });
        });
    }
}

/// surreal_value_render: SurrealQL text, exactly as SurrealDB renders it
/// (what `surreal sql` prints).
pub const SURREAL_FORMAT_SQL: i32 = 0;
/// surreal_value_render: JSON text, as the SurrealDB SDK's `into_json_value`
/// renders it (record ids, datetimes, decimals... as strings; NONE as null).
pub const SURREAL_FORMAT_JSON: i32 = 1;

/// A CBOR value as text in `format` (SURREAL_FORMAT_SQL or
/// SURREAL_FORMAT_JSON). Free with surreal_free_string. NULL on error (a
/// malformed buffer, an unknown format).
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn surreal_value_render(
    data: *const u8,
    len: usize,
    format: i32,
) -> *mut c_char {
    boundary_ptr(|| {
        // SAFETY: the caller passes a buffer.
        let value = unsafe { cbor_arg(data, len, "value") }?;
        let text = match format {
            SURREAL_FORMAT_SQL => value.to_sql(),
            SURREAL_FORMAT_JSON => serde_json::to_string(&value.into_json_value())
                .map_err(|e| FfiError::internal(format!("cannot render the value as JSON: {e}")))?,
            _ => {
                return Err(FfiError::invalid_argument(format!(
                    "format: {format} is not a SURREAL_FORMAT_* constant"
                )))
            }
        };
        into_c_string(text)
    })
}

/// Parses a SurrealQL literal value (`{ id: person:1, at: d'2024-01-01T00:00:00Z' }`)
/// with SurrealDB's own parser; the whole text must be the value. On success
/// `*data` and `*len` receive its CBOR, to free with surreal_buffer_free.
/// Bad text is SURREAL_ERR_INVALID_ARGUMENT with the parser's message.
///
/// # Safety
/// `text` is NULL or a C string; `data` and `len` are NULL or valid for
/// writes.
#[no_mangle]
pub unsafe extern "C" fn surreal_value_parse(
    text: *const c_char,
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    boundary(|| {
        // SAFETY: the caller passes valid out-parameters and a C string.
        let out = unsafe { BufferOut::new(data, len) }?;
        let text = unsafe { borrow_str(text, "text") }?;
        let value = resource::parse_value(text)?;
        let bytes = cbor::encode(&value)
            .map_err(|e| e.into_error(SURREAL_ERR_INVALID_ARGUMENT, "the value"))?;
        out.set(bytes);
        Ok(())
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

/// The calling thread's last error in structured form, as a CBOR map:
/// `kind` (SurrealDB's error kind: "Validation", "Configuration", "Query",
/// "Serialization", "NotAllowed", "NotFound", "AlreadyExists",
/// "Connection", "Thrown" or "Internal") and `message` always; when the
/// error came from SurrealDB, also its RPC `code`, and `details` and `cause`
/// (an error of the same shape) where it has them. For an error of the
/// library's own, the kind follows the status code. Answers SURREAL_OK with
/// `*data` NULL and `*len` 0 when the last call succeeded; a buffer
/// returned is freed with surreal_buffer_free. Reading it does not clear
/// the last error.
///
/// # Safety
/// `data` and `len` are NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn surreal_get_last_error_details(
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    let Some(last) = error::last_error() else {
        // SAFETY: forwarded from the caller.
        return match unsafe { BufferOut::new(data, len) } {
            Ok(_) => SURREAL_OK,
            Err(_) => SURREAL_ERR_INVALID_ARGUMENT,
        };
    };
    let encoded = std::panic::catch_unwind(|| cbor::encode(&last.structured()));
    // SAFETY: forwarded from the caller.
    let Ok(out) = (unsafe { BufferOut::new(data, len) }) else {
        return SURREAL_ERR_INVALID_ARGUMENT;
    };
    match encoded {
        Ok(Ok(bytes)) => {
            out.set(bytes);
            SURREAL_OK
        }
        _ => SURREAL_ERR_INTERNAL,
    }
}

/// Sends SurrealDB's log events at `minimum` (SURREAL_LOG_ERROR ...
/// SURREAL_LOG_TRACE) and more severe to `handler`, as SurrealLogHandler
/// describes, replacing the handler installed before; a NULL `handler`
/// removes it, and nothing is delivered (nor printed) without one. Once
/// this returns, the handler replaced is no longer called, so its context
/// may be freed. Callable from any thread, at any time. No global `tracing`
/// subscriber is installed: a host's own keeps working for its threads.
/// SURREAL_ERR_INVALID_ARGUMENT for a level out of range.
#[no_mangle]
pub extern "C" fn surreal_set_log_handler(
    minimum: i32,
    handler: SurrealLogHandler,
    context: *mut c_void,
) -> i32 {
    boundary(|| {
        if crate::log::set_handler(minimum, handler, context) {
            Ok(())
        } else {
            Err(FfiError::invalid_argument(format!(
                "minimum: {minimum} is not a level (SURREAL_LOG_ERROR 1 to SURREAL_LOG_TRACE 5)"
            )))
        }
    })
}

/// The calling thread's last status code: SURREAL_OK if the last call succeeded.
#[no_mangle]
pub extern "C" fn surreal_get_last_error_code() -> i32 {
    error::last_error().map_or(SURREAL_OK, |error| error.code)
}
