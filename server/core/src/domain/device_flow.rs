//! The device authorization flow (RFC 8628 shape, SPEC §17): an agent without a password asks
//! for a code, a signed-in person approves it in the browser, the agent polls for its token.
//! Here are its rules without I/O: the user code's alphabet and spelling, how long a code
//! lives, how often an agent may poll, and what a poll answers in each state.

use rand::Rng;

/// Letters people can read out and type without mixing them up: no vowels (so no words) and
/// no digits (so no 0/O, 1/I, 2/Z, 5/S or 8/B).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Letters in a user code (shown as `ABCD-EFGH`): 20^8 ≈ 2.6 × 10^10 codes.
pub const USER_CODE_LEN: usize = 8;

/// How long a code (and its device code) can be approved and exchanged: 10 minutes.
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// The polling interval the agent is told at the start.
pub const POLL_INTERVAL_MS: i64 = 5_000;

/// What a `slow_down` adds to the interval (RFC 8628 §3.5), up to [`MAX_POLL_INTERVAL_MS`].
pub const SLOW_DOWN_STEP_MS: i64 = 5_000;

/// The interval never grows past this, however often an agent was told to slow down.
pub const MAX_POLL_INTERVAL_MS: i64 = 60_000;

/// A poll this much early still counts as on time: the nodes of a cluster read their own
/// clocks, which may differ a little.
pub const POLL_TOLERANCE_MS: i64 = 1_000;

/// The longest client name kept (what the approval page shows).
pub const CLIENT_NAME_MAX_CHARS: usize = 100;

/// A new user code, 8 letters of [`USER_CODE_ALPHABET`], as stored (no dash).
pub fn new_user_code() -> String {
    let mut rng = rand::rng();
    (0..USER_CODE_LEN)
        .map(|_| char::from(USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())]))
        .collect()
}

/// The code as people see it: `ABCD-EFGH`.
pub fn display_user_code(code: &str) -> String {
    if code.len() == USER_CODE_LEN && code.is_ascii() {
        let (a, b) = code.split_at(USER_CODE_LEN / 2);
        format!("{a}-{b}")
    } else {
        code.to_string()
    }
}

/// The stored form of what someone typed: case, spaces and dashes do not matter
/// (`abcd efgh`, `ABCDEFGH`, ` abcd-efgh ` are the same code). `None` when it cannot be a
/// code at all (wrong length, a letter outside the alphabet).
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The client name as stored and shown: trimmed, control characters dropped, at most
/// [`CLIENT_NAME_MAX_CHARS`]; "Unnamed device" when nothing is left.
pub fn clean_client_name(name: Option<&str>) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(CLIENT_NAME_MAX_CHARS)
        .collect();
    if cleaned.is_empty() {
        "Unnamed device".to_string()
    } else {
        cleaned
    }
}

/// Where a request stands (the `state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    /// Waiting for someone to approve or deny it.
    Pending,
    /// Approved: the next poll gets the token.
    Approved,
    Denied,
    /// The token was handed out: the code never works again.
    Used,
}

impl GrantState {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Pending => "pending",
            GrantState::Approved => "approved",
            GrantState::Denied => "denied",
            GrantState::Used => "used",
        }
    }

    pub fn parse(s: &str) -> Option<GrantState> {
        match s {
            "pending" => Some(GrantState::Pending),
            "approved" => Some(GrantState::Approved),
            "denied" => Some(GrantState::Denied),
            "used" => Some(GrantState::Used),
            _ => None,
        }
    }
}

/// Why the token endpoint answers no (RFC 8628 §3.5); each is a 400 with this `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeviceRefusal {
    #[error("Nobody has approved this sign-in yet. Keep polling.")]
    AuthorizationPending,
    #[error("Polled too soon: wait the interval (5 s more from now on) between polls.")]
    SlowDown,
    #[error("This code has expired or was already used. Start the sign-in again.")]
    ExpiredToken,
    #[error("The sign-in was denied in the browser.")]
    AccessDenied,
    #[error("Unknown device code. Start the sign-in again.")]
    InvalidGrant,
}

impl DeviceRefusal {
    /// The error `code` of the JSON answer (the names of RFC 8628).
    pub fn code(self) -> &'static str {
        match self {
            DeviceRefusal::AuthorizationPending => "authorization_pending",
            DeviceRefusal::SlowDown => "slow_down",
            DeviceRefusal::ExpiredToken => "expired_token",
            DeviceRefusal::AccessDenied => "access_denied",
            DeviceRefusal::InvalidGrant => "invalid_grant",
        }
    }
}

/// What the store holds of a request that decides a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollFacts {
    pub state: GrantState,
    pub expires_at: i64,
    pub interval_ms: i64,
    pub last_polled_at: Option<i64>,
}

