//! Game server events in the hub: `game_server_updated` to the dashboards of supervisors and
//! up (members do not see the servers page).

use super::fanout::Audience;
use super::Hub;
use shared::game_servers::GameServerUpdate;
use shared::protocol::{ServerToAgent, ServerToTab};

impl Hub {
    /// After a poll (or an admin's change) was committed.
    pub fn game_server_updated(&self, org_id: i64, update: GameServerUpdate) {
        let Some(org) = self.org(org_id) else {
            // No dashboard of this organization was ever opened on this hub.
            return;
        };
        let to_tabs = ServerToTab::GameServerUpdated(Box::new(update));
        self.publish::<ServerToAgent, _>(&org, Audience::OrgReaders, None, Some(&to_tabs));
    }
}
