//! An admin's "End session": the row's button, and the dialog that asks for the reason (a
//! native modal `<dialog>`: focus moves into it, Escape closes it, focus returns afterwards).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::api::EndSessionRequest;
use shared::protocol::SessionInfo;

use crate::api;

/// The session the dialog is about.
#[derive(Debug, Clone, PartialEq)]
pub struct EndTarget {
    pub session_id: i64,
    pub user_name: String,
}

/// `button.end-session[data-session-id]`: opens the dialog for this session.
#[component]
pub fn EndButton(session_id: i64, user_name: String, on_end: Callback<EndTarget>) -> impl IntoView {
    // The accessible name starts with the visible label ("End session"), as speech input
    // users say what they see (WCAG 2.1, 2.5.3).
    let label = format!("End session of {user_name}");
    view! {
        <button
            type="button"
            class="end-session danger-outline"
            data-session-id=session_id
            aria-label=label
            aria-haspopup="dialog"
            on:click=move |_| {
                on_end
                    .run(EndTarget {
                        session_id,
                        user_name: user_name.clone(),
                    })
            }
        >
            "End session"
        </button>
    }
}

/// `#end-session-dialog`: open while `target` is set. On success `on_ended` gets the ended
/// session (the hub's push follows and changes nothing more).
#[component]
pub fn EndSessionDialog(
    target: RwSignal<Option<EndTarget>>,
    on_ended: Callback<SessionInfo>,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        let open = target.with(Option::is_some);
        let Some(d) = dialog.get() else { return };
        if open && !d.open() {
            reason.set(String::new());
            error.set(None);
            _ = d.show_modal();
        } else if !open && d.open() {
            d.close();
        }
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(t) = target.get_untracked() else {
            return;
        };
        let text = reason.get_untracked().trim().to_string();
        if text.is_empty() {
            error.set(Some("Enter a reason: the user will see it.".into()));
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/sessions/{}/end", t.session_id);
            let result =
                api::post::<_, SessionInfo>(&path, &EndSessionRequest { reason: text }).await;
            busy.set(false);
            match result {
                Ok(session) => {
                    on_ended.run(session);
                    target.set(None);
                }
                Err(f) => error.set(Some(match f.fields.get("reason") {
                    Some(what) => format!("The reason {what}."),
                    None => f.message,
                })),
            }
        });
    };
    let name = move || target.with(|t| t.as_ref().map(|t| t.user_name.clone()).unwrap_or_default());

    view! {
        <dialog
            node_ref=dialog
            id="end-session-dialog"
            class="dialog"
            aria-labelledby="end-session-title"
            on:close=move |_| target.set(None)
        >
            <form class="dialog-form" novalidate on:submit=submit>
                <h2 id="end-session-title">"End " {name} "'s session"</h2>
                <p class="hint">
                    "The session stops now. Their agent stops tracking and shows your reason; they stay signed in."
                </p>
                <div class="field">
                    <label for="end-reason">"Reason"</label>
                    <textarea
                        id="end-reason"
                        name="reason"
                        rows="3"
                        maxlength="500"
                        required
                        aria-describedby="end-session-error"
                        aria-invalid=move || error.with(Option::is_some).then_some("true")
                        prop:value=reason
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    ></textarea>
                </div>
                <p
                    id="end-session-error"
                    class="form-error"
                    role="alert"
                    hidden=move || error.with(Option::is_none)
                >
                    {move || error.get()}
                </p>
                <div class="dialog-actions">
                    <button type="button" on:click=move |_| target.set(None)>"Cancel"</button>
                    <button
                        type="submit"
                        class="danger"
                        id="end-session-confirm"
                        disabled=busy
                    >
                        {move || if busy.get() { "Ending…" } else { "End session" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
