//! Webhooks: created by admins with a secret shown once, never pointed at the hub itself.

use super::{actor, Fixture};
use crate::domain::webhooks::OwnAddresses;
use crate::ops::{webhooks, OpError};
use shared::webhooks::CreateWebhookRequest;

fn own() -> OwnAddresses {
    OwnAddresses {
        sockets: vec!["127.0.0.1:3000".parse().expect("an address")],
        names: vec![("hub.test".into(), 80)],
    }
}

fn request(url: &str) -> CreateWebhookRequest {
    CreateWebhookRequest {
        url: url.into(),
        events: vec!["session.ended".into()],
        description: Some("payroll".into()),
        secret: None,
    }
}

#[tokio::test]
async fn a_webhook_gets_a_secret_once_and_is_audited() {
    let f = Fixture::new().await;
    let owner = actor(&f.owner);
    let (row, secret) = webhooks::create(
        &f.store,
        &owner,
        &own(),
        request("https://receiver.example/hook"),
    )
    .await
    .expect("created");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(row.secret, secret);
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("WEBHOOK_CREATED")
    );
    webhooks::delete(&f.store, &owner, row.id)
        .await
        .expect("deleted");
    assert_eq!(
        f.audit_actions().await.first().map(String::as_str),
        Some("WEBHOOK_DELETED")
    );
    let again = webhooks::delete(&f.store, &owner, row.id).await;
    assert!(matches!(again, Err(OpError::NotFound(_))), "{again:?}");
}

#[tokio::test]
async fn the_hubs_own_address_other_schemes_and_unknown_events_are_refused() {
    let f = Fixture::new().await;
    let owner = actor(&f.owner);
    for url in [
        "http://127.0.0.1:3000/loop",
        "http://hub.test/x",
        "ftp://receiver.example/x",
    ] {
        let refused = webhooks::create(&f.store, &owner, &own(), request(url)).await;
        assert!(
            matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("url")),
            "{url}: {refused:?}"
        );
    }
    let mut odd = request("https://receiver.example/hook");
    odd.events = vec!["session.exploded".into()];
    let refused = webhooks::create(&f.store, &owner, &own(), odd).await;
    assert!(
        matches!(&refused, Err(OpError::Invalid { fields, .. }) if fields.contains_key("events")),
        "{refused:?}"
    );
    let (items, _) = f
        .store
        .list_audit(f.org_id(), None, 1, 10)
        .await
        .expect("audit");
    assert!(
        items.iter().all(|a| a.action != "WEBHOOK_CREATED"),
        "nothing saved"
    );
}
