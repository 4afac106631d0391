//! `/absences`: ask for time off (vacation, sick, other; full days or a half day), see each
//! request's state as it changes (pushed), and — supervisors and up — approve or refuse with
//! a reason. Admins and owners also record absences for others, keep the holidays (one by
//! one, or an iCalendar file) and set the working-time plans.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;
use shared::worktime::{
    Absence, AbsenceKind, AbsenceState, DecideAbsence, Holiday, HolidayImport, NewHoliday,
    RequestAbsence, SetWorkPlan, WorkPlan,
};

use crate::api;
use crate::components::live_badge::LiveBadge;
use crate::components::top_bar::TopBar;
use crate::connect::{hydrated, live_link};
use crate::data::{AbsencesPageData, PageData, Person};
use crate::pages::{forbidden::Missing, title};

/// A pushed or answered absence: replaces its row, or joins the list in date order.
pub fn merge_absence(list: &mut Vec<Absence>, absence: Absence) {
    match list.iter_mut().find(|a| a.id == absence.id) {
        Some(slot) => *slot = absence,
        None => {
            list.push(absence);
            list.sort_by_key(|a| (a.first_day, a.id));
        }
    }
}

/// "2026-12-21 – 2026-12-23", "2026-12-24 (half day)", "2026-12-24".
pub fn days_text(a: &Absence) -> String {
    if a.half_day {
        format!("{} (half day)", a.first_day)
    } else if a.first_day == a.last_day {
        a.first_day.to_string()
    } else {
        format!("{} \u{2013} {}", a.first_day, a.last_day)
    }
}

fn state_label(state: AbsenceState) -> &'static str {
    match state {
        AbsenceState::Requested => "Requested",
        AbsenceState::Approved => "Approved",
        AbsenceState::Refused => "Refused",
        AbsenceState::Cancelled => "Cancelled",
    }
}

