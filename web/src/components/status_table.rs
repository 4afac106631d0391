//! `#status-table`: one row per user, in the hub's order.

use leptos::prelude::*;

use crate::components::end_session::EndTarget;
use crate::components::status_row::StatusRow;
use crate::store::StatusStore;

/// `on_end`: set for admins and owners, who get "End session" on running sessions.
#[component]
pub fn StatusTable(store: StatusStore, on_end: Option<Callback<EndTarget>>) -> impl IntoView {
    let now_ms = store.now_ms;
    let empty = move || store.rows.with(Vec::is_empty);
    view! {
        <div class="table-wrap" role="region" aria-labelledby="status-heading" tabindex="0">
            <table id="status-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last activity"</th>
                        <th scope="col">"Session"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || store.rows.get()
                        key=|row| row.id
                        children=move |row| view! { <StatusRow entry=row.entry now_ms on_end/> }
                    />
                </tbody>
            </table>
        </div>
        <Show when=empty>
            <p class="empty">"No users to show yet."</p>
        </Show>
    }
}
