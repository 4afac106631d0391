//! The engine against an in-memory hub: what the user and the hub would notice of starts,
//! stops, writes made offline, pushes, heartbeats and screenshots, without a network.

use chrono::{DateTime, Utc};
use shared::api::{Screenshot, UserInfo};
use shared::protocol::{AgentToServer, ConfigUpdated, ServerToAgent, SessionEnded, SessionInfo};
use shared::timesheets::{IdleDecision, IdleSpan};
use shared::{Policy, Role};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

use super::{Engine, SharedState};
use crate::client::api::{ApiError, ConfigView};
use crate::client::hub::HubClient;
use crate::client::queue::{QueuedOp, SessionRef};
use crate::client::spool::SpooledShot;
use crate::paths::AgentPaths;
use crate::state::Connection;
use crate::tracking::idle::FixedIdle;
use crate::tracking::screenshots::{CaptureError, ScreenSource};

const ME: i64 = 7;

/// What the fake hub was asked, in order.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Start {
        client_id: String,
        started_at: Option<DateTime<Utc>>,
    },
    Stop {
        session_id: i64,
    },
    Active,
    Config,
    Upload {
        client_id: String,
        session_id: Option<i64>,
        captured_at: DateTime<Utc>,
        bytes: usize,
    },
    Idle {
        session_id: i64,
        client_id: String,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
    },
    Answer {
        span_id: i64,
        keep: bool,
    },
}

#[derive(Default)]
struct HubState {
    reachable: bool,
    calls: Vec<Call>,
    next_id: i64,
    running: Option<SessionInfo>,
    /// Client ids already started, and the session each made (replays answer with it).
    started: Vec<(String, i64)>,
    refuse_stops: bool,
    /// What the hub's policy makes of a reported idle span.
    idle_decision: Option<IdleDecision>,
}

#[derive(Clone, Default)]
struct FakeHub(Arc<Mutex<HubState>>);

impl FakeHub {
    fn online() -> FakeHub {
        let hub = FakeHub::default();
        hub.set_reachable(true);
        hub
    }
    fn set_reachable(&self, up: bool) {
        self.0.lock().unwrap().reachable = up;
    }
    fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().calls.clone()
    }
    fn running(&self) -> Option<SessionInfo> {
        self.0.lock().unwrap().running.clone()
    }
    fn call(&self, call: Call) -> Result<std::sync::MutexGuard<'_, HubState>, ApiError> {
        let mut hub = self.0.lock().unwrap();
        if !hub.reachable {
            return Err(ApiError::Unreachable("connection refused".into()));
        }
        hub.calls.push(call);
        Ok(hub)
    }
}

fn session(id: i64, started_at: DateTime<Utc>) -> SessionInfo {
    SessionInfo {
        id,
        org_id: 1,
        user_id: ME,
        ticket_id: None,
        started_at,
        ended_at: None,
        duration_seconds: None,
        note: None,
        source: "agent".into(),
        end_reason: None,
        end_note: None,
        ended_by: None,
        user_name: None,
        ticket_title: None,
        discarded_seconds: 0,
    }
}

fn refused(message: &str) -> ApiError {
    ApiError::Refused {
        status: 409,
        code: "conflict".into(),
        message: message.into(),
    }
}

impl HubClient for FakeHub {
    async fn start_session(
        &self,
        _ticket_id: Option<i64>,
        client_id: &str,
        started_at: Option<DateTime<Utc>>,
    ) -> Result<SessionInfo, ApiError> {
        let mut hub = self.call(Call::Start {
            client_id: client_id.into(),
            started_at,
        })?;
        if let Some((_, id)) = hub.started.iter().find(|(c, _)| c == client_id) {
            return Ok(session(*id, started_at.unwrap_or_else(Utc::now)));
        }
        if hub.running.is_some() {
            return Err(refused("A session is already running."));
        }
        hub.next_id += 1;
        let s = session(hub.next_id, started_at.unwrap_or_else(Utc::now));
        let id = s.id;
        hub.started.push((client_id.into(), id));
        hub.running = Some(s.clone());
        Ok(s)
    }

    async fn stop_session(
        &self,
        session_id: i64,
        ended_at: DateTime<Utc>,
    ) -> Result<SessionInfo, ApiError> {
        let mut hub = self.call(Call::Stop { session_id })?;
        if hub.refuse_stops {
            return Err(refused("This week is locked."));
        }
        match hub.running.take() {
            Some(mut s) if s.id == session_id => {
                s.ended_at = Some(ended_at);
                Ok(s)
            }
            other => {
                hub.running = other;
                Err(refused("This session has already ended."))
            }
        }
    }

