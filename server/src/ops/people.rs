//! Users: create (with a password or an invite link), change (owner protection), reset links,
//! setting a password from a link, changing one's own password.

use shared::api::{CreateUserRequest, UpdateUserRequest};
use shared::people::{InviteInfo, LinkKind};
use shared::Role;

use super::{hash, new_link, Actor, Ctx};
use crate::domain::auth::{token_hash, verify_password};
use crate::domain::people::{
    check_email, check_optional_text, check_password, check_text, check_timezone, clean_optional,
    normalize_email, FieldProblems,
};
use crate::ops::error::OpError;
use crate::store::{
    ms_to_time, LinkPurpose, NewAudit, NewInvite, NewUser, PasswordLink, UserAuditActor, UserPatch,
    UserRow,
};
use hub_core::events::{Event, Published};

/// The stored hash of a user who has not set a password yet: no password verifies against it.
pub const NO_PASSWORD: &str = "!";

/// A new user of `org_id`. Without a password the answer carries the invite link.
pub async fn create_user(
    ctx: &Ctx<'_>,
    org_id: i64,
    body: &CreateUserRequest,
    who: &UserAuditActor,
) -> Result<(UserRow, Option<String>), OpError> {
    let email = normalize_email(&body.email);
    let mut problems = FieldProblems::new();
    check_text(&mut problems, "name", &body.name, 200);
    check_email(&mut problems, "email", &email);
    if let Some(password) = &body.password {
        check_password(&mut problems, "password", password);
    }
    check_profile(
        &mut problems,
        body.game_name.as_deref(),
        body.steam_id.as_deref(),
        body.discord.as_deref(),
        body.timezone.as_deref(),
    );
    OpError::unless_valid(problems)?;
    let password_hash = match &body.password {
        Some(p) => hash(p).await?,
        None => NO_PASSWORD.to_string(),
    };
    let invite = body.password.is_none().then(|| new_link(ctx, "/invite/"));
    let game_name = clean_optional(body.game_name.as_deref());
    let steam_id = clean_optional(body.steam_id.as_deref());
    let discord = clean_optional(body.discord.as_deref());
    let timezone = clean_optional(body.timezone.as_deref());
    let (user, published) = ctx
        .store
        .create_user_audited(
            NewUser {
                org_id,
                email: &email,
                name: body.name.trim(),
                role: body.role,
                password_hash: &password_hash,
                game_name: game_name.as_deref(),
                steam_id: steam_id.as_deref(),
                discord: discord.as_deref(),
                timezone: timezone.as_deref(),
            },
            invite.as_ref().map(|(_, hash, expires_at)| NewInvite {
                token_hash: hash,
                expires_at: *expires_at,
            }),
            who,
        )
        .await?;
    ctx.publish(published);
    Ok((user, invite.map(|(link, _, _)| link)))
}

fn check_profile(
    problems: &mut FieldProblems,
    game_name: Option<&str>,
    steam_id: Option<&str>,
    discord: Option<&str>,
    timezone: Option<&str>,
) {
    check_optional_text(problems, "game_name", game_name, 64);
    check_optional_text(problems, "steam_id", steam_id, 64);
    check_optional_text(problems, "discord", discord, 64);
    if let Some(tz) = timezone.map(str::trim).filter(|t| !t.is_empty()) {
        check_timezone(problems, "timezone", tz);
    }
}

/// `PATCH /api/users/{id}` (admin and up): an admin cannot make or change an owner, nobody
/// changes their own role or deactivates themselves, and the last active owner stays.
pub async fn update_user(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: i64,
    body: &UpdateUserRequest,
) -> Result<UserRow, OpError> {
    if !actor.user.role.at_least(Role::Admin) {
        return Err(OpError::Forbidden(
            "Only admins and owners can change users.",
        ));
    }
    let org_id = actor.user.org_id;
    let target = ctx
        .store
        .get_user(org_id, id)
        .await?
        .ok_or(OpError::NotFound("User"))?;
    if target.role == Role::Owner && actor.user.role != Role::Owner {
        return Err(OpError::Forbidden("Only an owner can change an owner."));
    }
    if let Some(role) = body.role {
        if !actor.user.role.may_grant(role) {
            return Err(OpError::Forbidden("Only an owner can make another owner."));
        }
    }
    if id == actor.user.id
        && (body.active == Some(false) || body.role.is_some_and(|r| r != actor.user.role))
    {
        return Err(OpError::Conflict(
            "You cannot deactivate yourself or change your own role.".into(),
        ));
    }
    let mut problems = FieldProblems::new();
    if let Some(name) = &body.name {
        check_text(&mut problems, "name", name, 200);
    }
    let inner =
        |v: &Option<Option<String>>| v.as_ref().and_then(|v| v.as_deref()).map(str::to_string);
    check_profile(
        &mut problems,
        inner(&body.game_name).as_deref(),
        inner(&body.steam_id).as_deref(),
        inner(&body.discord).as_deref(),
        inner(&body.timezone).as_deref(),
    );
    OpError::unless_valid(problems)?;
    let cleaned = |v: &Option<Option<String>>| v.as_ref().map(|v| clean_optional(v.as_deref()));
    let patch = UserPatch {
        name: body.name.as_ref().map(|n| n.trim().to_string()),
        role: body.role,
        game_name: cleaned(&body.game_name),
        steam_id: cleaned(&body.steam_id),
        discord: cleaned(&body.discord),
        timezone: cleaned(&body.timezone),
        active: body.active,
    };
    let update = ctx
        .store
        .update_user_audited(org_id, id, &patch, &actor.audit("api"))
        .await?
        .ok_or(OpError::NotFound("User"))?;
    // A deactivated user's tokens were revoked in the same transaction; the event closes
    // their sockets too, on every node.
    ctx.publish_all(update.published);
    Ok(update.after)
}

