//! `#coverage-alerts` on `/`: game servers with players but too few staff (SPEC §15), live.

use leptos::prelude::*;
use shared::game_servers::CoverageAlert;

use crate::time::absolute;

#[component]
pub fn CoverageBanner(alerts: RwSignal<Vec<CoverageAlert>>) -> impl IntoView {
    let items = move || {
        alerts
            .get()
            .into_iter()
            .map(|a| {
                let since = format!(" · short of staff since {}", absolute(a.since));
                view! {
                    <li data-server-id=a.server_id class="coverage-banner">
                        <strong>{a.summary()}</strong>
                        <span class="muted">{since}</span>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section id="coverage-alerts" aria-label="Coverage alerts" aria-live="polite"
            hidden=move || alerts.with(Vec::is_empty)>
            <ul>{items}</ul>
        </section>
    }
}
