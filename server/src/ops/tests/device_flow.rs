//! The agent's sign-in without a password: a code is approved once and gives one device
//! token of the person who approved; denied, expired and used codes give none; polls faster
//! than the interval are told to slow down; codes are typed loosely; guesses are limited.

use std::net::IpAddr;

use super::{actor, Fixture};
use crate::domain::auth::token_hash;
use crate::domain::device_flow::{normalize_user_code, DeviceRefusal, CODE_LIFETIME_MS};
use crate::ops::device_flow::{self, DeviceFlowLimiter};
use crate::ops::{tokens, OpError};
use crate::store::now_ms;
use shared::device_flow::DeviceAuthorization;
use shared::people::TokenKind;
use shared::Role;

const AGENT_IP: [u8; 4] = [10, 0, 0, 7];

fn agent_ip() -> IpAddr {
    IpAddr::from(AGENT_IP)
}

async fn started(f: &Fixture, limiter: &DeviceFlowLimiter) -> DeviceAuthorization {
    device_flow::start(
        &f.ctx(),
        limiter,
        agent_ip(),
        Some("presence-agent on build-box"),
    )
    .await
    .expect("a device sign-in starts")
}

fn refused(result: Result<(String, crate::store::UserRow), OpError>) -> DeviceRefusal {
    match result {
        Err(OpError::DeviceFlow(refusal)) => refusal,
        Ok((_, user)) => panic!("a token was handed out (for {})", user.email),
        Err(other) => panic!("refused otherwise: {other:?}"),
    }
}

#[tokio::test]
async fn the_answer_says_what_to_show_and_how_to_poll() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let auth = started(&f, &limiter).await;
    assert_eq!(auth.verification_uri, "http://hub.test/device");
    assert_eq!(
        auth.verification_uri_complete,
        format!("http://hub.test/device?code={}", auth.user_code)
    );
    assert_eq!((auth.expires_in, auth.interval), (600, 5));
    assert_eq!(auth.user_code.len(), 9, "{}", auth.user_code);
    assert!(normalize_user_code(&auth.user_code).is_some());
    assert!(auth.device_code.len() >= 43, "at least 256 bits");
    let stored = f
        .store
        .device_grant_by_device_code(&auth.device_code)
        .await
        .expect("looked up");
    assert!(stored.is_none(), "the device code is stored hashed only");

    // The page shows who asks, from where.
    let alice = f.user("Alice", Role::Member).await;
    let shown = device_flow::find(&f.ctx(), &limiter, &actor(&alice), &auth.user_code)
        .await
        .expect("found");
    assert_eq!(shown.client_name, "presence-agent on build-box");
    assert_eq!(shown.client_ip.as_deref(), Some("10.0.0.7"));
    assert_eq!(shown.user_code, auth.user_code);
}

#[tokio::test]
async fn an_approved_code_gives_one_device_token_of_the_approver() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let alice = f.user("Alice", Role::Member).await;
    let auth = started(&f, &limiter).await;

    let waiting = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip()).await;
    assert_eq!(refused(waiting), DeviceRefusal::AuthorizationPending);

    device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &auth.user_code)
        .await
        .expect("approved");
    // Right after a poll: an approved code answers at once, without waiting the interval.
    let (token, user) = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip())
        .await
        .expect("the token");
    assert_eq!(user.id, alice.id);
    let owner = f
        .store
        .token_owner(&token_hash(&token))
        .await
        .expect("looked up")
        .expect("the token logs in");
    assert_eq!(owner.user.id, alice.id);
    assert_eq!(owner.kind, "device");
    let devices = tokens::list(&f.ctx(), &actor(&alice), None)
        .await
        .expect("listed");
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0].kind, TokenKind::Device);
    assert_eq!(devices[0].client_ip.as_deref(), Some("10.0.0.7"));

    // Single use: the same device code, and the same user code, never work again.
    let again = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip()).await;
    assert_eq!(refused(again), DeviceRefusal::ExpiredToken);
    let twice = device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &auth.user_code).await;
    assert!(matches!(twice, Err(OpError::Conflict(_))), "{twice:?}");
    assert_eq!(
        tokens::list(&f.ctx(), &actor(&alice), None)
            .await
            .expect("listed")
            .len(),
        1
    );
    assert!(
        f.audit_actions()
            .await
            .contains(&"DEVICE_LOGIN_APPROVED".to_string()),
        "audited"
    );
}

#[tokio::test]
async fn another_organizations_user_who_approves_is_who_logs_in() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let otto = f.other_org_owner().await;
    let auth = started(&f, &limiter).await;
    device_flow::approve(&f.ctx(), &limiter, &actor(&otto), &auth.user_code)
        .await
        .expect("approved");
    let (_, user) = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip())
        .await
        .expect("the token");
    assert_eq!((user.id, user.org_id), (otto.id, otto.org_id));
    // The audit entry is the approver's organization's, not anyone else's.
    assert!(!f
        .audit_actions()
        .await
        .contains(&"DEVICE_LOGIN_APPROVED".to_string()));
    let (others, _) = f
        .store
        .list_audit(otto.org_id, Some("DEVICE_LOGIN_APPROVED"), 1, 10)
        .await
        .expect("their audit log");
    assert_eq!(others.len(), 1);
}

