//! Single sign-on with OpenID Connect (SPEC §17): an organization's provider settings (owner
//! only, audited), the lookup behind "Sign in with {org}" on `/login`, the refusal of password
//! logins in `sso_only` organizations, and the authorization code flow (PKCE S256, `state`,
//! `nonce`) that signs people in: [`start`] sends the browser to the provider, [`callback`]
//! takes it back. The flow's secrets wait in the database (single use, 10 minutes), so the
//! provider may send the browser back to any node of a cluster. The provider itself sits
//! behind [`OidcProvider`]: [`oidc::HttpOidc`] speaks to real ones, the tests use a fake.

pub mod oidc;

use std::future::Future;

use shared::people::TokenKind;
use shared::sso::{
    start_path, SsoConfigRequest, SsoLookup, SsoSection, SsoSettings, CALLBACK_PATH,
};
use shared::Role;

use super::{Actor, Ctx};
use crate::domain::auth::token_hash;
use crate::domain::people::{check_email, normalize_email, FieldProblems};
use crate::domain::sso::{self as rules, Existing, Match, SsoRefusal};
use crate::ops::error::OpError;
use crate::ops::tokens;
use crate::store::{
    ms_to_time, now_ms, FlowTake, NewAudit, NewSsoFlow, NewUser, SecretChange, SsoConfigRow,
    SsoConfigSave, StoreError, UserAuditActor, UserRow,
};

/// A sign-in must come back from the provider within this time.
pub const FLOW_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// The redirect URI registered at the provider: `{public URL}/auth/sso/callback`.
pub fn callback_url(public_url: &str) -> String {
    format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/'))
}

fn view(row: &SsoConfigRow, public_url: &str) -> SsoSettings {
    SsoSettings {
        issuer: row.issuer.clone(),
        client_id: row.client_id.clone(),
        client_secret_set: row.client_secret.is_some(),
        allowed_domains: row.allowed_domains.clone(),
        sso_only: row.sso_only,
        callback_url: callback_url(public_url),
        updated_at: ms_to_time(row.updated_at),
    }
}

fn require_owner(actor: &Actor) -> Result<(), OpError> {
    if actor.user.role == Role::Owner {
        Ok(())
    } else {
        Err(OpError::Forbidden(
            "Only owners can see or change single sign-on.",
        ))
    }
}

/// `GET /api/org/sso`: the actor's organization's provider (owner only).
pub async fn get(ctx: &Ctx<'_>, actor: &Actor) -> Result<SsoSettings, OpError> {
    require_owner(actor)?;
    let row = ctx
        .store
        .sso_config(actor.user.org_id)
        .await?
        .ok_or(OpError::NotFound("Single sign-on configuration"))?;
    Ok(view(&row, ctx.public_url))
}

/// The single sign-on part of `/settings/org`: owners only (`None` for everyone else).
pub async fn section(ctx: &Ctx<'_>, actor: &Actor) -> Result<Option<SsoSection>, OpError> {
    if actor.user.role != Role::Owner {
        return Ok(None);
    }
    let settings = ctx
        .store
        .sso_config(actor.user.org_id)
        .await?
        .map(|row| view(&row, ctx.public_url));
    Ok(Some(SsoSection {
        settings,
        callback_url: callback_url(ctx.public_url),
    }))
}

/// `PUT /api/org/sso` (owner only): see [`configure`].
pub async fn configure_as(
    ctx: &Ctx<'_>,
    actor: &Actor,
    body: &SsoConfigRequest,
) -> Result<SsoSettings, OpError> {
    require_owner(actor)?;
    configure(ctx, actor.user.org_id, body, &actor.audit("api")).await
}

