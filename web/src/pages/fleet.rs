//! `/fleet` (admins and owners): every agent device — who, which release on which OS,
//! connected or last seen, the policy version it applied, its last screenshot — with agents
//! that run an old policy or failed their last capture marked. Live: `agents_updated` replaces
//! rows in place, `config_updated` makes every agent stale until it acknowledges.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::fleet::AgentDevice;
use shared::protocol::ServerToTab;

use crate::components::live_badge::LiveBadge;
use crate::components::top_bar::TopBar;
use crate::connect::{clock, live_link};
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::time::{absolute, machine, relative};

/// The page's rows: connected first, then by last contact (as the hub lists them).
fn sort_devices(devices: &mut [AgentDevice]) {
    devices.sort_by(|a, b| {
        b.connected
            .cmp(&a.connected)
            .then(b.last_seen_at.cmp(&a.last_seen_at))
            .then(a.device_id.cmp(&b.device_id))
    });
}

/// Applies pushed devices to the list: replaced in place, new ones added.
pub fn merge_devices(list: &mut Vec<AgentDevice>, pushed: Vec<AgentDevice>) {
    for device in pushed {
        match list.iter_mut().find(|d| d.device_id == device.device_id) {
            Some(slot) => *slot = device,
            None => list.push(device),
        }
    }
    sort_devices(list);
}

/// "3 min ago" in the browser, the absolute time in the first HTML.
fn when(at: chrono::DateTime<chrono::Utc>, now: Option<i64>) -> String {
    match now {
        Some(now) => relative(at, now),
        None => absolute(at),
    }
}

#[component]
pub fn FleetPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.fleet else {
        return view! { <Missing/> }.into_any();
    };
    let version = RwSignal::new(page.list.config_version);
    let devices = RwSignal::new(page.list.agents);
    let now = clock();
    let live = live_link(move |message| match message {
        ServerToTab::AgentsUpdated { agents } => devices.update(|list| merge_devices(list, agents)),
        ServerToTab::ConfigUpdated(update) => {
            version.set(update.config_version);
            devices.update(|list| {
                for d in list.iter_mut() {
                    d.config_current = d.config_version == Some(update.config_version);
                }
            });
        }
        _ => {}
    });
    let summary = move || {
        devices.with(|list| {
            let connected = list.iter().filter(|d| d.connected).count();
            let attention = list.iter().filter(|d| !d.problems().is_empty()).count();
            format!(
                "{} agents · {connected} connected · {attention} need attention · policy version {}",
                list.len(),
                version.get()
            )
        })
    };
    let rows = move || {
        devices
            .get()
            .into_iter()
            .map(|d| view! { <FleetRow device=d now/> })
            .collect_view()
    };
    let empty = move || devices.with(Vec::is_empty);
    view! {
        <Title text=title("Fleet", &data.viewer)/>
        <TopBar viewer=data.viewer current="/fleet"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="fleet-heading">"Agent fleet"</h1>
                <div class="page-meta">
                    <span id="fleet-summary">{summary}</span>
                    <LiveBadge live/>
                </div>
            </div>
            <div class="table-wrap" role="region" aria-labelledby="fleet-heading" tabindex="0">
                <table id="fleet-table" class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Person"</th>
                            <th scope="col">"Agent"</th>
                            <th scope="col">"Connection"</th>
                            <th scope="col">"Policy"</th>
                            <th scope="col">"Last screenshot"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Show when=empty>
                <p class="empty">
                    "No agent has signed in yet. Install presence-agent on a desktop (from "
                    <a href="/downloads" rel="external">"Downloads"</a>
                    ") and log in with "<code>"presence-agent login"</code>"."
                </p>
            </Show>
        </main>
    }
    .into_any()
}

