//! `/login`: a plain HTML form, so signing in works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::data::PageData;

#[component]
pub fn LoginPage() -> impl IntoView {
    let error = use_context::<PageData>().and_then(|d| d.login_error);

    view! {
        <Title text="Sign in · Presence Hub"/>
        <main class="page narrow login">
            <h1>"Presence Hub"</h1>
            <form class="card login-form" method="post" action="/login">
                <h2>"Sign in"</h2>
                {error.map(|message| view! {
                    <p class="form-error" id="login-error" role="alert">{message}</p>
                })}
                <div class="field">
                    <label for="email">"Email"</label>
                    <input
                        id="email"
                        name="email"
                        type="email"
                        autocomplete="username"
                        required
                        autofocus
                    />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </main>
    }
}
