//! "Reset two-factor" on `/users` (admins and owners; an owner's only by an owner): for someone
//! who lost their phone and their recovery codes. `POST /api/users/{id}/2fa/reset`; their next
//! login asks for the password only (SPEC §17).

use leptos::prelude::*;

use crate::api;

/// Shown only while the user has two-factor sign-in on; `locked` when the viewer may not
/// change this user (an admin and an owner).
#[component]
pub fn ResetTwoFactor(user_id: i64, enabled: bool, locked: Memo<bool>) -> impl IntoView {
    let on = RwSignal::new(enabled);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let reset = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/users/{user_id}/2fa/reset");
            let result = api::post_no_content(&path, &()).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    on.set(false);
                    done.set(Some(
                        "Two-factor sign-in reset: their next sign-in asks for the password only."
                            .into(),
                    ));
                }
                Err(f) => error.set(Some(f.message)),
            }
        });
    };

    view! {
        <div class="manage-two-factor">
            {move || on.get().then(|| view! {
                <div class="form-actions">
                    <button
                        type="button"
                        id=format!("user-{user_id}-reset-2fa")
                        class="danger-outline"
                        disabled=move || busy.get() || locked.get()
                        on:click=reset
                    >
                        "Reset two-factor"
                    </button>
                </div>
                <p class="hint">
                    "Two-factor sign-in is on. Reset it when they lost their phone and their recovery codes."
                </p>
            })}
            <p id=format!("user-{user_id}-2fa-error") class="form-error" role="alert"
                hidden=move || error.with(Option::is_none)>
                {move || error.get()}
            </p>
            <p id=format!("user-{user_id}-2fa-done") class="form-success" role="status">
                {move || done.get()}
            </p>
        </div>
    }
}
