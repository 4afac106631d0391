//! Assembles the hub: storage, in-memory state, background tasks, the router; and stops it.

use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::downloads::Downloads;
use crate::events::bus::Bus;
use crate::events::nodes::{Liveness, Membership};
use crate::events::Events;
use crate::hub::{Hub, HubSettings};
use crate::metrics::Metrics;
use crate::ops::accounts::LoginLimiter;
use crate::state::{AppInner, AppState};
use crate::store::{now_ms, Backend, Store, StoreError};
use crate::write_behind::Writers;
use crate::{api, demo, pages, ws};

/// How often time-driven presence changes (idle, offline) are checked.
const SWEEP_EVERY: Duration = Duration::from_millis(100);
/// How often the keep-alive pass runs (pings go out spread over the ping period, a small
/// share on each pass: see `Hub::keep_alive`). Each pass walks every socket's entry; pings
/// now go only to quiet clients, so passes 250 ms apart still spread them (19,000 quiet
/// sockets: ~240 a pass), at a fifth of the walking of 50 ms passes.
const KEEPALIVE_EVERY: Duration = Duration::from_millis(250);
/// Idle questions unanswered for 10 minutes are marked kept this often.
const IDLE_ANSWER_SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How often the SQLite write-ahead log is copied into the database file. A checkpoint that
/// empties the log makes the next commit start it over, which writes and syncs its header:
/// 0.4–2 ms (strace, issue 28) added to whatever write comes next, a force-end among them.
/// Every second, that was a write in every second; the log now holds at most 30 s of writes.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);
/// How often old rows are cleaned up.
const CLEANUP_EVERY: Duration = Duration::from_secs(3600);
/// Connections the kernel queues before the hub accepts them (capped by `net.core.somaxconn`,
/// 4096 here). After a restart every agent comes back within seconds, partly while the hub is
/// still loading: past tokio's default of 1,024 the kernel drops a storm's further SYNs, and
/// those agents retry only after TCP's 1 s SYN timeout.
const LISTEN_BACKLOG: u32 = 4096;
/// Largest accepted request body (screenshot uploads have their own limit).
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("demo data: {0}")]
    Demo(String),
    #[error("first-run setup link: {0}")]
    Setup(String),
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router();
    Router::new()
        .merge(api)
        .merge(api::docs(openapi))
        .route("/ws/agent", get(ws::agent_socket))
        .route("/ws/tab", get(ws::tab_socket))
        .route("/", get(pages::status_page))
        .route("/sessions", get(pages::sessions_page))
        .route("/sessions/{id}", get(pages::session_page))
        .route("/tickets", get(pages::tickets_page))
        .route("/tickets/{id}", get(pages::ticket_page))
        .route("/settings/policy", get(pages::policy_page))
        .route("/audit", get(pages::audit_page))
        .route("/timesheets", get(pages::timesheets_page))
        .route("/fleet", get(pages::fleet_page))
        .route("/settings/webhooks", get(pages::webhooks_page))
        .route("/absences", get(pages::absences_page))
        .route("/me", get(pages::me_page))
        .route("/reports", get(pages::reports_page))
        .route("/screenshots", get(pages::screenshots_page))
        .route("/servers", get(pages::servers_page))
        .route("/staff/{id}", get(pages::staff_page))
        .route("/setup", get(pages::setup_page))
        .route("/invite/{token}", get(pages::invite_page))
        .route("/users", get(pages::users_page))
        .route("/account", get(pages::account_page))
        .route("/settings/org", get(pages::org_page))
        .route("/downloads", get(pages::downloads_page))
        .route("/downloads/{file}", get(pages::download_file))
        .route("/device", get(pages::device_page))
        .route("/login", get(pages::login_page).post(pages::login_form))
        .route(
            "/login/mfa",
            get(pages::login_mfa_page).post(pages::login_mfa_form),
        )
        .route("/logout", post(pages::logout_form))
        .route(
            "/auth/sso",
            get(pages::sso_by_email).post(pages::sso_by_email_form),
        )
        .route("/auth/sso/callback", get(pages::sso_callback))
        .route("/auth/sso/{org_id}/start", get(pages::sso_start))
        .route("/style/main.css", get(pages::stylesheet))
        .route("/pkg/web.js", get(pages::script))
        .route("/pkg/web_bg.wasm", get(pages::wasm))
        .fallback(pages::not_found_page)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A hub that is running: its address, its state, and the means to stop it.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub state: AppState,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

