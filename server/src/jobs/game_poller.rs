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
use crate::jobs::JobCtx;
use crate::ops::polls::{self, PollAnswer};
use crate::ops::OpError;
use crate::store::{now_ms, GameName, GameServerRow};

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
pub async fn run(state: JobCtx, interval: Duration, timeout: Duration) {
    let answered = Arc::new(Answered::default());
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(?interval, ?timeout, "A2S poller started");
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            _ = tick.tick() => {
                // In a cluster one node polls (the others would only repeat its work).
                if !state.leads() {
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
async fn poll_all(state: &JobCtx, answered: &Answered, timeout: Duration) {
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
    state: &JobCtx,
    answered: &Answered,
    server: GameServerRow,
    roster: &[(i64, String)],
    timeout: Duration,
) -> Result<(), OpError> {
    let (players, info) = query(&server.address, timeout).await;
    let now = now_ms();
    let answer = PollAnswer { players, info };
    let ctx = state.ops();
    let first_answer_since_start = !answered.contains(server.id);
    let online = polls::record(
        &ctx,
        &server,
        roster,
        &answer,
        first_answer_since_start,
        now,
    )
    .await?;
    if answer.players.is_some() {
        answered.insert(server.id);
        // After the poll's own update, so that pages hear of the server first and the alert
        // after.
        polls::follow_coverage(&ctx, &server, online.unwrap_or(0), now).await?;
    }
    Ok(())
}
