//! The demo company "Demo Co" (`--demo`): created once, left alone afterwards.

use crate::domain::auth::{hash_password, HashError};
use crate::domain::server_presence::{plan_poll, PollContext, PollOutcome, PresentStaff};
use crate::store::{now_ms, NewSession, NewUser, PollRecord, Store, StoreError};
use shared::Role;

pub const DEMO_ORG: &str = "Demo Co";
pub const DEMO_PASSWORD: &str = "demo-pass-1";

/// Tickets of the demo company: title, description.
const DEMO_TICKETS: [(&str, &str); 3] = [
    (
        "Login page times out",
        "Users on the VPN wait 30 s before the form answers.",
    ),
    (
        "Quarterly report",
        "Numbers for Q3, with the charts the board asked for.",
    ),
    (
        "Onboard the new support staff",
        "Accounts, agent install, first week's shifts.",
    ),
];

/// Finished demo sessions: user index in `DEMO_USERS`, ticket index (if any), days ago,
/// start hour (UTC), minutes. Examples of the seed: 10:00–12:30 is 150 minutes. Three or
/// more days back, so today's and yesterday's tracking starts on a clean slate.
const DEMO_SESSIONS: [(usize, Option<usize>, i64, i64, i64); 6] = [
    (3, Some(0), 3, 10, 150),
    (3, Some(1), 4, 9, 120),
    (4, Some(1), 3, 13, 45),
    (4, Some(2), 4, 14, 30),
    (5, None, 3, 8, 90),
    (5, Some(2), 5, 11, 60),
];

/// The demo game server: `cargo run -p e2e --bin fake-a2s -- --player "Alice Archer"` answers
/// there.
pub const DEMO_GAME_SERVER: (&str, &str) = ("Demo EU #1", "127.0.0.1:27015");

/// Demo staff with a game name (it equals their display name).
const DEMO_GAME_NAMES: [&str; 2] = ["alice@demo.test", "bob@demo.test"];