/// Sets up (or replaces) the organization's provider, audited as `SSO_CONFIGURED` (never with
/// the secret). Only the values are checked here; the provider is first asked at a sign-in.
pub async fn configure(
    ctx: &Ctx<'_>,
    org_id: i64,
    body: &SsoConfigRequest,
    who: &UserAuditActor,
) -> Result<SsoSettings, OpError> {
    let issuer = body.issuer.trim();
    let client_id = body.client_id.trim();
    let mut problems = FieldProblems::new();
    if let Some(problem) = rules::issuer_problem(issuer) {
        problems.insert("issuer".into(), problem.into());
    }
    if client_id.is_empty() || client_id.chars().count() > 500 {
        problems.insert("client_id".into(), "must be 1 to 500 characters".into());
    }
    let secret = match body.client_secret.as_deref() {
        None => SecretChange::Keep,
        Some("") => SecretChange::Clear,
        Some(s) if s.len() > 2000 => {
            problems.insert("client_secret".into(), "must be at most 2000 bytes".into());
            SecretChange::Keep
        }
        Some(s) => SecretChange::Set(s),
    };
    let domains = rules::normalize_domains(&body.allowed_domains, &mut problems);
    if !problems.contains_key("allowed_domains") {
        // One domain, one organization: otherwise "Sign in with …" on /login could offer
        // another tenant's provider to a company's people.
        for domain in &domains {
            if ctx.store.sso_domain_taken(org_id, domain).await? {
                problems.insert(
                    "allowed_domains".into(),
                    format!("{domain:?} is already signed in by another organization on this hub"),
                );
                break;
            }
        }
    }
    OpError::unless_valid(problems)?;
    if ctx.store.get_org(org_id).await?.is_none() {
        return Err(OpError::NotFound("Organization"));
    }
    let before = ctx.store.sso_config(org_id).await?;
    let audit = NewAudit {
        org_id,
        actor_id: who.actor_id,
        action: "SSO_CONFIGURED",
        target_type: Some("organization"),
        target_id: Some(org_id),
        ip: who.ip.clone(),
        details: serde_json::json!({
            "issuer": issuer,
            "client_id": client_id,
            "allowed_domains": domains,
            "sso_only": body.sso_only,
            "client_secret_changed": !matches!(secret, SecretChange::Keep),
            "created": before.is_none(),
            "via": who.via,
        }),
    };
    let save = SsoConfigSave {
        issuer,
        client_id,
        client_secret: secret,
        allowed_domains: &domains,
        sso_only: body.sso_only,
        updated_by: who.actor_id,
    };
    let saved = ctx.store.save_sso_config(org_id, &save, &audit).await?;
    tracing::info!(
        org_id,
        issuer,
        sso_only = saved.sso_only,
        "single sign-on configured"
    );
    Ok(view(&saved, ctx.public_url))
}

/// `DELETE /api/org/sso` (owner only): see [`remove`].
pub async fn remove_as(ctx: &Ctx<'_>, actor: &Actor) -> Result<(), OpError> {
    require_owner(actor)?;
    remove(ctx, actor.user.org_id, &actor.audit("api")).await
}

/// Removes the organization's provider (and with it `sso_only`), audited as `SSO_REMOVED`;
/// sign-ins on their way can no longer finish.
pub async fn remove(ctx: &Ctx<'_>, org_id: i64, who: &UserAuditActor) -> Result<(), OpError> {
    let current = ctx
        .store
        .sso_config(org_id)
        .await?
        .ok_or(OpError::NotFound("Single sign-on configuration"))?;
    let audit = NewAudit {
        org_id,
        actor_id: who.actor_id,
        action: "SSO_REMOVED",
        target_type: Some("organization"),
        target_id: Some(org_id),
        ip: who.ip.clone(),
        details: serde_json::json!({
            "issuer": current.issuer,
            "client_id": current.client_id,
            "via": who.via,
        }),
    };
    ctx.store
        .delete_sso_config(org_id, &audit)
        .await?
        .ok_or(OpError::NotFound("Single sign-on configuration"))?;
    tracing::info!(org_id, "single sign-on removed");
    Ok(())
}

