//! What one poll of a game server means for its staff sessions (seed 003): who joined, who is
//! still there, who left and when, and when a silent server's sessions are closed.
//! Pure: the poller loads the open sessions, asks this plan, and commits it.

/// Polls in a row without an answer after which a server's open sessions are closed.
pub const MISSES_BEFORE_CLOSE: i64 = 3;

/// Why a server session ended (stored as `end_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The player was no longer in the list.
    Left,
    /// The server did not answer [`MISSES_BEFORE_CLOSE`] polls in a row.
    ServerUnreachable,
    /// Open when the hub stopped, and gone at its first poll after the start.
    HubRestart,
    /// An admin disabled the server.
    ServerDisabled,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Left => "left",
            EndReason::ServerUnreachable => "server_unreachable",
            EndReason::HubRestart => "hub_restart",
            EndReason::ServerDisabled => "server_disabled",
        }
    }
}

/// An open session of the polled server.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSession {
    pub id: i64,
    pub user_id: i64,
    pub last_seen_at: i64,
}

/// A staff member found in the player list (matched by game name).
#[derive(Debug, Clone, PartialEq)]
pub struct PresentStaff {
    pub user_id: i64,
    pub player_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    Answered(Vec<PresentStaff>),
    NoAnswer,
}

/// What the poller knows beside the answer.
#[derive(Debug, Clone, Copy)]
pub struct PollContext {
    pub now: i64,
    /// Unanswered polls in a row before this one.
    pub failures_before: i64,
    /// This hub process has not had an answer from the server yet: open sessions are left
    /// over from before a restart (or a silence) and nobody watched them in between.
    pub first_answer_since_start: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Close {
    pub session_id: i64,
    pub leave_time: i64,
    pub reason: EndReason,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub open: Vec<PresentStaff>,
    /// Sessions whose player is still there: seen now.
    pub touch: Vec<i64>,
    pub close: Vec<Close>,
    /// Unanswered polls in a row after this one.
    pub failures: i64,
}

impl Plan {
    /// Whether any session opens or closes.
    pub fn changes_sessions(&self) -> bool {
        !self.open.is_empty() || !self.close.is_empty()
    }
}

pub fn plan_poll(open: &[OpenSession], outcome: &PollOutcome, ctx: PollContext) -> Plan {
    match outcome {
        PollOutcome::NoAnswer => {
            let failures = ctx.failures_before + 1;
            let close = if failures >= MISSES_BEFORE_CLOSE {
                open.iter()
                    .map(|s| Close {
                        session_id: s.id,
                        leave_time: s.last_seen_at,
                        reason: EndReason::ServerUnreachable,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Plan {
                close,
                failures,
                ..Plan::default()
            }
        }
        PollOutcome::Answered(present) => {
            // The previous poll saw them: they left since, so now is the leave time, as the
            // seed did. Otherwise nobody watched in between: count only the time they were seen.
            let watched = ctx.failures_before == 0 && !ctx.first_answer_since_start;
            let mut plan = Plan::default();
            for s in open {
                if present.iter().any(|p| p.user_id == s.user_id) {
                    plan.touch.push(s.id);
                } else {
                    plan.close.push(Close {
                        session_id: s.id,
                        leave_time: if watched { ctx.now } else { s.last_seen_at },
                        reason: if ctx.first_answer_since_start {
                            EndReason::HubRestart
                        } else {
                            EndReason::Left
                        },
                    });
                }
            }
            for p in present {
                let known = open.iter().any(|s| s.user_id == p.user_id)
                    || plan.open.iter().any(|o| o.user_id == p.user_id);
                if !known {
                    plan.open.push(p.clone());
                }
            }
            plan
        }
    }
}

/// The staff among `players`: a player whose name equals a user's game name is that user.
/// `staff` is (user id, game name). Names compare exactly, after trimming outer spaces.
pub fn match_staff<'a>(
    players: impl IntoIterator<Item = &'a str>,
    staff: &[(i64, String)],
) -> Vec<PresentStaff> {
    let mut found: Vec<PresentStaff> = Vec::new();
    for name in players {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        for (user_id, game_name) in staff {
            if game_name.trim() == name && !found.iter().any(|f| f.user_id == *user_id) {
                found.push(PresentStaff {
                    user_id: *user_id,
                    player_name: name.to_string(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(user_id: i64) -> PresentStaff {
        PresentStaff {
            user_id,
            player_name: format!("p{user_id}"),
        }
    }

    fn session(id: i64, user_id: i64, last_seen_at: i64) -> OpenSession {
        OpenSession {
            id,
            user_id,
            last_seen_at,
        }
    }

    fn ctx(now: i64, failures_before: i64, first: bool) -> PollContext {
        PollContext {
            now,
            failures_before,
            first_answer_since_start: first,
        }
    }

    #[test]
    fn joins_stays_and_leaves() {
        let open = [session(10, 1, 900), session(11, 2, 900)];
        let plan = plan_poll(
            &open,
            &PollOutcome::Answered(vec![staff(1), staff(3)]),
            ctx(1000, 0, false),
        );
        assert_eq!(plan.open, vec![staff(3)]);
        assert_eq!(plan.touch, vec![10]);
        assert_eq!(
            plan.close,
            vec![Close {
                session_id: 11,
                leave_time: 1000,
                reason: EndReason::Left
            }]
        );
        assert_eq!(plan.failures, 0);
        assert!(plan.changes_sessions());
    }

    #[test]
    fn the_third_miss_closes_at_last_seen() {
        let open = [session(10, 1, 900)];
        for before in 0..2 {
            let plan = plan_poll(&open, &PollOutcome::NoAnswer, ctx(5000, before, false));
            assert!(plan.close.is_empty(), "miss {} keeps it open", before + 1);
            assert_eq!(plan.failures, before + 1);
        }
        let plan = plan_poll(&open, &PollOutcome::NoAnswer, ctx(5000, 2, false));
        assert_eq!(
            plan.close,
            vec![Close {
                session_id: 10,
                leave_time: 900,
                reason: EndReason::ServerUnreachable
            }]
        );
        assert_eq!(plan.failures, 3);
    }

    #[test]
    fn after_a_restart_the_still_present_continue_and_the_gone_close_at_last_seen() {
        let open = [session(10, 1, 900), session(11, 2, 950)];
        let plan = plan_poll(
            &open,
            &PollOutcome::Answered(vec![staff(1)]),
            ctx(90_000, 0, true),
        );
        assert!(plan.open.is_empty(), "no second session for user 1");
        assert_eq!(plan.touch, vec![10]);
        assert_eq!(
            plan.close,
            vec![Close {
                session_id: 11,
                leave_time: 950,
                reason: EndReason::HubRestart
            }]
        );
    }

    #[test]
    fn a_leave_after_missed_polls_counts_only_the_time_seen() {
        let open = [session(10, 1, 900)];
        let plan = plan_poll(&open, &PollOutcome::Answered(vec![]), ctx(4000, 2, false));
        assert_eq!(plan.close[0].leave_time, 900);
        assert_eq!(plan.close[0].reason, EndReason::Left);
        assert_eq!(plan.failures, 0);
    }

    #[test]
    fn matching_is_by_exact_game_name_once_per_user() {
        let roster = vec![(1, "Alice".to_string()), (2, "[Staff] Bob".to_string())];
        let found = match_staff(
            ["alice", " [Staff] Bob ", "[Staff] Bob", "", "Carol"],
            &roster,
        );
        assert_eq!(
            found,
            vec![PresentStaff {
                user_id: 2,
                player_name: "[Staff] Bob".into()
            }]
        );
        let plan = plan_poll(
            &[],
            &PollOutcome::Answered(vec![staff(1), staff(1)]),
            ctx(1, 0, false),
        );
        assert_eq!(plan.open.len(), 1);
    }
}
