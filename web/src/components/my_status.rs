//! `#my-status` on `/`: one's own custom status, a quick break, do-not-disturb. The hub pushes
//! the change to every dashboard (this one included), so the form only sends it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::presence::{MyStatus, SetStatusRequest};
use shared::ContextKind;

use crate::api;
use crate::connect::hydrated;
use crate::store::StatusStore;

/// How long a status lasts, as the select offers it (minutes; 0 = until cleared).
const DURATIONS: [(u32, &str); 5] = [
    (30, "30 minutes"),
    (60, "1 hour"),
    (240, "4 hours"),
    (480, "8 hours"),
    (0, "until I clear it"),
];
const BREAK_MINUTES: i64 = 15;

fn until_in(minutes: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    (minutes > 0).then(|| {
        chrono::DateTime::from_timestamp_millis(crate::time::now_ms()).unwrap_or_default()
            + chrono::Duration::minutes(minutes)
    })
}

#[component]
pub fn MyStatusForm(store: StatusStore, me: i64) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let emoji = RwSignal::new(String::new());
    let minutes = RwSignal::new("60".to_string());
    let dnd = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    // What is in force now, from the live row of the viewer (break or custom only).
    let current = move || {
        store.rows.with(|rows| {
            rows.iter().find(|r| r.id == me).and_then(|r| {
                r.entry.with(|e| {
                    let custom = e
                        .context
                        .as_ref()
                        .filter(|c| matches!(c.kind, ContextKind::Break | ContextKind::Custom));
                    match (custom, e.dnd) {
                        (Some(c), true) => Some(format!("{} · do not disturb", c.text())),
                        (Some(c), false) => Some(c.text()),
                        (None, true) => Some("Do not disturb".to_string()),
                        (None, false) => None,
                    }
                })
            })
        })
    };
    let send = move |req: Option<SetStatusRequest>| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = match req {
                Some(req) => api::put::<_, MyStatus>("/api/me/status", &req)
                    .await
                    .map(|_| ()),
                None => api::delete_no_content("/api/me/status").await,
            };
            busy.set(false);
            match answer {
                Ok(()) => text.set(String::new()),
                Err(f) => {
                    let detail = f
                        .fields
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join("; ");
                    error.set(Some(if detail.is_empty() { f.message } else { detail }));
                }
            }
        });
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let minutes: i64 = minutes.get_untracked().parse().unwrap_or(0);
        let emoji = emoji.get_untracked();
        send(Some(SetStatusRequest {
            text: text.get_untracked(),
            emoji: (!emoji.trim().is_empty()).then_some(emoji),
            until: until_in(minutes),
            dnd: Some(dnd.get_untracked()),
            kind: Some(ContextKind::Custom),
        }));
    };
    let take_break = move |_| {
        send(Some(SetStatusRequest {
            kind: Some(ContextKind::Break),
            until: until_in(BREAK_MINUTES),
            ..SetStatusRequest::default()
        }))
    };
    let clear = move |_| send(None);
    let disabled = move || !ready.get() || busy.get();
    let options = DURATIONS
        .iter()
        .map(|(m, label)| view! { <option value=m.to_string()>{*label}</option> })
        .collect_view();
    view! {
        <form id="my-status" class="card my-status" on:submit=submit>
            <h2 id="my-status-heading">"Your status"</h2>
            <p id="my-status-now" class="muted">
                {move || current().unwrap_or_else(|| "No status set.".to_string())}
            </p>
            <div class="my-status-fields">
                <input
                    id="my-status-emoji"
                    class="emoji-input"
                    aria-label="Emoji"
                    placeholder="🌴"
                    maxlength="8"
                    prop:value=emoji
                    on:input=move |ev| emoji.set(event_target_value(&ev))
                />
                <input
                    id="my-status-text"
                    aria-label="What are you up to?"
                    placeholder="What are you up to?"
                    maxlength="100"
                    prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <select
                    id="my-status-duration"
                    aria-label="Clears after"
                    prop:value=minutes
                    on:change=move |ev| minutes.set(event_target_value(&ev))
                >
                    {options}
                </select>
                <label class="my-status-dnd">
                    <input
                        type="checkbox"
                        id="my-status-dnd"
                        prop:checked=dnd
                        on:change=move |ev| dnd.set(event_target_checked(&ev))
                    />
                    "Do not disturb"
                </label>
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" id="my-status-set" disabled=disabled>
                    "Set status"
                </button>
                <button type="button" id="my-status-break" on:click=take_break disabled=disabled>
                    {format!("Take a {BREAK_MINUTES}-minute break")}
                </button>
                <button type="button" id="my-status-clear" on:click=clear disabled=disabled>
                    "Clear"
                </button>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </form>
    }
}
