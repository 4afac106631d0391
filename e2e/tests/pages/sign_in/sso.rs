//! Single sign-on against a real OpenID provider: the npm package oauth2-mock-server
//! (`e2e/sso/mock-idp.mjs`: RS256-signed tokens, published keys, PKCE, the nonce of the
//! authorize request) and the real hub, both on loopback.
//!
//! Hop by hop with a plain HTTP client (no redirects followed, no cookie jar: each answer is
//! looked at and the flow cookie carried by hand): a member signs in and lands on `/`; then
//! every refusal, each with its page (status and words) and its `SSO_REFUSED` audit row: the
//! same answer twice, a `state` that is not the browser's, the provider's `error=`, a wrong
//! `nonce`, a wrong `aud`, an expired token, a token signed by another key,
//! `email_verified: false`, a domain that is not allowed; a new person of an allowed domain
//! joins as a member; with `sso_only` a member's password login answers 409 `sso_required`
//! while the owner's still works.
//!
//! In headless Chromium: a member types their e-mail on `/login`, "Sign in with Demo Co"
//! appears, one click goes through the provider and lands on `/` signed in as them.
//! Screenshot: `e2e/output/login-sso.png` (the login page with the button).

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::mock_idp::{MockIdp, TokenMode};
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page};
use reqwest::Method;
use serde_json::{json, Value};

