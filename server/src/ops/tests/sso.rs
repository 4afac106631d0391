//! Single sign-on: the provider settings (owner only, checked, audited, the secret
//! write-only), the lookup by domain, `sso_only` with the owner's break-glass password, and
//! the flow with a fake provider behind `OidcProvider`: single use, the browser binding,
//! every refusal (audited), matching in the flow's organization and just-in-time members.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use super::{actor, Fixture};
use crate::domain::auth::token_hash;
use crate::domain::sso::SsoRefusal;
use crate::ops::sso::{
    self, Authorization, CallbackParams, FlowSecrets, Identity, OidcProvider, ProviderError,
    ProviderSettings, SsoFailure, SsoNext,
};
use crate::ops::{accounts, OpError};
use crate::store::{UserAuditActor, UserPatch};
use hub_core::events::Event;
use shared::people::TokenKind;
use shared::sso::SsoConfigRequest;
use shared::Role;

/// A provider that answers at once: numbered secrets, and the identity the test sets.
struct FakeIdp {
    next: AtomicU32,
    identity: Mutex<Result<Identity, ProviderError>>,
    /// Each authorization asked for: the settings and the login hint.
    authorized: Mutex<Vec<(ProviderSettings, Option<String>, FlowSecrets)>>,
    /// Each code exchanged, with the secrets the hub kept for it.
    exchanged: Mutex<Vec<(String, FlowSecrets)>>,
}

impl FakeIdp {
    fn new() -> Self {
        FakeIdp {
            next: AtomicU32::new(1),
            identity: Mutex::new(Err(ProviderError::Rejected("no identity set".into()))),
            authorized: Mutex::new(Vec::new()),
            exchanged: Mutex::new(Vec::new()),
        }
    }

    fn vouch(&self, email: &str, verified: Option<bool>, name: Option<&str>) {
        *self.identity.lock().expect("fake") = Ok(Identity {
            subject: format!("sub-{email}"),
            email: Some(email.to_string()),
            email_verified: verified,
            name: name.map(str::to_string),
        });
    }

    fn fail(&self, error: ProviderError) {
        *self.identity.lock().expect("fake") = Err(error);
    }
}

impl OidcProvider for FakeIdp {
    fn authorize(
        &self,
        settings: &ProviderSettings,
        login_hint: Option<&str>,
    ) -> impl Future<Output = Result<Authorization, ProviderError>> + Send {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let secrets = FlowSecrets {
            state: format!("state-{n}"),
            nonce: format!("nonce-{n}"),
            pkce_verifier: format!("verifier-{n}"),
        };
        self.authorized.lock().expect("fake").push((
            settings.clone(),
            login_hint.map(str::to_string),
            secrets.clone(),
        ));
        let url = format!("{}/authorize?state={}", settings.issuer, secrets.state);
        async move { Ok(Authorization { url, secrets }) }
    }

    fn identity(
        &self,
        _settings: &ProviderSettings,
        code: &str,
        secrets: &FlowSecrets,
    ) -> impl Future<Output = Result<Identity, ProviderError>> + Send {
        self.exchanged
            .lock()
            .expect("fake")
            .push((code.to_string(), secrets.clone()));
        let answer = self.identity.lock().expect("fake").clone();
        async move { answer }
    }
}

const ISSUER: &str = "https://login.test.example";

fn config(domains: &[&str], sso_only: bool) -> SsoConfigRequest {
    SsoConfigRequest {
        issuer: ISSUER.into(),
        client_id: "presence-hub".into(),
        client_secret: Some("s3cret-value".into()),
        allowed_domains: domains.iter().map(|d| d.to_string()).collect(),
        sso_only,
    }
}

fn browser_answer(state: &str, code: &str) -> CallbackParams {
    CallbackParams {
        code: Some(code.into()),
        state: Some(state.into()),
        browser_state: Some(state.into()),
        ..CallbackParams::default()
    }
}

