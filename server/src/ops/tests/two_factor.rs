//! Two-factor sign-in: set up and turned on with the app's code, a code accepted once, the
//! recovery codes (each once), the login's second step (5 wrong codes, 5 minutes), the
//! organization's requirement and an admin's reset.

use std::net::IpAddr;
use std::time::Duration;

use super::{actor, Fixture};
use crate::domain::auth::token_hash;
use crate::domain::two_factor::{code_at_step, step_of, STEP_SECONDS};
use crate::ops::accounts::{self, LoginLimiter, LoginStep};
use crate::ops::{orgs, people, tokens, two_factor, OpError};
use crate::store::{now_ms, UserRow};
use shared::api::CreateUserRequest;
use shared::people::{TokenKind, UpdateOrgRequest};
use shared::two_factor::{MfaRequest, TwoFactorRequirement};
use shared::Role;

const PASSWORD: &str = "right-pass-123";

fn ip() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// A user of the fixture's organization who signs in with [`PASSWORD`].
async fn with_password(f: &Fixture, name: &str, role: Role) -> UserRow {
    let body = CreateUserRequest {
        name: name.to_string(),
        email: format!("{}@test.example", name.to_lowercase()),
        password: Some(PASSWORD.to_string()),
        role,
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
    };
    let (user, _) = people::create_user(&f.ctx(), f.org_id(), &body, &actor(&f.owner).audit("api"))
        .await
        .expect("a user with a password");
    f.published.take();
    user
}

/// The time step now, waited for when it is about to end: the codes a test computes for it
/// and its neighbours stay valid while the test uses them.
pub(super) async fn steady_step() -> u64 {
    let seconds = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let left = STEP_SECONDS - seconds % STEP_SECONDS;
    if left <= 3 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
    step_of(u64::try_from(now_ms() / 1000).unwrap_or(0))
}

/// Sets up and turns on `user`'s two-factor sign-in with the code of `step`: the secret and
/// the recovery codes.
pub(super) async fn turn_on(f: &Fixture, user: &UserRow, step: u64) -> (String, Vec<String>) {
    let setup = two_factor::setup(&f.ctx(), &actor(user))
        .await
        .expect("set up");
    let code = code_at_step(&setup.secret, step).expect("a code");
    let codes = two_factor::enable(&f.ctx(), &actor(user), &code)
        .await
        .expect("turned on");
    (setup.secret, codes)
}

/// The password step of a login: the second step's token (two-factor sign-in must be on).
async fn password_step(f: &Fixture, limiter: &LoginLimiter, user: &UserRow) -> String {
    let step = accounts::login(
        &f.ctx(),
        limiter,
        ip(),
        &user.email,
        PASSWORD,
        TokenKind::Web,
    )
    .await
    .expect("the password is right");
    match step {
        LoginStep::SecondFactor { mfa_token } => mfa_token,
        LoginStep::Done { .. } => panic!("{} got a token without the code", user.email),
    }
}

fn with_code(mfa_token: &str, code: &str) -> MfaRequest {
    MfaRequest {
        mfa_token: mfa_token.to_string(),
        code: Some(code.to_string()),
        recovery_code: None,
    }
}

#[tokio::test]
async fn only_the_code_of_the_app_set_up_turns_it_on() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let before = two_factor::status(&f.ctx(), &alice).await.expect("status");
    assert!(!before.enabled && !before.required && before.recovery_codes_left == 0);

    let setup = two_factor::setup(&f.ctx(), &actor(&alice))
        .await
        .expect("set up");
    assert_eq!(setup.secret.len(), 32);
    assert!(setup
        .otpauth_uri
        .starts_with("otpauth://totp/Presence%20Hub:alice%40test.example?"));
    assert!(setup.qr_svg.starts_with("<svg") && setup.qr_svg.ends_with("</svg>"));

    let step = steady_step().await;
    let right = code_at_step(&setup.secret, step).expect("a code");
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = two_factor::enable(&f.ctx(), &actor(&alice), wrong).await;
    let Err(OpError::Invalid { fields, .. }) = refused else {
        panic!("a wrong code turned it on: {refused:?}")
    };
    assert!(fields.contains_key("code"), "{fields:?}");
    assert!(
        !two_factor::status(&f.ctx(), &alice)
            .await
            .expect("status")
            .enabled
    );

    let codes = two_factor::enable(&f.ctx(), &actor(&alice), &right)
        .await
        .expect("the right code turns it on");
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 14 && c.matches('-').count() == 2),
        "{codes:?}"
    );
    let after = two_factor::status(&f.ctx(), &alice).await.expect("status");
    assert!(after.enabled);
    assert_eq!(after.recovery_codes_left, 10);
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("TWO_FACTOR_ENABLED")
    );

    // While it is on, no new secret replaces the one in the app.
    let again = two_factor::setup(&f.ctx(), &actor(&alice)).await;
    assert!(matches!(again, Err(OpError::Conflict(_))), "{again:?}");
}

