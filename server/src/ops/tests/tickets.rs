//! Creating and changing tickets.

use super::{actor, Fixture};
use crate::ops::{tickets, OpError};
use shared::people::UpdateTicketRequest;
use shared::Role;

#[tokio::test]
async fn titles_are_checked_and_trimmed() {
    let f = Fixture::new().await;
    let alice = actor(&f.user("Alice", Role::Member).await);
    let empty = tickets::create(&f.ctx(), &alice, "   ", None).await;
    assert!(matches!(&empty, Err(OpError::Invalid { fields, .. }) if fields.contains_key("title")));
    let long = tickets::create(&f.ctx(), &alice, &"t".repeat(201), None).await;
    assert!(matches!(&long, Err(OpError::Invalid { fields, .. }) if fields.contains_key("title")));
    let ticket = tickets::create(&f.ctx(), &alice, "  Login times out ", Some("  "))
        .await
        .expect("created");
    assert_eq!(ticket.title, "Login times out");
    assert_eq!(ticket.description, None, "an empty description is none");
    assert_eq!(ticket.status, "open");
}

#[tokio::test]
async fn only_the_creator_or_a_supervisor_changes_a_ticket_and_changes_are_audited() {
    let f = Fixture::new().await;
    let alice = actor(&f.user("Alice", Role::Member).await);
    let bob = actor(&f.user("Bob", Role::Member).await);
    let lead = actor(&f.user("Lena", Role::Supervisor).await);
    let ticket = tickets::create(&f.ctx(), &alice, "Login times out", None)
        .await
        .expect("created");
    let close = UpdateTicketRequest {
        status: Some("closed".into()),
        ..UpdateTicketRequest::default()
    };
    let by_bob = tickets::update(&f.ctx(), &bob, ticket.id, &close).await;
    assert!(matches!(by_bob, Err(OpError::Forbidden(_))), "{by_bob:?}");
    let closed = tickets::update(&f.ctx(), &lead, ticket.id, &close)
        .await
        .expect("closed by the lead");
    assert_eq!(closed.status, "closed");
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("TICKET_UPDATED")
    );

    let odd = UpdateTicketRequest {
        status: Some("done".into()),
        ..UpdateTicketRequest::default()
    };
    let refused = tickets::update(&f.ctx(), &alice, ticket.id, &odd).await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("status"))
    );
    // Nothing changed: nothing audited.
    let before = f.audit_actions().await.len();
    tickets::update(&f.ctx(), &alice, ticket.id, &close)
        .await
        .expect("unchanged");
    assert_eq!(f.audit_actions().await.len(), before);
}

#[tokio::test]
async fn another_organizations_ticket_is_not_found() {
    let f = Fixture::new().await;
    let alice = actor(&f.user("Alice", Role::Member).await);
    let ticket = tickets::create(&f.ctx(), &alice, "Ours", None)
        .await
        .expect("created");
    let otto = actor(&f.other_org_owner().await);
    let change = UpdateTicketRequest {
        title: Some("Theirs".into()),
        ..UpdateTicketRequest::default()
    };
    let refused = tickets::update(&f.ctx(), &otto, ticket.id, &change).await;
    assert!(
        matches!(refused, Err(OpError::NotFound("Ticket"))),
        "{refused:?}"
    );
}
