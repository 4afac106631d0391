//! Writes made while the hub is unreachable, kept on disk in order and replayed exactly once
//! on reconnect (each carries a client id or the session it applies to).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;

/// Which session a queued stop applies to: a known id, or one whose start is queued too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionRef {
    Id(i64),
    Pending(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum QueuedOp {
    Start {
        client_id: String,
        ticket_id: Option<i64>,
        started_at: DateTime<Utc>,
    },
    Stop {
        session: SessionRef,
        ended_at: DateTime<Utc>,
    },
    /// A return from idle inside the session, reported when the hub is back.
    Idle {
        session: SessionRef,
        client_id: String,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
    },
}

pub struct Queue {
    path: PathBuf,
    ops: Vec<QueuedOp>,
}

impl Queue {
    /// Loads the queue; unreadable lines are skipped (and logged), never fatal.
    pub fn load(path: PathBuf) -> Queue {
        let ops = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| match serde_json::from_str(l) {
                Ok(op) => Some(op),
                Err(e) => {
                    tracing::warn!(error = %e, "skipping an unreadable queued write");
                    None
                }
            })
            .collect();
        Queue { path, ops }
    }

    pub fn ops(&self) -> &[QueuedOp] {
        &self.ops
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn push(&mut self, op: QueuedOp) -> std::io::Result<()> {
        self.ops.push(op);
        self.save()
    }

    /// Drops the first write once the hub has applied (or definitively refused) it.
    pub fn pop_front(&mut self) -> std::io::Result<()> {
        if !self.ops.is_empty() {
            self.ops.remove(0);
        }
        self.save()
    }

    /// A queued start that never reached the hub and is now stopped becomes a completed entry:
    /// the stop is rewritten to point at the start.
    pub fn resolve_pending(&mut self, client_id: &str, session_id: i64) -> std::io::Result<()> {
        for op in self.ops.iter_mut() {
            if let QueuedOp::Stop { session, .. } | QueuedOp::Idle { session, .. } = op {
                if *session == SessionRef::Pending(client_id.to_string()) {
                    *session = SessionRef::Id(session_id);
                }
            }
        }
        self.save()
    }

    fn save(&self) -> std::io::Result<()> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp)?;
        for op in &self.ops {
            let line = serde_json::to_string(op).map_err(std::io::Error::other)?;
            writeln!(file, "{line}")?;
        }
        file.sync_all()?;
        std::fs::rename(tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_restart_in_order_and_resolves_pending_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.jsonl");
        let now = Utc::now();
        let mut q = Queue::load(path.clone());
        q.push(QueuedOp::Start {
            client_id: "c1".into(),
            ticket_id: None,
            started_at: now,
        })
        .unwrap();
        q.push(QueuedOp::Stop {
            session: SessionRef::Pending("c1".into()),
            ended_at: now,
        })
        .unwrap();
        let mut again = Queue::load(path.clone());
        assert_eq!(again.len(), 2);
        again.resolve_pending("c1", 42).unwrap();
        again.pop_front().unwrap();
        let last = Queue::load(path);
        assert_eq!(
            last.ops(),
            &[QueuedOp::Stop {
                session: SessionRef::Id(42),
                ended_at: now
            }]
        );
    }
}
