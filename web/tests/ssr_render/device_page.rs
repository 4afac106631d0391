//! The server render of `/device` (SPEC §17): who asks to sign in, with Approve and Deny that
//! wait for hydration; without a waiting sign-in, the code's plain GET form with the reason;
//! and `/login` carrying the way back.
#![cfg(feature = "ssr")]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::location::RequestUrl;
use shared::api::UserInfo;
use shared::device_flow::DeviceLoginRequest;
use shared::Role;
use web::data::{DevicePageData, PageData, Viewer};

fn render(path: &str, data: PageData) -> String {
    let owner = Owner::new();
    owner.with(|| {
        provide_context(RequestUrl::new(path));
        provide_context(data);
        view! { <web::App/> }.to_html()
    })
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn viewer() -> Option<Viewer> {
    Some(Viewer {
        user: UserInfo {
            id: 7,
            name: "Ann".into(),
            email: "ann@acme.test".into(),
            role: Role::Member,
            org_id: 1,
        },
        org_name: "Acme".into(),
    })
}

#[test]
fn a_waiting_sign_in_shows_who_asks_and_both_answers() {
    let html = render(
        "/device?code=BCDF-GHJK",
        PageData {
            viewer: viewer(),
            device: Some(DevicePageData {
                code: "BCDF-GHJK".into(),
                request: Some(DeviceLoginRequest {
                    user_code: "BCDF-GHJK".into(),
                    client_name: "presence-agent on build-box".into(),
                    client_ip: Some("10.0.0.7".into()),
                    created_at: at("2026-03-02T09:15:00Z"),
                    expires_at: at("2026-03-02T09:25:00Z"),
                }),
                error: None,
            }),
            ..PageData::default()
        },
    );
    assert!(html.contains("presence-agent on build-box"), "{html}");
    assert!(
        html.contains("10.0.0.7") && html.contains("BCDF-GHJK"),
        "{html}"
    );
    assert!(html.contains("2026-03-02 09:15 UTC"), "{html}");
    for id in ["device-approve", "device-deny"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(
        html.contains(r#"data-hydrated="false""#),
        "the buttons wait for hydration: {html}"
    );
    assert!(!html.contains("id=\"device-code-form\""), "{html}");
}

#[test]
fn without_a_waiting_sign_in_the_page_asks_for_the_code_and_says_why() {
    let html = render(
        "/device?code=BBBB-BBBB",
        PageData {
            viewer: viewer(),
            device: Some(DevicePageData {
                code: "BBBB-BBBB".into(),
                request: None,
                error: Some("No device is waiting with this code.".into()),
            }),
            ..PageData::default()
        },
    );
    assert!(
        html.contains(r#"method="get" action="/device""#),
        "a plain form: {html}"
    );
    assert!(
        html.contains(r#"name="code""#) && html.contains("BBBB-BBBB"),
        "{html}"
    );
    assert!(
        html.contains("No device is waiting with this code."),
        "{html}"
    );
    assert!(!html.contains("id=\"device-approve\""), "{html}");
}

#[test]
fn the_login_form_carries_the_way_back() {
    let html = render(
        "/login?next=%2Fdevice%3Fcode%3DBCDF-GHJK",
        PageData {
            login_next: Some("/device?code=BCDF-GHJK".into()),
            ..PageData::default()
        },
    );
    assert!(
        html.contains(r#"name="next""#) && html.contains(r#"value="/device?code=BCDF-GHJK""#),
        "{html}"
    );
}
