//! Login tokens: issued, listed as devices, touched, revoked.

use super::{actor, Fixture};
use crate::domain::auth::token_hash;
use crate::ops::{tokens, OpError};
use crate::store::now_ms;
use hub_core::events::Event;
use shared::people::TokenKind;
use shared::Role;

#[tokio::test]
async fn a_member_sees_and_revokes_only_their_own_devices() {
    own_devices_only(Fixture::new().await).await;
}

/// The same on a file, where every request's token is read on the direct SQLite connection.
#[tokio::test]
async fn a_revoked_token_stops_working_at_once_on_a_sqlite_file() {
    own_devices_only(Fixture::on_file().await).await;
}

async fn own_devices_only(f: Fixture) {
    let alice = f.user("Alice", Role::Member).await;
    let bob = f.user("Bob", Role::Member).await;
    let mine = tokens::issue(&f.ctx(), &alice, TokenKind::Device, Some("10.0.0.1"))
        .await
        .expect("issued");
    tokens::issue(&f.ctx(), &bob, TokenKind::Web, None)
        .await
        .expect("issued");
    let listed = tokens::list(&f.ctx(), &actor(&alice), None)
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind, TokenKind::Device);
    let others = tokens::list(&f.ctx(), &actor(&alice), Some(bob.id)).await;
    assert!(matches!(others, Err(OpError::Forbidden(_))), "{others:?}");

    let bobs = tokens::list(&f.ctx(), &actor(&f.owner), Some(bob.id))
        .await
        .expect("the owner sees Bob's");
    let refused = tokens::revoke(&f.ctx(), &actor(&alice), bobs[0].id).await;
    assert!(
        matches!(refused, Err(OpError::NotFound("Token"))),
        "as if it did not exist"
    );

    // A socket's handshake reads the token from the reader pool, an API request on the direct
    // SQLite connection where there is one: both see the same.
    let (socket, request) = (
        f.store.token_owner(&token_hash(&mine)).await,
        f.store.token_owner_of_request(&token_hash(&mine)).await,
    );
    assert_eq!(
        socket.expect("looked up").map(|o| o.user.id),
        Some(alice.id)
    );
    assert_eq!(
        request.expect("looked up").map(|o| o.user.id),
        Some(alice.id)
    );
    tokens::revoke(&f.ctx(), &actor(&alice), listed[0].id)
        .await
        .expect("revoked");
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::TokensRevoked { token_ids }] if token_ids == &[listed[0].id]),
        "{events:?}"
    );
    let owner = f
        .store
        .token_owner(&token_hash(&mine))
        .await
        .expect("looked up");
    assert!(owner.is_none(), "a revoked token logs nobody in");
    let request = f
        .store
        .token_owner_of_request(&token_hash(&mine))
        .await
        .expect("looked up");
    assert!(request.is_none(), "nor into the API");
}

#[tokio::test]
async fn a_token_use_is_written_at_most_once_a_minute() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let token = tokens::issue(&f.ctx(), &alice, TokenKind::Web, None)
        .await
        .expect("issued");
    let read = || async {
        f.store
            .token_owner(&token_hash(&token))
            .await
            .expect("looked up")
            .expect("live")
    };
    let mut owner = read().await;
    let issued_use = owner.last_used_at;
    // Used a moment ago: not written again.
    owner.last_used_at = Some(now_ms() - 1_000);
    assert!(!tokens::touch(&f.ctx(), &owner, "10.0.0.9")
        .await
        .expect("skipped"));
    assert_eq!(read().await.last_used_at, issued_use);
    // Last used over a minute ago: written, with where from.
    owner.last_used_at = Some(now_ms() - tokens::TOUCH_EVERY_MS - 1);
    assert!(tokens::touch(&f.ctx(), &owner, "10.0.0.9")
        .await
        .expect("touched"));
    let after = read().await;
    assert!(
        after.last_used_at >= Some(now_ms() - 5_000),
        "{:?}",
        after.last_used_at
    );
    let listed = tokens::list(&f.ctx(), &actor(&alice), None)
        .await
        .expect("listed");
    assert_eq!(listed[0].client_ip.as_deref(), Some("10.0.0.9"));
}

#[test]
fn one_touch_of_a_token_is_in_flight_at_a_time() {
    let touches = tokens::TouchesInFlight::default();
    let first = touches.begin(7).expect("the first use writes");
    assert!(touches.begin(7).is_none(), "a second use meanwhile skips");
    let other = touches.begin(8);
    assert!(other.is_some(), "another token is not held up");
    drop(first);
    assert!(
        touches.begin(7).is_some(),
        "written: the next use may write again"
    );
}
