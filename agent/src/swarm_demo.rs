//! `presence-agent swarm --demo`: simulated people for the hub's `--demo`, on the swarm's
//! socket code. Each agent works in rounds: active on a ticket for a few minutes (a session
//! started and stopped over REST, heartbeats with no idle time), then away for a while (its
//! idle time growing until the hub shows it idle), now and then on a break (a status that
//! clears itself). One of them reports screenshot captures failing, as a real desktop without
//! a display would, so the fleet page has something to show.

use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use serde_json::json;

use crate::client::api::HubApi;

/// What one simulated person is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    Working,
    Away,
    OnBreak,
}

/// A person's script: the phase, when it ends, the running session.
pub struct Script {
    pub agent: usize,
    api: HubApi,
    doing: Doing,
    phase_left: Duration,
    idle: u32,
    session: Option<i64>,
    rounds: u32,
}

impl Script {
    pub fn new(agent: usize, api: HubApi) -> Script {
        Script {
            agent,
            api,
            // Staggered: not everyone starts working at once.
            doing: if agent % 3 == 2 {
                Doing::Away
            } else {
                Doing::Working
            },
            phase_left: Duration::from_secs(180 + 90 * agent as u64),
            idle: if agent % 3 == 2 { 400 } else { 0 },
            session: None,
            rounds: 0,
        }
    }

    pub fn doing(&self) -> Doing {
        self.doing
    }

    /// The idle seconds of this heartbeat (advancing the script by `every`).
    pub async fn beat(&mut self, every: Duration) -> u32 {
        if self.doing == Doing::Working && self.session.is_none() {
            self.start().await;
        }
        self.phase_left = self.phase_left.saturating_sub(every);
        if self.phase_left.is_zero() {
            self.next_phase().await;
        }
        match self.doing {
            Doing::Working => {
                // A few seconds without input now and then, as people read.
                self.idle = rand::rng().random_range(0..4);
            }
            Doing::Away | Doing::OnBreak => {
                self.idle = self.idle.saturating_add(every.as_secs() as u32);
            }
        }
        self.idle
    }

    /// A capture report for the fleet page: agent 1's captures fail.
    pub fn capture_error(&self) -> Option<String> {
        (self.agent == 1).then(|| "no screen to capture: the demo desktop has no display".into())
    }

    async fn next_phase(&mut self) {
        // Drawn before any await: the generator stays on this thread.
        let (break_minutes, away, work) = {
            let mut rng = rand::rng();
            (
                rng.random_range(3..6),
                rng.random_range(150..300),
                rng.random_range(240..480),
            )
        };
        self.rounds += 1;
        match self.doing {
            Doing::Working => {
                self.stop().await;
                // Every third round of agent 2 is a break; the others step away.
                if self.agent % 3 == 2 || self.rounds.is_multiple_of(3) {
                    let minutes: i64 = break_minutes;
                    let until = Utc::now() + chrono::Duration::minutes(minutes);
                    let _ = self
                        .api
                        .set_status(&json!({"kind": "break", "until": until}))
                        .await;
                    self.doing = Doing::OnBreak;
                    self.phase_left = Duration::from_secs(minutes as u64 * 60);
                } else {
                    self.doing = Doing::Away;
                    self.phase_left = Duration::from_secs(away);
                }
                self.idle = 0;
            }
            Doing::Away | Doing::OnBreak => {
                self.doing = Doing::Working;
                self.phase_left = Duration::from_secs(work);
                self.idle = 0;
            }
        }
    }

    async fn start(&mut self) {
        let tickets = self.api.tickets().await.unwrap_or_default();
        let open: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let ticket = if open.is_empty() {
            None
        } else {
            Some(open[(self.agent + self.rounds as usize) % open.len()])
        };
        let client_id = format!("demo-{}-{}", self.agent, rand::random::<u64>());
        match self.api.start_session(ticket, &client_id, None).await {
            Ok(s) => self.session = Some(s.id),
            // Already running (a restart of the demo): adopt it.
            Err(e) => {
                tracing::warn!(agent = self.agent, error = %e, "demo: start refused; adopting the running session");
                self.session = self.api.active_session().await.ok().flatten().map(|s| s.id);
            }
        }
    }

    async fn stop(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = self.api.stop_session(id, Utc::now()).await;
        }
    }
}
