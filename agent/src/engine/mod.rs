//! The agent's brain: applies what the hub says (hello, session and config pushes), runs the
//! timers the policy sets (heartbeats, screenshots, notices, offline config re-reads), executes
//! Start/Stop, and queues writes while the hub is unreachable. Each job has its file:
//! `sessions` (start, stop, the hub's view of the running session), `replay` (writes made
//! offline), `config` (the policy), `heartbeat` (idle time and activity, notices),
//! `screenshots` (capture, encode, upload or spool), `idle_spans` (a return from idle
//! reported, the keep-or-discard question and its answer). The hub is reached through
//! [`HubClient`], so the engine is tested without one.

mod config;
mod heartbeat;
mod idle_spans;
mod replay;
mod screenshots;
mod sessions;

pub use crate::os::name::os_name;
pub use heartbeat::AGENT_VERSION;
#[cfg(test)]
mod tests;

use chrono::Utc;
use shared::protocol::{AgentToServer, ServerToAgent};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::client::api::HubApi;
use crate::client::hub::HubClient;
use crate::client::queue::Queue;
use crate::client::socket::{self, SocketEvent, SocketSettings};
use crate::client::spool::Spool;
use crate::paths::{read_json, AgentPaths};
use crate::state::{AgentState, Connection, Notice};
use crate::tracking::focus::{FocusSource, NoFocus};
use crate::tracking::idle::IdleSource;
use crate::tracking::input::{InputSource, NoInput};
use crate::tracking::screenshots::ScreenSource;
use config::CachedConfig;

/// What the window (or a test) asks the agent to do.
#[derive(Debug)]
pub enum Command {
    Start {
        ticket_id: Option<i64>,
    },
    Stop,
    /// The user's answer to "keep or discard" the idle time just reported.
    AnswerIdle {
        keep: bool,
    },
    /// Answers with the latest notice once every command sent before it is done (so
    /// `presence-agent stop` returns after the stop, with what happened).
    Report(tokio::sync::oneshot::Sender<String>),
    Quit,
}

pub type SharedState = Arc<Mutex<AgentState>>;

/// Where the hub's socket is, and the device token it takes.
#[derive(Debug, Clone)]
pub struct SocketEndpoint {
    pub url: String,
    pub token: String,
}

impl SocketEndpoint {
    pub fn of(api: &HubApi) -> SocketEndpoint {
        SocketEndpoint {
            url: api.socket_url(),
            token: api.token().unwrap_or_default().to_string(),
        }
    }
}

pub struct Engine<H: HubClient = HubApi> {
    hub: H,
    paths: AgentPaths,
    state: SharedState,
    queue: Queue,
    spool: Spool,
    idle: Box<dyn IdleSource>,
    screen: Box<dyn ScreenSource>,
    input: Box<dyn InputSource>,
    focus: Box<dyn FocusSource>,
    heartbeat_tx: Option<mpsc::Sender<AgentToServer>>,
    sync_interval: watch::Sender<Duration>,
    next_screenshot: Option<Instant>,
    next_notice: Option<Instant>,
    /// When the user went idle inside the running session (reported on their return).
    idle_started: Option<chrono::DateTime<Utc>>,
    /// Version and OS go in the first heartbeat after each `hello` (the hub's fleet page).
    announce_device: bool,
    /// The latest screenshot attempt, until a heartbeat carries it to the hub.
    capture_report: Option<shared::fleet::CaptureReport>,
}

fn lock(state: &SharedState) -> std::sync::MutexGuard<'_, AgentState> {
    match state.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A fresh id that makes a write the agent may repeat (a replay) harmless on the hub.
