//! Working time (SPEC §19): setting plans and holidays (admins and owners), and absences —
//! requested by the member, approved or refused by a supervisor or above, cancelled by the
//! person before a decision (or by an admin). Each write is audited; absences are pushed
//! (`absence_updated`) and refused in approved weeks (409).

use std::net::IpAddr;

use chrono::NaiveDate;

use super::Ctx;
use crate::domain::holidays::{holidays_from_ics, IcsError};
use crate::domain::weeks::IsoWeek;
use crate::domain::worktime::{check_absence, week_minutes};
use crate::ops::error::{OpError, OpResult};
use crate::store::{
    AbsenceDecision, AbsenceRow, HolidayRow, NewAbsence, NewAudit, PlanRow, UserRow,
};
use hub_core::events::Event;
use shared::worktime::{DecideAbsence, NewHoliday, RequestAbsence, SetWorkPlan};
use shared::Role;

fn audit_entry(
    actor: &UserRow,
    action: &'static str,
    target: (&'static str, Option<i64>),
    ip: Option<IpAddr>,
    details: serde_json::Value,
) -> NewAudit {
    NewAudit {
        org_id: actor.org_id,
        actor_id: Some(actor.id),
        action,
        target_type: Some(target.0),
        target_id: target.1,
        ip: ip.map(|ip| ip.to_string()),
        details,
    }
}

fn admins_only(actor: &UserRow, what: &'static str) -> OpResult<()> {
    if actor.role.at_least(Role::Admin) {
        Ok(())
    } else {
        Err(OpError::Forbidden(what))
    }
}

/// `PUT /api/worktime/plans`: a person's plan (or the default) from a date.
pub async fn set_plan(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    req: &SetWorkPlan,
    ip: Option<IpAddr>,
) -> OpResult<PlanRow> {
    admins_only(actor, "Only admins and owners can set working-time plans.")?;
    let minutes =
        week_minutes(&req.minutes).map_err(|e| OpError::invalid_field("minutes", e.to_string()))?;
    let user = match req.user_id {
        Some(id) => Some(
            ctx.store
                .get_user(actor.org_id, id)
                .await?
                .ok_or(OpError::NotFound("User"))?,
        ),
        None => None,
    };
    let audit = audit_entry(
        actor,
        "WORK_PLAN_SET",
        ("user", user.as_ref().map(|u| u.id)),
        ip,
        serde_json::json!({
            "user_id": user.as_ref().map(|u| u.id),
            "user_name": user.as_ref().map(|u| u.name.clone()),
            "valid_from": req.valid_from,
            "minutes": minutes,
        }),
    );
    Ok(ctx
        .store
        .set_work_plan(
            actor.org_id,
            user.map(|u| u.id),
            req.valid_from,
            minutes,
            actor.id,
            &audit,
        )
        .await?)
}

/// `DELETE /api/worktime/plans/{id}`.
pub async fn remove_plan(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    id: i64,
    ip: Option<IpAddr>,
) -> OpResult<PlanRow> {
    admins_only(
        actor,
        "Only admins and owners can remove working-time plans.",
    )?;
    ctx.store
        .delete_work_plan(actor.org_id, id, |row| {
            audit_entry(
                actor,
                "WORK_PLAN_REMOVED",
                ("user", row.user_id),
                ip,
                serde_json::json!({
                    "user_id": row.user_id,
                    "valid_from": row.valid_from,
                    "minutes": row.minutes,
                }),
            )
        })
        .await?
        .ok_or(OpError::NotFound("Plan"))
}

fn holiday_name(name: &str) -> OpResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(OpError::invalid_field(
            "name",
            "must be 1 to 200 characters",
        ));
    }
    Ok(name.to_string())
}