    async fn active_session(&self) -> Result<Option<SessionInfo>, ApiError> {
        Ok(self.call(Call::Active)?.running.clone())
    }

    async fn config(&self) -> Result<ConfigView, ApiError> {
        drop(self.call(Call::Config)?);
        Ok(ConfigView {
            config_version: 9,
            config: Policy::default(),
            updated_at: Utc::now(),
        })
    }

    async fn upload_screenshot(
        &self,
        jpeg: Vec<u8>,
        session_id: Option<i64>,
        captured_at: DateTime<Utc>,
        client_id: &str,
    ) -> Result<Screenshot, ApiError> {
        drop(self.call(Call::Upload {
            client_id: client_id.into(),
            session_id,
            captured_at,
            bytes: jpeg.len(),
        })?);
        Ok(Screenshot {
            id: 1,
            user_id: ME,
            user_name: "Me".into(),
            session_id,
            captured_at,
            width: 8,
            height: 8,
            bytes: jpeg.len() as i64,
            url: "/api/screenshots/1/image".into(),
        })
    }

    async fn report_idle(
        &self,
        session_id: i64,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        client_id: &str,
    ) -> Result<IdleSpan, ApiError> {
        let hub = self.call(Call::Idle {
            session_id,
            client_id: client_id.into(),
            started_at,
            ended_at,
        })?;
        let decision = hub.idle_decision.unwrap_or(IdleDecision::Pending);
        Ok(IdleSpan {
            id: 31,
            session_id,
            started_at,
            ended_at,
            seconds: (ended_at - started_at).num_seconds(),
            decision,
            answer_by: (decision == IdleDecision::Pending)
                .then(|| Utc::now() + chrono::Duration::minutes(10)),
        })
    }

    async fn answer_idle(
        &self,
        session_id: i64,
        span_id: i64,
        keep: bool,
    ) -> Result<IdleSpan, ApiError> {
        drop(self.call(Call::Answer { span_id, keep })?);
        let start = Utc::now() - chrono::Duration::minutes(3);
        Ok(IdleSpan {
            id: span_id,
            session_id,
            started_at: start,
            ended_at: start + chrono::Duration::minutes(2),
            seconds: 120,
            decision: if keep {
                IdleDecision::Kept
            } else {
                IdleDecision::Discarded
            },
            answer_by: None,
        })
    }
}

/// A gray 64×48 screen.
struct GrayScreen;

impl ScreenSource for GrayScreen {
    fn capture(&mut self) -> Result<image::RgbaImage, CaptureError> {
        Ok(image::RgbaImage::from_pixel(
            64,
            48,
            image::Rgba([90, 90, 90, 255]),
        ))
    }
}

struct Setup {
    engine: Engine<FakeHub>,
    state: SharedState,
    hub: FakeHub,
    paths: AgentPaths,
    _dir: tempfile::TempDir,
}

fn setup(hub: FakeHub) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let paths = AgentPaths::at(dir.path().to_path_buf());
    let (engine, state) = Engine::new(
        hub.clone(),
        "http://hub.test",
        paths.clone(),
        Box::new(FixedIdle(42)),
        Box::new(GrayScreen),
    );
    Setup {
        engine,
        state,
        hub,
        paths,
        _dir: dir,
    }
}

fn hello(active_session: Option<SessionInfo>, config: Policy) -> ServerToAgent {
    ServerToAgent::Hello {
        user: UserInfo {
            id: ME,
            name: "Me".into(),
            email: "me@example.test".into(),
            role: Role::Member,
            org_id: 1,
        },
        active_session,
        config_version: 3,
        config,
        server_time: Utc::now(),
    }
}

