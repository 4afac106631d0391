//! The clock of the policy's live rules (`max_session_minutes`, `auto_stop_local_time`): it
//! knows when each running session must end and ends it at that instant through the same
//! operation as an admin's end (`ops::sessions::end`, `auto_stopped`).
//!
//! The schedule is a hint, the database the truth: the hub hands this clock every session and
//! policy event it applies (so a start, a correction or a policy change is scheduled at once),
//! the whole schedule is rebuilt from the running sessions at start-up and every
//! [`RESYNC_EVERY`] (a hub restart, an organization this node of a cluster does not serve),
//! and at the moment it fires the session, policy and timezone are read again before anything
//! ends. In a cluster every node keeps the clock; the end is a conditional update on a running
//! session, so exactly one node ends it and announces it.
//!
//! A session ends at the moment it crossed its rule, however late the hub learns of it (SPEC
//! §19): a start replayed from the past, a restart, a new timezone, or a policy change that puts
//! a running session over the cap all end it at the crossing, so the counted time is what the
//! rule allows and no more.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono_tz::Tz;
use shared::Policy;
use tokio::sync::mpsc;

use crate::domain::periods::timezone;
use crate::domain::rules::{deadline, StopRule};
use crate::domain::sessions::Ending;
use crate::events::Event;
use crate::jobs::JobCtx;
use crate::ops::OpError;
use crate::store::{now_ms, StoreResult};

/// How often the schedule is rebuilt from the database.
pub const RESYNC_EVERY: Duration = Duration::from_secs(30);
/// A failed end (database unreachable) is tried again after this long.
const RETRY_MS: i64 = 1_000;

/// An organization's rules as the clock needs them.
#[derive(Debug, Clone)]
pub struct OrgRules {
    pub policy: Policy,
    pub tz: Tz,
}

impl OrgRules {
    fn active(&self) -> bool {
        self.policy.max_session_minutes > 0 || self.policy.auto_stop_at().is_some()
    }
}

/// When a session started at `started_ms` ends under `rules`, and by which rule: the moment it
/// crosses the rule, even when that moment is already past.
pub fn fire_at(started_ms: i64, rules: &OrgRules) -> Option<(i64, StopRule)> {
    deadline(started_ms, &rules.policy, rules.tz)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Running {
    org_id: i64,
    started_ms: i64,
}

/// A session whose moment has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub org_id: i64,
    pub session_id: i64,
}

/// Running sessions and when each must end. Pure: no clock, no I/O.
#[derive(Debug, Default)]
pub struct Schedule {
    orgs: HashMap<i64, OrgRules>,
    /// Timezones heard of for organizations whose rules are not known yet.
    zones: HashMap<i64, Tz>,
    running: HashMap<i64, Running>,
    queue: BTreeSet<(i64, i64)>,
    fire: HashMap<i64, i64>,
}

impl Schedule {
    fn unschedule(&mut self, session_id: i64) {
        if let Some(at) = self.fire.remove(&session_id) {
            self.queue.remove(&(at, session_id));
        }
    }

    fn schedule(&mut self, session_id: i64) {
        self.unschedule(session_id);
        let Some(run) = self.running.get(&session_id) else {
            return;
        };
        let Some(rules) = self.orgs.get(&run.org_id) else {
            return;
        };
        if let Some((at, _)) = fire_at(run.started_ms, rules) {
            self.queue.insert((at, session_id));
            self.fire.insert(session_id, at);
        }
    }

