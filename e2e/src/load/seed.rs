//! Benchmark-only seeding: writes organizations, users, device tokens and running sessions
//! straight through the hub's own storage layer (`server::store::Store`), the way the API would
//! store them — but with one precomputed argon2 hash shared by every user (hashing 19,000
//! passwords would take minutes) and without the HTTP round trips. The hub is not running
//! meanwhile and gains no new way in: these are ordinary rows and hashed tokens, and the plain
//! tokens only go to the manifest file the load generator reads.

use anyhow::Context;
use futures_util::future::try_join_all;
use server::domain::auth::{hash_password, new_token, token_hash};
use server::metrics::Metrics;
use server::store::{Created, NewSession, NewUser, Store, UserRow};
use shared::Role;

use super::manifest::{Account, Manifest, SeededOrg};

pub const BENCH_PASSWORD: &str = "bench-pass-1";
const TOKEN_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// Users written concurrently (the SQLite pool queues them on its single writer).
const CONCURRENCY: usize = 64;

/// A group of users of one organization.
#[derive(Debug, Clone)]
pub struct GroupPlan {
    pub group: String,
    pub role: Role,
    pub count: usize,
    /// Give each a running work session (started "now", source `agent`).
    pub active_session: bool,
}

impl GroupPlan {
    pub fn new(group: &str, role: Role, count: usize) -> GroupPlan {
        GroupPlan {
            group: group.into(),
            role,
            count,
            active_session: false,
        }
    }

    pub fn with_sessions(mut self) -> GroupPlan {
        self.active_session = true;
        self
    }
}

/// One organization: an owner and an admin, then the groups.
#[derive(Debug, Clone)]
pub struct OrgPlan {
    pub label: String,
    pub groups: Vec<GroupPlan>,
}

struct Seeder {
    store: Store,
    password_hash: String,
    /// Keeps e-mails unique when the same database is seeded twice (PostgreSQL).
    run: String,
}

/// Seeds `plans` into the database at `database_url` (migrating it first).
pub async fn seed(database_url: &str, plans: &[OrgPlan]) -> anyhow::Result<Manifest> {
    let store = Store::connect(database_url, Metrics::new())
        .await
        .context("open the benchmark database")?;
    let seeder = Seeder {
        store: store.clone(),
        password_hash: hash_password(BENCH_PASSWORD).context("hash the bench password")?,
        run: format!("{:x}", super::clock::now_ns() % 0xff_ffff),
    };
    let mut orgs = Vec::new();
    for plan in plans {
        orgs.push(seeder.org(plan).await?);
    }
    store.close().await;
    Ok(Manifest {
        password: BENCH_PASSWORD.into(),
        orgs,
    })
}

impl Seeder {
    async fn org(&self, plan: &OrgPlan) -> anyhow::Result<SeededOrg> {
        let name = format!("Bench {} {}", plan.label, self.run);
        let org = self.store.create_org(&name, "UTC").await?;
        let owner = self
            .user(org.id, &plan.label, "owner", 0, Role::Owner, false)
            .await?;
        let admin = self
            .user(org.id, &plan.label, "admin", 0, Role::Admin, false)
            .await?;
        let mut users = Vec::new();
        for group in &plan.groups {
            let indices: Vec<usize> = (0..group.count).collect();
            for chunk in indices.chunks(CONCURRENCY) {
                let made = try_join_all(chunk.iter().map(|&i| {
                    self.user(
                        org.id,
                        &plan.label,
                        &group.group,
                        i,
                        group.role,
                        group.active_session,
                    )
                }))
                .await?;
                users.extend(made);
            }
        }
        Ok(SeededOrg {
            label: plan.label.clone(),
            org_id: org.id,
            name,
            owner,
            admin,
            users,
        })
    }

    async fn user(
        &self,
        org_id: i64,
        label: &str,
        group: &str,
        i: usize,
        role: Role,
        active_session: bool,
    ) -> anyhow::Result<Account> {
        let email = format!("{label}-{group}-{i}.{}@bench.test", self.run);
        let name = format!("{label} {group} {i:05}");
        let user: UserRow = self
            .store
            .create_user(NewUser {
                org_id,
                email: &email,
                name: &name,
                role,
                password_hash: &self.password_hash,
                game_name: None,
                steam_id: None,
                discord: None,
                timezone: None,
            })
            .await?;
        let token = new_token();
        let kind = if role.at_least(Role::Supervisor) {
            "web"
        } else {
            "device"
        };
        self.store
            .insert_token(
                &user,
                &token_hash(&token),
                kind,
                server::store::now_ms() + TOKEN_LIFETIME_MS,
                None,
            )
            .await?;
        let session_id = if active_session {
            // Seeded before any hub runs: nobody to tell.
            let (created, _) = self
                .store
                .create_session(
                    NewSession {
                        org_id,
                        user_id: user.id,
                        ticket_id: None,
                        started_at: server::store::now_ms(),
                        ended_at: None,
                        note: Some("benchmark session"),
                        source: "agent",
                        client_id: None,
                        weeks: Vec::new(),
                    },
                    |_| None,
                )
                .await?;
            Some(match created {
                Created::New(row) | Created::Existing(row) => row.id,
            })
        } else {
            None
        };
        Ok(Account {
            user_id: user.id,
            email,
            role: role.as_str().into(),
            group: group.into(),
            token,
            session_id,
        })
    }
}
