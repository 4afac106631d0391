//! `/settings/webhooks` (admins and owners): add a webhook (its secret shown once), see each
//! one's recent deliveries live, send a test, switch it off and on, delete it.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;
use shared::webhooks::{
    CreateWebhookRequest, CreatedWebhook, UpdateWebhookRequest, Webhook, WebhookDelivery,
    WEBHOOK_EVENTS,
};

use crate::api;
use crate::components::live_badge::LiveBadge;
use crate::components::top_bar::TopBar;
use crate::connect::{hydrated, live_link};
use crate::data::{PageData, WebhookView};
use crate::pages::{forbidden::Missing, title};
use crate::time::absolute;

/// Deliveries kept per webhook on the page.
const RECENT: usize = 10;

/// A delivery pushed or answered: replaces its row, or goes first.
pub fn merge_delivery(recent: &mut Vec<WebhookDelivery>, d: WebhookDelivery) {
    match recent.iter_mut().find(|r| r.id == d.id) {
        Some(slot) => *slot = d,
        None => {
            recent.insert(0, d);
            recent.sort_by_key(|d| std::cmp::Reverse(d.id));
            recent.truncate(RECENT);
        }
    }
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.webhooks else {
        return view! { <Missing/> }.into_any();
    };
    let hooks = RwSignal::new(page.webhooks);
    let live = live_link(move |message| {
        if let ServerToTab::WebhookDeliveryUpdated(d) = message {
            hooks.update(|list| {
                if let Some(v) = list.iter_mut().find(|v| v.webhook.id == d.webhook_id) {
                    v.webhook.last_delivery = Some((*d).clone());
                    merge_delivery(&mut v.recent, *d);
                }
            });
        }
    });
    let cards = move || {
        hooks
            .get()
            .into_iter()
            .map(|v| view! { <WebhookCard view=v hooks/> })
            .collect_view()
    };
    view! {
        <Title text=title("Webhooks", &data.viewer)/>
        <TopBar viewer=data.viewer current="/settings/org"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="webhooks-heading">"Webhooks"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <p class="muted webhooks-intro">
                "Each event is POSTed as JSON with " <code>"X-Presence-Event"</code> ", "
                <code>"X-Presence-Delivery"</code> " (the same on every retry) and "
                <code>"X-Presence-Signature"</code> ": " <code>"sha256="</code>
                " and the HMAC-SHA256 of the body with the webhook's secret. A failed delivery is retried with growing waits for 24 hours; a webhook's events arrive in order."
            </p>
            <div id="webhook-list" class="webhook-list">{cards}</div>
            <Show when=move || hooks.with(Vec::is_empty)>
                <p class="empty">"No webhooks yet."</p>
            </Show>
            <AddWebhook hooks/>
        </main>
    }
    .into_any()
}

