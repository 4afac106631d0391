//! Two-factor sign-in (SPEC §17) without I/O: TOTP codes (RFC 6238: SHA-1, 6 digits, 30 s,
//! one step of clock drift either way), which time step a typed code belongs to, the shape of
//! recovery codes and how typed ones are read, and whom an organization's requirement covers.
//! The guard against a code used twice is the database's (`last_step`): here is only the
//! arithmetic it compares.

use rand::{Rng, RngCore};
use shared::two_factor::TwoFactorRequirement;
use shared::Role;
use totp_rs::{Algorithm, Secret, TOTP};

use super::auth::token_hash;

/// The issuer authenticator apps show above the code.
pub const ISSUER: &str = "Presence Hub";

/// Seconds per time step (RFC 6238's recommended 30).
pub const STEP_SECONDS: u64 = 30;

/// Digits of a code.
pub const DIGITS: usize = 6;

/// Steps before and after now whose codes still count (a phone's clock a little off).
pub const SKEW_STEPS: u64 = 1;

/// Random bytes of a secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

/// Recovery codes handed out at once.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Letters of recovery codes: lower case without i, l and o (read as 1 and 0).
const RECOVERY_ALPHABET: &[u8; 23] = b"abcdefghjkmnpqrstuvwxyz";

/// Letters in a recovery code (shown as `abcd-efgh-ijkl`): 23^12 ≈ 2^54.
const RECOVERY_LETTERS: usize = 12;

/// How long the second step of a login may take.
pub const CHALLENGE_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// Wrong codes a login's second step survives; the last one voids it.
pub const MAX_CHALLENGE_ATTEMPTS: i64 = 5;

#[derive(Debug, thiserror::Error)]
#[error("two-factor secret unusable: {0}")]
pub struct SecretError(String);

/// A new secret, base32 (RFC 4648, no padding) as stored and as typed into an app.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        // `to_encoded` of raw bytes always encodes; kept total without a panic.
        Secret::Raw(_) => String::new(),
    }
}

/// The TOTP of a stored secret; `account` is what apps list it as (the e-mail address).
fn totp(secret: &str, account: &str) -> Result<TOTP, SecretError> {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .map_err(|e| SecretError(e.to_string()))?;
    // The otpauth label is `issuer:account`: a colon in the account would split it wrongly.
    let account = account.replace(':', "");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW_STEPS as u8,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_string()),
        account,
    )
    .map_err(|e| SecretError(e.to_string()))
}

/// `otpauth://totp/Presence%20Hub:{account}?secret=…&issuer=Presence%20Hub`, for the QR code.
pub fn otpauth_uri(secret: &str, account: &str) -> Result<String, SecretError> {
    Ok(totp(secret, account)?.get_url())
}

/// The time step of an instant (seconds since the epoch).
pub fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The code an app shows during `step`.
pub fn code_at_step(secret: &str, step: u64) -> Result<String, SecretError> {
    Ok(totp(secret, "")?.generate(step * STEP_SECONDS))
}

/// What someone typed as a code, as compared: the digits without spaces; `None` when it is
/// not 6 digits.
pub fn normalize_code(input: &str) -> Option<String> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// The step among now's and its neighbours ([`SKEW_STEPS`]) whose code `code` is, the newest
/// if several are; `None` when it is none of them. Whether that step is newer than the last
/// one accepted is for the caller (the database) to decide.
pub fn matching_step(
    secret: &str,
    code: &str,
    unix_seconds: u64,
) -> Result<Option<u64>, SecretError> {
    let Some(code) = normalize_code(code) else {
        return Ok(None);
    };
    let totp = totp(secret, "")?;
    let now = step_of(unix_seconds);
    let first = now.saturating_sub(SKEW_STEPS);
    let mut found = None;
    // Every candidate is computed and compared, so the time taken does not tell which matched.
    for step in first..=now + SKEW_STEPS {
        if same(
            totp.generate(step * STEP_SECONDS).as_bytes(),
            code.as_bytes(),
        ) {
            found = Some(step);
        }
    }
    Ok(found)
}

