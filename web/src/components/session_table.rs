//! A table of work sessions (`/sessions`, `/tickets/{id}`), newest first; rows change in place
//! when the store does.

use leptos::prelude::*;

use crate::components::end_session::EndTarget;
use crate::components::session_row::SessionRowView;
use crate::session_list::SessionListStore;

/// What the viewer may do to the rows.
#[derive(Debug, Clone, Copy)]
pub struct RowActions {
    pub viewer_id: i64,
    /// Admins and owners end anyone's running session (with a reason).
    pub on_end: Option<Callback<EndTarget>>,
    /// Stops the viewer's own running session.
    pub on_stop: Callback<i64>,
}

#[component]
pub fn SessionTable(
    /// The table's id: `sessions-table`, `ticket-sessions`.
    id: &'static str,
    /// The heading that names the table, for the scrollable region.
    labelled_by: &'static str,
    store: SessionListStore,
    show_user: bool,
    show_ticket: bool,
    actions: RowActions,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    let empty = move || store.rows.with(Vec::is_empty);
    view! {
        <div class="table-wrap" role="region" aria-labelledby=labelled_by tabindex="0">
            <table id=id class="data-table">
                <thead>
                    <tr>
                        {show_user.then(|| view! { <th scope="col">"User"</th> })}
                        {show_ticket.then(|| view! { <th scope="col">"Ticket"</th> })}
                        <th scope="col">"Started"</th>
                        <th scope="col">"Duration"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Note"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || store.rows.get()
                        key=|row| row.id
                        children=move |row| {
                            view! {
                                <SessionRowView info=row.info show_user show_ticket actions now_ms/>
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
        <Show when=empty>
            <p class="empty">"No sessions match."</p>
        </Show>
    }
}
