//! The agent's brain: applies what the hub says (hello, session and config pushes), runs the
//! timers the policy sets (heartbeats, screenshots, notices, offline config re-reads), executes
//! Start/Stop, and queues writes while the hub is unreachable.

use chrono::{DateTime, Utc};
use shared::protocol::{AgentToServer, ServerToAgent, SessionInfo};
use shared::Policy;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::client::api::{ApiError, HubApi};
use crate::client::queue::{Queue, QueuedOp, SessionRef};
use crate::client::socket::{self, SocketEvent, SocketSettings};
use crate::paths::{read_json, write_json, AgentPaths};
use crate::state::{AgentState, Connection, Notice, TrackedSession};
use crate::tracking::focus::{FocusSource, NoFocus};
use crate::tracking::idle::IdleSource;
use crate::tracking::input::{InputSource, NoInput};
use crate::tracking::screenshots::{encode_to_fit, ScreenSource};

/// What the window (or a test) asks the agent to do.
#[derive(Debug)]
pub enum Command {
    Start {
        ticket_id: Option<i64>,
    },
    Stop,
    /// Answers with the latest notice once every command sent before it is done (so
    /// `presence-agent stop` returns after the stop, with what happened).
    Report(tokio::sync::oneshot::Sender<String>),
    Quit,
}

/// The last config, cached for starts without the hub.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct CachedConfig {
    config_version: i64,
    config: Policy,
    cached_at: DateTime<Utc>,
}

pub type SharedState = Arc<Mutex<AgentState>>;

pub struct Engine {
    api: HubApi,
    paths: AgentPaths,
    state: SharedState,
    queue: Queue,
    idle: Box<dyn IdleSource>,
    screen: Box<dyn ScreenSource>,
    input: Box<dyn InputSource>,
    focus: Box<dyn FocusSource>,
    heartbeat_tx: Option<mpsc::Sender<AgentToServer>>,
    sync_interval: watch::Sender<Duration>,
    next_screenshot: Option<Instant>,
    next_notice: Option<Instant>,
}