/// The hub's words for a refused call: each bad field, or its message.
fn failure_text(f: api::ApiFailure) -> String {
    if f.fields.is_empty() {
        f.message
    } else {
        f.fields
            .iter()
            .map(|(k, v)| format!("{}: {v}", k.replace('_', " ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[component]
pub fn AbsencesPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.absences else {
        return view! { <Missing/> }.into_any();
    };
    let viewer = data.viewer.clone();
    let (viewer_id, owner) = viewer.as_ref().map_or((0, false), |v| {
        (v.user.id, v.user.role == shared::Role::Owner)
    });
    let list = RwSignal::new(page.absences.clone());
    let notice = RwSignal::new(None::<String>);
    let live = live_link(move |message| {
        if let ServerToTab::AbsenceUpdated(a) = message {
            list.update(|l| merge_absence(l, *a));
        }
    });
    let can_decide = page.can_decide;
    let can_admin = page.can_admin;
    let rows = move || {
        list.get()
            .into_iter()
            .rev()
            .map(|a| {
                let own = a.user_id == viewer_id;
                let decide = can_decide && a.state == AbsenceState::Requested && (!own || owner);
                let cancel = match a.state {
                    AbsenceState::Requested => own || can_admin,
                    AbsenceState::Approved => can_admin,
                    _ => false,
                };
                view! { <AbsenceRow absence=a decide cancel list notice/> }
            })
            .collect_view()
    };
    let admin = can_admin.then(|| {
        view! {
            <Holidays holidays=page.holidays.clone()/>
            <Plans plans=page.plans.clone() people=page.people.clone()/>
        }
    });
    view! {
        <Title text=title("Absences", &viewer)/>
        <TopBar viewer=viewer current="/absences"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="absences-heading">"Absences"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <p class="notice" id="absence-notice" role="status" hidden=move || notice.with(Option::is_none)>
                {move || notice.get()}
            </p>
            <RequestForm page=page.clone() list notice/>
            <section class="card" aria-labelledby="absence-list-heading">
                <h2 id="absence-list-heading">{if can_decide { "Everyone's absences" } else { "Your absences" }}</h2>
                <div class="table-wrap" role="region" aria-labelledby="absence-list-heading" tabindex="0">
                    <table class="data-table" id="absence-table">
                        <thead>
                            <tr>
                                <th scope="col">"Person"</th>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"Days"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Note"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <Show when=move || list.with(Vec::is_empty)>
                    <p class="empty">"No absences yet."</p>
                </Show>
            </section>
            {admin}
        </main>
    }
    .into_any()
}

#[component]
fn AbsenceRow(
    absence: Absence,
    decide: bool,
    cancel: bool,
    list: RwSignal<Vec<Absence>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = absence.id;
    let ready = hydrated();
    let busy = RwSignal::new(false);
    let refusing = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let act = move |action: &'static str, note: Option<String>| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/absences/{id}/{action}");
            match api::post::<_, Absence>(&path, &DecideAbsence { note }).await {
                Ok(a) => {
                    notice.set(Some(format!(
                        "{}'s absence ({}) is {}.",
                        a.user_name,
                        days_text(&a),
                        state_label(a.state).to_lowercase()
                    )));
                    list.update(|l| merge_absence(l, a));
                }
                Err(f) => notice.set(Some(failure_text(f))),
            }
            busy.set(false);
        });
    };
    let note = match (&absence.note, &absence.decision_note) {
        (Some(n), Some(d)) => format!("{n} \u{2014} {d}"),
        (Some(n), None) => n.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => String::new(),
    };
    let state = absence.state.as_str();
    let actions = view! {
        {decide.then(|| view! {
            <button type="button" class="approve-absence" data-absence-id=id
                disabled=move || !ready.get() || busy.get()
                on:click=move |_| act("approve", None)>"Approve"</button>
            <button type="button" class="refuse-absence secondary" data-absence-id=id
                aria-expanded=move || refusing.get().to_string()
                disabled=move || !ready.get() || busy.get()
                on:click=move |_| refusing.update(|r| *r = !*r)>"Refuse…"</button>
        })}
        {cancel.then(|| view! {
            <button type="button" class="cancel-absence secondary" data-absence-id=id
                disabled=move || !ready.get() || busy.get()
                on:click=move |_| act("cancel", None)>"Cancel"</button>
        })}
    };
    let reason_id = format!("refuse-reason-{id}");
    let refuse_form = move || {
        refusing.get().then(|| {
            let reason_id = reason_id.clone();
            view! {
                <tr class="refuse-row">
                    <td colspan="6">
                        <form class="inline-form" on:submit=move |ev| {
                            ev.prevent_default();
                            refusing.set(false);
                            act("refuse", Some(reason.get()));
                        }>
                            <label for=reason_id.clone()>"Why is it refused?"</label>
                            <input id=reason_id.clone() class="refuse-reason" required maxlength="500"
                                prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
                            <button type="submit" class="primary">"Refuse"</button>
                        </form>
                    </td>
                </tr>
            }
        })
    };
    view! {
        <tr data-absence-id=id data-state=state>
            <th scope="row">{absence.user_name.clone()}</th>
            <td>{absence.kind.label()}</td>
            <td class="days">{days_text(&absence)}</td>
            <td><span class=format!("badge badge-{state}")>{state_label(absence.state)}</span></td>
            <td class="note">{note}</td>
            <td class="actions">{actions}</td>
        </tr>
        {refuse_form}
    }
}

#[component]
fn RequestForm(
    page: AbsencesPageData,
    list: RwSignal<Vec<Absence>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let ready = hydrated();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let kind = RwSignal::new("vacation".to_string());
    let first = RwSignal::new(page.today.to_string());
    let last = RwSignal::new(page.today.to_string());
    let half = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let person = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let (Ok(first_day), Ok(last_day)) = (
            first.get().parse::<chrono::NaiveDate>(),
            last.get().parse::<chrono::NaiveDate>(),
        ) else {
            error.set(Some("Choose the first and the last day.".into()));
            return;
        };
        let body = RequestAbsence {
            kind: AbsenceKind::parse(&kind.get()).unwrap_or(AbsenceKind::Other),
            first_day,
            last_day: if half.get() { first_day } else { last_day },
            half_day: half.get(),
            note: Some(note.get()).filter(|n| !n.trim().is_empty()),
            user_id: person.get().parse().ok(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::post::<_, Absence>("/api/absences", &body).await {
                Ok(a) => {
                    notice.set(Some(match a.state {
                        AbsenceState::Approved => {
                            format!("Recorded for {}: {}.", a.user_name, days_text(&a))
                        }
                        _ => format!("Asked for {}: a supervisor decides.", days_text(&a)),
                    }));
                    list.update(|l| merge_absence(l, a));
                    note.set(String::new());
                }
                Err(f) => error.set(Some(failure_text(f))),
            }
            busy.set(false);
        });
    };
    let for_whom = page.can_admin.then(|| {
        let options = page
            .people
            .iter()
            .map(|p: &Person| view! { <option value=p.id.to_string()>{p.name.clone()}</option> })
            .collect_view();
        view! {
            <div class="field">
                <label for="absence-person">"For"</label>
                <select id="absence-person" on:change=move |ev| person.set(event_target_value(&ev))>
                    <option value="" selected>"Myself (asks for approval)"</option>
                    {options}
                </select>
            </div>
        }
    });
    view! {
        <form id="absence-request" class="card" on:submit=submit>
            <h2>"Ask for time off"</h2>
            {for_whom}
            <div class="field-row">
                <div class="field">
                    <label for="absence-kind">"Kind"</label>
                    <select id="absence-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="vacation" selected>"Vacation"</option>
                        <option value="sick">"Sick"</option>
                        <option value="other">"Other absence"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="absence-first">"First day"</label>
                    <input id="absence-first" type="date" required prop:value=first
                        on:input=move |ev| first.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="absence-last">"Last day"</label>
                    <input id="absence-last" type="date" required prop:value=last disabled=move || half.get()
                        on:input=move |ev| last.set(event_target_value(&ev))/>
                </div>
                <label class="check" for="absence-half">
                    <input id="absence-half" type="checkbox" prop:checked=half
                        on:change=move |ev| half.set(event_target_checked(&ev))/>
                    "Half a day"
                </label>
            </div>
            <div class="field">
                <label for="absence-note">"Note (optional)"</label>
                <input id="absence-note" maxlength="500" prop:value=note
                    on:input=move |ev| note.set(event_target_value(&ev))/>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert" id="absence-error">{e}</p> })}
            <button type="submit" class="primary" id="absence-submit" disabled=move || !ready.get() || busy.get()>
                "Send"
            </button>
        </form>
    }
}