fn refusal(result: Result<sso::SsoLogin, SsoFailure>) -> SsoRefusal {
    match result {
        Err(SsoFailure::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The newest `SSO_REFUSED` entry's details.
async fn last_refusal(f: &Fixture) -> serde_json::Value {
    let (items, _) = f
        .store
        .list_audit(f.org_id(), Some("SSO_REFUSED"), 1, 10)
        .await
        .expect("audit");
    items.first().expect("an SSO_REFUSED entry").details.clone()
}

async fn refusals(f: &Fixture) -> i64 {
    f.store
        .list_audit(f.org_id(), Some("SSO_REFUSED"), 1, 1)
        .await
        .expect("audit")
        .1
}

#[tokio::test]
async fn the_owner_configures_it_checked_audited_and_the_secret_stays_hidden() {
    let f = Fixture::new().await;
    let member = f.user("Alice", Role::Member).await;
    let admin = f.user("Adam", Role::Admin).await;
    let body = config(&[" Acme.Test ", "@example.org"], false);
    for who in [&member, &admin] {
        let refused = sso::configure_as(&f.ctx(), &actor(who), &body).await;
        assert!(matches!(refused, Err(OpError::Forbidden(_))), "{refused:?}");
        assert!(matches!(
            sso::get(&f.ctx(), &actor(who)).await,
            Err(OpError::Forbidden(_))
        ));
    }
    assert!(matches!(
        sso::get(&f.ctx(), &actor(&f.owner)).await,
        Err(OpError::NotFound(_))
    ));

    let mut bad = config(&["not a domain"], false);
    bad.issuer = "http://login.example.com".into();
    bad.client_id = "  ".into();
    match sso::configure_as(&f.ctx(), &actor(&f.owner), &bad).await {
        Err(OpError::Invalid { fields, .. }) => {
            assert!(
                fields["issuer"].contains("only accepted for a provider on this machine"),
                "{fields:?}"
            );
            assert!(fields.contains_key("client_id"), "{fields:?}");
            assert!(fields.contains_key("allowed_domains"), "{fields:?}");
        }
        other => panic!("expected 422, got {other:?}"),
    }

    let saved = sso::configure_as(&f.ctx(), &actor(&f.owner), &body)
        .await
        .expect("configured");
    assert_eq!(saved.allowed_domains, vec!["acme.test", "example.org"]);
    assert!(saved.client_secret_set);
    assert_eq!(saved.callback_url, "http://hub.test/auth/sso/callback");
    let audit = f
        .store
        .list_audit(f.org_id(), Some("SSO_CONFIGURED"), 1, 10)
        .await
        .expect("audit")
        .0;
    assert_eq!(audit.len(), 1);
    assert!(
        !audit[0].details.to_string().contains("s3cret"),
        "{}",
        audit[0].details
    );
    assert_eq!(
        audit[0].details["client_secret_changed"],
        serde_json::json!(true)
    );

    // Without a secret the stored one stays; an empty one makes a public client.
    let mut keep = config(&["acme.test"], true);
    keep.client_secret = None;
    let kept = sso::configure_as(&f.ctx(), &actor(&f.owner), &keep)
        .await
        .expect("saved");
    assert!(kept.client_secret_set && kept.sso_only);
    let stored = f.store.sso_config(f.org_id()).await.expect("read");
    assert_eq!(
        stored.and_then(|c| c.client_secret).as_deref(),
        Some("s3cret-value")
    );
    keep.client_secret = Some(String::new());
    let public = sso::configure_as(&f.ctx(), &actor(&f.owner), &keep)
        .await
        .expect("saved");
    assert!(!public.client_secret_set);

    // One domain, one organization.
    let other = f.other_org_owner().await;
    match sso::configure_as(&f.ctx(), &actor(&other), &config(&["acme.test"], false)).await {
        Err(OpError::Invalid { fields, .. }) => {
            assert!(fields["allowed_domains"].contains("another organization"))
        }
        x => panic!("expected 422, got {x:?}"),
    }

    sso::remove_as(&f.ctx(), &actor(&f.owner))
        .await
        .expect("removed");
    assert!(matches!(
        sso::get(&f.ctx(), &actor(&f.owner)).await,
        Err(OpError::NotFound(_))
    ));
    assert!(matches!(
        sso::remove_as(&f.ctx(), &actor(&f.owner)).await,
        Err(OpError::NotFound(_))
    ));
    let actions = f.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "SSO_CONFIGURED").count(), 3);
    assert_eq!(actions.first().map(String::as_str), Some("SSO_REMOVED"));
}

#[tokio::test]
async fn the_lookup_goes_by_domain_only() {
    let f = Fixture::new().await;
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&["acme.test"], false))
        .await
        .expect("configured");
    let found = sso::lookup(&f.ctx(), " Ann@ACME.test ")
        .await
        .expect("looked up")
        .expect("found");
    assert_eq!(found.org_id, f.org_id());
    assert_eq!(found.org_name, "Test Co");
    assert_eq!(found.start_url, format!("/auth/sso/{}/start", f.org_id()));
    for nobody in [
        "ann@other.test",
        "ann@eu.acme.test",
        "acme.test",
        "",
        "a@%.test",
    ] {
        assert!(
            sso::lookup(&f.ctx(), nobody)
                .await
                .expect("looked up")
                .is_none(),
            "{nobody}"
        );
    }
}

