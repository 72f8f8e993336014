//! Live queries: the datastore's notifications, routed to the C callbacks
//! that subscribed to them.
//!
//! The datastore sends the notifications of every live query down one
//! channel (set up in `Engine::open`). One task per datastore, the pump,
//! reads that channel and hands each notification to the subscriber of its
//! live query, in the order the datastore sent them: the order in which
//! their transactions committed (a transaction's notifications are sent
//! when it commits, and never if it is cancelled).
//!
//! The SDK has its own pump, but its notifications drop the record id, and
//! its streams are unbounded; this one keeps every field and leaves
//! buffering to the subscriber (the C++ `LiveQuery` bounds it).
//!
//! Over a server there is no datastore channel: the server sends each
//! connection the notifications of its live queries, and the SDK routes them
//! to one stream per live query. [`forward`] feeds such a stream to the
//! hub. The server's notifications carry no record id: [`forward`] takes it
//! from the data's `id` field (it has none for a DIFF live query).
//!
//! Each subscriber ends exactly once, with a last call whose notification is
//! NULL: when its live query is killed (by its owner, by a `KILL` statement,
//! or by the engine), when the session that made it closes, or when the
//! datastore does. After that call its callback is never called again.

use std::collections::HashMap;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use surrealdb::types::{Action, Notification, Number, Value};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::cbor;

/// Receives a live query's notifications, one call at a time, in order, on
/// a thread of the library's runtime: `notification` is a CBOR array
/// `[action, record, data, id]`: action 0 create, 1 update, 2 delete, 3
/// killed (the engine ended the live query; record and data are NONE) or 4
/// error (data is the message); id is the live query's. The last call has `notification` NULL and `len`
/// 0: the live query has ended, and `context` is no longer used. It must
/// return quickly and must not unwind.
pub type SurrealNotify =
    Option<unsafe extern "C" fn(context: *mut c_void, notification: *const u8, len: usize)>;

/// The action codes of a notification, as [`SurrealNotify`] documents them.
fn action_code(action: Action) -> i64 {
    match action {
        Action::Create => 0,
        Action::Update => 1,
        Action::Delete => 2,
        Action::Killed => 3,
        Action::Error => 4,
    }
}

/// A C callback and its context. Dropping it sends the end.
pub struct Sink {
    notify: unsafe extern "C" fn(*mut c_void, *const u8, usize),
    context: *mut c_void,
}

// SAFETY: the context is only handed back to the caller's callback, which is
// documented to run on the runtime's threads, one call at a time (the
// subscriber's mutex serialises them).
unsafe impl Send for Sink {}

impl Sink {
    /// None when the callback is NULL.
    pub fn new(notify: SurrealNotify, context: *mut c_void) -> Option<Self> {
        notify.map(|notify| Self { notify, context })
    }

    fn send(&self, bytes: &[u8]) {
        // SAFETY: the caller supplied this callback and context for the live query.
        unsafe { (self.notify)(self.context, bytes.as_ptr(), bytes.len()) }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // SAFETY: as in `send`; this is the last call.
        unsafe { (self.notify)(self.context, std::ptr::null(), 0) }
    }
}

/// One live query's subscriber: its sink until it ends.
struct Subscriber {
    /// The session that made it (see [`LiveHub::end_session`]).
    session: u64,
    sink: Mutex<Option<Sink>>,
    /// Cancelled when it ends: stops its [`forward`] task, if it has one.
    ended: CancellationToken,
}

impl Subscriber {
    fn sink(&self) -> MutexGuard<'_, Option<Sink>> {
        self.sink.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends the end, after any delivery in progress.
    fn end(&self) {
        drop(self.sink().take());
        self.ended.cancel();
    }
}

/// The subscribers of one datastore's live queries, by live query id.
#[derive(Default)]
pub struct LiveHub {
    subscribers: Mutex<HashMap<Uuid, Arc<Subscriber>>>,
}

impl LiveHub {
    fn map(&self) -> MutexGuard<'_, HashMap<Uuid, Arc<Subscriber>>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Routes the notifications of live query `id` to `sink` from now on.
    /// Answers a token cancelled when the subscriber ends.
    pub fn subscribe(&self, id: Uuid, session: u64, sink: Sink) -> CancellationToken {
        let subscriber = Arc::new(Subscriber {
            session,
            sink: Mutex::new(Some(sink)),
            ended: CancellationToken::new(),
        });
        let ended = subscriber.ended.clone();
        if let Some(previous) = self.map().insert(id, subscriber) {
            previous.end(); // ids are random: only a reused id gets here
        }
        ended
    }

