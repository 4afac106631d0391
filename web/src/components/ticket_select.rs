//! A `<select>` of the organization's tickets, "#3 Login bug", with a "none" choice first.

use leptos::prelude::*;

use crate::data::TicketOption;

/// `value` holds the chosen ticket id as text ("" = none); it starts as the selected option.
#[component]
pub fn TicketSelect(
    id: &'static str,
    name: &'static str,
    tickets: Vec<TicketOption>,
    none_label: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    let initial = value.get_untracked();
    let options = tickets
        .into_iter()
        .map(|t| {
            let v = t.id.to_string();
            let selected = v == initial;
            view! { <option value=v selected=selected>{t.label()}</option> }
        })
        .collect_view();
    view! {
        <select
            id=id
            name=name
            prop:value=value
            on:change=move |ev| value.set(event_target_value(&ev))
        >
            <option value="" selected=initial.is_empty()>{none_label}</option>
            {options}
        </select>
    }
}