    /// An organization's rules changed (or became known): its sessions are rescheduled.
    pub fn set_org(&mut self, org_id: i64, rules: OrgRules) {
        self.orgs.insert(org_id, rules);
        let ids: Vec<i64> = self
            .running
            .iter()
            .filter(|(_, r)| r.org_id == org_id)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.schedule(id);
        }
    }

    /// A session runs (started, replayed, or its start corrected).
    pub fn started(&mut self, org_id: i64, session_id: i64, started_ms: i64) {
        self.running
            .insert(session_id, Running { org_id, started_ms });
        self.schedule(session_id);
    }

    pub fn ended(&mut self, session_id: i64) {
        self.unschedule(session_id);
        self.running.remove(&session_id);
    }

    /// Tries a session again later (its end failed).
    pub fn retry(&mut self, session_id: i64, at_ms: i64) {
        if self.running.contains_key(&session_id) {
            self.unschedule(session_id);
            self.queue.insert((at_ms, session_id));
            self.fire.insert(session_id, at_ms);
        }
    }

    /// Replaces everything with what the database holds.
    pub fn replace(&mut self, orgs: HashMap<i64, OrgRules>, running: Vec<(i64, i64, i64)>) {
        *self = Schedule {
            orgs,
            ..Schedule::default()
        };
        for (org_id, session_id, started_ms) in running {
            self.started(org_id, session_id, started_ms);
        }
    }

    pub fn next_at(&self) -> Option<i64> {
        self.queue.first().map(|(at, _)| *at)
    }

    /// The sessions due at `now_ms`, taken off the schedule.
    pub fn take_due(&mut self, now_ms: i64) -> Vec<Due> {
        let mut due = Vec::new();
        while let Some(&(at, session_id)) = self.queue.first() {
            if at > now_ms {
                break;
            }
            self.queue.remove(&(at, session_id));
            self.fire.remove(&session_id);
            if let Some(run) = self.running.get(&session_id) {
                due.push(Due {
                    org_id: run.org_id,
                    session_id,
                });
            }
        }
        due
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn learn(&mut self, org_id: i64, event: &Event) {
        match event {
            Event::SessionStarted { session } | Event::SessionUpdated { session } => {
                match session.ended_at {
                    None => self.started(org_id, session.id, session.started_at.timestamp_millis()),
                    Some(_) => self.ended(session.id),
                }
            }
            Event::SessionEnded { ended, .. } => self.ended(ended.session_id),
            Event::ConfigUpdated { update, .. } => {
                let tz = match self.orgs.get(&org_id) {
                    Some(rules) => rules.tz,
                    None => self.zones.get(&org_id).copied().unwrap_or(Tz::UTC),
                };
                self.set_org(
                    org_id,
                    OrgRules {
                        policy: update.config.clone(),
                        tz,
                    },
                );
            }
            Event::OrgUpdated { timezone: tz, .. } => match self.orgs.get(&org_id).cloned() {
                Some(mut rules) => {
                    rules.tz = timezone(tz);
                    self.set_org(org_id, rules);
                }
                None => {
                    self.zones.insert(org_id, timezone(tz));
                }
            },
            _ => {}
        }
    }
}

/// Reads every organization's rules and the running sessions of those with a rule on.
async fn load(state: &JobCtx) -> StoreResult<(HashMap<i64, OrgRules>, Vec<(i64, i64, i64)>)> {
    let zones: HashMap<i64, Tz> = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, timezone(&o.timezone)))
        .collect();
    let orgs: HashMap<i64, OrgRules> = state
        .store
        .list_policies()
        .await?
        .into_iter()
        .map(|p| {
            let rules = OrgRules {
                tz: zones.get(&p.org_id).copied().unwrap_or(Tz::UTC),
                policy: p.config,
            };
            (p.org_id, rules)
        })
        .collect();
    let mut running = Vec::new();
    if orgs.values().any(OrgRules::active) {
        for s in state.store.active_sessions().await? {
            if orgs.get(&s.org_id).is_some_and(OrgRules::active) {
                running.push((s.org_id, s.id, s.started_at));
            }
        }
    }
    Ok((orgs, running))
}

/// What firing did.
#[derive(Debug, PartialEq, Eq)]
enum Fired {
    Ended,
    /// The session is gone or ended, or no rule applies any more: nothing to do.
    Nothing,
    /// Read again, its moment is later (a corrected start, another timezone): wait for it.
    Later(i64),
    /// The database could not be reached: try again.
    Failed,
}

/// Ends a due session if, read again now, it is still running and past its moment.
async fn fire(state: &JobCtx, due: Due) -> Fired {
    let ctx = state.ops();
    let session = match state.store.get_session(due.org_id, due.session_id).await {
        Ok(Some(s)) if s.ended_at.is_none() => s,
        Ok(_) => return Fired::Nothing,
        Err(_) => return Fired::Failed,
    };
    let (policy, tz) = match (
        state.store.get_policy(due.org_id).await,
        state.store.org_timezone(due.org_id).await,
    ) {
        (Ok(p), Ok(tz)) => (p, tz),
        _ => return Fired::Failed,
    };
    let rules = OrgRules {
        policy: policy.config,
        tz,
    };
    let Some((at, rule)) = fire_at(session.started_at, &rules) else {
        return Fired::Nothing;
    };
    if at > now_ms() {
        return Fired::Later(at);
    }
    let ending = Ending::AutoStopped { rule };
    match crate::ops::sessions::end(
        &ctx,
        None,
        due.org_id,
        due.session_id,
        ending,
        Some(at),
        None,
    )
    .await
    {
        Ok(row) => {
            tracing::info!(
                session_id = row.id,
                user_id = row.user_id,
                ended_at = at,
                "session stopped by a policy rule"
            );
            Fired::Ended
        }
        // Another node, the user or an admin ended it first.
        Err(OpError::Conflict(_) | OpError::NotFound(_)) => Fired::Nothing,
        Err(e) => {
            tracing::warn!(session_id = due.session_id, error = %e, "automatic stop failed; retrying");
            Fired::Failed
        }
    }
}

