//! `/login`'s second step (SPEC §17): after a correct password, the code of the authenticator
//! app, or one of the recovery codes ("Use a recovery code" opens that form). Both are plain
//! HTML forms posting to `/login/mfa` with the password step's one-time `mfa_token`, so
//! signing in needs no JavaScript.

use leptos::prelude::*;

use crate::data::LoginMfaData;

#[component]
pub fn MfaForms(mfa: LoginMfaData, next: Option<String>) -> impl IntoView {
    let LoginMfaData {
        mfa_token,
        error,
        recovery,
    } = mfa;
    // The refusal goes with the form it answers.
    let (code_error, recovery_error) = if recovery {
        (None, error)
    } else {
        (error, None)
    };
    let recovery_token = mfa_token.clone();
    let recovery_next = next.clone();

    view! {
        <form id="mfa-form" class="card login-form" method="post" action="/login/mfa">
            <h2>"Two-factor sign-in"</h2>
            <p id="mfa-hint" class="hint">
                "Enter the 6-digit code your authenticator app shows for Presence Hub."
            </p>
            {code_error.map(|message| view! {
                <p class="form-error" id="mfa-error" role="alert">{message}</p>
            })}
            <div class="field">
                <label for="mfa-code">"Code"</label>
                <input
                    id="mfa-code"
                    name="code"
                    type="text"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    pattern="[0-9 ]*"
                    maxlength="8"
                    aria-describedby="mfa-hint"
                    required
                    autofocus=!recovery
                />
            </div>
            <input type="hidden" name="mfa_token" value=mfa_token/>
            {next.map(|next| view! { <input type="hidden" name="next" value=next/> })}
            <button type="submit" id="mfa-submit" class="primary">"Verify"</button>
        </form>
        <details id="mfa-recovery" class="card login-recovery" open=recovery>
            <summary>"Use a recovery code"</summary>
            <form id="mfa-recovery-form" method="post" action="/login/mfa">
                {recovery_error.map(|message| view! {
                    <p class="form-error" id="mfa-recovery-error" role="alert">{message}</p>
                })}
                <p id="mfa-recovery-hint" class="hint">
                    "No phone at hand? Each recovery code you kept when you turned two-factor sign-in on works once."
                </p>
                <div class="field">
                    <label for="mfa-recovery-code">"Recovery code"</label>
                    <input
                        id="mfa-recovery-code"
                        name="recovery_code"
                        type="text"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        placeholder="abcd-efgh-jkmn"
                        aria-describedby="mfa-recovery-hint"
                        required
                        autofocus=recovery
                    />
                </div>
                <input type="hidden" name="mfa_token" value=recovery_token/>
                {recovery_next.map(|next| view! { <input type="hidden" name="next" value=next/> })}
                <button type="submit" id="mfa-recovery-submit">"Sign in with the recovery code"</button>
            </form>
        </details>
        <p class="hint login-restart">
            <a href="/login" rel="external">"Sign in with another account"</a>
        </p>
    }
}