/// E-mail, name, role of every demo login.
pub const DEMO_USERS: [(&str, &str, Role); 6] = [
    ("owner@demo.test", "Olivia Owner", Role::Owner),
    ("admin@demo.test", "Adam Admin", Role::Admin),
    ("lead@demo.test", "Lena Lead", Role::Supervisor),
    ("alice@demo.test", "Alice Archer", Role::Member),
    ("bob@demo.test", "Bob Baker", Role::Member),
    ("carol@demo.test", "Carol Cole", Role::Member),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Op(#[from] crate::ops::OpError),
}

/// Creates the demo company unless an organization with its name exists. Returns true if created.
pub async fn ensure_demo_company(
    store: &Store,
    data_dir: &std::path::Path,
) -> Result<bool, DemoError> {
    if store.find_org_by_name(DEMO_ORG).await?.is_some() {
        return Ok(false);
    }
    let org = store.create_org(DEMO_ORG, "UTC").await?;
    let mut users = Vec::new();
    for (email, name, role) in DEMO_USERS {
        let hash = hash_password(DEMO_PASSWORD)?;
        let user = store
            .create_user(NewUser {
                org_id: org.id,
                email,
                name,
                role,
                password_hash: &hash,
                game_name: DEMO_GAME_NAMES.contains(&email).then_some(name),
                steam_id: None,
                discord: None,
                timezone: None,
            })
            .await?;
        users.push(user.id);
    }
    let mut tickets = Vec::new();
    for (title, description) in DEMO_TICKETS {
        let ticket = store
            .create_ticket(org.id, title, Some(description), users[1])
            .await?;
        tickets.push(ticket.id);
    }
    // Whole days back from today's midnight (UTC), so the history reads naturally.
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let today = now_ms() - now_ms().rem_euclid(DAY_MS);
    let mut alices_first = None;
    for (user, ticket, days_ago, hour, minutes) in DEMO_SESSIONS {
        let started_at = today - days_ago * DAY_MS + hour * 3600 * 1000;
        let (created, _) = store
            .create_session(
                NewSession {
                    org_id: org.id,
                    user_id: users[user],
                    ticket_id: ticket.map(|t| tickets[t]),
                    started_at,
                    ended_at: Some(started_at + minutes * 60 * 1000),
                    note: None,
                    source: "manual",
                    client_id: None,
                    // A new organization has no approved weeks.
                    weeks: Vec::new(),
                },
                |_| None,
            )
            .await?;
        if user == 3 && alices_first.is_none() {
            let (crate::store::Created::New(row) | crate::store::Created::Existing(row)) = created;
            alices_first = Some(row);
        }
    }
    if let Some(session) = alices_first {
        demo_own_data(store, data_dir, org.id, &users, &session).await?;
    }
    demo_plans(store, org.id, &users).await?;
    demo_absences(store, org.id, &users).await?;
    // Alice (index 3) has game time on the demo server.
    demo_server_time(store, org.id, users[3]).await?;
    tracing::info!(org_id = org.id, "demo company created");
    Ok(true)
}

/// What `/me` shows of Alice (SPEC §18): her first demo session's activity per 10-minute
/// slot and focused apps, three screenshots in it (drawn desktops, stored like an upload),
/// Lena Lead's view of one of them (recorded in the audit log as every view is), and an idle
/// break she kept.
async fn demo_own_data(
    store: &Store,
    data_dir: &std::path::Path,
    org_id: i64,
    users: &[i64],
    session: &crate::store::SessionRow,
) -> Result<(), DemoError> {
    use crate::domain::activity::{slot_start, SlotCounts};
    use hub_core::records::{AppWrite, SlotWrite};
    let ctx = crate::ops::Ctx {
        store,
        events: None,
        public_url: "",
    };
    let alice = store
        .get_user(org_id, users[3])
        .await?
        .ok_or(DemoError::Op(crate::ops::OpError::NotFound("User")))?;
    let lena = store
        .get_user(org_id, users[2])
        .await?
        .ok_or(DemoError::Op(crate::ops::OpError::NotFound("User")))?;
    let end = session.ended_at.unwrap_or(session.started_at);
    let slots: Vec<SlotWrite> = (0..)
        .map(|i| slot_start(session.started_at) + i * 600_000)
        .take_while(|start| *start < end)
        .enumerate()
        .map(|(i, start)| {
            // Sixty heartbeats a slot, busier in the middle of the session.
            let active = [
                38, 51, 57, 44, 59, 33, 48, 55, 41, 52, 46, 30, 58, 49, 36, 27,
            ][i % 16];
            SlotWrite {
                session_id: session.id,
                user_id: alice.id,
                slot_start: start,
                counts: SlotCounts {
                    heartbeats: 60,
                    active_heartbeats: active,
                    ..SlotCounts::default()
                },
            }
        })
        .collect();
    let apps = [
        ("code", "presence-hub — src/demo.rs", 62),
        ("firefox", "Pull request #42 · Review", 48),
        ("slack", "#support", 22),
        ("terminal", "cargo test", 18),
    ]
    .map(|(app, title, minutes)| AppWrite {
        session_id: session.id,
        user_id: alice.id,
        app: app.to_string(),
        active_ms: minutes * 60_000,
        last_title: Some(title.to_string()),
    });
    store.write_activity(&slots, &apps).await?;
    let actor = crate::ops::Actor {
        user: alice.clone(),
        token_id: 0,
        ip: None,
    };
    let mut first = None;
    for (i, minutes) in [12_i64, 47, 95].into_iter().enumerate() {
        let upload = crate::ops::screenshots::Upload {
            session_id: Some(session.id),
            captured_at: Some(session.started_at + minutes * 60_000),
            client_id: None,
        };
        let jpeg = demo_desktop(i as u8);
        let (shot, _) =
            crate::ops::screenshots::store(&ctx, data_dir, &actor, upload, &jpeg).await?;
        first.get_or_insert(shot.id);
    }
    if let Some(id) = first {
        crate::ops::screenshots::open(&ctx, &lena, id, None).await?;
    }
    // A coffee break she chose to keep.
    let away = session.started_at + 64 * 60_000;
    store
        .insert_idle_span(
            &crate::store::NewIdleSpan {
                org_id,
                session_id: session.id,
                user_id: alice.id,
                started_at: away,
                ended_at: away + 11 * 60_000,
                decision: "kept",
                client_id: None,
                weeks: Vec::new(),
            },
            |row| crate::events::Event::SessionUpdated {
                session: row.info(),
            },
        )
        .await?;
    Ok(())
}

/// A drawn desktop for the demo's screenshots: a window with a title bar and lines of "text".
fn demo_desktop(variant: u8) -> Vec<u8> {
    let (w, h) = (960, 600);
    let accent = [[37, 99, 235], [22, 163, 74], [217, 119, 6]][usize::from(variant % 3)];
    let picture = image::RgbImage::from_fn(w, h, |x, y| {
        let in_window = (80..880).contains(&x) && (60..540).contains(&y);
        let title_bar = in_window && y < 96;
        let text = in_window
            && y > 120
            && (y - 120) % 28 < 10
            && x > 110
            && x < 110 + 90 * ((y / 28 + u32::from(variant)) % 8 + 1);
        let rgb = if title_bar {
            accent
        } else if text {
            [55, 65, 81]
        } else if in_window {
            [248, 250, 252]
        } else {
            [30 + (y / 12) as u8, 41, 59 + (x / 16) as u8]
        };
        image::Rgb(rgb)
    });
    let mut jpeg = Vec::new();
    // Encoding a picture made here cannot fail; an empty file would be refused by the store.
    let _ =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&picture);
    jpeg
}

