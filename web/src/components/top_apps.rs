//! The apps a session's time went to, most first: `table#session-apps` with a bar for each
//! app's share of all the time attributed to apps.

use leptos::prelude::*;
use shared::activity::AppTime;

use crate::time::hms;

/// Whole percent of `part` in `total`.
pub fn share(part: i64, total: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    (part.clamp(0, total) * 100 + total / 2) / total
}

#[component]
pub fn TopApps(apps: Vec<AppTime>, total_seconds: i64) -> impl IntoView {
    if apps.is_empty() {
        return view! {
            <p class="empty" id="apps-empty">
                "No app usage recorded (website and app tracking may be off in the policy)."
            </p>
        }
        .into_any();
    }
    let rows = apps
        .into_iter()
        .map(|a| {
            let pct = share(a.seconds, total_seconds);
            let app = a.app.clone();
            view! {
                <tr data-app=app>
                    <th scope="row" class="app-name">{a.app}</th>
                    <td class="app-title">{a.last_title.unwrap_or_default()}</td>
                    <td class="num app-time">{hms(a.seconds)}</td>
                    <td class="app-share">
                        <span class="share-track" aria-hidden="true">
                            <span class="share-fill" style=format!("width: {pct}%")></span>
                        </span>
                        <span class="share-text">{format!("{pct}%")}</span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" role="region" aria-labelledby="apps-heading" tabindex="0">
            <table id="session-apps" class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"App"</th>
                        <th scope="col">"Last window title"</th>
                        <th scope="col" class="num">"Time"</th>
                        <th scope="col">"Share"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_round_and_survive_an_empty_total() {
        assert_eq!(share(1, 3), 33);
        assert_eq!(share(2, 3), 67);
        assert_eq!(share(5, 0), 0);
        assert_eq!(share(9, 4), 100);
    }
}