/// `GET /api/auth/sso/lookup`: the organization whose provider signs in `email`'s domain. By
/// domain only, so it tells nothing about who has an account.
pub async fn lookup(ctx: &Ctx<'_>, email: &str) -> Result<Option<SsoLookup>, OpError> {
    let email = normalize_email(email);
    let Some(domain) = rules::email_domain(&email) else {
        return Ok(None);
    };
    if rules::domain_problem(domain).is_some() {
        return Ok(None);
    }
    let orgs = ctx.store.sso_orgs_for_domain(domain).await?;
    Ok(orgs.into_iter().next().map(|(org_id, org_name)| SsoLookup {
        org_id,
        org_name,
        start_url: start_path(org_id),
    }))
}

/// Refuses a password login (after the password was verified, so a wrong password learns
/// nothing) of someone whose organization signs in only through its provider. Owners keep
/// their password: the way back in when the provider fails (break-glass).
pub async fn refuse_password_login(ctx: &Ctx<'_>, user: &UserRow) -> Result<(), OpError> {
    if user.role == Role::Owner {
        return Ok(());
    }
    match ctx.store.sso_config(user.org_id).await? {
        Some(config) if config.sso_only => {
            let org = ctx
                .store
                .get_org(user.org_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_else(|| "Your organization".into());
            Err(OpError::SsoRequired(format!(
                "{org} signs in through its identity provider: use “Sign in with {org}” on the sign-in page instead of a password."
            )))
        }
        _ => Ok(()),
    }
}

// ---- The flow ----

/// A provider's settings as a sign-in needs them.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back ([`callback_url`]).
    pub redirect_uri: String,
}

impl ProviderSettings {
    fn of(config: &SsoConfigRow, public_url: &str) -> Self {
        ProviderSettings {
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            redirect_uri: callback_url(public_url),
        }
    }
}

/// The secrets of one sign-in, kept by the hub between its two legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSecrets {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Where to send the browser, and the secrets to keep until it comes back.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub url: String,
    pub secrets: FlowSecrets,
}

/// What the provider vouched for in its verified ID token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

/// What went wrong with the provider.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// Discovery, the keys or the token endpoint could not be reached or read.
    #[error("{0}")]
    Unreachable(String),
    /// The provider refused the code, or its ID token did not verify.
    #[error("{0}")]
    Rejected(String),
}

impl From<ProviderError> for SsoRefusal {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Unreachable(detail) => SsoRefusal::Unreachable { detail },
            ProviderError::Rejected(detail) => SsoRefusal::Unverified { detail },
        }
    }
}

/// The identity provider: the authorization URL of a new sign-in, and the code exchange with
/// the ID token's verification (signature from the provider's keys, `iss`, `aud`, `exp`,
/// `nonce`).
pub trait OidcProvider: Send + Sync {
    /// A new sign-in: its secrets (state, nonce, PKCE verifier) and the provider's URL.
    fn authorize(
        &self,
        settings: &ProviderSettings,
        login_hint: Option<&str>,
    ) -> impl Future<Output = Result<Authorization, ProviderError>> + Send;

    /// Exchanges `code` with the sign-in's PKCE verifier and verifies the ID token.
    fn identity(
        &self,
        settings: &ProviderSettings,
        code: &str,
        secrets: &FlowSecrets,
    ) -> impl Future<Output = Result<Identity, ProviderError>> + Send;
}