/// `POST /api/holidays`: one day. 409 when the day is a holiday already.
pub async fn add_holiday(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    req: &NewHoliday,
    ip: Option<IpAddr>,
) -> OpResult<HolidayRow> {
    admins_only(actor, "Only admins and owners can set holidays.")?;
    let name = holiday_name(&req.name)?;
    let (mut added, _) = ctx
        .store
        .add_holidays(actor.org_id, &[(req.date, name.clone())], |_| {
            audit_entry(
                actor,
                "HOLIDAY_ADDED",
                ("organization", Some(actor.org_id)),
                ip,
                serde_json::json!({ "date": req.date, "name": name }),
            )
        })
        .await?;
    added
        .pop()
        .ok_or_else(|| OpError::Conflict(format!("{} is a holiday already.", req.date)))
}

/// `POST /api/holidays/import`: the days of an iCalendar file; days that are holidays
/// already are kept as they are.
pub async fn import_holidays(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    ics: &str,
    ip: Option<IpAddr>,
) -> OpResult<(Vec<HolidayRow>, usize)> {
    admins_only(actor, "Only admins and owners can import holidays.")?;
    let days = holidays_from_ics(ics)
        .map_err(|e: IcsError| OpError::invalid_field("file", e.to_string()))?;
    let first = days.first().map(|d| d.0);
    let last = days.last().map(|d| d.0);
    Ok(ctx
        .store
        .add_holidays(actor.org_id, &days, |added| {
            audit_entry(
                actor,
                "HOLIDAYS_IMPORTED",
                ("organization", Some(actor.org_id)),
                ip,
                serde_json::json!({ "added": added, "in_file": days.len(), "from": first, "to": last }),
            )
        })
        .await?)
}

/// `DELETE /api/holidays/{id}`.
pub async fn remove_holiday(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    id: i64,
    ip: Option<IpAddr>,
) -> OpResult<HolidayRow> {
    admins_only(actor, "Only admins and owners can remove holidays.")?;
    ctx.store
        .delete_holiday(actor.org_id, id, |row| {
            audit_entry(
                actor,
                "HOLIDAY_REMOVED",
                ("organization", Some(actor.org_id)),
                ip,
                serde_json::json!({ "date": row.day, "name": row.name }),
            )
        })
        .await?
        .ok_or(OpError::NotFound("Holiday"))
}

/// The ISO weeks (organization's timezone: the days are its local days) of `first..=last`.
fn weeks_of(first: NaiveDate, last: NaiveDate) -> Vec<String> {
    IsoWeek::touched(first, last)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn check_note(note: Option<&str>) -> OpResult<Option<&str>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(OpError::invalid_field(
            "note",
            "must be at most 500 characters",
        ));
    }
    Ok(note)
}

fn pushed(row: &AbsenceRow) -> Event {
    Event::AbsenceUpdated {
        absence: Box::new(row.info()),
    }
}

fn absence_details(row: &AbsenceRow) -> serde_json::Value {
    serde_json::json!({
        "absence_id": row.id,
        "user_id": row.user_id,
        "user_name": row.user_name,
        "kind": row.kind,
        "first_day": row.first_day,
        "last_day": row.last_day,
        "half_day": row.half_day,
        "state": row.state,
        "note": row.decision_note.as_ref().or(row.note.as_ref()),
    })
}

/// `POST /api/absences`: a member asks for their own days off; an admin or owner recording
/// one for someone (`user_id`) records it approved.
pub async fn request_absence(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    req: &RequestAbsence,
    ip: Option<IpAddr>,
) -> OpResult<AbsenceRow> {
    check_absence(req.first_day, req.last_day, req.half_day).map_err(|e| {
        OpError::invalid_field(
            match e {
                crate::domain::worktime::AbsenceError::HalfDayRange => "half_day",
                _ => "last_day",
            },
            e.to_string(),
        )
    })?;
    let note = check_note(req.note.as_deref())?;
    let for_someone_else = req.user_id.is_some_and(|id| id != actor.id);
    if for_someone_else && !actor.role.at_least(Role::Admin) {
        return Err(OpError::Forbidden(
            "Only admins and owners can record an absence for someone else.",
        ));
    }
    let user = ctx
        .store
        .get_user(actor.org_id, req.user_id.unwrap_or(actor.id))
        .await?
        .ok_or(OpError::NotFound("User"))?;
    let new = NewAbsence {
        org_id: actor.org_id,
        user_id: user.id,
        kind: req.kind.as_str(),
        first_day: req.first_day,
        last_day: req.last_day,
        half_day: req.half_day,
        note,
        state: if for_someone_else {
            "approved"
        } else {
            "requested"
        },
        requested_by: actor.id,
        weeks: weeks_of(req.first_day, req.last_day),
    };
    let action = if for_someone_else {
        "ABSENCE_RECORDED"
    } else {
        "ABSENCE_REQUESTED"
    };
    let (row, published) = ctx
        .store
        .insert_absence(
            &new,
            |row| {
                audit_entry(
                    actor,
                    action,
                    ("absence", Some(row.id)),
                    ip,
                    absence_details(row),
                )
            },
            pushed,
        )
        .await?;
    ctx.publish(published);
    Ok(row)
}

