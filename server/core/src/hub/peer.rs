//! One connection as the hub sees it: a bounded outgoing queue, a way to close it, keep-alive.

use futures_util::task::AtomicWaker;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};
use tokio::time::Instant;

use super::close::CloseCause;

/// A serialized message on its way to sockets, and when the event happened (push latency).
/// Shared: a fan-out queues one pointer per socket. Keeping the queue slot one pointer wide
/// matters because tokio's bounded channel allocates its slots in blocks of 32 up front, for
/// every connection (48-byte slots cost 1.6 KiB per connection, 8-byte slots 0.3 KiB).
#[derive(Debug, Clone)]
pub struct Outgoing(Arc<Frame>);

#[derive(Debug)]
pub struct Frame {
    pub text: Box<str>,
    pub created: Instant,
}

impl Outgoing {
    pub fn new(text: Box<str>, created: Instant) -> Self {
        Outgoing(Arc::new(Frame { text, created }))
    }
}

impl std::ops::Deref for Outgoing {
    type Target = Frame;
    fn deref(&self) -> &Frame {
        &self.0
    }
}

/// What the hub and one connection task share: the bounded outgoing queue, a close request,
/// a ping request and when the client was last heard from. One small allocation per
/// connection: a tokio bounded channel costs about 0.8 KiB each (cache-padded state and a block
/// of 32 slots allocated up front), which at 19,000 sockets is 15 MiB for queues that are empty
/// nearly all the time. The connection's task registers its waker here instead of waiting on a
/// `Notify`, which would add a waiter node to the task's future.
#[derive(Debug)]
pub struct ConnControl {
    queue: Mutex<VecDeque<Outgoing>>,
    /// The queue's bound. 32 bits: with the two one-byte flags it fills one word, and the
    /// allocation (with the `Arc`'s counts) is 96 bytes instead of 104, which the allocator
    /// rounds to 112 (issue 28).
    capacity: u32,
    /// Woken when a message is queued, a ping is due or a close is requested.
    waker: AtomicWaker,
    /// 0 while open; else the [`CloseCause`] asked for (the first request wins).
    cause: AtomicU8,
    ping_due: AtomicBool,
    /// [`clock_ms`] when the client last sent anything (a pong counts).
    last_heard_ms: AtomicU64,
}

/// What a connection task does next.
#[derive(Debug)]
pub enum ConnEvent {
    Send(Outgoing),
    Ping,
    Close(CloseCause),
}

/// Milliseconds on a monotonic clock shared by the hub and its connections (tokio's, so tests
/// that pause time see it paused).
pub fn clock_ms() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    Instant::now().saturating_duration_since(base).as_millis() as u64
}