fn client_id(kind: &str) -> String {
    format!(
        "{kind}-{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

impl<H: HubClient> Engine<H> {
    /// `server` is the hub's address as `presence-agent status` shows it.
    pub fn new(
        hub: H,
        server: &str,
        paths: AgentPaths,
        idle: Box<dyn IdleSource>,
        screen: Box<dyn ScreenSource>,
    ) -> (Engine<H>, SharedState) {
        let state = Arc::new(Mutex::new(AgentState::new(server.to_string())));
        let queue = Queue::load(paths.queue());
        let spool = Spool::new(paths.pending_screenshots());
        let (sync_interval, _) = watch::channel(Duration::from_secs(10));
        let engine = Engine {
            hub,
            paths,
            state: state.clone(),
            queue,
            spool,
            idle,
            screen,
            input: Box::new(NoInput),
            focus: Box::new(NoFocus),
            heartbeat_tx: None,
            sync_interval,
            next_screenshot: None,
            next_notice: None,
            idle_started: None,
            announce_device: false,
            capture_report: None,
        };
        (engine, state)
    }

    /// Where key/mouse counts and the focused app come from (the desktop in `run`; nothing
    /// by default).
    pub fn with_activity(
        mut self,
        input: Box<dyn InputSource>,
        focus: Box<dyn FocusSource>,
    ) -> Self {
        self.input = input;
        self.focus = focus;
        self
    }

    /// Runs until `Command::Quit` or the token is refused, connected to the hub's socket at
    /// `socket` (reconnecting on its own).
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>, socket: SocketEndpoint) {
        self.remove_old_files();
        if let Some(cached) = read_json::<CachedConfig>(&self.paths.config_cache()) {
            tracing::info!(
                version = cached.config_version,
                "using the cached config until the hub answers"
            );
            self.apply_config(cached.config_version, cached.config, None);
        }
        self.update(|s| s.pending_writes = 0);
        let (events_tx, mut events) = mpsc::channel(64);
        let (heartbeat_tx, heartbeat_rx) = mpsc::channel(16);
        self.heartbeat_tx = Some(heartbeat_tx);
        let settings = SocketSettings {
            url: socket.url,
            token: socket.token,
            max_delay: self.sync_interval.subscribe(),
        };
        tokio::spawn(socket::run(settings, events_tx, heartbeat_rx));
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let mut next_heartbeat = Instant::now();
        let mut next_config_poll = Instant::now() + self.sync_every();
        self.write_status();
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    None => break,
                    Some(SocketEvent::Unauthorized) => {
                        self.notice("This device was logged out. Run `presence-agent login` again.");
                        self.update(|s| s.connection = Connection::Offline);
                        break;
                    }
                    Some(event) => self.on_socket(event).await,
                },
                command = commands.recv() => match command {
                    None | Some(Command::Quit) => break,
                    Some(Command::Start { ticket_id }) => self.start(ticket_id).await,
                    Some(Command::Stop) => self.stop().await,
                    Some(Command::AnswerIdle { keep }) => self.answer_idle(keep).await,
                    Some(Command::Report(reply)) => {
                        let notice = self.snapshot().notice.map(|n| n.text).unwrap_or_default();
                        let _ = reply.send(notice);
                    }
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    if now >= next_heartbeat {
                        let idle = self.heartbeat();
                        self.follow_idle(idle, Utc::now()).await;
                        next_heartbeat = now + self.heartbeat_every();
                    }
                    self.expire_idle_question(Utc::now());
                    if now >= next_config_poll {
                        if self.connection() != Connection::Online {
                            self.poll_config().await;
                        }
                        next_config_poll = now + self.sync_every();
                    }
                    self.maybe_screenshot().await;
                    self.maybe_notify();
                }
            }
        }
        self.write_status();
    }

    /// Changes what is shown, and writes it to the status file `presence-agent status` reads.
    fn update(&self, f: impl FnOnce(&mut AgentState)) {
        let mut s = lock(&self.state);
        f(&mut s);
        s.pending_writes = self.queue.len();
        s.updated_at = Utc::now();
        if let Err(e) = crate::paths::write_json(&self.paths.status(), &*s, 0o600) {
            tracing::warn!(error = %e, "cannot write the status file");
        }
    }

    fn write_status(&self) {
        self.update(|_| {});
    }

    fn snapshot(&self) -> AgentState {
        lock(&self.state).clone()
    }

    fn connection(&self) -> Connection {
        lock(&self.state).connection
    }

    fn notice(&self, text: &str) {
        tracing::info!(notice = text);
        let text = text.to_string();
        self.update(|s| {
            s.notice = Some(Notice {
                text,
                at: Utc::now(),
            })
        });
    }

    async fn on_socket(&mut self, event: SocketEvent) {
        match event {
            SocketEvent::Connected => tracing::info!("connected to the hub"),
            SocketEvent::Disconnected(why) => {
                if self.connection() == Connection::Online {
                    tracing::warn!(reason = why, "lost the hub; working offline");
                }
                self.update(|s| s.connection = Connection::Offline);
            }
            SocketEvent::Unauthorized => {}
            SocketEvent::Message(msg) => self.on_message(*msg).await,
        }
    }

    async fn on_message(&mut self, msg: ServerToAgent) {
        match msg {
            ServerToAgent::Hello {
                user,
                active_session,
                config_version,
                config,
                ..
            } => {
                tracing::info!(user = user.email, config_version, "hello from the hub");
                self.update(|s| {
                    s.connection = Connection::Online;
                    s.user = Some(user);
                });
                self.apply_config(config_version, config, None);
                self.announce_device = true;
                self.acknowledge_config();
                if self.queue.is_empty() {
                    self.adopt(active_session);
                    self.upload_kept_screenshots().await;
                } else {
                    self.replay().await;
                }
            }
            ServerToAgent::SessionEnded(ended) => {
                let mine =
                    self.snapshot().session.as_ref().and_then(|s| s.id) == Some(ended.session_id);
                if mine {
                    self.end_tracking();
                    let me = self.snapshot().user.map(|u| u.id);
                    match ended.ended_by {
                        // No one: a policy rule (`auto_stopped`), whose reason says which.
                        None => self.notice(&format!("Your session was stopped: {}", ended.reason)),
                        Some(by) if Some(by) != me => self.notice(&format!(
                            "Your session was ended by an admin: {}",
                            ended.reason
                        )),
                        Some(_) => self.notice("Session stopped."),
                    }
                }
            }
            ServerToAgent::SessionStarted { session } => {
                if self.snapshot().session.is_none() {
                    self.adopt(Some(session));
                    self.notice("A session was started from the web page.");
                }
            }
            ServerToAgent::SessionUpdated { session } => {
                let mine = self.snapshot().session.as_ref().and_then(|s| s.id) == Some(session.id);
                if mine && session.ended_at.is_none() {
                    self.update(|st| {
                        if let Some(tracked) = st.session.as_mut() {
                            tracked.started_at = session.started_at;
                            tracked.ticket_id = session.ticket_id;
                            tracked.discarded_seconds = session.discarded_seconds;
                        }
                    });
                }
            }
            ServerToAgent::SessionDeleted(deleted) => {
                self.notice(&format!(
                    "A recorded session of yours was deleted: {}",
                    deleted.reason
                ));
            }
            ServerToAgent::ConfigUpdated(update) => {
                let changed = update.changed.join(", ");
                self.apply_config(update.config_version, update.config, Some(&changed));
                self.acknowledge_config();
            }
            ServerToAgent::Error { error } => tracing::warn!(
                code = error.code,
                message = error.message,
                "the hub reported an error"
            ),
        }
    }

    /// Deletes kept screenshots and logs older than the policy's retention.
    fn remove_old_files(&self) {
        let days = u64::from(self.config().local_data_retention_days.max(1));
        let cutoff = std::time::SystemTime::now() - Duration::from_secs(days * 24 * 3600);
        for dir in [self.paths.pending_screenshots(), self.paths.logs()] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t < cutoff);
                if old {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}
