//! The message under a form field (`p.field-error`), present but hidden while there is none,
//! so the input's `aria-describedby` always points at something.

use leptos::prelude::*;

#[component]
pub fn FieldError(id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="field-error" role="alert" hidden=move || message.with(Option::is_none)>
            {move || message.get()}
        </p>
    }
}
