//! Approving and reopening weeks.

use super::Fixture;
use crate::ops::timesheets::{set_week, WeekAction};
use crate::ops::OpError;
use hub_core::events::Event;
use shared::Role;

#[tokio::test]
async fn a_supervisor_approves_an_admin_reopens_and_each_is_announced_and_audited() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let admin = f.user("Ada", Role::Admin).await;
    let row = set_week(
        &f.ctx(),
        &lead,
        alice.id,
        "2026-W48",
        WeekAction::Approve,
        None,
    )
    .await
    .expect("approved");
    assert_eq!(row.state, "approved");
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::TimesheetUpdated { update }] if update.week == "2026-W48" && update.state == "approved"),
        "{events:?}"
    );
    let by_lead = set_week(
        &f.ctx(),
        &lead,
        alice.id,
        "2026-W48",
        WeekAction::Reopen,
        None,
    )
    .await;
    assert!(matches!(by_lead, Err(OpError::Forbidden(_))), "{by_lead:?}");
    set_week(
        &f.ctx(),
        &admin,
        alice.id,
        "2026-W48",
        WeekAction::Reopen,
        None,
    )
    .await
    .expect("reopened");
    let actions = f.audit_actions().await;
    assert_eq!(&actions[..2], ["TIMESHEET_REOPENED", "TIMESHEET_APPROVED"]);
}

#[tokio::test]
async fn members_bad_weeks_and_strangers_are_refused() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let own = set_week(
        &f.ctx(),
        &alice,
        alice.id,
        "2026-W48",
        WeekAction::Approve,
        None,
    )
    .await;
    assert!(matches!(own, Err(OpError::Forbidden(_))), "{own:?}");
    let bad = set_week(
        &f.ctx(),
        &lead,
        alice.id,
        "2026-W60",
        WeekAction::Approve,
        None,
    )
    .await;
    assert!(
        matches!(&bad, Err(OpError::Invalid { fields, .. }) if fields.contains_key("week")),
        "{bad:?}"
    );
    let otto = f.other_org_owner().await;
    let stranger = set_week(
        &f.ctx(),
        &lead,
        otto.id,
        "2026-W48",
        WeekAction::Approve,
        None,
    )
    .await;
    assert!(
        matches!(stranger, Err(OpError::NotFound("User"))),
        "{stranger:?}"
    );
    assert!(f.published.take().is_empty());
}
