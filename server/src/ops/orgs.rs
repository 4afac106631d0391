//! Organizations: the first one from the setup link, more from the command line, and their
//! settings (name, timezone).

use shared::people::{OrgSettings, SetupRequest, UpdateOrgRequest};
use shared::Role;

use super::{hash, new_link, Actor, Ctx};
use crate::domain::auth::token_hash;
use crate::domain::people::{
    check_email, check_password, check_text, check_timezone, normalize_email, FieldProblems,
};
use crate::ops::error::OpError;
use crate::store::{ms_to_time, Changes, LinkPurpose, NewAudit, NewUser, OrgRow, UserRow};

/// A setup link lives until it is used (or a newer one replaces it at the next start).
const SETUP_LINK_LIFETIME_MS: i64 = 365 * 24 * 3600 * 1000;

/// The new organization and its first owner.
pub struct NewOrg<'a> {
    pub name: &'a str,
    pub timezone: &'a str,
    pub owner_name: &'a str,
    pub owner_email: &'a str,
    /// `None`: the owner gets an invite link instead.
    pub owner_password: Option<&'a str>,
}

/// Creates an organization with its default policy and its owner. With `setup_token`, only
/// while no organization exists (the first-run page). Answers the invite link when no
/// password was given.
pub async fn create(
    ctx: &Ctx<'_>,
    new: &NewOrg<'_>,
    setup_token: Option<&str>,
    via: &'static str,
    ip: Option<String>,
) -> Result<(OrgRow, UserRow, Option<String>), OpError> {
    let email = normalize_email(new.owner_email);
    let mut problems = FieldProblems::new();
    check_text(&mut problems, "org_name", new.name, 200);
    check_timezone(&mut problems, "timezone", new.timezone);
    check_text(&mut problems, "owner_name", new.owner_name, 200);
    check_email(&mut problems, "email", &email);
    if let Some(p) = new.owner_password {
        check_password(&mut problems, "password", p);
    }
    OpError::unless_valid(problems)?;
    let password_hash = match new.owner_password {
        Some(p) => hash(p).await?,
        None => super::people::NO_PASSWORD.to_string(),
    };
    let setup_hash = setup_token.map(token_hash);
    let (org, owner) = ctx
        .store
        .create_org_with_owner(
            new.name.trim(),
            new.timezone.trim(),
            NewUser {
                org_id: 0,
                email: &email,
                name: new.owner_name.trim(),
                role: Role::Owner,
                password_hash: &password_hash,
                game_name: None,
                steam_id: None,
                discord: None,
                timezone: None,
            },
            setup_hash.as_deref(),
            via,
            ip,
        )
        .await?;
    let invite = match new.owner_password {
        Some(_) => None,
        None => {
            let (link, hash, expires_at) = new_link(ctx, "/invite/");
            ctx.store
                .create_link(
                    LinkPurpose::Invite,
                    Some(&owner),
                    None,
                    &hash,
                    expires_at,
                    None,
                )
                .await?;
            Some(link)
        }
    };
    Ok((org, owner, invite))
}

/// `POST /api/setup`: the first organization and its owner, who is then logged in.
pub async fn setup(
    ctx: &Ctx<'_>,
    body: &SetupRequest,
    ip: Option<String>,
) -> Result<UserRow, OpError> {
    if !setup_open(ctx, &body.token).await? {
        return Err(OpError::Forbidden(
            "This setup link is not valid: use the link the hub printed at start-up.",
        ));
    }
    let new = NewOrg {
        name: &body.org_name,
        timezone: body.timezone.as_deref().unwrap_or("UTC"),
        owner_name: &body.owner_name,
        owner_email: &body.email,
        owner_password: Some(&body.password),
    };
    let (_, owner, _) = create(ctx, &new, Some(&body.token), "setup", ip).await?;
    Ok(owner)
}

/// True while `token` is the live setup link and no organization exists.
pub async fn setup_open(ctx: &Ctx<'_>, token: &str) -> Result<bool, OpError> {
    Ok(
        ctx.store.count_orgs().await? == 0
            && ctx.store.setup_link_valid(&token_hash(token)).await?,
    )
}