fn lock(state: &SharedState) -> std::sync::MutexGuard<'_, AgentState> {
    match state.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn client_id(kind: &str) -> String {
    format!(
        "{kind}-{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

impl Engine {
    pub fn new(
        api: HubApi,
        paths: AgentPaths,
        idle: Box<dyn IdleSource>,
        screen: Box<dyn ScreenSource>,
    ) -> (Engine, SharedState) {
        let state = Arc::new(Mutex::new(AgentState::new(api.base().to_string())));
        let queue = Queue::load(paths.queue());
        let (sync_interval, _) = watch::channel(Duration::from_secs(10));
        let engine = Engine {
            api,
            paths,
            state: state.clone(),
            queue,
            idle,
            screen,
            input: Box::new(NoInput),
            focus: Box::new(NoFocus),
            heartbeat_tx: None,
            sync_interval,
            next_screenshot: None,
            next_notice: None,
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

    /// Runs until `Command::Quit` or the token is refused.
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
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
            url: self.api.socket_url(),
            token: self.api.token().unwrap_or_default().to_string(),
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
                    Some(Command::Report(reply)) => {
                        let notice = self.snapshot().notice.map(|n| n.text).unwrap_or_default();
                        let _ = reply.send(notice);
                    }
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    if now >= next_heartbeat {
                        self.heartbeat();
                        next_heartbeat = now + self.heartbeat_every();
                    }
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

    fn update(&self, f: impl FnOnce(&mut AgentState)) {
        let mut s = lock(&self.state);
        f(&mut s);
        s.pending_writes = self.queue.len();
        s.updated_at = Utc::now();
        if let Err(e) = write_json(&self.paths.status(), &*s, 0o600) {
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

    fn config(&self) -> Policy {
        lock(&self.state).config.clone()
    }

    fn sync_every(&self) -> Duration {
        Duration::from_secs(u64::from(self.config().config_sync_interval_seconds.max(1)))
    }

    /// A few seconds, never longer than the policy's sync interval.
    fn heartbeat_every(&self) -> Duration {
        self.sync_every().min(Duration::from_secs(5))
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
                if self.queue.is_empty() {
                    self.adopt(active_session);
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
                    if ended.ended_by.is_some() && ended.ended_by != me {
                        self.notice(&format!(
                            "Your session was ended by an admin: {}",
                            ended.reason
                        ));
                    } else {
                        self.notice("Session stopped.");
                    }
                }
            }
            ServerToAgent::SessionStarted { session } => {
                if self.snapshot().session.is_none() {
                    self.adopt(Some(session));
                    self.notice("A session was started from the web page.");
                }
            }
            ServerToAgent::ConfigUpdated(update) => {
                let changed = update.changed.join(", ");
                self.apply_config(update.config_version, update.config, Some(&changed));
            }
            ServerToAgent::Error { error } => tracing::warn!(
                code = error.code,
                message = error.message,
                "the hub reported an error"
            ),
        }
    }

    /// Takes the hub's view of the running session.
    fn adopt(&mut self, session: Option<SessionInfo>) {
        let local = self.snapshot().session;
        match (session, local) {
            (Some(s), _) => {
                self.update(|st| {
                    st.session = Some(TrackedSession {
                        id: Some(s.id),
                        client_id: None,
                        started_at: s.started_at,
                        ticket_id: s.ticket_id,
                    })
                });
                self.schedule_tracking();
            }
            (None, Some(_)) => {
                self.end_tracking();
                self.notice("Your session was ended while this device was offline.");
            }
            (None, None) => {}
        }
    }

    fn apply_config(&mut self, version: i64, config: Policy, changed: Option<&str>) {
        let config = config.clamped();
        let previous = self.snapshot();
        if previous.config_version == version
            && previous.config == config
            && previous.config_applied_at.is_some()
        {
            return;
        }
        self.sync_interval
            .send_replace(Duration::from_secs(u64::from(
                config.config_sync_interval_seconds,
            )));
        let cache = CachedConfig {
            config_version: version,
            config: config.clone(),
            cached_at: Utc::now(),
        };
        if let Err(e) = write_json(&self.paths.config_cache(), &cache, 0o600) {
            tracing::warn!(error = %e, "cannot cache the config");
        }
        let screenshots_changed = previous.config.screenshot_interval_seconds
            != config.screenshot_interval_seconds
            || previous.config.screenshots_enabled != config.screenshots_enabled;
        let notify = config.show_tracker_notification;
        self.update(|s| {
            s.config_version = version;
            s.config = config;
            s.config_applied_at = Some(Utc::now());
        });
        if screenshots_changed {
            self.schedule_tracking();
        }
        self.sync_input();
        if let Some(changed) = changed {
            tracing::info!(version, changed, "config updated");
            if notify {
                self.notice(&format!(
                    "Tracking settings changed (version {version}): {changed}"
                ));
            }
        }
    }

    /// Counts key presses and mouse events only while a session runs and the policy's
    /// switch for each is on.
    fn sync_input(&mut self) {
        let s = self.snapshot();
        let running = s.session.is_some();
        self.input.set_counting(
            running && s.config.enable_keyboard_tracking,
            running && s.config.enable_mouse_tracking,
        );
    }

    /// (Re)plans the screenshot and notice timers from now.
    fn schedule_tracking(&mut self) {
        self.sync_input();
        let s = self.snapshot();
        let running = s.session.is_some();
        // The first shot comes right after the start (or the change), then every interval.
        self.next_screenshot = (running && s.config.screenshots_enabled)
            .then(|| Instant::now() + Duration::from_secs(1));
        self.next_notice = (running
            && s.config.show_tracker_notification
            && s.config.notification_interval_minutes > 0)
            .then(|| {
                Instant::now()
                    + Duration::from_secs(60 * u64::from(s.config.notification_interval_minutes))
            });
    }

    fn end_tracking(&mut self) {
        self.update(|s| s.session = None);
        self.next_screenshot = None;
        self.next_notice = None;
        self.sync_input();
    }

    async fn start(&mut self, ticket_id: Option<i64>) {
        if self.snapshot().session.is_some() {
            self.notice("A session is already running.");
            return;
        }
        let cid = client_id("start");
        let now = Utc::now();
        match self.api.start_session(ticket_id, &cid, None).await {
            Ok(session) => {
                self.adopt(Some(session));
                self.notice("Session started.");
            }
            Err(e) if e.is_unreachable() => {
                self.enqueue(QueuedOp::Start {
                    client_id: cid.clone(),
                    ticket_id,
                    started_at: now,
                });
                self.update(|s| {
                    s.session = Some(TrackedSession {
                        id: None,
                        client_id: Some(cid),
                        started_at: now,
                        ticket_id,
                    })
                });
                self.schedule_tracking();
                self.notice("The hub is unreachable: tracking offline, will sync later.");
            }
            Err(e) => self.notice(&format!("Could not start: {e}")),
        }
    }

    async fn stop(&mut self) {
        let Some(session) = self.snapshot().session else {
            return;
        };
        let now = Utc::now();
        self.end_tracking();
        let target = match (&session.id, &session.client_id) {
            (Some(id), _) => SessionRef::Id(*id),
            (None, Some(cid)) => SessionRef::Pending(cid.clone()),
            (None, None) => return,
        };
        if let SessionRef::Id(id) = target {
            if self.queue.is_empty() {
                match self.api.stop_session(id, now).await {
                    Ok(_) => return self.notice("Session stopped."),
                    Err(e) if !e.is_unreachable() => {
                        return self.notice(&format!("The hub refused the stop: {e}"))
                    }
                    Err(_) => {}
                }
            }
        }
        self.enqueue(QueuedOp::Stop {
            session: target,
            ended_at: now,
        });
        self.notice("Session stopped offline; it will sync when the hub is back.");
    }

    fn enqueue(&mut self, op: QueuedOp) {
        if let Err(e) = self.queue.push(op) {
            tracing::error!(error = %e, "cannot write the offline queue");
        }
        self.write_status();
    }

    /// Replays queued writes in order, then takes the hub's view of the running session.
    async fn replay(&mut self) {
        tracing::info!(writes = self.queue.len(), "replaying writes made offline");
        while let Some(op) = self.queue.ops().first().cloned() {
            let outcome = match &op {
                QueuedOp::Start {
                    client_id,
                    ticket_id,
                    started_at,
                } => match self
                    .api
                    .start_session(*ticket_id, client_id, Some(*started_at))
                    .await
                {
                    Ok(session) => {
                        if let Err(e) = self.queue.resolve_pending(client_id, session.id) {
                            tracing::error!(error = %e, "cannot update the offline queue");
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                QueuedOp::Stop {
                    session: SessionRef::Id(id),
                    ended_at,
                } => self.api.stop_session(*id, *ended_at).await.map(|_| ()),
                QueuedOp::Stop {
                    session: SessionRef::Pending(_),
                    ..
                } => Ok(()),
            };
            match outcome {
                Err(e) if e.is_unreachable() => {
                    tracing::warn!(error = %e, "hub unreachable during replay; will retry");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?op, "the hub refused a queued write; dropping it (the hub's state wins)")
                }
                Ok(()) => tracing::info!(?op, "queued write applied"),
            }
            if let Err(e) = self.queue.pop_front() {
                tracing::error!(error = %e, "cannot update the offline queue");
                return;
            }
            self.write_status();
        }
        self.upload_pending_screenshots().await;
        match self.api.active_session().await {
            Ok(active) => self.adopt(active),
            Err(e) => tracing::warn!(error = %e, "cannot read the running session after replay"),
        }
    }

    /// Idle time always; while a session runs, the input counts since the previous heartbeat
    /// and the focused app, each only when its policy switch is on (absent otherwise).
    fn heartbeat(&mut self) {
        let s = self.snapshot();
        let config = &s.config;
        let idle = if config.enable_idle_detection {
            self.idle.idle_seconds().unwrap_or(0)
        } else {
            0
        };
        // Taken every time, so that counts made while offline are not sent later.
        let counts = self.input.take();
        self.update(|s| s.idle_seconds = idle);
        if s.connection != Connection::Online {
            return;
        }
        let active_app = if s.session.is_some() && config.website_tracking_enabled {
            self.focus.active_app()
        } else {
            None
        };
        if let Some(tx) = &self.heartbeat_tx {
            let _ = tx.try_send(AgentToServer::Heartbeat {
                idle_seconds: idle,
                active_app,
                key_presses: counts.keys,
                mouse_events: counts.mouse,
            });
        }
    }

    async fn poll_config(&mut self) {
        match self.api.config().await {
            Ok(view) => self.apply_config(view.config_version, view.config, None),
            Err(e) => tracing::debug!(error = %e, "config re-read failed"),
        }
    }

    fn maybe_notify(&mut self) {
        if let Some(at) = self.next_notice {
            if Instant::now() >= at {
                self.notice("Tracking is on.");
                let minutes = u64::from(self.config().notification_interval_minutes.max(1));
                self.next_notice = Some(Instant::now() + Duration::from_secs(60 * minutes));
            }
        }
    }

    async fn maybe_screenshot(&mut self) {
        let Some(at) = self.next_screenshot else {
            return;
        };
        if Instant::now() < at {
            return;
        }
        let config = self.config();
        self.next_screenshot = Some(
            Instant::now() + Duration::from_secs(u64::from(config.screenshot_interval_seconds)),
        );
        let session_id = self.snapshot().session.and_then(|s| s.id);
        let captured_at = Utc::now();
        let image = match self.screen.capture() {
            Ok(image) => image,
            Err(e) => {
                tracing::warn!(error = %e, "screenshot skipped; will try at the next interval");
                return;
            }
        };
        let max_bytes = config.max_screenshot_size_mb as usize * 1024 * 1024;
        let quality = config.screenshot_quality.clamp(1, 100) as u8;
        let shot =
            match tokio::task::spawn_blocking(move || encode_to_fit(image, quality, max_bytes))
                .await
            {
                Ok(Ok(shot)) => shot,
                Ok(Err(e)) => return tracing::warn!(error = %e, "screenshot skipped"),
                Err(e) => return tracing::warn!(error = %e, "screenshot encoder stopped"),
            };
        let cid = client_id("shot");
        match self
            .api
            .upload_screenshot(shot.jpeg.clone(), session_id, captured_at, &cid)
            .await
        {
            Ok(_) => {
                tracing::info!(
                    width = shot.width,
                    height = shot.height,
                    bytes = shot.jpeg.len(),
                    "screenshot uploaded"
                );
                self.update(|s| {
                    s.screenshots_uploaded += 1;
                    s.last_screenshot_at = Some(captured_at);
                });
            }
            Err(e) if e.is_unreachable() => {
                self.keep_screenshot(&cid, session_id, captured_at, &shot.jpeg)
            }
            Err(e) => tracing::warn!(error = %e, "the hub refused a screenshot"),
        }
    }

    /// Keeps a screenshot on disk until the hub is back; its file name carries its metadata.
    fn keep_screenshot(&self, cid: &str, session_id: Option<i64>, at: DateTime<Utc>, jpeg: &[u8]) {
        let dir = self.paths.pending_screenshots();
        let name = format!(
            "{}_{}_{}.jpg",
            at.timestamp_millis(),
            session_id.unwrap_or(0),
            cid
        );
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(name), jpeg))
        {
            tracing::error!(error = %e, "cannot keep a screenshot for later");
        }
    }

    async fn upload_pending_screenshots(&mut self) {
        let Ok(entries) = std::fs::read_dir(self.paths.pending_screenshots()) else {
            return;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let Some(stem) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let mut parts = stem.splitn(3, '_');
            let (Some(ms), Some(sid), Some(cid)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(ms), Ok(sid)) = (ms.parse::<i64>(), sid.parse::<i64>()) else {
                continue;
            };
            let Ok(jpeg) = std::fs::read(&path) else {
                continue;
            };
            let at = DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now);
            match self
                .api
                .upload_screenshot(jpeg, (sid != 0).then_some(sid), at, cid)
                .await
            {
                Err(ApiError::Unreachable(_)) => return,
                Err(ApiError::Refused { message, .. }) => {
                    tracing::warn!(message, "a kept screenshot was refused; dropping it")
                }
                Ok(_) => self.update(|s| s.screenshots_uploaded += 1),
            }
            let _ = std::fs::remove_file(&path);
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