/// Runs until the hub stops. `events`: the session and policy events the hub applies.
pub async fn run(state: JobCtx, mut events: mpsc::UnboundedReceiver<(i64, Event)>) {
    let mut schedule = Schedule::default();
    let mut resync = tokio::time::interval(RESYNC_EVERY);
    resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let wait = schedule
            .next_at()
            .map(|at| Duration::from_millis((at - now_ms()).clamp(0, 3_600_000) as u64))
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            got = events.recv() => match got {
                Some((org_id, event)) => {
                    schedule.learn(org_id, &event);
                    while let Ok((org_id, event)) = events.try_recv() {
                        schedule.learn(org_id, &event);
                    }
                }
                None => return,
            },
            _ = resync.tick() => match load(&state).await {
                Ok((orgs, running)) => schedule.replace(orgs, running),
                Err(e) => tracing::warn!(error = %e, "live rules: reading running sessions failed"),
            },
            _ = tokio::time::sleep(wait) => {
                for due in schedule.take_due(now_ms()) {
                    match fire(&state, due).await {
                        Fired::Failed => schedule.retry(due.session_id, now_ms() + RETRY_MS),
                        Fired::Ended => schedule.ended(due.session_id),
                        Fired::Later(at) => schedule.retry(due.session_id, at),
                        Fired::Nothing => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(max: u32, at: Option<&str>) -> OrgRules {
        OrgRules {
            policy: Policy {
                max_session_minutes: max,
                auto_stop_local_time: at.map(str::to_string),
                ..Policy::default()
            },
            tz: Tz::UTC,
        }
    }

    const MIN: i64 = 60_000;

    #[test]
    fn a_session_is_due_at_its_cap_and_not_a_millisecond_before() {
        let mut s = Schedule::default();
        s.set_org(1, rules(30, None));
        s.started(1, 7, 1_000);
        assert_eq!(s.next_at(), Some(1_000 + 30 * MIN));
        assert!(s.take_due(1_000 + 30 * MIN - 1).is_empty());
        assert_eq!(
            s.take_due(1_000 + 30 * MIN),
            vec![Due {
                org_id: 1,
                session_id: 7
            }]
        );
        assert!(s.is_empty());
    }

    #[test]
    fn a_rule_that_arrives_late_ends_the_session_where_it_crossed() {
        let mut s = Schedule::default();
        s.started(1, 7, 0);
        // The cap of 30 minutes arrives two hours into the session: due at once, and its
        // moment is 0:30, where the session crossed the cap.
        s.set_org(1, rules(30, None));
        assert_eq!(s.next_at(), Some(30 * MIN));
        assert_eq!(s.take_due(120 * MIN).len(), 1);
        let (at, _) = fire_at(0, &rules(30, None)).unwrap();
        assert_eq!(at, 30 * MIN);
    }

    #[test]
    fn ended_sessions_and_rules_turned_off_leave_the_schedule() {
        let mut s = Schedule::default();
        s.set_org(1, rules(30, None));
        s.started(1, 7, 0);
        s.started(1, 8, 0);
        s.ended(7);
        assert_eq!(s.len(), 1);
        s.set_org(1, rules(0, None));
        assert!(s.is_empty());
    }

    #[test]
    fn a_corrected_start_moves_the_moment() {
        let mut s = Schedule::default();
        s.set_org(1, rules(60, None));
        s.started(1, 7, 0);
        s.started(1, 7, 10 * MIN);
        assert_eq!(s.next_at(), Some(70 * MIN));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn the_database_replaces_the_schedule() {
        let mut s = Schedule::default();
        s.set_org(1, rules(60, None));
        s.started(1, 7, 0);
        let orgs = HashMap::from([(2, rules(0, Some("18:00")))]);
        s.replace(orgs, vec![(2, 9, 0)]);
        assert_eq!(s.len(), 1);
        assert_eq!(s.next_at(), Some(18 * 60 * MIN));
    }

    #[test]
    fn a_timezone_heard_before_the_rules_is_used_for_them() {
        let mut s = Schedule::default();
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        s.learn(
            1,
            &Event::OrgUpdated {
                name: "Acme".into(),
                timezone: "Asia/Kolkata".into(),
            },
        );
        s.started(1, 7, 0);
        let rules = rules(0, Some("18:00"));
        s.learn(
            1,
            &Event::ConfigUpdated {
                update: shared::protocol::ConfigUpdated {
                    config_version: 2,
                    config: rules.policy.clone(),
                    changed: vec!["auto_stop_local_time".into()],
                },
                updated_at: 0,
            },
        );
        // 18:00 in Kolkata on 1970-01-01 is 12:30 UTC.
        assert_eq!(s.next_at(), Some((12 * 60 + 30) * MIN));
        assert_eq!(s.orgs[&1].tz, kolkata);
    }

    #[test]
    fn a_failed_end_is_tried_again() {
        let mut s = Schedule::default();
        s.set_org(1, rules(30, None));
        s.started(1, 7, 0);
        assert_eq!(s.take_due(30 * MIN).len(), 1);
        s.retry(7, 30 * MIN + 1_000);
        assert_eq!(s.next_at(), Some(30 * MIN + 1_000));
        s.ended(7);
        s.retry(7, 1);
        assert!(s.is_empty(), "an ended session is not retried");
    }
}