/// What a poll at `now` leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollOutcome {
    /// Hand out the token (and mark the request used).
    Issue,
    /// Refuse; while pending, note the poll (and, for `SlowDown`, the longer interval).
    Refuse(DeviceRefusal),
}

/// The answer to a poll at `now`. A used code reads as expired whatever its time; an expired
/// one before any other state; only a pending request is held to the interval (an approved
/// or denied one answers at once).
pub fn poll_outcome(facts: &PollFacts, now: i64) -> PollOutcome {
    use DeviceRefusal::*;
    if facts.state == GrantState::Used || now >= facts.expires_at {
        return PollOutcome::Refuse(ExpiredToken);
    }
    match facts.state {
        GrantState::Approved => PollOutcome::Issue,
        GrantState::Denied => PollOutcome::Refuse(AccessDenied),
        GrantState::Pending | GrantState::Used => {
            let too_soon = facts
                .last_polled_at
                .is_some_and(|at| now - at < facts.interval_ms - POLL_TOLERANCE_MS);
            PollOutcome::Refuse(if too_soon {
                SlowDown
            } else {
                AuthorizationPending
            })
        }
    }
}

/// The interval after a `slow_down`.
pub fn slower(interval_ms: i64) -> i64 {
    (interval_ms + SLOW_DOWN_STEP_MS).min(MAX_POLL_INTERVAL_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_use_only_the_alphabet_and_read_back() {
        for _ in 0..200 {
            let code = new_user_code();
            assert_eq!(code.len(), USER_CODE_LEN);
            assert!(
                code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)),
                "{code}"
            );
            let shown = display_user_code(&code);
            assert_eq!(shown.len(), 9);
            assert_eq!(&shown[4..5], "-");
            assert_eq!(normalize_user_code(&shown).as_deref(), Some(&code[..]));
        }
        assert_ne!(new_user_code(), new_user_code());
    }

    #[test]
    fn typed_codes_are_normalised_or_refused() {
        for typed in [
            "BCDF-GHJK",
            "bcdf-ghjk",
            " bcdfghjk ",
            "bcdf ghjk",
            "B C D F - G H J K",
        ] {
            assert_eq!(
                normalize_user_code(typed).as_deref(),
                Some("BCDFGHJK"),
                "{typed:?}"
            );
        }
        // Too short, too long, a vowel, a digit, a look-alike.
        for typed in [
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ1",
            "BCDF-GHJO",
            "",
        ] {
            assert_eq!(normalize_user_code(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn client_names_are_one_short_line() {
        assert_eq!(
            clean_client_name(Some("  presence-agent on\nbox \t(Linux) ")),
            "presence-agent on box (Linux)"
        );
        assert_eq!(clean_client_name(None), "Unnamed device");
        assert_eq!(clean_client_name(Some(" \u{7} ")), "Unnamed device");
        assert_eq!(
            clean_client_name(Some(&"x".repeat(500))).chars().count(),
            CLIENT_NAME_MAX_CHARS
        );
    }

    fn facts(state: GrantState, last_polled_at: Option<i64>) -> PollFacts {
        PollFacts {
            state,
            expires_at: 1_000_000,
            interval_ms: POLL_INTERVAL_MS,
            last_polled_at,
        }
    }

    #[test]
    fn a_poll_answers_by_state_time_and_interval() {
        use DeviceRefusal::*;
        let now = 500_000;
        let refused = PollOutcome::Refuse;
        assert_eq!(
            poll_outcome(&facts(GrantState::Pending, None), now),
            refused(AuthorizationPending)
        );
        assert_eq!(
            poll_outcome(&facts(GrantState::Pending, Some(now - 100)), now),
            refused(SlowDown)
        );
        assert_eq!(
            poll_outcome(
                &facts(GrantState::Pending, Some(now - POLL_INTERVAL_MS)),
                now
            ),
            refused(AuthorizationPending)
        );
        // Approved and denied answer at once, even right after a poll.
        assert_eq!(
            poll_outcome(&facts(GrantState::Approved, Some(now - 1)), now),
            PollOutcome::Issue
        );
        assert_eq!(
            poll_outcome(&facts(GrantState::Denied, Some(now - 1)), now),
            refused(AccessDenied)
        );
        assert_eq!(
            poll_outcome(&facts(GrantState::Used, None), now),
            refused(ExpiredToken)
        );
        // Past its lifetime nothing is handed out, not even an approved one.
        assert_eq!(
            poll_outcome(&facts(GrantState::Approved, None), 1_000_000),
            refused(ExpiredToken)
        );
    }

    #[test]
    fn slowing_down_adds_five_seconds_up_to_a_minute() {
        assert_eq!(slower(POLL_INTERVAL_MS), 10_000);
        assert_eq!(slower(58_000), MAX_POLL_INTERVAL_MS);
        assert_eq!(slower(MAX_POLL_INTERVAL_MS), MAX_POLL_INTERVAL_MS);
    }
}