#[tokio::test]
async fn sso_only_refuses_passwords_except_the_owners() {
    let f = Fixture::new().await;
    let member = f.user("Alice", Role::Member).await;
    let admin = f.user("Adam", Role::Admin).await;
    // Not yet sso_only: passwords are fine.
    sso::refuse_password_login(&f.ctx(), &member)
        .await
        .expect("no provider yet");
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], false))
        .await
        .expect("configured");
    sso::refuse_password_login(&f.ctx(), &member)
        .await
        .expect("not sso_only");
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], true))
        .await
        .expect("sso_only");
    for who in [&member, &admin] {
        match sso::refuse_password_login(&f.ctx(), who).await {
            Err(OpError::SsoRequired(text)) => {
                assert!(text.contains("Sign in with Test Co"), "{text}")
            }
            other => panic!("expected sso_required, got {other:?}"),
        }
    }
    sso::refuse_password_login(&f.ctx(), &f.owner)
        .await
        .expect("the owner's break-glass password");
}

#[tokio::test]
async fn a_password_login_is_refused_only_after_the_password_matched() {
    let f = Fixture::new().await;
    let body = shared::api::CreateUserRequest {
        name: "Pia".into(),
        email: "pia@test.example".into(),
        password: Some("pia-password-1".into()),
        role: Role::Member,
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
    };
    let who = UserAuditActor {
        actor_id: Some(f.owner.id),
        ip: None,
        via: "api",
    };
    crate::ops::people::create_user(&f.ctx(), f.org_id(), &body, &who)
        .await
        .expect("a member with a password");
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], true))
        .await
        .expect("sso_only");
    let limiter = accounts::LoginLimiter::new(100);
    let ip = "127.0.0.1".parse().expect("ip");
    let wrong = accounts::login(
        &f.ctx(),
        &limiter,
        ip,
        "pia@test.example",
        "not-her-password",
        TokenKind::Web,
    )
    .await;
    assert!(
        matches!(wrong, Err(OpError::InvalidCredentials)),
        "a wrong password learns nothing: {wrong:?}"
    );
    let right = accounts::login(
        &f.ctx(),
        &limiter,
        ip,
        "pia@test.example",
        "pia-password-1",
        TokenKind::Web,
    )
    .await;
    assert!(matches!(right, Err(OpError::SsoRequired(_))), "{right:?}");
}

