//! What the seeding wrote and the load generator reads: organizations, their users and the
//! plain device tokens (benchmark databases only).

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub user_id: i64,
    pub email: String,
    pub role: String,
    /// The group of the seeding plan this user belongs to (`agents`, `viewers`, …).
    pub group: String,
    /// A live bearer token of this user.
    pub token: String,
    /// The user's running work session, when the plan asked for one.
    #[serde(default)]
    pub session_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeededOrg {
    pub label: String,
    pub org_id: i64,
    pub name: String,
    pub owner: Account,
    pub admin: Account,
    pub users: Vec<Account>,
}

impl SeededOrg {
    /// The users of one group, in seeding order.
    pub fn group(&self, group: &str) -> Vec<&Account> {
        self.users.iter().filter(|a| a.group == group).collect()
    }

    /// Every user of the organization, owner and admin included.
    pub fn member_count(&self) -> usize {
        self.users.len() + 2
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Every seeded user's password.
    pub password: String,
    pub orgs: Vec<SeededOrg>,
}

impl Manifest {
    pub fn org(&self, label: &str) -> anyhow::Result<&SeededOrg> {
        self.orgs
            .iter()
            .find(|o| o.label == label)
            .with_context(|| format!("the manifest has no organization labelled {label:?}"))
    }

    pub fn load(path: &Path) -> anyhow::Result<Manifest> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_vec(self)?)
            .with_context(|| format!("write {}", path.display()))
    }
}