/// A one-time link for `user_id` to set a new password (admin and up; an owner's only by an
/// owner). Earlier links of theirs stop working.
pub async fn reset_link(
    ctx: &Ctx<'_>,
    actor: Option<&Actor>,
    user: &UserRow,
    via: &'static str,
) -> Result<(String, i64), OpError> {
    if let Some(actor) = actor {
        if !actor.user.role.at_least(Role::Admin) {
            return Err(OpError::Forbidden(
                "Only admins and owners can issue reset links.",
            ));
        }
        if user.role == Role::Owner && actor.user.role != Role::Owner {
            return Err(OpError::Forbidden(
                "Only an owner can reset an owner's password.",
            ));
        }
    }
    if !user.active {
        return Err(OpError::Conflict(
            "This user is deactivated: activate them before sending a link.".into(),
        ));
    }
    let (link, hash, expires_at) = new_link(ctx, "/invite/");
    let audit = NewAudit {
        org_id: user.org_id,
        actor_id: actor.map(|a| a.user.id),
        action: "PASSWORD_RESET_LINK_ISSUED",
        target_type: Some("user"),
        target_id: Some(user.id),
        ip: actor.and_then(|a| a.ip.clone()),
        details: serde_json::json!({ "email": user.email, "via": via }),
    };
    ctx.store
        .create_link(
            LinkPurpose::Reset,
            Some(user),
            actor.map(|a| a.user.id),
            &hash,
            expires_at,
            Some(&audit),
        )
        .await?;
    Ok((link, expires_at))
}

/// The live invite or reset link behind `token`, or 404.
pub async fn find_link(ctx: &Ctx<'_>, token: &str) -> Result<PasswordLink, OpError> {
    ctx.store
        .password_link(&token_hash(token))
        .await?
        .ok_or(OpError::NotFound("Link"))
}

/// Whose link it is, as `GET /api/auth/invite/{token}` and `/invite/{token}` show it.
pub fn invite_info(link: &PasswordLink) -> InviteInfo {
    InviteInfo {
        kind: match link.purpose {
            LinkPurpose::Reset => LinkKind::Reset,
            _ => LinkKind::Invite,
        },
        name: link.user.name.clone(),
        email: link.user.email.clone(),
        org_name: link.org_name.clone(),
        expires_at: ms_to_time(link.expires_at),
    }
}

/// Sets the password of the link's user and uses the link up; every earlier login of theirs
/// is signed out. Answers the user (the caller logs them in).
pub async fn use_link(
    ctx: &Ctx<'_>,
    token: &str,
    password: &str,
    ip: Option<String>,
) -> Result<UserRow, OpError> {
    let mut problems = FieldProblems::new();
    check_password(&mut problems, "password", password);
    OpError::unless_valid(problems)?;
    let link = find_link(ctx, token).await?;
    // A link must not be a way around `sso_only` (the owner's break-glass password aside);
    // refused before it is spent, so it still works if the setting is turned off.
    super::sso::refuse_password_login(ctx, &link.user).await?;
    let password_hash = hash(password).await?;
    let audit = NewAudit {
        org_id: link.user.org_id,
        actor_id: Some(link.user.id),
        action: match link.purpose {
            LinkPurpose::Reset => "PASSWORD_RESET",
            _ => "INVITE_ACCEPTED",
        },
        target_type: Some("user"),
        target_id: Some(link.user.id),
        ip,
        details: serde_json::json!({ "email": link.user.email }),
    };
    let published = ctx
        .store
        .use_password_link(&link, &password_hash, &audit)
        .await?;
    ctx.publish_all(published);
    Ok(link.user)
}

/// Changes one's own password (the current one is required); one's other logins are signed
/// out, the one making the change stays.
pub async fn change_password(
    ctx: &Ctx<'_>,
    actor: &Actor,
    current_password: &str,
    new_password: &str,
) -> Result<u64, OpError> {
    let stored = actor.user.password_hash.clone();
    let current = current_password.to_string();
    let matches = tokio::task::spawn_blocking(move || verify_password(&current, &stored))
        .await
        .unwrap_or(false);
    if !matches {
        return Err(OpError::invalid_field(
            "current_password",
            "is not your current password",
        ));
    }
    let mut problems = FieldProblems::new();
    check_password(&mut problems, "new_password", new_password);
    if current_password == new_password {
        problems.insert(
            "new_password".into(),
            "must differ from the current password".into(),
        );
    }
    OpError::unless_valid(problems)?;
    let password_hash = hash(new_password).await?;
    let audit = NewAudit {
        org_id: actor.user.org_id,
        actor_id: Some(actor.user.id),
        action: "PASSWORD_CHANGED",
        target_type: Some("user"),
        target_id: Some(actor.user.id),
        ip: actor.ip.clone(),
        details: serde_json::json!({}),
    };
    let published = ctx
        .store
        .change_password(actor.user.id, actor.token_id, &password_hash, &audit)
        .await?;
    let revoked = match &published {
        Some(Published {
            event: Event::TokensRevoked { token_ids },
            ..
        }) => token_ids.len() as u64,
        _ => 0,
    };
    ctx.publish_all(published);
    Ok(revoked)
}