/// A sign-in refused (the page says why) or failed (the hub's own fault).
#[derive(Debug, thiserror::Error)]
pub enum SsoFailure {
    #[error(transparent)]
    Refused(#[from] SsoRefusal),
    #[error(transparent)]
    Failed(#[from] OpError),
}

impl From<StoreError> for SsoFailure {
    fn from(e: StoreError) -> Self {
        SsoFailure::Failed(OpError::Store(e))
    }
}

/// A sign-in on its way to the provider.
#[derive(Debug, Clone)]
pub struct Started {
    /// Where to send the browser.
    pub url: String,
    /// The sign-in's `state`, for the browser's cookie: the answer must come back to the
    /// browser that started it.
    pub state: String,
}

/// `GET /auth/sso/{org_id}/start`: a new sign-in with the organization's provider.
/// `login_hint` (an e-mail) is passed on to the provider; `return_to` is where to go once
/// signed in (a path of this hub).
pub async fn start<P: OidcProvider>(
    ctx: &Ctx<'_>,
    provider: &P,
    org_id: i64,
    login_hint: Option<&str>,
    return_to: Option<&str>,
    ip: Option<String>,
) -> Result<Started, SsoFailure> {
    let Some(config) = ctx.store.sso_config(org_id).await? else {
        return Err(SsoRefusal::NotConfigured.into());
    };
    let hint = login_hint.map(normalize_email).filter(|e| {
        let mut problems = FieldProblems::new();
        check_email(&mut problems, "email", e);
        problems.is_empty()
    });
    let settings = ProviderSettings::of(&config, ctx.public_url);
    let authorization = match provider.authorize(&settings, hint.as_deref()).await {
        Ok(a) => a,
        Err(e) => return Err(refuse(ctx, Some(org_id), e.into(), hint.as_deref(), &ip).await),
    };
    let secrets = &authorization.secrets;
    ctx.store
        .insert_sso_flow(&NewSsoFlow {
            state_hash: &token_hash(&secrets.state),
            org_id,
            nonce: &secrets.nonce,
            pkce_verifier: &secrets.pkce_verifier,
            return_to: rules::local_return(return_to),
            expires_at: now_ms() + FLOW_LIFETIME_MS,
        })
        .await?;
    Ok(Started {
        url: authorization.url,
        state: authorization.secrets.state,
    })
}

/// The provider's answer at `/auth/sso/callback`.
#[derive(Debug, Clone, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's refusal (`access_denied`, ...), instead of a code.
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The `state` the browser kept in its cookie when it started the sign-in.
    pub browser_state: Option<String>,
}

/// A finished sign-in: the new web token of `user`.
#[derive(Debug, Clone)]
pub struct SsoLogin {
    /// Signed in, or — the person has two-factor sign-in on — the code comes next.
    pub next: SsoNext,
    pub user: UserRow,
    /// The person joined the organization just now (an allowed domain).
    pub joined: bool,
    /// Where to go now (a path of this hub), when not `/`.
    pub return_to: Option<String>,
}

/// What the provider's verified answer leads to.
#[derive(Debug, Clone)]
pub enum SsoNext {
    /// The new web token.
    SignedIn { token: String },
    /// The person has two-factor sign-in on: the provider vouched for the e-mail, the app's
    /// code is still asked for (as after a password), with this one-time token.
    SecondFactor { mfa_token: String },
}

impl SsoLogin {
    /// The token, when signed in already.
    pub fn token(&self) -> Option<&str> {
        match &self.next {
            SsoNext::SignedIn { token } => Some(token),
            SsoNext::SecondFactor { .. } => None,
        }
    }
}

fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn clip(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// `GET /auth/sso/callback`: finishes a sign-in. The flow is taken (and so used up) first;
/// then the provider's error or code, the ID token, `email_verified`, and the match in the
/// flow's organization: its active user with that e-mail, or a new member of an allowed
/// domain. Every refusal is audited (`SSO_REFUSED`) in the organization when it is known;
/// a sign-in as `SSO_LOGIN`.
pub async fn callback<P: OidcProvider>(
    ctx: &Ctx<'_>,
    provider: &P,
    params: &CallbackParams,
    ip: Option<String>,
) -> Result<SsoLogin, SsoFailure> {
    let now = now_ms();
    let state = given(params.state.as_deref());
    let browser = given(params.browser_state.as_deref());
    let state = match (state, browser) {
        (Some(state), Some(browser)) if state == browser => state,
        _ => {
            // Not the sign-in this browser started (or no state at all): whatever was named is
            // spent, so neither half can be tried again.
            let mut org_id = None;
            for s in [state, browser].into_iter().flatten() {
                let org = match ctx.store.take_sso_flow(&token_hash(s), now).await? {
                    FlowTake::Fresh(flow) => Some(flow.org_id),
                    FlowTake::Spent { org_id, .. } => Some(org_id),
                    FlowTake::Unknown => None,
                };
                org_id = org_id.or(org);
            }
            return Err(refuse(ctx, org_id, SsoRefusal::StateMismatch, None, &ip).await);
        }
    };
    let flow = match ctx.store.take_sso_flow(&token_hash(state), now).await? {
        FlowTake::Fresh(flow) => flow,
        FlowTake::Spent { org_id, used } => {
            let reason = if used { "used" } else { "expired" };
            return Err(refuse(ctx, Some(org_id), SsoRefusal::Stale { reason }, None, &ip).await);
        }
        FlowTake::Unknown => {
            let refusal = SsoRefusal::Stale { reason: "unknown" };
            return Err(refuse(ctx, None, refusal, None, &ip).await);
        }
    };
    let org_id = flow.org_id;
    if let Some(error) = given(params.error.as_deref()) {
        let refusal = SsoRefusal::ProviderDeclined {
            error: clip(error, 100),
            description: given(params.error_description.as_deref()).map(|d| clip(d, 300)),
        };
        return Err(refuse(ctx, Some(org_id), refusal, None, &ip).await);
    }
    let Some(code) = given(params.code.as_deref()) else {
        let refusal = SsoRefusal::Unverified {
            detail: "the provider's answer has neither a code nor an error".into(),
        };
        return Err(refuse(ctx, Some(org_id), refusal, None, &ip).await);
    };
    let (Some(config), Some(org)) = (
        ctx.store.sso_config(org_id).await?,
        ctx.store.get_org(org_id).await?,
    ) else {
        return Err(refuse(ctx, Some(org_id), SsoRefusal::NotConfigured, None, &ip).await);
    };
    let secrets = FlowSecrets {
        state: state.to_string(),
        nonce: flow.nonce.clone(),
        pkce_verifier: flow.pkce_verifier.clone(),
    };
    let settings = ProviderSettings::of(&config, ctx.public_url);
    let identity = match provider.identity(&settings, code, &secrets).await {
        Ok(identity) => identity,
        Err(e) => return Err(refuse(ctx, Some(org_id), e.into(), None, &ip).await),
    };
    let Some(email) = given(identity.email.as_deref()).map(normalize_email) else {
        return Err(refuse(ctx, Some(org_id), SsoRefusal::NoEmail, None, &ip).await);
    };
    if identity.email_verified != Some(true) {
        let refusal = SsoRefusal::EmailNotVerified {
            email: email.clone(),
        };
        return Err(refuse(ctx, Some(org_id), refusal, Some(&email), &ip).await);
    }
    let existing = ctx.store.find_user_by_email(&email).await?;
    let matched = rules::match_identity(
        org_id,
        &org.name,
        &config.allowed_domains,
        &email,
        existing.as_ref().map(|u| Existing {
            org_id: u.org_id,
            active: u.active,
        }),
    );
    let (user, joined) = match (matched, existing) {
        (Ok(Match::Existing), Some(user)) => (user, false),
        (Ok(Match::NewMember), _) => {
            match join(ctx, org_id, &email, identity.name.as_deref(), &ip).await? {
                Some(user) => (user, true),
                None => {
                    let refusal = SsoRefusal::OtherOrganization {
                        email: email.clone(),
                    };
                    return Err(refuse(ctx, Some(org_id), refusal, Some(&email), &ip).await);
                }
            }
        }
        (Ok(Match::Existing), None) => {
            return Err(OpError::Internal("a matched user without a row".into()).into())
        }
        (Err(refusal), _) => {
            return Err(refuse(ctx, Some(org_id), refusal, Some(&email), &ip).await)
        }
    };
    // Two-factor sign-in holds for single sign-on too: an organization that requires codes
    // of its admins does not stop at a provider that may ask for none.
    let client_ip = ip
        .as_deref()
        .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let next =
        match super::two_factor::second_step_if_on(ctx, &user, TokenKind::Web, client_ip).await? {
            Some(mfa_token) => SsoNext::SecondFactor { mfa_token },
            None => SsoNext::SignedIn {
                token: tokens::issue(ctx, &user, TokenKind::Web, ip.as_deref()).await?,
            },
        };
    let audit = NewAudit {
        org_id,
        actor_id: Some(user.id),
        action: "SSO_LOGIN",
        target_type: Some("user"),
        target_id: Some(user.id),
        ip: ip.clone(),
        details: serde_json::json!({
            "email": email,
            "subject": identity.subject,
            "issuer": config.issuer,
            "joined": joined,
            "second_factor": matches!(next, SsoNext::SecondFactor { .. }),
        }),
    };
    ctx.store.write_audit(&audit).await?;
    tracing::info!(
        user_id = user.id,
        org_id,
        joined,
        "signed in through single sign-on"
    );
    Ok(SsoLogin {
        next,
        user,
        joined,
        return_to: flow.return_to,
    })
}

/// A new member from their first sign-in (an allowed domain), audited as `USER_CREATED` via
/// `sso`. No password: none verifies against the stored marker; a reset link can give one.
/// `None` when the e-mail turned out to belong to another organization meanwhile.
async fn join(
    ctx: &Ctx<'_>,
    org_id: i64,
    email: &str,
    name_claim: Option<&str>,
    ip: &Option<String>,
) -> Result<Option<UserRow>, SsoFailure> {
    let name = rules::display_name(name_claim, email);
    let who = UserAuditActor {
        actor_id: None,
        ip: ip.clone(),
        via: "sso",
    };
    let new = NewUser {
        org_id,
        email,
        name: &name,
        role: Role::Member,
        password_hash: super::people::NO_PASSWORD,
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
    };
    match ctx.store.create_user_audited(new, None, &who).await {
        Ok((user, published)) => {
            ctx.publish(published);
            tracing::info!(user_id = user.id, org_id, "joined through single sign-on");
            Ok(Some(user))
        }
        // Two first sign-ins at once: the other one made the account.
        Err(StoreError::UniqueViolation(_)) => Ok(ctx
            .store
            .find_user_by_email(email)
            .await?
            .filter(|u| u.org_id == org_id && u.active)),
        Err(e) => Err(e.into()),
    }
}

/// Audits a refusal (`SSO_REFUSED`: the reason, the e-mail when known, the provider's or the
/// verifier's words) in the organization when it is known, and hands it back. A failed audit
/// write is logged: the person still gets the refusal, not a server error.
async fn refuse(
    ctx: &Ctx<'_>,
    org_id: Option<i64>,
    refusal: SsoRefusal,
    email: Option<&str>,
    ip: &Option<String>,
) -> SsoFailure {
    tracing::info!(
        org_id,
        reason = refusal.reason(),
        detail = refusal.detail().unwrap_or(""),
        "single sign-on refused"
    );
    if let Some(org_id) = org_id {
        let audit = NewAudit {
            org_id,
            actor_id: None,
            action: "SSO_REFUSED",
            target_type: None,
            target_id: None,
            ip: ip.clone(),
            details: serde_json::json!({
                "reason": refusal.reason(),
                "message": refusal.to_string(),
                "email": email,
                "detail": refusal.detail(),
            }),
        };
        if let Err(e) = ctx.store.write_audit(&audit).await {
            tracing::warn!(error = %e, org_id, "a refused single sign-on was not audited");
        }
    }
    SsoFailure::Refused(refusal)
}
