//! `#status-table`: one row per user, in the hub's order.
//!
//! The server sends the rows written by [`push_status_row`] (the same markup as [`StatusRow`],
//! much faster to produce for 1,000 users). The browser hydrates that body as it is, then at
//! once swaps in the live rows of [`StatusRow`], built from the same data.
//!
//! [`push_status_row`]: crate::components::status_rows_html::push_status_row

use leptos::either::Either;
use leptos::prelude::*;

use crate::components::end_session::EndTarget;
use crate::components::status_row::StatusRow;
#[cfg(feature = "ssr")]
use crate::components::status_rows_html::push_status_row;
use crate::store::StatusStore;

/// `on_end`: set for admins and owners, who get "End session" on running sessions.
#[component]
pub fn StatusTable(store: StatusStore, on_end: Option<Callback<EndTarget>>) -> impl IntoView {
    let now_ms = store.now_ms;
    let empty = move || store.rows.with(Vec::is_empty);
    // Only the server writes the first rows; in the browser the body it sent is kept as it is.
    #[cfg(feature = "ssr")]
    let first_rows: std::sync::Arc<str> = store.rows.with_untracked(|rows| {
        let mut html = String::with_capacity(rows.len() * 512);
        for row in rows {
            row.entry
                .with_untracked(|e| push_status_row(&mut html, e, on_end.is_some()));
        }
        html.into()
    });
    #[cfg(not(feature = "ssr"))]
    let first_rows: std::sync::Arc<str> = std::sync::Arc::from("");
    // False while rendering on the server and hydrating; effects run only in the browser,
    // after hydration.
    let live_rows = RwSignal::new(false);
    Effect::new(move |_| live_rows.set(true));
    let body = move || {
        if live_rows.get() {
            Either::Left(view! {
                <tbody>
                    <For
                        each=move || store.rows.get()
                        key=|row| row.id
                        children=move |row| view! { <StatusRow entry=row.entry now_ms on_end/> }
                    />
                </tbody>
            })
        } else {
            Either::Right(view! { <tbody inner_html=first_rows.clone()></tbody> })
        }
    };
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
                {body}
            </table>
        </div>
        <Show when=empty>
            <p class="empty">"No users to show yet."</p>
        </Show>
    }
}
