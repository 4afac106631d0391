//! `presence-agent swarm --events`: many agents running the desktop agent's own socket code
//! (reconnection with exponential backoff and jitter) in one child process, whose stdout says
//! when each agent got a `hello` (and what it carried) and when its socket ended. The fault
//! tests time reconnection storms by it.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

use crate::agent::AgentHome;
use crate::output_dir;

/// One line of `swarm --events`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SwarmEvent {
    Hello {
        agent: usize,
        at_ms: i64,
        user_id: i64,
        session_id: Option<i64>,
    },
    Disconnected {
        agent: usize,
        at_ms: i64,
        reason: String,
    },
}

/// Everything one agent reported, in order.
#[derive(Debug, Clone, Default)]
pub struct AgentLog {
    pub events: Vec<SwarmEvent>,
}

impl AgentLog {
    /// The `hello`s: (at_ms, user_id, session_id).
    pub fn hellos(&self) -> Vec<(i64, i64, Option<i64>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SwarmEvent::Hello {
                    at_ms,
                    user_id,
                    session_id,
                    ..
                } => Some((*at_ms, *user_id, *session_id)),
                SwarmEvent::Disconnected { .. } => None,
            })
            .collect()
    }

    /// How many `hello`s the agent got (without copying them).
    pub fn hello_count(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, SwarmEvent::Hello { .. }))
            .count()
    }

    /// The reason the first connected socket ended (after the first `hello`).
    pub fn first_close_reason(&self) -> Option<&str> {
        self.events
            .iter()
            .skip_while(|e| !matches!(e, SwarmEvent::Hello { .. }))
            .find_map(|e| match e {
                SwarmEvent::Disconnected { reason, .. } => Some(reason.as_str()),
                SwarmEvent::Hello { .. } => None,
            })
    }
}

/// The running swarm; killed when dropped.
pub struct Swarm {
    child: Child,
    logs: Arc<Mutex<Vec<AgentLog>>>,
    _home: AgentHome,
}

impl Swarm {
    /// Logs in once as `email` (the swarm's own device), then starts `tokens.len()` agents,
    /// agent `i` with `tokens[i]`, for at most `seconds`.
    pub async fn start(
        label: &str,
        server: &str,
        email: &str,
        password: &str,
        tokens: &[String],
        seconds: u64,
    ) -> anyhow::Result<Swarm> {
        let home = AgentHome::new()?;
        home.login(server, email, password)?;
        let tokens_file = home.path().join("swarm-tokens.txt");
        std::fs::write(&tokens_file, tokens.join("\n"))?;
        let log = std::fs::File::create(output_dir().join(format!("{label}.log")))?;
        let mut cmd: Command = home
            .command(&[
                "swarm",
                "--count",
                &tokens.len().to_string(),
                "--tokens",
                &tokens_file.to_string_lossy(),
                "--heartbeat-seconds",
                "5",
                "--seconds",
                &seconds.to_string(),
                "--events",
            ])
            .into();
        cmd.env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true);
        let mut child = cmd.spawn().context("start presence-agent swarm")?;
        let stdout = child.stdout.take().context("the swarm's stdout")?;
        let logs = Arc::new(Mutex::new(vec![AgentLog::default(); tokens.len()]));
        let sink = logs.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(event) = serde_json::from_str::<SwarmEvent>(&line) else {
                    continue;
                };
                let agent = match &event {
                    SwarmEvent::Hello { agent, .. } | SwarmEvent::Disconnected { agent, .. } => {
                        *agent
                    }
                };
                let mut logs = sink.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(log) = logs.get_mut(agent) {
                    log.events.push(event);
                }
            }
        });
        Ok(Swarm {
            child,
            logs,
            _home: home,
        })
    }

    /// Sends `sig` to the swarm process (SIGSTOP: every agent freezes with its sockets open).
    pub fn signal(&self, sig: libc::c_int) {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) with a pid this handle owns; no memory is involved.
            unsafe {
                libc::kill(pid as libc::pid_t, sig);
            }
        }
    }

    /// What every agent reported so far.
    pub fn logs(&self) -> Vec<AgentLog> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until `done` holds for the agents' logs; fails after `within`, or if the swarm
    /// process died.
    pub async fn wait_until(
        &mut self,
        within: Duration,
        what: &str,
        done: impl Fn(&[AgentLog]) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // Under the lock rather than on a copy: 10,000 agents' logs copied 50 times a
            // second took CPU from the hub being measured.
            let finished = done(&self.logs.lock().unwrap_or_else(|e| e.into_inner()));
            if finished {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the swarm exited ({status}) before {what}");
            }
            if tokio::time::Instant::now() >= deadline {
                bail!("not within {within:?}: {what}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
