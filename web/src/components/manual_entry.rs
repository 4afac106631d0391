//! `#manual-form`: record a finished session after the fact. Times are entered in the
//! viewer's local time and sent as UTC; the hub's 422/409 answers show next to the fields.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::api::ManualSessionRequest;
use shared::protocol::SessionInfo;
use std::collections::BTreeMap;

use crate::api::{self, ApiFailure};
use crate::components::field_error::FieldError;
use crate::components::ticket_select::TicketSelect;
use crate::data::TicketOption;
use crate::time::{hms, local_input_to_utc};

/// Where a refusal is shown: a field's slot, or the form's.
fn slots_of(f: ApiFailure) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    for (field, what) in &f.fields {
        let slot = match field.as_str() {
            "start_time" => "start",
            "end_time" | "ended_at" => "end",
            "note" => "note",
            "ticket_id" => "ticket",
            _ => "form",
        };
        out.insert(slot, format!("{} {what}.", label_of(field)));
    }
    if out.is_empty() {
        // 409: the time overlaps another session; 404: the ticket is gone.
        let slot = match f.status {
            409 => "end",
            404 => "ticket",
            _ => "form",
        };
        out.insert(slot, f.message);
    }
    out
}

fn label_of(field: &str) -> &str {
    match field {
        "start_time" => "Start",
        "end_time" | "ended_at" => "End",
        "note" => "Note",
        "ticket_id" => "Ticket",
        other => other,
    }
}

#[component]
pub fn ManualEntry(tickets: Vec<TicketOption>, on_saved: Callback<SessionInfo>) -> impl IntoView {
    let ticket = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let errors = RwSignal::new(BTreeMap::<&'static str, String>::new());
    let saved = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error =
        move |slot: &'static str| Signal::derive(move || errors.with(|e| e.get(slot).cloned()));
    let invalid =
        move |slot: &'static str| move || errors.with(|e| e.contains_key(slot)).then_some("true");

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        saved.set(None);
        let mut problems = BTreeMap::new();
        let start_at = local_input_to_utc(&start.get_untracked());
        let end_at = local_input_to_utc(&end.get_untracked());
        if start_at.is_none() {
            problems.insert("start", "Enter when the work started.".to_string());
        }
        if end_at.is_none() {
            problems.insert("end", "Enter when the work ended.".to_string());
        }
        errors.set(problems);
        let (Some(start_time), Some(end_time)) = (start_at, end_at) else {
            return;
        };
        let note_text = note.get_untracked().trim().to_string();
        let body = ManualSessionRequest {
            ticket_id: ticket.get_untracked().parse().ok(),
            start_time,
            end_time,
            note: (!note_text.is_empty()).then_some(note_text),
            client_id: None,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::post::<_, SessionInfo>("/api/sessions/manual", &body).await;
            busy.set(false);
            match result {
                Ok(session) => {
                    let secs = session.duration_seconds.unwrap_or_default();
                    saved.set(Some(format!("Saved: {} recorded.", hms(secs))));
                    start.set(String::new());
                    end.set(String::new());
                    note.set(String::new());
                    on_saved.run(session);
                }
                Err(f) => errors.set(slots_of(f)),
            }
        });
    };

    view! {
        <form id="manual-form" class="card manual-form" novalidate on:submit=submit>
            <h2 id="manual-heading">"Add time manually"</h2>
            <p class="hint">"Times are in your local time zone."</p>
            <div class="form-grid">
                <div class="field">
                    <label for="manual-ticket">"Ticket"</label>
                    <TicketSelect
                        id="manual-ticket"
                        name="ticket_id"
                        tickets
                        none_label="No ticket"
                        value=ticket
                    />
                    <FieldError id="manual-ticket-error".into() message=error("ticket")/>
                </div>
                <div class="field">
                    <label for="manual-start">"Start"</label>
                    <input
                        id="manual-start"
                        name="start_time"
                        type="datetime-local"
                        required
                        aria-describedby="manual-start-error"
                        aria-invalid=invalid("start")
                        prop:value=start
                        on:input=move |ev| start.set(event_target_value(&ev))
                    />
                    <FieldError id="manual-start-error".into() message=error("start")/>
                </div>
                <div class="field">
                    <label for="manual-end">"End"</label>
                    <input
                        id="manual-end"
                        name="end_time"
                        type="datetime-local"
                        required
                        aria-describedby="manual-end-error"
                        aria-invalid=invalid("end")
                        prop:value=end
                        on:input=move |ev| end.set(event_target_value(&ev))
                    />
                    <FieldError id="manual-end-error".into() message=error("end")/>
                </div>
                <div class="field">
                    <label for="manual-note">"Note"</label>
                    <input
                        id="manual-note"
                        name="note"
                        type="text"
                        maxlength="2000"
                        aria-describedby="manual-note-error"
                        aria-invalid=invalid("note")
                        prop:value=note
                        on:input=move |ev| note.set(event_target_value(&ev))
                    />
                    <FieldError id="manual-note-error".into() message=error("note")/>
                </div>
            </div>
            <FieldError id="manual-error".into() message=error("form")/>
            <div class="form-actions">
                <button type="submit" id="manual-submit" class="primary" disabled=busy>
                    "Add entry"
                </button>
                <p id="manual-saved" class="form-success" role="status">{move || saved.get()}</p>
            </div>
        </form>
    }
}