fn notice(state: &SharedState) -> String {
    state
        .lock()
        .unwrap()
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn tracked_id(state: &SharedState) -> Option<Option<i64>> {
    state.lock().unwrap().session.as_ref().map(|s| s.id)
}

#[tokio::test]
async fn a_start_and_a_stop_with_the_hub_up_go_straight_through() {
    let mut t = setup(FakeHub::online());
    t.engine.start(None).await;
    assert_eq!(tracked_id(&t.state), Some(Some(1)));
    assert_eq!(notice(&t.state), "Session started.");
    t.engine.stop().await;
    assert_eq!(tracked_id(&t.state), None);
    assert_eq!(notice(&t.state), "Session stopped.");
    assert!(t.hub.running().is_none());
    assert!(t.engine.queue.is_empty());
    // `presence-agent status` reads the same from the status file.
    let status: crate::state::AgentState =
        crate::paths::read_json(&t.paths.status()).expect("a status file");
    assert!(status.session.is_none());
    assert_eq!(status.notice.unwrap().text, "Session stopped.");
}

#[tokio::test]
async fn a_start_and_stop_made_offline_are_replayed_in_order_with_their_own_times() {
    let hub = FakeHub::default();
    let mut t = setup(hub.clone());
    t.engine.start(None).await;
    assert_eq!(
        tracked_id(&t.state),
        Some(None),
        "tracked locally, id unknown"
    );
    let started_at = t.state.lock().unwrap().session.as_ref().unwrap().started_at;
    t.engine.stop().await;
    assert_eq!(t.engine.queue.len(), 2);
    assert_eq!(t.state.lock().unwrap().pending_writes, 2);
    assert!(hub.calls().is_empty());

    hub.set_reachable(true);
    t.engine.on_message(hello(None, Policy::default())).await;
    let calls = hub.calls();
    assert!(
        matches!(&calls[0], Call::Start { started_at: at, .. } if *at == Some(started_at)),
        "{:?}",
        calls[0]
    );
    assert_eq!(calls[1], Call::Stop { session_id: 1 });
    assert_eq!(calls[2], Call::Active);
    assert!(t.engine.queue.is_empty());
    assert_eq!(t.state.lock().unwrap().pending_writes, 0);
    assert!(hub.running().is_none());
    assert_eq!(tracked_id(&t.state), None);
}

#[tokio::test]
async fn a_replay_cut_short_by_the_hub_going_away_again_resumes_without_repeating() {
    let hub = FakeHub::default();
    let mut t = setup(hub.clone());
    t.engine.start(None).await;
    t.engine.stop().await;
    // The hub takes the start, then is gone before the stop.
    let op = t.engine.queue.ops()[0].clone();
    let QueuedOp::Start {
        client_id,
        started_at,
        ..
    } = op
    else {
        panic!("a queued start first")
    };
    hub.set_reachable(true);
    hub.start_session(None, &client_id, Some(started_at))
        .await
        .unwrap();
    // The replay sends the start again (the client id makes it the same session) and the stop.
    t.engine
        .on_message(hello(hub.running(), Policy::default()))
        .await;
    let starts = hub
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Start { .. }))
        .count();
    assert_eq!(starts, 2, "the same client id twice");
    assert_eq!(hub.0.lock().unwrap().next_id, 1, "one session on the hub");
    assert!(hub.running().is_none(), "and it is stopped");
    assert!(t.engine.queue.is_empty());
}

#[tokio::test]
async fn a_queued_write_the_hub_refuses_is_dropped_and_told_not_lost_silently() {
    let hub = FakeHub::online();
    let mut t = setup(hub.clone());
    t.engine.start(None).await;
    hub.set_reachable(false);
    t.engine.stop().await;
    assert_eq!(
        t.engine.queue.ops(),
        &[QueuedOp::Stop {
            session: SessionRef::Id(1),
            ended_at: match &t.engine.queue.ops()[0] {
                QueuedOp::Stop { ended_at, .. } => *ended_at,
                _ => unreachable!(),
            }
        }]
    );
    hub.set_reachable(true);
    hub.0.lock().unwrap().refuse_stops = true;
    t.engine
        .on_message(hello(hub.running(), Policy::default()))
        .await;
    assert!(t.engine.queue.is_empty(), "not retried forever");
    assert!(
        notice(&t.state).contains("refused a write made offline: 409: This week is locked."),
        "{}",
        notice(&t.state)
    );
    // The hub's view wins: its session still runs, so the agent tracks it again.
    assert_eq!(tracked_id(&t.state), Some(Some(1)));
}

