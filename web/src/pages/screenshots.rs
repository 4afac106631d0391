//! `/screenshots`: what the desktop agents uploaded, newest first, grouped by user and work
//! session. Supervisors and up see the organization (with a user filter); members see their own.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::Screenshot;

use crate::components::live_badge::LiveBadge;
use crate::components::pager::Pager;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::time::{absolute, machine};

/// Consecutive screenshots of one user and one session (the list is newest first).
fn groups(items: Vec<Screenshot>) -> Vec<Vec<Screenshot>> {
    let mut out: Vec<Vec<Screenshot>> = Vec::new();
    for shot in items {
        match out.last_mut() {
            Some(group)
                if group[0].user_id == shot.user_id && group[0].session_id == shot.session_id =>
            {
                group.push(shot)
            }
            _ => out.push(vec![shot]),
        }
    }
    out
}

/// "412 KB", "1.3 MB".
fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[component]
pub fn ScreenshotsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.screenshots else {
        return view! { <Missing/> }.into_any();
    };
    let live = live_link(|_| {});
    let query = page.query.clone();
    let chosen_user = query.user_id;
    let user_filter = (!page.users.is_empty()).then(|| {
        let options = page
            .users
            .iter()
            .map(|u| {
                view! {
                    <option value=u.id selected=chosen_user == Some(u.id)>{u.name.clone()}</option>
                }
            })
            .collect_view();
        view! {
            <div class="field">
                <label for="shots-user">"User"</label>
                <select id="shots-user" name="user_id">
                    <option value="" selected=chosen_user.is_none()>"Everyone"</option>
                    {options}
                </select>
            </div>
        }
    });
    let session_value = query
        .session_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let empty = page.list.items.is_empty();
    let (total, list_page, per_page) = (page.list.total, query.page, query.per_page);
    let sections = groups(page.list.items)
        .into_iter()
        .map(|group| {
            let (user_id, session_id) = (group[0].user_id, group[0].session_id);
            let heading = group[0].user_name.clone();
            let session = match session_id {
                Some(id) => view! {
                    <a href=format!("/screenshots?session_id={id}") rel="external">
                        {format!("session #{id}")}
                    </a>
                }
                .into_any(),
                None => view! { <span>"no session"</span> }.into_any(),
            };
            let shots = group
                .into_iter()
                .map(|shot| {
                    let alt = format!(
                        "{}'s screen at {}",
                        shot.user_name,
                        absolute(shot.captured_at)
                    );
                    view! {
                        <figure class="shot" data-screenshot-id=shot.id>
                            <a href=shot.url.clone() rel="external" target="_blank">
                                <img
                                    src=shot.url.clone()
                                    alt=alt
                                    loading="lazy"
                                    width=shot.width
                                    height=shot.height
                                />
                            </a>
                            <figcaption>
                                <time datetime=machine(shot.captured_at)>
                                    {absolute(shot.captured_at)}
                                </time>
                                <span class="muted">
                                    {format!(" · {}×{} · {}", shot.width, shot.height, size(shot.bytes))}
                                </span>
                            </figcaption>
                        </figure>
                    }
                })
                .collect_view();
            view! {
                <section class="shot-group card" data-user-id=user_id>
                    <h2>{heading}" · "{session}</h2>
                    <div class="shot-grid">{shots}</div>
                </section>
            }
        })
        .collect_view();
    view! {
        <Title text=title("Screenshots", &data.viewer)/>
        <TopBar viewer=data.viewer current="/screenshots"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="screenshots-heading">"Screenshots"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <form id="screenshots-filter" class="filters card" method="get" action="/screenshots">
                {user_filter}
                <div class="field">
                    <label for="shots-session">"Session"</label>
                    <input
                        id="shots-session"
                        name="session_id"
                        type="number"
                        min="1"
                        inputmode="numeric"
                        placeholder="any"
                        value=session_value
                    />
                </div>
                <div class="filter-actions">
                    <button type="submit" class="primary">"Filter"</button>
                </div>
            </form>
            <div id="screenshot-list">{sections}</div>
            {empty
                .then(|| {
                    view! {
                        <p class="empty">
                            "No screenshots match. The desktop agent takes them while a session runs and the policy enables them."
                        </p>
                    }
                })}
            <Pager
                page=list_page
                per_page=per_page
                total=total
                noun="screenshots"
                href=move |p| query.page_href(p)
            />
        </main>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn shot(id: i64, user_id: i64, session_id: Option<i64>) -> Screenshot {
        Screenshot {
            id,
            user_id,
            user_name: format!("user {user_id}"),
            session_id,
            captured_at: Utc::now(),
            width: 10,
            height: 10,
            bytes: 100,
            url: format!("/api/screenshots/{id}/image"),
        }
    }

    #[test]
    fn groups_consecutive_shots_of_one_user_and_session() {
        let g = groups(vec![
            shot(5, 1, Some(9)),
            shot(4, 1, Some(9)),
            shot(3, 2, Some(8)),
            shot(2, 1, None),
            shot(1, 1, Some(9)),
        ]);
        let ids: Vec<Vec<i64>> = g.iter().map(|g| g.iter().map(|s| s.id).collect()).collect();
        assert_eq!(ids, vec![vec![5, 4], vec![3], vec![2], vec![1]]);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(100), "1 KB");
        assert_eq!(size(412 * 1024), "412 KB");
        assert_eq!(size(1363149), "1.3 MB");
    }
}
