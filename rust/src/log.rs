//! SurrealDB's `tracing` events, delivered to a handler the C caller installs
//! (`surreal_set_log_handler`), with its minimum level.
//!
//! The library never installs a global subscriber: a host that has its own
//! keeps it. Instead [`dispatch`] is the default dispatcher of the threads
//! the library runs the engine on: the runtime's threads (set as each one
//! starts) and, while a handler is installed, a caller's thread for the time
//! it runs a call (see [`runtime::block_on`](crate::runtime::block_on)).
//! With no handler, the subscriber is disabled for every event, so nothing
//! is formatted or printed.

use std::cell::Cell;
use std::ffi::c_void;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// A level: SURREAL_LOG_ERROR (1, the most severe) to SURREAL_LOG_TRACE (5).
pub const SURREAL_LOG_ERROR: i32 = 1;
pub const SURREAL_LOG_WARN: i32 = 2;
pub const SURREAL_LOG_INFO: i32 = 3;
pub const SURREAL_LOG_DEBUG: i32 = 4;
pub const SURREAL_LOG_TRACE: i32 = 5;

/// Receives one engine event: its level (SURREAL_LOG_*), its target (the
/// module that emitted it, e.g. "surrealdb::core::kvs::ds") and its message,
/// with the event's other fields after it as ` name=value`. Both strings are
/// UTF-8, not NUL-terminated, and valid during the call only. It runs on the
/// thread that emitted the event, possibly several threads at once; it must
/// return quickly, must not unwind, and must not call
/// surreal_set_log_handler. Events emitted while it runs, on its thread,
/// are dropped.
pub type SurrealLogHandler = Option<
    unsafe extern "C" fn(
        context: *mut c_void,
        level: i32,
        target: *const u8,
        target_len: usize,
        message: *const u8,
        message_len: usize,
    ),
>;

/// The installed handler and its context.
struct Handler {
    call: unsafe extern "C" fn(*mut c_void, i32, *const u8, usize, *const u8, usize),
    context: *mut c_void,
}

// SAFETY: the context is only handed back to the caller's handler, which is
// documented to be called from any thread.
unsafe impl Send for Handler {}
unsafe impl Sync for Handler {}

/// The handler, read while an event is delivered: replacing it waits for
/// the deliveries in flight, so the old one is never called afterwards.
static HANDLER: RwLock<Option<Handler>> = RwLock::new(None);
/// The minimum level (SURREAL_LOG_*), 0 when no handler is installed.
static LEVEL: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// This thread is inside the handler: what it emits is dropped.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
}

fn level_number(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Installs `handler` for events at `minimum` and more severe, replacing
/// the one before; NULL removes it. Once this returns, the handler replaced
/// is no longer called.
pub fn set_handler(minimum: i32, handler: SurrealLogHandler, context: *mut c_void) -> bool {
    if handler.is_some() && !(SURREAL_LOG_ERROR..=SURREAL_LOG_TRACE).contains(&minimum) {
        return false;
    }
    {
        let mut slot = HANDLER
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = handler.map(|call| Handler { call, context });
        let level = if slot.is_some() { minimum as u8 } else { 0 };
        LEVEL.store(level, Ordering::Release);
    }
    // Callsites cache whether an event can be enabled, and tracing keeps
    // the most verbose level any dispatcher wants (max_level_hint). With a
    // single dispatcher registered, tracing asks the calling thread's
    // default for it: make that ours for the rebuild, or a thread without
    // it (the application's) would set the level to OFF.
    tracing::dispatcher::with_default(dispatch(), tracing::callsite::rebuild_interest_cache);
    true
}

/// Whether a handler is installed.
pub fn active() -> bool {
    LEVEL.load(Ordering::Acquire) != 0
}

/// The dispatcher of the library's threads.
pub fn dispatch() -> &'static Dispatch {
    static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
    DISPATCH.get_or_init(|| Dispatch::new(EngineLog))
}

/// Makes [`dispatch`] the default of the calling thread for good: for the
/// runtime's threads, as each starts.
pub fn install_on_this_thread() {
    std::mem::forget(tracing::dispatcher::set_default(dispatch()));
}

struct EngineLog;