#[tokio::test]
async fn a_code_is_accepted_once() {
    let f = Fixture::new().await;
    let limiter = LoginLimiter::new(1000);
    let alice = with_password(&f, "Alice", Role::Member).await;
    let step = steady_step().await;
    // Turned on with the previous step's code (one step of drift is allowed)...
    let (secret, _) = turn_on(&f, &alice, step - 1).await;
    let now_code = code_at_step(&secret, step).expect("a code");

    // ...so the code of now signs in once.
    let token = password_step(&f, &limiter, &alice).await;
    let (issued, user) =
        two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, &now_code))
            .await
            .expect("the code of now signs in");
    assert_eq!(user.id, alice.id);
    let owner = f
        .store
        .token_owner(&token_hash(&issued))
        .await
        .expect("looked up")
        .expect("the issued token works");
    assert_eq!(owner.kind, "web");

    // The same code again, for another login: refused, though it is still in its window.
    let token = password_step(&f, &limiter, &alice).await;
    let replay =
        two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, &now_code)).await;
    assert!(
        matches!(replay, Err(OpError::InvalidCode(why)) if why.contains("already used")),
        "{replay:?}"
    );
    // An older code than the last accepted one is refused too.
    let older = code_at_step(&secret, step - 1).expect("a code");
    let old = two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, &older)).await;
    assert!(matches!(old, Err(OpError::InvalidCode(_))), "{old:?}");
    // The next step's code (a phone's clock a little ahead) still works on the same login.
    let next = code_at_step(&secret, step + 1).expect("a code");
    two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, &next))
        .await
        .expect("a newer code signs in");
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let f = Fixture::new().await;
    let limiter = LoginLimiter::new(1000);
    let alice = with_password(&f, "Alice", Role::Member).await;
    let step = steady_step().await;
    let (_, codes) = turn_on(&f, &alice, step).await;

    let token = password_step(&f, &limiter, &alice).await;
    // Typed in capitals with spaces: still the same code.
    let typed = codes[3].replace('-', " ").to_uppercase();
    let body = MfaRequest {
        mfa_token: token,
        code: None,
        recovery_code: Some(typed.clone()),
    };
    two_factor::finish_login(&f.ctx(), &limiter, ip(), &body)
        .await
        .expect("a recovery code signs in");
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("RECOVERY_CODE_USED")
    );
    let status = two_factor::status(&f.ctx(), &alice).await.expect("status");
    assert_eq!(status.recovery_codes_left, 9);

    let token = password_step(&f, &limiter, &alice).await;
    let body = MfaRequest {
        mfa_token: token,
        code: None,
        recovery_code: Some(typed),
    };
    let twice = two_factor::finish_login(&f.ctx(), &limiter, ip(), &body).await;
    assert!(matches!(twice, Err(OpError::InvalidCode(_))), "{twice:?}");

    // New recovery codes (against a newer code): the old ones stop working.
    let renewed = two_factor::renew_recovery_codes(
        &f.ctx(),
        &actor(&alice),
        &code_at_step(&turn_secret(&f, &alice).await, step + 1).expect("a code"),
    )
    .await
    .expect("renewed");
    assert_eq!(renewed.len(), 10);
    assert!(!renewed.contains(&codes[4]));
    let token = password_step(&f, &limiter, &alice).await;
    let body = MfaRequest {
        mfa_token: token,
        code: None,
        recovery_code: Some(codes[4].clone()),
    };
    let voided = two_factor::finish_login(&f.ctx(), &limiter, ip(), &body).await;
    assert!(matches!(voided, Err(OpError::InvalidCode(_))), "{voided:?}");
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("RECOVERY_CODES_RENEWED")
    );
}

/// The stored secret of `user`.
async fn turn_secret(f: &Fixture, user: &UserRow) -> String {
    f.store
        .totp_of(user.id)
        .await
        .expect("read")
        .expect("set up")
        .secret
}

