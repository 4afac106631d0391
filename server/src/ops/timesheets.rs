//! Approving and reopening a user's ISO week. An approved week locks the time inside it:
//! creations, corrections, deletions and idle answers there are refused (409) until an admin
//! reopens it.

use std::net::IpAddr;

use super::Ctx;
use crate::domain::weeks::IsoWeek;
use crate::ops::error::{OpError, OpResult};
use crate::store::{ms_to_time, NewAudit, UserRow, WeekStateRow};
use hub_core::events::Event;
use shared::protocol::TimesheetUpdated;
use shared::Role;

/// What a supervisor or admin does to a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekAction {
    Approve,
    Reopen,
}

impl WeekAction {
    fn state(self) -> &'static str {
        match self {
            WeekAction::Approve => "approved",
            WeekAction::Reopen => "open",
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            WeekAction::Approve => "TIMESHEET_APPROVED",
            WeekAction::Reopen => "TIMESHEET_REOPENED",
        }
    }

    /// Supervisors approve; reopening takes an admin.
    fn allowed(self, role: Role) -> Result<(), OpError> {
        match self {
            WeekAction::Approve if role.at_least(Role::Supervisor) => Ok(()),
            WeekAction::Approve => Err(OpError::Forbidden(
                "Only supervisors and up can approve a timesheet.",
            )),
            WeekAction::Reopen if role.at_least(Role::Admin) => Ok(()),
            WeekAction::Reopen => Err(OpError::Forbidden(
                "Only admins and owners can reopen an approved week.",
            )),
        }
    }
}

pub fn parse_week(text: &str) -> OpResult<IsoWeek> {
    IsoWeek::parse(text).map_err(|e| OpError::invalid_field("week", e.to_string()))
}

/// `POST /api/timesheets/{user_id}/{iso_week}/approve` and `.../reopen`.
pub async fn set_week(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    user_id: i64,
    week: &str,
    action: WeekAction,
    ip: Option<IpAddr>,
) -> OpResult<WeekStateRow> {
    action.allowed(actor.role)?;
    let week = parse_week(week)?;
    let user = ctx
        .store
        .get_user(actor.org_id, user_id)
        .await?
        .ok_or(OpError::NotFound("User"))?;
    let tz = ctx.store.org_timezone(actor.org_id).await?;
    let (_, week_end) = week.bounds_ms(tz);
    let week_text = week.to_string();
    let audit = NewAudit {
        org_id: actor.org_id,
        actor_id: Some(actor.id),
        action: action.audit_action(),
        target_type: Some("user"),
        target_id: Some(user.id),
        ip: ip.map(|ip| ip.to_string()),
        details: serde_json::json!({
            "user_id": user.id,
            "user_name": user.name,
            "week": week_text,
            "timezone": tz.name(),
        }),
    };
    let (row, published) = ctx
        .store
        .set_week_state(
            actor.org_id,
            user.id,
            &week_text,
            week_end,
            action.state(),
            actor.id,
            &audit,
            |row| Event::TimesheetUpdated {
                update: TimesheetUpdated {
                    user_id: row.user_id,
                    week: row.week.clone(),
                    state: row.state.clone(),
                    changed_by: row.changed_by,
                    changed_at: ms_to_time(row.changed_at),
                },
            },
        )
        .await?;
    ctx.publish(published);
    Ok(row)
}
