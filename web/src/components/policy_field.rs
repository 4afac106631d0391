//! One field of the policy form, from its `shared::policy::FieldSpec`: a switch, or a number
//! input with a slider beside it, the allowed range under it, and the hub's error for it.

use leptos::either::EitherOf4;
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
            let (min, max, hint) = match spec.kind {
                FieldKind::Int { min, max } => (
                    min,
                    max,
                    format!("From {min} to {max} · default {}", spec.default),
                ),
                FieldKind::IntOrOff { min, max } => (
                    0,
                    max,
                    format!("0 (off) or from {min} to {max} · default {}", spec.default),
                ),
                _ => (0, 1, String::new()),
            };
            let initial = text.get_untracked();
            let hint_id = format!("{name}-hint");
            let described = format!("{hint_id} {error_id}");
            let set = move |ev| text.set(event_target_value(&ev));
            EitherOf4::A(view! {
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
                <p class="hint" id=hint_id>{hint}</p>
            })
        }
        Draft::Choice(word) => {
            let words: &'static [&'static str] = match spec.kind {
                FieldKind::Choice(words) => words,
                _ => &[],
            };
            let hint_id = format!("{name}-hint");
            let described = format!("{hint_id} {error_id}");
            let initial = word.get_untracked();
            EitherOf4::C(view! {
                <label for=name>{spec.label}</label>
                <select
                    id=name
                    name=name
                    disabled=!editable
                    aria-describedby=described
                    aria-invalid=invalid
                    prop:value=word
                    on:change=move |ev| word.set(event_target_value(&ev))
                >
                    {words
                        .iter()
                        .map(|w| view! { <option value=*w selected=*w == initial>{*w}</option> })
                        .collect_view()}
                </select>
                <p class="hint" id=hint_id>
                    {format!("One of {} · default {}", words.join(", "), spec.default)}
                </p>
            })
        }
        Draft::Time(text) => {
            let hint_id = format!("{name}-hint");
            let described = format!("{hint_id} {error_id}");
            let initial = text.get_untracked();
            EitherOf4::D(view! {
                <label for=name>{spec.label}</label>
                <input
                    type="time"
                    id=name
                    name=name
                    disabled=!editable
                    aria-describedby=described
                    aria-invalid=invalid
                    value=initial
                    prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <p class="hint" id=hint_id>"Empty: off · in the organization's timezone"</p>
            })
        }
        Draft::Bool(on) => {
            let initial = on.get_untracked();
            EitherOf4::B(view! {
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
