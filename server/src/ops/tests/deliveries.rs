//! The webhook deliverer's attempts and their retries.

use std::time::Duration;

use crate::domain::webhooks::GIVE_UP_AFTER_MS;
use crate::ops::deliveries::attempt_of;
use crate::store::{now_ms, Attempt, DueDelivery};

fn due(attempts: i64, created_at: i64) -> DueDelivery {
    DueDelivery {
        id: 1,
        org_id: 1,
        webhook_id: 1,
        delivery_id: "d-1".into(),
        event: "session.ended".into(),
        payload: "{}".into(),
        attempts,
        created_at,
        url: "http://receiver.test/hook".into(),
        secret: "whsec_test".into(),
    }
}

#[test]
fn a_2xx_is_delivered_and_a_failure_is_retried_later_each_time() {
    let now = now_ms();
    let base = Duration::from_secs(1);
    assert_eq!(
        attempt_of(&due(0, now), Ok(204), base, now),
        Attempt::Delivered { status: 204 }
    );
    let retry = |attempts| match attempt_of(
        &due(attempts, now),
        Err((Some(500), "HTTP 500".into())),
        base,
        now,
    ) {
        Attempt::Failed {
            retry_at: Some(at),
            status: Some(500),
            ..
        } => at - now,
        other => panic!("{other:?}"),
    };
    let (first, second, third) = (retry(0), retry(1), retry(2));
    assert!(
        first >= 1000 && second > first && third > second,
        "{first} {second} {third}"
    );
}

#[test]
fn a_delivery_older_than_a_day_is_given_up() {
    let now = now_ms();
    let old = due(9, now - GIVE_UP_AFTER_MS + 1);
    let attempt = attempt_of(
        &old,
        Err((None, "no answer".into())),
        Duration::from_secs(60),
        now,
    );
    assert!(
        matches!(
            attempt,
            Attempt::Failed {
                retry_at: None,
                status: None,
                ..
            }
        ),
        "{attempt:?}"
    );
}
