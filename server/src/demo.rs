//! The demo company "Demo Co" (`--demo`): created once, left alone afterwards.

use crate::domain::auth::{hash_password, HashError};
use crate::domain::server_presence::{plan_poll, PollContext, PollOutcome, PresentStaff};
use crate::store::{now_ms, NewUser, PollRecord, Store, StoreError};
use shared::Role;

pub const DEMO_ORG: &str = "Demo Co";
pub const DEMO_PASSWORD: &str = "demo-pass-1";

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
}

/// Creates the demo company unless an organization with its name exists. Returns true if created.
pub async fn ensure_demo_company(store: &Store) -> Result<bool, DemoError> {
    if store.find_org_by_name(DEMO_ORG).await?.is_some() {
        return Ok(false);
    }
    let org = store.create_org(DEMO_ORG, "UTC").await?;
    let mut alice = None;
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
            })
            .await?;
        if email == "alice@demo.test" {
            alice = Some(user.id);
        }
    }
    if let Some(alice) = alice {
        demo_server_time(store, org.id, alice).await?;
    }
    tracing::info!(org_id = org.id, "demo company created");
    Ok(true)
}

/// The demo game server and two finished sessions of Alice on it (yesterday and the day
/// before), written the way the poller writes them.
async fn demo_server_time(store: &Store, org_id: i64, user_id: i64) -> Result<(), StoreError> {
    let (name, address) = DEMO_GAME_SERVER;
    let server = store
        .create_game_server(org_id, name, address, true)
        .await?;
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
                org_id,
                server.id,
                &record(join),
                &plan_poll(&[], &present, ctx(join)),
            )
            .await?;
        let leave = join + hours * hour;
        let open = store.open_server_sessions(server.id).await?;
        let gone = plan_poll(&open, &PollOutcome::Answered(Vec::new()), ctx(leave));
        store
            .apply_poll(org_id, server.id, &record(leave), &gone)
            .await?;
    }
    Ok(())
}
