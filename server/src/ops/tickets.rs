//! Tickets: created by anyone of the organization; changed (title, description, open or
//! closed) by their creator or a supervisor and above, audited with the old and new values.

use super::{Actor, Ctx, OpError, OpResult};
use crate::store::{Changes, NewAudit};
use shared::api::Ticket;
use shared::people::UpdateTicketRequest;
use shared::Role;

/// Checks a ticket's title and description; answers them trimmed (an empty description is none).
fn checked<'a>(
    title: &'a str,
    description: Option<&'a str>,
) -> OpResult<(&'a str, Option<&'a str>)> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(OpError::invalid_field(
            "title",
            "must be 1 to 200 characters",
        ));
    }
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > 10_000) {
        return Err(OpError::invalid_field(
            "description",
            "must be at most 10000 characters",
        ));
    }
    Ok((title, description))
}

/// A new open ticket of the actor's organization, numbered after the last one.
pub async fn create(
    ctx: &Ctx<'_>,
    actor: &Actor,
    title: &str,
    description: Option<&str>,
) -> OpResult<Ticket> {
    let (title, description) = checked(title, description)?;
    Ok(ctx
        .store
        .create_ticket(actor.user.org_id, title, description, actor.user.id)
        .await?)
}

/// Applies the fields `change` gives; answers the ticket unchanged (and audits nothing) when
/// they are what it holds.
pub async fn update(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: i64,
    change: &UpdateTicketRequest,
) -> OpResult<Ticket> {
    let org_id = actor.user.org_id;
    let current = ctx
        .store
        .get_ticket(org_id, id)
        .await?
        .ok_or(OpError::NotFound("Ticket"))?;
    if current.created_by != Some(actor.user.id) && !actor.user.role.at_least(Role::Supervisor) {
        return Err(OpError::Forbidden(
            "Only the ticket's creator and supervisors and above can change it.",
        ));
    }
    let title = change.title.as_deref().unwrap_or(&current.title);
    let description = match &change.description {
        Some(d) => d.as_deref(),
        None => current.description.as_deref(),
    };
    let (title, description) = checked(title, description)?;
    let status = change.status.as_deref().unwrap_or(&current.status);
    if !matches!(status, "open" | "closed") {
        return Err(OpError::invalid_field("status", "must be open or closed"));
    }
    let mut changes = Changes::default();
    changes.note("title", &current.title, title);
    changes.note("description", &current.description, description);
    changes.note("status", &current.status, status);
    if changes.is_empty() {
        return Ok(current);
    }
    let audit = NewAudit {
        org_id,
        actor_id: Some(actor.user.id),
        action: "TICKET_UPDATED",
        target_type: Some("ticket"),
        target_id: Some(id),
        ip: actor.ip.clone(),
        details: serde_json::json!({ "number": current.number, "changes": changes.into_value() }),
    };
    ctx.store
        .update_ticket(org_id, id, title, description, status, &audit)
        .await?
        .ok_or(OpError::NotFound("Ticket"))
}
