//! The agent fleet as `GET /api/agents` and `/fleet` show it.

use crate::store::{Store, StoreResult};
use shared::fleet::AgentList;

/// Every signed-in agent device of the organization, each marked against the current policy.
pub async fn agents(store: &Store, org_id: i64) -> StoreResult<AgentList> {
    let policy = store.get_policy(org_id).await?;
    let agents = store
        .list_devices(org_id, None)
        .await?
        .into_iter()
        .map(|d| d.against(policy.config_version))
        .collect();
    Ok(AgentList {
        config_version: policy.config_version,
        agents,
    })
}