#[component]
fn WebhookCard(view: WebhookView, hooks: RwSignal<Vec<WebhookView>>) -> impl IntoView {
    let WebhookView { webhook, recent } = view;
    let id = webhook.id;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let ready = hydrated();
    let test = move |_| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/webhooks/{id}/test");
            match api::post_empty::<WebhookDelivery>(&path).await {
                Ok(d) => hooks.update(|list| {
                    if let Some(v) = list.iter_mut().find(|v| v.webhook.id == id) {
                        merge_delivery(&mut v.recent, d);
                    }
                }),
                Err(f) => error.set(Some(f.message)),
            }
            busy.set(false);
        });
    };
    let enabled = webhook.enabled;
    let toggle = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = UpdateWebhookRequest {
                enabled: Some(!enabled),
                ..UpdateWebhookRequest::default()
            };
            match api::patch::<_, Webhook>(&format!("/api/webhooks/{id}"), &body).await {
                Ok(w) => hooks.update(|list| {
                    if let Some(v) = list.iter_mut().find(|v| v.webhook.id == id) {
                        v.webhook = w;
                    }
                }),
                Err(f) => error.set(Some(f.message)),
            }
            busy.set(false);
        });
    };
    let remove = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::delete_no_content(&format!("/api/webhooks/{id}")).await {
                Ok(()) => hooks.update(|list| list.retain(|v| v.webhook.id != id)),
                Err(f) => error.set(Some(f.message)),
            }
            busy.set(false);
        });
    };
    let disabled = move || !ready.get() || busy.get();
    let rows = recent
        .iter()
        .map(|d| {
            let result = match (&d.last_status, &d.last_error) {
                (Some(s), _) if d.state == "delivered" => format!("HTTP {s}"),
                (_, Some(e)) => e.clone(),
                _ => "waiting".to_string(),
            };
            let when = absolute(d.last_attempt_at.unwrap_or(d.created_at));
            view! {
                <tr data-delivery-id=d.delivery_id.clone() data-state=d.state.clone()>
                    <td><code>{d.event.clone()}</code></td>
                    <td><span class=format!("badge delivery-{}", d.state)>{d.state.clone()}</span></td>
                    <td class="num">{d.attempts}</td>
                    <td class="delivery-result">{result}</td>
                    <td class="muted">{when}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = recent.is_empty();
    let state_word = if enabled { "on" } else { "off" };
    view! {
        <section class="card webhook-card" data-webhook-id=id data-enabled=enabled.to_string()>
            <div class="webhook-head">
                <div>
                    <h2 class="webhook-url"><code>{webhook.url.clone()}</code></h2>
                    <p class="muted">
                        {(!webhook.description.is_empty()).then(|| format!("{} · ", webhook.description))}
                        {format!("secret {} · {state_word}", webhook.secret_hint)}
                    </p>
                    <p class="webhook-events">
                        {webhook.events.iter().map(|e| view! { <span class="badge">{e.clone()}</span>" " }).collect_view()}
                    </p>
                </div>
                <div class="row-actions">
                    <button type="button" class="webhook-test" disabled=move || disabled() || !enabled on:click=test>
                        "Send test"
                    </button>
                    <button type="button" class="webhook-toggle" disabled=disabled on:click=toggle>
                        {if enabled { "Disable" } else { "Enable" }}
                    </button>
                    <button type="button" class="webhook-delete danger-outline" disabled=disabled on:click=remove>
                        "Delete"
                    </button>
                </div>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <table class="data-table deliveries">
                <caption class="visually-hidden">"Recent deliveries"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">"Attempts"</th>
                        <th scope="col">"Last result"</th>
                        <th scope="col">"When"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {empty.then(|| view! { <p class="empty">"Nothing delivered yet: send a test."</p> })}
        </section>
    }
}

#[component]
fn AddWebhook(hooks: RwSignal<Vec<WebhookView>>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![
        "session.started".to_string(),
        "session.ended".to_string(),
    ]);
    let error = RwSignal::new(None::<String>);
    let secret = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        secret.set(None);
        let body = CreateWebhookRequest {
            url: url.get_untracked(),
            events: chosen.get_untracked(),
            description: Some(description.get_untracked()),
            secret: None,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, CreatedWebhook>("/api/webhooks", &body).await {
                Ok(created) => {
                    hooks.update(|list| {
                        list.push(WebhookView {
                            webhook: created.webhook,
                            recent: Vec::new(),
                        })
                    });
                    secret.set(Some(created.secret));
                    url.set(String::new());
                    description.set(String::new());
                }
                Err(f) => {
                    let detail = f
                        .fields
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join("; ");
                    error.set(Some(if detail.is_empty() { f.message } else { detail }));
                }
            }
            busy.set(false);
        });
    };
    let boxes = WEBHOOK_EVENTS
        .iter()
        .map(|(kind, what)| {
            let kind = kind.to_string();
            let id = format!("event-{}", kind.replace('.', "-"));
            let label_for = id.clone();
            let checked = {
                let kind = kind.clone();
                move || chosen.with(|c| c.contains(&kind))
            };
            let flip = {
                let kind = kind.clone();
                move |ev| {
                    let on = event_target_checked(&ev);
                    chosen.update(|c| {
                        c.retain(|k| *k != kind);
                        if on {
                            c.push(kind.clone());
                        }
                    });
                }
            };
            view! {
                <label class="event-choice" for=label_for>
                    <input type="checkbox" id=id value=kind.clone() prop:checked=checked on:change=flip/>
                    <code>{kind.clone()}</code>
                    <span class="muted">{*what}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <form id="add-webhook" class="card" on:submit=submit>
            <h2>"Add a webhook"</h2>
            <div class="field">
                <label for="webhook-url">"URL (http:// or https://)"</label>
                <input id="webhook-url" type="url" required placeholder="https://example.com/hooks/presence"
                    prop:value=url on:input=move |ev| url.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="webhook-description">"Description"</label>
                <input id="webhook-description" maxlength="200" placeholder="What receives it"
                    prop:value=description on:input=move |ev| description.set(event_target_value(&ev))/>
            </div>
            <fieldset class="event-choices">
                <legend>"Events"</legend>
                {boxes}
            </fieldset>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" id="webhook-error">{e}</p> })}
            {move || secret.get().map(|s| view! {
                <div class="secret-once" role="status">
                    <p>"The webhook's secret — copy it now, it is not shown again:"</p>
                    <code id="new-webhook-secret">{s}</code>
                </div>
            })}
            <button type="submit" class="primary" id="add-webhook-submit" disabled=move || !ready.get() || busy.get()>
                "Add webhook"
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn delivery(id: i64, state: &str) -> WebhookDelivery {
        WebhookDelivery {
            id,
            webhook_id: 1,
            delivery_id: format!("dlv_{id}"),
            event: "webhook.test".into(),
            state: state.into(),
            attempts: 1,
            created_at: Utc::now(),
            last_attempt_at: None,
            last_status: None,
            last_error: None,
            next_attempt_at: None,
            delivered_at: None,
        }
    }

    #[test]
    fn a_pushed_delivery_replaces_its_row_or_goes_first() {
        let mut recent = vec![delivery(2, "pending"), delivery(1, "delivered")];
        merge_delivery(&mut recent, delivery(2, "delivered"));
        assert_eq!(recent[0].state, "delivered");
        merge_delivery(&mut recent, delivery(3, "pending"));
        let ids: Vec<i64> = recent.iter().map(|d| d.id).collect();
        assert_eq!(ids, [3, 2, 1]);
    }
}