/// The text of the file chosen in the `<input type="file">` with `id`.
#[cfg(feature = "hydrate")]
async fn chosen_file_text(id: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let input = leptos::prelude::document()
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlInputElement>()
        .ok()?;
    let file = input.files()?.get(0)?;
    wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .ok()?
        .as_string()
}

/// Files are read in the browser only (event handlers run after hydration).
#[cfg(not(feature = "hydrate"))]
async fn chosen_file_text(_id: &str) -> Option<String> {
    None
}

#[component]
fn Holidays(holidays: Vec<Holiday>) -> impl IntoView {
    let ready = hydrated();
    let list = RwSignal::new(holidays);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let date = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(day) = date.get().parse::<chrono::NaiveDate>() else {
            message.set(Some("Choose the day.".into()));
            return;
        };
        let body = NewHoliday {
            date: day,
            name: name.get(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::post::<_, Holiday>("/api/holidays", &body).await {
                Ok(h) => {
                    message.set(Some(format!("{} ({}) is a holiday.", h.name, h.date)));
                    list.update(|l| {
                        l.push(h);
                        l.sort_by_key(|h| h.date);
                    });
                    name.set(String::new());
                }
                Err(f) => message.set(Some(failure_text(f))),
            }
            busy.set(false);
        });
    };
    let import = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match chosen_file_text("holiday-file").await {
                None => message.set(Some("Choose an .ics file first.".into())),
                Some(text) => {
                    match api::post_text::<HolidayImport>(
                        "/api/holidays/import",
                        "text/calendar",
                        text,
                    )
                    .await
                    {
                        Ok(done) => {
                            message.set(Some(format!(
                                "Imported {} holidays ({} were holidays already).",
                                done.imported, done.skipped
                            )));
                            list.update(|l| {
                                l.extend(done.holidays);
                                l.sort_by_key(|h| h.date);
                            });
                        }
                        Err(f) => message.set(Some(failure_text(f))),
                    }
                }
            }
            busy.set(false);
        });
    };
    let remove = move |id: i64| {
        leptos::task::spawn_local(async move {
            match api::delete_no_content(&format!("/api/holidays/{id}")).await {
                Ok(()) => list.update(|l| l.retain(|h| h.id != id)),
                Err(f) => message.set(Some(failure_text(f))),
            }
        });
    };
    let rows = move || {
        list.get()
            .into_iter()
            .map(|h| {
                let id = h.id;
                view! {
                    <li data-holiday-id=id>
                        <span class="holiday-date">{h.date.to_string()}</span>" "
                        <span class="holiday-name">{h.name}</span>" "
                        <button type="button" class="secondary remove-holiday" on:click=move |_| remove(id)>"Remove"</button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card" id="holidays" aria-labelledby="holidays-heading">
            <h2 id="holidays-heading">"Holidays"</h2>
            <p class="muted">"Nobody is planned to work on a holiday."</p>
            <ul class="holiday-list" id="holiday-list">{rows}</ul>
            <form id="holiday-add" class="inline-form" on:submit=add>
                <label for="holiday-date">"Day"</label>
                <input id="holiday-date" type="date" required prop:value=date on:input=move |ev| date.set(event_target_value(&ev))/>
                <label for="holiday-name">"Name"</label>
                <input id="holiday-name" required maxlength="200" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" class="primary" disabled=move || !ready.get() || busy.get()>"Add"</button>
            </form>
            <form id="holiday-import" class="inline-form" on:submit=import>
                <label for="holiday-file">"Import an iCalendar file (.ics)"</label>
                <input id="holiday-file" type="file" accept=".ics,text/calendar"/>
                <button type="submit" class="secondary" disabled=move || !ready.get() || busy.get()>"Import"</button>
            </form>
            {move || message.get().map(|m| view! { <p role="status" id="holiday-message">{m}</p> })}
        </section>
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "8:00" for 480 minutes.
fn minutes_text(minutes: u32) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

#[component]
fn Plans(plans: Vec<WorkPlan>, people: Vec<Person>) -> impl IntoView {
    let ready = hydrated();
    let list = RwSignal::new(plans);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let person = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let hours: [RwSignal<String>; 7] = std::array::from_fn(|i| {
        RwSignal::new(if i < 5 {
            "8".to_string()
        } else {
            "0".to_string()
        })
    });
    let names = people.clone();
    let name_of = move |user: Option<i64>| match user {
        None => "Everyone (default)".to_string(),
        Some(id) => names
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| format!("User {id}"), |p| p.name.clone()),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(valid_from) = from.get().parse::<chrono::NaiveDate>() else {
            message.set(Some("Choose the day the plan starts.".into()));
            return;
        };
        let mut minutes = Vec::with_capacity(7);
        for (day, h) in WEEKDAYS.iter().zip(hours.iter()) {
            match h.get().trim().replace(',', ".").parse::<f64>() {
                Ok(v) if (0.0..=24.0).contains(&v) => minutes.push((v * 60.0).round() as u32),
                _ => {
                    message.set(Some(format!("{day}: hours from 0 to 24.")));
                    return;
                }
            }
        }
        let body = SetWorkPlan {
            user_id: person.get().parse().ok(),
            valid_from,
            minutes,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::put::<_, WorkPlan>("/api/worktime/plans", &body).await {
                Ok(plan) => {
                    message.set(Some(format!("The plan from {} is saved.", plan.valid_from)));
                    list.update(|l| {
                        l.retain(|p| {
                            !(p.user_id == plan.user_id && p.valid_from == plan.valid_from)
                        });
                        l.push(plan);
                        l.sort_by_key(|p| (p.user_id, p.valid_from));
                    });
                }
                Err(f) => message.set(Some(failure_text(f))),
            }
            busy.set(false);
        });
    };
    let rows = move || {
        list.get()
            .into_iter()
            .map(|p| {
                let cells = p
                    .minutes
                    .iter()
                    .map(|m| view! { <td class="num">{minutes_text(*m)}</td> })
                    .collect_view();
                view! {
                    <tr data-plan-id=p.id>
                        <th scope="row">{name_of(p.user_id)}</th>
                        <td>{p.valid_from.to_string()}</td>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };
    let options = people
        .iter()
        .map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> })
        .collect_view();
    let day_inputs = WEEKDAYS
        .iter()
        .zip(hours)
        .map(|(day, h)| {
            let id = format!("plan-{}", day.to_lowercase());
            view! {
                <div class="field plan-day">
                    <label for=id.clone()>{format!("{day} (h)")}</label>
                    <input id=id inputmode="decimal" size="4" prop:value=h on:input=move |ev| h.set(event_target_value(&ev))/>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="card" id="plans" aria-labelledby="plans-heading">
            <h2 id="plans-heading">"Working-time plans"</h2>
            <p class="muted">"Hours planned per weekday, from a day on. Without a plan of their own, people follow the default; without any, 8 hours Monday to Friday."</p>
            <div class="table-wrap" role="region" aria-labelledby="plans-heading" tabindex="0">
                <table class="data-table" id="plan-table">
                    <thead>
                        <tr>
                            <th scope="col">"For"</th>
                            <th scope="col">"From"</th>
                            {WEEKDAYS.iter().map(|d| view! { <th scope="col" class="num">{*d}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <form id="plan-form" on:submit=submit>
                <div class="field-row">
                    <div class="field">
                        <label for="plan-person">"For"</label>
                        <select id="plan-person" on:change=move |ev| person.set(event_target_value(&ev))>
                            <option value="" selected>"Everyone (default)"</option>
                            {options}
                        </select>
                    </div>
                    <div class="field">
                        <label for="plan-from">"From"</label>
                        <input id="plan-from" type="date" required prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/>
                    </div>
                </div>
                <div class="field-row">{day_inputs}</div>
                {move || message.get().map(|m| view! { <p role="status" id="plan-message">{m}</p> })}
                <button type="submit" class="primary" id="plan-submit" disabled=move || !ready.get() || busy.get()>"Save plan"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn absence(id: i64, first: &str, last: &str, half_day: bool) -> Absence {
        Absence {
            id,
            user_id: 1,
            user_name: "Ann".into(),
            kind: AbsenceKind::Vacation,
            first_day: first.parse().unwrap(),
            last_day: last.parse().unwrap(),
            half_day,
            note: None,
            state: AbsenceState::Requested,
            requested_by: 1,
            requested_at: Utc::now(),
            decided_by: None,
            decided_by_name: None,
            decided_at: None,
            decision_note: None,
        }
    }

    #[test]
    fn days_read_as_a_range_a_day_or_a_half_day() {
        assert_eq!(
            days_text(&absence(1, "2026-12-21", "2026-12-23", false)),
            "2026-12-21 \u{2013} 2026-12-23"
        );
        assert_eq!(
            days_text(&absence(1, "2026-12-24", "2026-12-24", false)),
            "2026-12-24"
        );
        assert_eq!(
            days_text(&absence(1, "2026-12-24", "2026-12-24", true)),
            "2026-12-24 (half day)"
        );
    }

    #[test]
    fn a_pushed_absence_replaces_its_row_or_joins_in_date_order() {
        let mut list = vec![absence(1, "2026-12-21", "2026-12-23", false)];
        let mut approved = absence(1, "2026-12-21", "2026-12-23", false);
        approved.state = AbsenceState::Approved;
        merge_absence(&mut list, approved);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].state, AbsenceState::Approved);
        merge_absence(&mut list, absence(2, "2026-12-01", "2026-12-01", true));
        let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
        assert_eq!(ids, [2, 1]);
    }
}