pub async fn start(config: Config) -> Result<RunningHub, StartError> {
    let metrics = Metrics::new();
    let url = config.database_url();
    let store = Store::connect(&url, metrics.clone()).await?;
    if config.demo {
        demo::ensure_demo_company(&store, &config.data_dir)
            .await
            .map_err(|e| StartError::Demo(e.to_string()))?;
    }
    let settings = HubSettings {
        offline_grace_ms: config.offline_grace_ms as i64,
        idle_threshold_override_ms: (config.idle_threshold_ms_override > 0)
            .then_some(config.idle_threshold_ms_override as i64),
        max_sockets_per_user: config.max_sockets_per_user,
    };
    let writers = Arc::new(Writers::new(&metrics));
    let hub = Arc::new(Hub::new(settings, metrics, writers.clone()));
    let listener = listen(config.listen).map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let events = match store.backend() {
        Backend::Sqlite => Events::local(hub.clone()),
        Backend::Postgres => {
            let liveness = Liveness {
                heartbeat: Duration::from_millis(config.node_heartbeat_ms.max(100)),
                lease: Duration::from_millis(config.node_lease_ms.max(500)),
            };
            let membership = Membership::join(
                store.clone(),
                &config.node_id_for(addr),
                addr.to_string(),
                liveness,
            )
            .await?;
            Events::clustered(
                hub.clone(),
                Bus::new(hub.clone(), store.clone(), url, membership),
            )
        }
    };
    // Stored statuses from before are stale; in a cluster only when this node is alone
    // (the others' users are not).
    let alone = events.bus().is_none_or(|bus| {
        bus.membership()
            .view()
            .iter()
            .filter(|n| n.state == "alive")
            .count()
            <= 1
    });
    let epoch = store.begin_epoch(alone).await?;
    crate::events::directory::load_all(&store, &hub, events.bus().map(|b| &**b)).await?;
    let public_url = config.public_url_for(addr);
    let setup_link = crate::ops::Ctx {
        store: &store,
        events: None,
        public_url: &public_url,
    };
    let setup_link = crate::ops::orgs::setup_link_if_empty(&setup_link)
        .await
        .map_err(|e| StartError::Setup(e.to_string()))?;
    let state = AppState::new(AppInner {
        login_limiter: LoginLimiter::new(config.login_attempts_per_minute),
        device_limiter: crate::ops::device_flow::DeviceFlowLimiter::new(
            config.login_attempts_per_minute,
        ),
        public_url,
        setup_link,
        bound: addr,
        leptos: crate::web_render::leptos_options(),
        downloads: Downloads::new(config.downloads_dir.clone()),
        touches: Default::default(),
        config,
        store,
        hub,
        writers,
        events,
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
        epoch,
    });
    let background = spawn_background(&state);
    crate::jobs::demo_agents::start(&state.jobs(), &state.config, state.bound, &state.tasks).await;
    let app = router(state.clone());
    let stop = state.shutdown.clone();
    // Pushes are small frames that must leave at once: without TCP_NODELAY a frame written
    // while the previous one is unacknowledged waits for the peer's (delayed) ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    let server = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "HTTP server stopped with an error");
        }
    });
    match state.events.bus() {
        Some(bus) => {
            tracing::info!(%addr, epoch, node = &**bus.membership().node_id(), incarnation = bus.membership().incarnation(), "presence hub listening (cluster member on PostgreSQL)")
        }
        None => {
            tracing::info!(%addr, epoch, backend = ?state.store.backend(), "presence hub listening")
        }
    }
    Ok(RunningHub {
        addr,
        state,
        server,
        background,
    })
}