/// Working-time plans: the organization's 8 hours Monday to Friday, and each person's own
/// plan (Bob part-time, 6 hours), from last week's Monday: the demo's history (3 to 5 days
/// back) falls inside it, and the balance carries over it without weeks nobody recorded
/// (people's own plans count from their start, joined or not).
async fn demo_plans(store: &Store, org_id: i64, users: &[i64]) -> Result<(), StoreError> {
    use chrono::{Datelike, Days, Utc};
    let today = Utc::now().date_naive();
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let start = monday - Days::new(7);
    let full = [480, 480, 480, 480, 480, 0, 0];
    let part = [360, 360, 360, 360, 360, 0, 0];
    let audit = |user: Option<i64>, minutes: [u32; 7]| crate::store::NewAudit {
        org_id,
        actor_id: None,
        action: "WORK_PLAN_SET",
        target_type: Some("user"),
        target_id: user,
        ip: None,
        details: serde_json::json!({ "user_id": user, "valid_from": start, "minutes": minutes, "via": "demo" }),
    };
    store
        .set_work_plan(org_id, None, start, full, users[0], &audit(None, full))
        .await?;
    for (i, &user) in users.iter().enumerate() {
        // Bob Baker (index 4) works six hours a day.
        let minutes = if i == 4 { part } else { full };
        store
            .set_work_plan(
                org_id,
                Some(user),
                start,
                minutes,
                users[0],
                &audit(Some(user), minutes),
            )
            .await?;
    }
    Ok(())
}

/// Absences to see on `/absences` and in the figures: Carol off sick last Monday and Alice on
/// vacation half of last Tuesday (recorded by the admin, so approved at once), and Bob's
/// vacation next Monday to Wednesday, waiting for a supervisor. Made as people make them.
async fn demo_absences(store: &Store, org_id: i64, users: &[i64]) -> Result<(), DemoError> {
    use chrono::{Datelike, Days, Utc};
    use shared::worktime::{AbsenceKind, RequestAbsence};
    let ctx = crate::ops::Ctx {
        store,
        events: None,
        public_url: "",
    };
    let person = |i: usize| async move {
        store
            .get_user(org_id, users[i])
            .await?
            .ok_or(DemoError::Op(crate::ops::OpError::NotFound("User")))
    };
    let today = Utc::now().date_naive();
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let (last_monday, next_monday) = (monday - Days::new(7), monday + Days::new(7));
    let ask =
        |user_id: Option<i64>, kind, first_day, last_day, half_day, note: &str| RequestAbsence {
            kind,
            first_day,
            last_day,
            half_day,
            note: Some(note.to_string()),
            user_id,
        };
    let admin = person(1).await?;
    let recorded = [
        ask(
            Some(users[5]),
            AbsenceKind::Sick,
            last_monday,
            last_monday,
            false,
            "Flu",
        ),
        ask(
            Some(users[3]),
            AbsenceKind::Vacation,
            last_monday + Days::new(1),
            last_monday + Days::new(1),
            true,
            "Dentist in the afternoon",
        ),
    ];
    for req in &recorded {
        crate::ops::worktime::request_absence(&ctx, &admin, req, None).await?;
    }
    let bob = person(4).await?;
    let trip = ask(
        None,
        AbsenceKind::Vacation,
        next_monday,
        next_monday + Days::new(2),
        false,
        "Family visit",
    );
    crate::ops::worktime::request_absence(&ctx, &bob, &trip, None).await?;
    Ok(())
}

/// The demo game server and two finished sessions of Alice on it (yesterday and the day
/// before), written the way the poller writes them.
async fn demo_server_time(store: &Store, org_id: i64, user_id: i64) -> Result<(), StoreError> {
    let (name, address) = DEMO_GAME_SERVER;
    // Written before the hub serves anyone: nobody to tell.
    let (created, _) = store
        .create_game_server(
            org_id,
            name,
            address,
            true,
            crate::domain::coverage::CoverageRule {
                min_staff: 1,
                alert_after_minutes: 2,
            },
        )
        .await?;
    let server = store
        .get_game_server(org_id, created.server.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the demo game server vanished".into()))?;
    let hour = 3_600_000;
    let now = now_ms();
    for (join, hours) in [(now - 48 * hour, 2), (now - 26 * hour, 1)] {
        let ctx = |at| PollContext {
            now: at,
            failures_before: 0,
            first_answer_since_start: false,
        };
        let record = |at| PollRecord {
            polled_at: at,
            answered: true,
            ..PollRecord::default()
        };
        let present = PollOutcome::Answered(vec![PresentStaff {
            user_id,
            player_name: "Alice Archer".into(),
        }]);
        store
            .apply_poll(
                &server,
                &record(join),
                &plan_poll(&[], &present, ctx(join)),
                |_, _| false,
            )
            .await?;
        let leave = join + hours * hour;
        let open = store.open_server_sessions(server.id).await?;
        let gone = plan_poll(&open, &PollOutcome::Answered(Vec::new()), ctx(leave));
        store
            .apply_poll(&server, &record(leave), &gone, |_, _| false)
            .await?;
    }
    Ok(())
}
