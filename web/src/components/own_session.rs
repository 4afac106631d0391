//! `#own-session`: the viewer's own running session with its timer and Stop, or a form to
//! start one. Pushes keep it right when the session starts or ends elsewhere (the agent, an
//! admin).

use leptos::either::Either;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::api::{StartSessionRequest, StopSessionRequest};
use shared::protocol::SessionInfo;

use crate::api;
use crate::components::ticket_select::TicketSelect;
use crate::data::TicketOption;
use crate::time::{absolute, elapsed, machine};

/// The viewer's running session and the last error of Start/Stop.
#[derive(Debug, Clone, Copy)]
pub struct OwnSessionState {
    pub own: RwSignal<Option<SessionInfo>>,
    pub error: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
    /// Every session this panel started or stopped, as the hub answered.
    pub on_change: Callback<SessionInfo>,
}

impl OwnSessionState {
    pub fn new(own: Option<SessionInfo>, on_change: Callback<SessionInfo>) -> Self {
        OwnSessionState {
            own: RwSignal::new(own),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            on_change,
        }
    }

    /// Stops the viewer's session `session_id` (POST /api/sessions/stop).
    pub fn stop(self, session_id: i64) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let body = StopSessionRequest {
                session_id,
                note: None,
                ended_at: None,
            };
            let result = api::post::<_, SessionInfo>("/api/sessions/stop", &body).await;
            self.busy.set(false);
            match result {
                Ok(session) => {
                    if self
                        .own
                        .with_untracked(|o| o.as_ref().is_some_and(|o| o.id == session.id))
                    {
                        self.own.set(None);
                    }
                    self.on_change.run(session);
                }
                Err(f) => self.error.set(Some(f.message)),
            }
        });
    }

    fn start(self, ticket_id: Option<i64>, note: Option<String>) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let body = StartSessionRequest {
                ticket_id,
                note,
                client_id: None,
                started_at: None,
            };
            let result = api::post::<_, SessionInfo>("/api/sessions/start", &body).await;
            self.busy.set(false);
            match result {
                Ok(session) => {
                    self.own.set(Some(session.clone()));
                    self.on_change.run(session);
                }
                Err(f) => self.error.set(Some(f.message)),
            }
        });
    }
}

#[component]
pub fn OwnSession(
    state: OwnSessionState,
    tickets: Vec<TicketOption>,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    let ticket = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let tickets = StoredValue::new(tickets);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let note_text = note.get_untracked().trim().to_string();
        state.start(
            ticket.get_untracked().parse().ok(),
            (!note_text.is_empty()).then_some(note_text),
        );
        note.set(String::new());
    };
    let body = move || match state.own.get() {
        Some(s) => {
            let started = s.started_at;
            let counting = s.counting_from();
            let on = s
                .ticket_title
                .clone()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
            let id = s.id;
            Either::Left(view! {
                <p class="own-running" data-session-id=id>
                    "Running" {on} " for "
                    <time class="session-timer" datetime=machine(started)>
                        {move || match now_ms.get() {
                            Some(now) => elapsed(counting, now),
                            None => format!("since {}", absolute(started)),
                        }}
                    </time>
                </p>
                <button
                    type="button"
                    id="stop-session"
                    class="primary"
                    disabled=state.busy
                    on:click=move |_| state.stop(id)
                >
                    "Stop session"
                </button>
            })
        }
        None => Either::Right(view! {
            <form id="start-form" class="inline-form" on:submit=submit>
                <div class="field">
                    <label for="start-ticket">"Ticket"</label>
                    <TicketSelect
                        id="start-ticket"
                        name="ticket_id"
                        tickets=tickets.get_value()
                        none_label="No ticket"
                        value=ticket
                    />
                </div>
                <div class="field grow">
                    <label for="start-note">"Note"</label>
                    <input
                        id="start-note"
                        name="note"
                        type="text"
                        maxlength="2000"
                        prop:value=note
                        on:input=move |ev| note.set(event_target_value(&ev))
                    />
                </div>
                <button type="submit" id="start-session" class="primary" disabled=state.busy>
                    "Start session"
                </button>
            </form>
        }),
    };
    view! {
        <section id="own-session" class="card" aria-labelledby="own-session-heading">
            <h2 id="own-session-heading">"Your session"</h2>
            {body}
            <p
                id="own-session-error"
                class="form-error"
                role="alert"
                hidden=move || state.error.with(Option::is_none)
            >
                {move || state.error.get()}
            </p>
        </section>
    }
}
