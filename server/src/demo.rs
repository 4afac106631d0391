//! The demo company "Demo Co" (`--demo`): created once, left alone afterwards.

use crate::domain::auth::{hash_password, HashError};
use crate::store::{NewUser, Store, StoreError};
use shared::Role;

pub const DEMO_ORG: &str = "Demo Co";
pub const DEMO_PASSWORD: &str = "demo-pass-1";

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
    for (email, name, role) in DEMO_USERS {
        let hash = hash_password(DEMO_PASSWORD)?;
        store
            .create_user(NewUser {
                org_id: org.id,
                email,
                name,
                role,
                password_hash: &hash,
                game_name: None,
            })
            .await?;
    }
    tracing::info!(org_id = org.id, "demo company created");
    Ok(true)
}
