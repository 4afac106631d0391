//! The running session of a user with its live timer, or a dash.

use leptos::either::Either;
use leptos::prelude::*;
use shared::protocol::SessionInfo;

use crate::time::{absolute, elapsed, machine};

#[component]
pub fn SessionCell(
    session: impl Fn() -> Option<SessionInfo> + Send + Sync + 'static,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    move || match session() {
        None => Either::Left(view! {
            <span class="no-session">
                <span aria-hidden="true">"—"</span>
                <span class="visually-hidden">"No session"</span>
            </span>
        }),
        Some(session) => {
            let started = session.started_at;
            let counting = session.counting_from();
            let shown = absolute(started);
            let title = format!("Started {shown}");
            // "Login bug · fixing the form": the ticket and the note, whichever exist.
            let detail = [session.ticket_title, session.note]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .reduce(|a, b| format!("{a} · {b}"));
            Either::Right(view! {
                <span class="session-running" data-session-id=session.id>
                    <time
                        class="session-timer"
                        datetime=machine(started)
                        title=title
                    >
                        {move || match now_ms.get() {
                            Some(now) => elapsed(counting, now),
                            None => format!("since {shown}"),
                        }}
                    </time>
                    {detail.map(|detail| view! { <span class="session-note">{detail}</span> })}
                </span>
            })
        }
    }
}
