//! Working-time plans, holidays and absences: who may do what, what is refused, what is
//! audited and pushed.

use chrono::NaiveDate;

use super::Fixture;
use crate::ops::timesheets::{set_week, WeekAction};
use crate::ops::worktime::{
    add_holiday, decide_absence, import_holidays, remove_holiday, remove_plan, request_absence,
    set_plan, AbsenceAction,
};
use crate::ops::OpError;
use crate::store::StoreError;
use hub_core::events::Event;
use shared::worktime::{
    AbsenceKind, AbsenceState, DecideAbsence, NewHoliday, RequestAbsence, SetWorkPlan,
};
use shared::Role;

fn d(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn vacation(first: &str, last: &str) -> RequestAbsence {
    RequestAbsence {
        kind: AbsenceKind::Vacation,
        first_day: d(first),
        last_day: d(last),
        half_day: false,
        note: Some("Family visit".into()),
        user_id: None,
    }
}

#[tokio::test]
async fn admins_set_plans_checked_and_audited_and_members_may_not() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let admin = f.user("Ada", Role::Admin).await;
    let plan = SetWorkPlan {
        user_id: Some(alice.id),
        valid_from: d("2026-12-01"),
        minutes: vec![240, 240, 240, 240, 240, 0, 0],
    };
    let refused = set_plan(&f.ctx(), &alice, &plan, None).await;
    assert!(matches!(refused, Err(OpError::Forbidden(_))), "{refused:?}");
    let row = set_plan(&f.ctx(), &admin, &plan, None).await.expect("set");
    assert_eq!(row.minutes, [240, 240, 240, 240, 240, 0, 0]);
    // The same start date again replaces it.
    let again = SetWorkPlan {
        minutes: vec![300, 300, 300, 300, 300, 0, 0],
        ..plan.clone()
    };
    set_plan(&f.ctx(), &admin, &again, None)
        .await
        .expect("replaced");
    let plans = f
        .store
        .work_plans(f.org_id(), Some(alice.id))
        .await
        .unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].minutes[0], 300);
    let bad = SetWorkPlan {
        minutes: vec![480; 6],
        ..plan.clone()
    };
    assert!(matches!(
        set_plan(&f.ctx(), &admin, &bad, None).await,
        Err(OpError::Invalid { .. })
    ));
    remove_plan(&f.ctx(), &admin, plans[0].id, None)
        .await
        .expect("removed");
    assert!(matches!(
        remove_plan(&f.ctx(), &admin, plans[0].id, None).await,
        Err(OpError::NotFound(_))
    ));
    let actions = f.audit_actions().await;
    assert_eq!(
        &actions[..3],
        ["WORK_PLAN_REMOVED", "WORK_PLAN_SET", "WORK_PLAN_SET"]
    );
}

#[tokio::test]
async fn holidays_are_added_once_and_an_ics_file_adds_its_days() {
    let f = Fixture::new().await;
    let admin = f.user("Ada", Role::Admin).await;
    let christmas = NewHoliday {
        date: d("2026-12-25"),
        name: "Christmas Day".into(),
    };
    add_holiday(&f.ctx(), &admin, &christmas, None)
        .await
        .expect("added");
    assert!(matches!(
        add_holiday(&f.ctx(), &admin, &christmas, None).await,
        Err(OpError::Conflict(_))
    ));
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Weihnachten\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261226\r\nSUMMARY:Stephanstag\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
    let (added, skipped) = import_holidays(&f.ctx(), &admin, ics, None)
        .await
        .expect("imported");
    assert_eq!((added.len(), skipped), (1, 1));
    let days = f.store.holidays(f.org_id(), None, None).await.unwrap();
    let names: Vec<&str> = days.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["Christmas Day", "Stephanstag"],
        "the first name stays"
    );
    assert!(matches!(
        import_holidays(&f.ctx(), &admin, "not a calendar", None).await,
        Err(OpError::Invalid { .. })
    ));

    // Removed by an admin (audited), then gone: a second removal finds nothing. Members may not.
    let member = f.user("Alice", Role::Member).await;
    let refused = remove_holiday(&f.ctx(), &member, days[1].id, None).await;
    assert!(matches!(refused, Err(OpError::Forbidden(_))), "{refused:?}");
    let removed = remove_holiday(&f.ctx(), &admin, days[1].id, None)
        .await
        .expect("removed");
    assert_eq!(removed.name, "Stephanstag");
    let left = f.store.holidays(f.org_id(), None, None).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, "Christmas Day");
    assert_eq!(f.audit_actions().await[0], "HOLIDAY_REMOVED");
    assert!(matches!(
        remove_holiday(&f.ctx(), &admin, days[1].id, None).await,
        Err(OpError::NotFound("Holiday"))
    ));
}

