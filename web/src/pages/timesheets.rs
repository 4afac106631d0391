//! `/timesheets`: a week (ISO, in the organization's timezone) per user and day, with its
//! state; supervisors approve a user's week, admins reopen it. Choosing a user lists their
//! sessions of the week, each correctable or deletable with a reason. Pushes about sessions
//! and weeks read the week again, so every open page follows.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::Paged;
use shared::protocol::{ServerToTab, SessionInfo};
use shared::timesheets::TimesheetWeek;

use crate::components::live_badge::LiveBadge;
use crate::components::session_fix::SessionFix;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::query::TimesheetQuery;
use crate::time::{absolute, hm, hms};

#[component]
pub fn TimesheetsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.timesheets else {
        return view! { <Missing/> }.into_any();
    };
    let viewer = data.viewer.clone();
    let (viewer_id, viewer_admin) = viewer.as_ref().map_or((0, false), |v| {
        (v.user.id, v.user.role.at_least(shared::Role::Admin))
    });
    let week = page.sheet.week.clone();
    let sheet = RwSignal::new(page.sheet.clone());
    let sessions = RwSignal::new(page.sessions.clone());
    let selected = page.selected;
    let (can_approve, can_reopen) = (page.can_approve, page.can_reopen);
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<i64>);

    let sheet_path = format!("/api/timesheets?week={week}");
    let sessions_path = selected.map(|user| {
        format!(
            "/api/sessions?user_id={user}&from={}&to={}&per_page=100",
            crate::query::encode(&page.week_from.to_rfc3339()),
            crate::query::encode(&page.week_to.to_rfc3339())
        )
    });
    let reload = {
        let sheet_path = sheet_path.clone();
        let sessions_path = sessions_path.clone();
        move || {
            let (a, b) = (sheet_path.clone(), sessions_path.clone());
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = crate::api::get::<TimesheetWeek>(&a).await {
                    sheet.set(fresh);
                }
                if let Some(b) = b {
                    if let Ok(list) = crate::api::get::<Paged<SessionInfo>>(&b).await {
                        let mut items = list.items;
                        items.reverse();
                        sessions.set(items);
                    }
                }
            });
        }
    };
    let live = {
        let reload = reload.clone();
        live_link(move |message| {
            if matches!(
                message,
                ServerToTab::SessionStarted { .. }
                    | ServerToTab::SessionEnded(_)
                    | ServerToTab::SessionUpdated { .. }
                    | ServerToTab::SessionDeleted(_)
                    | ServerToTab::TimesheetUpdated(_)
            ) {
                reload();
            }
        })
    };
    let act = {
        let week = week.clone();
        move |user_id: i64, name: String, approve: bool| {
            let path = format!(
                "/api/timesheets/{user_id}/{week}/{}",
                if approve { "approve" } else { "reopen" }
            );
            let week = week.clone();
            leptos::task::spawn_local(async move {
                let result = crate::api::post_empty::<serde_json::Value>(&path).await;
                notice.set(Some(match result {
                    Ok(_) if approve => format!("{name}'s week {week} is approved and locked."),
                    Ok(_) => format!("{name}'s week {week} is open again."),
                    Err(f) => f.message,
                }));
            });
        }
    };

    let day_heads = page
        .sheet
        .dates
        .iter()
        .map(|d| view! { <th scope="col" class="num">{d.format("%a %-d").to_string()}</th> })
        .collect_view();
    let week_for_rows = week.clone();
    let rows = move || {
        let act = act.clone();
        let week = week_for_rows.clone();
        sheet.with(|s| {
            s.users
                .iter()
                .map(|row| {
                    let approved = row.state == "approved";
                    let (user_id, name) = (row.user_id, row.name.clone());
                    let cells = row
                        .days
                        .iter()
                        .map(|secs| {
                            let empty = (*secs == 0).then_some("true");
                            view! { <td class="num day" data-empty=empty>{hm(*secs)}</td> }
                        })
                        .collect_view();
                    let state = if approved {
                        let by = row.changed_by_name.clone().unwrap_or_default();
                        view! { <span class="badge badge-approved" title=format!("Approved by {by}")>"Approved"</span> }.into_any()
                    } else {
                        view! { <span class="badge">"Open"</span> }.into_any()
                    };
                    let action = match (approved, can_approve, can_reopen) {
                        (false, true, _) => {
                            let act = act.clone();
                            let name = name.clone();
                            Some(view! {
                                <button type="button" class="approve-week" data-user-id=user_id on:click=move |_| act(user_id, name.clone(), true)>
                                    "Approve"
                                </button>
                            }.into_any())
                        }
                        (true, _, true) => {
                            let act = act.clone();
                            let name = name.clone();
                            Some(view! {
                                <button type="button" class="reopen-week secondary" data-user-id=user_id on:click=move |_| act(user_id, name.clone(), false)>
                                    "Reopen"
                                </button>
                            }.into_any())
                        }
                        _ => None,
                    };
                    let chosen = (Some(user_id) == selected).then_some("true");
                    view! {
                        <tr data-user-id=user_id data-state=row.state.clone() aria-selected=chosen>
                            <th scope="row">
                                <a href=TimesheetQuery::href(&week, Some(user_id)) rel="external">{name.clone()}</a>
                            </th>
                            {cells}
                            <td class="num total">{hm(row.total_seconds)}</td>
                            <td class="state">{state}</td>
                            <td class="actions">{action}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let selected_name = selected.and_then(|id| {
        page.sheet
            .users
            .iter()
            .find(|u| u.user_id == id)
            .map(|u| u.name.clone())
    });
    let selected_locked = move || {
        sheet.with(|s| {
            s.users
                .iter()
                .any(|u| Some(u.user_id) == selected && u.state == "approved")
        })
    };
    let may_fix = selected.is_some_and(|id| id == viewer_id || viewer_admin);
    let session_rows = move || {
        let locked = selected_locked();
        sessions.with(|list| {
            list.iter()
                .map(|s| {
                    let id = s.id;
                    let duration = match s.duration_seconds {
                        Some(d) => hms(d),
                        None => "running".to_string(),
                    };
                    let ticket = s.ticket_title.clone().unwrap_or_default();
                    let ended = s.ended_at.map(absolute).unwrap_or_default();
                    let fix = (may_fix && !locked).then(|| {
                        view! {
                            <button
                                type="button"
                                class="edit-session secondary"
                                data-session-id=id
                                aria-expanded=move || (editing.get() == Some(id)).to_string()
                                on:click=move |_| editing.update(|e| *e = if *e == Some(id) { None } else { Some(id) })
                            >
                                "Edit"
                            </button>
                        }
                    });
                    let session = s.clone();
                    let form = move || {
                        (editing.get() == Some(id)).then(|| {
                            let done = Callback::new(move |_| {
                                editing.set(None);
                                notice.set(Some("Saved: the correction is in the audit log.".into()));
                            });
                            view! {
                                <tr class="fix-row">
                                    <td colspan="6"><SessionFix session=session.clone() on_done=done/></td>
                                </tr>
                            }
                        })
                    };
                    view! {
                        <tr data-session-id=id>
                            <td>{absolute(s.started_at)}</td>
                            <td>{ended}</td>
                            <td class="num duration">{duration}</td>
                            <td>{ticket}</td>
                            <td class="note">{s.note.clone().unwrap_or_default()}</td>
                            <td class="actions">{fix}</td>
                        </tr>
                        {form}
                    }
                })
                .collect_view()
        })
    };
    let sessions_panel = selected_name.map(|name| {
        view! {
            <section class="card" aria-labelledby="week-sessions-heading" id="week-sessions">
                <h2 id="week-sessions-heading">{format!("{name}'s sessions in {}", page.sheet.week)}</h2>
                <Show when=selected_locked>
                    <p class="hint" id="week-locked">"This week is approved: its time is locked until an admin reopens it."</p>
                </Show>
                <div class="table-wrap" role="region" aria-labelledby="week-sessions-heading" tabindex="0">
                    <table class="data-table" id="week-sessions-table">
                        <thead>
                            <tr>
                                <th scope="col">"Started"</th>
                                <th scope="col">"Ended"</th>
                                <th scope="col" class="num">"Duration"</th>
                                <th scope="col">"Ticket"</th>
                                <th scope="col">"Note"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>{session_rows}</tbody>
                    </table>
                </div>
            </section>
        }
    });
    let previous = TimesheetQuery::href(&page.sheet.previous_week, selected);
    let next = TimesheetQuery::href(&page.sheet.next_week, selected);
    view! {
        <Title text=title("Timesheets", &viewer)/>
        <TopBar viewer=viewer current="/timesheets"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="timesheets-heading">"Timesheets"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <nav class="week-nav" aria-label="Weeks">
                <a href=previous rel="external" id="week-previous">"← Previous week"</a>
                <strong id="week-name">{format!("{} · {}", page.sheet.week, page.sheet.timezone)}</strong>
                <a href=next rel="external" id="week-next">"Next week →"</a>
            </nav>
            <p class="notice" id="timesheet-notice" role="status" hidden=move || notice.with(Option::is_none)>
                {move || notice.get()}
            </p>
            <div class="table-wrap" role="region" aria-labelledby="timesheets-heading" tabindex="0">
                <table id="timesheet-grid" class="data-table timesheet-grid">
                    <thead>
                        <tr>
                            <th scope="col">"Person"</th>
                            {day_heads}
                            <th scope="col" class="num">"Total"</th>
                            <th scope="col">"State"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {sessions_panel}
        </main>
    }
    .into_any()
}
