//! The header: organization, who is signed in, and the logout form.

use leptos::prelude::*;

use crate::data::Viewer;

#[component]
pub fn TopBar(viewer: Option<Viewer>) -> impl IntoView {
    let (org, who) = match viewer {
        Some(v) => (v.org_name, Some((v.user.name, v.user.role.as_str()))),
        None => (String::new(), None),
    };
    view! {
        <header class="top-bar">
            <div class="brand">
                <span class="org-name">{org}</span>
                <span class="app-name">"Presence Hub"</span>
            </div>
            {who.map(|(name, role)| view! {
                <div class="viewer">
                    <span class="viewer-name">{name}</span>
                    <span class="role-badge">{role}</span>
                    <form class="logout-form" method="post" action="/logout">
                        <button type="submit">"Log out"</button>
                    </form>
                </div>
            })}
        </header>
    }
}
