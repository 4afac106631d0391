//! One `<tr>` of the status table; it updates in place when its entry changes.
//!
//! Cells read the entry through plain closures, not memos: rendering `/` for 1,000 users
//! took twice as long with five memos a row, and a changed entry re-running a few closures
//! of its own row costs nothing in the browser.

use leptos::prelude::*;
use shared::PresenceEntry;

use crate::components::end_session::{EndButton, EndTarget};
use crate::components::{session_cell::SessionCell, since::Since, status_dot::StatusDot};

#[component]
pub fn StatusRow(
    entry: ArcRwSignal<PresenceEntry>,
    now_ms: RwSignal<Option<i64>>,
    on_end: Option<Callback<EndTarget>>,
) -> impl IntoView {
    let id = entry.with_untracked(|e| e.user_id);
    let name = field(&entry, |e| e.name.clone());
    let role = field(&entry, |e| e.role.as_str());
    let status = field(&entry, |e| e.status);
    let status_attr = field(&entry, |e| e.status.as_str());
    let last_activity = field(&entry, |e| e.last_activity_at);
    let session = field(&entry, |e| e.active_session.clone());
    let dnd = field(&entry, |e| e.dnd);
    let context = field(&entry, |e| e.context.clone());
    // Only for admins: the button of the running session, if there is one. Keyed by the
    // session id alone, so a presence change does not rebuild it (and drop its focus).
    let end = on_end.map(|on_end| {
        let entry = entry.clone();
        let running = Memo::new({
            let entry = entry.clone();
            move |_| entry.with(|e| e.active_session.as_ref().map(|s| s.id))
        });
        move || {
            running.get().map(|session_id| {
                let user_name = entry.with_untracked(|e| e.name.clone());
                view! { <EndButton session_id user_name on_end/> }
            })
        }
    });

    view! {
        <tr data-user-id=id data-status=status_attr>
            <td class="name">{name}</td>
            <td class="role">{role}</td>
            <td class="status">
                <StatusDot status/>
                {move || dnd().then(|| view! { <span title="Do not disturb" class="dnd">"do not disturb"</span> })}
                {move || {
                    context()
                        .map(|c| {
                            view! {
                                <span data-context=c.kind.as_str() class="context">{c.text()}</span>
                            }
                        })
                }}
            </td>
            <td class="last-activity">
                <Since at=last_activity now_ms/>
            </td>
            <td class="session">
                <SessionCell session now_ms/>
                {end}
            </td>
        </tr>
    }
}

/// A reactive read of one field of the entry.
fn field<T: 'static>(
    entry: &ArcRwSignal<PresenceEntry>,
    get: fn(&PresenceEntry) -> T,
) -> impl Fn() -> T + Clone + Send + Sync + 'static {
    let entry = entry.clone();
    move || entry.with(get)
}