#[tokio::test]
async fn the_second_step_dies_after_five_wrong_codes_or_five_minutes() {
    let f = Fixture::new().await;
    let limiter = LoginLimiter::new(1000);
    let alice = with_password(&f, "Alice", Role::Member).await;
    let step = steady_step().await;
    let (secret, _) = turn_on(&f, &alice, step - 1).await;
    let right = code_at_step(&secret, step).expect("a code");
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };

    let token = password_step(&f, &limiter, &alice).await;
    for attempt in 1..=4 {
        let refused =
            two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, wrong)).await;
        assert!(
            matches!(refused, Err(OpError::InvalidCode(_))),
            "wrong code {attempt}: {refused:?}"
        );
    }
    let fifth = two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, wrong)).await;
    assert!(matches!(fifth, Err(OpError::MfaExpired)), "{fifth:?}");
    let too_late =
        two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, &right)).await;
    assert!(
        matches!(too_late, Err(OpError::MfaExpired)),
        "the right code after five wrong ones: {too_late:?}"
    );

    // A second step older than five minutes cannot be finished either.
    f.store
        .create_mfa_challenge(&alice, &token_hash("stale"), "web", None, now_ms() - 1)
        .await
        .expect("stored");
    let expired =
        two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code("stale", &right)).await;
    assert!(matches!(expired, Err(OpError::MfaExpired)), "{expired:?}");
    // Nor one that never was.
    let unknown =
        two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code("no-such", &right)).await;
    assert!(matches!(unknown, Err(OpError::MfaExpired)), "{unknown:?}");
}

#[tokio::test]
async fn the_second_step_is_rate_limited_like_the_password() {
    let f = Fixture::new().await;
    let limiter = LoginLimiter::new(2);
    let alice = with_password(&f, "Alice", Role::Member).await;
    let step = steady_step().await;
    let (secret, _) = turn_on(&f, &alice, step).await;
    let wrong = if code_at_step(&secret, step).expect("a code") == "000000" {
        "111111"
    } else {
        "000000"
    };
    // The password counts once, the first wrong code once: the next attempt waits.
    let token = password_step(&f, &limiter, &alice).await;
    let first = two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, wrong)).await;
    assert!(matches!(first, Err(OpError::InvalidCode(_))), "{first:?}");
    let limited =
        two_factor::finish_login(&f.ctx(), &limiter, ip(), &with_code(&token, wrong)).await;
    assert!(
        matches!(limited, Err(OpError::RateLimited { retry_after_seconds }) if retry_after_seconds >= 1),
        "{limited:?}"
    );
}

