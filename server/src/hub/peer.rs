//! One connection as the hub sees it: a bounded outgoing queue and a way to close it.

use axum::extract::ws::Utf8Bytes;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

/// A serialized message on its way to sockets, and when the event happened (push latency).
/// Shared: a fan-out queues one pointer per socket. Keeping the queue slot one pointer wide
/// matters because tokio's bounded channel allocates its slots in blocks of 32 up front, for
/// every connection (48-byte slots cost 1.6 KiB per connection, 8-byte slots 0.3 KiB).
#[derive(Debug, Clone)]
pub struct Outgoing(Arc<Frame>);

#[derive(Debug)]
pub struct Frame {
    pub text: Utf8Bytes,
    pub created: Instant,
}

impl Outgoing {
    pub fn new(text: Utf8Bytes, created: Instant) -> Self {
        Outgoing(Arc::new(Frame { text, created }))
    }
}

impl std::ops::Deref for Outgoing {
    type Target = Frame;
    fn deref(&self) -> &Frame {
        &self.0
    }
}

/// Lets the hub ask a connection task to close itself, with a close code.
#[derive(Debug, Default)]
pub struct ConnControl {
    notify: Notify,
    code: AtomicU16,
}

impl ConnControl {
    /// The first requested code wins; returns true for that first request.
    pub fn close(&self, code: u16) -> bool {
        let first = self
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if first {
            self.notify.notify_one();
        }
        first
    }

    pub async fn closed(&self) -> u16 {
        self.notify.notified().await;
        self.code.load(Ordering::Acquire)
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
    tx: mpsc::Sender<Outgoing>,
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
    pub fn new(
        user_id: i64,
        token_id: i64,
        sees_org: bool,
        capacity: usize,
    ) -> (Peer, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Peer {
                user_id,
                token_id,
                sees_org,
                tx,
                control: Arc::new(ConnControl::default()),
            },
            rx,
        )
    }

    /// Queues without waiting; a full queue closes the connection instead of growing.
    pub fn send(&self, msg: &Outgoing) -> Result<(), QueueError> {
        match self.tx.try_send(msg.clone()) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                if self
                    .control
                    .close(shared::protocol::close_code::TRY_AGAIN_LATER)
                {
                    Err(QueueError::SlowConsumer)
                } else {
                    Err(QueueError::Closed)
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(QueueError::Closed),
        }
    }
}