    /// Hands one notification to its subscriber, if it has one; a killed
    /// notification is its last. Never panics: a panic would stop the pump.
    pub fn deliver(&self, notification: Notification) {
        let delivered = catch_unwind(AssertUnwindSafe(|| {
            let id = notification.id.into_inner();
            let killed = matches!(notification.action, Action::Killed);
            let subscriber = if killed {
                self.map().remove(&id)
            } else {
                self.map().get(&id).cloned()
            };
            let Some(subscriber) = subscriber else {
                return; // killed by its owner already, or never ours
            };
            let mut sink = subscriber.sink();
            if let Some(live) = sink.as_ref() {
                let item = Value::Array(
                    vec![
                        Value::Number(Number::Int(action_code(notification.action))),
                        notification.record,
                        notification.result,
                        Value::Uuid(notification.id),
                    ]
                    .into(),
                );
                match cbor::encode(&item) {
                    Ok(bytes) => live.send(&bytes),
                    // Nested deeper than the codec takes: the subscriber
                    // cannot be given it, so it ends rather than skip it.
                    Err(_) => drop(sink.take()),
                }
            }
            if killed {
                drop(sink.take());
                subscriber.ended.cancel();
            }
        }));
        drop(delivered); // nothing more to do about a panic than to go on
    }

    /// Ends the subscriber of `id` if `session` made it: false if not (or if
    /// it ended already).
    pub fn end_owned(&self, id: Uuid, session: u64) -> bool {
        let subscriber = {
            let mut map = self.map();
            match map.get(&id) {
                Some(subscriber) if subscriber.session == session => map.remove(&id),
                _ => None,
            }
        };
        subscriber.map(|subscriber| subscriber.end()).is_some()
    }

    /// Ends every subscriber of `session`, returning their ids.
    pub fn end_session(&self, session: u64) -> Vec<Uuid> {
        let ended: Vec<(Uuid, Arc<Subscriber>)> = {
            let mut map = self.map();
            let ids: Vec<Uuid> = map
                .iter()
                .filter(|(_, subscriber)| subscriber.session == session)
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| map.remove(&id).map(|subscriber| (id, subscriber)))
                .collect()
        };
        ended
            .into_iter()
            .map(|(id, subscriber)| {
                subscriber.end();
                id
            })
            .collect()
    }

    /// Ends every subscriber.
    pub fn end_all(&self) {
        let ended: Vec<Arc<Subscriber>> = self.map().drain().map(|(_, s)| s).collect();
        for subscriber in ended {
            subscriber.end();
        }
    }
}

/// Runs the pump: delivers what the datastore sends until its channel
/// closes, then ends every subscriber left.
pub async fn pump(hub: Arc<LiveHub>, notifications: async_channel::Receiver<Notification>) {
    while let Ok(notification) = notifications.recv().await {
        hub.deliver(notification);
    }
    hub.end_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts calls: [0] notifications, [1] ends.
    static CALLS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

    unsafe extern "C" fn count(_context: *mut c_void, notification: *const u8, _len: usize) {
        let slot = usize::from(notification.is_null());
        CALLS[slot].fetch_add(1, Ordering::SeqCst);
    }

    fn notification(id: Uuid, action: Action) -> Notification {
        Notification::new(id.into(), None, action, Value::None, Value::None)
    }

    #[test]
    fn each_subscriber_ends_once_and_hears_nothing_after() {
        let hub = LiveHub::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let sink = || Sink::new(Some(count), std::ptr::null_mut()).unwrap();
        hub.subscribe(a, 1, sink());
        hub.subscribe(b, 2, sink());
        hub.deliver(notification(a, Action::Create));
        hub.deliver(notification(Uuid::new_v4(), Action::Create)); // nobody's
        assert_eq!(CALLS[0].load(Ordering::SeqCst), 1);
        // A killed notification is delivered, then ends it.
        hub.deliver(notification(a, Action::Killed));
        assert_eq!(CALLS[0].load(Ordering::SeqCst), 2);
        assert_eq!(CALLS[1].load(Ordering::SeqCst), 1);
        hub.deliver(notification(a, Action::Update));
        assert!(!hub.end_owned(a, 1), "ended already");
        assert!(!hub.end_owned(b, 1), "session 1 did not make it");
        assert_eq!(hub.end_session(2), vec![b]);
        assert_eq!(CALLS[1].load(Ordering::SeqCst), 2);
        hub.deliver(notification(b, Action::Update));
        hub.end_all();
        assert_eq!(CALLS[0].load(Ordering::SeqCst), 2);
        assert_eq!(CALLS[1].load(Ordering::SeqCst), 2);
    }
}
