//! One field of the policy form, from its `shared::policy::FieldSpec`: a switch, or a number
//! input with a slider beside it, the allowed range under it, and the hub's error for it.

use leptos::either::Either;
use leptos::prelude::*;
use shared::policy::{FieldKind, FieldSpec};

use crate::components::field_error::FieldError;
use crate::policy_store::{Draft, PolicyStore};

#[component]
pub fn PolicyField(
    spec: &'static FieldSpec,
    draft: Draft,
    store: PolicyStore,
    editable: bool,
) -> impl IntoView {
    let name = spec.name;
    let error = Signal::derive(move || store.errors.with(|e| e.get(name).cloned()));
    let invalid = move || error.with(Option::is_some).then_some("true");
    let dirty = move || store.is_dirty(name).then_some("true");
    let error_id = format!("{name}-error");
    let control = match draft {
        Draft::Int(text) => {
            // Drafts are made from the same table: an integer draft has an integer range.
            let (min, max) = match spec.kind {
                FieldKind::Int { min, max } => (min, max),
                FieldKind::Bool => (0, 1),
            };
            let initial = text.get_untracked();
            let hint_id = format!("{name}-hint");
            let described = format!("{hint_id} {error_id}");
            let set = move |ev| text.set(event_target_value(&ev));
            Either::Left(view! {
                <label for=name>{spec.label}</label>
                <div class="range-row">
                    // A pointer's shortcut to the number input beside it, which is the
                    // field for keyboards and screen readers.
                    <input
                        type="range"
                        id=format!("{name}-slider")
                        min=min
                        max=max
                        step="1"
                        tabindex="-1"
                        aria-hidden="true"
                        disabled=!editable
                        value=initial.clone()
                        prop:value=text
                        on:input=set
                    />
                    <input
                        type="number"
                        id=name
                        name=name
                        min=min
                        max=max
                        step="1"
                        inputmode="numeric"
                        disabled=!editable
                        aria-describedby=described
                        aria-invalid=invalid
                        value=initial
                        prop:value=text
                        on:input=set
                    />
                </div>
                <p class="hint" id=hint_id>
                    {format!("From {min} to {max} · default {}", spec.default)}
                </p>
            })
        }
        Draft::Bool(on) => {
            let initial = on.get_untracked();
            Either::Right(view! {
                <div class="switch-row">
                    <input
                        type="checkbox"
                        id=name
                        name=name
                        role="switch"
                        disabled=!editable
                        aria-describedby=error_id.clone()
                        aria-invalid=invalid
                        checked=initial
                        prop:checked=on
                        on:change=move |ev| on.set(event_target_checked(&ev))
                    />
                    <label for=name>{spec.label}</label>
                </div>
            })
        }
    };
    view! {
        <div class="policy-field" data-field=name data-dirty=dirty>
            {control}
            <FieldError id=error_id message=error/>
        </div>
    }
}
