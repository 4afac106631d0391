//! Work-session events in the hub: the running session each member has, and the pushes
//! `session_started` / `session_ended` to the user's agents and the dashboards that see them.

use super::fanout::Audience;
use super::{Hub, OrgHub};
use shared::protocol::{ServerToAgent, ServerToTab, SessionEnded, SessionInfo};

impl Hub {
    /// After the commit of a new running session.
    pub fn session_started(&self, org: &OrgHub, session: &SessionInfo) {
        if let Some(mut m) = org.members.get_mut(&session.user_id) {
            m.active_session = Some(session.clone());
        }
        let to_agents = ServerToAgent::SessionStarted {
            session: session.clone(),
        };
        let to_tabs = ServerToTab::SessionStarted {
            session: session.clone(),
        };
        self.publish(
            org,
            Audience::AboutUser(session.user_id),
            Some(&to_agents),
            Some(&to_tabs),
        );
    }

    /// After the commit of a session's end, whoever ended it.
    pub fn session_ended(&self, org: &OrgHub, user_id: i64, ended: SessionEnded) {
        if let Some(mut m) = org.members.get_mut(&user_id) {
            if m.active_session
                .as_ref()
                .is_some_and(|s| s.id == ended.session_id)
            {
                m.active_session = None;
            }
        }
        let to_agents = ServerToAgent::SessionEnded(ended.clone());
        let to_tabs = ServerToTab::SessionEnded(ended);
        self.publish(
            org,
            Audience::AboutUser(user_id),
            Some(&to_agents),
            Some(&to_tabs),
        );
    }

    /// At start-up: the sessions that were running when the hub stopped.
    pub fn restore_active_session(&self, session: SessionInfo) {
        if let Some(org) = self.org(session.org_id) {
            if let Some(mut m) = org.members.get_mut(&session.user_id) {
                m.active_session = Some(session);
            }
        }
    }
}