impl ConnControl {
    pub fn new(capacity: usize) -> Self {
        ConnControl {
            queue: Mutex::new(VecDeque::new()),
            capacity: u32::try_from(capacity).unwrap_or(u32::MAX),
            waker: AtomicWaker::new(),
            cause: AtomicU8::new(0),
            ping_due: AtomicBool::new(false),
            last_heard_ms: AtomicU64::new(clock_ms()),
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Outgoing>> {
        // A panic while holding this lock cannot leave the queue half-changed.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first requested code wins; returns true for that first request.
    pub fn close(&self, cause: CloseCause) -> bool {
        let first = self
            .cause
            .compare_exchange(0, cause.to_byte(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first {
            self.waker.wake();
        }
        first
    }

    /// The close asked for, if any.
    pub fn close_requested(&self) -> Option<CloseCause> {
        CloseCause::from_byte(self.cause.load(Ordering::Acquire))
    }

    /// Asks the connection to send a ping (keep-alive).
    pub fn request_ping(&self) {
        if !self.ping_due.swap(true, Ordering::AcqRel) {
            self.waker.wake();
        }
    }

    /// The client sent something just now.
    pub fn heard(&self) {
        self.last_heard_ms.store(clock_ms(), Ordering::Relaxed);
    }

    /// How long (ms) the client has been silent at `now_ms` ([`clock_ms`]).
    pub fn silent_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_heard_ms.load(Ordering::Relaxed))
    }

    /// The next event, or `Pending` with the task's waker registered. A close request comes
    /// before anything queued; a message is taken off the queue only when returned.
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<ConnEvent> {
        if let Some(event) = self.try_next() {
            return Poll::Ready(event);
        }
        // Register first, then look again: an event queued in between is not missed.
        self.waker.register(cx.waker());
        match self.try_next() {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// The next event if one is ready.
    pub fn try_next(&self) -> Option<ConnEvent> {
        if let Some(cause) = self.close_requested() {
            return Some(ConnEvent::Close(cause));
        }
        if self.ping_due.swap(false, Ordering::AcqRel) {
            return Some(ConnEvent::Ping);
        }
        let mut queue = self.queue();
        let next = queue.pop_front();
        // An idle connection keeps no slots: not those of a burst, and not the four the first
        // message (the greeting) made room for, 32 bytes of every socket (issue 28, heaptrack).
        // Pushes to a socket are rare next to its life; one allocation each costs less.
        if queue.is_empty() && queue.capacity() > 0 {
            queue.shrink_to_fit();
        }
        next.map(ConnEvent::Send)
    }

    /// Messages waiting to be written.
    pub fn queued(&self) -> usize {
        self.queue().len()
    }

    /// The connection is gone: refuse further messages and free the waiting ones.
    pub fn finish(&self) {
        self.close(CloseCause::Normal);
        self.queue().clear();
    }

    /// Queues without waiting; a full queue closes the connection instead of growing.
    pub fn push(&self, msg: &Outgoing) -> Result<(), QueueError> {
        if self.close_requested().is_some() {
            return Err(QueueError::Closed);
        }
        let mut queue = self.queue();
        if queue.len() >= self.capacity as usize {
            drop(queue);
            return if self.close(CloseCause::SlowConsumer) {
                Err(QueueError::SlowConsumer)
            } else {
                Err(QueueError::Closed)
            };
        }
        queue.push_back(msg.clone());
        drop(queue);
        self.waker.wake();
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    Agent,
    Tab,
}

/// The hub's handle on one socket.
#[derive(Debug, Clone)]
pub struct Peer {
    pub user_id: i64,
    pub token_id: i64,
    /// Whether this peer sees the whole organization (supervisor and up) or only itself.
    pub sees_org: bool,
    /// Whether this peer is an admin's or owner's (the fleet's pushes).
    pub sees_fleet: bool,
    pub control: Arc<ConnControl>,
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueError {
    /// The client does not read: it has been told to close.
    SlowConsumer,
    /// The connection is already gone.
    Closed,
}

impl Peer {
    pub fn new(user_id: i64, token_id: i64, role: shared::Role, capacity: usize) -> Peer {
        Peer {
            user_id,
            token_id,
            sees_org: role.reads_whole_org(),
            sees_fleet: role.at_least(shared::Role::Admin),
            control: Arc::new(ConnControl::new(capacity)),
        }
    }

    /// Queues without waiting; a full queue closes the connection instead of growing.
    pub fn send(&self, msg: &Outgoing) -> Result<(), QueueError> {
        self.control.push(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drained_queue_keeps_no_slots() {
        let control = ConnControl::new(64);
        let msg = Outgoing::new("{\"type\":\"hello\"}".into(), Instant::now());
        control.push(&msg).unwrap();
        assert!(control.queue().capacity() > 0);
        assert!(matches!(control.try_next(), Some(ConnEvent::Send(_))));
        assert_eq!(
            control.queue().capacity(),
            0,
            "the greeting's slots are freed"
        );
        // A burst still goes through in order, and leaves nothing behind either.
        for i in 0..20 {
            control
                .push(&Outgoing::new(format!("{i}").into(), Instant::now()))
                .unwrap();
        }
        let sent: Vec<String> = std::iter::from_fn(|| match control.try_next() {
            Some(ConnEvent::Send(m)) => Some(m.text.to_string()),
            _ => None,
        })
        .collect();
        assert_eq!(sent, (0..20).map(|i| i.to_string()).collect::<Vec<_>>());
        assert_eq!(control.queue().capacity(), 0);
    }

    /// One `Arc<ConnControl>` per socket: 96 bytes with the counts, an allocator size class.
    #[test]
    fn the_shared_state_of_a_socket_fits_96_bytes() {
        assert!(std::mem::size_of::<ConnControl>() + 16 <= 96);
    }
}
