//! "Sign in with {org}" on `/login` (SPEC §17). Once the page is hydrated, the e-mail typed in
//! the form is looked up by its domain (`GET /api/auth/sso/lookup`); when an organization signs
//! that domain in through its identity provider, a button to its sign-in appears (the e-mail
//! goes along as the provider's login hint). Without JavaScript, the form's second submit
//! button, "Use single sign-on", asks the hub the same (`POST /auth/sso`): it answers with the
//! provider, or back here with `?sso=unknown`, which this component explains.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::sso::SsoLookup;

use crate::api;
use crate::connect::hydrated;

/// The domain worth asking about: after the `@`, with a dot and a top-level part of two
/// letters or more (so "ann@acme.t" asks nothing yet).
fn lookup_domain(email: &str) -> Option<String> {
    let domain = email.trim().rsplit_once('@')?.1.to_lowercase();
    let (_, top) = domain.rsplit_once('.')?;
    let plausible = top.len() >= 2
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    plausible.then_some(domain)
}

/// `text` for a query string: everything but the unreserved characters percent-encoded.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The organization's start, with the e-mail as login hint and where to go afterwards.
fn start_href(start_url: &str, email: &str, next: Option<&str>) -> String {
    let mut href = format!("{start_url}?login_hint={}", query_escape(email.trim()));
    if let Some(next) = next {
        href.push_str("&next=");
        href.push_str(&query_escape(next));
    }
    href
}

/// The single sign-on part of the login form: `email` is the form's e-mail field, `next`
/// where to go once signed in. Render it inside the form, after its own submit button (the
/// first submit button stays the password's, for Enter).
#[component]
pub fn SsoSignIn(email: RwSignal<String>, next: Option<String>) -> impl IntoView {
    let found = RwSignal::new(None::<SsoLookup>);
    let domain = Memo::new(move |_| email.with(|e| lookup_domain(e)));
    let next = StoredValue::new(next);
    let ready = hydrated();

    // Runs in the browser only (effects do not run while rendering on the server).
    Effect::new(move |_| {
        let Some(asked) = domain.get() else {
            found.set(None);
            return;
        };
        let address = email.get_untracked();
        leptos::task::spawn_local(async move {
            let path = format!(
                "/api/auth/sso/lookup?email={}",
                query_escape(address.trim())
            );
            let answer = api::get::<SsoLookup>(&path).await.ok();
            // An answer for a domain typed over meanwhile is dropped.
            if domain.get_untracked().as_deref() == Some(asked.as_str()) {
                found.set(answer);
            }
        });
    });

    let explained = use_query_map()
        .with_untracked(|q| q.get("sso"))
        .and_then(|why| match why.as_str() {
            "unknown" => Some(
                "No organization on this hub signs in this e-mail's domain with single sign-on. Sign in with your password, or ask an admin.",
            ),
            "email" => Some("Type your e-mail address first, then choose “Use single sign-on”."),
            _ => None,
        });

    view! {
        <div class="sso-signin" data-hydrated=move || ready.get().to_string()>
            {move || found.get().map(|f| {
                let start = f.start_url.clone();
                let href = move || start_href(&start, &email.get(), next.get_value().as_deref());
                view! {
                    <a id="sso-signin" class="button-link sso-button" href=href rel="external">
                        "Sign in with " {f.org_name.clone()}
                    </a>
                }
            })}
            <button
                type="submit"
                id="sso-submit"
                formaction="/auth/sso"
                formmethod="post"
                formnovalidate
                hidden=move || found.with(Option::is_some)
            >
                "Use single sign-on"
            </button>
            {explained.map(|message| view! {
                <p class="form-error" id="sso-error" role="alert">{message}</p>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_domains_are_asked_about() {
        assert_eq!(lookup_domain("ann@Acme.Test"), Some("acme.test".into()));
        assert_eq!(lookup_domain("ann@acme.t"), None);
        assert_eq!(lookup_domain("ann@acme"), None);
        assert_eq!(lookup_domain("ann"), None);
        assert_eq!(lookup_domain("ann@ac me.test"), None);
    }

    #[test]
    fn the_start_link_carries_the_hint_and_the_way_back() {
        assert_eq!(
            start_href(
                "/auth/sso/3/start",
                " ann+x@acme.test ",
                Some("/device?code=AB")
            ),
            "/auth/sso/3/start?login_hint=ann%2Bx%40acme.test&next=%2Fdevice%3Fcode%3DAB"
        );
        assert_eq!(
            start_href("/auth/sso/3/start", "a@b.c", None),
            "/auth/sso/3/start?login_hint=a%40b.c"
        );
    }
}
