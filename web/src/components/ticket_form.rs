//! `#ticket-form`: create a ticket (POST /api/tickets); field errors show under the fields.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::api::{CreateTicketRequest, Ticket};
use std::collections::BTreeMap;

use crate::api;
use crate::components::field_error::FieldError;

#[component]
pub fn TicketForm(on_created: Callback<Ticket>) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let errors = RwSignal::new(BTreeMap::<String, String>::new());
    let created = RwSignal::new(None::<(i64, String)>);
    let busy = RwSignal::new(false);
    let error =
        move |slot: &'static str| Signal::derive(move || errors.with(|e| e.get(slot).cloned()));
    let invalid =
        move |slot: &'static str| move || errors.with(|e| e.contains_key(slot)).then_some("true");

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        created.set(None);
        let title_text = title.get_untracked().trim().to_string();
        if title_text.is_empty() {
            errors.set(BTreeMap::from([("title".into(), "Enter a title.".into())]));
            return;
        }
        errors.set(BTreeMap::new());
        let description_text = description.get_untracked().trim().to_string();
        let body = CreateTicketRequest {
            title: title_text,
            description: (!description_text.is_empty()).then_some(description_text),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = api::post::<_, Ticket>("/api/tickets", &body).await;
            busy.set(false);
            match result {
                Ok(ticket) => {
                    created.set(Some((
                        ticket.id,
                        format!("#{} {}", ticket.number, ticket.title),
                    )));
                    title.set(String::new());
                    description.set(String::new());
                    on_created.run(ticket);
                }
                Err(f) => {
                    let mut shown: BTreeMap<String, String> = f
                        .fields
                        .iter()
                        .map(|(k, v)| (k.clone(), format!("The {k} {v}.")))
                        .collect();
                    if shown.is_empty() {
                        shown.insert("form".into(), f.message);
                    }
                    errors.set(shown);
                }
            }
        });
    };

    view! {
        <form id="ticket-form" class="card" novalidate on:submit=submit>
            <h2 id="ticket-form-heading">"New ticket"</h2>
            <div class="field">
                <label for="ticket-title">"Title"</label>
                <input
                    id="ticket-title"
                    name="title"
                    type="text"
                    maxlength="200"
                    required
                    aria-describedby="ticket-title-error"
                    aria-invalid=invalid("title")
                    prop:value=title
                    on:input=move |ev| title.set(event_target_value(&ev))
                />
                <FieldError id="ticket-title-error".into() message=error("title")/>
            </div>
            <div class="field">
                <label for="ticket-description">"Description (optional)"</label>
                <textarea
                    id="ticket-description"
                    name="description"
                    rows="3"
                    aria-describedby="ticket-description-error"
                    aria-invalid=invalid("description")
                    prop:value=description
                    on:input=move |ev| description.set(event_target_value(&ev))
                ></textarea>
                <FieldError id="ticket-description-error".into() message=error("description")/>
            </div>
            <FieldError id="ticket-form-error".into() message=error("form")/>
            <div class="form-actions">
                <button type="submit" id="ticket-submit" class="primary" disabled=busy>
                    "Create ticket"
                </button>
                <p id="ticket-created" class="form-success" role="status">
                    {move || created.get().map(|(id, label)| view! {
                        "Created "
                        <a href=format!("/tickets/{id}") rel="external">{label}</a>
                        "."
                    })}
                </p>
            </div>
        </form>
    }
}
