//! Cancellation tokens: how a C caller stops an operation it started.
//!
//! A `SurrealCancel` is handed to a data operation (the `_cbor` functions);
//! triggering it, from any thread, makes the operation end with
//! `SURREAL_ERR_CANCELLED`. The operation's future is dropped at once, which
//! is what stops the work in the engine: SurrealDB's executor runs inside
//! that future, and a statement in progress is abandoned at its next await
//! point (see the README's section on cancellation for what that covers).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::error::{boundary, boundary_ptr, FfiError, FfiResult};

/// The object behind `SurrealCancel*`.
pub struct SurrealCancel(CancellationToken);

impl SurrealCancel {
    /// Runs `operation` until it finishes or the token is triggered,
    /// whichever comes first; in the second case `operation` is dropped
    /// with the returned future.
    pub fn guard<F>(token: Option<CancellationToken>, operation: F) -> Guarded<F> {
        Guarded {
            operation,
            cancelled: token.map(CancellationToken::cancelled_owned),
        }
    }

    pub fn token(&self) -> CancellationToken {
        self.0.clone()
    }
}

pin_project! {
    /// An operation that ends with `SURREAL_ERR_CANCELLED` once its token is
    /// triggered (SurrealCancel::guard). A struct rather than an `async`
    /// block: an `async` wrapper keeps the operation's future twice (as its
    /// argument and as what it awaits), and these futures are large and
    /// moved whole on their way to the runtime.
    pub struct Guarded<F> {
        #[pin]
        operation: F,
        #[pin]
        cancelled: Option<WaitForCancellationFutureOwned>,
    }
}

impl<T, F: Future<Output = FfiResult<T>>> Future for Guarded<F> {
    type Output = FfiResult<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The token first, as tokio-util's run_until_cancelled does.
        if let Some(cancelled) = this.cancelled.as_pin_mut() {
            if cancelled.poll(cx).is_ready() {
                return Poll::Ready(Err(FfiError::cancelled()));
            }
        }
        this.operation.poll(cx)
    }
}

/// A new, untriggered token, or NULL (out of memory is the only failure).
/// Free it with surreal_cancel_free once no operation given it is running.
#[no_mangle]
pub extern "C" fn surreal_cancel_new() -> *mut SurrealCancel {
    boundary_ptr(|| {
        Ok(Box::into_raw(Box::new(SurrealCancel(
            CancellationToken::new(),
        ))))
    })
}

/// Stops every operation given `cancel` (now or later). Any thread; does
/// nothing for NULL; triggering twice is the same as once.
///
/// # Safety
/// `cancel` is NULL or a live token.
#[no_mangle]
pub unsafe extern "C" fn surreal_cancel_trigger(cancel: *const SurrealCancel) {
    // Nothing here can fail; the boundary only guards against a panic.
    let _ = boundary(|| {
        // SAFETY: the caller passes NULL or a live token.
        if let Some(cancel) = unsafe { cancel.as_ref() } {
            cancel.0.cancel();
        }
        Ok(())
    });
}

/// Frees a token. Operations still running keep their own reference to it
/// and can no longer be cancelled. Does nothing for NULL.
///
/// # Safety
/// `cancel` is NULL or a token from surreal_cancel_new, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn surreal_cancel_free(cancel: *mut SurrealCancel) {
    if !cancel.is_null() {
        // SAFETY: the caller passes a token this library made, once.
        drop(unsafe { Box::from_raw(cancel) });
    }
}

/// The token behind a C argument, if any.
///
/// # Safety
/// `cancel` is NULL or a live token.
pub unsafe fn token_arg(cancel: *const SurrealCancel) -> Option<CancellationToken> {
    // SAFETY: forwarded from the caller.
    unsafe { cancel.as_ref() }.map(SurrealCancel::token)
}
