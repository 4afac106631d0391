//! `/audit` (admins and owners): the organization's audit log, newest first, with an action
//! filter (a GET form, so the server renders the filtered page) and paging.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::audit_details::AuditDetails;
use crate::components::live_badge::LiveBadge;
use crate::components::pager::Pager;
use crate::components::since::Since;
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::query::AUDIT_ACTIONS;

#[component]
pub fn AuditPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.audit else {
        return view! { <Missing/> }.into_any();
    };
    let now_ms = clock();
    // The log is read on load; the link reports the viewer's activity and shows it is live.
    let live = live_link(|_| {});
    let query = page.query.clone();
    let chosen = query.action.clone().unwrap_or_default();
    let options = AUDIT_ACTIONS
        .iter()
        .map(|a| view! { <option value=*a selected=chosen == *a>{*a}</option> })
        .collect_view();
    let empty = page.list.items.is_empty();
    let (total, list_page, per_page) = (page.list.total, query.page, query.per_page);
    let rows = page
        .list
        .items
        .into_iter()
        .map(|entry| {
            let at = entry.created_at;
            let who = entry.actor_name.clone().unwrap_or_else(|| "system".into());
            view! {
                <tr data-audit-id=entry.id data-action=entry.action.clone()>
                    <td class="when">
                        <Since at=move || Some(at) now_ms/>
                    </td>
                    <td class="who">{who}</td>
                    <td class="action">
                        <span class="badge">{entry.action.clone()}</span>
                    </td>
                    <td class="details">
                        <AuditDetails entry=entry.clone()/>
                    </td>
                    <td class="ip">{entry.ip.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=title("Audit log", &data.viewer)/>
        <TopBar viewer=data.viewer current="/audit"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="audit-heading">"Audit log"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <form id="audit-filter" class="filters card" method="get" action="/audit">
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" name="action">
                        <option value="" selected=chosen.is_empty()>"All actions"</option>
                        {options}
                    </select>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="primary">"Filter"</button>
                </div>
            </form>
            <div class="table-wrap" role="region" aria-labelledby="audit-heading" tabindex="0">
                <table id="audit-table" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Details"</th>
                            <th scope="col" class="ip">"IP"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {empty.then(|| view! { <p class="empty">"No entries match."</p> })}
            <Pager
                page=list_page
                per_page=per_page
                total=total
                noun="entries"
                href=move |p| query.page_href(p)
            />
        </main>
    }
    .into_any()
}