/// Equal byte strings, compared in time that depends only on their length.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ten new recovery codes, `abcd-efgh-ijkl`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let letters: String = (0..RECOVERY_LETTERS)
                .map(|_| {
                    char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())])
                })
                .collect();
            spell_recovery_code(&letters)
        })
        .collect()
}

/// `abcdefghijkl` → `abcd-efgh-ijkl`.
fn spell_recovery_code(letters: &str) -> String {
    letters
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code as stored: case, spaces and dashes do not matter. `None` when it
/// cannot be one (wrong length, a letter outside the alphabet).
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let letters: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid = letters.len() == RECOVERY_LETTERS
        && letters.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    valid.then(|| spell_recovery_code(&letters))
}

/// What the database keeps of a recovery code (of its normalized form).
pub fn recovery_code_hash(code: &str) -> String {
    token_hash(code)
}

/// Whether `requirement` covers someone of `role`: `admins` means owners and admins.
pub fn required_for(requirement: TwoFactorRequirement, role: Role) -> bool {
    match requirement {
        TwoFactorRequirement::Nobody => false,
        TwoFactorRequirement::Admins => role.at_least(Role::Admin),
        TwoFactorRequirement::Everyone => true,
    }
}

/// Someone the organization requires it of who has not turned it on: until they do, they
/// may only enrol (SPEC §17).
pub fn must_enrol(requirement: TwoFactorRequirement, role: Role, enabled: bool) -> bool {
    required_for(requirement, role) && !enabled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 key ("12345678901234567890") in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_follow_rfc_6238() {
        // Appendix B: T = 59 s → 94287082 (8 digits); the 6-digit code is its last six.
        assert_eq!(code_at_step(RFC_SECRET, step_of(59)).unwrap(), "287082");
        assert_eq!(
            code_at_step(RFC_SECRET, step_of(1_111_111_109)).unwrap(),
            "081804"
        );
    }

    #[test]
    fn a_code_matches_its_step_and_one_step_either_side_only() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
        let now = 1_700_000_015;
        let step = step_of(now);
        let code = code_at_step(&secret, step).unwrap();
        assert_eq!(matching_step(&secret, &code, now).unwrap(), Some(step));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(&secret, &spaced, now).unwrap(), Some(step));
        let previous = code_at_step(&secret, step - 1).unwrap();
        assert_eq!(
            matching_step(&secret, &previous, now).unwrap(),
            Some(step - 1)
        );
        let older = code_at_step(&secret, step - 2).unwrap();
        if older != code && older != previous && older != code_at_step(&secret, step + 1).unwrap() {
            assert_eq!(matching_step(&secret, &older, now).unwrap(), None);
        }
        assert_eq!(matching_step(&secret, "12345", now).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", now).unwrap(), None);
    }

    #[test]
    fn the_uri_names_the_hub_and_the_account() {
        let uri = otpauth_uri(RFC_SECRET, "ann@acme.test").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Presence%20Hub:ann%40acme.test?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={RFC_SECRET}")), "{uri}");
        assert!(uri.contains("issuer=Presence%20Hub"), "{uri}");
    }

    #[test]
    fn recovery_codes_are_read_however_they_are_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 14, "{code}");
            assert_eq!(
                normalize_recovery_code(code).as_deref(),
                Some(code.as_str())
            );
            let typed = format!(" {} ", code.replace('-', " ").to_uppercase());
            assert_eq!(
                normalize_recovery_code(&typed).as_deref(),
                Some(code.as_str())
            );
        }
        assert_eq!(normalize_recovery_code("abcd-efgh-ijk"), None);
        assert_eq!(
            normalize_recovery_code("abcd-efgh-ijkl"),
            None,
            "i and l are never used"
        );
        assert_ne!(recovery_code_hash(&codes[0]), codes[0]);
    }

    #[test]
    fn admins_means_owners_and_admins() {
        use TwoFactorRequirement::*;
        assert!(!required_for(Nobody, Role::Owner));
        assert!(required_for(Admins, Role::Owner) && required_for(Admins, Role::Admin));
        assert!(!required_for(Admins, Role::Supervisor) && !required_for(Admins, Role::Member));
        assert!(required_for(Everyone, Role::Member));
        assert!(must_enrol(Everyone, Role::Member, false));
        assert!(!must_enrol(Everyone, Role::Member, true));
    }
}