/// At start-up on a database without any organization: a new setup link (replacing any
/// earlier one) for the operator to open. `None` once an organization exists.
pub async fn setup_link_if_empty(ctx: &Ctx<'_>) -> Result<Option<String>, OpError> {
    if ctx.store.count_orgs().await? > 0 {
        return Ok(None);
    }
    let (link, hash, _) = new_link(ctx, "/setup?token=");
    let expires_at = crate::store::now_ms() + SETUP_LINK_LIFETIME_MS;
    ctx.store
        .create_link(LinkPurpose::Setup, None, None, &hash, expires_at, None)
        .await?;
    Ok(Some(link))
}

pub fn settings(org: &OrgRow) -> OrgSettings {
    OrgSettings {
        id: org.id,
        name: org.name.clone(),
        timezone: org.timezone.clone(),
        created_at: ms_to_time(org.created_at),
        require_2fa_for: org.require_2fa_for,
    }
}

/// The actor's organization (admin and up).
pub async fn get(ctx: &Ctx<'_>, actor: &Actor) -> Result<OrgRow, OpError> {
    if !actor.user.role.at_least(Role::Admin) {
        return Err(OpError::Forbidden(
            "Only admins and owners can see the organization's settings.",
        ));
    }
    ctx.store
        .get_org(actor.user.org_id)
        .await?
        .ok_or(OpError::NotFound("Organization"))
}

/// `PATCH /api/org` (admin and up): name, timezone and whom two-factor sign-in is required
/// of, audited with old and new values.
pub async fn update(
    ctx: &Ctx<'_>,
    actor: &Actor,
    body: &UpdateOrgRequest,
) -> Result<OrgRow, OpError> {
    if !actor.user.role.at_least(Role::Admin) {
        return Err(OpError::Forbidden(
            "Only admins and owners can change the organization's settings.",
        ));
    }
    let current = get(ctx, actor).await?;
    let mut problems = FieldProblems::new();
    if let Some(name) = &body.name {
        check_text(&mut problems, "name", name, 200);
    }
    if let Some(tz) = &body.timezone {
        check_timezone(&mut problems, "timezone", tz.trim());
    }
    OpError::unless_valid(problems)?;
    let name = body
        .name
        .as_deref()
        .map_or(current.name.clone(), |n| n.trim().to_string());
    let timezone = body
        .timezone
        .as_deref()
        .map_or(current.timezone.clone(), |t| t.trim().to_string());
    let require_2fa_for = body.require_2fa_for.unwrap_or(current.require_2fa_for);
    // Requiring it of oneself without having it on would lock one out of everything but the
    // account page at once: turning it on comes first.
    if require_2fa_for != current.require_2fa_for
        && crate::domain::two_factor::required_for(require_2fa_for, actor.user.role)
        && !ctx
            .store
            .totp_of(actor.user.id)
            .await?
            .is_some_and(|t| t.enabled())
    {
        return Err(OpError::Conflict(
            "Turn on two-factor sign-in for yourself first (on your account page): this requirement covers you too.".into(),
        ));
    }
    let mut changes = Changes::default();
    changes.note("name", &current.name, &name);
    changes.note("timezone", &current.timezone, &timezone);
    changes.note(
        "require_2fa_for",
        current.require_2fa_for.as_str(),
        require_2fa_for.as_str(),
    );
    if changes.is_empty() {
        return Ok(current);
    }
    let audit = NewAudit {
        org_id: current.id,
        actor_id: Some(actor.user.id),
        action: "ORG_UPDATED",
        target_type: Some("organization"),
        target_id: Some(current.id),
        ip: actor.ip.clone(),
        details: serde_json::json!({ "changes": changes.into_value() }),
    };
    let (org, published) = ctx
        .store
        .update_org(current.id, &name, &timezone, require_2fa_for, &audit)
        .await?
        .ok_or(OpError::NotFound("Organization"))?;
    ctx.publish(published);
    Ok(org)
}