#[tokio::test]
async fn a_member_asks_a_supervisor_decides_and_each_step_is_pushed_and_audited() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let asked = request_absence(
        &f.ctx(),
        &alice,
        &vacation("2026-12-21", "2026-12-23"),
        None,
    )
    .await
    .expect("requested");
    assert_eq!(asked.state, "requested");
    assert!(matches!(
        &f.published.take()[..],
        [Event::AbsenceUpdated { absence }] if absence.state == AbsenceState::Requested
    ));
    // Over the same days again: refused.
    let twice = request_absence(
        &f.ctx(),
        &alice,
        &vacation("2026-12-23", "2026-12-24"),
        None,
    )
    .await;
    assert!(
        matches!(twice, Err(OpError::Store(StoreError::Conflict(_)))),
        "{twice:?}"
    );
    // Alice cannot approve her own; Lena can.
    let own = decide_absence(
        &f.ctx(),
        &alice,
        asked.id,
        AbsenceAction::Approve,
        &DecideAbsence::default(),
        None,
    )
    .await;
    assert!(matches!(own, Err(OpError::Forbidden(_))), "{own:?}");
    let approved = decide_absence(
        &f.ctx(),
        &lead,
        asked.id,
        AbsenceAction::Approve,
        &DecideAbsence::default(),
        None,
    )
    .await
    .expect("approved");
    assert_eq!(approved.state, "approved");
    assert_eq!(approved.decided_by, Some(lead.id));
    assert!(matches!(
        &f.published.take()[..],
        [Event::AbsenceUpdated { absence }] if absence.state == AbsenceState::Approved
    ));
    // Decided once: a second decision is a conflict, and Alice can no longer withdraw it.
    assert!(matches!(
        decide_absence(
            &f.ctx(),
            &lead,
            asked.id,
            AbsenceAction::Approve,
            &DecideAbsence::default(),
            None
        )
        .await,
        Err(OpError::Conflict(_))
    ));
    assert!(matches!(
        decide_absence(
            &f.ctx(),
            &alice,
            asked.id,
            AbsenceAction::Cancel,
            &DecideAbsence::default(),
            None
        )
        .await,
        Err(OpError::Conflict(_))
    ));
    let actions = f.audit_actions().await;
    assert_eq!(&actions[..2], ["ABSENCE_APPROVED", "ABSENCE_REQUESTED"]);
}

#[tokio::test]
async fn a_refusal_needs_a_reason_and_a_stranger_sees_nothing() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let asked = request_absence(
        &f.ctx(),
        &alice,
        &vacation("2026-12-28", "2026-12-31"),
        None,
    )
    .await
    .expect("requested");
    assert!(matches!(
        decide_absence(
            &f.ctx(),
            &bob,
            asked.id,
            AbsenceAction::Cancel,
            &DecideAbsence::default(),
            None
        )
        .await,
        Err(OpError::NotFound(_))
    ));
    assert!(matches!(
        decide_absence(
            &f.ctx(),
            &lead,
            asked.id,
            AbsenceAction::Refuse,
            &DecideAbsence::default(),
            None
        )
        .await,
        Err(OpError::Invalid { .. })
    ));
    let why = DecideAbsence {
        note: Some("The release is that week".into()),
    };
    let refused = decide_absence(&f.ctx(), &lead, asked.id, AbsenceAction::Refuse, &why, None)
        .await
        .expect("refused");
    assert_eq!(refused.state, "refused");
    assert_eq!(
        refused.decision_note.as_deref(),
        Some("The release is that week")
    );
    // Refused days are free to ask for again.
    request_absence(
        &f.ctx(),
        &alice,
        &vacation("2026-12-28", "2026-12-29"),
        None,
    )
    .await
    .expect("asked again");
}

#[tokio::test]
async fn an_approved_week_refuses_absences_in_it() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    set_week(
        &f.ctx(),
        &lead,
        alice.id,
        "2026-W52",
        WeekAction::Approve,
        None,
    )
    .await
    .expect("approved week");
    // 2026-12-21 (Monday) is in W52.
    let refused = request_absence(
        &f.ctx(),
        &alice,
        &vacation("2026-12-20", "2026-12-21"),
        None,
    )
    .await;
    assert!(
        matches!(&refused, Err(OpError::Store(StoreError::Refused(text))) if text.contains("2026-W52")),
        "{refused:?}"
    );
    // A half day must be one day.
    let half = RequestAbsence {
        half_day: true,
        ..vacation("2027-01-04", "2027-01-05")
    };
    assert!(matches!(
        request_absence(&f.ctx(), &alice, &half, None).await,
        Err(OpError::Invalid { .. })
    ));
}

#[tokio::test]
async fn an_admin_records_an_absence_for_someone_approved_at_once() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let admin = f.user("Ada", Role::Admin).await;
    let sick = RequestAbsence {
        kind: AbsenceKind::Sick,
        user_id: Some(alice.id),
        ..vacation("2026-12-14", "2026-12-15")
    };
    assert!(matches!(
        request_absence(&f.ctx(), &bob, &sick, None).await,
        Err(OpError::Forbidden(_))
    ));
    let row = request_absence(&f.ctx(), &admin, &sick, None)
        .await
        .expect("recorded");
    assert_eq!((row.user_id, row.state.as_str()), (alice.id, "approved"));
    assert_eq!(f.audit_actions().await[0], "ABSENCE_RECORDED");
}
