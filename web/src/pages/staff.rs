//! `/staff/{id}` (supervisors and up): a staff member's time on game servers — summary cards,
//! the current day, week and month, time per server as bars, and the session history with an
//! All/Active filter and paging. Joins and leaves arrive live over `/ws/tab`.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::game_servers::{ServerSession, StaffDetails};
use shared::protocol::ServerToTab;

use crate::components::live_badge::LiveBadge;
use crate::components::pager::Pager;
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::server_time::{reason_label, seconds, share_percent};
use crate::time::{absolute, hms, machine};

#[component]
pub fn StaffPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.staff else {
        return view! { <Missing/> }.into_any();
    };
    let now_ms = clock();
    let details = page.details;
    let query = page.query;
    let user_id = details.profile.id;
    let sessions = RwSignal::new(page.sessions.items);
    let total = RwSignal::new(page.sessions.total);
    let session_count = RwSignal::new(details.totals.session_count);
    let last_join = RwSignal::new(details.last_join);
    let (list_page, per_page, active_only) = (query.page, query.per_page, query.active_only);
    let live = live_link(move |message| {
        let ServerToTab::GameServerUpdated(update) = message else {
            return;
        };
        for s in update.opened.iter().filter(|s| s.user_id == user_id) {
            session_count.update(|n| *n += 1);
            last_join.set(Some(s.join_time));
            if sessions.with_untracked(|l| l.iter().all(|x| x.id != s.id)) {
                total.update(|n| *n += 1);
                if list_page == 1 {
                    sessions.update(|l| l.insert(0, s.clone()));
                }
            }
        }
        for s in update.closed.iter().filter(|s| s.user_id == user_id) {
            sessions.update(|l| {
                if active_only {
                    if l.iter().any(|x| x.id == s.id) {
                        total.update(|n| *n -= 1);
                    }
                    l.retain(|x| x.id != s.id);
                } else if let Some(row) = l.iter_mut().find(|x| x.id == s.id) {
                    *row = s.clone();
                }
            });
        }
    });

    let name = details.profile.name.clone();
    let all_href = query.href(false, 1);
    let active_href = query.href(true, 1);
    let page_query = query.clone();
    view! {
        <Title text=title(&name, &data.viewer)/>
        <TopBar viewer=data.viewer current="/servers"/>
        <main class="page" id="main">
            <p class="breadcrumb">
                <a href="/servers" rel="external">"Servers"</a>
            </p>
            <div class="page-head">
                <h1 id="staff-heading" data-user-id=user_id>{name}</h1>
                <div class="page-meta">
                    <span class="role-badge">{details.profile.role.as_str()}</span>
                    <LiveBadge live/>
                </div>
            </div>
            <Profile details=details.clone()/>
            <dl class="stats" id="staff-summary">
                <div class="stat">
                    <dt>"Total server time"</dt>
                    <dd id="staff-total">{hms(details.totals.total_seconds)}</dd>
                </div>
                <div class="stat">
                    <dt>"Sessions"</dt>
                    <dd id="staff-session-count">{move || session_count.get()}</dd>
                </div>
                <div class="stat">
                    <dt>"Average session"</dt>
                    <dd id="staff-average">{hms(details.totals.average_seconds)}</dd>
                </div>
                <div class="stat">
                    <dt>"Last join"</dt>
                    <dd id="staff-last-join">
                        {move || match last_join.get() {
                            Some(t) => absolute(t),
                            None => "never".to_string(),
                        }}
                    </dd>
                </div>
                <div class="stat">
                    <dt>"Tickets worked"</dt>
                    <dd id="staff-tickets">{details.work.tickets_worked}</dd>
                </div>
                <div class="stat">
                    <dt>"Time on tickets"</dt>
                    <dd id="staff-ticket-time">{hms(details.work.time_on_tickets_seconds)}</dd>
                </div>
            </dl>
            <Periods details=details.clone()/>
            <ServerBars details=details.clone()/>
            <h2 id="staff-sessions-heading">"Session history"</h2>
            <nav class="segmented" aria-label="Which sessions">
                <a id="filter-all" href=all_href rel="external" aria-current=(!active_only).then_some("page")>"All"</a>
                <a id="filter-active" href=active_href rel="external" aria-current=active_only.then_some("page")>"Active"</a>
            </nav>
            <div class="table-wrap" role="region" aria-labelledby="staff-sessions-heading" tabindex="0">
                <table id="server-sessions" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Server"</th>
                            <th scope="col">"Joined"</th>
                            <th scope="col">"Left"</th>
                            <th scope="col" class="num">"Duration"</th>
                            <th scope="col">"Ended"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || sessions.get()
                            key=|s| (s.id, s.leave_time)
                            children=move |s| view! { <SessionRow s now_ms/> }
                        />
                    </tbody>
                </table>
            </div>
            <Show when=move || sessions.with(Vec::is_empty)>
                <p class="empty" id="no-server-sessions">
                    {if active_only { "Not on any server right now." } else { "No sessions on game servers yet." }}
                </p>
            </Show>
            <Pager
                page=list_page
                per_page=per_page
                total=total
                noun="sessions"
                href=move |p| page_query.href(active_only, p)
            />
        </main>
    }
    .into_any()
}

