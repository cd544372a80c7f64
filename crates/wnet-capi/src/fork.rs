//! `fork()` safety: a child must never find one of the library's locks held by a thread it
//! does not have (it would wait forever), nor use its parent's connections to the daemon.
//!
//! A `pthread_atfork` handler, registered at the first call that talks to the daemon, takes
//! the pool's and the enumeration table's locks before `fork` (so no other thread is inside
//! them at the moment of the fork) and releases them after it in both processes; the child
//! then empties both: its parent's connections and enumerations are not its own (a child
//! using them would interleave frames with its parent on one socket). The per-enumeration
//! locks are never needed in the child: its table no longer names them.

use std::cell::RefCell;
use std::sync::{MutexGuard, Once};

use crate::daemon::{self, Idle};
use crate::enumerate::{self, Table};

/// The pool's and the table's locks, held across a `fork`.
type Held = (MutexGuard<'static, Vec<Idle>>, MutexGuard<'static, Table>);

thread_local! {
    /// The locks taken by `prepare`, in the forking thread, until `parent`/`child`.
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Registers the handlers once per process.
pub fn prepare_once() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: the handlers are `extern "C"` functions that live as long as the library.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}

extern "C" fn prepare() {
    // Always in this order, and never while holding either lock elsewhere: no deadlock.
    let pool = daemon::idle();
    let table = enumerate::table();
    let _ = HELD.try_with(|h| *h.borrow_mut() = Some((pool, table)));
}

extern "C" fn parent() {
    let _ = HELD.try_with(|h| h.borrow_mut().take());
}

extern "C" fn child() {
    let held = HELD.try_with(|h| h.borrow_mut().take()).ok().flatten();
    if let Some((mut pool, mut table)) = held {
        // Dropping closes only the child's copies of the descriptors.
        pool.clear();
        table.forget_all();
    }
}
