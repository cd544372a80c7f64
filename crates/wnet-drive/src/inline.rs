//! Running a request's future on the thread that received it until it first waits, and only
//! then on the runtime.
//!
//! A FUSE request handed to the runtime with `spawn` from the FUSE thread wakes a worker
//! thread to poll it, and that poll sends the request to the server: a thread wake-up
//! before the round trip even starts. [`start`] polls the future once on the calling thread
//! instead (inside the runtime's context, so timers and I/O register with it): a future that
//! needs no server is answered there and then, and one that sends a request has sent it
//! before the FUSE thread moves on. Only when whatever it waits for wakes it is it spawned,
//! from the waking thread — the runtime's worker that read the server's answer — so it
//! continues on that worker without another wake-up.
//!
//! Nothing changes for the future itself: it is polled until done exactly as a task would
//! be (its deadline is a timer like any other wake-up), and a future the first poll leaves
//! waiting behaves as if it had been spawned at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use tokio::runtime::Handle;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where a future polled inline waits for its first wake-up.
enum Slot {
    /// Being polled on the calling thread; `woken`: a wake-up came during that poll.
    Polling { woken: bool },
    /// Waiting: the first wake-up spawns it.
    Waiting(Task),
    /// Spawned (its later wake-ups are the task's own).
    Spawned,
}

/// The waker of the inline poll: spawns the future on the first wake-up.
struct FirstWake {
    rt: Handle,
    slot: Mutex<Slot>,
}

impl Wake for FirstWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut slot = self.slot.lock().expect("inline slot lock");
        match std::mem::replace(&mut *slot, Slot::Spawned) {
            Slot::Polling { .. } => *slot = Slot::Polling { woken: true },
            Slot::Waiting(task) => {
                drop(slot);
                self.rt.spawn(task);
            }
            Slot::Spawned => {}
        }
    }
}

/// Polls `fut` once on this thread, inside `rt`'s context; if it is not done, it goes on as a
/// task of `rt` from its first wake-up on. True when it finished here.
pub fn start(rt: &Handle, fut: impl Future<Output = ()> + Send + 'static) -> bool {
    let _entered = rt.enter();
    let mut task: Task = Box::pin(fut);
    let first = Arc::new(FirstWake {
        rt: rt.clone(),
        slot: Mutex::new(Slot::Polling { woken: false }),
    });
    let waker = Waker::from(first.clone());
    if let Poll::Ready(()) = task.as_mut().poll(&mut Context::from_waker(&waker)) {
        return true;
    }
    let mut slot = first.slot.lock().expect("inline slot lock");
    if let Slot::Polling { woken: true } = *slot {
        // Woken while it was being polled: it can go on at once.
        *slot = Slot::Spawned;
        drop(slot);
        rt.spawn(task);
    } else {
        *slot = Slot::Waiting(task);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::start;
    use std::time::Duration;

    #[test]
    fn a_future_that_waits_for_nothing_finishes_on_the_calling_thread() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let here = std::thread::current().id();
        let (tx, rx) = std::sync::mpsc::channel();
        assert!(start(rt.handle(), async move {
            tx.send(std::thread::current().id()).unwrap();
        }));
        assert_eq!(rx.recv().unwrap(), here);
    }

    #[test]
    fn a_future_that_waits_goes_on_as_a_task_when_woken() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let here = std::thread::current().id();
        // A channel answered later by a task, a timer, and a wake-up during the first poll.
        let (answer_tx, answer_rx) = tokio::sync::oneshot::channel::<u32>();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx2 = tx.clone();
        assert!(!start(rt.handle(), async move {
            let n = answer_rx.await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
            tx.send((n, std::thread::current().id())).unwrap();
        }));
        assert!(!start(rt.handle(), async move {
            tokio::task::yield_now().await;
            tx2.send((0, std::thread::current().id())).unwrap();
        }));
        rt.spawn(async move { answer_tx.send(7).unwrap() });
        let mut got = [
            rx.recv_timeout(Duration::from_secs(60)).unwrap(),
            rx.recv_timeout(Duration::from_secs(60)).unwrap(),
        ];
        got.sort_by_key(|g| g.0);
        assert_eq!(got.map(|g| g.0), [0, 7]);
        assert!(got.iter().all(|g| g.1 != here), "finished on the runtime");
    }

    #[test]
    fn a_future_woken_by_a_dropped_sender_runs_to_its_end() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (dropped_tx, dropped_rx) = std::sync::mpsc::channel::<()>();
        assert!(!start(rt.handle(), async move {
            let _dropped = dropped_tx;
            let _ = rx.await;
        }));
        // The sender's drop wakes the receiver: the task runs and ends.
        drop(tx);
        assert_eq!(
            dropped_rx.recv_timeout(Duration::from_secs(60)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
    }
}
