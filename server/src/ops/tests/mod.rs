//! Unit tests of the operations: each rule and refusal on a fresh `sqlite::memory:` store, with
//! a publisher that records what would have gone to the hub — no hub, no HTTP, no sockets.
//! (The same operations run against real hub processes in `server/tests/` and `e2e/`.)

mod corrections;
mod deliveries;
mod device_flow;
mod own_data;
mod people;
mod policy;
mod polls;
mod screenshots;
mod sessions;
mod sso;
mod status;
mod tickets;
mod timesheets;
mod tokens;
mod two_factor;
mod webhooks;
mod worktime;

use std::sync::Mutex;

use super::{Actor, Ctx, Publisher};
use crate::metrics::Metrics;
use crate::ops;
use crate::store::{Store, UserAuditActor, UserRow};
use hub_core::events::{Event, Published};
use shared::api::CreateUserRequest;
use shared::Role;

/// Keeps every event an operation publishes, in order.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<Published>>);

impl Publisher for Recorder {
    fn publish(&self, published: Published) {
        self.0.lock().expect("recorder").push(published);
    }
}

impl Recorder {
    /// The events published since the last call, oldest first.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().expect("recorder"))
            .into_iter()
            .map(|p| p.event)
            .collect()
    }

    /// Their kinds (`session_started`, …), for short assertions.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.take().iter().map(Event::kind).collect()
    }
}

/// A store in memory with one organization ("Test Co", Europe/Berlin) and its owner.
pub struct Fixture {
    pub store: Store,
    pub published: Recorder,
    pub owner: UserRow,
    /// The folder of a file store ([`Fixture::on_file`]), removed with the fixture.
    _folder: Option<tempfile::TempDir>,
}

impl Fixture {
    pub async fn new() -> Fixture {
        let store = Store::connect("sqlite::memory:", Metrics::new())
            .await
            .expect("an in-memory store");
        Fixture::with(store, None).await
    }

    /// The same on a SQLite file, as the hub runs: the statements on a request's path go
    /// through the direct connection (store/direct.rs) instead of sqlx.
    pub async fn on_file() -> Fixture {
        let folder = tempfile::tempdir().expect("a folder");
        let url = format!("sqlite://{}", folder.path().join("hub.db").display());
        let store = Store::connect(&url, Metrics::new())
            .await
            .expect("a file store");
        Fixture::with(store, Some(folder)).await
    }

    async fn with(store: Store, folder: Option<tempfile::TempDir>) -> Fixture {
        let published = Recorder::default();
        let ctx = Ctx {
            store: &store,
            events: Some(&published),
            public_url: "http://hub.test",
        };
        let new = ops::orgs::NewOrg {
            name: "Test Co",
            timezone: "Europe/Berlin",
            owner_name: "Olga Owner",
            owner_email: "owner@test.example",
            owner_password: None,
        };
        let (_, owner, _) = ops::orgs::create(&ctx, &new, None, "cli", None)
            .await
            .expect("the organization");
        published.take();
        Fixture {
            store,
            published,
            owner,
            _folder: folder,
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            store: &self.store,
            events: Some(&self.published),
            public_url: "http://hub.test",
        }
    }

    pub fn org_id(&self) -> i64 {
        self.owner.org_id
    }

    /// A new active user of the organization with `role` (invited: no password).
    pub async fn user(&self, name: &str, role: Role) -> UserRow {
        let body = CreateUserRequest {
            name: name.to_string(),
            email: format!("{}@test.example", name.to_lowercase()),
            password: None,
            role,
            game_name: Some(name.to_string()),
            steam_id: None,
            discord: None,
            timezone: None,
        };
        let who = UserAuditActor {
            actor_id: Some(self.owner.id),
            ip: None,
            via: "api",
        };
        let (user, _) = ops::people::create_user(&self.ctx(), self.org_id(), &body, &who)
            .await
            .expect("a user");
        self.published.take();
        user
    }

    /// A second organization with its own owner, for the "never another's" refusals.
    pub async fn other_org_owner(&self) -> UserRow {
        let new = ops::orgs::NewOrg {
            name: "Other Co",
            timezone: "UTC",
            owner_name: "Otto Other",
            owner_email: "otto@other.example",
            owner_password: None,
        };
        let (_, owner, _) = ops::orgs::create(&self.ctx(), &new, None, "cli", None)
            .await
            .expect("another organization");
        self.published.take();
        owner
    }

    /// The audit actions recorded for the organization, newest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        let (items, _) = self
            .store
            .list_audit(self.org_id(), None, 1, 100)
            .await
            .expect("the audit log");
        items.into_iter().map(|a| a.action).collect()
    }
}

pub fn actor(user: &UserRow) -> Actor {
    Actor {
        user: user.clone(),
        token_id: 0,
        ip: Some("127.0.0.1".into()),
    }
}