#[component]
fn FleetRow(device: AgentDevice, now: RwSignal<Option<i64>>) -> impl IntoView {
    let problems = device.problems();
    let attention = !problems.is_empty();
    let row_class = if attention {
        "fleet-row needs-attention"
    } else {
        "fleet-row"
    };
    let last_seen = device.last_seen_at;
    let connected_at = device.connected_at;
    let connection = if device.connected {
        let since = move || connected_at.map(|at| format!("since {}", when(at, now.get())));
        view! {
            <span class="dot dot-active" aria-hidden="true"></span>
            <span class="fleet-connected">"Connected"</span>
            " "<span class="muted">{since}</span>
        }
        .into_any()
    } else {
        view! {
            <span class="dot dot-offline" aria-hidden="true"></span>
            <span class="fleet-offline">"Last seen "</span>
            <time datetime=machine(last_seen)>{move || when(last_seen, now.get())}</time>
        }
        .into_any()
    };
    let policy = match (device.config_version, device.config_current) {
        (Some(v), true) => {
            view! { <span class="fleet-ok">{format!("v{v}")}" · current"</span> }.into_any()
        }
        (Some(v), false) => view! {
            <span class="badge badge-warn" title="This agent has not applied the current policy">
                {format!("v{v} · old")}
            </span>
        }
        .into_any(),
        (None, _) => view! {
            <span class="badge badge-warn" title="This agent never acknowledged a policy">
                "not applied"
            </span>
        }
        .into_any(),
    };
    let capture = match device.last_capture.clone() {
        None => view! { <span class="muted">"none yet"</span> }.into_any(),
        Some(c) => {
            let at = c.at;
            let ago = move || when(at, now.get());
            match c.error {
                None => {
                    view! { <span class="fleet-ok">"OK"</span>" "<span class="muted">{ago}</span> }
                        .into_any()
                }
                Some(e) => view! {
                    <span class="badge badge-error" title=e.clone()>"Failed"</span>
                    " "<span class="fleet-capture-error">{e}</span>
                    " "<span class="muted">{ago}</span>
                }
                .into_any(),
            }
        }
    };
    let version = device
        .agent_version
        .clone()
        .unwrap_or_else(|| "version unknown".into());
    let os = device.os.clone().unwrap_or_else(|| "OS unknown".into());
    view! {
        <tr
            class=row_class
            data-device=device.device_id
            data-connected=device.connected.to_string()
            data-stale=(!device.config_current).to_string()
            data-attention=attention.to_string()
        >
            <th scope="row">
                {device.user_name.clone()}
                <span class="muted fleet-device">{format!(" · device #{}", device.device_id)}</span>
                {attention.then(|| view! { <div class="fleet-problems">{problems.join("; ")}</div> })}
            </th>
            <td class="fleet-agent">
                <span class="fleet-version">{version}</span>
                <span class="fleet-os muted">{os}</span>
            </td>
            <td class="fleet-connection">{connection}</td>
            <td class="fleet-policy">{policy}</td>
            <td class="fleet-capture">{capture}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn device(id: i64, connected: bool, seen_min: u32) -> AgentDevice {
        AgentDevice {
            device_id: id,
            user_id: id,
            user_name: format!("U{id}"),
            agent_version: None,
            os: None,
            connected,
            connected_at: None,
            last_seen_at: Utc.with_ymd_and_hms(2026, 12, 1, 10, seen_min, 0).unwrap(),
            config_version: Some(1),
            config_applied_at: None,
            config_current: true,
            last_capture: None,
        }
    }

    #[test]
    fn pushed_devices_replace_rows_and_keep_connected_ones_first() {
        let mut list = vec![device(1, true, 5), device(2, false, 9)];
        let mut gone = device(1, false, 10);
        gone.config_current = false;
        merge_devices(&mut list, vec![gone, device(3, true, 1)]);
        let ids: Vec<i64> = list.iter().map(|d| d.device_id).collect();
        assert_eq!(ids, vec![3, 1, 2]);
        assert!(!list[1].connected && !list[1].config_current);
    }
}
