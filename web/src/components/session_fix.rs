//! Correcting or deleting one recorded session, with the reason the hub requires: an inline
//! form under the session's row (`/timesheets`). The hub's 409 (overlap, approved week) and
//! 422 (no reason, end before start) are shown beside the form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::protocol::SessionInfo;
use shared::timesheets::{CorrectSessionRequest, DeleteSessionRequest};

use crate::api;
use crate::time::{local_input_to_utc, utc_to_local_input};

#[component]
pub fn SessionFix(session: SessionInfo, on_done: Callback<()>) -> impl IntoView {
    let id = session.id;
    let running = session.ended_at.is_none();
    let start = RwSignal::new(utc_to_local_input(session.started_at));
    let end = RwSignal::new(session.ended_at.map(utc_to_local_input).unwrap_or_default());
    let note = RwSignal::new(session.note.clone().unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let original = session.clone();

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let why = reason.get_untracked().trim().to_string();
        if why.is_empty() {
            error.set(Some(
                "Say why the time changes: the reason is kept in the audit log.".into(),
            ));
            return;
        }
        let start_time = local_input_to_utc(&start.get_untracked());
        let end_time = local_input_to_utc(&end.get_untracked());
        let note_text = note.get_untracked().trim().to_string();
        let body = CorrectSessionRequest {
            // Only what differs (to the minute the inputs show) is sent.
            start_time: start_time
                .filter(|t| utc_to_local_input(*t) != utc_to_local_input(original.started_at)),
            end_time: end_time.filter(|t| {
                !running
                    && Some(utc_to_local_input(*t)) != original.ended_at.map(utc_to_local_input)
            }),
            ticket_id: None,
            note: (note_text != original.note.clone().unwrap_or_default())
                .then(|| (!note_text.is_empty()).then_some(note_text.clone())),
            reason: why,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::patch::<_, SessionInfo>(&format!("/api/sessions/{id}"), &body).await;
            busy.set(false);
            match result {
                Ok(_) => on_done.run(()),
                Err(f) => error.set(Some(f.message)),
            }
        });
    };
    let delete = move |_| {
        let why = reason.get_untracked().trim().to_string();
        if why.is_empty() {
            error.set(Some(
                "Say why the session is deleted: the reason is kept in the audit log.".into(),
            ));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::delete_with(
                &format!("/api/sessions/{id}"),
                &DeleteSessionRequest { reason: why },
            )
            .await;
            busy.set(false);
            match result {
                Ok(()) => on_done.run(()),
                Err(f) => error.set(Some(f.message)),
            }
        });
    };
    let form_id = format!("session-fix-{id}");
    view! {
        <form id=form_id class="session-fix" data-session-id=id novalidate on:submit=save>
            <div class="form-grid">
                <div class="field">
                    <label for=format!("fix-start-{id}")>"Start"</label>
                    <input
                        id=format!("fix-start-{id}")
                        type="datetime-local"
                        prop:value=start
                        on:input=move |ev| start.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for=format!("fix-end-{id}")>"End"</label>
                    <input
                        id=format!("fix-end-{id}")
                        type="datetime-local"
                        disabled=running
                        prop:value=end
                        on:input=move |ev| end.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for=format!("fix-note-{id}")>"Note"</label>
                    <input
                        id=format!("fix-note-{id}")
                        type="text"
                        maxlength="2000"
                        prop:value=note
                        on:input=move |ev| note.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for=format!("fix-reason-{id}")>"Reason (required)"</label>
                    <input
                        id=format!("fix-reason-{id}")
                        class="fix-reason"
                        type="text"
                        required
                        maxlength="500"
                        aria-describedby=format!("fix-error-{id}")
                        prop:value=reason
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    />
                </div>
            </div>
            <p id=format!("fix-error-{id}") class="field-error fix-error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get()}
            </p>
            <div class="form-actions">
                <button type="submit" class="primary fix-save" disabled=busy>"Save correction"</button>
                {(!running).then(|| view! {
                    <button type="button" class="danger-outline fix-delete" disabled=busy on:click=delete>
                        "Delete session"
                    </button>
                })}
            </div>
        </form>
    }
}