#[component]
fn Profile(details: StaffDetails) -> impl IntoView {
    let p = details.profile;
    let or_dash = |v: Option<String>| v.filter(|v| !v.is_empty()).unwrap_or_else(|| "—".into());
    view! {
        <dl class="profile card" id="staff-profile">
            <div><dt>"Game name"</dt><dd id="staff-game-name">{or_dash(p.game_name)}</dd></div>
            <div><dt>"Steam ID"</dt><dd>{or_dash(p.steam_id)}</dd></div>
            <div><dt>"Discord"</dt><dd>{or_dash(p.discord)}</dd></div>
            <div><dt>"Timezone"</dt><dd>{p.timezone}</dd></div>
            <div><dt>"E-mail"</dt><dd>{p.email}</dd></div>
        </dl>
    }
}

#[component]
fn Periods(details: StaffDetails) -> impl IntoView {
    let rows = details
        .periods
        .into_iter()
        .map(|p| {
            let label = match p.period.as_str() {
                "daily" => "Today",
                "weekly" => "This week (Mon–Sun)",
                "monthly" => "This month",
                _ => "All time",
            };
            view! {
                <tr data-period=p.period.as_str()>
                    <th scope="row">{label}</th>
                    <td class="num">{hms(p.totals.total_seconds)}</td>
                    <td class="num">{p.totals.session_count}</td>
                    <td class="num">{hms(p.totals.average_seconds)}</td>
                    <td class="num">{hms(p.totals.longest_seconds)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2 id="staff-periods-heading">"By period"</h2>
        <div class="table-wrap" role="region" aria-labelledby="staff-periods-heading" tabindex="0">
            <table id="staff-periods" class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Period"</th>
                        <th scope="col" class="num">"Time"</th>
                        <th scope="col" class="num">"Sessions"</th>
                        <th scope="col" class="num">"Average"</th>
                        <th scope="col" class="num">"Longest"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn ServerBars(details: StaffDetails) -> impl IntoView {
    let whole: i64 = details
        .per_server
        .iter()
        .map(|s| s.totals.total_seconds)
        .sum();
    let empty = details.per_server.is_empty();
    let bars = details
        .per_server
        .into_iter()
        .map(|s| {
            let percent = share_percent(s.totals.total_seconds, whole);
            view! {
                <li class="server-bar" data-server-id=s.server_id data-percent=percent>
                    <div class="server-bar-label">
                        <span class="server-bar-name">{s.server_name}</span>
                        <span class="server-bar-time">
                            {hms(s.totals.total_seconds)} " · " {s.totals.session_count} " sessions · " {percent} "%"
                        </span>
                    </div>
                    <div class="bar-track" aria-hidden="true">
                        <div class="bar-fill" style=format!("width: {percent}%")></div>
                    </div>
                </li>
            }
        })
        .collect_view();
    view! {
        <h2 id="server-bars-heading">"Time per server"</h2>
        <ul id="server-bars" class="server-bars" aria-labelledby="server-bars-heading">{bars}</ul>
        {empty.then(|| view! { <p class="empty">"No time on game servers yet."</p> })}
    }
}

#[component]
fn SessionRow(s: ServerSession, now_ms: RwSignal<Option<i64>>) -> impl IntoView {
    let open = s.leave_time.is_none();
    let joined = s.join_time;
    let left = s.leave_time;
    let reason = reason_label(s.end_reason.as_deref());
    let session = s.clone();
    let duration = move || match seconds(&session, now_ms.get()) {
        Some(d) => hms(d),
        None => "—".to_string(),
    };
    view! {
        <tr data-session-id=s.id data-open=open.to_string()>
            <td class="server">{s.server_name.clone()}</td>
            <td class="joined"><time datetime=machine(joined)>{absolute(joined)}</time></td>
            <td class="left">
                {match left {
                    Some(t) => view! { <time datetime=machine(t)>{absolute(t)}</time> }.into_any(),
                    None => view! { <span class="badge badge-running">"On now"</span> }.into_any(),
                }}
            </td>
            <td class="num duration">{duration}</td>
            <td class="reason">{reason}</td>
        </tr>
    }
}