const CLIENT_ID: &str = "presence-hub";
const NOT_STARTED_HERE: &str = "This sign-in was not started in this browser";
const UNVERIFIED: &str = "The identity provider's answer could not be verified.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hop_and_every_refusal_with_a_real_provider() {
    let idp = MockIdp::start("sso-hops-idp")
        .await
        .expect("the mock OpenID provider starts (Node.js and oauth2-mock-server: e2e/scripts/prepare.sh test)");
    let hub = Hub::start(HubOptions {
        label: "sso-hops-hub".into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let outcome = hops(&hub, &idp).await;
    if let Err(e) = &outcome {
        eprintln!(
            "hub log (tail):\n{}\nprovider log (tail):\n{}",
            hub.log_tail(40),
            idp.log_tail(40)
        );
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly");
}

async fn hops(hub: &Hub, idp: &MockIdp) -> anyhow::Result<()> {
    let http = plain_http()?;
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
    let org_id = configure(hub, &owner, idp, false).await?;

    // A member of the organization signs in and lands on `/` with a session.
    idp.next_token(TokenMode::Normal, "alice@demo.test", None)
        .await?;
    let answer = to_the_provider_and_back(&http, hub, idp, org_id, "alice@demo.test").await?;
    let landed = finish(&http, &answer).await?;
    ensure!(landed.status() == 303, "callback: {}", landed.status());
    ensure!(
        location(&landed)? == "/",
        "lands on {:?}",
        location(&landed)?
    );
    let session = cookie_of(&landed, "ph_session").context("the session cookie")?;
    ensure!(
        landed
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("ph_sso=;") && c.contains("Max-Age=0")),
        "the flow cookie is cleared"
    );
    let me: Value = http
        .get(hub.http_url("/api/auth/me"))
        .header("cookie", &session)
        .send()
        .await?
        .json()
        .await?;
    ensure!(me["email"] == "alice@demo.test", "signed in as {me}");
    let (status, _, page) = get_with(&http, &hub.http_url("/"), Some(&session)).await?;
    ensure!(
        status == 200 && page.contains("Alice Archer"),
        "/ as Alice: {status}"
    );
    let logins = owner
        .get_json(&hub.url, "/api/audit?action=SSO_LOGIN")
        .await?;
    ensure!(
        logins["items"][0]["details"]["email"] == "alice@demo.test",
        "SSO_LOGIN: {logins}"
    );

    // The same answer again (a replay): the sign-in is used up.
    let replay = finish(&http, &answer).await?;
    refused(
        replay,
        400,
        "The sign-in link was already used or is too old; start again",
    )
    .await?;
    expect_audited(hub, &owner, "used", None).await?;

    // A `state` that is not the one this browser started.
    let answer = to_the_provider_and_back(&http, hub, idp, org_id, "alice@demo.test").await?;
    let forged = Answer {
        callback: with_param(&answer.callback, "state", "forged-state")?,
        cookie: answer.cookie.clone(),
    };
    refused(finish(&http, &forged).await?, 400, NOT_STARTED_HERE).await?;
    expect_audited(hub, &owner, "state_mismatch", None).await?;

    // The provider's own refusal (`error=`), instead of a code.
    let answer = to_the_provider_and_back(&http, hub, idp, org_id, "alice@demo.test").await?;
    let state = param_of(&answer.callback, "state")?;
    let denied = Answer {
        callback: format!(
            "{}?error=access_denied&error_description=Not+today&state={state}",
            hub.http_url("/auth/sso/callback")
        ),
        cookie: answer.cookie.clone(),
    };
    refused(
        finish(&http, &denied).await?,
        400,
        "did not sign you in (access_denied)",
    )
    .await?;
    expect_audited(hub, &owner, "provider_error", Some("Not today")).await?;

    // ID tokens that must not verify: each refused with the same words, the reason audited.
    for (mode, why) in [
        (TokenMode::WrongNonce, "nonce"),
        (TokenMode::WrongAudience, "audience"),
        (TokenMode::Expired, "expired"),
        (TokenMode::OtherKey, "signature"),
    ] {
        idp.next_token(mode, "alice@demo.test", None).await?;
        let answer = to_the_provider_and_back(&http, hub, idp, org_id, "alice@demo.test").await?;
        refused(finish(&http, &answer).await?, 400, UNVERIFIED)
            .await
            .with_context(|| format!("{mode:?}"))?;
        expect_audited(hub, &owner, "token_invalid", Some(why))
            .await
            .with_context(|| format!("{mode:?}"))?;
    }

    // An e-mail the provider has not verified.
    idp.next_token(TokenMode::EmailUnverified, "alice@demo.test", None)
        .await?;
    let answer = to_the_provider_and_back(&http, hub, idp, org_id, "alice@demo.test").await?;
    refused(
        finish(&http, &answer).await?,
        403,
        "Your identity provider has not verified this e-mail address",
    )
    .await?;
    expect_audited(hub, &owner, "email_not_verified", None).await?;

    // A domain the organization does not take.
    idp.next_token(TokenMode::Normal, "eve@elsewhere.test", None)
        .await?;
    let answer = to_the_provider_and_back(&http, hub, idp, org_id, "eve@elsewhere.test").await?;
    refused(
        finish(&http, &answer).await?,
        403,
        "elsewhere.test is not allowed to join Demo Co; ask an admin to invite you.",
    )
    .await?;
    let audited = expect_audited(hub, &owner, "domain_not_allowed", None).await?;
    ensure!(audited["email"] == "eve@elsewhere.test", "{audited}");

    // A new person of an allowed domain joins as a member, named by the provider.
    idp.next_token(TokenMode::Normal, "nora@demo.test", Some("Nora New"))
        .await?;
    let answer = to_the_provider_and_back(&http, hub, idp, org_id, "nora@demo.test").await?;
    let joined = finish(&http, &answer).await?;
    ensure!(
        joined.status() == 303 && location(&joined)? == "/",
        "the new member lands on /: {}",
        joined.status()
    );
    let users = owner.get_json(&hub.url, "/api/users?per_page=100").await?;
    let nora = users["items"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["email"] == "nora@demo.test"))
        .context("Nora is a user now")?;
    ensure!(
        nora["name"] == "Nora New" && nora["role"] == "member",
        "{nora}"
    );
    let created = owner
        .get_json(&hub.url, "/api/audit?action=USER_CREATED")
        .await?;
    ensure!(
        created["items"][0]["details"]["via"] == "sso",
        "USER_CREATED: {created}"
    );

    // sso_only: a member's password is refused (409), the owner's still works.
    configure(hub, &owner, idp, true).await?;
    let res = http
        .post(hub.http_url("/api/auth/login"))
        .json(&json!({"email": "bob@demo.test", "password": DEMO_PASSWORD}))
        .send()
        .await?;
    ensure!(
        res.status() == 409,
        "a member's password login: {}",
        res.status()
    );
    let body: Value = res.json().await?;
    ensure!(body["error"]["code"] == "sso_required", "{body}");
    ensure!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Sign in with Demo Co")),
        "{body}"
    );
    ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await
        .context("the owner's break-glass password")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_through_the_provider_in_the_browser() {
    let idp = MockIdp::start("sso-browser-idp")
        .await
        .expect("the mock OpenID provider starts (Node.js and oauth2-mock-server: e2e/scripts/prepare.sh test)");
    let test = BrowserTest::start("sso", HubOptions::default(), &["member"]).await;
    let outcome = in_the_browser(&test.hub, &idp, test.page(0)).await;
    if outcome.is_err() {
        eprintln!("provider log (tail):\n{}", idp.log_tail(40));
    }
    test.finish(outcome).await;
}

