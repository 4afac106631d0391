//! `/tickets`: the organization's tickets with the time spent on them, and a create form.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::Ticket;

use crate::components::live_badge::LiveBadge;
use crate::components::pager::Pager;
use crate::components::ticket_form::TicketForm;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{not_found::NotFound, title};
use crate::query::page_href;
use crate::time::{day, hms};

#[component]
pub fn TicketsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.tickets else {
        return view! { <NotFound/> }.into_any();
    };
    // Nothing on this page changes by push; the link still reports the viewer's activity.
    let live = live_link(|_| {});
    let first_page = page.list.page == 1;
    let tickets = RwSignal::new(page.list.items);
    let total = RwSignal::new(page.list.total);
    let on_created = Callback::new(move |t: Ticket| {
        total.update(|n| *n += 1);
        if first_page {
            tickets.update(|v| v.insert(0, t));
        }
    });
    let empty = move || tickets.with(Vec::is_empty);

    view! {
        <Title text=title("Tickets", &data.viewer)/>
        <TopBar viewer=data.viewer current="/tickets"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="tickets-heading">"Tickets"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <div class="table-wrap" role="region" aria-labelledby="tickets-heading" tabindex="0">
                <table id="tickets-table" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Number"</th>
                            <th scope="col">"Title"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="num">"Total time"</th>
                            <th scope="col" class="num">"Sessions"</th>
                            <th scope="col" class="created">"Created"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || tickets.get()
                            key=|t| t.id
                            children=move |t| {
                                let href = format!("/tickets/{}", t.id);
                                view! {
                                    <tr data-ticket-id=t.id>
                                        <td class="number">
                                            <a href=href.clone() rel="external">"#" {t.number}</a>
                                        </td>
                                        <td class="title">
                                            <a href=href rel="external">{t.title}</a>
                                        </td>
                                        <td class="status">
                                            <span class=format!("badge ticket-status ticket-status-{}", t.status)>
                                                {t.status.clone()}
                                            </span>
                                        </td>
                                        <td class="num total-time">{hms(t.total_time_spent_seconds)}</td>
                                        <td class="num session-count">{t.session_count}</td>
                                        <td class="created">{day(t.created_at)}</td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </div>
            <Show when=empty>
                <p class="empty">"No tickets yet. Create the first one below."</p>
            </Show>
            <Pager
                page=page.list.page
                per_page=page.list.per_page
                total=total
                noun="tickets"
                href=|p| page_href("/tickets", p)
            />
            <TicketForm on_created/>
        </main>
    }
    .into_any()
}
