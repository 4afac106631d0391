//! One `<tr>` of a session table: `tr[data-session-id][data-state=running|ended]`.

use leptos::either::Either;
use leptos::prelude::*;
use shared::protocol::SessionInfo;

use crate::components::end_session::EndButton;
use crate::components::session_table::RowActions;
use crate::time::{absolute, elapsed, hms, machine};

#[component]
pub fn SessionRowView(
    info: ArcRwSignal<SessionInfo>,
    show_user: bool,
    show_ticket: bool,
    actions: RowActions,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    let id = info.with_untracked(|s| s.id);
    let user_id = info.with_untracked(|s| s.user_id);
    let running = {
        let info = info.clone();
        move || info.with(|s| s.ended_at.is_none())
    };
    let state_attr = {
        let running = running.clone();
        move || if running() { "running" } else { "ended" }
    };
    let user = field(&info, |s| {
        s.user_name
            .clone()
            .unwrap_or_else(|| format!("User {}", s.user_id))
    });
    let note = field(&info, |s| s.note.clone().unwrap_or_default());
    let source = field(&info, |s| s.source.clone());
    let started = info.with_untracked(|s| s.started_at);
    let counting = info.with_untracked(|s| s.counting_from());

    let ticket = {
        let info = info.clone();
        move || {
            info.with(|s| match (s.ticket_id, s.ticket_title.clone()) {
                (Some(tid), title) => Either::Left(view! {
                    <a href=format!("/tickets/{tid}") rel="external">
                        {title.unwrap_or_else(|| format!("Ticket {tid}"))}
                    </a>
                }),
                (None, _) => Either::Right(view! { <span class="muted">"No ticket"</span> }),
            })
        }
    };
    let duration = {
        let info = info.clone();
        move || match info.with(|s| s.duration_seconds.filter(|_| s.ended_at.is_some())) {
            Some(secs) => Either::Left(view! { <span class="duration">{hms(secs)}</span> }),
            None => Either::Right(view! {
                <time class="session-timer" datetime=machine(started)>
                    {move || match now_ms.get() {
                        Some(now) => elapsed(counting, now),
                        None => "running".to_string(),
                    }}
                </time>
            }),
        }
    };
    let state = {
        let info = info.clone();
        move || {
            info.with(|s| match (s.ended_at, s.end_reason.as_deref()) {
                (None, _) => {
                    Either::Left(view! { <span class="badge badge-running">"Running"</span> })
                }
                (Some(_), Some(reason @ ("admin_ended" | "auto_stopped"))) => {
                    let badge = if reason == "admin_ended" {
                        "Ended by admin"
                    } else {
                        "Stopped automatically"
                    };
                    Either::Right(Either::Left(view! {
                        <span class="badge badge-ended">{badge}</span>
                        <span class="end-note">{s.end_note.clone().unwrap_or_default()}</span>
                    }))
                }
                // Stopped by its user, or entered afterwards.
                (Some(_), _) => Either::Right(Either::Right(view! {
                    <span class="badge">"Completed"</span>
                })),
            })
        }
    };
    let own = user_id == actions.viewer_id;
    let action_cell = {
        let info = info.clone();
        move || {
            let (is_running, name) = info.with(|s| {
                (
                    s.ended_at.is_none(),
                    s.user_name.clone().unwrap_or_default(),
                )
            });
            let stop = (is_running && own).then(|| {
                let on_stop = actions.on_stop;
                view! {
                    <button type="button" class="stop-session" data-session-id=id on:click=move |_| on_stop.run(id)>
                        "Stop"
                    </button>
                }
            });
            let end = actions
                .on_end
                .filter(|_| is_running && !own)
                .map(|on_end| view! { <EndButton session_id=id user_name=name on_end/> });
            view! { {stop} {end} }
        }
    };

    view! {
        <tr data-session-id=id data-user-id=user_id data-state=state_attr>
            {show_user.then(|| view! { <td class="name">{user}</td> })}
            {show_ticket.then(|| view! { <td class="ticket">{ticket}</td> })}
            <td class="started">
                <a class="session-link" href=format!("/sessions/{id}") rel="external" title="Session details and activity">
                    <time datetime=machine(started)>{absolute(started)}</time>
                </a>
                <span class="source">{source}</span>
            </td>
            <td class="duration-cell">{duration}</td>
            <td class="state">{state}</td>
            <td class="note">{note}</td>
            <td class="actions">{action_cell}</td>
        </tr>
    }
}

/// A reactive read of one field of the session.
fn field<T: 'static>(
    info: &ArcRwSignal<SessionInfo>,
    get: fn(&SessionInfo) -> T,
) -> impl Fn() -> T + Clone + Send + Sync + 'static {
    let info = info.clone();
    move || info.with(get)
}
