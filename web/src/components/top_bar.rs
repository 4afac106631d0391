//! The header: organization, the page links the viewer's role may use, who is signed in (a
//! link to their `/account`), and the logout form.

use leptos::prelude::*;
use shared::Role;

use crate::data::Viewer;

/// The pages of the navigation bar: path, label, lowest role that may open it.
const LINKS: [(&str, &str, Role); 15] = [
    ("/", "Status", Role::Member),
    ("/sessions", "Sessions", Role::Member),
    ("/timesheets", "Timesheets", Role::Member),
    ("/absences", "Absences", Role::Member),
    ("/reports", "Reports", Role::Member),
    ("/tickets", "Tickets", Role::Member),
    ("/screenshots", "Screenshots", Role::Member),
    ("/me", "My data", Role::Member),
    ("/servers", "Servers", Role::Supervisor),
    ("/settings/policy", "Policy", Role::Member),
    ("/downloads", "Downloads", Role::Member),
    ("/fleet", "Fleet", Role::Admin),
    ("/audit", "Audit log", Role::Admin),
    ("/users", "Users", Role::Admin),
    ("/settings/org", "Organization", Role::Admin),
];

/// `current`: the path of the page's section, marked `aria-current="page"`.
#[component]
pub fn TopBar(viewer: Option<Viewer>, #[prop(optional)] current: &'static str) -> impl IntoView {
    let (org, who) = match viewer {
        Some(v) => (v.org_name, Some((v.user.name, v.user.role))),
        None => (String::new(), None),
    };
    let nav = who.as_ref().map(|(_, role)| {
        let links = LINKS
            .iter()
            .filter(|(_, _, lowest)| role.at_least(*lowest))
            .map(|(path, label, _)| {
                let here = (*path == current).then_some("page");
                view! {
                    <li>
                        <a href=*path rel="external" aria-current=here>{*label}</a>
                    </li>
                }
            })
            .collect_view();
        view! {
            <nav class="main-nav" aria-label="Pages">
                <ul>{links}</ul>
            </nav>
        }
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="top-bar">
            <div class="brand">
                <span class="org-name">{org}</span>
                <span class="app-name">"Presence Hub"</span>
            </div>
            {nav}
            {who.map(|(name, role)| view! {
                <div class="viewer">
                    <a
                        class="viewer-name"
                        href="/account"
                        rel="external"
                        title="Your account"
                        aria-current=(current == "/account").then_some("page")
                    >
                        {name}
                    </a>
                    <span class="role-badge">{role.as_str()}</span>
                    <form class="logout-form" method="post" action="/logout">
                        <button type="submit">"Log out"</button>
                    </form>
                </div>
            })}
        </header>
    }
}
