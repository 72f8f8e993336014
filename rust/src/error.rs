//! Status codes, the thread-local last error, and the panic boundary.
//!
//! Every exported function runs its body through [`boundary`] (or
//! [`boundary_ptr`]): a panic becomes `SURREAL_ERR_PANIC`, an [`FfiError`]
//! becomes its status code, and in both cases the message is kept for the
//! calling thread to read with `surreal_get_last_error`, and, when the error
//! came from SurrealDB, its kind, details and cause with
//! `surreal_get_last_error_details`.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use surrealdb::types::{Object, SurrealValue, Value};

/// The call succeeded.
pub const SURREAL_OK: i32 = 0;
/// An argument was NULL, not valid UTF-8, not valid JSON, or otherwise unusable.
pub const SURREAL_ERR_INVALID_ARGUMENT: i32 = -1;
/// The datastore could not be opened, is not connected, or was closed.
pub const SURREAL_ERR_CONNECTION: i32 = -2;
/// SurrealDB rejected the query or one of the record operations.
pub const SURREAL_ERR_QUERY: i32 = -3;
/// SurrealDB refused the operation for lack of permission or credentials.
pub const SURREAL_ERR_AUTHENTICATION: i32 = -4;
/// An unexpected failure inside the library.
pub const SURREAL_ERR_INTERNAL: i32 = -5;
/// A panic was caught at the C boundary; the handle it happened on may be unusable.
pub const SURREAL_ERR_PANIC: i32 = -6;
/// The operation was stopped through its SurrealCancel token.
pub const SURREAL_ERR_CANCELLED: i32 = -7;
/// A transaction lost a conflict with another one and changed nothing: the
/// caller may run it again.
pub const SURREAL_ERR_TRANSACTION_CONFLICT: i32 = -9;

/// An error on its way to the C caller: a status code, a message, and the
/// SurrealDB error it stands for, if any (its kind, details and cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    pub code: i32,
    pub message: String,
    pub source: Option<Box<surrealdb::Error>>,
}

impl FfiError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            source: None,
        }
    }

    /// The error for SurrealDB's `error`, with the status code that fits it:
    /// the message is SurrealDB's, and the error itself goes with it.
    pub fn from_surreal(code: i32, error: surrealdb::Error) -> Self {
        Self {
            code,
            message: error.message().to_owned(),
            source: Some(Box::new(error)),
        }
    }

    /// The error as the C caller reads it in structured form (CBOR): the
    /// SurrealDB error as its RPC protocol carries it (`code`, `message`,
    /// `kind`, and `details` and `cause` where it has them), or, for an
    /// error of the library's own, `kind` and `message` alone, the kind
    /// following the status code.
    pub fn structured(&self) -> Value {
        match &self.source {
            Some(error) => error.as_ref().clone().into_value(),
            None => {
                let mut object = Object::new();
                object.insert(
                    "kind".to_owned(),
                    Value::String(kind_of_status(self.code).to_owned()),
                );
                object.insert("message".to_owned(), Value::String(self.message.clone()));
                Value::Object(object)
            }
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(SURREAL_ERR_INVALID_ARGUMENT, message)
    }

    pub fn connection(message: impl Into<String>) -> Self {
        Self::new(SURREAL_ERR_CONNECTION, message)
    }

    pub fn query(message: impl Into<String>) -> Self {
        Self::new(SURREAL_ERR_QUERY, message)
    }

    pub fn cancelled() -> Self {
        Self::new(SURREAL_ERR_CANCELLED, "the operation was cancelled")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(SURREAL_ERR_INTERNAL, message)
    }
}

pub type FfiResult<T> = Result<T, FfiError>;

/// SurrealDB's error kind for an error of the library's own, by its status
/// code: what SurrealDB would have called it.
fn kind_of_status(code: i32) -> &'static str {
    match code {
        SURREAL_ERR_INVALID_ARGUMENT => "Validation",
        SURREAL_ERR_CONNECTION => "Connection",
        SURREAL_ERR_QUERY | SURREAL_ERR_CANCELLED | SURREAL_ERR_TRANSACTION_CONFLICT => "Query",
        SURREAL_ERR_AUTHENTICATION => "NotAllowed",
        _ => "Internal",
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<FfiError>> = const { RefCell::new(None) };
}

pub fn set_last_error(error: FfiError) {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(error));
}

pub fn clear_last_error() {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = None);
}

/// The calling thread's last error, if the last call failed.
pub fn last_error() -> Option<FfiError> {
    LAST_ERROR.with(|slot| slot.borrow().clone())
}

/// The error a caught panic becomes.
pub fn from_panic(payload: &(dyn Any + Send)) -> FfiError {
    FfiError::new(SURREAL_ERR_PANIC, panic_message(payload))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        format!("panic in surrealcpp: {text}")
    } else if let Some(text) = payload.downcast_ref::<String>() {
        format!("panic in surrealcpp: {text}")
    } else {
        "panic in surrealcpp".to_owned()
    }
}

fn run<T>(body: impl FnOnce() -> FfiResult<T>) -> FfiResult<T> {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(from_panic(&*payload)),
    }
}

/// Runs `body` for a function that returns a status code.
pub fn boundary(body: impl FnOnce() -> FfiResult<()>) -> i32 {
    boundary_int(|| body().map(|()| SURREAL_OK))
}

/// Runs `body` for a function that answers a non-negative number, or a
/// negative status code on error.
pub fn boundary_int(body: impl FnOnce() -> FfiResult<i32>) -> i32 {
    match run(body) {
        Ok(value) => value,
        Err(error) => {
            let code = error.code;
            set_last_error(error);
            code
        }
    }
}

/// Runs `body` for a function that returns an owned pointer; NULL on error.
pub fn boundary_ptr<T>(body: impl FnOnce() -> FfiResult<*mut T>) -> *mut T {
    match run(body) {
        Ok(pointer) => pointer,
        Err(error) => {
            set_last_error(error);
            ptr::null_mut()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_maps_errors_and_records_them() {
        let code = boundary(|| Err(FfiError::query("bad query")));
        assert_eq!(code, SURREAL_ERR_QUERY);
        assert_eq!(last_error(), Some(FfiError::query("bad query")));
    }

    #[test]
    fn success_clears_the_previous_error() {
        boundary(|| Err(FfiError::internal("earlier")));
        assert_eq!(boundary(|| Ok(())), SURREAL_OK);
        assert_eq!(last_error(), None);
    }

    #[test]
    fn panics_become_a_status_code() {
        let code = boundary(|| panic!("boom"));
        assert_eq!(code, SURREAL_ERR_PANIC);
        let error = last_error().expect("the panic is recorded");
        assert!(error.message.contains("boom"), "{}", error.message);

        let pointer: *mut u8 = boundary_ptr(|| panic!("{}", String::from("formatted")));
        assert!(pointer.is_null());
        assert!(last_error().unwrap().message.contains("formatted"));
    }

    #[test]
    fn last_error_is_per_thread() {
        boundary(|| Err(FfiError::connection("main thread")));
        std::thread::spawn(|| assert_eq!(last_error(), None))
            .join()
            .unwrap();
        assert_eq!(last_error().unwrap().code, SURREAL_ERR_CONNECTION);
    }
}