#[tokio::test]
async fn an_admins_end_stops_tracking_and_says_why() {
    let hub = FakeHub::online();
    let mut t = setup(hub.clone());
    t.engine.start(None).await;
    t.engine
        .on_message(ServerToAgent::SessionEnded(SessionEnded {
            session_id: 1,
            reason: "Forgot to stop".into(),
            ended_by: Some(99),
            ended_at: Utc::now(),
        }))
        .await;
    assert_eq!(tracked_id(&t.state), None);
    assert_eq!(
        notice(&t.state),
        "Your session was ended by an admin: Forgot to stop"
    );
    // Another session's end is not this agent's business.
    hub.0.lock().unwrap().running = None;
    t.engine.start(None).await;
    let before = tracked_id(&t.state);
    assert_eq!(before, Some(Some(2)));
    t.engine
        .on_message(ServerToAgent::SessionEnded(SessionEnded {
            session_id: 12345,
            reason: "x".into(),
            ended_by: Some(99),
            ended_at: Utc::now(),
        }))
        .await;
    assert_eq!(tracked_id(&t.state), before);
}

#[tokio::test]
async fn a_session_ended_while_offline_is_noticed_at_hello() {
    let hub = FakeHub::online();
    let mut t = setup(hub.clone());
    t.engine.start(None).await;
    hub.0.lock().unwrap().running = None;
    t.engine.on_message(hello(None, Policy::default())).await;
    assert_eq!(tracked_id(&t.state), None);
    assert_eq!(
        notice(&t.state),
        "Your session was ended while this device was offline."
    );
}

#[tokio::test]
async fn a_pushed_policy_is_applied_cached_and_noticed() {
    let mut t = setup(FakeHub::online());
    t.engine.on_message(hello(None, Policy::default())).await;
    let config = Policy {
        show_tracker_notification: true,
        config_sync_interval_seconds: 30,
        ..Policy::default()
    };
    t.engine
        .on_message(ServerToAgent::ConfigUpdated(ConfigUpdated {
            config_version: 4,
            config: config.clone(),
            changed: vec!["config_sync_interval_seconds".into()],
        }))
        .await;
    let state = t.state.lock().unwrap().clone();
    assert_eq!(state.config_version, 4);
    assert_eq!(state.config.config_sync_interval_seconds, 30);
    assert_eq!(
        notice(&t.state),
        "Tracking settings changed (version 4): config_sync_interval_seconds"
    );
    assert_eq!(
        *t.engine.sync_interval.borrow(),
        std::time::Duration::from_secs(30)
    );
    let cached: super::config::CachedConfig =
        crate::paths::read_json(&t.paths.config_cache()).expect("cached");
    assert_eq!(cached.config_version, 4);
    assert_eq!(cached.config, config.clamped());
}

#[tokio::test]
async fn heartbeats_carry_idle_time_only_while_online_and_only_as_the_policy_allows() {
    let mut t = setup(FakeHub::online());
    let (tx, mut rx) = mpsc::channel(4);
    t.engine.heartbeat_tx = Some(tx);
    // Offline: idle time is shown, nothing is sent.
    t.engine.heartbeat();
    assert_eq!(t.state.lock().unwrap().idle_seconds, 42);
    assert!(rx.try_recv().is_err());

    t.engine.on_message(hello(None, Policy::default())).await;
    // The hello's policy is acknowledged; the first heartbeat says what runs here.
    assert_eq!(
        rx.try_recv().expect("an acknowledgement"),
        AgentToServer::ConfigApplied { config_version: 3 }
    );
    t.engine.heartbeat();
    let AgentToServer::Heartbeat {
        idle_seconds,
        agent_version,
        os,
        ..
    } = rx.try_recv().expect("a heartbeat")
    else {
        panic!("expected a heartbeat");
    };
    assert_eq!(idle_seconds, 42);
    assert_eq!(agent_version.as_deref(), Some(super::AGENT_VERSION));
    assert!(os.is_some_and(|os| !os.is_empty()));
    let off = Policy {
        enable_idle_detection: false,
        ..Policy::default()
    };
    t.engine
        .on_message(ServerToAgent::ConfigUpdated(ConfigUpdated {
            config_version: 5,
            config: off,
            changed: vec!["enable_idle_detection".into()],
        }))
        .await;
    assert_eq!(
        rx.try_recv().expect("an acknowledgement"),
        AgentToServer::ConfigApplied { config_version: 5 }
    );
    t.engine.heartbeat();
    let AgentToServer::Heartbeat {
        idle_seconds,
        agent_version,
        capture,
        ..
    } = rx.try_recv().expect("a heartbeat")
    else {
        panic!("expected a heartbeat");
    };
    assert_eq!(idle_seconds, 0);
    // Said once a connection, and no capture was tried.
    assert_eq!(agent_version, None);
    assert_eq!(capture, None);
}

