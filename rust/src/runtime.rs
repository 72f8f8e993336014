//! The one Tokio runtime every handle shares.
//!
//! C callers are plain threads, so each entry point enters the runtime with
//! `block_on` from the calling thread. The futures then run on that thread
//! while the runtime's worker threads drive the datastore's background tasks.
//! `block_on` from any number of threads at once is supported by Tokio; what
//! must never happen is `block_on` from inside the runtime, which only our own
//! code could do and does not.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

use crate::error::{FfiError, FfiResult};

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn runtime() -> FfiResult<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .thread_name("surrealcpp-runtime")
                // The engine's log events go to the application's handler
                // (src/log.rs), never to a global subscriber.
                .on_thread_start(crate::log::install_on_this_thread)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))
        })
        .as_ref()
        .map_err(|message| FfiError::internal(message.clone()))
}

/// Runs `future` to completion on the shared runtime, from the calling thread.
pub fn block_on<F: Future>(future: F) -> FfiResult<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(FfiError::internal(
            "surrealcpp was called from inside its own async runtime",
        ));
    }
    let runtime = runtime()?;
    if crate::log::active() {
        // The engine runs on this thread too: its events go to the handler.
        return Ok(tracing::dispatcher::with_default(
            crate::log::dispatch(),
            || runtime.block_on(future),
        ));
    }
    Ok(runtime.block_on(future))
}

/// Starts `future` on the shared runtime and returns at once.
pub fn spawn<F>(future: F) -> FfiResult<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(runtime()?.spawn(future));
    Ok(())
}