#[tokio::test]
async fn a_denied_code_is_refused_and_stays_denied() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let alice = f.user("Alice", Role::Member).await;
    let auth = started(&f, &limiter).await;
    device_flow::deny(&f.ctx(), &limiter, &actor(&alice), &auth.user_code)
        .await
        .expect("denied");
    let polled = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip()).await;
    assert_eq!(refused(polled), DeviceRefusal::AccessDenied);
    let approved = device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &auth.user_code).await;
    assert!(
        matches!(approved, Err(OpError::Conflict(_))),
        "{approved:?}"
    );
    let polled = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip()).await;
    assert_eq!(refused(polled), DeviceRefusal::AccessDenied);
    assert!(f
        .audit_actions()
        .await
        .contains(&"DEVICE_LOGIN_DENIED".to_string()));
    assert!(tokens::list(&f.ctx(), &actor(&alice), None)
        .await
        .expect("listed")
        .is_empty());
}

#[tokio::test]
async fn an_expired_code_can_be_neither_approved_nor_exchanged() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let alice = f.user("Alice", Role::Member).await;

    // Never answered, and its ten minutes are over.
    let auth = started(&f, &limiter).await;
    let stored = normalize_user_code(&auth.user_code).expect("a code");
    assert!(f
        .store
        .set_device_grant_expiry(&stored, now_ms() - 1)
        .await
        .expect("moved"));
    let approved = device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &auth.user_code).await;
    match approved {
        Err(OpError::Conflict(why)) => assert!(why.contains("expired"), "{why}"),
        other => panic!("approved an expired code: {other:?}"),
    }
    let polled = device_flow::exchange(&f.ctx(), &auth.device_code, agent_ip()).await;
    assert_eq!(refused(polled), DeviceRefusal::ExpiredToken);

    // Approved in time, but fetched too late.
    let auth = started(&f, &limiter).await;
    device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &auth.user_code)
        .await
        .expect("approved");
    let late = now_ms() + CODE_LIFETIME_MS + 1;
    let polled = device_flow::exchange_at(&f.ctx(), &auth.device_code, agent_ip(), late).await;
    assert_eq!(refused(polled), DeviceRefusal::ExpiredToken);

    // The cleanup removes what expired; an unknown device code is an invalid grant.
    let removed = f
        .store
        .delete_expired_device_grants(now_ms())
        .await
        .expect("cleaned up");
    assert_eq!(removed, 1);
    let first = device_flow::exchange(&f.ctx(), "no-such-device-code", agent_ip()).await;
    assert_eq!(refused(first), DeviceRefusal::InvalidGrant);
}

#[tokio::test]
async fn polling_sooner_than_the_interval_is_told_to_slow_down() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let auth = started(&f, &limiter).await;
    let (ctx, code) = (f.ctx(), &auth.device_code);
    let t0 = now_ms();
    let poll = |at: i64| device_flow::exchange_at(&ctx, code, agent_ip(), at);
    assert_eq!(refused(poll(t0).await), DeviceRefusal::AuthorizationPending);
    // One second later: too soon; from now on the interval is 10 s.
    assert_eq!(refused(poll(t0 + 1_000).await), DeviceRefusal::SlowDown);
    // Five seconds after that is still too soon for the longer interval.
    assert_eq!(refused(poll(t0 + 6_000).await), DeviceRefusal::SlowDown);
    // Waiting the (now 15 s) interval is on time again.
    assert_eq!(
        refused(poll(t0 + 21_000).await),
        DeviceRefusal::AuthorizationPending
    );
    let stored = f
        .store
        .device_grant_by_user_code(&normalize_user_code(&auth.user_code).expect("a code"))
        .await
        .expect("looked up")
        .expect("stored");
    assert_eq!(stored.interval_ms, 15_000);
}

#[tokio::test]
async fn codes_are_typed_loosely_and_refused_clearly() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(100);
    let alice = f.user("Alice", Role::Member).await;
    let auth = started(&f, &limiter).await;
    let sloppy = format!(" {} ", auth.user_code.replace('-', " ").to_lowercase());
    device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &sloppy)
        .await
        .expect("approved as typed");

    let malformed = device_flow::approve(&f.ctx(), &limiter, &actor(&alice), "1234").await;
    match malformed {
        Err(OpError::Invalid { fields, .. }) => assert!(fields.contains_key("user_code")),
        other => panic!("{other:?}"),
    }
    let unknown = device_flow::approve(&f.ctx(), &limiter, &actor(&alice), "BBBB-BBBB").await;
    assert!(matches!(unknown, Err(OpError::NotFound(_))), "{unknown:?}");
}

#[tokio::test]
async fn wrong_guesses_are_limited_per_user() {
    let f = Fixture::new().await;
    let limiter = DeviceFlowLimiter::new(3);
    let mallory = f.user("Mallory", Role::Member).await;
    let alice = f.user("Alice", Role::Member).await;
    let auth = started(&f, &limiter).await;
    for guess in ["BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD"] {
        let r = device_flow::approve(&f.ctx(), &limiter, &actor(&mallory), guess).await;
        assert!(matches!(r, Err(OpError::NotFound(_))), "{r:?}");
    }
    // Even the right code is refused now: guessing on cannot find it.
    let r = device_flow::approve(&f.ctx(), &limiter, &actor(&mallory), &auth.user_code).await;
    assert!(matches!(r, Err(OpError::RateLimited { .. })), "{r:?}");
    // Someone else is not held back by Mallory's guesses.
    device_flow::approve(&f.ctx(), &limiter, &actor(&alice), &auth.user_code)
        .await
        .expect("approved");
}