async fn in_the_browser(hub: &Hub, idp: &MockIdp, member: Page<'_>) -> anyhow::Result<()> {
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
    let org_id = configure(hub, &owner, idp, false).await?;
    idp.next_token(TokenMode::Normal, "alice@demo.test", None)
        .await?;

    member.visit("/login").await?;
    member
        .wait_for(
            "the login page hydrated",
            15,
            "const e = document.querySelector('.sso-signin'); return !!e && e.dataset.hydrated === 'true';",
            vec![],
        )
        .await?;
    ensure!(
        member.count("#sso-signin").await? == 0,
        "no provider button before an e-mail is typed"
    );
    member.type_into("#email", "alice@demo.test").await?;
    member
        .wait_text("#sso-signin", "Sign in with Demo Co", 15)
        .await?;
    let href = member
        .attribute("#sso-signin", "href")
        .await?
        .unwrap_or_default();
    ensure!(
        href == format!("/auth/sso/{org_id}/start?login_hint=alice%40demo.test"),
        "the button's link: {href}"
    );
    ensure!(
        member.text("#sso-submit").await?.is_none(),
        "the no-JavaScript button gives way to the provider's"
    );
    member.screenshot("login-sso.png").await?;

    member.click("#sso-signin").await?;
    member.wait_path("/", 20).await?;
    member.wait_live().await?;
    let who = member.text(".viewer-name").await?;
    ensure!(
        who.as_deref() == Some("Alice Archer"),
        "signed in as {who:?}"
    );
    let logins = owner
        .get_json(&hub.url, "/api/audit?action=SSO_LOGIN")
        .await?;
    ensure!(
        logins["items"][0]["details"]["email"] == "alice@demo.test",
        "SSO_LOGIN: {logins}"
    );
    member.no_errors().await
}

// ---- helpers ----

/// An HTTP client that follows no redirect and keeps no cookie: each hop is looked at.
fn plain_http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// The owner points the demo organization at the provider (members of demo.test may join);
/// answers the organization's id.
async fn configure(
    hub: &Hub,
    owner: &ApiSession,
    idp: &MockIdp,
    sso_only: bool,
) -> anyhow::Result<i64> {
    let saved = owner
        .call(
            &hub.url,
            Method::PUT,
            "/api/org/sso",
            &json!({
                "issuer": idp.issuer,
                "client_id": CLIENT_ID,
                "client_secret": "hub-client-secret",
                "allowed_domains": ["demo.test"],
                "sso_only": sso_only,
            }),
        )
        .await?;
    ensure!(
        saved["callback_url"] == format!("{}/auth/sso/callback", hub.url),
        "{saved}"
    );
    owner.user["org_id"].as_i64().context("the owner's org_id")
}

/// The provider's answer on its way back: the callback URL it redirected to, and the flow
/// cookie the hub set when the sign-in started.
struct Answer {
    callback: String,
    cookie: String,
}