#[tokio::test]
async fn an_existing_member_signs_in_once_per_sign_in() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], false))
        .await
        .expect("configured");
    let idp = FakeIdp::new();
    let started = sso::start(
        &f.ctx(),
        &idp,
        f.org_id(),
        Some(" Alice@Test.Example "),
        Some("/device?code=ABCD"),
        None,
    )
    .await
    .expect("started");
    assert_eq!(started.url, format!("{ISSUER}/authorize?state=state-1"));
    assert_eq!(started.state, "state-1");
    let (settings, hint, secrets) = idp.authorized.lock().expect("fake")[0].clone();
    assert_eq!(settings.redirect_uri, "http://hub.test/auth/sso/callback");
    assert_eq!(settings.client_secret.as_deref(), Some("s3cret-value"));
    assert_eq!(hint.as_deref(), Some("alice@test.example"));

    idp.vouch("Alice@test.example", Some(true), Some("Alice A."));
    let login = sso::callback(
        &f.ctx(),
        &idp,
        &browser_answer(&started.state, "code-1"),
        Some("10.0.0.7".into()),
    )
    .await
    .expect("signed in");
    assert_eq!(login.user.id, alice.id);
    assert!(!login.joined);
    assert_eq!(login.return_to.as_deref(), Some("/device?code=ABCD"));
    // The code went to the provider with the verifier and nonce kept for this sign-in.
    assert_eq!(
        idp.exchanged.lock().expect("fake")[0],
        ("code-1".to_string(), secrets)
    );
    let owner = f
        .store
        .token_owner(&token_hash(login.token().expect("signed in")))
        .await
        .expect("read")
        .expect("a live token");
    assert_eq!((owner.user.id, owner.kind.as_str()), (alice.id, "web"));
    let (logins, _) = f
        .store
        .list_audit(f.org_id(), Some("SSO_LOGIN"), 1, 10)
        .await
        .expect("audit");
    assert_eq!(logins[0].actor_id, Some(alice.id));
    assert_eq!(logins[0].details["email"], "alice@test.example");

    // The same answer again: used.
    let again = sso::callback(
        &f.ctx(),
        &idp,
        &browser_answer(&started.state, "code-1"),
        None,
    )
    .await;
    assert_eq!(refusal(again), SsoRefusal::Stale { reason: "used" });
    assert_eq!(last_refusal(&f).await["reason"], "used");
    assert_eq!(
        idp.exchanged.lock().expect("fake").len(),
        1,
        "no second exchange"
    );
}

#[tokio::test]
async fn an_answer_that_is_not_this_browsers_sign_in_is_refused_and_spends_it() {
    let f = Fixture::new().await;
    f.user("Alice", Role::Member).await;
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], false))
        .await
        .expect("configured");
    let idp = FakeIdp::new();
    idp.vouch("alice@test.example", Some(true), None);
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");

    // Another state than the browser's cookie (a forged or swapped answer).
    let mut swapped = browser_answer(&started.state, "code-1");
    swapped.state = Some("state-from-elsewhere".into());
    let refused = sso::callback(&f.ctx(), &idp, &swapped, None).await;
    assert_eq!(refusal(refused), SsoRefusal::StateMismatch);
    assert_eq!(last_refusal(&f).await["reason"], "state_mismatch");
    // The browser's own sign-in is spent with it.
    let late = sso::callback(
        &f.ctx(),
        &idp,
        &browser_answer(&started.state, "code-1"),
        None,
    )
    .await;
    assert_eq!(refusal(late), SsoRefusal::Stale { reason: "used" });

    // No cookie at all.
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    let mut cookieless = browser_answer(&started.state, "code-2");
    cookieless.browser_state = None;
    assert_eq!(
        refusal(sso::callback(&f.ctx(), &idp, &cookieless, None).await),
        SsoRefusal::StateMismatch
    );
    assert!(
        idp.exchanged.lock().expect("fake").is_empty(),
        "no code was exchanged"
    );

    // A state nobody issued: refused, nothing to audit it in.
    let before = refusals(&f).await;
    let unknown = sso::callback(&f.ctx(), &idp, &browser_answer("made-up", "code-3"), None).await;
    assert_eq!(refusal(unknown), SsoRefusal::Stale { reason: "unknown" });
    assert_eq!(refusals(&f).await, before);
}

