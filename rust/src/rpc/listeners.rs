//! The listeners of a connection's state: C callbacks, called in order, one
//! change at a time, on the driver's thread.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::State;

/// Receives each change of a connection's state (a [`State`] as an int). It
/// runs on a library thread, must return quickly, and must not unwind.
pub type SurrealStateListener = Option<unsafe extern "C" fn(context: *mut c_void, state: i32)>;

struct Slot {
    callback: unsafe extern "C" fn(*mut c_void, i32),
    context: *mut c_void,
    removed: AtomicBool,
    /// Held while the callback runs, so that removing waits for a delivery
    /// in flight.
    delivering: Mutex<()>,
}

// SAFETY: the context is the caller's, who promises (in the C ABI's
// contract) that it may be used from the library's threads until the
// listener is removed.
unsafe impl Send for Slot {}
unsafe impl Sync for Slot {}

thread_local! {
    /// The slot whose callback this thread is running, so that a listener
    /// may remove itself without waiting for itself.
    static DELIVERING: Cell<usize> = const { Cell::new(0) };
}

#[derive(Default)]
pub struct Listeners {
    slots: Mutex<Vec<(u64, Arc<Slot>)>>,
    next: AtomicU64,
}

impl Listeners {
    /// Adds a listener; answers its key for [`Listeners::remove`], or None
    /// without a callback.
    pub fn add(&self, callback: SurrealStateListener, context: *mut c_void) -> Option<u64> {
        let callback = callback?;
        let key = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let slot = Arc::new(Slot {
            callback,
            context,
            removed: AtomicBool::new(false),
            delivering: Mutex::new(()),
        });
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((key, slot));
        Some(key)
    }

    /// Removes a listener: once this returns, its callback is not running
    /// and never runs again (but when called from that callback itself).
    pub fn remove(&self, key: u64) -> bool {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            let Some(index) = slots.iter().position(|(k, _)| *k == key) else {
                return false;
            };
            slots.remove(index).1
        };
        slot.removed.store(true, Ordering::SeqCst);
        if DELIVERING.get() != Arc::as_ptr(&slot) as usize {
            drop(slot.delivering.lock().unwrap_or_else(|e| e.into_inner()));
        }
        true
    }

    /// Tells every listener of `state`.
    pub fn notify(&self, state: State) {
        let slots: Vec<Arc<Slot>> = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(_, slot)| Arc::clone(slot))
            .collect();
        for slot in slots {
            let _delivering = slot.delivering.lock().unwrap_or_else(|e| e.into_inner());
            if slot.removed.load(Ordering::SeqCst) {
                continue;
            }
            let previous = DELIVERING.replace(Arc::as_ptr(&slot) as usize);
            // SAFETY: a C function pointer and its context, as added.
            unsafe { (slot.callback)(slot.context, state as i32) };
            DELIVERING.set(previous);
        }
    }
}
