//! The A2S poller's writes: one poll's result (the server's info, the staff sessions it opens
//! and closes) and, after an answered poll, the server's staff coverage (alerts raised and
//! cleared). The querying itself is the job's (`crate::jobs::game_poller`).

use super::{Ctx, OpResult};
use crate::a2s::ServerInfo;
use crate::domain::coverage::{self, CoverageNews, CoverageState};
use crate::domain::server_presence::{
    match_staff, plan_poll, PollContext, PollOutcome, MISSES_BEFORE_CLOSE,
};
use crate::store::{ms_to_time, GameServerRow, PollRecord};
use hub_core::events::Event;
use shared::game_servers::CoverageCleared;

/// What a server answered to one poll.
#[derive(Debug, Clone, Default)]
pub struct PollAnswer {
    /// The player names; `None`: no answer.
    pub players: Option<Vec<String>>,
    pub info: Option<ServerInfo>,
}

/// Records one poll of `server` at `now`: opens sessions for staff (`roster`: user id and game
/// name) who appeared, closes those of staff who left (or of everyone after
/// [`MISSES_BEFORE_CLOSE`] unanswered polls), and announces the server's new state when a page
/// would show it differently. Answers the players online, as the pages count them.
pub async fn record(
    ctx: &Ctx<'_>,
    server: &GameServerRow,
    roster: &[(i64, String)],
    answer: &PollAnswer,
    first_answer_since_start: bool,
    now: i64,
) -> OpResult<Option<i64>> {
    let PollAnswer { players, info } = answer;
    let outcome = match players {
        Some(names) => PollOutcome::Answered(match_staff(names.iter().map(String::as_str), roster)),
        None => PollOutcome::NoAnswer,
    };
    let open = ctx.store.open_server_sessions(server.id).await?;
    let plan = plan_poll(
        &open,
        &outcome,
        PollContext {
            now,
            failures_before: server.consecutive_failures,
            first_answer_since_start,
        },
    );
    if plan.failures == MISSES_BEFORE_CLOSE {
        tracing::warn!(
            server_id = server.id,
            address = %server.address,
            "game server did not answer {MISSES_BEFORE_CLOSE} polls in a row: closing its sessions"
        );
    }
    let record = PollRecord {
        polled_at: now,
        answered: players.is_some(),
        server_name: info.as_ref().map(|i| i.name.clone()),
        map: info.as_ref().map(|i| i.map.clone()),
        players_online: info
            .as_ref()
            .map(|i| i64::from(i.players))
            .or(players.as_ref().map(|p| p.len() as i64)),
        max_players: info.as_ref().map(|i| i64::from(i.max_players)),
    };
    let announced = ctx
        .store
        .apply_poll(server, &record, &plan, shows_differently)
        .await?;
    if let Some((update, published)) = announced {
        for s in &update.opened {
            tracing::info!(
                server_id = server.id,
                user_id = s.user_id,
                "staff joined a game server"
            );
        }
        for s in &update.closed {
            tracing::info!(server_id = server.id, user_id = s.user_id, reason = ?s.end_reason, "staff left a game server");
        }
        ctx.publish(published);
    }
    Ok(record.players_online)
}

/// After an answered poll: is the server short of staff, for how long, and was an alert
/// raised or cleared? Only an answer tells (an unanswered poll keeps the state).
pub async fn follow_coverage(
    ctx: &Ctx<'_>,
    server: &GameServerRow,
    players_online: i64,
    now: i64,
) -> OpResult<()> {
    let rule = server.coverage_rule();
    if rule.min_staff == 0 && server.coverage == CoverageState::default() {
        return Ok(());
    }
    let staff = ctx.store.open_server_sessions(server.id).await?.len() as i64;
    let players = (players_online - staff).max(0);
    let (next, news) = coverage::step(rule, server.coverage, players, staff, now);
    if next == server.coverage {
        return Ok(());
    }
    let event = news.map(|news| match news {
        CoverageNews::Raised => {
            let row = GameServerRow {
                coverage: next,
                players_online: Some(players_online),
                ..server.clone()
            };
            let alert = row.coverage_alert(staff);
            tracing::warn!(
                server_id = server.id,
                staff,
                players,
                "coverage alert raised"
            );
            alert.map(|alert| Event::CoverageAlert { alert })
        }
        CoverageNews::Cleared => {
            tracing::info!(server_id = server.id, staff, "coverage alert cleared");
            Some(Event::CoverageCleared {
                cleared: CoverageCleared {
                    server_id: server.id,
                    server_name: server.name.clone(),
                    staff_online: staff,
                    cleared_at: ms_to_time(now),
                },
            })
        }
    });
    let published = ctx
        .store
        .set_coverage(server.org_id, server.id, next, event.flatten())
        .await?;
    if let Some(published) = published {
        ctx.publish(published);
    }
    Ok(())
}

/// Whether a page showing the server would change (not just the poll times).
fn shows_differently(before: &GameServerRow, after: &GameServerRow) -> bool {
    before.server_name != after.server_name
        || before.map != after.map
        || before.players_online != after.players_online
        || before.max_players != after.max_players
        || (before.consecutive_failures == 0) != (after.consecutive_failures == 0)
        || before.last_ok_at.is_none() != after.last_ok_at.is_none()
}