fn spawn_background(state: &AppState) -> Vec<JoinHandle<()>> {
    let writer = {
        let s = state.clone();
        tokio::spawn(async move {
            let interval = Duration::from_millis(s.config.presence_flush_ms.max(10));
            s.writers
                .presence
                .run(s.store.clone(), s.epoch, interval, s.shutdown.clone())
                .await;
        })
    };
    let activity = {
        let s = state.clone();
        tokio::spawn(async move {
            let interval = Duration::from_millis(s.config.activity_flush_ms.max(10));
            s.writers
                .activity
                .run(s.store.clone(), interval, s.shutdown.clone())
                .await;
        })
    };
    let devices = {
        let s = state.clone();
        let notify = s.events.bus().map(|bus| bus.devices_notifier());
        tokio::spawn(async move {
            let interval = Duration::from_millis(s.config.presence_flush_ms.max(10));
            crate::write_behind::devices::run(
                s.hub.clone(),
                s.writers.devices.clone(),
                s.store.clone(),
                interval,
                notify,
                s.shutdown.clone(),
            )
            .await;
        })
    };
    let sweeper = every(state, SWEEP_EVERY, |s| async move { s.hub.sweep() });
    let checkpoint = every(state, CHECKPOINT_EVERY, |s| async move {
        if let Err(e) = s.store.checkpoint().await {
            tracing::warn!(error = %e, "checkpoint failed");
        }
    });
    let cleanup = every(state, CLEANUP_EVERY, |s| async move { cleanup(&s).await });
    let keepalive = {
        let limits = crate::ws::socket_limits(&state.config);
        let mut pass = 0u64;
        every(state, KEEPALIVE_EVERY, move |s| {
            s.hub.keep_alive(
                pass,
                KEEPALIVE_EVERY,
                limits.ping_every,
                limits.idle_timeout,
            );
            pass += 1;
            std::future::ready(())
        })
    };
    let poller = tokio::spawn(crate::jobs::game_poller::run(
        state.jobs(),
        state.config.a2s_poll_interval(),
        state.config.a2s_timeout(),
    ));
    let (rule_events, rule_events_rx) = tokio::sync::mpsc::unbounded_channel();
    state.hub.send_rule_events_to(rule_events);
    let rules = tokio::spawn(crate::jobs::live_rules::run(state.jobs(), rule_events_rx));
    let webhooks = tokio::spawn(crate::jobs::webhook_deliverer::run(
        state.jobs(),
        state.hub.clone(),
        state.bound,
        Duration::from_millis(state.config.webhook_retry_base_ms.max(1)),
    ));
    let unanswered = every(state, IDLE_ANSWER_SWEEP_EVERY, |s| async move {
        if let Err(e) = crate::ops::idle::keep_unanswered(&s.ops()).await {
            tracing::warn!(error = %e, "keeping unanswered idle time failed");
        }
    });
    let retention = tokio::spawn(crate::jobs::retention::run(
        state.jobs(),
        Duration::from_millis(state.config.retention_every_ms.max(10)),
        state.config.retention_clock_offset_ms,
    ));
    let mut tasks = vec![
        writer, activity, devices, sweeper, checkpoint, cleanup, keepalive, poller, rules,
        webhooks, unanswered, retention,
    ];
    if let Some(bus) = state.events.bus() {
        tasks.extend(bus.spawn(state.shutdown.clone()));
    }
    tasks
}

/// Runs `job` every `period` (the first time at once) until shutdown; a run that overruns
/// skips the ticks it missed.
fn every<F, Fut>(state: &AppState, period: Duration, mut job: F) -> JoinHandle<()>
where
    F: FnMut(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = s.shutdown.cancelled() => break,
                _ = tick.tick() => job(s.clone()).await,
            }
        }
    })
}

/// Drops stale presence rows and dead tokens; forgets idle rate-limit keys.
async fn cleanup(state: &AppState) {
    let now = now_ms();
    match (
        state.store.delete_stale_presence(now).await,
        state.store.delete_dead_tokens(now).await,
    ) {
        (Ok(presence), Ok(tokens)) => tracing::debug!(presence, tokens, "cleanup done"),
        (Err(e), _) | (_, Err(e)) => tracing::warn!(error = %e, "cleanup failed"),
    }
    // Device sign-in codes live 10 minutes; the rows of expired ones are dropped here.
    match state.store.delete_expired_device_grants(now).await {
        Ok(n) => tracing::debug!(device_grants = n, "expired device sign-ins removed"),
        Err(e) => tracing::warn!(error = %e, "removing expired device sign-ins failed"),
    }
    // Second steps of logins live 5 minutes; a day later their rows go.
    if let Err(e) = state.store.delete_dead_mfa_challenges(now).await {
        tracing::warn!(error = %e, "removing old two-factor sign-in steps failed");
    }
    state.login_limiter.forget_idle();
    state.device_limiter.forget_idle();
}

impl RunningHub {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful stop: no new connections, every socket closed with 1012, pending presence and
    /// activity written, database closed.
    pub async fn stop(self) {
        let state = self.state.clone();
        state.shutdown.cancel();
        state.hub.close_all(crate::hub::CloseCause::ServiceRestart);
        // The other nodes forget this one's users at once (they reconnect there).
        if let Some(bus) = state.events.bus() {
            bus.membership().leave().await;
        }
        let _ = self.server.await;
        state.tasks.close();
        if tokio::time::timeout(Duration::from_secs(10), state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets did not close within 10 s");
        }
        for task in self.background {
            let _ = task.await;
        }
        // Everyone is offline once the hub is gone; their last activity is kept.
        state.hub.mark_everyone_offline();
        for _ in 0..3 {
            if state
                .writers
                .presence
                .flush(&state.store, state.epoch)
                .await
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for _ in 0..3 {
            if state.writers.activity.flush(&state.store).await {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        state.store.close().await;
        tracing::info!("presence hub stopped");
    }
}

/// Binds the hub's TCP listener with [`LISTEN_BACKLOG`] (address reuse on, as tokio's `bind`).
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