impl Subscriber for EngineLog {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level changes at run time: ask enabled() each time.
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match LEVEL.load(Ordering::Acquire) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && level_number(metadata.level()) <= LEVEL.load(Ordering::Acquire)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Spans are never enabled; an id is still owed to whoever asks.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if DELIVERING.with(Cell::get) {
            return;
        }
        let handler = HANDLER
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(handler) = handler.as_ref() else {
            return;
        };
        let mut text = Text::default();
        event.record(&mut text);
        let metadata = event.metadata();
        let target = metadata.target();
        DELIVERING.with(|delivering| delivering.set(true));
        // SAFETY: the caller installed this handler and context; the strings
        // outlive the call.
        unsafe {
            (handler.call)(
                handler.context,
                i32::from(level_number(metadata.level())),
                target.as_ptr(),
                target.len(),
                text.0.as_ptr(),
                text.0.len(),
            );
        }
        DELIVERING.with(|delivering| delivering.set(false));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// An event's message, then its other fields as ` name=value`.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<(i32, String, String)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn collect(
        _: *mut c_void,
        level: i32,
        target: *const u8,
        target_len: usize,
        message: *const u8,
        message_len: usize,
    ) {
        // SAFETY: valid during the call, as documented.
        let (target, message) = unsafe {
            (
                std::slice::from_raw_parts(target, target_len),
                std::slice::from_raw_parts(message, message_len),
            )
        };
        SEEN.lock().unwrap().push((
            level,
            String::from_utf8_lossy(target).into_owned(),
            String::from_utf8_lossy(message).into_owned(),
        ));
    }

    /// One test for the handler's whole life: it is process-wide state.
    #[test]
    fn delivers_events_at_its_level_and_leaves_a_hosts_subscriber_alone() {
        // A host's own subscriber, as the default of this thread.
        let host_events = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        struct Host(std::sync::Arc<std::sync::atomic::AtomicUsize>);
        impl Subscriber for Host {
            fn enabled(&self, _: &Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &Attributes<'_>) -> Id {
                Id::from_u64(1)
            }
            fn record(&self, _: &Id, _: &Record<'_>) {}
            fn record_follows_from(&self, _: &Id, _: &Id) {}
            fn event(&self, _: &Event<'_>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            fn enter(&self, _: &Id) {}
            fn exit(&self, _: &Id) {}
        }
        let host = Dispatch::new(Host(host_events.clone()));
        let _host = tracing::dispatcher::set_default(&host);

        assert!(set_handler(
            SURREAL_LOG_INFO,
            Some(collect),
            std::ptr::null_mut()
        ));
        tracing::dispatcher::with_default(dispatch(), || {
            tracing::info!(target: "surrealdb::test", answer = 42, "hello {}", "there");
            tracing::debug!(target: "surrealdb::test", "below the level");
        });
        // The host's thread default still gets what is emitted outside.
        tracing::info!(target: "host", "the host's own");
        assert_eq!(host_events.load(Ordering::SeqCst), 1);
        {
            let seen = SEEN.lock().unwrap();
            assert_eq!(seen.len(), 1, "{seen:?}");
            assert_eq!(seen[0].0, SURREAL_LOG_INFO);
            assert_eq!(seen[0].1, "surrealdb::test");
            assert_eq!(seen[0].2, "hello there answer=42");
        }

        // Less verbose, then more again: the level follows each change.
        assert!(set_handler(
            SURREAL_LOG_WARN,
            Some(collect),
            std::ptr::null_mut()
        ));
        tracing::dispatcher::with_default(dispatch(), || {
            tracing::info!(target: "surrealdb::test", "below warn");
        });
        assert!(set_handler(
            SURREAL_LOG_INFO,
            Some(collect),
            std::ptr::null_mut()
        ));
        tracing::dispatcher::with_default(dispatch(), || {
            tracing::info!(target: "surrealdb::test", "at info again");
        });
        {
            let seen = SEEN.lock().unwrap();
            assert_eq!(seen.len(), 2, "{seen:?}");
            assert_eq!(seen[1].2, "at info again");
        }

        // Removed: nothing more is delivered.
        assert!(set_handler(0, None, std::ptr::null_mut()));
        tracing::dispatcher::with_default(dispatch(), || {
            tracing::error!(target: "surrealdb::test", "after removal");
        });
        assert_eq!(SEEN.lock().unwrap().len(), 2);
        // A level out of range is refused.
        assert!(!set_handler(9, Some(collect), std::ptr::null_mut()));
        assert!(!active());
    }
}
