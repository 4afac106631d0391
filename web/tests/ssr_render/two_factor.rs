//! The server render of two-factor sign-in: `/login`'s second step is a plain HTML form (no
//! JavaScript needed), and `/account` shows the state and what the organization requires.
#![cfg(feature = "ssr")]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::location::RequestUrl;
use shared::api::{UserInfo, UserRecord};
use shared::two_factor::TwoFactorStatus;
use shared::Role;
use web::data::{AccountPageData, LoginMfaData, PageData, Viewer};

fn render(path: &str, data: PageData) -> String {
    let owner = Owner::new();
    owner.with(|| {
        provide_context(RequestUrl::new(path));
        provide_context(data);
        view! { <web::App/> }.to_html()
    })
}

fn second_step(error: Option<&str>, recovery: bool) -> PageData {
    PageData {
        login_mfa: Some(LoginMfaData {
            mfa_token: "tok-123".into(),
            error: error.map(str::to_string),
            recovery,
        }),
        login_next: Some("/device?code=BCDF".into()),
        ..PageData::default()
    }
}

#[test]
fn the_second_step_asks_for_the_code_in_a_plain_form() {
    for path in ["/login", "/login/mfa"] {
        let html = render(path, second_step(Some("Wrong code."), false));
        assert!(html.contains(r#"id="mfa-form""#), "{path}: {html}");
        assert!(
            html.contains(r#"method="post" action="/login/mfa""#),
            "{html}"
        );
        assert!(
            html.contains(r#"name="mfa_token" value="tok-123""#),
            "{html}"
        );
        assert!(
            html.contains(r#"autocomplete="one-time-code""#)
                && html.contains(r#"inputmode="numeric""#),
            "{html}"
        );
        assert!(
            html.contains(r#"name="next" value="/device?code=BCDF""#),
            "{html}"
        );
        assert!(html.contains(r#"id="mfa-error""#) && html.contains("Wrong code."));
        assert!(
            html.contains("Use a recovery code") && html.contains(r#"name="recovery_code""#),
            "{html}"
        );
        assert!(
            !html.contains(r#"name="password""#),
            "the password is not asked again: {html}"
        );
    }
}

#[test]
fn a_refused_recovery_code_is_shown_in_its_own_form() {
    let html = render(
        "/login/mfa",
        second_step(Some("This recovery code is wrong."), true),
    );
    assert!(html.contains(r#"id="mfa-recovery-error""#), "{html}");
    assert!(!html.contains(r#"id="mfa-error""#), "{html}");
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .expect("a time")
}

fn account(two_factor: TwoFactorStatus) -> PageData {
    let user = UserRecord {
        id: 7,
        org_id: 1,
        name: "Ann".into(),
        email: "ann@acme.test".into(),
        role: Role::Member,
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
        active: true,
        created_at: at("2026-01-05T09:00:00Z"),
        last_activity_at: None,
    };
    PageData {
        viewer: Some(Viewer {
            user: UserInfo {
                id: 7,
                name: "Ann".into(),
                email: "ann@acme.test".into(),
                role: Role::Member,
                org_id: 1,
            },
            org_name: "Acme".into(),
        }),
        account: Some(AccountPageData {
            user,
            devices: Vec::new(),
            org_timezone: "UTC".into(),
            two_factor,
        }),
        ..PageData::default()
    }
}

#[test]
fn the_account_page_says_whether_it_is_on_and_what_is_required() {
    let off = render(
        "/account",
        account(TwoFactorStatus {
            enabled: false,
            recovery_codes_left: 0,
            required: true,
        }),
    );
    assert!(off.contains(r#"id="two-factor""#), "{off}");
    assert!(off.contains(r#"id="two-factor-required""#), "{off}");
    assert!(off.contains(r#"id="two-factor-setup""#), "{off}");
    assert!(off.contains("Off: signing in asks for your password only."));

    let on = render(
        "/account",
        account(TwoFactorStatus {
            enabled: true,
            recovery_codes_left: 7,
            required: false,
        }),
    );
    assert!(on.contains("7 recovery codes left"), "{on}");
    assert!(on.contains(r#"id="two-factor-renew-form""#), "{on}");
    assert!(on.contains(r#"id="two-factor-disable-form""#), "{on}");
    assert!(!on.contains(r#"id="two-factor-setup""#), "{on}");
}
