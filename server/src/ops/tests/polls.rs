//! The A2S poller's writes: staff sessions opened and closed from what a server answers.

use super::Fixture;
use crate::ops::game_servers;
use crate::ops::polls::{record, PollAnswer};
use crate::store::{now_ms, GameServerRow};
use hub_core::events::Event;
use shared::game_servers::CreateGameServerRequest;
use shared::Role;

async fn the_server(f: &Fixture) -> GameServerRow {
    let req = CreateGameServerRequest {
        name: "Demo EU #1".into(),
        address: "127.0.0.1:27015".into(),
        enabled: Some(true),
        min_staff: None,
        alert_after_minutes: None,
    };
    game_servers::create(&f.ctx(), f.org_id(), &req)
        .await
        .expect("a server");
    f.published.take();
    f.store
        .enabled_game_servers()
        .await
        .expect("servers")
        .into_iter()
        .next()
        .expect("the server")
}

#[tokio::test]
async fn staff_seen_on_a_server_get_a_session_that_closes_after_three_silent_polls() {
    let f = Fixture::new().await;
    let alice = f.user("Alice", Role::Member).await;
    let server = the_server(&f).await;
    let roster = vec![(alice.id, "Alice".to_string())];
    let answer = PollAnswer {
        players: Some(vec!["Alice".into(), "a stranger".into()]),
        info: None,
    };
    let online = record(&f.ctx(), &server, &roster, &answer, true, now_ms())
        .await
        .expect("recorded");
    assert_eq!(online, Some(2));
    let open = f.store.open_server_sessions(server.id).await.expect("open");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].user_id, alice.id);
    let events = f.published.take();
    assert!(
        matches!(&events[..], [Event::GameServerUpdated { update }] if update.opened.len() == 1),
        "{events:?}"
    );

    let silent = PollAnswer::default();
    for _ in 0..3 {
        let server = f
            .store
            .enabled_game_servers()
            .await
            .expect("servers")
            .remove(0);
        record(&f.ctx(), &server, &roster, &silent, false, now_ms())
            .await
            .expect("recorded");
    }
    let open = f.store.open_server_sessions(server.id).await.expect("open");
    assert!(open.is_empty(), "closed after three unanswered polls");
    let closed = f
        .published
        .take()
        .into_iter()
        .any(|e| matches!(e, Event::GameServerUpdated { update } if update.closed.len() == 1));
    assert!(closed, "the closing is announced");
}