/// The states a decision starts from.
const REQUESTED: &[&str] = &["requested"];
const REQUESTED_OR_APPROVED: &[&str] = &["requested", "approved"];

/// What is done to an absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsenceAction {
    Approve,
    Refuse,
    Cancel,
}

/// `POST /api/absences/{id}/approve`, `/refuse` and `/cancel`.
pub async fn decide_absence(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    id: i64,
    action: AbsenceAction,
    req: &DecideAbsence,
    ip: Option<IpAddr>,
) -> OpResult<AbsenceRow> {
    let current = ctx
        .store
        .get_absence(actor.org_id, id)
        .await?
        .ok_or(OpError::NotFound("Absence"))?;
    let own = current.user_id == actor.id;
    // A member sees only their own absences; someone else's must look missing.
    if !own && !actor.role.reads_whole_org() {
        return Err(OpError::NotFound("Absence"));
    }
    let note = check_note(req.note.as_deref())?;
    let (from_states, to_state, audit_action): (
        &'static [&'static str],
        &'static str,
        &'static str,
    ) = match action {
        AbsenceAction::Approve | AbsenceAction::Refuse => {
            if !actor.role.at_least(Role::Supervisor) {
                return Err(OpError::Forbidden(
                    "Only supervisors and up can approve or refuse an absence.",
                ));
            }
            // Nobody decides on their own days off, except the owner, who has no one above.
            if own && actor.role != Role::Owner {
                return Err(OpError::Forbidden(
                    "Your own absence is approved by someone else.",
                ));
            }
            if action == AbsenceAction::Refuse && note.is_none() {
                return Err(OpError::invalid_field(
                    "note",
                    "is required to refuse: say why",
                ));
            }
            match action {
                AbsenceAction::Approve => (REQUESTED, "approved", "ABSENCE_APPROVED"),
                _ => (REQUESTED, "refused", "ABSENCE_REFUSED"),
            }
        }
        AbsenceAction::Cancel => {
            // The person withdraws a request; an admin may also take back an approved one.
            if actor.role.at_least(Role::Admin) {
                (REQUESTED_OR_APPROVED, "cancelled", "ABSENCE_CANCELLED")
            } else if own {
                (REQUESTED, "cancelled", "ABSENCE_CANCELLED")
            } else {
                return Err(OpError::Forbidden(
                    "Only the person or an admin can cancel an absence.",
                ));
            }
        }
    };
    let decision = AbsenceDecision {
        from_states,
        to_state,
        by: actor.id,
        note,
        weeks: weeks_of(current.first_day, current.last_day),
    };
    let done = ctx
        .store
        .decide_absence(
            actor.org_id,
            id,
            current.user_id,
            &decision,
            |row| {
                audit_entry(
                    actor,
                    audit_action,
                    ("absence", Some(row.id)),
                    ip,
                    absence_details(row),
                )
            },
            pushed,
        )
        .await?;
    match done {
        Some((row, published)) => {
            ctx.publish(published);
            Ok(row)
        }
        None => Err(OpError::Conflict(format!(
            "This absence is {} already: it cannot be {}.",
            current.state,
            match action {
                AbsenceAction::Approve => "approved",
                AbsenceAction::Refuse => "refused",
                AbsenceAction::Cancel => "cancelled",
            }
        ))),
    }
}