#[tokio::test]
async fn an_expired_sign_in_and_a_removed_provider_are_refused() {
    let f = Fixture::new().await;
    f.user("Alice", Role::Member).await;
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], false))
        .await
        .expect("configured");
    let idp = FakeIdp::new();
    idp.vouch("alice@test.example", Some(true), None);
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    sqlx::query("UPDATE sso_flows SET expires_at = 1")
        .execute(f.store.writer())
        .await
        .expect("aged");
    let old = sso::callback(&f.ctx(), &idp, &browser_answer(&started.state, "c"), None).await;
    assert_eq!(refusal(old), SsoRefusal::Stale { reason: "expired" });
    assert_eq!(last_refusal(&f).await["reason"], "expired");

    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    sso::remove_as(&f.ctx(), &actor(&f.owner))
        .await
        .expect("removed");
    let gone = sso::callback(&f.ctx(), &idp, &browser_answer(&started.state, "c"), None).await;
    assert!(matches!(refusal(gone), SsoRefusal::Stale { .. }));
    let none = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None).await;
    assert!(matches!(
        none,
        Err(SsoFailure::Refused(SsoRefusal::NotConfigured))
    ));
}

#[tokio::test]
async fn the_providers_refusals_and_unverified_answers_are_refused_and_audited() {
    let f = Fixture::new().await;
    f.user("Alice", Role::Member).await;
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], false))
        .await
        .expect("configured");
    let idp = FakeIdp::new();

    // error= from the provider.
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    let declined = CallbackParams {
        error: Some("access_denied".into()),
        error_description: Some("The user said no".into()),
        code: None,
        ..browser_answer(&started.state, "")
    };
    let r = refusal(sso::callback(&f.ctx(), &idp, &declined, None).await);
    assert!(r.to_string().contains("access_denied"), "{r}");
    assert_eq!(last_refusal(&f).await["detail"], "The user said no");

    // The ID token did not verify (wrong nonce, audience, signature, expired …).
    idp.fail(ProviderError::Rejected(
        "ID token: Invalid nonce: nonce mismatch".into(),
    ));
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    let r =
        refusal(sso::callback(&f.ctx(), &idp, &browser_answer(&started.state, "c"), None).await);
    assert_eq!(
        r.to_string(),
        "The identity provider's answer could not be verified."
    );
    let audited = last_refusal(&f).await;
    assert_eq!(audited["reason"], "token_invalid");
    assert!(audited["detail"]
        .as_str()
        .is_some_and(|d| d.contains("nonce")));

    // The provider out of reach.
    idp.fail(ProviderError::Unreachable(
        "token endpoint: connection refused".into(),
    ));
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    let r =
        refusal(sso::callback(&f.ctx(), &idp, &browser_answer(&started.state, "c"), None).await);
    assert_eq!(r.status(), 502);

    // An e-mail the provider has not verified, or none at all.
    for verified in [Some(false), None] {
        idp.vouch("alice@test.example", verified, None);
        let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
            .await
            .expect("started");
        let r = refusal(
            sso::callback(&f.ctx(), &idp, &browser_answer(&started.state, "c"), None).await,
        );
        assert_eq!(
            r.to_string(),
            "Your identity provider has not verified this e-mail address (alice@test.example)."
        );
        let audited = last_refusal(&f).await;
        assert_eq!(audited["reason"], "email_not_verified");
        assert_eq!(audited["email"], "alice@test.example");
    }
    *idp.identity.lock().expect("fake") = Ok(Identity {
        subject: "no-mail".into(),
        ..Identity::default()
    });
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    let r =
        refusal(sso::callback(&f.ctx(), &idp, &browser_answer(&started.state, "c"), None).await);
    assert_eq!(r, SsoRefusal::NoEmail);
}

