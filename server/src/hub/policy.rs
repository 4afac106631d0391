//! A saved policy in the hub: the organization's copy changes and every agent and tab of that
//! organization is told at once.

use super::fanout::Audience;
use super::org::PolicyState;
use super::{Hub, OrgHub};
use shared::protocol::{ConfigUpdated, ServerToAgent, ServerToTab};

impl Hub {
    pub fn policy_changed(&self, org: &OrgHub, state: PolicyState, changed: Vec<String>) {
        let update = ConfigUpdated {
            config_version: state.version,
            config: state.config.clone(),
            changed,
        };
        if !org.set_policy(state) {
            // A newer version was pushed already; this one is out of date.
            return;
        }
        let to_agents = ServerToAgent::ConfigUpdated(update.clone());
        let to_tabs = ServerToTab::ConfigUpdated(update);
        self.publish(org, Audience::Everyone, Some(&to_agents), Some(&to_tabs));
    }
}
