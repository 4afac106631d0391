//! The A2S poller: every interval it queries every enabled game server at once (each with its
//! own timeout, each committing its own result as soon as it has it, so a slow server delays
//! nobody), matches players to staff by game name, and opens and closes server sessions.
//! Dashboards of supervisors and up hear about every change. In a cluster, one node polls.
//!
//! Restart safety lives in the database: open sessions are read from it at every poll, the
//! unique index refuses a second open session, and the first answer after a start closes the
//! sessions of players who are gone at the time they were last seen.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;

use crate::a2s;
use crate::app::AppState;
use crate::domain::coverage::{self, CoverageNews, CoverageState};
use crate::domain::server_presence::{
    match_staff, plan_poll, PollContext, PollOutcome, MISSES_BEFORE_CLOSE,
};
use crate::events::Event;
use crate::store::{ms_to_time, now_ms, GameName, GameServerRow, PollRecord, StoreError};
use shared::game_servers::CoverageCleared;

/// Servers that answered at least once since this hub started.
#[derive(Default)]
struct Answered(Mutex<HashSet<i64>>);

impl Answered {
    fn contains(&self, id: i64) -> bool {
        self.0.lock().map(|s| s.contains(&id)).unwrap_or(false)
    }

    fn insert(&self, id: i64) {
        if let Ok(mut s) = self.0.lock() {
            s.insert(id);
        }
    }
}

/// Runs until the hub stops.
pub async fn run(state: AppState) {
    let interval = state.config.a2s_poll_interval();
    let timeout = state.config.a2s_timeout();
    let answered = Arc::new(Answered::default());
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(?interval, ?timeout, "A2S poller started");
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            _ = tick.tick() => {
                // In a cluster one node polls (the others would only repeat its work).
                if !state.leads_background_work() {
                    continue;
                }
                tokio::select! {
                    _ = state.shutdown.cancelled() => break,
                    _ = poll_all(&state, &answered, timeout) => {}
                }
            }
        }
    }
}

/// One round: every enabled server, concurrently.
async fn poll_all(state: &AppState, answered: &Answered, timeout: Duration) {
    let (servers, names) = match (
        state.store.enabled_game_servers().await,
        state.store.game_names().await,
    ) {
        (Ok(s), Ok(n)) => (s, n),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "A2S poll skipped: cannot read servers or staff");
            return;
        }
    };
    let polls = servers.into_iter().map(|server| {
        let roster: Vec<(i64, String)> = names
            .iter()
            .filter(|n: &&GameName| n.org_id == server.org_id)
            .map(|n| (n.user_id, n.game_name.clone()))
            .collect();
        async move {
            let id = server.id;
            if let Err(e) = poll_one(state, answered, server, &roster, timeout).await {
                tracing::warn!(server_id = id, error = %e, "recording an A2S poll failed");
            }
        }
    });
    join_all(polls).await;
}

/// What the server said: the player names (None: no answer) and its info.
async fn query(address: &str, timeout: Duration) -> (Option<Vec<String>>, Option<a2s::ServerInfo>) {
    let addr = match a2s::resolve(address).await {
        Ok(addr) => addr,
        Err(e) => {
            tracing::debug!(address, error = %e, "A2S: address not resolved");
            return (None, None);
        }
    };
    let (players, info) = tokio::join!(
        a2s::query_players(addr, timeout),
        a2s::query_info(addr, timeout)
    );
    let players = match players {
        Ok(list) => Some(list.into_iter().map(|p| p.name).collect()),
        Err(e) => {
            tracing::debug!(address, error = %e, "A2S_PLAYER failed");
            None
        }
    };
    (players, info.ok())
}

async fn poll_one(
    state: &AppState,
    answered: &Answered,
    server: GameServerRow,
    roster: &[(i64, String)],
    timeout: Duration,
) -> Result<(), StoreError> {
    let (players, info) = query(&server.address, timeout).await;
    let now = now_ms();
    let outcome = match &players {
        Some(names) => PollOutcome::Answered(match_staff(names.iter().map(String::as_str), roster)),
        None => PollOutcome::NoAnswer,
    };
    let open = state.store.open_server_sessions(server.id).await?;
    let plan = plan_poll(
        &open,
        &outcome,
        PollContext {
            now,
            failures_before: server.consecutive_failures,
            first_answer_since_start: !answered.contains(server.id),
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
    let announced = state
        .store
        .apply_poll(&server, &record, &plan, shows_differently)
        .await?;
    if players.is_some() {
        answered.insert(server.id);
    }
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
        state.events.publish(published);
    }
    // After the poll's own update, so that pages hear of the server first and the alert after.
    if players.is_some() {
        follow_coverage(state, &server, record.players_online.unwrap_or(0), now).await?;
    }
    Ok(())
}

/// After an answered poll: is the server short of staff, for how long, and was an alert
/// raised or cleared? Only an answer tells (an unanswered poll keeps the state).
async fn follow_coverage(
    state: &AppState,
    server: &GameServerRow,
    players_online: i64,
    now: i64,
) -> Result<(), StoreError> {
    let rule = server.coverage_rule();
    if rule.min_staff == 0 && server.coverage == CoverageState::default() {
        return Ok(());
    }
    let staff = state.store.open_server_sessions(server.id).await?.len() as i64;
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
    let published = state
        .store
        .set_coverage(server.org_id, server.id, next, event.flatten())
        .await?;
    if let Some(published) = published {
        state.events.publish(published);
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
