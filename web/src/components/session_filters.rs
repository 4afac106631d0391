//! `#session-filters`: a plain GET form, so the server renders the filtered first page (and
//! the filters work without JavaScript).

use leptos::prelude::*;

use crate::components::ticket_select::TicketSelect;
use crate::data::{TicketOption, UserOption};
use crate::query::SessionQuery;

#[component]
pub fn SessionFilters(
    query: SessionQuery,
    /// Empty for members: they only see their own sessions.
    users: Vec<UserOption>,
    tickets: Vec<TicketOption>,
) -> impl IntoView {
    let user_field = (!users.is_empty()).then(|| {
        let chosen = query.user_id;
        let options = users
            .into_iter()
            .map(|u| {
                let selected = Some(u.id) == chosen;
                view! { <option value=u.id.to_string() selected=selected>{u.name}</option> }
            })
            .collect_view();
        view! {
            <div class="field">
                <label for="filter-user">"User"</label>
                <select id="filter-user" name="user_id">
                    <option value="" selected=chosen.is_none()>"All users"</option>
                    {options}
                </select>
            </div>
        }
    });
    let ticket = RwSignal::new(query.ticket_id.map(|t| t.to_string()).unwrap_or_default());
    let state = query.active;
    let from = query.from.map(|d| d.to_string()).unwrap_or_default();
    let to = query.to.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <form id="session-filters" class="filters card" method="get" action="/sessions">
            <h2 class="visually-hidden">"Filters"</h2>
            {user_field}
            <div class="field">
                <label for="filter-ticket">"Ticket"</label>
                <TicketSelect
                    id="filter-ticket"
                    name="ticket_id"
                    tickets
                    none_label="All tickets"
                    value=ticket
                />
            </div>
            <div class="field">
                <label for="filter-active">"State"</label>
                <select id="filter-active" name="active">
                    <option value="" selected=state.is_none()>"All"</option>
                    <option value="true" selected=state == Some(true)>"Active"</option>
                    <option value="false" selected=state == Some(false)>"Completed"</option>
                </select>
            </div>
            <div class="field">
                <label for="filter-from">"From (UTC day)"</label>
                <input id="filter-from" name="from" type="date" value=from/>
            </div>
            <div class="field">
                <label for="filter-to">"To (UTC day, included)"</label>
                <input id="filter-to" name="to" type="date" value=to/>
            </div>
            <div class="filter-actions">
                <button type="submit" class="primary">"Apply filters"</button>
                <a href="/sessions" rel="external">"Clear"</a>
            </div>
        </form>
    }
}
