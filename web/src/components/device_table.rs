//! A user's live logins (browsers, desktop agents, API tokens) with "Revoke"
//! (`DELETE /api/auth/tokens/{id}`: the token stops working and its sockets close at once).

use leptos::prelude::*;
use shared::people::DeviceToken;

use crate::api;
use crate::components::since::Since;
use crate::time::{absolute, machine};

/// `table#{id}` of `devices`; rows are `tr[data-token-id]`. The viewer's own current login
/// (`current`) is marked "this browser" and has no Revoke button (Log out ends it).
#[component]
pub fn DeviceTable(
    #[prop(into)] id: String,
    /// The id of the heading naming the table.
    #[prop(into)]
    labelled_by: String,
    devices: RwSignal<Vec<DeviceToken>>,
    now_ms: RwSignal<Option<i64>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(None::<i64>);
    let revoke = move |token_id: i64| {
        if busy.get_untracked().is_some() {
            return;
        }
        busy.set(Some(token_id));
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::delete_no_content(&format!("/api/auth/tokens/{token_id}")).await;
            busy.set(None);
            match result {
                Ok(()) => devices.update(|d| d.retain(|t| t.id != token_id)),
                // Already gone (revoked elsewhere or expired): drop it from the list too.
                Err(f) if f.status == 404 => devices.update(|d| d.retain(|t| t.id != token_id)),
                Err(f) => error.set(Some(f.message)),
            }
        });
    };
    let error_id = format!("{id}-error");
    let region_label = labelled_by.clone();
    view! {
        <div class="table-wrap" role="region" aria-labelledby=region_label tabindex="0">
            <table id=id class="data-table device-table" aria-labelledby=labelled_by>
                <thead>
                    <tr>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col" class="actions">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || devices.get()
                        key=|t| t.id
                        children=move |t| {
                            let token_id = t.id;
                            let created = t.created_at;
                            let last_used = t.last_used_at;
                            let label = format!(
                                "Revoke the {} login of {} signed in {}",
                                t.kind.label().to_lowercase(),
                                t.user_name,
                                absolute(created),
                            );
                            view! {
                                <tr data-token-id=token_id data-current=t.current.then_some("true")>
                                    <td class="kind">
                                        {t.kind.label()}
                                        {t.current.then(|| view! {
                                            " " <span class="badge badge-current">"this browser"</span>
                                        })}
                                    </td>
                                    <td class="signed-in">
                                        <time datetime=machine(created)>{absolute(created)}</time>
                                    </td>
                                    <td class="last-used">
                                        <Since at=move || last_used now_ms/>
                                    </td>
                                    <td class="address">
                                        {t.client_ip.clone().unwrap_or_else(|| "—".into())}
                                    </td>
                                    <td class="actions">
                                        {if t.current {
                                            view! { <span class="muted">"Log out to end it"</span> }
                                                .into_any()
                                        } else {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="revoke danger-outline"
                                                    aria-label=label
                                                    disabled=move || busy.get() == Some(token_id)
                                                    on:click=move |_| revoke(token_id)
                                                >
                                                    "Revoke"
                                                </button>
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
        <p class="empty" hidden=move || devices.with(|d| !d.is_empty())>"No live logins."</p>
        <p id=error_id class="form-error" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get()}
        </p>
    }
}
