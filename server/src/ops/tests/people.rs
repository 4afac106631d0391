//! Users: created, changed, and the rules about roles.

use super::{actor, Fixture};
use crate::ops::people::{create_user, update_user};
use crate::ops::OpError;
use crate::store::{StoreError, UserAuditActor};
use hub_core::events::Event;
use shared::api::{CreateUserRequest, UpdateUserRequest};
use shared::Role;

fn new_user(email: &str) -> CreateUserRequest {
    CreateUserRequest {
        name: "Dana".into(),
        email: email.into(),
        password: None,
        role: Role::Member,
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
    }
}

fn by_owner(f: &Fixture) -> UserAuditActor {
    UserAuditActor {
        actor_id: Some(f.owner.id),
        ip: None,
        via: "api",
    }
}

#[tokio::test]
async fn a_new_user_gets_an_invite_link_is_announced_and_their_email_is_theirs_alone() {
    let f = Fixture::new().await;
    let (user, invite) = create_user(
        &f.ctx(),
        f.org_id(),
        &new_user(" Dana@Test.Example "),
        &by_owner(&f),
    )
    .await
    .expect("created");
    assert_eq!(user.email, "dana@test.example");
    assert!(invite.is_some_and(|link| link.starts_with("http://hub.test/invite/")));
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::MemberChanged { member }] if member.user_id == user.id),
        "{events:?}"
    );
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("USER_CREATED")
    );
    let twice = create_user(
        &f.ctx(),
        f.org_id(),
        &new_user("dana@test.example"),
        &by_owner(&f),
    )
    .await;
    assert!(
        matches!(twice, Err(OpError::Store(StoreError::UniqueViolation(_)))),
        "{twice:?}"
    );
}

#[tokio::test]
async fn bad_fields_are_each_named() {
    let f = Fixture::new().await;
    let mut body = new_user("not an address");
    body.name = " ".into();
    body.timezone = Some("Mars/Olympus".into());
    let refused = create_user(&f.ctx(), f.org_id(), &body, &by_owner(&f)).await;
    let Err(OpError::Invalid { fields, .. }) = refused else {
        panic!("{refused:?}")
    };
    for field in ["name", "email", "timezone"] {
        assert!(fields.contains_key(field), "{field} in {fields:?}");
    }
}

#[test]
fn admins_grant_any_role_but_owner() {
    assert!(Role::Owner.may_grant(Role::Owner));
    assert!(Role::Admin.may_grant(Role::Admin));
    assert!(!Role::Admin.may_grant(Role::Owner));
    assert!(!Role::Supervisor.may_grant(Role::Member));
}

#[tokio::test]
async fn role_changes_follow_the_rules() {
    let f = Fixture::new().await;
    let admin = f.user("Ada", Role::Admin).await;
    let alice = f.user("Alice", Role::Member).await;
    let lead = f.user("Lena", Role::Supervisor).await;
    let to = |role| UpdateUserRequest {
        role: Some(role),
        ..UpdateUserRequest::default()
    };
    let by_lead = update_user(&f.ctx(), &actor(&lead), alice.id, &to(Role::Supervisor)).await;
    assert!(matches!(by_lead, Err(OpError::Forbidden(_))), "{by_lead:?}");
    let make_owner = update_user(&f.ctx(), &actor(&admin), alice.id, &to(Role::Owner)).await;
    assert!(
        matches!(make_owner, Err(OpError::Forbidden(_))),
        "{make_owner:?}"
    );
    let own_role = update_user(&f.ctx(), &actor(&admin), admin.id, &to(Role::Member)).await;
    assert!(
        matches!(own_role, Err(OpError::Conflict(_))),
        "{own_role:?}"
    );
    let promoted = update_user(&f.ctx(), &actor(&admin), alice.id, &to(Role::Supervisor))
        .await
        .expect("promoted");
    assert_eq!(promoted.role, Role::Supervisor);
    assert!(f
        .published
        .take()
        .iter()
        .any(|e| matches!(e, Event::MemberChanged { member } if member.role == Role::Supervisor)));
    let otto = f.other_org_owner().await;
    let stranger = update_user(&f.ctx(), &actor(&admin), otto.id, &to(Role::Member)).await;
    assert!(
        matches!(stranger, Err(OpError::NotFound("User"))),
        "{stranger:?}"
    );
}
