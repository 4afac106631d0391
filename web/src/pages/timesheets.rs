//! `/timesheets`: a week (ISO, in the organization's timezone) per user and day, with its
//! state; supervisors approve a user's week, admins reopen it. Choosing a user lists their
//! sessions that touch the week (one across Monday 00:00 in both weeks, with the part that
//! belongs to each), each correctable or deletable with a reason. Pushes about sessions and
//! weeks read the week again, so every open page follows.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;
use shared::timesheets::TimesheetWeek;
use shared::worktime::WorktimeReport;

use crate::components::live_badge::LiveBadge;
use crate::components::session_fix::SessionFix;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::query::TimesheetQuery;
use crate::time::{absolute, hm, hms, signed_hm};

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
    let worktime = RwSignal::new(page.worktime.clone());
    let month = RwSignal::new(page.month.clone());
    let selected = page.selected;
    let (can_approve, can_reopen) = (page.can_approve, page.can_reopen);
    let notice = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<i64>);

    // One read brings the grid and the chosen person's sessions with their parts.
    let sheet_path = match selected {
        Some(user) => format!("/api/timesheets?week={week}&user_id={user}"),
        None => format!("/api/timesheets?week={week}"),
    };
    let worktime_path = format!(
        "/api/worktime?from={}&to={}",
        page.worktime.from, page.worktime.to
    );
    let month_path = format!(
        "/api/worktime?from={}&to={}",
        page.month.from, page.month.to
    );
    let reload = {
        let sheet_path = sheet_path.clone();
        move || {
            let (path, figures) = (sheet_path.clone(), worktime_path.clone());
            let month_figures = month_path.clone();
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = crate::api::get::<TimesheetWeek>(&path).await {
                    sheet.set(fresh);
                }
                if let Ok(fresh) = crate::api::get::<WorktimeReport>(&figures).await {
                    worktime.set(fresh);
                }
                if let Ok(fresh) = crate::api::get::<WorktimeReport>(&month_figures).await {
                    month.set(fresh);
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
                    | ServerToTab::AbsenceUpdated(_)
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
                    // Planned, absence and balance, when the figures hold this person.
                    let figures = worktime.with(|w| {
                        w.users.iter().find(|u| u.user_id == user_id).map(|u| {
                            (hm(u.planned_seconds), hm(u.absence_seconds), signed_hm(u.balance_seconds), u.balance_seconds < 0)
                        })
                    });
                    let (planned, absent, balance, short) = figures.unwrap_or_else(|| {
                        ("\u{2014}".into(), "\u{2014}".into(), "\u{2014}".into(), false)
                    });
                    let short = short.then_some("true");
                    view! {
                        <tr data-user-id=user_id data-state=row.state.clone() aria-selected=chosen>
                            <th scope="row">
                                <a href=TimesheetQuery::href(&week, Some(user_id)) rel="external">{name.clone()}</a>
                            </th>
                            {cells}
                            <td class="num total">{hm(row.total_seconds)}</td>
                            <td class="num planned">{planned}</td>
                            <td class="num absence">{absent}</td>
                            <td class="num balance" data-short=short>{balance}</td>
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
        sheet.with(|sheet| {
            sheet.sessions.iter().flatten()
                .map(|entry| {
                    let s = &entry.session;
                    let id = s.id;
                    let duration = match s.duration_seconds {
                        Some(d) => hms(d),
                        None => "running".to_string(),
                    };
                    // Only part of it is this week's when it crosses Monday 00:00.
                    let in_week = hms(entry.seconds_in_week);
                    let partial = s.duration_seconds.is_some_and(|d| d != entry.seconds_in_week).then_some("true");
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
                                    <td colspan="7"><SessionFix session=session.clone() on_done=done/></td>
                                </tr>
                            }
                        })
                    };
                    view! {
                        <tr data-session-id=id>
                            <td>{absolute(s.started_at)}</td>
                            <td>{ended}</td>
                            <td class="num duration">{duration}</td>
                            <td class="num in-week" data-partial=partial>{in_week}</td>
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
                                <th scope="col" class="num">"In this week"</th>
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
    // The month of the week's Monday: the same figures over every day of it.
    let month_name = page.month.from.format("%B %Y").to_string();
    let month_rows = move || {
        month.with(|m| {
            m.users
                .iter()
                .map(|u| {
                    let short = (u.balance_seconds < 0).then_some("true");
                    view! {
                        <tr data-user-id=u.user_id>
                            <th scope="row">{u.name.clone()}</th>
                            <td class="num planned">{hm(u.planned_seconds)}</td>
                            <td class="num worked">{hm(u.worked_seconds)}</td>
                            <td class="num absence">{hm(u.absence_seconds)}</td>
                            <td class="num difference">{signed_hm(u.difference_seconds)}</td>
                            <td class="num balance" data-short=short>{signed_hm(u.balance_seconds)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let month_panel = view! {
        <section class="card" aria-labelledby="month-heading" id="month-figures">
            <h2 id="month-heading">{format!("{month_name}: working time")}</h2>
            <div class="table-wrap" role="region" aria-labelledby="month-heading" tabindex="0">
                <table class="data-table timesheet-grid" id="month-table">
                    <thead>
                        <tr>
                            <th scope="col">"Person"</th>
                            <th scope="col" class="num">"Planned"</th>
                            <th scope="col" class="num">"Worked"</th>
                            <th scope="col" class="num">"Absence"</th>
                            <th scope="col" class="num" title="Worked and absent time minus planned, this month">"Difference"</th>
                            <th scope="col" class="num" title="Carried from the plan's start to the month's end (or today)">"Balance"</th>
                        </tr>
                    </thead>
                    <tbody>{month_rows}</tbody>
                </table>
            </div>
        </section>
    };
    // Exports of this week and of its Monday's month: the chosen person's, or the team's.
    let who = selected
        .map(|id| format!("&user_id={id}"))
        .unwrap_or_default();
    let month_slug = page.month.from.format("%Y-%m").to_string();
    let downloads = ["csv", "xlsx", "pdf"]
        .into_iter()
        .map(|ext| {
            let week_href = format!("/api/worktime/export.{ext}?week={week}{who}");
            let month_href = format!("/api/worktime/export.{ext}?month={month_slug}{who}");
            let label = ext.to_uppercase();
            view! {
                <a href=week_href rel="external" download class=format!("export-week-{ext}")>{format!("Week {label}")}</a>
                <a href=month_href rel="external" download class=format!("export-month-{ext}")>{format!("Month {label}")}</a>
            }
        })
        .collect_view();
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
            <nav class="export-links" id="timesheet-exports" aria-label="Download this timesheet">
                <span class="muted">{if selected.is_some() { "Download (this person):" } else { "Download (team):" }}</span>
                {downloads}
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
                            <th scope="col" class="num">"Planned"</th>
                            <th scope="col" class="num">"Absence"</th>
                            <th scope="col" class="num" title="Worked and absent time beyond the plan, carried from the plan's start to the week's end (or today)">"Balance"</th>
                            <th scope="col">"State"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {sessions_panel}
            {month_panel}
        </main>
    }
    .into_any()
}
