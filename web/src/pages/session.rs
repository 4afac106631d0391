//! `/sessions/{id}`: one work session — who, what, when — with its activity % per 10-minute
//! slot and the apps its time went to. The session's state follows pushes (it may end while
//! the page is open); the activity is as of the page load. Scoped like the API: the session's
//! own user, or supervisor and up in the organization; anything else is not found.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;

use crate::components::activity_bars::ActivityBars;
use crate::components::live_badge::LiveBadge;
use crate::components::top_apps::TopApps;
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{not_found::NotFound, title};
use crate::session_list::apply_end;
use crate::time::{absolute, elapsed, hms, machine};

#[component]
pub fn SessionPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.session else {
        return view! { <NotFound/> }.into_any();
    };
    let activity = page.activity;
    let session = RwSignal::new(page.session);
    let session_id = session.with_untracked(|s| s.id);
    let now_ms = clock();
    let live = live_link(move |message| {
        if let ServerToTab::SessionEnded(ended) = message {
            if ended.session_id == session_id && session.with_untracked(|s| s.ended_at.is_none()) {
                session.update(|s| apply_end(s, &ended));
            }
        }
    });

    let (user, ticket, started) = session.with_untracked(|s| {
        (
            s.user_name
                .clone()
                .unwrap_or_else(|| format!("User {}", s.user_id)),
            s.ticket_id.map(|id| {
                (
                    id,
                    s.ticket_title
                        .clone()
                        .unwrap_or_else(|| format!("Ticket {id}")),
                )
            }),
            s.started_at,
        )
    });
    let counting = session.with_untracked(|s| s.counting_from());
    let heading = format!("Session {session_id} · {user}");
    let state = move || {
        session.with(|s| match (s.ended_at, s.end_reason.as_deref()) {
            (None, _) => "Running",
            (Some(_), Some("admin_ended")) => "Ended by admin",
            (Some(_), Some("auto_stopped")) => "Stopped by a policy rule",
            (Some(_), _) => "Completed",
        })
    };
    let duration =
        move || match session.with(|s| s.duration_seconds.filter(|_| s.ended_at.is_some())) {
            Some(secs) => Either::Left(view! { <span class="duration">{hms(secs)}</span> }),
            None => Either::Right(view! {
                <time class="session-timer" datetime=machine(started)>
                    {move || match now_ms.get() {
                        Some(now) => elapsed(counting, now),
                        None => "running".to_string(),
                    }}
                </time>
            }),
        };
    let overall = activity
        .activity_percent
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "—".to_string());
    let ticket_view = match ticket {
        Some((id, title)) => Either::Left(view! {
            <a href=format!("/tickets/{id}") rel="external">{title}</a>
        }),
        None => Either::Right(view! { <span class="muted">"No ticket"</span> }),
    };
    view! {
        <Title text=title(&heading, &data.viewer)/>
        <TopBar viewer=data.viewer current="/sessions"/>
        <main class="page" id="main">
            <p class="breadcrumb">
                <a href="/sessions" rel="external">"Sessions"</a>
            </p>
            <div class="page-head">
                <h1 id="session-heading" data-session-id=session_id>{heading}</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <dl class="stats">
                <div class="stat">
                    <dt>"Ticket"</dt>
                    <dd>{ticket_view}</dd>
                </div>
                <div class="stat">
                    <dt>"Started"</dt>
                    <dd><time datetime=machine(started)>{absolute(started)}</time></dd>
                </div>
                <div class="stat">
                    <dt>"Duration"</dt>
                    <dd id="session-duration">{duration}</dd>
                </div>
                <div class="stat">
                    <dt>"State"</dt>
                    <dd id="session-state">{state}</dd>
                </div>
                <div class="stat">
                    <dt>"Activity"</dt>
                    <dd id="session-activity">{overall}</dd>
                </div>
                <div class="stat">
                    <dt>"App time"</dt>
                    <dd id="session-app-time">{hms(activity.app_seconds_total)}</dd>
                </div>
            </dl>
            <h2 id="activity-heading">"Activity per 10 minutes"</h2>
            <p class="hint">
                "Share of each 10-minute slot's agent heartbeats with keyboard or mouse input, \
                 or, where the policy counts no input, below the idle threshold."
            </p>
            <ActivityBars slots=activity.slots/>
            <h2 id="apps-heading">"Top apps"</h2>
            <TopApps apps=activity.apps total_seconds=activity.app_seconds_total/>
        </main>
    }
    .into_any()
}