/// `/auth/sso/{org}/start` (303 to the provider, with the flow cookie), then the provider's
/// authorize endpoint (which signs in at once and redirects back to the hub).
async fn to_the_provider_and_back(
    http: &reqwest::Client,
    hub: &Hub,
    idp: &MockIdp,
    org_id: i64,
    login_hint: &str,
) -> anyhow::Result<Answer> {
    let mut start = reqwest::Url::parse(&hub.http_url(&format!("/auth/sso/{org_id}/start")))?;
    start
        .query_pairs_mut()
        .append_pair("login_hint", login_hint);
    let started = http.get(start).send().await?;
    ensure!(started.status() == 303, "start: {}", started.status());
    let to_provider = location(&started)?;
    ensure!(
        to_provider.starts_with(&format!("{}/authorize?", idp.issuer)),
        "start sends the browser to the provider: {to_provider}"
    );
    for (name, expected) in [
        ("response_type", Some("code")),
        ("client_id", Some(CLIENT_ID)),
        ("code_challenge_method", Some("S256")),
        ("code_challenge", None),
        ("state", None),
        ("nonce", None),
        ("login_hint", Some(login_hint)),
    ] {
        let value = param_of(&to_provider, name)?;
        ensure!(
            expected.is_none_or(|e| value == e),
            "{name}={value} in {to_provider}"
        );
    }
    ensure!(
        param_of(&to_provider, "redirect_uri")? == hub.http_url("/auth/sso/callback"),
        "{to_provider}"
    );
    ensure!(
        param_of(&to_provider, "scope")?
            .split(' ')
            .any(|s| s == "openid"),
        "{to_provider}"
    );
    let cookie = cookie_of(&started, "ph_sso").context("the flow cookie")?;
    let authorized = http.get(&to_provider).send().await?;
    ensure!(
        authorized.status().is_redirection(),
        "the provider's authorize: {}",
        authorized.status()
    );
    let callback = location(&authorized)?;
    ensure!(
        callback.starts_with(&hub.http_url("/auth/sso/callback?")),
        "the provider sends the browser back: {callback}"
    );
    Ok(Answer { callback, cookie })
}

/// The browser arriving back at the hub with the answer and its flow cookie.
async fn finish(http: &reqwest::Client, answer: &Answer) -> anyhow::Result<reqwest::Response> {
    Ok(http
        .get(&answer.callback)
        .header("cookie", &answer.cookie)
        .send()
        .await?)
}

/// A refusal page: `status`, `words` on it, and the way back to `/login`.
async fn refused(res: reqwest::Response, status: u16, words: &str) -> anyhow::Result<()> {
    let got = res.status();
    let page = res.text().await?;
    ensure!(got == status, "expected {status}, got {got}: {page}");
    ensure!(page.contains(words), "the page says {words:?}: {page}");
    ensure!(
        page.contains(r#"href="/login""#),
        "a link back to /login: {page}"
    );
    ensure!(
        !page.contains("ph_session"),
        "nothing about a session on a refusal"
    );
    Ok(())
}

/// The newest `SSO_REFUSED` row must have `reason` (and `detail` containing `detail`, any
/// case); answers its details.
async fn expect_audited(
    hub: &Hub,
    owner: &ApiSession,
    reason: &str,
    detail: Option<&str>,
) -> anyhow::Result<Value> {
    let list = owner
        .get_json(&hub.url, "/api/audit?action=SSO_REFUSED&per_page=1")
        .await?;
    let details = list["items"][0]["details"].clone();
    ensure!(
        details["reason"] == reason,
        "SSO_REFUSED {reason}: {details}"
    );
    if let Some(detail) = detail {
        let text = details["detail"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        ensure!(
            text.contains(&detail.to_lowercase()),
            "SSO_REFUSED detail mentions {detail:?}: {details}"
        );
    }
    Ok(details)
}

fn location(res: &reqwest::Response) -> anyhow::Result<String> {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .context("a Location header")
}

/// `name=value` of the `Set-Cookie` named `name`, to send back as a `Cookie` header.
fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(n, v)| n == name && !v.is_empty())
        })
        .map(str::to_string)
}

fn param_of(url: &str, name: &str) -> anyhow::Result<String> {
    reqwest::Url::parse(url)?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no {name} in {url}"))
}

/// `url` with the query parameter `name` replaced by `value`.
fn with_param(url: &str, name: &str, value: &str) -> anyhow::Result<String> {
    let mut parsed = reqwest::Url::parse(url)?;
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    Ok(parsed.to_string())
}

/// `GET url` (with a `Cookie` header when given): status, `Location`, body.
async fn get_with(
    http: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
) -> anyhow::Result<(u16, String, String)> {
    let mut req = http.get(url);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Ok((status, location, res.text().await?))
}