#[tokio::test]
async fn the_organization_requirement_holds_until_enrolled() {
    let f = Fixture::new().await;
    let admin = f.user("Ada", Role::Admin).await;
    let bob = f.user("Bob", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let require = |r| UpdateOrgRequest {
        require_2fa_for: Some(r),
        ..UpdateOrgRequest::default()
    };
    let by_lead = orgs::update(
        &f.ctx(),
        &actor(&lead),
        &require(TwoFactorRequirement::Everyone),
    )
    .await;
    assert!(matches!(by_lead, Err(OpError::Forbidden(_))), "{by_lead:?}");
    // The admin would be covered without having it on: turning it on comes first.
    let locked_out = orgs::update(
        &f.ctx(),
        &actor(&admin),
        &require(TwoFactorRequirement::Admins),
    )
    .await;
    assert!(
        matches!(locked_out, Err(OpError::Conflict(_))),
        "{locked_out:?}"
    );
    let step = steady_step().await;
    turn_on(&f, &admin, step).await;

    let org = orgs::update(
        &f.ctx(),
        &actor(&admin),
        &require(TwoFactorRequirement::Admins),
    )
    .await
    .expect("saved");
    assert_eq!(org.require_2fa_for, TwoFactorRequirement::Admins);
    let (entries, _) = f
        .store
        .list_audit(f.org_id(), Some("ORG_UPDATED"), 1, 10)
        .await
        .expect("audit");
    assert_eq!(
        entries[0].details["changes"]["require_2fa_for"],
        serde_json::json!({"old": "none", "new": "admins"})
    );

    let must_enrol = |user: UserRow| {
        let f = &f;
        async move {
            let token = tokens::issue(&f.ctx(), &user, TokenKind::Web, None)
                .await
                .expect("issued");
            f.store
                .token_owner(&token_hash(&token))
                .await
                .expect("looked up")
                .expect("live")
                .must_enrol_two_factor()
        }
    };
    // "admins": owners and admins, not members; the admin has it on already.
    assert!(must_enrol(f.owner.clone()).await);
    assert!(!must_enrol(admin.clone()).await);
    assert!(!must_enrol(bob.clone()).await);
    assert!(
        two_factor::status(&f.ctx(), &f.owner)
            .await
            .expect("status")
            .required
    );

    orgs::update(
        &f.ctx(),
        &actor(&admin),
        &require(TwoFactorRequirement::Everyone),
    )
    .await
    .expect("saved");
    assert!(must_enrol(bob.clone()).await);
    turn_on(&f, &bob, steady_step().await).await;
    assert!(
        !must_enrol(bob.clone()).await,
        "enrolled: everything is open again"
    );

    // Required: it cannot be turned off.
    let off = two_factor::disable(&f.ctx(), &actor(&bob), None, None).await;
    assert!(matches!(off, Err(OpError::Conflict(_))), "{off:?}");
}

#[tokio::test]
async fn turning_it_off_takes_the_password() {
    let f = Fixture::new().await;
    let limiter = LoginLimiter::new(1000);
    let alice = with_password(&f, "Alice", Role::Member).await;
    let step = steady_step().await;
    turn_on(&f, &alice, step).await;
    let wrong = two_factor::disable(&f.ctx(), &actor(&alice), Some("not-my-password"), None).await;
    let Err(OpError::Invalid { fields, .. }) = wrong else {
        panic!("{wrong:?}")
    };
    assert!(fields.contains_key("password"), "{fields:?}");
    two_factor::disable(&f.ctx(), &actor(&alice), Some(PASSWORD), None)
        .await
        .expect("turned off");
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("TWO_FACTOR_DISABLED")
    );
    let step = accounts::login(
        &f.ctx(),
        &limiter,
        ip(),
        &alice.email,
        PASSWORD,
        TokenKind::Web,
    )
    .await
    .expect("logged in");
    assert!(matches!(step, LoginStep::Done { .. }), "{step:?}");
}

#[tokio::test]
async fn an_admin_resets_it_and_the_login_is_one_step_again() {
    let f = Fixture::new().await;
    let limiter = LoginLimiter::new(1000);
    let admin = f.user("Ada", Role::Admin).await;
    let member = f.user("Max", Role::Member).await;
    let alice = with_password(&f, "Alice", Role::Member).await;
    let step = steady_step().await;
    turn_on(&f, &alice, step).await;
    turn_on(&f, &f.owner, step).await;

    let by_member = two_factor::reset(&f.ctx(), Some(&actor(&member)), &alice, "api").await;
    assert!(
        matches!(by_member, Err(OpError::Forbidden(_))),
        "{by_member:?}"
    );
    let owners = two_factor::reset(&f.ctx(), Some(&actor(&admin)), &f.owner, "api").await;
    assert!(matches!(owners, Err(OpError::Forbidden(_))), "{owners:?}");
    let otto = f.other_org_owner().await;
    let stranger = two_factor::reset(&f.ctx(), Some(&actor(&otto)), &alice, "api").await;
    assert!(
        matches!(stranger, Err(OpError::NotFound(_))),
        "{stranger:?}"
    );

    two_factor::reset(&f.ctx(), Some(&actor(&admin)), &alice, "api")
        .await
        .expect("reset");
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("TWO_FACTOR_RESET")
    );
    assert!(
        !two_factor::status(&f.ctx(), &alice)
            .await
            .expect("status")
            .enabled
    );
    assert_eq!(
        f.store.recovery_codes_left(alice.id).await.expect("count"),
        0
    );
    let login = accounts::login(
        &f.ctx(),
        &limiter,
        ip(),
        &alice.email,
        PASSWORD,
        TokenKind::Web,
    )
    .await
    .expect("logged in");
    assert!(matches!(login, LoginStep::Done { .. }), "{login:?}");
    let twice = two_factor::reset(&f.ctx(), Some(&actor(&admin)), &alice, "api").await;
    assert!(matches!(twice, Err(OpError::Conflict(_))), "{twice:?}");
    // The command line (no actor) resets an owner's.
    two_factor::reset(&f.ctx(), None, &f.owner, "cli")
        .await
        .expect("reset from the command line");
}