/// A screen that cannot be read (no display).
struct NoScreen;

impl ScreenSource for NoScreen {
    fn capture(&mut self) -> Result<image::RgbaImage, CaptureError> {
        Err(CaptureError::NoScreen("no display :0".into()))
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_capture_is_reported_in_the_next_heartbeat_once() {
    let hub = FakeHub::online();
    let mut t = setup(hub.clone());
    t.engine.screen = Box::new(NoScreen);
    let (tx, mut rx) = mpsc::channel(8);
    t.engine.heartbeat_tx = Some(tx);
    let config = Policy {
        screenshots_enabled: true,
        ..Policy::default()
    };
    t.engine.on_message(hello(None, config)).await;
    t.engine.start(None).await;
    t.engine.next_screenshot = Some(tokio::time::Instant::now());
    t.engine.maybe_screenshot().await;
    while let Ok(msg) = rx.try_recv() {
        assert!(matches!(msg, AgentToServer::ConfigApplied { .. }));
    }
    t.engine.heartbeat();
    let Ok(AgentToServer::Heartbeat {
        capture: Some(report),
        ..
    }) = rx.try_recv()
    else {
        panic!("expected a heartbeat with the capture");
    };
    assert!(report.error.is_some_and(|e| e.contains("no display")));
    t.engine.heartbeat();
    assert!(matches!(
        rx.try_recv(),
        Ok(AgentToServer::Heartbeat { capture: None, .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_screenshot_taken_offline_is_kept_and_uploaded_with_its_own_time_when_the_hub_is_back() {
    let hub = FakeHub::online();
    let mut t = setup(hub.clone());
    let config = Policy {
        screenshots_enabled: true,
        ..Policy::default()
    };
    t.engine.on_message(hello(None, config)).await;
    t.engine.start(None).await;
    hub.set_reachable(false);
    // The first shot is due a second after the start.
    tokio::time::advance(std::time::Duration::from_secs(2)).await;
    t.engine.maybe_screenshot().await;
    let kept = t.engine.spool.pending();
    assert_eq!(kept.len(), 1);
    let SpooledShot {
        client_id,
        session_id,
        captured_at,
    } = kept[0].shot.clone();
    assert_eq!(session_id, Some(1));
    assert!(hub
        .calls()
        .iter()
        .all(|c| !matches!(c, Call::Upload { .. })));

    hub.set_reachable(true);
    t.engine
        .on_message(hello(hub.running(), Policy::default()))
        .await;
    let uploads: Vec<Call> = hub
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Upload { .. }))
        .collect();
    assert_eq!(uploads.len(), 1);
    match &uploads[0] {
        Call::Upload {
            client_id: sent_id,
            session_id: sent_session,
            captured_at: sent_at,
            bytes,
        } => {
            assert_eq!(sent_id, &client_id);
            assert_eq!(*sent_session, Some(1));
            assert_eq!(*sent_at, captured_at);
            assert!(*bytes > 100, "a JPEG");
        }
        _ => unreachable!(),
    }
    assert!(t.engine.spool.pending().is_empty());
    assert_eq!(t.state.lock().unwrap().screenshots_uploaded, 1);
}

#[tokio::test]
async fn a_second_start_is_refused_locally_and_the_connection_state_follows_the_socket() {
    let mut t = setup(FakeHub::online());
    t.engine.start(None).await;
    t.engine.start(None).await;
    assert_eq!(notice(&t.state), "A session is already running.");
    t.engine.on_message(hello(None, Policy::default())).await;
    assert_eq!(t.state.lock().unwrap().connection, Connection::Online);
    t.engine
        .on_socket(crate::client::socket::SocketEvent::Disconnected(
            "gone".into(),
        ))
        .await;
    assert_eq!(t.state.lock().unwrap().connection, Connection::Offline);
}

fn idle_policy() -> Policy {
    Policy {
        idle_threshold_seconds: 60,
        ..Policy::default()
    }
}

#[tokio::test]
async fn a_return_from_idle_is_reported_and_the_windows_question_answered() {
    let mut t = setup(FakeHub::online());
    let now = Utc::now();
    t.engine
        .on_message(hello(
            Some(session(5, now - chrono::Duration::hours(1))),
            idle_policy(),
        ))
        .await;
    // Idle for two minutes (still idle: nothing yet), then back.
    t.engine.follow_idle(120, now).await;
    assert!(!t.hub.calls().iter().any(|c| matches!(c, Call::Idle { .. })));
    t.engine
        .follow_idle(1, now + chrono::Duration::seconds(11))
        .await;
    let reported = t
        .hub
        .calls()
        .into_iter()
        .find(|c| matches!(c, Call::Idle { .. }))
        .expect("the span reported");
    let Call::Idle {
        session_id,
        started_at,
        ended_at,
        ..
    } = reported
    else {
        unreachable!()
    };
    assert_eq!(session_id, 5);
    assert_eq!(started_at, now - chrono::Duration::seconds(120));
    assert_eq!(
        ended_at,
        now + chrono::Duration::seconds(10),
        "at the first input"
    );
    let question = t
        .state
        .lock()
        .unwrap()
        .idle_question
        .clone()
        .expect("a question");
    assert_eq!(question.span_id, 31);
    assert_eq!(
        notice(&t.state),
        "You were away for 2 min. Keep this time or discard it?"
    );
    // The window's answer goes to the hub; the question goes away.
    t.engine.answer_idle(false).await;
    assert!(t.hub.calls().contains(&Call::Answer {
        span_id: 31,
        keep: false
    }));
    assert!(t.state.lock().unwrap().idle_question.is_none());
    assert_eq!(notice(&t.state), "Discarded: 2 min away are not counted.");
}

#[tokio::test]
async fn short_idleness_and_idleness_without_a_session_are_not_reported() {
    let mut t = setup(FakeHub::online());
    let now = Utc::now();
    t.engine.on_message(hello(None, idle_policy())).await;
    t.engine.follow_idle(600, now).await;
    t.engine
        .follow_idle(0, now + chrono::Duration::seconds(1))
        .await;
    t.engine
        .on_message(hello(Some(session(5, now)), idle_policy()))
        .await;
    // 61 s idle measured, back after 59 s of it: below the threshold.
    t.engine.follow_idle(61, now).await;
    t.engine
        .follow_idle(2, now - chrono::Duration::seconds(0))
        .await;
    assert!(!t.hub.calls().iter().any(|c| matches!(c, Call::Idle { .. })));
}

#[tokio::test]
async fn idleness_while_offline_is_queued_and_reported_on_replay() {
    let hub = FakeHub::online();
    let mut t = setup(hub.clone());
    let now = Utc::now();
    t.engine
        .on_message(hello(
            Some(session(5, now - chrono::Duration::hours(1))),
            idle_policy(),
        ))
        .await;
    hub.set_reachable(false);
    t.engine.follow_idle(300, now).await;
    t.engine
        .follow_idle(0, now + chrono::Duration::seconds(5))
        .await;
    assert_eq!(t.engine.queue.len(), 1);
    assert!(notice(&t.state).contains("the hub will be told when it is back"));
    hub.0.lock().unwrap().idle_decision = Some(IdleDecision::Discarded);
    hub.set_reachable(true);
    hub.0.lock().unwrap().running = Some(session(5, now - chrono::Duration::hours(1)));
    t.engine
        .on_message(hello(
            Some(session(5, now - chrono::Duration::hours(1))),
            idle_policy(),
        ))
        .await;
    assert!(t.engine.queue.is_empty());
    assert!(hub
        .calls()
        .iter()
        .any(|c| matches!(c, Call::Idle { session_id: 5, .. })));
    assert!(
        t.state.lock().unwrap().idle_question.is_none(),
        "the policy decided"
    );
}

#[tokio::test]
async fn an_unanswered_question_expires_as_kept() {
    let mut t = setup(FakeHub::online());
    let now = Utc::now();
    t.engine
        .on_message(hello(
            Some(session(5, now - chrono::Duration::hours(1))),
            idle_policy(),
        ))
        .await;
    t.engine.follow_idle(120, now).await;
    t.engine
        .follow_idle(0, now + chrono::Duration::seconds(1))
        .await;
    assert!(t.state.lock().unwrap().idle_question.is_some());
    t.engine
        .expire_idle_question(now + chrono::Duration::minutes(11));
    assert!(t.state.lock().unwrap().idle_question.is_none());
    assert_eq!(
        notice(&t.state),
        "No answer for 10 minutes: the idle time was kept."
    );
}