#[tokio::test]
async fn matching_stays_in_the_organization_and_allowed_domains_join() {
    let f = Fixture::new().await;
    let bob = f.user("Bob", Role::Member).await;
    let other = f.other_org_owner().await;
    sso::configure_as(
        &f.ctx(),
        &actor(&f.owner),
        &config(&["joiners.test"], false),
    )
    .await
    .expect("configured");
    let idp = FakeIdp::new();
    let sign_in = |email: &'static str, name: Option<&'static str>| {
        let (f, idp) = (&f, &idp);
        async move {
            idp.vouch(email, Some(true), name);
            let started = sso::start(&f.ctx(), idp, f.org_id(), None, None, None)
                .await
                .expect("started");
            sso::callback(&f.ctx(), idp, &browser_answer(&started.state, "c"), None).await
        }
    };

    // A new person of an allowed domain joins as a member, named by the provider.
    let joined = sign_in("nina@joiners.test", Some("Nina New"))
        .await
        .expect("joined");
    assert!(joined.joined);
    assert_eq!(joined.user.org_id, f.org_id());
    assert_eq!(joined.user.role, Role::Member);
    assert_eq!(joined.user.name, "Nina New");
    assert_eq!(joined.user.password_hash, crate::ops::people::NO_PASSWORD);
    assert!(
        f.published.take().iter().any(
            |e| matches!(e, Event::MemberChanged { member } if member.user_id == joined.user.id)
        ),
        "every node's directory learns of the new member"
    );
    let (created, _) = f
        .store
        .list_audit(f.org_id(), Some("USER_CREATED"), 1, 10)
        .await
        .expect("audit");
    assert_eq!(created[0].details["via"], "sso");
    // The second time, the same account.
    let again = sign_in("nina@joiners.test", None).await.expect("signed in");
    assert_eq!((again.user.id, again.joined), (joined.user.id, false));
    // Without a name claim: the part before the @.
    let plain = sign_in("olaf@joiners.test", None).await.expect("joined");
    assert_eq!(plain.user.name, "olaf");

    // Another domain, without an account: refused with the words a person understands.
    let r = refusal(sign_in("eve@example.org", None).await);
    assert_eq!(
        r.to_string(),
        "example.org is not allowed to join Test Co; ask an admin to invite you."
    );
    let audited = last_refusal(&f).await;
    assert_eq!(audited["reason"], "domain_not_allowed");
    assert_eq!(audited["email"], "eve@example.org");

    // The provider of one organization never signs in another organization's people.
    let r = refusal(sign_in("otto@other.example", None).await);
    assert!(matches!(r, SsoRefusal::OtherOrganization { .. }), "{r:?}");
    assert_ne!(other.org_id, f.org_id());

    // A deactivated member stays out.
    let who = UserAuditActor {
        actor_id: Some(f.owner.id),
        ip: None,
        via: "api",
    };
    let patch = UserPatch {
        active: Some(false),
        ..UserPatch::default()
    };
    f.store
        .update_user_audited(f.org_id(), bob.id, &patch, &who)
        .await
        .expect("deactivated");
    let r = refusal(sign_in("bob@test.example", None).await);
    assert_eq!(
        r.to_string(),
        "Your account in Test Co is deactivated; ask an admin."
    );
}

#[tokio::test]
async fn two_factor_sign_in_still_asks_for_the_code_after_the_provider() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    super::two_factor::turn_on(&f, &alice, super::two_factor::steady_step().await).await;
    sso::configure_as(&f.ctx(), &actor(&f.owner), &config(&[], false))
        .await
        .expect("configured");
    let idp = FakeIdp::new();
    let started = sso::start(&f.ctx(), &idp, f.org_id(), None, None, None)
        .await
        .expect("started");
    idp.vouch("alice@test.example", Some(true), None);
    let login = sso::callback(
        &f.ctx(),
        &idp,
        &browser_answer(&started.state, "code-1"),
        Some("10.0.0.7".into()),
    )
    .await
    .expect("the provider's answer is accepted");
    assert_eq!(login.user.id, alice.id);
    assert!(
        matches!(login.next, SsoNext::SecondFactor { .. }),
        "no token before the code: {:?}",
        login.next
    );
    let tokens = f
        .store
        .list_tokens(f.org_id(), Some(alice.id))
        .await
        .expect("tokens");
    assert!(tokens.is_empty(), "no login was issued: {tokens:?}");
}
