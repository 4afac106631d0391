//! What the agent knows and shows: the window draws it, `presence-agent status` reads it
//! from the status file the running agent keeps up to date.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::api::UserInfo;
use shared::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Connecting,
    Online,
    Offline,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Online => "online",
            Connection::Offline => "offline",
        }
    }
}

/// The session this agent is tracking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedSession {
    /// `None` while its start waits in the offline queue.
    pub id: Option<i64>,
    pub client_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ticket_id: Option<i64>,
    /// Idle time discarded from it: not counted by the timer.
    #[serde(default)]
    pub discarded_seconds: i64,
}

impl TrackedSession {
    /// The time the session counts at `now`.
    pub fn counted_seconds(&self, now: DateTime<Utc>) -> i64 {
        ((now - self.started_at).num_seconds() - self.discarded_seconds).max(0)
    }
}

/// The window's question after a return from idle (policy `idle_time_handling` = `ask`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleQuestion {
    pub session_id: i64,
    pub span_id: i64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub seconds: i64,
    /// Unanswered until then, the time is kept.
    pub answer_by: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentState {
    pub server: String,
    pub connection: Connection,
    pub user: Option<UserInfo>,
    pub session: Option<TrackedSession>,
    pub config: Policy,
    pub config_version: i64,
    /// When this agent last applied a config (from `hello`, a push, or the cache).
    pub config_applied_at: Option<DateTime<Utc>>,
    pub notice: Option<Notice>,
    #[serde(default)]
    pub idle_question: Option<IdleQuestion>,
    pub pending_writes: usize,
    pub idle_seconds: u32,
    pub screenshots_uploaded: u64,
    pub last_screenshot_at: Option<DateTime<Utc>>,
    /// When the next screenshot is due (a session runs and the policy takes them).
    #[serde(default)]
    pub next_screenshot_at: Option<DateTime<Utc>>,
    pub pid: u32,
    pub updated_at: DateTime<Utc>,
}

impl AgentState {
    pub fn new(server: String) -> Self {
        AgentState {
            server,
            connection: Connection::Connecting,
            user: None,
            session: None,
            config: Policy::default(),
            config_version: 0,
            config_applied_at: None,
            notice: None,
            idle_question: None,
            pending_writes: 0,
            idle_seconds: 0,
            screenshots_uploaded: 0,
            last_screenshot_at: None,
            next_screenshot_at: None,
            pid: std::process::id(),
            updated_at: Utc::now(),
        }
    }

    /// The lines `presence-agent status` prints.
    pub fn describe(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut lines = vec![
            format!("server:          {}", self.server),
            format!("connection:      {}", self.connection.as_str()),
        ];
        if let Some(user) = &self.user {
            lines.push(format!(
                "user:            {} <{}> ({})",
                user.name, user.email, user.role
            ));
        }
        lines.push(format!("config version:  {}", self.config_version));
        lines.push(format!(
            "config updated:  {}",
            self.config_applied_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        ));
        match &self.session {
            Some(s) => {
                let secs = s.counted_seconds(now);
                let id =
                    s.id.map(|id| id.to_string())
                        .unwrap_or_else(|| "queued".into());
                lines.push(format!(
                    "session:         running (id {id}) for {}",
                    clock(secs)
                ));
            }
            None => lines.push("session:         none".to_string()),
        }
        lines.push(format!("idle:            {} s", self.idle_seconds));
        if let Some(q) = &self.idle_question {
            lines.push(format!(
                "idle question:   away {}: keep or discard? (in the window; kept at {})",
                away(q.seconds),
                q.answer_by.to_rfc3339()
            ));
        }
        lines.push(format!(
            "screenshots:     {} uploaded, last {}",
            self.screenshots_uploaded,
            self.last_screenshot_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        ));
        for line in self.capture_lines(now) {
            lines.push(format!("captured now:    {line}"));
        }
        lines.push(format!("pending writes:  {}", self.pending_writes));
        if let Some(notice) = &self.notice {
            lines.push(format!("notice:          {}", notice.text));
        }
        lines
    }
}

impl AgentState {
    /// What this agent captures now under the live policy (SPEC §18), for the window and
    /// `presence-agent status`: screenshots (off, or how often, blurred or not, when the next
    /// one comes), then apps and input counts.
    pub fn capture_lines(&self, now: DateTime<Utc>) -> Vec<String> {
        let c = &self.config;
        let screenshots = if c.screenshots_enabled {
            let interval = u64::from(c.screenshot_interval_seconds);
            let mut line = if interval.is_multiple_of(60) {
                format!("Screenshots every {} min", interval / 60)
            } else {
                format!("Screenshots every {interval} s")
            };
            if c.screenshot_blur {
                line.push_str(", blurred");
            }
            match (&self.session, self.next_screenshot_at) {
                (Some(_), Some(next)) => {
                    let secs = (next - now).num_seconds().max(0);
                    line.push_str(&format!(" · next in {}:{:02}", secs / 60, secs % 60));
                }
                _ => line.push_str(" · only while a session runs"),
            }
            line.push_str(&format!(" · {} uploaded", self.screenshots_uploaded));
            line
        } else {
            "Screenshots off".to_string()
        };
        let on_off = |on: bool| if on { "on" } else { "off" };
        vec![
            screenshots,
            format!(
                "Apps and window titles {} · keyboard counts {} · mouse counts {}",
                on_off(c.website_tracking_enabled),
                on_off(c.enable_keyboard_tracking),
                on_off(c.enable_mouse_tracking)
            ),
        ]
    }
}

/// How long someone was away: "12 min" / "1 h 05 min" (rounded to the minute).
pub fn away(seconds: i64) -> String {
    let minutes = (seconds.max(0) + 30) / 60;
    match minutes / 60 {
        0 => format!("{minutes} min"),
        h => format!("{h} h {:02} min", minutes % 60),
    }
}

pub fn clock(secs: i64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capture_lines_follow_the_policy_and_the_next_screenshot() {
        let now = Utc::now();
        let mut s = AgentState::new("http://hub".into());
        s.config.screenshot_blur = true;
        s.config.screenshot_interval_seconds = 300;
        s.config.enable_keyboard_tracking = true;
        assert_eq!(
            s.capture_lines(now),
            vec![
                "Screenshots every 5 min, blurred · only while a session runs · 0 uploaded",
                "Apps and window titles on · keyboard counts on · mouse counts off",
            ]
        );
        s.session = Some(TrackedSession {
            id: Some(1),
            client_id: None,
            started_at: now,
            ticket_id: None,
            discarded_seconds: 0,
        });
        s.next_screenshot_at = Some(now + chrono::Duration::seconds(125));
        s.screenshots_uploaded = 2;
        assert_eq!(
            s.capture_lines(now)[0],
            "Screenshots every 5 min, blurred · next in 2:05 · 2 uploaded"
        );
        s.config.screenshots_enabled = false;
        assert_eq!(s.capture_lines(now)[0], "Screenshots off");
    }

    #[test]
    fn away_reads_in_minutes_and_hours() {
        assert_eq!(away(59), "1 min");
        assert_eq!(away(12 * 60), "12 min");
        assert_eq!(away(65 * 60), "1 h 05 min");
    }
}
