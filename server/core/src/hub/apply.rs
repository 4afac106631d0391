//! The one door into the hub for committed changes: each event updates the organization's
//! copy in memory and becomes frames for the sockets that should see it.

use super::close::CloseCause;
use super::fanout::Audience;
use super::org::PolicyState;
use super::{Hub, OrgHub};
use crate::events::Event;
use shared::protocol::{ServerToAgent, ServerToTab, SessionInfo};

impl Hub {
    /// Applies a committed event of organization `org_id`. An organization this hub has not
    /// loaded has no sockets here: nothing to do (it is loaded from the database, current,
    /// when one of its users connects).
    pub fn apply(&self, org_id: i64, event: &Event) {
        self.apply_to_sockets(org_id, event);
        // After the sockets: the task woken last runs first on this worker (tokio's next-task
        // slot), and that should be the socket a user waits on, not the rules' clock.
        self.tell_rules(org_id, event);
    }

    fn apply_to_sockets(&self, org_id: i64, event: &Event) {
        let Some(org) = self.org(org_id) else {
            return;
        };
        // A session event may change what the dashboards show as the user's context.
        let context_of = |user_id: i64| org.members.get(&user_id).and_then(|m| m.context());
        let session_user = match event {
            Event::SessionStarted { session } | Event::SessionUpdated { session } => {
                Some(session.user_id)
            }
            Event::SessionEnded { user_id, .. } => Some(*user_id),
            _ => None,
        };
        let context_before = session_user.map(context_of);
        match event {
            Event::SessionStarted { session } => self.session_started(&org, session),
            Event::SessionEnded { user_id, ended } => {
                if let Some(mut m) = org.members.get_mut(user_id) {
                    if m.active_session
                        .as_ref()
                        .is_some_and(|s| s.id == ended.session_id)
                    {
                        m.active_session = None;
                    }
                }
                let to_agents = ServerToAgent::SessionEnded(ended.clone());
                let to_tabs = ServerToTab::SessionEnded(ended.clone());
                self.publish(
                    &org,
                    Audience::AboutUser(*user_id),
                    Some(&to_agents),
                    Some(&to_tabs),
                );
            }
            Event::SessionUpdated { session } => {
                if let Some(mut m) = org.members.get_mut(&session.user_id) {
                    let running = m
                        .active_session
                        .as_ref()
                        .is_some_and(|s| s.id == session.id);
                    if running && session.ended_at.is_none() {
                        m.active_session = Some(Box::new(session.clone()));
                    }
                }
                let to_agents = ServerToAgent::SessionUpdated {
                    session: session.clone(),
                };
                let to_tabs = ServerToTab::SessionUpdated {
                    session: session.clone(),
                };
                self.publish(
                    &org,
                    Audience::AboutUser(session.user_id),
                    Some(&to_agents),
                    Some(&to_tabs),
                );
            }
            Event::SessionDeleted { deleted } => {
                let to_agents = ServerToAgent::SessionDeleted(deleted.clone());
                let to_tabs = ServerToTab::SessionDeleted(deleted.clone());
                self.publish(
                    &org,
                    Audience::AboutUser(deleted.user_id),
                    Some(&to_agents),
                    Some(&to_tabs),
                );
            }
            Event::AbsenceUpdated { absence } => {
                let to_tabs = ServerToTab::AbsenceUpdated(absence.clone());
                self.publish::<ServerToAgent, _>(
                    &org,
                    Audience::AboutUser(absence.user_id),
                    None,
                    Some(&to_tabs),
                );
            }
            Event::TimesheetUpdated { update } => {
                let to_tabs = ServerToTab::TimesheetUpdated(update.clone());
                self.publish::<ServerToAgent, _>(
                    &org,
                    Audience::AboutUser(update.user_id),
                    None,
                    Some(&to_tabs),
                );
            }
            Event::ConfigUpdated { update, updated_at } => {
                let installed = org.set_policy(PolicyState {
                    version: update.config_version,
                    config: update.config.clone(),
                    updated_at: *updated_at,
                });
                // A newer version was pushed already; this one is out of date.
                if installed {
                    let to_agents = ServerToAgent::ConfigUpdated(update.clone());
                    let to_tabs = ServerToTab::ConfigUpdated(update.clone());
                    self.publish(&org, Audience::Everyone, Some(&to_agents), Some(&to_tabs));
                }
            }
            Event::MemberChanged { member } => {
                org.upsert_member(member);
                if !member.active {
                    org.close_user_connections(member.user_id, CloseCause::Unauthorized);
                }
                self.publish_member(&org, member.user_id);
            }
            Event::TokensRevoked { token_ids } => {
                for id in token_ids {
                    org.close_token_connections(*id, CloseCause::Unauthorized);
                }
            }
            Event::OrgUpdated { name, .. } => org.rename(name),
            Event::GameServerUpdated { update } => {
                let to_tabs = ServerToTab::GameServerUpdated(update.clone());
                self.publish::<ServerToAgent, _>(&org, Audience::OrgReaders, None, Some(&to_tabs));
                for user_id in org.follow_game_server(update) {
                    self.publish_member(&org, user_id);
                }
            }
            Event::CoverageAlert { alert } => {
                let to_tabs = ServerToTab::CoverageAlert(alert.clone());
                self.publish::<ServerToAgent, _>(&org, Audience::Everyone, None, Some(&to_tabs));
            }
            Event::CoverageCleared { cleared } => {
                let to_tabs = ServerToTab::CoverageCleared(cleared.clone());
                self.publish::<ServerToAgent, _>(&org, Audience::Everyone, None, Some(&to_tabs));
            }
            Event::WebhookDeliveryUpdated { delivery } => {
                let to_tabs = ServerToTab::WebhookDeliveryUpdated(Box::new(delivery.clone()));
                self.publish::<ServerToAgent, _>(&org, Audience::Admins, None, Some(&to_tabs));
            }
            Event::StatusChanged { user_id, status } => {
                if let Some(mut m) = org.members.get_mut(user_id) {
                    m.custom = status.clone().map(Box::new);
                }
                self.publish_member(&org, *user_id);
            }
        }
        if let (Some(user_id), Some(before)) = (session_user, context_before) {
            if context_of(user_id) != before {
                self.publish_member(&org, user_id);
            }
        }
    }

    /// Copies a session or policy event to the live rules' clock. Called for every event
    /// applied here and for every event this node commits (in a cluster an organization
    /// without sockets here is not applied, but its rules still run).
    pub fn tell_rules(&self, org_id: i64, event: &Event) {
        if let Some(rules) = self.rule_events.get() {
            if event.concerns_rules() {
                let _ = rules.send((org_id, event.clone()));
            }
        }
    }

    fn session_started(&self, org: &OrgHub, session: &SessionInfo) {
        if let Some(mut m) = org.members.get_mut(&session.user_id) {
            m.active_session = Some(Box::new(session.clone()));
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
}
