//! `/reports`: counted time per user, ticket or day for a range (the organization's local
//! days), as an SVG bar chart with the table beside it and a CSV download. The range is a GET
//! form, so the server renders the chosen report; pushes about sessions refresh it in place.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::protocol::ServerToTab;
use shared::timesheets::{GroupBy, TimeReport};

use crate::components::live_badge::LiveBadge;
use crate::components::report_chart::ReportChart;
use crate::components::top_bar::TopBar;
use crate::connect::live_link;
use crate::data::PageData;
use crate::pages::{forbidden::Missing, title};
use crate::query::ReportQuery;
use crate::time::hm;

const GROUPINGS: [(GroupBy, &str); 3] = [
    (GroupBy::User, "Person"),
    (GroupBy::Ticket, "Ticket"),
    (GroupBy::Day, "Day"),
];

#[component]
pub fn ReportsPage() -> impl IntoView {
    let data = use_context::<PageData>().unwrap_or_default();
    let Some(page) = data.reports else {
        return view! { <Missing/> }.into_any();
    };
    let report = RwSignal::new(page.report.clone());
    let (from, to, group_by) = (page.report.from, page.report.to, page.report.group_by);
    let api_path = ReportQuery::api_path(from, to, group_by);
    // A session started, ended, corrected or deleted: read the report again.
    let live = live_link(move |message| {
        let changes_time = matches!(
            message,
            ServerToTab::SessionStarted { .. }
                | ServerToTab::SessionEnded(_)
                | ServerToTab::SessionUpdated { .. }
                | ServerToTab::SessionDeleted(_)
        );
        if changes_time {
            let path = api_path.clone();
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = crate::api::get::<TimeReport>(&path).await {
                    report.set(fresh);
                }
            });
        }
    });
    let heading = GROUPINGS
        .iter()
        .find(|(g, _)| *g == group_by)
        .map_or("Person", |(_, label)| *label);
    let tabs = GROUPINGS
        .iter()
        .map(|(g, label)| {
            let here = (*g == group_by).then_some("page");
            view! {
                <a href=ReportQuery::page_href(from, to, *g) rel="external" aria-current=here>
                    {*label}
                </a>
            }
        })
        .collect_view();
    let rows = move || {
        report.with(|r| {
            r.groups
                .iter()
                .map(|g| {
                    let share = if r.total_seconds > 0 {
                        format!("{:.0} %", g.seconds as f64 * 100.0 / r.total_seconds as f64)
                    } else {
                        String::new()
                    };
                    view! {
                        <tr data-key=g.key.clone()>
                            <th scope="row">{g.label.clone()}</th>
                            <td class="num hours">{hm(g.seconds)}</td>
                            <td class="num">{g.sessions}</td>
                            <td class="num">{share}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    // The team's signed-off timesheets for the week and the month the range ends in.
    let (week_slug, month_slug) = {
        use chrono::Datelike;
        let iso = to.iso_week();
        (
            format!("{}-W{:02}", iso.year(), iso.week()),
            to.format("%Y-%m").to_string(),
        )
    };
    let exports = ["csv", "xlsx", "pdf"]
        .into_iter()
        .map(|ext| {
            let label = ext.to_uppercase();
            view! {
                <a href=format!("/api/worktime/export.{ext}?week={week_slug}") rel="external" download class=format!("export-week-{ext}")>
                    {format!("Week {week_slug} {label}")}
                </a>
                <a href=format!("/api/worktime/export.{ext}?month={month_slug}") rel="external" download class=format!("export-month-{ext}")>
                    {format!("Month {month_slug} {label}")}
                </a>
            }
        })
        .collect_view();
    let total = move || report.with(|r| hm(r.total_seconds));
    let empty = move || report.with(|r| r.groups.is_empty());
    view! {
        <Title text=title("Reports", &data.viewer)/>
        <TopBar viewer=data.viewer current="/reports"/>
        <main class="page" id="main">
            <div class="page-head">
                <h1 id="reports-heading">"Reports"</h1>
                <div class="page-meta">
                    <LiveBadge live/>
                </div>
            </div>
            <form id="report-range" class="filters card" method="get" action="/reports">
                <div class="field">
                    <label for="report-from">"From"</label>
                    <input type="date" id="report-from" name="from" value=from.to_string()/>
                </div>
                <div class="field">
                    <label for="report-to">"To"</label>
                    <input type="date" id="report-to" name="to" value=to.to_string()/>
                </div>
                <input type="hidden" name="group_by" value=group_by.as_str()/>
                <div class="filter-actions">
                    <button type="submit" class="primary">"Show"</button>
                    <a
                        id="report-csv"
                        class="button"
                        href=ReportQuery::csv_href(from, to, group_by)
                        rel="external"
                        download
                    >
                        "Download CSV"
                    </a>
                </div>
            </form>
            {page.error.map(|e| view! { <p class="form-error" role="alert" id="report-error">{e}</p> })}
            <nav class="export-links" id="report-exports" aria-label="Download working time">
                <span class="muted">"Working time (planned, worked, absence, balance):"</span>
                {exports}
            </nav>
            <nav class="segmented" aria-label="Group by" id="report-groupings">
                {tabs}
            </nav>
            <p class="report-range">
                {format!("{from} to {to} · {} · total ", page.report.timezone)}
                <strong id="report-total">{total}</strong>
            </p>
            <div class="report-layout">
                <figure class="card report-figure">
                    <ReportChart report/>
                    <figcaption>{format!("Hours per {}", heading.to_lowercase())}</figcaption>
                </figure>
                <div class="table-wrap" role="region" aria-labelledby="reports-heading" tabindex="0">
                    <table id="report-table" class="data-table">
                        <thead>
                            <tr>
                                <th scope="col">{heading}</th>
                                <th scope="col" class="num">"Hours"</th>
                                <th scope="col" class="num">"Sessions"</th>
                                <th scope="col" class="num">"Share"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                        <tfoot>
                            <tr>
                                <th scope="row">"Total"</th>
                                <td class="num hours" id="report-table-total">{total}</td>
                                <td></td>
                                <td></td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
            </div>
            <Show when=empty>
                <p class="empty">"No time recorded in this range."</p>
            </Show>
        </main>
    }
    .into_any()
}
